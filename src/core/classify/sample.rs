//! The page representation: the title plus a bounded sample of the text, as a few chunks of about
//! [`SampleParams::chunk_words`] words: the lead of the page (first passages, merged until long enough) and the most
//! central sentences of the rest (lexical TF-IDF centroid), so long pages cost bounded time.

use serde::{Deserialize, Serialize};

use super::{Article, LexicalSimilarity, centroid_scores, paragraph_ranges, select_candidates, split_sentences};

/// A page reduced to what the classifier embeds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSample {
    pub title: String,
    pub chunks: Vec<String>,
    /// schema.org types the page declares about itself (evidence of its content type; empty for plain text).
    #[serde(default)]
    pub declared_types: Vec<String>,
}

/// How a page is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleParams {
    /// Chunks taken from the start of the page.
    pub lead_chunks: usize,
    /// Target words per chunk (passages are merged up to it, longer ones cut).
    pub chunk_words: usize,
    /// Central sentences taken from after the lead, grouped into chunks of `chunk_words`.
    pub central_sentences: usize,
}

pub const DEFAULT_SAMPLE: SampleParams = SampleParams {
    lead_chunks: 4,
    chunk_words: 80,
    central_sentences: 6,
};

/// Sentences of a sample read for tone (a default sample has about 20, rarely 40).
pub const MAX_SENTENCES: usize = 48;

/// Sentences considered for centrality on long pages.
const MAX_CANDIDATES: usize = 300;

fn cut_words(text: &str, max: usize) -> String {
    text.split_whitespace().take(max).collect::<Vec<_>>().join(" ")
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Merge consecutive passages into chunks of about `target` words; returns the chunks and how many passages the
/// first `max_chunks` chunks used.
fn merge(passages: &[&str], target: usize, max_chunks: usize) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for p in passages {
        if out.len() >= max_chunks {
            break;
        }
        used += 1;
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(p.trim());
        if word_count(&cur) >= target / 2 {
            out.push(cut_words(&cur, target));
            cur.clear();
        }
    }
    if !cur.trim().is_empty() && out.len() < max_chunks {
        out.push(cut_words(&cur, target));
    }
    (out, used)
}

impl PageSample {
    /// Sample pre-split passages with `params`.
    pub fn from_passages(title: &str, passages: &[&str], params: &SampleParams) -> Self {
        let passages: Vec<&str> = passages.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        let (mut chunks, used) = merge(&passages, params.chunk_words.max(1), params.lead_chunks);
        let rest = passages.get(used..).unwrap_or(&[]).join("\n\n");
        let sentences: Vec<String> = split_sentences(&rest)
            .into_iter()
            .map(|s| s.text)
            .filter(|s| word_count(s) >= 5)
            .collect();
        if params.central_sentences > 0 && !sentences.is_empty() {
            let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
            let candidates = select_candidates(&refs, MAX_CANDIDATES);
            let cand_refs: Vec<&str> = candidates.iter().filter_map(|&i| refs.get(i).copied()).collect();
            let scores = centroid_scores(&LexicalSimilarity::new(&cand_refs));
            let mut order: Vec<usize> = (0..cand_refs.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            order.truncate(params.central_sentences);
            order.sort_unstable();
            let picked: Vec<&str> = order.iter().map(|&i| cand_refs[i]).collect();
            let (central, _) = merge(&picked, params.chunk_words.max(1), usize::MAX);
            chunks.extend(central);
        }
        PageSample {
            title: title.trim().to_string(),
            chunks,
            declared_types: Vec::new(),
        }
    }

    /// The same sample with the page's declared schema.org types.
    pub fn with_declared(mut self, types: &[String]) -> Self {
        self.declared_types = types.to_vec();
        self
    }

    /// Sample an extracted article (its passages, or its text when it has none).
    pub fn from_article(article: &Article) -> Self {
        if article.passages.is_empty() {
            return Self::from_text(&article.title, &article.text);
        }
        let passages: Vec<&str> = article.passages.iter().map(|p| p.text.as_str()).collect();
        Self::from_passages(&article.title, &passages, &DEFAULT_SAMPLE).with_declared(&article.declared_types)
    }

    /// Sample plain text; blank lines separate passages.
    pub fn from_text(title: &str, text: &str) -> Self {
        let passages: Vec<&str> = paragraph_ranges(text)
            .into_iter()
            .filter_map(|(s, e)| text.get(s..e))
            .collect();
        Self::from_passages(title, &passages, &DEFAULT_SAMPLE)
    }

    /// The sentences the tone model reads: the title, then each chunk's sentences, at most [`MAX_SENTENCES`].
    pub fn sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.title.trim().is_empty() {
            out.push(self.title.trim().to_string());
        }
        for c in &self.chunks {
            out.extend(split_sentences(c).into_iter().map(|s| s.text));
        }
        out.truncate(MAX_SENTENCES);
        out
    }

    /// The texts to embed: the title (when present) then the chunks.
    pub fn texts(&self) -> Vec<&str> {
        let mut out = Vec::with_capacity(self.chunks.len() + 1);
        if !self.title.trim().is_empty() {
            out.push(self.title.as_str());
        }
        out.extend(self.chunks.iter().map(String::as_str).filter(|c| !c.trim().is_empty()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_chunks_are_merged_and_bounded() {
        let para = "word ".repeat(30);
        let text = (0..20)
            .map(|i| format!("{para} number{i}."))
            .collect::<Vec<_>>()
            .join("\n\n");
        let s = PageSample::from_text("T", &text);
        assert_eq!(s.title, "T");
        assert!(s.chunks.len() <= DEFAULT_SAMPLE.lead_chunks + DEFAULT_SAMPLE.central_sentences);
        assert!(s.chunks.iter().all(|c| word_count(c) <= DEFAULT_SAMPLE.chunk_words));
        assert!(s.chunks[0].contains("number0") && s.chunks[0].contains("number1"));
        assert_eq!(s.texts().len(), s.chunks.len() + 1);
        assert!(PageSample::from_text("", "").texts().is_empty());
        let two = PageSample::from_text("Title", "One sentence here. Another one there.");
        assert_eq!(
            two.sentences(),
            vec!["Title", "One sentence here.", "Another one there."]
        );
        assert!(s.sentences().len() <= MAX_SENTENCES);
    }
}
