// @ts-check
/**
 * The UI's words in the browser's language: `chrome.i18n` over `_locales/<lang>/messages.json` (English when a
 * language has no file), and numbers, sizes and durations formatted by `Intl` in that language.
 *
 * In HTML, `data-i18n` (a message name) replaces an element's text with the message; each `{}` in the message stands for the
 * element's next child element, which is kept as it is (an input inside a label's sentence). `data-i18n-placeholder`,
 * `data-i18n-title` and `data-i18n-aria-label` set those attributes.
 */

/**
 * The message `key`, with `$1`… replaced by `subs`. A missing message shows its key (a bug the tests catch).
 * @param {string} key @param {(string | number)[]} [subs] @returns {string}
 */
export function t(key, subs = []) {
  return chrome.i18n.getMessage(key, subs.map(String)) || key;
}

/** The UI language (BCP 47), for `Intl`. */
export function uiLanguage() {
  return chrome.i18n.getUILanguage();
}

/** Fill the marked elements of `root` with their messages, and set the document's language. @param {ParentNode} [root] */
export function localize(root = document) {
  for (const e of root.querySelectorAll('[data-i18n]')) fill(/** @type {HTMLElement} */ (e), t(e.getAttribute('data-i18n') || ''));
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    for (const e of root.querySelectorAll(`[data-i18n-${attr}]`)) e.setAttribute(attr, t(e.getAttribute(`data-i18n-${attr}`) || ''));
  }
  document.documentElement.lang = uiLanguage();
}

/** @param {HTMLElement} e @param {string} message */
function fill(e, message) {
  const kept = [...e.children];
  const parts = message.split('{}');
  e.replaceChildren();
  parts.forEach((text, i) => {
    if (text) e.append(text);
    if (i < parts.length - 1 && kept[i]) e.append(kept[i]);
  });
}

/** A size in bytes: "141.7 MB". @param {number} bytes */
export function fmtBytes(bytes) {
  const units = /** @type {const} */ (['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte']);
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return new Intl.NumberFormat(uiLanguage(), { style: 'unit', unit: units[i], unitDisplay: 'short', maximumFractionDigits: i ? 1 : 0 }).format(v);
}

/** A duration: "640 ms", "2.31 s". @param {number} ms */
export function fmtDuration(ms) {
  return ms >= 1000
    ? new Intl.NumberFormat(uiLanguage(), { style: 'unit', unit: 'second', unitDisplay: 'short', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(ms / 1000)
    : new Intl.NumberFormat(uiLanguage(), { style: 'unit', unit: 'millisecond', unitDisplay: 'short', maximumFractionDigits: 0 }).format(ms);
}

/** A plain number ("15.3"). @param {number} x @param {number} [digits] */
export function fmtNumber(x, digits = 0) {
  return new Intl.NumberFormat(uiLanguage(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
}

/** A share as a percentage ("83 %"), from 0..100. @param {number} percent @param {number} [digits] */
export function fmtPercent(percent, digits = 0) {
  return new Intl.NumberFormat(uiLanguage(), { style: 'percent', maximumFractionDigits: digits }).format(percent / 100);
}

/** "5 minutes ago". @param {number} whenMs */
export function fmtAge(whenMs) {
  const minutes = Math.round((whenMs - Date.now()) / 60000);
  const rtf = new Intl.RelativeTimeFormat(uiLanguage(), { numeric: 'auto' });
  if (Math.abs(minutes) < 60) return rtf.format(minutes, 'minute');
  if (Math.abs(minutes) < 60 * 24) return rtf.format(Math.round(minutes / 60), 'hour');
  return rtf.format(Math.round(minutes / 1440), 'day');
}

/** A date and time ("4 Dec 2026, 20:15"). @param {number} ms */
export function fmtDateTime(ms) {
  return new Intl.DateTimeFormat(uiLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

/**
 * The message `key` as nodes, for substitutions that are nodes themselves (e.g. a catalog description).
 * @param {string} key @param {(string | number | Node)[]} subs @returns {(string | Node)[]}
 */
export function tNodes(key, subs) {
  const text = t(key, subs.map((_, i) => `\u0001${i}\u0002`));
  /** @type {(string | Node)[]} */
  const out = [];
  for (const part of text.split(/(\u0001\d+\u0002)/)) {
    const m = part.match(/^\u0001(\d+)\u0002$/);
    if (m) {
      const s = subs[Number(m[1])];
      out.push(typeof s === 'number' ? String(s) : s);
    } else if (part) {
      out.push(part);
    }
  }
  return out;
}

/**
 * English text that has no message in the locales (a catalog entry added by the user, a runtime's own words), marked
 * `lang="en"` so that screen readers read it as English.
 * @param {string} text
 */
export function engineText(text) {
  const e = document.createElement('span');
  e.lang = 'en';
  e.textContent = text;
  return e;
}

/**
 * Words the engine wrote (`core/phrase.rs`: a message key, its arguments, its English text) in the browser's
 * language; a key this build's locales lack, or plain text, shows the English text.
 * @param {any} p @returns {string}
 */
export function phrase(p) {
  if (!p) return '';
  if (typeof p === 'string') return p;
  const args = (p.args || []).map((/** @type {any} */ a) => (typeof a === 'string' ? a : phrase(a)));
  return (p.key && chrome.i18n.getMessage(p.key, args)) || p.text;
}

/**
 * An error reply's words: the extension's own errors are in the UI's language already; the engine's are headed by
 * the UI's words for their code, with the engine's English detail after them.
 * @param {{code: string, message: string, localized?: boolean} | undefined} err @returns {string}
 */
export function errorText(err) {
  if (!err) return t('noAnswer');
  if (err.localized) return err.message;
  const head = chrome.i18n.getMessage(`errCode_${err.code}`);
  if (!head) return err.message;
  return err.message && err.message !== err.code ? `${head} (${err.message})` : head;
}

/** A built-in catalog model's description in the browser's language (the catalog's English for others). @param {{id: string, description: string}} m */
export function modelDescription(m) {
  return chrome.i18n.getMessage(`modelDesc_${messageName(m.id)}`) || engineText(m.description);
}

/** A built-in label's name in the browser's language (custom labels are the user's own words). @param {string} set @param {{id: string, name: string}} label */
export function labelName(set, label) {
  return chrome.i18n.getMessage(`label_${messageName(set)}_${messageName(label.id)}`) || label.name;
}

/** A timed phase of the engine's start ("runtime script") in the browser's language. @param {string} name */
export function phaseName(name) {
  return chrome.i18n.getMessage(`phase_${messageName(name)}`) || name;
}

/** `id` as a message name (letters, digits and `_`). @param {string} id */
const messageName = (id) => id.replace(/[^A-Za-z0-9]+/g, '_');
