//! Boilerplate removal: document preparation before scoring and the
//! clean-up of the chosen article container afterwards.

use std::collections::HashSet;

use super::dom::{Dom, NodeId};
use super::patterns::{self, BLOCK_CHILD};

/// Which of the progressively relaxed heuristics are active.
#[derive(Clone, Copy, Debug)]
pub(super) struct Flags {
    pub strip_unlikely: bool,
    pub weight_classes: bool,
    pub clean_conditionally: bool,
}

impl Flags {
    pub fn all() -> Self {
        Flags {
            strip_unlikely: true,
            weight_classes: true,
            clean_conditionally: true,
        }
    }

    /// Drop the next heuristic; false when none is left.
    pub fn relax(&mut self) -> bool {
        if self.strip_unlikely {
            self.strip_unlikely = false;
        } else if self.weight_classes {
            self.weight_classes = false;
        } else if self.clean_conditionally {
            self.clean_conditionally = false;
        } else {
            return false;
        }
        true
    }
}

pub(super) fn class_weight(dom: &Dom, id: NodeId, flags: Flags) -> i32 {
    if !flags.weight_classes {
        return 0;
    }
    patterns::class_weight(dom.attr(id, "class"), dom.attr(id, "id"))
}

fn is_whitespace_node(dom: &Dom, id: NodeId) -> bool {
    match dom.text(id) {
        Some(t) => t.trim().is_empty(),
        None => dom.tag(id) == "br",
    }
}

/// Skip whitespace-only text nodes starting at `id`.
fn skip_ws_text(dom: &Dom, mut id: Option<NodeId>) -> Option<NodeId> {
    while let Some(n) = id {
        match dom.text(n) {
            Some(t) if t.trim().is_empty() => id = dom.nodes[n].next,
            _ => return Some(n),
        }
    }
    None
}

pub(super) fn is_phrasing(dom: &Dom, id: NodeId) -> bool {
    if dom.text(id).is_some() {
        return true;
    }
    let tag = dom.tag(id);
    if patterns::PHRASING.contains(&tag) {
        return true;
    }
    if !matches!(tag, "a" | "del" | "ins") {
        return false;
    }
    // Links and edits are phrasing when all their content is.
    let mut stack = vec![id];
    while let Some(n) = stack.pop() {
        for c in dom.children(n) {
            if dom.text(c).is_some() {
                continue;
            }
            let t = dom.tag(c);
            if patterns::PHRASING.contains(&t) {
                continue;
            }
            if matches!(t, "a" | "del" | "ins") {
                stack.push(c);
            } else {
                return false;
            }
        }
    }
    true
}

/// Turn runs of two or more `<br>` into paragraph breaks and `<font>` into
/// `<span>`.
pub(super) fn prep_document(dom: &mut Dom, body: NodeId) {
    for br in dom.elements_by_tag(body, &["br"]) {
        if dom.parent(br).is_none() {
            continue;
        }
        let mut next = dom.nodes[br].next;
        let mut replaced = false;
        while let Some(n) = skip_ws_text(dom, next) {
            if dom.tag(n) != "br" {
                break;
            }
            replaced = true;
            next = dom.nodes[n].next;
            dom.detach(n);
        }
        if !replaced {
            continue;
        }
        let p = dom.create_element("p");
        dom.replace(br, p);
        let mut next = dom.nodes[p].next;
        while let Some(n) = next {
            if dom.tag(n) == "br"
                && let Some(after) = skip_ws_text(dom, dom.nodes[n].next)
                && dom.tag(after) == "br"
            {
                break;
            }
            if !is_phrasing(dom, n) {
                break;
            }
            next = dom.nodes[n].next;
            dom.append(p, n);
        }
        while let Some(last) = dom.nodes[p].last_child {
            if !is_whitespace_node(dom, last) {
                break;
            }
            dom.detach(last);
        }
        if let Some(parent) = dom.parent(p)
            && dom.tag(parent) == "p"
        {
            dom.set_tag(parent, "div");
        }
    }
    for f in dom.elements_by_tag(body, &["font"]) {
        dom.set_tag(f, "span");
    }
}

/// Tables that hold data rather than layout.
pub(super) fn mark_data_tables(dom: &Dom, root: NodeId) -> HashSet<NodeId> {
    let mut out = HashSet::new();
    for table in dom.elements_by_tag(root, &["table"]) {
        if dom.attr(table, "role") == Some("presentation") || dom.attr(table, "datatable") == Some("0") {
            continue;
        }
        if dom.attr(table, "summary").is_some_and(|s| !s.is_empty()) {
            out.insert(table);
            continue;
        }
        if let Some(cap) = dom.elements_by_tag(table, &["caption"]).first()
            && dom.nodes[*cap].first_child.is_some()
        {
            out.insert(table);
            continue;
        }
        if dom.count_tag(table, &["col", "colgroup", "tfoot", "thead", "th"]) > 0 {
            out.insert(table);
            continue;
        }
        if dom.count_tag(table, &["table"]) > 0 {
            continue;
        }
        let mut rows = 0usize;
        let mut cols = 0usize;
        for tr in dom.elements_by_tag(table, &["tr"]) {
            rows += span(dom.attr(tr, "rowspan"));
            let c: usize = dom
                .elements_by_tag(tr, &["td"])
                .into_iter()
                .map(|td| span(dom.attr(td, "colspan")))
                .sum();
            cols = cols.max(c);
        }
        if rows == 1 || cols == 1 {
            continue;
        }
        if rows >= 10 || cols > 4 || rows * cols > 10 {
            out.insert(table);
        }
    }
    out
}

fn span(v: Option<&str>) -> usize {
    v.and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
        .min(1000)
}

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];
const TEXTISH: &[&str] = &[
    "span",
    "li",
    "td",
    "blockquote",
    "dl",
    "div",
    "img",
    "ol",
    "p",
    "pre",
    "table",
    "ul",
];

/// Remove `tag` elements under `root` that look like clutter: few commas
/// and too many links, images, list items or too little text.
pub(super) fn clean_conditionally(dom: &mut Dom, root: NodeId, tag: &str, flags: Flags, data_tables: &HashSet<NodeId>) {
    if !flags.clean_conditionally {
        return;
    }
    let nodes = dom.elements_by_tag(root, &[tag]);
    for &node in nodes.iter().rev() {
        if dom.parent(node).is_none() {
            continue;
        }
        if should_remove(dom, node, tag, flags, data_tables) {
            dom.remove(node);
        }
    }
}

/// Element counts and text lengths under a node, gathered in one walk.
#[derive(Default)]
struct Stats {
    p: usize,
    img: usize,
    li: usize,
    input: usize,
    embeds: usize,
    /// Text length of `<ul>`/`<ol>` descendants (nested ones again).
    list_len: usize,
    heading_len: usize,
    textish_len: usize,
    has_data_table: bool,
}

fn stats(dom: &Dom, node: NodeId, data_tables: &HashSet<NodeId>) -> Stats {
    let mut s = Stats::default();
    for n in dom.descendants(node) {
        let t = dom.tag(n);
        match t {
            "" => continue,
            "p" => s.p += 1,
            "img" => s.img += 1,
            "li" => s.li += 1,
            "input" => s.input += 1,
            "object" | "embed" | "iframe" => s.embeds += 1,
            "table" => s.has_data_table |= data_tables.contains(&n),
            _ => {}
        }
        if matches!(t, "ul" | "ol") {
            s.list_len += dom.text_len(n);
        }
        if HEADINGS.contains(&t) {
            s.heading_len += dom.text_len(n);
        }
        if TEXTISH.contains(&t) {
            s.textish_len += dom.text_len(n);
        }
    }
    s
}

fn density(part: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { part as f64 / total as f64 }
}

fn should_remove(dom: &Dom, node: NodeId, tag: &str, flags: Flags, data_tables: &HashSet<NodeId>) -> bool {
    let is_data = |t: NodeId| data_tables.contains(&t);
    if tag == "table" && is_data(node) {
        return false;
    }
    if dom.has_ancestor_tag(node, "table", None, is_data) {
        return false;
    }
    if dom.has_ancestor_tag(node, "code", Some(3), |_| true) {
        return false;
    }
    let st = stats(dom, node, data_tables);
    if st.has_data_table {
        return false;
    }
    let text_len = dom.text_len(node);
    let mut is_list = tag == "ul" || tag == "ol";
    if !is_list {
        is_list = if text_len == 0 {
            st.list_len > 0
        } else {
            st.list_len as f64 / text_len as f64 > 0.9
        };
    }
    let weight = class_weight(dom, node, flags);
    if weight < 0 {
        return true;
    }
    if dom.ascii_commas(node) >= 10 {
        return false;
    }
    let p = st.p as i64;
    let img = st.img as i64;
    let li = st.li as i64 - 100;
    let input = st.input as i64;
    let heading_density = density(st.heading_len, text_len);
    let embeds = st.embeds as i64;
    // Labels are single words (trailing dots included).
    let content_len = text_len;
    if dom.word_runs(node) <= 1 && patterns::is_ad_or_loading_label(&dom.inner_text(node)) {
        return true;
    }
    let link_density = dom.link_density(node);
    let text_dens = density(st.textish_len, text_len);
    let in_figure = dom.has_ancestor_tag(node, "figure", Some(3), |_| true);

    let remove = (!in_figure && img > 1 && (p as f64) / (img as f64) < 0.5)
        || (!is_list && li > p)
        || (input > p / 3)
        || (!is_list
            && !in_figure
            && heading_density < 0.9
            && content_len < 25
            && (img == 0 || img > 2)
            && link_density > 0.0)
        || (!is_list && weight < 25 && link_density > 0.2)
        || (weight >= 25 && link_density > 0.5)
        || ((embeds == 1 && content_len < 75) || embeds > 1)
        || (img == 0 && text_dens == 0.0);

    if is_list && remove {
        // Keep simple lists of images.
        for c in dom.element_children(node) {
            if dom.element_children(c).count() > 1 {
                return remove;
            }
        }
        if st.img == st.li {
            return false;
        }
    }
    remove
}

/// Remove all `tags` elements under `root`.
pub(super) fn remove_all(dom: &mut Dom, root: NodeId, tags: &[&str]) {
    for n in dom.elements_by_tag(root, tags) {
        dom.remove(n);
    }
}

/// Post-process the article container.
pub(super) fn prep_article(dom: &mut Dom, article: NodeId, flags: Flags) {
    let data_tables = mark_data_tables(dom, article);
    clean_conditionally(dom, article, "form", flags, &data_tables);
    clean_conditionally(dom, article, "fieldset", flags, &data_tables);
    remove_all(dom, article, &["footer", "aside", "object", "embed", "link"]);

    // Small share/social widgets inside the article's top-level blocks.
    let tops: Vec<NodeId> = dom.element_children(article).collect();
    for top in tops {
        let end = dom.next_element(top, true);
        let mut next = dom.next_element(top, false);
        while let Some(n) = next {
            if Some(n) == end {
                break;
            }
            let ms = dom.match_string(n);
            if patterns::is_share(&ms) && dom.text_content(n).chars().count() < 500 {
                next = dom.next_element(n, true);
                dom.remove(n);
            } else {
                next = dom.next_element(n, false);
            }
        }
    }

    remove_all(dom, article, &["iframe", "input", "textarea", "select", "button"]);
    for h in dom.elements_by_tag(article, &["h1", "h2"]) {
        if class_weight(dom, h, flags) < 0 {
            dom.remove(h);
        }
    }
    clean_conditionally(dom, article, "table", flags, &data_tables);
    clean_conditionally(dom, article, "ul", flags, &data_tables);
    clean_conditionally(dom, article, "div", flags, &data_tables);

    for p in dom.elements_by_tag(article, &["p"]) {
        if dom.parent(p).is_none() {
            continue;
        }
        if dom.count_tag(p, &["img", "embed", "object", "iframe"]) == 0 && !dom.has_text(p) {
            dom.detach(p);
        }
    }

    // Single-cell layout tables become a paragraph or a div.
    for table in dom.elements_by_tag(article, &["table"]) {
        if dom.parent(table).is_none() {
            continue;
        }
        let tbody = if single_tag_inside(dom, table, "tbody") {
            dom.element_children(table).next().unwrap_or(table)
        } else {
            table
        };
        if !single_tag_inside(dom, tbody, "tr") {
            continue;
        }
        let Some(row) = dom.element_children(tbody).next() else {
            continue;
        };
        if !single_tag_inside(dom, row, "td") {
            continue;
        }
        let Some(cell) = dom.element_children(row).next() else {
            continue;
        };
        let all_phrasing = dom.children(cell).all(|c| is_phrasing(dom, c));
        dom.set_tag(cell, if all_phrasing { "p" } else { "div" });
        dom.replace(table, cell);
    }
}

/// Exactly one element child, with tag `tag`, and no non-blank text.
pub(super) fn single_tag_inside(dom: &Dom, id: NodeId, tag: &str) -> bool {
    let mut kids = dom.element_children(id);
    let (Some(first), None) = (kids.next(), kids.next()) else {
        return false;
    };
    if dom.tag(first) != tag {
        return false;
    }
    !dom.children(id)
        .any(|c| dom.text(c).is_some_and(|t| !t.trim().is_empty()))
}

pub(super) fn has_block_child(dom: &Dom, id: NodeId) -> bool {
    dom.descendants(id).any(|n| BLOCK_CHILD.contains(&dom.tag(n)))
}

/// No text and only `<br>`/`<hr>` element content.
pub(super) fn is_without_content(dom: &Dom, id: NodeId) -> bool {
    if dom.has_text(id) {
        return false;
    }
    let kids = dom.element_children(id).count();
    kids == 0 || kids == dom.count_tag(id, &["br", "hr"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brs_become_paragraphs() {
        let mut dom = Dom::parse("<div>one<br><br>two<br>still two<br> <br>three</div>");
        let body = dom.body().unwrap();
        prep_document(&mut dom, body);
        let ps: Vec<String> = dom
            .elements_by_tag(body, &["p"])
            .into_iter()
            .map(|p| dom.inner_text(p))
            .collect();
        assert_eq!(ps, vec!["twostill two", "three"]);
    }

    #[test]
    fn link_lists_are_cleaned() {
        let mut dom = Dom::parse(
            "<div id=a><p>Some real text, with commas, and sentences that go on for a while.</p>\
             <div><a href=/x>Link one</a> <a href=/y>Link two</a></div></div>",
        );
        let body = dom.body().unwrap();
        let a = dom.first_by_tag("div").unwrap();
        let dt = mark_data_tables(&dom, a);
        clean_conditionally(&mut dom, a, "div", Flags::all(), &dt);
        let text = dom.inner_text(body);
        assert!(text.contains("real text"));
        assert!(!text.contains("Link one"));
    }
}
