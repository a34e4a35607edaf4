// @ts-check
/**
 * Page embeddings kept in IndexedDB between sessions: after a browser restart, questions, classification and a
 * summary of an unchanged page cost no model run; when the page's content changes its old record is evicted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer, launch, openPage, tabIdOf, openExtensionPage, ask, tempProfile, auditLaunched } from './harness.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-vectors-'));
const original = fs.readFileSync(path.join(ROOT, 'assets/sample/article.html'), 'utf8');
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => {
  fs.writeFileSync(path.join(dir, 'page.html'), original);
  server = await startServer({ '/v/': dir });
});
after(async () => { await server.close(); fs.rmSync(dir, { recursive: true, force: true }); });

/** The page-vector records IndexedDB holds for `url`, read from an extension page (same origin as the engine). */
async function records(/** @type {import('playwright-core').Page} */ page, /** @type {string} */ url) {
  return page.evaluate((u) => new Promise((resolve, reject) => {
    const open = indexedDB.open('scout');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('vector_index', 'readonly');
      const req = tx.objectStore('vector_index').getAll();
      req.onsuccess = () => {
        const metas = req.result.map((j) => JSON.parse(j)).filter((m) => m.url === u);
        open.result.close();
        resolve(metas);
      };
      req.onerror = () => reject(req.error);
    };
  }), url);
}

/** Open the page and a side panel for it in browser `b`. */
async function session(/** @type {Awaited<ReturnType<typeof launch>>} */ b, /** @type {string} */ url) {
  const tab = await openPage(b.ctx, url);
  const tabId = await tabIdOf(b.sw, url);
  const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
  return { tab, tabId, panel };
}

test('stored page vectors survive a restart and are evicted when the page changes', async () => {
  const profile = tempProfile();
  const url = `${server.base}/v/page.html`;
  const question = 'How many repairs did the volunteers log last year?';

  let b = await launch({ profile });
  let computedFirst = 0;
  try {
    const { tabId, panel } = await session(b, url);
    const first = await ask(panel, { type: 'ask', tabId, question });
    assert.equal(first.ok, true, JSON.stringify(first.error));
    assert.equal(first.vectors.stored, 0, 'nothing stored yet');
    assert.ok(first.vectors.computed > 3, JSON.stringify(first.vectors));
    computedFirst = first.vectors.computed;
    const saved = await records(panel, url);
    assert.equal(saved.length, 1, JSON.stringify(saved));
    assert.ok(saved[0].bytes > computedFirst * 384 * 4, JSON.stringify(saved[0]));
    console.log(`first question: ${first.vectors.computed} texts embedded in ${first.timings.index_ms.toFixed(0)} ms of indexing; record ${saved[0].bytes} bytes`);
  } finally {
    await b.ctx.close();
  }

  b = await launch({ profile });
  try {
    const { tab, tabId, panel } = await session(b, url);
    const again = await ask(panel, { type: 'ask', tabId, question });
    assert.equal(again.ok, true, JSON.stringify(again.error));
    assert.equal(again.index_cached, false, 'a new session builds the index...');
    assert.equal(again.vectors.computed, 0, `...from stored vectors: ${JSON.stringify(again.vectors)}`);
    assert.equal(again.vectors.stored, computedFirst, 'every text (and the question) came from the record');
    assert.match(again.answers[0].text, /830 repairs/);
    console.log(`after restart: 0 texts embedded, ${again.vectors.stored} reused, indexing ${again.timings.index_ms.toFixed(0)} ms`);

    const other = await ask(panel, { type: 'ask', tabId, question: 'Who repairs the bicycles?' });
    assert.equal(other.ok, true, JSON.stringify(other.error));
    assert.equal(other.vectors.computed, 1, 'a new question embeds only itself');

    const oldHash = (await records(panel, url))[0].content_hash;

    // The page changes: a new record replaces the old one.
    fs.writeFileSync(path.join(dir, 'page.html'), original.replace(/830 repairs/g, '912 repairs'));
    await tab.reload();
    const changed = await ask(panel, { type: 'ask', tabId, question });
    assert.equal(changed.ok, true, JSON.stringify(changed.error));
    assert.ok(changed.vectors.computed >= 1, JSON.stringify(changed.vectors));
    assert.match(changed.answers[0].text, /912 repairs/);
    const after = await records(panel, url);
    assert.equal(after.length, 1, `the old content's record is gone: ${JSON.stringify(after)}`);
    assert.notEqual(after[0].content_hash, oldHash);
    // Classification and the summary add their texts to the same record.
    const c1 = await ask(panel, { type: 'classify', tabId });
    assert.equal(c1.ok, true, JSON.stringify(c1.error));
    const s1 = await ask(panel, { type: 'summarize', tabId, refresh: true });
    assert.equal(s1.ok, true, JSON.stringify(s1.error));
    assert.equal(s1.tier, 'T1');
    assert.equal((await records(panel, url)).length, 1);
  } finally {
    await b.ctx.close();
  }

  b = await launch({ profile });
  try {
    const { tabId, panel } = await session(b, url);
    const s2 = await ask(panel, { type: 'summarize', tabId, refresh: true });
    assert.equal(s2.ok, true, JSON.stringify(s2.error));
    assert.equal(s2.tier, 'T1');
    assert.deepEqual([s2.vectors.computed, s2.vectors.stored > 0], [0, true], JSON.stringify(s2.vectors));
    const c2 = await ask(panel, { type: 'classify', tabId });
    assert.equal(c2.ok, true, JSON.stringify(c2.error));
    assert.deepEqual([c2.vectors.computed, c2.vectors.stored > 0], [0, true], JSON.stringify(c2.vectors));
    console.log(`after a second restart: summary ${s2.vectors.stored} vectors reused in ${s2.timings.total_ms.toFixed(0)} ms; classification ${c2.vectors.stored} reused`);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
  fs.rmSync(profile, { recursive: true, force: true });
});
