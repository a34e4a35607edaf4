//! Label embeddings, computed once per label set and kept by the engine.

use std::collections::HashMap;

use super::{Embedder, EncoderBackend, Label, LabelSet, ScoutError};

/// Custom label sets kept at most; the oldest is dropped first.
pub const MAX_CUSTOM_SETS: usize = 8;

/// The labels of one set with the embeddings of their descriptions (`descriptions[l][j]`).
#[derive(Debug, Clone)]
pub struct EmbeddedSet {
    pub labels: Vec<Label>,
    pub descriptions: Vec<Vec<Vec<f32>>>,
}

/// Cache of embedded label sets, keyed by [`LabelSet::key`].
#[derive(Debug, Default)]
pub struct LabelIndex {
    sets: HashMap<String, EmbeddedSet>,
    custom_order: Vec<String>,
}

impl LabelIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// An index with the given sets embedded up front.
    pub async fn build<B: EncoderBackend>(embedder: &mut Embedder<B>, sets: &[LabelSet]) -> Result<Self, ScoutError> {
        let mut index = Self::new();
        for set in sets {
            index.get_or_embed(embedder, set).await?;
        }
        Ok(index)
    }

    /// Whether `set` is already embedded.
    pub fn contains(&self, set: &LabelSet) -> bool {
        self.sets.contains_key(&set.key())
    }

    /// The embedded set, embedding its descriptions (in one `embed` call) on first use.
    pub async fn get_or_embed<B: EncoderBackend>(
        &mut self,
        embedder: &mut Embedder<B>,
        set: &LabelSet,
    ) -> Result<&EmbeddedSet, ScoutError> {
        let key = set.key();
        if !self.sets.contains_key(&key) {
            let labels = set.labels();
            let texts: Vec<&str> = labels
                .iter()
                .flat_map(|l| l.descriptions.iter().map(String::as_str))
                .collect();
            let mut vectors = embedder.embed(&texts).await?.into_iter();
            let descriptions = labels
                .iter()
                .map(|l| vectors.by_ref().take(l.descriptions.len()).collect())
                .collect();
            if matches!(set, LabelSet::Custom(_)) {
                self.custom_order.push(key.clone());
                if self.custom_order.len() > MAX_CUSTOM_SETS {
                    let old = self.custom_order.remove(0);
                    self.sets.remove(&old);
                }
            }
            self.sets.insert(key.clone(), EmbeddedSet { labels, descriptions });
        }
        self.sets
            .get(&key)
            .ok_or_else(|| ScoutError::new(super::ErrorCode::Internal, "label index lost a set"))
    }
}
