//! The weights laid out plainly for another runtime (Scout's WebGPU kernels): every linear layer an int8 matrix
//! `[k, n]` by rows with a scale and a bias per column, Q|K|V side by side. The same int8 values and scales as the
//! CPU encoder's (one reader of the weights file for both).
//!
//! [`PlainBert::hidden_states`] is that runtime's arithmetic on the CPU (float activations, int8 weights times their
//! scales): the reference the GPU encoder's output is checked against.

use crate::gemm::LinearParts;
use crate::weights::{BertConfig, WeightsFile, corrupt};
use crate::{BertError, add_norm, attention, math};

/// An int8 matrix `[k, n]` by rows, a scale per column, and a bias per column (zeros where the layer has none).
pub struct PlainLinear {
    pub k: usize,
    pub n: usize,
    pub w: Vec<i8>,
    pub scales: Vec<f32>,
    pub bias: Vec<f32>,
}

impl PlainLinear {
    /// Layers that read the same input (`[k, n_i]` each) as one, their columns side by side; `None` when a part is
    /// not `k` rows of its scales' width.
    pub fn side_by_side(parts: &[LinearParts], k: usize) -> Option<Self> {
        let n: usize = parts.iter().map(|p| p.scales.len()).sum();
        let mut w = vec![0i8; k * n];
        let (mut scales, mut bias) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut at = 0;
        for p in parts {
            let pn = p.scales.len();
            if p.w.len() != k * pn || p.bias.len() != pn {
                return None;
            }
            for r in 0..k {
                w[r * n + at..r * n + at + pn].copy_from_slice(&p.w[r * pn..(r + 1) * pn]);
            }
            scales.extend_from_slice(&p.scales);
            bias.extend_from_slice(&p.bias);
            at += pn;
        }
        Some(PlainLinear { k, n, w, scales, bias })
    }

    /// `x [rows, k]` times the matrix, plus the bias: `[rows, n]`.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let rows = x.len() / self.k;
        let mut out = vec![0f32; rows * self.n];
        for (xr, yr) in x.chunks_exact(self.k).zip(out.chunks_exact_mut(self.n)) {
            for (&xv, wr) in xr.iter().zip(self.w.chunks_exact(self.n)) {
                yr.iter_mut().zip(wr).for_each(|(y, &w)| *y += xv * f32::from(w));
            }
            for ((y, s), b) in yr.iter_mut().zip(&self.scales).zip(&self.bias) {
                *y = *y * s + b;
            }
        }
        out
    }
}

/// Word, position and token type embeddings and their layer norm.
pub struct Embeddings {
    /// `[vocab, hidden]` int8, a scale per row.
    pub word: Vec<i8>,
    pub word_scale: Vec<f32>,
    /// `[max_positions, hidden]` int8, a scale per row.
    pub pos: Vec<i8>,
    pub pos_scale: Vec<f32>,
    /// Token type 0's embedding (the only type a sentence embedder sends).
    pub type0: Vec<f32>,
    pub ln: (Vec<f32>, Vec<f32>),
}

impl Embeddings {
    /// Word + position + token type (0) embeddings of each sequence's tokens, normalized: `[Σ len, hidden]`.
    pub fn embed(&self, config: &BertConfig, seqs: &[&[u32]]) -> Result<Vec<f32>, BertError> {
        let h = config.hidden;
        let mut x = Vec::with_capacity(seqs.iter().map(|s| s.len()).sum::<usize>() * h);
        for seq in seqs {
            check_sequence(config, seq)?;
            for (p, &id) in seq.iter().enumerate() {
                let id = id as usize;
                let (ws, ps) = (self.word_scale[id], self.pos_scale[p]);
                let word = &self.word[id * h..(id + 1) * h];
                let pos = &self.pos[p * h..(p + 1) * h];
                x.extend(
                    word.iter()
                        .zip(pos)
                        .zip(&self.type0)
                        .map(|((&w, &q), &t)| f32::from(w) * ws + t + f32::from(q) * ps),
                );
            }
        }
        math::layer_norm(&mut x, &self.ln.0, &self.ln.1, config.eps);
        Ok(x)
    }
}

/// A sequence the model can read: no longer than its positions, every id in its vocabulary.
pub fn check_sequence(config: &BertConfig, seq: &[u32]) -> Result<(), BertError> {
    if seq.len() > config.max_positions {
        return Err(BertError(format!(
            "{} tokens exceed the model's {}",
            seq.len(),
            config.max_positions
        )));
    }
    match seq.iter().find(|&&id| id as usize >= config.vocab) {
        Some(id) => Err(BertError(format!("token id {id} is outside the vocabulary"))),
        None => Ok(()),
    }
}

pub struct PlainLayer {
    /// Q | K | V.
    pub qkv: PlainLinear,
    pub o: PlainLinear,
    pub ffn_in: PlainLinear,
    pub ffn_out: PlainLinear,
    /// Weight and bias of the norm after attention, and after the feed-forward block.
    pub ln1: (Vec<f32>, Vec<f32>),
    pub ln2: (Vec<f32>, Vec<f32>),
}

pub struct PlainBert {
    pub config: BertConfig,
    pub embeddings: Embeddings,
    pub layers: Vec<PlainLayer>,
}

impl PlainBert {
    /// Read the weights file (`xtask/py/kernel_embedder.py`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BertError> {
        let file = WeightsFile::parse(bytes)?;
        let c = file.config.clone();
        let h = c.hidden;
        if c.heads == 0 || h % c.heads != 0 || c.layers == 0 {
            return Err(corrupt(format!("{} heads for {h} dimensions", c.heads)));
        }
        let vec_of = |name: &str, n: usize| file.f32s(name, &[n]);
        let part = |l: usize, role: &str, k: usize, n: usize| -> Result<LinearParts, BertError> {
            Ok(LinearParts {
                w: file.i8s(&format!("l{l}.{role}_w"), &[k, n])?,
                scales: vec_of(&format!("l{l}.{role}_s"), n)?,
                bias: vec_of(&format!("l{l}.{role}_b"), n)?,
            })
        };
        let join = |parts: &[LinearParts], k: usize| {
            PlainLinear::side_by_side(parts, k).ok_or_else(|| corrupt(format!("a matrix of {k} rows does not fit")))
        };
        let norm = |l: usize, which: &str| -> Result<(Vec<f32>, Vec<f32>), BertError> {
            Ok((
                vec_of(&format!("l{l}.{which}_w"), h)?,
                vec_of(&format!("l{l}.{which}_b"), h)?,
            ))
        };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let (q, k, v) = (part(l, "q", h, h)?, part(l, "k", h, h)?, part(l, "v", h, h)?);
            layers.push(PlainLayer {
                qkv: join(&[q, k, v], h)?,
                o: join(&[part(l, "o", h, h)?], h)?,
                ffn_in: join(&[part(l, "f1", h, c.intermediate)?], h)?,
                ffn_out: join(&[part(l, "f2", c.intermediate, h)?], c.intermediate)?,
                ln1: norm(l, "ln1")?,
                ln2: norm(l, "ln2")?,
            });
        }
        let types = file.f32s("type", &[c.type_vocab, h])?;
        let embeddings = Embeddings {
            word: file.i8s("word_q", &[c.vocab, h])?,
            word_scale: vec_of("word_scale", c.vocab)?,
            pos: file.i8s("pos_q", &[c.max_positions, h])?,
            pos_scale: vec_of("pos_scale", c.max_positions)?,
            type0: types[..h].to_vec(),
            ln: (vec_of("emb_ln_w", h)?, vec_of("emb_ln_b", h)?),
        };
        Ok(PlainBert {
            config: c,
            embeddings,
            layers,
        })
    }

    /// The last hidden state of each sequence's tokens, one after another (`[Σ len, hidden]`), in float activations.
    pub fn hidden_states(&self, seqs: &[&[u32]]) -> Result<Vec<f32>, BertError> {
        let c = &self.config;
        let mut x = self.embeddings.embed(c, seqs)?;
        let spans = spans(seqs);
        for layer in &self.layers {
            let ctx = attention(&layer.qkv.forward(&x), &spans, c.hidden, c.heads);
            add_norm(&mut x, &layer.o.forward(&ctx), &layer.ln1, c.eps);
            let mut inner = layer.ffn_in.forward(&x);
            math::gelu_in_place(&mut inner, c.intermediate);
            add_norm(&mut x, &layer.ffn_out.forward(&inner), &layer.ln2, c.eps);
        }
        Ok(x)
    }
}

/// Each sequence's first row and length in the rows of all of them.
pub fn spans(seqs: &[&[u32]]) -> Vec<(usize, usize)> {
    seqs.iter()
        .scan(0, |at, s| {
            let span = (*at, s.len());
            *at += s.len();
            Some(span)
        })
        .collect()
}
