//! Does the page look like an article? A cheap check on the parsed page
//! (enough long visible paragraphs outside page furniture), combined by
//! the caller with the size of the extraction result.

use std::collections::HashSet;

use super::dom::{Dom, NodeId, ROOT};
use super::patterns;

const MIN_PARAGRAPH_CHARS: usize = 140;
const MIN_SCORE: f64 = 20.0;
/// Minimum extracted article length (characters) for a readerable page.
pub(super) const MIN_ARTICLE_CHARS: usize = 500;

/// Sum of sqrt(len - 140) over long paragraphs exceeds 20.
pub(super) fn probably_readerable(dom: &Dom) -> bool {
    let mut nodes: Vec<NodeId> = dom.elements_by_tag(ROOT, &["p", "pre", "article"]);
    let mut seen: HashSet<NodeId> = nodes.iter().copied().collect();
    for br in dom.elements_by_tag(ROOT, &["br"]) {
        if let Some(p) = dom.parent(br)
            && dom.tag(p) == "div"
            && seen.insert(p)
        {
            nodes.push(p);
        }
    }
    let mut score = 0.0;
    for n in nodes {
        if patterns::is_unlikely(&dom.match_string(n)) {
            continue;
        }
        if dom.tag(n) == "p" && dom.has_ancestor_tag(n, "li", None, |_| true) {
            continue;
        }
        let len = dom.text_content(n).trim().chars().count();
        if len < MIN_PARAGRAPH_CHARS {
            continue;
        }
        score += ((len - MIN_PARAGRAPH_CHARS) as f64).sqrt();
        if score > MIN_SCORE {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::{ExtractOptions, extract};
    use super::*;

    fn article_html() -> String {
        let para = "This is a long paragraph of article text, written in full sentences, \
                    which goes on and on about a single topic so that it looks like the body \
                    of a story that someone would actually want to read in a reader view.";
        format!(
            "<html><body><nav><a href=/>Home</a> <a href=/news>News</a></nav>\
             <article><h1>Story</h1>{}</article><footer>(c) Site</footer></body></html>",
            format!("<p>{para}</p>").repeat(6)
        )
    }

    fn home_html() -> String {
        let mut s = String::from("<html><body><div class=menu><a href=/>Home</a></div><main>");
        for i in 0..40 {
            s.push_str(&format!(
                "<div class=teaser><h3><a href=/story/{i}>Headline number {i}</a></h3>\
                 <p>Short teaser {i}.</p></div>"
            ));
        }
        s.push_str("</main><ul>");
        for i in 0..30 {
            s.push_str(&format!("<li><a href=/topic/{i}>Topic {i}</a></li>"));
        }
        s.push_str("</ul></body></html>");
        s
    }

    #[test]
    fn article_is_readerable() {
        assert!(probably_readerable(&Dom::parse(&article_html())));
        let a = extract(&article_html(), &ExtractOptions::default()).unwrap();
        assert!(a.readerable);
        assert!(!a.text.contains("Home"));
    }

    #[test]
    fn home_page_is_not_readerable() {
        assert!(!probably_readerable(&Dom::parse(&home_html())));
        let a = extract(&home_html(), &ExtractOptions::default()).unwrap();
        assert!(!a.readerable);
        assert!(!a.text.is_empty());
    }
}
