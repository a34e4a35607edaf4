// @ts-check
/**
 * The writer's GPU graph decoding from a static cache, against the dynamic cache Scout's runner (gpu_kv.js) uses: a
 * measurement with onnxruntime-web alone (the bundle Scout ships, the fused 4-bit SmolLM2 graph from the page's hub).
 * - Static cache: every `past_key_values.i` is a GPU buffer of MAX positions that is also bound as `present.i`, so
 *   GroupQueryAttention writes the new positions in place (its shared-buffer mode); the mask is [1, MAX] with ones for
 *   the valid positions; `freeDimensionOverrides` fixes the batch and past dimensions. A prefill session (the prompt
 *   in one run) and a decode session share the buffers; decode inputs are GPU buffers updated with `writeBuffer`.
 * - Reference: the same greedy decode with presents fed back as pasts.
 * Reports tokens/s of both and how many greedy tokens agree (fixed prompt ids: the timing does not depend on them).
 * `capture=1` also turns on graph capture for the decode session: in onnxruntime-web 1.30 its first run throws
 * "TypeError: Required member is undefined" (H100 and the software adapter, 2026-12-05); fixing the mask's
 * dimension too (which capture needs for the Shape feeding total_sequence_length) fails session creation with a
 * ShapeInferenceError. Query: `name`, `steps` (64), `max` (1024), `prompt` (924), `ref` (reference runs, 2), `capture`.
 */
import { dynamicFeeds, fixedPrompt, loadDecoder, presentsOnGpu, send } from '/ort_direct.js';

const q = new URLSearchParams(location.search);
const name = q.get('name') || 'ort_llm_static';
const steps = Number(q.get('steps') || 64);
const MAX = Number(q.get('max') || 1024);
/** @type {Record<string, any>} */
const out = { name, steps, max: MAX };
const log = (/** @type {string} */ line) => fetch('/log', { method: 'POST', body: `[${name}] ${line}` });

const argmax = (/** @type {Float32Array} */ a) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

try {
  const d = await loadDecoder();
  const { ort, bytes, layers, kvHeads, headDim, vocab } = d;
  const prompt = fixedPrompt(Number(q.get('prompt') || 924));

  // --- The reference: dynamic cache, presents fed back as pasts (what Scout's gpu_kv.js does today).
  const dyn = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], preferredOutputLocation: presentsOnGpu(layers, 'cpu') });
  const device = ort.env.webgpu.device;
  const reference = async () => {
    /** @type {any[]} */ let past = [];
    let cached = 0;
    const ids = [];
    let next = -1;
    let t0 = 0;
    for (let s = 0; s <= steps; s++) {
      const input = s === 0 ? prompt : [next];
      const f = dynamicFeeds(d, input, cached, past);
      const o = await dyn.run(f);
      for (const p of past) p.dispose();
      past = [];
      for (let i = 0; i < layers; i++) past.push(o[`present.${i}.key`], o[`present.${i}.value`]);
      cached += input.length;
      const logits = /** @type {Float32Array} */ (o.logits.data);
      next = argmax(logits.subarray(logits.length - vocab));
      ids.push(next);
      if (s === 0) t0 = performance.now();
    }
    const tps = steps / ((performance.now() - t0) / 1000);
    for (const p of past) p.dispose();
    return { ids, tps };
  };
  out.reference = [];
  for (let r = 0; r < Number(q.get('ref') || 2); r++) out.reference.push(await reference());
  log(`reference: ${out.reference.map((/** @type {any} */ r) => r.tps.toFixed(1)).join(', ')} tok/s`);

  // --- The static cache: GPU buffers of MAX positions, bound as both past and present.
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const cacheBytes = kvHeads * MAX * headDim * 4;
  /** @type {any[]} */
  const cache = [];
  for (let i = 0; i < 2 * layers; i++) {
    const buffer = device.createBuffer({ size: cacheBytes, usage });
    cache.push(ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [1, kvHeads, MAX, headDim] }));
  }
  const bind = (/** @type {Record<string, any>} */ f, /** @type {Record<string, any>} */ fetches) => {
    for (let i = 0; i < layers; i++) {
      f[`past_key_values.${i}.key`] = fetches[`present.${i}.key`] = cache[2 * i];
      f[`past_key_values.${i}.value`] = fetches[`present.${i}.value`] = cache[2 * i + 1];
    }
  };
  const fixed = { batch_size: 1, past_sequence_length: MAX };
  let t = performance.now();
  const pre = await ort.InferenceSession.create(bytes, {
    executionProviders: ['webgpu'],
    freeDimensionOverrides: fixed,
    preferredOutputLocation: { logits: 'cpu' },
  });
  const dec = await ort.InferenceSession.create(bytes, {
    executionProviders: ['webgpu'],
    freeDimensionOverrides: { ...fixed, sequence_length: 1 },
    enableGraphCapture: q.get('capture') === '1',
    preferredOutputLocation: 'gpu-buffer',
  });
  out.static_sessions_ms = performance.now() - t;

  // Decode inputs and output as GPU buffers the graph reads in place.
  const gpuTensor = (/** @type {string} */ type, /** @type {number[]} */ dims, /** @type {number} */ size) =>
    ort.Tensor.fromGpuBuffer(device.createBuffer({ size, usage }), { dataType: type, dims });
  const idsT = gpuTensor('int64', [1, 1], 8);
  const posT = gpuTensor('int64', [1, 1], 8);
  const maskT = gpuTensor('int64', [1, MAX], 8 * MAX);
  const logitsT = gpuTensor('float32', [1, 1, vocab], 4 * vocab);
  const staging = device.createBuffer({ size: 4 * vocab, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const readLogits = async () => {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(logitsT.gpuBuffer, 0, staging, 0, 4 * vocab);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const a = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return a;
  };
  let stage = '';
  const staticRun = async () => {
    // Prefill (never captured): the prompt into the static buffers; the mask's first prompt.length entries are 1.
    const mask = new BigInt64Array(MAX);
    mask.fill(1n, 0, prompt.length);
    /** @type {Record<string, any>} */
    const f = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]),
      attention_mask: new ort.Tensor('int64', mask, [1, MAX]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(prompt, (_, i) => BigInt(i)), [1, prompt.length]),
    };
    /** @type {Record<string, any>} */
    const fetches = {};
    bind(f, fetches);
    const t1 = performance.now();
    stage = 'prefill';
    const o = await pre.run(f, { ...fetches, logits: null });
    stage = 'decode';
    const logits = /** @type {Float32Array} */ (o.logits.data);
    let next = argmax(logits.subarray(logits.length - vocab));
    const prefillMs = performance.now() - t1;
    const ids = [next];
    device.queue.writeBuffer(maskT.gpuBuffer, 0, mask);
    /** @type {Record<string, any>} */
    const df = { input_ids: idsT, attention_mask: maskT, position_ids: posT };
    /** @type {Record<string, any>} */
    const dfetch = { logits: logitsT };
    bind(df, dfetch);
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const at = prompt.length + s;
      device.queue.writeBuffer(idsT.gpuBuffer, 0, BigInt64Array.of(BigInt(next)));
      device.queue.writeBuffer(posT.gpuBuffer, 0, BigInt64Array.of(BigInt(at)));
      device.queue.writeBuffer(maskT.gpuBuffer, 8 * at, BigInt64Array.of(1n));
      await dec.run(df, dfetch);
      next = argmax(await readLogits());
      ids.push(next);
    }
    return { ids: ids.slice(0, steps + 1), tps: steps / ((performance.now() - t0) / 1000), prefill_ms: prefillMs };
  };
  out.static = [];
  for (let r = 0; r < 3; r++) {
    try {
      out.static.push(await staticRun());
    } catch (e) {
      out.static.push({ stage, error: String(e && /** @type {any} */ (e).stack || e).slice(0, 300) });
      break;
    }
  }
  const ref = out.reference.length ? out.reference[0].ids : [];
  out.agree = out.static.map((/** @type {any} */ c) => (c.ids ? c.ids.filter((/** @type {number} */ x, /** @type {number} */ i) => x === ref[i]).length : 0));
  log(`static: ${out.static.map((/** @type {any} */ r) => (r.tps ? r.tps.toFixed(1) : r.error)).join(', ')} tok/s; agree ${out.agree} of ${steps + 1}`);
  await send(name, out, 'done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send(name, out, 'failed');
}
