//! Keyword heuristics on class/id strings, roles and tag groups.

/// Class/id fragments of page furniture that is rarely part of an article.
const UNLIKELY: &[&str] = &[
    "-ad-",
    "ad-break",
    "agegate",
    "ai2html",
    "banner",
    "breadcrumbs",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "pager",
    "pagination",
    "popup",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "yom-remote",
];

/// Fragments that rescue an otherwise unlikely element.
const MAYBE: &[&str] = &[
    "and", "article", "body", "column", "content", "main", "mathjax", "shadow",
];

const POSITIVE: &[&str] = &[
    "article",
    "blog",
    "body",
    "content",
    "entry",
    "h-entry",
    "hentry",
    "main",
    "page",
    "pagination",
    "post",
    "story",
    "text",
];

const NEGATIVE: &[&str] = &[
    "-ad-",
    "banner",
    "com-",
    "combx",
    "comment",
    "contact",
    "footer",
    "gdpr",
    "hidden",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "shopping",
    "sponsor",
    "tags",
    "widget",
];

const BYLINE: &[&str] = &["byline", "author", "dateline", "writtenby", "p-author"];

/// ARIA roles of navigation chrome and dialogs.
pub(super) const UNLIKELY_ROLES: &[&str] = &[
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
];

/// Children that make a `<div>` a block container rather than a paragraph.
pub(super) const BLOCK_CHILD: &[&str] = &["blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul"];

pub(super) const PHRASING: &[&str] = &[
    "abbr", "audio", "b", "bdo", "br", "button", "cite", "code", "data", "datalist", "dfn", "em", "embed", "i", "img",
    "input", "kbd", "label", "mark", "math", "meter", "noscript", "object", "output", "progress", "q", "ruby", "samp",
    "script", "select", "small", "span", "strong", "sub", "sup", "textarea", "time", "var", "wbr",
];

fn any_in(s: &str, list: &[&str]) -> bool {
    list.iter().any(|k| s.contains(k))
}

pub(super) fn is_unlikely(match_string: &str) -> bool {
    if match_string.trim().is_empty() {
        return false;
    }
    let s = match_string.to_lowercase();
    any_in(&s, UNLIKELY) && !any_in(&s, MAYBE)
}

pub(super) fn is_byline_class(match_string: &str) -> bool {
    if match_string.trim().is_empty() {
        return false;
    }
    any_in(&match_string.to_lowercase(), BYLINE)
}

fn is_negative(s: &str) -> bool {
    if any_in(s, NEGATIVE) {
        return true;
    }
    // A bare "hid" token (but not words merely containing it).
    s.split(' ').any(|w| w == "hid")
}

/// +25 / -25 per attribute (class and id) for positive / negative hints.
pub(super) fn class_weight(class: Option<&str>, id: Option<&str>) -> i32 {
    let mut w = 0;
    for v in [class, id].into_iter().flatten() {
        if v.is_empty() {
            continue;
        }
        let s = v.to_lowercase();
        if is_negative(&s) {
            w -= 25;
        }
        if any_in(&s, POSITIVE) {
            w += 25;
        }
    }
    w
}

/// `share` / `sharedaddy` as a word (delimited by non-alphanumerics or `_`).
pub(super) fn is_share(match_string: &str) -> bool {
    let s = match_string.to_lowercase();
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        if word == "share" || word == "sharedaddy" {
            return true;
        }
    }
    false
}

/// Text that is nothing but an advertising or "loading" label.
pub(super) fn is_ad_or_loading_label(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    let t = t.trim_end_matches('…').trim_end_matches("...");
    matches!(
        t,
        "ad" | "ads"
            | "advert"
            | "advertising"
            | "advertisement"
            | "pub"
            | "publicité"
            | "werbung"
            | "anzeige"
            | "广告"
            | "реклама"
            | "anuncio"
            | "loading"
            | "正在加载"
            | "загрузка"
            | "chargement"
            | "cargando"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(class_weight(Some("article-body"), None), 25);
        assert_eq!(class_weight(Some("sidebar"), Some("post")), 0);
        assert_eq!(class_weight(Some("hid"), None), -25);
        assert_eq!(class_weight(Some("hide-me"), None), 0);
        assert!(is_share("social share-buttons"));
        assert!(!is_share("shared-content"));
        assert!(is_unlikely("site-footer "));
        assert!(!is_unlikely("main-footer-content "));
    }
}
