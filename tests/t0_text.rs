//! T0 text toolkit: segmentation, language, ranking, summaries, keywords (pure core, native).

#[path = "t0_text/common/mod.rs"]
mod common;
#[path = "t0_text/keywords.rs"]
mod keywords;
#[path = "t0_text/lang.rs"]
mod lang;
#[path = "t0_text/props.rs"]
mod props;
#[path = "t0_text/rank.rs"]
mod rank;
#[path = "t0_text/segmentation.rs"]
mod segmentation;
#[path = "t0_text/speed.rs"]
mod speed;
#[path = "t0_text/summaries.rs"]
mod summaries;
