// @ts-check
/**
 * "Summarize page / selection" from the context menu: the service worker leaves the job in session storage and
 * opens the side panel, which runs it — whether the panel was already open or opens after the job was left.
 * (The menu click is a user gesture Playwright cannot make, and the worker's module exports are out of reach of
 * `evaluate`: the test leaves the job exactly as the worker's `onMenuClick` does.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, tabIdOf, openExtensionPage, auditLaunched } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('a context-menu job is run by the side panel, for the page and for a selection', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);

    // Panel already open: the job arrives through storage.session.onChanged.
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    const leaveJob = (/** @type {boolean} */ selectionOnly) => b.sw.evaluate(async ([id, sel]) => {
      await chrome.storage.session.set({ pendingJob: { tabId: id, selectionOnly: sel, at: Date.now() } });
    }, /** @type {[number, boolean]} */ ([tabId, selectionOnly]));
    await leaveJob(false);
    await panel.waitForSelector('[data-testid=summary] li', { state: 'attached', timeout: 120_000 });
    assert.match(await panel.textContent('[data-testid=title]') || '', /library/i);
    assert.equal(await b.sw.evaluate(async () => (await chrome.storage.session.get('pendingJob')).pendingJob), undefined, 'the job is taken once');

    // A selection, with the job left before the panel opens (the open one would take it: close it first).
    await panel.close();
    await page.evaluate(() => {
      const p = document.querySelector('article p');
      const range = document.createRange();
      range.selectNodeContents(/** @type {Node} */ (p));
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
    });
    const selected = await page.evaluate(() => String(window.getSelection()).trim());
    await leaveJob(true);
    const panel2 = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    await panel2.waitForSelector('[data-testid=summary] li', { state: 'attached', timeout: 120_000 });
    const bullets = await panel2.$$eval('[data-testid=summary] li', (lis) => lis.map((li) => (li.textContent || '').replace(/\s+/g, ' ').trim()));
    const norm = selected.replace(/\s+/g, ' ');
    for (const s of bullets) assert.ok(norm.includes(s), `"${s}" is not from the selection`);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
});
