//! Questions about a page (T1): extract passages, build (or reuse) the passage index, rank, and shape the reply.

use super::embed::{Embedder, EncoderBackend};
use super::error::{ErrorCode, ScoutError};
use super::extract::{ExtractOptions, Passage, extract};
use super::hash::content_hash;
use super::protocol::{AnswerOut, AnswersReply, PageContent, QaTimings, Tier};
use super::retrieve::{AskOptions, AskResult, IndexOptions, PassageIndex, ask, build_index};
use super::store::Clock;

/// Passage indexes of the last few pages asked about, so follow-up questions cost one embedding.
#[derive(Default)]
pub struct IndexCache {
    entries: Vec<(String, PassageIndex)>,
}

const CACHED_PAGES: usize = 4;

impl IndexCache {
    fn take(&mut self, key: &str) -> Option<PassageIndex> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    fn put(&mut self, key: String, index: PassageIndex) {
        self.entries.push((key, index));
        if self.entries.len() > CACHED_PAGES {
            self.entries.remove(0);
        }
    }
}

/// The passages of a captured page (a selection is one passage per paragraph).
pub fn page_passages(page: &PageContent) -> Result<(String, Vec<Passage>), ScoutError> {
    if let Some(html) = page
        .html
        .as_deref()
        .filter(|h| !page.is_selection && !h.trim().is_empty())
    {
        let opts = ExtractOptions {
            url: Some(page.url.clone()),
            ..Default::default()
        };
        if let Ok(a) = extract(html, &opts)
            && !a.passages.is_empty()
        {
            let title = if a.title.trim().is_empty() {
                page.title.clone()
            } else {
                a.title
            };
            return Ok((title, a.passages));
        }
    }
    let passages: Vec<Passage> = page
        .text
        .as_deref()
        .unwrap_or("")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .enumerate()
        .map(|(i, text)| Passage {
            id: format!("p{i}"),
            heading: None,
            text,
            nodes: Vec::new(),
        })
        .collect();
    if passages.is_empty() {
        return Err(ScoutError::new(
            ErrorCode::EmptyPage,
            "This page has no text to answer from.",
        ));
    }
    Ok((page.title.clone(), passages))
}

pub async fn answer<B: EncoderBackend, C: Clock>(
    embedder: &mut Embedder<B>,
    cache: &mut IndexCache,
    clock: &C,
    page: &PageContent,
    question: &str,
    top_k: usize,
) -> Result<AnswersReply, ScoutError> {
    let t0 = clock.now_ms();
    let (title, passages) = page_passages(page)?;
    let key = {
        let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
        format!("{}|{}", page.url, content_hash(&texts))
    };
    let (index, index_cached) = match cache.take(&key) {
        Some(ix) => (ix, true),
        None => (build_index(embedder, &passages, &IndexOptions::default()).await?, false),
    };
    let t_index = clock.now_ms();
    let opts = AskOptions {
        top_k: top_k.clamp(1, 10),
        ..Default::default()
    };
    let result = ask(embedder, &index, question, &opts).await;
    cache.put(key, index);
    let result = result?;
    let t_end = clock.now_ms();
    let (answers, no_answer) = match result {
        AskResult::Answers(a) => (
            a.into_iter()
                .map(|a| AnswerOut {
                    id: a.id,
                    heading: a.heading,
                    text: a.text,
                    quote: a.quote,
                    nodes: a.nodes,
                    score: a.score,
                })
                .collect(),
            None,
        ),
        AskResult::NoAnswer { reason, .. } => (Vec::new(), Some(reason.message().to_string())),
    };
    Ok(AnswersReply {
        url: page.url.clone(),
        title,
        question: question.to_string(),
        tier: Tier::T1,
        ep: embedder.backend.ep(),
        answers,
        no_answer,
        index_cached,
        timings: QaTimings {
            index_ms: t_index - t0,
            query_ms: t_end - t_index,
            total_ms: t_end - t0,
        },
    })
}
