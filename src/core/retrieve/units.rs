//! What gets embedded: each passage as a whole (heading + text) and, optionally, windows of consecutive
//! sentences, so a passage can be matched by its best part and the quote can use semantic scores.

use super::{Passage, split_sentences};

/// Byte range into a passage's text.
pub type Span = (usize, usize);

/// One text to embed, belonging to a passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Index of the passage in the index.
    pub passage: usize,
    /// `None`: the whole passage with its heading; `Some`: these sentences of its text.
    pub span: Option<Span>,
}

/// Sentences of a passage text as trimmed byte ranges. Lines (blocks) are split first, so a caption or list
/// item without final punctuation never merges with the next block.
pub fn sentence_spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        for s in split_sentences(line) {
            if !s.text.trim().is_empty() {
                out.push((line_start + s.start, line_start + s.end));
            }
        }
        line_start += line.len();
    }
    out
}

/// Text embedded for a whole passage: its heading (when present) on its own line, then its text.
pub fn passage_text(p: &Passage) -> String {
    match p.heading.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => format!("{h}\n{}", p.text),
        None => p.text.clone(),
    }
}

/// The embedding units of `passages`: every passage whole, then (when `window` > 0) every run of `window`
/// consecutive sentences of passages that have more than `window` sentences (stride one sentence).
pub fn units(passages: &[Passage], window: usize) -> Vec<Unit> {
    let mut out: Vec<Unit> = (0..passages.len())
        .map(|passage| Unit { passage, span: None })
        .collect();
    if window == 0 {
        return out;
    }
    for (i, p) in passages.iter().enumerate() {
        let spans = sentence_spans(&p.text);
        if spans.len() <= window {
            continue;
        }
        for w in spans.windows(window) {
            out.push(Unit {
                passage: i,
                span: Some((w[0].0, w[window - 1].1)),
            });
        }
    }
    out
}

/// The text to embed for a unit.
pub fn unit_text(passages: &[Passage], unit: &Unit) -> String {
    let Some(p) = passages.get(unit.passage) else {
        return String::new();
    };
    match unit.span {
        None => passage_text(p),
        Some((s, e)) => p.text.get(s..e).unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(heading: Option<&str>, text: &str) -> Passage {
        Passage {
            id: "p0".into(),
            heading: heading.map(String::from),
            text: text.into(),
            nodes: vec![],
        }
    }

    #[test]
    fn spans_split_lines_and_sentences() {
        let t = "A caption without a stop\nFirst one. Second one!  Third?";
        let spans = sentence_spans(t);
        let parts: Vec<&str> = spans.iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(
            parts,
            vec!["A caption without a stop", "First one.", "Second one!", "Third?"]
        );
        assert!(sentence_spans("").is_empty());
        assert_eq!(sentence_spans("東京は大きい。大阪も。").len(), 2);
    }

    #[test]
    fn units_and_texts() {
        let ps = vec![passage(Some("H"), "One. Two. Three."), passage(None, "Solo.")];
        let u = units(&ps, 2);
        assert_eq!(u.len(), 4);
        assert_eq!(unit_text(&ps, &u[0]), "H\nOne. Two. Three.");
        assert_eq!(unit_text(&ps, &u[1]), "Solo.");
        assert_eq!(unit_text(&ps, &u[2]), "One. Two.");
        assert_eq!(unit_text(&ps, &u[3]), "Two. Three.");
        assert_eq!(units(&ps, 0).len(), 2);
    }
}
