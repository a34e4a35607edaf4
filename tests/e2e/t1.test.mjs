// @ts-check
/**
 * T1 in the side panel: classification chips and a retrieval answer for a served page; the citation scrolls to
 * and highlights the right passage in the page, and the highlight is removed cleanly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, launch, openPage, tabIdOf, openExtensionPage, ask, auditLaunched } from './harness.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('side panel: classification chips, an answer that quotes the page, and a clean highlight', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    // Labels typed in the options page reach the side panel (and back).
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.fill('[data-testid=custom-labels]', 'public libraries, car repair, cooking');
    await options.press('[data-testid=custom-labels]', 'Tab');
    await options.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings?.custom_labels === 'public libraries, car repair, cooking');
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    await panel.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('custom')).value === 'public libraries, car repair, cooking');
    await panel.click('#classify');
    await panel.waitForSelector('[data-testid=labels] .chip', { timeout: 120_000 });
    const chips = await panel.$$eval('[data-testid=labels] .chip', (cs) => cs.map((c) => ({ set: c.getAttribute('data-set'), label: c.getAttribute('data-label') })));
    assert.deepEqual(chips.map((c) => c.set), ['topic', 'content_type', 'tone', 'custom']);
    assert.equal(chips[3].label, 'public_libraries', JSON.stringify(chips));
    assert.match(await panel.textContent('[data-testid=labels]') || '', /T1 · WASM/);

    await panel.fill('#question', 'How many repairs did the volunteers log last year?');
    await panel.click('#ask');
    await panel.waitForSelector('[data-testid=answer], [data-testid=no-answer]', { timeout: 120_000 });
    const answers = await panel.$$eval('[data-testid=answer] p', (ps) => ps.map((p) => p.textContent || ''));
    assert.ok(answers.length >= 1, 'an answer is shown');
    const pageText = (await page.evaluate(() => document.body.innerText)).replace(/\s+/g, ' ');
    for (const q of answers) assert.ok(pageText.includes(q.replace(/\s+/g, ' ')), `quote not in page: ${q}`);
    const r = await ask(panel, { type: 'ask', tabId, question: 'How many repairs did the volunteers log last year?' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.ok(r.index_cached, 'a follow-up question reuses the passage index');
    assert.match(r.answers[0].text, /830 repairs/, 'the best passage holds the answer');

    await panel.setViewportSize({ width: 420, height: 720 });
    fs.mkdirSync(path.join(ROOT, 'target/screenshots'), { recursive: true });
    await panel.screenshot({ path: path.join(ROOT, 'target/screenshots/sidepanel.png') });

    // Citation → highlight in the page, without changing its DOM.
    const before = await page.evaluate(() => document.body.innerHTML);
    await panel.click('a.cite');
    await page.waitForFunction(() => /** @type {any} */ (CSS).highlights.has('scout-cite'), null, { timeout: 10_000 });
    const marked = await page.evaluate(() => [.../** @type {any} */ (CSS).highlights.get('scout-cite')].map((rg) => rg.toString()).join(' '));
    assert.ok(answers[0].includes(marked.trim()) || marked.includes(answers[0].slice(0, 40)), `highlighted "${marked}" vs quote "${answers[0]}"`);
    assert.equal(await page.evaluate(() => document.body.innerHTML), before, 'highlighting does not touch the DOM');
    assert.equal((await ask(panel, { type: 'clear_highlight', tabId })).ok, true);
    assert.equal(await page.evaluate(() => /** @type {any} */ (CSS).highlights.has('scout-cite')), false);

    const none = await ask(panel, { type: 'ask', tabId, question: 'What is the boiling point of mercury in kelvin?' });
    assert.equal(none.ok, true, JSON.stringify(none.error));
    assert.equal(none.answers.length, 0, JSON.stringify(none.answers[0]));
    assert.match(none.no_answer.text, /does not seem to answer/);
    assert.equal(r.caution, null, 'a confident answer is not flagged');

    // An on-topic question the page does not answer scores between the floor and the threshold: the closest
    // passages are shown, flagged (a paraphrased question the page does answer scores as low: no false "no").
    await panel.fill('#question', 'Which bus line stops at the library?');
    await panel.click('#ask');
    await panel.waitForSelector('[data-testid=turn]:last-child [data-testid=unsure]', { timeout: 120_000 });
    assert.match(await panel.textContent('[data-testid=turn]:last-child [data-testid=unsure]') || '', /may not answer this/);
    assert.ok(await panel.$('[data-testid=turn]:last-child [data-testid=answer]'), 'the closest passages are shown under the flag');

    // Classifications and answers are kept in the history too.
    const h = await ask(panel, { type: 'history', query: 'repairs' });
    assert.equal(h.ok, true, JSON.stringify(h.error));
    const kinds = h.entries.filter((e) => e.url === url).map((e) => e.kind);
    assert.ok(kinds.includes('answer'), kinds.join());
    assert.ok(h.entries.some((e) => e.kind === 'answer' && e.text.includes('830 repairs')), JSON.stringify(h.entries[0]));
    const c = await ask(panel, { type: 'history', query: 'yours: public libraries' });
    assert.ok(c.entries.some((e) => e.kind === 'classification' && e.url === url), JSON.stringify(c.entries));
  } finally {
    await b.ctx.close();
  }
});

test('a long summary can be stopped; the engine answers the next request normally', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/corpus/wikipedia/`;
    await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    // The engine clears a stop when a job arrives and checks for one between batches of sentences, which take
    // well under a second in all: ask it to stop every 50 ms until the job answers, so some stop lands mid-job.
    let answered = false;
    const job = ask(popup, { type: 'summarize', tabId, refresh: true }).finally(() => { answered = true; });
    let stops = 0;
    while (!answered) {
      const stop = await ask(popup, { type: 'cancel' });
      assert.equal(stop.ok, true);
      stops += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(stops >= 1);
    const r = await job;
    assert.equal(r.ok, false, 'the job was stopped');
    assert.equal(r.error.code, 'cancelled');
    const small = `${server.base}/sample/article.html`;
    await openPage(b.ctx, small);
    const next = await ask(popup, { type: 'summarize', tabId: await tabIdOf(b.sw, small) });
    assert.equal(next.ok, true, JSON.stringify(next.error));
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
