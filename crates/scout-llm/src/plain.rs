//! The model's weights laid out plainly for another runtime (the WebGPU decoder): every linear layer an int8
//! matrix `[k, n]` by rows with a scale per column, Q|K|V and gate|up side by side, the head `[hidden, vocab]` (a
//! tied head is the embedding table by columns, so the lookups read it too). Read from the same ONNX export as
//! [`crate::Decoder`], with the same int8 values and scales.
//!
//! [`PlainModel::forward`] is that runtime's arithmetic on the CPU (float activations, int8 weights times their
//! scales, attention in float): the reference its output is checked against.

use crate::load::{Matrix, attn_bias, check_heads, embedding, layer_matrices, linears, own_head, vector};
use crate::onnx::Graph;
use crate::{LlmConfig, LlmError};
use scout_bert::LinearParts;

pub use scout_bert::plain::PlainLinear;

pub struct PlainLayer {
    pub attn_norm: Vec<f32>,
    pub mlp_norm: Vec<f32>,
    /// Q | K | V.
    pub qkv: PlainLinear,
    pub o: PlainLinear,
    /// Gate | up.
    pub gate_up: PlainLinear,
    pub down: PlainLinear,
}

pub struct PlainModel {
    pub config: LlmConfig,
    pub hidden: usize,
    pub vocab: usize,
    /// Feed-forward width.
    pub inner: usize,
    pub layers: Vec<PlainLayer>,
    pub final_norm: Vec<f32>,
    /// `[hidden, vocab]`; column `t` times its scale is token `t`'s embedding.
    pub head: PlainLinear,
    /// The token embeddings `[hidden, vocab]` where the head is not tied to them.
    pub table: Option<PlainLinear>,
}

/// Matrices with the same rows side by side (row by row), each with its bias.
fn side_by_side(parts: Vec<(Matrix, Vec<f32>)>) -> Result<PlainLinear, LlmError> {
    let k = parts[0].0.k;
    let parts: Vec<LinearParts> = parts
        .into_iter()
        .map(|(m, bias)| LinearParts {
            w: m.w.into_owned(),
            scales: m.scales,
            bias,
        })
        .collect();
    PlainLinear::side_by_side(&parts, k)
        .ok_or_else(|| LlmError("layers that read the same input have different shapes".into()))
}

fn plain(m: Matrix) -> PlainLinear {
    let n = m.n;
    PlainLinear {
        k: m.k,
        n,
        w: m.w.into_owned(),
        scales: m.scales,
        bias: vec![0.0; n],
    }
}

/// An int8 table `[rows, cols]` with a scale per row, as a matrix by columns (`[cols, rows]`).
fn by_columns(table: &[i8], scales: Vec<f32>, rows: usize, cols: usize) -> PlainLinear {
    let mut w = vec![0i8; rows * cols];
    for (r, row) in table.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            w[c * rows + r] = v;
        }
    }
    PlainLinear {
        k: cols,
        n: rows,
        w,
        scales,
        bias: vec![0.0; rows],
    }
}

impl PlainModel {
    /// Read a model from its ONNX export, as [`crate::Decoder::from_onnx`] does.
    pub fn from_onnx(model: &[u8], config: LlmConfig) -> Result<Self, LlmError> {
        check_heads(&config)?;
        let graph = Graph::parse(model)?;
        let lin = linears(&graph);
        let (table, table_scales, vocab, hidden) = embedding(&graph)?;
        let (heads, kv, d) = (config.heads, config.kv_heads, config.head_dim);
        let mut layers = Vec::with_capacity(config.layers);
        let mut inner = 0;
        for l in 0..config.layers {
            let m = layer_matrices(&graph, &lin, &config, hidden, l)?;
            let bias = |p: &str, n: usize| {
                attn_bias(&graph, l, p)
                    .filter(|v| v.len() == n)
                    .unwrap_or_else(|| vec![0.0; n])
            };
            inner = m.gate.n;
            let norm = |which: &str| vector(&graph, &format!("model.layers.{l}.{which}.weight"), hidden);
            let no_bias = |n: usize| vec![0.0; n];
            layers.push(PlainLayer {
                attn_norm: norm("input_layernorm")?,
                mlp_norm: norm("post_attention_layernorm")?,
                qkv: side_by_side(vec![
                    (m.q, bias("q_proj", heads * d)),
                    (m.k, bias("k_proj", kv * d)),
                    (m.v, bias("v_proj", kv * d)),
                ])?,
                o: plain(m.o),
                gate_up: side_by_side(vec![(m.gate, no_bias(inner)), (m.up, no_bias(inner))])?,
                down: plain(m.down),
            });
        }
        let (head, table) = match own_head(&graph, &lin, hidden, vocab)? {
            Some(head) => (plain(head), Some(by_columns(&table, table_scales, vocab, hidden))),
            None => (by_columns(&table, table_scales, vocab, hidden), None),
        };
        Ok(PlainModel {
            final_norm: vector(&graph, "model.norm.weight", hidden)?,
            config,
            hidden,
            vocab,
            inner,
            layers,
            head,
            table,
        })
    }

    /// The table the lookups read (`[hidden, vocab]`).
    pub fn lookup(&self) -> &PlainLinear {
        self.table.as_ref().unwrap_or(&self.head)
    }
}

/// The reference's key/value cache: per layer, keys and values `[position, kv_heads × head_dim]`.
#[derive(Default)]
pub struct PlainCache {
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
}

impl PlainCache {
    pub fn len(&self, width: usize) -> usize {
        self.keys.first().map_or(0, |k| k.len() / width.max(1))
    }

    pub fn truncate(&mut self, len: usize, width: usize) {
        for c in self.keys.iter_mut().chain(self.values.iter_mut()) {
            c.truncate(len * width);
        }
    }
}

impl PlainModel {
    /// Run `tokens` after the cached ones (float activations; the GPU decoder's arithmetic), append them to
    /// `cache`, return the last position's logits.
    pub fn forward(&self, cache: &mut PlainCache, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        let c = &self.config;
        let (h, d, heads, kv) = (self.hidden, c.head_dim, c.heads, c.kv_heads);
        let kvw = kv * d;
        if cache.keys.is_empty() {
            cache.keys = vec![Vec::new(); c.layers];
            cache.values = vec![Vec::new(); c.layers];
        }
        let past = cache.len(kvw);
        let lookup = self.lookup();
        let mut x = Vec::with_capacity(tokens.len() * h);
        for &t in tokens {
            let t = t as usize;
            if t >= self.vocab {
                return Err(LlmError(format!("token id {t} is outside the vocabulary")));
            }
            x.extend((0..h).map(|r| f32::from(lookup.w[r * self.vocab + t]) * lookup.scales[t]));
        }
        let inv_freq = c.inv_freq();
        let half = d / 2;
        let rope = |v: &mut [f32], pos: usize| {
            for (i, f) in inv_freq.iter().enumerate() {
                let a = pos as f64 * f;
                let (cos, sin) = (a.cos() as f32, a.sin() as f32);
                let (x1, x2) = (v[i], v[i + half]);
                v[i] = x1 * cos - x2 * sin;
                v[i + half] = x2 * cos + x1 * sin;
            }
        };
        let group = heads / kv;
        let scale = 1.0 / (d as f32).sqrt();
        for (l, layer) in self.layers.iter().enumerate() {
            let qkv = layer.qkv.forward(&crate::rms_norm(&x, &layer.attn_norm, c.eps));
            let width = layer.qkv.n;
            let mut q = Vec::with_capacity(tokens.len() * heads * d);
            for (r, row) in qkv.chunks_exact(width).enumerate() {
                let pos = past + r;
                let mut qr = row[..heads * d].to_vec();
                qr.chunks_exact_mut(d).for_each(|v| rope(v, pos));
                q.extend(qr);
                let mut kr = row[heads * d..heads * d + kvw].to_vec();
                kr.chunks_exact_mut(d).for_each(|v| rope(v, pos));
                cache.keys[l].extend(kr);
                cache.values[l].extend_from_slice(&row[heads * d + kvw..]);
            }
            let (keys, values) = (&cache.keys[l], &cache.values[l]);
            let mut att = vec![0f32; tokens.len() * heads * d];
            for r in 0..tokens.len() {
                let len = past + r + 1;
                for hd in 0..heads {
                    let qh = &q[(r * heads + hd) * d..][..d];
                    let kh = hd / group;
                    let scores: Vec<f32> = (0..len)
                        .map(|p| {
                            let k = &keys[p * kvw + kh * d..][..d];
                            qh.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale
                        })
                        .collect();
                    let top = scores.iter().fold(f32::MIN, |a, &b| a.max(b));
                    let e: Vec<f32> = scores.iter().map(|s| (s - top).exp()).collect();
                    let sum: f32 = e.iter().sum();
                    let out = &mut att[(r * heads + hd) * d..][..d];
                    for (p, w) in e.iter().enumerate() {
                        let v = &values[p * kvw + kh * d..][..d];
                        out.iter_mut().zip(v).for_each(|(o, v)| *o += w / sum * v);
                    }
                }
            }
            crate::add(&mut x, &layer.o.forward(&att));
            let gu = layer.gate_up.forward(&crate::rms_norm(&x, &layer.mlp_norm, c.eps));
            let act: Vec<f32> = gu
                .chunks_exact(2 * self.inner)
                .flat_map(|row| {
                    let (g, u) = row.split_at(self.inner);
                    g.iter()
                        .zip(u)
                        .map(|(&g, &u)| g / (1.0 + (-g).exp()) * u)
                        .collect::<Vec<_>>()
                })
                .collect();
            crate::add(&mut x, &layer.down.forward(&act));
        }
        let last = crate::rms_norm(&x[x.len() - h..], &self.final_norm, c.eps);
        Ok(self.head.forward(&last))
    }
}
