//! The html5ever tree sink behind [`Dom::parse`].
//!
//! The tree builder's operations (appends, foster parenting, the adoption
//! agency's moves) run on a flat working tree of plain index-linked nodes.
//! Nodes are not filtered while parsing: an element that will be dropped
//! can still have part of its subtree moved out of it later (the adoption
//! agency moves a misnested block out of a hidden `<b>` or out of a
//! `<video>`), so whether a node survives is only known once the tree is
//! final. [`Tree::into_dom`] then copies the surviving nodes into the arena
//! [`Dom`] in document order, which applies the filters (dropped tags,
//! hidden elements, unread attributes), merges adjacent text and caps the
//! depth in one iterative pass.
//!
//! What can be skipped early is: the text of scripts and styles (see
//! [`SKIP_TEXT`]), comments, and the attributes of dropped tags. Tag names
//! are looked up once per distinct name; other elements keep the
//! tokenizer's attribute vector (moved, not copied) and only those that
//! reach the arena have theirs filtered and copied.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::StrTendril;
use html5ever::{Attribute, ExpandedName, LocalName, Namespace, QualName};

use super::{Attrs, CLOSE, DROPPED, Data, Dom, KEPT_ATTRS, MAX_DEPTH, NodeId, ROOT, is_hidden};

/// Index of a node in [`Tree::nodes`].
type Id = u32;

/// No node: a missing link, and the handle of comments and processing
/// instructions, which are never stored.
const NONE: Id = Id::MAX;

/// The document node of the working tree.
const DOCUMENT: Id = 0;

/// A node as the tree builder sees it. The element's name travels with the
/// handle so `elem_name`, which the tree builder calls for nearly every
/// scope check, can lend it without touching the tree.
#[derive(Clone)]
pub(super) struct Handle {
    id: Id,
    ns: Namespace,
    local: LocalName,
}

impl Handle {
    /// A handle to a node that is not an element.
    fn other(id: Id) -> Handle {
        Handle {
            id,
            ns: Namespace::default(),
            local: LocalName::default(),
        }
    }
}

/// What is done with an element (and its subtree) when copying into the
/// arena; decided once per distinct tag name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Keep,
    /// `html`, `head`, `body`: kept even when marked hidden.
    Structural,
    /// In [`DROPPED`]: never copied, nor anything under it.
    Dropped,
    /// Dropped too, but JSON-LD blocks are read first.
    Script,
}

struct Tag {
    /// Lowercased, shared by every element with this name.
    name: Rc<str>,
    role: Role,
}

/// `is_mathml_annotation_xml_integration_point`, asked by the tree builder.
const MATHML_IP: u8 = 1;
/// Text appended to this element is thrown away: a `<script>` (other than
/// JSON-LD) or `<style>`. Its text can never end up in the arena: text
/// nodes only change parent when the adoption agency moves the children of
/// its "furthest block" into a new element that it then appends to that
/// same block, and these elements are never a furthest block (in HTML they
/// are raw text, so no tags reach the tree builder while they are open; in
/// SVG they are not in html5ever's "special" set).
const SKIP_TEXT: u8 = 2;
/// A `<script type="application/ld+json">`.
const JSON_LD: u8 = 4;

enum Kind {
    /// The document, and the contents of a `<template>` (never reached
    /// from the document: templates are dropped).
    Root,
    Element {
        tag: u32,
        /// As given by the tokenizer; left empty for dropped tags.
        attrs: Vec<Attribute>,
        flags: u8,
    },
    Text(StrTendril),
}

struct Node {
    kind: Kind,
    parent: Id,
    first_child: Id,
    last_child: Id,
    prev: Id,
    next: Id,
}

impl Node {
    fn new(kind: Kind) -> Node {
        Node {
            kind,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            prev: NONE,
            next: NONE,
        }
    }
}

/// Hashes an atom by the hash it already carries (all `Hash` feeds is
/// that `u32`): a multiply spreads it, no need for SipHash.
#[derive(Default)]
struct AtomHasher(u64);

impl Hasher for AtomHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The working tree, mutated by the tree builder.
struct Tree {
    nodes: Vec<Node>,
    tags: Vec<Tag>,
    tag_ids: HashMap<LocalName, u32, BuildHasherDefault<AtomHasher>>,
    /// [`KEPT_ATTRS`] as atoms: comparing atoms is comparing two words.
    kept_attrs: Vec<(LocalName, &'static str)>,
    /// Reused while filtering an element's attributes.
    scratch: Vec<(&'static str, String)>,
}

fn is_json_ld(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| &*a.name.local == "type" && a.value.trim().eq_ignore_ascii_case("application/ld+json"))
}

impl Tree {
    fn new(capacity: usize) -> Tree {
        let mut nodes = Vec::with_capacity(capacity);
        nodes.push(Node::new(Kind::Root));
        Tree {
            nodes,
            tags: Vec::new(),
            tag_ids: HashMap::default(),
            kept_attrs: KEPT_ATTRS.iter().map(|&k| (LocalName::from(k), k)).collect(),
            scratch: Vec::new(),
        }
    }

    /// The arena's key for an attribute the extractor reads.
    fn kept_attr(&self, name: &LocalName) -> Option<&'static str> {
        self.kept_attrs.iter().find(|(a, _)| a == name).map(|&(_, k)| k)
    }

    fn push(&mut self, kind: Kind) -> Id {
        let id = self.nodes.len() as Id;
        self.nodes.push(Node::new(kind));
        id
    }

    fn tag_id(&mut self, local: &LocalName) -> u32 {
        if let Some(&t) = self.tag_ids.get(local) {
            return t;
        }
        let name: Rc<str> = Rc::from((**local).to_ascii_lowercase());
        let role = match &*name {
            "script" => Role::Script,
            "html" | "head" | "body" => Role::Structural,
            n if DROPPED.contains(&n) => Role::Dropped,
            _ => Role::Keep,
        };
        let t = self.tags.len() as u32;
        self.tags.push(Tag { name, role });
        self.tag_ids.insert(local.clone(), t);
        t
    }

    fn valid(&self, id: Id) -> bool {
        (id as usize) < self.nodes.len()
    }

    fn detach(&mut self, id: Id) {
        if !self.valid(id) {
            return;
        }
        let Node { parent, prev, next, .. } = self.nodes[id as usize];
        if parent == NONE {
            return;
        }
        if prev != NONE {
            self.nodes[prev as usize].next = next;
        } else {
            self.nodes[parent as usize].first_child = next;
        }
        if next != NONE {
            self.nodes[next as usize].prev = prev;
        } else {
            self.nodes[parent as usize].last_child = prev;
        }
        let n = &mut self.nodes[id as usize];
        n.parent = NONE;
        n.prev = NONE;
        n.next = NONE;
    }

    /// Link a parentless `child` as the last child of `parent`.
    fn link_last(&mut self, parent: Id, child: Id) {
        let last = self.nodes[parent as usize].last_child;
        let c = &mut self.nodes[child as usize];
        c.parent = parent;
        c.prev = last;
        if last != NONE {
            self.nodes[last as usize].next = child;
        } else {
            self.nodes[parent as usize].first_child = child;
        }
        self.nodes[parent as usize].last_child = child;
    }

    /// Link a parentless `new` just before `sibling`, which has a parent.
    fn link_before(&mut self, sibling: Id, new: Id) {
        let Node { parent, prev, .. } = self.nodes[sibling as usize];
        let n = &mut self.nodes[new as usize];
        n.parent = parent;
        n.prev = prev;
        n.next = sibling;
        self.nodes[sibling as usize].prev = new;
        if prev != NONE {
            self.nodes[prev as usize].next = new;
        } else {
            self.nodes[parent as usize].first_child = new;
        }
    }

    fn skips_text(&self, id: Id) -> bool {
        matches!(self.nodes[id as usize].kind, Kind::Element { flags, .. } if flags & SKIP_TEXT != 0)
    }

    fn append(&mut self, parent: Id, child: NodeOrText<Handle>) {
        if !self.valid(parent) {
            return;
        }
        match child {
            NodeOrText::AppendNode(h) => {
                if !self.valid(h.id) || h.id == parent {
                    return;
                }
                self.detach(h.id);
                self.link_last(parent, h.id);
            }
            NodeOrText::AppendText(text) => {
                if self.skips_text(parent) {
                    return;
                }
                // Not merged with a text node before it: that is done when
                // copying (it has to be done there anyway, around dropped
                // elements), once per run instead of once per chunk.
                let id = self.push(Kind::Text(text));
                self.link_last(parent, id);
            }
        }
    }

    fn append_before_sibling(&mut self, sibling: Id, child: NodeOrText<Handle>) {
        if !self.valid(sibling) {
            return;
        }
        let parent = self.nodes[sibling as usize].parent;
        if parent == NONE {
            return;
        }
        let new = match child {
            NodeOrText::AppendNode(h) => {
                if !self.valid(h.id) || h.id == sibling {
                    return;
                }
                self.detach(h.id);
                h.id
            }
            NodeOrText::AppendText(text) => {
                if self.skips_text(parent) {
                    return;
                }
                self.push(Kind::Text(text))
            }
        };
        self.link_before(sibling, new);
    }

    fn reparent_children(&mut self, from: Id, to: Id) {
        if !self.valid(from) || !self.valid(to) || from == to {
            return;
        }
        let mut c = self.nodes[from as usize].first_child;
        while c != NONE {
            let next = self.nodes[c as usize].next;
            // Never make a node its own child (the tree builder only ever
            // moves children into a new element).
            if c != to {
                self.detach(c);
                self.link_last(to, c);
            }
            c = next;
        }
    }

    /// Copy the final tree into the arena: dropped and hidden elements are
    /// skipped with their subtrees, only [`KEPT_ATTRS`] are copied, adjacent
    /// text is merged and elements nested deeper than [`MAX_DEPTH`] are
    /// re-attached to their ancestor at that depth. Nodes are created in
    /// document order, so the arena's ids follow it.
    fn into_dom(mut self) -> Dom {
        let mut dom = Dom::empty();
        dom.nodes.reserve(self.nodes.len());
        let no_attrs: Attrs = Rc::new([]);
        let no_text: Rc<str> = Rc::from("");
        let mut scratch = std::mem::take(&mut self.scratch);
        // (arena text node, working-tree text node): the text of each arena
        // text node is joined once all of its pieces are known.
        let mut pieces: Vec<(NodeId, Id)> = Vec::new();
        // (working-tree node, arena parent, depth)
        let mut stack: Vec<(Id, NodeId, usize)> = Vec::new();
        self.push_children(&mut stack, DOCUMENT, ROOT, 0);
        while let Some((id, parent, depth)) = stack.pop() {
            if depth == CLOSE {
                // The end of an element whose children were re-attached beside it: an empty element of the same
                // name after them keeps the element's boundary, so the text that follows does not run into theirs.
                if let Kind::Element { tag, .. } = &self.nodes[id as usize].kind {
                    let name = self.tags[*tag as usize].name.clone();
                    push_child(
                        &mut dom,
                        parent,
                        Data::Element {
                            name,
                            attrs: no_attrs.clone(),
                        },
                    );
                }
                continue;
            }
            match &self.nodes[id as usize].kind {
                Kind::Element { tag, attrs, flags } => {
                    let tag = &self.tags[*tag as usize];
                    match tag.role {
                        Role::Dropped => continue,
                        Role::Script => {
                            if flags & JSON_LD != 0 {
                                dom.jsonld.push(self.child_text(id));
                            }
                            continue;
                        }
                        Role::Keep | Role::Structural => {}
                    }
                    scratch.clear();
                    scratch.extend(
                        attrs
                            .iter()
                            .filter_map(|a| Some((self.kept_attr(&a.name.local)?, String::from(&*a.value)))),
                    );
                    if tag.role != Role::Structural && is_hidden(&scratch) {
                        continue;
                    }
                    // `Drain` knows its length: one allocation, no copy via a Vec.
                    let attrs = if scratch.is_empty() {
                        no_attrs.clone()
                    } else {
                        scratch.drain(..).collect()
                    };
                    let el = push_child(
                        &mut dom,
                        parent,
                        Data::Element {
                            name: tag.name.clone(),
                            attrs,
                        },
                    );
                    if depth >= MAX_DEPTH {
                        stack.push((id, parent, CLOSE));
                        self.push_children(&mut stack, id, parent, depth);
                    } else {
                        self.push_children(&mut stack, id, el, depth + 1);
                    }
                }
                Kind::Text(_) => match dom.nodes[parent].last_child {
                    // Adjacent text: chunks of one run, or text around a
                    // dropped element or a comment.
                    Some(last) if matches!(dom.nodes[last].data, Data::Text(_)) => pieces.push((last, id)),
                    _ => {
                        let t = push_child(&mut dom, parent, Data::Text(no_text.clone()));
                        pieces.push((t, id));
                    }
                },
                Kind::Root => {}
            }
        }
        // Pieces of one node are contiguous already (merging stops at the
        // first element appended in between); a stable sort keeps that true
        // cheaply whatever happens.
        pieces.sort_by_key(|&(node, _)| node);
        for run in pieces.chunk_by(|a, b| a.0 == b.0) {
            let text: Rc<str> = match run {
                [(_, one)] => Rc::from(self.text(*one)),
                _ => {
                    let mut s = String::with_capacity(run.iter().map(|&(_, p)| self.text(p).len()).sum());
                    for &(_, p) in run {
                        s.push_str(self.text(p));
                    }
                    Rc::from(s)
                }
            };
            dom.nodes[run[0].0].data = Data::Text(text);
        }
        dom
    }

    /// The text of a working-tree text node ("" for other nodes).
    fn text(&self, id: Id) -> &str {
        match &self.nodes[id as usize].kind {
            Kind::Text(t) => t,
            _ => "",
        }
    }

    /// Queue the children of `id` so they pop in document order.
    fn push_children(&self, stack: &mut Vec<(Id, NodeId, usize)>, id: Id, parent: NodeId, depth: usize) {
        let mut c = self.nodes[id as usize].last_child;
        while c != NONE {
            stack.push((c, parent, depth));
            c = self.nodes[c as usize].prev;
        }
    }

    /// The text children of `id`, concatenated.
    fn child_text(&self, id: Id) -> String {
        let mut s = String::new();
        let mut c = self.nodes[id as usize].first_child;
        while c != NONE {
            if let Kind::Text(t) = &self.nodes[c as usize].kind {
                s.push_str(t);
            }
            c = self.nodes[c as usize].next;
        }
        s
    }
}

/// Create a node as the last child of `parent` in an arena under
/// construction (no cached summaries to invalidate yet).
fn push_child(dom: &mut Dom, parent: NodeId, data: Data) -> NodeId {
    let id = dom.create(data);
    let last = dom.nodes[parent].last_child;
    let n = &mut dom.nodes[id];
    n.parent = Some(parent);
    n.prev = last;
    match last {
        Some(l) => dom.nodes[l].next = Some(id),
        None => dom.nodes[parent].first_child = Some(id),
    }
    dom.nodes[parent].last_child = Some(id);
    id
}

/// Builds the working tree; `TreeSink` methods take `&self`, hence the cell.
pub(super) struct Sink {
    tree: RefCell<Tree>,
}

impl Sink {
    /// `input_len` (bytes of HTML) sizes the node vector.
    pub(super) fn new(input_len: usize) -> Sink {
        // The corpus has a working-tree node per 10 to 300 bytes of markup,
        // 40 on the median page: size for that and let the vector grow.
        Sink {
            tree: RefCell::new(Tree::new(input_len / 40 + 16)),
        }
    }
}

impl TreeSink for Sink {
    type Handle = Handle;
    type Output = Dom;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> Dom {
        self.tree.into_inner().into_dom()
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Handle::other(DOCUMENT)
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        ExpandedName {
            ns: &target.ns,
            local: &target.local,
        }
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let mut tree = self.tree.borrow_mut();
        let tag = tree.tag_id(&name.local);
        let mut bits = 0;
        if flags.mathml_annotation_xml_integration_point {
            bits |= MATHML_IP;
        }
        let t = &tree.tags[tag as usize];
        let attrs = match t.role {
            Role::Script if is_json_ld(&attrs) => {
                bits |= JSON_LD;
                Vec::new()
            }
            Role::Script => {
                bits |= SKIP_TEXT;
                Vec::new()
            }
            Role::Dropped => {
                if &*t.name == "style" {
                    bits |= SKIP_TEXT;
                }
                Vec::new()
            }
            Role::Keep | Role::Structural => attrs,
        };
        let id = tree.push(Kind::Element {
            tag,
            attrs,
            flags: bits,
        });
        if flags.template {
            // The contents always sit right after their template.
            tree.push(Kind::Root);
        }
        Handle {
            id,
            ns: name.ns,
            local: name.local,
        }
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Handle::other(NONE)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Handle::other(NONE)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.tree.borrow_mut().append(parent.id, child);
    }

    fn append_based_on_parent_node(&self, element: &Handle, prev_element: &Handle, child: NodeOrText<Handle>) {
        let mut tree = self.tree.borrow_mut();
        let has_parent = tree.valid(element.id) && tree.nodes[element.id as usize].parent != NONE;
        if has_parent {
            tree.append_before_sibling(element.id, child);
        } else {
            tree.append(prev_element.id, child);
        }
    }

    fn append_doctype_to_document(&self, _name: StrTendril, _public_id: StrTendril, _system_id: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        let mut tree = self.tree.borrow_mut();
        let contents = target.id.wrapping_add(1);
        if tree.valid(target.id) && tree.valid(contents) && matches!(tree.nodes[contents as usize].kind, Kind::Root) {
            return Handle::other(contents);
        }
        // Not a template after all (the tree builder promises it is): a
        // detached root keeps whatever is put in it out of the document.
        Handle::other(tree.push(Kind::Root))
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        x.id == y.id
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        self.tree.borrow_mut().append_before_sibling(sibling.id, new_node);
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        let mut tree = self.tree.borrow_mut();
        if !tree.valid(target.id) {
            return;
        }
        if let Kind::Element { attrs: existing, .. } = &mut tree.nodes[target.id as usize].kind {
            for a in attrs {
                if !existing.iter().any(|e| e.name == a.name) {
                    existing.push(a);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.tree.borrow_mut().detach(target.id);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.tree.borrow_mut().reparent_children(node.id, new_parent.id);
    }

    // `maybe_clone_an_option_into_selectedcontent` keeps its default (no
    // copy): `<selectedcontent>` lives in a `<select>`, which is dropped.

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        let tree = self.tree.borrow();
        tree.valid(handle.id)
            && matches!(tree.nodes[handle.id as usize].kind, Kind::Element { flags, .. } if flags & MATHML_IP != 0)
    }
}
