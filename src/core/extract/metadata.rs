//! Article metadata: JSON-LD, OpenGraph / Twitter / Dublin Core / Parse.ly
//! `<meta>` tags and the document `<title>`.

use std::collections::HashMap;

use serde_json::Value;

use super::dom::{Dom, normalize_ws};

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Metadata {
    pub title: String,
    pub byline: Option<String>,
    pub excerpt: Option<String>,
    pub site_name: Option<String>,
    pub published_time: Option<String>,
    /// Declared language (`<html lang>`, then `<meta>` hints).
    pub lang: Option<String>,
}

#[derive(Debug, Default)]
struct JsonLd {
    title: Option<String>,
    byline: Option<String>,
    excerpt: Option<String>,
    site_name: Option<String>,
    published: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "AdvertiserContentArticle",
    "NewsArticle",
    "AnalysisNewsArticle",
    "AskPublicNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "Report",
    "SatiricalArticle",
    "ScholarlyArticle",
    "MedicalScholarlyArticle",
    "SocialMediaPosting",
    "BlogPosting",
    "LiveBlogPosting",
    "DiscussionForumPosting",
    "TechArticle",
    "APIReference",
];

/// 1.0 when every word of `b` also occurs in `a`, falling towards 0 as
/// `b` has more words of its own.
pub(super) fn text_similarity(a: &str, b: &str) -> f64 {
    let tokens = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    let ta = tokens(a);
    let tb = tokens(b);
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let uniq: Vec<&str> = tb.iter().filter(|t| !ta.contains(t)).map(String::as_str).collect();
    let uniq_len = uniq.join(" ").chars().count() as f64;
    let all_len = tb.join(" ").chars().count() as f64;
    1.0 - uniq_len / all_len
}

/// Decode the few entities that survive in double-escaped meta values.
pub(super) fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        // Bytes, not a str slice: the 12th byte may fall inside a character (`;` is ASCII, so a boundary).
        let Some(semi) = tail.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..semi];
        let decoded = match name {
            "quot" => Some('"'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => {
                let num = if let Some(h) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = name.strip_prefix('#') {
                    d.parse::<u32>().ok()
                } else {
                    None
                };
                num.map(|n| char::from_u32(n).filter(|&c| c != '\0').unwrap_or('\u{FFFD}'))
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Word count the way a whitespace split counts it (runs of whitespace + 1).
fn word_count(s: &str) -> usize {
    let mut runs = 0;
    let mut in_ws = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_ws {
                runs += 1;
            }
            in_ws = true;
        } else {
            in_ws = false;
        }
    }
    runs + 1
}

const TITLE_SEPS: &[char] = &['|', '-', '–', '—', '\\', '/', '>', '»'];

/// Byte offsets of " <sep> " patterns (offset of the leading whitespace).
fn separator_positions(s: &str) -> Vec<(usize, char)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < chars.len() {
        let (pos, a) = chars[i];
        let (_, b) = chars[i + 1];
        let (_, c) = chars[i + 2];
        if a.is_whitespace() && TITLE_SEPS.contains(&b) && c.is_whitespace() {
            out.push((pos, b));
            i += 3;
        } else {
            i += 1;
        }
    }
    out
}

/// The document title with site-name decorations removed.
pub(super) fn article_title(dom: &Dom) -> String {
    let orig = dom
        .first_by_tag("title")
        .map(|t| normalize_ws(&dom.text_content(t)))
        .unwrap_or_default();
    let mut cur = orig.clone();
    let mut hierarchical = false;
    let seps = separator_positions(&orig);
    if let Some(&(last, _)) = seps.last() {
        hierarchical = seps.iter().any(|(_, c)| matches!(c, '\\' | '/' | '>' | '»'));
        cur = orig[..last].to_string();
        if word_count(&cur) < 3 {
            cur = match orig.find(TITLE_SEPS) {
                Some(i) => orig[i..].chars().skip(1).collect(),
                None => orig.clone(),
            };
        }
    } else if cur.contains(": ") {
        let matched = dom
            .elements_by_tag(super::dom::ROOT, &["h1", "h2"])
            .into_iter()
            .any(|h| dom.text_content(h).trim() == cur.trim());
        if !matched {
            let last = orig.rfind(':').map_or(0, |i| i + 1);
            cur = orig[last..].to_string();
            if word_count(&cur) < 3 {
                let first = orig.find(':').map_or(0, |i| i + 1);
                cur = orig[first..].to_string();
            } else if word_count(&orig[..orig.find(':').unwrap_or(0)]) > 5 {
                cur = orig.clone();
            }
        }
    } else {
        let len = cur.chars().count();
        if !(15..=150).contains(&len) {
            let h1s = dom.elements_by_tag(super::dom::ROOT, &["h1"]);
            if h1s.len() == 1 {
                cur = dom.inner_text(h1s[0]);
            }
        }
    }
    cur = normalize_ws(&cur);
    let wc = word_count(&cur);
    if wc <= 4 {
        let mut stripped = orig.clone();
        for (pos, sep) in seps.iter().rev() {
            let end = pos + 1 + sep.len_utf8() + 1;
            if end <= stripped.len() && stripped.is_char_boundary(*pos) && stripped.is_char_boundary(end) {
                stripped.replace_range(*pos..end, "");
            }
        }
        if !hierarchical || wc + 1 != word_count(&stripped) {
            cur = orig;
        }
    }
    cur
}

/// Remove a trailing " | Site" when it names the site.
fn strip_site_suffix(title: &str, site: Option<&str>) -> String {
    let Some(site) = site.map(str::trim).filter(|s| !s.is_empty()) else {
        return title.to_string();
    };
    if let Some(&(pos, sep)) = separator_positions(title).last() {
        let tail = title[pos..].trim_start().trim_start_matches(sep).trim();
        let head = title[..pos].trim();
        if !head.is_empty() && tail.eq_ignore_ascii_case(site) {
            return head.to_string();
        }
    }
    title.to_string()
}

fn is_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn type_matches(v: &Value) -> bool {
    match v.get("@type") {
        Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
        Some(Value::Array(a)) => a.iter().any(|t| t.as_str().is_some_and(|t| ARTICLE_TYPES.contains(&t))),
        _ => false,
    }
}

fn context_ok(v: &Value) -> bool {
    let ok = |s: &str| {
        let s = s.trim().trim_end_matches('/');
        s == "http://schema.org" || s == "https://schema.org"
    };
    match v.get("@context") {
        Some(Value::String(s)) => ok(s),
        Some(Value::Object(o)) => o.get("@vocab").and_then(Value::as_str).is_some_and(ok),
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str().is_some_and(ok)),
        _ => false,
    }
}

/// The page's `<script type="application/ld+json">` blocks that parse (a CDATA wrapper allowed), parsed once for
/// the metadata and the declared types.
pub(super) fn jsonld_blocks(dom: &Dom) -> Vec<Value> {
    dom.jsonld
        .iter()
        .filter_map(|raw| {
            let text = raw.trim();
            let text = text.strip_prefix("<![CDATA[").unwrap_or(text);
            let text = text.strip_suffix("]]>").unwrap_or(text);
            serde_json::from_str(text).ok()
        })
        .collect()
}

fn parse_jsonld(blocks: &[Value], doc_title: &str) -> JsonLd {
    for block in blocks {
        let mut v = block;
        if let Value::Array(items) = v {
            match items.iter().find(|i| type_matches(i)) {
                Some(item) => v = item,
                None => continue,
            }
        }
        if !context_ok(v) {
            continue;
        }
        if v.get("@type").is_none()
            && let Some(Value::Array(graph)) = v.get("@graph")
        {
            match graph.iter().find(|g| type_matches(g)) {
                Some(item) => v = item,
                None => continue,
            }
        }
        if !type_matches(v) {
            continue;
        }
        let mut out = JsonLd::default();
        let name = str_of(v.get("name").unwrap_or(&Value::Null));
        let headline = str_of(v.get("headline").unwrap_or(&Value::Null));
        out.title = match (name, headline) {
            (Some(n), Some(h)) if n != h => {
                let name_ok = text_similarity(&n, doc_title) > 0.75;
                let head_ok = text_similarity(&h, doc_title) > 0.75;
                if head_ok && !name_ok { Some(h) } else { Some(n) }
            }
            (Some(n), _) => Some(n),
            (None, h) => h,
        };
        out.byline = match v.get("author") {
            Some(Value::Object(a)) => a.get("name").and_then(str_of),
            Some(Value::String(s)) if !is_url(s) => str_of(&Value::String(s.clone())),
            Some(Value::Array(list)) => {
                let names: Vec<String> = list
                    .iter()
                    .filter_map(|a| match a {
                        Value::Object(o) => o.get("name").and_then(str_of),
                        Value::String(s) if !is_url(s) => Some(s.trim().to_string()),
                        _ => None,
                    })
                    .filter(|s| !s.is_empty())
                    .collect();
                if names.is_empty() { None } else { Some(names.join(", ")) }
            }
            _ => None,
        };
        out.excerpt = v.get("description").and_then(str_of);
        out.site_name = v.get("publisher").and_then(|p| p.get("name")).and_then(str_of);
        out.published = v.get("datePublished").and_then(str_of);
        return out;
    }
    JsonLd::default()
}

const NAME_SUFFIXES: &[&str] = &["author", "creator", "pub-date", "description", "title", "site_name"];
const NAME_PREFIXES: &[&str] = &[
    "dc",
    "dcterm",
    "og",
    "twitter",
    "parsely",
    "weibo:article",
    "weibo:webpage",
];
const PROP_PREFIXES: &[&str] = &["article", "dc", "dcterm", "og", "twitter"];
const PROP_SUFFIXES: &[&str] = &[
    "author",
    "creator",
    "description",
    "published_time",
    "title",
    "site_name",
];

/// Normalized key for a `<meta name>` value, if it is one we use.
fn name_key(name: &str) -> Option<String> {
    let n: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    for suf in NAME_SUFFIXES {
        let Some(prefix) = n.strip_suffix(suf) else {
            continue;
        };
        if prefix.is_empty() {
            return Some(n.replace('.', ":"));
        }
        let Some(p) = prefix.strip_suffix(['-', '.', ':']) else {
            continue;
        };
        if NAME_PREFIXES.contains(&p) {
            return Some(n.replace('.', ":"));
        }
    }
    None
}

/// Keys for a space-separated `<meta property>` list.
fn property_keys(prop: &str) -> Vec<String> {
    prop.split_whitespace()
        .filter_map(|tok| {
            let t = tok.to_lowercase();
            let (p, s) = t.split_once(':')?;
            (PROP_PREFIXES.contains(&p) && PROP_SUFFIXES.contains(&s)).then(|| format!("{p}:{s}"))
        })
        .collect()
}

fn meta_values(dom: &Dom) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for m in dom.elements_by_tag(super::dom::ROOT, &["meta"]) {
        let Some(content) = dom.attr(m, "content").filter(|c| !c.trim().is_empty()) else {
            continue;
        };
        let content = content.trim().to_string();
        let mut matched = false;
        if let Some(prop) = dom.attr(m, "property") {
            for k in property_keys(prop) {
                values.insert(k, content.clone());
                matched = true;
            }
        }
        if !matched && let Some(key) = dom.attr(m, "name").and_then(name_key) {
            values.insert(key, content.clone());
        }
        if dom
            .attr(m, "http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("content-language"))
        {
            values.insert("content-language".into(), content.clone());
        }
        if dom.attr(m, "property") == Some("og:locale") {
            values.insert("og:locale".into(), content.replace('_', "-"));
        }
    }
    values
}

pub(super) fn extract(dom: &Dom, jsonld: &[Value]) -> Metadata {
    let doc_title = article_title(dom);
    let ld = parse_jsonld(jsonld, &doc_title);
    let values = meta_values(dom);
    let pick = |first: Option<String>, keys: &[&str]| -> Option<String> {
        first
            .filter(|s| !s.is_empty())
            .or_else(|| keys.iter().find_map(|k| values.get(*k).cloned()))
            .map(|s| unescape_entities(&s))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let site_name = pick(ld.site_name, &["og:site_name"]);
    let title = pick(
        ld.title,
        &[
            "dc:title",
            "dcterm:title",
            "og:title",
            "weibo:article:title",
            "weibo:webpage:title",
            "title",
            "twitter:title",
            "parsely-title",
        ],
    )
    .unwrap_or(doc_title);
    let title = strip_site_suffix(&title, site_name.as_deref());
    let article_author = values.get("article:author").filter(|a| !is_url(a)).cloned();
    let byline = pick(ld.byline, &["dc:creator", "dcterm:creator", "author", "parsely-author"])
        .or_else(|| article_author.map(|a| unescape_entities(&a)));
    let excerpt = pick(
        ld.excerpt,
        &[
            "dc:description",
            "dcterm:description",
            "og:description",
            "weibo:article:description",
            "weibo:webpage:description",
            "description",
            "twitter:description",
        ],
    );
    let published_time = pick(ld.published, &["article:published_time", "parsely-pub-date"]);
    let lang = dom
        .html()
        .and_then(|h| dom.attr(h, "lang").or_else(|| dom.attr(h, "xml:lang")))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| values.get("content-language").cloned())
        .or_else(|| values.get("og:locale").cloned());
    Metadata {
        title: unescape_entities(&title),
        byline,
        excerpt,
        site_name,
        published_time,
        lang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(html: &str) -> Metadata {
        let dom = Dom::parse(html);
        extract(&dom, &jsonld_blocks(&dom))
    }

    #[test]
    fn entities_next_to_multibyte_text_do_not_panic() {
        // Found by tests/fuzz.rs: the search for `;` cut the text 12 bytes on, inside a character.
        assert_eq!(
            unescape_entities("&\u{fffd}\u{fffd}\u{fffd}\u{fffd}k;x"),
            "&\u{fffd}\u{fffd}\u{fffd}\u{fffd}k;x"
        );
        assert_eq!(unescape_entities("a &amp;&#233; b"), "a &\u{e9} b");
    }

    #[test]
    fn jsonld_wins() {
        let m = meta(
            r#"<html><head><title>Ignored | Site</title>
            <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
              "headline":"Real headline","author":[{"name":"Ann"},{"name":"Bob"}],
              "datePublished":"2020-01-02","publisher":{"name":"The Paper"},"description":"Desc"}</script>
            <meta property="og:title" content="OG title"></head><body></body></html>"#,
        );
        assert_eq!(m.title, "Real headline");
        assert_eq!(m.byline.as_deref(), Some("Ann, Bob"));
        assert_eq!(m.published_time.as_deref(), Some("2020-01-02"));
        assert_eq!(m.site_name.as_deref(), Some("The Paper"));
        assert_eq!(m.excerpt.as_deref(), Some("Desc"));
    }

    #[test]
    fn jsonld_graph_and_bad_json() {
        let m = meta(
            r#"<script type="application/ld+json">{not json</script>
            <script type="application/ld+json">{"@context":"http://schema.org/","@graph":[
              {"@type":"WebSite","name":"Site"},{"@type":"BlogPosting","name":"Post","author":"Zed"}]}</script>"#,
        );
        assert_eq!(m.title, "Post");
        assert_eq!(m.byline.as_deref(), Some("Zed"));
    }

    #[test]
    fn opengraph_twitter_dc_and_meta() {
        let m = meta(
            r#"<head><meta property="og:title twitter:title" content="Space &amp;amp; Time">
            <meta name="twitter:description" content="tw desc">
            <meta name="DC.creator" content="Dee">
            <meta property="og:site_name" content="Site">
            <meta property="article:published_time" content="2021-05-05T10:00:00Z">
            <meta name="author" content="Not used"></head>"#,
        );
        assert_eq!(m.title, "Space & Time");
        assert_eq!(m.excerpt.as_deref(), Some("tw desc"));
        assert_eq!(m.byline.as_deref(), Some("Dee"));
        assert_eq!(m.site_name.as_deref(), Some("Site"));
        assert_eq!(m.published_time.as_deref(), Some("2021-05-05T10:00:00Z"));
    }

    #[test]
    fn meta_author_and_description() {
        let m = meta(
            r#"<html lang="de"><head><meta name="author" content="Max"><meta name="description" content="Beschreibung"></head></html>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Max"));
        assert_eq!(m.excerpt.as_deref(), Some("Beschreibung"));
        assert_eq!(m.lang.as_deref(), Some("de"));
    }

    #[test]
    fn title_cleanup() {
        let t = |h: &str| meta(h).title;
        assert_eq!(
            t("<title>How the tides really work in the ocean | Example News</title>"),
            "How the tides really work in the ocean"
        );
        // Too short after stripping: keep the part after the first separator.
        assert_eq!(
            t("<title>Site - A rather longer title for this story</title>"),
            "A rather longer title for this story"
        );
        // Very short results fall back to the whole title.
        assert_eq!(t("<title>Site - Short title</title>"), "Site - Short title");
        // Colon with a matching heading keeps the full title.
        assert_eq!(
            t("<title>Rust: a language</title><h1>Rust: a language</h1>"),
            "Rust: a language"
        );
        // Short title: use the single h1.
        assert_eq!(
            t("<title>Home</title><h1>A much better headline for this page</h1>"),
            "A much better headline for this page"
        );
        // Site-name suffix on an og:title is stripped.
        assert_eq!(
            t(
                r#"<meta property="og:title" content="Big news today - The Daily"><meta property="og:site_name" content="The Daily">"#
            ),
            "Big news today"
        );
    }

    #[test]
    fn similarity() {
        assert!(text_similarity("Hello big world", "hello world") > 0.99);
        assert!(text_similarity("abc", "xyz") < 0.01);
    }
}
