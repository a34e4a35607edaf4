//! Hostile and degenerate inputs: no panics, no stack overflows, bounded time.

use std::time::Instant;

use proptest::prelude::*;
use scout::core::extract::{ExtractError, ExtractOptions, extract, extract_bytes};

fn opts() -> ExtractOptions {
    ExtractOptions {
        url: Some("https://example.com/dir/page.html".into()),
        ..Default::default()
    }
}

#[test]
fn empty_inputs_are_empty() {
    for html in [
        "",
        "<html></html>",
        "<html><head><title></title></head><body> \n </body></html>",
        "<script>var a = 'lots of text in a script';</script>",
        "<html><body><script>document.write('x')</script><style>p{}</style></body></html>",
    ] {
        assert_eq!(extract(html, &opts()), Err(ExtractError::Empty), "{html:?}");
    }
}

#[test]
fn too_large_is_refused() {
    let o = ExtractOptions {
        max_input_bytes: 10,
        ..Default::default()
    };
    assert_eq!(
        extract("<p>more than ten bytes</p>", &o),
        Err(ExtractError::TooLarge { bytes: 26, limit: 10 })
    );
    assert!(matches!(
        extract_bytes(&[b'a'; 11], &o),
        Err(ExtractError::TooLarge { .. })
    ));
    assert!(
        ExtractError::TooLarge { bytes: 26, limit: 10 }
            .to_string()
            .contains("26")
    );
}

#[test]
fn small_page_without_article_still_returns_text() {
    let a = extract("<p>Just a line.</p>", &opts()).unwrap();
    assert_eq!(a.text, "Just a line.");
    assert!(!a.readerable);
    assert_eq!(a.passages.len(), 1);
}

/// Deterministic xorshift so the test needs no extra dependency.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xFF) as u8
        })
        .collect()
}

#[test]
fn random_bytes_do_not_panic() {
    for seed in 1..40u64 {
        let b = bytes(seed, 5000);
        match extract_bytes(&b, &opts()) {
            Ok(a) => assert!(a.lossy_decode),
            Err(e) => assert_eq!(e, ExtractError::Empty),
        }
        // The same bytes with markup sprinkled in.
        let mut html = b"<html><body><div><p>".to_vec();
        html.extend_from_slice(&b);
        html.extend_from_slice(b"</p><table><tr><td>");
        html.extend_from_slice(&bytes(seed + 1000, 3000));
        let _ = extract_bytes(&html, &opts());
    }
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let mut b = b"<html><body><article><p>Caf".to_vec();
    b.push(0xE9); // Latin-1 e-acute, invalid in UTF-8
    b.extend_from_slice(b" au lait, un petit texte.</p></article></body></html>");
    let a = extract_bytes(&b, &opts()).unwrap();
    assert!(a.lossy_decode);
    assert!(a.text.contains("Caf\u{FFFD} au lait"));
    let ok = extract_bytes("<p>Café</p>".as_bytes(), &opts()).unwrap();
    assert!(!ok.lossy_decode);
}

fn synthetic_page(target_bytes: usize) -> String {
    let mut s = String::from(
        "<!doctype html><html lang=en><head><title>Big page | Site</title></head><body>\
         <nav><ul>",
    );
    for i in 0..200 {
        s.push_str(&format!("<li><a href=/section/{i}>Section {i}</a></li>"));
    }
    s.push_str("</ul></nav><div id=content><article>");
    let mut i = 0;
    while s.len() < target_bytes {
        s.push_str(&format!(
            "<h2>Part {i}</h2><p data-scout-node={i}>Paragraph {i} has words, commas, and a \
             <a href=/ref/{i}>reference</a>, enough to look like prose that somebody wrote. \
             It continues with another sentence so that the block is long enough.</p>\
             <div class=share><a href=#>Share</a></div>"
        ));
        i += 1;
    }
    s.push_str("</article></div><footer>Footer</footer></body></html>");
    s
}

#[test]
fn large_page_is_fast() {
    let size = if cfg!(debug_assertions) { 1_000_000 } else { 10_000_000 };
    let html = synthetic_page(size);
    let start = Instant::now();
    let a = extract(&html, &opts()).unwrap();
    let elapsed = start.elapsed();
    assert!(a.readerable);
    assert!(a.word_count > size / 20);
    assert!(!a.text.contains("Section 1"));
    assert_eq!(a.blocks.iter().find(|b| b.node.is_some()).and_then(|b| b.node), Some(0));
    eprintln!("{} bytes extracted in {:?}", html.len(), elapsed);
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 1.0, "took {elapsed:?}");
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let n = 100_000;
            let html = format!(
                "<html><body>{}<p>Deep text, at the bottom of a very deep tree.</p>{}</body></html>",
                "<div>".repeat(n),
                "</div>".repeat(n)
            );
            let a = extract(&html, &opts()).unwrap();
            assert!(a.text.contains("Deep text"));
            // Unclosed, mixed nesting too.
            let html = "<div><span><b><i><table><tr><td>".repeat(20_000) + "x y z";
            let _ = extract(&html, &opts());
        })
        .unwrap();
    handle.join().unwrap();
}

/// Text of every text node of the parse, concatenated and lowercased.
fn input_text(html: &str) -> String {
    use html5ever::tendril::TendrilSink;
    use markup5ever_rcdom::{NodeData, RcDom};
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut out = String::new();
    let mut stack = vec![dom.document.clone()];
    while let Some(n) = stack.pop() {
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
        for c in n.children.borrow().iter().rev() {
            stack.push(c.clone());
        }
    }
    out.to_lowercase()
}

fn words_are_from_input(html: &str) {
    let Ok(a) = extract(html, &opts()) else {
        return;
    };
    let input = input_text(html);
    for w in a
        .text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        assert!(input.contains(w), "output word {w:?} not in input");
    }
}

fn base_page() -> String {
    let dir = std::env::var("SCOUT_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string());
    std::fs::read_to_string(format!("{dir}/001/source.html")).expect("corpus page 001")
}

#[test]
fn base_page_words_come_from_input() {
    words_are_from_input(&base_page());
}

const TAGS: &[&str] = &[
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<span>",
    "</span>",
    "<b>",
    "</b>",
    "<a href='x'>",
    "</a>",
    "<ul>",
    "<li>",
    "</ul>",
    "<table>",
    "<tr>",
    "<td>",
    "</table>",
    "<h2>",
    "</h2>",
    "<br>",
    "<blockquote>",
    "</blockquote>",
    "<pre>",
    "</pre>",
    "<section>",
    "<article>",
    "</article>",
    "<font>",
    "<!--",
    "-->",
    "<",
    ">",
    "&amp;",
    "&",
    "\"",
    "<i",
    "</",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mutated_pages_do_not_panic(
        cut in 0.0f64..1.0,
        inserts in proptest::collection::vec((0.0f64..1.0, 0usize..TAGS.len()), 0..12),
    ) {
        let page = base_page();
        let mut s = page.clone();
        for (pos, tag) in inserts {
            let mut i = ((s.len() as f64) * pos) as usize;
            while !s.is_char_boundary(i) { i -= 1; }
            s.insert_str(i, TAGS[tag]);
        }
        let mut end = ((s.len() as f64) * (0.05 + 0.95 * cut)) as usize;
        while !s.is_char_boundary(end) { end -= 1; }
        s.truncate(end);
        words_are_from_input(&s);
    }
}
