use super::common;

use common::*;
use scout::core::text::{
    LexicalSimilarity, MatrixSimilarity, SourceSentence, Summary, SummaryFormat, SummaryLength, SummaryOptions,
    SummaryType, summarize, summarize_text,
};

const TYPES: [SummaryType; 4] = [
    SummaryType::KeyPoints,
    SummaryType::Tldr,
    SummaryType::Teaser,
    SummaryType::Headline,
];
const LENGTHS: [SummaryLength; 3] = [SummaryLength::Short, SummaryLength::Medium, SummaryLength::Long];
const DANGLING: [&str; 9] = ["he", "she", "they", "it", "this", "however", "but", "also", "and"];

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn opts(kind: SummaryType, length: SummaryLength, format: SummaryFormat) -> SummaryOptions {
    SummaryOptions { kind, length, format }
}

fn expected_count(kind: SummaryType, length: SummaryLength) -> usize {
    match (kind, length) {
        (SummaryType::KeyPoints, SummaryLength::Short) => 3,
        (SummaryType::KeyPoints, SummaryLength::Medium) => 5,
        (SummaryType::KeyPoints, SummaryLength::Long) => 7,
        (SummaryType::Tldr, SummaryLength::Short) => 1,
        (SummaryType::Tldr, SummaryLength::Medium) => 3,
        (SummaryType::Tldr, SummaryLength::Long) => 5,
        (SummaryType::Teaser, SummaryLength::Short) => 1,
        (SummaryType::Teaser, SummaryLength::Medium) => 2,
        (SummaryType::Teaser, SummaryLength::Long) => 4,
        (SummaryType::Headline, _) => 1,
    }
}

fn first_word(s: &str) -> String {
    s.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// Invariants that must hold for any input.
fn check_invariants(input: &str, s: &Summary, o: &SummaryOptions) {
    let n_input = norm(input);
    let mut seen = std::collections::HashSet::new();
    for (k, ss) in s.sentences.iter().enumerate() {
        assert!(n_input.contains(&ss.text), "not verbatim: {:?}", ss.text);
        assert!(seen.insert(ss.index), "duplicate sentence {}", ss.index);
        assert!(ss.score.is_finite());
        if k > 0 {
            assert!(s.sentences[k - 1].index < ss.index, "not in page order");
        }
    }
    assert!(s.sentences.len() <= expected_count(o.kind, o.length));
    assert_eq!((s.kind, s.length, s.format), (o.kind, o.length, o.format));
    if o.kind == SummaryType::KeyPoints {
        let bullet = if o.format == SummaryFormat::Markdown {
            "- "
        } else {
            "• "
        };
        let lines: Vec<&str> = s.text.lines().collect();
        assert_eq!(lines.len(), s.sentences.len());
        for (line, ss) in lines.iter().zip(&s.sentences) {
            assert_eq!(*line, format!("{bullet}{}", ss.text));
        }
    } else {
        assert!(!s.text.contains('\n'));
        for ss in &s.sentences {
            assert!(s.text.contains(&ss.text));
        }
    }
}

#[test]
fn realistic_texts_all_types_and_lengths() {
    for (title, text) in [(NEWS_TITLE, NEWS), (HOWTO_TITLE, HOWTO), (REVIEW_TITLE, REVIEW)] {
        for kind in TYPES {
            for length in LENGTHS {
                for format in [SummaryFormat::Markdown, SummaryFormat::Plain] {
                    let o = opts(kind, length, format);
                    let s = summarize_text(text, Some(title), &o);
                    check_invariants(text, &s, &o);
                    assert_eq!(s.sentences.len(), expected_count(kind, length), "{kind:?} {length:?}");
                    // Deterministic.
                    assert_eq!(s, summarize_text(text, Some(title), &o));
                    if kind != SummaryType::Headline {
                        for ss in &s.sentences {
                            let w = first_word(&ss.text);
                            assert!(
                                !DANGLING.contains(&w.as_str()),
                                "{kind:?}/{length:?} picked dangling opener: {:?}",
                                ss.text
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn headline_is_short_prefix() {
    for (title, text) in [(NEWS_TITLE, NEWS), (HOWTO_TITLE, HOWTO), (REVIEW_TITLE, REVIEW)] {
        for (length, max) in [
            (SummaryLength::Short, 12),
            (SummaryLength::Medium, 17),
            (SummaryLength::Long, 22),
        ] {
            let s = summarize_text(
                text,
                Some(title),
                &opts(SummaryType::Headline, length, SummaryFormat::Plain),
            );
            let h = &s.sentences[0].text;
            assert!(h.split_whitespace().count() <= max, "{h}");
            assert!(h.split_whitespace().count() >= 3, "{h}");
            assert!(norm(text).contains(h.as_str()));
            assert_eq!(&s.text, h);
            assert!(!h.ends_with('.'));
        }
    }
}

#[test]
fn news_summary_mentions_the_vote() {
    let s = summarize_text(
        NEWS,
        Some(NEWS_TITLE),
        &opts(SummaryType::Tldr, SummaryLength::Short, SummaryFormat::Plain),
    );
    assert!(s.text.contains("voted 7-2"), "{}", s.text);
    let kp = summarize_text(
        NEWS,
        None,
        &opts(SummaryType::KeyPoints, SummaryLength::Medium, SummaryFormat::Markdown),
    );
    assert!(kp.text.starts_with("- "));
    assert!(kp.sentences.iter().all(|s| s.block.is_some()));
    // A teaser avoids the lead sentence.
    let t = summarize_text(
        NEWS,
        Some(NEWS_TITLE),
        &opts(SummaryType::Teaser, SummaryLength::Short, SummaryFormat::Plain),
    );
    assert_ne!(t.sentences[0].index, 0, "{}", t.text);
}

#[test]
fn fewer_sentences_than_requested() {
    let text = "Only one real sentence here about the new bridge.";
    let o = opts(SummaryType::KeyPoints, SummaryLength::Long, SummaryFormat::Markdown);
    let s = summarize_text(text, None, &o);
    assert_eq!(s.sentences.len(), 1);
    assert_eq!(s.text, format!("- {text}"));
    let dup = "Same sentence again and again. Same sentence again and again. Same sentence again and again.";
    let s = summarize_text(dup, None, &o);
    assert_eq!(s.sentences.len(), 1, "{:?}", s.sentences);
}

#[test]
fn empty_and_junk_inputs() {
    for input in ["", "   ", "\n\n\n", "... !!! ---", "1 2 3 4"] {
        for kind in TYPES {
            let o = opts(kind, SummaryLength::Medium, SummaryFormat::Markdown);
            let s = summarize_text(input, None, &o);
            check_invariants(input, &s, &o);
        }
    }
    let s = summarize_text("", Some("Title"), &SummaryOptions::default());
    assert!(s.text.is_empty() && s.sentences.is_empty());
}

#[test]
fn embedding_tier_plugs_in() {
    // Sentences with hand-made "embeddings": 0..2 on topic A, 3 on topic B.
    let sentences = [
        SourceSentence {
            text: "The council approved the bridge plan on Tuesday evening.",
            block: Some(0),
        },
        SourceSentence {
            text: "Council members backed the bridge proposal by a wide margin.",
            block: Some(0),
        },
        SourceSentence {
            text: "The bridge vote ended years of debate in the city.",
            block: Some(1),
        },
        SourceSentence {
            text: "Separately, the library announced longer opening hours.",
            block: Some(2),
        },
    ];
    let vecs = vec![vec![1.0, 0.1], vec![0.9, 0.2], vec![0.95, 0.15], vec![0.0, 1.0]];
    let sim = MatrixSimilarity::from_embeddings(&vecs);
    let o = opts(SummaryType::Tldr, SummaryLength::Short, SummaryFormat::Plain);
    let s = summarize(&sentences, &sim, None, &o);
    assert_eq!(s.sentences.len(), 1);
    assert_ne!(s.sentences[0].index, 3);
    // Mismatched lengths never panic.
    let short_sim = MatrixSimilarity::from_embeddings(&vecs[..2]);
    let s = summarize(&sentences, &short_sim, None, &o);
    assert!(s.sentences.iter().all(|x| x.index < 2));
    let texts: Vec<&str> = sentences.iter().map(|s| s.text).collect();
    let lex = LexicalSimilarity::new(&texts);
    let s = summarize(
        &sentences,
        &lex,
        None,
        &opts(SummaryType::KeyPoints, SummaryLength::Short, SummaryFormat::Plain),
    );
    assert_eq!(s.sentences.len(), 3);
}

#[test]
fn serde_variant_names() {
    use serde::de::{Deserialize, IntoDeserializer, value::Error};
    fn de<T: for<'a> Deserialize<'a>>(s: &str) -> Option<T> {
        T::deserialize(IntoDeserializer::<Error>::into_deserializer(s)).ok()
    }
    assert_eq!(de::<SummaryType>("key-points"), Some(SummaryType::KeyPoints));
    assert_eq!(de::<SummaryType>("tldr"), Some(SummaryType::Tldr));
    assert_eq!(de::<SummaryType>("teaser"), Some(SummaryType::Teaser));
    assert_eq!(de::<SummaryType>("headline"), Some(SummaryType::Headline));
    assert_eq!(de::<SummaryLength>("short"), Some(SummaryLength::Short));
    assert_eq!(de::<SummaryLength>("medium"), Some(SummaryLength::Medium));
    assert_eq!(de::<SummaryLength>("long"), Some(SummaryLength::Long));
    assert_eq!(de::<SummaryFormat>("markdown"), Some(SummaryFormat::Markdown));
    assert_eq!(de::<SummaryFormat>("plain"), Some(SummaryFormat::Plain));
    assert_eq!(de::<SummaryFormat>("plain-text"), Some(SummaryFormat::Plain));
    assert_eq!(de::<SummaryType>("KeyPoints"), None);
}

#[test]
fn cjk_and_rtl_summaries() {
    let zh = "新的跨河大桥将于明年春天开工。市议会周二以七比二的投票结果批准了这项计划。\n\n这座旧桥建于1958年，每天通行约一万八千辆汽车。检查人员在2019年认定旧桥结构存在缺陷。\n\n新桥预计耗资四千二百万美元。大部分资金来自联邦基础设施拨款。施工预计需要三年时间。";
    let o = opts(SummaryType::Tldr, SummaryLength::Medium, SummaryFormat::Plain);
    let s = summarize_text(zh, None, &o);
    check_invariants(zh, &s, &o);
    assert_eq!(s.sentences.len(), 3);
    assert!(!s.text.contains(' '), "CJK sentences join without spaces: {}", s.text);
    let ar = "صوت مجلس المدينة يوم الثلاثاء على بناء جسر جديد فوق النهر. الجسر القديم بني عام 1958 ويعبره آلاف السيارات يوميا. ستبلغ تكلفة الجسر الجديد اثنين وأربعين مليون دولار. سيبدأ البناء في الربيع المقبل.";
    let o = opts(SummaryType::KeyPoints, SummaryLength::Short, SummaryFormat::Markdown);
    let s = summarize_text(ar, None, &o);
    check_invariants(ar, &s, &o);
    assert_eq!(s.sentences.len(), 3);
    let h = summarize_text(
        zh,
        None,
        &opts(SummaryType::Headline, SummaryLength::Short, SummaryFormat::Plain),
    );
    assert_eq!(h.sentences.len(), 1);
    assert!(zh.contains(&h.text));
}

/// Three pages from the readability corpus, tags stripped crudely.
#[test]
fn corpus_pages_invariants() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability"));
    let entries = std::fs::read_dir(root).expect("the corpus is in the repository");
    let mut dirs: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.html").is_file())
        .collect();
    dirs.sort();
    let picks: Vec<_> = ["nytimes-1", "wikipedia", "medium-2"]
        .iter()
        .filter_map(|name| dirs.iter().find(|d| d.file_name().is_some_and(|f| f == *name)))
        .chain(dirs.iter())
        .take(3)
        .cloned()
        .collect();
    assert_eq!(picks.len(), 3);
    for dir in picks {
        let html = std::fs::read_to_string(dir.join("expected.html")).unwrap_or_default();
        let text = strip_tags(&html);
        for kind in TYPES {
            for length in LENGTHS {
                let o = opts(kind, length, SummaryFormat::Markdown);
                let s = summarize_text(&text, None, &o);
                check_invariants(&text, &s, &o);
                assert!(!s.sentences.is_empty(), "{dir:?}");
                if kind != SummaryType::Headline {
                    assert_eq!(s.sentences.len(), expected_count(kind, length), "{dir:?} {kind:?}");
                }
            }
        }
        let s = summarize_text(
            &text,
            None,
            &opts(SummaryType::KeyPoints, SummaryLength::Short, SummaryFormat::Markdown),
        );
        eprintln!("{}:\n{}\n", dir.display(), s.text);
    }
}
