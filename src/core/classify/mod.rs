//! Page classification from sentence embeddings (tier T1, all-MiniLM-L6-v2).
//!
//! A page is reduced to a [`PageSample`] (title + lead chunks + central sentences); its texts and its sentences
//! are embedded in one call ([`embed_page`]). Topic and custom labels compare the texts with the embedded
//! descriptions of each label (several natural sentences per label, cached in a [`LabelIndex`]): the label score is
//! the cosine with the best-matching description, averaged over the best chunks and mixed with the whole-page
//! centroid ([`score`]), plus a keyword prior. Content type is a matter of form, not subject: a fitted model reads
//! each sentence's closeness to example sentences of each genre and surface cues (reporting verbs, quantities,
//! prices, code, citations, dialogue…) ([`content_type`]). Tone is read from the sentences too ([`tone`]): each
//! sentence is positive, negative or neutral by its similarity to example sentences and a sentiment [`lexicon`]
//! with negation, and the page's shares of each decide (mixed: both polar shares substantial). Scores become
//! probabilities with a softmax whose temperature was fitted on the labelled eval set ([`calibrate`]; content type's
//! model gives probabilities itself), and the prediction is flagged `uncertain` when the top two are close.
//! [`keyword_baseline`] is the cheap lexical reference the classifier is measured against.
//!
//! Topic also reads the page's content type where a genre fixes the subject ([`genre`]: a story is culture, a recipe
//! food).
//!
//! Accuracy (tests/t1_classify.rs prints every figure): on tests/t1/classify_eval.json, where constants were chosen,
//! topic 0.920 (keywords 0.724), tone 0.728 (keywords 0.533, majority class 0.446); on the sets never used for
//! choosing them (classify_unseen.json, classify_third.json, classify_fourth.json) topic 0.712 / 0.885 / 0.694, tone
//! 0.698 / 0.750 / 0.667. Content type's model is fitted on the first and third sets (0.896 there, 0.764 under
//! leave-one-out) and measured on the unseen and fourth: 0.944 and 0.861.

pub mod calibrate;
pub mod content_type;
pub mod custom;
pub mod genre;
pub mod index;
pub mod keyword;
pub mod labels;
pub mod lexicon;
pub mod sample;
pub mod score;
pub mod tone;

use crate::core::{
    embed::{Embedder, EncoderBackend},
    error::{ErrorCode, ScoutError},
    extract::Article,
    text::{LexicalSimilarity, centroid_scores, paragraph_ranges, select_candidates, split_sentences, stem, words},
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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

/// Softmax temperatures over the scores of [`set_scores`], fitted (minimum NLL) on tests/t1/classify_eval.json.
pub const TEMPERATURE_TOPIC: f32 = 0.041;
/// Content type: its scores are already the logits of a fitted model ([`content_type`]).
pub const TEMPERATURE_CONTENT_TYPE: f32 = 1.0;
pub const TEMPERATURE_TONE: f32 = 0.13;
/// Custom labels have no data to fit on; they use the topic temperature fitted before topic's keyword prior was
/// smoothed (template descriptions are topic-like; user labels have no keyword lists, so their spread is that one).
pub const TEMPERATURE_CUSTOM: f32 = 0.057;

/// A prediction is `uncertain` when the top two probabilities differ by less than this. On the eval set, topic
/// predictions under it were right 1 time in 7 (95% above it); content type 50% vs 67%; tone 31% vs 72%.
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

    /// Page-level scoring parameters of this set (chosen on the eval set, see tests/t1_classify.rs). Tone is
    /// classified by [`tone`]; its parameters here only serve [`raw_scores`].
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
    /// One vector per [`PageSample::texts`] entry (title, then chunks).
    pub chunks: Vec<Vec<f32>>,
    /// The sample's sentences ([`PageSample::sentences`]) and one vector each, for tone.
    pub sentences: Vec<String>,
    pub sentence_vectors: Vec<Vec<f32>>,
}

/// Embed a page sample: its texts and its sentences (each distinct text once), in one `embed` call. Fails with `EmptyPage` when there is
/// no text.
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
    let sentences = page.sentences();
    // A short chunk is often one sentence, and the title is one too: each distinct text is embedded once.
    let mut unique: Vec<&str> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    let at: Vec<usize> = texts
        .iter()
        .copied()
        .chain(sentences.iter().map(String::as_str))
        .map(|t| {
            *slot.entry(t).or_insert_with(|| {
                unique.push(t);
                unique.len() - 1
            })
        })
        .collect();
    let embedded = embedder.embed(&unique).await?;
    let mut vectors: Vec<Vec<f32>> = at
        .iter()
        .map(|&i| embedded.get(i).cloned().unwrap_or_default())
        .collect();
    let sentence_vectors = vectors.split_off(texts.len().min(vectors.len()));
    Ok(PageEmbedding {
        chunks: vectors,
        sentences,
        sentence_vectors,
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

/// Weight of the keyword prior ([`keyword::keyword_prior`]) added to the embedding scores (cosine units), for topic
/// and the user's labels (content type and tone have models of their own). Chosen on the first labelled set with
/// the prior's smoothing (tests/t1_classify.rs, `CLASSIFY_SWEEP=1`: 0.32 / 0.5 / 0.8 gave 0.874 / 0.897 / 0.885).
pub const KEYWORD_WEIGHT: f32 = 0.5;

/// Embedding scores plus [`KEYWORD_WEIGHT`] times the keyword prior.
pub fn combined_scores(embedding: &[f32], keyword_probs: &[f32]) -> Vec<f32> {
    embedding
        .iter()
        .enumerate()
        .map(|(i, s)| s + KEYWORD_WEIGHT * keyword_probs.get(i).copied().unwrap_or(0.0))
        .collect()
}

/// The scores that the softmax calibrates, in label order. Tone: the sentence model ([`tone`]). Content type: the
/// fitted model of form ([`content_type`]). Other sets: the page's similarity to the label descriptions plus the
/// keyword prior ([`combined_scores`]); topic also reads the page's content-type probabilities `genre` (by id; empty
/// for the other sets) through [`genre::genre_evidence`].
pub fn set_scores(
    page: &PageSample,
    emb: &PageEmbedding,
    entry: &EmbeddedSet,
    set: &LabelSet,
    genre: &[LabelScore],
) -> Vec<f32> {
    if *set == LabelSet::Tone {
        return tone::tone_scores(
            &entry.labels,
            &entry.descriptions,
            &emb.sentences,
            &emb.sentence_vectors,
            &tone::DEFAULT_TONE,
        );
    }
    if *set == LabelSet::ContentType {
        let ids: Vec<&str> = entry.labels.iter().map(|l| l.id.as_str()).collect();
        let has_title = !page.title.trim().is_empty();
        return content_type::content_type_logits(
            &ids,
            &emb.sentences,
            &emb.sentence_vectors,
            has_title,
            &entry.descriptions,
            &page.declared_types,
        );
    }
    let raw = score::label_scores(&emb.chunks, &entry.descriptions, &set.score_params());
    let kw = keyword::keyword_prior(&keyword::keyword_hits(page, &entry.labels));
    let mut scores = combined_scores(&raw, &kw);
    if *set == LabelSet::Topic {
        for (s, g) in scores.iter_mut().zip(genre::genre_evidence(&entry.labels, genre)) {
            *s += g;
        }
    }
    scores
}

/// Classify an already embedded page (`emb` must come from `page`). Topic first classifies the content type, which
/// it reads as evidence ([`genre`]).
pub async fn classify_embedded<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    page: &PageSample,
    emb: &PageEmbedding,
    set: &LabelSet,
) -> Result<Classification, ScoutError> {
    let genre = if *set == LabelSet::Topic {
        classify_with(embedder, index, page, emb, &LabelSet::ContentType, &[])
            .await?
            .labels
    } else {
        Vec::new()
    };
    classify_with(embedder, index, page, emb, set, &genre).await
}

/// Classify an already embedded page against `set`, with the content-type probabilities `genre` that topic reads
/// (empty for the other sets).
pub(super) async fn classify_with<B: EncoderBackend>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    page: &PageSample,
    emb: &PageEmbedding,
    set: &LabelSet,
    genre: &[LabelScore],
) -> Result<Classification, ScoutError> {
    let entry = index.get_or_embed(embedder, set).await?;
    let probs = calibrate::softmax(&set_scores(page, emb, entry, set, genre), set.temperature());
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

/// The keyword baseline: keyword hit counts normalized into a distribution.
pub fn keyword_baseline(page: &PageSample, set: &LabelSet) -> Classification {
    let labels = set.labels();
    let probs = keyword::keyword_distribution(&keyword::keyword_hits(page, &labels), 0.0);
    let mut c = Classification::from_probs(set, &labels, &probs);
    c.uncertain = calibrate::is_uncertain(&probs, KEYWORD_UNCERTAIN_MARGIN);
    c
}

#[cfg(test)]
mod tests;
