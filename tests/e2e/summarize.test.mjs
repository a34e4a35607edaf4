// @ts-check
/**
 * The spine end to end: the real extension in Chromium summarizes a served page through the popup's own entry,
 * the result is stored in IndexedDB and served again after a browser restart, and nothing leaves 127.0.0.1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, CORPUS, startServer, launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched, tempProfile } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

/** Words of a text, for "this sentence occurs in the page" checks that ignore whitespace differences. */
const norm = (/** @type {string} */ s) => s.replace(/\s+/g, ' ').trim();

test('popup summarizes a corpus page with the bundled embedder; the result persists across a restart', async () => {
  const profile = tempProfile();
  const name = fs.readdirSync(CORPUS).filter((d) => fs.existsSync(path.join(CORPUS, d, 'source.html'))).sort()[0];
  const url = `${server.base}/corpus/${name}/`;

  let b = await launch({ profile });
  /** @type {any} */
  let first;
  try {
    const page = await openPage(b.ctx, url);
    const pageText = norm(await page.evaluate(() => document.body.innerText));
    const tabId = await tabIdOf(b.sw, url);
    const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    assert.equal(await popup.evaluate(() => navigator.webdriver), false, 'navigator.webdriver must be spoofed off');
    // Record every tier badge the popup shows, with its time after the click.
    await popup.evaluate(() => {
      /** @type {any} */ (window).__badges = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid=tier]');
        const seen = /** @type {any} */ (window).__badges;
        if (t && (!seen.length || seen.at(-1).text !== t.textContent)) seen.push({ text: t.textContent, ms: performance.now() - /** @type {any} */ (window).__clicked });
      }).observe(document.body, { childList: true, subtree: true });
    });
    await popup.evaluate(() => { /** @type {any} */ (window).__clicked = performance.now(); });
    await popup.click('#summarize');
    await popup.waitForSelector('body[data-state]', { timeout: 120_000 });
    // Progressive: the no-model summary shows first (it does not wait for the model to load), then T1 replaces it.
    const badges = await popup.evaluate(() => /** @type {any} */ (window).__badges);
    console.log(`popup, cold engine: ${badges.map((/** @type {any} */ x) => `${x.text} at ${x.ms.toFixed(0)} ms`).join(' → ')}`);
    assert.ok(badges.length >= 2 && /T0/.test(badges[0].text) && /T1/.test(badges.at(-1).text), JSON.stringify(badges));
    assert.equal(await popup.getAttribute('body', 'data-state'), 'done', await popup.textContent('#result') || '');
    const bullets = await popup.$$eval('[data-testid=summary] li', (lis) => lis.map((li) => li.textContent || ''));
    assert.ok(bullets.length >= 3, `expected ≥3 bullets, got ${bullets.length}`);
    for (const s of bullets) assert.ok(pageText.includes(norm(s)), `summary sentence not in page: ${s}`);
    const tier = await popup.textContent('[data-testid=tier]');
    assert.match(tier || '', /T1 .*WASM/, `tier badge: ${tier}`);
    fs.mkdirSync(path.join(ROOT, 'target/screenshots'), { recursive: true });
    await popup.setViewportSize({ width: 480, height: 640 });
    await popup.screenshot({ path: path.join(ROOT, 'target/screenshots/popup.png') });

    // The same entry, as JSON: tier, EP, model, timings — then the stored copy.
    first = await ask(popup, { type: 'summarize', tabId, refresh: true });
    assert.equal(first.ok, true, JSON.stringify(first.error));
    assert.equal(first.tier, 'T1');
    assert.equal(first.ep, 'wasm');
    assert.equal(first.model, 'all-minilm-l6-v2-int8');
    assert.equal(first.cached, false);
    assert.ok(first.timings.total_ms > 0);
    const second = await ask(popup, { type: 'summarize', tabId });
    assert.equal(second.cached, true);
    assert.deepEqual(second.summary, first.summary);
  } finally {
    await b.ctx.close();
  }

  // Relaunch with the same profile: IndexedDB still has the result.
  b = await launch({ profile });
  try {
    await openPage(b.ctx, url);
    const tabId2 = await tabIdOf(b.sw, url);
    const popup2 = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId2}`);
    const third = await ask(popup2, { type: 'summarize', tabId: tabId2 });
    assert.equal(third.ok, true, JSON.stringify(third.error));
    assert.equal(third.cached, true, 'result should come from IndexedDB after a restart');
    assert.deepEqual(third.summary, first.summary);
  } finally {
    await b.ctx.close();
  }
});

test('with the model turned off in the options, summaries come from T0 (no model, no runtime)', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const pageText = norm(await page.evaluate(() => document.body.innerText));
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.uncheck('#use-model');
    await options.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings?.tier === 't0');
    const r = await ask(options, { type: 'summarize', tabId: await tabIdOf(b.sw, url), options: { type: 'tldr', length: 'medium' } });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.tier, 'T0');
    assert.equal(r.ep, 'none');
    assert.equal(r.model, null);
    assert.equal(r.title, 'How a small town rebuilt its library around repair');
    assert.equal(r.lang, 'en');
    assert.equal(r.summary.sentences.length, 3);
    for (const s of r.summary.sentences) assert.ok(pageText.includes(norm(s.text)), s.text);
    // A paragraph hidden by a stylesheet rule sits inside the article: the capture must drop it, although it
    // is in the page's HTML.
    const tabId = await tabIdOf(b.sw, url);
    const captured = await options.evaluate(async (id) => {
      const { capturePage } = await import('./page_capture.js');
      const [res] = await chrome.scripting.executeScript({ target: { tabId: id }, func: capturePage, args: [false] });
      return res.result;
    }, tabId);
    assert.ok((await page.content()).includes('SPECIAL OFFER'));
    assert.ok(!captured.html.includes('SPECIAL OFFER') && !captured.text.includes('SPECIAL OFFER'));
    assert.ok(captured.html.includes('data-scout-node'));
    assert.ok(!JSON.stringify(r).includes('SPECIAL OFFER'));
    assert.ok(r.keywords.includes('library'), r.keywords.join(','));
  } finally {
    await b.ctx.close();
  }
});

test('a page hidden by an anti-flicker snippet is still read (but not what it hides itself)', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/page-hiding.html`;
    await openPage(b.ctx, url);
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const r = await ask(options, { type: 'summarize', tabId: await tabIdOf(b.sw, url), tier: 't0' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.title, 'Ferry service returns to the island');
    assert.ok(r.summary.sentences.length >= 3, JSON.stringify(r.summary));
    assert.ok(r.summary.text.includes('ferry') || r.summary.text.includes('crossing'), r.summary.text);
    assert.ok(!JSON.stringify(r).includes('SPECIAL OFFER'));
  } finally {
    await b.ctx.close();
  }
});

test('pages Scout cannot read get clear errors, not crashes', async () => {
  const b = await launch();
  // try/finally: a failed assertion must not leave the browser running (it would keep node alive until the timeout).
  try {
    const empty = `${server.base}/sample/empty.html`;
    fs.mkdirSync(path.join(ROOT, 'target/e2e'), { recursive: true });
    const settingsPage = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    // Asked once the tab has loaded, as a user would: while it is still loading, executeScript answers with a generic
    // "cannot access contents" that does not name the chrome:// scheme (seen once in CI).
    const chromeTab = await b.sw.evaluate(async () => {
      const tab = await chrome.tabs.create({ url: 'chrome://version' });
      for (let i = 0; i < 100; i++) {
        const t = await chrome.tabs.get(/** @type {number} */ (tab.id));
        if (t.status === 'complete') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return tab.id;
    });
    const r1 = await ask(settingsPage, { type: 'summarize', tabId: chromeTab });
    assert.equal(r1.ok, false, JSON.stringify(r1));
    assert.equal(r1.error.code, 'unreadable_page', JSON.stringify(r1));
    assert.match(r1.error.message, /chrome:/);
    await openPage(b.ctx, empty);
    const r2 = await ask(settingsPage, { type: 'summarize', tabId: await tabIdOf(b.sw, empty) });
    assert.equal(r2.ok, false, JSON.stringify(r2));
    assert.equal(r2.error.code, 'empty_page', JSON.stringify(r2));
    const r3 = await ask(settingsPage, { type: 'no_such_thing' });
    assert.equal(r3.ok, false);
    assert.equal(r3.error.code, 'bad_request');
  } finally {
    await b.ctx.close();
  }
});

test('network audit: no request of ours left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 2, 'the tests above launched browsers');
});
