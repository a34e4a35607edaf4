// @ts-check
import { ask } from './ui/client.js';
import { el } from './ui/render.js';
import { patchSettings, storedSettings } from './settings.js';
import { errorText, fmtDateTime, localize, phrase, t } from './ui/i18n.js';

localize();

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const PAGE = 100;

async function show() {
  const query = /** @type {HTMLInputElement} */ ($('q')).value;
  const r = await ask({ type: 'history', query, limit: PAGE });
  const list = $('list');
  if (!r.ok) { list.replaceChildren(el('p', { class: 'error', role: 'alert' }, [errorText(r.error)])); return; }
  $('count').textContent = `${t(r.total === 1 ? 'answerCountOne' : 'answerCount', [r.total])}${r.total > PAGE ? ` ${t('showingNewest', [PAGE])}` : ''}`;
  list.replaceChildren(...r.entries.map((/** @type {any} */ e) => {
    const del = el('button', { title: t('deleteEntry') }, [t('delete')]);
    del.addEventListener('click', async () => { await ask({ type: 'delete_history', id: e.id }); show(); });
    const open = el('a', { href: e.url, target: '_blank', rel: 'noopener' }, [e.title || e.url]);
    return el('article', { class: 'entry', 'data-id': e.id }, [
      el('h2', { class: 'title' }, [open]),
      el('p', { class: 'timings' }, [`${fmtDateTime(e.created_ms)} · ${t(`kind_${e.kind}`)} · ${e.tier}${e.model ? ` · ${e.model}` : ''}`]),
      el('pre', { class: 'answer' }, [e.shown && e.shown.length ? e.shown.map(phrase).join('\n') : e.text]),
      del,
    ]);
  }));
}

$('q').addEventListener('input', show);
$('clear').addEventListener('click', async () => {
  if (!confirm(t('confirmClearHistory'))) return;
  await ask({ type: 'clear_history' });
  show();
});
$('export').addEventListener('click', async () => {
  const r = await ask({ type: 'export_history' });
  if (!r.ok) return;
  const a = el('a', { href: URL.createObjectURL(new Blob([r.json], { type: 'application/json' })), download: 'scout-history.json' });
  a.click();
});
$('import').addEventListener('change', async (ev) => {
  const file = /** @type {HTMLInputElement} */ (ev.target).files?.[0];
  if (!file) return;
  const r = await ask({ type: 'import_history', json: await file.text() });
  $('count').textContent = r.ok ? phrase(r.message) : errorText(r.error);
  show();
});
const retention = /** @type {HTMLSelectElement} */ ($('retention'));
storedSettings().then((settings) => {
  retention.value = settings.retention_days ? String(settings.retention_days) : '';
});
retention.addEventListener('change', async () => {
  await patchSettings({ retention_days: retention.value ? Number(retention.value) : null });
  show();
});
show();
