//! The CLI's commands (host only: they use native ONNX Runtime).

use std::io::Read;
use std::process::ExitCode;

use scout::core::bert::BertBackend;
use scout::core::catalog::Catalog;
use scout::core::embed::EncoderBackend;
use scout::core::error::{ErrorCode, ScoutError};
use scout::core::pipeline::{SummarizeContext, summarize};
use scout::core::protocol::{PageContent, Reply, ReplyBody, TierRequest, extract_reply};
use scout::core::store::{Clock, MemoryStore};
use scout::core::text::SummaryOptions;
use scout::native::{NativeClock, NativeEncoder, bundled_embedder, cached_model_file, native_embedder, ort_dylib_path};

const USAGE: &str = "usage: scout extract PATH|- [--url URL]
       scout summarize PATH|- [--url URL] [--type key-points|tldr|teaser|headline] [--length short|medium|long] [--format markdown|plain] [--tier t0|t1|t2] [--model DIR] [--onnx PATH] [--decoder int8|gpu|onnx] [--context N] [--max-tokens N]
       scout chat PATH|- QUESTION --model DIR [--decoder int8|gpu|onnx] [--url URL] [--json]
       scout generate MESSAGES.json --model DIR [--decoder int8|gpu|onnx] [--max-tokens N] [--min-tokens N] [--threads N] [--json]
       scout classify PATH|- [--url URL] [--labels a,b,c]
       scout ask PATH|- QUESTION [--url URL] [--top K]
       scout embed [--batch N] [--graph wasm|webgpu|onnx] < texts.json
       scout protocol-js";

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("extract") => cmd_extract(&args[1..]),
        Some("summarize") if flag(&args[1..], "--tier") == Some("t2") => {
            let json = summary_options(&args[1..])
                .and_then(|o| page_from(&args[1..]).and_then(|p| super::t2::summarize(&p, &o, &args[1..])));
            return print_t2(json, &["--json".to_string()]);
        }
        Some("summarize") => cmd_summarize(&args[1..]),
        Some("embed") => cmd_embed(&args[1..]),
        Some("classify") => cmd_classify(&args[1..]),
        Some("ask") => cmd_ask(&args[1..]),
        Some("chat") => return print_t2(cmd_chat(&args[1..]), &args[1..]),
        Some("generate") => return print_t2(super::t2::generate(&args[1..]), &args[1..]),
        Some("protocol-js") => {
            print!("{}", scout::core::protocol::js_constants());
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // `extract` prints the article itself ({title, byline, …, passages}); the other commands print the reply as
    // the extension receives it. Errors are always `{ok:false, error}` with a non-zero exit.
    if let Ok(ReplyBody::Extract(e)) = &result
        && let Ok(json) = serde_json::to_string_pretty(&e.article)
    {
        println!("{json}");
        return ExitCode::SUCCESS;
    }
    let reply = Reply::from_result(result);
    let ok = matches!(reply, Reply::Ok { .. });
    println!("{}", reply.to_json());
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

pub fn bad(msg: impl Into<String>) -> ScoutError {
    ScoutError::new(ErrorCode::BadRequest, msg)
}

/// `--flag value` lookup.
pub fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn read_input(path: &str) -> Result<String, ScoutError> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("stdin: {e}")))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| bad(format!("{path}: {e}")))?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn cmd_extract(args: &[String]) -> Result<ReplyBody, ScoutError> {
    let path = args.first().ok_or_else(|| bad(USAGE))?;
    let html = read_input(path)?;
    let clock = NativeClock::default();
    extract_reply(&html, flag(args, "--url").map(str::to_string), || clock.now_ms())
}

/// `--type`, `--length`, `--format` as summary options.
fn summary_options(args: &[String]) -> Result<SummaryOptions, ScoutError> {
    let mut opts = serde_json::Map::new();
    for (key, name) in [("type", "--type"), ("length", "--length"), ("format", "--format")] {
        if let Some(v) = flag(args, name) {
            opts.insert(key.into(), v.into());
        }
    }
    serde_json::from_value(serde_json::Value::Object(opts)).map_err(|e| bad(format!("options: {e}")))
}

/// Print a T2 result: JSON with `--json` (errors as `{ok:false, error}`), else the text and its citations.
fn print_t2(result: Result<serde_json::Value, ScoutError>, args: &[String]) -> ExitCode {
    match result {
        Ok(v) if args.iter().any(|a| a == "--json") => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(v) => {
            println!("{}", v["answer"].as_str().or(v["text"].as_str()).unwrap_or_default());
            for c in v["citations"].as_array().into_iter().flatten() {
                println!("[{}] {}", c["n"], c["text"].as_str().unwrap_or_default());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", Reply::from_result(Err::<ReplyBody, _>(e)).to_json());
            ExitCode::FAILURE
        }
    }
}

fn cmd_chat(args: &[String]) -> Result<serde_json::Value, ScoutError> {
    let page = page_from(args)?;
    let question = args.get(1).filter(|q| !q.starts_with("--")).ok_or_else(|| bad(USAGE))?;
    super::t2::chat(&page, question, args)
}

fn cmd_summarize(args: &[String]) -> Result<ReplyBody, ScoutError> {
    let page = page_from(args)?;
    let options = summary_options(args)?;
    let tier = match flag(args, "--tier") {
        None | Some("t0") => TierRequest::T0,
        Some("t1") => TierRequest::T1,
        Some(t) => return Err(bad(format!("unknown tier {t}"))),
    };
    let store = MemoryStore::default();
    let clock = NativeClock::default();
    let mut embedder = if tier == TierRequest::T1 {
        Some(load_embedder()?)
    } else {
        None
    };
    let model_id = Catalog::builtin().bundled_embedder().map(|m| m.id.clone());
    let ctx = SummarizeContext {
        embedder: embedder.as_mut(),
        embedder_error: None,
        model_id: model_id.as_deref(),
        store: &store,
        clock: &clock,
        wall_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        cancelled: &|| false,
    };
    pollster::block_on(summarize(ctx, &page, &options, tier, true)).map(ReplyBody::Summary)
}

/// A file as the extension would capture it.
fn page_from(args: &[String]) -> Result<PageContent, ScoutError> {
    let path = args.first().ok_or_else(|| bad(USAGE))?;
    Ok(PageContent {
        url: flag(args, "--url")
            .map(str::to_string)
            .unwrap_or_else(|| format!("file://{path}")),
        html: Some(read_input(path)?),
        ..Default::default()
    })
}

fn cmd_classify(args: &[String]) -> Result<ReplyBody, ScoutError> {
    let page = page_from(args)?;
    let custom: Vec<String> = flag(args, "--labels")
        .map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut embedder = load_embedder()?;
    let mut index = scout::core::classify::LabelIndex::default();
    let clock = NativeClock::default();
    pollster::block_on(scout::core::classify::classify_page(
        &mut embedder,
        &mut index,
        // One-shot process: nothing to keep vectors for.
        &MemoryStore::default(),
        &clock,
        &page,
        &custom,
    ))
    .map(ReplyBody::Classification)
}

fn cmd_ask(args: &[String]) -> Result<ReplyBody, ScoutError> {
    let page = page_from(args)?;
    let question = args.get(1).filter(|q| !q.starts_with("--")).ok_or_else(|| bad(USAGE))?;
    let top: usize = flag(args, "--top")
        .map(|t| t.parse().map_err(|_| bad("--top needs a number")))
        .transpose()?
        .unwrap_or(3);
    let mut embedder = load_embedder()?;
    let mut cache = scout::core::qa::IndexCache::default();
    let clock = NativeClock::default();
    pollster::block_on(scout::core::qa::answer(
        &mut embedder,
        &mut cache,
        &MemoryStore::default(),
        &clock,
        &page,
        question,
        &scout::core::retrieve::AskOptions {
            top_k: top,
            ..Default::default()
        },
        &bundled_name(),
    ))
    .map(ReplyBody::Answers)
}

/// The bundled embedder's display name (the one `load_embedder` loads).
pub fn bundled_name() -> String {
    scout::core::catalog::Catalog::builtin()
        .bundled_embedder()
        .map(|m| m.display_name.clone())
        .unwrap_or_default()
}

fn cmd_embed(args: &[String]) -> Result<ReplyBody, ScoutError> {
    let input = read_input("-")?;
    let texts: Vec<String> =
        serde_json::from_str(&input).map_err(|e| bad(format!("stdin must be a JSON array of strings: {e}")))?;
    // Texts per model run; the default is the extension's (see `Embedder::new`). The benchmark compares shapes.
    let batch = flag(args, "--batch")
        .map(|b| {
            b.parse::<usize>()
                .ok()
                .filter(|&b| (1..=256).contains(&b))
                .ok_or_else(|| bad("--batch must be 1..256"))
        })
        .transpose()?;
    let clock = NativeClock::default();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // The extension's CPU path (Scout's int8 encoder); `--graph gpu`: the arithmetic of Scout's WebGPU encoder on the
    // CPU (its reference); `--graph webgpu`: the same weights as a float-activation ONNX graph (the GPU peers'
    // graph); `--graph onnx`: the same weights as an int8 ONNX graph (the benchmarks' native peer). Both ONNX graphs
    // run on ONNX Runtime's CPU EP.
    let (vectors, dims) = match flag(args, "--graph") {
        None | Some("wasm") => embed_with(load_embedder()?, batch, &refs)?,
        Some("gpu") => embed_with(
            scout::native::bundled_embedder_on(scout::core::bert::PlainBertBackend::from_bytes)?,
            batch,
            &refs,
        )?,
        Some("webgpu") => embed_with(load_embedder_graph("model_webgpu")?, batch, &refs)?,
        Some("onnx") => embed_with(load_embedder_graph("model")?, batch, &refs)?,
        Some(other) => return Err(bad(format!("--graph must be wasm, gpu, webgpu or onnx, not {other}"))),
    };
    Ok(ReplyBody::Embed(scout::core::protocol::EmbedReply {
        ep: "native-cpu".into(),
        dims,
        vectors,
        ms: clock.now_ms(),
    }))
}

fn embed_with<B: EncoderBackend>(
    mut embedder: scout::core::embed::Embedder<B>,
    batch: Option<usize>,
    texts: &[&str],
) -> Result<(Vec<Vec<f32>>, usize), ScoutError> {
    if let Some(b) = batch {
        embedder.batch_size = b;
    }
    Ok((pollster::block_on(embedder.embed(texts))?, embedder.dims))
}

/// The bundled embedder as the extension runs it on the CPU (Scout's int8 encoder).
pub fn load_embedder() -> Result<scout::core::embed::Embedder<BertBackend>, ScoutError> {
    bundled_embedder()
}

/// The bundled embedder with an ONNX graph of the catalog (`role` "model": the int8 one, "model_webgpu": the GPU one)
/// on ONNX Runtime.
fn load_embedder_graph(role: &str) -> Result<scout::core::embed::Embedder<NativeEncoder>, ScoutError> {
    let unavailable = |m: String| ScoutError::new(ErrorCode::ModelUnavailable, m);
    let dylib = ort_dylib_path();
    let catalog = Catalog::builtin();
    let entry = catalog
        .bundled_embedder()
        .ok_or_else(|| unavailable("no bundled embedder".into()))?;
    let file = |role: &str| {
        entry
            .file(role)
            .map(|f| cached_model_file(&entry.id, &f.path))
            .ok_or_else(|| unavailable(format!("catalog has no {role}")))
    };
    let tok =
        std::fs::read(file("tokenizer")?).map_err(|e| unavailable(format!("tokenizer: {e}; run cargo xtask setup")))?;
    native_embedder(&dylib, &file(role)?, &tok, 2)
}
