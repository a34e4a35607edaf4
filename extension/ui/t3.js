// @ts-check
/**
 * T3 in our pages: which writer a job gets (the user's endpoint when chosen for that kind of job, else the local
 * LLM), the question before a site's first request, and what was sent, shown as text.
 */
import { el } from './render.js';
import { t } from './i18n.js';
import { writerModel } from './client.js';
import { confirmSite, confirmedSites, hostOf, originAllowed, savedEndpoint, siteOf } from '../endpoint.js';

/**
 * The endpoint when it is chosen for `kind` jobs, with whether the browser allows its origin.
 * @param {'chat' | 'summary'} kind
 */
async function chosenEndpoint(kind) {
  const endpoint = await savedEndpoint();
  if (!endpoint || !(kind === 'chat' ? endpoint.chat : endpoint.summaries)) return null;
  return { endpoint, allowed: await originAllowed(endpoint.url).catch(() => false) };
}

/**
 * The writer for a `kind` job: `{tier:'T3', display_name, host, local}` when the endpoint is chosen for it and the
 * browser allows its origin (`local`: the local writer, used when the user keeps a site's passages here), else the
 * local LLM (T2) or null (T1); and `off`: why a chosen endpoint is not used now (its origin's permission was
 * revoked), or null.
 * @param {'chat' | 'summary'} kind @returns {Promise<{writer: any | null, off: string | null}>}
 */
export async function writerAndNotice(kind) {
  const [local, chosen] = await Promise.all([writerModel(), chosenEndpoint(kind)]);
  if (!chosen) return { writer: local, off: null };
  const { endpoint, allowed } = chosen;
  if (!allowed) return { writer: local, off: t('t3NoPermission', [hostOf(endpoint.url)]) };
  return { writer: { tier: 'T3', id: '', display_name: endpoint.model, host: hostOf(endpoint.url), askEach: endpoint.ask_each === true, local }, off: null };
}

/** The writer for a `kind` job (see `writerAndNotice`). @param {'chat' | 'summary'} kind @returns {Promise<any | null>} */
export async function writerFor(kind) {
  return (await writerAndNotice(kind)).writer;
}

/**
 * Whether the tab's site may send to the endpoint: agreed before (unless the user wants to be asked every time), or
 * now in `where` (remembered; revocable in the options). The job waits with the two choices.
 * @param {HTMLElement} where @param {any} writer @param {number} tabId @returns {Promise<boolean>}
 */
export async function askToSend(where, writer, tabId) {
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  const site = tab && tab.url ? siteOf(tab.url) : '';
  if (site && !writer.askEach && (await confirmedSites()).includes(site)) return true;
  return new Promise((resolve) => {
    const send = el('button', { class: 'primary', 'data-testid': 't3-send' }, [t('t3SendTo', [writer.host])]);
    const local = el('button', { 'data-testid': 't3-local' }, [t('t3AnswerHere')]);
    const box = el('div', { class: 'confirm', role: 'group', 'data-testid': 't3-confirm' }, [
      el('p', {}, [t('t3ConfirmSite', [site || '?', writer.host])]), send, ' ', local]);
    where.append(box);
    send.addEventListener('click', async () => { box.remove(); if (site) await confirmSite(site); resolve(true); });
    local.addEventListener('click', () => { box.remove(); resolve(false); });
    send.focus();
  });
}

/** "What was sent": the request's messages as text. @param {{role: string, content: string}[]} sent */
export function sentDetails(sent) {
  return el('details', { class: 'sources', 'data-testid': 't3-sent' }, [el('summary', {}, [t('t3WhatWasSent')]),
    ...sent.map((m) => el('pre', { class: 'sent', tabindex: '0' }, [`${m.role}:\n${m.content}`]))]);
}
