// @ts-check
import { ask, modelEnabled, targetTabId } from './ui/client.js';
import { patchSettings, storedSettings } from './settings.js';
import { el, renderBusy, renderReply, summarizeProgressively, vectorNote } from './ui/render.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const box = $('result');

/** @param {number} tabId @param {boolean} selectionOnly */
async function run(tabId, selectionOnly) {
  renderBusy(box, selectionOnly ? 'Summarizing the selection on this device…' : 'Summarizing the page on this device…');
  await summarizeProgressively(box, { type: 'summarize', tabId, selectionOnly }, await modelEnabled());
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
  renderBusy(labels, 'Classifying on this device…');
  const custom = /** @type {HTMLInputElement} */ ($('custom')).value.split(',').map((s) => s.trim()).filter(Boolean);
  const r = await ask({ type: 'classify', tabId, custom_labels: custom });
  if (!r.ok) { labels.replaceChildren(el('div', { class: 'error', role: 'alert' }, [r.error.message])); return; }
  const names = { topic: 'Topic', content_type: 'Type', tone: 'Tone' };
  labels.replaceChildren(...r.results.map((/** @type {any} */ c) => {
    const set = typeof c.set === 'string' ? c.set : 'custom';
    const top = c.labels[0];
    return el('span', { class: `chip${c.uncertain ? ' uncertain' : ''}`, 'data-set': set, 'data-label': top.id,
      title: c.labels.slice(0, 3).map((/** @type {any} */ l) => `${l.name} ${(l.score * 100).toFixed(0)} %`).join(', ') },
    [`${names[set] || 'Yours'}: ${top.name}${c.uncertain ? ' ?' : ''}`]);
  }), el('span', { class: 'badge tier' }, [`T1 · ${r.ep.toUpperCase()}`]));
}

/** @param {SubmitEvent} ev */
async function askQuestion(ev) {
  ev.preventDefault();
  const tabId = await targetTabId();
  const question = /** @type {HTMLInputElement} */ ($('question')).value.trim();
  if (tabId === undefined || !question) return;
  const out = $('answers');
  renderBusy(out, 'Looking for the answer in the page…');
  const r = await ask({ type: 'ask', tabId, question });
  if (!r.ok) { out.replaceChildren(el('div', { class: 'error', role: 'alert' }, [r.error.message])); return; }
  const head = el('p', { class: 'timings' }, [`T1 · on-device embedder · ${r.ep.toUpperCase()} · ${Math.round(r.timings.total_ms)} ms${vectorNote(r.vectors)}`]);
  if (r.no_answer) { out.replaceChildren(el('p', { class: 'note', 'data-testid': 'no-answer' }, [`Scout: ${r.no_answer}.`]), head); return; }
  out.replaceChildren(...r.answers.map((/** @type {any} */ a, /** @type {number} */ i) => {
    const show = el('a', { href: '#', class: 'cite', 'data-passage': a.id }, [`[${i + 1}] show in page`]);
    show.addEventListener('click', async (e) => {
      e.preventDefault();
      const h = await ask({ type: 'highlight', tabId, nodes: a.nodes, quote: a.quote });
      if (!h.ok) show.textContent = h.error.message;
    });
    return el('blockquote', { class: 'answer', 'data-testid': 'answer' }, [
      a.heading ? el('strong', {}, [a.heading]) : '', el('p', {}, [a.quote]), show]);
  }), head);
}

chrome.storage.session.onChanged.addListener((changes) => {
  if (changes.pendingJob && changes.pendingJob.newValue) takePendingJob();
});
$('summarize').addEventListener('click', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) await run(tabId, false);
});
$('classify').addEventListener('click', classify);
$('ask-form').addEventListener('submit', askQuestion);
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
takePendingJob();
