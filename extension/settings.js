// @ts-check
/**
 * The user's settings, kept as one object under `settings` in `chrome.storage.local`, shared by the service worker
 * and our pages. Each page or the SW reads the fields it needs; a missing field means its default.
 */

/** Minutes without a request after which the engine's document is closed to free its memory (0: never). */
export const IDLE_UNLOAD_MINUTES = 10;

/** The stored settings object (empty when nothing was saved yet). @returns {Promise<Record<string, any>>} */
export async function storedSettings() {
  const { settings } = await chrome.storage.local.get('settings');
  return settings || {};
}

/** Change some fields, keep the others. @param {Record<string, any>} patch */
export async function patchSettings(patch) {
  await chrome.storage.local.set({ settings: { ...(await storedSettings()), ...patch } });
}
