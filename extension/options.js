// @ts-check
import { ask } from './ui/client.js';
import { IDLE_UNLOAD_MINUTES, patchSettings, storedSettings } from './settings.js';
import { el } from './ui/render.js';
import { initEndpoint } from './options_endpoint.js';
import { errorText, fmtBytes, fmtDuration, fmtNumber, localize, modelDescription, phaseName, phrase, t, tNodes } from './ui/i18n.js';

localize();

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const DEFAULT_HUB = 'https://huggingface.co';

/** @param {any} p a stored measurement, or null */
function showProbe(p) {
  $('probe').textContent = !p ? '' : p.webgpu_ms != null
    ? t('probeBoth', [fmtDuration(p.wasm_ms), fmtDuration(p.webgpu_ms)])
    : t('probeWebgpuFailed', [fmtDuration(p.wasm_ms), p.webgpu_error || t('noResult')]);
}

$('measure').addEventListener('click', async () => {
  const button = /** @type {HTMLButtonElement} */ ($('measure'));
  button.disabled = true;
  $('probe').textContent = t('measuring');
  const r = await ask({ type: 'measure_backends' });
  button.disabled = false;
  if (!r.ok) { $('probe').textContent = errorText(r.error); return; }
  await showStatus();
});

async function showStatus() {
  const r = await ask({ type: 'status' });
  const status = $('status');
  if (!r || !r.ok) { status.textContent = t('engineError', [errorText(r && r.error)]); return; }
  if (r.error) { status.textContent = t('modelNotAvailable', [errorText(r.error)]); return; }
  const b = r.backend;
  const phases = (r.init_phases || []).map((/** @type {{name: string, ms: number}} */ p) => `${phaseName(p.name)} ${fmtDuration(p.ms)}`).join(', ');
  // The bundled embedder runs on Scout's own encoders: int8 on the CPU (one thread, or two once its worker is
  // ready), WGSL kernels on a GPU (the adapter named).
  const backend = b && b.ep === 'wasm' && r.encoder_threads > 0 ? t('backendCpuEncoder', [String(r.encoder_threads)])
    : b && b.ep === 'webgpu' && r.encoder_gpu ? t('backendGpuEncoder', [r.encoder_gpu]) : b && b.ep.toUpperCase();
  if (b) status.replaceChildren(...tNodes('engineRunning', [r.model, backend, phrase(b.reason), fmtDuration(r.init_ms)]), ...(phases ? [` (${phases})`] : []));
  else status.textContent = t('engineNotStarted');
  showProbe(r.probe);
  if (r.recommendation) {
    const rec = r.recommendation;
    $('recommendation').replaceChildren(...(rec.model ? tNodes('recommendedWith', [rec.tier, rec.model, phrase(rec.reason)]) : tNodes('recommended', [rec.tier, phrase(rec.reason)])));
  }
}

/** Live progress rows by model id. @type {Map<string, HTMLElement>} */
const progressCells = new Map();

async function showModels() {
  const r = await ask({ type: 'models' });
  const table = $('models');
  if (!r.ok) { table.replaceChildren(el('tr', {}, [el('td', { class: 'error' }, [errorText(r.error)])])); return; }
  $('usage').textContent = t('usage', [fmtBytes(r.usage_bytes), fmtBytes(r.quota_bytes)]);
  showWriters(r.models, (await storedSettings()).writer || 'auto');
  table.replaceChildren(el('tr', {}, [t('colModel'), t('colSize'), t('colState'), ''].map((h) => el('th', {}, [h]))));
  progressCells.clear();
  for (const m of r.models) {
    const cell = el('td', { 'data-model': m.id }, [el('span', { class: 'state', 'data-testid': `state-${m.id}`, 'data-state': m.state }, [t(`state_${m.state}`)])]);
    progressCells.set(m.id, cell);
    const actions = el('td');
    if (!m.bundled && m.state !== 'ready') {
      const b = el('button', { 'data-testid': `download-${m.id}` }, [t(m.state === 'partial' ? 'resume' : 'download')]);
      b.addEventListener('click', () => download(m));
      actions.append(b);
    }
    if (m.state === 'downloading') {
      const b = el('button', {}, [t('cancel')]);
      b.addEventListener('click', () => ask({ type: 'cancel_download', model: m.id }));
      actions.append(b);
    }
    if (!m.bundled && (m.state === 'ready' || m.state === 'partial')) {
      const b = el('button', { 'data-testid': `delete-${m.id}` }, [t('delete')]);
      b.addEventListener('click', async () => { await ask({ type: 'delete_model', model: m.id }); showModels(); });
      actions.append(b);
    }
    table.append(el('tr', {}, [
      el('td', {}, [el('strong', {}, [m.display_name]), el('br'), el('small', {}, [modelDescription(m), ` ${m.license}. ${m.repo}@${m.revision}.${needs(m.requires)}`]),
        el('small', { class: 'timings', 'data-testid': `check-${m.id}` }, [` ${t(m.bundled ? 'checkBundled' : m.hub_verified ? 'checkHubVerified' : m.verified ? 'checkPinned' : 'checkUnpinned')}`]),
        ...multilingualAdvice(m)]),
      el('td', {}, [m.verified ? fmtBytes(m.size) : `≈ ${fmtBytes(m.size)}`]),
      cell,
      actions,
    ]));
  }
}

/**
 * The choice of the model that writes (T2): automatic, off, or one of the text models (those not downloaded shown
 * but not selectable).
 * @param {any[]} models @param {string} chosen
 */
function showWriters(models, chosen) {
  const select = /** @type {HTMLSelectElement} */ ($('writer'));
  const writers = models.filter((m) => (m.tasks || []).includes('generate'));
  const ready = writers.filter((m) => m.state === 'ready');
  const biggest = [...ready].sort((a, b) => b.size - a.size)[0];
  select.replaceChildren(
    el('option', { value: 'auto' }, [t('writerAuto', [biggest ? biggest.display_name : t('noneDownloaded')])]),
    el('option', { value: 'off' }, [t('writerOff')]),
    ...writers.map((m) => {
      const o = el('option', { value: m.id }, [`${m.display_name} (${fmtBytes(m.size)})${m.state === 'ready' ? '' : ` — ${t('notDownloaded')}`}`]);
      if (m.state !== 'ready') o.setAttribute('disabled', '');
      return o;
    }),
  );
  select.value = ready.some((m) => m.id === chosen) || chosen === 'off' ? chosen : 'auto';
}

/**
 * A multilingual embedder is worth its download to someone who reads other languages than English: say so when the
 * browser's languages include one (the engine uses it only for pages and questions not in English).
 * @param {any} m a models-panel entry
 */
function multilingualAdvice(m) {
  if (!m.multilingual || m.state === 'ready') return [];
  const others = [...new Set(navigator.languages.map((l) => l.split('-')[0].toLowerCase()).filter((l) => l && l !== 'en'))];
  if (!others.length) return [];
  const names = new Intl.DisplayNames([chrome.i18n.getUILanguage()], { type: 'language' });
  const list = new Intl.ListFormat(chrome.i18n.getUILanguage(), { type: 'conjunction' }).format(others.map((l) => names.of(l) || l));
  return [el('br'), el('small', { class: 'note', 'data-testid': `advice-${m.id}` }, [t('multilingualAdvice', [list])])];
}

/**
 * What a device needs to run a model, in words.
 * @param {{webgpu?: boolean, shader_f16?: boolean, min_memory_gb?: number | null} | undefined} r
 */
function needs(r) {
  if (!r) return '';
  const parts = [];
  if (r.webgpu) parts.push(t(r.shader_f16 ? 'needsGpuF16' : 'needsGpu'));
  if (r.min_memory_gb) parts.push(t('needsMemory', [fmtNumber(r.min_memory_gb)]));
  return ` ${parts.length ? t('needs', [new Intl.ListFormat(chrome.i18n.getUILanguage(), { type: 'conjunction' }).format(parts)]) : t('runsAnywhere')}`;
}

/** Ask for consent with size, license and source, then start. @param {any} m */
async function download(m) {
  const hub = (await storedSettings()).hub || DEFAULT_HUB;
  $('consent-text').textContent = t(m.verified ? 'consentPinned' : 'consentHub', [m.display_name, fmtBytes(m.size), m.license, `${hub}/${m.repo}`]);
  const dialog = /** @type {HTMLDialogElement} */ ($('consent'));
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'ok') return;
  const r = await ask({ type: 'download', model: m.id, consent: true });
  if (!r.ok) { progressCells.get(m.id)?.replaceChildren(el('span', { class: 'error', role: 'alert' }, [errorText(r.error)])); return; }
  showModels();
}

// Progress from the engine, for downloads started here or in an earlier page (re-attaches after a reload).
new BroadcastChannel('scout-progress').addEventListener('message', (ev) => {
  const p = JSON.parse(ev.data);
  const cell = progressCells.get(p.model);
  if (!cell) return;
  const eta = p.eta_s != null ? `, ${t('secondsLeft', [Math.ceil(p.eta_s)])}` : '';
  const speed = p.bytes_per_s ? ` ${t('atSpeed', [fmtBytes(p.bytes_per_s)])}` : '';
  cell.replaceChildren(
    el('progress', { max: '100', value: String(p.percent), 'data-testid': `progress-${p.model}` }),
    el('div', { class: 'timings', 'data-state': p.state }, [`${t(`state_${p.state}`)} ${fmtNumber(p.percent, 1)} % (${t('bytesOf', [fmtBytes(p.done), fmtBytes(p.total)])}${speed}${eta})${p.message ? ` — ${phrase(p.message)}` : ''}`]),
  );
  if (['ready', 'failed', 'cancelled'].includes(p.state)) setTimeout(showModels, 300);
});

/** The extension's keyboard commands with their current keys (the user may change them in the browser). */
async function showShortcuts() {
  const commands = await chrome.commands.getAll();
  $('shortcuts').replaceChildren(...commands.map((c) => el('tr', { 'data-command': c.name || '' }, [
    el('td', {}, [c.name === '_execute_action' ? t('cmdOpen') : c.description || c.name || '']),
    el('td', {}, [c.shortcut ? el('kbd', {}, [c.shortcut]) : el('span', { class: 'timings' }, [t('notSet')])]),
  ])));
}

async function init() {
  showShortcuts();
  initEndpoint();
  $('change-shortcuts').addEventListener('click', () => chrome.tabs.create({ url: 'chrome://extensions/shortcuts' }));
  const settings = await storedSettings();
  const current = settings.backend || 'auto';
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name=backend]'))) {
    input.checked = input.value === current;
    input.addEventListener('change', async () => {
      await patchSettings({ backend: input.value });
      await ask({ type: 'settings_changed' });
      $('status').textContent = t('restartingEngine');
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
  const writer = /** @type {HTMLSelectElement} */ ($('writer'));
  writer.addEventListener('change', () => patchSettings({ writer: writer.value }));
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
