//! Scout's own int8 encoder (`core::bert`) and its GPU encoder's arithmetic (`PlainBertBackend`, the reference of
//! the WebGPU kernels) against ONNX Runtime on the same corpus sentences: each vector's cosine to the PyPI file's
//! float computation (the reference all approximate), and the T1 summaries picked from each set of vectors (share of
//! the float summary's sentences kept), with the time each took here.
//!
//! ```text
//! cargo run --release --example kernel_parity -- WEIGHTS.bin [PAGES]
//! ```

use std::time::Instant;

use scout::core::embed::{EmbedTokenizer, Embedder};
use scout::core::page::read_page;
use scout::core::pipeline::ranked_sentences;
use scout::core::protocol::PageContent;
use scout::core::text::{self, MatrixSimilarity, SummaryLength, SummaryOptions, SummaryType};
use scout::native::{cache_dir, cached_model_file, native_embedder, ort_dylib_path};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let weights = std::fs::read(args.get(1).expect("usage: kernel_parity WEIGHTS.bin [PAGES]")).expect("weights");
    let max_pages: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability");
    let tok = std::fs::read(cached_model_file("all-minilm-l6-v2-int8", "tokenizer.json")).expect("tokenizer");
    let source = cache_dir().join("sources/all-minilm-l6-v2-int8/model.onnx");
    let mut float = native_embedder(&ort_dylib_path(), &source, &tok, 1).expect("float");
    let mut shipped = native_embedder(
        &ort_dylib_path(),
        &cached_model_file("all-minilm-l6-v2-int8", "onnx/model_quantized.onnx"),
        &tok,
        1,
    )
    .expect("int8");
    let mut kernel = Embedder::new(
        EmbedTokenizer::from_bytes(&tok, 256).expect("tokenizer"),
        scout::core::bert::BertBackend::from_bytes(&weights, "native-int8").expect("weights"),
        384,
    );
    let mut gpu = Embedder::new(
        EmbedTokenizer::from_bytes(&tok, 256).expect("tokenizer"),
        scout::core::bert::PlainBertBackend::from_bytes(&weights).expect("weights"),
        384,
    );
    let (mut cos_gpu, mut kept_gpu) = (Vec::new(), 0.0);
    let mut dirs: Vec<_> = std::fs::read_dir(corpus)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let (mut cos_ort, mut cos_kernel, mut cos_between) = (Vec::new(), Vec::new(), Vec::new());
    let (mut kept_ort, mut kept_kernel, mut kept_between, mut summaries) = (0.0, 0.0, 0.0, 0usize);
    let (mut ms_ort, mut ms_kernel) = (0.0, 0.0);
    let mut pages = 0;
    for dir in dirs {
        if pages >= max_pages {
            break;
        }
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
        if sentences.len() < 10 {
            continue;
        }
        pages += 1;
        let texts: Vec<&str> = sentences.iter().map(|s| s.text).collect();
        let f = pollster::block_on(float.embed(&texts)).expect("float");
        let t = Instant::now();
        let o = pollster::block_on(shipped.embed(&texts)).expect("int8");
        ms_ort += t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let k = pollster::block_on(kernel.embed(&texts)).expect("kernel");
        ms_kernel += t.elapsed().as_secs_f64() * 1000.0;
        let g = pollster::block_on(gpu.embed(&texts)).expect("gpu reference");
        for i in 0..texts.len() {
            cos_gpu.push(scout::core::embed::dot(&f[i], &g[i]));
            cos_ort.push(scout::core::embed::dot(&f[i], &o[i]));
            cos_kernel.push(scout::core::embed::dot(&f[i], &k[i]));
            cos_between.push(scout::core::embed::dot(&o[i], &k[i]));
        }
        let title = Some(read.title.as_str());
        for (kind, length) in [
            (SummaryType::KeyPoints, SummaryLength::Short),
            (SummaryType::KeyPoints, SummaryLength::Long),
            (SummaryType::Tldr, SummaryLength::Medium),
        ] {
            let opts = SummaryOptions {
                kind,
                length,
                ..Default::default()
            };
            let picks = |v: &[Vec<f32>]| -> Vec<usize> {
                let sim = MatrixSimilarity::from_embeddings(v);
                text::summarize(&sentences, &sim, title, &opts)
                    .sentences
                    .iter()
                    .map(|x| x.index)
                    .collect()
            };
            let (pf, po, pk) = (picks(&f), picks(&o), picks(&k));
            if pf.is_empty() {
                continue;
            }
            let share = |a: &[usize], b: &[usize]| a.iter().filter(|i| b.contains(i)).count() as f64 / a.len() as f64;
            kept_ort += share(&pf, &po);
            kept_kernel += share(&pf, &pk);
            kept_between += share(&po, &pk);
            kept_gpu += share(&pf, &picks(&g));
            summaries += 1;
        }
    }
    let stats = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        format!(
            "mean {mean:.5}, 1st percentile {:.4}, worst {:.4}",
            v[v.len() / 100],
            v[0]
        )
    };
    let n = cos_ort.len();
    println!("{pages} pages, {n} sentences, {summaries} summaries");
    println!("cosine to the float model: ONNX Runtime int8 {}", stats(&mut cos_ort));
    println!(
        "cosine to the float model: Scout's encoder    {}",
        stats(&mut cos_kernel)
    );
    println!(
        "cosine between the two int8:                  {}",
        stats(&mut cos_between)
    );
    println!("cosine to the float model: Scout's GPU encoder {}", stats(&mut cos_gpu));
    let s = summaries as f64;
    println!(
        "float summary's sentences kept: ONNX Runtime int8 {:.3}, Scout's encoder {:.3}; int8 summary kept by Scout's {:.3}",
        kept_ort / s,
        kept_kernel / s,
        kept_between / s
    );
    println!(
        "float summary's sentences kept by Scout's GPU encoder: {:.3}",
        kept_gpu / s
    );
    println!("time here (1 thread each): ONNX Runtime int8 {ms_ort:.0} ms, Scout's encoder {ms_kernel:.0} ms");
}
