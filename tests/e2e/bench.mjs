// @ts-check
/**
 * Scout's benchmarks, in one run: package sizes, cold start to the first T1 summary, MiniLM embedding throughput
 * on the CPU (Scout's int8 encoder, WASM) against native ONNX Runtime (the same weights as an int8 ONNX graph, same
 * batch size) and against Transformers.js (WASM, in the same browser, same tokenizer; once on that int8 graph and
 * once on the PyPI file both are built from), click →
 * T1 summary of a ~2,000-word page (first launch, warm, after a browser restart), article extraction speed
 * against Readability.js in the same browser, and T2 (SmolLM2-135M writing) against Transformers.js and native
 * ONNX Runtime (bench_t2.mjs).
 *
 *   node tests/e2e/bench.mjs <test-dist-dir> <release-dist-dir>      (what `cargo xtask bench` runs)
 *
 * Prints a table and writes target/bench/report.json. A metric that fails is reported as `error: …` and the
 * others still run; the exit code is non-zero only when the extension cannot be loaded at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import { ROOT, CORPUS, CACHE_DIR, startServer, launch, tempProfile, openPage, tabIdOf, openExtensionPage, ask, auditNetLog } from './harness.mjs';
import { REQUEST_TIMEOUT_MS, askOk, bytes, errText, median, millis, nativeCli, times, withTimeout } from './bench_util.mjs';
import { t2Bench } from './bench_t2.mjs';
import { openTjsPage, writeBertConfig } from './tjs_page.mjs';
import { corpusPages, embeddingInputs, variant } from './embed_inputs.mjs';

const TEST_DIST = path.resolve(process.argv[2] || path.join(ROOT, 'target/dist-test'));
const RELEASE_DIST = path.resolve(process.argv[3] || path.join(ROOT, 'dist'));
const REPORT = path.join(ROOT, 'target/bench/report.json');

/**
 * Texts per embedding measurement, and how many times each is repeated. We keep the fastest repeat, on both
 * sides: other load on a 2-core machine only ever slows a run down, so the minimum is the least disturbed one.
 */
const EMBED_REPEATS = 3;
/** Scout's embeddings over the Transformers.js ones (texts/s), at both batch sizes: the goal. */
const TJS_GOAL_RATIO = 1.3;
/** Model id the Transformers.js peer loads; served from a local folder in the Hugging Face / Transformers.js layout. */
const TJS_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
/** Runs per corpus page and extractor (median kept): a single run is at the mercy of GC pauses. */
const EXTRACT_RUNS = 3;
/** Upper bound on a summary (a hung engine becomes an error row, not a hung benchmark). */
const SUMMARY_TIMEOUT_MS = 180_000;

/**
 * One row of the printed table.
 * @typedef {{metric: string, scout: string, peer?: string, ratio?: string}} Row
 */

/** @type {Row[]} */
const rows = [];
/** Everything measured, by section; a failed section holds `{error}`. @type {Record<string, any>} */
const report = { date: new Date().toISOString(), test_dist: TEST_DIST, release_dist: RELEASE_DIST };
/** The embedding inputs, shared with the Transformers.js peer. @type {{texts: string[]} | null} */
let embedShared = null;

/**
 * Run one section; on failure record the error for its rows and go on.
 * @param {string} name key in the report
 * @param {string[]} metrics rows that show the error if the section fails
 * @param {() => Promise<void>} fn
 */
async function section(name, metrics, fn) {
  // SCOUT_BENCH_ONLY=a,b runs only those sections (and the cold start the others need): for working on one.
  const only = (process.env.SCOUT_BENCH_ONLY || '').split(',').filter(Boolean);
  if (only.length && !only.includes(name) && name !== 'cold_start' && name !== 'machine') return;
  const before = rows.length;
  try {
    await fn();
  } catch (e) {
    report[name] = { ...(report[name] || {}), error: errText(e) };
    rows.splice(before); // rows of a half-finished section would mix real numbers with missing ones
    for (const metric of metrics) rows.push({ metric, scout: `error: ${errText(e)}` });
  }
}

/** Total bytes of the regular files under `dir`. @param {string} dir @returns {number} */
function dirBytes(dir) {
  let total = 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) total += dirBytes(p);
    else if (ent.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

// ---------- native CLI ----------


/**
 * Embed with native ONNX Runtime through the CLI (`--graph onnx`: the int8 ONNX graph of the bundled weights). Its `ms` covers only embedding (model loading happens before
 * its clock starts), so process start does not count.
 * @param {string[]} texts @returns {number} ms
 */
function nativeEmbedMs(texts, /** @type {number} */ batch) {
  const env = { ...process.env };
  env.ORT_DYLIB_PATH ||= path.join(CACHE_DIR, 'onnxruntime/libonnxruntime.so.1.32.0');
  const { bin } = nativeCli();
  const r = spawnSync(bin, ['embed', '--graph', 'onnx', '--batch', String(batch)], { input: JSON.stringify(texts), env, encoding: 'utf8', timeout: REQUEST_TIMEOUT_MS, maxBuffer: 64 << 20 });
  let reply;
  try { reply = JSON.parse(r.stdout); } catch { throw new Error(`scout embed: ${(r.stderr || r.error || 'no output').toString().trim().split('\n').pop()}`); }
  if (!reply.ok) throw new Error(`scout embed: ${reply.error && reply.error.message}`);
  if (reply.vectors.length !== texts.length) throw new Error(`scout embed returned ${reply.vectors.length} vectors`);
  return reply.ms;
}

// ---------- sections ----------

function measureSizes() {
  const wasm = fs.readFileSync(path.join(RELEASE_DIST, 'wasm/scout_bg.wasm'));
  const gzip = zlib.gzipSync(wasm, { level: 9 }).length;
  const sizes = {
    wasm_bytes: wasm.length,
    wasm_gzip_bytes: gzip,
    dist_bytes: dirBytes(RELEASE_DIST),
    ort_bytes: dirBytes(path.join(RELEASE_DIST, 'ort')),
    models_bytes: dirBytes(path.join(RELEASE_DIST, 'models')),
  };
  report.sizes = sizes;
  rows.push(
    { metric: 'wasm/scout_bg.wasm (raw)', scout: bytes(sizes.wasm_bytes) },
    { metric: 'wasm/scout_bg.wasm (gzip -9)', scout: bytes(sizes.wasm_gzip_bytes), ratio: `${times(gzip / wasm.length)} of raw` },
    { metric: 'release dist total', scout: bytes(sizes.dist_bytes) },
    { metric: '  of which ort/', scout: bytes(sizes.ort_bytes) },
    { metric: '  of which models/', scout: bytes(sizes.models_bytes) },
  );
}

/**
 * @typedef {{ctx: import('playwright-core').BrowserContext, sw: import('playwright-core').Worker, extensionId: string, profile: string}} Browser
 */

/** The engine's own breakdown of a summary. @param {any} t @returns {string} */
const engineTimings = (t) => [t.extract_ms, t.embed_ms, t.rank_ms, t.total_ms].map((x) => x.toFixed(0)).join(' / ') + ' ms';

/**
 * Launch (the clock starts before launch(): a fresh profile, as after install) and summarize the sample article.
 * Returns the browser and an extension page for the other sections.
 * @param {string} base server URL
 * @returns {Promise<Browser & {page: import('playwright-core').Page}>}
 */
async function coldStart(base) {
  const url = `${base}/sample/article.html`;
  const t0 = performance.now();
  /** @type {Browser} */
  let b;
  try {
    b = await withTimeout(launch({ dist: TEST_DIST }), 60_000, 'launch');
  } catch (e) {
    throw Object.assign(new Error(`the extension did not load: ${errText(e)}`), { fatal: true });
  }
  const tLaunched = performance.now();
  report.cold_start = { launch_ms: tLaunched - t0 };
  await section('cold_start', ['cold start: launch → first T1 summary', 'warm summaries'], async () => {
    await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const page = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    // T1 explicitly: "auto" may pick another tier as models are added, and this number tracks the T1 path.
    const first = await askOk(page, { type: 'summarize', tabId, tier: 't1' }, SUMMARY_TIMEOUT_MS);
    const tFirst = performance.now();
    if (first.tier !== 'T1') throw new Error(`got tier ${first.tier}: ${first.fallback_reason && first.fallback_reason.text}`);
    const status = await askOk(page, { type: 'status' });
    const t1 = performance.now();
    const warm = await askOk(page, { type: 'summarize', tabId, tier: 't1', refresh: true }, SUMMARY_TIMEOUT_MS);
    const warmWall = performance.now() - t1;
    if (warm.cached) throw new Error('the refreshed summary came from storage');
    // A refresh reuses the engine's in-memory embeddings of the same sentences; a page it has not seen shows what
    // a warm engine costs when the model has to run.
    const other = `${base}/corpus/${corpusPages()[0]}/`;
    await openPage(b.ctx, other);
    const otherTab = await tabIdOf(b.sw, other);
    const t2 = performance.now();
    const fresh = await askOk(page, { type: 'summarize', tabId: otherTab, tier: 't1', refresh: true }, SUMMARY_TIMEOUT_MS);
    const freshWall = performance.now() - t2;
    Object.assign(report.cold_start, {
      first_summary_ms: tFirst - t0,
      first_summary_after_launch_ms: tFirst - tLaunched,
      engine_init_ms: status.init_ms,
      ep: first.ep,
      first_timings: first.timings,
      warm_wall_ms: warmWall,
      warm_timings: warm.timings,
      warm_new_page: { page: corpusPages()[0], words: fresh.word_count, wall_ms: freshWall, timings: fresh.timings },
    });
    rows.push(
      { metric: 'cold start: launch → first T1 summary', scout: millis(tFirst - t0) },
      { metric: '  launch → service worker up', scout: millis(tLaunched - t0) },
      { metric: '  engine init (wasm, tokenizer, model)', scout: status.init_ms == null ? '?' : millis(status.init_ms) },
      { metric: '  engine: extract / embed / rank / total', scout: engineTimings(first.timings) },
      { metric: 'warm summary (refresh: true), wall', scout: millis(warmWall) },
      { metric: '  engine: extract / embed / rank / total', scout: engineTimings(warm.timings) },
      { metric: `warm summary, unseen page (${fresh.word_count} words), wall`, scout: millis(freshWall) },
      { metric: '  engine: extract / embed / rank / total', scout: engineTimings(fresh.timings) },
    );
    await page.close();
  });
  return { ...b, page: await openExtensionPage(b.ctx, b.extensionId, 'options.html') };
}

/** Word counts of the corpus articles as Scout extracts them (for picking pages of a given length). */
async function articleWords(/** @type {import('playwright-core').Page} */ page) {
  /** @type {{name: string, words: number}[]} */
  const out = [];
  for (const name of corpusPages()) {
    const html = fs.readFileSync(path.join(CORPUS, name, 'source.html'), 'utf8');
    const r = await ask(page, { type: 'extract', html, url: 'https://example.com/' });
    if (r.ok) out.push({ name, words: r.article.word_count });
  }
  return out;
}

/**
 * Click → summary in the popup, as a user sees it: the popup pre-warms the engine when it opens, the click comes
 * right after; the times of the first summary shown (the no-model preview) and of the T1 one are recorded.
 * @param {Browser} b @param {string} url
 */
async function popupClick(b, url) {
  await openPage(b.ctx, url);
  const tabId = await tabIdOf(b.sw, url);
  const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
  await popup.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__badges = [];
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid=tier]');
      if (t && (!w.__badges.length || w.__badges.at(-1).text !== t.textContent)) w.__badges.push({ text: t.textContent, ms: performance.now() - w.__clicked });
    }).observe(document.body, { childList: true, subtree: true });
    w.__clicked = performance.now();
  });
  await popup.click('#summarize');
  await popup.waitForSelector('body[data-state]', { timeout: SUMMARY_TIMEOUT_MS });
  const badges = await popup.evaluate(() => /** @type {any} */ (window).__badges);
  const shown = (await popup.textContent('#result') || '').slice(0, 200);
  const timings = await popup.textContent('[data-testid=timings]').catch(() => null);
  await popup.close();
  const first = badges[0];
  const last = badges.at(-1);
  if (!last || !/T1/.test(last.text)) throw new Error(`no T1 summary for ${url}: ${JSON.stringify(badges)} ${shown}`);
  return { first_shown_ms: first.ms, first_tier: first.text, t1_ms: last.ms, engine_timings: timings };
}

/**
 * The issue's figure: click → T1 summary of a ~2,000-word page, cold (a fresh browser: the engine starts when the
 * popup opens), warm (the engine is up, the page is new to it), and cold again after a browser restart with the
 * same profile (the common case: Chromium keeps the runtime's compiled code in its cache).
 * @param {string} base @param {import('playwright-core').Page} extPage a page of the running benchmark browser
 */
async function longPage(base, extPage) {
  const pages = (await articleWords(extPage)).sort((a, b) => Math.abs(a.words - 2000) - Math.abs(b.words - 2000));
  const [coldPage, warmPage, restartPage] = pages;
  const profile = tempProfile();
  /** Where an engine start went, from the status reply. @param {any} status */
  const phases = (status) => `${millis(status.init_ms)}: ${(status.init_phases || []).map((/** @type {{name: string, ms: number}} */ p) => `${p.name} ${millis(p.ms)}`).join(', ')}`;
  let b = await launch({ dist: TEST_DIST, profile });
  try {
    const cold = await popupClick(b, `${base}/corpus/${coldPage.name}/`);
    // Where the cold time went: the engine's start (runtime, session, first run) and the request's own parts.
    const status = await askOk(await openExtensionPage(b.ctx, b.extensionId, 'options.html'), { type: 'status' });
    const warm = await popupClick(b, `${base}/corpus/${warmPage.name}/`);
    // The everyday cold start: the browser restarted with the same profile (Chromium now has the runtime's compiled
    // code in its cache), on a page the extension has not seen.
    await b.ctx.close();
    b = await launch({ dist: TEST_DIST, profile });
    const restart = await popupClick(b, `${base}/corpus/${restartPage.name}/`);
    const restartStatus = await askOk(await openExtensionPage(b.ctx, b.extensionId, 'options.html'), { type: 'status' });
    report.long_page = {
      goal_cold_ms: 1500,
      cold: { page: coldPage, ...cold, engine_init_ms: status.init_ms, engine_init_phases: status.init_phases },
      warm: { page: warmPage, ...warm },
      restart: { page: restartPage, ...restart, engine_init_ms: restartStatus.init_ms, engine_init_phases: restartStatus.init_phases },
    };
    rows.push(
      { metric: `click → T1 summary, ${coldPage.words}-word page, cold: first launch (goal 1.5 s)`, scout: millis(cold.t1_ms) },
      { metric: '  engine start', scout: phases(status) },
      { metric: '  the request (engine timings)', scout: cold.engine_timings || 'n/a' },
      { metric: '  click → first summary shown (no-model preview)', scout: millis(cold.first_shown_ms) },
      { metric: `click → T1 summary, ${restartPage.words}-word page, cold: after a browser restart`, scout: millis(restart.t1_ms) },
      { metric: '  engine start', scout: phases(restartStatus) },
      { metric: '  the request (engine timings)', scout: restart.engine_timings || 'n/a' },
      { metric: '  click → first summary shown (no-model preview)', scout: millis(restart.first_shown_ms) },
      { metric: `click → T1 summary, ${warmPage.words}-word page, warm`, scout: millis(warm.t1_ms) },
      { metric: '  click → first summary shown (no-model preview)', scout: millis(warm.first_shown_ms) },
    );
  } finally {
    await b.ctx.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** @param {import('playwright-core').Page} page */
async function embeddings(page) {
  const tokenizer = path.join(TEST_DIST, 'models/all-minilm-l6-v2-int8/tokenizer.json');
  const { texts, words, tokens } = embeddingInputs(tokenizer);
  embedShared = { texts }; // the Transformers.js peer embeds the same texts
  report.embed = { texts: texts.length, mean_words: words, mean_tokens: tokens, repeats: EMBED_REPEATS };
  let next = 0; // variant counter: no two measurements share a text (see `variant`)
  // The first runs after session creation are slower (see platform-notes): warm up with both batch shapes.
  await askOk(page, { type: 'embed', texts: variant(texts.slice(0, 16), next++), ep: 'wasm', batch_size: 16 });
  await askOk(page, { type: 'embed', texts: variant(texts.slice(0, 2), next++), ep: 'wasm', batch_size: 1 });

  /** @type {Record<string, number>} texts/s by batch size */
  const wasm = {};
  for (const batch of [1, 16]) {
    const ms = [];
    for (let i = 0; i < EMBED_REPEATS; i++) {
      const r = await askOk(page, { type: 'embed', texts: variant(texts, next++), ep: 'wasm', batch_size: batch });
      if (r.ep !== 'wasm' || r.vectors.length !== texts.length) throw new Error(`embed replied ep=${r.ep} with ${r.vectors.length} vectors`);
      ms.push(r.ms);
    }
    wasm[batch] = texts.length / (Math.min(...ms) / 1000);
    report.embed[`wasm_b${batch}_ms`] = ms;
  }

  /** @type {Record<string, number>} native texts/s by batch size */
  const native = {};
  let nativeNote = '';
  try {
    for (const batch of [1, 16]) {
      // A fresh process has an empty cache, but the same prefixed texts keep the token counts identical.
      const ms = Array.from({ length: EMBED_REPEATS }, () => nativeEmbedMs(variant(texts, 0), batch));
      native[batch] = texts.length / (Math.min(...ms) / 1000);
      report.embed[`native_b${batch}_ms`] = ms;
      report.embed[`native_b${batch}_texts_per_s`] = native[batch];
    }
    report.embed.native_build = nativeCli().profile;
  } catch (e) {
    nativeNote = `error: ${errText(e)}`;
    report.embed.native_error = errText(e);
  }
  rows.push({ metric: 'MiniLM embedding inputs', scout: `${texts.length} texts, ~${Math.round(words)} words / ${Math.round(tokens)} tokens, best of ${EMBED_REPEATS}` });
  for (const batch of [1, 16]) {
    report.embed[`wasm_b${batch}_texts_per_s`] = wasm[batch];
    rows.push({
      metric: `  texts/s, WASM b=${batch} vs native b=${batch}`,
      scout: wasm[batch].toFixed(1),
      peer: nativeNote || `${native[batch].toFixed(1)} native ORT (${report.embed.native_build} CLI)`,
      ratio: nativeNote ? '' : `${times(wasm[batch] / native[batch])} (goal ≥ 0.60)`,
    });
  }
}

/** @param {import('playwright-core').Page} page */
async function extraction(page, /** @type {string} */ base) {
  // Readability.js is a CommonJS file: give it a `module` and keep the export. Evaluated as an expression through
  // DevTools, so the extension's CSP (no eval) does not apply; it then runs in the same page, on the same engine.
  const source = fs.readFileSync(createRequire(import.meta.url).resolve('@mozilla/readability/Readability.js'), 'utf8');
  await page.evaluate(`(() => { const module = { exports: {} }; ${source}\n; globalThis.__Readability = module.exports; })()`);

  // Both return their run times and the length of the text they extracted (so the report shows real work was done).
  /** @param {string} html @returns {Promise<{ms: number[], chars: number}>} */
  const readability = (html) => page.evaluate(({ html, runs }) => {
    const R = /** @type {any} */ (globalThis).__Readability;
    const ms = [];
    let article = null;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      article = new R(new DOMParser().parseFromString(html, 'text/html')).parse();
      ms.push(performance.now() - t);
    }
    return { ms, chars: article && article.textContent ? article.textContent.length : 0 };
  }, { html, runs: EXTRACT_RUNS });
  /** @param {string} html @param {string} url @returns {Promise<{ms: number[], chars: number}>} */
  const scout = async (html, url) => {
    const ms = [];
    let chars = 0;
    for (let i = 0; i < EXTRACT_RUNS; i++) {
      const r = await askOk(page, { type: 'extract', html, url });
      ms.push(r.ms);
      chars = (r.article && r.article.text || '').length;
    }
    return { ms, chars };
  };

  const pages = corpusPages();
  // One untimed pass over the first page so neither extractor pays its first-call costs in the numbers.
  const first = fs.readFileSync(path.join(CORPUS, pages[0], 'source.html'), 'utf8');
  await scout(first, `${base}/corpus/${pages[0]}/`);
  await readability(first);

  /** @type {{page: string, bytes: number, scout_ms?: number, readability_ms?: number, scout_chars?: number, readability_chars?: number, error?: string}[]} */
  const perPage = [];
  for (const name of pages) {
    const html = fs.readFileSync(path.join(CORPUS, name, 'source.html'), 'utf8');
    const entry = { page: name, bytes: Buffer.byteLength(html) };
    try {
      const s = await scout(html, `${base}/corpus/${name}/`);
      const r = await readability(html);
      Object.assign(entry, { scout_ms: median(s.ms), readability_ms: median(r.ms), scout_chars: s.chars, readability_chars: r.chars });
    } catch (e) {
      Object.assign(entry, { error: errText(e) });
    }
    perPage.push(entry);
  }
  const ok = perPage.filter((p) => p.error === undefined);
  if (!ok.length) throw new Error(`every page failed, e.g. ${perPage[0] && perPage[0].error}`);
  const s = median(ok.map((p) => /** @type {number} */ (p.scout_ms)));
  const r = median(ok.map((p) => /** @type {number} */ (p.readability_ms)));
  const perPageRatio = median(ok.map((p) => /** @type {number} */ (p.scout_ms) / /** @type {number} */ (p.readability_ms)));
  report.extract = { pages: pages.length, failed: perPage.length - ok.length, runs: EXTRACT_RUNS, scout_median_ms: s, readability_median_ms: r, ratio: s / r, per_page_ratio_median: perPageRatio, goal_ratio: 0.5, per_page: perPage };
  rows.push(
    { metric: `extraction, median of ${ok.length} corpus pages`, scout: millis(s), peer: `${millis(r)} Readability.js`, ratio: `${times(s / r)} (goal ≤ 0.50)` },
    { metric: '  median per-page ratio', scout: '', ratio: times(perPageRatio) },
  );
  if (ok.length < perPage.length) rows.push({ metric: '  pages that failed', scout: `${perPage.length - ok.length}: ${perPage.filter((p) => p.error).map((p) => p.page).join(', ')}` });
}

// ---------- Transformers.js peer ----------

/** @param {string} file */
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Largest cosine distance (1 − cos) between matching rows. @param {number[][]} a @param {number[][]} b */
function maxCosineDistance(a, b) {
  if (a.length !== b.length) throw new Error(`${a.length} vs ${b.length} vectors`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) throw new Error(`vector ${i}: ${a[i].length} vs ${b[i].length} dims`);
    let dot = 0, na = 0, nb = 0;
    for (let j = 0; j < a[i].length; j++) { dot += a[i][j] * b[i][j]; na += a[i][j] ** 2; nb += b[i][j] ** 2; }
    worst = Math.max(worst, 1 - dot / Math.sqrt(na * nb));
  }
  return worst;
}

/**
 * A model folder in the Transformers.js layout holding Scout's tokenizer.json and an ONNX file (Scout's own, or the
 * PyPI file Scout's is built from), with the config.json and tokenizer_config.json Transformers.js needs
 * (all-MiniLM-L6-v2's own values).
 * @param {string} dir @param {'scout' | 'source'} which ONNX file
 * @returns {{onnx: string, tokenizer: string}} where the two files came from
 */
function writeTjsModel(dir, which) {
  const scoutDir = path.join(TEST_DIST, 'models/all-minilm-l6-v2-int8');
  const cacheDir = path.join(CACHE_DIR, 'models/all-minilm-l6-v2-int8');
  const candidates = which === 'scout'
    ? [path.join(cacheDir, 'model_quantized.onnx')] // the int8 ONNX graph of the weights Scout's encoder runs (not shipped)
    : [path.join(CACHE_DIR, 'sources/all-minilm-l6-v2-int8/model.onnx')]; // kept by `cargo xtask setup`
  const onnx = candidates.find((f) => fs.existsSync(f));
  const tokenizer = [path.join(scoutDir, 'tokenizer.json'), path.join(cacheDir, 'tokenizer.json')].find((f) => fs.existsSync(f));
  if (!onnx || !tokenizer) throw new Error(`no MiniLM int8 model/tokenizer in ${scoutDir} or ${cacheDir}`);
  const repo = path.join(dir, TJS_MODEL);
  fs.mkdirSync(path.join(repo, 'onnx'), { recursive: true });
  fs.copyFileSync(onnx, path.join(repo, 'onnx/model_quantized.onnx')); // dtype 'q8' loads this name
  fs.copyFileSync(tokenizer, path.join(repo, 'tokenizer.json'));
  writeBertConfig(repo);
  return { onnx, tokenizer };
}

/** The ORIGINs of the Transformers.js pages' servers, kept for the net-log audit after the browser closes. @type {string[]} */
const tjsOrigins = [];
/** The table rows that report the Transformers.js pages' outside requests (the net-log count is added at the end). @type {Row[]} */
const tjsRequestsRows = [];

/**
 * Transformers.js (npm `@huggingface/transformers`, its self-contained browser build with the onnxruntime-web it
 * bundles) in a cross-origin isolated 127.0.0.1 page of the same browser: feature-extraction pipeline, mean pooling
 * + normalize, `device: 'wasm'`, `dtype: 'q8'`, 2 threads, on the same inputs as Scout, warm-up then best of
 * EMBED_REPEATS. Asserts that the page made no request to any host but 127.0.0.1.
 *
 * Each Transformers.js run is paired with a Scout run on the very same texts right before it (fresh variants, so
 * Scout's cache does not help): on a shared 2-core machine load comes in bursts, and measuring the two sides minutes
 * apart let a burst decide the ratio. The ratio is taken from these paired runs; the pairs also give the agreement
 * check. Without Scout (its calls fail), the ratio falls back to the numbers of the section above.
 *
 * `which` picks the ONNX file the peer runs: 'scout' is the very file Scout ships (the same kernels on both sides:
 * the ratio measures the code around them); 'source' is the PyPI file Scout's is built from (int8 weights computed
 * in float32), which is what the peer would run without Scout's build step.
 * @param {import('playwright-core').BrowserContext} ctx @param {import('playwright-core').Page} extPage
 * @param {'scout' | 'source'} which
 */
async function transformersJs(ctx, extPage, which) {
  // The keys of this run: `transformers_js_*` on Scout's file, `transformers_js_source_*` on the PyPI source file.
  const P = which === 'scout' ? 'transformers_js' : 'transformers_js_source';
  report.embed ||= {};
  const out = report.embed;
  const { texts } = embedShared || embeddingInputs(path.join(TEST_DIST, 'models/all-minilm-l6-v2-int8/tokenizer.json'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-tjs-'));
  /** @type {Awaited<ReturnType<typeof openTjsPage>> | null} */
  let tjs = null;
  try {
    const src = writeTjsModel(path.join(tmp, 'models'), which);
    out[`${P}_model_sha256`] = sha256(path.join(tmp, 'models', TJS_MODEL, 'onnx/model_quantized.onnx'));
    out[`${P}_tokenizer_sha256`] = sha256(path.join(tmp, 'models', TJS_MODEL, 'tokenizer.json'));
    tjs = await openTjsPage(ctx, path.join(tmp, 'models'));
    tjsOrigins.push(tjs.base);
    const { outside } = tjs;
    const p = tjs.page;
    const loadMs = await withTimeout(p.evaluate(async (model) => {
      const T = /** @type {any} */ (globalThis).__T;
      const t0 = performance.now();
      const extractor = await T.pipeline('feature-extraction', model, { device: 'wasm', dtype: 'q8' });
      /** @type {any} */ (globalThis).__tjs = { extractor };
      return performance.now() - t0;
    }, TJS_MODEL), REQUEST_TIMEOUT_MS, 'Transformers.js pipeline');
    // Load time as before: importing and configuring the library, then building the pipeline.
    const setup = { ...tjs.setup, load_ms: tjs.setup.import_ms + loadMs };
    Object.assign(out, {
      [`${P}_version`]: setup.version,
      [`${P}_ort_web_version`]: setup.ort && setup.ort.web,
      [`${P}_ort_web_package`]: setup.ort_package,
      [`${P}_wasm`]: path.basename(String(setup.wasm)),
      [`${P}_threads`]: setup.threads,
      [`${P}_cross_origin_isolated`]: setup.isolated,
      [`${P}_load_ms`]: setup.load_ms,
    });
    if (!setup.isolated) throw new Error('the Transformers.js page is not cross-origin isolated (no threads)');

    /** Embed `xs` in batches of `batch` (a string when 1, an array otherwise); wall time of the pipeline calls. */
    const run = (/** @type {string[]} */ xs, /** @type {number} */ batch) => withTimeout(p.evaluate(async ({ xs, batch }) => {
      const { extractor } = /** @type {any} */ (globalThis).__tjs;
      const results = [];
      const t = performance.now();
      for (let i = 0; i < xs.length; i += batch) {
        results.push(await extractor(batch === 1 ? xs[i] : xs.slice(i, i + batch), { pooling: 'mean', normalize: true }));
      }
      const ms = performance.now() - t;
      return { ms, vectors: results.flatMap((r) => r.tolist()) };
    }, { xs, batch }), REQUEST_TIMEOUT_MS, `Transformers.js b=${batch}`);

    // Same warm-up as Scout's: both batch shapes once.
    await run(variant(texts.slice(0, 16), 98), 16);
    await run(variant(texts.slice(0, 2), 99), 1);
    /** @type {Record<number, number>} */
    const tps = {};
    /** @type {Record<number, number>} Scout's texts/s in the paired runs */
    const scoutTps = {};
    /** @type {Record<string, number>} */
    const dist = {};
    // Above those the Scout section used, below the warm-ups' 98/99; each peer run its own (Scout's cache would
    // answer texts it has seen).
    let nextVariant = which === 'scout' ? 20 : 50;
    for (const batch of [1, 16]) {
      const ms = [];
      const scoutMs = [];
      for (let i = 0; i < EMBED_REPEATS; i++) {
        const xs = variant(texts, nextVariant++);
        /** @type {number[][] | null} */
        let scoutVectors = null;
        if (!out[`${P}_scout_error`]) {
          try {
            const r = await askOk(extPage, { type: 'embed', texts: xs, ep: 'wasm', batch_size: batch });
            if (r.ep !== 'wasm' || r.vectors.length !== texts.length) throw new Error(`embed replied ep=${r.ep} with ${r.vectors.length} vectors`);
            scoutMs.push(r.ms);
            scoutVectors = r.vectors;
          } catch (e) {
            out[`${P}_scout_error`] = errText(e);
          }
        }
        const r = await run(xs, batch);
        if (r.vectors.length !== texts.length) throw new Error(`Transformers.js returned ${r.vectors.length} vectors`);
        ms.push(r.ms);
        if (scoutVectors) dist[`b${batch}`] = Math.max(dist[`b${batch}`] || 0, maxCosineDistance(scoutVectors, r.vectors));
      }
      tps[batch] = texts.length / (Math.min(...ms) / 1000);
      out[`${P}_b${batch}_ms`] = ms;
      out[`${P}_b${batch}_texts_per_s`] = tps[batch];
      if (scoutMs.length === EMBED_REPEATS) {
        scoutTps[batch] = texts.length / (Math.min(...scoutMs) / 1000);
        out[`${P}_paired_scout_b${batch}_ms`] = scoutMs;
        out[`${P}_paired_scout_b${batch}_texts_per_s`] = scoutTps[batch];
      } else if (typeof out[`wasm_b${batch}_texts_per_s`] === 'number') {
        scoutTps[batch] = out[`wasm_b${batch}_texts_per_s`]; // unpaired: from the Scout section
      }
      if (scoutTps[batch] !== undefined) out[`${P}_ratio_b${batch}`] = scoutTps[batch] / tps[batch];
    }
    out[`${P}_goal_ratio`] = TJS_GOAL_RATIO;
    out[`${P}_max_cosine_distance`] = Object.keys(dist).length ? Math.max(...Object.values(dist)) : null;
    out[`${P}_max_cosine_distance_by_batch`] = dist;
    out[`${P}_outside_requests`] = outside;
    if (outside.length) throw new Error(`the Transformers.js page requested outside hosts: ${outside.slice(0, 3).join(', ')}`);

    rows.push({
      metric: `  vs Transformers.js ${setup.version}, WASM, on ${which === 'scout' ? "Scout's own ONNX file (same graph)" : 'the PyPI source file (int8 weights, float32 compute)'}`,
      scout: '',
      peer: `ORT-web ${setup.ort && setup.ort.web} (${out[`${P}_wasm`]}), ${setup.threads} threads, load ${millis(setup.load_ms)}`,
    });
    for (const batch of [1, 16]) {
      const ratio = out[`${P}_ratio_b${batch}`];
      rows.push({
        metric: `  texts/s, WASM b=${batch} vs Transformers.js b=${batch}`,
        scout: scoutTps[batch] === undefined ? `n/a: ${out[`${P}_scout_error`]}` : `${scoutTps[batch].toFixed(1)}${out[`${P}_paired_scout_b${batch}_ms`] ? ' (paired runs)' : ''}`,
        peer: `${tps[batch].toFixed(1)} Transformers.js`,
        ratio: ratio === undefined ? '' : `${times(ratio)} (goal ≥ ${TJS_GOAL_RATIO.toFixed(2)})`,
      });
    }
    rows.push({
      metric: `  max cosine distance, Scout vs Transformers.js (${texts.length} texts)`,
      scout: '',
      peer: Object.keys(dist).length ? Object.entries(dist).map(([k, v]) => `${v.toExponential(1)} (${k})`).join(', ') : `n/a: ${out[`${P}_scout_error`] || 'no Scout vectors'}`,
    });
    const requestsRow = { metric: '  Transformers.js page: requests off 127.0.0.1', scout: '', peer: `${outside.length} (page events)` };
    tjsRequestsRows.push(requestsRow);
    rows.push(requestsRow);
  } finally {
    if (tjs) await tjs.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * After the browser has closed (its net log is complete): requests to outside hosts initiated by the Transformers.js
 * page or its workers, which page events might miss.
 * @param {string} netlog
 */
function auditTjsNetLog(netlog) {
  if (!tjsOrigins.length) return;
  const outside = auditNetLog(netlog).pages.filter((r) => tjsOrigins.includes(r.initiator));
  if (report.embed) report.embed.transformers_js_outside_requests_netlog = outside.map((r) => r.url);
  for (const row of tjsRequestsRows) row.peer += `, ${outside.length} (net log, both pages)${outside.length ? `: ${outside[0].url}` : ''}`;
  if (outside.length && report.embed) report.embed.transformers_js_error = `the Transformers.js page requested outside hosts: ${outside.map((r) => r.url).join(', ')}`;
}

// ---------- output ----------

function printTable(/** @type {string} */ header) {
  const cells = [{ metric: 'metric', scout: 'scout', peer: 'peer', ratio: 'ratio' }, ...rows].map((r) => [r.metric, r.scout, r.peer || '', r.ratio || '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (/** @type {string[]} */ c) => c.map((x, i) => x.padEnd(widths[i])).join(' | ').trimEnd();
  console.log(header);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells.slice(1)) console.log(line(c));
}

async function main() {
  const cpus = os.cpus();
  // Load average at start: on a 2-core machine any other work (a build, another test) skews every number.
  report.machine = { cpus: cpus.length, cpu_model: cpus[0] && cpus[0].model, node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg_1m: os.loadavg()[0] };
  await section('sizes', ['sizes (release dist)'], async () => measureSizes());

  const server = await startServer();
  /** @type {(Browser & {page: import('playwright-core').Page}) | null} */
  let b = null;
  let fatal = false;
  try {
    b = await coldStart(server.base);
    const browser = b;
    await section('machine', [], async () => {
      const cdp = await browser.ctx.newCDPSession(browser.page);
      report.machine.chromium = (await cdp.send('Browser.getVersion')).product;
      report.machine.cross_origin_isolated = await browser.page.evaluate(() => self.crossOriginIsolated);
      await cdp.detach();
    });
    await section('long_page', ['click → T1 summary of a ~2,000-word page'], () => longPage(server.base, browser.page));
    await section('embed', ['MiniLM embeddings'], () => embeddings(browser.page));
    await section('embed_tjs', ['  vs Transformers.js (the same weights as an int8 ONNX graph, WASM)'], () => transformersJs(browser.ctx, browser.page, 'scout'));
    await section('embed_tjs_source', ['  vs Transformers.js (PyPI source file, WASM)'], () => transformersJs(browser.ctx, browser.page, 'source'));
    for (const [key, prefix] of [['embed_tjs', 'transformers_js'], ['embed_tjs_source', 'transformers_js_source']]) {
      if (report[key]) { // keep its error with the other embedding numbers
        (report.embed ||= {})[`${prefix}_error`] = report[key].error;
        delete report[key];
      }
    }
    await section('extract', ['extraction vs Readability.js'], () => extraction(browser.page, server.base));
    await section('t2', ['T2: SmolLM2-135M vs Transformers.js'], async () => {
      const long = (await articleWords(browser.page)).sort((x, y) => Math.abs(x.words - 2000) - Math.abs(y.words - 2000))[0];
      report.t2 = { page: long };
      await t2Bench(browser.ctx, browser.page, rows, report.t2, `${server.base}/corpus/${long.name}/`, async (url) => {
        await openPage(browser.ctx, url);
        return tabIdOf(browser.sw, url);
      });
    });
  } catch (e) {
    if (!(e && /** @type {any} */ (e).fatal)) throw e;
    fatal = true;
    report.error = errText(e);
    rows.push({ metric: 'browser benchmarks', scout: `error: ${errText(e)}` });
  } finally {
    if (b) {
      await b.ctx.close().catch(() => {});
      try { auditTjsNetLog(b.netlog); } catch (e) { if (report.embed) report.embed.transformers_js_netlog_error = errText(e); }
      fs.rmSync(b.profile, { recursive: true, force: true }); // fresh every run: nothing in it is worth keeping
    }
    await server.close();
  }

  const m = report.machine;
  printTable(`Scout benchmarks — ${m.cpus} × ${m.cpu_model} (load ${m.loadavg_1m.toFixed(2)} at start), ${m.chromium || 'Chromium ?'}, node ${m.node}, ${report.date}`);
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  report.rows = rows;
  fs.writeFileSync(REPORT, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nreport: ${path.relative(process.cwd(), REPORT)}`);
  // Exit explicitly: a launch that failed half-way leaves a browser we hold no handle to, and Playwright kills the
  // browsers it started when the process exits.
  process.exit(fatal ? 1 : 0);
}

await main();
