//! From a captured page to an answer: extract → split → (embed) → rank → store. Pure: the model, the store and the
//! clock are passed in.

use super::embed::{Embedder, EncoderBackend};
use super::error::{ErrorCode, ScoutError};
use super::page::{ReadablePage, read_page};
use super::phrase::Phrase;
use super::protocol::{Coverage, PageContent, SummaryReply, Tier, TierRequest, Timings, VectorUse};
use super::store::{Clock, ResultStore, summary_key};
use super::text::{
    self, LexicalSimilarity, MatrixSimilarity, ScatteredSimilarity, Similarity, SourceSentence, SummaryOptions,
};
use super::vectors::VectorStore;

/// At most this many sentences are embedded and ranked; longer pages report their coverage.
pub const MAX_RANKED_SENTENCES: usize = 400;

/// The embedding tier embeds at most this many sentences per summary, the best by a cheap score and the prior,
/// so its time is bounded whatever the page's length. Measured with `cargo run --release --example t1_budget`
/// over the corpus: a 96-sentence shortlist keeps 0.91 of the sentences the full ranking picks (64: 0.84), at
/// 0.83 of the tokens on pages of 40 sentences or more; the no-model summary shares 0.56 with it.
pub const T1_EMBED_BUDGET: usize = 96;

/// Everything the summarize flow needs from its surroundings.
pub struct SummarizeContext<'a, B, S, C> {
    /// The bundled embedder, if it loaded (None → T0 only).
    pub embedder: Option<&'a mut Embedder<B>>,
    /// Why the embedder is missing, reported when the user asked for T1.
    pub embedder_error: Option<String>,
    pub model_id: Option<&'a str>,
    pub store: &'a S,
    pub clock: &'a C,
    /// Wall-clock time of the request (ms since the epoch), kept with the stored result to tell its age later.
    pub wall_ms: f64,
    /// Checked between model batches: the user may stop a long job.
    pub cancelled: &'a dyn Fn() -> bool,
}

pub async fn summarize<B: EncoderBackend, S: ResultStore + VectorStore, C: Clock>(
    ctx: SummarizeContext<'_, B, S, C>,
    page: &PageContent,
    options: &SummaryOptions,
    tier: TierRequest,
    refresh: bool,
) -> Result<SummaryReply, ScoutError> {
    let t0 = ctx.clock.now_ms();
    let pt = read_page(page)?;
    let text = pt.text();
    let hash = pt.content_hash.clone();
    let want_t1 = tier != TierRequest::T0;
    let key = summary_key(
        &page.url,
        &hash,
        &options_key(options, want_t1.then_some(ctx.model_id.unwrap_or("none"))),
    );
    if !refresh
        && let Ok(Some(stored)) = ctx.store.get(&key).await
        && let Ok(mut reply) = serde_json::from_str::<SummaryReply>(&stored)
    {
        reply.cached = true;
        reply.timings.total_ms = ctx.clock.now_ms() - t0;
        return Ok(reply);
    }

    // Long pages: rank a bounded set of candidates chosen across the whole page, and say so (coverage).
    let RankedSentences { total, keep, sentences } = ranked_sentences(&pt);
    let t_extract = ctx.clock.now_ms();

    let mut fallback_reason = None;
    let mut ep = "none".to_string();
    let mut tier_used = Tier::T0;
    let mut embed_ms = 0.0;
    let mut vector_use = VectorUse::default();
    let texts: Vec<&str> = sentences.iter().map(|s| s.text).collect();
    let title = (!pt.title.is_empty()).then_some(pt.title.as_str());
    // The sentences the ranking may choose from: all of them, or the embedding tier's shortlist.
    let mut pool: Option<Vec<usize>> = None;
    let sim: Box<dyn Similarity> = match (want_t1, ctx.embedder) {
        (true, Some(embedder)) => {
            let shortlist = text::shortlist(&sentences, title, options, T1_EMBED_BUDGET);
            let short_texts: Vec<&str> = shortlist.iter().map(|&i| texts[i]).collect();
            match embed_page_texts(embedder, ctx.store, &page.url, &hash, &short_texts, ctx.cancelled).await {
                (Ok(vectors), used) => {
                    vector_use = used;
                    ep = embedder.backend.ep();
                    tier_used = Tier::T1;
                    embed_ms = ctx.clock.now_ms() - t_extract;
                    let sim = ScatteredSimilarity::new(
                        MatrixSimilarity::from_embeddings(&vectors),
                        &shortlist,
                        sentences.len(),
                    );
                    pool = Some(shortlist);
                    Box::new(sim)
                }
                (Err(e), _) if e.code == ErrorCode::Cancelled => return Err(e),
                (Err(e), _) => {
                    fallback_reason = Some(Phrase::new("engFallbackEmbedFailed", vec![e.message.into()]));
                    Box::new(LexicalSimilarity::new(&texts))
                }
            }
        }
        (true, None) => {
            fallback_reason = Some(match &ctx.embedder_error {
                Some(e) => Phrase::new("engFallbackEmbedderError", vec![e.clone().into()]),
                None => Phrase::of("engFallbackNoEmbedder"),
            });
            Box::new(LexicalSimilarity::new(&texts))
        }
        (false, _) => Box::new(LexicalSimilarity::new(&texts)),
    };
    let t_rank = ctx.clock.now_ms();
    let summary = text::summarize_in(&sentences, sim.as_ref(), title, options, pool.as_deref());
    let keywords = text::keywords_for(&text, pt.lang.as_deref(), 8)
        .into_iter()
        .map(|k| k.term)
        .collect();
    let mut summary = summary;
    // Sentence indices refer to the page's sentences, not to the ranked subset.
    for s in &mut summary.sentences {
        s.index = keep.get(s.index).copied().unwrap_or(s.index);
    }
    let t_end = ctx.clock.now_ms();

    let reply = SummaryReply {
        url: page.url.clone(),
        title: pt.title.clone(),
        tier: tier_used,
        ep,
        model: if tier_used == Tier::T1 {
            ctx.model_id.map(str::to_string)
        } else {
            None
        },
        summary,
        keywords,
        lang: pt.lang.clone(),
        reading_minutes: text::reading_time_minutes(&text, pt.lang.as_deref()),
        word_count: text::reading_time::word_count(&text),
        readerable: pt.readerable,
        content_hash: hash,
        coverage: Coverage {
            sentences_used: sentences.len(),
            sentences_total: total,
            percent: if total == 0 {
                100.0
            } else {
                100.0 * sentences.len() as f32 / total as f32
            },
        },
        timings: Timings {
            extract_ms: t_extract - t0,
            embed_ms,
            rank_ms: t_end - t_rank,
            total_ms: t_end - t0,
        },
        cached: false,
        created_ms: Some(ctx.wall_ms),
        fallback_reason,
        vectors: vector_use,
    };
    if let Ok(json) = serde_json::to_string(&reply) {
        // A store failure must not cost the user the answer; the next request recomputes.
        let _ = ctx.store.put(&key, &json).await;
    }
    Ok(reply)
}

/// What a stored summary depends on besides the page: the options, and the model (None: no model, T0).
fn options_key(options: &SummaryOptions, model_id: Option<&str>) -> String {
    format!(
        "{}|{}",
        serde_json::to_string(options).unwrap_or_default(),
        model_id.unwrap_or("t0")
    )
}

/// The stored summary of this page's current content with these options, if there is one: by the model when it
/// exists, else the no-model one. Computes nothing: what a popup shows the moment it opens.
pub async fn stored_summary<S: ResultStore>(
    store: &S,
    clock: &dyn Clock,
    page: &PageContent,
    options: &SummaryOptions,
    model_id: Option<&str>,
) -> Result<Option<SummaryReply>, ScoutError> {
    let t0 = clock.now_ms();
    let pt = read_page(page)?;
    for model in model_id.map(Some).into_iter().chain([None]) {
        let key = summary_key(&page.url, &pt.content_hash, &options_key(options, model));
        if let Ok(Some(stored)) = store.get(&key).await
            && let Ok(mut reply) = serde_json::from_str::<SummaryReply>(&stored)
        {
            reply.cached = true;
            reply.timings.total_ms = clock.now_ms() - t0;
            return Ok(Some(reply));
        }
    }
    Ok(None)
}

/// The sentences a summary ranks: on a long page a bounded set of candidates chosen across the whole page.
pub struct RankedSentences<'a> {
    /// The page's sentences a summary may quote ([`summary_sentences`]).
    pub total: usize,
    /// Each ranked sentence's index among those.
    pub keep: Vec<usize>,
    pub sentences: Vec<SourceSentence<'a>>,
}

/// The sentences the summary of `pt` ranks (at most [`MAX_RANKED_SENTENCES`]).
pub fn ranked_sentences(pt: &ReadablePage) -> RankedSentences<'_> {
    let all = summary_sentences(pt);
    let keep = text::select_candidates(&all.iter().map(|s| s.text).collect::<Vec<_>>(), MAX_RANKED_SENTENCES);
    let sentences = keep.iter().filter_map(|&i| all.get(i).copied()).collect();
    RankedSentences {
        total: all.len(),
        keep,
        sentences,
    }
}

/// The sentences a summary may quote, in page order: those of the rankable blocks.
pub fn summary_sentences(pt: &ReadablePage) -> Vec<SourceSentence<'_>> {
    let mut all = Vec::new();
    for (bi, block) in pt.blocks.iter().enumerate() {
        if !pt.rankable(bi) {
            continue;
        }
        let block = block.text.as_str();
        for s in text::split_sentences(block) {
            let t = block.get(s.start..s.end).unwrap_or("").trim();
            if !t.is_empty() {
                all.push(SourceSentence {
                    text: t,
                    block: Some(bi),
                });
            }
        }
    }
    all
}

/// Embed texts of one page, reusing and extending the page's stored vectors.
pub async fn embed_page_texts<B: EncoderBackend, V: VectorStore>(
    embedder: &mut Embedder<B>,
    store: &V,
    url: &str,
    content_hash: &str,
    texts: &[&str],
    cancelled: &dyn Fn() -> bool,
) -> (Result<Vec<Vec<f32>>, ScoutError>, VectorUse) {
    let mark = embedder.open_page(store, url, content_hash).await;
    let result = embedder.embed_cancellable(texts, cancelled).await;
    // Saved even when cancelled: the vectors computed so far are not lost.
    let used = embedder.close_page(store, mark).await;
    (result, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::embed::fake::FakeEncoder;
    use crate::core::embed::{EmbedTokenizer, Embedder};
    use crate::core::store::MemoryStore;
    use std::cell::Cell;

    struct StepClock(Cell<f64>);
    impl Clock for StepClock {
        fn now_ms(&self) -> f64 {
            self.0.set(self.0.get() + 1.0);
            self.0.get()
        }
    }

    fn page() -> PageContent {
        PageContent {
            url: "http://127.0.0.1/a".into(),
            title: "Bridge vote".into(),
            text: Some(
                "The council voted to rebuild the bridge. The plan costs 48 million dollars.\n\
                 Traffic will use one lane during construction. Business owners welcomed the plan.\n\
                 Work starts in March and lasts eighteen months."
                    .into(),
            ),
            ..Default::default()
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        pollster::block_on(f)
    }

    #[test]
    fn t0_summary_is_stored_and_served_from_store() {
        let store = MemoryStore::default();
        let clock = StepClock(Cell::new(0.0));
        let opts = SummaryOptions::default();
        let ctx = || SummarizeContext::<FakeEncoder, _, _> {
            embedder: None,
            embedder_error: Some("no model".into()),
            model_id: None,
            store: &store,
            clock: &clock,
            wall_ms: 1.0e12,
            cancelled: &|| false,
        };
        let r = block_on(summarize(ctx(), &page(), &opts, TierRequest::Auto, false)).unwrap();
        assert_eq!(r.tier, Tier::T0);
        let why = r.fallback_reason.unwrap();
        assert_eq!(
            (why.key.as_str(), why.text.ends_with(": no model")),
            ("engFallbackEmbedderError", true)
        );
        assert!(!r.cached);
        let text = page().text.unwrap();
        for s in &r.summary.sentences {
            assert!(text.contains(&s.text), "{}", s.text);
        }
        assert_eq!(store.len(), 1);
        let again = block_on(summarize(ctx(), &page(), &opts, TierRequest::Auto, false)).unwrap();
        assert!(again.cached);
        assert_eq!(again.summary, r.summary);
    }

    #[test]
    fn a_stored_summary_is_found_without_computing_and_knows_its_age() {
        let store = MemoryStore::default();
        let clock = StepClock(Cell::new(0.0));
        let opts = SummaryOptions::default();
        let none = block_on(stored_summary(&store, &clock, &page(), &opts, Some("m"))).unwrap();
        assert!(none.is_none(), "nothing stored yet");
        let ctx = SummarizeContext::<FakeEncoder, _, _> {
            embedder: None,
            embedder_error: None,
            model_id: Some("m"),
            store: &store,
            clock: &clock,
            wall_ms: 1.5e12,
            cancelled: &|| false,
        };
        let r = block_on(summarize(ctx, &page(), &opts, TierRequest::T0, false)).unwrap();
        let found = block_on(stored_summary(&store, &clock, &page(), &opts, Some("m")))
            .unwrap()
            .expect("the no-model summary is found when the model's is not");
        assert!(found.cached);
        assert_eq!((found.summary, found.created_ms), (r.summary, Some(1.5e12)));
        let other = SummaryOptions {
            length: crate::core::text::summary::SummaryLength::Long,
            ..opts
        };
        assert!(
            block_on(stored_summary(&store, &clock, &page(), &other, Some("m")))
                .unwrap()
                .is_none()
        );
        let mut changed = page();
        changed.text = Some(format!(
            "{} One more sentence about something else.",
            changed.text.unwrap()
        ));
        changed.html = None;
        assert!(
            block_on(stored_summary(&store, &clock, &changed, &opts, Some("m")))
                .unwrap()
                .is_none(),
            "changed content is not served from the store"
        );
    }

    #[test]
    fn empty_page_is_a_typed_error() {
        let store = MemoryStore::default();
        let clock = StepClock(Cell::new(0.0));
        let ctx = SummarizeContext::<FakeEncoder, _, _> {
            embedder: None,
            embedder_error: None,
            model_id: None,
            store: &store,
            clock: &clock,
            wall_ms: 1.0e12,
            cancelled: &|| false,
        };
        let mut p = page();
        p.text = Some("  \n ".into());
        let e = block_on(summarize(ctx, &p, &SummaryOptions::default(), TierRequest::Auto, false)).unwrap_err();
        assert_eq!(e.code, ErrorCode::EmptyPage);
    }

    /// The real MiniLM tokenizer in front of the fake encoder.
    fn fake_embedder() -> Embedder<FakeEncoder> {
        let tok = crate::core::test_support::read_fetched(&crate::core::test_support::minilm_tokenizer_path());
        Embedder::new(
            EmbedTokenizer::from_bytes(&tok, 256).unwrap(),
            FakeEncoder { dims: 32, calls: 0 },
            32,
        )
    }

    /// The context of a T1 request with the fake encoder.
    fn t1_ctx<'a>(
        embedder: &'a mut Embedder<FakeEncoder>,
        store: &'a MemoryStore,
        clock: &'a StepClock,
        cancelled: &'a dyn Fn() -> bool,
    ) -> SummarizeContext<'a, FakeEncoder, MemoryStore, StepClock> {
        SummarizeContext {
            embedder: Some(embedder),
            embedder_error: None,
            model_id: Some("m"),
            store,
            clock,
            wall_ms: 1.0e12,
            cancelled,
        }
    }

    #[test]
    fn a_new_session_reuses_the_stored_page_vectors() {
        let fresh = || fake_embedder().with_model_tag("fake@1");
        let store = MemoryStore::default();
        let clock = StepClock(Cell::new(0.0));
        let opts = SummaryOptions::default();
        let mut first = fresh();
        let ctx = t1_ctx(&mut first, &store, &clock, &|| false);
        let a = block_on(summarize(ctx, &page(), &opts, TierRequest::Auto, false)).unwrap();
        assert!(a.vectors.computed > 0 && a.vectors.stored == 0, "{:?}", a.vectors);
        assert_eq!(store.vector_ids().len(), 1);
        // A "restart": a new embedder with an empty memory cache, the same store.
        let mut second = fresh();
        let ctx = t1_ctx(&mut second, &store, &clock, &|| false);
        let b = block_on(summarize(ctx, &page(), &opts, TierRequest::Auto, true)).unwrap();
        assert_eq!(b.vectors.computed, 0);
        assert_eq!(b.vectors.stored, a.vectors.computed);
        assert_eq!(second.backend.calls, 0, "the model did not run");
        assert_eq!(b.summary, a.summary);
        // Another model (or revision) does not reuse them.
        let mut other = fresh().with_model_tag("fake@2");
        let ctx = t1_ctx(&mut other, &store, &clock, &|| false);
        let c = block_on(summarize(ctx, &page(), &opts, TierRequest::Auto, true)).unwrap();
        assert_eq!(c.vectors.stored, 0);
        assert!(c.vectors.computed > 0);
        // Changed content replaces the page's record.
        let mut changed = page();
        changed.text = Some("The council voted to close the bridge for good. Nobody objected.".into());
        let ctx = t1_ctx(&mut second, &store, &clock, &|| false);
        block_on(summarize(ctx, &changed, &opts, TierRequest::Auto, true)).unwrap();
        let ids = store.vector_ids();
        assert_eq!(ids.iter().filter(|i| i.starts_with("fake@1|")).count(), 1, "{ids:?}");
    }

    #[test]
    fn t1_uses_the_embedder() {
        let mut embedder = fake_embedder();
        let store = MemoryStore::default();
        let clock = StepClock(Cell::new(0.0));
        let ctx = t1_ctx(&mut embedder, &store, &clock, &|| false);
        let r = block_on(summarize(
            ctx,
            &page(),
            &SummaryOptions::default(),
            TierRequest::Auto,
            false,
        ))
        .unwrap();
        assert_eq!(r.tier, Tier::T1);
        assert_eq!(r.ep, "fake");
        assert_eq!(r.model.as_deref(), Some("m"));
        let calls = embedder.backend.calls;
        assert!(calls >= 1);
        // A recomputation of the same page hits the embedding cache: no model run.
        let ctx = t1_ctx(&mut embedder, &store, &clock, &|| false);
        let again = block_on(summarize(
            ctx,
            &page(),
            &SummaryOptions::default(),
            TierRequest::Auto,
            true,
        ))
        .unwrap();
        assert_eq!(again.summary, r.summary);
        assert_eq!(embedder.backend.calls, calls);
        // A cancelled job stops with a typed error instead of falling back.
        let mut p2 = page();
        p2.text = Some("Fresh sentences never seen before. They need the model to run again.".into());
        let ctx = t1_ctx(&mut embedder, &store, &clock, &|| true);
        let e = block_on(summarize(ctx, &p2, &SummaryOptions::default(), TierRequest::Auto, true)).unwrap_err();
        assert_eq!(e.code, ErrorCode::Cancelled);
    }
}
