//! Text processing core for Scout: segmentation, tokenization, language
//! detection, extractive ranking, summaries, keyphrases and reading time.
//!
//! Everything here is pure (no IO, no platform types) and deterministic, so it
//! behaves identically natively and on `wasm32`. Every public function accepts
//! arbitrary input without panicking.
//!
//! The ranking layer is generic over [`rank::Similarity`]: the lexical tier uses
//! [`rank::LexicalSimilarity`] (TF-IDF cosine), and an embedding tier can plug in
//! its own vectors through [`rank::MatrixSimilarity::from_embeddings`] and call
//! [`summary::summarize`] directly.

pub mod attested;
pub mod function_words;
pub mod keywords;
pub mod korean;
pub mod lang;
pub mod prefixes;
pub mod rank;
pub mod reading_time;
pub mod sentences;
pub mod summary;
pub mod tokens;

pub use self::keywords::{Keyword, keywords, keywords_for};
pub use self::lang::{LangGuess, detect_language};
pub use self::rank::{
    LexicalSimilarity, MatrixSimilarity, ScatteredSimilarity, Similarity, SubsetSimilarity, centroid_scores,
    mmr_select, textrank,
};
pub use self::reading_time::reading_time_minutes;
pub use self::sentences::{Sentence, paragraph_ranges, split_sentences};
pub use self::summary::{
    SourceSentence, Summary, SummaryFormat, SummaryLength, SummaryOptions, SummarySentence, SummaryType, best_first,
    select_candidates, shortlist, shortlist_by, summarize, summarize_in, summarize_text,
};
pub use self::tokens::{is_stopword, stem, words};
