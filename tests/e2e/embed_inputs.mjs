// @ts-check
/**
 * The texts the embedding benchmarks feed the models, made the same way wherever they run (the benchmark in
 * Chromium here, the GPU pages of tests/gpu/): English prose windows of a fixed number of word pieces from the
 * corpus' expected articles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CORPUS } from './harness.mjs';

/** Texts per embedding measurement. */
export const EMBED_TEXTS = 64;
/** Word pieces per embedding input, [CLS] and [SEP] included: a typical sentence-window size for MiniLM. */
export const EMBED_TOKENS = 128;

/** Corpus pages (directories with a source.html), sorted for a stable order. */
export function corpusPages() {
  return fs.readdirSync(CORPUS).filter((d) => fs.existsSync(path.join(CORPUS, d, 'source.html'))).sort();
}

// ---------- embedding inputs ----------

/** Visible text of an HTML fragment: good enough for corpus prose (no scripts in expected.html). @param {string} html */
export function htmlText(html) {
  const named = /** @type {Record<string, string>} */ ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' });
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&([a-z]+);/gi, (m, n) => named[n.toLowerCase()] ?? m)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Counts MiniLM's word pieces for a word, following the tokenizer.json it ships (BERT uncased: lowercase,
 * split off punctuation, greedy longest-match WordPiece with `##` continuations). Lets the inputs be sized in
 * tokens, which is what the model's cost depends on, rather than in words.
 * @param {string} tokenizerJson
 */
export function wordPieceCounter(tokenizerJson) {
  const vocab = new Set(Object.keys(JSON.parse(fs.readFileSync(tokenizerJson, 'utf8')).model.vocab));
  /** @param {string} piece */
  const pieces = (piece) => {
    let n = 0;
    for (let start = 0; start < piece.length; n++) {
      let end = piece.length;
      while (end > start && !vocab.has((start ? '##' : '') + piece.slice(start, end))) end--;
      if (end === start) return 1; // no match anywhere: the whole word becomes [UNK]
      start = end;
    }
    return n;
  };
  /** @param {string} word */
  return (word) => word.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '')
    .split(/(\p{P}|\p{S})/u).filter(Boolean).reduce((n, p) => n + pieces(p), 0);
}

/**
 * The engine keeps an LRU cache of embeddings by text, so a text embedded twice costs nothing the second time.
 * Each measurement therefore gets its own variant of the inputs: a numbered prefix ("7. ") that costs
 * PREFIX_TOKENS word pieces and makes every text new to the cache.
 */
export const PREFIX_TOKENS = 2;
/** @param {string[]} texts @param {number} n variant number, 0–99 (one word piece) */
export const variant = (texts, n) => texts.map((t) => `${n}. ${t}`);

/**
 * English prose windows of EMBED_TOKENS word pieces (about 95 words, numbered prefix included) from the corpus'
 * expected articles. Windows with many non-words (code, tables of numbers) are skipped so the inputs look like
 * what Scout embeds.
 * @param {string} tokenizerJson @returns {{texts: string[], words: number, tokens: number}}
 */
export function embeddingInputs(tokenizerJson) {
  const count = wordPieceCounter(tokenizerJson);
  const texts = [];
  let words = 0;
  let tokens = 0;
  for (const name of corpusPages()) {
    const meta = path.join(CORPUS, name, 'expected-metadata.json');
    const expected = path.join(CORPUS, name, 'expected.html');
    if (!fs.existsSync(meta) || !fs.existsSync(expected)) continue;
    if (!/^en\b/i.test(JSON.parse(fs.readFileSync(meta, 'utf8')).lang || '')) continue;
    const all = htmlText(fs.readFileSync(expected, 'utf8')).split(' ');
    // At most two windows per page, so one long article does not dominate the inputs.
    for (let i = 0, taken = 0; i < all.length && taken < 2 && texts.length < EMBED_TEXTS; taken++) {
      let n = 2 + PREFIX_TOKENS; // [CLS], [SEP] and the variant prefix
      const start = i;
      while (i < all.length && n + count(all[i]) <= EMBED_TOKENS) n += count(all[i++]);
      const window = all.slice(start, i);
      if (n < EMBED_TOKENS - 8) break; // the article ran out
      if (window.filter((w) => /^[A-Za-z][a-z'’-]*[.,;:!?"”)]*$/.test(w)).length < 0.8 * window.length) { taken--; continue; }
      texts.push(window.join(' '));
      words += window.length;
      tokens += n;
    }
    if (texts.length >= EMBED_TEXTS) break;
  }
  if (texts.length < EMBED_TEXTS) throw new Error(`only ${texts.length} English windows in ${CORPUS}`);
  return { texts, words: words / texts.length, tokens: tokens / texts.length };
}
