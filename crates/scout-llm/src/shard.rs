//! One of the decoder's two halves: its share of the query heads (with the key/value heads they read, and their
//! cache) and its half of each feed-forward layer. Each call returns a partial sum that the decoder adds to the
//! residual stream, shard 0's then shard 1's, so the result is the same bits whether one thread runs both shards or
//! a second thread (a worker with its own copy of shard 1) runs the other.

use scout_bert::{QuantLinear, Scratch, math};

use crate::LlmError;
use crate::attention::KvCache;

/// How many shards a decoder has (one per thread it can use).
pub const SHARDS: usize = 2;

pub(crate) struct ShardLayer {
    /// Q of the shard's heads | K | V of their key/value heads.
    pub qkv: QuantLinear,
    /// The rows of the output projection that read the shard's heads.
    pub o: QuantLinear,
    /// The shard's half of gate | up.
    pub gate_up: QuantLinear,
    /// The rows of the down projection that read that half.
    pub down: QuantLinear,
}

pub struct Shard {
    /// Query heads of this shard, and the key/value heads they read (`heads.0 / group ..`).
    pub(crate) heads: (usize, usize),
    pub(crate) kv_heads: (usize, usize),
    pub(crate) group: usize,
    pub(crate) head_dim: usize,
    pub(crate) inner: usize,
    pub(crate) layers: Vec<ShardLayer>,
    pub(crate) inv_freq: Vec<f64>,
    cache: Vec<KvCache>,
    scratch: Scratch,
}

impl Shard {
    pub(crate) fn new(
        heads: (usize, usize),
        group: usize,
        head_dim: usize,
        inner: usize,
        layers: Vec<ShardLayer>,
        inv_freq: Vec<f64>,
    ) -> Self {
        let kv_heads = (heads.0 / group, heads.1.div_ceil(group));
        Shard {
            heads,
            kv_heads,
            group,
            head_dim,
            inner,
            cache: (0..layers.len())
                .map(|_| KvCache::new(kv_heads.1 - kv_heads.0, head_dim))
                .collect(),
            layers,
            inv_freq,
            scratch: Scratch::default(),
        }
    }

    pub fn layers(&self) -> usize {
        self.layers.len()
    }

    /// Tokens in this shard's cache.
    pub fn cached(&self) -> usize {
        self.cache.first().map_or(0, KvCache::len)
    }

    pub fn truncate(&mut self, len: usize) {
        self.cache.iter_mut().for_each(|c| c.truncate(len));
    }

    /// Attention of `normed` (rows of the hidden size, at positions `past..`) for this shard's heads, through its
    /// rows of the output projection: the partial sum to add to the residual stream.
    pub fn attention(&mut self, layer: usize, normed: &[f32], past: usize) -> Result<Vec<f32>, LlmError> {
        let cache = self
            .cache
            .get_mut(layer)
            .ok_or_else(|| LlmError(format!("no layer {layer}")))?;
        if cache.len() != past {
            return Err(LlmError(format!("the cache holds {} tokens, not {past}", cache.len())));
        }
        let l = &self.layers[layer];
        let d = self.head_dim;
        let heads = self.heads.1 - self.heads.0;
        let kv = self.kv_heads.1 - self.kv_heads.0;
        let width = (heads + 2 * kv) * d;
        let mut qkv = l.qkv.forward(normed, &mut self.scratch);
        let half = d / 2;
        let (mut cos, mut sin) = (vec![0f32; half], vec![0f32; half]);
        for (i, row) in qkv.chunks_exact_mut(width).enumerate() {
            // Angles in f64 then rounded: the platforms' f64 functions differ by at most an ulp, which the
            // rounding to f32 hides.
            for (j, &f) in self.inv_freq.iter().enumerate() {
                let angle = (past + i) as f64 * f;
                cos[j] = angle.cos() as f32;
                sin[j] = angle.sin() as f32;
            }
            for head in row[..(heads + kv) * d].chunks_exact_mut(d) {
                apply_rope(head, &cos, &sin);
            }
            cache.push(&row[heads * d..(heads + kv) * d], &row[(heads + kv) * d..]);
        }
        // Query head h of the shard reads key/value head (heads.0 + h) / group of the model.
        let first_kv = self.heads.0 / self.group;
        let kv_of = |h: usize| (self.heads.0 + h) / self.group - first_kv;
        let ctx = cache.attend(&qkv, width, heads, past, &kv_of);
        Ok(l.o.forward(&ctx, &mut self.scratch))
    }

    /// This shard's half of the feed-forward layer (`down(silu(gate) · up)`) of `normed`: a partial sum.
    pub fn mlp(&mut self, layer: usize, normed: &[f32]) -> Result<Vec<f32>, LlmError> {
        let l = self
            .layers
            .get(layer)
            .ok_or_else(|| LlmError(format!("no layer {layer}")))?;
        let gate_up = l.gate_up.forward(normed, &mut self.scratch);
        let inner = swiglu(&gate_up, self.inner);
        Ok(l.down.forward(&inner, &mut self.scratch))
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

/// `silu(gate) · up` per row of `gate | up`.
fn swiglu(gate_up: &[f32], inner: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(gate_up.len() / 2);
    for row in gate_up.chunks_exact(2 * inner) {
        let (g, u) = row.split_at(inner);
        let at = out.len();
        out.extend_from_slice(g);
        math::silu_in_place(&mut out[at..]);
        out[at..].iter_mut().zip(u).for_each(|(a, b)| *a *= b);
    }
    out
}
