// @ts-check
import { ask, modelEnabled, targetTabId } from './ui/client.js';
import { writerFor } from './ui/t3.js';
import { renderBusy, renderReply } from './ui/render.js';
import { summarizeAll } from './ui/t2.js';
import { patchSettings, storedSettings } from './settings.js';
import { localize, t } from './ui/i18n.js';
import { RequestType } from './protocol.js';

localize();

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = /** @type {HTMLButtonElement} */ ($('summarize'));

const typeSelect = /** @type {HTMLSelectElement} */ ($('type'));
const lengthSelect = /** @type {HTMLSelectElement} */ ($('length'));
const options = () => ({ type: typeSelect.value, length: lengthSelect.value, format: 'markdown' });

/** Summaries started in this popup (a stored result that arrives after one started is not shown). */
let started = 0;

/** @param {boolean} [refresh] compute again even if a result is stored */
async function summarize(refresh = false) {
  started++;
  const tabId = await targetTabId();
  if (tabId === undefined) return renderReply($('result'), { ok: false, error: { code: 'unreadable_page', message: t('noTab') } });
  button.disabled = true;
  $('refresh').hidden = true;
  renderBusy($('result'), t('readingAndRanking'));
  $('stop').hidden = false;
  const [modelOn, writer] = await Promise.all([modelEnabled(), writerFor('summary')]);
  const reply = await summarizeAll($('result'), { tabId, options: options(), refresh }, modelOn, writer);
  $('stop').hidden = true;
  // A stopped job is shown again in the popup's words (a stopped T2 summary keeps what was written).
  if (reply && !reply.ok && reply.error.code === 'cancelled') {
    reply.error.message = t('stopped');
    renderReply($('result'), reply);
  }
  document.body.dataset.state = reply && reply.ok ? 'done' : 'error';
  button.disabled = false;
}

/**
 * What the popup knows at once: the stored summary of this page's current content with these options (computes
 * nothing), with its age and a Refresh button.
 */
async function showStored() {
  // Counted before any wait: a click during one must win over this lookup's (older) answer.
  const before = started;
  const tabId = await targetTabId();
  if (tabId === undefined) return;
  const r = await ask({ type: 'summarize', tabId, options: options(), storedOnly: true });
  if (!r.ok || started !== before) return; // nothing stored, or the user already asked for a new summary
  renderReply($('result'), r);
  $('refresh').hidden = false;
  document.body.dataset.state = 'stored';
}

// The summary type and length the user chose last time.
(async () => {
  const s = await storedSettings();
  if (s.popup_type) typeSelect.value = s.popup_type;
  if (s.popup_length) lengthSelect.value = s.popup_length;
  await showStored();
})();
for (const select of [typeSelect, lengthSelect]) {
  select.addEventListener('change', async () => {
    await patchSettings({ popup_type: typeSelect.value, popup_length: lengthSelect.value });
    await showStored();
  });
}
// Read the page and start the engine while the user looks at the popup: the first summary then skips both. The
// page is read first, while the CPU is free (the engine's start takes both cores for about a second).
targetTabId().then((tabId) => ask({ type: RequestType.PREPARE, tabId }));
button.addEventListener('click', () => summarize(false));
$('refresh').addEventListener('click', () => summarize(true));
$('stop').addEventListener('click', () => ask({ type: 'cancel' }));
$('panel').addEventListener('click', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) await chrome.sidePanel.open({ tabId });
});
