//! Sentence segmentation.
//!
//! Rule-based and script-aware: blank lines always end a sentence; Latin-style
//! terminators (`.`, `!`, `?`, `…`) need following whitespace and are checked
//! against abbreviations, initials and list enumerators; CJK full stops split
//! even without a following space; Arabic, Urdu and Devanagari terminators are
//! recognised. Offsets are byte offsets into the original input and
//! `text == input[start..end]` always holds.

use serde::{Deserialize, Serialize};

use super::function_words::is_calendar_word;
use super::tokens::is_stopword;

/// One sentence of the input, trimmed, with byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Split `text` into sentences. Never panics; empty input gives an empty vec.
pub fn split_sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (start, end) in paragraph_ranges(text) {
        split_block(text, start, end, &mut out);
    }
    out
}

/// Byte ranges of the blank-line separated blocks of `text`, trimmed and
/// non-empty. A line holding only whitespace, or U+2029, ends a block.
pub fn paragraph_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut block: Option<(usize, usize)> = None;
    let mut line_has_content = false;
    for (i, c) in text.char_indices() {
        if c == '\n' || c == '\u{2029}' {
            if (!line_has_content || c == '\u{2029}')
                && let Some(b) = block.take()
            {
                ranges.push(b);
            }
            line_has_content = false;
        } else if !c.is_whitespace() {
            line_has_content = true;
            let end = i + c.len_utf8();
            block = Some(match block {
                Some((s, _)) => (s, end),
                None => (i, end),
            });
        }
    }
    if let Some(b) = block {
        ranges.push(b);
    }
    ranges
}

/// Terminators that end a sentence even without following whitespace.
fn is_strong_terminator(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '｡' | '︒' | '।' | '॥' | '۔' | '؟' | '։' | '።' | '჻'
    )
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉') || is_strong_terminator(c)
}

/// Closing quotes/brackets that stay attached to the sentence they end.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | '»'
            | '›'
            | ')'
            | ']'
            | '}'
            | '」'
            | '』'
            | '）'
            | '］'
            | '】'
            | '〕'
            | '〉'
            | '》'
            | '〗'
            | '＂'
            | '＇'
    )
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '«' | '‹' | '(' | '[' | '{' | '「' | '『' | '（' | '【' | '„'
    )
}

/// Abbreviations after which a period never ends a sentence.
const ALWAYS_ABBR: &[&str] = &[
    "mr", "mrs", "ms", "mx", "dr", "prof", "rev", "hon", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "gov",
    "sen", "rep", "pres", "supt", "st", "mt", "ft", "vs", "v", "e.g", "i.e", "cf", "viz", "approx", "z.b", "d.h",
    "u.a", "bzw", "vgl", "ca", "resp", "dept", "univ", "messrs", "mme", "mlle", "sr", "sra", "srta", "hr", "fr", "т.е",
    "т.к", "им",
];

/// Abbreviations that never end a sentence when a number follows.
const NUMBER_ABBR: &[&str] = &[
    "no", "nos", "nr", "vol", "vols", "p", "pp", "ch", "chap", "sec", "art", "fig", "figs", "eq", "eqs", "op", "par",
    "tab", "no", "nº", "abs", "s", "стр", "рис", "г", "гг",
];

/// Abbreviations that may end a sentence: split only when the next word is a
/// typical sentence opener ("The", "It", ...).
const AMBIGUOUS_ABBR: &[&str] = &[
    "etc", "inc", "ltd", "co", "corp", "llc", "plc", "jr", "bros", "al", "ave", "blvd", "rd", "est", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "thu", "thur",
    "thurs", "fri", "usw", "etc", "dtd", "min", "max",
];

/// Stopwords that rarely open a sentence (verbs continuing a subject).
const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does", "did", "can", "could",
    "will", "would", "should", "shall", "may", "might", "must", "says", "said", "say", "get", "got",
];

fn split_block(text: &str, block_start: usize, block_end: usize, out: &mut Vec<Sentence>) {
    let Some(block) = text.get(block_start..block_end) else {
        return;
    };
    let chars: Vec<(usize, char)> = block.char_indices().map(|(i, c)| (i + block_start, c)).collect();
    let n = chars.len();
    let mut sent_start = block_start;
    let mut line_start = block_start;
    let mut i = 0;
    while i < n {
        let (pos, c) = chars[i];
        if c == '\n' {
            if newline_is_boundary(text, sent_start, line_start, pos, &chars, i) {
                push_sentence(text, sent_start, pos, out);
                sent_start = pos + 1;
            }
            line_start = pos + 1;
            i += 1;
            continue;
        }
        if is_terminator(c) {
            let mut j = i;
            while j < n && is_terminator(chars[j].1) {
                j += 1;
            }
            let run_end = j;
            while j < n && is_closer(chars[j].1) {
                j += 1;
            }
            j = skip_citations(&chars, j);
            let end = if j < n { chars[j].0 } else { block_end };
            if should_split(text, sent_start, &chars, i, run_end, j) {
                push_sentence(text, sent_start, end, out);
                sent_start = end;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    push_sentence(text, sent_start, block_end, out);
}

/// Citation markers such as "[4]" or " [a][12]" right after a terminator
/// belong to the sentence they follow; returns the index after them.
fn skip_citations(chars: &[(usize, char)], j: usize) -> usize {
    let mut end = j;
    let mut k = j;
    loop {
        while k < chars.len() && matches!(chars[k].1, ' ' | '\t') {
            k += 1;
        }
        if chars.get(k).map(|c| c.1) != Some('[') {
            return end;
        }
        let inner = chars[k + 1..].iter().take_while(|c| c.1.is_alphanumeric()).count();
        if !(1..=4).contains(&inner) || chars.get(k + 1 + inner).map(|c| c.1) != Some(']') {
            return end;
        }
        k += inner + 2;
        end = k;
    }
}

/// Decide whether the terminator run `chars[i..run_end]` (closers up to `j`)
/// ends a sentence.
fn should_split(text: &str, sent_start: usize, chars: &[(usize, char)], i: usize, run_end: usize, j: usize) -> bool {
    let run = &chars[i..run_end];
    if run.iter().any(|&(_, c)| is_strong_terminator(c)) {
        return true;
    }
    let n = chars.len();
    if j >= n {
        return true;
    }
    if !chars[j].1.is_whitespace() {
        return false;
    }
    let mut k = j;
    while k < n && chars[k].1.is_whitespace() {
        k += 1;
    }
    if k >= n {
        return true;
    }
    // Skip opening quotes/brackets to find the first letter of the next sentence.
    let mut first = k;
    while first < n && is_opener(chars[first].1) {
        first += 1;
    }
    let next_char = chars.get(first).map_or(chars[k].1, |&(_, c)| c);
    if next_char.is_lowercase() {
        return false;
    }
    // Only a single period gets the abbreviation treatment.
    if run.len() != 1 || run[0].1 != '.' {
        return true;
    }
    let dot_pos = run[0].0;
    let word = word_before(text, sent_start, chars, i);
    if word.is_empty() {
        return true;
    }
    let next_word = word_at(chars, first);
    let next_is_digit = next_char.is_ascii_digit();
    let next_is_starter = is_stopword(&next_word) && !AUXILIARIES.contains(&next_word.as_str());

    // List enumerator "1." / "a." at the start of a sentence.
    let so_far = text.get(sent_start..dot_pos).unwrap_or("").trim();
    if so_far == word && ((word.len() <= 3 && word.bytes().all(|b| b.is_ascii_digit())) || word.chars().count() == 1) {
        return false;
    }
    let lw = word.to_lowercase();
    if ALWAYS_ABBR.contains(&lw.as_str()) {
        return false;
    }
    if NUMBER_ABBR.contains(&lw.as_str()) && next_is_digit {
        return false;
    }
    // German ordinal dates: "am 3. Oktober" (its months are capitalized, as a sentence's first word would be).
    if word.len() <= 2 && word.bytes().all(|b| b.is_ascii_digit()) && is_calendar_word(&next_word, "de") {
        return false;
    }
    let single_letter = {
        let mut it = word.chars();
        matches!((it.next(), it.next()), (Some(c), None) if c.is_alphabetic())
    };
    if AMBIGUOUS_ABBR.contains(&lw.as_str()) || single_letter || is_dotted_acronym(&word) {
        return next_is_starter;
    }
    true
}

/// The word (run of non-space chars, leading openers stripped) that ends right
/// before `chars[i]`.
fn word_before(text: &str, sent_start: usize, chars: &[(usize, char)], i: usize) -> String {
    let end = chars[i].0;
    let mut s = i;
    while s > 0 {
        let (p, c) = chars[s - 1];
        if p < sent_start || c.is_whitespace() {
            break;
        }
        s -= 1;
    }
    let start = chars.get(s).map_or(end, |&(p, _)| p);
    let raw = text.get(start..end).unwrap_or("");
    raw.trim_start_matches(is_opener).to_string()
}

/// The lowercase alphanumeric word starting at `chars[k]`.
fn word_at(chars: &[(usize, char)], k: usize) -> String {
    chars
        .iter()
        .skip(k)
        .take_while(|&&(_, c)| c.is_alphanumeric() || c == '\'' || c == '’')
        .flat_map(|&(_, c)| c.to_lowercase())
        .collect()
}

/// "U.S", "a.m", "Ph.D": dot-separated parts of 1–2 letters.
fn is_dotted_acronym(word: &str) -> bool {
    word.contains('.')
        && word.split('.').all(|p| {
            let n = p.chars().count();
            (1..=2).contains(&n) && p.chars().all(char::is_alphabetic)
        })
}

/// A single newline inside a block: boundary for list items and heading-like
/// lines, otherwise treated as a soft wrap.
fn newline_is_boundary(
    text: &str,
    sent_start: usize,
    line_start: usize,
    pos: usize,
    chars: &[(usize, char)],
    i: usize,
) -> bool {
    let so_far = text.get(sent_start..pos).unwrap_or("").trim();
    if so_far.is_empty() {
        return false;
    }
    let rest: String = chars
        .iter()
        .skip(i + 1)
        .map(|&(_, c)| c)
        .skip_while(|c| c.is_whitespace())
        .take(8)
        .collect();
    if list_marker_len(&rest) > 0 {
        return true;
    }
    let Some(next_char) = rest.chars().next() else {
        return false;
    };
    if next_char.is_lowercase() {
        return false;
    }
    // Heading-like: the sentence started on this line, which is short and does
    // not end in a joining character.
    if sent_start < line_start && !text.get(sent_start..line_start).unwrap_or("").trim().is_empty() {
        return false;
    }
    let line = text.get(line_start..pos).unwrap_or("").trim();
    let ends_joining = line
        .chars()
        .last()
        .is_some_and(|c| matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '(' | '/' | '&'));
    let started_with_marker = list_marker_len(line) > 0;
    let short = line.split_whitespace().count() <= 12;
    !ends_joining && (short || started_with_marker)
}

/// Byte length of a leading list marker ("- ", "• ", "1. ", "2) ") including
/// the spaces after it, or 0.
fn list_marker_len(s: &str) -> usize {
    let mut it = s.char_indices();
    let Some((_, first)) = it.next() else {
        return 0;
    };
    let after_marker = if matches!(
        first,
        '-' | '*' | '•' | '·' | '–' | '—' | '‣' | '◦' | '▪' | '●' | '○' | '■'
    ) {
        first.len_utf8()
    } else if first.is_ascii_digit() {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 3 {
            return 0;
        }
        match s.as_bytes().get(digits) {
            Some(b'.') | Some(b')') => digits + 1,
            _ => return 0,
        }
    } else {
        return 0;
    };
    let tail = s.get(after_marker..).unwrap_or("");
    let spaces = tail.len() - tail.trim_start_matches([' ', '\t']).len();
    if spaces == 0 {
        return 0;
    }
    after_marker + spaces
}

fn push_sentence(text: &str, start: usize, end: usize, out: &mut Vec<Sentence>) {
    let Some(raw) = text.get(start..end) else {
        return;
    };
    let lead = raw.len() - raw.trim_start().len();
    let mut s = start + lead;
    let trimmed = raw.trim();
    let marker = list_marker_len(trimmed);
    if marker > 0 {
        s += marker;
    }
    let e = start + lead + trimmed.len();
    let Some(body) = text.get(s..e) else {
        return;
    };
    let body_trim = body.trim_start();
    let s = s + (body.len() - body_trim.len());
    if !body_trim.chars().any(char::is_alphanumeric) {
        return;
    }
    out.push(Sentence {
        text: body_trim.to_string(),
        start: s,
        end: e,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split_sentences(s).into_iter().map(|x| x.text).collect()
    }

    #[test]
    fn offsets_match_text() {
        let input = "  Hello there.  General Kenobi!\n\nNew block here. ";
        for s in split_sentences(input) {
            assert_eq!(&input[s.start..s.end], s.text);
        }
        assert_eq!(texts(input).len(), 3);
    }

    #[test]
    fn paragraph_ranges_trimmed() {
        let input = "\n A b.\nc d.\n \n\nE f.\r\n\r\nG\u{2029}H";
        let r: Vec<&str> = paragraph_ranges(input).iter().map(|&(s, e)| &input[s..e]).collect();
        assert_eq!(r, vec!["A b.\nc d.", "E f.", "G", "H"]);
    }

    #[test]
    fn list_markers_stripped() {
        assert_eq!(
            texts("Steps:\n- Boil water\n- Add pasta\n1. Stir well.\n2) Serve."),
            vec!["Steps:", "Boil water", "Add pasta", "Stir well.", "Serve."]
        );
    }

    #[test]
    fn wrapped_lines_are_joined() {
        let t = "The council met on Tuesday to discuss the budget for the coming year and\nvoted to approve it after a long debate.";
        assert_eq!(texts(t).len(), 1);
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences("   \n\n  ").is_empty());
        assert!(split_sentences("... !!! ???").is_empty());
    }
}
