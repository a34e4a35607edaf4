// @ts-check
/**
 * T2 in the real extension: SmolLM2-135M (int8, built at setup from PyPI) downloaded with consent from the local
 * hub, then a summary and a chat answer written by it in the offscreen document on Scout's int8 decoder (two threads:
 * the document and a worker; one with the same text when the worker cannot start). The text streams on
 * BroadcastChannel('scout-stream') in several chunks before the reply; Stop ends generation within a token step;
 * citations are only passages the model was given, and each one's nodes highlight the page; nothing leaves
 * 127.0.0.1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, openPage, tabIdOf, openExtensionPage, ask, startHub, startServer, recordProgress, auditLaunched, nativeGenerate, ROOT } from './harness.mjs';

const MODEL = 'smollm2-135m-instruct-int8';
/** @type {Awaited<ReturnType<typeof startHub>>} */
let hub;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
before(async () => { hub = await startHub(); server = await startServer(); });
after(async () => { await hub.close(); await server.close(); });

/**
 * Download SmolLM2 from the local hub into a fresh browser, with consent, and wait until it is ready.
 * @param {Awaited<ReturnType<typeof launch>>} b
 */
async function downloadModel(b) {
  const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
  await options.evaluate((h) => chrome.storage.local.set({ settings: { hub: h } }), hub.base);
  const progress = await recordProgress(options);
  assert.equal((await ask(options, { type: 'download', model: MODEL, consent: true })).ok, true);
  assert.equal((await progress.final(MODEL)).state, 'ready');
  await options.close();
}

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
    await downloadModel(b);

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
      // A citation is in the text, or (when the model cited none) a passage Scout matched to the answer's words.
      assert.ok(c.matched || new RegExp(`\\[${c.n}\\]`).test(chat.reply.text), `citation ${c.n} is in the text`);
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

    await uiSummary(b, tabId);
    await uiChat(b, tabId, page);

    // Idle: the LLM is unloaded once unused for the idle time (here 3 s; the document itself would close after
    // 30 s at the earliest), and the next job loads it again.
    await panel.evaluate(async () => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...(settings || {}), idle_unload_minutes: 0.05 } });
    });
    const gen = { type: 'generate', model: MODEL, messages: [{ role: 'user', content: 'Say hi.' }], max_new_tokens: 2, min_new_tokens: 0 };
    const first = await ask(panel, gen);
    assert.equal(first.ok, true);
    assert.equal(first.cache_in_runtime, true, 'the key/value cache stays in the decoder');
    assert.equal(first.decoder_threads, 2, 'Scout\'s int8 decoder runs on two threads (this machine has two cores)');
    assert.equal((await ask(panel, { type: 'status' })).writer, MODEL, 'loaded right after a job');
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal((await ask(panel, { type: 'status' })).writer, null, 'unloaded after the idle time');
    const again = await ask(panel, gen);
    assert.equal(again.ok, true);
    assert.ok(again.load_ms > 0, 'the next job loads it again');
    await page.close();
  } finally {
    await b.ctx.close();
  }
  assert.ok(auditLaunched() >= 1, 'the net log was audited (it throws on any request outside 127.0.0.1)');
});

test('a decoder worker that cannot start leaves the engine writing alone: the same greedy text, as natively', async () => {
  // Scout's decoder gives the same bits on one thread or two, in the browser or natively, so the same greedy tokens;
  // here the second browser's extension is a copy whose decoder worker throws as it loads.
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-broken-decoder-worker-'));
  fs.cpSync(process.env.SCOUT_DIST || path.join(ROOT, 'target/dist-test'), dist, { recursive: true });
  fs.writeFileSync(path.join(dist, 'decoder_worker.js'), "throw new Error('broken on purpose');\n");
  const request = {
    type: 'generate', model: MODEL, max_new_tokens: 24, min_new_tokens: 24,
    messages: [{ role: 'user', content: 'Write two sentences about rivers and the towns built beside them.' }],
  };
  /** @param {string | undefined} dist */
  const generate = async (dist) => {
    const b = await launch(dist ? { dist } : {});
    try {
      await downloadModel(b);
      const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
      const r = await ask(page, request);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      return r;
    } finally {
      await b.ctx.close();
    }
  };
  try {
    const two = await generate(undefined);
    const one = await generate(dist);
    console.log(`two threads: first token ${Math.round(two.time_to_first_token_ms)} ms, ${two.decode_tokens_per_s.toFixed(1)} tok/s; ` +
      `one: ${Math.round(one.time_to_first_token_ms)} ms, ${one.decode_tokens_per_s.toFixed(1)} tok/s; ${JSON.stringify(two.text)}`);
    assert.equal(two.decoder_threads, 2);
    assert.equal(one.decoder_threads, 1, 'the engine writes alone');
    assert.equal(one.generated_tokens, 24);
    assert.equal(one.text, two.text);
    const native = nativeGenerate('HuggingFaceTB/SmolLM2-135M-Instruct', request.messages, 24);
    assert.equal(native.ep, 'native-int8');
    assert.equal(native.text, two.text, 'the native decoder writes the same tokens');
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
});

test('T2 on a page longer than the model reads: the popup says how much it read, and still summarizes', async () => {
  const b = await launch();
  try {
    await downloadModel(b);
    // An 8,000-word article: more parts than the model reads (4 of its 2,048-token context each).
    const url = `${server.base}/corpus/lazy-image-2/`;
    await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    await popup.selectOption('#type', 'key-points');
    await popup.selectOption('#length', 'short');
    await popup.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.reading = [];
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid=t2-status]')?.textContent || '';
        if (s && w.reading.at(-1) !== s) w.reading.push(s);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await popup.click('#summarize');
    await popup.waitForSelector('[data-testid=t2-timings]', { timeout: 400_000 });
    const reading = await popup.evaluate(() => /** @type {any} */ (window).reading);
    console.log(`long page progress: ${reading.join(' | ')}`);
    assert.ok(reading.some((/** @type {string} */ r) => /Reading part 4 of 4 of this long page \(about \d+ s left\)/.test(r)), JSON.stringify(reading));
    const note = await popup.textContent('[data-testid=t2-note]') || '';
    console.log(`long page: ${note}`);
    const read = Number((note.match(/the model read (\d+)%/) || [])[1]);
    assert.ok(read > 20 && read < 100, note);
    assert.match(note, /in 4 parts/);
    assert.ok((await popup.$$eval('[data-testid=t2-text] li', (lis) => lis.length)) >= 1, 'it still summarizes');
    assert.match(await popup.textContent('[data-testid=tier]') || '', /^T2 · local LLM/);
  } finally {
    await b.ctx.close();
  }
  assert.ok(auditLaunched() >= 1);
});

/**
 * Light and dark screenshots of `page` (target/screenshots/{name}-light.png and -dark.png; the README's come from
 * these). @param {import('playwright-core').Page} page @param {string} name
 */
async function screenshots(page, name) {
  fs.mkdirSync(path.join(ROOT, 'target/screenshots'), { recursive: true });
  for (const scheme of /** @type {const} */ (['light', 'dark'])) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(ROOT, `target/screenshots/${name}-${scheme}.png`) });
  }
}

/**
 * The popup as a person uses it with a downloaded LLM: the extracted summary shows first, the model's summary streams
 * in over it (several updates), labelled T2 with the model and backend; the extracted one stays folded below.
 * @param {Awaited<ReturnType<typeof launch>>} b @param {number} tabId
 */
async function uiSummary(b, tabId) {
  const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
  await options.waitForFunction(() => /** @type {HTMLSelectElement} */ (document.getElementById('writer')).options.length > 2);
  const writer = await options.$eval('#writer', (s) => ({ value: /** @type {HTMLSelectElement} */ (s).value, text: s.textContent || '' }));
  assert.equal(writer.value, 'auto');
  assert.match(writer.text, /Automatic: SmolLM2/, 'the downloaded model is the automatic choice');
  await options.close();

  const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
  await popup.selectOption('#type', 'key-points');
  await popup.selectOption('#length', 'short');
  // Record when the extracted summary appears and every state of the written text.
  await popup.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.seen = { summaryAt: 0, texts: /** @type {{at: number, text: string}[]} */ ([]) };
    new MutationObserver(() => {
      if (!w.seen.summaryAt && document.querySelector('[data-testid=summary] li')) w.seen.summaryAt = performance.now();
      const t = document.querySelector('[data-testid=t2-text]');
      const text = t ? t.textContent || '' : '';
      const last = w.seen.texts[w.seen.texts.length - 1];
      if (text && (!last || last.text !== text)) w.seen.texts.push({ at: performance.now(), text });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await popup.click('#summarize');
  await popup.waitForSelector('[data-testid=t2-timings]', { timeout: 180_000 });
  const seen = await popup.evaluate(() => /** @type {any} */ (window).seen);
  assert.ok(seen.summaryAt > 0, 'the extracted summary was shown');
  assert.ok(seen.texts.length >= 2, `the written summary arrived in ${seen.texts.length} updates`);
  assert.ok(seen.summaryAt < seen.texts[0].at, 'the extracted summary came first');
  assert.match(await popup.textContent('[data-testid=tier]') || '', /^T2 · local LLM · SmolLM2.* · WASM$/);
  const bullets = await popup.$$eval('[data-testid=t2-text] li', (lis) => lis.map((li) => li.textContent || ''));
  assert.ok(bullets.length >= 1 && bullets.length <= 3, JSON.stringify(bullets));
  assert.equal(await popup.$$eval('details.extracted [data-testid=summary] li', (lis) => lis.length > 0), true, 'the extracted summary is folded below');
  assert.equal(await popup.getAttribute('body', 'data-state'), 'done');
  assert.equal(await popup.isHidden('#stop'), true);
  await popup.setViewportSize({ width: 520, height: 560 });
  await screenshots(popup, 'popup-t2');
  await popup.close();
}

/**
 * Note inside the panel when an answer's text first streams in (`window.scoutStreamed`): a short answer can stream
 * and be done between two of the test's polls, so waiting to *see* the streaming element races with a fast model.
 * @param {import('playwright-core').Page} panel
 */
async function watchStreaming(panel) {
  await panel.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.scoutStreamed = false;
    const seen = new MutationObserver(() => {
      if (!(document.querySelector('[data-testid=streaming]')?.textContent || '').length) return;
      w.scoutStreamed = true;
      seen.disconnect();
    });
    seen.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/**
 * The side panel's chat: Enter sends, the answer streams and is written by the LLM with citation chips that mark
 * the page; the conversation survives closing the panel; Esc stops; Regenerate answers again; Clear empties it.
 * @param {Awaited<ReturnType<typeof launch>>} b @param {number} tabId @param {import('playwright-core').Page} page
 */
async function uiChat(b, tabId, page) {
  let panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
  await panel.waitForFunction(() => /T2/.test(document.getElementById('chat-tier')?.textContent || ''));
  await panel.fill('#question', 'What do the volunteers at the library repair evenings fix?');
  await watchStreaming(panel);
  await panel.press('#question', 'Enter');
  await panel.waitForFunction(() => /** @type {any} */ (window).scoutStreamed === true, null, { timeout: 60_000 });
  await panel.waitForSelector('[data-testid=t2-answer]', { timeout: 180_000 });
  const answer = await panel.textContent('[data-testid=t2-answer]') || '';
  console.log(`side panel answer: ${answer}`);
  assert.ok(answer.trim().length > 0);
  assert.match(await panel.textContent('[data-testid=turn] p.timings') || '', /^T2 · local LLM · SmolLM2.* · WASM · /);
  // Chips: the passages the answer cites, or (when the small model cites none) those Scout matched to its words.
  const chips = await panel.$$('[data-testid=turn] button.cite-chip');
  console.log(`${chips.length} citation chips${await panel.$('[data-testid=matched]') ? ' (matched by Scout)' : ''}`);
  assert.ok(chips.length >= 1, 'the answer shows where it comes from');
  await chips[0].click();
  await page.waitForFunction(() => /** @type {any} */ (CSS).highlights.has('scout-cite'), null, { timeout: 10_000 });
  assert.equal((await ask(panel, { type: 'clear_highlight', tabId })).ok, true);
  await panel.setViewportSize({ width: 480, height: 760 });
  await screenshots(panel, 'sidepanel-t2');
  await panel.emulateMedia({ colorScheme: 'light' });

  // The conversation is the tab's: a reopened panel shows it.
  await panel.close();
  panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
  await panel.waitForSelector('[data-testid=t2-answer]');
  assert.equal(await panel.textContent('[data-testid=t2-answer]'), answer);

  // Esc stops a follow-up while it streams; what was written stays, marked as stopped.
  // (The key is sent from inside the panel on the first streamed text: a short answer could end before a round trip.)
  await panel.evaluate(() => {
    const stopOnText = new MutationObserver(() => {
      if (!(document.querySelector('[data-testid=streaming]')?.textContent || '').length) return;
      stopOnText.disconnect();
      document.getElementById('question')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    stopOnText.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await panel.fill('#question', 'Describe in detail how the repair evenings at the library work.');
  await panel.press('#question', 'Enter');
  await panel.waitForFunction(() => document.querySelectorAll('[data-testid=t2-answer]').length === 2, null, { timeout: 30_000 });
  assert.match(await panel.$$eval('[data-testid=turn]', (ts) => ts[1].textContent || ''), /Stopped\./);

  // Regenerate answers the last question again (sampled), then Clear empties the conversation.
  await watchStreaming(panel);
  await panel.click('[data-testid=regenerate]');
  await panel.waitForFunction(() => /** @type {any} */ (window).scoutStreamed === true, null, { timeout: 60_000 });
  await panel.waitForFunction(() => document.querySelectorAll('[data-testid=t2-answer]').length === 2 && !document.querySelector('[data-testid=streaming]'), null, { timeout: 180_000 });
  assert.equal(await panel.$$eval('[data-testid=turn]', (ts) => ts.length), 2);
  await panel.click('[data-testid=clear]');
  await panel.waitForFunction(() => document.querySelectorAll('[data-testid=turn]').length === 0);
  assert.deepEqual(await panel.evaluate((id) => chrome.storage.session.get(`chat:${id}`), tabId), {});
  await panel.close();
}
