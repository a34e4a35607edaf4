// @ts-check
import { ask, modelEnabled, targetTabId } from './ui/client.js';
import { patchSettings, storedSettings } from './settings.js';
import { el, renderBusy } from './ui/render.js';
import { Chat } from './ui/chat.js';
import { summarizeAll } from './ui/t2.js';
import { errorText, fmtPercent, labelName, localize, t } from './ui/i18n.js';
import { writerAndNotice, writerFor } from './ui/t3.js';
import { RequestType } from './protocol.js';

localize();

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const box = $('result');

/** @param {number} tabId @param {boolean} selectionOnly */
async function run(tabId, selectionOnly) {
  renderBusy(box, t(selectionOnly ? 'summarizingSelection' : 'summarizingPage'));
  chatBusy(true);
  const [modelOn, writer] = await Promise.all([modelEnabled(), writerFor('summary')]);
  await summarizeAll(box, { tabId, selectionOnly }, modelOn, writer);
  chatBusy(false);
}

/** A job left by the context menu (the service worker keeps no state; session storage does). */
async function takePendingJob() {
  const { pendingJob } = await chrome.storage.session.get('pendingJob');
  if (!pendingJob) return;
  await chrome.storage.session.remove('pendingJob');
  await run(pendingJob.tabId, pendingJob.selectionOnly);
}

async function classify() {
  const tabId = await targetTabId();
  if (tabId === undefined) return;
  const labels = $('labels');
  renderBusy(labels, t('classifying'));
  const custom = /** @type {HTMLInputElement} */ ($('custom')).value.split(',').map((s) => s.trim()).filter(Boolean);
  const r = await ask({ type: 'classify', tabId, custom_labels: custom });
  if (!r.ok) { labels.replaceChildren(el('div', { class: 'error', role: 'alert' }, [errorText(r.error)])); return; }
  const names = { topic: t('labelTopic'), content_type: t('labelType'), tone: t('labelTone') };
  labels.replaceChildren(...r.results.map((/** @type {any} */ c) => {
    const set = typeof c.set === 'string' ? c.set : 'custom';
    const top = c.labels[0];
    return el('span', { class: `chip${c.uncertain ? ' uncertain' : ''}`, 'data-set': set, 'data-label': top.id,
      title: c.labels.slice(0, 3).map((/** @type {any} */ l) => `${labelName(set, l)} ${fmtPercent(l.score * 100)}`).join(', ') },
    [t('labelChip', [names[set] || t('labelYours'), labelName(set, top)]) + (c.uncertain ? ' ?' : '')]);
  }), el('span', { class: 'badge tier' }, [`T1 · ${r.ep.toUpperCase()}`]));
}

/** The writer for the next answer (T2), and the panel saying which tier will answer. */
async function chatWriter() {
  const { writer, off } = await writerAndNotice('chat');
  const tier = !writer ? t('chatTierT1')
    : writer.tier === 'T3' ? t('chatTierT3', [writer.display_name, writer.host])
      : t('chatTierT2', [writer.display_name]);
  $('chat-tier').textContent = off ? `${tier} ${off}` : tier;
  $('chat-tier').classList.toggle('error', !!off);
  return writer;
}

/** @type {Chat | undefined} */
let chat;
const question = /** @type {HTMLTextAreaElement} */ ($('question'));

/** @param {boolean} busy */
function chatBusy(busy) {
  $('stop').hidden = !busy;
  /** @type {HTMLButtonElement} */ ($('ask')).disabled = busy;
}

async function openChat() {
  const tabId = await targetTabId();
  if (tabId === undefined) return undefined;
  chat = new Chat($('answers'), tabId, chatBusy);
  await chat.load();
  return chat;
}

/** @param {SubmitEvent} ev */
async function askQuestion(ev) {
  ev.preventDefault();
  const q = question.value.trim();
  const c = chat || await openChat();
  if (!c || !q || c.busy) return;
  question.value = '';
  await c.send(q, await chatWriter());
}

chrome.storage.session.onChanged.addListener((changes) => {
  if (changes.pendingJob && changes.pendingJob.newValue) takePendingJob();
});
// The side panel follows the active tab: each tab has its own conversation.
chrome.tabs.onActivated.addListener(() => {
  if (!new URLSearchParams(location.search).get('tabId') && !chat?.busy) openChat();
});
$('summarize').addEventListener('click', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) await run(tabId, false);
});
$('classify').addEventListener('click', classify);
$('ask-form').addEventListener('submit', askQuestion);
// Enter sends, Shift+Enter adds a line; Esc stops whatever Scout is doing for this panel.
question.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    /** @type {HTMLFormElement} */ ($('ask-form')).requestSubmit();
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') ask({ type: 'cancel' });
});
$('stop').addEventListener('click', () => ask({ type: 'cancel' }));
$('clear').addEventListener('click', () => chat?.clear());
$('answers').addEventListener('regenerate', async () => chat?.regenerate(await chatWriter()));
window.addEventListener('pagehide', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) ask({ type: 'clear_highlight', tabId });
});
// Your labels: shared with the options page (kept in the extension's settings).
(async () => {
  const input = /** @type {HTMLInputElement} */ ($('custom'));
  if (!input.value) input.value = (await storedSettings()).custom_labels || '';
  input.addEventListener('change', () => patchSettings({ custom_labels: input.value.trim() }));
})();
// As the popup does: read the page and start the engine while the panel opens (a job from the context menu shares
// that capture).
targetTabId().then((tabId) => ask({ type: RequestType.PREPARE, tabId }));
takePendingJob();
openChat();
chatWriter();
// The line above the chat stays true while the panel is open: the endpoint's permission revoked or granted in the
// browser, or the endpoint changed in the options.
chrome.permissions.onRemoved.addListener(() => { chatWriter(); });
chrome.permissions.onAdded.addListener(() => { chatWriter(); });
chrome.storage.local.onChanged.addListener((changes) => { if (changes.settings) chatWriter(); });
