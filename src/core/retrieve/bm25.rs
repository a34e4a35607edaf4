//! Okapi BM25 over the passages of one page.
//!
//! Besides raw scores, [`Bm25::coverage`] gives a query-absolute normalization: the raw score divided by the
//! sum of the query terms' idf, clamped to 1. It is roughly "the idf-weighted share of the question's terms
//! the passage contains", so unlike max-normalization it stays low when no passage matches the question well
//! (which the no-answer decision needs). Query terms absent from the page get the largest idf, so missing
//! key words weigh heavily.

use std::collections::HashMap;

/// Term-frequency saturation.
pub const K1: f32 = 1.2;
/// Length normalization.
pub const B: f32 = 0.75;

#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    /// Per document: term -> frequency.
    docs: Vec<HashMap<String, u32>>,
    lens: Vec<f32>,
    avg_len: f32,
    /// Term -> number of documents containing it.
    df: HashMap<String, u32>,
}

impl Bm25 {
    /// Statistics over documents given as term lists.
    pub fn new(docs: &[Vec<String>]) -> Self {
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut tfs = Vec::with_capacity(docs.len());
        let mut lens = Vec::with_capacity(docs.len());
        for d in docs {
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in d {
                *tf.entry(t.clone()).or_insert(0) += 1;
            }
            for t in tf.keys() {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
            lens.push(d.len() as f32);
            tfs.push(tf);
        }
        let avg_len = if lens.is_empty() {
            0.0
        } else {
            lens.iter().sum::<f32>() / lens.len() as f32
        };
        Bm25 {
            docs: tfs,
            lens,
            avg_len,
            df,
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Inverse document frequency (the non-negative "+1" variant); unseen terms get the maximum.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.df.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Distinct query terms, in first-occurrence order (repeats in a question add no weight).
    fn distinct(query: &[String]) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in query {
            if !out.contains(&t.as_str()) {
                out.push(t);
            }
        }
        out
    }

    /// Raw BM25 score of every document for the query terms.
    pub fn scores(&self, query: &[String]) -> Vec<f32> {
        let q = Self::distinct(query);
        let idfs: Vec<f32> = q.iter().map(|t| self.idf(t)).collect();
        self.docs
            .iter()
            .zip(&self.lens)
            .map(|(tf, &len)| {
                let norm = if self.avg_len > 0.0 {
                    1.0 - B + B * len / self.avg_len
                } else {
                    1.0
                };
                q.iter()
                    .zip(&idfs)
                    .map(|(t, idf)| {
                        let f = tf.get(*t).copied().unwrap_or(0) as f32;
                        if f == 0.0 {
                            0.0
                        } else {
                            idf * f * (K1 + 1.0) / (f + K1 * norm)
                        }
                    })
                    .sum()
            })
            .collect()
    }

    /// Scores divided by the summed idf of the distinct query terms, clamped to [0, 1].
    pub fn coverage(&self, query: &[String]) -> Vec<f32> {
        let total: f32 = Self::distinct(query).iter().map(|t| self.idf(t)).sum();
        self.scores(query)
            .into_iter()
            .map(|s| if total > 0.0 { (s / total).clamp(0.0, 1.0) } else { 0.0 })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn toy_corpus_ranks_by_rarity_and_frequency() {
        let bm = Bm25::new(&[
            doc("cat sat mat"),
            doc("dog sat log"),
            doc("cat cat chased dog"),
            doc("bird flew"),
        ]);
        assert_eq!(bm.len(), 4);
        // idf: rare terms weigh more; unseen terms weigh most.
        assert!(bm.idf("bird") > bm.idf("cat"));
        assert!(bm.idf("zebra") > bm.idf("bird"));
        let s = bm.scores(&doc("cat"));
        assert_eq!(s[1], 0.0);
        assert_eq!(s[3], 0.0);
        assert!(s[2] > s[0], "two occurrences beat one: {s:?}");
        let s = bm.scores(&doc("bird cat"));
        assert!(s[3] > s[0], "rarer term wins: {s:?}");
        // Hand-computed value for doc 3 ("bird flew", len 2, avg 3) and query "bird".
        let idf = (1.0f32 + (4.0 - 1.0 + 0.5) / 1.5).ln();
        let norm = 1.0 - B + B * 2.0 / 3.0;
        let want = idf * (K1 + 1.0) / (1.0 + K1 * norm);
        assert!((bm.scores(&doc("bird"))[3] - want).abs() < 1e-6);
    }

    #[test]
    fn repeated_query_terms_do_not_add_weight() {
        let bm = Bm25::new(&[doc("cat sat"), doc("dog")]);
        assert_eq!(bm.scores(&doc("cat cat cat")), bm.scores(&doc("cat")));
    }

    #[test]
    fn coverage_is_absolute() {
        let bm = Bm25::new(&[doc("cat sat mat"), doc("dog sat log")]);
        let c = bm.coverage(&doc("cat"));
        assert!(c[0] > 0.5 && c[0] <= 1.0 && c[1] == 0.0, "{c:?}");
        // A question whose main term is absent from the page covers little.
        let c = bm.coverage(&doc("cat zebra"));
        assert!(c[0] < 0.5, "{c:?}");
        assert!(bm.coverage(&[]).iter().all(|&x| x == 0.0));
        assert!(Bm25::new(&[]).scores(&doc("cat")).is_empty());
    }
}
