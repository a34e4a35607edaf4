// @ts-check
/**
 * The T2 section of `cargo xtask bench`: SmolLM2-135M (int8, the test hub's file) writing on the CPU in the
 * extension (Scout's int8 decoder, which reads that file's weights), against Transformers.js on the very same files
 * in the same browser (its own page, 2 threads, `dtype: 'q8'`), and against native ONNX Runtime through the CLI.
 * Both browser sides get the same chat messages (a page of ~1,000 tokens to summarize), rendered by the model's own chat template, and decode greedily a fixed number of
 * tokens (EOS suppressed until then, so both decode the same count). Each pair of runs is back to back with a
 * fresh prompt (a run number at the start: no cached prefix helps either side); the best of the runs is kept.
 *
 * Figures: session ready (loading the model until it can run), time to first token (prefill), decode tokens/s;
 * the offscreen document's memory while generating; and, through the extension's own flow, the time to the first
 * token and to the complete key-points/short summary of a ~2,000-word page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, HUB_DIR, startHub, recordProgress, chromiumRss } from './harness.mjs';
import { askOk, errText, millis, nativeCli, times, withTimeout } from './bench_util.mjs';
import { openTjsPage } from './tjs_page.mjs';

const MODEL = 'smollm2-135m-instruct-int8';
const HUB_REPO = 'HuggingFaceTB/SmolLM2-135M-Instruct';
/** Tokens each side decodes per run. */
const NEW_TOKENS = 64;
/** Paired runs (best kept). */
const RUNS = 3;
/** Words of page text in the prompt: ~1,000 tokens with the template. */
const PAGE_WORDS = 700;
/** Goals from the issue: Scout over Transformers.js. */
const GOALS = { decode: 1.5, ttft: 0.5, ready: 0.5 };
const GEN_TIMEOUT_MS = 300_000;

/**
 * The messages of run `n`: the run number first, so no run reuses another's cached prefix.
 * @param {string} text @param {number} n
 */
export function messages(text, n) {
  return [
    { role: 'system', content: `Run ${n}. You are a helpful assistant that summarizes web pages.` },
    { role: 'user', content: `Summarize this page in a few sentences.\n\n${text}` },
  ];
}

/** A corpus article's text, cut to PAGE_WORDS words. */
export function pageText() {
  const html = fs.readFileSync(path.join(ROOT, 'assets/sample/article.html'), 'utf8');
  const words = html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z]+;/g, ' ').split(/\s+/).filter(Boolean);
  const out = [];
  while (out.length < PAGE_WORDS) out.push(...words.slice(0, PAGE_WORDS - out.length));
  return out.join(' ');
}

/**
 * Transformers.js on the test hub's SmolLM2 files, in its own page of `ctx` (see tjs_page.mjs).
 * @param {import('playwright-core').BrowserContext} ctx
 */
async function transformersJsPage(ctx) {
  const tjs = await openTjsPage(ctx, HUB_DIR);
  try {
    const loaded = await withTimeout(tjs.page.evaluate(async (model) => {
      const T = /** @type {any} */ (globalThis).__T;
      const t0 = performance.now();
      const tokenizer = await T.AutoTokenizer.from_pretrained(model);
      const lm = await T.AutoModelForCausalLM.from_pretrained(model, { device: 'wasm', dtype: 'q8' });
      /** @type {any} */ (globalThis).__tjs = { tokenizer, lm };
      return performance.now() - t0;
    }, HUB_REPO), GEN_TIMEOUT_MS, 'Transformers.js load');
    /**
     * Greedy generation of `n` tokens (EOS suppressed until then), timed per token through a streamer.
     * @param {{role: string, content: string}[]} msgs @param {number} n
     */
    const generate = (msgs, n) => withTimeout(tjs.page.evaluate(async ({ msgs, n }) => {
      const { tokenizer, lm } = /** @type {any} */ (globalThis).__tjs;
      const t0 = performance.now();
      const inputs = tokenizer.apply_chat_template(msgs, { add_generation_prompt: true, return_dict: true });
      /** @type {number[]} */
      const at = [];
      // The streamer sees the prompt first (one row of many ids), then one id per step.
      const streamer = { put: (/** @type {any} */ v) => { if (v[0].length === 1) at.push(performance.now()); }, end: () => {} };
      const out = await lm.generate({ ...inputs, max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer });
      const end = performance.now();
      const prompt = inputs.input_ids.dims[1];
      return {
        prompt_tokens: prompt,
        generated_tokens: out.dims[1] - prompt,
        time_to_first_token_ms: at[0] - t0,
        decode_tokens_per_s: (at.length - 1) / ((at[at.length - 1] - at[0]) / 1000),
        total_ms: end - t0,
        text: tokenizer.decode(out.slice(null, [prompt, null]).tolist()[0], { skip_special_tokens: true }),
      };
    }, { msgs, n }), GEN_TIMEOUT_MS, 'Transformers.js generate');
    return { setup: { ...tjs.setup, load_ms: loaded }, generate, outside: tjs.outside, close: tjs.close };
  } catch (e) {
    await tjs.close();
    throw e;
  }
}

/**
 * `p` while the extension's processes are sampled every 100 ms: resolves to its value and their peak RSS.
 * @template T @param {Promise<T>} p @returns {Promise<{value: T, peak: number}>}
 */
async function withPeakRss(p) {
  let peak = chromiumRss().extension;
  const timer = setInterval(() => { peak = Math.max(peak, chromiumRss().extension); }, 100);
  try {
    const value = await p;
    return { value, peak: Math.max(peak, chromiumRss().extension) };
  } finally {
    clearInterval(timer);
  }
}

/** Native ONNX Runtime on the same file, through the CLI (`scout generate`, brought up to date once per run). @param {any[]} msgs */
function nativeGenerate(msgs) {
  const { bin } = nativeCli();
  const file = path.join(os.tmpdir(), `scout-bench-messages-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(msgs));
  const r = spawnSync(bin, ['generate', file, '--model', path.join(HUB_DIR, HUB_REPO), '--max-tokens', String(NEW_TOKENS), '--min-tokens', String(NEW_TOKENS), '--threads', '2', '--decoder', 'onnx', '--json'], { encoding: 'utf8' });
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`scout generate: ${(r.stderr || '').slice(-400)}`);
  return JSON.parse(r.stdout);
}

/**
 * The T2 section.
 * @param {import('playwright-core').BrowserContext} ctx @param {import('playwright-core').Page} extPage an extension page
 * @param {{metric: string, scout: string, peer?: string, ratio?: string}[]} rows @param {Record<string, any>} out
 * @param {string} articleUrl a ~2,000-word page served locally, for the extension's own summary flow
 * @param {(url: string) => Promise<number>} openTab opens a page and returns its tab id
 */
export async function t2Bench(ctx, extPage, rows, out, articleUrl, openTab) {
  const hub = await startHub();
  /** @type {Awaited<ReturnType<typeof transformersJsPage>> | null} */
  let tjs = null;
  try {
    await extPage.evaluate(async (h) => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...(settings || {}), hub: h } });
    }, hub.base);
    const progress = await recordProgress(extPage);
    await askOk(extPage, { type: 'download', model: MODEL, consent: true });
    const done = await progress.final(MODEL);
    if (done.state !== 'ready') throw new Error(`download: ${JSON.stringify(done)}`);

    const text = pageText();
    const scoutRuns = [];
    const tjsRuns = [];
    // The extension's processes (RSS): before the model is loaded, and their peak in the first run (load and
    // generation) and in the later ones (generation only).
    const memory = { before: chromiumRss().extension, peak_first: 0, peak_later: 0, wasm: 0 };
    tjs = await transformersJsPage(ctx);
    out.transformers_js_version = tjs.setup.version;
    out.transformers_js_ort = tjs.setup.ort && tjs.setup.ort.web;
    out.transformers_js_load_ms = tjs.setup.load_ms;
    if (!tjs.setup.isolated) throw new Error('the Transformers.js page is not cross-origin isolated (no threads)');
    for (let i = 0; i < RUNS; i++) {
      const msgs = messages(text, i + 1);
      const { value: s, peak } = await withPeakRss(askOk(extPage, { type: 'generate', model: MODEL, messages: msgs, max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS }, GEN_TIMEOUT_MS));
      if (i === 0) memory.peak_first = peak; else memory.peak_later = Math.max(memory.peak_later, peak);
      memory.wasm = (await askOk(extPage, { type: 'status' })).wasm_memory_bytes;
      scoutRuns.push(s);
      tjsRuns.push(await tjs.generate(msgs, NEW_TOKENS));
    }
    out.scout_runs = scoutRuns.map(({ text: _t, ...r }) => r);
    out.transformers_js_runs = tjsRuns.map(({ text: _t, ...r }) => r);
    out.scout_text = scoutRuns[0].text;
    out.transformers_js_text = tjsRuns[0].text;
    out.outside_requests = tjs.outside;
    if (tjs.outside.length) throw new Error(`the Transformers.js page requested outside hosts: ${tjs.outside.slice(0, 3).join(', ')}`);
    const best = (/** @type {any[]} */ runs) => ({
      ttft: Math.min(...runs.map((r) => r.time_to_first_token_ms)),
      decode: Math.max(...runs.map((r) => r.decode_tokens_per_s)),
      prompt: runs[0].prompt_tokens,
    });
    const S = best(scoutRuns);
    const J = best(tjsRuns);
    const ready = scoutRuns[0].load_ms;
    Object.assign(out, { scout_ready_ms: ready, scout: S, transformers_js: J, memory });
    /** @type {{ttft: number, decode: number, ready: number} | null} */
    let native = null;
    try {
      const n = nativeGenerate(messages(text, RUNS + 1));
      native = { ttft: n.time_to_first_token_ms, decode: n.decode_tokens_per_s, ready: n.load_ms };
      out.native = n;
    } catch (e) {
      out.native_error = errText(e);
    }
    out.goals = GOALS;
    rows.push({ metric: `T2: SmolLM2-135M int8, WASM, ${S.prompt}-token prompt, ${NEW_TOKENS} tokens greedy`, scout: '', peer: `Transformers.js ${tjs.setup.version} (ORT-web ${out.transformers_js_ort}), 2 threads, same files` });
    const row = (/** @type {string} */ metric, /** @type {number} */ s, /** @type {number} */ j, /** @type {(x: number) => string} */ fmt, /** @type {number} */ goal, /** @type {boolean} */ higher, /** @type {number | undefined} */ nat) => rows.push({
      metric,
      scout: fmt(s),
      peer: `${fmt(j)} Transformers.js${nat === undefined ? '' : `; native ORT ${fmt(nat)} (Scout ${times(higher ? s / nat : nat / s)} of native)`}`,
      ratio: `${times(s / j)} (goal ${higher ? '≥' : '≤'} ${goal.toFixed(2)})`,
    });
    const tps = (/** @type {number} */ x) => `${x.toFixed(1)} tok/s`;
    row('  session ready (load → can run)', ready, tjs.setup.load_ms, millis, GOALS.ready, false, native?.ready);
    const steps = /** @type {[string, number][]} */ (scoutRuns[0].load_steps_ms || []);
    if (steps.length) rows.push({ metric: '    its steps', scout: steps.map(([name, ms]) => `${name} ${millis(ms)}`).join(', ') });
    const threads = scoutRuns[0].decoder_threads || 0;
    rows.push({ metric: '    runtime', scout: threads ? `Scout's int8 decoder, ${threads} thread${threads > 1 ? 's' : ''} (key/value cache in its own memory)` : `ONNX Runtime Web (key/value cache ${scoutRuns[0].cache_in_runtime ? 'kept in its heap by the WASM bridge' : 'copied out and back in'})` });
    row('  time to first token', S.ttft, J.ttft, millis, GOALS.ttft, false, native?.ttft);
    row('  decode', S.decode, J.decode, tps, GOALS.decode, true, native?.decode);
    const mb = (/** @type {number} */ x) => `${(x / 1e6).toFixed(0)} MB`;
    rows.push({ metric: '  extension processes (RSS): before load → peak loading+generating, peak generating', scout: `${mb(memory.before)} → ${mb(memory.peak_first)}, ${mb(memory.peak_later)} (engine's own wasm ${mb(memory.wasm)})` });
    if (!native) rows.push({ metric: '  native ONNX Runtime', scout: `error: ${out.native_error}` });

    // The extension's own flow on a ~2,000-word page: the write request the popup sends after T0/T1.
    // Timed from the request to the first streamed text (what the user sees) and to the reply.
    const tabId = await openTab(articleUrl);
    const w = await withTimeout(extPage.evaluate(async (m) => {
      const { PROTOCOL_VERSION } = await import('./protocol.js');
      const ch = new BroadcastChannel('scout-stream');
      let first = 0;
      ch.onmessage = (ev) => { const e = JSON.parse(ev.data); if (e.stream === m.stream && e.kind === 'text' && !first) first = performance.now(); };
      const t0 = performance.now();
      const reply = await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, type: 'write', ...m });
      ch.close();
      return { reply, first_ms: first - t0, total_ms: performance.now() - t0 };
    }, { tabId, stream: 'bench-page', model: MODEL, job: { kind: 'summary', options: { type: 'key-points', length: 'short' } } }), GEN_TIMEOUT_MS, 'T2 page summary');
    if (!w.reply.ok) throw new Error(`write: ${JSON.stringify(w.reply.error)}`);
    const r = w.reply;
    out.page_summary = { first_text_ms: w.first_ms, total_ms: w.total_ms, coverage: r.coverage, parts: r.parts, prompt_tokens: r.prompt_tokens, text: r.text };
    rows.push({ metric: '  ~2,000-word page, key points/short: first text, complete', scout: `${millis(w.first_ms)}, ${millis(w.total_ms)} (read ${(r.coverage * 100).toFixed(0)} % in ${r.parts} part${r.parts > 1 ? 's' : ''})` });
  } finally {
    if (tjs) await tjs.close();
    await hub.close();
  }
}
