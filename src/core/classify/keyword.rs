//! The keyword baseline: per label, count keyword hits in the page (stemmed words, phrases as word sequences),
//! normalize by the page length, and turn the hit rates into a distribution.

use super::{Label, PageSample, stem, words};

/// Content words (length > 2) of a text, lowercased.
pub fn content_words(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| w.chars().count() > 2).collect()
}

/// Keyword hits per label divided by the number of words on the page (0 for an empty page).
pub fn keyword_scores(page: &PageSample, labels: &[Label]) -> Vec<f32> {
    let mut text = page.title.clone();
    for c in &page.chunks {
        text.push('\n');
        text.push_str(c);
    }
    let page_words: Vec<String> = words(&text).iter().map(|w| stem(w)).collect();
    let n = page_words.len();
    labels
        .iter()
        .map(|label| {
            if n == 0 {
                return 0.0;
            }
            let mut hits = 0usize;
            for kw in &label.keywords {
                let kw_words: Vec<String> = words(kw).iter().map(|w| stem(w)).collect();
                if kw_words.is_empty() {
                    continue;
                }
                hits += page_words
                    .windows(kw_words.len())
                    .filter(|w| *w == kw_words.as_slice())
                    .count();
            }
            hits as f32 / n as f32
        })
        .collect()
}

/// Hit rates as probabilities (uniform when no keyword matched).
pub fn keyword_probs(scores: &[f32]) -> Vec<f32> {
    let sum: f32 = scores.iter().sum();
    if sum > 0.0 {
        scores.iter().map(|s| s / sum).collect()
    } else {
        vec![1.0 / scores.len().max(1) as f32; scores.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::super::LabelSet;
    use super::*;

    #[test]
    fn counts_words_and_phrases() {
        let labels = LabelSet::ContentType.labels();
        let page = PageSample::from_text(
            "Lemon cake",
            "Ingredients: 2 cups flour. Preheat the oven and bake. Add to cart for the price of one.",
        );
        let s = keyword_scores(&page, &labels);
        let id = |x: &str| labels.iter().position(|l| l.id == x).unwrap_or(usize::MAX);
        assert!(s[id("recipe")] > s[id("product_page")]);
        assert!(s[id("product_page")] > 0.0);
        let p = keyword_probs(&s);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(keyword_probs(&[0.0, 0.0]), vec![0.5, 0.5]);
    }
}
