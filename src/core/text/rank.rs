//! Generic graph/centroid ranking and MMR selection over any [`Similarity`].

use std::collections::HashMap;

use super::tokens::content_terms;

/// Pairwise similarity between `len()` items (sentences). Values are expected
/// in `[-1, 1]` (cosine); non-finite values are treated as 0 by the rankers.
pub trait Similarity {
    fn sim(&self, i: usize, j: usize) -> f32;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn clean(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// TF-IDF cosine similarity over stemmed, non-stopword tokens.
#[derive(Debug, Clone, Default)]
pub struct LexicalSimilarity {
    /// Per sentence: sparse L2-normalized vector, sorted by term id.
    vectors: Vec<Vec<(u32, f32)>>,
}

impl LexicalSimilarity {
    pub fn new(sentences: &[&str]) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        let mut counts: Vec<Vec<(u32, u32)>> = Vec::with_capacity(sentences.len());
        for s in sentences {
            let mut ids: Vec<u32> = content_terms(s)
                .into_iter()
                .map(|t| {
                    let next = vocab.len() as u32;
                    *vocab.entry(t).or_insert(next)
                })
                .collect();
            ids.sort_unstable();
            let mut tf: Vec<(u32, u32)> = Vec::new();
            for id in ids {
                match tf.last_mut() {
                    Some((last, c)) if *last == id => *c += 1,
                    _ => tf.push((id, 1)),
                }
            }
            df.resize(vocab.len(), 0);
            for &(id, _) in &tf {
                if let Some(d) = df.get_mut(id as usize) {
                    *d += 1;
                }
            }
            counts.push(tf);
        }
        let n = sentences.len() as f32;
        let vectors = counts
            .into_iter()
            .map(|tf| {
                let mut v: Vec<(u32, f32)> = tf
                    .into_iter()
                    .map(|(id, c)| {
                        let d = df.get(id as usize).copied().unwrap_or(1) as f32;
                        let idf = ((1.0 + n) / (1.0 + d)).ln() + 1.0;
                        (id, (1.0 + (c as f32).ln()) * idf)
                    })
                    .collect();
                let norm = v.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
                if norm > 0.0 {
                    for e in &mut v {
                        e.1 /= norm;
                    }
                }
                v
            })
            .collect();
        Self { vectors }
    }
}

impl Similarity for LexicalSimilarity {
    fn sim(&self, i: usize, j: usize) -> f32 {
        let (Some(a), Some(b)) = (self.vectors.get(i), self.vectors.get(j)) else {
            return 0.0;
        };
        let (mut x, mut y, mut dot) = (0, 0, 0.0f32);
        while x < a.len() && y < b.len() {
            match a[x].0.cmp(&b[y].0) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    dot += a[x].1 * b[y].1;
                    x += 1;
                    y += 1;
                }
            }
        }
        dot.clamp(0.0, 1.0)
    }

    fn len(&self) -> usize {
        self.vectors.len()
    }
}

/// Similarity from embeddings (cosine of L2-normalized vectors) or from an
/// explicit square matrix.
#[derive(Debug, Clone)]
pub struct MatrixSimilarity {
    storage: Storage,
}

#[derive(Debug, Clone)]
enum Storage {
    Vectors(Vec<Vec<f32>>),
    Dense { n: usize, m: Vec<f32> },
}

impl MatrixSimilarity {
    /// Cosine similarity of the given embeddings. Non-finite components count
    /// as 0; zero vectors are dissimilar to everything; vectors of different
    /// lengths are compared over their common prefix.
    pub fn from_embeddings(vectors: &[Vec<f32>]) -> Self {
        let normed = vectors
            .iter()
            .map(|v| {
                let v: Vec<f32> = v.iter().map(|&x| clean(x)).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 && norm.is_finite() {
                    v.into_iter().map(|x| x / norm).collect()
                } else {
                    vec![0.0; v.len()]
                }
            })
            .collect();
        Self {
            storage: Storage::Vectors(normed),
        }
    }

    /// An explicit `n x n` matrix (`rows.len() == n`); missing entries are 0.
    pub fn from_matrix(rows: &[Vec<f32>]) -> Self {
        let n = rows.len();
        let mut m = vec![0.0; n * n];
        for (i, row) in rows.iter().enumerate() {
            for (j, &x) in row.iter().take(n).enumerate() {
                m[i * n + j] = clean(x);
            }
        }
        Self {
            storage: Storage::Dense { n, m },
        }
    }
}

impl Similarity for MatrixSimilarity {
    fn sim(&self, i: usize, j: usize) -> f32 {
        match &self.storage {
            Storage::Vectors(v) => match (v.get(i), v.get(j)) {
                (Some(a), Some(b)) => clean(a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>()).clamp(-1.0, 1.0),
                _ => 0.0,
            },
            Storage::Dense { n, m } => {
                if i < *n && j < *n {
                    m.get(i * n + j).copied().unwrap_or(0.0)
                } else {
                    0.0
                }
            }
        }
    }

    fn len(&self) -> usize {
        match &self.storage {
            Storage::Vectors(v) => v.len(),
            Storage::Dense { n, .. } => *n,
        }
    }
}

/// A view of `inner` restricted to the items `indices` (in that order).
pub struct SubsetSimilarity<'a> {
    inner: &'a dyn Similarity,
    indices: Vec<usize>,
}

impl<'a> SubsetSimilarity<'a> {
    pub fn new(inner: &'a dyn Similarity, indices: Vec<usize>) -> Self {
        let n = inner.len();
        let indices = indices.into_iter().filter(|&i| i < n).collect();
        Self { inner, indices }
    }

    /// The index in `inner` of subset item `i`.
    pub fn original(&self, i: usize) -> Option<usize> {
        self.indices.get(i).copied()
    }
}

impl Similarity for SubsetSimilarity<'_> {
    fn sim(&self, i: usize, j: usize) -> f32 {
        match (self.indices.get(i), self.indices.get(j)) {
            (Some(&a), Some(&b)) => self.inner.sim(a, b),
            _ => 0.0,
        }
    }

    fn len(&self) -> usize {
        self.indices.len()
    }
}

/// `inner` spread over a longer list: list item `at[k]` is inner item `k`; the other items are dissimilar to
/// everything. For ranking a shortlist with the embeddings of only its members.
pub struct ScatteredSimilarity<S> {
    inner: S,
    slot: Vec<Option<usize>>,
}

impl<S: Similarity> ScatteredSimilarity<S> {
    pub fn new(inner: S, at: &[usize], len: usize) -> Self {
        let mut slot = vec![None; len];
        for (k, &i) in at.iter().enumerate().take(inner.len()) {
            if let Some(s) = slot.get_mut(i) {
                *s = Some(k);
            }
        }
        Self { inner, slot }
    }
}

impl<S: Similarity> Similarity for ScatteredSimilarity<S> {
    fn sim(&self, i: usize, j: usize) -> f32 {
        match (self.slot.get(i).copied().flatten(), self.slot.get(j).copied().flatten()) {
            (Some(a), Some(b)) => self.inner.sim(a, b),
            _ => 0.0,
        }
    }

    fn len(&self) -> usize {
        self.slot.len()
    }
}

/// Weighted PageRank over the similarity graph (negative similarities and
/// self-loops ignored). Returns one score per item, summing to 1.
/// Builds an `n x n` matrix: callers with thousands of items should rank a
/// pre-filtered [`SubsetSimilarity`].
pub fn textrank(sim: &dyn Similarity, damping: f32, iterations: usize) -> Vec<f32> {
    let n = sim.len();
    if n == 0 {
        return Vec::new();
    }
    let d = if damping.is_finite() {
        damping.clamp(0.0, 1.0)
    } else {
        0.85
    };
    let mut w = vec![0.0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = clean(sim.sim(i, j)).max(0.0);
            w[i * n + j] = s;
            w[j * n + i] = s;
        }
    }
    // Row-normalize: w[i][j] becomes the probability of walking i -> j.
    let mut dangling = vec![false; n];
    for i in 0..n {
        let row = &mut w[i * n..(i + 1) * n];
        let sum: f32 = row.iter().sum();
        if sum > 0.0 {
            row.iter_mut().for_each(|x| *x /= sum);
        } else {
            dangling[i] = true;
        }
    }
    let nf = n as f32;
    let mut scores = vec![1.0 / nf; n];
    let mut next = vec![0.0f32; n];
    for _ in 0..iterations {
        let dangling_mass: f32 = (0..n).filter(|&i| dangling[i]).map(|i| scores[i]).sum();
        let base = (1.0 - d) / nf + d * dangling_mass / nf;
        next.iter_mut().for_each(|x| *x = base);
        for i in 0..n {
            let si = scores[i];
            if si == 0.0 || dangling[i] {
                continue;
            }
            let row = &w[i * n..(i + 1) * n];
            for (nx, &wij) in next.iter_mut().zip(row) {
                *nx += d * si * wij;
            }
        }
        let delta: f32 = scores.iter().zip(&next).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut scores, &mut next);
        if delta < 1e-7 {
            break;
        }
    }
    scores
}

/// Mean similarity of each item to all others (the centroid score for
/// normalized vectors).
pub fn centroid_scores(sim: &dyn Similarity) -> Vec<f32> {
    let n = sim.len();
    if n <= 1 {
        return vec![1.0; n];
    }
    let mut acc = vec![0.0f32; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = clean(sim.sim(i, j));
            acc[i] += s;
            acc[j] += s;
        }
    }
    let denom = (n - 1) as f32;
    acc.into_iter().map(|x| x / denom).collect()
}

/// Similarity at or above which two items count as near-duplicates; MMR never
/// selects both.
pub const NEAR_DUPLICATE: f32 = 0.8;

/// Maximal Marginal Relevance: greedily pick up to `k` items maximizing
/// `lambda * relevance - (1 - lambda) * max_sim_to_selected`, with relevance
/// min-max normalized. Near-duplicates of selected items are never picked, so
/// fewer than `k` may be returned. Ties go to the lower index.
pub fn mmr_select(scores: &[f32], sim: &dyn Similarity, k: usize, lambda: f32) -> Vec<usize> {
    let n = scores.len().min(sim.len());
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    let lambda = if lambda.is_finite() {
        lambda.clamp(0.0, 1.0)
    } else {
        0.7
    };
    let rel: Vec<f32> = scores[..n].iter().map(|&s| clean(s)).collect();
    let (lo, hi) = rel.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    });
    let span = hi - lo;
    let rel: Vec<f32> = rel
        .into_iter()
        .map(|x| if span > 0.0 { (x - lo) / span } else { 1.0 })
        .collect();
    let mut selected: Vec<usize> = Vec::with_capacity(k);
    // Max similarity of each candidate to the selected set.
    let mut max_sim = vec![f32::NEG_INFINITY; n];
    let mut blocked = vec![false; n];
    while selected.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for i in 0..n {
            if blocked[i] {
                continue;
            }
            let redundancy = if selected.is_empty() { 0.0 } else { max_sim[i].max(0.0) };
            let v = lambda * rel[i] - (1.0 - lambda) * redundancy;
            if best.is_none_or(|(_, bv)| v > bv) {
                best = Some((i, v));
            }
        }
        let Some((pick, _)) = best else {
            break;
        };
        selected.push(pick);
        blocked[pick] = true;
        for i in 0..n {
            if blocked[i] {
                continue;
            }
            let s = clean(sim.sim(pick, i));
            if s > max_sim[i] {
                max_sim[i] = s;
            }
            if s >= NEAR_DUPLICATE {
                blocked[i] = true;
            }
        }
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_similarity_basics() {
        let s = LexicalSimilarity::new(&[
            "The bridge vote passed.",
            "Bridges and votes!",
            "Completely unrelated sentence.",
            "",
        ]);
        assert_eq!(s.len(), 4);
        assert!((s.sim(0, 0) - 1.0).abs() < 1e-4);
        assert!(s.sim(0, 1) > 0.5);
        assert_eq!(s.sim(0, 2), 0.0);
        assert_eq!(s.sim(3, 3), 0.0);
        assert_eq!(s.sim(0, 99), 0.0);
    }

    #[test]
    fn textrank_handles_degenerate_input() {
        let empty = MatrixSimilarity::from_matrix(&[]);
        assert!(textrank(&empty, 0.85, 30).is_empty());
        let zeros = MatrixSimilarity::from_matrix(&[vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]]);
        let r = textrank(&zeros, f32::NAN, 30);
        assert!(r.iter().all(|&x| (x - 1.0 / 3.0).abs() < 1e-5));
    }
}
