// @ts-check
/** Talking to the service worker from our pages. */
import { PROTOCOL_VERSION } from '../protocol.js';
import { storedSettings } from '../settings.js';
import { t } from './i18n.js';
import { loadQuick, quickSummary } from './quick.js';

/** @param {object} msg @returns {Promise<any>} */
export async function ask(msg) {
  try {
    return await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, ...msg });
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: t('workerNoAnswer', [String(e)]) } };
  }
}

/**
 * A progressive summary: one page capture, `onPreview` with the quick no-model reply (if it comes before the full
 * one), then the full reply. Over a port to the service worker (see `summarizeOnPort` in sw.js), which sends the
 * captured page first: the quick reply is computed here (ui/quick.js), not in the engine's document.
 * @param {{options?: object}} msg a `summarize` message @param {(reply: any) => void} onPreview @returns {Promise<any>}
 */
export function askProgressive(msg, onPreview) {
  loadQuick().catch(() => undefined); // compiles while the page is captured; a failure only costs the preview
  return new Promise((resolve) => {
    let settled = false;
    const finish = (/** @type {any} */ reply) => {
      if (settled) return;
      settled = true;
      resolve(reply);
    };
    let port;
    try {
      port = chrome.runtime.connect({ name: 'summarize' });
    } catch (e) {
      finish({ ok: false, error: { code: 'internal', message: t('workerNoAnswer', [String(e)]) } });
      return;
    }
    port.onMessage.addListener((/** @type {any} */ m) => {
      if (m && m.phase === 'page') {
        quickSummary(m.page, msg.options).then((reply) => {
          if (!settled && reply && reply.ok) onPreview(reply);
        }, () => undefined);
      }
      if (m && m.phase === 'final') {
        finish(m.reply);
        port.disconnect();
      }
    });
    port.onDisconnect.addListener(() => finish({ ok: false, error: { code: 'internal', message: t('workerStopped') } }));
    port.postMessage({ v: PROTOCOL_VERSION, ...msg });
  });
}

/** The tab to work on: `?tabId=` (tests, side panel) or the active tab of this window. */
export async function targetTabId() {
  const p = new URLSearchParams(location.search).get('tabId');
  if (p) return Number(p);
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  return tab ? tab.id : undefined;
}

/** Whether the user lets Scout use the on-device model (the options' "Use the on-device embedding model"). */
export async function modelEnabled() {
  return (await storedSettings()).tier !== 't0';
}

/**
 * The local LLM that writes (T2), as the models list shows it, or null: the one chosen in the options when it is
 * downloaded, else (setting "auto") the largest downloaded one; "off" turns T2 off.
 * @returns {Promise<any | null>}
 */
export async function writerModel() {
  const choice = (await storedSettings()).writer || 'auto';
  if (choice === 'off') return null;
  const r = await ask({ type: 'models' });
  if (!r.ok) return null;
  const ready = r.models.filter((/** @type {any} */ m) => (m.tasks || []).includes('generate') && m.state === 'ready');
  return ready.find((/** @type {any} */ m) => m.id === choice) || ready.sort((/** @type {any} */ a, /** @type {any} */ b) => b.size - a.size)[0] || null;
}

/**
 * A `write` request (T2) whose text streams back: `onEvent` gets the engine's `{kind:'reading',part,parts}` and
 * `{kind:'text',text}` (a piece to append) events for this request only; resolves to the reply.
 * @param {object} msg `{tabId, model, job}` @param {(event: any) => void} onEvent @returns {Promise<any>}
 */
export async function writeStreaming(msg, onEvent) {
  const stream = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const channel = new BroadcastChannel('scout-stream');
  channel.onmessage = (ev) => {
    let e;
    try { e = JSON.parse(ev.data); } catch { return; }
    if (e && e.stream === stream) onEvent(e);
  };
  try {
    return await ask({ type: 'write', stream, ...msg });
  } finally {
    channel.close();
  }
}
