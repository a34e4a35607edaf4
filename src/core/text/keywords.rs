//! Keyphrase extraction (RAKE/YAKE-style, 1–3 words).
//!
//! Candidates are n-grams inside runs of content words (runs are cut at
//! punctuation, stopwords and numbers). Words score by log frequency, early
//! first occurrence and mid-sentence capitalization; phrases by the mean of
//! their words' scores times a cohesion factor. Results are deduplicated by
//! stem and shown in the most frequent original surface form.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::attested::PageStems;
use super::function_words::LangWords;
use super::korean;
use super::prefixes;
use super::summary::normalize_ws;
use super::tokens::{Piece, is_cjk, is_stopword, normalize_word, pieces, stem};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    pub term: String,
    /// Relative salience in `(0, 1]`; the top keyword scores 1.
    pub score: f32,
}

const MAX_NGRAM: usize = 3;

/// Chinese particles that never sit inside a useful keyphrase bigram.
const ZH_PARTICLES: &str = "的了吗呢吧啊着是在和与及或也都就很又还被把这那";

fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x309F)
}

fn is_katakana(c: char) -> bool {
    matches!(c as u32, 0x30A0..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

fn is_kana(c: char) -> bool {
    is_hiragana(c) || is_katakana(c)
}

/// A Han run as terms: whole when it is short enough to be one word or compound (≤ 4 characters), else its
/// character bigrams (Chinese has no word boundaries, and bigrams are how its words are usually matched).
/// Byte spans in the page's text; `start` is the run's offset.
fn han_terms(run: &str, start: usize) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    if chars.len() <= 4 {
        return vec![(start, start + run.len())];
    }
    chars
        .windows(2)
        .map(|w| {
            let s = start + w[0].0;
            (s, s + w[0].1.len_utf8() + w[1].1.len_utf8())
        })
        .collect()
}

/// A Japanese run as terms, split where the script changes: katakana words whole ("トレンドマイクロ", "フリー"),
/// kanji compounds as Han runs ("利用者", "通信"), hiragana (particles, verb endings) left out. Bigrams across a
/// script change are never words ("リー" of "フリー", "用者" of "利用者" were keywords before).
fn japanese_terms(run: &str, start: usize) -> Vec<(usize, usize)> {
    #[derive(PartialEq, Clone, Copy)]
    enum Script {
        Hiragana,
        Katakana,
        Han,
    }
    let script = |c: char| {
        if is_hiragana(c) {
            Script::Hiragana
        } else if is_katakana(c) {
            Script::Katakana
        } else {
            Script::Han
        }
    };
    let mut out = Vec::new();
    let mut seg: Option<(usize, Script)> = None;
    let close = |from: usize, to: usize, kind: Script, out: &mut Vec<(usize, usize)>| match kind {
        Script::Hiragana => {}
        Script::Katakana => out.push((start + from, start + to)),
        Script::Han => out.extend(han_terms(&run[from..to], start + from)),
    };
    for (i, c) in run.char_indices() {
        let kind = script(c);
        match seg {
            Some((_, k)) if k == kind => {}
            Some((from, k)) => {
                close(from, i, k, &mut out);
                seg = Some((i, kind));
            }
            None => seg = Some((i, kind)),
        }
    }
    if let Some((from, k)) = seg {
        close(from, run.len(), k, &mut out);
    }
    out
}

/// Characters a Han word is never grown by ([`whole_han_word`]): particles, and the position words that follow
/// nouns ("太空中": in space).
const HAN_NO_GROWTH: &str = "的了吗呢吧啊着是在和与及或也都就很又还被把这那中上下里内外等们";
/// A longer string replaces the bigram it contains when it occurs at least this share as often (nearly every
/// 宇航 of the page is in 宇航员).
const HAN_GROWTH_SHARE: f32 = 0.75;
/// The longest word a bigram grows into.
const HAN_MAX_WORD: usize = 6;

/// A Han bigram of a long run (which Chinese writes without spaces) grown, one character at a time, into the word it
/// belongs to on this page: the commonest string one character longer on either side, while it occurs at least
/// [`HAN_GROWTH_SHARE`] as often as the bigram ("宇航" and "航员" both become "宇航员").
fn whole_han_word(text: &str, bigram: &str) -> String {
    let base = text.matches(bigram).count();
    let mut word = bigram.to_string();
    if base < 2 {
        return word;
    }
    let grows = |c: char| is_cjk(c) && !is_kana(c) && !HAN_NO_GROWTH.contains(c);
    while word.chars().count() < HAN_MAX_WORD {
        let mut longer: HashMap<String, usize> = HashMap::new();
        for (at, _) in text.match_indices(word.as_str()) {
            if let Some(c) = text[..at].chars().next_back().filter(|&c| grows(c)) {
                *longer.entry(format!("{c}{word}")).or_default() += 1;
            }
            if let Some(c) = text[at + word.len()..].chars().next().filter(|&c| grows(c)) {
                *longer.entry(format!("{word}{c}")).or_default() += 1;
            }
        }
        let best = longer.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((w, n)) if n as f32 >= HAN_GROWTH_SHARE * base as f32 => word = w,
            _ => break,
        }
    }
    word
}

/// Frequent English words that are rarely useful keyphrases on their own.
const GENERIC: &[&str] = &[
    "need",
    "needs",
    "use",
    "used",
    "uses",
    "using",
    "make",
    "makes",
    "made",
    "know",
    "known",
    "mean",
    "means",
    "go",
    "goes",
    "going",
    "went",
    "want",
    "wants",
    "take",
    "took",
    "come",
    "came",
    "see",
    "seen",
    "look",
    "think",
    "thing",
    "things",
    "lot",
    "way",
    "ways",
    "new",
    "good",
    "great",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "first",
    "second",
    "last",
    "next",
    "year",
    "years",
    "month",
    "months",
    "day",
    "days",
    "week",
    "weeks",
    "time",
    "times",
    "according",
    "including",
    "told",
    "called",
    "part",
    "something",
    "anything",
    "everything",
    "nothing",
    "someone",
    "people",
    "today",
    "since",
];

/// Words of photo and agency credits ("Getty Images", "Reuters/AFP", "iStock"): a credit line names who took a
/// picture, never what the page is about.
const CREDITS: &[&str] = &[
    "image",
    "images",
    "photo",
    "photos",
    "getty",
    "reuters",
    "afp",
    "shutterstock",
    "istock",
    "istockphoto",
    "alamy",
    "moodboard",
    "copyright",
];

struct Tok {
    start: usize,
    end: usize,
    stem: String,
    /// Content word (not a stopword, number or one-letter Latin token).
    content: bool,
    capitalized_mid_sentence: bool,
    cjk: bool,
}

#[derive(Default)]
struct WordStat {
    freq: u32,
    caps: u32,
    first: usize,
}

struct Cand {
    stems: Vec<String>,
    count: u32,
    first: usize,
    /// Surface forms with counts, in order of first appearance.
    surfaces: Vec<(String, u32)>,
}

fn sentence_initial(text: &str, start: usize) -> bool {
    let before = text.get(..start).unwrap_or("").trim_end_matches([' ', '\t']);
    match before.chars().last() {
        None => true,
        Some(c) => {
            matches!(c, '.' | '!' | '?' | '\n' | '…' | ':' | '"' | '“' | '(' | '-' | '•')
        }
    }
}

/// What is left of a Korean word after each particle, or of an Arabic or Hebrew word after each prefix.
fn affix_strips(word: &str) -> Vec<&str> {
    if korean::is_hangul_word(word) {
        korean::strips(word)
    } else {
        prefixes::strips(word)
    }
}

fn tokenize(text: &str, lang: Option<&str>) -> Vec<Option<Tok>> {
    let never = LangWords::of(lang);
    let pieces = pieces(text);
    // The page's Korean, Arabic and Hebrew words, which attest a word's stem without what is written onto it
    // (korean::stem_on_page, prefixes::stem_on_page).
    let attesting = PageStems::new(
        pieces.iter().filter_map(|p| match p {
            Piece::Word { start, end } => text
                .get(*start..*end)
                .filter(|w| korean::is_hangul_word(w) || prefixes::is_prefixing_word(w)),
            _ => None,
        }),
        affix_strips,
    );
    // `None` marks a phrase break.
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Break => out.push(None),
            Piece::Word { start, end } => {
                let Some(raw) = text.get(start..end) else {
                    continue;
                };
                if korean::is_hangul_word(raw) {
                    // A Korean noun is counted and shown without its particle; verb forms are never keywords.
                    let noun = korean::stem_on_page(raw, &attesting);
                    out.push(Some(Tok {
                        start,
                        end: start + noun.len(),
                        stem: noun.to_string(),
                        content: !korean::is_predicate(raw) && !is_stopword(noun),
                        capitalized_mid_sentence: false,
                        cjk: false,
                    }));
                    continue;
                }
                let norm = normalize_word(raw);
                // A possessive is shown without its 's ("Tunisia", not "Tunisia’s"), as it is counted.
                let end = ["'s", "’s"]
                    .iter()
                    .find(|suffix| raw.len() > suffix.len() && raw.ends_with(*suffix))
                    .map_or(end, |suffix| end - suffix.len());
                let letters = norm.chars().filter(|c| c.is_alphabetic()).count();
                let content = letters >= 2
                    && !is_stopword(&norm)
                    && !GENERIC.contains(&norm.as_str())
                    && !CREDITS.contains(&norm.as_str())
                    && !never.contains(&norm);
                let capitalized_mid_sentence =
                    raw.chars().next().is_some_and(char::is_uppercase) && !sentence_initial(text, start);
                // An Arabic or Hebrew word is counted without its prefixes (and shown as the page writes it most).
                let counted = if prefixes::is_prefixing_word(raw) {
                    prefixes::stem_on_page(raw, &attesting).to_string()
                } else {
                    stem(&norm)
                };
                out.push(Some(Tok {
                    start,
                    end,
                    stem: counted,
                    content,
                    capitalized_mid_sentence,
                    cjk: false,
                }));
            }
            Piece::Cjk { start, end } => {
                let Some(run) = text.get(start..end) else {
                    continue;
                };
                // Each term is its own candidate; breaks keep them apart.
                let spans = if run.chars().any(is_kana) {
                    japanese_terms(run, start)
                } else {
                    han_terms(run, start)
                };
                for (s, e) in spans {
                    let Some(bigram) = text.get(s..e) else {
                        continue;
                    };
                    out.push(None);
                    out.push(Some(Tok {
                        start: s,
                        end: e,
                        stem: bigram.to_string(),
                        content: !is_stopword(bigram)
                            && bigram.chars().all(is_cjk)
                            && !bigram.chars().any(|c| ZH_PARTICLES.contains(c) || is_hiragana(c)),
                        capitalized_mid_sentence: false,
                        cjk: true,
                    }));
                }
                out.push(None);
            }
        }
    }
    out
}

/// Top `k` keyphrases of `text`, best first, its language unknown.
pub fn keywords(text: &str, k: usize) -> Vec<Keyword> {
    keywords_for(text, None, k)
}

/// Top `k` keyphrases of `text` in the language `lang` (a BCP 47 tag), best first: that language's function and
/// calendar words are never keywords ([`LangWords`]).
pub fn keywords_for(text: &str, lang: Option<&str>, k: usize) -> Vec<Keyword> {
    if k == 0 {
        return Vec::new();
    }
    let toks = tokenize(text, lang);
    let total_words = toks.iter().flatten().count().max(1);

    let mut stats: HashMap<&str, WordStat> = HashMap::new();
    for (pos, t) in toks.iter().enumerate() {
        let Some(t) = t else { continue };
        if !t.content {
            continue;
        }
        let st = stats.entry(t.stem.as_str()).or_insert(WordStat {
            first: pos,
            ..WordStat::default()
        });
        st.freq += 1;
        if t.capitalized_mid_sentence {
            st.caps += 1;
        }
    }
    let word_score = |s: &str| -> f32 {
        let Some(st) = stats.get(s) else { return 0.0 };
        let freq = st.freq as f32;
        let cap_ratio = st.caps as f32 / freq;
        let early = 1.0 - (st.first as f32 / toks.len().max(1) as f32);
        let short = if s.chars().count() <= 2 && !s.chars().any(is_cjk) {
            0.5
        } else {
            1.0
        };
        (1.0 + freq).ln() * (1.0 + 0.5 * cap_ratio) * (1.0 + 0.3 * early) * short
    };

    // Collect n-gram candidates within runs of content tokens.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut cands: Vec<Cand> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let flush = |run: &mut Vec<usize>, index: &mut HashMap<String, usize>, cands: &mut Vec<Cand>| {
        for i in 0..run.len() {
            for n in 1..=MAX_NGRAM.min(run.len() - i) {
                let ids = &run[i..i + n];
                let parts: Vec<&Tok> = ids.iter().filter_map(|&p| toks[p].as_ref()).collect();
                if parts.len() != n || (n > 1 && parts.iter().any(|t| t.cjk)) {
                    continue;
                }
                let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
                    continue;
                };
                let surface = normalize_ws(text.get(first.start..last.end).unwrap_or(""));
                let stems: Vec<String> = parts.iter().map(|t| t.stem.clone()).collect();
                let key = stems.join(" ");
                let ci = *index.entry(key).or_insert_with(|| {
                    cands.push(Cand {
                        stems,
                        count: 0,
                        first: ids[0],
                        surfaces: Vec::new(),
                    });
                    cands.len() - 1
                });
                let c = &mut cands[ci];
                c.count += 1;
                match c.surfaces.iter_mut().find(|(s, _)| *s == surface) {
                    Some((_, n)) => *n += 1,
                    None => c.surfaces.push((surface, 1)),
                }
            }
        }
        run.clear();
    };
    for (pos, t) in toks.iter().enumerate() {
        match t {
            Some(t) if t.content => run.push(pos),
            _ => flush(&mut run, &mut index, &mut cands),
        }
    }
    flush(&mut run, &mut index, &mut cands);

    let min_phrase_count = if total_words > 60 { 2 } else { 1 };
    let mut scored: Vec<(f32, usize)> = cands
        .iter()
        .enumerate()
        .filter(|(_, c)| c.stems.len() == 1 || c.count >= min_phrase_count)
        .map(|(ci, c)| {
            let n = c.stems.len() as f32;
            let mean = c.stems.iter().map(|s| word_score(s)).sum::<f32>() / n;
            let cohesion = if c.stems.len() == 1 {
                1.0
            } else {
                let prod: f32 = c
                    .stems
                    .iter()
                    .map(|s| {
                        let f = stats.get(s.as_str()).map_or(1, |st| st.freq).max(1);
                        (c.count as f32 / f as f32).min(1.0)
                    })
                    .product();
                prod.powf(1.0 / n)
            };
            let boost = if c.count >= 2 { 0.4 * (n - 1.0) } else { 0.0 };
            (mean * cohesion * (1.0 + boost), ci)
        })
        .filter(|(s, _)| *s > 0.0 && s.is_finite())
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(cands[a.1].first.cmp(&cands[b.1].first))
            .then(cands[a.1].stems.len().cmp(&cands[b.1].stems.len()))
    });

    // The shown form: the commonest surface; a Han bigram grown into its word.
    let shown = |ci: usize| -> Option<String> {
        let c = &cands[ci];
        let mut best: Option<&(String, u32)> = None;
        for s in &c.surfaces {
            if best.is_none_or(|b| s.1 > b.1) {
                best = Some(s);
            }
        }
        let term = best?.0.clone();
        let han_bigram = term.chars().count() == 2 && term.chars().all(|c| is_cjk(c) && !is_kana(c));
        Some(if han_bigram { whole_han_word(text, &term) } else { term })
    };
    let mut chosen: Vec<(f32, usize, String)> = Vec::new();
    for (score, ci) in scored {
        if chosen.len() >= k {
            break;
        }
        let Some(term) = shown(ci) else { continue };
        let stems = &cands[ci].stems;
        let overlaps = chosen.iter().any(|(_, cj, other_term)| {
            let other = &cands[*cj].stems;
            let cjk_inside =
                term.chars().any(is_cjk) && (other_term.contains(&term) || term.contains(other_term.as_str()));
            contains_seq(other, stems) || contains_seq(stems, other) || cjk_inside
        });
        // A phrase that is nearly always one word short of a longer one reaching into a chosen keyword is a piece of
        // it ("CEO Mark" of "CEO Mark Zuckerberg" once "Zuckerberg" is chosen).
        let cut = stems.len() > 1
            && cands.iter().any(|d| {
                d.stems.len() == stems.len() + 1
                    && 4 * d.count >= 3 * cands[ci].count
                    && (d.stems.starts_with(stems) || d.stems.ends_with(stems))
                    && chosen
                        .iter()
                        .any(|(_, cj, _)| contains_seq(&d.stems, &cands[*cj].stems))
            });
        if !overlaps && !cut {
            chosen.push((score, ci, term));
        }
    }
    let top = chosen.first().map_or(1.0, |c| c.0).max(f32::MIN_POSITIVE);
    chosen
        .into_iter()
        .map(|(score, _, term)| Keyword {
            term,
            score: score / top,
        })
        .collect()
}

fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_zero() {
        assert!(keywords("", 5).is_empty());
        assert!(keywords("the and of", 5).is_empty());
        assert!(keywords("bridge", 0).is_empty());
    }

    #[test]
    fn possessives_are_shown_without_their_s() {
        let text = "Tunisia’s museum was attacked. Officials in Tunisia said Tunisia's tourism will suffer. \
                    Tunisia’s president spoke.";
        let kw: Vec<String> = keywords(text, 5).into_iter().map(|k| k.term).collect();
        assert!(kw.iter().any(|k| k == "Tunisia"), "{kw:?}");
        assert!(kw.iter().all(|k| !k.ends_with("’s") && !k.ends_with("'s")), "{kw:?}");
    }

    #[test]
    fn dedup_by_stem_and_surface() {
        let kw = keywords("Bridges matter. The bridge is old. A bridge fell.", 3);
        assert_eq!(kw[0].term, "bridge");
        assert_eq!(kw.iter().filter(|k| k.term.contains("ridge")).count(), 1);
        assert!((kw[0].score - 1.0).abs() < 1e-6);
    }

    #[test]
    fn cjk_keywords() {
        let kw = keywords("东京是日本的首都。东京有很多人。", 3);
        assert_eq!(kw[0].term, "东京");
    }

    #[test]
    fn chinese_keywords_are_whole_words() {
        // gmw's keywords were "宇航" and "航员", halves of 宇航员 (bigrams of runs Chinese writes without spaces).
        let text = "国际空间站上的宇航员不允许喝酒。宇航员在太空中工作很辛苦。\
                    美国宇航局表示，宇航员飞行前十二小时禁止饮酒。一名宇航员曾在月球上喝过酒。\
                    空间站的水回收系统会受到酒精的影响，所以宇航员只能喝水和果汁。";
        let terms: Vec<String> = keywords(text, 5).into_iter().map(|k| k.term).collect();
        assert!(terms.iter().any(|t| t == "宇航员"), "{terms:?}");
        for fragment in ["宇航", "航员", "太空中"] {
            assert!(!terms.iter().any(|t| t == fragment), "fragment {fragment} in {terms:?}");
        }
    }

    #[test]
    fn japanese_keywords_are_whole_words() {
        // Found by `cargo xtask demo` on a Japanese article: "フリ, リー, Wi-Fi, 利用, 通信, 用者".
        let text = "トレンドマイクロは3月9日、フリーWi-Fiの利用者に注意を呼びかけた。\
                    フリーWi-Fiは便利だが、通信が暗号化されていない場合がある。\
                    利用者は通信の内容を盗み見られるおそれがある。トレンドマイクロはフリーWi-Fiの危険を説明した。";
        let terms: Vec<String> = keywords(text, 6).into_iter().map(|k| k.term).collect();
        for fragment in ["フリ", "リー", "用者", "レンド"] {
            assert!(!terms.iter().any(|t| t == fragment), "fragment {fragment} in {terms:?}");
        }
        for word in ["フリー", "利用者", "通信", "トレンドマイクロ"] {
            assert!(terms.iter().any(|t| t == word), "{word} missing from {terms:?}");
        }
    }
}
