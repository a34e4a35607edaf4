// @ts-check
/**
 * T2 in the real extension: SmolLM2-135M (int8, built at setup from PyPI) downloaded with consent from the local
 * hub, then a summary and a chat answer written by it in the offscreen document on ort-web. The text streams on
 * BroadcastChannel('scout-stream') in several chunks before the reply; Stop ends generation within a token step;
 * citations are only passages the model was given, and each one's nodes highlight the page; nothing leaves
 * 127.0.0.1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, tabIdOf, openExtensionPage, ask, startHub, startServer, recordProgress, auditLaunched } from './harness.mjs';

const MODEL = 'smollm2-135m-instruct-int8';
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { hub = await startHub(); server = await startServer(); });
after(async () => { await hub.close(); await server.close(); });

/**
 * Send a `write` request from `page` and collect its stream's messages until the reply.
 * @param {import('playwright-core').Page} page @param {any} msg
 */
async function write(page, msg) {
  return page.evaluate(async (m) => {
    const { PROTOCOL_VERSION } = await import('./protocol.js');
    /** @type {any[]} */
    const events = [];
    const ch = new BroadcastChannel('scout-stream');
    ch.onmessage = (ev) => { const e = JSON.parse(ev.data); if (e.stream === m.stream) events.push({ ...e, at: performance.now() }); };
    const start = performance.now();
    const reply = await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, type: 'write', ...m });
    const end = performance.now();
    ch.close();
    return { reply, events, start, end };
  }, msg);
}

test('T2: a streamed summary and a cited answer from a downloaded SmolLM2, stop within a token', async () => {
  const b = await launch();
  try {
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);
    const progress = await recordProgress(options);
    assert.equal((await ask(options, { type: 'download', model: MODEL, consent: true })).ok, true);
    assert.equal((await progress.final(MODEL)).state, 'ready');

    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);

    const summary = await write(panel, { tabId, stream: 's1', model: MODEL, job: { kind: 'summary', options: { type: 'key-points', length: 'short' } } });
    assert.equal(summary.reply.ok, true, JSON.stringify(summary.reply.error));
    const r = summary.reply;
    console.log(`T2 summary (${r.ep}): ${r.prompt_tokens} prompt tokens, first token ${Math.round(r.time_to_first_token_ms)} ms, ` +
      `${r.decode_tokens_per_s.toFixed(1)} tok/s, ${Math.round(r.total_ms)} ms\n${r.text}`);
    assert.equal(r.tier, 'T2');
    assert.equal(r.model, MODEL);
    assert.equal(r.ep, 'wasm');
    assert.equal(r.coverage, 1);
    const texts = summary.events.filter((e) => e.kind === 'text');
    assert.ok(texts.length >= 2, `streamed in ${texts.length} chunks`);
    assert.ok(texts[0].at < summary.end - 100, 'the first chunk arrived well before the reply');
    const bullets = r.text.split('\n');
    assert.ok(bullets.length >= 1 && bullets.length <= 3 && bullets.every((/** @type {string} */ l) => l.startsWith('- ')), r.text);

    // A question: only given passages are cited, and each citation's nodes mark the page.
    const chat = await write(panel, { tabId, stream: 's2', model: MODEL, job: { kind: 'chat', question: 'How many repairs did the volunteers log last year?' } });
    assert.equal(chat.reply.ok, true, JSON.stringify(chat.reply.error));
    console.log(`T2 answer: ${chat.reply.text} (citations ${JSON.stringify(chat.reply.citations.map((/** @type {any} */ c) => c.n))}, invalid ${JSON.stringify(chat.reply.invalid_citations)})`);
    assert.ok(chat.reply.text.length > 0);
    for (const c of chat.reply.citations) {
      assert.ok(new RegExp(`\\[${c.n}\\]`).test(chat.reply.text), `citation ${c.n} is in the text`);
      const marked = await ask(panel, { type: 'highlight', tabId, nodes: c.nodes, quote: c.text.slice(0, 80) });
      assert.equal(marked.ok, true, JSON.stringify(marked.error));
    }
    assert.ok(!/\[(?:[5-9]|\d\d)\]/.test(chat.reply.text), 'no marker beyond the passages given');

    // Stop: cancel as soon as the first chunk streams; the reply comes within a token step.
    const stopped = await panel.evaluate(async (m) => {
      const { PROTOCOL_VERSION } = await import('./protocol.js');
      const ch = new BroadcastChannel('scout-stream');
      /** @type {number[]} */
      const after = [];
      let cancelAt = 0;
      ch.onmessage = (ev) => {
        const e = JSON.parse(ev.data);
        if (e.stream !== m.stream || e.kind !== 'text') return;
        if (!cancelAt) { cancelAt = performance.now(); chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, type: 'cancel' }); } else after.push(performance.now());
      };
      const reply = await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, type: 'write', ...m });
      ch.close();
      return { reply, chunksAfterCancel: after.length, ms: performance.now() - cancelAt };
    }, { tabId, stream: 's3', model: MODEL, job: { kind: 'summary', options: { type: 'tldr', length: 'long' } } });
    assert.equal(stopped.reply.ok, true, JSON.stringify(stopped.reply.error));
    assert.equal(stopped.reply.stop, 'cancelled');
    assert.ok(stopped.chunksAfterCancel <= 2, `${stopped.chunksAfterCancel} chunks after cancel`);
    console.log(`stopped ${Math.round(stopped.ms)} ms after cancel`);
    await page.close();
  } finally {
    await b.ctx.close();
  }
  assert.ok(auditLaunched() >= 1, 'the net log was audited (it throws on any request outside 127.0.0.1)');
});
