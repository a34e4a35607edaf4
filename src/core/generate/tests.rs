use super::*;
use crate::core::store::Clock;

struct TestClock;
impl Clock for TestClock {
    fn now_ms(&self) -> f64 {
        0.0
    }
}

/// Words 0..N; the decoder's "model" continues a sentence by a fixed script.
const WORDS: [&str; 8] = ["<eos>", "the", "cat", "sat", "on", "mat", "STOP", "a"];

fn tokenizer_json() -> Vec<u8> {
    let vocab: serde_json::Map<String, serde_json::Value> = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), serde_json::json!(i)))
        .collect();
    serde_json::json!({
        "version": "1.0",
        "added_tokens": [{"id": 0, "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true}],
        "normalizer": null,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": null,
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "a"}
    })
    .to_string()
    .into_bytes()
}

/// Logits that make `script[cached position]` the next token; records every call.
struct ScriptedDecoder {
    script: Vec<u32>,
    cache: Vec<u32>,
    calls: Vec<Vec<u32>>,
    truncations: Vec<usize>,
}

impl DecoderBackend for ScriptedDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        self.calls.push(tokens.to_vec());
        self.cache.extend_from_slice(tokens);
        let mut logits = vec![0.0; WORDS.len()];
        let next = self.script.get(self.cache.len()).copied().unwrap_or(0);
        logits[next as usize] = 10.0;
        Ok(logits)
    }
    fn cached(&self) -> usize {
        self.cache.len()
    }
    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        self.truncations.push(len);
        self.cache.truncate(len);
        Ok(())
    }
    fn ep(&self) -> String {
        "test".into()
    }
}

fn config() -> DecoderConfig {
    DecoderConfig {
        layers: 1,
        hidden: 1,
        heads: 1,
        kv_heads: 1,
        head_dim: 1,
        vocab: WORDS.len(),
        max_positions: 64,
        bos: None,
        eos: vec![0],
        rope_theta: 10_000.0,
        rope_scaling: serde_json::Value::Null,
        rms_eps: 1e-6,
    }
}

/// A generator whose model, after `n` cached tokens, predicts `script[n]`.
fn generator(script: &[u32]) -> Generator<ScriptedDecoder> {
    let template = ChatTemplate::new(
        "{% for m in messages %}{{ m.content }} {% endfor %}",
        "",
        "<eos>",
        Date {
            year: 2026,
            month: 1,
            day: 1,
        },
    )
    .unwrap();
    let backend = ScriptedDecoder {
        script: script.to_vec(),
        cache: vec![],
        calls: vec![],
        truncations: vec![],
    };
    Generator::new(config(), &tokenizer_json(), template, backend).unwrap()
}

fn run(g: &mut Generator<ScriptedDecoder>, prompt: &[u32], opts: &GenerateOptions) -> (Generation, Vec<String>) {
    let mut chunks = Vec::new();
    let out = pollster::block_on(g.generate(prompt, opts, &TestClock, &|| false, &mut |t| chunks.push(t.to_string())))
        .unwrap();
    (out, chunks)
}

#[test]
fn stops_at_eos_and_streams_each_word() {
    // Prompt "the cat" (2 tokens), then the script says: sat on mat <eos>.
    let mut g = generator(&[0, 0, 3, 4, 5, 0]);
    let (out, chunks) = run(&mut g, &[1, 2], &GenerateOptions::default());
    assert_eq!(out.tokens, vec![3, 4, 5]);
    assert_eq!(out.stop, StopReason::Eos);
    assert_eq!(out.text, "sat on mat");
    assert!(chunks.len() >= 3, "{chunks:?}");
    assert_eq!(chunks.concat(), out.text);
    // Prefill once, then one token per call; the eos token is never fed.
    assert_eq!(g.backend().calls, vec![vec![1, 2], vec![3], vec![4], vec![5]]);
}

#[test]
fn max_tokens_and_prefill_chunks() {
    let mut g = generator(&[0, 0, 0, 0, 3, 4, 5, 7, 7, 7]);
    let opts = GenerateOptions {
        max_new_tokens: 2,
        prefill_chunk: 3,
        ..Default::default()
    };
    let (out, _) = run(&mut g, &[1, 2, 7, 1], &opts);
    assert_eq!(out.tokens, vec![3, 4]);
    assert_eq!(out.stop, StopReason::MaxTokens);
    assert_eq!(g.backend().calls[..2], [vec![1, 2, 7], vec![1]]);
}

#[test]
fn end_of_sequence_waits_for_the_minimum_tokens() {
    let mut g = generator(&[0, 0, 0, 0, 0, 0]);
    let opts = GenerateOptions {
        min_new_tokens: 2,
        ..Default::default()
    };
    let (out, _) = run(&mut g, &[1, 2], &opts);
    assert_eq!(out.tokens.len(), 2, "{:?}", out.tokens);
    assert!(!out.tokens.contains(&0));
    assert_eq!(out.stop, StopReason::Eos);
}

#[test]
fn stop_strings_end_generation_and_are_never_streamed() {
    let mut g = generator(&[0, 0, 3, 6, 4, 0]);
    let opts = GenerateOptions {
        stop: vec!["STOP".into()],
        ..Default::default()
    };
    let (out, chunks) = run(&mut g, &[1, 2], &opts);
    assert_eq!(out.stop, StopReason::StopString);
    assert_eq!(out.text.trim_end(), "sat");
    assert!(!chunks.concat().contains("STOP"), "{chunks:?}");
}

#[test]
fn a_shared_prefix_is_not_recomputed() {
    let mut g = generator(&[0, 0, 0, 3, 0, 0, 0, 0, 0]);
    run(&mut g, &[1, 2, 7], &GenerateOptions::default());
    // The cache now holds 1 2 7 3. A new prompt sharing "1 2" runs only its tail.
    g.backend.script = vec![0, 0, 0, 0, 5, 0];
    let (out, _) = run(&mut g, &[1, 2, 4, 4], &GenerateOptions::default());
    assert_eq!(out.reused_tokens, 2);
    assert_eq!(g.backend().truncations.last(), Some(&2));
    let calls = &g.backend().calls;
    assert_eq!(calls[calls.len() - 2], vec![4, 4]);
    assert_eq!(out.tokens, vec![5]);
    // The same prompt again: everything but its last token is reused.
    let (again, _) = run(&mut g, &[1, 2, 4, 4], &GenerateOptions::default());
    assert_eq!(again.reused_tokens, 3);
}

#[test]
fn cancel_is_checked_at_every_token() {
    let mut g = generator(&[0, 0, 3, 3, 3, 3, 3, 3, 3, 3]);
    let steps = std::cell::Cell::new(0);
    let cancelled = || {
        steps.set(steps.get() + 1);
        steps.get() > 3
    };
    let out = pollster::block_on(g.generate(
        &[1, 2],
        &GenerateOptions::default(),
        &TestClock,
        &cancelled,
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(out.stop, StopReason::Cancelled);
    // Checked once before the prompt, then after each token: the third token's check stops it.
    assert_eq!(out.tokens.len(), 3);
}

#[test]
fn chat_renders_the_template_and_encodes_without_extra_special_tokens() {
    let mut g = generator(&[0, 0, 0, 5, 0]);
    let out = pollster::block_on(g.chat(
        &[ChatMessage::new("user", "the cat sat")],
        &GenerateOptions::default(),
        &TestClock,
        &|| false,
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(g.backend().calls[0], vec![1, 2, 3]);
    assert_eq!(out.text, "mat");
}

#[test]
fn a_prompt_longer_than_the_context_is_refused() {
    let mut g = generator(&[]);
    let long = vec![1; 64];
    let e = pollster::block_on(g.generate(&long, &GenerateOptions::default(), &TestClock, &|| false, &mut |_| {}))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::BadRequest);
}

#[test]
fn special_tokens_in_message_contents_are_removed() {
    let g = generator(&[]);
    assert_eq!(g.without_special_tokens("the<eos> cat"), "the cat");
    assert_eq!(
        g.chat_prompt(&[ChatMessage::new("user", "<eos>the cat")]).unwrap(),
        vec![1, 2]
    );
}
