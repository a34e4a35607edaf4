// @ts-check
/**
 * The peer on the GPU: Transformers.js (its browser build and the onnxruntime-web it pins) embedding the same texts
 * with the same weights and arithmetic as Scout's GPU encoder (the float-activation graph built at setup,
 * `/models/scout/minilm-webgpu/onnx/model.onnx`, dtype fp32),
 * feature-extraction with mean pooling and normalization, `device` from the query (webgpu | wasm), best of 3 after a
 * warm-up of both batch shapes. POSTs `/result?name=NAME`. Made by make_payload.mjs beside scout_engine.js.
 */
const q = new URLSearchParams(location.search);
const name = q.get('name') || 'tjs';
const device = q.get('device') || 'webgpu';
/** @type {Record<string, any>} */
const out = { name, device };

async function send(/** @type {string} */ title) {
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = title;
}

try {
  const t0 = performance.now();
  const T = await import('/tjs/transformers.min.js');
  const { env } = T;
  env.allowLocalModels = true;
  env.localModelPath = '/models/';
  env.allowRemoteModels = false;
  env.useBrowserCache = false;
  env.backends.onnx.wasm.wasmPaths = { mjs: '/ort131/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/ort131/ort-wasm-simd-threaded.asyncify.wasm' };
  env.backends.onnx.wasm.numThreads = 4;
  out.version = env.version;
  const extractor = await T.pipeline('feature-extraction', 'scout/minilm-webgpu', { device, dtype: 'fp32' });
  out.load_ms = performance.now() - t0;
  const texts = (await (await fetch('/inputs.json')).json()).texts;
  const run = async (/** @type {string[]} */ xs, /** @type {number} */ batch) => {
    const t = performance.now();
    for (let i = 0; i < xs.length; i += batch) {
      const r = await extractor(batch === 1 ? xs[i] : xs.slice(i, i + batch), { pooling: 'mean', normalize: true });
      r.tolist();
    }
    return performance.now() - t;
  };
  await run(texts.slice(0, 16), 16);
  await run(texts.slice(0, 2), 1);
  out.texts_per_s = {};
  for (const batch of device === 'webgpu' ? [1, 16, 64] : [1, 16]) {
    const ms = [];
    for (let r = 0; r < 3; r++) ms.push(await run(texts.map((t) => `${['alpha', 'bravo', 'charlie'][r]} ${t}`), batch));
    out.texts_per_s[`b${batch}`] = { texts_per_s: texts.length / (Math.min(...ms) / 1000), ms };
  }
  await send('done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send('failed');
}
