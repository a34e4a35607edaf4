// @ts-check
/**
 * A 500 MB download (the test build's synthetic catalog entry, served by a local hub) streams into IndexedDB in
 * bounded memory: the engine's wasm memory, the extension renderer's resident memory and the whole browser's are
 * sampled while it runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, openExtensionPage, ask, startHub, recordProgress, tempProfile, auditLaunched, chromiumRss } from './harness.mjs';

const MODEL = 'test-500mb';
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub.close(); });

test('a 500 MB download streams in bounded memory', async () => {
  const profile = tempProfile();
  const b = await launch({ profile });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await page.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);
    const listed = (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.ok(listed, 'the test build lists the synthetic entry');
    assert.equal(listed.size, 500_000_000);

    const status0 = await ask(page, { type: 'status' });
    const base = chromiumRss(b.profile);
    const progress = await recordProgress(page);
    const started = Date.now();
    assert.equal((await ask(page, { type: 'download', model: MODEL, consent: true })).ok, true);
    const peak = { extension: 0, all: 0 };
    /** Extension renderer RSS (MB) when each further 10 % of the file had arrived. @type {string[]} */
    const series = [];
    let final = null;
    while (!final) {
      const rss = chromiumRss(b.profile);
      peak.extension = Math.max(peak.extension, rss.extension);
      peak.all = Math.max(peak.all, rss.all);
      const pct = await page.evaluate(() => /** @type {any} */ (window).__progress.at(-1)?.percent || 0);
      if (pct >= (series.length + 1) * 10) series.push(`${Math.floor(pct)}%:${((rss.extension - base.extension) / 1e6).toFixed(0)}`);
      final = await page.evaluate((m) => /** @type {any} */ (window).__progress.find((/** @type {any} */ p) => p.model === m && ['ready', 'failed', 'cancelled'].includes(p.state)), MODEL);
      if (!final) await new Promise((r) => setTimeout(r, 250));
      assert.ok(Date.now() - started < 480_000, 'the download finishes within 8 minutes');
    }
    assert.equal(final.state, 'ready', JSON.stringify(final));
    const secs = (Date.now() - started) / 1000;
    const status1 = await ask(page, { type: 'status' });
    const mb = (/** @type {number} */ x) => (x / 1e6).toFixed(0);
    console.log(`500 MB download: ${secs.toFixed(1)} s (${(500 / secs).toFixed(1)} MB/s); engine wasm memory ${mb(status0.wasm_memory_bytes)} → ${mb(status1.wasm_memory_bytes)} MB; ` +
      `extension renderer RSS ${mb(base.extension)} → peak ${mb(peak.extension)} MB; all Chromium processes ${mb(base.all)} → peak ${mb(peak.all)} MB`);
    console.log(`extension renderer growth (MB) as the file arrived: ${series.join(' ')}`);
    const events = (await progress.events()).filter((p) => p.model === MODEL && p.state === 'downloading');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].done >= events[i - 1].done, 'progress is monotonic');
    // Bounded: none of these may grow by anything like the file (500 MB); GC timing moves the renderer by ±150 MB.
    assert.ok(status1.wasm_memory_bytes - status0.wasm_memory_bytes < 48e6, 'engine wasm memory stays bounded');
    assert.ok(peak.extension - base.extension < 250e6, `extension renderer grew by ${mb(peak.extension - base.extension)} MB`);
    assert.ok(peak.all - base.all < 400e6, `Chromium grew by ${mb(peak.all - base.all)} MB`);

    assert.equal((await ask(page, { type: 'delete_model', model: MODEL })).ok, true);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
  fs.rmSync(profile, { recursive: true, force: true });
});
