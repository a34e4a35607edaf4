// @ts-check
/**
 * History in real IndexedDB: a summary is recorded; 1,000 entries can be searched and deleted; export → import
 * round-trips; retention prunes; a database from an older schema version (v1, results only) is upgraded in place
 * without losing what it held; and the history and the model list are answered while a long job holds the engine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('schema v1 → current upgrade keeps stored results; summaries are recorded in history', async () => {
  const b = await launch();
  try {
    // Before the engine ever runs, create the v1 database as the first release left it (from the service worker,
    // which shares the extension's storage and, unlike our pages, does not start the engine on its own).
    await b.sw.evaluate(() => new Promise((resolve, reject) => {
      const req = indexedDB.open('scout', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('results');
      req.onsuccess = () => {
        const tx = req.result.transaction('results', 'readwrite');
        tx.objectStore('results').put('{"probe":true}', 'summary|probe');
        tx.oncomplete = () => { req.result.close(); resolve(undefined); };
      };
      req.onerror = () => reject(req.error);
    }));
    const page = await openExtensionPage(b.ctx, b.extensionId, 'history.html');
    const url = `${server.base}/sample/article.html`;
    await openPage(b.ctx, url);
    const r = await ask(page, { type: 'summarize', tabId: await tabIdOf(b.sw, url) });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const db = await page.evaluate(() => new Promise((resolve) => {
      const req = indexedDB.open('scout');
      req.onsuccess = () => {
        const d = req.result;
        const get = d.transaction('results').objectStore('results').get('summary|probe');
        get.onsuccess = () => { resolve({ version: d.version, stores: [...d.objectStoreNames], probe: get.result }); d.close(); };
      };
    }));
    assert.equal(/** @type {any} */ (db).version, 4);
    assert.deepEqual(/** @type {any} */ (db).stores.sort(), ['chunks', 'downloads', 'history', 'models', 'results', 'vector_index', 'vectors']);
    assert.equal(/** @type {any} */ (db).probe, '{"probe":true}', 'v1 data survived the upgrade');

    const h = await ask(page, { type: 'history', query: 'library repair' });
    assert.equal(h.ok, true, JSON.stringify(h.error));
    assert.equal(h.total, 1);
    assert.equal(h.entries[0].url, url);
    assert.equal(h.entries[0].tier, r.tier);
    assert.ok(h.entries[0].text.includes(r.summary.sentences[0].text));
  } finally {
    await b.ctx.close();
  }
});

test('1,000 entries: search, delete one, export → import round-trip, clear, retention', async () => {
  const b = await launch();
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'history.html');
    const now = Date.now();
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      id: `h${String(now - i * 60_000).padStart(15, '0')}-${String(i).padStart(12, '0')}`,
      kind: 'summary', url: `http://127.0.0.1/page/${i}`, title: i % 10 === 0 ? `Bridge report ${i}` : `Garden notes ${i}`,
      tier: 'T1', model: 'all-minilm-l6-v2-int8', options: '{}', content_hash: String(i).padStart(12, '0'),
      created_ms: now - i * 60_000, text: `- entry number ${i}`,
    }));
    const imported = await ask(page, { type: 'import_history', json: JSON.stringify({ format: 1, entries }) });
    assert.equal(imported.ok, true, JSON.stringify(imported.error));
    let all = await ask(page, { type: 'history', limit: 5 });
    assert.equal(all.total, 1000);
    assert.equal(all.entries.length, 5);
    assert.equal(all.entries[0].title, 'Bridge report 0', 'newest first');
    const bridge = await ask(page, { type: 'history', query: 'BRIDGE report' });
    assert.equal(bridge.total, 100);
    assert.equal((await ask(page, { type: 'delete_history', id: bridge.entries[0].id })).ok, true);
    assert.equal((await ask(page, { type: 'history', query: 'bridge' })).total, 99);

    const exported = await ask(page, { type: 'export_history' });
    assert.equal(JSON.parse(exported.json).entries.length, 999);
    assert.equal((await ask(page, { type: 'clear_history' })).ok, true);
    assert.equal((await ask(page, { type: 'history' })).total, 0);
    assert.equal((await ask(page, { type: 'import_history', json: exported.json })).ok, true);
    all = await ask(page, { type: 'history' });
    assert.equal(all.total, 999);
    assert.deepEqual(all.entries, JSON.parse(exported.json).entries);
    const bad = await ask(page, { type: 'import_history', json: '{"format":7,"entries":[]}' });
    assert.equal(bad.ok, false);
    assert.match(bad.error.message, /format 7/);

    // Retention: entries are one minute apart going back ~16.6 hours; keeping one day keeps them all, keeping
    // zero days keeps none.
    await page.evaluate(() => chrome.storage.local.set({ settings: { retention_days: 1 } }));
    assert.equal((await ask(page, { type: 'history' })).total, 999);
    await page.evaluate(() => chrome.storage.local.set({ settings: { retention_days: 0 } }));
    assert.equal((await ask(page, { type: 'history' })).total, 0);

    // The history page lists and searches.
    await page.reload();
    await page.waitForSelector('[data-testid=count]');
  } finally {
    await b.ctx.close();
  }
});

test('the history and the model list answer while a long job holds the engine', async () => {
  const b = await launch();
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'history.html');
    assert.equal((await ask(page, { type: 'embed', texts: ['The engine is warm.'], ep: 'wasm' })).ok, true);
    // A job of several seconds: the engine answers one such request at a time.
    const texts = Array.from({ length: 3000 }, (_, i) => `Sentence ${i}: the library lends tools, and volunteers repair what breaks.`);
    /** @type {string[]} */
    const order = [];
    const long = ask(page, { type: 'embed', texts, ep: 'wasm' }).then((r) => { order.push('embed'); return r; });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const history = await ask(page, { type: 'history' });
    order.push('history');
    const models = await ask(page, { type: 'models' });
    order.push('models');
    const embedded = await long;
    assert.equal(history.ok, true, JSON.stringify(history.error));
    assert.equal(models.ok, true, JSON.stringify(models.error));
    assert.ok(models.models.length >= 1);
    assert.equal(embedded.ok, true, JSON.stringify(embedded.error));
    assert.equal(embedded.vectors.length, 3000);
    assert.deepEqual(order, ['history', 'models', 'embed'], 'neither waited for the long job');
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
