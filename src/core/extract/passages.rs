//! Grouping blocks into passages of paragraph size.
//!
//! A passage collects consecutive non-heading blocks until it holds at
//! least [`TARGET_WORDS`] words, never exceeding [`MAX_WORDS`]; a longer
//! block is split at sentence boundaries (every part keeps the block's
//! node). Headings close the current passage and become the `heading` of
//! the following ones. Ids are `p0`, `p1`, ... in document order.

use super::text::count_words;
use super::{Block, BlockKind, Passage};

pub(super) const MAX_WORDS: usize = 200;
pub(super) const TARGET_WORDS: usize = 50;

struct Builder {
    out: Vec<Passage>,
    heading: Option<String>,
    parts: Vec<String>,
    nodes: Vec<u32>,
    words: usize,
}

impl Builder {
    fn flush(&mut self) {
        if self.parts.is_empty() {
            return;
        }
        let id = format!("p{}", self.out.len());
        self.out.push(Passage {
            id,
            heading: self.heading.clone(),
            text: self.parts.join("\n"),
            nodes: std::mem::take(&mut self.nodes),
        });
        self.parts.clear();
        self.words = 0;
    }

    fn add(&mut self, text: String, node: Option<u32>, words: usize) {
        if !self.parts.is_empty() && (self.words >= TARGET_WORDS || self.words + words > MAX_WORDS) {
            self.flush();
        }
        self.parts.push(text);
        if let Some(n) = node
            && !self.nodes.contains(&n)
        {
            self.nodes.push(n);
        }
        self.words += words;
    }
}

/// Split text after sentence punctuation ('. ', '! ', '? ', '。', ...).
pub(super) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = i + c.len_utf8();
        let boundary = match c {
            '。' | '！' | '？' | '．' | '｡' => true,
            '.' | '!' | '?' | '…' | '\n' => iter.peek().is_none_or(|(_, n)| n.is_whitespace()),
            _ => false,
        };
        if boundary {
            // Include following whitespace in this sentence.
            let mut stop = end;
            while let Some(&(j, n)) = iter.peek() {
                if !n.is_whitespace() {
                    break;
                }
                stop = j + n.len_utf8();
                iter.next();
            }
            if !text[start..stop].trim().is_empty() {
                out.push(&text[start..stop]);
            }
            start = stop;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// Hard-split a piece with no usable sentence boundary into ≤ MAX_WORDS chunks.
fn hard_split(piece: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut words = 0;
    for tok in piece.split_inclusive(char::is_whitespace) {
        let w = count_words(tok);
        if words + w > MAX_WORDS && !cur.trim().is_empty() {
            out.push(cur.trim().to_string());
            cur.clear();
            words = 0;
        }
        if w > MAX_WORDS {
            // A run of CJK text without spaces: cut by characters.
            let mut chunk = String::new();
            let mut cw = 0;
            for ch in tok.chars() {
                chunk.push(ch);
                cw += count_words(ch.encode_utf8(&mut [0; 4]));
                if cw >= MAX_WORDS {
                    out.push(chunk.trim().to_string());
                    chunk.clear();
                    cw = 0;
                }
            }
            cur.push_str(&chunk);
            words = cw;
            continue;
        }
        cur.push_str(tok);
        words += w;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Split a long block into parts of at most MAX_WORDS words.
fn split_long(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut words = 0;
    for s in sentences(text) {
        let w = count_words(s);
        if w > MAX_WORDS {
            if !cur.trim().is_empty() {
                parts.push(cur.trim().to_string());
            }
            cur.clear();
            words = 0;
            parts.extend(hard_split(s));
            continue;
        }
        if words + w > MAX_WORDS && !cur.trim().is_empty() {
            parts.push(cur.trim().to_string());
            cur.clear();
            words = 0;
        }
        cur.push_str(s);
        words += w;
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_string());
    }
    parts
}

pub(super) fn build(blocks: &[Block]) -> Vec<Passage> {
    let mut b = Builder {
        out: Vec::new(),
        heading: None,
        parts: Vec::new(),
        nodes: Vec::new(),
        words: 0,
    };
    for block in blocks {
        if let BlockKind::Heading(_) = block.kind {
            b.flush();
            b.heading = Some(block.text.clone());
            continue;
        }
        let words = count_words(&block.text);
        if words > MAX_WORDS {
            b.flush();
            for part in split_long(&block.text) {
                let w = count_words(&part);
                b.parts.push(part);
                if let Some(n) = block.node {
                    b.nodes.push(n);
                }
                b.words = w;
                b.flush();
            }
            continue;
        }
        b.add(block.text.clone(), block.node, words);
    }
    b.flush();
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(kind: BlockKind, text: &str, node: Option<u32>) -> Block {
        Block {
            kind,
            text: text.to_string(),
            node,
            links: Vec::new(),
        }
    }

    #[test]
    fn sentence_split() {
        assert_eq!(
            sentences("One. Two! Three? Four 3.5 five。六"),
            vec!["One. ", "Two! ", "Three? ", "Four 3.5 five。", "六"]
        );
    }

    #[test]
    fn ids_headings_and_nodes() {
        let long: String = (0..120).map(|i| format!("Sentence number {i} is here. ")).collect();
        let blocks = vec![
            block(BlockKind::Paragraph, "Intro text.", Some(1)),
            block(BlockKind::Heading(2), "Section A", Some(2)),
            block(BlockKind::Paragraph, &long, Some(3)),
            block(BlockKind::ListItem, "item one", Some(4)),
            block(BlockKind::ListItem, "item two", Some(5)),
            block(BlockKind::Heading(3), "Section B", None),
            block(BlockKind::Paragraph, "Last words.", None),
        ];
        let p = build(&blocks);
        let ids: Vec<&str> = p.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), p.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(*id, format!("p{i}"));
        }
        assert_eq!(p[0].heading, None);
        assert_eq!(p[0].nodes, vec![1]);
        // The long paragraph is split into several passages that all point at node 3.
        let long_parts: Vec<&Passage> = p.iter().filter(|x| x.nodes == vec![3]).collect();
        assert!(long_parts.len() >= 3);
        for part in &long_parts {
            assert!(count_words(&part.text) <= MAX_WORDS);
            assert_eq!(part.heading.as_deref(), Some("Section A"));
            assert!(part.text.ends_with('.'));
        }
        let items = p.iter().find(|x| x.nodes == vec![4, 5]).unwrap();
        assert_eq!(items.text, "item one\nitem two");
        let last = p.last().unwrap();
        assert_eq!(last.heading.as_deref(), Some("Section B"));
        assert!(last.nodes.is_empty());
    }

    #[test]
    fn cjk_without_punctuation_is_cut() {
        let text = "字".repeat(500);
        let p = build(&[block(BlockKind::Paragraph, &text, Some(9))]);
        assert!(p.len() >= 3);
        assert!(
            p.iter()
                .all(|x| count_words(&x.text) <= MAX_WORDS && x.nodes == vec![9])
        );
    }
}
