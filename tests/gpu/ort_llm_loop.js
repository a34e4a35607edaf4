// @ts-check
/**
 * What one decode step of the writer's GPU graph costs, part by part, with onnxruntime-web alone (the bundle Scout
 * ships, the fused 4-bit SmolLM2 graph from the page's hub): a 924-token prompt in one run, then decode steps with the
 * cache left on the GPU as Scout's runner does. Per step: the time `session.run` takes to return (the runtime's work
 * on the CPU: kernels chosen, shapes, dispatches), then the read-back of the last logits (which waits for the GPU);
 * and the same steps without any read-back (the runtime's pace when nothing waits for the GPU). Token ids are fixed
 * (the timing does not depend on them). Query: `name`, `steps` (default 32). POSTs to `/result?name=NAME`.
 */
import { dynamicFeeds, fixedPrompt, loadDecoder, presentsOnGpu, send } from '/ort_direct.js';

const q = new URLSearchParams(location.search);
const name = q.get('name') || 'ort_llm_loop';
const steps = Number(q.get('steps') || 32);
/** @type {Record<string, any>} */
const out = { name, steps };

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const d = await loadDecoder();
  const { ort, bytes, layers } = d;
  let t = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], preferredOutputLocation: presentsOnGpu(layers, 'gpu-buffer') });
  out.session_ms = performance.now() - t;
  out.adapter = ort.env.webgpu.device && ort.env.webgpu.device.adapterInfo
    ? { subgroupMinSize: ort.env.webgpu.device.adapterInfo.subgroupMinSize, vendor: ort.env.webgpu.device.adapterInfo.vendor }
    : null;

  /** @type {any[]} */
  let past = [];
  let cached = 0;
  /** One run; returns [ms until run() returned, ms of the read-back (0 when not read)]. @param {number[]} ids @param {boolean} read */
  const step = async (ids, read) => {
    const f = dynamicFeeds(d, ids, cached, past);
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
  const prompt = fixedPrompt(924);
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
  await send(name, out, 'done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send(name, out, 'failed');
}
