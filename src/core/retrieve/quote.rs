//! The quote: the one or two consecutive sentences of an answer passage that best match the question,
//! returned as a byte range of the passage text (so it is always a verbatim substring).

use super::units::Span;

/// Weight of lexical overlap next to the semantic (window cosine) score of a sentence.
pub const LEX_WEIGHT: f32 = 0.5;
/// A best sentence shorter than this (in words) takes a neighbour along.
pub const SHORT_SENTENCE_WORDS: usize = 10;
/// A neighbour scoring at least this share of the best sentence is included.
pub const NEIGHBOUR_SHARE: f32 = 0.85;
/// Quotes never grow past this many words by adding a neighbour.
pub const MAX_QUOTE_WORDS: usize = 70;

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Pick the quote among `spans` (sentences of `text`, in order). `sem[i]` and `lex[i]` score sentence `i`
/// (semantic similarity and lexical coverage of the question; missing entries count as 0). Ties go to the
/// earlier sentence.
pub fn quote_span(text: &str, spans: &[Span], sem: &[f32], lex: &[f32]) -> Span {
    if spans.is_empty() {
        let start = text.len() - text.trim_start().len();
        return (start, start + text.trim().len());
    }
    let score = |i: usize| sem.get(i).copied().unwrap_or(0.0) + LEX_WEIGHT * lex.get(i).copied().unwrap_or(0.0);
    let words = |i: usize| spans.get(i).and_then(|&(s, e)| text.get(s..e)).map_or(0, word_count);
    let mut best = 0;
    for i in 1..spans.len() {
        if score(i) > score(best) {
            best = i;
        }
    }
    let neighbour = match (best.checked_sub(1), (best + 1 < spans.len()).then_some(best + 1)) {
        (Some(a), Some(b)) => Some(if score(b) > score(a) { b } else { a }),
        (a, b) => a.or(b),
    };
    let (mut first, mut last) = (best, best);
    if let Some(n) = neighbour {
        let wanted = words(best) < SHORT_SENTENCE_WORDS || score(n) >= NEIGHBOUR_SHARE * score(best);
        if wanted && words(best) + words(n) <= MAX_QUOTE_WORDS {
            first = first.min(n);
            last = last.max(n);
        }
    }
    (spans[first].0, spans[last].1)
}

#[cfg(test)]
mod tests {
    use super::super::units::sentence_spans;
    use super::*;

    #[test]
    fn picks_best_sentence_and_short_neighbour() {
        let t = "Cats purr when they are content and relaxed at home. Dogs bark at the mail carrier every single \
                 day of the week. Birds sing.";
        let spans = sentence_spans(t);
        let (s, e) = quote_span(t, &spans, &[0.1, 0.9, 0.2], &[0.0, 1.0, 0.0]);
        assert_eq!(&t[s..e], "Dogs bark at the mail carrier every single day of the week.");
        // A short best sentence takes its better neighbour along.
        let (s, e) = quote_span(t, &spans, &[0.1, 0.2, 0.9], &[]);
        assert_eq!(
            &t[s..e],
            "Dogs bark at the mail carrier every single day of the week. Birds sing."
        );
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(quote_span("  ", &[], &[], &[]), (2, 2));
        let t = "Only one.";
        assert_eq!(quote_span(t, &sentence_spans(t), &[], &[]), (0, t.len()));
    }
}
