//! T2 decoding on native ONNX Runtime against references computed by the tests' Python scripts:
//! - greedy ids and first-step logits of the tiny fp32 decoder equal native onnxruntime's (tests/py/decoder_reference.py);
//! - chat templates render exactly as Jinja2 renders them the way transformers does (tests/py/render_template.py);
//! - the KV cache: a reused or shortened prefix gives the same logits as a fresh run; sampling is reproducible;
//! - SmolLM2-135M (int8, built at setup from PyPI) writes summaries of the requested shape and cited answers.
//!
//! The models are in the test hub that `cargo xtask test` builds (`{cache}/hub`); the Python packages in the cache
//! (`SCOUT_PYTHONPATH`, set by `cargo xtask test`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use scout::core::generate::{ChatMessage, ChatTemplate, Date, GenerateOptions, SamplingParams, StopReason};
use scout::core::page::read_page;
use scout::core::protocol::PageContent;
use scout::core::text::summary::{SummaryFormat, SummaryLength, SummaryOptions, SummaryType};
use scout::core::writer::chat::Source;
use scout::core::writer::run::{Budget, write_answer, write_summary};
use scout::native::{NativeClock, cache_dir, native_generator, ort_dylib_path};

const TODAY: Date = Date {
    year: 2026,
    month: 12,
    day: 4,
};

fn hub(repo: &str) -> PathBuf {
    cache_dir().join("hub").join(repo)
}

fn python_path() -> PathBuf {
    if let Ok(p) = std::env::var("SCOUT_PYTHONPATH") {
        return PathBuf::from(p);
    }
    std::fs::read_dir(cache_dir().join("python-tools"))
        .expect("run `cargo xtask setup` first")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join(".installed").exists())
        .expect("no installed Python tools in the cache")
}

/// Run a script of tests/py with the cache's Python packages; returns its stdout as JSON.
fn python(script: &str, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let mut child = Command::new("python3")
        .arg(format!("{}/tests/py/{script}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .env("PYTHONPATH", python_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("python");
    assert!(out.status.success(), "{script} failed");
    serde_json::from_slice(&out.stdout).expect("JSON from the script")
}

fn tiny() -> scout::core::generate::Generator<scout::native::NativeDecoder> {
    native_generator(
        &ort_dylib_path(),
        &hub("scout-test/tiny-llama"),
        "onnx/model.onnx",
        1,
        TODAY,
    )
    .expect("tiny decoder")
}

fn greedy(max: usize) -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: max,
        ..Default::default()
    }
}

/// First-step logits of `prompt` from a fresh cache, and the next `n` greedy ids (eos ignored: the reference runs
/// exactly n steps, so the prompt is one where the tiny model's eos is not among them — checked below).
fn run_tiny(prompt: &[u32], n: usize) -> (Vec<u32>, StopReason) {
    let mut g = tiny();
    let clock = NativeClock::default();
    let out = pollster::block_on(g.generate(prompt, &greedy(n), &clock, &|| false, &mut |_| {})).expect("generate");
    (out.tokens, out.stop)
}

const PROMPT: [u32; 5] = [504, 3575, 282, 4649, 314]; // "The capital of France is"

#[test]
fn tiny_decoder_greedy_ids_equal_native_onnxruntime_reference() {
    let dir = hub("scout-test/tiny-llama");
    let reference = python(
        "decoder_reference.py",
        &[dir.to_str().unwrap(), "[504, 3575, 282, 4649, 314]", "16"],
        None,
    );
    let want: Vec<u32> = serde_json::from_value(reference["ids"].clone()).unwrap();
    assert!(
        !want.contains(&2),
        "the reference continues past eos; pick another prompt"
    );
    let (got, stop) = run_tiny(&PROMPT, 16);
    assert_eq!(stop, StopReason::MaxTokens);
    assert_eq!(got, want);
    let distinct: std::collections::BTreeSet<_> = got.iter().collect();
    assert!(distinct.len() > 3, "a degenerate decoder proves little: {got:?}");

    // First-step logits: the backend's, against the reference's, within 1e-3.
    let ref_logits: Vec<f32> = serde_json::from_value(reference["first_logits"].clone()).unwrap();
    let mut backend = scout::native::NativeDecoder::load(
        &ort_dylib_path(),
        &dir.join("onnx/model.onnx"),
        tiny().config.clone(),
        1,
    )
    .unwrap();
    use scout::core::generate::DecoderBackend;
    let logits = pollster::block_on(backend.forward(&PROMPT)).unwrap();
    assert_eq!(logits.len(), ref_logits.len());
    let worst = logits
        .iter()
        .zip(&ref_logits)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "largest logit difference {worst}");
}

#[test]
fn cached_prefixes_give_the_logits_of_a_fresh_run() {
    use scout::core::generate::DecoderBackend;
    let dir = hub("scout-test/tiny-llama");
    let config = tiny().config.clone();
    let load = || {
        scout::native::NativeDecoder::load(&ort_dylib_path(), &dir.join("onnx/model.onnx"), config.clone(), 1).unwrap()
    };
    let long: Vec<u32> = vec![504, 3575, 282, 4649, 314, 7042, 30, 198, 504, 2988];
    // Fresh: the whole sequence at once.
    let fresh = pollster::block_on(load().forward(&long)).unwrap();
    // Cached: in three pieces.
    let mut b = load();
    pollster::block_on(b.forward(&long[..4])).unwrap();
    pollster::block_on(b.forward(&long[4..7])).unwrap();
    let pieces = pollster::block_on(b.forward(&long[7..])).unwrap();
    // Shortened: back to 6 tokens (a copy of the cache's prefix), then the rest again.
    b.truncate(6).unwrap();
    assert_eq!(b.cached(), 6);
    let shortened = pollster::block_on(b.forward(&long[6..])).unwrap();
    for (name, got) in [("pieces", &pieces), ("shortened", &shortened)] {
        let worst = got
            .iter()
            .zip(&fresh)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{name}: largest difference {worst}");
    }
}

#[test]
fn the_generator_reuses_a_shared_prefix_and_sampling_is_reproducible_by_seed() {
    let mut g = tiny();
    let clock = NativeClock::default();
    let first = pollster::block_on(g.generate(&PROMPT, &greedy(4), &clock, &|| false, &mut |_| {})).unwrap();
    let mut longer = PROMPT.to_vec();
    longer.extend([7042, 30]);
    let second = pollster::block_on(g.generate(&longer, &greedy(4), &clock, &|| false, &mut |_| {})).unwrap();
    assert_eq!(first.reused_tokens, 0);
    assert_eq!(
        second.reused_tokens,
        PROMPT.len(),
        "the prompt's cache is kept for the next prompt"
    );
    let (fresh, _) = run_tiny(&longer, 4);
    assert_eq!(second.tokens, fresh, "reusing the cache changes nothing");

    let mut sample = |seed| {
        let opts = GenerateOptions {
            max_new_tokens: 12,
            sampling: SamplingParams {
                temperature: 1.0,
                top_p: 0.95,
                seed,
                ..Default::default()
            },
            ..Default::default()
        };
        pollster::block_on(g.generate(&PROMPT, &opts, &clock, &|| false, &mut |_| {}))
            .unwrap()
            .tokens
    };
    let a = sample(1);
    assert_eq!(a, sample(1));
    assert_ne!(a, sample(2));
}

#[test]
fn stop_is_honoured_within_one_token() {
    let mut g = tiny();
    let clock = NativeClock::default();
    let calls = std::cell::Cell::new(0);
    let out = pollster::block_on(g.generate(
        &PROMPT,
        &greedy(100),
        &clock,
        &|| {
            calls.set(calls.get() + 1);
            calls.get() > 5
        },
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(out.stop, StopReason::Cancelled);
    assert_eq!(out.tokens.len(), 5);
}

/// Three conversations rendered by SmolLM2's own template (and one template using Python string methods, loop
/// controls and dates) equal Jinja2's rendering.
#[test]
fn chat_templates_render_as_jinja2_renders_them() {
    let config =
        std::fs::read_to_string(hub("HuggingFaceTB/SmolLM2-135M-Instruct").join("tokenizer_config.json")).unwrap();
    let smollm2: serde_json::Value = serde_json::from_str(&config).unwrap();
    let conversations = serde_json::json!([
        [{"role": "user", "content": "Summarize: the bridge reopens in May."}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
         {"role": "assistant", "content": "Hello! [1]"}, {"role": "user", "content": "  Ünïcödé — 東京 ?  "}],
        [{"role": "user", "content": "a\n\nb"}, {"role": "assistant", "content": ""}, {"role": "user", "content": "{{ not a template }}"}],
    ]);
    let pythonic = "{{ bos_token }}{% for m in messages %}{% if loop.index0 > 2 %}{% break %}{% endif %}\
        {% if m.role == 'system' %}{% continue %}{% endif %}[{{ m.role | upper }}] {{ m.content.strip() | trim }}\
        {% if m.content.startswith('Hi') %}!{% endif %}{{ eos_token }}\n{% endfor %}{{ strftime_now('%d %b %Y') }}";
    for (source, bos, eos) in [
        (smollm2["chat_template"].as_str().unwrap(), "<|im_start|>", "<|im_end|>"),
        (pythonic, "<s>", "</s>"),
    ] {
        let want = python(
            "render_template.py",
            &[],
            Some(
                &serde_json::json!({"template": source, "bos_token": bos, "eos_token": eos, "date": "2026-12-04",
                                    "conversations": conversations})
                .to_string(),
            ),
        );
        let t = ChatTemplate::new(source, bos, eos, TODAY).unwrap();
        for (i, conv) in conversations.as_array().unwrap().iter().enumerate() {
            let messages: Vec<ChatMessage> = serde_json::from_value(conv.clone()).unwrap();
            assert_eq!(
                t.render(&messages, true).unwrap(),
                want[i].as_str().unwrap(),
                "conversation {i}"
            );
        }
    }
}

/// The load-time rewrite of the head (`core::generate::last_logits`) changes what is computed, not the result:
/// on the real graphs (the tiny fp32 one, SmolLM2's int8 one with a tied head, and both decoders' fused 4-bit
/// WebGPU graphs, whose head is a `MatMulNBits`), the rewritten file's logits for a 40-token prompt and then two
/// cached steps equal the last row of the original file's, and the file is rewritten at all (a graph the rewrite
/// did not recognise would silently lose the speed).
#[test]
fn the_head_rewrite_keeps_the_last_positions_logits() {
    use scout::core::generate::DecoderBackend;
    use scout::core::generate::last_logits::{assemble, last_position_logits};
    use scout::native::NativeDecoder;
    for (repo, file) in [
        ("scout-test/tiny-llama", "onnx/model.onnx"),
        ("scout-test/tiny-llama", "onnx/model_q4.onnx"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "onnx/model_quantized.onnx"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "onnx/model_q4.onnx"),
    ] {
        let dir = hub(repo);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("model file");
        let config = scout::core::generate::DecoderConfig::from_json(
            &read("config.json"),
            Some(&read("generation_config.json")),
        )
        .expect("config");
        let bytes = std::fs::read(dir.join(file)).expect("model");
        let pieces = last_position_logits(bytes.as_slice())
            .expect("readable")
            .expect("rewritten");
        let edited = assemble(&bytes, &pieces);
        assert!(
            edited.len() > bytes.len() && edited.len() < bytes.len() + 1024,
            "{repo}/{file}: only a few bytes added"
        );
        let dylib = ort_dylib_path();
        let mut original = NativeDecoder::from_bytes(&dylib, &bytes, config.clone(), 1).expect("original");
        let mut rewritten = NativeDecoder::from_bytes(&dylib, &edited, config.clone(), 1).expect("rewritten");
        let prompt: Vec<u32> = (0..40).map(|i| 100 + (i * 37) % 20_000).collect();
        for step in [&prompt[..], &[504], &[3575]] {
            let a = pollster::block_on(original.forward(step)).expect("original run");
            let b = pollster::block_on(rewritten.forward(step)).expect("rewritten run");
            assert_eq!(a.len(), config.vocab);
            let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
            assert!(
                worst <= 1e-4,
                "{repo}/{file}: logits differ by {worst} after {} tokens",
                original.cached()
            );
        }
    }
}

fn smollm2() -> scout::core::generate::Generator<scout::native::NativeDecoder> {
    native_generator(
        &ort_dylib_path(),
        &hub("HuggingFaceTB/SmolLM2-135M-Instruct"),
        "onnx/model_quantized.onnx",
        2,
        TODAY,
    )
    .expect("SmolLM2")
}

fn corpus_page(name: &str) -> PageContent {
    let path = format!(
        "{}/tests/corpus/readability/{name}/source.html",
        env!("CARGO_MANIFEST_DIR")
    );
    PageContent {
        url: format!("https://example.com/{name}"),
        html: Some(std::fs::read_to_string(path).unwrap()),
        ..Default::default()
    }
}

#[test]
fn smollm2_writes_summaries_in_the_requested_shape_and_covers_long_pages_in_parts() {
    let mut g = smollm2();
    let clock = NativeClock::default();
    let page = read_page(&corpus_page("001")).unwrap();
    let opts = SummaryOptions {
        kind: SummaryType::KeyPoints,
        length: SummaryLength::Short,
        format: SummaryFormat::Markdown,
    };
    // A small context makes this page "long": it is read in parts, and the parts not read are reported.
    let budget = Budget {
        context: 640,
        max_parts: 2,
        ..Default::default()
    };
    let mut streamed = String::new();
    let mut reading = 0;
    let out = pollster::block_on(write_summary(
        &mut g,
        &page,
        &opts,
        None,
        &budget,
        &clock,
        &|| false,
        &mut |p| match p {
            scout::core::writer::run::Progress::Text { text } => streamed.push_str(&text),
            scout::core::writer::run::Progress::Reading { .. } => reading += 1,
        },
    ))
    .unwrap();
    assert!(out.parts == 2 && reading == 2, "{out:?}");
    assert!(out.coverage > 0.1 && out.coverage < 1.0, "coverage {}", out.coverage);
    assert_eq!(streamed, out.last.text, "the stream is the final pass's text");
    let bullets: Vec<&str> = out.text.lines().collect();
    assert!(!bullets.is_empty() && bullets.len() <= 3, "{}", out.text);
    assert!(
        bullets.iter().all(|b| b.starts_with("- ") && b.len() > 10),
        "{}",
        out.text
    );

    // The headline of a page that fits: one line, at most 12 words.
    let headline = SummaryOptions {
        kind: SummaryType::Headline,
        ..opts
    };
    let out = pollster::block_on(write_summary(
        &mut g,
        &page,
        &headline,
        None,
        &Budget::default(),
        &clock,
        &|| false,
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(out.coverage, 1.0);
    assert!(
        !out.text.is_empty() && !out.text.contains('\n') && out.text.split_whitespace().count() <= 12,
        "{:?}",
        out.text
    );
}

#[test]
fn smollm2_answers_with_citations_that_are_checked() {
    let mut g = smollm2();
    let clock = NativeClock::default();
    let sources = vec![
        Source {
            id: "p1".into(),
            text: "The Northfield Public Library is open Monday to Friday from 9 a.m. to 6 p.m.".into(),
            nodes: vec![3],
        },
        Source {
            id: "p2".into(),
            text: "A library card costs $25 a year for people who do not live in Northfield. Residents get one free."
                .into(),
            nodes: vec![7],
        },
    ];
    let budget = Budget {
        answer: greedy(64),
        ..Default::default()
    };
    let out = pollster::block_on(write_answer(
        &mut g,
        "Northfield Public Library",
        &[],
        "How much is a library card for someone from another town?",
        sources,
        &budget,
        &clock,
        &|| false,
        &mut |_| {},
    ))
    .unwrap();
    let generation = out.generation.expect("the model was asked");
    assert!(generation.tokens.len() > 2);
    // Whatever the model cites must be a passage it was given; the text keeps only those markers.
    assert!(
        out.answer.cited.iter().all(|&n| (1..=2).contains(&n)),
        "{:?}",
        out.answer
    );
    assert!(!out.answer.text.contains("[3]"));
    // No passages: no model run, the honest answer.
    let none = pollster::block_on(write_answer(
        &mut g,
        "t",
        &[],
        "q",
        vec![],
        &budget,
        &clock,
        &|| false,
        &mut |_| {},
    ))
    .unwrap();
    assert!(none.generation.is_none());
    assert_eq!(none.answer.text, scout::core::writer::chat::NOT_FOUND);
}
