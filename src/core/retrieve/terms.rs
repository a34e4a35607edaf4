//! Index terms: Unicode words (CJK as character bigrams, and Han characters alone; a Korean word also as its noun
//! without the particle, an Arabic or Hebrew word without its prefixes), stopwords dropped, light English stemming.

use super::{is_stopword, stem, words};
use crate::core::text::korean::{self, is_hangul_word};
use crate::core::text::prefixes;
use crate::core::text::tokens::is_han;

/// Stemmed content terms of `text`, in order. Single Latin letters are dropped; single digits and CJK
/// characters are kept (they carry meaning in questions like "page 3" or "我").
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = words(text)
        .into_iter()
        .filter(|w| !is_stopword(w))
        .filter(|w| w.chars().count() > 1 || w.chars().any(|c| c.is_ascii_digit() || !c.is_ascii()))
        .flat_map(|w| {
            // A Korean word is also its noun without the particle ("요금은" and "요금을" meet at "요금"), an Arabic or
            // Hebrew word its stem without the prefixes ("بالمدينة" and "المدينة" meet at "مدينة").
            let bare = if is_hangul_word(&w) {
                korean::match_stem(&w)
            } else {
                prefixes::match_stem(&w)
            };
            let bare = (bare != w).then(|| bare.to_string());
            [Some(stem(&w)), bare]
        })
        .flatten()
        .collect();
    // Han characters alone too: a question asked in other words shares characters with the answer more often than
    // bigrams (饮酒 / 喝酒); BM25's idf keeps the common ones light.
    out.extend(
        text.chars()
            .filter(|&c| is_han(c) && !is_stopword(c.encode_utf8(&mut [0; 4])))
            .map(String::from),
    );
    out
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
    fn korean_words_also_as_their_nouns() {
        assert_eq!(
            terms("서울시의 요금은 얼마"),
            vec!["서울시의", "서울시", "요금은", "요금", "얼마"]
        );
        assert_eq!(terms("시민들에게"), vec!["시민들에게", "시민"]);
    }

    #[test]
    fn arabic_and_hebrew_words_also_without_their_prefixes() {
        assert_eq!(terms("بالمدينة"), vec!["بالمدينة", "مدينة"]);
        assert_eq!(terms("בעיר"), vec!["בעיר", "עיר"]);
    }

    #[test]
    fn cjk_bigrams() {
        assert_eq!(terms("東京タワー"), vec!["東京", "京タ", "タワ", "ワー", "東", "京"]);
        // Function characters alone are not terms.
        assert_eq!(terms("喝了酒"), vec!["喝了", "了酒", "喝", "酒"]);
        assert!(terms("").is_empty());
    }
}
