//! How many sentences must the embedder see for a T1 summary? For every corpus page, embeds all ranked
//! candidates with native ONNX Runtime, then compares the summary picked from a cheap shortlist of B sentences
//! with the one picked from all of them (share of the full summary's sentences kept), and the tokens embedded.
//! Shortlists come from the cheap linear score (what the pipeline uses), from a token budget, and from the summary's
//! own ranking over a static token table distilled from the model (`core::static_embed`, the Model2Vec method; made
//! on first run, ~45 s, cached in `target/static_table_256.bin`).
//!
//! Measured 2026-12-05 on the 39 corpus pages of ≥ 40 sentences: the static table alone keeps 0.583 of the full
//! summary; a static shortlist keeps 0.681 / 0.737 / 0.765 / 0.789 / 0.828 at 16 / 24 / 32 / 48 / 64 sentences
//! against 0.714 / 0.735 / 0.768 / 0.811 for the cheap one at 24 / 32 / 48 / 64 (0.873 at 96, the pipeline's
//! budget): two or three points at the same size, not the halving of the budget that would
//! pay for shipping the table (7.8 MB), so the pipeline keeps the cheap shortlist.
//!
//! ```text
//! cargo run --release --example t1_budget
//! ```

use std::time::Instant;

use scout::core::embed::EmbedTokenizer;
use scout::core::page::read_page;
use scout::core::pipeline::ranked_sentences;
use scout::core::protocol::PageContent;
use scout::core::static_embed::StaticTable;
use scout::core::text::{
    self, LexicalSimilarity, MatrixSimilarity, ScatteredSimilarity, SummaryLength, SummaryOptions, SummaryType,
};
use scout::native::{cached_model_file, distill_static_table, native_embedder, ort_dylib_path};

const BUDGETS: [usize; 6] = [24, 32, 48, 64, 96, 128];
/// Token budgets for a shortlist taken best-first until the (truncated) tokens reach the budget.
const TOKEN_BUDGETS: [usize; 4] = [512, 768, 1024, 1536];
const TRUNC: usize = 40;
/// Shortlists picked by the summary's own ranking over the static table (see `core::static_embed`).
const STATIC_BUDGETS: [usize; 5] = [16, 24, 32, 48, 64];
const STATIC_DIMS: usize = 256;

fn main() {
    let corpus = std::env::var("SCOUT_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string());
    let tok = std::fs::read(cached_model_file("all-minilm-l6-v2-int8", "tokenizer.json")).expect("tokenizer");
    let mut embedder = native_embedder(
        &ort_dylib_path(),
        &cached_model_file("all-minilm-l6-v2-int8", "onnx/model_quantized.onnx"),
        &tok,
        2,
    )
    .expect("native embedder");
    let tokenizer = EmbedTokenizer::from_bytes(&tok, 256).expect("tokenizer");
    let table_path =
        std::env::var("SCOUT_STATIC_TABLE").unwrap_or_else(|_| format!("target/static_table_{STATIC_DIMS}.bin"));
    let table = match std::fs::read(&table_path) {
        Ok(b) => StaticTable::from_bytes(&b).expect("table"),
        Err(_) => {
            let t = Instant::now();
            let table = pollster::block_on(distill_static_table(
                &mut embedder.backend,
                &tokenizer,
                384,
                STATIC_DIMS,
            ))
            .expect("distill");
            println!("distilled the static table in {:.1} s", t.elapsed().as_secs_f64());
            std::fs::write(&table_path, table.to_bytes()).expect("write table");
            table
        }
    };
    let mut static_kept = vec![(0.0f64, 0usize, 0.0f64); STATIC_BUDGETS.len()];
    let mut static_only = (0.0f64, 0usize);
    let mut trunc_kept = (0.0f64, 0usize, 0.0f64);
    let mut tok_kept = vec![(0.0f64, 0usize, 0.0f64); TOKEN_BUDGETS.len()];
    let kinds = [
        (SummaryType::KeyPoints, SummaryLength::Short),
        (SummaryType::KeyPoints, SummaryLength::Medium),
        (SummaryType::KeyPoints, SummaryLength::Long),
        (SummaryType::Tldr, SummaryLength::Medium),
        (SummaryType::Headline, SummaryLength::Medium),
    ];
    let mut dirs: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    // Per budget: (sum of kept shares, count, tokens fraction sum)
    let mut kept = vec![(0.0f64, 0usize, 0.0f64); BUDGETS.len()];
    let mut t0_vs_t1 = (0.0f64, 0usize);
    let mut pages = 0;
    let mut full_ms = 0.0;
    for dir in dirs {
        let Ok(html) = std::fs::read_to_string(dir.join("source.html")) else {
            continue;
        };
        let page = PageContent {
            url: "http://example.com/".into(),
            html: Some(html),
            ..Default::default()
        };
        let Ok(read) = read_page(&page) else { continue };
        let sentences = ranked_sentences(&read).sentences;
        if sentences.len() < 40 {
            continue;
        }
        pages += 1;
        let texts: Vec<&str> = sentences.iter().map(|s| s.text).collect();
        let tokens: Vec<usize> = tokenizer.encode(&texts).expect("encode").iter().map(Vec::len).collect();
        let total_tokens: usize = tokens.iter().sum();
        let t = Instant::now();
        let vecs = pollster::block_on(embedder.embed(&texts)).expect("embed");
        full_ms += t.elapsed().as_secs_f64() * 1000.0;
        let full_sim = MatrixSimilarity::from_embeddings(&vecs);
        embedder.tokenizer = EmbedTokenizer::from_bytes(&tok, TRUNC).expect("tokenizer");
        embedder.clear_cache();
        let short_vecs = pollster::block_on(embedder.embed(&texts)).expect("embed");
        embedder.tokenizer = EmbedTokenizer::from_bytes(&tok, 256).expect("tokenizer");
        embedder.clear_cache();
        let short_tokens: Vec<usize> = tokens.iter().map(|&t| t.min(TRUNC)).collect();
        let lex = LexicalSimilarity::new(&texts);
        let plain = tokenizer.encode_plain(&texts).expect("encode");
        let plain_refs: Vec<&[u32]> = plain.iter().map(Vec::as_slice).collect();
        let static_sim = MatrixSimilarity::from_embeddings(&table.embed(&plain_refs));
        let title = Some(read.title.as_str());
        for (kind, length) in kinds {
            let opts = SummaryOptions {
                kind,
                length,
                ..Default::default()
            };
            let picks = |s: &text::Summary| s.sentences.iter().map(|x| x.index).collect::<Vec<_>>();
            let full = picks(&text::summarize(&sentences, &full_sim, title, &opts));
            if full.is_empty() {
                continue;
            }
            let share = |p: &[usize]| p.iter().filter(|i| full.contains(i)).count() as f64 / full.len() as f64;
            // The share of the full summary kept when only the shortlist `sl` is embedded (with `vectors`) and ranked.
            let kept_by = |sl: &[usize], vectors: &[Vec<f32>]| {
                let sub: Vec<Vec<f32>> = sl.iter().map(|&i| vectors[i].clone()).collect();
                let sim = ScatteredSimilarity::new(MatrixSimilarity::from_embeddings(&sub), sl, sentences.len());
                share(&picks(&text::summarize_in(&sentences, &sim, title, &opts, Some(sl))))
            };
            static_only.0 += share(&picks(&text::summarize(&sentences, &static_sim, title, &opts)));
            static_only.1 += 1;
            let t0 = picks(&text::summarize(&sentences, &lex, title, &opts));
            t0_vs_t1.0 += share(&t0);
            t0_vs_t1.1 += 1;
            let short_sim = MatrixSimilarity::from_embeddings(&short_vecs);
            trunc_kept.0 += share(&picks(&text::summarize(&sentences, &short_sim, title, &opts)));
            trunc_kept.1 += 1;
            trunc_kept.2 += short_tokens.iter().sum::<usize>() as f64 / total_tokens as f64;
            let order = text::best_first(&sentences, title, &opts);
            for (bi, &budget) in TOKEN_BUDGETS.iter().enumerate() {
                let mut sl = Vec::new();
                let mut used = 0;
                for &i in &order {
                    if used >= budget {
                        break;
                    }
                    used += short_tokens[i];
                    sl.push(i);
                }
                sl.sort_unstable();
                tok_kept[bi].0 += kept_by(&sl, &short_vecs);
                tok_kept[bi].1 += 1;
                tok_kept[bi].2 += used as f64 / total_tokens as f64;
            }
            for (bi, &b) in STATIC_BUDGETS.iter().enumerate() {
                let sl = text::shortlist_by(&sentences, &static_sim, title, &opts, b);
                static_kept[bi].0 += kept_by(&sl, &vecs);
                static_kept[bi].1 += 1;
                let tok: usize = sl.iter().map(|&i| tokens[i]).sum();
                static_kept[bi].2 += tok as f64 / total_tokens as f64;
            }
            for (bi, &b) in BUDGETS.iter().enumerate() {
                let sl = text::shortlist(&sentences, title, &opts, b);
                kept[bi].0 += kept_by(&sl, &vecs);
                kept[bi].1 += 1;
                let tok: usize = sl.iter().map(|&i| tokens[i]).sum();
                kept[bi].2 += tok as f64 / total_tokens as f64;
            }
        }
        println!(
            "{:<40} {:>4} sentences {:>6} tokens",
            dir.file_name().unwrap_or_default().to_string_lossy(),
            sentences.len(),
            total_tokens
        );
    }
    println!("\n{pages} pages with ≥ 40 sentences; native embedding of all candidates: {full_ms:.0} ms in total");
    println!(
        "T0 (lexical) summary vs full T1: {:.3} of the T1 sentences",
        t0_vs_t1.0 / t0_vs_t1.1.max(1) as f64
    );
    println!(
        "all, truncated to {TRUNC} tokens: keeps {:.3}; embeds {:.3} of the tokens",
        trunc_kept.0 / trunc_kept.1.max(1) as f64,
        trunc_kept.2 / trunc_kept.1.max(1) as f64
    );
    for (bi, b) in TOKEN_BUDGETS.iter().enumerate() {
        let (s, n, f) = tok_kept[bi];
        println!(
            "token budget {b:>5} (truncated {TRUNC}): keeps {:.3}; embeds {:.3} of the tokens",
            s / n.max(1) as f64,
            f / n.max(1) as f64
        );
    }
    println!(
        "static table alone: keeps {:.3}",
        static_only.0 / static_only.1.max(1) as f64
    );
    let print_shortlists = |label: &str, budgets: &[usize], tallies: &[(f64, usize, f64)]| {
        for (b, &(s, n, f)) in budgets.iter().zip(tallies) {
            println!(
                "{label} {b:>4}: keeps {:.3} of the full T1 summary's sentences; embeds {:.3} of the tokens",
                s / n.max(1) as f64,
                f / n.max(1) as f64
            );
        }
    };
    print_shortlists("static shortlist", &STATIC_BUDGETS, &static_kept);
    print_shortlists("shortlist", &BUDGETS, &kept);
}
