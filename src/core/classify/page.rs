//! Classify a captured page against several label sets at once (the page is embedded once).

use super::{Classification, LabelIndex, LabelSet, PageSample, classify_embedded, classify_with, embed_page};
use crate::core::embed::{Embedder, EncoderBackend};
use crate::core::error::ScoutError;
use crate::core::page::read_page;
use crate::core::protocol::{ClassifyReply, PageContent, Tier};
use crate::core::store::Clock;
use crate::core::vectors::VectorStore;

pub async fn classify_page<B: EncoderBackend, V: VectorStore, C: Clock>(
    embedder: &mut Embedder<B>,
    index: &mut LabelIndex,
    store: &V,
    clock: &C,
    page: &PageContent,
    custom: &[String],
) -> Result<ClassifyReply, ScoutError> {
    let t0 = clock.now_ms();
    let pt = read_page(page)?;
    let blocks = pt.block_texts();
    let sample =
        PageSample::from_passages(&pt.title, &blocks, &super::DEFAULT_SAMPLE).with_declared(&pt.declared_types);
    let mark = embedder.open_page(store, &page.url, &pt.content_hash).await;
    let emb = embed_page(embedder, &sample).await;
    // Closed before the labels are embedded: label vectors are not the page's.
    let vectors = embedder.close_page(store, mark).await;
    let emb = emb?;
    let mut sets = vec![LabelSet::Topic, LabelSet::ContentType, LabelSet::Tone];
    let custom: Vec<String> = custom
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if custom.len() >= 2 {
        sets.push(LabelSet::Custom(custom));
    }
    // Topic reads the content type (genre.rs): it is classified once, shown, and lent to topic.
    let content_type = classify_embedded(embedder, index, &sample, &emb, &LabelSet::ContentType).await?;
    let mut results: Vec<Classification> = Vec::new();
    for set in &sets {
        results.push(match set {
            LabelSet::ContentType => content_type.clone(),
            LabelSet::Topic => classify_with(embedder, index, &sample, &emb, set, &content_type.labels).await?,
            _ => classify_embedded(embedder, index, &sample, &emb, set).await?,
        });
    }
    Ok(ClassifyReply {
        url: page.url.clone(),
        title: pt.title,
        lang: pt.lang,
        tier: Tier::T1,
        ep: embedder.backend.ep(),
        results,
        ms: clock.now_ms() - t0,
        vectors,
    })
}
