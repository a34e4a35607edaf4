// @ts-check
/**
 * The side panel's chat about the page, one conversation per tab (kept in `storage.session`, so it survives closing
 * the panel and ends with the browser session). With a downloaded local LLM each answer is written by it (T2) from
 * the passages T1 retrieves, with `[n]` citations rendered as chips that highlight the passage in the page; without
 * one, T1 answers with the best passages themselves. The model's text is rendered as sanitized markdown only.
 */
import { ask, writeStreaming } from './client.js';
import { renderMarkdown } from './markdown.js';
import { el, tierLabel, vectorNote } from './render.js';
import { errorText, fmtDuration, phrase, t } from './i18n.js';
import { writerLabel, writtenTimings } from './t2.js';
import { askToSend, sentDetails } from './t3.js';

/** Earlier turns sent with a question: enough for follow-ups, little enough to leave room for the passages. */
const HISTORY_TURNS = 4;

/**
 * @typedef {{question: string, answer?: any, error?: string}} Turn
 * `answer`: `{tier:'T2', text, citations, invalid, label, timings, stop}` or `{tier:'T1', answers, no_answer, caution, head}`.
 */

export class Chat {
  /**
   * @param {HTMLElement} list where turns are shown
   * @param {number} tabId
   * @param {(busy: boolean) => void} onBusy
   */
  constructor(list, tabId, onBusy) {
    this.list = list;
    this.tabId = tabId;
    this.onBusy = onBusy;
    /** @type {Turn[]} */
    this.turns = [];
    this.busy = false;
    this.key = `chat:${tabId}`;
  }

  async load() {
    const stored = (await chrome.storage.session.get(this.key))[this.key];
    this.turns = stored && Array.isArray(stored.turns) ? stored.turns : [];
    this.render();
  }

  async save() {
    await chrome.storage.session.set({ [this.key]: { turns: this.turns } });
  }

  async clear() {
    this.turns = [];
    await chrome.storage.session.remove(this.key);
    await ask({ type: 'clear_highlight', tabId: this.tabId });
    this.render();
  }

  /**
   * Ask `question` (a new turn), answered by `writer` (T2) or by T1 when it is null.
   * @param {string} question @param {any | null} writer
   */
  async send(question, writer) {
    if (this.busy) return;
    this.turns.push({ question });
    await this.answerLast(writer, undefined);
  }

  /** Answer the last question again, in other words (sampled with a new seed). @param {any | null} writer */
  async regenerate(writer) {
    const last = this.turns[this.turns.length - 1];
    if (this.busy || !last) return;
    delete last.answer;
    delete last.error;
    await this.answerLast(writer, Math.floor(Math.random() * 2 ** 32));
  }

  /** @param {any | null} writer @param {number | undefined} variant */
  async answerLast(writer, variant) {
    const turn = this.turns[this.turns.length - 1];
    this.setBusy(true);
    this.render();
    const live = /** @type {HTMLElement} */ (this.list.lastElementChild);
    try {
      // T3 only for a site the user agreed to send from; "on this device" answers with the local writer.
      if (writer && writer.tier === 'T3' && !(await askToSend(live, writer, this.tabId))) writer = writer.local;
      if (writer) await this.answerT2(turn, writer, variant, live);
      else await this.answerT1(turn);
    } finally {
      this.setBusy(false);
      await this.save();
      this.render();
    }
  }

  /** @param {Turn} turn @param {any} writer @param {number | undefined} variant @param {HTMLElement} live */
  async answerT2(turn, writer, variant, live) {
    const history = this.turns.slice(0, -1).filter((x) => x.answer).slice(-HISTORY_TURNS)
      .map((x) => ({ question: x.question, answer: answerText(x.answer) }));
    const text = el('div', { class: 'written', 'data-testid': 'streaming' });
    const status = el('div', { class: 'busy', role: 'status' }, [el('progress', {}), el('span', {}, [t('findingPassages', [writer.display_name])])]);
    live.append(status, text);
    let written = '';
    const r = await writeStreaming({ tabId: this.tabId, model: writer.id, tier: writer.tier, variant, job: { kind: 'chat', question: turn.question, history } }, (e) => {
      if (e.kind !== 'text') return;
      if (!written) status.remove();
      written += e.text;
      text.replaceChildren(renderMarkdown(written));
    });
    if (!r.ok) { turn.error = errorText(r.error); return; }
    turn.answer = {
      tier: r.tier,
      text: r.text,
      citations: r.citations,
      invalid: r.invalid_citations,
      stop: r.stop,
      label: writerLabel(writer, r),
      timings: writtenTimings(r),
      sent: r.sent || [],
      hint: r.hint || null,
    };
  }

  /** @param {Turn} turn */
  async answerT1(turn) {
    const r = await ask({ type: 'ask', tabId: this.tabId, question: turn.question });
    if (!r.ok) { turn.error = errorText(r.error); return; }
    turn.answer = {
      tier: 'T1',
      answers: r.answers.map((/** @type {any} */ a) => ({ id: a.id, heading: a.heading, quote: a.quote, nodes: a.nodes })),
      no_answer: r.no_answer || null,
      caution: r.caution || null,
      hint: r.hint || null,
      head: `${tierLabel('T1')}${r.model ? ` · ${r.model}` : ''} · ${r.ep.toUpperCase()} · ${fmtDuration(r.timings.total_ms)}${vectorNote(r.vectors)}`,
    };
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.busy = busy;
    this.onBusy(busy);
  }

  render() {
    this.list.replaceChildren(...this.turns.map((turn, i) => this.renderTurn(turn, i === this.turns.length - 1)));
    this.list.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  /** @param {Turn} turn @param {boolean} last */
  renderTurn(turn, last) {
    const box = el('article', { class: 'turn', 'data-testid': 'turn' }, [el('p', { class: 'question' }, [turn.question])]);
    if (turn.error) box.append(el('div', { class: 'error', role: 'alert' }, [turn.error]));
    const a = turn.answer;
    if (!a) return box;
    if (a.tier === 'T1') {
      if (a.no_answer) box.append(el('p', { class: 'note', 'data-testid': 'no-answer' }, [t('scoutSays', [phrase(a.no_answer)])]));
      if (a.caution) box.append(el('p', { class: 'note', 'data-testid': 'unsure' }, [t('scoutSays', [phrase(a.caution)])]));
      if (a.hint) box.append(el('p', { class: 'note', 'data-testid': 'hint' }, [t('scoutSays', [phrase(a.hint)])]));
      a.answers.forEach((/** @type {any} */ p, /** @type {number} */ i) => {
        const show = el('a', { href: '#', class: 'cite', 'data-passage': p.id }, [t('showInPage', [i + 1])]);
        show.addEventListener('click', (e) => { e.preventDefault(); this.highlight(p.nodes, p.quote, show); });
        box.append(el('blockquote', { class: 'answer', 'data-testid': 'answer' }, [
          p.heading ? el('strong', {}, [p.heading]) : '', el('p', {}, [p.quote]), show]));
      });
      box.append(el('p', { class: 'timings' }, [a.head]));
      return box;
    }
    const byN = new Map(a.citations.map((/** @type {any} */ c) => [c.n, c]));
    const chip = (/** @type {number} */ n) => {
      const c = byN.get(n);
      if (!c) return null;
      const b = el('button', { class: 'cite-chip', 'data-n': String(n), title: c.text, 'aria-label': t('showPassage', [n]) }, [String(n)]);
      b.addEventListener('click', () => this.highlight(c.nodes, c.text.slice(0, 80), b));
      return b;
    };
    const matched = a.citations.length > 0 && a.citations.every((/** @type {any} */ c) => c.matched);
    box.append(el('div', { class: 'written', 'data-testid': 't2-answer' }, [renderMarkdown(a.text, matched ? undefined : chip)]));
    if (matched) {
      // The model cited nothing: show the passages that hold its words, said to be Scout's match, not its citation.
      box.append(el('p', { class: 'matched', 'data-testid': 'matched' }, [`${t('foundInPassages')} `,
        ...a.citations.map((/** @type {any} */ c) => /** @type {Node} */ (chip(c.n))),
        el('span', { class: 'timings' }, [` ${t('matchedNote')}`])]));
    }
    if (a.invalid && a.invalid.length) {
      box.append(el('p', { class: 'note', 'data-testid': 'invalid-citations' }, [
        t('invalidCitations', [a.invalid.map((/** @type {number} */ n) => `[${n}]`).join(' ')])]));
    }
    if (a.stop === 'cancelled') box.append(el('p', { class: 'note' }, [t('stopped')]));
    if (a.hint) box.append(el('p', { class: 'note', 'data-testid': 'hint' }, [t('scoutSays', [phrase(a.hint)])]));
    if (a.citations.length) {
      box.append(el('details', { class: 'sources' }, [el('summary', {}, [t('sources', [a.citations.length])]),
        el('ol', {}, a.citations.map((/** @type {any} */ c) => el('li', { value: String(c.n) }, [c.text])))]));
    }
    if (a.tier === 'T3') {
      // Never silent: where it went, and exactly what was sent.
      box.append(el('p', { class: 'badge sent', 'data-testid': 't3-badge' }, [a.label]));
      if (a.sent && a.sent.length) box.append(sentDetails(a.sent));
      box.append(el('p', { class: 'timings' }, [a.timings]));
    } else {
      box.append(el('p', { class: 'timings' }, [`${a.label} · ${a.timings}`]));
    }
    const actions = el('div', { class: 'turn-actions' });
    const copy = el('button', { 'data-testid': 'copy' }, [t('copy')]);
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(a.text);
        copy.textContent = t('copied');
      } catch (e) {
        copy.textContent = t('notCopied', [String(e)]);
      }
    });
    actions.append(copy);
    if (last) {
      const regen = el('button', { 'data-testid': 'regenerate' }, [t('regenerate')]);
      regen.addEventListener('click', () => this.list.dispatchEvent(new CustomEvent('regenerate')));
      actions.append(regen);
    }
    box.append(actions);
    return box;
  }

  /** @param {string[]} nodes @param {string} quote @param {HTMLElement} from */
  async highlight(nodes, quote, from) {
    const h = await ask({ type: 'highlight', tabId: this.tabId, nodes, quote });
    if (!h.ok) from.after(el('span', { class: 'note', role: 'alert' }, [` ${errorText(h.error)}`]));
  }
}

/** An earlier answer as the model sees it in the history. @param {any} a */
function answerText(a) {
  if (a.tier !== 'T1') return a.text;
  return a.no_answer ? `${phrase(a.no_answer)}.` : a.answers.map((/** @type {any} */ p) => p.quote).join(' ');
}
