//! Extractive summaries in the Chrome Summarizer API vocabulary
//! (key-points / tldr / teaser / headline × short / medium / long).
//!
//! Scoring: similarity ranking (TextRank over any [`Similarity`]) blended with a
//! cheap document-frequency score, times a mild position prior, a title-overlap
//! bonus and penalties (very short/long, questions, number/link-heavy, dangling
//! openers, list lead-ins). MMR removes redundancy. Output sentences are the
//! input sentences with whitespace collapsed (headlines may be cut to a clause).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::rank::{LexicalSimilarity, Similarity, SubsetSimilarity, mmr_select, textrank};
use super::sentences::{paragraph_ranges, split_sentences};
use super::tokens::{content_terms, is_cjk, is_stopword};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SummaryType {
    #[default]
    KeyPoints,
    Tldr,
    Teaser,
    Headline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryLength {
    #[default]
    Short,
    Medium,
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryFormat {
    #[default]
    Markdown,
    #[serde(alias = "plain-text")]
    Plain,
}

/// Defaults follow Chrome: key-points, short, markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryOptions {
    #[serde(rename = "type")]
    pub kind: SummaryType,
    pub length: SummaryLength,
    pub format: SummaryFormat,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySentence {
    pub text: String,
    /// Index of the sentence in the input slice.
    pub index: usize,
    pub block: Option<usize>,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The formatted output.
    pub text: String,
    pub sentences: Vec<SummarySentence>,
    #[serde(rename = "type")]
    pub kind: SummaryType,
    pub length: SummaryLength,
    pub format: SummaryFormat,
}

/// One input sentence; `block` is the paragraph/passage it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSentence<'a> {
    pub text: &'a str,
    pub block: Option<usize>,
}

/// Above this many candidates, only the best by a cheap linear score go
/// through the quadratic similarity ranking.
pub const MAX_RANKED: usize = 400;

/// Number of sentences produced for a type and length.
pub fn sentence_count(kind: SummaryType, length: SummaryLength) -> usize {
    use SummaryLength::*;
    use SummaryType::*;
    match (kind, length) {
        (KeyPoints, Short) => 3,
        (KeyPoints, Medium) => 5,
        (KeyPoints, Long) => 7,
        (Tldr, Short) => 1,
        (Tldr, Medium) => 3,
        (Tldr, Long) => 5,
        (Teaser, Short) => 1,
        (Teaser, Medium) => 2,
        (Teaser, Long) => 4,
        (Headline, _) => 1,
    }
}

/// Maximum headline length in words (CJK: ~1.5 characters per word).
pub fn headline_words(length: SummaryLength) -> usize {
    match length {
        SummaryLength::Short => 12,
        SummaryLength::Medium => 17,
        SummaryLength::Long => 22,
    }
}

const DANGLING: &[&str] = &[
    "he",
    "she",
    "they",
    "it",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "him",
    "them",
    "however",
    "but",
    "also",
    "and",
    "so",
    "then",
    "or",
    "yet",
    "still",
    "moreover",
    "furthermore",
    "additionally",
    "therefore",
    "thus",
    "hence",
    "meanwhile",
    "instead",
    "otherwise",
    "besides",
    "nevertheless",
    "nonetheless",
    "consequently",
    "there",
    "such",
];

const INTRIGUE_CUES: &[&str] = &[
    "surpris",
    "secret",
    "unexpect",
    "never",
    "first",
    "only",
    "why",
    "how",
    "turns out",
    "but",
    "mystery",
    "reveal",
    "despite",
    "instead",
    "record",
    "worst",
    "best",
];

/// Collapse runs of whitespace to single spaces and trim.
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_word(s: &str) -> String {
    s.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// Sentence length in word units (Han/kana: 1.5 characters per unit).
fn word_units(s: &str) -> f32 {
    let mut units = 0.0f32;
    for tok in s.split_whitespace() {
        let cjk = tok.chars().filter(|&c| is_cjk(c)).count();
        let other = tok.chars().any(|c| c.is_alphanumeric() && !is_cjk(c));
        units += cjk as f32 / 1.5 + if other { 1.0 } else { 0.0 };
    }
    units
}

const CLOSERS: [char; 8] = ['"', '\'', '”', '’', ')', '»', '」', '』'];

fn is_question(s: &str) -> bool {
    s.trim_end_matches(CLOSERS).ends_with(['?', '？', '؟'])
}

fn has_terminator(s: &str) -> bool {
    s.trim_end_matches(CLOSERS)
        .ends_with(['.', '!', '?', '…', '。', '！', '？', '؟', '۔', '।'])
}

/// Share of whitespace tokens that are numbers, links or emails.
fn junk_ratio(s: &str) -> f32 {
    let mut total = 0usize;
    let mut junk = 0usize;
    for tok in s.split_whitespace() {
        total += 1;
        let letters = tok.chars().filter(|c| c.is_alphabetic()).count();
        let digits = tok.chars().filter(|c| c.is_numeric()).count();
        let linky = tok.contains("://") || tok.starts_with("www.") || tok.contains('@');
        if linky || (digits > 0 && letters == 0) || (letters == 0 && digits == 0) {
            junk += 1;
        }
    }
    if total == 0 { 1.0 } else { junk as f32 / total as f32 }
}

struct Features {
    norm: String,
    terms: Vec<String>,
    units: f32,
}

fn penalty(f: &Features, kind: SummaryType, title_norm: Option<&str>) -> f32 {
    let mut p = 1.0f32;
    let u = f.units;
    p *= if u < 4.0 {
        0.3
    } else if u < 7.0 {
        0.7
    } else if u > 80.0 {
        0.4
    } else if u > 50.0 {
        0.7
    } else {
        1.0
    };
    if is_question(&f.norm) && kind != SummaryType::Teaser {
        p *= 0.6;
    }
    let junk = junk_ratio(&f.norm);
    if junk > 0.4 {
        p *= 0.4;
    } else if junk > 0.25 {
        p *= 0.75;
    }
    if DANGLING.contains(&first_word(&f.norm).as_str()) {
        p *= 0.55;
    }
    if f.norm.ends_with(':') || f.norm.ends_with('：') {
        p *= 0.6;
    } else if !has_terminator(&f.norm) {
        p *= 0.8;
    }
    if let Some(t) = title_norm
        && f.norm.eq_ignore_ascii_case(t)
    {
        p *= 0.3;
    }
    p
}

fn normalize_max(v: &mut [f32]) {
    let max = v.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        v.iter_mut().for_each(|x| *x /= max);
    }
}

/// Document term frequencies -> a cheap content score per sentence (linear time): sentences made of the page's
/// frequent content terms score high. Only `eligible` sentences contribute to the frequencies.
fn cheap_scores(terms: &[&[String]], eligible: &[usize]) -> Vec<f32> {
    let mut tf: HashMap<&str, u32> = HashMap::new();
    for &i in eligible {
        for t in terms[i] {
            *tf.entry(t.as_str()).or_insert(0) += 1;
        }
    }
    terms
        .iter()
        .map(|ts| {
            let uniq: HashSet<&str> = ts.iter().map(String::as_str).collect();
            let sum: f32 = uniq.iter().map(|t| (tf.get(t).copied().unwrap_or(1) as f32).ln()).sum();
            sum / (1.0 + uniq.len() as f32).sqrt()
        })
        .collect()
}

/// The indices (in page order) of at most `max` sentences worth ranking: all of them when there are few, else the
/// best by the cheap content score. The embedding tier embeds only these, so long pages cost bounded time.
pub fn select_candidates(sentences: &[&str], max: usize) -> Vec<usize> {
    if sentences.len() <= max {
        return (0..sentences.len()).collect();
    }
    let terms: Vec<Vec<String>> = sentences.iter().map(|s| content_terms(&normalize_ws(s))).collect();
    let refs: Vec<&[String]> = terms.iter().map(Vec::as_slice).collect();
    let all: Vec<usize> = (0..sentences.len()).collect();
    let cheap = cheap_scores(&refs, &all);
    let mut order = all;
    order.sort_by(|&a, &b| cheap[b].total_cmp(&cheap[a]).then(a.cmp(&b)));
    order.truncate(max);
    order.sort_unstable();
    order
}

/// What the ranking knows about the sentences before any similarity: features, a cheap content score and the
/// prior (position, title overlap, penalties for fragments, junk and dangling openings).
struct Prepared {
    feats: Vec<Features>,
    cheap: Vec<f32>,
    prior: Vec<f32>,
    eligible: Vec<usize>,
}

fn prepare(sentences: &[SourceSentence], n: usize, title: Option<&str>, kind: SummaryType) -> Option<Prepared> {
    let feats: Vec<Features> = sentences[..n]
        .iter()
        .map(|s| {
            let norm = normalize_ws(s.text);
            Features {
                terms: content_terms(&norm),
                units: word_units(&norm),
                norm,
            }
        })
        .collect();
    let eligible: Vec<usize> = (0..n)
        .filter(|&i| feats[i].norm.chars().any(char::is_alphanumeric))
        .collect();
    if eligible.is_empty() {
        return None;
    }

    let terms: Vec<&[String]> = feats.iter().map(|f| f.terms.as_slice()).collect();
    let cheap = cheap_scores(&terms, &eligible);

    let title_norm = title.map(normalize_ws).filter(|t| !t.is_empty());
    let title_terms: HashSet<String> = title_norm
        .as_deref()
        .map(|t| content_terms(t).into_iter().collect())
        .unwrap_or_default();

    let first_eligible = eligible[0];
    let last = n.saturating_sub(1).max(1) as f32;
    let prior: Vec<f32> = (0..n)
        .map(|i| {
            let rel = i as f32 / last;
            let block_lead = i == 0 || sentences[i].block != sentences[i - 1].block;
            let mut p = match kind {
                SummaryType::Teaser => {
                    let lead = i == first_eligible || i <= first_eligible + 1;
                    if lead { 0.6 } else { 1.0 }
                }
                _ => 1.0 + 0.2 * (1.0 - rel) * (1.0 - rel) + if block_lead { 0.05 } else { 0.0 },
            };
            let f = &feats[i];
            if !title_terms.is_empty() {
                let uniq: HashSet<&String> = f.terms.iter().collect();
                let overlap = uniq.iter().filter(|t| title_terms.contains(**t)).count();
                p *= 1.0 + 0.4 * overlap as f32 / title_terms.len() as f32;
            }
            if kind == SummaryType::Teaser {
                let lower = f.norm.to_lowercase();
                let specifics = f
                    .norm
                    .split_whitespace()
                    .skip(1)
                    .filter(|w| {
                        w.chars().any(|c| c.is_ascii_digit()) || w.chars().next().is_some_and(char::is_uppercase)
                    })
                    .count()
                    .min(3);
                p *= 1.0 + 0.1 * specifics as f32;
                if INTRIGUE_CUES.iter().any(|c| lower.contains(c)) {
                    p *= 1.15;
                }
            }
            p * penalty(f, kind, title_norm.as_deref())
        })
        .collect();
    Some(Prepared {
        feats,
        cheap,
        prior,
        eligible,
    })
}

impl Prepared {
    /// Eligible sentences, best first by cheap score × prior.
    fn best_first(&self) -> Vec<usize> {
        let mut cheap_norm = self.cheap.clone();
        normalize_max(&mut cheap_norm);
        let mut order = self.eligible.clone();
        order.sort_by(|&a, &b| {
            let sa = (0.3 + cheap_norm[a]) * self.prior[a];
            let sb = (0.3 + cheap_norm[b]) * self.prior[b];
            sb.total_cmp(&sa).then(a.cmp(&b))
        });
        order
    }

    /// The best `max` eligible sentences, in page order.
    fn shortlist(&self, max: usize) -> Vec<usize> {
        if self.eligible.len() <= max {
            return self.eligible.clone();
        }
        self.take_distinct(self.best_first(), max)
    }

    /// The first `max` of `order` (best first) that are not a copy of one taken before, in page order. A sentence
    /// the page repeats is one candidate: copies would fill a shortlist and then be dropped together as
    /// near-duplicates of the first one picked.
    fn take_distinct(&self, order: Vec<usize>, max: usize) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut order: Vec<usize> = order
            .into_iter()
            .filter(|&i| seen.insert(self.feats[i].norm.as_str()))
            .take(max)
            .collect();
        order.sort_unstable();
        order
    }

    /// The ranking score of each pool member: centrality under `sim` (TextRank over the pool, `sim`'s item `p` is
    /// pool member `p`) blended with the cheap score, times the prior.
    fn scores(&self, sim: &dyn Similarity, pool: &[usize]) -> Vec<f32> {
        let mut tr = textrank(sim, 0.85, 60);
        normalize_max(&mut tr);
        let mut pool_cheap: Vec<f32> = pool.iter().map(|&i| self.cheap[i]).collect();
        normalize_max(&mut pool_cheap);
        pool.iter()
            .enumerate()
            .map(|(p, &i)| {
                let rank = 0.7 * tr.get(p).copied().unwrap_or(0.0) + 0.3 * pool_cheap[p];
                (0.05 + rank) * self.prior[i]
            })
            .collect()
    }
}

/// Eligible sentences best first by a cheap linear score and the prior: the order in which shortlists take them.
pub fn best_first(sentences: &[SourceSentence], title: Option<&str>, opts: &SummaryOptions) -> Vec<usize> {
    prepare(sentences, sentences.len(), title, opts.kind)
        .map(|p| p.best_first())
        .unwrap_or_default()
}

/// The sentences (indices, in page order) worth comparing with each other: at most `max`, best first by a cheap
/// linear score and the prior. The embedding tier embeds only these, so its cost is bounded whatever the page.
pub fn shortlist(sentences: &[SourceSentence], title: Option<&str>, opts: &SummaryOptions, max: usize) -> Vec<usize> {
    prepare(sentences, sentences.len(), title, opts.kind)
        .map(|p| p.shortlist(max))
        .unwrap_or_default()
}

/// The sentences (indices, in page order) worth comparing with a better model: at most `max`, best first by the
/// summary's own score under a cheaper similarity `sim` (item `i` is sentence `i`), over the best [`MAX_RANKED`].
/// With a static embedding table as `sim`, a shortlist this way keeps more of the full ranking's picks than the
/// cheap linear score does at the same size (`cargo run --release --example t1_budget`).
pub fn shortlist_by(
    sentences: &[SourceSentence],
    sim: &dyn Similarity,
    title: Option<&str>,
    opts: &SummaryOptions,
    max: usize,
) -> Vec<usize> {
    let n = sentences.len().min(sim.len());
    let Some(prep) = prepare(sentences, n, title, opts.kind) else {
        return Vec::new();
    };
    if prep.eligible.len() <= max {
        return prep.eligible.clone();
    }
    let pool = prep.shortlist(MAX_RANKED);
    let scores = prep.scores(&SubsetSimilarity::new(sim, pool.clone()), &pool);
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    prep.take_distinct(order.into_iter().map(|p| pool[p]).collect(), max)
}

/// Summarize pre-split sentences ranked with `sim`, whose item `i` must be
/// sentence `i` (items beyond `sim.len()` are ignored).
pub fn summarize(
    sentences: &[SourceSentence],
    sim: &dyn Similarity,
    title: Option<&str>,
    opts: &SummaryOptions,
) -> Summary {
    summarize_in(sentences, sim, title, opts, None)
}

/// [`summarize`] choosing only among `pool` (sentence indices, e.g. a [`shortlist`]); `sim` need only be defined
/// between pool members. Without a pool, the best [`MAX_RANKED`] sentences are the pool.
pub fn summarize_in(
    sentences: &[SourceSentence],
    sim: &dyn Similarity,
    title: Option<&str>,
    opts: &SummaryOptions,
    pool: Option<&[usize]>,
) -> Summary {
    let n = sentences.len().min(sim.len());
    let kind = opts.kind;
    let empty = Summary {
        text: String::new(),
        sentences: Vec::new(),
        kind,
        length: opts.length,
        format: opts.format,
    };
    let Some(prep) = prepare(sentences, n, title, kind) else {
        return empty;
    };
    let pool: Vec<usize> = match pool {
        Some(p) => p
            .iter()
            .copied()
            .filter(|&i| i < n && prep.eligible.binary_search(&i).is_ok())
            .collect(),
        None => prep.shortlist(MAX_RANKED),
    };
    if pool.is_empty() {
        return empty;
    }
    let sub = SubsetSimilarity::new(sim, pool.clone());
    let scores = prep.scores(&sub, &pool);
    let Prepared { feats, .. } = prep;

    let mut picked: Vec<SummarySentence> = if kind == SummaryType::Headline {
        headline(&pool, &scores, &feats, sentences, opts.length)
            .into_iter()
            .collect()
    } else {
        let k = sentence_count(kind, opts.length);
        mmr_select(&scores, &sub, k, 0.7)
            .into_iter()
            .filter_map(|p| {
                let i = *pool.get(p)?;
                Some(SummarySentence {
                    text: feats[i].norm.clone(),
                    index: i,
                    block: sentences[i].block,
                    score: scores[p],
                })
            })
            .collect()
    };
    picked.sort_by_key(|s| s.index);
    Summary {
        text: format_summary(&picked, kind, opts.format),
        sentences: picked,
        ..empty
    }
}

/// Best-scoring sentence short enough for a headline; if the best short one
/// is much weaker than the overall best, the best is cut to a clause prefix.
fn headline(
    pool: &[usize],
    scores: &[f32],
    feats: &[Features],
    sentences: &[SourceSentence],
    length: SummaryLength,
) -> Option<SummarySentence> {
    let limit = headline_words(length) as f32;
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let &best = order.first()?;
    let short = order.iter().copied().find(|&p| {
        let f = &feats[pool[p]];
        f.units >= 3.0 && f.units <= limit && !is_question(&f.norm)
    });
    let best_text = &feats[pool[best]].norm;
    let (p, text) = match short {
        Some(p) if scores[p] >= 0.6 * scores[best] => (p, feats[pool[p]].norm.clone()),
        // Japanese and Chinese sentences put their predicate last: a prefix cut at 、 or ， is a topic or a date
        // ("トレンドマイクロは3月9日"), not a headline. A whole sentence somewhat over the length reads better, and
        // failing that, the best short one.
        _ if mostly_cjk(best_text) => {
            if word_units(best_text) <= 2.5 * limit {
                (best, best_text.clone())
            } else if let Some(p) = short {
                (p, feats[pool[p]].norm.clone())
            } else {
                (best, clause_prefix(best_text, limit))
            }
        }
        _ => (best, clause_prefix(best_text, limit)),
    };
    let i = pool[p];
    let text = text
        .trim_end_matches(['.', '。', '۔', '।', ',', ';', ':', '，', '、', '；', '：'])
        .trim_end()
        .to_string();
    if text.is_empty() {
        return None;
    }
    Some(SummarySentence {
        text,
        index: i,
        block: sentences[i].block,
        score: scores[p],
    })
}

/// More than half of the letters are Han or kana.
fn mostly_cjk(s: &str) -> bool {
    let (cjk, letters) = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .fold((0, 0), |(c, l), ch| (c + usize::from(is_cjk(ch)), l + 1));
    cjk * 2 > letters
}

/// The longest prefix of `s` ending at a clause boundary that fits in `limit`
/// word units (at least 4 units when possible); otherwise a hard cut.
fn clause_prefix(s: &str, limit: f32) -> String {
    if word_units(s) <= limit {
        return s.to_string();
    }
    let mut best: Option<usize> = None;
    for (i, c) in s.char_indices() {
        let boundary = match c {
            ',' | ';' | ':' | '，' | '、' | '；' | '：' | '(' | '（' => Some(i),
            '—' | '–' => Some(i),
            '-' if s[..i].ends_with(' ') => Some(i),
            _ => None,
        };
        if let Some(end) = boundary {
            let prefix = s[..end].trim_end();
            let u = word_units(prefix);
            if u > limit {
                break;
            }
            if u >= 4.0 {
                best = Some(prefix.len());
            }
        }
    }
    if let Some(end) = best {
        return s[..end].to_string();
    }
    // Hard cut: whole words (or characters for unspaced scripts).
    let mut out_end = 0;
    for (start, tok) in token_spans(s) {
        let candidate = start + tok.len();
        if word_units(&s[..candidate]) > limit {
            break;
        }
        out_end = candidate;
    }
    // Do not end on a function word ("... approve construction of").
    while out_end > 0 {
        let prefix = s[..out_end].trim_end();
        let (head, last) = match prefix.rfind(' ') {
            Some(sp) => (sp, &prefix[sp + 1..]),
            None => break,
        };
        if is_stopword(last.trim_matches(|c: char| !c.is_alphanumeric())) {
            out_end = head;
        } else {
            break;
        }
    }
    if out_end == 0 {
        let max_chars = (limit * 1.5) as usize;
        return s.chars().take(max_chars.max(1)).collect();
    }
    s[..out_end].to_string()
}

fn token_spans(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(' ').scan(0usize, |pos, tok| {
        let start = *pos;
        *pos += tok.len() + 1;
        Some((start, tok))
    })
}

fn ends_cjk(s: &str) -> bool {
    s.chars()
        .last()
        .is_some_and(|c| is_cjk(c) || matches!(c, '。' | '！' | '？' | '」' | '』'))
}

fn format_summary(picked: &[SummarySentence], kind: SummaryType, format: SummaryFormat) -> String {
    match kind {
        SummaryType::KeyPoints => {
            let bullet = match format {
                SummaryFormat::Markdown => "- ",
                SummaryFormat::Plain => "• ",
            };
            picked
                .iter()
                .map(|s| format!("{bullet}{}", s.text))
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => {
            let mut out = String::new();
            for s in picked {
                if !out.is_empty() && !ends_cjk(&out) {
                    out.push(' ');
                }
                out.push_str(&s.text);
            }
            out
        }
    }
}

/// Convenience: split `text` into blank-line blocks and sentences, rank with
/// [`LexicalSimilarity`], and summarize.
pub fn summarize_text(text: &str, title: Option<&str>, opts: &SummaryOptions) -> Summary {
    let blocks = paragraph_ranges(text);
    let sents = split_sentences(text);
    let sources: Vec<SourceSentence> = sents
        .iter()
        .map(|s| {
            let b = blocks.partition_point(|&(start, _)| start <= s.start);
            SourceSentence {
                text: &s.text,
                block: b.checked_sub(1),
            }
        })
        .collect();
    let texts: Vec<&str> = sents.iter().map(|s| s.text.as_str()).collect();
    let sim = LexicalSimilarity::new(&texts);
    summarize(&sources, &sim, title, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_that_repeats_its_lines_still_gets_distinct_candidates() {
        // Found by tests/e2e/odd_pages.test.mjs: copies of a few lines filled the T1 shortlist, and the ranking then
        // dropped them all as near-duplicates of its first pick (one sentence where three were asked).
        let lines: Vec<String> = (0..12)
            .map(|i| {
                format!(
                    "Line number {i} of the repeated notice talks about topic {} in detail.",
                    i * 7
                )
            })
            .collect();
        let texts: Vec<&str> = (0..600).map(|k| lines[k % lines.len()].as_str()).collect();
        let sentences: Vec<SourceSentence> = texts.iter().map(|t| SourceSentence { text: t, block: None }).collect();
        let picked = shortlist(&sentences, None, &SummaryOptions::default(), 8);
        let distinct: HashSet<&str> = picked.iter().map(|&i| sentences[i].text).collect();
        assert_eq!(picked.len(), 8);
        assert_eq!(distinct.len(), 8, "{picked:?}");
    }

    #[test]
    fn serde_names() {
        let o: SummaryOptions = serde_json_like(r#"{"type":"key-points","length":"long","format":"plain-text"}"#);
        assert_eq!(o.kind, SummaryType::KeyPoints);
        assert_eq!(o.length, SummaryLength::Long);
        assert_eq!(o.format, SummaryFormat::Plain);
    }

    // Minimal JSON parsing without a dev-dependency: map the three string fields.
    fn serde_json_like(s: &str) -> SummaryOptions {
        use serde::de::value::{Error, MapDeserializer};
        let pairs: Vec<(String, String)> = s
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .filter_map(|kv| {
                let (k, v) = kv.split_once(':')?;
                Some((k.trim().trim_matches('"').into(), v.trim().trim_matches('"').into()))
            })
            .collect();
        let de = MapDeserializer::<_, Error>::new(pairs.into_iter());
        SummaryOptions::deserialize(de).unwrap_or_default()
    }

    #[test]
    fn a_japanese_headline_is_a_whole_sentence_not_a_topic_cut_at_its_comma() {
        // Found by `cargo xtask demo` on a Japanese news article: the headline was "トレンドマイクロは3月9日".
        let texts = [
            "トレンドマイクロは3月9日、公衆無線LANを利用する際の注意点をまとめた調査結果を発表した。",
            "調査は全国の公衆無線LANの利用者千人を対象にインターネットで行われ、回答は三月に集計された。",
            "公衆無線LANは便利だが、通信が暗号化されていない場合もあり、利用には注意点がある。",
        ];
        let sents: Vec<SourceSentence> = texts
            .iter()
            .map(|t| SourceSentence {
                text: t,
                block: Some(0),
            })
            .collect();
        let opts = SummaryOptions {
            kind: SummaryType::Headline,
            length: SummaryLength::Short,
            format: SummaryFormat::Plain,
        };
        let lex = crate::core::text::LexicalSimilarity::new(&texts);
        let s = summarize_in(&sents, &lex, Some("公衆無線LANの注意点"), &opts, None);
        let h = &s.sentences[0].text;
        assert!(
            texts.iter().any(|t| t.trim_end_matches('。') == h),
            "a whole sentence: {h}"
        );
        assert_ne!(h, "トレンドマイクロは3月9日");
    }

    #[test]
    fn clause_prefix_cuts() {
        let s = "The city council approved the new bridge on Tuesday, ending a decade of debate over cost, design and the route it would take";
        let h = clause_prefix(s, 12.0);
        assert_eq!(h, "The city council approved the new bridge on Tuesday");
        let long = "one two three four five six seven eight nine ten eleven twelve thirteen";
        assert_eq!(clause_prefix(long, 5.0), "one two three four five");
        assert!(s.starts_with(&clause_prefix(s, 3.0)));
    }

    #[test]
    fn a_shortlist_pool_bounds_the_choice() {
        let texts: Vec<String> = (0..30)
            .map(|i| format!("The harbour project number {i} adds berths, cranes and jobs for the port city."))
            .collect();
        let sents: Vec<SourceSentence> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| SourceSentence {
                text: t,
                block: Some(i / 3),
            })
            .collect();
        let opts = SummaryOptions::default();
        let order = best_first(&sents, Some("Harbour"), &opts);
        assert_eq!(order.len(), 30);
        let sl = shortlist(&sents, Some("Harbour"), &opts, 8);
        assert_eq!(sl.len(), 8);
        assert!(sl.windows(2).all(|w| w[0] < w[1]), "page order");
        let mut top: Vec<usize> = order[..8].to_vec();
        top.sort_unstable();
        assert_eq!(sl, top, "a shortlist is the head of best_first");
        // Similarity known only between shortlist members, as when only they were embedded.
        let lex = crate::core::text::LexicalSimilarity::new(&sl.iter().map(|&i| texts[i].as_str()).collect::<Vec<_>>());
        let sim = crate::core::text::ScatteredSimilarity::new(lex, &sl, sents.len());
        let s = summarize_in(&sents, &sim, Some("Harbour"), &opts, Some(&sl));
        assert!(!s.sentences.is_empty());
        assert!(s.sentences.iter().all(|x| sl.contains(&x.index)), "{:?}", s.sentences);
    }

    #[test]
    fn a_shortlist_by_similarity_takes_the_central_sentences() {
        // Sentences 0..20 are alike by wording; a similarity says 3 of them (10, 11, 12) are what the page is about.
        let texts: Vec<String> = (0..20)
            .map(|i| format!("The harbour project number {i} adds berths, cranes and jobs for the port city."))
            .collect();
        let sents: Vec<SourceSentence> = texts.iter().map(|t| SourceSentence { text: t, block: None }).collect();
        let central = [10, 11, 12];
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                (0..20)
                    .map(|j| match (central.contains(&i), central.contains(&j)) {
                        _ if i == j => 1.0,
                        (true, true) => 0.9,
                        (true, false) | (false, true) => 0.3,
                        (false, false) => 0.05,
                    })
                    .collect()
            })
            .collect();
        let sim = crate::core::text::MatrixSimilarity::from_matrix(&rows);
        let opts = SummaryOptions::default();
        let sl = shortlist_by(&sents, &sim, None, &opts, 3);
        assert_eq!(sl, central.to_vec());
        assert_eq!(
            shortlist_by(&sents, &sim, None, &opts, 50).len(),
            20,
            "a page shorter than the budget is whole"
        );
    }

    #[test]
    fn empty_input() {
        let s = summarize_text("", None, &SummaryOptions::default());
        assert!(s.text.is_empty() && s.sentences.is_empty());
    }
}
