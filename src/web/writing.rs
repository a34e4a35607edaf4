//! A `write` request as both writers take it (T2, a local model; T3, the user's endpoint): the page, the job, the
//! wording variant and the stream its text goes out on, plus the T1 retrieval a chat turn starts from.

use super::js::PerfClock;
use super::stream::Stream;
use crate::core::embed::{Embedder, EncoderBackend};
use crate::core::error::ScoutError;
use crate::core::protocol::{PageContent, WriteJob};
use crate::core::qa;
use crate::core::retrieve::AskOptions;
use crate::core::vectors::VectorStore;
use crate::core::writer::chat::{Source, writer_sources};

/// Passages a chat question gets: the best four, as the grounded prompt numbers them.
pub const CHAT_PASSAGES: usize = 4;

pub struct Writing<'a> {
    pub page: &'a PageContent,
    pub job: &'a WriteJob,
    /// Sample with this seed (Regenerate) instead of the writer's default decoding.
    pub variant: Option<u64>,
    pub stream: Stream,
}

/// The engine's T1 parts a chat turn retrieves with (the embedder, its per-page index cache, stored page vectors).
pub struct Retrieval<'a, B: EncoderBackend, V: VectorStore> {
    pub embedder: &'a mut Embedder<B>,
    /// How the embedder's scores are read (its calibration; `top_k` passages are taken).
    pub opts: AskOptions,
    /// The embedder's display name.
    pub model: String,
    pub qa_cache: &'a mut qa::IndexCache,
    pub store: &'a V,
}

impl<B: EncoderBackend, V: VectorStore> Retrieval<'_, B, V> {
    /// The page's title and the passages that answer `question`, best first (none: the page does not answer).
    pub async fn passages(&mut self, page: &PageContent, question: &str) -> Result<(String, Vec<Source>), ScoutError> {
        let found = qa::answer(
            self.embedder,
            self.qa_cache,
            self.store,
            &PerfClock,
            page,
            question,
            &self.opts,
            &self.model,
        )
        .await?;
        let sources = writer_sources(&found);
        Ok((found.title, sources))
    }
}
