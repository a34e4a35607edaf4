// @ts-check
/**
 * What one decode step of the writer's GPU graph costs, part by part, with onnxruntime-web alone (the bundle Scout
 * ships, the fused 4-bit SmolLM2 graph from the page's hub): a 924-token prompt in one run, then decode steps with the
 * cache left on the GPU as Scout's runner does. Per step: the time `session.run` takes to return (the runtime's work
 * on the CPU: kernels chosen, shapes, dispatches), then the read-back of the last logits (which waits for the GPU);
 * and the same steps without any read-back (the runtime's pace when nothing waits for the GPU). Token ids are fixed
 * (the timing does not depend on them). Query: `name`, `steps` (default 32). POSTs to `/result?name=NAME`.
 */
const q = new URLSearchParams(location.search);
const name = q.get('name') || 'ort_llm_loop';
const steps = Number(q.get('steps') || 32);
/** @type {Record<string, any>} */
const out = { name, steps };

/** @param {string} src */
const script = (src) =>
  new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = reject;
    document.head.appendChild(s);
  });

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  await script('/ort/ort.webgpu.min.js');
  const ort = /** @type {any} */ (globalThis).ort;
  ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
  ort.env.wasm.numThreads = 4;
  const base = '/hub/HuggingFaceTB/SmolLM2-135M-Instruct';
  const config = await (await fetch(`${base}/config.json`)).json();
  const layers = config.num_hidden_layers;
  const kvHeads = config.num_key_value_heads;
  const headDim = config.head_dim || config.hidden_size / config.num_attention_heads;
  const bytes = new Uint8Array(await (await fetch(`${base}/onnx/model_q4.onnx`)).arrayBuffer());
  /** @type {Record<string, string>} */
  const location_ = { logits: 'gpu-buffer' };
  for (let i = 0; i < layers; i++) {
    location_[`present.${i}.key`] = 'gpu-buffer';
    location_[`present.${i}.value`] = 'gpu-buffer';
  }
  let t = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], preferredOutputLocation: location_ });
  out.session_ms = performance.now() - t;
  out.adapter = ort.env.webgpu.device && ort.env.webgpu.device.adapterInfo
    ? { subgroupMinSize: ort.env.webgpu.device.adapterInfo.subgroupMinSize, vendor: ort.env.webgpu.device.adapterInfo.vendor }
    : null;

  /** @type {any[]} */
  let past = [];
  let cached = 0;
  /** @param {number[]} ids */
  const feeds = (ids) => {
    const n = ids.length;
    const total = cached + n;
    /** @type {Record<string, any>} */
    const f = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(cached + i)), [1, n]),
    };
    for (let i = 0; i < layers; i++) {
      for (const [j, kind] of [[0, 'key'], [1, 'value']]) {
        f[`past_key_values.${i}.${kind}`] = past.length
          ? past[2 * i + /** @type {number} */ (j)]
          : new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
      }
    }
    return f;
  };
  /** One run; returns [ms until run() returned, ms of the read-back (0 when not read)]. @param {number[]} ids @param {boolean} read */
  const step = async (ids, read) => {
    const f = feeds(ids);
    const t0 = performance.now();
    const o = await session.run(f);
    const t1 = performance.now();
    for (const p of past) p.dispose();
    past = [];
    for (let i = 0; i < layers; i++) past.push(o[`present.${i}.key`], o[`present.${i}.value`]);
    cached += ids.length;
    let readMs = 0;
    if (read) {
      const t2 = performance.now();
      await o.logits.getData();
      readMs = performance.now() - t2;
    }
    o.logits.dispose();
    return [t1 - t0, readMs];
  };
  const prompt = Array.from({ length: 924 }, (_, i) => 100 + ((i * 7919) % 40000));
  const runs = [];
  for (let r = 0; r < 3; r++) {
    for (const p of past) p.dispose();
    past = [];
    cached = 0;
    t = performance.now();
    const [runMs, readMs] = await step(prompt, true);
    const prefill = { run_ms: runMs, read_ms: readMs, total_ms: performance.now() - t };
    // Decode, reading the logits back each step (what a sampler needs).
    const withRead = [];
    t = performance.now();
    for (let s = 0; s < steps; s++) withRead.push(await step([500 + s], true));
    const readPeriod = (performance.now() - t) / steps;
    // Decode without read-back: run() returns as soon as the work is queued.
    const noRead = [];
    t = performance.now();
    for (let s = 0; s < steps; s++) noRead.push((await step([600 + s], false))[0]);
    // The queue drains when a later read-back waits for it.
    const t2 = performance.now();
    await past[0].getData();
    const drain = performance.now() - t2;
    const noReadPeriod = (performance.now() - t) / steps;
    runs.push({
      prefill,
      with_read: { period_ms: readPeriod, run_ms: median(withRead.map((x) => x[0])), read_ms: median(withRead.map((x) => x[1])) },
      without_read: { period_ms: noReadPeriod, run_ms: median(noRead), drain_ms: drain },
    });
    fetch('/log', { method: 'POST', body: `[${name}] ${JSON.stringify(runs[runs.length - 1])}` });
  }
  out.runs = runs;
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = 'done';
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = 'failed';
}
