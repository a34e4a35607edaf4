// @ts-check
/**
 * T2 in our pages: a summary written by the local LLM streams into the box that shows the T0/T1 summary and replaces
 * it (the extracted sentences stay one click away), labelled with the model and backend.
 */
import { writeStreaming } from './client.js';
import { renderMarkdown } from './markdown.js';
import { el, summarizeProgressively, tierLabel } from './render.js';
import { errorText, fmtDuration, fmtNumber, fmtPercent, t } from './i18n.js';
import { askToSend, sentDetails } from './t3.js';

/**
 * Who writes: "T2 · local LLM · SmolLM2 135M Instruct · WASM", or "T3 · sent to host · model" (from the reply once
 * there is one: what the engine actually sent to).
 * @param {any} writer @param {any} [reply]
 */
export function writerLabel(writer, reply) {
  if (writer.tier === 'T3') return t('t3Badge', reply ? [reply.ep, reply.model] : [writer.host, writer.display_name]);
  return `${tierLabel('T2')} · ${writer.display_name}${reply && reply.ep ? ` · ${reply.ep.toUpperCase()}` : ''}`;
}

/** A written reply's figures in one line. @param {any} r */
export function writtenTimings(r) {
  if (r.tier === 'T3') {
    return r.sent && r.sent.length ? `${fmtDuration(r.total_ms)} · ${t('firstToken', [fmtDuration(r.time_to_first_token_ms)])}` : `${fmtDuration(r.total_ms)} · ${t('t3NothingSent')}`;
  }
  if (!r.prompt_tokens) return `${fmtDuration(r.total_ms)} · ${t('modelNotAsked')}`;
  const parts = [`${fmtDuration(r.total_ms)}`, t('firstToken', [fmtDuration(r.time_to_first_token_ms)])];
  if (r.decode_tokens_per_s > 0) parts.push(t('tokensPerSecond', [fmtNumber(r.decode_tokens_per_s, 1)]));
  parts.push(r.reused_tokens ? t('promptTokensReused', [r.prompt_tokens, r.reused_tokens]) : t('promptTokens', [r.prompt_tokens]));
  return parts.join(' · ');
}

/**
 * Time left while the model reads a long page in parts, from the time the finished parts took.
 * @param {number} started ms @param {number} part 1-based @param {number} parts
 */
function partsNote(started, part, parts) {
  const done = part - 1;
  const left = done > 0 ? ((performance.now() - started) / done) * (parts - done) : 0;
  return left ? t('readingPartLeft', [part, parts, Math.ceil(left / 1000)]) : t('readingPart', [part, parts]);
}

/**
 * Write a summary with the local LLM into `box`, which already shows the T0/T1 `first` reply.
 * @param {HTMLElement} box @param {{tabId: number, selectionOnly?: boolean, options?: any}} msg
 * @param {any} writer the model (from `writerModel`) @returns {Promise<any>} the written reply
 */
export async function writeSummaryInto(box, msg, writer) {
  const format = (msg.options && msg.options.format) || 'markdown';
  const extracted = /** @type {HTMLElement | null} */ (box.querySelector('[data-testid=summary]'));
  const tierBadge = /** @type {HTMLElement | null} */ (box.querySelector('[data-testid=tier]'));
  const firstLabel = tierBadge ? tierBadge.textContent || '' : '';
  const text = el('div', { class: 'written', 'data-testid': 't2-text', 'aria-live': 'polite' });
  const status = el('div', { class: 'busy', role: 'status', 'data-testid': 't2-status' }, [
    el('progress', {}), el('span', {}, [writer.tier === 'T3' ? t('t3Writing', [writer.display_name, writer.host]) : t('writingWith', [writer.display_name])])]);
  if (extracted) extracted.before(text, status); else box.append(text, status);
  const started = performance.now();
  let written = '';
  let shown = false;
  const show = (/** @type {string} */ s) => {
    text.replaceChildren(format === 'plain' ? el('p', { class: 'plain' }, [s]) : renderMarkdown(s));
  };
  // The extracted summary is folded away once the model's text starts, and kept for comparison.
  const foldExtracted = () => {
    if (!extracted || extracted.parentElement?.tagName === 'DETAILS') return;
    const details = el('details', { class: 'extracted' }, [el('summary', {}, [t('keySentences', [firstLabel])])]);
    extracted.replaceWith(details);
    details.append(extracted);
  };
  const reply = await writeStreaming({ tabId: msg.tabId, selectionOnly: !!msg.selectionOnly, model: writer.id, tier: writer.tier, job: { kind: 'summary', options: msg.options || {} } }, (e) => {
    if (e.kind === 'reading') {
      const span = status.querySelector('span');
      if (span) span.textContent = partsNote(started, e.part, e.parts);
    } else if (e.kind === 'text') {
      written += e.text;
      if (!shown) {
        shown = true;
        foldExtracted();
        if (tierBadge) tierBadge.textContent = writerLabel(writer);
      }
      show(written);
    }
  });
  status.remove();
  if (!reply.ok) {
    text.replaceChildren(el('p', { class: 'note', role: 'alert', 'data-testid': 't2-error' }, [
      t('writerFailed', [writer.display_name, errorText(reply.error), firstLabel])]));
    if (extracted && extracted.parentElement?.tagName === 'DETAILS') extracted.parentElement.replaceWith(extracted);
    if (tierBadge) tierBadge.textContent = firstLabel;
    return reply;
  }
  foldExtracted();
  if (tierBadge) tierBadge.textContent = writerLabel(writer, reply);
  if (reply.sent && reply.sent.length) text.after(sentDetails(reply.sent));
  show(reply.text);
  const notes = [];
  if (reply.stop === 'cancelled') notes.push(t('summaryStopped'));
  if (reply.stop === 'context') notes.push(t('contextFull'));
  if (reply.coverage < 1) notes.push(reply.tier === 'T3' ? t('t3Coverage', [fmtPercent(reply.coverage * 100)]) : t('modelCoverage', [fmtPercent(reply.coverage * 100), reply.parts]));
  else if (reply.parts > 1) notes.push(t('readInParts', [reply.parts]));
  for (const n of notes) text.after(el('p', { class: 'note', 'data-testid': 't2-note' }, [n]));
  text.after(el('p', { class: 'timings', 'data-testid': 't2-timings' }, [writtenTimings(reply)]));
  return reply;
}

/**
 * The whole summary ladder in `box`: T0 at once, T1 when the embedder has ranked, then T2 streaming in when a local
 * LLM is downloaded (`writer`). Stops after a failed or stopped T0/T1 step; when T2 fails its message is shown
 * above the T0/T1 summary, which stays.
 * @param {HTMLElement} box @param {{tabId: number, selectionOnly?: boolean, options?: any}} msg
 * @param {boolean} modelOn @param {any | null} writer @returns {Promise<any>} the reply that is shown
 */
export async function summarizeAll(box, msg, modelOn, writer) {
  const first = await summarizeProgressively(box, { type: 'summarize', ...msg }, modelOn);
  if (!first || !first.ok || !writer) return first;
  // T3 only for a site the user agreed to send from; else the local writer, if any.
  if (writer.tier === 'T3' && !(await askToSend(box, writer, msg.tabId))) writer = writer.local;
  if (!writer) return first;
  const written = await writeSummaryInto(box, msg, writer);
  return written.ok ? written : first;
}
