//! T1 summaries against the summaries the pages' authors wrote: each corpus page's description (Readability's
//! `excerpt`, kept where it is not a sentence of the page itself) against the key points (short) picked without a
//! model (T0), with the bundled MiniLM and with the multilingual embedder, by recall of the description's word
//! bigrams (Han and kana characters count as words), English and other languages apart.
//!
//! ```text
//! cargo run --release --example summary_reference
//! ```

use std::path::Path;

use scout::core::catalog::Catalog;
use scout::core::embed::Embedder;
use scout::core::pipeline::{SummarizeContext, summarize};
use scout::core::protocol::{PageContent, TierRequest};
use scout::core::store::MemoryStore;
use scout::core::text::SummaryOptions;
use scout::native::{
    NativeClock, NativeEncoder, cache_dir, cached_model_file, catalog_embedder, native_embedder, ort_dylib_path,
};

/// Words, lowercased; Han / kana characters one by one.
fn units(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        let cjk = matches!(c as u32, 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af);
        if c.is_alphanumeric() && !cjk {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if cjk {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn bigrams(u: &[String]) -> Vec<(String, String)> {
    u.windows(2).map(|w| (w[0].clone(), w[1].clone())).collect()
}

/// Share of the reference's bigrams found in the candidate (each counted once).
fn recall(reference: &str, candidate: &str) -> f64 {
    let r = bigrams(&units(reference));
    let c = bigrams(&units(candidate));
    if r.is_empty() {
        return 0.0;
    }
    let mut seen = std::collections::HashSet::new();
    let hits = r.iter().filter(|b| seen.insert((*b).clone()) && c.contains(b)).count();
    hits as f64 / seen.len().max(1) as f64
}

fn e5() -> Option<Embedder<NativeEncoder>> {
    let catalog = Catalog::builtin();
    let entry = catalog.multilingual_embedder()?;
    catalog_embedder(entry, &cache_dir().join("hub").join(&entry.repo), 2).ok()
}

fn main() {
    let corpus = Path::new("tests/corpus/readability");
    let mut names: Vec<String> = std::fs::read_dir(corpus)
        .expect("corpus")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let minilm_model = cached_model_file("all-minilm-l6-v2-int8", "onnx/model_quantized.onnx");
    let minilm_tok = std::fs::read(cached_model_file("all-minilm-l6-v2-int8", "tokenizer.json")).expect("tokenizer");
    let mut minilm = native_embedder(&ort_dylib_path(), &minilm_model, &minilm_tok, 2).expect("MiniLM");
    let mut multilingual = e5().expect("the multilingual embedder (cargo xtask test-files)");
    let clock = NativeClock::default();
    let opts = SummaryOptions::default();
    // [english, other] × [t0, minilm, e5]: (sum, n)
    let mut sums = [[0.0f64; 3]; 2];
    let mut counts = [0usize; 2];
    for name in names {
        let meta: serde_json::Value = match std::fs::read_to_string(corpus.join(&name).join("expected-metadata.json")) {
            Ok(s) => serde_json::from_str(&s).unwrap_or_default(),
            Err(_) => continue,
        };
        let excerpt = meta["excerpt"].as_str().unwrap_or("").trim().to_string();
        let html = std::fs::read_to_string(corpus.join(&name).join("source.html")).unwrap_or_default();
        let page = PageContent::from_html(format!("https://example.com/{name}"), html);
        let Ok(read) = scout::core::page::read_page(&page) else {
            continue;
        };
        let text = read.text();
        // A description that is the page's own first sentence says nothing about choosing well.
        if units(&excerpt).len() < 8 || text.contains(&excerpt) {
            continue;
        }
        let lang = scout::core::text::detect_language(&text)
            .map(|g| g.code)
            .unwrap_or_default();
        let mut row = Vec::new();
        for (k, embedder) in [None, Some(&mut minilm), Some(&mut multilingual)]
            .into_iter()
            .enumerate()
        {
            let store = MemoryStore::default();
            let tier = if embedder.is_some() {
                TierRequest::T1
            } else {
                TierRequest::T0
            };
            let ctx = SummarizeContext {
                embedder,
                embedder_error: None,
                model_id: Some(["t0", "minilm", "e5"][k]),
                store: &store,
                clock: &clock,
                wall_ms: 0.0,
                cancelled: &|| false,
            };
            let r = pollster::block_on(summarize(ctx, &page, &opts, tier, true)).expect("summary");
            let joined: Vec<&str> = r.summary.sentences.iter().map(|s| s.text.as_str()).collect();
            row.push(recall(&excerpt, &joined.join(" ")));
        }
        let g = usize::from(lang != "en");
        counts[g] += 1;
        for (s, r) in sums[g].iter_mut().zip(&row) {
            *s += r;
        }
        println!(
            "{name:<28} {lang:<3} t0 {:.3} minilm {:.3} e5 {:.3}",
            row[0], row[1], row[2]
        );
    }
    for (g, label) in ["English", "other languages"].iter().enumerate() {
        let n = counts[g].max(1) as f64;
        println!(
            "{label}: {} pages, description bigram recall: T0 {:.3}, MiniLM {:.3}, multilingual-e5 {:.3}",
            counts[g],
            sums[g][0] / n,
            sums[g][1] / n,
            sums[g][2] / n
        );
    }
}
