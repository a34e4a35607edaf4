//! Per-passage scores: cosine (pooled over a passage's units), BM25, and their fusion.

use super::PassageIndex;
use super::dot;
use super::terms::terms;

/// How cosine and BM25 are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// `alpha * cosine + (1 - alpha) * bm25` (BM25 normalized per [`Bm25Norm`]).
    Linear { alpha: f32 },
    /// Reciprocal rank fusion: `1/(k + rank_cos) + 1/(k + rank_bm25)`, ranks from 1. Scores are not
    /// comparable across questions, so the no-answer threshold does not apply meaningfully.
    Rrf { k: f32 },
}

/// How BM25 scores are mapped to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bm25Norm {
    /// Divided by the summed idf of the question's terms (query-absolute; see `super::bm25`).
    Coverage,
    /// Divided by the page's best score (the top passage always gets 1).
    Max,
}

/// How a passage's cosine is taken from its units (the whole passage and its sentence windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Whole-passage vector only.
    Passage,
    /// Best of the whole passage and its windows.
    Max,
    /// Mean of the whole-passage cosine and the best window cosine.
    Mean,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoringParams {
    pub fusion: Fusion,
    pub bm25_norm: Bm25Norm,
    pub pool: Pool,
}

/// Weight of the cosine in the default linear fusion.
pub const DEFAULT_ALPHA: f32 = 0.75;

impl Default for ScoringParams {
    fn default() -> Self {
        ScoringParams {
            fusion: Fusion::Linear { alpha: DEFAULT_ALPHA },
            bm25_norm: Bm25Norm::Coverage,
            pool: Pool::Max,
        }
    }
}

/// Scores of one passage for one question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassageScore {
    pub passage: usize,
    pub score: f32,
    pub cosine: f32,
    /// Normalized BM25 in [0, 1].
    pub bm25: f32,
}

/// Cosine of every unit of the index with the question vector.
pub fn unit_cosines(index: &PassageIndex, question_embedding: &[f32]) -> Vec<f32> {
    let mut q = question_embedding.to_vec();
    super::normalize(&mut q);
    index.vectors.iter().map(|v| dot(v, &q)).collect()
}

/// Pool unit cosines into one cosine per passage.
pub fn passage_cosines(index: &PassageIndex, unit_cos: &[f32], pool: Pool) -> Vec<f32> {
    let n = index.len();
    let mut whole = vec![f32::NEG_INFINITY; n];
    let mut best_window = vec![f32::NEG_INFINITY; n];
    for (u, &c) in index.units.iter().zip(unit_cos) {
        let Some(slot) = (if u.span.is_none() {
            whole.get_mut(u.passage)
        } else {
            best_window.get_mut(u.passage)
        }) else {
            continue;
        };
        *slot = slot.max(c);
    }
    whole
        .iter()
        .zip(&best_window)
        .map(|(&w, &b)| {
            let w = if w.is_finite() { w } else { 0.0 };
            if !b.is_finite() {
                return w;
            }
            match pool {
                Pool::Passage => w,
                Pool::Max => w.max(b),
                Pool::Mean => 0.5 * (w + b),
            }
        })
        .collect()
}

/// Ranks (1 = best) of `xs`, ties broken by position.
fn ranks(xs: &[f32]) -> Vec<f32> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[b].total_cmp(&xs[a]).then(a.cmp(&b)));
    let mut r = vec![0.0; xs.len()];
    for (pos, &i) in order.iter().enumerate() {
        r[i] = (pos + 1) as f32;
    }
    r
}

/// Every passage's scores, sorted best first (ties: document order).
pub fn score_passages(
    index: &PassageIndex,
    question_embedding: &[f32],
    question: &str,
    params: &ScoringParams,
) -> Vec<PassageScore> {
    let unit_cos = unit_cosines(index, question_embedding);
    let cos = passage_cosines(index, &unit_cos, params.pool);
    let q_terms = terms(question);
    let bm = match params.bm25_norm {
        Bm25Norm::Coverage => index.bm25.coverage(&q_terms),
        Bm25Norm::Max => {
            let raw = index.bm25.scores(&q_terms);
            let max = raw.iter().copied().fold(0.0f32, f32::max);
            raw.iter().map(|&s| if max > 0.0 { s / max } else { 0.0 }).collect()
        }
    };
    let fused: Vec<f32> = match params.fusion {
        Fusion::Linear { alpha } => cos
            .iter()
            .zip(&bm)
            .map(|(c, b)| alpha * c + (1.0 - alpha) * b)
            .collect(),
        Fusion::Rrf { k } => {
            let (rc, rb) = (ranks(&cos), ranks(&bm));
            rc.iter().zip(&rb).map(|(a, b)| 1.0 / (k + a) + 1.0 / (k + b)).collect()
        }
    };
    let mut out: Vec<PassageScore> = (0..index.len())
        .map(|i| PassageScore {
            passage: i,
            score: fused[i],
            cosine: cos[i],
            bm25: bm[i],
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_break_ties_by_position() {
        assert_eq!(ranks(&[0.5, 0.9, 0.5]), vec![2.0, 1.0, 3.0]);
        assert!(ranks(&[]).is_empty());
    }
}
