// @ts-check
/** Rendering of engine replies, shared by the popup and the side panel. Page text is only ever set as text. */
import { ask, askProgressive } from './client.js';
import { errorText, fmtAge, fmtDuration, fmtPercent, phrase, t } from './i18n.js';

/** "T1 · on-device embedder". @param {string} tier "T0"…"T3" */
export const tierLabel = (tier) => (['T0', 'T1', 'T2', 'T3'].includes(tier) ? t(`tier${tier}`) : tier);

/**
 * @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/**
 * Show a reply (`{ok:true,type:'summary',...}` or `{ok:false,error}`) in `box`.
 * @param {HTMLElement} box @param {any} reply
 */
export function renderReply(box, reply) {
  box.replaceChildren();
  if (!reply || !reply.ok) {
    const err = (reply && reply.error) || { code: 'internal', message: t('noAnswer') };
    box.append(el('div', { class: 'error', role: 'alert', 'data-code': err.code }, [errorText(err)]));
    return;
  }
  if (reply.type !== 'summary') {
    box.append(el('pre', {}, [JSON.stringify(reply, null, 2)]));
    return;
  }
  const ep = reply.ep === 'none' ? '' : ` · ${reply.ep.toUpperCase()}`;
  const badges = el('div', { class: 'badges' }, [
    el('span', { class: `badge tier tier-${reply.tier}`, 'data-testid': 'tier' }, [`${tierLabel(reply.tier)}${ep}`]),
  ]);
  if (reply.cached) badges.append(el('span', { class: 'badge cached', 'data-testid': 'cached' }, [savedLabel(reply.created_ms)]));
  if (reply.lang) badges.append(el('span', { class: 'badge' }, [reply.lang]));
  badges.append(el('span', { class: 'badge' }, [t('minRead', [Math.max(1, Math.round(reply.reading_minutes))])]));
  box.append(el('h2', { class: 'title', 'data-testid': 'title' }, [reply.title || reply.url]), badges);
  if (reply.fallback_reason) box.append(el('p', { class: 'note' }, [phrase(reply.fallback_reason)]));
  if (!reply.readerable) box.append(el('p', { class: 'note' }, [t('notArticle')]));
  const list = el('ul', { class: 'summary', 'data-testid': 'summary' });
  for (const s of reply.summary.sentences) list.append(el('li', {}, [s.text]));
  box.append(list);
  if (reply.keywords && reply.keywords.length) {
    box.append(el('p', { class: 'keywords' }, reply.keywords.map((k) => el('span', { class: 'chip' }, [k]))));
  }
  const cov = reply.coverage;
  if (cov && cov.percent < 100) {
    box.append(el('p', { class: 'note', 'data-testid': 'coverage' }, [t('rankedCoverage', [cov.sentences_used, cov.sentences_total, fmtPercent(cov.percent)])]));
  }
  const tm = reply.timings;
  box.append(el('p', { class: 'timings', 'data-testid': 'timings' }, [
    reply.cached ? t('fromStorage', [fmtDuration(tm.total_ms)])
      : `${t('timingsLine', [fmtDuration(tm.total_ms), fmtDuration(tm.extract_ms), fmtDuration(tm.embed_ms), fmtDuration(tm.rank_ms)])}${vectorNote(reply.vectors)}`,
  ]));
}

/** "saved 5 minutes ago", in the browser's language. @param {number | null | undefined} createdMs */
export function savedLabel(createdMs) {
  return createdMs ? t('savedAgo', [fmtAge(createdMs)]) : t('savedResult');
}

/**
 * Where a reply's embeddings came from, when some were kept from an earlier visit.
 * @param {{computed: number, stored: number} | undefined} v
 */
export function vectorNote(v) {
  if (!v || !v.stored) return '';
  return ` · ${v.computed ? t('vectorsPartly', [v.stored, v.stored + v.computed]) : t('vectorsAll')}`;
}

/** @param {HTMLElement} box @param {string} text */
export function renderBusy(box, text) {
  box.replaceChildren(el('div', { class: 'busy', role: 'status' }, [el('progress', {}), el('span', {}, [text])]));
}

/**
 * Summarize into `box` progressively: the no-model summary (T0, milliseconds) is shown at once with a note that
 * the on-device model is refining it, then the full reply replaces it; the page is captured once for both. With the
 * model turned off in the options only the full (T0) request is made.
 * @param {HTMLElement} box
 * @param {object} msg a `summarize` message
 * @param {boolean} modelOn
 * @returns {Promise<any>} the full reply
 */
export async function summarizeProgressively(box, msg, modelOn) {
  const reply = modelOn
    ? await askProgressive(msg, (first) => {
      renderReply(box, first);
      box.append(el('div', { class: 'busy', role: 'status', 'data-testid': 'refining' }, [el('progress', {}), el('span', {}, [t('refining')])]));
    })
    : await ask(msg);
  renderReply(box, reply);
  return reply;
}
