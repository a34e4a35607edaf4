// @ts-check
/**
 * Models whose hashes Scout's catalog does not pin are downloadable with consent and checked against the hashes the
 * hub declares in its file listing (LFS sha256 for the ONNX graph, git blob ids for the small files): a good
 * download is ready and says "verified by the hub's hashes"; bytes that do not match the declared hash are rejected
 * and deleted; a repository the hub does not list is a clear error before any file is fetched. Served by the local
 * test hub, which lists files as the Hugging Face hub does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openExtensionPage, ask, startHub, recordProgress, auditLaunched } from './harness.mjs';

const MODEL = 'tiny-llama-unpinned';
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub.close(); });

test('unpinned models: verified by the hub\'s declared hashes, corrupt bytes rejected, unknown repos refused', async () => {
  const b = await launch();
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await page.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);
    await page.reload();
    await page.waitForSelector(`[data-testid="check-${MODEL}"]`);
    assert.match(await page.textContent(`[data-testid="check-${MODEL}"]`) || '', /pins no hashes.*sha256 the hub declares/);
    assert.equal(await page.getAttribute(`[data-testid="download-${MODEL}"]`, 'disabled'), null, 'offered for download');
    const listed = (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.equal(listed.verified, false);

    // Bytes that do not hash to what the hub declares: rejected, nothing kept.
    const progress = await recordProgress(page);
    hub.faults.flipByte = { path: 'onnx/model.onnx', offset: 4096 };
    hub.log.length = 0;
    assert.equal((await ask(page, { type: 'download', model: MODEL, consent: true })).ok, true);
    const bad = await progress.final(MODEL);
    hub.faults.flipByte = null;
    assert.equal(bad.state, 'failed');
    assert.match(bad.message.text, /onnx\/model\.onnx is corrupt: it hashes to [0-9a-f]{64} \(\d+ bytes\), not the sha256 the hub declares [0-9a-f]{64}/);
    assert.equal(hub.log[0].path, '/api/models/scout-test/tiny-llama/tree/main', 'the listing is read first');
    let st = (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.notEqual(st.state, 'ready');

    // A good download, as a person starts it: the button, the consent dialog (size marked approximate, the hub's
    // hashes named), Download. Ready, with the hub's sizes, and said to be verified by the hub's hashes.
    await page.reload();
    const progressAfterReload = await recordProgress(page);
    await page.click(`[data-testid="download-${MODEL}"]`);
    await page.waitForSelector('#consent[open]');
    assert.match(await page.textContent('#consent-text') || '', /^Download .*: about \d.*from http:\/\/127\.0\.0\.1:\d+\/scout-test\/tiny-llama\? .*the sha256 the hub declares for each file/);
    await page.click('#consent-ok');
    const good = await progressAfterReload.final(MODEL);
    assert.equal(good.state, 'ready', JSON.stringify(good));
    assert.equal(good.message.text, "verified by the hub's hashes and ready");
    st = (await ask(page, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.equal(st.state, 'ready');
    assert.equal(st.hub_verified, true);
    assert.notEqual(st.size, listed.size, 'the size is the hub\'s, not the catalog\'s rounded one');
    await page.reload();
    await page.waitForSelector(`[data-testid="check-${MODEL}"]`);
    assert.match(await page.textContent(`[data-testid="check-${MODEL}"]`) || '', /Verified by the hub's hashes/);

    // A repository the hub does not list: refused with a clear message, no file requested.
    hub.log.length = 0;
    const missing = await ask(page, { type: 'download', model: 'unpinned-not-on-hub', consent: true });
    assert.equal(missing.ok, false);
    assert.match(missing.error.message, /could not read the hub's list of scout-test\/not-on-the-hub's files/);
    assert.deepEqual(hub.log.map((l) => l.path), ['/api/models/scout-test/not-on-the-hub/tree/main']);
  } finally {
    await b.ctx.close();
  }
  assert.ok(auditLaunched() >= 1);
});
