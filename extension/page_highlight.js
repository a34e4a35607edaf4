// @ts-check
/**
 * Runs inside the page (injected by `chrome.scripting.executeScript({func})`): scroll to a cited passage and
 * highlight it with the CSS Custom Highlight API, which paints ranges without touching the page's DOM, so removing
 * the highlight leaves the page exactly as it was. `page_capture.js` tagged the live text blocks with
 * `data-scout-node`; the core's passages carry those node ids.
 *
 * @param {number[]} nodes the passage's `data-scout-node` ids
 * @param {string} quote the sentence(s) to mark inside them; the whole passage is marked if not found
 * @returns {{found: boolean, marked: string}}
 */
export function highlightPassage(nodes, quote) {
  const NAME = 'scout-cite';
  /** @type {any} */ const css = CSS;
  if (css.highlights) css.highlights.delete(NAME);
  const els = nodes
    .map((n) => document.querySelector(`[data-scout-node="${Number(n)}"]`))
    .filter((e) => e !== null);
  if (!els.length) return { found: false, marked: '' };
  /** @type {Range[]} */
  const ranges = [];
  const wanted = quote.replace(/\s+/g, ' ').trim();
  for (const el of els) {
    // Map the element's normalized text back to text-node offsets to find the quote.
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    /** @type {{node: Text, start: number}[]} */
    const pieces = [];
    let text = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      pieces.push({ node: /** @type {Text} */ (n), start: text.length });
      text += n.nodeValue || '';
    }
    const flat = text.replace(/\s/g, ' ');
    const at = wanted ? flat.indexOf(wanted) : -1;
    const range = document.createRange();
    if (at >= 0) {
      const locate = (/** @type {number} */ off) => {
        let p = pieces[0];
        for (const q of pieces) if (q.start <= off) p = q;
        return { node: p.node, offset: Math.min(off - p.start, (p.node.nodeValue || '').length) };
      };
      const a = locate(at), b = locate(at + wanted.length);
      range.setStart(a.node, a.offset);
      range.setEnd(b.node, b.offset);
    } else {
      range.selectNodeContents(el);
    }
    ranges.push(range);
  }
  if (css.highlights && typeof Highlight !== 'undefined') css.highlights.set(NAME, new Highlight(...ranges));
  els[0].scrollIntoView({ behavior: 'smooth', block: 'center' });
  return { found: true, marked: ranges.map((r) => r.toString()).join(' ') };
}

/** Remove Scout's highlight; the page's DOM was never changed by it. */
export function clearHighlight() {
  /** @type {any} */ const css = CSS;
  if (css.highlights) css.highlights.delete('scout-cite');
  return true;
}
