// @ts-check
/**
 * With the network off (only 127.0.0.1, where the test page is served, is reachable), everything T1 needs ships in
 * the extension: a fresh browser starts the engine, summarizes with the bundled embedder, classifies the page and
 * answers a question from it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Every name resolves to nothing but 127.0.0.1, and every other request goes to a proxy port where nothing listens.
const NETWORK_OFF = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--proxy-server=http://127.0.0.1:9'];

test('with the network off, a fresh browser gives T1 summaries, classification and answers', async () => {
  const b = await launch({ args: NETWORK_OFF });
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    // The network really is off for the browser (the page cannot reach the internet).
    const outside = await page.evaluate(() => fetch('https://example.com/', { mode: 'no-cors' }).then(() => 'reached', () => 'failed'));
    assert.equal(outside, 'failed', 'an outside request must fail in this browser');
    const tabId = await tabIdOf(b.sw, url);

    const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    await popup.click('#summarize');
    await popup.waitForSelector('body[data-state]', { timeout: 120_000 });
    assert.equal(await popup.getAttribute('body', 'data-state'), 'done', await popup.textContent('#result') || '');
    assert.match(await popup.textContent('[data-testid=tier]') || '', /T1 .*WASM/);
    assert.ok((await popup.$$eval('[data-testid=summary] li', (lis) => lis.length)) >= 3);

    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    const c = await ask(panel, { type: 'classify', tabId, custom_labels: [] });
    assert.equal(c.ok, true, JSON.stringify(c.error));
    assert.equal(c.tier, 'T1');
    assert.deepEqual(c.results.map((/** @type {any} */ r) => r.set), ['topic', 'content_type', 'tone']);
    const a = await ask(panel, { type: 'ask', tabId, question: 'How many repairs did the volunteers log last year?' });
    assert.equal(a.ok, true, JSON.stringify(a.error));
    assert.match(a.answers[0].text, /830 repairs/);
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did offline left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the test above launched a browser');
});
