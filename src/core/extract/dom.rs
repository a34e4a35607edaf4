//! Arena DOM: html5ever parses into our own tree sink ([`sink`]), whose
//! final tree is copied into a flat vector of nodes linked by indices,
//! keeping only what the extractor reads. Every walk here is iterative, and
//! the tree depth is capped while copying so no later pass can go deeper
//! than [`MAX_DEPTH`].

mod sink;

use std::cell::Cell;
use std::rc::Rc;

use html5ever::tendril::TendrilSink;

/// Index of a node in [`Dom::nodes`].
pub(super) type NodeId = usize;

/// The document node is always the first one.
pub(super) const ROOT: NodeId = 0;

/// Elements nested deeper than this are re-attached to their ancestor at
/// this depth (browsers cap the parser's tree depth in a similar way).
pub(super) const MAX_DEPTH: usize = 400;

/// The depth given on the copy stack to the end of an element whose children were re-attached beside it.
const CLOSE: usize = usize::MAX;

/// Elements dropped while copying the tree: never readable text.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "frame", "frameset", "object", "embed", "input",
    "select", "textarea", "button", "option", "optgroup", "datalist", "canvas", "audio", "video", "noembed",
    "noframes", "link", "dialog", "portal", "applet", "param", "source", "track", "map", "area",
];

/// Attributes the extractor reads; others are not copied into the arena.
const KEPT_ATTRS: &[&str] = &[
    "aria-hidden",
    "aria-modal",
    "class",
    "colspan",
    "content",
    "data-scout-node",
    "datatable",
    "dir",
    "hidden",
    "href",
    "http-equiv",
    "id",
    "itemprop",
    "itemtype",
    "lang",
    "name",
    "property",
    "rel",
    "role",
    "rowspan",
    "style",
    "summary",
    "type",
    "xml:lang",
];

/// Attributes of an element (only [`KEPT_ATTRS`]); shared between the
/// copies of the tree made for the scoring attempts.
pub(super) type Attrs = Rc<[(&'static str, String)]>;

/// Node payloads are reference-counted: the tree is cloned for every
/// scoring attempt, and names, attributes and text never change in place.
#[derive(Clone, Debug)]
pub(super) enum Data {
    Document,
    Element { name: Rc<str>, attrs: Attrs },
    Text(Rc<str>),
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub data: Data,
    pub parent: Option<NodeId>,
    pub first_child: Option<NodeId>,
    pub last_child: Option<NodeId>,
    pub prev: Option<NodeId>,
    pub next: Option<NodeId>,
    /// Cached text summary of the subtree; see [`TextSum`].
    sum: Cell<TextSum>,
}

/// Summary of the text under a node, enough to combine siblings: the
/// whitespace-collapsed length is `nonws + words - 1`. Cached per node and
/// invalidated (for the node and its ancestors) by every tree mutation;
/// invalid nodes always have invalid ancestors, so invalidation stops at
/// the first invalid one.
#[derive(Clone, Copy, Debug, Default)]
struct TextSum {
    /// Non-whitespace characters.
    nonws: u32,
    /// Runs of non-whitespace characters.
    words: u32,
    /// `text_len` of `<a>` descendants (nested ones counted again): plain
    /// links, and in-page `#anchor` links.
    link: u32,
    anchor_link: u32,
    /// Characters matching [`is_comma`], and plain ASCII commas.
    commas: u32,
    ascii_commas: u32,
    flags: u8,
}

const SUM_VALID: u8 = 1;
const SUM_NONEMPTY: u8 = 2;
const SUM_STARTS_WORD: u8 = 4;
const SUM_ENDS_WORD: u8 = 8;

/// Commas of any script (Latin, Arabic, CJK, ...).
pub(super) fn is_comma(c: char) -> bool {
    matches!(
        c,
        '\u{002C}'
            | '\u{060C}'
            | '\u{FE50}'
            | '\u{FE10}'
            | '\u{FE11}'
            | '\u{2E41}'
            | '\u{2E34}'
            | '\u{2E32}'
            | '\u{FF0C}'
    )
}

impl TextSum {
    fn of_text(s: &str) -> TextSum {
        let mut t = TextSum {
            flags: SUM_VALID,
            ..TextSum::default()
        };
        if s.is_empty() {
            return t;
        }
        t.flags |= SUM_NONEMPTY;
        let mut prev_ws = true;
        if s.is_ascii() {
            let b = s.as_bytes();
            if !(b[0].is_ascii_whitespace() || b[0] == 0x0B) {
                t.flags |= SUM_STARTS_WORD;
            }
            for &c in b {
                let ws = c.is_ascii_whitespace() || c == 0x0B;
                t.nonws += u32::from(!ws);
                t.words += u32::from(!ws && prev_ws);
                t.commas += u32::from(c == b',');
                prev_ws = ws;
            }
            t.ascii_commas = t.commas;
        } else {
            for (i, c) in s.chars().enumerate() {
                let ws = c.is_whitespace();
                if i == 0 && !ws {
                    t.flags |= SUM_STARTS_WORD;
                }
                t.nonws += u32::from(!ws);
                t.words += u32::from(!ws && prev_ws);
                t.commas += u32::from(is_comma(c));
                t.ascii_commas += u32::from(c == ',');
                prev_ws = ws;
            }
        }
        if !prev_ws {
            t.flags |= SUM_ENDS_WORD;
        }
        t
    }

    /// The summary of `self` followed by `o` (link counts are not touched).
    fn concat(mut self, o: TextSum) -> TextSum {
        if o.flags & SUM_NONEMPTY == 0 {
            return self;
        }
        if self.flags & SUM_NONEMPTY == 0 {
            self.flags = (self.flags & SUM_VALID) | (o.flags & !SUM_VALID);
            self.nonws = o.nonws;
            self.words = o.words;
            self.commas = o.commas;
            self.ascii_commas = o.ascii_commas;
            return self;
        }
        let joined = self.flags & SUM_ENDS_WORD != 0 && o.flags & SUM_STARTS_WORD != 0;
        self.nonws += o.nonws;
        self.words = self.words + o.words - u32::from(joined);
        self.commas += o.commas;
        self.ascii_commas += o.ascii_commas;
        self.flags = (self.flags & (SUM_VALID | SUM_NONEMPTY | SUM_STARTS_WORD)) | (o.flags & SUM_ENDS_WORD);
        self
    }

    fn len(self) -> usize {
        (self.nonws + self.words.saturating_sub(1)) as usize
    }
}

#[derive(Clone, Debug)]
pub(super) struct Dom {
    pub nodes: Vec<Node>,
    /// Raw text of `<script type="application/ld+json">` blocks.
    pub jsonld: Vec<String>,
}

/// Whether an element is hidden by its own attributes.
pub(super) fn is_hidden(attrs: &[(&str, String)]) -> bool {
    let get = |n: &str| attrs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
    if get("hidden").is_some() {
        return true;
    }
    if get("aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        && !get("class").is_some_and(|c| c.contains("fallback-image"))
    {
        return true;
    }
    if let Some(style) = get("style") {
        for decl in style.split(';') {
            let mut kv = decl.splitn(2, ':');
            let key = kv.next().unwrap_or("").trim().to_ascii_lowercase();
            let val = kv.next().unwrap_or("").trim().to_ascii_lowercase();
            let val = val.trim_end_matches("!important").trim();
            if (key == "display" && val == "none") || (key == "visibility" && val == "hidden") {
                return true;
            }
        }
    }
    false
}

impl Dom {
    fn empty() -> Self {
        Dom {
            nodes: vec![Node {
                data: Data::Document,
                parent: None,
                first_child: None,
                last_child: None,
                prev: None,
                next: None,
                sum: Cell::default(),
            }],
            jsonld: Vec::new(),
        }
    }

    /// Parse HTML with html5ever into the arena.
    pub fn parse(html: &str) -> Dom {
        html5ever::parse_document(sink::Sink::new(html.len()), Default::default()).one(html)
    }

    pub fn create(&mut self, data: Data) -> NodeId {
        self.nodes.push(Node {
            data,
            parent: None,
            first_child: None,
            last_child: None,
            prev: None,
            next: None,
            sum: Cell::default(),
        });
        self.nodes.len() - 1
    }

    pub fn create_element(&mut self, name: &str) -> NodeId {
        self.create(Data::Element {
            name: Rc::from(name),
            attrs: Rc::new([]),
        })
    }

    pub fn tag(&self, id: NodeId) -> &str {
        match &self.nodes[id].data {
            Data::Element { name, .. } => name,
            _ => "",
        }
    }

    pub fn is_element(&self, id: NodeId) -> bool {
        matches!(self.nodes[id].data, Data::Element { .. })
    }

    pub fn text(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn set_tag(&mut self, id: NodeId, new: &str) {
        if let Data::Element { name, .. } = &mut self.nodes[id].data {
            *name = Rc::from(new);
        }
        // Link totals of the ancestors depend on the tag.
        self.invalidate(self.nodes[id].parent);
    }

    /// Drop the cached summaries of `from` and its ancestors.
    fn invalidate(&self, from: Option<NodeId>) {
        let mut cur = from;
        while let Some(n) = cur {
            let cell = &self.nodes[n].sum;
            if cell.get().flags & SUM_VALID == 0 {
                break;
            }
            cell.set(TextSum::default());
            cur = self.nodes[n].parent;
        }
    }

    /// The (cached) text summary of `id`, computed bottom-up for the
    /// invalid part of its subtree.
    fn summary(&self, id: NodeId) -> TextSum {
        let s = self.nodes[id].sum.get();
        if s.flags & SUM_VALID != 0 {
            return s;
        }
        let mut stack: Vec<(NodeId, bool)> = vec![(id, false)];
        while let Some((n, expanded)) = stack.pop() {
            let node = &self.nodes[n];
            if expanded {
                let mut acc = TextSum {
                    flags: SUM_VALID,
                    ..TextSum::default()
                };
                for c in self.children(n) {
                    let cs = self.nodes[c].sum.get();
                    acc = acc.concat(cs);
                    acc.link += cs.link;
                    acc.anchor_link += cs.anchor_link;
                    if let Data::Element { name, attrs } = &self.nodes[c].data
                        && &**name == "a"
                    {
                        let href = attrs.iter().find(|(k, _)| *k == "href").map(|(_, v)| v.as_str());
                        match href {
                            Some(h) if h.starts_with('#') && h.len() > 1 => acc.anchor_link += cs.len() as u32,
                            _ => acc.link += cs.len() as u32,
                        }
                    }
                }
                node.sum.set(acc);
                continue;
            }
            if node.sum.get().flags & SUM_VALID != 0 {
                continue;
            }
            if let Data::Text(t) = &node.data {
                node.sum.set(TextSum::of_text(t));
                continue;
            }
            stack.push((n, true));
            let mut c = node.first_child;
            while let Some(x) = c {
                if self.nodes[x].sum.get().flags & SUM_VALID == 0 {
                    stack.push((x, false));
                }
                c = self.nodes[x].next;
            }
        }
        self.nodes[id].sum.get()
    }

    pub fn attr(&self, id: NodeId, key: &str) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { attrs, .. } => attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str()),
            _ => None,
        }
    }

    /// `class + " " + id`, as used by the class/id heuristics.
    pub fn match_string(&self, id: NodeId) -> String {
        let (class, ident) = (self.attr(id, "class"), self.attr(id, "id"));
        if class.is_none() && ident.is_none() {
            return String::from(" ");
        }
        let mut s = self.attr(id, "class").unwrap_or("").to_string();
        s.push(' ');
        s.push_str(self.attr(id, "id").unwrap_or(""));
        s
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.nodes[id].parent
    }

    pub fn children(&self, id: NodeId) -> Siblings<'_> {
        Siblings {
            dom: self,
            cur: self.nodes[id].first_child,
        }
    }

    pub fn element_children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id).filter(move |&c| self.is_element(c))
    }

    pub fn next_element_sibling(&self, id: NodeId) -> Option<NodeId> {
        let mut cur = self.nodes[id].next;
        while let Some(c) = cur {
            if self.is_element(c) {
                return Some(c);
            }
            cur = self.nodes[c].next;
        }
        None
    }

    /// Pre-order walk of all nodes under `root` (excluding `root`).
    pub fn descendants(&self, root: NodeId) -> Descendants<'_> {
        Descendants {
            dom: self,
            root,
            next: self.nodes[root].first_child,
        }
    }

    /// Elements under `root` (excluding it) whose tag is in `tags`, in document order.
    pub fn elements_by_tag(&self, root: NodeId, tags: &[&str]) -> Vec<NodeId> {
        self.descendants(root)
            .filter(|&n| {
                let t = self.tag(n);
                !t.is_empty() && tags.contains(&t)
            })
            .collect()
    }

    pub fn count_tag(&self, root: NodeId, tags: &[&str]) -> usize {
        self.descendants(root)
            .filter(|&n| {
                let t = self.tag(n);
                !t.is_empty() && tags.contains(&t)
            })
            .count()
    }

    /// Next element in document order; with `skip_children`, the subtree of
    /// `id` is skipped. Elements only.
    pub fn next_element(&self, id: NodeId, skip_children: bool) -> Option<NodeId> {
        if !skip_children && let Some(c) = self.element_children(id).next() {
            return Some(c);
        }
        let mut cur = id;
        loop {
            if let Some(s) = self.next_element_sibling(cur) {
                return Some(s);
            }
            cur = self.nodes[cur].parent?;
        }
    }

    pub fn detach(&mut self, id: NodeId) {
        let (parent, prev, next) = {
            let n = &self.nodes[id];
            (n.parent, n.prev, n.next)
        };
        self.invalidate(parent);
        if let Some(p) = prev {
            self.nodes[p].next = next;
        } else if let Some(par) = parent {
            self.nodes[par].first_child = next;
        }
        if let Some(n) = next {
            self.nodes[n].prev = prev;
        } else if let Some(par) = parent {
            self.nodes[par].last_child = prev;
        }
        let n = &mut self.nodes[id];
        n.parent = None;
        n.prev = None;
        n.next = None;
    }

    /// Remove an element from the tree. When it sat between siblings, a
    /// space is left in its place so the words around it do not run together.
    pub fn remove(&mut self, id: NodeId) {
        let n = &self.nodes[id];
        if n.parent.is_some() && n.prev.is_some() && n.next.is_some() {
            let space = self.create(Data::Text(Rc::from(" ")));
            self.replace(id, space);
        } else {
            self.detach(id);
        }
    }

    pub fn append(&mut self, parent: NodeId, child: NodeId) {
        self.detach(child);
        self.invalidate(Some(parent));
        let last = self.nodes[parent].last_child;
        self.nodes[child].parent = Some(parent);
        self.nodes[child].prev = last;
        if let Some(l) = last {
            self.nodes[l].next = Some(child);
        } else {
            self.nodes[parent].first_child = Some(child);
        }
        self.nodes[parent].last_child = Some(child);
    }

    pub fn insert_before(&mut self, reference: NodeId, new: NodeId) {
        let Some(parent) = self.nodes[reference].parent else {
            return;
        };
        self.detach(new);
        self.invalidate(Some(parent));
        let prev = self.nodes[reference].prev;
        self.nodes[new].parent = Some(parent);
        self.nodes[new].prev = prev;
        self.nodes[new].next = Some(reference);
        self.nodes[reference].prev = Some(new);
        if let Some(p) = prev {
            self.nodes[p].next = Some(new);
        } else {
            self.nodes[parent].first_child = Some(new);
        }
    }

    /// Put `new` where `old` is, detaching `old`.
    pub fn replace(&mut self, old: NodeId, new: NodeId) {
        if old == new {
            return;
        }
        self.insert_before(old, new);
        self.detach(old);
    }

    /// Move all children of `from` to the end of `to`.
    pub fn move_children(&mut self, from: NodeId, to: NodeId) {
        while let Some(c) = self.nodes[from].first_child {
            self.append(to, c);
        }
    }

    /// Concatenated text of all text nodes under `id` (textContent).
    pub fn text_content(&self, id: NodeId) -> String {
        if let Some(t) = self.text(id) {
            return t.to_string();
        }
        let mut s = String::new();
        for n in self.descendants(id) {
            if let Some(t) = self.text(n) {
                s.push_str(t);
            }
        }
        s
    }

    /// textContent, trimmed, runs of whitespace collapsed to one space.
    pub fn inner_text(&self, id: NodeId) -> String {
        normalize_ws(&self.text_content(id))
    }

    /// `inner_text(id).chars().count()` without allocating (cached).
    pub fn text_len(&self, id: NodeId) -> usize {
        self.summary(id).len()
    }

    /// Whether there is any non-whitespace text under `id`.
    pub fn has_text(&self, id: NodeId) -> bool {
        self.summary(id).nonws > 0
    }

    /// Number of whitespace-separated words under `id`.
    pub fn word_runs(&self, id: NodeId) -> usize {
        self.summary(id).words as usize
    }

    /// Characters matching [`is_comma`] under `id` (cached).
    pub fn commas(&self, id: NodeId) -> usize {
        self.summary(id).commas as usize
    }

    /// Plain ASCII commas under `id` (cached).
    pub fn ascii_commas(&self, id: NodeId) -> usize {
        self.summary(id).ascii_commas as usize
    }

    /// Share of the text under `id` that sits inside links (in-page
    /// `#anchors` count for less).
    pub fn link_density(&self, id: NodeId) -> f64 {
        let s = self.summary(id);
        let total = s.len();
        if total == 0 {
            return 0.0;
        }
        (s.link as f64 + s.anchor_link as f64 * 0.3) / total as f64
    }

    /// Whether an ancestor within `max_depth` levels (unbounded when `None`)
    /// has tag `tag` and satisfies `filter`.
    pub fn has_ancestor_tag(
        &self,
        id: NodeId,
        tag: &str,
        max_depth: Option<usize>,
        filter: impl Fn(NodeId) -> bool,
    ) -> bool {
        let mut depth = 0;
        let mut cur = id;
        while let Some(p) = self.nodes[cur].parent {
            if let Some(m) = max_depth
                && depth > m
            {
                return false;
            }
            if self.tag(p) == tag && filter(p) {
                return true;
            }
            cur = p;
            depth += 1;
        }
        false
    }

    pub fn ancestors(&self, id: NodeId, max: usize) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = id;
        while let Some(p) = self.nodes[cur].parent {
            out.push(p);
            if max > 0 && out.len() == max {
                break;
            }
            cur = p;
        }
        out
    }

    /// First element with this tag anywhere in the document.
    pub fn first_by_tag(&self, tag: &str) -> Option<NodeId> {
        self.descendants(ROOT).find(|&n| self.tag(n) == tag)
    }

    pub fn body(&self) -> Option<NodeId> {
        let html = self.element_children(ROOT).find(|&n| self.tag(n) == "html")?;
        self.element_children(html).find(|&n| self.tag(n) == "body")
    }

    pub fn html(&self) -> Option<NodeId> {
        self.element_children(ROOT).find(|&n| self.tag(n) == "html")
    }
}

pub(super) struct Siblings<'a> {
    dom: &'a Dom,
    cur: Option<NodeId>,
}

impl Iterator for Siblings<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let c = self.cur?;
        self.cur = self.dom.nodes[c].next;
        Some(c)
    }
}

pub(super) struct Descendants<'a> {
    dom: &'a Dom,
    root: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        let nodes = &self.dom.nodes;
        self.next = if let Some(c) = nodes[cur].first_child {
            Some(c)
        } else {
            let mut n = cur;
            loop {
                if n == self.root {
                    break None;
                }
                if let Some(s) = nodes[n].next {
                    break Some(s);
                }
                match nodes[n].parent {
                    Some(p) if p != self.root => n = p,
                    _ => break None,
                }
            }
        };
        Some(cur)
    }
}

/// Trim and collapse whitespace runs to a single space.
pub(super) fn normalize_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_after_a_too_deep_element_does_not_run_into_its_children() {
        // Found by tests/e2e/odd_pages.test.mjs: below MAX_DEPTH children are re-attached beside their element, and
        // the text after it merged with theirs ("…timber.Ten thousand levels deep").
        let deep = MAX_DEPTH + 20;
        let html = format!(
            "<body>{}<p>The hall is timber.</p>{}<p>Ten thousand levels deep.</p></body>",
            "<div>".repeat(deep),
            "</div>".repeat(deep)
        );
        let opts = crate::core::extract::ExtractOptions::default();
        let text = crate::core::extract::extract(&html, &opts).unwrap().text;
        assert!(
            text.contains("The hall is timber.") && text.contains("Ten thousand levels deep."),
            "{text}"
        );
        assert!(!text.contains("timber.Ten"), "{text}");
        // Both parsers build the same tree for it (the reference one is the tests' independent parse).
        assert_eq!(Dom::parse(&html).nodes.len(), reference_parse(&html).nodes.len());
    }

    #[test]
    fn parses_and_walks() {
        let dom = Dom::parse("<p>Hello <b>big</b> world</p><script>x()</script>");
        let body = dom.body().unwrap();
        assert_eq!(dom.inner_text(body), "Hello big world");
        assert_eq!(dom.text_len(body), 15);
    }

    #[test]
    fn cached_lengths_follow_mutations() {
        let reference = |dom: &Dom, id: NodeId| -> (usize, f64) {
            let total = dom.inner_text(id).chars().count();
            if total == 0 {
                return (0, 0.0);
            }
            let mut link = 0.0;
            for a in dom.elements_by_tag(id, &["a"]) {
                let coef = match dom.attr(a, "href") {
                    Some(h) if h.starts_with('#') && h.len() > 1 => 0.3,
                    _ => 1.0,
                };
                link += dom.inner_text(a).chars().count() as f64 * coef;
            }
            (total, link / total as f64)
        };
        let check = |dom: &Dom| {
            for n in dom.descendants(ROOT) {
                let (len, ld) = reference(dom, n);
                assert_eq!(dom.text_len(n), len);
                assert!((dom.link_density(n) - ld).abs() < 1e-9);
                assert_eq!(dom.has_text(n), len > 0);
                let text = dom.text_content(n);
                assert_eq!(dom.commas(n), text.chars().filter(|&c| is_comma(c)).count());
                assert_eq!(dom.ascii_commas(n), text.matches(',').count());
                assert_eq!(dom.word_runs(n), text.split_whitespace().count());
            }
        };
        let mut dom = Dom::parse(
            "<div> a, <a href=#x> b  c</a><p>d\u{a0}e،, <a href=/y>f</a></p>  </div><span> </span><i>g</i>\
             <ul><li>h <a href='#'>i</a></li><li> j</li></ul>",
        );
        check(&dom);
        let body = dom.body().unwrap();
        let p = dom.first_by_tag("p").unwrap();
        dom.remove(p);
        check(&dom);
        let li = dom.first_by_tag("li").unwrap();
        dom.append(body, li);
        check(&dom);
        let a = dom.first_by_tag("a").unwrap();
        dom.set_tag(a, "div");
        check(&dom);
        let i = dom.first_by_tag("i").unwrap();
        let ul = dom.first_by_tag("ul").unwrap();
        dom.insert_before(ul, i);
        dom.move_children(ul, body);
        check(&dom);
    }

    #[test]
    fn hidden_elements_are_dropped() {
        let dom = Dom::parse(
            "<p>a</p><p hidden>b</p><p aria-hidden=true>c</p><p style='display: none'>d</p>\
             <p style='visibility:hidden !important'>e</p><p style='color:red'>f</p>",
        );
        assert_eq!(dom.inner_text(dom.body().unwrap()), "af");
        // The adoption agency moves a misnested <p> out of the hidden <b>
        // or the dropped <video> it was first appended to (its earlier text
        // goes into a copy of the <b>): what counts is where nodes end up.
        let dom = Dom::parse("<b hidden><p>in b</b>after</p>");
        assert_eq!(dom.inner_text(dom.body().unwrap()), "after");
        let dom = Dom::parse("x<a href=1><video><p>out</a>y</p>z");
        assert_eq!(dom.inner_text(dom.body().unwrap()), "xoutyz");
    }

    #[test]
    fn deep_nesting_is_capped() {
        let html = "<div>".repeat(5000) + "x" + &"</div>".repeat(5000);
        let dom = Dom::parse(&html);
        let body = dom.body().unwrap();
        let mut max = 0;
        for n in dom.descendants(body) {
            max = max.max(dom.ancestors(n, 0).len());
        }
        assert!(max <= MAX_DEPTH + 3);
        assert_eq!(dom.inner_text(body), "x");
    }

    #[test]
    fn very_deep_trees_need_no_deep_stack() {
        // Nested tables keep html5ever's scope checks short, so this builds
        // a tree ~120k deep quickly; copying it into the arena and dropping
        // the working tree must not recurse.
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let html = "<table><tr><td>".repeat(30_000) + "x";
                let dom = Dom::parse(&html);
                let body = dom.body().unwrap();
                assert_eq!(dom.inner_text(body), "x");
                assert!(
                    dom.descendants(body)
                        .all(|n| dom.ancestors(n, 0).len() <= MAX_DEPTH + 3)
                );
            })
            .unwrap();
        handle.join().unwrap();
    }

    /// The parse as it was done before the tree sink: html5ever into an
    /// rcdom, then a filtered copy. The sink must build the same arena.
    fn reference_parse(html: &str) -> Dom {
        use markup5ever_rcdom::{Handle, NodeData, RcDom};
        use std::collections::HashMap;
        let rc = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
        let mut dom = Dom::empty();
        let mut stack: Vec<(Handle, NodeId, usize)> = Vec::new();
        for child in rc.document.children.borrow().iter().rev() {
            stack.push((child.clone(), ROOT, 0));
        }
        let mut names: HashMap<String, Rc<str>> = HashMap::new();
        while let Some((handle, parent, depth)) = stack.pop() {
            if depth == CLOSE {
                if let NodeData::Element { name, .. } = &handle.data {
                    let id = dom.create(Data::Element {
                        name: Rc::from((*name.local).to_ascii_lowercase()),
                        attrs: Rc::from(Vec::new()),
                    });
                    dom.append(parent, id);
                }
                continue;
            }
            match &handle.data {
                NodeData::Element { name, attrs, .. } => {
                    let tag = names
                        .entry(name.local.to_string())
                        .or_insert_with(|| Rc::from((*name.local).to_ascii_lowercase()))
                        .clone();
                    if &*tag != "script" && DROPPED.contains(&&*tag) {
                        continue;
                    }
                    let attrs: Vec<(&'static str, String)> = attrs
                        .borrow()
                        .iter()
                        .filter_map(|a| {
                            let key = KEPT_ATTRS.iter().find(|k| **k == &*a.name.local)?;
                            Some((*key, a.value.to_string()))
                        })
                        .collect();
                    if &*tag == "script" {
                        if attrs
                            .iter()
                            .any(|(k, v)| *k == "type" && v.trim().eq_ignore_ascii_case("application/ld+json"))
                        {
                            let mut s = String::new();
                            for c in handle.children.borrow().iter() {
                                if let NodeData::Text { contents } = &c.data {
                                    s.push_str(&contents.borrow());
                                }
                            }
                            dom.jsonld.push(s);
                        }
                        continue;
                    }
                    if !matches!(&*tag, "html" | "head" | "body") && is_hidden(&attrs) {
                        continue;
                    }
                    let id = dom.create(Data::Element {
                        name: tag,
                        attrs: Rc::from(attrs),
                    });
                    dom.append(parent, id);
                    let (p, d) = if depth >= MAX_DEPTH {
                        stack.push((handle.clone(), parent, CLOSE));
                        (parent, depth)
                    } else {
                        (id, depth + 1)
                    };
                    for c in handle.children.borrow().iter().rev() {
                        stack.push((c.clone(), p, d));
                    }
                }
                NodeData::Text { contents } => {
                    let text = contents.borrow();
                    if let Some(last) = dom.nodes[parent].last_child
                        && let Data::Text(prev) = &mut dom.nodes[last].data
                    {
                        *prev = Rc::from(format!("{prev}{text}"));
                        continue;
                    }
                    let id = dom.create(Data::Text(Rc::from(&**text)));
                    dom.append(parent, id);
                }
                _ => {}
            }
        }
        dom
    }

    fn assert_same_parse(html: &str) {
        let (got, want) = (Dom::parse(html), reference_parse(html));
        // Corpus pages are long: name the input by its start.
        let html: String = html.chars().take(300).collect();
        assert_eq!(got.jsonld, want.jsonld, "JSON-LD of {html:?}");
        assert_eq!(got.nodes.len(), want.nodes.len(), "node count of {html:?}");
        for (i, (g, w)) in got.nodes.iter().zip(&want.nodes).enumerate() {
            let links = |n: &Node| (n.parent, n.first_child, n.last_child, n.prev, n.next);
            assert_eq!(links(g), links(w), "links of node {i} of {html:?}");
            let same = match (&g.data, &w.data) {
                (Data::Document, Data::Document) => true,
                (Data::Text(a), Data::Text(b)) => a == b,
                (Data::Element { name: n1, attrs: a1 }, Data::Element { name: n2, attrs: a2 }) => n1 == n2 && a1 == a2,
                _ => false,
            };
            assert!(same, "node {i} of {html:?}: {:?} vs {:?}", g.data, w.data);
        }
    }

    #[test]
    fn same_arena_as_a_filtered_rcdom_on_tricky_markup() {
        for html in [
            // Adoption agency moving blocks out of a hidden or dropped element.
            "<b hidden><p>moved</b>after</p>",
            "x<a href=1><video><p>out</a>y</p>z",
            "<p><b><i>x</p>y</i>z</b>w",
            "<a href=1>1<div>2<a href=3>3</div>4</a>",
            "<b>1<p>2<b>3<p>4</b>5</p>6",
            "<i style='display:none'><div>a<b>b<p>c</i>d",
            "<nobr>a<nobr>b<div>c</nobr>d",
            // Foster parenting, also before a hidden table.
            "<table><tr><td>a</td></tr>text<b>bold</b><p>p</table>after",
            "a<table hidden>fost<tr><td>y</table>b",
            "<div>a<table style='visibility:hidden'><tr>x<td>y</table>b</div>",
            "<table><caption>c<tr><td>1<td>2<tr><th>h</table>",
            // Text merged around dropped elements and comments.
            "<p>a<!--c-->b<script>s()</script>c<style>x{}</style>d<span hidden>e</span>f</p>",
            "<p>a<b>b</b>c<svg><text>t</text></svg>d",
            // JSON-LD, reachable or not.
            "<head><script type='application/ld+json'>{\"a\":1}</script></head><p>x",
            "<script type=' Application/LD+JSON '>[1]</script><div hidden><script type=application/ld+json>2</script></div>",
            "<noscript><script type=application/ld+json>3</script></noscript><p>x",
            "<script type=application/ld+json>a</script><script>b</script><script type=text/javascript>c</script>",
            // Templates and foreign content.
            "<template><p>t</p></template><p>x</p><table><template><tr><td>in</template></table>",
            "<svg><foreignObject><p>x</p></foreignObject></svg><svg><clipPath><b>y</b></clipPath></svg>",
            "<math><annotation-xml encoding='text/html'><p>y</p></annotation-xml></math>z",
            "<math><mi><p>m</p></mi><mtext>t</mtext></math>",
            // Attributes added by later <html>/<body> tags; frameset.
            "<html lang=en><body class=x><p>a<html dir=rtl id=h><body id=y hidden class=z>b",
            "<body><frameset><frame></frameset>",
            "<frameset><frame><noframes><p>n</p></noframes></frameset>",
            // Forms, selects and raw text.
            "<form><select><option>o<b>x</select><button>b</button><textarea>t<p></textarea>ok</form>",
            "<title>T&amp;t</title><xmp><b>x</xmp><plaintext><b>rest",
            "<ul><li>1<li>2<li>3</ul><dl><dt>a<dd>b</dl>",
            "<p class=a id=b data-x=1 href=h aria-hidden=false role=r XML:LANG=x>p</p>",
            "<div aria-hidden=true class=fallback-image>kept</div><div aria-hidden=TRUE>gone</div>",
            "a\r\nb\rc\0d&nbsp;e&#x41;f&unknown;g",
            "",
        ] {
            assert_same_parse(html);
        }
        assert_same_parse(
            &("<div>".repeat(MAX_DEPTH + 50) + "a<p>b</p>c<span>d<i>e</i></span>" + &"</div>x".repeat(60)),
        );
        assert_same_parse(&("<b><p>".repeat(MAX_DEPTH) + "x"));
    }

    #[test]
    fn same_arena_as_a_filtered_rcdom_on_tag_soup() {
        const PIECES: &[&str] = &[
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<a href=x>",
            "</a>",
            "<nobr>",
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<div hidden>",
            "<span style='display:none'>",
            "</span>",
            "<table>",
            "</table>",
            "<tr>",
            "<td>",
            "</td>",
            "<caption>",
            "<tbody>",
            "<li>",
            "<ul>",
            "</ul>",
            "<h2>",
            "</h2>",
            "<form>",
            "</form>",
            "<select>",
            "<option>",
            "</select>",
            "<button>",
            "<video>",
            "</video>",
            "<svg>",
            "</svg>",
            "<math>",
            "<mi>",
            "<foreignObject>",
            "<desc>",
            "<template>",
            "</template>",
            "<script>x</script>",
            "<script type=application/ld+json>{}</script>",
            "<style>s</style>",
            "<noscript>n</noscript>",
            "<!--c-->",
            "<html lang=l>",
            "<body class=c>",
            "<frameset>",
            "<head>",
            "<title>t</title>",
            "<br>",
            "<img>",
            "<hr>",
            "<pre>",
            "\n",
            " ",
            "text",
            "more words",
            "&amp;",
            "<textarea>ta</textarea>",
        ];
        // A fixed xorshift sequence: deterministic, no test dependency.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = (next() % 60) as usize;
            let html: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            assert_same_parse(&html);
        }
    }

    #[test]
    fn same_arena_as_a_filtered_rcdom_on_the_corpus() {
        let entries = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability"))
            .expect("the corpus is in the repository");
        for e in entries.flatten() {
            if let Ok(html) = std::fs::read_to_string(e.path().join("source.html")) {
                assert_same_parse(&html);
            }
        }
    }
}
