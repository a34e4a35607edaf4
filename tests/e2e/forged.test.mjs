// @ts-check
/**
 * Forged messages: only Scout's own pages and service worker drive Scout. Every other sender is tried with requests
 * that would do harm if obeyed (start a download from a hub of its choosing, change settings, make the engine call an
 * endpoint, read the stored settings and key), and each must be refused with no effect:
 * - the page itself (main world): it has no `chrome.runtime` to Scout, and cannot frame Scout's pages;
 * - a script running in Scout's own isolated world in the page (what a content script could do if one were
 *   compromised): the router and the engine refuse it, and `chrome.storage.local` is closed to it;
 * - another extension loaded beside Scout (`tests/e2e/rogue_extension`), from its service worker and from its
 *   content script: Scout listens to no external messages or ports.
 * A positive control first proves the engine payloads are potent: sent from Scout's own service worker they do
 * reach the trap server. The trap server is on 127.0.0.1, so the network audit alone would not see these requests:
 * the trap's own request log is the measure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startServer, launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched } from './harness.mjs';

const ROGUE = path.join(ROOT, 'tests/e2e/rogue_extension');
const MODEL = 'smollm2-135m-instruct-int8';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let trap;
before(async () => {
  server = await startServer();
  trap = await startServer({}, {});
});
after(async () => {
  await server.close();
  await trap.close();
});

/**
 * The harmful requests, as a sender would forge them: `router` goes to the service worker's router (`v` is filled
 * in by the sender), `engine` straight to the offscreen document in the envelope the service worker uses.
 * @param {string} trapBase @param {number} v
 */
function forgeries(trapBase, v) {
  const settings = { backend: 'auto', hub: trapBase, retention_days: null, storage_cap_mb: null };
  const endpoint = { base_url: `${trapBase}/v1`, model: 'm', api_key: 'stolen?' };
  return [
    { name: 'router: download a model', msg: { v, type: 'download', model: MODEL, consent: true } },
    { name: 'router: settings changed', msg: { v, type: 'settings_changed' } },
    { name: 'router: delete every model', msg: { v, type: 'delete_all_models' } },
    { name: 'router: export history', msg: { v, type: 'export_history' } },
    { name: 'router: T3 write', msg: { v, type: 'write', tier: 'T3', tabId: 0, job: { kind: 'chat', question: 'q' } } },
    { name: 'router: endpoint models', msg: { v, type: 'endpoint_models', endpoint: { url: `${trapBase}/v1`, model: 'm' } } },
    { name: 'engine: download from a hub of its choosing', msg: { target: 'offscreen', envelope: { v, settings, request: { type: 'download', model: MODEL, consent: true } } } },
    { name: 'engine: call an endpoint', msg: { target: 'offscreen', envelope: { v, settings, request: { type: 'endpoint_models', endpoint } } } },
    { name: 'engine: export history', msg: { target: 'offscreen', envelope: { v, settings, request: { type: 'export_history' } } } },
  ];
}

/**
 * Send each forgery from the context this runs in (to Scout's own extension when `scoutId` is null) and collect what
 * came back. Runs in a worker or, through `executeScript`, in a page's isolated world: it must be self-contained.
 * @param {{name: string, msg: object}[]} forged @param {string | null} scoutId
 */
async function sendAll(forged, scoutId) {
  const out = [];
  for (const f of forged) {
    try {
      const reply = await Promise.race([
        scoutId ? chrome.runtime.sendMessage(scoutId, f.msg) : chrome.runtime.sendMessage(f.msg),
        new Promise((resolve) => setTimeout(() => resolve('no reply in 5 s'), 5000)),
      ]);
      out.push({ name: f.name, reply: reply === undefined ? 'undefined' : reply });
    } catch (e) {
      out.push({ name: f.name, error: String(e && /** @type {any} */ (e).message || e) });
    }
  }
  return out;
}

/**
 * Evaluate `fn(arg, sendAll)` in a worker. Extension contexts forbid `eval`, so `sendAll` travels as source text
 * in the evaluated expression (DevTools evaluation is not `eval`), ready to pass to `executeScript` as `func`.
 * @param {import('playwright-core').Worker} worker @param {Function} fn @param {unknown} arg
 */
const withSendAll = (worker, fn, arg) => worker.evaluate(`(${fn})(${JSON.stringify(arg)}, ${sendAll})`);

/** A reply that obeyed: anything carrying `ok` (the router's and the engine's reply shape). */
const obeyed = (/** @type {any} */ r) => r && typeof r.reply === 'object' && r.reply !== null && 'ok' in r.reply;

test('forged messages from a page, an injected script and another extension are refused with no effect', async () => {
  const b = await launch({ others: [ROGUE] });
  /** @type {{sender: string, name: string, refused: boolean, how: string}[]} */
  const table = [];
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    // Scout's engine is up (so a forged engine message has a listener to reach) and its settings are known.
    assert.equal((await ask(options, { type: 'status' })).ok, true);
    const v = await options.evaluate(async () => (await import('./protocol.js')).PROTOCOL_VERSION);
    await options.evaluate(() => chrome.storage.local.set({ settings: { tier: 'auto' }, endpoint: { url: 'http://127.0.0.1:9/v1', model: 'm', key: 'sk-secret-key' } }));
    const forged = forgeries(trap.base, v);

    // Positive control: the engine payloads, sent by Scout's own service worker, do reach the trap.
    const control = await b.sw.evaluate(async (msg) => chrome.runtime.sendMessage(msg), forged.find((f) => f.name === 'engine: call an endpoint')?.msg);
    assert.equal(control.ok, false, 'the trap answers 404');
    assert.ok(trap.requests.some((p) => p === '/v1/models'), `control: the engine called the trap (${JSON.stringify(trap.requests)})`);
    trap.requests.length = 0;

    // 1. The page's own world: no runtime to message Scout with, and Scout's pages cannot be framed.
    const pageWorld = await page.evaluate(async (id) => {
      /** @type {any} */ const w = window;
      const runtime = w.chrome && w.chrome.runtime && typeof w.chrome.runtime.sendMessage === 'function';
      const frame = document.createElement('iframe');
      frame.src = `chrome-extension://${id}/options.html`;
      document.body.append(frame);
      await new Promise((r) => setTimeout(r, 1500));
      let readable = false;
      try { readable = !!(frame.contentDocument && frame.contentDocument.body && frame.contentDocument.body.innerText); } catch { /* cross-origin: not readable */ }
      frame.remove();
      return { runtime, readable };
    }, b.extensionId);
    table.push({ sender: 'page (main world)', name: 'chrome.runtime.sendMessage to Scout', refused: !pageWorld.runtime, how: pageWorld.runtime ? 'runtime exposed' : 'no chrome.runtime in the page' });
    table.push({ sender: 'page (main world)', name: 'frame Scout\'s options page', refused: !pageWorld.readable, how: pageWorld.readable ? 'framed and read' : 'blocked (not web-accessible)' });

    // 2. A script in Scout's isolated world in that page (a compromised content script).
    const isolated = /** @type {{replies: any[], storage: string}} */ (await withSendAll(b.sw, async (/** @type {any} */ a, /** @type {any} */ send) => {
      const target = { tabId: a.tabId };
      const [sent] = await chrome.scripting.executeScript({ target, func: send, args: [a.forged, null] });
      const [read] = await chrome.scripting.executeScript({
        target,
        func: async () => {
          try { return JSON.stringify(await chrome.storage.local.get(null)); } catch (e) { return `refused: ${e && /** @type {any} */ (e).message || e}`; }
        },
      });
      return { replies: sent.result, storage: read.result };
    }, { tabId, forged }));
    for (const r of isolated.replies) table.push({ sender: 'Scout\'s isolated world', name: r.name, refused: !obeyed(r), how: r.error || JSON.stringify(r.reply).slice(0, 80) });
    const leaked = /sk-secret-key|endpoint/.test(isolated.storage);
    table.push({ sender: 'Scout\'s isolated world', name: 'read chrome.storage.local (settings, key)', refused: !leaked, how: leaked ? 'read the key' : isolated.storage.slice(0, 80) });

    // 3. Another extension: from its service worker (messages and a port) and from its content script.
    let rogue = b.ctx.serviceWorkers().find((w) => w.url().endsWith('/rogue_sw.js'));
    if (!rogue) rogue = await b.ctx.waitForEvent('serviceworker', { predicate: (w) => w.url().endsWith('/rogue_sw.js'), timeout: 30_000 });
    const fromRogue = /** @type {{replies: any[], port: {answered: boolean, error: string}}} */ (await withSendAll(rogue, async (/** @type {any} */ a, /** @type {any} */ send) => {
      const replies = await send(a.forged, a.scoutId);
      const port = await new Promise((resolve) => {
        const p = chrome.runtime.connect(a.scoutId, { name: 'summarize' });
        let answered = false;
        p.onMessage.addListener(() => { answered = true; });
        p.onDisconnect.addListener(() => resolve({ answered, error: String(chrome.runtime.lastError && chrome.runtime.lastError.message) }));
        try { p.postMessage({ v: a.forged[0].msg.v, tabId: 0 }); } catch (e) { resolve({ answered, error: String(e) }); }
        setTimeout(() => resolve({ answered, error: 'still open after 5 s' }), 5000);
      });
      return { replies, port };
    }, { forged, scoutId: b.extensionId }));
    for (const r of fromRogue.replies) table.push({ sender: 'another extension (worker)', name: r.name, refused: !obeyed(r), how: r.error || JSON.stringify(r.reply).slice(0, 80) });
    table.push({ sender: 'another extension (worker)', name: 'port "summarize"', refused: !fromRogue.port.answered, how: fromRogue.port.error });

    const fromRogueContent = /** @type {any[]} */ (await withSendAll(rogue, async (/** @type {any} */ a, /** @type {any} */ send) => {
      const [res] = await chrome.scripting.executeScript({ target: { tabId: a.tabId }, func: send, args: [a.forged, a.scoutId] });
      return res.result;
    }, { tabId, forged, scoutId: b.extensionId }));
    for (const r of fromRogueContent) table.push({ sender: 'another extension (content script)', name: r.name, refused: !obeyed(r), how: r.error || JSON.stringify(r.reply).slice(0, 80) });

    // No effect anywhere: the trap saw nothing, no download started, the settings are as they were.
    await new Promise((r) => setTimeout(r, 1000));
    const models = await ask(options, { type: 'models' });
    const downloading = (models.models || []).filter((/** @type {any} */ m) => m.id === MODEL && m.state !== 'absent');
    const settings = await options.evaluate(async () => (await chrome.storage.local.get('settings')).settings);

    console.log('forged messages (sender | request | refused | how):');
    for (const r of table) console.log(`  ${r.sender} | ${r.name} | ${r.refused ? 'refused' : 'OBEYED'} | ${r.how}`);
    const refused = table.filter((r) => r.refused).length;
    console.log(`forged messages refused ${refused} / tried ${table.length}; trap requests: ${trap.requests.length}`);
    assert.deepEqual(table.filter((r) => !r.refused), [], 'every forged message is refused');
    assert.deepEqual(trap.requests, [], 'no forged message made Scout call the trap');
    assert.deepEqual(downloading, [], 'no download started');
    assert.deepEqual(settings, { tier: 'auto' }, 'settings unchanged');
  } finally {
    await b.ctx.close();
  }
  assert.equal(auditLaunched(), 1);
});
