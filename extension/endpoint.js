// @ts-check
/**
 * T3, the user's own OpenAI-compatible endpoint: its settings (`settings.endpoint` in `chrome.storage.local` only:
 * never synced, never exported), the sites the user agreed to send passages from, and the one gate every T3 request
 * passes in the service worker. Everything is off until the user saves an endpoint, allows its origin and chooses
 * what it is used for; each site is confirmed once.
 */
import { patchSettings, storedSettings } from './settings.js';
import { t } from './ui/i18n.js';

/**
 * @typedef {{url: string, model: string, key?: string, chat?: boolean, summaries?: boolean, ask_each?: boolean}} EndpointSettings
 */

/** The saved endpoint, or null. @returns {Promise<EndpointSettings | null>} */
export async function savedEndpoint() {
  const e = (await storedSettings()).endpoint;
  return e && e.url && e.model ? e : null;
}

/** "host:port" of a URL, as the UI names where things are sent. @param {string} url */
export function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

/** The permission pattern for the endpoint's origin ("http://127.0.0.1:11434/*"). @param {string} url */
export function originPattern(url) {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/*`;
}

/** Whether the browser lets Scout reach the endpoint at `url` (granted on Save, revocable in the browser). @param {string} url */
export function originAllowed(url) {
  return chrome.permissions.contains({ origins: [originPattern(url)] });
}

/** The site a page belongs to, as confirmations remember it. @param {string} url */
export function siteOf(url) {
  try { return new URL(url).hostname || url; } catch { return url; }
}

/** Sites the user agreed to send passages from. @returns {Promise<string[]>} */
export async function confirmedSites() {
  return sitesIn(await storedSettings());
}

/** @param {Record<string, any>} settings @returns {string[]} */
const sitesIn = (settings) => (Array.isArray(settings.endpoint_sites) ? settings.endpoint_sites : []);

/** @param {string} site */
export async function confirmSite(site) {
  const sites = await confirmedSites();
  if (!sites.includes(site)) await patchSettings({ endpoint_sites: [...sites, site] });
}

/** @param {string} site */
export async function revokeSite(site) {
  await patchSettings({ endpoint_sites: (await confirmedSites()).filter((s) => s !== site) });
}

/**
 * The endpoint for a `kind` ('chat' or 'summary') job about the page at `pageUrl`, as the engine takes it, or why
 * it may not be used (in the UI's language): not saved, not chosen for this kind of job, the site not confirmed,
 * or the browser's permission for its origin missing (never granted, or revoked).
 * @param {string} pageUrl @param {'chat' | 'summary'} kind
 * @returns {Promise<{endpoint: {base_url: string, model: string, api_key: string | null}} | {refused: string}>}
 */
export async function endpointFor(pageUrl, kind) {
  const settings = await storedSettings();
  const e = settings.endpoint;
  if (!e || !e.url || !e.model) return { refused: t('t3NotSet') };
  if (!(kind === 'chat' ? e.chat : e.summaries)) return { refused: t('t3NotChosen') };
  const site = siteOf(pageUrl);
  if (!sitesIn(settings).includes(site)) return { refused: t('t3SiteNotConfirmed', [site, hostOf(e.url)]) };
  if (!(await originAllowed(e.url))) return { refused: t('t3NoPermission', [hostOf(e.url)]) };
  return { endpoint: { base_url: e.url, model: e.model, api_key: e.key || null } };
}
