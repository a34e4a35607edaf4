// @ts-check
import { ask, targetTabId } from './ui/client.js';
import { renderBusy, renderReply } from './ui/render.js';

const box = /** @type {HTMLElement} */ (document.getElementById('result'));

/** @param {number} tabId @param {boolean} selectionOnly */
async function run(tabId, selectionOnly) {
  renderBusy(box, selectionOnly ? 'Summarizing the selection on this device…' : 'Summarizing the page on this device…');
  renderReply(box, await ask({ type: 'summarize', tabId, selectionOnly }));
}

/** A job left by the context menu (the service worker keeps no state; session storage does). */
async function takePendingJob() {
  const { pendingJob } = await chrome.storage.session.get('pendingJob');
  if (!pendingJob) return;
  await chrome.storage.session.remove('pendingJob');
  await run(pendingJob.tabId, pendingJob.selectionOnly);
}

chrome.storage.session.onChanged.addListener((changes) => {
  if (changes.pendingJob && changes.pendingJob.newValue) takePendingJob();
});
/** @type {HTMLElement} */ (document.getElementById('summarize')).addEventListener('click', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) await run(tabId, false);
});
takePendingJob();
