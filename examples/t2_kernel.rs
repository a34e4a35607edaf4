//! Scout's own int8 decoder (`scout-llm`) against native ONNX Runtime on the same model file: the first step's
//! logits, the greedy tokens of a page prompt, and the time of each (one thread each, as a browser worker has).
//!
//! ```text
//! cargo run --release --example t2_kernel -- DIR [MODEL_FILE] [PAGE] [TOKENS]
//!   DIR         a hub folder, e.g. ~/.cache/scout/hub/HuggingFaceTB/SmolLM2-135M-Instruct
//!   MODEL_FILE  default onnx/model_quantized.onnx
//!   PAGE        a corpus page name (tests/corpus/readability), default "wikipedia"
//! SCOUT_WORDS=N takes the first N words of the page (650). SCOUT_REFERENCE=onnx/model.onnx (an fp32 graph of the
//! same weights in DIR) also compares both int8 runtimes' first-step logits with the float model's on native ONNX
//! Runtime.
//! ```

use std::path::Path;
use std::time::Instant;

use scout::core::generate::{ChatMessage, Date, DecoderBackend, GenerateOptions, Generation};
use scout::core::protocol::PageContent;
use scout::native::{NativeClock, kernel_generator, native_generator, ort_dylib_path};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().expect("DIR"));
    let model = args.get(1).map_or("onnx/model_quantized.onnx", String::as_str);
    let page = args.get(2).map_or("wikipedia", String::as_str);
    let tokens: usize = args.get(3).and_then(|t| t.parse().ok()).unwrap_or(48);
    let today = Date {
        year: 2026,
        month: 12,
        day: 6,
    };

    let html = std::fs::read_to_string(format!(
        "{}/tests/corpus/readability/{page}/source.html",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("corpus page");
    let text = scout::core::page::read_page(&PageContent::from_html(format!("https://example.com/{page}"), html))
        .map(|p| p.text())
        .expect("readable page");
    let count = std::env::var("SCOUT_WORDS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(650);
    let words: Vec<&str> = text.split_whitespace().take(count).collect();
    let messages = [ChatMessage::new(
        "user",
        format!("Summarize this page in three bullet points.\n\n{}", words.join(" ")),
    )];

    let t = Instant::now();
    let mut kernel = kernel_generator(dir, model, today).expect("kernel decoder");
    let kernel_load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut ort = native_generator(&ort_dylib_path(), dir, model, 1, today).expect("native decoder");
    let ort_load = t.elapsed().as_secs_f64();
    let prompt = kernel.chat_prompt(&messages).expect("prompt");
    println!(
        "prompt {} tokens; load: kernel {kernel_load:.2} s ({} MB of weights), ONNX Runtime {ort_load:.2} s",
        prompt.len(),
        kernel.backend().weight_bytes() / 1_000_000
    );

    // First step's logits on the same prompt.
    let mut fresh = kernel_generator(dir, model, today).expect("kernel");
    let mut fresh_ort = native_generator(&ort_dylib_path(), dir, model, 1, today).expect("ort");
    let a = pollster::block_on(fresh.backend_mut().forward(&prompt)).expect("kernel forward");
    let b = pollster::block_on(fresh_ort.backend_mut().forward(&prompt)).expect("ort forward");
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let max_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    let argmax = |v: &[f32]| v.iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1)).map(|(i, _)| i);
    println!(
        "first step: logits cosine {:.5}, largest difference {max_diff:.3}, argmax {:?} vs {:?}",
        dot / (norm(&a) * norm(&b)),
        argmax(&a),
        argmax(&b)
    );

    if let Ok(reference) = std::env::var("SCOUT_REFERENCE") {
        let mut float = native_generator(&ort_dylib_path(), dir, &reference, 1, today).expect("reference");
        let f = pollster::block_on(float.backend_mut().forward(&prompt)).expect("reference forward");
        let mut kernel_float = kernel_generator(dir, &reference, today).expect("kernel on the float graph");
        let kf = pollster::block_on(kernel_float.backend_mut().forward(&prompt)).expect("kernel forward");
        for (name, v) in [
            ("kernel on MODEL_FILE", &a),
            ("ONNX Runtime on MODEL_FILE", &b),
            ("kernel on the float graph", &kf),
        ] {
            let dot: f64 = v.iter().zip(&f).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            let worst = v.iter().zip(&f).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
            let top10 = |x: &[f32]| {
                let mut i: Vec<usize> = (0..x.len()).collect();
                i.sort_by(|p, q| x[*q].total_cmp(&x[*p]));
                i.truncate(10);
                i
            };
            let want = top10(&f);
            let kept = top10(v).iter().filter(|t| want.contains(t)).count();
            println!(
                "{name}: cosine to float {:.5}, largest difference {worst:.3}, argmax {:?} (float {:?}), top-10 shared {kept}",
                dot / (norm(v) * norm(&f)),
                argmax(v),
                argmax(&f)
            );
        }
    }

    let opts = GenerateOptions {
        max_new_tokens: tokens,
        min_new_tokens: tokens,
        ..Default::default()
    };
    let report = |name: &str, out: Generation| {
        println!(
            "{name}: first token {:.0} ms (prefill {:.0} ms, {:.0} tokens/s), decode {:.1} tokens/s\n  {:?}",
            out.first_token_ms,
            out.prefill_ms,
            prompt.len() as f64 * 1000.0 / out.prefill_ms,
            out.decode_tokens_per_s(),
            out.text
        );
        out.tokens
    };
    let clock = NativeClock::default();
    let kt = report(
        "kernel",
        pollster::block_on(kernel.generate(&prompt, &opts, &clock, &|| false, &mut |_| {})).expect("kernel generate"),
    );
    let ot = report(
        "ONNX Runtime",
        pollster::block_on(ort.generate(&prompt, &opts, &clock, &|| false, &mut |_| {})).expect("ort generate"),
    );
    let same = kt.iter().zip(&ot).take_while(|(a, b)| a == b).count();
    println!("greedy tokens equal for the first {same} of {}", kt.len().min(ot.len()));
}
