//! T0 extraction: corpus quality, robustness, multilingual metadata (pure core, native).

#[path = "t0_extract/corpus.rs"]
mod corpus;
#[path = "t0_extract/multilingual.rs"]
mod multilingual;
#[path = "t0_extract/robustness.rs"]
mod robustness;
