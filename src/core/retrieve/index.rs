//! The per-page index: passages, their sentence spans, BM25 statistics and unit embeddings.
//!
//! Embeddings come from outside ([`PassageIndex::build`]) so the engine can cache them by text; the texts to
//! embed, in order, are [`PassageIndex::embed_texts`]. [`build_index`] does both with an [`Embedder`].

use super::bm25::Bm25;
use super::terms::terms;
use super::units::{Span, Unit, passage_text, sentence_spans, unit_text, units};
use super::{Embedder, EncoderBackend, ErrorCode, Passage, ScoutError, normalize};

/// How a page is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// Also embed windows of this many consecutive sentences (0: whole passages only).
    pub window: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions { window: DEFAULT_WINDOW }
    }
}

/// Sentences per window embedded by default: single sentences (measured on `tests/retrieval_eval.json`: recall and
/// quote accuracy beat whole passages only and 2- or 3-sentence windows; see the module docs).
pub const DEFAULT_WINDOW: usize = 1;

/// A searchable page.
#[derive(Debug, Clone)]
pub struct PassageIndex {
    pub(super) passages: Vec<Passage>,
    /// Sentence spans of each passage text.
    pub(super) spans: Vec<Vec<Span>>,
    pub(super) units: Vec<Unit>,
    /// One L2-normalized vector per unit.
    pub(super) vectors: Vec<Vec<f32>>,
    pub(super) bm25: Bm25,
    pub(super) options: IndexOptions,
}

impl PassageIndex {
    /// The texts to embed for `passages`, in the order [`PassageIndex::build_with`] expects their vectors.
    pub fn embed_texts(passages: &[Passage], opts: &IndexOptions) -> Vec<String> {
        units(passages, opts.window)
            .iter()
            .map(|u| unit_text(passages, u))
            .collect()
    }

    /// Build with default options; `embeddings` are the vectors of [`PassageIndex::embed_texts`].
    pub fn build(passages: &[Passage], embeddings: Vec<Vec<f32>>) -> Result<Self, ScoutError> {
        Self::build_with(passages, embeddings, &IndexOptions::default())
    }

    pub fn build_with(
        passages: &[Passage],
        mut embeddings: Vec<Vec<f32>>,
        opts: &IndexOptions,
    ) -> Result<Self, ScoutError> {
        let units = units(passages, opts.window);
        if embeddings.len() != units.len() {
            return Err(ScoutError::new(
                ErrorCode::Internal,
                format!("{} embeddings for {} texts to index", embeddings.len(), units.len()),
            ));
        }
        let dims = embeddings.first().map_or(0, Vec::len);
        if embeddings.iter().any(|v| v.len() != dims || dims == 0) {
            return Err(ScoutError::new(
                ErrorCode::Internal,
                "embeddings of differing or zero size",
            ));
        }
        embeddings.iter_mut().for_each(|v| normalize(v));
        let docs: Vec<Vec<String>> = passages.iter().map(|p| terms(&passage_text(p))).collect();
        Ok(PassageIndex {
            passages: passages.to_vec(),
            spans: passages.iter().map(|p| sentence_spans(&p.text)).collect(),
            units,
            vectors: embeddings,
            bm25: Bm25::new(&docs),
            options: *opts,
        })
    }

    /// An index with no passages (every question gets [`super::NoAnswerReason::EmptyIndex`]).
    pub fn empty() -> Self {
        PassageIndex {
            passages: Vec::new(),
            spans: Vec::new(),
            units: Vec::new(),
            vectors: Vec::new(),
            bm25: Bm25::default(),
            options: IndexOptions::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.passages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }

    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    pub fn options(&self) -> &IndexOptions {
        &self.options
    }

    /// Embedding dimensions (0 for an empty index).
    pub fn dims(&self) -> usize {
        self.vectors.first().map_or(0, Vec::len)
    }
}

/// Embed the passages with `embedder` and build the index.
pub async fn build_index<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    passages: &[Passage],
    opts: &IndexOptions,
) -> Result<PassageIndex, ScoutError> {
    let texts = PassageIndex::embed_texts(passages, opts);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = if refs.is_empty() {
        Vec::new()
    } else {
        embedder.embed(&refs).await?
    };
    PassageIndex::build_with(passages, vectors, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(text: &str) -> Passage {
        Passage {
            id: "p0".into(),
            heading: None,
            text: text.into(),
            nodes: vec![],
        }
    }

    #[test]
    fn build_checks_embedding_count_and_size() {
        let ps = vec![passage("One. Two. Three.")];
        let opts = IndexOptions { window: 2 };
        assert_eq!(PassageIndex::embed_texts(&ps, &opts).len(), 3);
        assert!(PassageIndex::build_with(&ps, vec![vec![1.0, 0.0]], &opts).is_err());
        assert!(PassageIndex::build_with(&ps, vec![vec![1.0, 0.0], vec![1.0], vec![0.0, 1.0]], &opts).is_err());
        let idx = PassageIndex::build_with(&ps, vec![vec![3.0, 4.0], vec![1.0, 0.0], vec![0.0, 1.0]], &opts)
            .expect("valid index");
        assert_eq!(idx.len(), 1);
        assert_eq!(idx.dims(), 2);
        assert!((idx.vectors[0][0] - 0.6).abs() < 1e-6, "vectors are normalized");
        let empty = PassageIndex::build(&[], Vec::new()).expect("empty index");
        assert!(empty.is_empty() && empty.dims() == 0);
    }
}
