//! T2 quality, measured natively on Scout's int8 decoder (the extension's CPU path, the same bits) or ONNX Runtime
//! (`--decoder onnx`), with the same core functions the extension runs:
//!
//! - **Chat citations**: for each question of `tests/t1/retrieval_eval.json`, T1 retrieval gives the passages, the
//!   LLM answers; counted: answers that show a source (cited by the model, or matched by Scout when it cites none),
//!   and answers whose shown sources hold the gold answer; for the unanswerable questions, answers that say the page
//!   does not answer.
//! - **Summary support**: key points (medium) of `--pages N` corpus pages; each summary sentence's best-matching page
//!   sentence by MiniLM cosine; a sentence is supported at or above `SUPPORT_COSINE` (chosen by hand on labelled
//!   examples; `--examples` prints pairs to label).
//!
//! ```text
//! cargo run --release --example t2_quality -- --model ~/.cache/scout/hub/HuggingFaceTB/SmolLM2-135M-Instruct
//!     [--pages 20] [--summaries-only] [--examples] [--context N] [--decoder int8|onnx]
//! ```

use std::path::Path;
use std::time::Instant;

use scout::core::catalog::Catalog;
use scout::core::embed::Embedder;
use scout::core::generate::{Date, Generator};
use scout::core::page::read_page;
use scout::core::protocol::PageContent;
use scout::core::qa::{IndexCache, answer};
use scout::core::store::MemoryStore;
use scout::core::text::{SummaryLength, SummaryOptions, SummaryType, split_sentences};
use scout::core::writer::chat::{NOT_FOUND, Source, writer_sources};
use scout::core::writer::run::{Budget, WrittenAnswer, write_answer, write_summary};
use scout::native::{
    AnyDecoder, NativeClock, NativeEncoder, any_generator, cached_model_file, native_embedder, ort_dylib_path,
};

/// A summary sentence whose best page sentence has at least this cosine (MiniLM) is counted as supported: the best
/// agreement with the 38 hand-labelled pairs in `tests/t2/summary_support_labels.tsv` (accuracy 0.76; it predicts
/// 37 % supported where the labels say 39 %). Cosine cannot see a wrong number or place, so it is an estimate.
const SUPPORT_COSINE: f32 = 0.78;

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn corpus_dir() -> String {
    std::env::var("SCOUT_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string())
}

fn corpus_page(name: &str) -> PageContent {
    let corpus = corpus_dir();
    let html = std::fs::read_to_string(format!("{corpus}/{name}/source.html")).expect("source.html");
    PageContent::from_html(format!("https://example.com/{name}"), html)
}

fn embedder() -> Embedder<NativeEncoder> {
    let catalog = Catalog::builtin();
    let entry = catalog.bundled_embedder().expect("bundled embedder");
    let file = |role: &str| cached_model_file(&entry.id, &entry.file(role).expect("file").path);
    let tok = std::fs::read(file("tokenizer")).expect("tokenizer (run cargo xtask setup)");
    native_embedder(&ort_dylib_path(), &file("model"), &tok, 2).expect("embedder")
}

fn norm(s: &str) -> String {
    s.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// T1 retrieval's passages for `question`, and the LLM's answer written from them (the extension's chat turn).
fn ask_model(
    g: &mut Generator<AnyDecoder>,
    emb: &mut Embedder<NativeEncoder>,
    page: &PageContent,
    question: &str,
) -> (Vec<Source>, WrittenAnswer) {
    let clock = NativeClock::default();
    let found = pollster::block_on(answer(
        emb,
        &mut IndexCache::default(),
        &MemoryStore::default(),
        &clock,
        page,
        question,
        &scout::core::retrieve::AskOptions {
            top_k: 4,
            ..Default::default()
        },
        "all-MiniLM-L6-v2",
    ))
    .expect("retrieval");
    let sources: Vec<Source> = writer_sources(&found);
    let out = pollster::block_on(write_answer(
        g,
        &found.title,
        &[],
        question,
        sources.clone(),
        &Budget::default(),
        &clock,
        &|| false,
        &mut |_| {},
    ))
    .expect("answer");
    (sources, out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = flag(&args, "--model").expect("--model DIR (a decoder in the hub layout)");
    let pages_n: usize = flag(&args, "--pages").and_then(|n| n.parse().ok()).unwrap_or(20);
    let examples = args.iter().any(|a| a == "--examples");
    let skip_chat = args.iter().any(|a| a == "--summaries-only");
    let onnx = ["onnx/model_quantized.onnx", "onnx/model.onnx"]
        .into_iter()
        .find(|p| Path::new(&model).join(p).exists())
        .expect("an ONNX file in the model folder");
    let today = Date {
        year: 2026,
        month: 12,
        day: 4,
    };
    // `--decoder onnx`: native ONNX Runtime; else Scout's decoder, the extension's CPU path (the same bits).
    let decoder = flag(&args, "--decoder").unwrap_or_else(|| "int8".to_string());
    let mut g = any_generator(&decoder, Path::new(&model), onnx, 2, today).expect("generator");
    let mut emb = embedder();
    let clock = NativeClock::default();
    // `--context N`: the one-pass limit of summaries (the default budget's otherwise), to compare budgets.
    let mut budget = Budget::default();
    if let Some(c) = flag(&args, "--context").and_then(|n| n.parse().ok()) {
        budget.context = c;
    }
    let t0 = Instant::now();

    // Chat citations.
    let eval: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/t1/retrieval_eval.json")).expect("eval"),
    )
    .expect("json");
    let (mut answered, mut with_source, mut cited_by_model, mut source_holds_gold, mut gold_retrieved) =
        (0, 0, 0, 0, 0);
    for q in eval["answerable"]
        .as_array()
        .expect("answerable")
        .iter()
        .filter(|_| !skip_chat)
    {
        let page = corpus_page(q["page"].as_str().expect("page"));
        let question = q["question"].as_str().expect("question");
        let gold: Vec<String> = q["gold"]
            .as_array()
            .expect("gold")
            .iter()
            .map(|g| norm(g.as_str().expect("gold")))
            .collect();
        let (sources, out) = ask_model(&mut g, &mut emb, &page, question);
        let holds = |text: &str| gold.iter().any(|g| norm(text).contains(g.as_str()));
        if sources.iter().any(|s| holds(&s.text)) {
            gold_retrieved += 1;
        }
        answered += 1;
        let citations = out.citations();
        if !citations.is_empty() {
            with_source += 1;
            if !citations[0].matched {
                cited_by_model += 1;
            }
        }
        if citations.iter().any(|c| holds(&c.text)) {
            source_holds_gold += 1;
        }
    }
    let mut said_not_found = 0;
    let unanswerable = eval["unanswerable"].as_array().expect("unanswerable");
    for q in unanswerable.iter().filter(|_| !skip_chat) {
        let page = corpus_page(q["page"].as_str().expect("page"));
        let question = q["question"].as_str().expect("question");
        let (_, out) = ask_model(&mut g, &mut emb, &page, question);
        if out.answer.text.contains(NOT_FOUND) {
            said_not_found += 1;
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    if !skip_chat {
        println!(
            "chat, {answered} answerable questions: a source shown {:.0} % (cited by the model {:.0} %, matched by Scout the rest); \
         a shown source holds the gold answer {:.0} % (retrieval gave it to the model {:.0} %)",
            pct(with_source, answered),
            pct(cited_by_model, answered),
            pct(source_holds_gold, answered),
            pct(gold_retrieved, answered)
        );
        println!(
            "chat, {} unanswerable questions: \"{NOT_FOUND}\" {:.0} %",
            unanswerable.len(),
            pct(said_not_found, unanswerable.len())
        );
    }

    // Summary support.
    let mut pages: Vec<String> = eval["answerable"]
        .as_array()
        .expect("answerable")
        .iter()
        .map(|q| q["page"].as_str().expect("page").to_string())
        .collect();
    pages.dedup();
    // The question set's pages first, then others from the corpus, up to `--pages`.
    let corpus = corpus_dir();
    let mut others: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .filter(|n| !pages.contains(n) && Path::new(&corpus).join(n).join("source.html").exists())
        .collect();
    others.sort();
    pages.extend(others);
    pages.truncate(pages_n);
    let opts = SummaryOptions {
        kind: SummaryType::KeyPoints,
        length: SummaryLength::Medium,
        ..Default::default()
    };
    let (mut sentences, mut supported) = (0, 0);
    for name in &pages {
        let read = read_page(&corpus_page(name)).expect("page");
        let out = pollster::block_on(write_summary(
            &mut g,
            &read,
            &opts,
            None,
            &budget,
            &clock,
            &|| false,
            &mut |_| {},
        ))
        .expect("summary");
        let page_sentences: Vec<String> = split_sentences(&read.text())
            .into_iter()
            .map(|s| s.text.to_string())
            .collect();
        let page_refs: Vec<&str> = page_sentences.iter().map(String::as_str).collect();
        let page_vecs = pollster::block_on(emb.embed(&page_refs)).expect("embed page");
        for line in out
            .text
            .lines()
            .map(|l| l.trim_start_matches("- ").trim())
            .filter(|l| !l.is_empty())
        {
            let v = pollster::block_on(emb.embed(&[line])).expect("embed")[0].clone();
            let (best, sim) = page_vecs
                .iter()
                .enumerate()
                .map(|(i, p)| (i, cosine(&v, p)))
                .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
            sentences += 1;
            if sim >= SUPPORT_COSINE {
                supported += 1;
            }
            if examples {
                println!(
                    "{sim:.3}\t{line}\t|\t{}",
                    page_sentences.get(best).map_or("", String::as_str)
                );
            }
        }
    }
    println!(
        "summaries, {} pages: {sentences} sentences, supported by the page {:.0} % (best page sentence cosine ≥ {SUPPORT_COSINE})",
        pages.len(),
        pct(supported, sentences)
    );
    println!("({:.0} s)", t0.elapsed().as_secs_f64());
}
