// @ts-check
/** Talking to the service worker from our pages. */
import { PROTOCOL_VERSION } from '../protocol.js';

/** @param {object} msg @returns {Promise<any>} */
export async function ask(msg) {
  try {
    return await chrome.runtime.sendMessage({ v: PROTOCOL_VERSION, ...msg });
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: `Scout's background worker did not answer: ${e}` } };
  }
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
  const { settings } = await chrome.storage.local.get('settings');
  return !settings || settings.tier !== 't0';
}
