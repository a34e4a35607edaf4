// @ts-check
import { ask } from './ui/client.js';
import { IDLE_UNLOAD_MINUTES, patchSettings, storedSettings } from './settings.js';
import { el } from './ui/render.js';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const DEFAULT_HUB = 'https://huggingface.co';

/** @param {number} b */
const human = (b) => {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (b >= 1000 && i < u.length - 1) { b /= 1000; i++; }
  return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
};

/** @param {any} p a stored measurement, or null */
function showProbe(p) {
  $('probe').textContent = !p ? '' : p.webgpu_ms != null
    ? `Measured on this device: WASM ${p.wasm_ms.toFixed(0)} ms, WebGPU ${p.webgpu_ms.toFixed(0)} ms per batch of 8 sentences.`
    : `Measured on this device: WASM ${p.wasm_ms.toFixed(0)} ms per batch; WebGPU failed (${p.webgpu_error || 'no result'}).`;
}

$('measure').addEventListener('click', async () => {
  const button = /** @type {HTMLButtonElement} */ ($('measure'));
  button.disabled = true;
  $('probe').textContent = 'Measuring…';
  const r = await ask({ type: 'measure_backends' });
  button.disabled = false;
  if (!r.ok) { $('probe').textContent = r.error.message; return; }
  await showStatus();
});

async function showStatus() {
  const r = await ask({ type: 'status' });
  const status = $('status');
  if (!r || !r.ok) { status.textContent = `Engine error: ${r && r.error ? r.error.message : 'no answer'}`; return; }
  if (r.error) { status.textContent = `Model not available (${r.error.message}); summaries use the no-model tier.`; return; }
  const b = r.backend;
  const phases = (r.init_phases || []).map((/** @type {{name: string, ms: number}} */ p) => `${p.name} ${Math.round(p.ms)} ms`).join(', ');
  status.textContent = b ? `Running ${r.model} on ${b.ep.toUpperCase()} — ${b.reason}. Started in ${Math.round(r.init_ms)} ms${phases ? ` (${phases})` : ''}.` : 'Engine not started.';
  showProbe(r.probe);
  if (r.recommendation) {
    const rec = r.recommendation;
    $('recommendation').textContent = `Recommended for this device: ${rec.tier}${rec.model ? ` with ${rec.model}` : ''} — ${rec.reason}.`;
  }
}

/** Live progress rows by model id. @type {Map<string, HTMLElement>} */
const progressCells = new Map();

async function showModels() {
  const r = await ask({ type: 'models' });
  const table = $('models');
  if (!r.ok) { table.replaceChildren(el('tr', {}, [el('td', { class: 'error' }, [r.error.message])])); return; }
  $('usage').textContent = `Scout uses ${human(r.usage_bytes)} of ${human(r.quota_bytes)} the browser allows.`;
  table.replaceChildren(el('tr', {}, ['Model', 'Size', 'State', ''].map((h) => el('th', {}, [h]))));
  progressCells.clear();
  for (const m of r.models) {
    const cell = el('td', { 'data-model': m.id }, [el('span', { class: 'state', 'data-testid': `state-${m.id}` }, [m.state])]);
    progressCells.set(m.id, cell);
    const actions = el('td');
    if (!m.bundled && m.state !== 'ready') {
      const b = el('button', { 'data-testid': `download-${m.id}` }, [m.state === 'partial' ? 'Resume' : 'Download']);
      if (m.verified) b.addEventListener('click', () => download(m));
      else {
        // Without pinned hashes Scout could not check the files: offering the download would be dishonest.
        b.setAttribute('disabled', '');
        b.setAttribute('title', 'Not downloadable yet: the hashes of its files are not pinned in Scout\'s catalog.');
      }
      actions.append(b);
    }
    if (m.state === 'downloading') {
      const b = el('button', {}, ['Cancel']);
      b.addEventListener('click', () => ask({ type: 'cancel_download', model: m.id }));
      actions.append(b);
    }
    if (!m.bundled && (m.state === 'ready' || m.state === 'partial')) {
      const b = el('button', { 'data-testid': `delete-${m.id}` }, ['Delete']);
      b.addEventListener('click', async () => { await ask({ type: 'delete_model', model: m.id }); showModels(); });
      actions.append(b);
    }
    table.append(el('tr', {}, [
      el('td', {}, [el('strong', {}, [m.display_name]), el('br'), el('small', {}, [`${m.description} ${m.license}. ${m.repo}@${m.revision}.${needs(m.requires)}`]),
        m.verified ? '' : el('small', { class: 'note', 'data-testid': `unverified-${m.id}` }, [' Unverified: sizes from the hub\'s listing, hashes not pinned; download disabled.'])]),
      el('td', {}, [m.verified ? human(m.size) : `≈ ${human(m.size)}`]),
      cell,
      actions,
    ]));
  }
}

/**
 * What a device needs to run a model, in words.
 * @param {{webgpu?: boolean, shader_f16?: boolean, min_memory_gb?: number | null} | undefined} r
 */
function needs(r) {
  if (!r) return '';
  const parts = [];
  if (r.webgpu) parts.push(r.shader_f16 ? 'a GPU (WebGPU) with fp16 shaders' : 'a GPU (WebGPU)');
  if (r.min_memory_gb) parts.push(`${r.min_memory_gb} GB of memory`);
  return parts.length ? ` Needs ${parts.join(' and ')}.` : ' Runs on any recent CPU.';
}

/** Ask for consent with size, license and source, then start. @param {any} m */
async function download(m) {
  const hub = (await getSettings()).hub || DEFAULT_HUB;
  $('consent-text').textContent = `Download ${m.display_name}: ${human(m.size)}, license ${m.license}, from ${hub}/${m.repo}? ` +
    'It is stored in this browser only and checked against its pinned sha256.';
  const dialog = /** @type {HTMLDialogElement} */ ($('consent'));
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'ok') return;
  const r = await ask({ type: 'download', model: m.id, consent: true });
  if (!r.ok) { progressCells.get(m.id)?.replaceChildren(el('span', { class: 'error', role: 'alert' }, [r.error.message])); return; }
  showModels();
}

// Progress from the engine, for downloads started here or in an earlier page (re-attaches after a reload).
new BroadcastChannel('scout-progress').addEventListener('message', (ev) => {
  const p = JSON.parse(ev.data);
  const cell = progressCells.get(p.model);
  if (!cell) return;
  const eta = p.eta_s != null ? `, ${Math.ceil(p.eta_s)} s left` : '';
  const speed = p.bytes_per_s ? ` at ${human(p.bytes_per_s)}/s` : '';
  cell.replaceChildren(
    el('progress', { max: '100', value: String(p.percent), 'data-testid': `progress-${p.model}` }),
    el('div', { class: 'timings', 'data-state': p.state }, [`${p.state} ${p.percent.toFixed(1)} % (${human(p.done)} of ${human(p.total)}${speed}${eta})${p.message ? ` — ${p.message}` : ''}`]),
  );
  if (['ready', 'failed', 'cancelled'].includes(p.state)) setTimeout(showModels, 300);
});

async function init() {
  const settings = await storedSettings();
  const current = settings.backend || 'auto';
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name=backend]'))) {
    input.checked = input.value === current;
    input.addEventListener('change', async () => {
      await patchSettings({ backend: input.value });
      await ask({ type: 'settings_changed' });
      $('status').textContent = 'Restarting the engine…';
      await showStatus();
    });
  }
  const useModel = /** @type {HTMLInputElement} */ ($('use-model'));
  useModel.checked = settings.tier !== 't0';
  useModel.addEventListener('change', () => patchSettings({ tier: useModel.checked ? 'auto' : 't0' }));
  const keepReady = /** @type {HTMLInputElement} */ ($('keep-ready'));
  keepReady.checked = settings.keep_ready === true;
  keepReady.addEventListener('change', async () => {
    await patchSettings({ keep_ready: keepReady.checked });
    if (keepReady.checked) await showStatus(); // start it now too
  });
  const idle = /** @type {HTMLInputElement} */ ($('idle-minutes'));
  idle.value = String(typeof settings.idle_unload_minutes === 'number' ? settings.idle_unload_minutes : IDLE_UNLOAD_MINUTES);
  idle.addEventListener('change', () => {
    const minutes = Math.max(0, Math.round(Number(idle.value)));
    idle.value = String(Number.isFinite(minutes) ? minutes : IDLE_UNLOAD_MINUTES);
    return patchSettings({ idle_unload_minutes: Number(idle.value) });
  });
  const labels = /** @type {HTMLInputElement} */ ($('custom-labels'));
  labels.value = settings.custom_labels || '';
  labels.addEventListener('change', () => patchSettings({ custom_labels: labels.value.trim() }));
  const hub = /** @type {HTMLInputElement} */ ($('hub'));
  hub.value = settings.hub || DEFAULT_HUB;
  hub.addEventListener('change', () => patchSettings({ hub: hub.value.trim() || null }));
  const cap = /** @type {HTMLInputElement} */ ($('cap'));
  cap.value = settings.storage_cap_mb ? String(settings.storage_cap_mb) : '';
  cap.addEventListener('change', () => patchSettings({ storage_cap_mb: cap.value ? Math.max(0, Math.round(Number(cap.value))) || null : null }));
  $('delete-all').addEventListener('click', async () => { await ask({ type: 'delete_all_models' }); showModels(); });
  await showModels();
  await showStatus();
}
init();
