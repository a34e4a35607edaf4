#!/bin/bash
# On the GPU machine, from the folder make_payload.mjs wrote: open each page in headless Chromium with WebGPU and
# wait for its result. Env: CHROME (the browser), CHFLAGS (its WebGPU flags: see the lab recipe in DEVELOPERS.md),
# OUT (results), PORT, PAGES (all; t1: the embedder's pages only; llm: the writer's pages only; gpudec: Scout's own
# GPU decoder beside the peer). Pages: Scout's engine (auto: the measured choice, cold then again with the same profile;
# forced WASM), then Transformers.js on the same graph (webgpu); then the same for the writer (T2).
set -u
H=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$H/out}; PORT=${PORT:-8231}
mkdir -p "$OUT"
python3 "$H/serve.py" "$H/www" "$OUT" "$PORT" & SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
sleep 1
page() {  # page NAME PROFILE URLPATH TIMEOUT_S
  local name=$1 profile=$2 url=$3 to=$4
  rm -f "$OUT/$name.json"
  $CHROME $CHFLAGS --user-data-dir="$profile" "http://127.0.0.1:$PORT/$url&name=$name" > "$OUT/chrome_$name.log" 2>&1 &
  local cp=$! t0=$SECONDS
  while [ ! -f "$OUT/$name.json" ] && kill -0 $cp 2>/dev/null && [ $((SECONDS - t0)) -lt "$to" ]; do sleep 0.2; done
  kill $cp 2>/dev/null; sleep 0.5; kill -9 $cp 2>/dev/null; wait $cp 2>/dev/null
  [ -f "$OUT/$name.json" ] && echo "[run] $name done in $((SECONDS - t0)) s" || { echo "[run] $name FAILED"; tail -5 "$OUT/chrome_$name.log"; }
}
P=$(mktemp -d)
if [ "${PAGES:-all}" != llm ] && [ "${PAGES:-all}" != gpudec ]; then  # PAGES=llm: the writer's pages only
page scout_auto_first "$P" "scout_engine.html?backend=auto&phase=first" 200
page scout_auto_again "$P" "scout_engine.html?backend=auto&phase=again" 90
page scout_wasm "$(mktemp -d)" "scout_engine.html?backend=wasm&phase=first" 200
page tjs_webgpu "$(mktemp -d)" "tjs_embed.html?device=webgpu" 150
fi
if [ "${PAGES:-all}" = t1 ]; then  # and the WebGPU backend chosen by the user: a first launch with no measurement
  page scout_webgpu_first "$(mktemp -d)" "scout_engine.html?backend=webgpu&phase=first" 200
  exit 0
fi
if [ "${PAGES:-all}" = gpudec ]; then  # Scout's own GPU decoder on the int8 file and on the peer's graph (q4), the peer
  page scout_gpudec "$(mktemp -d)" "scout_llm.html?backend=webgpu&model=smollm2-135m-instruct-int8" 240
  page scout_gpudec_q4 "$(mktemp -d)" "scout_llm.html?backend=webgpu&model=smollm2-135m-instruct-q4" 240
  page tjs_llm_webgpu "$(mktemp -d)" "tjs_llm.html?device=webgpu" 240
  [ "${PROFILE:-0}" = 1 ] && page scout_gpudec_profile "$(mktemp -d)" "scout_llm.html?backend=webgpu&model=smollm2-135m-instruct-int8&runs=1&profile=1" 240
  exit 0
fi
# The writer: SmolLM2-135M's GPU graph through Scout's engine (the measured backend choice, then WASM on the same
# graph), and Transformers.js on the same files on WebGPU.
page scout_llm_auto "$(mktemp -d)" "scout_llm.html?backend=auto&placement=1" 240
# The GPU graph's decode step part by part, onnxruntime-web alone (an archive older than the page has no .html).
[ -f "$H/www/ort_llm_loop.html" ] || sed 's/scout_llm/ort_llm_loop/' "$H/www/scout_llm.html" > "$H/www/ort_llm_loop.html"
page ort_llm_loop "$(mktemp -d)" "ort_llm_loop.html?steps=32" 200
# And the same graph from a static cache (ort_llm_static.js), against the dynamic one.
[ -f "$H/www/ort_llm_static.html" ] || sed 's/scout_llm/ort_llm_static/' "$H/www/scout_llm.html" > "$H/www/ort_llm_static.html"
page ort_llm_static "$(mktemp -d)" "ort_llm_static.html?steps=64" 150
page tjs_llm_webgpu "$(mktemp -d)" "tjs_llm.html?device=webgpu" 240
[ "${LLM_WASM:-0}" = 1 ] && page scout_llm_wasm "$(mktemp -d)" "scout_llm.html?backend=wasm" 240
