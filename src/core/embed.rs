//! Sentence embeddings: tokenization, length-sorted dynamic batching, masked mean pooling, L2 normalization.
//!
//! The model run itself is behind [`EncoderBackend`]: ort-web in the browser, native ONNX Runtime in tests and the
//! CLI, fakes in unit tests. Everything around the run is here, so both backends produce the same numbers.

use std::collections::HashMap;

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::error::{ErrorCode, ScoutError};
use super::protocol::VectorUse;
use super::vectors::{PageVectors, VectorStore, VectorsKey, text_key};

/// One padded batch of token ids, row-major `[batch, seq]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedBatch {
    pub input_ids: Vec<i64>,
    pub attention_mask: Vec<i64>,
    pub token_type_ids: Vec<i64>,
    pub batch: usize,
    pub seq: usize,
}

/// Runs the encoder model: returns `last_hidden_state` flattened as `[batch, seq, dims]`.
#[allow(async_fn_in_trait)]
pub trait EncoderBackend {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError>;
    /// The execution provider that ran the model ("wasm", "webgpu", "native-cpu", "fake").
    fn ep(&self) -> String;
    /// Let the host handle other events between batches (in the browser, a `cancel` message can only arrive then).
    async fn yield_now(&mut self) {}
}

/// Tokenizer set up the way the embedder needs: no built-in padding, truncation at `max_tokens`.
pub struct EmbedTokenizer {
    tokenizer: Tokenizer,
}

impl EmbedTokenizer {
    pub fn from_bytes(bytes: &[u8], max_tokens: usize) -> Result<Self, ScoutError> {
        let mut tokenizer = Tokenizer::from_bytes(bytes)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("tokenizer.json is not valid: {e}")))?;
        // The shipped tokenizer pads every input to 128; we pad per batch instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| ScoutError::new(ErrorCode::Internal, format!("tokenizer truncation: {e}")))?;
        Ok(EmbedTokenizer { tokenizer })
    }

    /// Token ids of each text without special tokens (for the static table), truncated like [`Self::encode`].
    pub fn encode_plain(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, ScoutError> {
        self.encode_ids(texts, false)
    }

    fn encode_ids(&self, texts: &[&str], special_tokens: bool) -> Result<Vec<Vec<u32>>, ScoutError> {
        texts
            .iter()
            .map(|t| {
                self.tokenizer
                    .encode(*t, special_tokens)
                    .map(|e| e.get_ids().to_vec())
                    .map_err(|e| ScoutError::new(ErrorCode::Internal, format!("tokenization failed: {e}")))
            })
            .collect()
    }

    /// Ids of `[CLS]`-style wrapping: what [`Self::encode`] puts before and after a text's own tokens.
    pub fn wrap_ids(&self) -> Result<(Vec<u32>, Vec<u32>), ScoutError> {
        let plain = self.encode_plain(&["a"])?.remove(0);
        let full = self.encode(&["a"])?.remove(0);
        let at = full
            .windows(plain.len().max(1))
            .position(|w| w == plain.as_slice())
            .ok_or_else(|| {
                ScoutError::new(
                    ErrorCode::Internal,
                    "the tokenizer's wrapping is not a prefix and suffix",
                )
            })?;
        Ok((full[..at].to_vec(), full[at + plain.len()..].to_vec()))
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// Token ids (with `[CLS]`/`[SEP]`) of each text.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, ScoutError> {
        self.encode_ids(texts, true)
    }
}

/// Pad a group of id sequences to the longest one.
pub fn pad_batch(seqs: &[&[u32]]) -> EncodedBatch {
    let seq = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let batch = seqs.len();
    let mut input_ids = vec![0i64; batch * seq];
    let mut attention_mask = vec![0i64; batch * seq];
    for (b, s) in seqs.iter().enumerate() {
        for (i, id) in s.iter().enumerate() {
            input_ids[b * seq + i] = i64::from(*id);
            attention_mask[b * seq + i] = 1;
        }
    }
    EncodedBatch {
        token_type_ids: vec![0; batch * seq],
        input_ids,
        attention_mask,
        batch,
        seq,
    }
}

/// Attention-masked mean over the sequence, then L2 normalization. `hidden` is `[batch, seq, dims]`.
pub fn mean_pool_normalize(hidden: &[f32], batch: &EncodedBatch, dims: usize) -> Result<Vec<Vec<f32>>, ScoutError> {
    let expected = batch.batch * batch.seq * dims;
    if hidden.len() != expected {
        return Err(ScoutError::new(
            ErrorCode::BackendFailed,
            format!("model output has {} values, expected {expected}", hidden.len()),
        ));
    }
    let mut out = Vec::with_capacity(batch.batch);
    for b in 0..batch.batch {
        let mut v = vec![0f32; dims];
        let mut n = 0f32;
        for t in 0..batch.seq {
            if batch.attention_mask[b * batch.seq + t] == 0 {
                continue;
            }
            n += 1.0;
            let row = &hidden[(b * batch.seq + t) * dims..(b * batch.seq + t + 1) * dims];
            for (acc, x) in v.iter_mut().zip(row) {
                *acc += x;
            }
        }
        let n = n.max(1.0);
        v.iter_mut().for_each(|x| *x /= n);
        normalize(&mut v);
        out.push(v);
    }
    Ok(out)
}

pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The embedder: tokenizer + backend + batching policy.
pub struct Embedder<B> {
    pub tokenizer: EmbedTokenizer,
    pub backend: B,
    pub dims: usize,
    pub batch_size: usize,
    /// Model id, revision and truncation: what a stored vector must match to be reused. Empty: never stored.
    pub model_tag: String,
    /// Recent embeddings by text: summaries, classification and questions about one page share sentences.
    cache: EmbeddingCache,
    /// The stored vectors of the page a request works on (see [`Embedder::open_page`]).
    page: Option<PageVectors>,
    /// Texts the model ran on since the embedder was made.
    texts_run: usize,
    /// What the model wants before each text (e5 models: "passage: " / "query: "; none for MiniLM).
    pub prefixes: TextPrefixes,
}

/// The text a model was trained to see before a passage and before a question (e5: "passage: " and "query: ").
/// [`Embedder::embed`] adds the passage one, [`Embedder::embed_queries`] the query one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextPrefixes {
    #[serde(default)]
    pub passage: String,
    #[serde(default)]
    pub query: String,
}

impl TextPrefixes {
    pub fn is_empty(&self) -> bool {
        self.passage.is_empty() && self.query.is_empty()
    }
}

/// A bounded least-recently-used map from text (by [`text_key`]) to its embedding.
pub struct EmbeddingCache {
    map: HashMap<u64, (u64, Vec<f32>)>,
    capacity: usize,
    clock: u64,
}

impl EmbeddingCache {
    pub fn new(capacity: usize) -> Self {
        EmbeddingCache {
            map: HashMap::new(),
            capacity,
            clock: 0,
        }
    }

    pub fn get(&mut self, text: u64) -> Option<Vec<f32>> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(&text).map(|(used, v)| {
            *used = now;
            v.clone()
        })
    }

    pub fn put(&mut self, text: u64, v: Vec<f32>) {
        if self.capacity == 0 {
            return;
        }
        self.clock += 1;
        if self.map.len() >= self.capacity && !self.map.contains_key(&text) {
            // Evict the least recently used eighth at once, so eviction costs O(1) amortized per insert.
            let mut ages: Vec<u64> = self.map.values().map(|(u, _)| *u).collect();
            ages.sort_unstable();
            let cutoff = ages[(ages.len() / 8).min(ages.len() - 1)];
            self.map.retain(|_, (u, _)| *u > cutoff);
        }
        self.map.insert(text, (self.clock, v));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Where a request on a page started; see [`Embedder::open_page`].
#[derive(Debug, Clone, Copy)]
pub struct PageMark(usize);

/// Vectors kept by the embedding cache (384 floats each: ~6 MB).
pub const EMBEDDING_CACHE_CAPACITY: usize = 4096;

impl<B: EncoderBackend> Embedder<B> {
    pub fn new(tokenizer: EmbedTokenizer, backend: B, dims: usize) -> Self {
        Embedder {
            tokenizer,
            backend,
            dims,
            // One text per run. The bundled model quantizes its activations per run (one scale for the whole
            // batch tensor, padding included), so a text's vector would depend on the texts batched with it (cosine
            // ~0.99 between the two); alone, a text always gets the same vector, which the stored vectors and the
            // native/web parity rely on. Measured in Chromium (WASM, 2 threads, 64 corpus sentences of ~41 tokens):
            // 87 texts/s alone vs 92 in length-sorted batches of 8 and 73 in batches of 16: little to give up.
            batch_size: 1,
            model_tag: String::new(),
            cache: EmbeddingCache::new(EMBEDDING_CACHE_CAPACITY),
            page: None,
            texts_run: 0,
            prefixes: TextPrefixes::default(),
        }
    }

    /// What the model expects before passages and questions (its catalog entry's `prefixes`).
    pub fn with_prefixes(mut self, prefixes: TextPrefixes) -> Self {
        self.prefixes = prefixes;
        self
    }

    /// Name the model so its vectors can be stored between sessions.
    pub fn with_model_tag(mut self, tag: impl Into<String>) -> Self {
        self.model_tag = tag.into();
        self
    }

    /// Work on one page: load its stored vectors (if any), so texts embedded for it before cost no model run.
    /// A store that fails or holds a damaged record only costs the recomputation.
    /// Returns a mark for [`Embedder::close_page`].
    pub async fn open_page<V: VectorStore>(&mut self, store: &V, url: &str, content_hash: &str) -> PageMark {
        self.page = None;
        let mark = PageMark(self.texts_run);
        if self.model_tag.is_empty() {
            return mark;
        }
        let key = VectorsKey {
            url: url.to_string(),
            content_hash: content_hash.to_string(),
            model: self.model_tag.clone(),
        };
        let stored = store.load_vectors(&key).await.ok().flatten();
        let page = stored
            .and_then(|bytes| PageVectors::decode(key.clone(), self.dims, &bytes))
            .unwrap_or_else(|| PageVectors::new(key, self.dims));
        self.page = Some(page);
        mark
    }

    /// Done with the page: save its record if it gained vectors, and say where this request's vectors came from.
    pub async fn close_page<V: VectorStore>(&mut self, store: &V, mark: PageMark) -> VectorUse {
        let computed = self.texts_run - mark.0;
        let Some(page) = self.page.take() else {
            return VectorUse { computed, stored: 0 };
        };
        if page.added() > 0 {
            // Storing is an optimisation: a failure costs a recomputation next time, not the answer.
            let _ = store.save_vectors(&page.key, page.encode()).await;
        }
        VectorUse {
            computed,
            stored: page.reused(),
        }
    }

    /// Embed texts; the result is in input order. Cached texts are not run again; the others are sorted by length
    /// so batches carry little padding.
    pub async fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ScoutError> {
        self.embed_cancellable(texts, &|| false).await
    }

    /// Embed questions (with the model's query prefix, where passages get its passage prefix).
    pub async fn embed_queries(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ScoutError> {
        let prefix = self.prefixes.query.clone();
        self.embed_prefixed(texts, &prefix, &|| false).await
    }

    /// Like [`Embedder::embed`], checking `cancelled` between batches (long pages can take seconds).
    pub async fn embed_cancellable(
        &mut self,
        texts: &[&str],
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Vec<Vec<f32>>, ScoutError> {
        let prefix = self.prefixes.passage.clone();
        self.embed_prefixed(texts, &prefix, cancelled).await
    }

    /// The texts as the model sees them: each after `prefix`; cached and stored by that whole text.
    async fn embed_prefixed(
        &mut self,
        texts: &[&str],
        prefix: &str,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Vec<Vec<f32>>, ScoutError> {
        let owned: Vec<String>;
        let texts: Vec<&str> = if prefix.is_empty() {
            texts.to_vec()
        } else {
            owned = texts.iter().map(|t| format!("{prefix}{t}")).collect();
            owned.iter().map(String::as_str).collect()
        };
        let texts = texts.as_slice();
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut missing: Vec<usize> = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let k = text_key(t);
            let found = match self.cache.get(k) {
                Some(v) => Some(v),
                None => {
                    let v = self.page.as_mut().and_then(|p| p.get(k));
                    if let Some(v) = &v {
                        self.cache.put(k, v.clone());
                    }
                    v
                }
            };
            match found {
                Some(v) => {
                    if let Some(p) = self.page.as_mut() {
                        p.put(k, &v);
                    }
                    out[i] = v;
                }
                None => missing.push(i),
            }
        }
        let todo: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
        let ids = self.tokenizer.encode(&todo)?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        for chunk in order.chunks(self.batch_size.max(1)) {
            self.backend.yield_now().await;
            if cancelled() {
                return Err(ScoutError::new(ErrorCode::Cancelled, "cancelled"));
            }
            let seqs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            let batch = pad_batch(&seqs);
            let hidden = self.backend.last_hidden_state(&batch).await?;
            let vecs = mean_pool_normalize(&hidden, &batch, self.dims)?;
            self.texts_run += chunk.len();
            for (&j, v) in chunk.iter().zip(vecs) {
                let k = text_key(todo[j]);
                if let Some(p) = self.page.as_mut() {
                    p.put(k, &v);
                }
                self.cache.put(k, v.clone());
                out[missing[j]] = v;
            }
        }
        Ok(out)
    }

    pub fn cached_len(&self) -> usize {
        self.cache.len()
    }

    /// Forget the recent embeddings held in memory (stored page records are untouched).
    pub fn clear_cache(&mut self) {
        self.cache = EmbeddingCache::new(EMBEDDING_CACHE_CAPACITY);
    }

    /// Texts the model ran on since the embedder was made.
    pub fn texts_run(&self) -> usize {
        self.texts_run
    }
}

#[cfg(test)]
pub mod fake {
    //! A deterministic fake encoder: hidden state of a token = a hashed one-hot-ish vector of its id.
    use super::*;

    /// A hermetic word-level tokenizer over `vocab` (lowercased, whitespace-split, no special tokens; words not in
    /// the vocabulary map to `vocab[0]`, which should be "[UNK]").
    pub fn word_level_tokenizer(vocab: &[&str], max_tokens: usize) -> EmbedTokenizer {
        let map: serde_json::Map<String, serde_json::Value> = vocab
            .iter()
            .enumerate()
            .map(|(i, w)| ((*w).to_string(), serde_json::Value::from(i)))
            .collect();
        let json = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": map, "unk_token": vocab.first().copied().unwrap_or("[UNK]")}
        });
        EmbedTokenizer::from_bytes(json.to_string().as_bytes(), max_tokens).expect("test tokenizer")
    }

    pub struct FakeEncoder {
        pub dims: usize,
        pub calls: usize,
    }

    impl EncoderBackend for FakeEncoder {
        async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
            self.calls += 1;
            let mut out = vec![0f32; batch.batch * batch.seq * self.dims];
            for (i, id) in batch.input_ids.iter().enumerate() {
                let k = (*id as usize * 2654435761) % self.dims;
                out[i * self.dims + k] = 1.0;
            }
            Ok(out)
        }
        fn ep(&self) -> String {
            "fake".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_mask() {
        let a = [101u32, 7, 102];
        let b = [101u32, 102];
        let batch = pad_batch(&[&a, &b]);
        assert_eq!(batch.seq, 3);
        assert_eq!(batch.input_ids, vec![101, 7, 102, 101, 102, 0]);
        assert_eq!(batch.attention_mask, vec![1, 1, 1, 1, 1, 0]);
    }

    #[test]
    fn cache_evicts_least_recently_used() {
        let mut c = EmbeddingCache::new(8);
        for i in 0..8 {
            c.put(i, vec![i as f32]);
        }
        assert_eq!(c.get(0), Some(vec![0.0])); // 0 is now recent
        c.put(100, vec![9.0]);
        assert!(c.len() <= 8);
        assert_eq!(c.get(0), Some(vec![0.0]));
        assert_eq!(c.get(1), None, "the oldest entry went");
        assert_eq!(c.get(100), Some(vec![9.0]));
    }

    #[test]
    fn prefixes_go_before_passages_and_questions_and_into_the_cache_key() {
        let vocab = ["[UNK]", "passage", "query", ":", "bridge", "opens", "monday"];
        let tok = || fake::word_level_tokenizer(&vocab, 16);
        let mut plain = Embedder::new(tok(), fake::FakeEncoder { dims: 16, calls: 0 }, 16);
        let mut e5 = Embedder::new(tok(), fake::FakeEncoder { dims: 16, calls: 0 }, 16);
        e5.prefixes = TextPrefixes {
            passage: "passage: ".into(),
            query: "query: ".into(),
        };
        let run = |e: &mut Embedder<fake::FakeEncoder>, t: &str, q: bool| {
            let v = if q {
                pollster::block_on(e.embed_queries(&[t]))
            } else {
                pollster::block_on(e.embed(&[t]))
            };
            v.unwrap().remove(0)
        };
        assert_eq!(
            run(&mut e5, "bridge opens", false),
            run(&mut plain, "passage: bridge opens", false)
        );
        assert_eq!(
            run(&mut e5, "bridge opens", true),
            run(&mut plain, "query: bridge opens", true)
        );
        assert_ne!(
            run(&mut e5, "bridge opens", true),
            run(&mut e5, "bridge opens", false),
            "a question is not its passage"
        );
        assert_eq!(
            run(&mut plain, "monday", true),
            run(&mut plain, "monday", false),
            "no prefixes: the same text"
        );
    }

    #[test]
    fn pooling_ignores_padding_and_normalizes() {
        let batch = pad_batch(&[&[1, 2], &[3]]);
        // dims 2: row0 tokens (1,0),(0,1); row1 token (3,4) then padding (100,100)
        let hidden = vec![1.0, 0.0, 0.0, 1.0, 3.0, 4.0, 100.0, 100.0];
        let v = mean_pool_normalize(&hidden, &batch, 2).unwrap();
        let s = std::f32::consts::FRAC_1_SQRT_2;
        assert!((v[0][0] - s).abs() < 1e-6 && (v[0][1] - s).abs() < 1e-6);
        assert!((v[1][0] - 0.6).abs() < 1e-6 && (v[1][1] - 0.8).abs() < 1e-6);
        assert!(mean_pool_normalize(&hidden[..3], &batch, 2).is_err());
    }
}
