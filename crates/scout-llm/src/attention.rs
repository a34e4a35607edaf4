//! Causal attention over a layer's key/value cache, grouped-query (several query heads read one key/value head).
//!
//! Keys are stored in blocks of [`KEY_BLOCK`] positions, each block `[head_dim][KEY_BLOCK]`: a query's scores for
//! a block are built one dimension at a time across the block's keys (SIMD across keys, each score summed in the
//! order of its dimensions), and appending a position writes into the last block without moving the others.
//! Values are `[position][head_dim]` rows.

use scout_bert::math;

const KEY_BLOCK: usize = 16;

pub struct KvCache {
    kv_heads: usize,
    d: usize,
    len: usize,
    /// Per key/value head: blocks of keys.
    keys: Vec<Vec<f32>>,
    /// Per key/value head: value rows.
    values: Vec<Vec<f32>>,
    scores: Vec<f32>,
}

impl KvCache {
    pub fn new(kv_heads: usize, d: usize) -> Self {
        KvCache {
            kv_heads,
            d,
            len: 0,
            keys: vec![Vec::new(); kv_heads],
            values: vec![Vec::new(); kv_heads],
            scores: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        let blocks = self.len.div_ceil(KEY_BLOCK) * KEY_BLOCK * self.d;
        self.keys.iter_mut().for_each(|k| k.truncate(blocks));
        let rows = self.len * self.d;
        self.values.iter_mut().for_each(|v| v.truncate(rows));
    }

    /// Append one position's keys and values (`kv_heads · d` each, heads one after another).
    pub fn push(&mut self, k: &[f32], v: &[f32]) {
        let (d, p) = (self.d, self.len);
        let (block, lane) = (p / KEY_BLOCK, p % KEY_BLOCK);
        for h in 0..self.kv_heads {
            let keys = &mut self.keys[h];
            if lane == 0 {
                keys.resize((block + 1) * KEY_BLOCK * d, 0.0);
            }
            let base = block * KEY_BLOCK * d;
            for (c, &x) in k[h * d..(h + 1) * d].iter().enumerate() {
                keys[base + c * KEY_BLOCK + lane] = x;
            }
            self.values[h].extend_from_slice(&v[h * d..(h + 1) * d]);
        }
        self.len += 1;
    }

    /// Attention output of each new row (`rows` of `width`, queries first, `heads · d` of them), whose keys and
    /// values were pushed after the first `past` positions: `[rows, heads · d]`.
    /// `kv_of(h)`: the key/value head (of this cache) that query head `h` reads.
    pub fn attend(
        &mut self,
        qkv: &[f32],
        width: usize,
        heads: usize,
        past: usize,
        kv_of: &dyn Fn(usize) -> usize,
    ) -> Vec<f32> {
        let d = self.d;
        let scale = 1.0 / (d as f32).sqrt();
        let rows = qkv.len() / width;
        let mut out = vec![0f32; rows * heads * d];
        let mut q = vec![0f32; d];
        for h in 0..heads {
            let kvh = kv_of(h);
            for i in 0..rows {
                let seen = past + i + 1;
                q.iter_mut()
                    .zip(&qkv[i * width + h * d..i * width + (h + 1) * d])
                    .for_each(|(a, &b)| *a = b * scale);
                self.scores.resize(seen.div_ceil(KEY_BLOCK) * KEY_BLOCK, 0.0);
                scores(&q, &self.keys[kvh], &mut self.scores);
                let scores = &mut self.scores[..seen];
                math::softmax(scores);
                let o = &mut out[(i * heads + h) * d..(i * heads + h + 1) * d];
                weighted_values(scores, &self.values[kvh], o);
            }
        }
        out
    }
}

/// `scores[j] = q · key_j` for every block of keys that `scores` covers.
#[inline(never)]
fn scores(q: &[f32], keys: &[f32], scores: &mut [f32]) {
    let d = q.len();
    for (block, s) in scores.chunks_exact_mut(KEY_BLOCK).enumerate() {
        let base = &keys[block * KEY_BLOCK * d..(block + 1) * KEY_BLOCK * d];
        math::weighted_rows::<KEY_BLOCK>(q.iter().copied().zip(base.chunks_exact(KEY_BLOCK)), s);
    }
}

/// `o = Σ_j p_j · value_j`, in chunks of the head's dimensions that fit in registers.
#[inline(never)]
fn weighted_values(p: &[f32], values: &[f32], o: &mut [f32]) {
    let d = o.len();
    let rows = || p.iter().copied().zip(values.chunks_exact(d));
    match d {
        _ if d.is_multiple_of(32) => {
            for c in (0..d).step_by(32) {
                math::weighted_rows::<32>(rows().map(|(w, r)| (w, &r[c..])), &mut o[c..]);
            }
        }
        _ if d.is_multiple_of(16) => {
            for c in (0..d).step_by(16) {
                math::weighted_rows::<16>(rows().map(|(w, r)| (w, &r[c..])), &mut o[c..]);
            }
        }
        _ => {
            for c in (0..d).step_by(8) {
                math::weighted_rows::<8>(rows().map(|(w, r)| (w, &r[c..])), &mut o[c..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_matches_a_direct_computation() {
        let (kv_heads, heads, d, n) = (2, 4, 16, 37);
        let width = (heads + 2 * kv_heads) * d;
        let qkv: Vec<f32> = (0..n * width)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let mut cache = KvCache::new(kv_heads, d);
        for row in qkv.chunks_exact(width) {
            cache.push(&row[heads * d..(heads + kv_heads) * d], &row[(heads + kv_heads) * d..]);
        }
        // The last 5 rows as new ones after 32 cached.
        let got = cache.attend(&qkv[32 * width..], width, heads, 32, &|h| h / (heads / kv_heads));
        for i in 0..5 {
            let pos = 32 + i;
            for h in 0..heads {
                let kvh = h / (heads / kv_heads);
                let q = &qkv[pos * width + h * d..pos * width + (h + 1) * d];
                let s: Vec<f32> = (0..=pos)
                    .map(|j| {
                        let k = &qkv[j * width + (heads + kvh) * d..j * width + (heads + kvh + 1) * d];
                        q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() / (d as f32).sqrt()
                    })
                    .collect();
                let m = s.iter().copied().fold(f32::MIN, f32::max);
                let e: Vec<f32> = s.iter().map(|v| (v - m).exp()).collect();
                let total: f32 = e.iter().sum();
                for c in 0..d {
                    let want: f32 = (0..=pos)
                        .map(|j| e[j] / total * qkv[j * width + (heads + kv_heads + kvh) * d + c])
                        .sum();
                    let g = got[(i * heads + h) * d + c];
                    assert!((g - want).abs() < 1e-5, "row {i} head {h} dim {c}: {g} vs {want}");
                }
            }
        }
        cache.truncate(20);
        assert_eq!(cache.len(), 20);
    }
}
