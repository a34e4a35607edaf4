//! Pre-parse guard against pathological nesting.
//!
//! The HTML5 tree builder does scope checks that walk the stack of open
//! elements, so 100k unclosed `<div>`s cost O(n²). A cheap linear scan
//! estimates the nesting depth; only when it exceeds [`LIMIT`] are the
//! start/end tags beyond that depth removed (their text is kept), which
//! mirrors how the arena flattens deep trees anyway.

use std::borrow::Cow;

/// Depth (counting only elements that need an explicit end tag) beyond which
/// tags are dropped before parsing.
pub(super) const LIMIT: usize = 512;

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "frame", "basefont", "bgsound", "image",
];
const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "caption",
    "rb", "rt", "rtc", "rp", "html", "head", "body",
];
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

fn counted(name: &str) -> bool {
    !VOID.contains(&name) && !OPTIONAL_END.contains(&name) && !RAW_TEXT.contains(&name)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

/// Index of the `>` closing the tag that starts at `start`, skipping quoted
/// attribute values.
fn tag_end(b: &[u8], start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut prev_sig = 0u8;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => {
                if (c == b'"' || c == b'\'') && prev_sig == b'=' {
                    quote = Some(c);
                } else if c == b'>' {
                    return Some(i);
                }
                if !c.is_ascii_whitespace() {
                    prev_sig = c;
                }
            }
        }
        i += 1;
    }
    None
}

fn tag_name(b: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    (String::from_utf8_lossy(&b[start..i]).to_ascii_lowercase(), i)
}

/// Scan the markup; returns the estimated max depth and, when `rewrite`,
/// the markup with tags deeper than `limit` removed.
fn scan(html: &str, limit: usize, rewrite: bool) -> (usize, Option<String>) {
    let b = html.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut copied = 0usize;
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        let Some(off) = b[i..].iter().position(|&c| c == b'<') else {
            break;
        };
        let j = i + off;
        let b1 = b.get(j + 1).copied().unwrap_or(0);
        if b1 == b'!' {
            i = if b[j..].starts_with(b"<!--") {
                find(b, j + 4, b"-->").map_or(b.len(), |e| e + 3)
            } else {
                tag_end(b, j + 2).map_or(b.len(), |e| e + 1)
            };
            continue;
        }
        if b1 == b'?' {
            i = tag_end(b, j + 2).map_or(b.len(), |e| e + 1);
            continue;
        }
        let is_end = b1 == b'/';
        let name_start = if is_end { j + 2 } else { j + 1 };
        if !b.get(name_start).is_some_and(|c| c.is_ascii_alphabetic()) {
            i = j + 1;
            continue;
        }
        let (name, after) = tag_name(b, name_start);
        let Some(end) = tag_end(b, after) else {
            break;
        };
        let mut drop_tag = false;
        if counted(&name) {
            if is_end {
                drop_tag = depth > limit;
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                max = max.max(depth);
                drop_tag = depth > limit;
            }
        }
        if drop_tag && rewrite {
            out.extend_from_slice(&b[copied..j]);
            copied = end + 1;
        }
        i = end + 1;
        if !is_end && RAW_TEXT.contains(&name.as_str()) {
            let closing = format!("</{name}");
            i = find_ci(b, i, closing.as_bytes()).unwrap_or(b.len());
        }
    }
    if !rewrite {
        return (max, None);
    }
    out.extend_from_slice(&b[copied.min(b.len())..]);
    let s = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (max, Some(s))
}

/// The markup unchanged, or with over-deep tags removed.
pub(super) fn limit_nesting(html: &str) -> Cow<'_, str> {
    let (max, _) = scan(html, LIMIT, false);
    if max <= LIMIT {
        return Cow::Borrowed(html);
    }
    match scan(html, LIMIT, true).1 {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_markup_is_untouched() {
        let html = "<div><p>a<p>b<ul><li>x<li>y</ul></div><script>if (a<b) {}</script>";
        assert!(matches!(limit_nesting(html), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_markup_is_flattened() {
        let html = "<div class=\"a>b\">".repeat(2000) + "deep text" + &"</div>".repeat(2000);
        let out = limit_nesting(&html);
        assert!(out.contains("deep text"));
        let (max, _) = scan(&out, LIMIT, false);
        assert!(max <= LIMIT);
    }
}
