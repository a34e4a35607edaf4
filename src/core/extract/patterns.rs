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

/// A keyword list with, per first byte, the bit set of the keywords
/// starting with it: substring checks then cost one table look-up per
/// byte of the haystack.
struct Keywords {
    words: &'static [&'static str],
    by_first: [u64; 256],
}

impl Keywords {
    const fn new(words: &'static [&'static str]) -> Keywords {
        assert!(words.len() <= 64);
        let mut by_first = [0u64; 256];
        let mut i = 0;
        while i < words.len() {
            by_first[words[i].as_bytes()[0] as usize] |= 1 << i;
            i += 1;
        }
        Keywords { words, by_first }
    }

    /// Whether any keyword occurs in `s` (same as `str::contains`).
    fn any_in(&self, s: &str) -> bool {
        let b = s.as_bytes();
        for i in 0..b.len() {
            let mut mask = self.by_first[b[i] as usize];
            while mask != 0 {
                let k = mask.trailing_zeros() as usize;
                if b[i..].starts_with(self.words[k].as_bytes()) {
                    return true;
                }
                mask &= mask - 1;
            }
        }
        false
    }
}

static UNLIKELY_KW: Keywords = Keywords::new(UNLIKELY);
static MAYBE_KW: Keywords = Keywords::new(MAYBE);
static POSITIVE_KW: Keywords = Keywords::new(POSITIVE);
static NEGATIVE_KW: Keywords = Keywords::new(NEGATIVE);
static BYLINE_KW: Keywords = Keywords::new(BYLINE);

/// `s.to_lowercase()`, passed to `f`; ASCII input is lowered in a stack
/// buffer without allocating.
fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 128];
    if s.len() <= buf.len() && s.is_ascii() {
        let out = &mut buf[..s.len()];
        out.copy_from_slice(s.as_bytes());
        out.make_ascii_lowercase();
        // ASCII in, ASCII out.
        return f(std::str::from_utf8(out).unwrap_or_default());
    }
    f(&s.to_lowercase())
}

pub(super) fn is_unlikely(match_string: &str) -> bool {
    if match_string.trim().is_empty() {
        return false;
    }
    with_lowercase(match_string, |s| UNLIKELY_KW.any_in(s) && !MAYBE_KW.any_in(s))
}

pub(super) fn is_byline_class(match_string: &str) -> bool {
    if match_string.trim().is_empty() {
        return false;
    }
    with_lowercase(match_string, |s| BYLINE_KW.any_in(s))
}

fn is_negative(s: &str) -> bool {
    if NEGATIVE_KW.any_in(s) {
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
        with_lowercase(v, |s| {
            if is_negative(s) {
                w -= 25;
            }
            if POSITIVE_KW.any_in(s) {
                w += 25;
            }
        });
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
        assert!(is_unlikely("Site-FOOTER x"));
        assert!(is_unlikely("ｘ site-footer"));
        assert!(is_byline_class("Byline"));
        assert_eq!(class_weight(Some("PROMO"), Some("Hid")), -50);
    }
}
