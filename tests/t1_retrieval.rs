//! Retrieval quality with the real MiniLM on tests/retrieval_eval.json (native ONNX Runtime).
//!
//! Prints recall@1/@3 for cosine-only, BM25-only and the default hybrid, quote accuracy and the no-answer
//! precision/recall at the default threshold, and asserts floors slightly below the measured values.

use scout::core::extract::{ExtractOptions, Passage, extract};
use scout::core::retrieve::{
    AskOptions, AskResult, Fusion, IndexOptions, NoAnswerReason, PassageIndex, ScoringParams, ask, build_index, rank,
};
use std::collections::BTreeMap;

struct Item {
    page: String,
    question: String,
    gold: Option<Vec<String>>,
}

fn load() -> Vec<Item> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/t1/retrieval_eval.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("eval file")).expect("json");
    let s = |x: &serde_json::Value, k: &str| x[k].as_str().expect("string field").to_string();
    let mut out: Vec<Item> = v["answerable"]
        .as_array()
        .expect("answerable")
        .iter()
        .map(|x| Item {
            page: s(x, "page"),
            question: s(x, "question"),
            gold: Some(
                x["gold"]
                    .as_array()
                    .expect("gold")
                    .iter()
                    .map(|g| g.as_str().expect("gold string").to_string())
                    .collect(),
            ),
        })
        .collect();
    out.extend(
        v["unanswerable"]
            .as_array()
            .expect("unanswerable")
            .iter()
            .map(|x| Item {
                page: s(x, "page"),
                question: s(x, "question"),
                gold: None,
            }),
    );
    out
}

fn page_passages(page: &str) -> Vec<Passage> {
    let corpus = std::env::var("SCOUT_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string());
    let dir = format!("{corpus}/{page}");
    let html = std::fs::read_to_string(format!("{dir}/source.html")).expect("source.html");
    let url = std::fs::read_to_string(format!("{dir}/expected-metadata.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["url"].as_str().map(String::from));
    extract(
        &html,
        &ExtractOptions {
            url,
            ..Default::default()
        },
    )
    .expect("extract")
    .passages
}

#[derive(Default)]
struct Tally {
    n: usize,
    r1: usize,
    r3: usize,
    quote_hits: usize,
}

#[test]
fn retrieval_quality_with_minilm() {
    let items = load();
    let answerable = items.iter().filter(|i| i.gold.is_some()).count();
    let pages: std::collections::BTreeSet<&str> = items.iter().map(|i| i.page.as_str()).collect();
    assert!(answerable >= 40 && items.len() - answerable >= 8 && pages.len() >= 15);

    let mut emb = scout::native::native_embedder(
        &scout::native::ort_dylib_path(),
        &scout::native::cached_model_file("all-minilm-l6-v2-int8", "onnx/model_quantized.onnx"),
        &std::fs::read(scout::native::cached_model_file(
            "all-minilm-l6-v2-int8",
            "tokenizer.json",
        ))
        .expect("tokenizer.json (run `cargo xtask setup`)"),
        2,
    )
    .expect("native embedder");

    let mut indexes: BTreeMap<&str, PassageIndex> = BTreeMap::new();
    for p in &pages {
        let passages = page_passages(p);
        let idx = pollster::block_on(build_index(&mut emb, &passages, &IndexOptions::default())).expect("index");
        indexes.insert(p, idx);
    }
    for it in &items {
        if let Some(g) = &it.gold {
            let found = indexes[it.page.as_str()]
                .passages()
                .iter()
                .any(|p| g.iter().any(|x| p.text.contains(x.as_str())));
            assert!(found, "gold text not on {}: {g:?}", it.page);
        }
    }

    let qs: Vec<&str> = items.iter().map(|i| i.question.as_str()).collect();
    let qv = pollster::block_on(emb.embed(&qs)).expect("embed questions");
    let configs = [
        ("cosine-only", Fusion::Linear { alpha: 1.0 }),
        ("bm25-only", Fusion::Linear { alpha: 0.0 }),
        ("rrf k=60", Fusion::Rrf { k: 60.0 }),
        ("hybrid (default)", ScoringParams::default().fusion),
    ];
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let (mut true_no, mut false_no, mut missed_no) = (0usize, 0usize, 0usize);
    for (name, fusion) in configs {
        let scoring = ScoringParams {
            fusion,
            ..ScoringParams::default()
        };
        let t = tallies.entry(name).or_default();
        for (it, v) in items.iter().zip(&qv) {
            let idx = &indexes[it.page.as_str()];
            let all = AskOptions {
                top_k: 3,
                threshold: f32::NEG_INFINITY,
                scoring,
            };
            let AskResult::Answers(ans) = rank(idx, v, &it.question, &all) else {
                panic!("no answers without a threshold: {}", it.question);
            };
            for a in &ans {
                assert!(
                    a.text.contains(&a.quote) && !a.quote.trim().is_empty(),
                    "quote not in passage"
                );
            }
            let Some(g) = &it.gold else { continue };
            let hit = |a: &scout::core::retrieve::Answer| g.iter().any(|x| a.text.contains(x.as_str()));
            t.n += 1;
            if ans.first().is_some_and(hit) {
                t.r1 += 1;
                let a = &ans[0];
                let overlaps = g.iter().any(|x| {
                    a.text
                        .find(x.as_str())
                        .is_some_and(|s| s < a.quote_range.1 && s + x.len() > a.quote_range.0)
                });
                t.quote_hits += usize::from(overlaps);
            }
            t.r3 += usize::from(ans.iter().take(3).any(hit));
        }
        if name == "hybrid (default)" {
            for (it, v) in items.iter().zip(&qv) {
                let r = rank(&indexes[it.page.as_str()], v, &it.question, &AskOptions::default());
                let said_no = matches!(
                    r,
                    AskResult::NoAnswer {
                        reason: NoAnswerReason::LowScore,
                        ..
                    }
                );
                match (said_no, it.gold.is_none()) {
                    (true, true) => true_no += 1,
                    (true, false) => false_no += 1,
                    (false, true) => missed_no += 1,
                    (false, false) => {}
                }
            }
        }
    }
    println!("{:<18} {:>6} {:>6} {:>7}", "scoring", "R@1", "R@3", "quote");
    for (name, t) in &tallies {
        let n = t.n as f32;
        println!(
            "{name:<18} {:>6.3} {:>6.3} {:>7.3}",
            t.r1 as f32 / n,
            t.r3 as f32 / n,
            t.quote_hits as f32 / t.r1.max(1) as f32
        );
    }
    let unanswerable = items.len() - answerable;
    let precision = true_no as f32 / (true_no + false_no).max(1) as f32;
    let recall = true_no as f32 / unanswerable as f32;
    let kept = 1.0 - false_no as f32 / answerable as f32;
    println!(
        "no-answer @ default threshold: precision {precision:.3} recall {recall:.3} ({true_no}/{unanswerable}); \
         answerable kept {kept:.3} (missed no-answers {missed_no})"
    );

    let r = |name: &str, f: fn(&Tally) -> usize| f(&tallies[name]) as f32 / tallies[name].n as f32;
    assert!(r("hybrid (default)", |t| t.r3) >= 0.93);
    assert!(r("hybrid (default)", |t| t.r1) >= 0.68);
    assert!(r("cosine-only", |t| t.r3) >= 0.9);
    assert!(r("bm25-only", |t| t.r3) >= 0.72);
    assert!(r("hybrid (default)", |t| t.r3) >= r("bm25-only", |t| t.r3));
    assert!(recall >= 0.5 && precision >= 0.6 && kept >= 0.9);

    // The async path and a CJK question on an English page run end to end.
    let idx = &indexes["webmd-1"];
    let res = pollster::block_on(ask(&mut emb, idx, "花生过敏怎么治疗？", &AskOptions::default())).expect("ask");
    assert!(matches!(res, AskResult::Answers(_) | AskResult::NoAnswer { .. }));
}
