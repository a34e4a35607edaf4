//! Speed check, printed not asserted. Run in release for the real figure:
//! `cargo test --release --test speed -- --nocapture`

use super::common;

use scout::core::text::{SummaryFormat, SummaryLength, SummaryOptions, SummaryType, summarize_text};
use std::time::Instant;

#[test]
fn large_page_speed() {
    let target = if cfg!(debug_assertions) { 2_000 } else { 10_000 };
    let mut text = String::new();
    let mut n = 0;
    'outer: for round in 0.. {
        for src in [common::NEWS, common::HOWTO, common::REVIEW] {
            for para in src.split("\n\n") {
                text.push_str(&para.replace("the", if round % 2 == 0 { "the" } else { "a" }));
                text.push_str(&format!(" Paragraph {round} adds note {n}.\n\n"));
                n += para.matches(". ").count() + 2;
                if n >= target {
                    break 'outer;
                }
            }
        }
    }
    let sentences = scout::core::text::split_sentences(&text).len();
    let o = SummaryOptions {
        kind: SummaryType::KeyPoints,
        length: SummaryLength::Long,
        format: SummaryFormat::Markdown,
    };
    let t0 = Instant::now();
    let s = summarize_text(&text, Some(common::NEWS_TITLE), &o);
    let dt = t0.elapsed();
    assert_eq!(s.sentences.len(), 7);
    println!(
        "speed: {} sentences ({} KB) summarized in {:.1} ms ({})",
        sentences,
        text.len() / 1024,
        dt.as_secs_f64() * 1000.0,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
}
