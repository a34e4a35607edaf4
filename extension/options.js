// @ts-check
import { ask } from './ui/client.js';

const status = /** @type {HTMLElement} */ (document.getElementById('status'));

async function showStatus() {
  const r = await ask({ type: 'status' });
  if (!r || !r.ok) { status.textContent = `Engine error: ${r && r.error ? r.error.message : 'no answer'}`; return; }
  if (r.error) { status.textContent = `Model not available (${r.error.message}); summaries use the no-model tier.`; return; }
  const b = r.backend;
  status.textContent = b ? `Running ${r.model} on ${b.ep.toUpperCase()} — ${b.reason}. Started in ${Math.round(r.init_ms)} ms.` : 'Engine not started.';
}

async function init() {
  const { settings } = await chrome.storage.local.get('settings');
  const current = (settings && settings.backend) || 'auto';
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name=backend]'))) {
    input.checked = input.value === current;
    input.addEventListener('change', async () => {
      const { settings: now } = await chrome.storage.local.get('settings');
      await chrome.storage.local.set({ settings: { ...(now || {}), backend: input.value } });
      await ask({ type: 'settings_changed' });
      status.textContent = 'Restarting the engine…';
      await showStatus();
    });
  }
  const useModel = /** @type {HTMLInputElement} */ (document.getElementById('use-model'));
  useModel.checked = !settings || settings.tier !== 't0';
  useModel.addEventListener('change', async () => {
    const { settings: now } = await chrome.storage.local.get('settings');
    await chrome.storage.local.set({ settings: { ...(now || {}), tier: useModel.checked ? 'auto' : 't0' } });
  });
  await showStatus();
}
init();
