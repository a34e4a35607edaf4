//! T2 text generation, pure: a decoder behind [`DecoderBackend`] (ort-web in the browser, native ONNX Runtime in
//! tests and the CLI), chat templates, sampling and streaming detokenization. The generator feeds the prompt
//! (reusing the cached prefix), then one token per step; it stops on an end-of-sequence token, a stop string, the
//! token budget or cancellation, which it checks at every token.

pub mod config;
pub mod detok;
pub mod kernel;
pub mod last_logits;
pub mod sample;
pub mod template;

use tokenizers::Tokenizer;

use crate::core::error::{ErrorCode, ScoutError};
use crate::core::store::Clock;
pub use config::DecoderConfig;
pub use sample::{Sampler, SamplingParams};
pub use template::{ChatMessage, ChatTemplate, Date};

/// Session settings every decoder gets, on every runtime. `session.disable_quant_qdq` lets constant folding
/// dequantize constant weights once at load instead of at every call: an int8 export with a tied head
/// dequantizes the whole embedding table (SmolLM2: 28 M values) before each step's head, 26 of 75 ms per step
/// on native ONNX Runtime (one thread, 900 cached tokens). It also turns off ONNX Runtime's quantization fusions,
/// which changes the int8 graph's logits a little (natively, the first greedy token of a 924-token prompt changed;
/// int8 output is not token-exact across runtimes or prompt chunkings anyway).
pub const DECODER_SESSION_CONFIG: [(&str, &str); 1] = [("session.disable_quant_qdq", "1")];

/// A causal language model that keeps its key/value cache between calls. The cache holds [`Self::cached`] tokens;
/// the generator tells it which of them to keep ([`Self::truncate`]) before feeding new ones.
#[allow(async_fn_in_trait)]
pub trait DecoderBackend {
    /// Run `tokens` at positions `cached()..cached()+len` and append them to the cache; returns the logits of the
    /// last position (`vocab` floats).
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError>;
    /// Tokens in the cache.
    fn cached(&self) -> usize;
    /// Keep at most the first `len` cached tokens (fewer, even none, is allowed: the generator feeds the rest).
    fn truncate(&mut self, len: usize) -> Result<(), ScoutError>;
    /// The execution provider, for the UI ("wasm", "webgpu", "native-cpu").
    fn ep(&self) -> String;
    /// Let the host handle other events between steps (in the browser, `cancel` only arrives then).
    async fn yield_now(&mut self) {}
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub max_new_tokens: usize,
    /// End-of-sequence is not a choice before this many tokens (benchmarks: every side decodes the same count).
    pub min_new_tokens: usize,
    pub sampling: SamplingParams,
    /// Generation ends before any of these strings; it is not part of the text.
    pub stop: Vec<String>,
    /// Prompt tokens fed per model call: bounds the memory of the prompt's logits and lets cancel in between.
    pub prefill_chunk: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_new_tokens: 256,
            min_new_tokens: 0,
            sampling: SamplingParams::default(),
            stop: Vec::new(),
            // Each call copies the cache in and out on the web, so long prompts go in fewer calls: onnxruntime-web
            // (2 threads) read 2,700 tokens in 16.9 s in chunks of 512, 18.5 s in 256 and 18.4 s in 1,024 (one run
            // each); at 924 tokens 256 and 512 were within the machine's noise (4.0–4.8 s both).
            prefill_chunk: 512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Eos,
    StopString,
    MaxTokens,
    /// The context window is full.
    Context,
    Cancelled,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Generation {
    pub text: String,
    pub tokens: Vec<u32>,
    pub stop: StopReason,
    pub prompt_tokens: usize,
    /// Prompt tokens whose keys and values were already cached (a shared prefix, e.g. the page in a chat).
    pub reused_tokens: usize,
    pub prefill_ms: f64,
    pub first_token_ms: f64,
    pub decode_ms: f64,
}

impl Generation {
    /// Decode speed after the first token.
    pub fn decode_tokens_per_s(&self) -> f64 {
        let n = self.tokens.len().saturating_sub(1);
        if n == 0 || self.decode_ms <= 0.0 {
            return 0.0;
        }
        n as f64 * 1000.0 / self.decode_ms
    }
}

/// A decoder with its tokenizer, chat template and stop tokens.
pub struct Generator<B> {
    pub config: DecoderConfig,
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
    backend: B,
    /// The tokens whose keys/values the backend holds, in order.
    cached_ids: Vec<u32>,
}

/// Length of the longest suffix of `text` that is a proper prefix of some stop string: text that must be held
/// back from the stream until we know it does not begin a stop string.
fn held_back(text: &str, stops: &[String]) -> usize {
    let mut keep = 0;
    for s in stops {
        for (i, _) in s.char_indices().skip(1) {
            if i > keep && text.ends_with(&s[..i]) {
                keep = i;
            }
        }
    }
    keep
}

impl<B: DecoderBackend> Generator<B> {
    pub fn new(
        config: DecoderConfig,
        tokenizer_json: &[u8],
        template: ChatTemplate,
        backend: B,
    ) -> Result<Self, ScoutError> {
        let tokenizer = Tokenizer::from_bytes(tokenizer_json)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("tokenizer.json: {e}")))?;
        Ok(Generator {
            config,
            tokenizer,
            template,
            backend,
            cached_ids: Vec::new(),
        })
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend itself: calls that bypass the generator (a benchmark's single step) must leave its cache as
    /// the generator expects, so this also forgets which tokens the cache holds.
    pub fn backend_mut(&mut self) -> &mut B {
        self.cached_ids.clear();
        &mut self.backend
    }

    /// Token ids of a rendered prompt. The template already wrote every special token, so the tokenizer adds none
    /// (Llama 3's would add a second `<|begin_of_text|>`).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ScoutError> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| ScoutError::new(ErrorCode::Internal, format!("cannot tokenize the prompt: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// `text` without the tokenizer's special-token strings (`<|im_start|>`, …): message contents are data, and a
    /// page (or a typed question) must not open or close turns of the conversation.
    pub fn without_special_tokens(&self, text: &str) -> String {
        let mut out = text.to_string();
        for t in self.tokenizer.get_added_tokens_decoder().values().filter(|t| t.special) {
            if !t.content.is_empty() {
                out = out.replace(&t.content, "");
            }
        }
        out
    }

    /// The token ids of `messages` rendered by the chat template (special tokens removed from their contents),
    /// ready for the assistant's reply.
    pub fn chat_prompt(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, ScoutError> {
        let clean: Vec<ChatMessage> = messages
            .iter()
            .map(|m| ChatMessage::new(&m.role, self.without_special_tokens(&m.content)))
            .collect();
        self.encode(&self.template.render(&clean, true)?)
    }

    /// Render `messages` with the chat template and generate the assistant's reply.
    pub async fn chat(
        &mut self,
        messages: &[ChatMessage],
        opts: &GenerateOptions,
        clock: &dyn Clock,
        cancelled: &dyn Fn() -> bool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, ScoutError> {
        let ids = self.chat_prompt(messages)?;
        self.generate(&ids, opts, clock, cancelled, on_text).await
    }

    /// Generate after `prompt` (token ids), streaming text through `on_text`.
    pub async fn generate(
        &mut self,
        prompt: &[u32],
        opts: &GenerateOptions,
        clock: &dyn Clock,
        cancelled: &dyn Fn() -> bool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, ScoutError> {
        if prompt.is_empty() {
            return Err(ScoutError::new(ErrorCode::BadRequest, "empty prompt"));
        }
        if prompt.len() >= self.config.max_positions {
            return Err(ScoutError::new(
                ErrorCode::BadRequest,
                format!(
                    "the prompt ({} tokens) does not fit the model's context ({})",
                    prompt.len(),
                    self.config.max_positions
                ),
            ));
        }
        let start = clock.now_ms();
        // Reuse the cached prefix; at least the last prompt token must run to give the next token's logits.
        let common = self.cached_ids.iter().zip(prompt).take_while(|(a, b)| a == b).count();
        let reused = self.keep_prefix(common.min(prompt.len() - 1))?;
        let mut logits = Vec::new();
        let chunk = opts.prefill_chunk.max(1);
        let mut fed = reused;
        while fed < prompt.len() {
            if cancelled() {
                return Err(ScoutError::new(ErrorCode::Cancelled, "cancelled"));
            }
            let end = (fed + chunk).min(prompt.len());
            logits = self.feed(&prompt[fed..end]).await?;
            fed = end;
            if fed < prompt.len() {
                self.backend.yield_now().await;
            }
        }
        let prefill_end = clock.now_ms();

        let mut sampler = Sampler::new(opts.sampling.clone());
        let mut stream = detok::StreamDecoder::new();
        let mut generated: Vec<u32> = Vec::new();
        let mut text = String::new();
        let mut emitted = 0;
        let mut first_token_ms = 0.0;
        let stop = loop {
            if generated.len() < opts.min_new_tokens {
                for &eos in &self.config.eos {
                    if let Some(l) = logits.get_mut(eos as usize) {
                        *l = f32::NEG_INFINITY;
                    }
                }
            }
            let next = sampler.pick(&mut logits, &generated);
            if generated.is_empty() {
                first_token_ms = clock.now_ms() - start;
            }
            if self.config.eos.contains(&next) {
                break StopReason::Eos;
            }
            generated.push(next);
            text.push_str(&stream.push(&self.tokenizer, next)?);
            if let Some(at) = opts.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                text.truncate(at);
                break StopReason::StopString;
            }
            let ready = text.len() - held_back(&text, &opts.stop);
            if ready > emitted {
                on_text(&text[emitted..ready]);
                emitted = ready;
            }
            if generated.len() >= opts.max_new_tokens {
                break StopReason::MaxTokens;
            }
            if prompt.len() + generated.len() >= self.config.max_positions {
                break StopReason::Context;
            }
            self.backend.yield_now().await;
            if cancelled() {
                break StopReason::Cancelled;
            }
            logits = self.feed(&[next]).await?;
        };
        // A stop string cut the text already; otherwise whatever the stream still holds belongs to it.
        if stop != StopReason::StopString {
            text.push_str(&stream.flush(&self.tokenizer)?);
        }
        if text.len() > emitted {
            on_text(&text[emitted..]);
        }
        let end = clock.now_ms();
        Ok(Generation {
            text,
            tokens: generated,
            stop,
            prompt_tokens: prompt.len(),
            reused_tokens: reused,
            prefill_ms: prefill_end - start,
            first_token_ms,
            decode_ms: end - prefill_end,
        })
    }

    /// Run tokens on top of the cache, keeping `cached_ids` in step with the backend (cleared on failure: a
    /// failed run may have left the cache in any state).
    async fn feed(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        match self.backend.forward(tokens).await {
            Ok(logits) => {
                self.cached_ids.extend_from_slice(tokens);
                if logits.len() != self.config.vocab {
                    return Err(ScoutError::new(
                        ErrorCode::BackendFailed,
                        format!(
                            "the model returned {} logits, its config says {}",
                            logits.len(),
                            self.config.vocab
                        ),
                    ));
                }
                Ok(logits)
            }
            Err(e) => {
                self.cached_ids.clear();
                let _ = self.backend.truncate(0);
                Err(e)
            }
        }
    }

    /// Keep the first `len` cached tokens (none if the backend's cache is not the one we track); returns how many
    /// were kept.
    fn keep_prefix(&mut self, len: usize) -> Result<usize, ScoutError> {
        let keep = if self.backend.cached() == self.cached_ids.len() {
            len
        } else {
            0
        };
        if keep < self.backend.cached() {
            self.backend.truncate(keep)?;
        }
        // A backend may keep less than asked (dropping the cache is always allowed).
        let kept = self.backend.cached().min(keep);
        self.cached_ids.truncate(kept);
        Ok(kept)
    }
}

#[cfg(test)]
mod tests;
