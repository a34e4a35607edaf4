// @ts-check
/**
 * A test server that speaks the OpenAI-compatible API the way Ollama, LM Studio and llama.cpp's server do:
 * `GET /v1/models`, and `POST /v1/chat/completions` with `stream: true` answered as server-sent events
 * (`data: {choices:[{delta:{content}}]}` chunks, a `finish_reason` chunk, `data: [DONE]`), errors as
 * `{"error":{"message"}}` with their HTTP status (and `Retry-After` for 429). The answer is built from the request:
 * the first passage it was given, quoted and cited as [1], so a test can check grounding end to end.
 * Every request is logged (method, path, headers, body) so tests can assert what was sent, and when.
 */
import http from 'node:http';

export const TEST_MODEL = 'scout-test-model';

/**
 * @typedef {{status?: number, retryAfter?: string, malformed?: boolean, delayMs?: number, words?: number, answer?: string}} Faults
 * @typedef {{method: string, path: string, headers: http.IncomingHttpHeaders, body: any, closedEarly?: boolean}} Logged
 */

/** @param {{key?: string}} [opts] the API key it requires (none: any) */
export async function startOpenAiServer(opts = {}) {
  /** @type {Logged[]} */
  const log = [];
  /** @type {Faults} */
  const faults = {};
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const url = new URL(req.url || '/', 'http://127.0.0.1');
      let body = null;
      try { body = raw ? JSON.parse(raw) : null; } catch { body = raw; }
      /** @type {Logged} */
      const entry = { method: req.method || '', path: url.pathname, headers: req.headers, body };
      log.push(entry);
      const error = (/** @type {number} */ status, /** @type {string} */ message, extra = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify({ error: { message, type: 'test' } }));
      if (opts.key && req.headers.authorization !== `Bearer ${opts.key}`) return error(401, `invalid api key: ${req.headers.authorization || 'none'}`);
      if (faults.status) {
        return error(faults.status, faults.status === 429 ? 'rate limit reached' : `test fault ${faults.status}`, faults.retryAfter ? { 'retry-after': faults.retryAfter } : {});
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: TEST_MODEL, object: 'model' }, { id: 'other-model', object: 'model' }] }));
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') return error(404, 'not found');
      if (!body || body.model !== TEST_MODEL) return error(404, `model ${body && body.model} not found`);
      stream(res, entry, faults.answer ?? answerFor(body.messages), faults);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    base: `http://127.0.0.1:${addr.port}`,
    log,
    faults,
    /** Chat requests received so far. */
    chats: () => log.filter((e) => e.path === '/v1/chat/completions'),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve(undefined)); }),
  };
}

/** The answer: the first passage (or paragraph) of the last user message, quoted and cited. @param {any[]} messages */
function answerFor(messages) {
  const user = [...(messages || [])].reverse().find((m) => m.role === 'user');
  const content = user ? String(user.content) : '';
  // A chat turn's first numbered passage, or a summary's first paragraph of the page.
  const first = content.match(/\[1\] ([^\n]+)/) || content.match(/<page>\n(?:Title: [^\n]*\n\n)?([^\n]+)/);
  const quote = first ? first[1].split(/\s+/).slice(0, 14).join(' ') : 'nothing';
  return `The page says: ${quote} [1].`;
}

/**
 * Stream `text` word by word as Chat Completions chunks.
 * @param {http.ServerResponse} res @param {Logged} entry @param {string} text @param {Faults} faults
 */
function stream(res, entry, text, faults) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (/** @type {object} */ delta, finish = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model: TEST_MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  let words = text.split(/(?<= )/);
  if (faults.words) words = Array.from({ length: faults.words }, (_, i) => words[i % words.length]);
  let i = 0;
  let finished = false;
  res.on('close', () => { if (!finished) entry.closedEarly = true; });
  res.write(chunk({ role: 'assistant', content: '' }));
  const next = () => {
    if (res.destroyed) return;
    if (faults.malformed && i === 2) {
      res.end('data: {"choices": [ not json\n\n');
      finished = true;
      return;
    }
    if (i < words.length) {
      // A chunk boundary inside an event, as proxies and slow servers produce.
      const c = chunk({ content: words[i++] });
      res.write(c.slice(0, 7));
      res.write(c.slice(7));
      setTimeout(next, faults.delayMs ?? 15);
      return;
    }
    finished = true;
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  };
  setTimeout(next, faults.delayMs ?? 15);
}
