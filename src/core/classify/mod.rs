//! Zero-shot page classification from sentence embeddings (tier T1, all-MiniLM-L6-v2).
//!
//! A page is reduced to a [`PageSample`] (title + lead chunks + central sentences), embedded, and compared with
//! the embedded descriptions of each label (several natural sentences per label, cached in a [`LabelIndex`]).
//! The label score is the cosine with the best-matching description, averaged over the best chunks and mixed with
//! the whole-page centroid ([`score`]); scores become probabilities with a softmax whose temperature was fitted on
//! the labelled eval set ([`calibrate`]), and the prediction is flagged `uncertain` when the top two are close.
//! [`keyword_baseline`] is the cheap lexical reference the embedding classifier is measured against.

pub mod calibrate;
pub mod custom;
pub mod index;
pub mod keyword;
pub mod labels;
pub mod sample;
pub mod score;

use crate::core::{
    embed::{Embedder, EncoderBackend},
    error::{ErrorCode, ScoutError},
    extract::Article,
    text::{LexicalSimilarity, centroid_scores, paragraph_ranges, select_candidates, split_sentences, stem, words},
};
use serde::{Deserialize, Serialize};

mod page;

pub use self::index::{EmbeddedSet, LabelIndex};
pub use self::page::classify_page;
pub use self::sample::{DEFAULT_SAMPLE, PageSample, SampleParams};
pub use self::score::{DEFAULT_PARAMS, DescriptionAgg, ScoreParams};

/// Which labels to classify against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelSet {
    Topic,
    ContentType,
    Tone,
    /// User-typed labels: "name" or "name: description".
    Custom(Vec<String>),
}

/// A label with its descriptions and keywords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub id: String,
    pub name: String,
    pub descriptions: Vec<String>,
    pub keywords: Vec<String>,
}

/// Softmax temperatures over the combined scores, fitted (minimum NLL) on tests/classify_eval.json.
pub const TEMPERATURE_TOPIC: f32 = 0.057;
pub const TEMPERATURE_CONTENT_TYPE: f32 = 0.075;
pub const TEMPERATURE_TONE: f32 = 0.19;
/// Custom labels have no data to fit on; they use the topic temperature (template descriptions are topic-like).
pub const TEMPERATURE_CUSTOM: f32 = TEMPERATURE_TOPIC;

/// A prediction is `uncertain` when the top two probabilities differ by less than this. On the eval set, topic
/// predictions under it were right 1 time in 7 (95% above it); content type 50% vs 67%; tone 38% vs 58%.
pub const UNCERTAIN_MARGIN: f32 = 0.15;

impl LabelSet {
    /// Cache key; custom sets are keyed by their normalized entries.
    pub fn key(&self) -> String {
        match self {
            LabelSet::Topic => "topic".into(),
            LabelSet::ContentType => "content_type".into(),
            LabelSet::Tone => "tone".into(),
            LabelSet::Custom(specs) => {
                let norm: Vec<String> = specs.iter().map(|s| s.trim().to_lowercase()).collect();
                format!("custom:{}", norm.join("\u{1f}"))
            }
        }
    }

    /// The labels of this set.
    pub fn labels(&self) -> Vec<Label> {
        let builtin = match self {
            LabelSet::Topic => labels::TOPIC,
            LabelSet::ContentType => labels::CONTENT_TYPE,
            LabelSet::Tone => labels::TONE,
            LabelSet::Custom(specs) => return custom::custom_labels(specs),
        };
        builtin
            .iter()
            .map(|b| Label {
                id: b.id.into(),
                name: b.name.into(),
                descriptions: b.descriptions.iter().map(|d| (*d).into()).collect(),
                keywords: b.keywords.iter().map(|k| (*k).into()).collect(),
            })
            .collect()
    }

    /// Scoring parameters of this set (chosen on the eval set, see tests/classify.rs).
    pub fn score_params(&self) -> ScoreParams {
        match self {
            LabelSet::ContentType | LabelSet::Tone => score::DIFFUSE_PARAMS,
            LabelSet::Topic | LabelSet::Custom(_) => DEFAULT_PARAMS,
        }
    }

    /// The fitted softmax temperature of this set.
    pub fn temperature(&self) -> f32 {
        match self {
            LabelSet::Topic => TEMPERATURE_TOPIC,
            LabelSet::ContentType => TEMPERATURE_CONTENT_TYPE,
            LabelSet::Tone => TEMPERATURE_TONE,
            LabelSet::Custom(_) => TEMPERATURE_CUSTOM,
        }
    }
}

/// One label's calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub id: String,
    pub name: String,
    pub score: f32,
}

/// The result of classifying a page against one label set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub set: LabelSet,
    /// All labels, most probable first; scores sum to 1.
    pub labels: Vec<LabelScore>,
    /// Id of the most probable label (empty when the set has no labels).
    pub top: String,
    /// The top two probabilities are closer than [`UNCERTAIN_MARGIN`].
    pub uncertain: bool,
}

impl Classification {
    /// Build from per-label probabilities (in label order).
    pub fn from_probs(set: &LabelSet, labels: &[Label], probs: &[f32]) -> Self {
        let mut scored: Vec<LabelScore> = labels
            .iter()
            .zip(probs)
            .map(|(l, &p)| LabelScore {
                id: l.id.clone(),
                name: l.name.clone(),
                score: p,
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        Classification {
            set: set.clone(),
            top: scored.first().map(|l| l.id.clone()).unwrap_or_default(),
            uncertain: calibrate::is_uncertain(probs, UNCERTAIN_MARGIN),
            labels: scored,
        }
    }
}

/// The embedded sample of a page; embed once, classify against several sets.
#[derive(Debug, Clone, PartialEq)]
pub struct PageEmbedding {
    pub chunks: Vec<Vec<f32>>,
}

/// Embed a page sample (one `embed` call). Fails with `EmptyPage` when there is no text.
pub async fn embed_page<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    page: &PageSample,
) -> Result<PageEmbedding, ScoutError> {
    let texts = page.texts();
    if texts.is_empty() {
        return Err(ScoutError::new(
            ErrorCode::EmptyPage,
            "the page has no text to classify",
        ));
    }
    Ok(PageEmbedding {
        chunks: embedder.embed(&texts).await?,
    })
}

/// Raw (uncalibrated) label scores, in label order, with the given scoring parameters.
pub async fn raw_scores<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    page: &PageEmbedding,
    set: &LabelSet,
    params: &ScoreParams,
) -> Result<Vec<f32>, ScoutError> {
    let entry = index.get_or_embed(embedder, set).await?;
    Ok(score::label_scores(&page.chunks, &entry.descriptions, params))
}

/// Weight of the keyword distribution added to the embedding scores (cosine units). Keyword cues carry the
/// form of a page (ingredients, "add to cart", "reply", "abstract") that MiniLM similarity to descriptions, dominated
/// by the subject, misses; chosen on the eval set (see tests/classify.rs).
pub const KEYWORD_WEIGHT: f32 = 0.32;

/// Embedding scores plus [`KEYWORD_WEIGHT`] times the keyword distribution.
pub fn combined_scores(embedding: &[f32], keyword_probs: &[f32]) -> Vec<f32> {
    embedding
        .iter()
        .enumerate()
        .map(|(i, s)| s + KEYWORD_WEIGHT * keyword_probs.get(i).copied().unwrap_or(0.0))
        .collect()
}

/// Classify an already embedded page (`emb` must come from `page`).
pub async fn classify_embedded<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    page: &PageSample,
    emb: &PageEmbedding,
    set: &LabelSet,
) -> Result<Classification, ScoutError> {
    let entry = index.get_or_embed(embedder, set).await?;
    let raw = score::label_scores(&emb.chunks, &entry.descriptions, &set.score_params());
    let kw = keyword::keyword_probs(&keyword::keyword_scores(page, &entry.labels));
    let probs = calibrate::softmax(&combined_scores(&raw, &kw), set.temperature());
    Ok(Classification::from_probs(set, &entry.labels, &probs))
}

/// Classify a page against a label set.
pub async fn classify<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    page: &PageSample,
    set: &LabelSet,
) -> Result<Classification, ScoutError> {
    let emb = embed_page(embedder, page).await?;
    classify_embedded(embedder, index, page, &emb, set).await
}

/// Margin below which a keyword-baseline prediction is flagged uncertain.
pub const KEYWORD_UNCERTAIN_MARGIN: f32 = 0.1;

/// The keyword baseline: keyword hit rates normalized into a distribution.
pub fn keyword_baseline(page: &PageSample, set: &LabelSet) -> Classification {
    let labels = set.labels();
    let probs = keyword::keyword_probs(&keyword::keyword_scores(page, &labels));
    let mut c = Classification::from_probs(set, &labels, &probs);
    c.uncertain = calibrate::is_uncertain(&probs, KEYWORD_UNCERTAIN_MARGIN);
    c
}

#[cfg(test)]
mod tests;
