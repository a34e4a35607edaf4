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

use scout_bert::math;
use scout_bert::{QuantLinear, Scratch};

use attention::KvCache;

/// Why a model cannot be loaded or run.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmError(pub String);

impl std::fmt::Display for LlmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the weights do not say (from the model's `config.json`).
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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

struct Layer {
    /// Q | K | V, side by side.
    qkv: QuantLinear,
    o: QuantLinear,
    /// gate | up, side by side.
    gate_up: QuantLinear,
    down: QuantLinear,
    attn_norm: Vec<f32>,
    mlp_norm: Vec<f32>,
}

/// A loaded model and its key/value cache.
pub struct Decoder {
    config: LlmConfig,
    hidden: usize,
    intermediate: usize,
    vocab: usize,
    /// The token embeddings, int8 with a scale per token.
    embed_q: Vec<i8>,
    embed_scale: Vec<f32>,
    layers: Vec<Layer>,
    final_norm: Vec<f32>,
    head: QuantLinear,
    /// RoPE's inverse frequencies (`head_dim / 2`).
    inv_freq: Vec<f64>,
    cache: Vec<KvCache>,
    scratch: Scratch,
}

impl Decoder {
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Tokens in the key/value cache.
    pub fn cached(&self) -> usize {
        self.cache.first().map_or(0, KvCache::len)
    }

    /// Keep the first `len` cached tokens.
    pub fn truncate(&mut self, len: usize) {
        self.cache.iter_mut().for_each(|c| c.truncate(len));
    }

    /// Bytes of weights held (the packed matrices and the embedding table).
    pub fn weight_bytes(&self) -> usize {
        let linear = |l: &QuantLinear| l.k * l.n;
        self.layers
            .iter()
            .map(|l| linear(&l.qkv) + linear(&l.o) + linear(&l.gate_up) + linear(&l.down))
            .sum::<usize>()
            + linear(&self.head)
            + self.embed_q.len()
    }

    /// Run `tokens` after the cached ones, append them to the cache, and return the last position's logits.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        if tokens.is_empty() {
            return Err(LlmError("no tokens to run".into()));
        }
        let (h, past) = (self.hidden, self.cached());
        let mut x = self.embed(tokens)?;
        let (heads, kv, d) = (self.config.heads, self.config.kv_heads, self.config.head_dim);
        let rope = self.rope_tables(past, tokens.len());
        for (layer, cache) in self.layers.iter().zip(self.cache.iter_mut()) {
            let normed = rms_norm(&x, &layer.attn_norm, self.config.eps);
            let mut qkv = layer.qkv.forward(&normed, &mut self.scratch);
            let width = (heads + 2 * kv) * d;
            for (i, row) in qkv.chunks_exact_mut(width).enumerate() {
                let (cos, sin) = (&rope.0[i * d / 2..(i + 1) * d / 2], &rope.1[i * d / 2..(i + 1) * d / 2]);
                for head in row[..(heads + kv) * d].chunks_exact_mut(d) {
                    apply_rope(head, cos, sin);
                }
                cache.push(&row[heads * d..(heads + kv) * d], &row[(heads + kv) * d..]);
            }
            let ctx = cache.attend(&qkv, width, heads, past);
            let attended = layer.o.forward(&ctx, &mut self.scratch);
            x.iter_mut().zip(&attended).for_each(|(a, b)| *a += b);
            let normed = rms_norm(&x, &layer.mlp_norm, self.config.eps);
            let gate_up = layer.gate_up.forward(&normed, &mut self.scratch);
            let inner = swiglu(&gate_up, self.intermediate);
            let out = layer.down.forward(&inner, &mut self.scratch);
            x.iter_mut().zip(&out).for_each(|(a, b)| *a += b);
        }
        let last = rms_norm(&x[x.len() - h..], &self.final_norm, self.config.eps);
        Ok(self.head.forward(&last, &mut self.scratch))
    }

    fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        let h = self.hidden;
        let mut x = Vec::with_capacity(tokens.len() * h);
        for &id in tokens {
            let id = id as usize;
            if id >= self.vocab {
                return Err(LlmError(format!("token id {id} is outside the vocabulary")));
            }
            let s = self.embed_scale[id];
            x.extend(self.embed_q[id * h..(id + 1) * h].iter().map(|&q| f32::from(q) * s));
        }
        Ok(x)
    }

    /// cos and sin of each position's angles, `[n][head_dim / 2]` each. Angles in f64 then rounded: the platform's
    /// f64 functions differ by at most an ulp, which the rounding to f32 hides.
    fn rope_tables(&self, past: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
        let half = self.inv_freq.len();
        let (mut cos, mut sin) = (Vec::with_capacity(n * half), Vec::with_capacity(n * half));
        for p in past..past + n {
            for &f in &self.inv_freq {
                let angle = p as f64 * f;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        (cos, sin)
    }
}

/// Rotate the halves of one head (the rotate-half layout of Hugging Face's Llama).
fn apply_rope(x: &mut [f32], cos: &[f32], sin: &[f32]) {
    let half = x.len() / 2;
    let (a, b) = x.split_at_mut(half);
    for i in 0..half {
        let (x1, x2) = (a[i], b[i]);
        a[i] = x1 * cos[i] - x2 * sin[i];
        b[i] = x2 * cos[i] + x1 * sin[i];
    }
}

/// Each row scaled to unit root-mean-square, times the norm's weights.
fn rms_norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let n = w.len();
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(n) {
        let inv = 1.0 / (math::dot(row, row) / n as f32 + eps).sqrt();
        out.extend(row.iter().zip(w).map(|(v, w)| v * inv * w));
    }
    out
}

/// `silu(gate) · up` per row of `gate | up`.
fn swiglu(gate_up: &[f32], inter: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(gate_up.len() / 2);
    for row in gate_up.chunks_exact(2 * inter) {
        let (g, u) = row.split_at(inter);
        let at = out.len();
        out.extend_from_slice(g);
        math::silu_in_place(&mut out[at..]);
        out[at..].iter_mut().zip(u).for_each(|(a, b)| *a *= b);
    }
    out
}
