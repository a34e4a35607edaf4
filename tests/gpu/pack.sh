#!/bin/bash
# Pack the GPU pages' folder (target/gpu-payload, made by make_payload.mjs) with the WebGPU lab's Chromium stage
# (../shared/webgpu-lab/prepare.sh, A1: headless Chromium, its libraries, the Vulkan/GL loaders) into one xz archive
# cut into pieces of PIECE MiB (default 38: with the ~23 MB working tree a call stays under the device's 64 MiB):
# .gpulab/pieces/S.partNN and .gpulab/manifest.txt, for the lab's gpu.sh (a copy in .gpulab/, git-ignored).
# On the device, one call per piece (`gpu.sh collect`), then the lab's `setup probe` and this folder's run.sh, as
# .gpulab/gpu.sh's `scout` step does: copy tests/gpu/*.js over gp/www/, then
#   (cd $D/x/gp && CHFLAGS="$(cat $D/flags)" OUT=$RES/scout PORT=8231 bash run.sh)   # after the lab's envsetup
# Also packs the lab's ORT-Web bench page with Scout's two MiniLM graphs in gp/www/lab/ (node placement:
# lab/bench.html?bundle=webgpu&ep=webgpu&model=scoutgpu|scoutwasm&placement=1).
# Env: ST (the lab's stage, default ~/.cache/webgpu-lab/stage), PIECE (MiB), XZ (level, default 6).
set -eu
R=$(cd "$(dirname "$0")/../.." && pwd); G=$R/.gpulab
ST=${ST:-$HOME/.cache/webgpu-lab/stage}; PIECE=${PIECE:-38}
P=$R/target/gpu-payload
[ -d "$P/www" ] || { echo "run node tests/gpu/make_payload.mjs dist target/gpu-payload first"; exit 1; }
rm -rf $P/www/lab && mkdir -p $P/www/lab/models $P/www/lab/ort
cp $G/web/bench.html $P/www/lab/
cp $ST/www/ort/ort.webgpu.min.mjs $ST/www/ort/ort-wasm-simd-threaded.asyncify.* $P/www/lab/ort/
ln $P/www/models/all-minilm-l6-v2-int8/model_webgpu.onnx $P/www/lab/models/minilm-scoutgpu.onnx
ln $P/www/models/all-minilm-l6-v2-int8/model.onnx $P/www/lab/models/minilm-scoutwasm.onnx
W=$R/target/gpu-pack; rm -rf $W; mkdir -p $W
tar -cf - -C $ST chrome deps gl -C $R/target --transform 's,^gpu-payload,gp,' gpu-payload | xz -${XZ:-6} -T0 > $W/S.tar.xz
rm -rf $G/pieces $G/payload; mkdir -p $G/pieces $G/payload
split -b ${PIECE}M -d $W/S.tar.xz $G/pieces/S.part
echo "S $(ls $G/pieces | wc -l) $(sha256sum $W/S.tar.xz | cut -c1-64)" > $G/manifest.txt
ls -la $G/pieces; cat $G/manifest.txt
echo "move the pieces out of .gpulab (the whole folder travels with each call) and one at a time into .gpulab/payload/"
