//! Index terms: Unicode words (CJK as character bigrams), stopwords dropped, light English stemming.

use super::{is_stopword, stem, words};

/// Stemmed content terms of `text`, in order. Single Latin letters are dropped; single digits and CJK
/// characters are kept (they carry meaning in questions like "page 3" or "我").
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stopword(w))
        .filter(|w| w.chars().count() > 1 || w.chars().any(|c| c.is_ascii_digit() || !c.is_ascii()))
        .map(|w| stem(&w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_stopwords_and_stems() {
        assert_eq!(terms("What are the councils voting on?"), vec!["council", "vot"]);
        assert_eq!(terms("Page 3 of a book"), vec!["pag", "3", "book"]);
    }

    #[test]
    fn cjk_bigrams() {
        assert_eq!(terms("東京タワー"), vec!["東京", "京タ", "タワ", "ワー"]);
        assert!(terms("").is_empty());
    }
}
