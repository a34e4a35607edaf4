// @ts-check
/**
 * Runs inside the page (injected by `chrome.scripting.executeScript({func})`), so it must be self-contained.
 *
 * It captures what the user sees: a clone of the live DOM (after scripts ran) with the elements that CSS hides
 * removed — `display:none`, `visibility:hidden`, `aria-hidden="true"`, the `hidden` attribute, boxes placed far
 * off-screen or clipped to a pixel, zero-size type, and text made fully transparent (unless it is fading in).
 * Hidden state comes from the live elements' computed styles, which a serialized copy would lose.
 * Each kept element gets `data-scout-node="N"` in the copy and (for text blocks) on the live element too, so a
 * passage the core cites can be scrolled to and highlighted later.
 *
 * @param {boolean} selectionOnly capture only the user's selection
 * @returns {{url: string, title: string, html: string | null, text: string, lang: string | null,
 *   contentType: string, isSelection: boolean}}
 */
export function capturePage(selectionOnly) {
  const url = location.href;
  const contentType = document.contentType || '';
  const lang = document.documentElement.getAttribute('lang');
  const selection = String(window.getSelection ? window.getSelection() : '').trim();
  if (selectionOnly && selection) {
    return { url, title: document.title, html: null, text: selection, lang, contentType, isSelection: true };
  }
  const root = document.documentElement;
  // Copy into an inert document: elements there never load images or run anything, so capturing a page makes
  // no requests on the page's behalf.
  const inert = document.implementation.createHTMLDocument('');
  const clone = /** @type {HTMLElement} */ (inert.importNode(root, true));
  const live = [root, ...root.querySelectorAll('*')];
  const copy = [clone, ...clone.querySelectorAll('*')];
  const BLOCKS = new Set(['P', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LI', 'BLOCKQUOTE', 'PRE', 'TD', 'TH',
    'FIGCAPTION', 'DD', 'DT', 'ARTICLE', 'SECTION', 'DIV', 'TABLE', 'UL', 'OL']);
  const SKIP_STYLE = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'META', 'LINK', 'TITLE', 'BR']);
  // The isolated world's own DOM methods, called on the element: a <form>'s controls shadow the form's members
  // (`<button name="remove">` makes `form.remove` that button), in this world too.
  const getAttr = Element.prototype.getAttribute;
  const setAttr = Element.prototype.setAttribute;
  const removeEl = Element.prototype.remove;
  const rectOf = Element.prototype.getBoundingClientRect;
  const tagOf = /** @type {(this: Element) => string} */ (Object.getOwnPropertyDescriptor(Element.prototype, 'tagName')?.get);
  const isHidden = /** @type {(this: HTMLElement) => boolean} */ (Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'hidden')?.get);
  /** @type {Element[]} */
  const drop = [];
  const vw = window.innerWidth || 1024;
  // A page-hiding ("anti-flicker") snippet hides the whole body with `visibility: hidden` until a script shows it;
  // visibility is inherited, so every element would look hidden. Such a page counts as shown: only display, the
  // hidden attributes and off-screen boxes decide then.
  const pageHidden = [root, document.body].some((e) => e && getComputedStyle(e).visibility === 'hidden');
  if (live.length === copy.length) {
    for (let i = 0; i < live.length; i++) {
      const el = live[i];
      const tag = tagOf.call(el);
      setAttr.call(copy[i], 'data-scout-node', String(i));
      if (BLOCKS.has(tag)) setAttr.call(el, 'data-scout-node', String(i));
      if (SKIP_STYLE.has(tag) || !(el instanceof HTMLElement)) continue;
      if (isHidden.call(el) || getAttr.call(el, 'aria-hidden') === 'true') { drop.push(copy[i]); continue; }
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || (!pageHidden && (cs.visibility === 'hidden' || cs.visibility === 'collapse'))) {
        drop.push(copy[i]);
        continue;
      }
      // Text a reader cannot see though its box is there: zero-size type, or a box clipped to a pixel ("visually
      // hidden"); fully transparent too, unless it is fading in (reveal-on-scroll pages start their article at
      // opacity 0 with a transition, and that text is the page's).
      if (parseFloat(cs.fontSize) === 0 || (cs.opacity === '0' && cs.transitionDuration.split(',').every((d) => parseFloat(d) === 0) && cs.animationName === 'none')) {
        drop.push(copy[i]);
        continue;
      }
      if (cs.position === 'absolute' || cs.position === 'fixed') {
        const r = rectOf.call(el);
        const clipped = cs.overflow === 'hidden' && r.width <= 1 && r.height <= 1;
        if (clipped || r.right < -100 || r.bottom + window.scrollY < -100 || r.left > vw + 2000) drop.push(copy[i]);
      }
    }
  }
  for (const el of drop) removeEl.call(el);
  // Scripts and styles are often half of a page's bytes and never part of the article: leave them out (except
  // JSON-LD, which carries the metadata), so less crosses to the engine and less is parsed.
  for (const el of clone.querySelectorAll('script:not([type="application/ld+json"]), style, noscript, template')) removeEl.call(el);
  // innerText of the live body follows the rendering (hidden elements excluded, blocks on their own lines); on a
  // page hidden as a whole it is empty, and the cleaned copy's text stands in.
  const cleanBody = clone.querySelector('body');
  const text = pageHidden
    ? (cleanBody ? cleanBody.textContent || '' : '').replace(/[ \t]+/g, ' ').replace(/\n\s*\n+/g, '\n').trim()
    : document.body ? document.body.innerText || '' : '';
  return { url, title: document.title, html: clone.outerHTML, text, lang, contentType, isSelection: false };
}
