//! Extraction quality over the Readability test corpus.
//!
//! For each page: token-F1 between Scout's `text` and the text of
//! `expected.html`, plus metadata field accuracy. Prints a worst-first table
//! and a summary line, and asserts quality floors.
//!
//! Corpus location: `$SCOUT_CORPUS_DIR`, else `tests/corpus/readability`
//! (in the repository).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{NodeData, RcDom};
use scout::core::extract::{ExtractOptions, extract};
use serde_json::Value;

// Floors set slightly below the measured values (median 1.000, mean 0.9998,
// share >= 0.9 of 1.000 on the 87 pages); the original targets were
// 0.98 / 0.95 / 0.90.
const MIN_MEDIAN_F1: f64 = 0.995;
const MIN_MEAN_F1: f64 = 0.99;
const MIN_SHARE_AT_09: f64 = 0.97;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var("SCOUT_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string());
    PathBuf::from(dir)
}

/// All text of an HTML document (iterative walk); block elements and cells
/// are separated by a space, inline elements are not.
fn html_text(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "table",
        "br",
        "blockquote",
        "pre",
        "section",
        "article",
        "figure",
        "figcaption",
        "dd",
        "dt",
        "dl",
        "hr",
        "header",
        "footer",
        "aside",
        "nav",
        "caption",
        "details",
        "summary",
    ];
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut out = String::new();
    let mut stack = vec![Some(dom.document.clone())];
    while let Some(item) = stack.pop() {
        let Some(n) = item else {
            out.push(' ');
            continue;
        };
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
        if let NodeData::Element { name, .. } = &n.data {
            if matches!(&*name.local, "script" | "style" | "title") {
                continue;
            }
            if BLOCKS.contains(&&*name.local) {
                out.push(' ');
                stack.push(None);
            }
        }
        for c in n.children.borrow().iter().rev() {
            stack.push(Some(c.clone()));
        }
    }
    out
}

fn tokens(s: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for t in s
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        *m.entry(t.to_string()).or_insert(0) += 1;
    }
    m
}

fn f1(got: &str, want: &str) -> f64 {
    let g = tokens(got);
    let w = tokens(want);
    let gn: usize = g.values().sum();
    let wn: usize = w.values().sum();
    if gn == 0 && wn == 0 {
        return 1.0;
    }
    if gn == 0 || wn == 0 {
        return 0.0;
    }
    let common: usize = g.iter().map(|(t, c)| (*c).min(*w.get(t).unwrap_or(&0))).sum();
    if common == 0 {
        return 0.0;
    }
    let p = common as f64 / gn as f64;
    let r = common as f64 / wn as f64;
    2.0 * p * r / (p + r)
}

fn norm(s: Option<&str>) -> String {
    s.unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const FIELDS: &[&str] = &[
    "title",
    "byline",
    "excerpt",
    "lang",
    "siteName",
    "publishedTime",
    "dir",
    "readerable",
];

struct Row {
    name: String,
    f1: f64,
    words: usize,
    wrong: Vec<&'static str>,
    elapsed: Duration,
}

#[test]
fn corpus_quality() {
    let dir = corpus_dir();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    pages.retain(|p| p.join("source.html").is_file());
    pages.sort();
    assert!(!pages.is_empty(), "no pages in {}", dir.display());

    let mut rows = Vec::new();
    let mut panics = Vec::new();
    let mut field_ok: HashMap<&str, usize> = HashMap::new();
    let mut total = Duration::ZERO;
    // Language accuracy on pages that declare one (Readability reports only
    // declared languages; Scout also detects undeclared ones).
    let (mut declared, mut declared_ok) = (0usize, 0usize);
    for page in &pages {
        let name = page
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = std::fs::read_to_string(page.join("source.html")).unwrap();
        let expected = std::fs::read_to_string(page.join("expected.html")).unwrap_or_default();
        let meta: Value = std::fs::read_to_string(page.join("expected-metadata.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null);
        let url = meta
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or("http://example.com/")
            .to_string();
        let opts = ExtractOptions {
            url: Some(url),
            ..Default::default()
        };
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| extract(&source, &opts));
        let elapsed = start.elapsed();
        total += elapsed;
        let Ok(result) = result else {
            panics.push(name.clone());
            continue;
        };
        let want = html_text(&expected);
        let (text, got_fields) = match &result {
            Ok(a) => (
                a.text.clone(),
                vec![
                    ("title", Some(a.title.clone())),
                    ("byline", a.byline.clone()),
                    ("excerpt", a.excerpt.clone()),
                    ("lang", a.lang.clone()),
                    ("siteName", a.site_name.clone()),
                    ("publishedTime", a.published_time.clone()),
                    ("dir", a.dir.clone()),
                    ("readerable", Some(a.readerable.to_string())),
                ],
            ),
            Err(_) => (String::new(), Vec::new()),
        };
        let mut wrong = Vec::new();
        if let Some(Value::String(want_lang)) = meta.get("lang") {
            declared += 1;
            if matches!(&result, Ok(a) if norm(a.lang.as_deref()) == norm(Some(want_lang))) {
                declared_ok += 1;
            }
        }
        for &field in FIELDS {
            let want_v = match meta.get(field) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                _ => None,
            };
            let got_v = got_fields
                .iter()
                .find(|(k, _)| *k == field)
                .and_then(|(_, v)| v.clone());
            if norm(want_v.as_deref()) == norm(got_v.as_deref()) {
                *field_ok.entry(field).or_insert(0) += 1;
            } else {
                wrong.push(field);
            }
        }
        rows.push(Row {
            name,
            f1: f1(&text, &want),
            words: text.split_whitespace().count(),
            wrong,
            elapsed,
        });
    }

    rows.sort_by(|a, b| a.f1.total_cmp(&b.f1));
    println!("{:<45} {:>6} {:>7} {:>8}  wrong fields", "page", "F1", "words", "ms");
    for r in &rows {
        println!(
            "{:<45} {:>6.3} {:>7} {:>8.1}  {}",
            r.name,
            r.f1,
            r.words,
            r.elapsed.as_secs_f64() * 1000.0,
            r.wrong.join(",")
        );
    }
    let n = rows.len().max(1) as f64;
    let f1s: Vec<f64> = rows.iter().map(|r| r.f1).collect();
    let median = if f1s.is_empty() {
        0.0
    } else if f1s.len() % 2 == 1 {
        f1s[f1s.len() / 2]
    } else {
        (f1s[f1s.len() / 2 - 1] + f1s[f1s.len() / 2]) / 2.0
    };
    let mean = f1s.iter().sum::<f64>() / n;
    let share = f1s.iter().filter(|&&f| f >= 0.9).count() as f64 / n;
    let fields: Vec<String> = FIELDS
        .iter()
        .map(|f| format!("{f}={:.2}", *field_ok.get(f).unwrap_or(&0) as f64 / n))
        .collect();
    println!(
        "SUMMARY pages={} median={:.4} mean={:.4} share>=0.9={:.3} panics={} time={:.0}ms | {} lang(declared)={}/{}",
        rows.len(),
        median,
        mean,
        share,
        panics.len(),
        total.as_secs_f64() * 1000.0,
        fields.join(" "),
        declared_ok,
        declared
    );
    assert!(panics.is_empty(), "panicked on {panics:?}");
    assert!(median >= MIN_MEDIAN_F1, "median F1 {median:.4} < {MIN_MEDIAN_F1}");
    assert!(mean >= MIN_MEAN_F1, "mean F1 {mean:.4} < {MIN_MEAN_F1}");
    assert!(share >= MIN_SHARE_AT_09, "share>=0.9 {share:.3} < {MIN_SHARE_AT_09}");
}
