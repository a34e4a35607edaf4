// @ts-check
/** Talking to the service worker from our pages. */
import { PROTOCOL_VERSION } from '../protocol.js';
import { storedSettings } from '../settings.js';

/** @param {object} msg @returns {Promise<any>} */
export async function ask(msg) {
  try {
    return await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, ...msg });
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: `Scout's background worker did not answer: ${e}` } };
  }
}

/**
 * A progressive summary: one page capture, `onPreview` with the quick no-model reply (if it comes before the full
 * one), then the full reply. Over a port to the service worker (see `summarizeOnPort` in sw.js).
 * @param {object} msg a `summarize` message @param {(reply: any) => void} onPreview @returns {Promise<any>}
 */
export function askProgressive(msg, onPreview) {
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
      finish({ ok: false, error: { code: 'internal', message: `Scout's background worker did not answer: ${e}` } });
      return;
    }
    port.onMessage.addListener((/** @type {any} */ m) => {
      if (m && m.phase === 'preview' && !settled) onPreview(m.reply);
      if (m && m.phase === 'final') {
        finish(m.reply);
        port.disconnect();
      }
    });
    port.onDisconnect.addListener(() => finish({ ok: false, error: { code: 'internal', message: "Scout's background worker stopped before it answered." } }));
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
