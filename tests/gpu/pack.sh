#!/bin/bash
# Pack the GPU pages' folder (target/gpu-payload, made by make_payload.mjs) with a headless-Chromium stage into one xz
# archive cut into pieces of PIECE MiB (default 38: with the ~23 MB working tree a call stays under the device's
# 64 MiB): .gpulab/pieces/S.partNN and .gpulab/manifest.txt (.gpulab is git-ignored).
# The stage ($ST) holds `chrome/` (Debian's chromium-headless-shell, unpacked), `deps/` (the Debian libraries the
# device's image lacks) and `gl/` (the Vulkan/GL loader .debs): what DEVELOPERS.md's WebGPU recipe prepares. This
# script needs it and nothing else outside the repository.
# On the device, one call per piece to reassemble and unpack; then set up the loaders and libraries, find the
# WebGPU flags, and run this folder's run.sh from the unpacked gp/:
#   (cd gp && CHFLAGS="..." OUT=results PORT=8231 bash run.sh)
# Optional: with LAB_PAGE (an ORT-Web bench page) and LAB_ORT (a folder with ort.webgpu.min.mjs and its wasm), also
# packs gp/www/lab/ with Scout's two MiniLM graphs, to read ONNX Runtime's node placement:
# lab/bench.html?bundle=webgpu&ep=webgpu&model=scoutgpu|scoutwasm&placement=1.
# Env: ST (default ~/.cache/webgpu-lab/stage), PIECE (MiB), XZ (level, default 6), LAB_PAGE, LAB_ORT.
set -eu
R=$(cd "$(dirname "$0")/../.." && pwd); G=$R/.gpulab
ST=${ST:-$HOME/.cache/webgpu-lab/stage}; PIECE=${PIECE:-38}
P=$R/target/gpu-payload
[ -d "$P/www" ] || { echo "run node tests/gpu/make_payload.mjs dist target/gpu-payload first"; exit 1; }
[ -d "$ST/chrome" ] && [ -d "$ST/deps" ] && [ -d "$ST/gl" ] || { echo "no Chromium stage in $ST (see above)"; exit 1; }
rm -rf $P/www/lab
if [ -n "${LAB_PAGE:-}" ] && [ -n "${LAB_ORT:-}" ]; then
  mkdir -p $P/www/lab/models $P/www/lab/ort
  cp "$LAB_PAGE" $P/www/lab/bench.html
  cp "$LAB_ORT"/ort.webgpu.min.mjs "$LAB_ORT"/ort-wasm-simd-threaded.asyncify.* $P/www/lab/ort/
  ln $P/www/models/scout/minilm-webgpu/onnx/model.onnx $P/www/lab/models/minilm-scoutgpu.onnx
  ln $P/www/models/all-minilm-l6-v2-int8/model.onnx $P/www/lab/models/minilm-scoutwasm.onnx
fi
W=$R/target/gpu-pack; rm -rf $W; mkdir -p $W
tar -cf - -C $ST chrome deps gl -C $R/target --transform 's,^gpu-payload,gp,' gpu-payload | xz -${XZ:-6} -T0 > $W/S.tar.xz
rm -rf $G/pieces $G/payload; mkdir -p $G/pieces $G/payload
split -b ${PIECE}M -d $W/S.tar.xz $G/pieces/S.part
echo "S $(ls $G/pieces | wc -l) $(sha256sum $W/S.tar.xz | cut -c1-64)" > $G/manifest.txt
ls -la $G/pieces; cat $G/manifest.txt
echo "move the pieces out of .gpulab (the whole folder travels with each call) and one at a time into .gpulab/payload/"
