//! The kinds of content a page declares about itself: schema.org types in JSON-LD and microdata, and OpenGraph's
//! `og:type` where it names a product. Publishers add these for search engines, so they describe the page as a
//! whole ("Recipe", "Product", "NewsArticle", "BlogPosting"); the classifier weighs them as evidence of the content
//! type (`core::classify::content_type`), never as the answer, since sites also declare types loosely.

use serde_json::Value;

use super::dom::{Dom, ROOT};

/// Nesting depth searched inside a JSON-LD block (`@graph`, arrays, `mainEntity`); deeper objects describe parts.
const MAX_DEPTH: usize = 3;
/// At most this many types are kept (a page with hundreds of items is a listing; its first types suffice).
const MAX_TYPES: usize = 16;

/// Declared type names in document order, each once (schema.org names without the vocabulary prefix); `jsonld`:
/// the page's parsed JSON-LD blocks (`metadata::jsonld_blocks`).
pub(super) fn declared_types(dom: &Dom, jsonld: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in jsonld {
        jsonld_types(v, 0, &mut out);
    }
    for n in dom.descendants(ROOT) {
        if !dom.is_element(n) {
            continue;
        }
        if let Some(types) = dom.attr(n, "itemtype") {
            for t in types.split_whitespace() {
                if let Some(name) = schema_name(t) {
                    push(&mut out, name);
                }
            }
        }
        if dom.tag(n) == "meta"
            && dom
                .attr(n, "property")
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("og:type"))
            && dom
                .attr(n, "content")
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("product"))
        {
            push(&mut out, "Product");
        }
    }
    out.truncate(MAX_TYPES);
    out
}

fn push(out: &mut Vec<String>, name: &str) {
    if !name.is_empty() && !out.iter().any(|t| t == name) {
        out.push(name.to_string());
    }
}

/// "Recipe", "schema:Recipe", "https://schema.org/Recipe" → "Recipe"; other vocabularies → `None`.
fn schema_name(t: &str) -> Option<&str> {
    let t = t.trim();
    let name = if let Some(rest) = t.strip_prefix("http://").or_else(|| t.strip_prefix("https://")) {
        rest.strip_prefix("www.").unwrap_or(rest).strip_prefix("schema.org/")?
    } else {
        t.strip_prefix("schema:").unwrap_or(t)
    };
    let name = name.trim_end_matches('/');
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())).then_some(name)
}

fn jsonld_types(v: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|x| jsonld_types(x, depth + 1, out)),
        Value::Object(o) => {
            match o.get("@type") {
                Some(Value::String(t)) => schema_name(t).into_iter().for_each(|n| push(out, n)),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(schema_name)
                    .for_each(|n| push(out, n)),
                _ => {}
            }
            for key in ["@graph", "mainEntity", "mainEntityOfPage"] {
                if let Some(inner) = o.get(key) {
                    jsonld_types(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(html: &str) -> Vec<String> {
        let dom = Dom::parse(html);
        declared_types(&dom, &super::super::metadata::jsonld_blocks(&dom))
    }

    #[test]
    fn reads_jsonld_microdata_and_og() {
        let html = r#"<html><head>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebPage","mainEntity":{"@type":"Recipe","name":"Soup"}},{"@type":["Organization"]}]}</script>
            <script type="application/ld+json">not json</script>
            <meta property="og:type" content="product"></head>
            <body><div itemscope itemtype="http://schema.org/BlogPosting"><p>x</p></div>
            <div itemtype="https://example.com/Thing"></div></body></html>"#;
        assert_eq!(
            types(html),
            ["WebPage", "Recipe", "Organization", "Product", "BlogPosting"]
        );
        assert!(types("<p>plain page</p>").is_empty());
        assert!(types(r#"<meta property="og:type" content="article"><p>x</p>"#).is_empty());
    }

    #[test]
    fn names_from_vocabulary_forms() {
        assert_eq!(schema_name("https://www.schema.org/NewsArticle/"), Some("NewsArticle"));
        assert_eq!(schema_name("schema:HowTo"), Some("HowTo"));
        assert_eq!(schema_name("http://data-vocabulary.org/Recipe"), None);
        assert_eq!(schema_name("Bad Type"), None);
    }
}
