// @ts-check
/**
 * The model manager against a local hub (SmolLM2 files built at setup from PyPI, served with Range support):
 * consent, progress, resume after a dropped connection and a killed service worker, sha256 verification,
 * corrupt and missing files, retry, cancel, delete, persistence across a browser restart, and a real session.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openExtensionPage, ask, startHub, recordProgress, tempProfile, auditLaunched } from './harness.mjs';

const MODEL = 'smollm2-135m-instruct-int8';
const ONNX = 'onnx/model_quantized.onnx';
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub.close(); });

/** Options page of a fresh (or given) profile, pointed at the local hub. @param {string} [profile] */
async function setup(profile) {
  const b = await launch({ profile });
  const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
  await page.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);
  return { b, page };
}

const stateOf = async (/** @type {any} */ page) => (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);

test('download needs consent, survives a dropped connection and a killed service worker, verifies and loads', async () => {
  const profile = tempProfile();
  let { b, page } = await setup(profile);
  try {
    const refused = await ask(page, { type: 'download', model: MODEL });
    assert.equal(refused.ok, false);
    assert.match(refused.error.message, /consent/);
    assert.match(refused.error.message, /MB/);

    hub.log.length = 0;
    hub.faults.dropAfter = { path: ONNX, bytes: 50_000_000 };
    const progress = await recordProgress(page);
    const memBefore = (await ask(page, { type: 'status' })).wasm_memory_bytes;
    assert.equal((await ask(page, { type: 'download', model: MODEL, consent: true })).ok, true);

    // Kill the service worker mid-download: the download lives in the offscreen document and goes on.
    await page.waitForFunction(() => /** @type {any} */ (window).__progress.some((/** @type {any} */ p) => p.percent > 15), null, { timeout: 120_000 });
    const cdp = await b.ctx.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    // A page opened now re-attaches to the progress.
    const page2 = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const progress2 = await recordProgress(page2);
    const done = await progress.final(MODEL);
    assert.equal(done.state, 'ready', JSON.stringify(done));
    // The engine's memory is a high-water mark: streaming 140 MB in 4 MiB chunks must not grow it by the file.
    const memAfter = (await ask(page, { type: 'status' })).wasm_memory_bytes;
    console.log(`engine wasm memory: ${(memBefore / 1e6).toFixed(1)} MB before, ${(memAfter / 1e6).toFixed(1)} MB after a 140 MB download`);
    assert.ok(memAfter - memBefore < 48e6, `wasm memory grew by ${memAfter - memBefore} bytes`);
    assert.ok((await progress2.events()).length > 0, 'the second page received progress');

    const events = (await progress.events()).filter((p) => p.model === MODEL && p.state === 'downloading');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].done >= events[i - 1].done, 'progress is monotonic');
    assert.ok(events.some((p) => p.bytes_per_s > 0 && p.eta_s != null), 'speed and ETA reported');
    const speeds = events.map((p) => p.bytes_per_s).filter((x) => x > 0);
    console.log(`download throughput from 127.0.0.1 into IndexedDB: median ${(speeds.sort((a, b) => a - b)[speeds.length >> 1] / 1e6).toFixed(1)} MB/s`);
    const resumed = hub.log.filter((r) => r.path === ONNX && r.range);
    assert.equal(resumed.length, 1, JSON.stringify(hub.log));
    const offset = Number((resumed[0].range || '').match(/bytes=(\d+)-/)?.[1]);
    assert.ok(offset > 0 && offset <= 50_000_000 && offset % (4 << 20) === 0, `resumed at ${offset}`);
    assert.equal(resumed[0].status, 206);
    assert.equal((await stateOf(page)).state, 'ready');

    const loaded = await ask(page, { type: 'load_model', model: MODEL });
    assert.equal(loaded.ok, true, JSON.stringify(loaded.error));
    assert.ok(loaded.inputs.includes('input_ids') && loaded.inputs.includes('past_key_values.0.key'), loaded.inputs.join());
    assert.ok(loaded.outputs.includes('logits'));
    await b.ctx.close();

    // Restart: still there, still usable, nothing fetched again.
    ({ b, page } = await setup(profile));
    hub.log.length = 0;
    assert.equal((await stateOf(page)).state, 'ready');
    const again = await ask(page, { type: 'load_model', model: MODEL });
    assert.equal(again.ok, true, JSON.stringify(again.error));
    assert.equal(hub.log.length, 0);

    const del = await ask(page, { type: 'delete_model', model: MODEL });
    assert.equal(del.ok, true);
    const after = await stateOf(page);
    assert.equal(after.state, 'absent');
    assert.equal(after.stored_bytes, 0);
    assert.equal((await ask(page, { type: 'load_model', model: MODEL })).ok, false);
  } finally {
    await b.ctx.close();
  }
});

test('not enough room: a clear message before any byte is fetched', async () => {
  const { b, page } = await setup();
  try {
    await page.fill('#cap', '100');
    await page.dispatchEvent('#cap', 'change');
    await page.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings?.storage_cap_mb === 100);
    hub.log.length = 0;
    const r = await ask(page, { type: 'download', model: MODEL, consent: true });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'storage_failed');
    // The model's size as the catalog lists it (files summed), in the message's own rounding.
    const size = (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL).size;
    const mb = (size / 1e6).toFixed(1).replace('.', '\\.');
    assert.match(r.error.message, new RegExp(`Not enough storage: this model needs ${mb} MB, and Scout may use only (99\\.\\d|100\\.0) MB more`));
    assert.equal(hub.log.length, 0, 'nothing was requested');
    assert.equal((await stateOf(page)).state, 'absent');
  } finally {
    await b.ctx.close();
  }
});

test('a corrupt file is rejected and deleted; a missing file is a clear error; retries are visible; cancel leaves nothing', async () => {
  const { b, page } = await setup();
  try {
    const progress = await recordProgress(page);
    hub.faults.flipByte = { path: 'config.json', offset: 10 };
    assert.equal((await ask(page, { type: 'download', model: MODEL, consent: true })).ok, true);
    const corrupt = await progress.final(MODEL);
    hub.faults.flipByte = null;
    assert.equal(corrupt.state, 'failed');
    assert.match(corrupt.message.text, /config\.json is corrupt: it hashes to [0-9a-f]{64} \(707 bytes\), not the sha256 pinned in Scout's catalog/);
    let st = await stateOf(page);
    assert.notEqual(st.state, 'ready');
    assert.equal(st.stored_bytes, 0, 'nothing of the corrupt file is kept');
    assert.equal((await ask(page, { type: 'load_model', model: MODEL })).ok, false);

    await page.evaluate(() => { /** @type {any} */ (window).__progress.length = 0; });
    hub.faults.status = { path: 'config.json', code: 404, times: Infinity };
    await ask(page, { type: 'download', model: MODEL, consent: true });
    const missing = await progress.final(MODEL);
    hub.faults.status = null;
    assert.equal(missing.state, 'failed');
    assert.match(missing.message.text, /not found/);

    // A 500 is retried with backoff (visible as a "retrying" event), then the download proceeds; cancel it.
    await page.evaluate(() => { /** @type {any} */ (window).__progress.length = 0; });
    hub.faults.status = { path: 'config.json', code: 500, times: 1 };
    await ask(page, { type: 'download', model: MODEL, consent: true });
    await page.waitForFunction(() => /** @type {any} */ (window).__progress.some((/** @type {any} */ p) => p.state === 'downloading' && p.percent > 5), null, { timeout: 120_000 });
    const events = await progress.events();
    assert.ok(events.some((p) => p.state === 'retrying' && /500/.test(p.message.text)), JSON.stringify(events.slice(0, 3)));
    assert.equal((await ask(page, { type: 'cancel_download', model: MODEL })).ok, true);
    const cancelled = await progress.final(MODEL);
    assert.equal(cancelled.state, 'cancelled');
    st = await stateOf(page);
    assert.equal(st.state, 'absent');
    assert.equal(st.stored_bytes, 0, 'cancel leaves no bytes behind');
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
