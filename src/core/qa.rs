//! Questions about a page (T1): extract passages, build (or reuse) the passage index, rank, and shape the reply.

use super::embed::{Embedder, EncoderBackend};
use super::error::ScoutError;
use super::page::read_page;
use super::phrase::Phrase;
use super::protocol::{AnswerOut, AnswersReply, PageContent, QaTimings, Tier};
use super::retrieve::{AskOptions, AskResult, IndexOptions, PassageIndex, ask, build_index};
use super::store::Clock;
use super::vectors::VectorStore;

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

/// Answer `question` from `page` with `embedder` (named `model` in the reply), scored by `opts` (the embedder's
/// calibration: [`AskOptions::calibrated`]).
#[allow(clippy::too_many_arguments)]
pub async fn answer<B: EncoderBackend, V: VectorStore, C: Clock>(
    embedder: &mut Embedder<B>,
    cache: &mut IndexCache,
    store: &V,
    clock: &C,
    page: &PageContent,
    question: &str,
    opts: &AskOptions,
    model: &str,
) -> Result<AnswersReply, ScoutError> {
    let t0 = clock.now_ms();
    let read = read_page(page)?;
    let (title, passages) = (read.title, read.passages);
    // Each embedder has its own index of a page (vectors of one model mean nothing to another).
    let key = format!("{}|{}|{}", page.url, read.content_hash, embedder.model_tag);
    let mark = embedder.open_page(store, &page.url, &read.content_hash).await;
    let (index, index_cached) = match cache.take(&key) {
        Some(ix) => (Ok(ix), true),
        None => (build_index(embedder, &passages, &IndexOptions::default()).await, false),
    };
    let t_index = clock.now_ms();
    let opts = AskOptions {
        top_k: opts.top_k.clamp(1, 10),
        ..*opts
    };
    let result = match index {
        Ok(index) => {
            let result = ask(embedder, &index, question, &opts).await;
            cache.put(key, index);
            result
        }
        Err(e) => Err(e),
    };
    let vectors = embedder.close_page(store, mark).await;
    let result = result?;
    let t_end = clock.now_ms();
    let out = |a: Vec<crate::core::retrieve::Answer>| -> Vec<AnswerOut> {
        a.into_iter()
            .map(|a| AnswerOut {
                id: a.id,
                heading: a.heading,
                text: a.text,
                quote: a.quote,
                nodes: a.nodes,
                score: a.score,
            })
            .collect()
    };
    let (answers, no_answer, caution) = match result {
        AskResult::Answers(a) => (out(a), None, None),
        AskResult::Unsure(a) => (out(a), None, Some(Phrase::of("engUnsureAnswer"))),
        AskResult::NoAnswer { reason, .. } => (Vec::new(), Some(reason.phrase()), None),
    };
    Ok(AnswersReply {
        url: page.url.clone(),
        title,
        question: question.to_string(),
        tier: Tier::T1,
        model: model.to_string(),
        ep: embedder.backend.ep(),
        answers,
        no_answer,
        caution,
        hint: None,
        index_cached,
        timings: QaTimings {
            index_ms: t_index - t0,
            query_ms: t_end - t_index,
            total_ms: t_end - t0,
        },
        vectors,
    })
}
