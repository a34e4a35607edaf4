//! Main-article extraction from HTML ("reader view").
//!
//! Pipeline: guard against over-deep markup → HTML5 parse into an arena DOM
//! (scripts, styles, hidden and non-text elements dropped) → metadata
//! (JSON-LD, `<meta>`, `<title>`) → content scoring and clean-up → typed
//! text blocks → passages, language and direction.
//!
//! Everything is pure and iterative: no IO, no threads, no recursion over
//! the tree.

mod clean;
mod declared;
mod decode;
mod depth;
mod dom;
mod lang;
mod metadata;
mod passages;
mod patterns;
mod readerable;
mod score;
mod text;

use serde::{Deserialize, Serialize};
use url::Url;

use self::dom::Dom;

/// Default limit on the input size: 20 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtractOptions {
    /// Address of the page, used to resolve relative links.
    pub url: Option<String>,
    /// Inputs larger than this are refused with [`ExtractError::TooLarge`].
    pub max_input_bytes: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            url: None,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// `<h1>`..`<h6>`, with the level.
    Heading(u8),
    Paragraph,
    ListItem,
    Quote,
    /// Preformatted text; lines are kept.
    Code,
    /// A data-table row, cells joined with " | ".
    TableRow,
    /// `<figcaption>` / `<caption>`.
    Caption,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub text: String,
    /// Absolute when the page URL (or `<base>`) allows it.
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    /// `data-scout-node` of the block's element, when present.
    pub node: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// "p0", "p1", ... in document order.
    pub id: String,
    /// Nearest preceding heading.
    pub heading: Option<String>,
    pub text: String,
    /// `data-scout-node`s of the blocks in this passage.
    pub nodes: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    pub byline: Option<String>,
    pub excerpt: Option<String>,
    pub site_name: Option<String>,
    pub published_time: Option<String>,
    /// Declared (`<html lang>`, `<meta>`) or detected ISO 639-1 language.
    pub lang: Option<String>,
    /// schema.org types the page declares about itself (JSON-LD, microdata, `og:type` product), in document order.
    pub declared_types: Vec<String>,
    /// "ltr" / "rtl" from `dir` attributes, or "rtl" for an RTL language.
    pub dir: Option<String>,
    /// Whether the page looks like an article.
    pub readerable: bool,
    /// Article text, blocks separated by blank lines.
    pub text: String,
    pub blocks: Vec<Block>,
    pub passages: Vec<Passage>,
    pub word_count: usize,
    /// Invalid bytes were replaced while decoding.
    pub lossy_decode: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("the page has no text content")]
    Empty,
    #[error("the page is too large: {bytes} bytes (limit {limit} bytes)")]
    TooLarge { bytes: usize, limit: usize },
}

/// Extract the main article of an HTML page.
pub fn extract(html: &str, opts: &ExtractOptions) -> Result<Article, ExtractError> {
    if html.len() > opts.max_input_bytes {
        return Err(ExtractError::TooLarge {
            bytes: html.len(),
            limit: opts.max_input_bytes,
        });
    }
    run(html, opts, &mut |_| {})
}

/// [`extract`] calling `phase` with a label after each pipeline phase
/// ("parse", "metadata", "prep", "score", "render", "finish"). For
/// benchmarks: the callback may read a clock, the library never does.
#[doc(hidden)]
pub fn extract_phased(
    html: &str,
    opts: &ExtractOptions,
    phase: &mut dyn FnMut(&'static str),
) -> Result<Article, ExtractError> {
    if html.len() > opts.max_input_bytes {
        return Err(ExtractError::TooLarge {
            bytes: html.len(),
            limit: opts.max_input_bytes,
        });
    }
    run(html, opts, phase)
}

/// Passages of blocks that did not come from [`extract`] (e.g. the visible text of a selection, a block a line).
pub fn build_passages(blocks: &[Block]) -> Vec<Passage> {
    passages::build(blocks)
}

/// Like [`extract`] for raw bytes: UTF-8 (or a BOM-marked UTF-16, or a
/// declared Latin-1/Windows-1252); invalid sequences are replaced and
/// `lossy_decode` is set.
pub fn extract_bytes(bytes: &[u8], opts: &ExtractOptions) -> Result<Article, ExtractError> {
    if bytes.len() > opts.max_input_bytes {
        return Err(ExtractError::TooLarge {
            bytes: bytes.len(),
            limit: opts.max_input_bytes,
        });
    }
    let (html, lossy) = decode::decode(bytes);
    let mut article = run(&html, opts, &mut |_| {})?;
    article.lossy_decode = lossy;
    Ok(article)
}

fn base_url(dom: &Dom, page: Option<&str>) -> Option<Url> {
    let page = page.and_then(|u| Url::parse(u.trim()).ok());
    let base_href = dom
        .first_by_tag("base")
        .and_then(|b| dom.attr(b, "href"))
        .map(str::trim)
        .filter(|h| !h.is_empty());
    match (page, base_href) {
        (Some(p), Some(h)) => p.join(h).ok().or(Some(p)),
        (None, Some(h)) => Url::parse(h).ok(),
        (p, None) => p,
    }
}

fn run(html: &str, opts: &ExtractOptions, phase: &mut dyn FnMut(&'static str)) -> Result<Article, ExtractError> {
    let limited = depth::limit_nesting(html);
    let mut dom = Dom::parse(&limited);
    drop(limited);
    phase("parse");

    let jsonld = metadata::jsonld_blocks(&dom);
    let meta = metadata::extract(&dom, &jsonld);
    let declared_types = declared::declared_types(&dom, &jsonld);
    drop(jsonld);
    let looks_readerable = readerable::probably_readerable(&dom);
    let base = base_url(&dom, opts.url.as_deref());
    let html_el = dom.html();
    let body = dom.body().ok_or(ExtractError::Empty)?;
    phase("metadata");
    clean::prep_document(&mut dom, body);
    phase("prep");

    let grabbed = score::grab_article(&dom, &meta.title, meta.byline.is_none());
    phase("score");
    let (mut blocks, found_byline, found_dir, excerpt_fallback) = match &grabbed {
        Some(g) => {
            let first_p = g
                .dom
                .elements_by_tag(g.article, &["p"])
                .into_iter()
                .map(|p| g.dom.inner_text(p))
                .find(|t| !t.is_empty());
            (
                text::render(&g.dom, g.article, base.as_ref()),
                g.byline.clone(),
                g.dir.clone(),
                first_p,
            )
        }
        None => (Vec::new(), None, None, None),
    };
    if blocks.is_empty() {
        // Best effort: everything visible in the body.
        blocks = text::render(&dom, body, base.as_ref());
    }
    if blocks.is_empty() {
        return Err(ExtractError::Empty);
    }
    phase("render");

    let text = blocks.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join("\n\n");
    let word_count = text::count_words(&text);
    let passages = passages::build(&blocks);
    let lang = meta.lang.clone().or_else(|| lang::detect(&text));
    let dir = found_dir
        .as_deref()
        .and_then(lang::normalize_dir)
        .or_else(|| {
            [html_el, Some(body)]
                .into_iter()
                .flatten()
                .find_map(|n| dom.attr(n, "dir").and_then(lang::normalize_dir))
        })
        .or_else(|| lang.as_deref().filter(|l| lang::is_rtl(l)).map(|_| "rtl".to_string()));
    let readerable = looks_readerable && text.chars().count() >= readerable::MIN_ARTICLE_CHARS;
    phase("finish");

    Ok(Article {
        title: meta.title,
        byline: meta.byline.or(found_byline).filter(|b| !b.is_empty()),
        excerpt: meta.excerpt.or(excerpt_fallback),
        site_name: meta.site_name,
        published_time: meta.published_time,
        lang,
        declared_types,
        dir,
        readerable,
        text,
        blocks,
        passages,
        word_count,
        lossy_decode: false,
    })
}
