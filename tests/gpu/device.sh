#!/bin/bash
# On the GPU machine, from the repository's root (the device tool's working directory), with pack.sh's pieces sent
# one per call in .gpulab/payload/:
#   bash tests/gpu/device.sh piece        keep this call's piece (in $D, which lives as long as the machine)
#   PAGES=gpudec bash tests/gpu/device.sh run   check and unpack the archive, set up Chromium's libraries and the
#                                          Vulkan/GL loaders (the WebGPU lab's recipe), run run.sh, results to $OUT
set -u
D=${D:-/root/scout-gpu}
mkdir -p "$D/pieces"
case "${1:-}" in
piece)
  for f in .gpulab/payload/S.part*; do [ -f "$f" ] && cp "$f" "$D/pieces/"; done
  cp .gpulab/manifest.txt "$D/"
  ls -la "$D/pieces"; exit 0;;
run) ;;
*) echo "usage: device.sh piece|run"; exit 2;;
esac
read -r _ parts sha < "$D/manifest.txt"
have=$(ls "$D"/pieces/S.part* | wc -l)
[ "$have" = "$parts" ] || { echo "$have of $parts pieces"; exit 1; }
if [ ! -f "$D/x/.done" ]; then
  got=$(cat "$D"/pieces/S.part* | sha256sum | cut -c1-64)
  [ "$got" = "$sha" ] || { echo "archive sha256 $got, expected $sha"; exit 1; }
  mkdir -p "$D/x" && cat "$D"/pieces/S.part* | xz -dc -T0 | tar -x -C "$D/x" && touch "$D/x/.done"
fi
X=$D/x
for f in "$X"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
rm -rf "$D/missing"; mkdir -p "$D/missing"
ldconfig -p | awk 'NR>1{print $1}' | sort -u > "$D/syslibs"
for dir in "$X"/deps/usr/lib/x86_64-linux-gnu "$X"/deps/lib/x86_64-linux-gnu; do
  [ -d "$dir" ] || continue
  for so in "$dir"/*.so.* "$dir"/*.so "$dir"/pulseaudio/*.so; do
    b=$(basename "$so"); grep -qxF "$b" "$D/syslibs" || ln -sf "$so" "$D/missing/$b"
  done
done
for j in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$j" ] && { export VK_DRIVER_FILES=$j VK_ICD_FILENAMES=$j; break; }
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export LD_LIBRARY_PATH=$D/missing:$X/chrome${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}:/usr/local/nvidia/lib64
export CHROME=$X/chrome/chromium-headless-shell
export CHFLAGS="--no-sandbox --headless=new --enable-unsafe-webgpu --enable-features=Vulkan --use-angle=vulkan --use-vulkan=native --disable-vulkan-surface --ignore-gpu-blocklist"
echo "chrome: $($CHROME --version 2>&1 | tail -1); missing libs: $(ldd "$CHROME" | grep -c 'not found')"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -2
cp tests/gpu/run.sh tests/gpu/serve.py "$X/gp/"
# Files newer than the archive (a rebuilt engine: .gpulab/overlay/wasm/...) replace its own.
[ -d .gpulab/overlay ] && cp -r .gpulab/overlay/. "$X/gp/www/"
rm -rf "$D/out"; (cd "$X/gp" && OUT=$D/out PORT=8231 bash run.sh)
tar -czf "${OUT:-$D}/res.tgz" -C "$D" out
