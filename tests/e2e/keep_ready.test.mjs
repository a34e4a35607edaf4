// @ts-check
/**
 * The engine's lifetime. "Keep Scout ready" (options): off by default, the engine starts only when asked; on, it
 * starts with the browser, without any page asking. Unused for the idle time (options), the engine's document is
 * closed and its memory freed; the next request starts it again. The memory the running engine holds is measured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openExtensionPage, ask, tempProfile, auditLaunched, chromiumRss } from './harness.mjs';

/** @param {any} sw @returns {Promise<number>} offscreen documents open */
const offscreenDocs = (sw) => sw.evaluate(async () => (await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] })).length);

/** Wait up to `ms` for `check()` to be true. @param {() => Promise<boolean>} check @param {number} ms */
async function waitFor(check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

test('off by default: no engine until asked; the running engine\'s memory is measured', async () => {
  const b = await launch();
  try {
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await offscreenDocs(b.sw), 0, 'nothing starts the engine by itself');
    const before = chromiumRss(b.profile); // no engine, no page of ours
    // The options page asks for the engine's status when it opens, which starts the engine.
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    assert.equal(await page.isChecked('[data-testid=keep-ready]'), false);
    const status = await ask(page, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    assert.equal(status.ready, true);
    await new Promise((r) => setTimeout(r, 1000));
    const after = chromiumRss(b.profile);
    const mb = (/** @type {number} */ x) => (x / 1e6).toFixed(0);
    // Measured with the options page open (a small page of its own): the option's cost is a little below this.
    console.log(`engine started: extension processes ${mb(before.extension)} → ${mb(after.extension)} MB (+${mb(after.extension - before.extension)}), all Chromium ${mb(before.all)} → ${mb(after.all)} MB (+${mb(after.all - before.all)})`);
  } finally {
    await b.ctx.close();
  }
});

test('on: the engine starts with the browser, before any page asks', async () => {
  const profile = tempProfile();
  let b = await launch({ profile });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await page.check('[data-testid=keep-ready]');
    await page.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings?.keep_ready === true);
    await b.ctx.close();

    b = await launch({ profile });
    assert.ok(await waitFor(async () => (await offscreenDocs(b.sw)) === 1, 20_000), 'the engine\'s document starts by itself');
    // The engine loads in that document: once it is up, a status answer says so at once.
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    assert.equal(await options.isChecked('[data-testid=keep-ready]'), true);
    const status = await ask(options, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    assert.equal(status.ready, true);
    assert.ok(status.init_ms > 0);
  } finally {
    await b.ctx.close(); // the profile stays: the network audit reads its net log
  }
});

test('an unused engine is unloaded after the idle time, and the next request starts it again', async () => {
  const b = await launch();
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    // Half a minute: the shortest delay chrome.alarms allows (the default is 10 minutes).
    await page.evaluate(() => chrome.storage.local.set({ settings: { idle_unload_minutes: 0.5 } }));
    const first = await ask(page, { type: 'status' });
    assert.equal(first.ready, true, JSON.stringify(first.error));
    await page.close(); // nothing of ours stays open that could ask again
    const loaded = chromiumRss(b.profile);
    assert.equal(await offscreenDocs(b.sw), 1);
    assert.ok(await waitFor(async () => (await offscreenDocs(b.sw)) === 0, 90_000), 'the engine is unloaded when unused');
    await new Promise((r) => setTimeout(r, 1000));
    const freed = chromiumRss(b.profile);
    console.log(`unloaded: extension processes ${(loaded.extension / 1e6).toFixed(0)} → ${(freed.extension / 1e6).toFixed(0)} MB`);
    assert.ok(freed.extension < loaded.extension - 100e6, 'unloading frees the engine\'s memory');
    const again = await ask(await openExtensionPage(b.ctx, b.extensionId, 'history.html'), { type: 'status' });
    assert.equal(again.ok, true, JSON.stringify(again.error));
    assert.equal(again.ready, true);
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 3, 'the tests above launched browsers');
});
