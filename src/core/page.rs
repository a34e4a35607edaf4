//! The readable content of a captured page, read once per request and shared by every flow (summary, questions,
//! classification): the extracted article when the HTML has one, else the visible text the capture sent, a block
//! a line. One reading means one content hash: the cache keys of summaries and stored embeddings agree.

use super::error::{ErrorCode, ScoutError};
use super::extract::{Block, BlockKind, ExtractError, ExtractOptions, Passage, build_passages, extract};
use super::hash::content_hash;
use super::protocol::PageContent;
use super::text;

#[derive(Debug, Clone, PartialEq)]
pub struct ReadablePage {
    pub title: String,
    pub blocks: Vec<Block>,
    /// Paragraph-sized passages with ids (questions cite them).
    pub passages: Vec<Passage>,
    pub lang: Option<String>,
    pub readerable: bool,
    /// schema.org types the page declares about itself ([`crate::core::extract::Article::declared_types`]).
    pub declared_types: Vec<String>,
    /// Hash of the block texts: equal for equal content, whatever the markup around it.
    pub content_hash: String,
}

impl ReadablePage {
    /// The text, blocks separated by blank lines.
    pub fn text(&self) -> String {
        self.block_texts().join("\n\n")
    }

    pub fn block_texts(&self) -> Vec<&str> {
        self.blocks.iter().map(|b| b.text.as_str()).collect()
    }

    /// Whether a block's sentences may appear in a summary (headings, code and table rows may not).
    pub fn rankable(&self, block: usize) -> bool {
        self.blocks
            .get(block)
            .is_some_and(|b| !matches!(b.kind, BlockKind::Heading(_) | BlockKind::Code | BlockKind::TableRow))
    }
}

/// Read a captured page: the article extracted from its HTML, or (for a selection, or HTML without article text)
/// the visible text, one block per non-empty line.
pub fn read_page(page: &PageContent) -> Result<ReadablePage, ScoutError> {
    let html = page
        .html
        .as_deref()
        .filter(|h| !page.is_selection && !h.trim().is_empty());
    if let Some(html) = html {
        let opts = ExtractOptions {
            url: Some(page.url.clone()),
            ..Default::default()
        };
        match extract(html, &opts) {
            Ok(article) if !article.blocks.is_empty() => {
                let title = if article.title.trim().is_empty() {
                    page.title.trim().to_string()
                } else {
                    article.title
                };
                let mut read = finish(
                    title,
                    article.blocks,
                    Some(article.passages),
                    article.lang.or_else(|| page.lang.clone()),
                    article.readerable,
                );
                read.declared_types = article.declared_types;
                return Ok(read);
            }
            Ok(_) | Err(ExtractError::Empty) => {}
            Err(e) => return Err(ScoutError::new(ErrorCode::UnreadablePage, e.to_string())),
        }
    }
    let blocks: Vec<Block> = page
        .text
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .map(|text| Block {
            kind: BlockKind::Paragraph,
            text,
            node: None,
            links: Vec::new(),
        })
        .collect();
    if blocks.is_empty() {
        return Err(ScoutError::new(ErrorCode::EmptyPage, "This page has no readable text."));
    }
    let readerable = page.is_selection || blocks.iter().filter(|b| b.text.len() > 140).count() >= 3;
    let declared = page.lang.clone().filter(|l| !l.trim().is_empty());
    let mut read = finish(page.title.trim().to_string(), blocks, None, declared, readerable);
    if read.lang.is_none() {
        read.lang = text::detect_language(&read.text()).map(|g| g.code);
    }
    Ok(read)
}

fn finish(
    title: String,
    blocks: Vec<Block>,
    passages: Option<Vec<Passage>>,
    lang: Option<String>,
    readerable: bool,
) -> ReadablePage {
    let passages = passages.unwrap_or_else(|| build_passages(&blocks));
    let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
    let content_hash = content_hash(&texts);
    ReadablePage {
        title,
        blocks,
        passages,
        lang,
        readerable,
        declared_types: Vec::new(),
        content_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_page(text: &str) -> PageContent {
        PageContent {
            url: "http://127.0.0.1/t".into(),
            title: " Notes ".into(),
            text: Some(text.into()),
            ..Default::default()
        }
    }

    #[test]
    fn visible_text_is_read_a_block_a_line_with_passages() {
        let r = read_page(&text_page("First line here.\n\n  Second   line.\nThird line.\n")).unwrap();
        assert_eq!(r.title, "Notes");
        assert_eq!(r.block_texts(), vec!["First line here.", "Second line.", "Third line."]);
        assert!(!r.passages.is_empty());
        let joined: Vec<String> = r.passages.iter().map(|p| p.text.replace('\n', " ")).collect();
        assert_eq!(joined.join(" "), "First line here. Second line. Third line.");
        assert!(r.rankable(0) && !r.rankable(9));
    }

    #[test]
    fn equal_content_hashes_equal_whatever_the_spacing() {
        let a = read_page(&text_page("One two.\nThree four.")).unwrap();
        let b = read_page(&text_page("  One   two.\n\n\nThree four.  ")).unwrap();
        let c = read_page(&text_page("One two.\nThree five.")).unwrap();
        assert_eq!(a.content_hash, b.content_hash);
        assert_ne!(a.content_hash, c.content_hash);
    }

    #[test]
    fn html_article_wins_over_visible_text() {
        let para = "The river rose for three days and the town moved its library upstairs, book by book. ";
        let html = format!(
            "<html><head><title>Flood</title><script type=application/ld+json>{{\"@type\":\"NewsArticle\"}}</script>\
             </head><body><nav>Home</nav><article><h1>Flood</h1><p>{}</p><p>{}</p></article></body></html>",
            para.repeat(4),
            para.repeat(3)
        );
        let mut p = text_page("Home\nsomething else entirely");
        p.html = Some(html);
        let r = read_page(&p).unwrap();
        assert!(r.text().contains("library upstairs"));
        assert!(!r.text().contains("something else"));
        assert!(!r.passages.is_empty());
        // What the page declares itself to be reaches the classifier; visible text declares nothing.
        assert_eq!(r.declared_types, ["NewsArticle"]);
        assert!(read_page(&text_page("Home")).unwrap().declared_types.is_empty());
    }

    #[test]
    fn empty_page_is_a_typed_error() {
        assert_eq!(read_page(&text_page(" \n\t\n")).unwrap_err().code, ErrorCode::EmptyPage);
    }
}
