//! Scout's own decoder for Llama-architecture language models (SmolLM2, Llama 3.2, Qwen2.5): the T2 tier's WASM
//! path. The linear layers are the int8 products of `scout-bert` (activations per row to 7 bits, weights int8 per
//! column, exact integer sums: one relaxed-SIMD byte dot product per 16 multiply-adds in the browser), attention,
//! RMSNorm, RoPE and SiLU are float, and the key/value cache stays in this module's memory between calls.
//!
//! Why not ONNX Runtime on WASM: its int8 kernels widen bytes to 16 bits (half the multiply-adds per instruction),
//! every run crosses its API, and its session takes seconds to create. The weights come from the model's own ONNX
//! export ([`Decoder::from_onnx`]): the int8 export's weights are used as they are where they are symmetric, float
//! or asymmetric ones are quantized per column here, so any model downloaded in the Transformers.js layout works.
//!
//! Invariant, as in `scout-bert`: the same inputs give the same bits natively and in the browser.

mod attention;
mod load;
pub mod onnx;
pub mod plain;
mod shard;

use scout_bert::math;
use scout_bert::{QuantLinear, Scratch};

pub use shard::{SHARDS, Shard};

/// Why a model cannot be loaded or run.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmError(pub String);

impl std::fmt::Display for LlmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the weights do not say (from the model's `config.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LlmConfig {
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub rope_theta: f64,
    pub rope: Rope,
    pub eps: f32,
}

/// How RoPE's frequencies are scaled for long contexts (`rope_scaling` in `config.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Rope {
    Plain,
    /// Every frequency divided by the factor.
    Linear(f64),
    /// Llama 3.1+: low frequencies divided by `factor`, high ones kept, a smooth blend between (wavelengths
    /// compared with the original context over `low` and `high`).
    Llama3 {
        factor: f64,
        low: f64,
        high: f64,
        original: f64,
    },
}

impl LlmConfig {
    /// RoPE's inverse frequency per pair of dimensions.
    pub fn inv_freq(&self) -> Vec<f64> {
        let d = self.head_dim;
        (0..d / 2)
            .map(|i| {
                let f = 1.0 / self.rope_theta.powf(2.0 * i as f64 / d as f64);
                match self.rope {
                    Rope::Plain => f,
                    Rope::Linear(factor) => f / factor,
                    Rope::Llama3 {
                        factor,
                        low,
                        high,
                        original,
                    } => {
                        let wavelen = 2.0 * std::f64::consts::PI / f;
                        if wavelen < original / high {
                            f
                        } else if wavelen > original / low {
                            f / factor
                        } else {
                            let smooth = (original / wavelen - low) / (high - low);
                            (1.0 - smooth) * f / factor + smooth * f
                        }
                    }
                }
            })
            .collect()
    }
}

/// A loaded model: the embedding table, the norms and the head here, the layers' weights and the key/value cache in
/// its [`Shard`]s.
pub struct Decoder {
    config: LlmConfig,
    hidden: usize,
    vocab: usize,
    /// The token embeddings, int8 with a scale per token, where the head is not tied to them (a tied head is the
    /// table, by columns: [`QuantLinear::column`]).
    table: Option<(Vec<i8>, Vec<f32>)>,
    /// Per layer: the norms before attention and before the feed-forward layer.
    norms: Vec<(Vec<f32>, Vec<f32>)>,
    final_norm: Vec<f32>,
    head: QuantLinear,
    shards: Vec<Shard>,
    scratch: Scratch,
}

impl Decoder {
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    pub fn layers(&self) -> usize {
        self.norms.len()
    }

    /// Tokens in the key/value cache of shard 0 (the one this thread always runs).
    pub fn cached(&self) -> usize {
        self.shards[0].cached()
    }

    /// Whether every shard is here (this thread can run the whole model).
    pub fn complete(&self) -> bool {
        self.shards.len() == SHARDS
    }

    pub fn shard_mut(&mut self, i: usize) -> &mut Shard {
        &mut self.shards[i]
    }

    /// Keep the first `len` cached tokens in every shard.
    pub fn truncate(&mut self, len: usize) {
        self.shards.iter_mut().for_each(|s| s.truncate(len));
    }

    /// Bytes of weights held (the packed matrices and the embedding table).
    pub fn weight_bytes(&self) -> usize {
        let linear = |l: &QuantLinear| l.k * l.n;
        let layers: usize = self
            .shards
            .iter()
            .flat_map(|s| &s.layers)
            .map(|l| linear(&l.qkv) + linear(&l.o) + linear(&l.gate_up) + linear(&l.down))
            .sum();
        layers + linear(&self.head) + self.table.as_ref().map_or(0, |t| t.0.len())
    }

    /// Run `tokens` after the cached ones on this thread (every shard), append them to the cache, and return the
    /// last position's logits.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        if !self.complete() {
            return Err(LlmError(
                "part of the model runs on another thread that stopped: load it again".into(),
            ));
        }
        let past = self.cached();
        let mut x = self.embed(tokens)?;
        for l in 0..self.layers() {
            let normed = self.attn_input(l, &x);
            for s in 0..self.shards.len() {
                let part = self.shards[s].attention(l, &normed, past)?;
                add(&mut x, &part);
            }
            let normed = self.mlp_input(l, &x);
            for s in 0..self.shards.len() {
                let part = self.shards[s].mlp(l, &normed)?;
                add(&mut x, &part);
            }
        }
        Ok(self.logits(&x))
    }

    /// The residual stream of `tokens` before the first layer (`[n, hidden]`).
    pub fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        if tokens.is_empty() {
            return Err(LlmError("no tokens to run".into()));
        }
        let h = self.hidden;
        let mut x = Vec::with_capacity(tokens.len() * h);
        for &id in tokens {
            let id = id as usize;
            if id >= self.vocab {
                return Err(LlmError(format!("token id {id} is outside the vocabulary")));
            }
            match &self.table {
                Some((q, scale)) => x.extend(q[id * h..(id + 1) * h].iter().map(|&v| f32::from(v) * scale[id])),
                None => {
                    let at = x.len();
                    x.resize(at + h, 0.0);
                    self.head.column(id, &mut x[at..]);
                }
            }
        }
        Ok(x)
    }

    /// Layer `l`'s attention input: the residual stream normalized.
    pub fn attn_input(&self, l: usize, x: &[f32]) -> Vec<f32> {
        rms_norm(x, &self.norms[l].0, self.config.eps)
    }

    /// Layer `l`'s feed-forward input.
    pub fn mlp_input(&self, l: usize, x: &[f32]) -> Vec<f32> {
        rms_norm(x, &self.norms[l].1, self.config.eps)
    }

    /// The logits of the last row of the residual stream.
    pub fn logits(&mut self, x: &[f32]) -> Vec<f32> {
        let last = rms_norm(&x[x.len() - self.hidden..], &self.final_norm, self.config.eps);
        self.head.forward(&last, &mut self.scratch)
    }
}

/// `values` as int8 appended to `out`, the largest magnitude to 127 (symmetric); returns their scale.
pub(crate) fn quantize_symmetric(values: &[f32], out: &mut Vec<i8>) -> f32 {
    let top = values.iter().fold(0f32, |a, v| a.max(v.abs()));
    let scale = if top > 0.0 { top / 127.0 } else { 1.0 };
    out.extend(values.iter().map(|&v| (v / scale).round().clamp(-127.0, 127.0) as i8));
    scale
}

/// `x += part`, in the order the decoder always adds its shards' parts.
pub fn add(x: &mut [f32], part: &[f32]) {
    x.iter_mut().zip(part).for_each(|(a, b)| *a += b);
}

/// Each row scaled to unit root-mean-square, times the norm's weights.
pub(crate) fn rms_norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let n = w.len();
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(n) {
        let inv = 1.0 / (math::dot(row, row) / n as f32 + eps).sqrt();
        out.extend(row.iter().zip(w).map(|(v, w)| v * inv * w));
    }
    out
}
