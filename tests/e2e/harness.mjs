// @ts-check
/**
 * Browser test harness: a static server on 127.0.0.1, Chromium (Debian's /usr/bin/chromium via playwright-core)
 * with the built extension, helpers to reach the extension's pages, and a network audit from Chromium's net log.
 */
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = process.env.SCOUT_CORPUS_DIR || path.join(ROOT, 'tests/corpus/readability');
/** Where `cargo xtask setup` keeps fetched and built files (the same rule as `scout::native::cache_dir`). */
export const CACHE_DIR = process.env.SCOUT_CACHE_DIR || path.join(os.homedir(), '.cache/scout');
/** The tests' model hub, built by `cargo xtask test` (`xtask/src/testfiles.rs`): `{HUB_DIR}/{owner}/{repo}/{path}`. */
export const HUB_DIR = path.join(CACHE_DIR, 'hub');
export const DIST = process.env.SCOUT_DIST || path.join(ROOT, 'target/dist-test');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.css': 'text/css', '.png': 'image/png', '.onnx': 'application/octet-stream', '.wasm': 'application/wasm' };

/**
 * Serve `mounts` ({urlPrefix: directory}) on 127.0.0.1 with an ephemeral port.
 * `/corpus/NAME/` serves the corpus page NAME's source.html. `opts.headers` are added to every response (e.g.
 * COOP/COEP to make a page cross-origin isolated).
 * @param {Record<string, string>} [mounts]
 * @param {{headers?: Record<string, string>}} [opts]
 * @returns {Promise<{base: string, close: () => Promise<void>, requests: string[]}>}
 */
export async function startServer(mounts = {}, opts = {}) {
  const extra = opts.headers || {};
  const all = { '/sample/': path.join(ROOT, 'assets/sample'), ...mounts };
  /** @type {string[]} */
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    let file = null;
    const corpus = url.pathname.match(/^\/corpus\/([^/]+)\/?$/);
    if (corpus) file = path.join(CORPUS, corpus[1], 'source.html');
    for (const [prefix, dir] of Object.entries(all)) {
      if (!file && url.pathname.startsWith(prefix)) {
        const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
        const p = path.resolve(dir, rel);
        if (p.startsWith(path.resolve(dir))) file = p;
      }
    }
    if (!file || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404, { ...extra, 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { ...extra, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve(undefined)); }),
  };
}

/** Net logs of every browser this process launched, for the network audit. @type {string[]} */
const launchedNetlogs = [];

/**
 * Fail on any request to a host other than 127.0.0.1 that the extension made, in every browser launched so far
 * (call after they are closed: the net log is complete only then). Prints the browser's and the test pages' own.
 * @returns {number} how many logs were audited
 */
export function auditLaunched() {
  const logs = launchedNetlogs.splice(0);
  for (const log of logs) {
    const { ours, pages, browsers } = auditNetLog(log);
    recordAudit(ours);
    if (browsers.length) console.log(`browser's own requests (not ours): ${[...new Set(browsers.map((r) => new URL(r.url).host))].join(', ')}`);
    if (pages.length) console.log(`test pages' own subresources (not ours): ${[...new Set(pages.map((r) => new URL(r.url).host))].join(', ')}`);
    if (ours.length) throw new Error(`requests by the extension to outside hosts: ${JSON.stringify(ours)}`);
  }
  return logs.length;
}

/**
 * The whole run's audit: with `SCOUT_AUDIT_LOG` set (by `cargo xtask test`), every audited browser adds a line
 * (this test file, the extension's outside requests), and `xtask` sums them after the run.
 * @param {{url: string, initiator: string}[]} outside
 */
function recordAudit(outside) {
  const file = process.env.SCOUT_AUDIT_LOG;
  if (file) fs.appendFileSync(file, `${JSON.stringify({ file: path.relative(ROOT, process.argv[1] || '?'), outside })}\n`);
}

// A browser whose test failed before its audit is audited when the file's process ends (the net log is complete
// once the browser is gone; the audit is synchronous, as an exit handler must be).
process.on('exit', () => {
  for (const log of launchedNetlogs.splice(0)) {
    try {
      recordAudit(auditNetLog(log).ours);
    } catch (e) {
      recordAudit([{ url: `unreadable net log ${log}: ${e}`, initiator: 'audit' }]);
    }
  }
});

export function tempProfile() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'scout-profile-'));
}

/**
 * Launch Chromium with the extension.
 * `navigator.webdriver` is made false (no --enable-automation, AutomationControlled off) so that telemetry code
 * that skips automated browsers would fire if it were enabled: the network audit must then still see nothing.
 * @param {{profile?: string, dist?: string, webgpu?: boolean, args?: string[], env?: Record<string, string>, others?: string[]}} [opts]
 * `args`: more Chromium flags; `env`: more environment variables for the browser (e.g. `LANGUAGE` for its UI
 * language); `others`: more unpacked extensions to load beside Scout (the forged-message test's rogue one)
 */
export async function launch(opts = {}) {
  const profile = opts.profile || tempProfile();
  const dist = opts.dist || DIST;
  const netlog = path.join(profile, `netlog-${Date.now()}.json`);
  const extensions = [dist, ...(opts.others || [])].join(',');
  const args = [
    '--headless=new', `--disable-extensions-except=${extensions}`, `--load-extension=${extensions}`, '--no-sandbox',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic', '--disable-blink-features=AutomationControlled',
    `--log-net-log=${netlog}`, '--net-log-capture-mode=Default',
  ];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu');
  if (opts.args) args.push(...opts.args);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: false,
    ignoreDefaultArgs: ['--enable-automation'],
    args,
    viewport: { width: 1100, height: 800 },
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  // Scout's worker is the one named sw.js (another extension loaded beside it names its own differently).
  const ours = (/** @type {import('playwright-core').Worker} */ w) => w.url().endsWith('/sw.js');
  let sw = ctx.serviceWorkers().find(ours);
  if (!sw) sw = await ctx.waitForEvent('serviceworker', { predicate: ours, timeout: 30_000 });
  const extensionId = new URL(sw.url()).host;
  launchedNetlogs.push(netlog);
  return { ctx, sw, extensionId, profile, netlog, dist };
}

/** @param {import('playwright-core').BrowserContext} ctx @param {string} url */
export async function openPage(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/**
 * The tab id of the tab showing `url` (asked from the service worker).
 * @param {import('playwright-core').Worker} sw @param {string} url
 */
export async function tabIdOf(sw, url) {
  for (let i = 0; i < 50; i++) {
    const ids = await sw.evaluate(async (u) => {
      const tabs = await chrome.tabs.query({});
      return tabs.filter((t) => t.url === u).map((t) => t.id);
    }, url).catch(() => []);
    if (ids.length) return /** @type {number} */ (ids[0]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no tab shows ${url}`);
}

/**
 * Evaluate `expression` in the extension's offscreen document (where the engine runs), through the DevTools protocol
 * of an open extension page: the document's target is attached and `Runtime.evaluate` sent to it. Resolves to the
 * result's value (`returnByValue`, promises awaited).
 * @param {import('playwright-core').BrowserContext} ctx @param {import('playwright-core').Page} page @param {string} expression
 */
export async function evalInOffscreen(ctx, page, expression) {
  const cdp = await ctx.newCDPSession(page);
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((t) => t.url.endsWith('/offscreen.html'));
    if (!target) throw new Error(`no offscreen document among ${targetInfos.map((t) => t.url).join(', ')}`);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    const reply = new Promise((resolve) => {
      cdp.on('Target.receivedMessageFromTarget', (/** @type {any} */ m) => {
        const msg = JSON.parse(m.message);
        if (m.sessionId === sessionId && msg.id === 1) resolve(msg);
      });
    });
    const params = { expression, awaitPromise: true, returnByValue: true };
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.evaluate', params }) });
    const msg = /** @type {any} */ (await reply);
    if (msg.error || msg.result.exceptionDetails) throw new Error(JSON.stringify(msg.error || msg.result.exceptionDetails));
    await cdp.send('Target.detachFromTarget', { sessionId });
    return msg.result.result.value;
  } finally {
    await cdp.detach();
  }
}

/**
 * Open one of our extension pages as a tab.
 * @param {import('playwright-core').BrowserContext} ctx @param {string} extensionId @param {string} pathAndQuery
 */
export async function openExtensionPage(ctx, extensionId, pathAndQuery) {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${extensionId}/${pathAndQuery}`);
  return page;
}

/**
 * Send a message to the service worker from an extension page, as our UI does.
 * @param {import('playwright-core').Page} page @param {object} msg
 */
export async function ask(page, msg) {
  return page.evaluate(async (m) => {
    const { PROTOCOL_VERSION } = await import('./protocol.js');
    // An answer that never comes is a failure with a name, not a stalled test run.
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`no reply to ${m.type} in 300 s`)), 300_000));
    return Promise.race([chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, ...m }), timeout]);
  }, msg);
}

/**
 * Read Chromium's net log (written on close) and sort requests to outside hosts by who made them:
 * - ours: initiated by the extension (service worker, offscreen document, popup…): must be none;
 * - pages: initiated by a test page itself (a corpus page's fonts and scripts): reported, not Scout's doing;
 * - browsers: Chromium's own (no origin initiator).
 * @param {string} netlogPath
 */
export function auditNetLog(netlogPath) {
  const raw = fs.readFileSync(netlogPath, 'utf8');
  // The log may lack its closing brackets if the browser was killed: repair the common case.
  let log;
  try { log = JSON.parse(raw); } catch { log = JSON.parse(raw.replace(/,\s*$/, '') + ']}'); }
  const types = log.constants.logEventTypes;
  const start = types.URL_REQUEST_START_JOB;
  /** @type {{url: string, initiator: string}[]} */
  const ours = [];
  /** @type {{url: string, initiator: string}[]} */
  const browsers = [];
  /** @type {{url: string, initiator: string}[]} */
  const pages = [];
  for (const ev of log.events) {
    if (ev.type !== start || !ev.params || !ev.params.url) continue;
    const url = new URL(ev.params.url);
    if (['chrome-extension:', 'data:', 'blob:', 'chrome:', 'devtools:'].includes(url.protocol)) continue;
    if (url.hostname === '127.0.0.1') continue;
    const initiator = String(ev.params.initiator || 'not an origin');
    const entry = { url: ev.params.url, initiator };
    if (initiator === 'not an origin') browsers.push(entry);
    else if (initiator.startsWith('http://127.0.0.1:')) pages.push(entry);
    else ours.push(entry);
  }
  return { ours, pages, browsers };
}

/** @type {Map<string, {git: string, sha256: string}>} */
const hashCache = new Map();

/**
 * The hub's listing of a repository's files (`GET /api/models/{repo}/tree/{revision}?recursive=true`), as the
 * Hugging Face hub writes it: `oid` is the git blob id; files kept in LFS (ONNX graphs and anything over 10 MB)
 * also carry `lfs: {oid: sha256, size, pointerSize}`. Hashes are cached by path, size and mtime.
 * @param {string} root the repository's folder
 */
function treeListing(root) {
  /** @type {any[]} */
  const out = [];
  const walk = (/** @type {string} */ dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      const st = fs.statSync(full);
      if (st.isDirectory()) {
        out.push({ type: 'directory', oid: '0'.repeat(40), size: 0, path: rel });
        walk(full);
        continue;
      }
      const key = `${full}|${st.size}|${st.mtimeMs}`;
      if (!hashCache.has(key)) {
        const bytes = fs.readFileSync(full);
        const git = crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        hashCache.set(key, { git, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
      }
      const h = hashCache.get(key);
      const lfs = /\.onnx(_data)?$/.test(name) || st.size > 10_000_000;
      out.push(lfs
        ? { type: 'file', oid: h.git, size: st.size, lfs: { oid: h.sha256, size: st.size, pointerSize: 134 }, path: rel }
        : { type: 'file', oid: h.git, size: st.size, path: rel });
    }
  };
  walk(root);
  return out;
}

/**
 * A model hub on 127.0.0.1 in the Hugging Face layout: `/{owner}/{repo}/resolve/{revision}/{path}` serves
 * `{HUB_DIR}/{owner}/{repo}/{path}`, with HTTP Range support, the tree listing with the files' hashes
 * (`/api/models/{owner}/{repo}/tree/{revision}`), and injectable faults:
 * - `faults.dropAfter = {path, bytes}`: close the connection after sending that many bytes of the file (once);
 * - `faults.flipByte = {path, offset}`: serve the file with one byte flipped;
 * - `faults.status = {path, code, times}`: answer `code` that many times (Infinity: always).
 * Every request is logged with its Range header.
 */
export async function startHub(dir = HUB_DIR) {
  /** @type {{dropAfter?: {path: string, bytes: number} | null, flipByte?: {path: string, offset: number} | null, status?: {path: string, code: number, times: number} | null}} */
  const faults = {};
  /** @type {{path: string, range: string | null, status: number}[]} */
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://127.0.0.1');
    const tree = decodeURIComponent(url.pathname).match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+\/?$/);
    if (tree) {
      const root = path.resolve(dir, tree[1]);
      const ok = root.startsWith(path.resolve(dir)) && fs.existsSync(root);
      log.push({ path: url.pathname, range: null, status: ok ? 200 : 404 });
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? treeListing(root) : { error: 'Repository not found' }));
      return;
    }
    const m = decodeURIComponent(url.pathname).match(/^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/);
    const range = req.headers.range || null;
    const file = m ? path.resolve(dir, m[1], m[2]) : null;
    const rel = m ? m[2] : url.pathname;
    const answer = (/** @type {number} */ code, /** @type {Record<string,string|number>} */ headers = {}) => {
      log.push({ path: rel, range, status: code });
      res.writeHead(code, headers);
    };
    if (faults.status && faults.status.path === rel && faults.status.times > 0) {
      faults.status.times--;
      answer(faults.status.code, { 'content-type': 'text/plain' });
      res.end('fault');
      return;
    }
    if (!file || !file.startsWith(path.resolve(dir)) || !fs.existsSync(file)) {
      answer(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const size = fs.statSync(file).size;
    let start = 0;
    const r = range && range.match(/^bytes=(\d+)-$/);
    if (r) start = Number(r[1]);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': size - start, 'accept-ranges': 'bytes' };
    if (r) answer(206, { ...headers, 'content-range': `bytes ${start}-${size - 1}/${size}` });
    else answer(200, headers);
    let sent = 0;
    const drop = faults.dropAfter && faults.dropAfter.path === rel ? faults.dropAfter : null;
    const flip = faults.flipByte && faults.flipByte.path === rel ? faults.flipByte : null;
    const stream = fs.createReadStream(file, { start, highWaterMark: 1 << 20 });
    stream.on('data', (chunk) => {
      const buf = Buffer.from(chunk);
      if (flip && flip.offset >= start + sent && flip.offset < start + sent + buf.length) buf[flip.offset - start - sent] ^= 0xff;
      if (drop && sent + buf.length >= drop.bytes) {
        faults.dropAfter = null;
        res.write(buf.subarray(0, Math.max(0, drop.bytes - sent)));
        stream.destroy();
        res.destroy();
        return;
      }
      sent += buf.length;
      if (!res.write(buf)) { stream.pause(); res.once('drain', () => stream.resume()); }
    });
    stream.on('end', () => res.end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${addr.port}`,
    faults,
    log,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve(undefined)); }),
  };
}

/**
 * Collect the engine's download progress events in an extension page.
 * @param {import('playwright-core').Page} page
 */
export async function recordProgress(page) {
  await page.evaluate(() => {
    /** @type {any} */ (window).__progress = [];
    new BroadcastChannel('scout-progress').addEventListener('message', (ev) => /** @type {any} */ (window).__progress.push(JSON.parse(ev.data)));
  });
  return {
    /** @returns {Promise<any[]>} */
    events: () => page.evaluate(() => /** @type {any} */ (window).__progress),
    /** Wait for a final state of `model`. @param {string} model @param {number} [timeout] */
    final: (model, timeout = 300_000) => page.waitForFunction((m) => /** @type {any} */ (window).__progress
      .find((/** @type {any} */ p) => p.model === m && ['ready', 'failed', 'cancelled'].includes(p.state)), model, { timeout, polling: 200 })
      .then((h) => h.jsonValue()),
  };
}

/**
 * Resident memory (bytes) of Chromium's processes: the extension renderer(s) and all of them; with `profile`, only
 * those of the browser launched with it.
 * @param {string} [profile]
 */
export function chromiumRss(profile) {
  /** @type {Map<number, {ppid: number, cmd: string, rss: number}>} */
  const procs = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      procs.set(Number(pid), { cmd, ppid: Number(status.match(/PPid:\s+(\d+)/)?.[1] || 0), rss: Number(status.match(/VmRSS:\s+(\d+)/)?.[1] || 0) * 1024 });
    } catch { continue; } // gone
  }
  // Only this browser's processes: the one started with this profile and its descendants (other tests' browsers
  // may run beside it).
  const ours = (/** @type {number} */ pid) => {
    for (let p = procs.get(pid), hops = 0; p && hops < 16; p = procs.get(p.ppid), hops++) {
      if (p.cmd.includes(`--user-data-dir=${profile}`)) return true;
    }
    return false;
  };
  let extension = 0;
  let all = 0;
  for (const [pid, p] of procs) {
    if (!/chrom(e|ium)/.test(p.cmd.split('\0')[0])) continue;
    if (profile && !ours(pid)) continue;
    all += p.rss;
    if (p.cmd.includes('--extension-process')) extension += p.rss;
  }
  return { extension, all };
}

/**
 * Ask in the side panel's chat and wait for the new turn to appear (an answer, an error or the T3 site question).
 * @param {import('playwright-core').Page} panel @param {string} question
 */
export async function askInPanel(panel, question) {
  const before = (await panel.$$('[data-testid=turn]')).length;
  await panel.fill('#question', question);
  await panel.press('#question', 'Enter');
  await panel.waitForFunction((n) => document.querySelectorAll('[data-testid=turn]').length > n, before);
}

/** The side panel chat's last turn. @param {import('playwright-core').Page} panel */
export const lastTurn = (panel) => panel.locator('[data-testid=turn]').last();

/**
 * Wait until the side panel's chat is ready for the next question; the last turn's text.
 * @param {import('playwright-core').Page} panel @param {number} [timeout]
 */
export async function settled(panel, timeout = 120_000) {
  await panel.waitForFunction(() => !/** @type {HTMLButtonElement} */ (document.getElementById('ask')).disabled, null, { timeout });
  return (await lastTurn(panel).textContent()) || '';
}

/**
 * A greedy reply to chat `messages` from Scout's int8 decoder natively, through the `scout` CLI (debug build, made by
 * `cargo test`), on the test hub's model folder `repo`: what the extension's decoder must write, bit for bit.
 * `decoder` 'gpu': the WebGPU decoder's arithmetic on the CPU instead (float activations); `onnx`: the graph's path in
 * the folder (default: the int8 file, else the fp32 one).
 * @param {string} repo @param {any[]} messages @param {number} tokens @param {string} [decoder] @param {string} [onnx]
 * @returns {any} the CLI's JSON reply (`text`, `generated_tokens`, …)
 */
export function nativeGenerate(repo, messages, tokens, decoder = 'int8', onnx = '') {
  const bin = path.join(ROOT, 'target/debug/scout');
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing: cargo build --bin scout`);
  const file = path.join(os.tmpdir(), `scout-messages-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(messages));
  try {
    const r = spawnSync(bin, ['generate', file, '--model', path.join(HUB_DIR, repo), '--decoder', decoder,
      '--max-tokens', String(tokens), '--min-tokens', String(tokens), '--json', ...(onnx ? ['--onnx', onnx] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scout generate failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * Vectors of `texts` from native ONNX Runtime through the `scout` CLI (debug build, made by `cargo test`), on the
 * bundled embedder's WASM graph or its WebGPU graph (`graph`), computed on the CPU.
 * @param {string[]} texts @param {'wasm' | 'webgpu'} [graph]
 * @returns {number[][]}
 */
export function nativeEmbed(texts, graph = 'wasm') {
  const bin = path.join(ROOT, 'target/debug/scout');
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing: cargo build --bin scout`);
  const r = spawnSync(bin, ['embed', '--graph', graph], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 64 << 20 });
  const reply = r.status === 0 ? JSON.parse(r.stdout) : null;
  if (!reply || reply.ok !== true) throw new Error(`scout embed failed: ${r.stderr}${r.stdout.slice(0, 500)}`);
  return reply.vectors;
}
