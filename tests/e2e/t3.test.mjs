// @ts-check
/**
 * T3 in the real extension, against a test server that speaks the OpenAI-compatible streaming API
 * (`openai_server.mjs`): nothing is sent before the user saves an endpoint, chooses it for chat and agrees for the
 * page's site; the answer streams, says where it was sent, cites only passages it was given and shows exactly what
 * was sent (no cookie, no referrer, the key only in its header); the key appears nowhere else; Stop closes the
 * stream; each failure (401, 404, 429, 5xx, a malformed stream, a refused connection, a missing permission) is a
 * clear message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, tabIdOf, openExtensionPage, ask, startServer, auditLaunched, askInPanel, lastTurn, settled, ROOT } from './harness.mjs';
import { startOpenAiServer, TEST_MODEL } from './openai_server.mjs';

const KEY = 'sk-test-9f2c41d7e5';
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof startOpenAiServer>>} */
let endpoint;
before(async () => { server = await startServer({ '/pages/': path.join(ROOT, 'tests/e2e/pages') }); endpoint = await startOpenAiServer({ key: KEY }); });
after(async () => { await server.close(); await endpoint.close(); });

const QUESTION = 'What do the volunteer fixers at the repair evenings do?';

test('T3: opt-in endpoint — nothing sent before consent, labelled streamed answers, what was sent, errors, Stop', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/article.html`;
    const page = await openPage(b.ctx, url);
    // A cookie the page's host holds: a request to the endpoint (same host, other port) must not carry it.
    await page.evaluate(() => { document.cookie = 'session=page-cookie-4711; path=/'; });
    const tabId = await tabIdOf(b.sw, url);
    let panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);

    // Off by default: a question is answered on the device and the endpoint hears nothing.
    await askInPanel(panel, QUESTION);
    await settled(panel);
    assert.ok(await lastTurn(panel).locator('[data-testid=answer]').count() > 0, 'T1 answered');
    assert.deepEqual(endpoint.log, [], 'no request before the endpoint is configured');

    // The options: Test connection lists the models; Save asks for the origin; chat turned on.
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.fill('[data-testid=t3-url]', `${endpoint.base}/v1/`);
    await options.fill('[data-testid=t3-key]', KEY);
    await options.click('[data-testid=t3-test]');
    await options.waitForFunction(() => /answered with 2 models/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''));
    assert.equal(await options.inputValue('[data-testid=t3-model]'), TEST_MODEL);
    assert.deepEqual(endpoint.log.map((e) => `${e.method} ${e.path}`), ['GET /v1/models']);
    assert.equal(endpoint.log[0].headers.authorization, `Bearer ${KEY}`);
    await options.check('[data-testid=t3-chat]');
    await options.click('[data-testid=t3-save]');
    await options.waitForFunction(() => /^Saved/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''));
    assert.equal(await options.inputValue('[data-testid=t3-key]'), '', 'the key is not shown again');
    assert.ok(!(await options.content()).includes(KEY), 'the key is nowhere in the options page');

    // The panel says T3 will answer, and asks before the first question from this site; "on this device" sends nothing.
    await panel.reload();
    await panel.waitForFunction(() => /your endpoint/.test(document.getElementById('chat-tier')?.textContent || ''));
    await askInPanel(panel, QUESTION);
    await panel.waitForSelector('[data-testid=t3-confirm]');
    assert.match(await panel.textContent('[data-testid=t3-confirm]') || '', /passages of 127\.0\.0\.1 .* to 127\.0\.0\.1:\d+\?/);
    await panel.click('[data-testid=t3-local]');
    await settled(panel);
    assert.equal(endpoint.chats().length, 0, 'declined: nothing sent');

    // Agreed: the answer streams from the endpoint, labelled, cited, with what was sent.
    await askInPanel(panel, QUESTION);
    await panel.waitForSelector('[data-testid=t3-confirm]');
    await panel.click('[data-testid=t3-send]');
    await panel.waitForSelector('[data-testid=t3-badge]', { timeout: 120_000 });
    const turn = lastTurn(panel);
    const badge = await turn.locator('[data-testid=t3-badge]').textContent() || '';
    assert.match(badge, new RegExp(`^T3 · sent to 127\\.0\\.0\\.1:\\d+ · ${TEST_MODEL}$`));
    const answer = await turn.locator('[data-testid=t2-answer]').textContent() || '';
    assert.match(answer, /^The page says: .+1\.$/, answer);
    assert.equal(await turn.locator('button.cite-chip').count(), 1, 'one citation chip');
    const chats = endpoint.chats();
    assert.equal(chats.length, 1);
    const sent = chats[0];
    assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
    assert.equal(sent.headers.cookie, undefined, 'no cookie');
    assert.equal(sent.headers.referer, undefined, 'no referrer');
    assert.equal(sent.body.stream, true);
    assert.equal(sent.body.model, TEST_MODEL);
    const user = sent.body.messages[sent.body.messages.length - 1].content;
    assert.ok(user.includes(QUESTION) && /<page>[\s\S]*\[1\] [\s\S]*<\/page>/.test(user), 'fenced, numbered passages and the question');
    assert.ok(!user.includes('page-cookie') && user.length < 6000, 'only the passages, not the page');
    await turn.locator('[data-testid=t3-sent] summary').click();
    await panel.screenshot({ path: 'target/screenshots/sidepanel-t3.png' });
    // "What was sent" shows exactly the request's messages.
    const shown = await turn.locator('[data-testid=t3-sent] pre').allTextContents();
    assert.deepEqual(shown, sent.body.messages.map((/** @type {any} */ m) => `${m.role}:\n${m.content}`));
    // The site is remembered: the next question goes without asking.
    await askInPanel(panel, 'How many visits did the library count last year?');
    await panel.waitForFunction(() => document.querySelectorAll('[data-testid=t3-badge]').length === 2, null, { timeout: 120_000 });
    assert.equal(await panel.locator('[data-testid=t3-confirm]').count(), 0);
    assert.equal(endpoint.chats().length, 2);

    // "Ask me before every request": the remembered site asks again.
    await options.check('[data-testid=t3-ask]');
    await options.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings.endpoint.ask_each === true);
    await askInPanel(panel, QUESTION);
    await panel.waitForSelector('[data-testid=t3-confirm]');
    await panel.click('[data-testid=t3-send]');
    await settled(panel);
    assert.equal(endpoint.chats().length, 3);
    await options.uncheck('[data-testid=t3-ask]');
    await options.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings.endpoint.ask_each === false);

    // Summaries too, once chosen: the T0/T1 summary at once, then the endpoint's, labelled, with what was sent.
    await options.check('[data-testid=t3-summaries]');
    await options.waitForFunction(async () => (await chrome.storage.local.get('settings')).settings.endpoint.summaries === true);
    await panel.click('#summarize');
    await panel.waitForFunction(() => /^T3 · sent to/.test(document.querySelector('#result [data-testid=tier]')?.textContent || ''), null, { timeout: 120_000 });
    await panel.waitForSelector('#result [data-testid=t2-timings]', { timeout: 120_000 });
    assert.match(await panel.textContent('#result [data-testid=t2-text]') || '', /Mara Okafor/, 'the endpoint quoted the page it was sent');
    const summarySent = endpoint.chats().at(-1)?.body.messages;
    assert.ok(summarySent && summarySent.at(-1).content.includes('<page>'), 'the page is fenced');
    assert.equal(await panel.locator('#result [data-testid=t3-sent] pre').count(), summarySent.length);
    assert.equal(endpoint.chats().length, 4);

    // Each failure in words, the key in none of them.
    /** @type {[import('./openai_server.mjs').Faults, RegExp][]} */
    const cases = [
      [{ status: 401 }, /refused the API key \(HTTP 401\)/],
      [{ status: 404 }, /has no model "scout-test-model" or no Chat Completions API at this URL \(HTTP 404\)/],
      [{ status: 429, retryAfter: '17' }, /limiting requests \(HTTP 429\); try again in 17 s/],
      [{ status: 503 }, /failed \(HTTP 503\): test fault 503/],
      [{ malformed: true }, /stream is malformed/],
    ];
    for (const [fault, expected] of cases) {
      Object.assign(endpoint.faults, fault);
      await askInPanel(panel, QUESTION);
      const text = await settled(panel);
      for (const k of Object.keys(fault)) delete endpoint.faults[/** @type {keyof typeof fault} */ (k)];
      assert.match(text, expected, JSON.stringify(fault));
      assert.match(text, /The endpoint failed/);
      assert.ok(!text.includes(KEY), 'no key in an error');
    }

    // Stop ends the stream: the server sees the connection closed before the answer was done.
    Object.assign(endpoint.faults, { words: 400, delayMs: 40 });
    await askInPanel(panel, QUESTION);
    await panel.waitForFunction(() => (document.querySelector('[data-testid=streaming]')?.textContent || '').length > 20, null, { timeout: 60_000 });
    await panel.locator('#stop').dispatchEvent('click'); // it moves while the text grows
    const stopped = await settled(panel);
    delete endpoint.faults.words;
    delete endpoint.faults.delayMs;
    assert.match(stopped, /Stopped/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(endpoint.chats().at(-1)?.closedEarly, true, 'the request was aborted');

    // A server that is not running: refused, said so.
    const gone = await startOpenAiServer();
    const goneBase = gone.base;
    await gone.close();
    await options.evaluate(async (base) => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, endpoint: { ...settings.endpoint, url: `${base}/v1` } } });
    }, goneBase);
    await askInPanel(panel, QUESTION);
    assert.match(await settled(panel), /cannot be reached .*is the server running/);

    // No permission for the endpoint's origin (never granted): the tier is off and the panel says why above the
    // chat; the question is answered on the device; nothing is fetched.
    const count = endpoint.log.length;
    const setUrl = (/** @type {string} */ url) => options.evaluate(async (u) => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, endpoint: { ...settings.endpoint, url: u } } });
    }, url);
    await setUrl(`http://localhost:${new URL(endpoint.base).port}/v1`);
    const tierSays = (/** @type {RegExp} */ re) => panel.waitForFunction((src) => new RegExp(src).test(document.getElementById('chat-tier')?.textContent || ''), re.source);
    await tierSays(/not allowed to reach localhost:\d+/);
    await askInPanel(panel, QUESTION);
    await settled(panel);
    assert.equal(await lastTurn(panel).locator('[data-testid=t3-badge]').count(), 0, 'answered on the device');
    assert.ok(await lastTurn(panel).locator('[data-testid=answer]').count() > 0, 'T1 answered');
    // The service worker's gate holds on its own: a T3 request sent anyway is refused, not fetched.
    const forced = await ask(panel, { type: 'write', tier: 'T3', tabId, stream: 'forced', job: { kind: 'chat', question: QUESTION } });
    assert.match(forced.error && forced.error.message, /not allowed to reach localhost:\d+/);
    assert.equal(endpoint.log.length, count);

    // The options say it too, on load (and live when the browser revokes the origin: `chrome.permissions.onRemoved`;
    // a test cannot grant an origin here, since headless Chromium answers no permission prompt, and the test build
    // holds 127.0.0.1 as a required permission, which cannot be removed).
    await options.reload();
    await options.waitForFunction(() => /not allowed to reach localhost:\d+/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''));
    await options.click('[data-testid=t3-save]');
    await options.waitForFunction(() => /localhost:\d+/.test(document.querySelector('[data-testid=t3-status]')?.textContent || '') && document.querySelector('[data-testid=t3-status]')?.classList.contains('error'));
    await tierSays(/not allowed to reach localhost:\d+/);
    assert.equal(endpoint.log.length, count, 'refused: nothing sent');

    // The key is in no history entry, no export, no stored conversation, no page of Scout.
    const exported = await ask(options, { type: 'export_history' });
    assert.ok(exported.ok && !exported.json.includes(KEY));
    const session = await options.evaluate(() => chrome.storage.session.get(null));
    assert.ok(!JSON.stringify(session).includes(KEY), 'not in the stored conversation');
    assert.ok(!(await panel.content()).includes(KEY), 'not in the side panel');

    // Revoking the site in the options: the next question asks again.
    await options.evaluate(async (base) => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...settings, endpoint: { ...settings.endpoint, url: `${base}/v1` } } });
    }, endpoint.base);
    await options.reload();
    await options.click('[data-testid=t3-sites] button[data-site="127.0.0.1"]');
    await options.waitForFunction(() => !document.querySelector('[data-testid=t3-sites] button'));
    await askInPanel(panel, QUESTION);
    await panel.waitForSelector('[data-testid=t3-confirm]');
    await panel.click('[data-testid=t3-local]');
    await settled(panel);

    // Remove: endpoint, key and sites gone; the panel is back to answering on the device.
    await options.click('[data-testid=t3-remove]');
    await options.waitForFunction(() => /removed/.test(document.querySelector('[data-testid=t3-status]')?.textContent || ''));
    const stored = await options.evaluate(() => chrome.storage.local.get(null));
    assert.ok(!JSON.stringify(stored).includes(KEY), 'the key is deleted');
    await panel.reload();
    await panel.waitForFunction(() => !/your endpoint/.test(document.getElementById('chat-tier')?.textContent || '') && (document.getElementById('chat-tier')?.textContent || '').length > 0);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
});

test('T3 under attack: hidden text never reaches the endpoint, the page cannot close its fence, model output cannot load or run anything', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/pages/hostile.html`;
    const page = await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    // Configured and agreed as the first test does through the UI.
    await options.evaluate(async ([base, key]) => chrome.storage.local.set({ settings: {
      endpoint: { url: `${base}/v1`, model: 'scout-test-model', key, chat: true }, endpoint_sites: ['127.0.0.1'] } }), [endpoint.base, KEY]);
    const panel = await openExtensionPage(b.ctx, b.extensionId, `sidepanel.html?tabId=${tabId}`);
    const sentBefore = endpoint.chats().length;
    await askInPanel(panel, 'When does the Glenmoor ferry run, what does the timetable say, and how long is the crossing?');
    await panel.waitForFunction(() => document.querySelectorAll('[data-testid=t3-badge]').length === 1, null, { timeout: 120_000 });
    const sent = endpoint.chats().at(-1)?.body.messages;
    assert.equal(endpoint.chats().length, sentBefore + 1);
    const all = JSON.stringify(sent);
    // Every hidden carrier was relevant to the question, so only capture kept it out.
    assert.deepEqual(all.match(/CANARY-[A-Z]+/g) || [], [], 'hidden, off-screen, commented, template, alt and title text never sent');
    const user = sent.at(-1).content;
    assert.equal(user.split('<page>').length - 1, 1, 'one fence opening');
    assert.equal(user.split('</page>').length - 1, 1, 'one fence closing: the page\'s own is defanged');
    assert.ok(!all.includes('<|'), 'no chat-template token shape from the page');
    assert.ok(sent.every((/** @type {any} */ m) => ['system', 'user', 'assistant'].includes(m.role)));

    // The model's output tries HTML, a script, markdown images, a javascript: link and a citation it was not given.
    endpoint.faults.answer = `<img src="${endpoint.base}/pixel.png" onerror="window.__pwned=1"> ![x](${endpoint.base}/md.png) ` +
      `<script>window.__pwned=2</script> [click](javascript:window.__pwned=3) <iframe src="${endpoint.base}/frame"></iframe> ` +
      'The ferry runs every forty minutes [1] [7].';
    await askInPanel(panel, 'How often does the Glenmoor ferry cross?');
    await panel.waitForFunction(() => document.querySelectorAll('[data-testid=t3-badge]').length === 2, null, { timeout: 120_000 });
    delete endpoint.faults.answer;
    const turn = panel.locator('[data-testid=turn]').last();
    for (const tag of ['img', 'script', 'iframe', 'a[href^="javascript:"]']) {
      assert.equal(await turn.locator(`[data-testid=t2-answer] ${tag}`).count(), 0, `no ${tag} from model output`);
    }
    await panel.locator('[data-testid=t2-answer]').last().click(); // a click would fire a handler if any were there
    assert.equal(await panel.evaluate(() => /** @type {any} */ (window).__pwned), undefined, 'nothing ran');
    // Tags are dropped by the core (strip_echo); markdown images and links stay literal text.
    const shown = await turn.locator('[data-testid=t2-answer]').textContent() || '';
    assert.match(shown, /!\[x\]\(http:\/\/127\.0\.0\.1:\d+\/md\.png\).*\[click\]\(javascript:/, 'shown as text');
    assert.ok(!/<(img|script|iframe)/.test(shown), shown);
    assert.match(await turn.locator('[data-testid=invalid-citations]').textContent() || '', /\[7\]/);
    assert.equal(await turn.locator('button.cite-chip').count(), 1, 'only the passage it was given');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(endpoint.log.filter((e) => e.method === 'GET' && e.path !== '/v1/models').map((e) => e.path), [], 'nothing fetched for it');
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__pwned), undefined);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
});

test('T3 in the popup: a summary asks for the site first, then streams from the endpoint, labelled; the site is remembered', async () => {
  const b = await launch();
  try {
    const url = `${server.base}/sample/article.html`;
    await openPage(b.ctx, url);
    const tabId = await tabIdOf(b.sw, url);
    const options = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await options.evaluate(async (base) => {
      const { settings } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...(settings || {}), endpoint: { url: `${base}/v1`, model: 'scout-test-model', key: 'sk-test-9f2c41d7e5', chat: false, summaries: true, ask_each: false } } });
    }, endpoint.base);
    const before = endpoint.chats().length;

    const popup = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    await popup.click('#summarize');
    await popup.waitForSelector('[data-testid=t3-confirm]', { timeout: 60_000 });
    assert.match(await popup.textContent('[data-testid=t3-confirm]') || '', /127\.0\.0\.1 .* to 127\.0\.0\.1:\d+\?/);
    assert.equal(endpoint.chats().length, before, 'nothing sent while the popup asks');
    await popup.click('[data-testid=t3-send]');
    await popup.waitForFunction(() => /^T3 · sent to 127\.0\.0\.1:\d+ · scout-test-model$/.test(document.querySelector('#result [data-testid=tier]')?.textContent || ''), null, { timeout: 120_000 });
    await popup.waitForSelector('#result [data-testid=t2-timings]', { timeout: 120_000 });
    assert.match(await popup.textContent('#result [data-testid=t2-text]') || '', /Mara Okafor/, 'the endpoint quoted the page it was sent');
    assert.equal(endpoint.chats().length, before + 1);
    assert.ok(await popup.locator('#result [data-testid=t3-sent] pre').count() > 0, 'what was sent is shown');

    // Remembered for this site: a new popup sends without asking.
    await popup.close();
    const again = await openExtensionPage(b.ctx, b.extensionId, `popup.html?tabId=${tabId}`);
    await again.click('#summarize');
    await again.waitForFunction(() => /^T3 · sent to/.test(document.querySelector('#result [data-testid=tier]')?.textContent || ''), null, { timeout: 120_000 });
    assert.equal(await again.locator('[data-testid=t3-confirm]').count(), 0);
    assert.equal(endpoint.chats().length, before + 2);
  } finally {
    await b.ctx.close();
  }
  auditLaunched();
});
