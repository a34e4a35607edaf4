//! User-defined labels: "name" or "name: description", expanded into descriptions by templates.

use super::Label;

/// Templates for the descriptions of a custom label; `{}` is replaced by the label name.
const TEMPLATES: &[&str] = &[
    "This page is about {}.",
    "An article about {}.",
    "Information and news about {}.",
];

/// At most this many custom labels are kept (the rest are ignored).
pub const MAX_CUSTOM_LABELS: usize = 32;

/// A stable id for a label name: lowercase alphanumerics joined by `_`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// Parse user-typed labels. Empty entries and duplicate ids are dropped.
pub fn custom_labels(specs: &[String]) -> Vec<Label> {
    let mut out: Vec<Label> = Vec::new();
    for spec in specs {
        let (name, desc) = match spec.split_once(':') {
            Some((n, d)) => (n.trim(), Some(d.trim()).filter(|d| !d.is_empty())),
            None => (spec.trim(), None),
        };
        let id = slug(name);
        if id.is_empty() || out.iter().any(|l| l.id == id) {
            continue;
        }
        let mut descriptions: Vec<String> = TEMPLATES.iter().map(|t| t.replace("{}", name)).collect();
        if let Some(d) = desc {
            descriptions.push(d.to_string());
        }
        let mut keywords: Vec<String> = vec![name.to_lowercase()];
        if let Some(d) = desc {
            keywords.extend(super::keyword::content_words(d));
        }
        keywords.dedup();
        out.push(Label {
            id,
            name: name.to_string(),
            descriptions,
            keywords,
        });
        if out.len() >= MAX_CUSTOM_LABELS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_descriptions() {
        let labels = custom_labels(&[
            "Cats".into(),
            "Home Cooking: recipes for weeknight dinners".into(),
            " ".into(),
            "cats".into(),
        ]);
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].id, "cats");
        assert_eq!(labels[0].descriptions[0], "This page is about Cats.");
        assert_eq!(labels[1].id, "home_cooking");
        assert_eq!(labels[1].name, "Home Cooking");
        assert!(
            labels[1]
                .descriptions
                .iter()
                .any(|d| d == "recipes for weeknight dinners")
        );
        assert!(labels[1].keywords.iter().any(|k| k == "recipes"));
    }
}
