//! Causal attention over a layer's key/value cache, grouped-query (several query heads read one key/value head).
//!
//! Scores are int8 products, like the linear layers': each key is stored int8 with its own scale when it is cached
//! (packed in blocks of [`COLS`] positions, the layout of `scout_bert::Packed`, so appending a position writes into
//! the last block without moving the others), each query row is quantized to 7 bits, and their products are exact
//! (the relaxed-SIMD byte dot product in the browser): four times the multiply-adds per instruction of float, on a
//! part that grows with the square of the prompt. Softmax and the weighted sum of the values are float.

use scout_bert::{COLS, Packed, math, pack_column, products, quantize_rows};

pub struct KvCache {
    kv_heads: usize,
    d: usize,
    len: usize,
    /// Per key/value head: the keys, int8, packed in blocks of `COLS` positions.
    keys: Vec<Vec<i8>>,
    /// Per key/value head and position: the key's scale, and the sum of its int8 values (which removes the query
    /// rows' zero point from the integer sums).
    key_scale: Vec<Vec<f32>>,
    key_sum: Vec<Vec<i32>>,
    /// Per key/value head: value rows.
    values: Vec<Vec<f32>>,
    work: Work,
}

/// Buffers reused between calls.
#[derive(Default)]
struct Work {
    queries: Vec<f32>,
    q8: Vec<u8>,
    q_scale: Vec<f32>,
    q_zero: Vec<i32>,
    acc: Vec<i32>,
    scores: Vec<f32>,
    key: Vec<i8>,
}

/// Query rows computed together against the same keys (the products' 4-row kernel).
const ROWS: usize = 4;

impl KvCache {
    pub fn new(kv_heads: usize, d: usize) -> Self {
        KvCache {
            kv_heads,
            d,
            len: 0,
            keys: vec![Vec::new(); kv_heads],
            key_scale: vec![Vec::new(); kv_heads],
            key_sum: vec![Vec::new(); kv_heads],
            values: vec![Vec::new(); kv_heads],
            work: Work::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        let blocks = self.len.div_ceil(COLS) * COLS * self.d;
        self.keys.iter_mut().for_each(|k| k.truncate(blocks));
        self.key_scale.iter_mut().for_each(|k| k.truncate(len));
        self.key_sum.iter_mut().for_each(|k| k.truncate(len));
        let rows = self.len * self.d;
        self.values.iter_mut().for_each(|v| v.truncate(rows));
    }

    /// Append one position's keys and values (`kv_heads · d` each, heads one after another).
    pub fn push(&mut self, k: &[f32], v: &[f32]) {
        let (d, p) = (self.d, self.len);
        let (block, c) = (p / COLS, p % COLS);
        for h in 0..self.kv_heads {
            let key = &k[h * d..(h + 1) * d];
            let q = &mut self.work.key;
            q.clear();
            let scale = crate::quantize_symmetric(key, q);
            let keys = &mut self.keys[h];
            if c == 0 {
                keys.resize((block + 1) * COLS * d, 0);
            }
            pack_column(q, c, &mut keys[block * COLS * d..(block + 1) * COLS * d]);
            self.key_scale[h].push(scale);
            self.key_sum[h].push(q.iter().map(|&x| i32::from(x)).sum());
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
        let w = &mut self.work;
        for h in 0..heads {
            let kvh = kv_of(h);
            w.queries.clear();
            for row in qkv.chunks_exact(width) {
                w.queries.extend(row[h * d..(h + 1) * d].iter().map(|&x| x * scale));
            }
            quantize_rows(&w.queries, d, &mut w.q8, &mut w.q_scale, &mut w.q_zero);
            for i0 in (0..rows).step_by(ROWS) {
                let n_rows = ROWS.min(rows - i0);
                // Keys up to the last row's position, in whole blocks (the later ones' scores are not read).
                let keys_n = (past + i0 + n_rows).div_ceil(COLS) * COLS;
                w.acc.clear();
                w.acc.resize(n_rows * keys_n, 0);
                let packed = Packed {
                    k: d,
                    n: keys_n,
                    data: &self.keys[kvh][..keys_n * d],
                };
                products(&w.q8[i0 * d..], n_rows, packed, &mut w.acc);
                for r in 0..n_rows {
                    let i = i0 + r;
                    let seen = past + i + 1;
                    let (qs, qz) = (w.q_scale[i], w.q_zero[i]);
                    w.scores.clear();
                    w.scores.extend(
                        w.acc[r * keys_n..r * keys_n + seen]
                            .iter()
                            .zip(&self.key_sum[kvh])
                            .zip(&self.key_scale[kvh])
                            .map(|((&a, &sum), &ks)| (a - qz * sum) as f32 * (qs * ks)),
                    );
                    math::softmax(&mut w.scores);
                    let o = &mut out[(i * heads + h) * d..(i * heads + h + 1) * d];
                    weighted_values(&w.scores, &self.values[kvh], o);
                }
            }
        }
        out
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
                    // Scores from int8 keys and 7-bit queries: within a few hundredths of the float result.
                    assert!((g - want).abs() < 0.03, "row {i} head {h} dim {c}: {g} vs {want}");
                }
            }
        }
        cache.truncate(20);
        assert_eq!(cache.len(), 20);
    }
}
