//! Scout's own BERT encoder for the bundled MiniLM: int8 matrix products (see [`gemm`]) and float attention, layer
//! norms and GELU, run on the sentences themselves without padding.
//!
//! Why not ONNX Runtime on WASM: in the browser its int8 kernels widen to 16 bits (8 multiply-adds per
//! instruction), its ~14 MB module must be compiled and started before the first sentence, and a batch pays for
//! its padding. This encoder uses the relaxed SIMD byte dot product (16 multiply-adds per instruction, one VNNI
//! instruction where the CPU has it), starts with Scout's own module, and computes only real tokens. The weights are
//! the PyPI file's own int8 weights and scales (`xtask/py/kernel_embedder.py`), not requantized.
//!
//! Invariant: the same inputs give the same bits natively and in the browser (integer products are exact; the float
//! code is shared and uses no platform math), so the native evaluations measure what the extension computes.
//!
//! A crate of its own so that it is compiled optimized in every profile (the tests' debug builds included: see
//! the workspace's Cargo.toml); it does no IO.

mod gemm;
/// The float functions, public for `scout-llm` (the decoder), which shares them and the int8 products.
pub mod math;
/// The weights laid out for Scout's WebGPU kernels, and their arithmetic on the CPU.
pub mod plain;
mod weights;

pub use gemm::{COLS, LinearParts, Packed, QuantLinear, Scratch, pack_column, products, quantize_rows};
pub use weights::{BertConfig, WeightsFile};

use plain::{Embeddings, PlainBert, PlainLinear};
use weights::corrupt;

/// Why a weights file cannot be used or an input cannot be encoded.
#[derive(Debug, Clone, PartialEq)]
pub struct BertError(pub String);

impl std::fmt::Display for BertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Layer {
    qkv: QuantLinear,
    out: QuantLinear,
    ffn_in: QuantLinear,
    ffn_out: QuantLinear,
    ln1: (Vec<f32>, Vec<f32>),
    ln2: (Vec<f32>, Vec<f32>),
}

/// The encoder with its weights in memory (~23 MB for MiniLM-L6).
pub struct Encoder {
    config: BertConfig,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    scratch: Scratch,
}

impl Encoder {
    /// Read the weights file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BertError> {
        Self::from_plain(PlainBert::from_bytes(bytes)?)
    }

    /// The weights packed for the int8 kernels.
    pub fn from_plain(plain: PlainBert) -> Result<Self, BertError> {
        let pack = |m: PlainLinear| {
            QuantLinear::new(&m.w, m.k, m.n, m.scales, m.bias)
                .ok_or_else(|| corrupt(format!("a matrix of {} × {} cannot be packed", m.k, m.n)))
        };
        let layers = plain
            .layers
            .into_iter()
            .map(|l| {
                Ok(Layer {
                    qkv: pack(l.qkv)?,
                    out: pack(l.o)?,
                    ffn_in: pack(l.ffn_in)?,
                    ffn_out: pack(l.ffn_out)?,
                    ln1: l.ln1,
                    ln2: l.ln2,
                })
            })
            .collect::<Result<_, BertError>>()?;
        Ok(Encoder {
            config: plain.config,
            embeddings: plain.embeddings,
            layers,
            scratch: Scratch::default(),
        })
    }

    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The last hidden state of each sequence's tokens, the sequences one after another: `[Σ len, hidden]`.
    pub fn hidden_states(&mut self, seqs: &[&[u32]]) -> Result<Vec<f32>, BertError> {
        let h = self.config.hidden;
        let mut x = self.embeddings.embed(&self.config, seqs)?;
        let spans = plain::spans(seqs);
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x, &mut self.scratch);
            let ctx = attention(&qkv, &spans, h, self.config.heads);
            let attended = layer.out.forward(&ctx, &mut self.scratch);
            add_norm(&mut x, &attended, &layer.ln1, self.config.eps);
            let mut inner = layer.ffn_in.forward(&x, &mut self.scratch);
            math::gelu_in_place(&mut inner, self.config.intermediate);
            let ffn = layer.ffn_out.forward(&inner, &mut self.scratch);
            add_norm(&mut x, &ffn, &layer.ln2, self.config.eps);
        }
        Ok(x)
    }
}

/// Self-attention of each sequence over its own tokens. `qkv` rows are `[q | k | v]` of `h` each.
pub(crate) fn attention(qkv: &[f32], spans: &[(usize, usize)], h: usize, heads: usize) -> Vec<f32> {
    let mut ctx = vec![0f32; qkv.len() / 3];
    let mut work = HeadWork::default();
    for &(start, len) in spans {
        let rows = &qkv[start * 3 * h..(start + len) * 3 * h];
        let out = &mut ctx[start * h..(start + len) * h];
        for head in 0..heads {
            attend_head(rows, out, h, head * (h / heads), h / heads, &mut work);
        }
    }
    ctx
}

/// Buffers of one head: its keys transposed (`[d][len]`), its values (`[len][d]`), one query's scores.
#[derive(Default)]
struct HeadWork {
    keys_t: Vec<f32>,
    values: Vec<f32>,
    scores: Vec<f32>,
}

/// One head of one sequence: `out[i][at..at+d] = softmax(q_i·K / √d)·V`. Scores are built a key dimension at a
/// time over all keys (contiguous, so SIMD across keys, each score summed in the order of its dimensions); a
/// function of its own, called once per head and sequence, because the browser compiles it optimized after its
/// first calls (a long function stays in the baseline compiler's code until it returns).
#[inline(never)]
fn attend_head(rows: &[f32], out: &mut [f32], h: usize, at: usize, d: usize, w: &mut HeadWork) {
    let row = 3 * h;
    let len = rows.len() / row;
    // Keys transposed, each dimension's row padded to whole blocks of keys (the padding's scores are never read).
    let padded = len.div_ceil(KEY_BLOCK) * KEY_BLOCK;
    let scale = 1.0 / (d as f32).sqrt();
    w.keys_t.clear();
    w.keys_t.resize(d * padded, 0.0);
    w.values.clear();
    for (j, r) in rows.chunks_exact(row).enumerate() {
        for (c, &k) in r[h + at..h + at + d].iter().enumerate() {
            w.keys_t[c * padded + j] = k;
        }
        w.values.extend_from_slice(&r[2 * h + at..2 * h + at + d]);
    }
    w.scores.resize(padded, 0.0);
    for (r, o) in rows.chunks_exact(row).zip(out.chunks_exact_mut(h)) {
        let q = &r[at..at + d];
        for (block, scores) in w.scores.chunks_exact_mut(KEY_BLOCK).enumerate() {
            let keys = w.keys_t.chunks_exact(padded).map(|k| &k[block * KEY_BLOCK..]);
            math::weighted_rows::<KEY_BLOCK>(q.iter().copied().zip(keys), scores);
        }
        let scores = &mut w.scores[..len];
        scores.iter_mut().for_each(|s| *s *= scale);
        math::softmax(scores);
        let o = &mut o[at..at + d];
        if d == HEAD_DIM {
            let values = w.values.chunks_exact(HEAD_DIM);
            math::weighted_rows::<HEAD_DIM>(scores.iter().copied().zip(values), o);
        } else {
            for (v, &p) in w.values.chunks_exact(d).zip(scores.iter()) {
                for (o, &v) in o.iter_mut().zip(v) {
                    *o += p * v;
                }
            }
        }
    }
}

/// Keys per block of scores kept in registers (four SIMD vectors).
const KEY_BLOCK: usize = 16;
/// The head size whose weighted sum of values is kept in registers (MiniLM's and e5-small's).
const HEAD_DIM: usize = 32;

/// `x = LayerNorm(x + y)`.
pub(crate) fn add_norm(x: &mut [f32], y: &[f32], ln: &(Vec<f32>, Vec<f32>), eps: f32) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
    math::layer_norm(x, &ln.0, &ln.1, eps);
}
