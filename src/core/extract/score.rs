//! Content scoring: find the element holding the article body.
//!
//! Paragraph-like elements score points for their length and commas, which
//! propagate (decaying) to their ancestors; the best ancestor, scaled by
//! link density, becomes the top candidate, and related siblings are
//! joined to it. When the result is short, the pass is repeated with fewer
//! heuristics and the longest result wins.

use super::clean::{self, Flags};
use super::dom::{Dom, NodeId};
use super::metadata::text_similarity;
use super::patterns;

/// Minimum article text length before heuristics are relaxed.
const CHAR_THRESHOLD: usize = 500;
const TOP_CANDIDATES: usize = 5;
/// Minimum text of a semantic container taken without scoring.
const SEMANTIC_MIN_CHARS: usize = 1000;
const TAGS_TO_SCORE: &[&str] = &["section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre"];

pub(super) struct Grabbed {
    pub dom: Dom,
    /// Container holding the joined article elements.
    pub article: NodeId,
    pub byline: Option<String>,
    pub dir: Option<String>,
}

struct Pass<'a> {
    dom: Dom,
    scores: Vec<Option<f64>>,
    flags: Flags,
    title: &'a str,
}

impl Pass<'_> {
    fn score(&self, id: NodeId) -> Option<f64> {
        self.scores.get(id).copied().flatten()
    }

    fn set_score(&mut self, id: NodeId, s: f64) {
        if self.scores.len() <= id {
            self.scores.resize(id + 1, None);
        }
        self.scores[id] = Some(s);
    }

    fn initialize(&mut self, id: NodeId) {
        let base = match self.dom.tag(id) {
            "div" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        let w = clean::class_weight(&self.dom, id, self.flags) as f64;
        self.set_score(id, base + w);
    }

    fn remove_and_next(&mut self, id: NodeId) -> Option<NodeId> {
        let next = self.dom.next_element(id, true);
        self.dom.remove(id);
        next
    }

    fn is_valid_byline(&self, id: NodeId, match_string: &str) -> bool {
        let d = &self.dom;
        let hinted = d.attr(id, "rel") == Some("author")
            || d.attr(id, "itemprop").is_some_and(|v| v.contains("author"))
            || patterns::is_byline_class(match_string);
        if !hinted {
            return false;
        }
        let len = d.text_content(id).trim().chars().count();
        len > 0 && len < 100
    }

    fn header_duplicates_title(&self, id: NodeId) -> bool {
        let tag = self.dom.tag(id);
        if tag != "h1" && tag != "h2" {
            return false;
        }
        let heading = self.dom.text_content(id);
        text_similarity(self.title, heading.trim()) > 0.75
    }

    /// Walk the document: drop clutter, turn text-only divs into
    /// paragraphs, and collect the elements to score.
    fn prepare(&mut self, byline: &mut Option<String>, look_for_byline: bool) -> Vec<NodeId> {
        let mut to_score = Vec::new();
        let mut remove_title_header = true;
        let mut node = self.dom.html();
        while let Some(n) = node {
            let tag = self.dom.tag(n).to_string();
            let ms = self.dom.match_string(n);

            if self.dom.attr(n, "aria-modal") == Some("true") && self.dom.attr(n, "role") == Some("dialog") {
                node = self.remove_and_next(n);
                continue;
            }
            if look_for_byline && byline.is_none() && self.is_valid_byline(n, &ms) {
                let name_node = self
                    .dom
                    .descendants(n)
                    .find(|&d| self.dom.attr(d, "itemprop").is_some_and(|v| v.contains("name")));
                let text = self.dom.text_content(name_node.unwrap_or(n));
                *byline = Some(text.trim().to_string());
                node = self.remove_and_next(n);
                continue;
            }
            if remove_title_header && self.header_duplicates_title(n) {
                remove_title_header = false;
                node = self.remove_and_next(n);
                continue;
            }
            if self.flags.strip_unlikely {
                let unlikely = patterns::is_unlikely(&ms)
                    && !self.dom.has_ancestor_tag(n, "table", Some(3), |_| true)
                    && !self.dom.has_ancestor_tag(n, "code", Some(3), |_| true)
                    && tag != "body"
                    && tag != "a";
                let role = self.dom.attr(n, "role").unwrap_or("");
                if unlikely || patterns::UNLIKELY_ROLES.contains(&role) {
                    node = self.remove_and_next(n);
                    continue;
                }
            }
            if matches!(
                tag.as_str(),
                "div" | "section" | "header" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            ) && clean::is_without_content(&self.dom, n)
            {
                node = self.remove_and_next(n);
                continue;
            }
            if TAGS_TO_SCORE.contains(&tag.as_str()) {
                to_score.push(n);
            }
            let mut cur = n;
            if tag == "div" {
                self.wrap_phrasing_runs(n);
                if clean::single_tag_inside(&self.dom, n, "p") && self.dom.link_density(n) < 0.25 {
                    let only = self.dom.element_children(n).next();
                    if let Some(p) = only {
                        self.dom.replace(n, p);
                        cur = p;
                        to_score.push(p);
                    }
                } else if !clean::has_block_child(&self.dom, n) {
                    self.dom.set_tag(n, "p");
                    to_score.push(n);
                }
            }
            node = self.dom.next_element(cur, false);
        }
        to_score
    }

    /// Wrap consecutive phrasing children of a div into `<p>` elements.
    fn wrap_phrasing_runs(&mut self, div: NodeId) {
        let mut child = self.dom.nodes[div].first_child;
        while let Some(c) = child {
            if !clean::is_phrasing(&self.dom, c) {
                child = self.dom.nodes[c].next;
                continue;
            }
            let mut run = Vec::new();
            let mut cur = Some(c);
            while let Some(x) = cur {
                if !clean::is_phrasing(&self.dom, x) {
                    break;
                }
                run.push(x);
                cur = self.dom.nodes[x].next;
            }
            let after = cur;
            let is_ws = |d: &Dom, x: NodeId| match d.text(x) {
                Some(t) => t.trim().is_empty(),
                None => d.tag(x) == "br",
            };
            let mut start = 0;
            let mut end = run.len();
            while start < end && is_ws(&self.dom, run[start]) {
                start += 1;
            }
            while end > start && is_ws(&self.dom, run[end - 1]) {
                end -= 1;
            }
            for &x in run[..start].iter().chain(run[end..].iter()) {
                self.dom.detach(x);
            }
            if start < end {
                let p = self.dom.create_element("p");
                match after {
                    Some(a) => self.dom.insert_before(a, p),
                    None => self.dom.append(div, p),
                }
                for &x in &run[start..end] {
                    self.dom.append(p, x);
                }
            }
            child = after;
        }
    }

    /// Score the collected elements; returns candidates in first-seen order.
    fn score_elements(&mut self, to_score: &[NodeId]) -> Vec<NodeId> {
        let mut candidates = Vec::new();
        for &el in to_score {
            let Some(parent) = self.dom.parent(el) else {
                continue;
            };
            if !self.dom.is_element(parent) {
                continue;
            }
            let len = self.dom.text_len(el);
            if len < 25 {
                continue;
            }
            let ancestors = self.dom.ancestors(el, 5);
            if ancestors.is_empty() {
                continue;
            }
            let commas = self.dom.commas(el);
            let content = 1.0 + (commas + 1) as f64 + (len / 100).min(3) as f64;
            for (level, &anc) in ancestors.iter().enumerate() {
                if !self.dom.is_element(anc) {
                    continue;
                }
                match self.dom.parent(anc) {
                    Some(p) if self.dom.is_element(p) => {}
                    _ => continue,
                }
                if self.score(anc).is_none() {
                    self.initialize(anc);
                    candidates.push(anc);
                }
                let divider = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f64 * 3.0,
                };
                let s = self.score(anc).unwrap_or(0.0) + content / divider;
                self.set_score(anc, s);
            }
        }
        candidates
    }

    fn is_body(&self, id: NodeId) -> bool {
        self.dom.tag(id) == "body"
    }

    /// Pick the top candidate; returns (top, created_container).
    fn choose_top(&mut self, candidates: &[NodeId], body: NodeId) -> NodeId {
        let mut top: Vec<NodeId> = Vec::new();
        for &c in candidates {
            let s = self.score(c).unwrap_or(0.0) * (1.0 - self.dom.link_density(c));
            self.set_score(c, s);
            let pos = top
                .iter()
                .position(|&t| s > self.score(t).unwrap_or(0.0))
                .unwrap_or(top.len());
            if pos < TOP_CANDIDATES {
                top.insert(pos, c);
                top.truncate(TOP_CANDIDATES);
            }
        }
        let first = top.first().copied();
        let Some(mut best) = first.filter(|&t| !self.is_body(t)) else {
            // Fall back to everything in the body.
            let div = self.dom.create_element("div");
            self.dom.move_children(body, div);
            self.dom.append(body, div);
            self.initialize(div);
            return div;
        };

        // Several near-equal candidates sharing an ancestor: use it.
        let best_score = self.score(best).unwrap_or(0.0);
        let alternatives: Vec<Vec<NodeId>> = top[1..]
            .iter()
            .filter(|&&t| best_score > 0.0 && self.score(t).unwrap_or(0.0) / best_score >= 0.75)
            .map(|&t| self.dom.ancestors(t, 0))
            .collect();
        if alternatives.len() >= 3 {
            let mut p = self.dom.parent(best);
            while let Some(anc) = p {
                if self.is_body(anc) || !self.dom.is_element(anc) {
                    break;
                }
                let containing = alternatives.iter().filter(|a| a.contains(&anc)).count();
                if containing >= 3 {
                    best = anc;
                    break;
                }
                p = self.dom.parent(anc);
            }
        }
        if self.score(best).is_none() {
            self.initialize(best);
        }

        // Climb while parents score better.
        let mut last = self.score(best).unwrap_or(0.0);
        let threshold = last / 3.0;
        let mut p = self.dom.parent(best);
        while let Some(anc) = p {
            if self.is_body(anc) || !self.dom.is_element(anc) {
                break;
            }
            let Some(ps) = self.score(anc) else {
                p = self.dom.parent(anc);
                continue;
            };
            if ps < threshold {
                break;
            }
            if ps > last {
                best = anc;
                break;
            }
            last = ps;
            p = self.dom.parent(anc);
        }

        // An only child: use the parent so sibling joining sees more.
        while let Some(par) = self.dom.parent(best) {
            if self.is_body(par) || !self.dom.is_element(par) || self.dom.element_children(par).count() != 1 {
                break;
            }
            best = par;
        }
        if self.score(best).is_none() {
            self.initialize(best);
        }
        best
    }

    /// Gather the top candidate and related siblings into a new container.
    fn join_siblings(&mut self, top: NodeId) -> NodeId {
        let article = self.dom.create_element("div");
        let top_score = self.score(top).unwrap_or(0.0);
        let threshold = (top_score * 0.2).max(10.0);
        let top_class = self.dom.attr(top, "class").unwrap_or("").to_string();
        let Some(parent) = self.dom.parent(top) else {
            self.dom.append(article, top);
            return article;
        };
        let siblings: Vec<NodeId> = self.dom.element_children(parent).collect();
        for sib in siblings {
            let append = if sib == top {
                true
            } else {
                let bonus = if !top_class.is_empty() && self.dom.attr(sib, "class").unwrap_or("") == top_class {
                    top_score * 0.2
                } else {
                    0.0
                };
                match self.score(sib) {
                    Some(s) if s + bonus >= threshold => true,
                    _ if self.dom.tag(sib) == "p" => {
                        let ld = self.dom.link_density(sib);
                        let len = self.dom.text_len(sib);
                        (len > 80 && ld < 0.25)
                            || (len < 80 && len > 0 && ld == 0.0 && has_sentence_end(&self.dom.inner_text(sib)))
                    }
                    _ => false,
                }
            };
            if append {
                if !matches!(self.dom.tag(sib), "div" | "article" | "section" | "p" | "ol" | "ul") {
                    self.dom.set_tag(sib, "div");
                }
                self.dom.append(article, sib);
            }
        }
        article
    }
}

fn has_sentence_end(text: &str) -> bool {
    text.ends_with('.') || text.contains(". ")
}

/// Shortcut: a single substantial `[itemprop=articleBody]`, else a single
/// `<article>`, else a single `<main>`, with little link text. Several of a
/// kind (a listing page) make the page ambiguous and disable the shortcut.
fn semantic_container(dom: &Dom, body: NodeId) -> Option<NodeId> {
    type Pred = fn(&Dom, NodeId) -> bool;
    let kinds: [Pred; 3] = [
        |d, n| {
            d.attr(n, "itemprop")
                .is_some_and(|v| v.split_whitespace().any(|t| t == "articleBody"))
        },
        |d, n| d.tag(n) == "article",
        |d, n| d.tag(n) == "main",
    ];
    for pred in kinds {
        let mut found = dom.descendants(body).filter(|&n| pred(dom, n));
        let (Some(first), second) = (found.next(), found.next()) else {
            continue;
        };
        if second.is_some() {
            return None;
        }
        let len = dom.text_len(first);
        if len >= SEMANTIC_MIN_CHARS && dom.link_density(first) < 0.25 {
            return Some(first);
        }
        return None;
    }
    None
}

/// Find the article. `title` is used to drop a heading repeating it;
/// `look_for_byline` enables byline detection in the markup.
/// One extraction pass over a copy of `base`. With `semantic`, the
/// semantic container (when there is one) replaces the scored top candidate.
fn attempt(
    base: &Dom,
    title: &str,
    flags: Flags,
    byline: &mut Option<String>,
    look_for_byline: bool,
    semantic: bool,
) -> Option<(Grabbed, usize)> {
    let mut pass = Pass {
        dom: base.clone(),
        scores: Vec::new(),
        flags,
        title,
    };
    let body = pass.dom.body()?;
    let to_score = pass.prepare(byline, look_for_byline);
    let candidates = pass.score_elements(&to_score);
    let top = if semantic {
        let n = semantic_container(&pass.dom, body)?;
        if pass.score(n).is_none() {
            pass.initialize(n);
        }
        n
    } else {
        pass.choose_top(&candidates, body)
    };
    let parent_of_top = pass.dom.parent(top);
    let article = pass.join_siblings(top);
    clean::prep_article(&mut pass.dom, article, flags);

    let mut dir = None;
    if let Some(p) = parent_of_top {
        let mut chain = vec![p, top];
        chain.extend(pass.dom.ancestors(p, 0));
        dir = chain
            .into_iter()
            .find_map(|a| pass.dom.attr(a, "dir").filter(|d| !d.is_empty()))
            .map(str::to_string);
    }
    let len = pass.dom.text_len(article);
    let grabbed = Grabbed {
        dom: pass.dom,
        article,
        byline: byline.clone(),
        dir,
    };
    Some((grabbed, len))
}

/// Find the article. `title` is used to drop a heading repeating it;
/// `look_for_byline` enables byline detection in the markup.
///
/// Scoring runs first; when its result is short, the heuristics are relaxed
/// one by one; a single semantic container (`[itemprop=articleBody]`,
/// `<article>`, `<main>`) competes as one more attempt, and the longest
/// result wins. (Preferring the semantic container over scoring outright
/// was measured to lose content on real pages.)
pub(super) fn grab_article(base: &Dom, title: &str, look_for_byline: bool) -> Option<Grabbed> {
    let mut flags = Flags::all();
    let mut byline: Option<String> = None;
    let mut attempts: Vec<(Grabbed, usize)> = Vec::new();
    loop {
        let (grabbed, len) = attempt(base, title, flags, &mut byline, look_for_byline, false)?;
        if len >= CHAR_THRESHOLD {
            return Some(grabbed);
        }
        attempts.push((grabbed, len));
        if !flags.relax() {
            break;
        }
    }
    if let Some(sem) = attempt(base, title, Flags::all(), &mut byline, look_for_byline, true) {
        attempts.push(sem);
    }
    // Longest attempt (first one on ties).
    let mut best: Option<(Grabbed, usize)> = None;
    for (g, len) in attempts {
        if best.as_ref().is_none_or(|(_, l)| len > *l) {
            best = Some((g, len));
        }
    }
    let (mut g, len) = best?;
    if len == 0 {
        return None;
    }
    g.byline = byline;
    Some(g)
}
