// @ts-check
/**
 * The no-model summary computed in this page (the popup or the side panel) by its own instance of the engine's
 * module: the engine's document may be busy creating a model session (most of a second of its only thread on a cold
 * start), and the quick answer must not wait for it. The module is loaded once per page, on first use.
 */
import { PROTOCOL_VERSION } from '../protocol.js';

/** @type {Promise<any> | null} */
let loading = null;

/** Start loading the module (its compile overlaps the page capture). @returns {Promise<any>} */
export function loadQuick() {
  if (!loading) {
    loading = import('../wasm/scout.js').then(async (m) => {
      await m.default({ module_or_path: chrome.runtime.getURL('wasm/scout_bg.wasm') });
      return m;
    });
    loading.catch(() => { loading = null; }); // a later call tries again
  }
  return loading;
}

/**
 * The no-model summary of a captured page (the engine's page form), as the engine's reply.
 * @param {any} page @param {object} options @returns {Promise<any>}
 */
export async function quickSummary(page, options) {
  const m = await loadQuick();
  const envelope = { v: PROTOCOL_VERSION, request: { type: 'summarize', page, options: options || {} } };
  return JSON.parse(await m.preview(JSON.stringify(envelope)));
}
