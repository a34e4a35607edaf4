// @ts-check
/**
 * The offscreen document hosts the Rust/WASM engine (and ONNX Runtime, which needs a document).
 * This file only loads the wasm, reports hardware facts and passes envelopes through: decisions are made in Rust.
 */
import init, { configure, handle } from './wasm/scout.js';
import { hardwareProfile } from './hardware.js';

/**
 * Models a build adds to the catalog (only the test build ships `models.extra.json`).
 * @returns {Promise<string | undefined>}
 */
async function extraCatalog() {
  try {
    const r = await fetch(chrome.runtime.getURL('models.extra.json'));
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined; // not in this build
  }
}

const ready = (async () => {
  await init({ module_or_path: chrome.runtime.getURL('wasm/scout_bg.wasm') });
  await configure(JSON.stringify({
    ortBase: chrome.runtime.getURL('ort/'),
    packageBase: chrome.runtime.getURL(''),
    extraCatalog: await extraCatalog(),
  }));
  return hardwareProfile();
})();

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== 'offscreen') return false;
  // Only our own service worker drives the engine: it is the gate (sender checks, settings, the T3 opt-in). A script
  // in our isolated world in a page also has our extension id, so the id alone is not enough.
  if (sender.id !== chrome.runtime.id || sender.url !== chrome.runtime.getURL('sw.js')) return false;
  ready
    .then(async (hardware) => JSON.parse(await handle(JSON.stringify({ ...msg.envelope, hardware }))))
    .then(sendResponse, (e) => sendResponse({ ok: false, error: { code: 'internal', message: `engine failed to start: ${e && e.message || e}` } }));
  return true;
});
