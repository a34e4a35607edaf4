// @ts-check
/**
 * Scout's service worker: a stateless router.
 * - routes typed messages from our own pages (popup, side panel, options) to the offscreen engine;
 * - captures the target tab's content with `scripting.executeScript`;
 * - owns the context menus and the offscreen document's lifecycle.
 * It keeps no job state: Chrome kills it when idle, and the offscreen document and IndexedDB hold what must last.
 */
import { PROTOCOL_VERSION, ErrorCode, RequestType } from './protocol.js';
import { IDLE_UNLOAD_MINUTES, storedSettings } from './settings.js';
import { capturePage } from './page_capture.js';
import { clearHighlight, highlightPassage } from './page_highlight.js';
import { t } from './ui/i18n.js';
import { endpointFor, hostOf, originAllowed } from './endpoint.js';

// The settings and the T3 key live in storage.local, which content scripts may read by default: close it to them
// (our page scripts only return page data; this keeps a script in our isolated world from reading the key).
chrome.storage.local.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' }).catch(() => undefined);

const OFFSCREEN_URL = 'offscreen.html';
const MENU_PAGE = 'scout-summarize-page';
const MENU_SELECTION = 'scout-summarize-selection';

/** An error in the UI's language. @param {string} code @param {string} message */
const fail = (code, message) => ({ ok: false, error: { code, message, localized: true } });
/** An error whose English detail the UI heads with its own words for `code` (a bug, a thrown exception). @param {string} code @param {string} detail */
const failDetail = (code, detail) => ({ ok: false, error: { code, message: detail } });

/** Pages we cannot read, with the reason shown to the user. @param {string | undefined} url */
function unreadableReason(url) {
  if (!url) return t('errNoPage');
  let u;
  try { u = new URL(url); } catch { return t('errNoPage'); }
  if (['chrome:', 'edge:', 'about:', 'chrome-extension:', 'devtools:', 'view-source:', 'chrome-search:'].includes(u.protocol)) {
    return t('errBrowserPage', [`${u.protocol}//…`]);
  }
  if (u.hostname === 'chromewebstore.google.com' || (u.hostname === 'chrome.google.com' && u.pathname.startsWith('/webstore'))) {
    return t('errWebStore');
  }
  if (u.protocol === 'file:') return null;
  if (!['http:', 'https:'].includes(u.protocol)) return t('errProtocol', [u.protocol]);
  return null;
}

async function ensureOffscreen() {
  const existing = await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] });
  if (existing.length > 0) return;
  try {
    await chrome.offscreen.createDocument({
      url: OFFSCREEN_URL,
      reasons: [chrome.offscreen.Reason.WORKERS],
      justification: 'Runs the on-device models (ONNX Runtime in WebAssembly) that summarize pages.',
    });
  } catch (e) {
    // Two requests racing to create it: the second one loses harmlessly.
    if (!String(e).includes('single offscreen')) throw e;
  }
}

/** @returns {Promise<{backend: string, tier: string, hub: string | null, retention_days: number | null, storage_cap_mb: number | null, keep_ready: boolean, idle_unload_minutes: number}>} */
async function settings() {
  const s = await storedSettings();
  return {
    backend: s.backend || 'auto',
    tier: s.tier || 'auto',
    hub: s.hub || null,
    retention_days: Number.isInteger(s.retention_days) ? s.retention_days : null,
    storage_cap_mb: Number.isInteger(s.storage_cap_mb) && s.storage_cap_mb > 0 ? s.storage_cap_mb : null,
    keep_ready: s.keep_ready === true,
    idle_unload_minutes: typeof s.idle_unload_minutes === 'number' && s.idle_unload_minutes >= 0 ? s.idle_unload_minutes : IDLE_UNLOAD_MINUTES,
  };
}

const IDLE_ALARM = 'scout-engine-idle';

/**
 * Push the idle unload back: called on every request to the engine (an alarm, so the SW may sleep meanwhile).
 * @param {{idle_unload_minutes: number, keep_ready: boolean}} s the settings
 */
async function noteEngineUse(s) {
  const { idle_unload_minutes: minutes, keep_ready } = s;
  if (minutes > 0 && !keep_ready) await chrome.alarms.create(IDLE_ALARM, { delayInMinutes: Math.max(0.5, minutes) });
  else await chrome.alarms.clear(IDLE_ALARM);
}

/** The error of a message whose receiver went away before answering. @param {unknown} e */
const engineGone = (e) => /message (channel|port) closed/i.test(String(e));

/**
 * How many times this worker closed the engine's document itself (a restart for new settings or a measurement, or
 * the idle unload). A request cut off by such a close is not run again: a measurement needs the fresh engine to
 * itself, and a retried request would load one first.
 */
let closedByUs = 0;

/** Send one request to the engine in the offscreen document. @param {any} request */
async function toEngine(request) {
  await ensureOffscreen();
  const s = await settings();
  await noteEngineUse(s);
  const { backend, hub, retention_days, storage_cap_mb, idle_unload_minutes } = s;
  const envelope = { v: PROTOCOL_VERSION, settings: { backend, hub, retention_days, storage_cap_mb, idle_unload_minutes }, request };
  let reply;
  let retried = false;
  let unanswered = 0;
  const closes = closedByUs;
  for (let attempt = 0; ; attempt++) {
    try {
      reply = await chrome.runtime.sendMessage({ target: 'offscreen', envelope });
    } catch (e) {
      if (engineGone(e)) {
        // The engine's document was closed (or crashed) while it held the request: run it once more on a new one,
        // unless it may already have reached the user's endpoint (the user agreed to one request, not two), or this
        // worker closed it on purpose.
        if (retried || request.endpoint || closedByUs !== closes) return fail(ErrorCode.INTERNAL, t('errEngineClosed'));
        retried = true;
        await ensureOffscreen();
        continue;
      }
      // No document is listening: a just-created one has not registered its listener yet, or a closed one is gone
      // (then make a new one). Retry briefly.
      if (attempt >= 50 || !String(e).includes('Receiving end does not exist')) throw e;
      await new Promise((r) => setTimeout(r, 100));
      await ensureOffscreen();
      continue;
    }
    // The engine answers every envelope it receives. No answer means only our other pages heard this one: the
    // engine's document had gone (a closing one is still listed for a moment), so it never ran here. Send it again
    // to a new document, as above.
    if (reply !== undefined) break;
    if (request.endpoint || closedByUs !== closes || ++unanswered > 20) return fail(ErrorCode.INTERNAL, t('errEngineClosed'));
    await new Promise((r) => setTimeout(r, 100));
    await ensureOffscreen();
  }
  if (!reply || typeof reply.ok !== 'boolean') return fail(ErrorCode.INTERNAL, t('errEngineNoAnswer'));
  return reply;
}

/**
 * Pages captured ahead of a request, by tab: the popup and the side panel ask for one as they open (`prepare`), so
 * the capture runs before the engine's start takes the CPU (on two cores it made a capture take ~1.2 s instead of
 * ~0.2 s), and the first request for the tab uses it. The only state this worker keeps: each is used once, for the
 * same URL, within PREPARED_MS; a stopped worker loses them, which costs one capture.
 * @type {Map<number, {url: string | undefined, at: number, result: Promise<{page?: any, error?: any}>}>}
 */
const prepared = new Map();
const PREPARED_MS = 60_000;

/**
 * Capture the tab's page now for the first request that needs it, then start the engine (which that request would).
 * @param {any} tabId
 */
async function prepare(tabId) {
  if (typeof tabId === 'number') {
    const tab = await chrome.tabs.get(tabId).catch(() => null);
    for (const [id, p] of prepared) if (id === tabId || Date.now() - p.at >= PREPARED_MS) prepared.delete(id);
    if (tab) {
      const ahead = { url: tab.url || tab.pendingUrl, at: Date.now(), result: capture(tabId, false) };
      prepared.set(tabId, ahead);
      // A page that could not be read is not kept: access may be granted before the request comes (a context-menu
      // click grants it), and that request must then read the page itself.
      if ((await ahead.result).error && prepared.get(tabId) === ahead) prepared.delete(tabId);
    }
  }
  return toEngine({ type: RequestType.STATUS });
}

/**
 * Capture a tab's content.
 * @param {number} tabId
 * @param {boolean} selectionOnly
 */
async function capture(tabId, selectionOnly) {
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  if (!tab) return { error: fail(ErrorCode.UNREADABLE_PAGE, t('errTabGone')) };
  // Without a grant for this tab the URL is hidden from us; executeScript then explains why it cannot read it.
  const known = tab.url || tab.pendingUrl;
  const ahead = prepared.get(tabId);
  prepared.delete(tabId);
  if (ahead && !selectionOnly && ahead.url === known && Date.now() - ahead.at < PREPARED_MS) return ahead.result;
  const reason = known ? unreadableReason(known) : null;
  if (reason) return { error: fail(ErrorCode.UNREADABLE_PAGE, reason) };
  let results;
  try {
    results = await chrome.scripting.executeScript({ target: { tabId }, func: capturePage, args: [selectionOnly] });
  } catch (e) {
    const why = String(e && /** @type {any} */ (e).message || e);
    const browserPage = why.match(/Cannot access (?:a |contents of )?(?:url ")?(chrome|edge|about|devtools|chrome-extension)[:-]/i);
    // With the tab's URL visible Scout holds access to it: a failure then is the page's (crashed, or navigating
    // away), and "grant access" would be the wrong advice.
    const message = browserPage
      ? t('errBrowserPage', [`${browserPage[1]}://…`])
      : known ? t('errPageNotRunning') : t('errCannotRead', [why]);
    return { error: fail(ErrorCode.UNREADABLE_PAGE, message) };
  }
  const page = results && results[0] && results[0].result;
  if (!page) return { error: fail(ErrorCode.UNREADABLE_PAGE, t('errNoAnswerFromPage')) };
  if (page.contentType === 'application/pdf') {
    return { error: fail(ErrorCode.UNREADABLE_PAGE, t('errPdf')) };
  }
  if (!String(page.text || '').trim()) {
    return { error: fail(ErrorCode.EMPTY_PAGE, t('errEmptyPage')) };
  }
  return { page };
}

/** The engine's form of a captured page. @param {any} page */
const enginePage = (page) => ({ url: page.url, title: page.title, html: page.html, text: page.text, lang: page.lang, is_selection: page.isSelection });

/**
 * The engine request that summarizes a captured page.
 * @param {{options?: object, tier?: string, refresh?: boolean, storedOnly?: boolean}} msg @param {any} page
 */
async function summarizeRequest(msg, page) {
  return {
    // Only a stored result (the popup, as it opens): computes nothing.
    stored_only: msg.storedOnly === true,
    type: RequestType.SUMMARIZE,
    page: enginePage(page),
    options: msg.options || {},
    // The user can turn the model off in the options ("no model" = T0 only).
    tier: msg.tier || (await settings()).tier,
    refresh: !!msg.refresh,
  };
}

/**
 * @param {{tabId: number, options?: object, tier?: string, refresh?: boolean, selectionOnly?: boolean, storedOnly?: boolean}} msg
 */
async function summarize(msg) {
  if (typeof msg.tabId !== 'number') return failDetail(ErrorCode.BAD_REQUEST, 'summarize needs a tabId');
  const { page, error } = await capture(msg.tabId, !!msg.selectionOnly);
  if (error) return error;
  return toEngine(await summarizeRequest(msg, page));
}

/**
 * A progressive summary on a port named "summarize": the page is captured once and posted as `{phase: 'page', page}`
 * (the asking page computes the no-model preview itself: ui/quick.js), then the full reply as
 * `{phase: 'final', reply}`. Nothing is kept between messages: the port carries the conversation.
 * @param {chrome.runtime.Port} port @param {any} msg
 */
async function summarizeOnPort(port, msg) {
  const send = (/** @type {object} */ m) => {
    try { port.postMessage(m); } catch { /* the page closed: nobody to tell */ }
  };
  const post = (/** @type {string} */ phase, /** @type {any} */ reply) => send({ phase, reply });
  if (typeof msg.tabId !== 'number') return post('final', failDetail(ErrorCode.BAD_REQUEST, 'summarize needs a tabId'));
  const { page, error } = await capture(msg.tabId, !!msg.selectionOnly);
  if (error) return post('final', error);
  send({ phase: 'page', page: enginePage(page) });
  post('final', await toEngine(await summarizeRequest(msg, page)));
}

/**
 * Capture the tab, then ask the engine something about the page (unless building the request refuses: a reply).
 * @param {{tabId: number, selectionOnly?: boolean}} msg @param {(page: any) => any} request
 */
async function aboutPage(msg, request) {
  if (typeof msg.tabId !== 'number') return failDetail(ErrorCode.BAD_REQUEST, 'this request needs a tabId');
  const { page, error } = await capture(msg.tabId, !!msg.selectionOnly);
  if (error) return error;
  /** @type {any} */
  const built = await request(enginePage(page));
  return built.ok === false ? built : toEngine(built);
}

const HIGHLIGHT_CSS = '::highlight(scout-cite) { background-color: #ffe066; color: inherit; }';

/** Scroll to and highlight a cited passage in its tab; or remove the highlight. @param {any} msg */
async function highlight(msg, on) {
  if (typeof msg.tabId !== 'number') return failDetail(ErrorCode.BAD_REQUEST, 'highlight needs a tabId');
  const target = { tabId: msg.tabId };
  try {
    if (!on) {
      await chrome.scripting.executeScript({ target, func: clearHighlight });
      await chrome.scripting.removeCSS({ target, css: HIGHLIGHT_CSS }).catch(() => undefined);
      return { ok: true, type: 'ack', message: 'highlight removed' };
    }
    await chrome.scripting.insertCSS({ target, css: HIGHLIGHT_CSS });
    const [res] = await chrome.scripting.executeScript({ target, func: highlightPassage, args: [msg.nodes || [], String(msg.quote || '')] });
    const r = res && res.result;
    if (!r || !r.found) return fail(ErrorCode.UNREADABLE_PAGE, t('errPassageGone'));
    return { ok: true, type: 'ack', message: r.marked };
  } catch (e) {
    return fail(ErrorCode.UNREADABLE_PAGE, t('errCannotMark', [String(e && /** @type {any} */ (e).message || e)]));
  }
}

/**
 * Close the offscreen document so the next request starts a fresh engine (new settings, a new measurement),
 * unless a download runs in it (closing the document would stop it).
 * @returns {Promise<any>}
 */
async function restartEngine() {
  if ((await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] })).length) {
    const models = await toEngine({ type: RequestType.MODELS });
    if (models.ok && models.models.some((/** @type {any} */ m) => m.state === 'downloading')) {
      return fail(ErrorCode.BAD_REQUEST, t('errDownloadRunning'));
    }
    closedByUs++;
    await chrome.offscreen.closeDocument();
  }
  return { ok: true };
}

/** @param {any} msg */
async function route(msg) {
  switch (msg && msg.type) {
    case RequestType.SUMMARIZE: return summarize(msg);
    case RequestType.ASK:
      return aboutPage(msg, (page) => ({ type: RequestType.ASK, page, question: String(msg.question || ''), top_k: msg.top_k }));
    case RequestType.CLASSIFY:
      return aboutPage(msg, (page) => ({ type: RequestType.CLASSIFY, page, custom_labels: Array.isArray(msg.custom_labels) ? msg.custom_labels.map(String) : [] }));
    case RequestType.WRITE: {
      // T2 (a local model) or T3 (the user's endpoint, through the gate): the page is captured here; the text streams
      // from the engine on BroadcastChannel('scout-stream').
      const job = msg.job && msg.job.kind === 'chat'
        ? { kind: 'chat', question: String(msg.job.question || ''), history: Array.isArray(msg.job.history) ? msg.job.history : [] }
        : { kind: 'summary', options: (msg.job && msg.job.options) || {} };
      return aboutPage(msg, async (page) => {
        const t3 = msg.tier === 'T3' ? await endpointFor(page.url, job.kind) : null;
        if (t3 && 'refused' in t3) return fail(ErrorCode.ENDPOINT_FAILED, t3.refused);
        return {
          type: RequestType.WRITE,
          stream: String(msg.stream || ''),
          model: String(msg.model || ''),
          variant: Number.isSafeInteger(msg.variant) && msg.variant >= 0 ? msg.variant : null,
          endpoint: t3 ? t3.endpoint : null,
          page,
          job,
        };
      });
    }
    case RequestType.ENDPOINT_MODELS: {
      // "Test connection" from the options: the form's values, asked only once the origin is allowed.
      const e = msg.endpoint || {};
      try {
        if (!(await originAllowed(String(e.url)))) return fail(ErrorCode.ENDPOINT_FAILED, t('t3NoPermission', [hostOf(String(e.url))]));
      } catch { return fail(ErrorCode.ENDPOINT_FAILED, t('t3BadUrl')); }
      return toEngine({ type: msg.type, endpoint: { base_url: String(e.url), model: String(e.model || '-'), api_key: e.key ? String(e.key) : null } });
    }
    case RequestType.HIGHLIGHT: return highlight(msg, true);
    case RequestType.CLEAR_HIGHLIGHT: return highlight(msg, false);
    case RequestType.STATUS: return toEngine({ type: RequestType.STATUS });
    case RequestType.PREPARE: return prepare(msg.tabId);
    case RequestType.CANCEL: return toEngine({ type: RequestType.CANCEL });
    case RequestType.EMBED: return toEngine({ type: RequestType.EMBED, texts: msg.texts, ep: msg.ep, batch_size: msg.batch_size });
    case RequestType.GENERATE:
      return toEngine({ type: RequestType.GENERATE, model: String(msg.model || ''), messages: msg.messages, max_new_tokens: msg.max_new_tokens, min_new_tokens: msg.min_new_tokens });
    case RequestType.EXTRACT: return toEngine({ type: RequestType.EXTRACT, html: msg.html, url: msg.url });
    case RequestType.MODELS:
    case RequestType.DELETE_ALL_MODELS:
    case RequestType.CLEAR_HISTORY:
    case RequestType.EXPORT_HISTORY:
      return toEngine({ type: msg.type });
    case RequestType.HISTORY: return toEngine({ type: msg.type, query: msg.query, limit: msg.limit });
    case RequestType.DELETE_HISTORY: return toEngine({ type: msg.type, id: msg.id });
    case RequestType.IMPORT_HISTORY: return toEngine({ type: msg.type, json: msg.json });
    case RequestType.DOWNLOAD: return toEngine({ type: msg.type, model: msg.model, consent: msg.consent === true });
    case RequestType.CANCEL_DOWNLOAD:
    case RequestType.DELETE_MODEL:
    case RequestType.LOAD_MODEL:
      return toEngine({ type: msg.type, model: msg.model });
    case 'settings_changed': return restartEngine();
    case RequestType.MEASURE_BACKENDS: {
      // Measuring needs a fresh engine: the runtime bundle (WASM or WebGPU) is fixed once loaded.
      const restarted = await restartEngine();
      if (!restarted.ok) return restarted;
      const measured = await toEngine({ type: RequestType.MEASURE_BACKENDS });
      if (!measured.ok) return measured;
      // The measuring engine runs on the WebGPU runtime bundle; start again on the bundle the choice needs.
      await restartEngine();
      return toEngine({ type: RequestType.STATUS });
    }
    default: return failDetail(ErrorCode.BAD_REQUEST, `unknown message type ${JSON.stringify(msg && msg.type)}`);
  }
}

/** Only our own extension pages may talk to the router (not content scripts, not other extensions). */
function fromOurPages(/** @type {chrome.runtime.MessageSender} */ sender) {
  return sender.id === chrome.runtime.id && !!sender.url && sender.url.startsWith(chrome.runtime.getURL(''));
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (msg && msg.target === 'offscreen') return false; // the engine's mail, not ours
  if (!fromOurPages(sender)) return false;
  if (msg && msg.v !== PROTOCOL_VERSION) {
    sendResponse(fail(ErrorCode.VERSION_MISMATCH, t('errUpdated')));
    return false;
  }
  route(msg).then(sendResponse, (e) => sendResponse(failDetail(ErrorCode.INTERNAL, String(e && e.message || e))));
  return true;
});

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== 'summarize' || !port.sender || !fromOurPages(port.sender)) {
    port.disconnect();
    return;
  }
  port.onMessage.addListener((msg) => {
    if (!msg || msg.v !== PROTOCOL_VERSION) {
      port.postMessage({ phase: 'final', reply: fail(ErrorCode.VERSION_MISMATCH, t('errUpdated')) });
      return;
    }
    summarizeOnPort(port, msg).catch((e) => port.postMessage({ phase: 'final', reply: failDetail(ErrorCode.INTERNAL, String(e && e.message || e)) }));
  });
});

function createMenus() {
  // Idempotent: onInstalled fires on every install/update/browser-test launch.
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_PAGE, title: t('menuSummarizePage'), contexts: ['page'] });
    chrome.contextMenus.create({ id: MENU_SELECTION, title: t('menuSummarizeSelection'), contexts: ['selection'] });
  });
}
chrome.runtime.onInstalled.addListener(createMenus);

/**
 * "Keep Scout ready" (options; off by default): start the engine when the browser starts, so the first summary
 * does not wait for ONNX Runtime and the model to load. It costs memory for as long as the browser runs.
 */
async function startIfKeptReady() {
  if ((await settings()).keep_ready) await toEngine({ type: RequestType.STATUS });
}
chrome.runtime.onStartup.addListener(() => { startIfKeptReady(); });
chrome.runtime.onInstalled.addListener(() => { startIfKeptReady(); });

/**
 * Unused for a while: close the engine's document, which frees the ~300 MB the runtime and the model hold (the
 * next request starts it again, ~0.7 s). Not while a model download runs in it, and never with "Keep Scout ready".
 */
chrome.alarms.onAlarm.addListener(async (alarm) => {
  if (alarm.name !== IDLE_ALARM) return;
  const s = await settings();
  if (s.keep_ready) return;
  const open = await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] });
  if (!open.length) return;
  const closed = await restartEngine();
  if (!closed.ok) await noteEngineUse(s); // a download runs: look again later
});

/**
 * Open the side panel on `tabId` (needs the user gesture of the click or key that called us) and, with a job, leave
 * it in session storage for the panel, which runs it and shows progress.
 * @param {number} tabId @param {{selectionOnly: boolean} | null} job
 */
async function openPanel(tabId, job) {
  const opened = chrome.sidePanel.open({ tabId }).catch(() => undefined);
  if (job) await chrome.storage.session.set({ pendingJob: { tabId, selectionOnly: job.selectionOnly, at: Date.now() } });
  await opened;
}

/**
 * Context menu: summarize the page or the selection in the side panel.
 * @param {chrome.contextMenus.OnClickData} info @param {chrome.tabs.Tab | undefined} tab
 */
export async function onMenuClick(info, tab) {
  if (!tab || typeof tab.id !== 'number') return;
  await openPanel(tab.id, { selectionOnly: info.menuItemId === MENU_SELECTION });
}
chrome.contextMenus.onClicked.addListener(onMenuClick);

/**
 * Keyboard commands (manifest `commands`; "Open Scout" is the action's own): summarize in the side panel, or open it.
 * @param {string} command @param {chrome.tabs.Tab | undefined} tab
 */
export async function onCommand(command, tab) {
  if (!tab || typeof tab.id !== 'number') return;
  if (command === 'summarize-page') await openPanel(tab.id, { selectionOnly: false });
  else if (command === 'open-side-panel') await openPanel(tab.id, null);
}
chrome.commands.onCommand.addListener(onCommand);
