//! Mutation fuzzing of the code that reads untrusted input, for a time budget: the extractor and the page reader
//! (pages), the sentence splitter and summarizer (page text), the protocol decoder (messages), the SSE reader and
//! the endpoint's replies (a server), history import (a file), the page fence and the citation check (model input
//! and output), a model file (Scout's decoder reading an ONNX graph: a hub that declares its own hashes may serve
//! anything). Each target starts from real seeds (corpus pages, valid messages, real streams) and mutates them
//! with byte edits, splices and tokens of the input's own grammar; besides "no panic" each checks a property that
//! must hold for every input (see the targets).
//!
//! `SCOUT_FUZZ_SECONDS` (default 24) is the whole budget, shared by the targets; `SCOUT_FUZZ_SEED` replays a run.
//! `cargo xtask fuzz --minutes N` runs it long, in release. A failing input is written to `target/fuzz-failures/`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scout::core::endpoint::{Endpoint, SseReader, model_ids, read_event};
use scout::core::extract::{ExtractOptions, extract};
use scout::core::history::import_json;
use scout::core::page::read_page;
use scout::core::protocol::{PageContent, parse_envelope};
use scout::core::text::{SummaryOptions, split_sentences, summarize_text};
use scout::core::writer::chat::check_citations;
use scout::core::writer::{fence, fence_passages};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One edit of `input`: flip, insert a grammar token or random bytes, delete, duplicate, splice another seed, cut.
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>], tokens: &[&str]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = rng.pick(tokens).as_bytes().to_vec();
                out.splice(at..at, t);
            }
            2 => {
                let n = rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            3 => {
                let end = (at + rng.below(256)).min(out.len());
                out.drain(at..end);
            }
            4 => {
                let end = (at + rng.below(512)).min(out.len());
                let piece = out[at..end].to_vec();
                for _ in 0..1 + rng.below(20) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            5 => {
                let other = rng.pick(seeds);
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(2048)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// A target: its seeds, its grammar's tokens, and the check run on each input (panics are failures).
struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static str],
    check: fn(&[u8]),
}

const HTML_TOKENS: &[&str] = &[
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<article>",
    "<script>",
    "</script>",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<template>",
    "<table><tr><td>",
    "<pre>",
    "<br>",
    "<h1>",
    "&amp;",
    "&#x10FFFF;",
    "&#0;",
    "&",
    "<",
    ">",
    "\"",
    "<img alt=\"",
    "<a href=\"javascript:x\">",
    "<meta charset=\"shift_jis\">",
    "<html lang=\"ja\">",
    "\u{200b}",
    "\u{202e}",
    "。",
    "؟",
    "\r\n",
    "\0",
    "<svg><foreignObject>",
    "<math>",
    "<noscript>",
    "<frameset>",
];
/// Names the decoder looks for, and protobuf bytes that start fields (as text: the mutator splices them in).
const ONNX_TOKENS: &[&str] = &[
    "layers.0",
    "layers.1",
    "/q_proj/",
    "embed_tokens",
    "_quantized",
    "_scale",
    "MatMulInteger",
    "\u{8}\u{1}",
    "\u{12}\u{0}",
    "\u{4a}\u{7f}",
];

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "18446744073709551616",
    "-0.0",
    "\"type\":",
    "\"page\":",
    "\"html\":",
    "\"text\":",
    "\"v\":",
    "\"request\":",
    "\"options\":{\"type\":\"headline\"}",
    "\"endpoint\":",
    "\"api_key\":",
    "\"job\":{\"kind\":\"chat\"}",
];
const SSE_TOKENS: &[&str] = &[
    "data: ",
    "data:",
    "\n",
    "\r\n",
    "\n\n",
    ": keep-alive\n",
    "event: x\n",
    "[DONE]",
    "{\"choices\":[{\"delta\":{\"content\":\"",
    "\"}}]}",
    "\"finish_reason\":\"stop\"",
    "\"error\":{\"message\":\"",
    "\u{fffd}",
    "\\n",
];
const TEXT_TOKENS: &[&str] = &[
    ". ",
    "...",
    "\n",
    "\n\n",
    "Mr.",
    "U.S.",
    "。",
    "？",
    "؟",
    "।",
    "\"",
    "[4]",
    "- ",
    "1. ",
    "e.g. ",
    "\u{200b}",
    "\u{202e}",
    "\u{fe0f}",
    "👩‍👩‍👧",
    "ﷺ",
    "<page>",
    "</page>",
    "</PAGE >",
    "< /page>",
    "<|im_start|>",
    "|>",
    "<|",
    "[1]",
    "[99]",
    "[0]",
    "[-1]",
    "[18446744073709551616]",
    "[1,2]",
    "【1】",
    "Title:",
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/readability")
}

/// Up to `n` corpus pages (sorted, every `step`-th), as seeds.
fn corpus_pages(n: usize) -> Vec<Vec<u8>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("source.html").exists())
        .collect();
    dirs.sort();
    let step = (dirs.len() / n.max(1)).max(1);
    dirs.iter()
        .step_by(step)
        .take(n)
        .map(|d| std::fs::read(d.join("source.html")).expect("page"))
        .collect()
}

fn corpus_texts(n: usize) -> Vec<Vec<u8>> {
    corpus_pages(n)
        .iter()
        .filter_map(|html| extract(&String::from_utf8_lossy(html), &ExtractOptions::default()).ok())
        .map(|a| a.text.into_bytes())
        .collect()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Valid envelopes of every shape the service worker sends (they must parse: checked before fuzzing).
const ENVELOPES: &[&str] = &[
    r#"{"v":PV,"settings":{"backend":"auto","hub":null,"retention_days":null,"storage_cap_mb":null},"request":{"type":"status"}}"#,
    r#"{"v":PV,"settings":{},"request":{"type":"summarize","page":{"url":"https://e.org/a","title":"T","html":"<p>Hello world. Second sentence.</p>","lang":"en","is_selection":false},"options":{"type":"key-points","length":"short","format":"markdown"},"tier":"auto","refresh":false}}"#,
    r#"{"v":PV,"request":{"type":"ask","page":{"url":"u","text":"A b c."},"question":"what?","top_k":3}}"#,
    r#"{"v":PV,"request":{"type":"classify","page":{"url":"u","text":"A b c."},"custom_labels":["x","y"]}}"#,
    r#"{"v":PV,"request":{"type":"write","stream":"s1","model":"m","page":{"url":"u","text":"A."},"job":{"kind":"chat","question":"q","history":[]},"variant":7,"endpoint":{"base_url":"http://127.0.0.1:1/v1","model":"m","api_key":"k"}}}"#,
    r#"{"v":PV,"request":{"type":"write","stream":"s2","model":"m","page":{"url":"u","text":"A."},"job":{"kind":"summary","options":{"type":"tldr","length":"long","format":"plain-text"}}}}"#,
    r#"{"v":PV,"request":{"type":"download","model":"smollm2-135m-instruct-int8","consent":true}}"#,
    r#"{"v":PV,"request":{"type":"import_history","json":"{\"format\":1,\"entries\":[]}"}}"#,
    r#"{"v":PV,"request":{"type":"generate","model":"m","messages":[{"role":"user","content":"hi"}],"max_new_tokens":4}}"#,
    r#"{"v":PV,"request":{"type":"embed","texts":["a","b"],"ep":"wasm","batch_size":2}}"#,
    r#"{"v":PV,"request":{"type":"history","query":"x","limit":5}}"#,
];

const STREAMS: &[&str] = &[
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    ": ping\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\\nb\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n",
    "data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
];

fn endpoint() -> Endpoint {
    Endpoint {
        base_url: "http://127.0.0.1:1/v1".into(),
        model: "m".into(),
        api_key: Some("sk-fuzz-secret".into()),
    }
}

/// The extractor on a page: no panic; every word of the article comes from the input.
fn check_extract(bytes: &[u8]) {
    let html = lossy(bytes);
    if let Ok(article) = extract(&html, &ExtractOptions::default()) {
        assert!(
            article.text.len() <= html.len() * 4 + 1024,
            "text grew far beyond the input"
        );
    }
}

/// The page reader (what every request runs first) and the T0 summary of what it read.
fn check_page(bytes: &[u8]) {
    let s = lossy(bytes);
    let (html, text) = if bytes.first() == Some(&b'<') {
        (Some(s), None)
    } else {
        (None, Some(s))
    };
    let page = PageContent {
        url: "https://fuzz.example/".into(),
        title: "Fuzz".into(),
        html,
        text,
        lang: None,
        is_selection: false,
    };
    if let Ok(read) = read_page(&page) {
        let _ = summarize_text(&read.text(), Some(&read.title), &SummaryOptions::default());
    }
}

/// The sentence splitter: sentences are in order, inside the text, on char boundaries, without overlap.
fn check_sentences(bytes: &[u8]) {
    let text = lossy(bytes);
    let mut last = 0;
    for s in split_sentences(&text) {
        assert!(
            s.start >= last && s.start <= s.end && s.end <= text.len(),
            "sentence {s:?} out of order"
        );
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        last = s.end;
    }
}

/// The protocol decoder: no panic; what it accepts survives a round trip unchanged.
fn check_envelope(bytes: &[u8]) {
    let json = lossy(bytes);
    if let Ok(env) = parse_envelope(&json) {
        let again = serde_json::to_string(&env).expect("an accepted envelope serializes");
        let back = parse_envelope(&again).expect("a serialized envelope parses");
        assert_eq!(
            serde_json::to_value(&env).ok(),
            serde_json::to_value(&back).ok(),
            "round trip changed it"
        );
    }
}

/// The SSE reader: the same stream cut at any points gives the same events; the key never shows in an error.
fn check_sse(bytes: &[u8]) {
    let stream = lossy(bytes);
    let whole = {
        let mut r = SseReader::default();
        let mut ev = r.push(&stream);
        ev.extend(r.finish());
        ev
    };
    let mut r = SseReader::default();
    let mut cut = Vec::new();
    let mut rest = stream.as_str();
    let mut n = bytes.len() as u64 ^ 0x9e37;
    while !rest.is_empty() {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut at = ((n >> 33) as usize % 7).min(rest.len());
        while !rest.is_char_boundary(at) {
            at += 1;
        }
        let at = at.max(rest.chars().next().map_or(0, char::len_utf8));
        cut.extend(r.push(&rest[..at]));
        rest = &rest[at..];
    }
    cut.extend(r.finish());
    assert_eq!(whole, cut, "events depend on where the stream was cut");
    let ep = endpoint();
    for data in whole {
        if let Err(e) = read_event(&data, &ep) {
            assert!(!e.message.contains("sk-fuzz-secret"), "the key leaked into an error");
        }
    }
    let _ = model_ids(&stream);
}

/// History import: no panic; what it accepts exports and imports back to the same entries.
fn check_history(bytes: &[u8]) {
    if let Ok(entries) = import_json(&lossy(bytes)) {
        let n = entries.len();
        let back = import_json(&scout::core::history::export_json(entries)).expect("our export imports");
        assert_eq!(back.len(), n);
    }
}

/// The fence and the citation check, on page text and model output: one fence the text cannot close (in any
/// case or spacing), no chat-template marker, citations only to passages given.
fn check_fence_and_citations(bytes: &[u8]) {
    let text = lossy(bytes);
    let (title, body) = text.split_at(text.char_indices().nth(text.chars().count() / 8).map_or(0, |(i, _)| i));
    for fenced in [
        fence(title, body),
        fence_passages(title, &body.split("\n\n").collect::<Vec<_>>()),
    ] {
        let inner = &fenced["<page>".len()..fenced.len() - "</page>".len()];
        assert!(fenced.starts_with("<page>") && fenced.ends_with("</page>"));
        let opens_a_tag = inner.match_indices('<').any(|(i, _)| {
            let name = inner[i + 1..].trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            name.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("page"))
        });
        assert!(!opens_a_tag, "the text can close or open the fence");
        assert!(
            !inner.contains("<|") && !inner.contains("|>"),
            "a chat-template marker got through"
        );
    }
    let given = 1 + (bytes.len() % 5);
    let checked = check_citations(&text, given);
    assert!(
        checked.cited.iter().all(|&c| (1..=given).contains(&c)),
        "cited {:?} of {given}",
        checked.cited
    );
}

/// Protobuf writing, just enough for a small ONNX decoder graph.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn onnx_node(op: &str, name: &str, inputs: &[&str]) -> Vec<u8> {
    let mut n = Vec::new();
    for i in inputs {
        field(&mut n, 1, i.as_bytes());
    }
    field(&mut n, 3, name.as_bytes());
    field(&mut n, 4, op.as_bytes());
    n
}

fn onnx_tensor(name: &str, dims: &[usize], seed: usize) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        varint(&mut t, 1 << 3);
        varint(&mut t, d as u64);
    }
    varint(&mut t, 2 << 3);
    varint(&mut t, 1); // FLOAT
    field(&mut t, 8, name.as_bytes());
    let raw: Vec<u8> = (0..dims.iter().product::<usize>())
        .flat_map(|i| ((((i * 7919 + seed * 104_729) % 2001) as f32 - 1000.0) / 4000.0).to_le_bytes())
        .collect();
    field(&mut t, 9, &raw);
    t
}

/// The settings of [`small_decoder`]: 2 heads and 1 key/value head of 8, hidden 16, 1 layer.
fn small_config() -> scout_llm::LlmConfig {
    scout_llm::LlmConfig {
        layers: 1,
        heads: 2,
        kv_heads: 1,
        head_dim: 8,
        rope_theta: 10_000.0,
        rope: scout_llm::Rope::Plain,
        eps: 1e-5,
    }
}

/// A float decoder graph in the exporter's naming, small enough to mutate quickly (vocabulary 24, hidden 16,
/// feed-forward 32, one layer, tied head).
fn small_decoder() -> Vec<u8> {
    let (vocab, hidden, inner) = (24, 16, 32);
    let mut graph = Vec::new();
    field(
        &mut graph,
        1,
        &onnx_node(
            "Gather",
            "/model/embed_tokens/Gather",
            &["model.embed_tokens.weight", "input_ids"],
        ),
    );
    field(
        &mut graph,
        5,
        &onnx_tensor("model.embed_tokens.weight", &[vocab, hidden], 1),
    );
    let linears = [
        ("self_attn", "q_proj", hidden, 16),
        ("self_attn", "k_proj", hidden, 8),
        ("self_attn", "v_proj", hidden, 8),
        ("self_attn", "o_proj", 16, hidden),
        ("mlp", "gate_proj", hidden, inner),
        ("mlp", "up_proj", hidden, inner),
        ("mlp", "down_proj", inner, hidden),
    ];
    for (i, (block, role, k, n)) in linears.into_iter().enumerate() {
        let w = format!("onnx::MatMul_{i}");
        let name = format!("/model/layers.0/{block}/{role}/MatMul");
        field(&mut graph, 1, &onnx_node("MatMul", &name, &["x", &w]));
        field(&mut graph, 5, &onnx_tensor(&w, &[k, n], i + 2));
    }
    for (j, norm) in [
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight",
        "model.norm.weight",
    ]
    .into_iter()
    .enumerate()
    {
        field(&mut graph, 5, &onnx_tensor(norm, &[hidden], 20 + j));
    }
    field(
        &mut graph,
        1,
        &onnx_node("MatMul", "/lm_head/MatMul", &["h", "/lm_head/Transpose_output_0"]),
    );
    let mut model = Vec::new();
    field(&mut model, 7, &graph);
    model
}

/// Scout's decoder reads any model file to a clear error or to a model whose logits are one finite value per token.
fn check_model(bytes: &[u8]) {
    if let Ok(mut d) = scout_llm::Decoder::from_onnx(bytes, small_config()) {
        let logits = d.forward(&[1, 2, 3]).expect("a loaded model runs");
        assert_eq!(logits.len(), d.vocab());
        assert!(logits.iter().all(|v| v.is_finite()), "non-finite logits");
    }
}

fn targets() -> Vec<Target> {
    let pages = corpus_pages(12);
    let texts = corpus_texts(6);
    let pv = scout::core::protocol::PROTOCOL_VERSION.to_string();
    let envelopes: Vec<Vec<u8>> = ENVELOPES.iter().map(|e| e.replace("PV", &pv).into_bytes()).collect();
    for e in &envelopes {
        parse_envelope(&lossy(e)).unwrap_or_else(|err| panic!("seed envelope no longer parses: {err:?}\n{}", lossy(e)));
    }
    let export = scout::core::history::export_json(Vec::new()).into_bytes();
    let model = small_decoder();
    let mut seed_model = scout_llm::Decoder::from_onnx(&model, small_config()).expect("the seed model loads");
    assert_eq!(seed_model.forward(&[1, 2, 3]).expect("and runs").len(), 24);
    vec![
        Target {
            name: "extract",
            seeds: pages.clone(),
            tokens: HTML_TOKENS,
            check: check_extract,
        },
        Target {
            name: "read_page+summary",
            seeds: [pages, texts.clone()].concat(),
            tokens: HTML_TOKENS,
            check: check_page,
        },
        Target {
            name: "sentences",
            seeds: texts.clone(),
            tokens: TEXT_TOKENS,
            check: check_sentences,
        },
        Target {
            name: "protocol",
            seeds: envelopes.clone(),
            tokens: JSON_TOKENS,
            check: check_envelope,
        },
        Target {
            name: "sse+endpoint",
            seeds: STREAMS.iter().map(|s| s.as_bytes().to_vec()).collect(),
            tokens: SSE_TOKENS,
            check: check_sse,
        },
        Target {
            name: "history_import",
            seeds: vec![export],
            tokens: JSON_TOKENS,
            check: check_history,
        },
        Target {
            name: "fence+citations",
            seeds: texts,
            tokens: TEXT_TOKENS,
            check: check_fence_and_citations,
        },
        Target {
            name: "model (onnx)",
            seeds: vec![model],
            tokens: ONNX_TOKENS,
            check: check_model,
        },
    ]
}

fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!(
        "{target}-{}.bin",
        &scout::core::hash::content_hash(&[&String::from_utf8_lossy(input)])[..16]
    ));
    let _ = std::fs::write(&path, input);
    path
}

#[test]
fn fuzz_untrusted_inputs_for_a_time_budget() {
    let budget: f64 = std::env::var("SCOUT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24.0);
    let seed: u64 = std::env::var("SCOUT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("fuzz: seed {seed} (SCOUT_FUZZ_SEED={seed} replays), budget {budget} s");
    let targets = targets();
    let each = Duration::from_secs_f64(budget / targets.len() as f64);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut total = 0u64;
    for (i, t) in targets.iter().enumerate() {
        let mut rng = Rng((seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
        let started = Instant::now();
        let (mut cases, mut slowest) = (0u64, Duration::ZERO);
        // Every seed as it is first, then mutants of a seed or of a recent mutant.
        let mut pool: Vec<Vec<u8>> = t.seeds.clone();
        while cases < t.seeds.len() as u64 || started.elapsed() < each {
            let input = if (cases as usize) < t.seeds.len() {
                t.seeds[cases as usize].clone()
            } else {
                let base = rng.pick(&pool).clone();
                mutate(&mut rng, &base, &t.seeds, t.tokens)
            };
            let one = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (t.check)(&input)));
            slowest = slowest.max(one.elapsed());
            cases += 1;
            if let Err(panic) = outcome {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!(
                    "{}: {why} (input: {})",
                    t.name,
                    save_failure(t.name, &input).display()
                ));
                if failures.len() > 20 {
                    break;
                }
            } else if input.len() < 4_000_000 {
                // Keep a few mutants around so edits accumulate (bounded pool).
                if pool.len() < t.seeds.len() + 64 {
                    pool.push(input);
                } else {
                    let i = t.seeds.len() + rng.below(64);
                    pool[i] = input;
                }
            }
        }
        total += cases;
        println!(
            "fuzz {:<18} {:>8} cases in {:>6.1} s, slowest case {:>6.1} ms",
            t.name,
            cases,
            started.elapsed().as_secs_f64(),
            slowest.as_secs_f64() * 1000.0
        );
    }
    std::panic::set_hook(quiet);
    println!("fuzz: {total} cases, {} failures", failures.len());
    assert!(failures.is_empty(), "fuzz failures:\n{}", failures.join("\n"));
}
