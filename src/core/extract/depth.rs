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

// The tag lists behind `counted` and `is_raw_text` (which match on them
// directly); the tests check the two agree.
#[cfg(test)]
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "frame", "basefont", "bgsound", "image",
];
#[cfg(test)]
const OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "caption",
    "rb", "rt", "rtc", "rp", "html", "head", "body",
];
#[cfg(test)]
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Not void, no optional end tag, not raw text (the three lists above;
/// a `match` so the check is a length switch, not 50 comparisons).
fn counted(name: &[u8]) -> bool {
    !matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"keygen"
            | b"frame"
            | b"basefont"
            | b"bgsound"
            | b"image"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"option"
            | b"optgroup"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"colgroup"
            | b"caption"
            | b"rb"
            | b"rt"
            | b"rtc"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
    ) && !is_raw_text(name)
}

fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"iframe" | b"noembed" | b"noframes" | b"noscript"
    )
}

/// Position of the first `c` in `hay[from..]`, absolute. Eight bytes at a
/// time (the markup is mostly long runs without `<`).
fn find_byte(hay: &[u8], from: usize, c: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let rest = hay.get(from..)?;
    let pattern = LO.wrapping_mul(u64::from(c));
    let mut chunks = rest.chunks_exact(8);
    let mut base = from;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        if x.wrapping_sub(LO) & !x & HI != 0 {
            break;
        }
        base += 8;
    }
    hay[base..].iter().position(|&x| x == c).map(|p| p + base)
}

/// First `-->` at or after `from`.
fn find_comment_end(hay: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    let mut i = from;
    while let Some(p) = find_byte(hay, i, b'>') {
        if p >= from + 2 && hay[p - 1] == b'-' && hay[p - 2] == b'-' {
            return Some(p - 2);
        }
        i = p + 1;
    }
    None
}

/// First `</name` (ASCII case-insensitive) at or after `from`.
fn find_end_tag(hay: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    let mut i = from;
    while let Some(p) = find_byte(hay, i, b'<') {
        if hay.get(p + 1) == Some(&b'/')
            && hay
                .get(p + 2..p + 2 + name.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
        {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Index of the `>` closing the tag that starts at `start`, skipping quoted
/// attribute values (a quote opens a value only right after `=`).
fn tag_end(b: &[u8], start: usize) -> Option<usize> {
    let mut prev_sig = 0u8;
    let mut i = start;
    loop {
        let p = i + b.get(i..)?.iter().position(|&c| c == b'>' || c == b'"' || c == b'\'')?;
        if let Some(&x) = b[i..p].iter().rev().find(|c| !c.is_ascii_whitespace()) {
            prev_sig = x;
        }
        let c = b[p];
        if c == b'>' {
            return Some(p);
        }
        let opens = prev_sig == b'=';
        prev_sig = c;
        i = if opens { find_byte(b, p + 1, c)? + 1 } else { p + 1 };
    }
}

/// Lower-cased tag name starting at `i` (into `buf`, truncated to its
/// size: longer names match no list) and the index after it.
fn tag_name(b: &[u8], mut i: usize, buf: &mut [u8; 16]) -> (usize, usize) {
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    let n = i - start;
    if n > buf.len() {
        return (0, i);
    }
    for (d, s) in buf.iter_mut().zip(&b[start..i]) {
        *d = s.to_ascii_lowercase();
    }
    (n, i)
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
    let mut buf = [0u8; 16];
    while i < b.len() {
        let Some(j) = find_byte(b, i, b'<') else {
            break;
        };
        let b1 = b.get(j + 1).copied().unwrap_or(0);
        if b1 == b'!' {
            i = if b[j..].starts_with(b"<!--") {
                find_comment_end(b, j + 4).map_or(b.len(), |e| e + 3)
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
        let (len, after) = tag_name(b, name_start, &mut buf);
        // Over-long names are in no list: counted, not raw text.
        let name = &buf[..len];
        let Some(end) = tag_end(b, after) else {
            break;
        };
        let mut drop_tag = false;
        if len == 0 || counted(name) {
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
        if !is_end && len > 0 && is_raw_text(name) {
            i = find_end_tag(b, i, name).unwrap_or(b.len());
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
    fn lists_match() {
        for list in [VOID, OPTIONAL_END, RAW_TEXT] {
            for t in list {
                assert!(!counted(t.as_bytes()), "{t}");
            }
        }
        for t in RAW_TEXT {
            assert!(is_raw_text(t.as_bytes()));
        }
        assert!(counted(b"div") && counted(b"span") && !is_raw_text(b"div"));
    }

    #[test]
    fn finds_bytes() {
        let hay = b"0123456789abcdefghij<klmnopqrstuv<";
        for from in 0..hay.len() + 2 {
            let expected = hay
                .get(from..)
                .and_then(|r| r.iter().position(|&x| x == b'<'))
                .map(|p| p + from);
            assert_eq!(find_byte(hay, from, b'<'), expected);
        }
        assert_eq!(find_byte(b"\x80\xbc<", 0, b'<'), Some(2));
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
