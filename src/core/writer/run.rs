//! Running T2 jobs on a [`Generator`]: a summary of a page (one pass when it fits the context, else notes on each
//! part and a summary of the notes, with the share of the page covered), and a grounded chat turn.

use serde::Serialize;

use super::chat::{CheckedAnswer, NOT_FOUND, Source, chat_messages, check_citations, strip_echo};
use super::summary::{notes_messages, shape_summary, summary_messages};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{DecoderBackend, GenerateOptions, Generation, Generator, StopReason};
use crate::core::page::ReadablePage;
use crate::core::protocol::{ChatTurn as Turn, Citation};
use crate::core::store::Clock;
use crate::core::text::summary::{SummaryOptions, SummaryType, headline_words, sentence_count};

/// How much work a job may do.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Tokens per model call, prompt and reply together (at most the model's context): a page that fits is
    /// summarized in one pass.
    pub context: usize,
    /// Tokens per call when a longer page is read in parts. Smaller than `context`: prefill grows faster than
    /// linearly with the prompt (attention, and the cache copied in and out at every call on the web), and each
    /// part's notes are generated too.
    pub part_context: usize,
    /// Parts of a long page read in the map step; the rest is reported as not covered.
    pub max_parts: usize,
    /// Summaries (and the notes of a long page's parts).
    pub generate: GenerateOptions,
    /// Chat answers: short, and with a mild repetition penalty (small models otherwise loop on a sentence; a
    /// summary's bullets must be free to repeat "- ").
    pub answer: GenerateOptions,
}

impl Default for Budget {
    fn default() -> Self {
        let mut answer = GenerateOptions {
            max_new_tokens: 192,
            ..GenerateOptions::default()
        };
        answer.sampling.repetition_penalty = 1.1;
        Budget {
            // A ~2,000-word page (~2,700 tokens) in one pass: SmolLM2-135M on 2 WASM threads took 67 s to read it
            // in two parts and summarize the notes (first text at 58 s, and a summary of the notes rather than of
            // the page), against one pass whose prefill takes ~17 s.
            context: 4096,
            part_context: 2048,
            max_parts: 4,
            generate: GenerateOptions::default(),
            answer,
        }
    }
}

impl Budget {
    /// The default budget, sampling (seeded) instead of greedy: a regenerated text says the same in other words.
    pub fn sampled(seed: u64) -> Budget {
        let mut b = Budget::default();
        for o in [&mut b.generate, &mut b.answer] {
            o.sampling = crate::core::generate::SamplingParams {
                temperature: 0.7,
                top_k: 40,
                top_p: 0.9,
                repetition_penalty: o.sampling.repetition_penalty,
                seed,
            };
        }
        b
    }
}

/// Progress of a job, for the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    /// Reading part `part` (1-based) of `parts` of a long page.
    Reading { part: usize, parts: usize },
    /// Text of the final answer as it is written.
    Text { text: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenSummary {
    /// In the requested shape (what the model wrote in the last pass is `last.text`).
    pub text: String,
    /// Share of the page's tokens the model read (1.0: all).
    pub coverage: f64,
    /// Parts read separately (1: the page fit in one pass).
    pub parts: usize,
    pub page_tokens: usize,
    pub last: Generation,
}

/// Tokens a reply of this kind may take: a generous bound over what the shape keeps.
pub fn reply_tokens(opts: &SummaryOptions) -> usize {
    match opts.kind {
        SummaryType::Headline => headline_words(opts.length) * 3,
        _ => sentence_count(opts.kind, opts.length) * 48 + 32,
    }
}

/// Group consecutive blocks into parts of at most `budget` tokens (a longer block is a part of its own, cut by the
/// caller's context check). Returns block ranges.
fn parts(block_tokens: &[usize], budget: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, &n) in block_tokens.iter().enumerate() {
        if used > 0 && used + n > budget {
            out.push(start..i);
            start = i;
            used = 0;
        }
        used += n;
    }
    if start < block_tokens.len() {
        out.push(start..block_tokens.len());
    }
    out
}

/// The first `tokens` tokens of `text` (decoded back to text), for a single block longer than a part.
fn cut_to_tokens<B: DecoderBackend>(g: &Generator<B>, text: &str, tokens: usize) -> Result<String, ScoutError> {
    let ids = g.encode(text)?;
    if ids.len() <= tokens {
        return Ok(text.to_string());
    }
    let kept = g
        .tokenizer
        .decode(&ids[..tokens], true)
        .map_err(|e| ScoutError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(kept)
}

/// Summarize a page with the LLM, streaming the final pass.
#[allow(clippy::too_many_arguments)]
pub async fn write_summary<B: DecoderBackend>(
    g: &mut Generator<B>,
    page: &ReadablePage,
    opts: &SummaryOptions,
    language: Option<&str>,
    budget: &Budget,
    clock: &dyn Clock,
    cancelled: &dyn Fn() -> bool,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<WrittenSummary, ScoutError> {
    let context = budget.context.min(g.config.max_positions);
    let reply = reply_tokens(opts);
    let overhead = g.chat_prompt(&summary_messages(&page.title, "", opts, language))?.len();
    let room = context.saturating_sub(overhead + reply).max(64);
    let blocks = page.block_texts();
    let block_tokens: Vec<usize> = blocks
        .iter()
        .map(|b| g.encode(b).map(|ids| ids.len() + 1))
        .collect::<Result<_, _>>()?;
    let page_tokens: usize = block_tokens.iter().sum();
    let mut gen_opts = budget.generate.clone();

    // The text the last pass summarizes: the page, or notes on its parts.
    let (source, coverage, parts_read) = if page_tokens <= room {
        (page.text(), 1.0, 1)
    } else {
        let notes_reply = 160;
        let part_context = budget.part_context.min(context);
        let notes_room = part_context.saturating_sub(overhead + notes_reply).max(64);
        let all = parts(&block_tokens, notes_room);
        let read = all.len().min(budget.max_parts.max(1));
        let mut notes = Vec::new();
        let mut covered = 0;
        for (i, range) in all.iter().take(read).enumerate() {
            on_progress(Progress::Reading {
                part: i + 1,
                parts: read,
            });
            let text = cut_to_tokens(g, &blocks[range.clone()].join("\n\n"), notes_room)?;
            covered += block_tokens[range.clone()].iter().sum::<usize>().min(notes_room);
            gen_opts.max_new_tokens = notes_reply;
            let m = notes_messages(&page.title, &text, language);
            let out = g.chat(&m, &gen_opts, clock, cancelled, &mut |_| {}).await?;
            if out.stop == StopReason::Cancelled {
                return Err(ScoutError::new(ErrorCode::Cancelled, "cancelled"));
            }
            notes.push(out.text.trim().to_string());
        }
        let joined = cut_to_tokens(g, &notes.join("\n"), room)?;
        (joined, covered as f64 / page_tokens.max(1) as f64, read)
    };
    gen_opts.max_new_tokens = reply;
    let m = summary_messages(&page.title, &source, opts, language);
    let last = g
        .chat(&m, &gen_opts, clock, cancelled, &mut |t| {
            on_progress(Progress::Text { text: t.to_string() })
        })
        .await?;
    Ok(WrittenSummary {
        text: shape_summary(&last.text, opts),
        coverage,
        parts: parts_read,
        page_tokens,
        last,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenAnswer {
    pub answer: CheckedAnswer,
    /// The passages given to the model, numbered from 1 as in the answer's citations.
    pub sources: Vec<Source>,
    /// None when retrieval found nothing relevant and the model was not asked.
    pub generation: Option<Generation>,
}

impl WrittenAnswer {
    /// The cited passages, in the answer's order of first use.
    /// The passages the answer cites; when it cites none (and did not say the page lacks the answer), those it
    /// evidently draws on, marked `matched`.
    pub fn citations(&self) -> Vec<Citation> {
        let matched = self.answer.cited.is_empty() && !self.answer.text.contains(NOT_FOUND);
        let numbers = if matched {
            super::chat::matched_sources(&self.answer.text, &self.sources)
        } else {
            self.answer.cited.clone()
        };
        numbers
            .into_iter()
            .filter_map(|n| {
                self.sources.get(n.checked_sub(1)?).map(|s| Citation {
                    n,
                    passage: s.id.clone(),
                    text: s.text.clone(),
                    nodes: s.nodes.clone(),
                    matched,
                })
            })
            .collect()
    }
}

impl WrittenAnswer {
    /// What a model wrote, its citations checked against the passages it was given.
    pub fn checked(text: &str, sources: Vec<Source>, generation: Option<Generation>) -> WrittenAnswer {
        WrittenAnswer {
            answer: check_citations(&strip_echo(text), sources.len()),
            sources,
            generation,
        }
    }

    /// Retrieval found nothing relevant: the page does not answer, and no model is asked.
    pub fn not_found() -> WrittenAnswer {
        WrittenAnswer {
            answer: CheckedAnswer {
                text: NOT_FOUND.to_string(),
                cited: vec![],
                invalid: vec![],
            },
            sources: vec![],
            generation: None,
        }
    }
}

/// The page's blocks, in order, that fit in `max_chars` (at least the first, cut), and the share of the page's
/// characters they hold: what a writer with no tokenizer here (T3's endpoint) is given of a long page.
pub fn page_within(page: &ReadablePage, max_chars: usize) -> (String, f64) {
    let blocks = page.block_texts();
    let total: usize = blocks.iter().map(|b| b.chars().count() + 2).sum();
    let mut kept = String::new();
    let mut used = 0;
    for b in &blocks {
        let n = b.chars().count() + 2;
        if used + n > max_chars {
            if used == 0 {
                kept = b.chars().take(max_chars).collect();
                used = max_chars;
            }
            break;
        }
        if !kept.is_empty() {
            kept.push_str("\n\n");
        }
        kept.push_str(b);
        used += n;
    }
    (kept, (used as f64 / total.max(1) as f64).min(1.0))
}

/// One chat turn: `sources` come from retrieval (best first); none means the page does not answer.
#[allow(clippy::too_many_arguments)]
pub async fn write_answer<B: DecoderBackend>(
    g: &mut Generator<B>,
    title: &str,
    history: &[Turn],
    question: &str,
    sources: Vec<Source>,
    budget: &Budget,
    clock: &dyn Clock,
    cancelled: &dyn Fn() -> bool,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<WrittenAnswer, ScoutError> {
    if sources.is_empty() {
        on_progress(Progress::Text {
            text: NOT_FOUND.to_string(),
        });
        return Ok(WrittenAnswer::not_found());
    }
    let m = chat_messages(title, history, question, &sources);
    let out = g
        .chat(&m, &budget.answer, clock, cancelled, &mut |t| {
            on_progress(Progress::Text { text: t.to_string() })
        })
        .await?;
    Ok(WrittenAnswer::checked(&out.text.clone(), sources, Some(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_group_into_parts_within_the_budget() {
        assert_eq!(parts(&[10, 10, 10, 50, 5], 25), vec![0..2, 2..3, 3..4, 4..5]);
        assert_eq!(parts(&[10, 10], 100), vec![0..2]);
        assert!(parts(&[], 10).is_empty());
    }
}
