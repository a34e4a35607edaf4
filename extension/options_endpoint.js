// @ts-check
/**
 * The options' T3 section: the endpoint's URL, model and key, what it is used for, "Test connection", and the
 * sites allowed to send passages. Saving asks the browser for the endpoint's origin (nothing broad is granted at
 * install); the key stays in `chrome.storage.local` and is never shown again (the field stays empty; empty keeps it).
 */
import { ask } from './ui/client.js';
import { el } from './ui/render.js';
import { errorText, t } from './ui/i18n.js';
import { patchSettings, storedSettings } from './settings.js';
import { confirmedSites, hostOf, originAllowed, originPattern, revokeSite } from './endpoint.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/** The form's endpoint, or why it is not one. @returns {{url: string, model: string} | {error: string}} */
function formEndpoint() {
  const url = $('t3-url').value.trim().replace(/\/+$/, '');
  const model = $('t3-model').value.trim();
  try {
    const u = new URL(url);
    if (!['http:', 'https:'].includes(u.protocol) || u.username || u.password) throw new Error('scheme');
  } catch {
    return { error: t('t3BadUrl') };
  }
  return { url, model };
}

/** The key typed in the form, else the one saved for this same URL (the field stays empty once saved). @param {string} url */
async function formKey(url) {
  const saved = (await storedSettings()).endpoint || {};
  return $('t3-key').value || (saved.url === url ? saved.key : '') || '';
}

/** What the endpoint is used for, and whether every request asks first. */
const uses = () => ({ chat: $('t3-chat').checked, summaries: $('t3-summaries').checked, ask_each: $('t3-ask').checked });

/** @param {string} text @param {boolean} [bad] */
function say(text, bad = false) {
  const status = $('t3-status');
  status.textContent = text;
  status.classList.toggle('error', bad);
}

async function showSites() {
  const sites = await confirmedSites();
  $('t3-sites').replaceChildren(...(sites.length ? sites.map((site) => {
    const revoke = el('button', { 'data-site': site }, [t('t3Revoke')]);
    revoke.addEventListener('click', async () => { await revokeSite(site); showSites(); });
    return el('li', {}, [`${site} `, revoke]);
  }) : [el('li', { class: 'timings' }, [t('t3NoSites')])]));
}

/** Whether the saved endpoint's origin is allowed, said in the status line. */
async function sayPermission() {
  const saved = (await storedSettings()).endpoint || null;
  if (!saved || !saved.url) return;
  if (await originAllowed(saved.url)) say(t('t3SavedFor', [hostOf(saved.url)]));
  else say(t('t3NoPermission', [hostOf(saved.url)]), true);
}

export async function initEndpoint() {
  const saved = (await storedSettings()).endpoint || null;
  if (saved) {
    $('t3-url').value = saved.url || '';
    $('t3-model').value = saved.model || '';
    $('t3-chat').checked = saved.chat === true;
    $('t3-summaries').checked = saved.summaries === true;
    $('t3-ask').checked = saved.ask_each === true;
    if (saved.key) $('t3-key').placeholder = t('t3KeySaved');
  }
  await sayPermission();
  // Revoked (or granted) in the browser while this page is open: say so now, not at the next request.
  chrome.permissions.onRemoved.addListener(() => { sayPermission(); });
  // Granted: only a standing refusal is replaced (Save and Test connection say their own outcome).
  chrome.permissions.onAdded.addListener(() => { if ($('t3-status').classList.contains('error')) sayPermission(); });
  for (const id of ['t3-chat', 't3-summaries', 't3-ask']) {
    $(id).addEventListener('change', async () => {
      const e = (await storedSettings()).endpoint;
      if (e) await patchSettings({ endpoint: { ...e, ...uses() } });
    });
  }
  $('t3-save').addEventListener('click', async () => {
    const form = formEndpoint();
    if ('error' in form) return say(form.error, true);
    if (!form.model) return say(t('t3NeedModel'), true);
    // Asked now, on the user's click: the browser shows its own prompt for this origin only.
    const granted = await chrome.permissions.request({ origins: [originPattern(form.url)] }).catch(() => false);
    const key = await formKey(form.url);
    await patchSettings({ endpoint: { ...form, key, ...uses() } });
    $('t3-key').value = '';
    $('t3-key').placeholder = key ? t('t3KeySaved') : '';
    say(granted ? t('t3SavedFor', [hostOf(form.url)]) : t('t3PermissionDenied', [hostOf(form.url)]), !granted);
  });
  $('t3-test').addEventListener('click', async () => {
    const form = formEndpoint();
    if ('error' in form) return say(form.error, true);
    // Testing needs the origin too: asked here, on the click, as Save asks.
    if (!(await chrome.permissions.request({ origins: [originPattern(form.url)] }).catch(() => false))) {
      return say(t('t3TestDenied', [hostOf(form.url)]), true);
    }
    const key = await formKey(form.url);
    say(t('t3Testing', [hostOf(form.url)]));
    const r = await ask({ type: 'endpoint_models', endpoint: { url: form.url, model: form.model, key } });
    if (!r.ok) return say(errorText(r.error), true);
    $('t3-models').replaceChildren(...r.models.map((/** @type {string} */ m) => el('option', { value: m })));
    if (!$('t3-model').value && r.models.length) $('t3-model').value = r.models[0];
    say(t('t3Connected', [hostOf(form.url), r.models.length, r.models.slice(0, 5).join(', ')]));
  });
  $('t3-remove').addEventListener('click', async () => {
    const e = (await storedSettings()).endpoint;
    if (e && e.url) await chrome.permissions.remove({ origins: [originPattern(e.url)] }).catch(() => false);
    await patchSettings({ endpoint: null, endpoint_sites: [] });
    for (const id of ['t3-url', 't3-model', 't3-key']) $(id).value = '';
    $('t3-key').placeholder = '';
    for (const id of ['t3-chat', 't3-summaries', 't3-ask']) $(id).checked = false;
    say(t('t3Removed'));
    showSites();
  });
  await showSites();
}
