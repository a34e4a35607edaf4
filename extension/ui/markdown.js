// @ts-check
/**
 * Model-written markdown as DOM nodes, never as HTML: the model's text is untrusted (it read the page). Only a small
 * subset becomes structure: paragraphs, `-`/`*`/`1.` lists, `#` headings (shown as bold lines), `**bold**`,
 * `*emphasis*`, `` `code` `` and citation markers `[n]`. Everything else, links and images included, stays literal
 * text, so nothing the model writes can load, link or run anything.
 */

/** @typedef {(n: number) => Node | null} CiteRenderer a node for marker `[n]`, or null to keep the marker as text */

const INLINE = /(\*\*[^*\n]+\*\*|`[^`\n]+`|\*[^*\s][^*\n]*\*|\[\d{1,3}\])/g;

/** @param {string} text @param {CiteRenderer | undefined} cite @returns {Node[]} */
function inline(text, cite) {
  /** @type {Node[]} */
  const out = [];
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    const i = /** @type {number} */ (m.index);
    if (i > at) out.push(document.createTextNode(text.slice(at, i)));
    const tok = m[0];
    /** @type {Node | null} */
    let node = null;
    if (tok.startsWith('**')) node = wrap('strong', tok.slice(2, -2));
    else if (tok.startsWith('`')) node = wrap('code', tok.slice(1, -1));
    else if (tok.startsWith('*')) node = wrap('em', tok.slice(1, -1));
    else if (cite) node = cite(Number(tok.slice(1, -1)));
    out.push(node || document.createTextNode(tok));
    at = i + tok.length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

/** @param {string} tag @param {string} text */
function wrap(tag, text) {
  const e = document.createElement(tag);
  e.textContent = text;
  return e;
}

const BULLET = /^\s*(?:[-*•]|\d{1,2}[.)])\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*)$/;

/**
 * Render `text` as markdown (the subset above) into a fragment.
 * @param {string} text @param {CiteRenderer} [cite] @returns {DocumentFragment}
 */
export function renderMarkdown(text, cite) {
  const frag = document.createDocumentFragment();
  /** @type {HTMLElement | null} */
  let list = null;
  /** @type {string[]} */
  let para = [];
  const flushPara = () => {
    if (!para.length) return;
    const p = document.createElement('p');
    para.forEach((line, i) => {
      if (i) p.append(document.createElement('br'));
      p.append(...inline(line, cite));
    });
    frag.append(p);
    para = [];
  };
  for (const line of text.split('\n')) {
    const bullet = line.match(BULLET);
    if (bullet) {
      flushPara();
      if (!list) {
        list = document.createElement(/^\s*\d/.test(line) ? 'ol' : 'ul');
        frag.append(list);
      }
      const li = document.createElement('li');
      li.append(...inline(bullet[1], cite));
      list.append(li);
      continue;
    }
    list = null;
    if (!line.trim()) { flushPara(); continue; }
    const heading = line.match(HEADING);
    if (heading) {
      flushPara();
      const p = document.createElement('p');
      const strong = document.createElement('strong');
      strong.append(...inline(heading[1], cite));
      p.append(strong);
      frag.append(p);
      continue;
    }
    para.push(line);
  }
  flushPara();
  return frag;
}
