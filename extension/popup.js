// @ts-check
import { ask, modelEnabled, targetTabId } from './ui/client.js';
import { renderBusy, renderReply, summarizeProgressively } from './ui/render.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const button = /** @type {HTMLButtonElement} */ ($('summarize'));

async function summarize() {
  const tabId = await targetTabId();
  if (tabId === undefined) return renderReply($('result'), { ok: false, error: { code: 'unreadable_page', message: 'No tab to read.' } });
  button.disabled = true;
  renderBusy($('result'), 'Reading the page and ranking its sentences on this device…');
  const options = {
    type: /** @type {HTMLSelectElement} */ ($('type')).value,
    length: /** @type {HTMLSelectElement} */ ($('length')).value,
    format: 'markdown',
  };
  $('stop').hidden = false;
  const reply = await summarizeProgressively($('result'), { type: 'summarize', tabId, options }, await modelEnabled());
  $('stop').hidden = true;
  // `summarizeProgressively` has shown the reply; a stopped job is shown again in the popup's words.
  if (reply && !reply.ok && reply.error.code === 'cancelled') {
    reply.error.message = 'Stopped.';
    renderReply($('result'), reply);
  }
  document.body.dataset.state = reply && reply.ok ? 'done' : 'error';
  button.disabled = false;
}

// Start the engine while the user looks at the popup: the first summary then skips the model load.
ask({ type: 'status' });
button.addEventListener('click', summarize);
$('stop').addEventListener('click', () => ask({ type: 'cancel' }));
$('panel').addEventListener('click', async () => {
  const tabId = await targetTabId();
  if (tabId !== undefined) await chrome.sidePanel.open({ tabId });
});
