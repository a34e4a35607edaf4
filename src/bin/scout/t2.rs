//! T2 commands: a summary and a grounded answer written by a local LLM (a model folder in the hub layout) on Scout's
//! int8 decoder (the extension's CPU path, the same bits) or native ONNX Runtime (`--decoder onnx`), through the
//! same core functions the extension runs.

use std::io::Write;
use std::path::{Path, PathBuf};

use scout::core::error::{ErrorCode, ScoutError};
use scout::core::generate::{ChatMessage, Date, DecoderBackend, GenerateOptions, Generator};
use scout::core::page::read_page;
use scout::core::protocol::PageContent;
use scout::core::store::{Clock, MemoryStore};
use scout::core::text::SummaryOptions;
use scout::core::text::lang::detect_language;
use scout::core::writer::chat::Source;
use scout::core::writer::run::{Budget, Progress, write_answer, write_summary};
use scout::native::{AnyDecoder, NativeClock, any_generator};

use super::cli::{bad, flag, load_embedder};

/// The model folder (`--model DIR`) and its ONNX file: `--onnx PATH` (relative to the folder), else the int8 file,
/// else the fp32 one; `--decoder int8` (default) or `onnx` (`--threads N`, default 2).
fn generator(args: &[String]) -> Result<Generator<AnyDecoder>, ScoutError> {
    let dir = PathBuf::from(flag(args, "--model").ok_or_else(|| bad("--model DIR is required for T2"))?);
    let onnx = match flag(args, "--onnx") {
        Some(p) => p.to_string(),
        None => ["onnx/model_quantized.onnx", "onnx/model.onnx"]
            .into_iter()
            .find(|p| dir.join(p).exists())
            .ok_or_else(|| {
                ScoutError::new(
                    ErrorCode::ModelUnavailable,
                    format!("no ONNX model in {}/onnx", dir.display()),
                )
            })?
            .to_string(),
    };
    let threads = match flag(args, "--threads") {
        Some(t) => t.parse().map_err(|_| bad("--threads needs a number"))?,
        None => 2,
    };
    let decoder = flag(args, "--decoder").unwrap_or("int8");
    any_generator(decoder, Path::new(&dir), &onnx, threads, today())
}

/// `scout generate MESSAGES.json --model DIR [--decoder int8|gpu|onnx] [--max-tokens N] [--min-tokens N] [--threads N]`:
/// a reply to chat messages (`[{role, content}]`), decoded greedily and timed (with `--decoder onnx`, the
/// benchmark's native peer).
pub fn generate(args: &[String]) -> Result<serde_json::Value, ScoutError> {
    let file = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .ok_or_else(|| bad("generate needs a JSON file of chat messages"))?;
    let json = std::fs::read_to_string(file).map_err(|e| bad(format!("{file}: {e}")))?;
    let messages: Vec<ChatMessage> = serde_json::from_str(&json).map_err(|e| bad(format!("{file}: {e}")))?;
    let number = |name: &str, default: usize| match flag(args, name) {
        Some(n) => n.parse().map_err(|_| bad(format!("{name} needs a number"))),
        None => Ok(default),
    };
    let opts = GenerateOptions {
        max_new_tokens: number("--max-tokens", 64)?,
        min_new_tokens: number("--min-tokens", 0)?,
        ..GenerateOptions::default()
    };
    let clock = NativeClock::default();
    let t0 = clock.now_ms();
    let mut g = generator(args)?;
    let load_ms = clock.now_ms() - t0;
    let out = pollster::block_on(g.chat(&messages, &opts, &clock, &|| false, &mut |_| {}))?;
    Ok(serde_json::json!({
        "ep": g.backend().ep(),
        "text": out.text,
        "stop": out.stop,
        "prompt_tokens": out.prompt_tokens,
        "generated_tokens": out.tokens.len(),
        "load_ms": load_ms,
        "time_to_first_token_ms": out.first_token_ms,
        "decode_tokens_per_s": out.decode_tokens_per_s(),
        "total_ms": clock.now_ms() - t0 - load_ms,
    }))
}

/// Today's date (UTC) for templates that print it.
fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

fn budget(args: &[String]) -> Result<Budget, ScoutError> {
    let mut b = Budget::default();
    if let Some(c) = flag(args, "--context") {
        b.context = c.parse().map_err(|_| bad("--context needs a number of tokens"))?;
    }
    if let Some(m) = flag(args, "--max-tokens") {
        b.generate.max_new_tokens = m.parse().map_err(|_| bad("--max-tokens needs a number"))?;
    }
    Ok(b)
}

/// Stream text to stderr as it is written (stdout holds the result).
fn show(p: Progress) {
    match p {
        Progress::Reading { part, parts } => eprintln!("[reading part {part} of {parts}]"),
        Progress::Text { text } => {
            eprint!("{text}");
            let _ = std::io::stderr().flush();
        }
    }
}

pub fn summarize(
    page: &PageContent,
    options: &SummaryOptions,
    args: &[String],
) -> Result<serde_json::Value, ScoutError> {
    let read = read_page(page)?;
    let mut g = generator(args)?;
    let language = detect_language(&read.text()).map(|l| l.code).filter(|c| c != "en");
    let clock = NativeClock::default();
    let out = pollster::block_on(write_summary(
        &mut g,
        &read,
        options,
        language.as_deref(),
        &budget(args)?,
        &clock,
        &|| false,
        &mut show,
    ))?;
    eprintln!();
    Ok(serde_json::json!({
        "tier": "t2",
        "ep": g.backend().ep(),
        "text": out.text,
        "coverage": out.coverage,
        "parts": out.parts,
        "page_tokens": out.page_tokens,
        "prompt_tokens": out.last.prompt_tokens,
        "generated_tokens": out.last.tokens.len(),
        "stop": out.last.stop,
        "time_to_first_token_ms": out.last.first_token_ms,
        "decode_tokens_per_s": out.last.decode_tokens_per_s(),
    }))
}

/// `scout chat PAGE QUESTION --model DIR [--json]`: passages from T1 retrieval, an answer from the LLM, citations
/// checked against the passages given.
pub fn chat(page: &PageContent, question: &str, args: &[String]) -> Result<serde_json::Value, ScoutError> {
    let mut embedder = load_embedder()?;
    let clock = NativeClock::default();
    let found = pollster::block_on(scout::core::qa::answer(
        &mut embedder,
        &mut scout::core::qa::IndexCache::default(),
        &MemoryStore::default(),
        &clock,
        page,
        question,
        &scout::core::retrieve::AskOptions {
            top_k: 4,
            ..Default::default()
        },
        &crate::cli::bundled_name(),
    ))?;
    let sources: Vec<Source> = found.answers.iter().map(Source::from).collect();
    let mut g = generator(args)?;
    let out = pollster::block_on(write_answer(
        &mut g,
        &found.title,
        &[],
        question,
        sources,
        &budget(args)?,
        &clock,
        &|| false,
        &mut show,
    ))?;
    eprintln!();
    Ok(serde_json::json!({
        "tier": "t2",
        "ep": g.backend().ep(),
        "answer": out.answer.text,
        "citations": out.citations(),
        "invalid_citations": out.answer.invalid,
        "no_answer": found.no_answer.map(|p| p.text),
    }))
}
