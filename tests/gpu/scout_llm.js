// @ts-check
/**
 * Scout's writer (T2) on a real GPU, outside the extension: the release wasm of the offscreen document downloads a
 * catalog LLM from the page's own server (`/hub/`, the hub's layout), as the options page asks it to, then answers
 * the `generate` benchmark request: a ~1,000-token page to summarize, greedy, a fixed number of new tokens, three
 * runs each with a fresh prompt. Query: `name`, `backend` (auto | webgpu | wasm: the user's preference), `model`
 * (catalog id), `new` (tokens), `runs` (long-prompt runs, default 3), `placement=1` (log ORT's node placement). POSTs what it measured to `/result?name=NAME` (tests/gpu/serve.py).
 */
import init, { configure, handle } from '/wasm/scout.js';
import { hardwareProfile } from '/hardware.js';

const q = new URLSearchParams(location.search);
const name = q.get('name') || 'scout_llm';
const backend = q.get('backend') || 'auto';
const model = q.get('model') || 'smollm2-135m-instruct-q4';
const newTokens = Number(q.get('new') || 64);
/** @type {Record<string, any>} */
const out = { name, backend, model, new_tokens: newTokens, user_agent: navigator.userAgent };
const log = (/** @type {string} */ line) => fetch('/log', { method: 'POST', body: `[${name}] ${line}` });

async function send(/** @type {string} */ title) {
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = title;
}

/** @type {any} */
let hardware = null;
/** @param {object} request @returns {Promise<any>} */
async function ask(request) {
  const settings = { backend, hub: `${location.origin}/hub` };
  const reply = JSON.parse(await handle(JSON.stringify({ v: 1, settings, hardware, request })));
  if (!reply.ok) throw new Error(`${/** @type {any} */ (request).type}: ${JSON.stringify(reply.error)}`);
  return reply;
}

/** The benchmark's messages (as tests/e2e/bench_t2.mjs): the run number first, so no run reuses a cached prefix. */
const messages = (/** @type {string} */ text, /** @type {number} */ n) => [
  { role: 'system', content: `Run ${n}. You are a helpful assistant that summarizes web pages.` },
  { role: 'user', content: `Summarize this page in a few sentences.\n\n${text}` },
];

/** Where ORT puts the GPU graph's nodes: a throw-away session with verbose logging, its placement lines kept. */
async function placement() {
  const ort = /** @type {any} */ (globalThis).ort;
  const bytes = new Uint8Array(await (await fetch('/hub/HuggingFaceTB/SmolLM2-135M-Instruct/onnx/model_q4.onnx')).arrayBuffer());
  /** @type {string[]} */
  const lines = [];
  const keep = (/** @type {any[]} */ a) => { lines.push(a.map(String).join(' ')); };
  const saved = [console.log, console.warn, console.error, console.info];
  console.log = console.warn = console.error = console.info = (...a) => keep(a);
  try {
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0 });
    await s.release();
  } finally {
    [console.log, console.warn, console.error, console.info] = saved;
  }
  return { lines: lines.length, cpu: lines.filter((l) => /CPUExecutionProvider|fallback|Node\(s\) placed|not assigned/i.test(l)).slice(0, 120) };
}

// `profile=1`: Scout's GPU decoder times each kernel of every decode step on the GPU (src/web/gpu_decoder.js).
if (q.get('profile') === '1') /** @type {any} */ (globalThis).scoutGpuProfile = {};

/** Scout's GPU decoder's own counters (src/web/gpu_decoder.js): [ms in calls, calls, ms recording, ms waiting]. */
const gpuStats = () => Array.from(/** @type {any} */ (globalThis).scoutGpuDecoderStats || [0, 0, 0, 0]);

try {
  await init({ module_or_path: '/wasm/scout_bg.wasm' });
  await configure(JSON.stringify({ ortBase: `${location.origin}/ort/`, packageBase: `${location.origin}/` }));
  hardware = await hardwareProfile();
  const inputs = await (await fetch('/inputs.json')).json();
  const status = await ask({ type: 'status' });
  out.backend_choice = status.backend;
  out.probe = status.probe;
  const t = performance.now();
  await ask({ type: 'download', model, consent: true });
  for (;;) {
    const m = (await ask({ type: 'models' })).models.find((/** @type {any} */ x) => x.id === model);
    if (m && m.state === 'ready') break;
    if (!m || !['downloading', 'partial'].includes(m.state)) throw new Error(`download: ${JSON.stringify(m)}`);
    if (performance.now() - t > 120_000) throw new Error('download took over 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  out.download_ms = performance.now() - t;
  log(`downloaded in ${out.download_ms.toFixed(0)} ms; backend ${JSON.stringify(out.backend_choice)}`);
  out.runs = [];
  for (let n = 1; n <= Number(q.get('runs') || 3); n++) {
    const before = gpuStats();
    const r = await ask({ type: 'generate', model, messages: messages(inputs.llm_text, n), max_new_tokens: newTokens, min_new_tokens: newTokens });
    r.gpu_decoder_ms = gpuStats().map((v, i) => v - before[i]);
    out.runs.push(r);
    log(`run ${n}: ${r.decoder} ep ${r.ep} ${JSON.stringify(r.gpu_decoder_ms)}, prompt ${r.prompt_tokens}, first token ${r.time_to_first_token_ms.toFixed(0)} ms, decode ${r.decode_tokens_per_s.toFixed(1)} tok/s, run ${JSON.stringify([r.runtime_ms, r.runtime_runs])}, load ${r.load_ms.toFixed(0)} ms ${JSON.stringify(r.load_steps_ms)} ${r.gpu_error || ''}`);
  }
  // Decode at a short context too: the per-token cost without the long cache.
  const before = gpuStats();
  const short = await ask({ type: 'generate', model, messages: [{ role: 'user', content: 'Write a short story about a lighthouse keeper.' }], max_new_tokens: newTokens, min_new_tokens: newTokens });
  short.gpu_decoder_ms = gpuStats().map((v, i) => v - before[i]);
  out.short = short;
  log(`short: ${short.decoder}, first token ${short.time_to_first_token_ms.toFixed(0)} ms, decode ${short.decode_tokens_per_s.toFixed(1)} tok/s ${JSON.stringify(short.gpu_decoder_ms)}`);
  out.gpu_profile = /** @type {any} */ (globalThis).scoutGpuProfile;
  if (out.gpu_profile) log(`GPU time per decode step (ms, steps): ${JSON.stringify(out.gpu_profile)}`);
  if (q.get('placement') === '1') out.placement = await placement();
  await send('done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send('failed');
}
