// @ts-check
/**
 * Scout's engine on a real GPU, outside the extension: the page loads the release wasm and ONNX Runtime Web from the
 * same folders as the offscreen document (`/wasm/`, `/ort/`, `/models/` of a release build), passes the same
 * envelopes to `handle`, and POSTs what it measured to `/result?name=NAME` of the server that serves it
 * (`tests/gpu/serve.py`). Query: `name`, `backend` (auto | webgpu | wasm: the user's preference), `phase` (first:
 * cold start, summaries, texts/s per batch; again: the same profile opened again, the measurement stored).
 * Inputs: `/inputs.json` ({texts: 128-token windows, pages: [{name, words, html}]}, made by make_payload.mjs).
 */
import init, { configure, handle } from '/wasm/scout.js';
import { hardwareProfile } from '/hardware.js';

const q = new URLSearchParams(location.search);
const name = q.get('name') || 'scout';
const backend = q.get('backend') || 'auto';
const phase = q.get('phase') || 'first';
/** @type {Record<string, any>} */
const out = { name, backend, phase, user_agent: navigator.userAgent };
const log = (/** @type {string} */ line) => fetch('/log', { method: 'POST', body: `[${name}] ${line}` });

/** @param {string} path */
async function send(path) {
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = path;
}

/** @type {any} */
let hardware = null;
/** @param {object} request @returns {Promise<any>} */
async function ask(request) {
  const reply = JSON.parse(await handle(JSON.stringify({ v: 1, settings: { backend }, hardware, request })));
  if (!reply.ok) throw new Error(`${/** @type {any} */ (request).type}: ${JSON.stringify(reply.error)}`);
  return reply;
}

/** Each measurement's texts get their own numbered prefix (one word piece): the engine's cache has not seen them. */
let variant = 0;
const fresh = (/** @type {string[]} */ texts) => { variant++; return texts.map((t) => `${variant}. ${t}`); };

/** Texts/s of `texts` on `ep` in batches of `batch`, best of `repeats`, each run on texts not seen before. */
async function textsPerSecond(/** @type {string[]} */ texts, /** @type {string} */ ep, /** @type {number} */ batch, repeats = 3) {
  const ms = [];
  for (let r = 0; r < repeats; r++) {
    const reply = await ask({ type: 'embed', texts: fresh(texts), ep, batch_size: batch });
    if (reply.ep !== ep || reply.vectors.length !== texts.length) throw new Error(`asked ${ep}, ran on ${reply.ep}`);
    ms.push(reply.ms);
  }
  return { texts_per_s: texts.length / (Math.min(...ms) / 1000), ms };
}

const cosine = (/** @type {number[]} */ a, /** @type {number[]} */ b) => a.reduce((s, x, i) => s + x * b[i], 0);

try {
  const t0 = performance.now();
  await init({ module_or_path: '/wasm/scout_bg.wasm' });
  await configure(JSON.stringify({ ortBase: `${location.origin}/ort/`, packageBase: `${location.origin}/` }));
  hardware = await hardwareProfile();
  out.hardware = hardware;
  out.engine_wasm_ms = performance.now() - t0;
  const inputs = await (await fetch('/inputs.json')).json();
  const pages = inputs.pages;
  const page = (/** @type {any} */ p) => ({ url: `https://example.org/${p.name}/`, html: p.html });

  // Click → summary, as the popup asks: the no-model preview, then the T1 summary (the engine starts on the first).
  const summarize = async (/** @type {any} */ p) => {
    const t = performance.now();
    const preview = await ask({ type: 'summarize', page: page(p), preview: true, refresh: true });
    const previewMs = performance.now() - t;
    const full = await ask({ type: 'summarize', page: page(p), tier: 't1', refresh: true });
    return {
      page: p.name, words: p.words, preview_ms: previewMs, t1_ms: performance.now() - t, tier: full.tier, ep: full.ep,
      timings: full.timings, sentences: full.summary.sentences.map((/** @type {any} */ s) => s.index),
      preview_tier: preview.tier,
    };
  };
  out.cold = await summarize(pages[0]);
  out.status = await ask({ type: 'status' });
  log(`cold ${JSON.stringify(out.cold)} status ${JSON.stringify(out.status).slice(0, 800)}`);
  out.warm = [];
  for (const p of pages.slice(1, 4)) out.warm.push(await summarize(p));
  if (phase === 'first') {
    const texts = inputs.texts;
    /** @type {Record<string, any>} */
    const tps = {};
    const eps = (out.status.backend && out.status.backend.ep === 'webgpu') || backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
    for (const ep of eps) {
      await ask({ type: 'embed', texts: fresh(texts.slice(0, 16)), ep, batch_size: 16 }); // warm-up, both shapes
      await ask({ type: 'embed', texts: fresh(texts.slice(0, 2)), ep, batch_size: 1 });
      for (const batch of ep === 'webgpu' ? [1, 16, 64] : [1, 16]) {
        tps[`${ep}_b${batch}`] = await textsPerSecond(texts, ep, batch);
        log(`${ep} b${batch}: ${tps[`${ep}_b${batch}`].texts_per_s.toFixed(1)} texts/s`);
      }
    }
    // The GPU graph against the WASM graph on the same texts: how close the vectors are.
    if (eps.length === 2) {
      const xs = fresh(texts);
      const [gpu, cpu] = [await ask({ type: 'embed', texts: xs, ep: 'webgpu' }), await ask({ type: 'embed', texts: xs, ep: 'wasm' })];
      const cos = gpu.vectors.map((/** @type {number[]} */ v, /** @type {number} */ i) => cosine(v, cpu.vectors[i]));
      out.webgpu_vs_wasm_cosine = { min: Math.min(...cos), mean: cos.reduce((a, b) => a + b, 0) / cos.length };
    }
    out.texts_per_s = tps;
  }
  // The backend at the end (a first start on a hardware adapter measures both once the engine is idle).
  out.status_end = await ask({ type: 'status' });
  await send('done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send('failed');
}
