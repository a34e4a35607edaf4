//! How many tokens a decoding run could yield with prompt-lookup drafting (drafts copied from the prompt where the
//! last n-gram occurred before), estimated from greedy generations: no speculative decoding runs here.
//!
//! ```text
//! cargo run --release --example lookup_estimate -- DIR [PAGES] [NEW_TOKENS]
//! ```

use std::path::Path;

use scout::core::generate::{ChatMessage, Date, GenerateOptions};
use scout::core::page::read_page;
use scout::core::protocol::PageContent;
use scout::native::{NativeClock, native_generator, ort_dylib_path};

/// Draft after the most recent earlier occurrence of the last `n` tokens (longest n first), at most `k` tokens.
fn draft(history: &[u32], max_n: usize, k: usize) -> Vec<u32> {
    for n in (1..=max_n).rev() {
        if history.len() <= n {
            continue;
        }
        let tail = &history[history.len() - n..];
        for start in (0..history.len() - n).rev() {
            if &history[start..start + n] == tail {
                let from = start + n;
                return history[from..(from + k).min(history.len())].to_vec();
            }
        }
    }
    Vec::new()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().expect("model dir");
    let pages: usize = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(10);
    let new_tokens: usize = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(64);
    let mut g = native_generator(
        &ort_dylib_path(),
        Path::new(dir),
        "onnx/model_quantized.onnx",
        2,
        Date {
            year: 2026,
            month: 12,
            day: 5,
        },
    )
    .expect("generator");
    let corpus = Path::new("tests/corpus/readability");
    let mut names: Vec<_> = std::fs::read_dir(corpus)
        .expect("corpus")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let clock = NativeClock::default();
    let configs = [(3usize, 4usize), (3, 8), (2, 8), (4, 8), (3, 16)];
    let mut totals = vec![(0usize, 0usize); configs.len()];
    let mut done = 0;
    for name in names {
        if done >= pages {
            break;
        }
        let html = std::fs::read_to_string(corpus.join(&name).join("source.html")).unwrap_or_default();
        let page = PageContent::from_html(format!("https://example.com/{name}"), html);
        let Ok(read) = read_page(&page) else { continue };
        let text = read.text();
        let words: Vec<&str> = text.split_whitespace().take(700).collect();
        if words.len() < 500 {
            continue;
        }
        let messages = vec![
            ChatMessage {
                role: "system".into(),
                content: "Run 1. You are a helpful assistant that summarizes web pages.".into(),
            },
            ChatMessage {
                role: "user".into(),
                content: format!("Summarize this page in a few sentences.\n\n{}", words.join(" ")),
            },
        ];
        let prompt = g.chat_prompt(&messages).expect("prompt");
        let opts = GenerateOptions {
            max_new_tokens: new_tokens,
            min_new_tokens: new_tokens,
            ..GenerateOptions::default()
        };
        let out = pollster::block_on(g.generate(&prompt, &opts, &clock, &|| false, &mut |_| {})).expect("generate");
        done += 1;
        let mut line = format!("{name:<28} {:>4} prompt", prompt.len());
        for (c, &(max_n, k)) in configs.iter().enumerate() {
            let mut history = prompt.clone();
            let (mut i, mut runs) = (0usize, 0usize);
            while i < out.tokens.len() {
                let d = draft(&history, max_n, k);
                let accepted = d.iter().zip(&out.tokens[i..]).take_while(|(a, b)| a == b).count();
                let step = (accepted + 1).min(out.tokens.len() - i);
                history.extend_from_slice(&out.tokens[i..i + step]);
                i += step;
                runs += 1;
            }
            totals[c].0 += out.tokens.len();
            totals[c].1 += runs;
            line += &format!(" | n{max_n} k{k}: {:.2}", out.tokens.len() as f64 / runs as f64);
        }
        println!("{line}");
    }
    for (c, &(max_n, k)) in configs.iter().enumerate() {
        println!(
            "n{max_n} k{k}: {:.2} tokens per run over {} tokens",
            totals[c].0 as f64 / totals[c].1 as f64,
            totals[c].0
        );
    }
}
