//! Page-vs-label scores from embeddings: cosine of every chunk with every label description, reduced over the
//! descriptions of a label, then over the page's chunks.

use serde::{Deserialize, Serialize};

/// How a label's descriptions are combined for one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DescriptionAgg {
    Max,
    Mean,
}

/// Scoring parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreParams {
    pub descriptions: DescriptionAgg,
    /// The page score is the mean of the `top_k` best chunk scores of a label.
    pub top_k: usize,
    /// Weight of the whole-page centroid score, mixed with the top-k chunk score.
    pub centroid_weight: f32,
}

/// Topic (and custom labels): the best-matching description, mean of the 3 best chunks, half page centroid.
pub const DEFAULT_PARAMS: ScoreParams = ScoreParams {
    descriptions: DescriptionAgg::Max,
    top_k: 3,
    centroid_weight: 0.5,
};

/// Content type and tone: genre and mood are diffuse, so all descriptions count (mean) and the 2 best chunks.
pub const DIFFUSE_PARAMS: ScoreParams = ScoreParams {
    descriptions: DescriptionAgg::Mean,
    top_k: 2,
    centroid_weight: 0.5,
};

/// Dot product; the cosine of two L2-normalized embeddings.
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Normalized mean of unit vectors (empty when there are none).
pub fn centroid(vectors: &[Vec<f32>]) -> Vec<f32> {
    let Some(dims) = vectors.first().map(Vec::len) else {
        return Vec::new();
    };
    let mut c = vec![0.0f32; dims];
    for v in vectors {
        for (acc, x) in c.iter_mut().zip(v) {
            *acc += x;
        }
    }
    let norm = c.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        c.iter_mut().for_each(|x| *x /= norm);
    }
    c
}

fn chunk_score(chunk: &[f32], descriptions: &[Vec<f32>], agg: DescriptionAgg) -> f32 {
    if descriptions.is_empty() {
        return 0.0;
    }
    let sims = descriptions.iter().map(|d| dot(chunk, d));
    match agg {
        DescriptionAgg::Max => sims.fold(f32::NEG_INFINITY, f32::max),
        DescriptionAgg::Mean => sims.sum::<f32>() / descriptions.len() as f32,
    }
}

/// One score per label. `chunks` and the descriptions are L2-normalized embeddings; `labels[l]` holds the
/// description embeddings of label `l`.
pub fn label_scores(chunks: &[Vec<f32>], labels: &[Vec<Vec<f32>>], params: &ScoreParams) -> Vec<f32> {
    let page = centroid(chunks);
    labels
        .iter()
        .map(|descs| {
            if chunks.is_empty() {
                return 0.0;
            }
            let mut per_chunk: Vec<f32> = chunks
                .iter()
                .map(|c| chunk_score(c, descs, params.descriptions))
                .collect();
            per_chunk.sort_by(|a, b| b.total_cmp(a));
            let k = params.top_k.clamp(1, per_chunk.len());
            let top = per_chunk[..k].iter().sum::<f32>() / k as f32;
            let whole = chunk_score(&page, descs, params.descriptions);
            let w = params.centroid_weight.clamp(0.0, 1.0);
            (1.0 - w) * top + w * whole
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_and_top_k_aggregation() {
        let chunks = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let labels = vec![vec![vec![1.0, 0.0]], vec![vec![0.6, 0.8], vec![0.0, -1.0]]];
        let p = ScoreParams {
            descriptions: DescriptionAgg::Max,
            top_k: 1,
            centroid_weight: 0.0,
        };
        let s = label_scores(&chunks, &labels, &p);
        assert!((s[0] - 1.0).abs() < 1e-6);
        assert!((s[1] - 0.8).abs() < 1e-6);
        let mean = ScoreParams {
            descriptions: DescriptionAgg::Mean,
            top_k: 2,
            centroid_weight: 0.0,
        };
        let s = label_scores(&chunks, &labels, &mean);
        assert!((s[0] - 0.5).abs() < 1e-6);
        assert!((s[1] - 0.1).abs() < 1e-6);
        assert_eq!(label_scores(&[], &labels, &p), vec![0.0, 0.0]);
    }
}
