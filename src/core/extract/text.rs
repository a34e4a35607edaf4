//! Rendering an element subtree into typed text blocks.

use url::Url;

use super::dom::{Dom, NodeId, normalize_ws};
use super::{Block, BlockKind, Link};

/// Attribute the extension puts on live-DOM elements.
pub(super) const NODE_ATTR: &str = "data-scout-node";

/// Elements that start and end a block of text.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Cell content that makes a row a layout row rather than a data row.
const CELL_BLOCKS: &[&str] = &[
    "p",
    "div",
    "table",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "dl",
];

fn node_number(dom: &Dom, id: NodeId) -> Option<u32> {
    dom.attr(id, NODE_ATTR).and_then(|v| v.trim().parse::<u32>().ok())
}

/// Resolve `href` against `base`; None for script links and junk.
pub(super) fn resolve_href(base: Option<&Url>, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let lower = href.to_ascii_lowercase();
    if lower.starts_with("javascript:") || lower.starts_with("data:") || lower.starts_with("vbscript:") {
        return None;
    }
    let parsed = match base {
        Some(b) => b.join(href),
        None => Url::parse(href),
    };
    match parsed {
        Ok(u) => Some(u.to_string()),
        // Without a usable base keep in-page anchors as they are.
        Err(_) if href.starts_with('#') => Some(href.to_string()),
        Err(_) => None,
    }
}

struct Open {
    tag: String,
    node: Option<u32>,
}

struct Renderer<'a> {
    dom: &'a Dom,
    base: Option<&'a Url>,
    blocks: Vec<Block>,
    /// Lines of the pending block (`<br>` starts a new line).
    lines: Vec<String>,
    links: Vec<Link>,
    open: Vec<Open>,
    pre_depth: usize,
}

impl Renderer<'_> {
    fn kind(&self) -> BlockKind {
        for o in self.open.iter().rev() {
            match o.tag.as_str() {
                "h1" => return BlockKind::Heading(1),
                "h2" => return BlockKind::Heading(2),
                "h3" => return BlockKind::Heading(3),
                "h4" => return BlockKind::Heading(4),
                "h5" => return BlockKind::Heading(5),
                "h6" => return BlockKind::Heading(6),
                "li" => return BlockKind::ListItem,
                "figcaption" | "caption" => return BlockKind::Caption,
                "pre" => return BlockKind::Code,
                _ => {}
            }
        }
        if self.open.iter().any(|o| o.tag == "blockquote") {
            BlockKind::Quote
        } else {
            BlockKind::Paragraph
        }
    }

    fn current_node(&self) -> Option<u32> {
        self.open.iter().rev().find_map(|o| o.node)
    }

    fn flush(&mut self) {
        if self.lines.is_empty() {
            return;
        }
        let kind = self.kind();
        let text = if kind == BlockKind::Code {
            let joined = self.lines.join("\n");
            let kept: Vec<&str> = joined.split('\n').map(|l| l.trim_end()).collect();
            let start = kept.iter().position(|l| !l.trim().is_empty());
            let end = kept.iter().rposition(|l| !l.trim().is_empty());
            match (start, end) {
                (Some(s), Some(e)) => kept[s..=e].join("\n"),
                _ => String::new(),
            }
        } else {
            self.lines
                .iter()
                .map(|l| normalize_ws(l))
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        self.lines.clear();
        let links = std::mem::take(&mut self.links);
        if text.is_empty() {
            return;
        }
        self.blocks.push(Block {
            kind,
            text,
            node: self.current_node(),
            links,
        });
    }

    fn push_text(&mut self, t: &str) {
        if self.lines.is_empty() {
            self.lines.push(String::new());
        }
        if let Some(l) = self.lines.last_mut() {
            l.push_str(t);
        }
    }

    fn line_break(&mut self) {
        if self.lines.is_empty() {
            self.lines.push(String::new());
        }
        if self.pre_depth > 0 {
            self.push_text("\n");
        } else {
            self.lines.push(String::new());
        }
    }

    /// A data row: cells joined with " | ". False when the row is layout.
    fn table_row(&mut self, tr: NodeId) -> bool {
        let cells: Vec<NodeId> = self
            .dom
            .element_children(tr)
            .filter(|&c| matches!(self.dom.tag(c), "td" | "th"))
            .collect();
        if cells.is_empty() {
            return false;
        }
        for &c in &cells {
            if self.dom.descendants(c).any(|d| CELL_BLOCKS.contains(&self.dom.tag(d))) {
                return false;
            }
        }
        self.flush();
        let texts: Vec<String> = cells.iter().map(|&c| self.dom.inner_text(c)).collect();
        if texts.iter().all(|t| t.is_empty()) {
            return true;
        }
        let mut links = Vec::new();
        for &c in &cells {
            self.collect_links(c, &mut links);
        }
        let node = node_number(self.dom, tr).or_else(|| self.current_node());
        self.blocks.push(Block {
            kind: BlockKind::TableRow,
            text: texts.join(" | "),
            node,
            links,
        });
        true
    }

    fn collect_links(&self, root: NodeId, out: &mut Vec<Link>) {
        for a in self.dom.elements_by_tag(root, &["a"]) {
            if let Some(l) = self.link(a) {
                out.push(l);
            }
        }
    }

    fn link(&self, a: NodeId) -> Option<Link> {
        let href = resolve_href(self.base, self.dom.attr(a, "href")?)?;
        let text = self.dom.inner_text(a);
        if text.is_empty() {
            return None;
        }
        Some(Link { text, href })
    }

    fn run(&mut self, root: NodeId) {
        enum Ev {
            Enter(NodeId),
            Exit(NodeId),
        }
        let mut stack = vec![Ev::Enter(root)];
        while let Some(ev) = stack.pop() {
            match ev {
                Ev::Enter(n) => {
                    if let Some(t) = self.dom.text(n) {
                        self.push_text(t);
                        continue;
                    }
                    let tag = self.dom.tag(n);
                    match tag {
                        "" | "head" | "title" | "meta" | "img" | "picture" => continue,
                        "br" => {
                            self.line_break();
                            continue;
                        }
                        "hr" => {
                            self.flush();
                            continue;
                        }
                        "tr" if self.pre_depth == 0 && self.table_row(n) => continue,
                        _ => {}
                    }
                    let is_block = BLOCK_TAGS.contains(&tag);
                    if is_block {
                        if self.pre_depth == 0 {
                            self.flush();
                        }
                        self.open.push(Open {
                            tag: tag.to_string(),
                            node: node_number(self.dom, n),
                        });
                    } else if tag == "td" || tag == "th" {
                        self.push_text(" ");
                    }
                    if tag == "pre" {
                        self.flush();
                        self.pre_depth += 1;
                    }
                    stack.push(Ev::Exit(n));
                    let kids: Vec<NodeId> = self.dom.children(n).collect();
                    for k in kids.into_iter().rev() {
                        stack.push(Ev::Enter(k));
                    }
                }
                Ev::Exit(n) => {
                    let tag = self.dom.tag(n);
                    if tag == "a"
                        && self.pre_depth == 0
                        && let Some(l) = self.link(n)
                    {
                        self.links.push(l);
                    }
                    if BLOCK_TAGS.contains(&tag) {
                        if tag == "pre" {
                            self.flush();
                            self.pre_depth = self.pre_depth.saturating_sub(1);
                        } else if self.pre_depth == 0 {
                            self.flush();
                        }
                        self.open.pop();
                    }
                }
            }
        }
        self.flush();
    }
}

/// Render the subtree of `root` as blocks.
pub(super) fn render(dom: &Dom, root: NodeId, base: Option<&Url>) -> Vec<Block> {
    let mut r = Renderer {
        dom,
        base,
        blocks: Vec::new(),
        lines: Vec::new(),
        links: Vec::new(),
        open: Vec::new(),
        pre_depth: 0,
    };
    r.run(root);
    r.blocks
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Words: runs of letters/digits; each CJK character counts as one word.
pub(super) fn count_words(s: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    if s.is_ascii() {
        for &b in s.as_bytes() {
            if b.is_ascii_alphanumeric() {
                n += usize::from(!in_word);
                in_word = true;
            } else if b != b'\'' {
                in_word = false;
            }
        }
        return n;
    }
    for c in s.chars() {
        if is_cjk(c) {
            n += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                n += 1;
            }
            in_word = true;
        } else if c != '\'' && c != '’' {
            in_word = false;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<Block> {
        let dom = Dom::parse(html);
        let base = Url::parse("https://example.com/a/b.html").ok();
        render(&dom, dom.body().unwrap(), base.as_ref())
    }

    #[test]
    fn block_kinds_and_text() {
        let b = blocks(
            "<h2 data-scout-node=7>Title</h2><p data-scout-node=8>Hello\n  <b>world</b></p>\
             <ul><li>one</li><li>two</li></ul><blockquote><p>quoted</p></blockquote>\
             <pre>  line 1\n    line 2\n</pre><table><tr><th>a</th><td>b</td></tr></table>\
             <figure><figcaption>cap</figcaption></figure><p>x<br>y</p>",
        );
        let kinds: Vec<(BlockKind, &str)> = b.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (BlockKind::Heading(2), "Title"),
                (BlockKind::Paragraph, "Hello world"),
                (BlockKind::ListItem, "one"),
                (BlockKind::ListItem, "two"),
                (BlockKind::Quote, "quoted"),
                (BlockKind::Code, "  line 1\n    line 2"),
                (BlockKind::TableRow, "a | b"),
                (BlockKind::Caption, "cap"),
                (BlockKind::Paragraph, "x\ny"),
            ]
        );
        assert_eq!(b[0].node, Some(7));
        assert_eq!(b[1].node, Some(8));
        assert_eq!(b[2].node, None);
    }

    #[test]
    fn links_are_resolved() {
        let b = blocks(
            "<p><a href='../c.html'>rel</a> <a href='//cdn.example.org/x'>proto</a> \
             <a href='javascript:void(0)'>js</a> <a href='#top'>hash</a></p>",
        );
        let hrefs: Vec<&str> = b[0].links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            vec![
                "https://example.com/c.html",
                "https://cdn.example.org/x",
                "https://example.com/a/b.html#top"
            ]
        );
        assert_eq!(resolve_href(None, "/x"), None);
        assert_eq!(resolve_href(None, "https://a.b/c").as_deref(), Some("https://a.b/c"));
    }

    #[test]
    fn words() {
        assert_eq!(count_words("Hello, world! It's 2024."), 4);
        assert_eq!(count_words("日本語のテキスト"), 8);
    }
}
