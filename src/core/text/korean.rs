//! Korean word forms: a noun and the particle written onto it, and predicates.
//!
//! Korean is written with spaces, but between words, not between a noun and its particle: "서울시는", "서울시의",
//! "서울시에" are one noun (Seoul City) with three particles, and would count as three words. A word's
//! [`noun_stem`] is the word without the longest particle it ends with; [`stem_on_page`] takes it only where the
//! page attests the stem (bare, or with another particle), so that a noun which merely ends like a particle keeps its
//! last syllable ("회의", a meeting, is not "회" + "의"). [`is_predicate`] tells the verb and adjective forms
//! ("인상했다", raised; "따르면", according to) that never name what a page is about.

use super::attested::PageStems;

/// Particles and particle sequences written onto nouns, each with whether no noun ends with it, so that it comes
/// off a word even where the page does not attest the stem (the others end common nouns: "마을", a village; "회의",
/// a meeting; "차이나", China).
const PARTICLES: &[(&str, bool)] = &[
    ("에서부터", true),
    ("으로부터", true),
    ("에게서", true),
    ("한테서", true),
    ("으로서", true),
    ("으로써", true),
    ("이라는", false),
    ("에서는", true),
    ("에서도", true),
    ("에서의", true),
    ("에게는", true),
    ("으로는", true),
    ("까지는", true),
    ("부터는", true),
    ("이라고", false),
    ("에서", true),
    ("에게", true),
    ("한테", true),
    ("께서", true),
    ("으로", true),
    ("까지", true),
    ("부터", true),
    ("처럼", true),
    ("보다", false),
    ("마다", false),
    ("조차", false),
    ("라는", false),
    ("라고", false),
    ("이나", false),
    ("이며", false),
    ("이고", false),
    ("와의", false),
    ("과의", false),
    ("에는", false),
    ("에도", false),
    ("에의", false),
    ("로는", false),
    ("로서", false),
    ("로써", false),
    ("은", false),
    ("는", true),
    ("이", false),
    ("가", false),
    ("을", false),
    ("를", true),
    ("의", false),
    ("에", false),
    ("도", false),
    ("로", false),
    ("와", false),
    ("과", false),
    ("만", false),
    ("나", false),
];

/// The plural suffix, between a noun and its particle ("시민들은", the citizens).
const PLURAL: &str = "들";

/// Endings of verb and adjective forms: declarative, polite, connective.
const PREDICATE_ENDINGS: &[&str] = &[
    "습니다",
    "니다",
    "세요",
    "어요",
    "아요",
    "해요",
    "다",
    "면서",
    "면",
    "지만",
    "어서",
    "아서",
    "해서",
    "하며",
    "으며",
    "는데",
    "도록",
    "하여",
    "되어",
    "했고",
    "였고",
    "었고",
    "았고",
];

/// A Hangul syllable.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3)
}

/// Whether `word` is written in Hangul syllables only.
pub fn is_hangul_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_hangul)
}

/// What is left of `word` after each particle it ends with (at least one syllable).
pub fn strips(word: &str) -> Vec<&str> {
    PARTICLES
        .iter()
        .filter_map(|(p, _)| word.strip_suffix(p))
        .filter(|stem| !stem.is_empty())
        .collect()
}

/// `word` without the longest particle it ends with, when at least one syllable is left; else `word`.
pub fn noun_stem(word: &str) -> &str {
    strips(word).into_iter().min_by_key(|stem| stem.len()).unwrap_or(word)
}

/// The noun to match `word` by in a search index: [`noun_stem`] without the plural suffix. It may cut a noun that
/// only ends like a particle, but a question and a page are cut alike.
pub fn match_stem(word: &str) -> &str {
    let stem = noun_stem(word);
    stem.strip_suffix(PLURAL).filter(|s| !s.is_empty()).unwrap_or(stem)
}

/// `word`'s noun stem where `page` (the page's words, cut by [`strips`]) attests it: the stem stands alone on the page,
/// or with another particle. Else `word` itself.
pub fn stem_on_page<'a>(word: &'a str, page: &PageStems) -> &'a str {
    if !is_hangul_word(word) {
        return word;
    }
    let mut stems: Vec<(&str, bool)> = PARTICLES
        .iter()
        .filter_map(|&(p, safe)| word.strip_suffix(p).map(|stem| (stem, safe)))
        .flat_map(|(stem, safe)| [(stem, safe), (stem.strip_suffix(PLURAL).unwrap_or(stem), safe)])
        .filter(|(stem, _)| !stem.is_empty())
        .collect();
    // The shortest attested stem: "서울에서는" is "서울" where the page has "서울" or "서울의"; "시민들은" is "시민"
    // beside "시민은". Unattested, a word loses only a particle that never ends a noun ("발표를" is "발표").
    stems.sort_by_key(|(stem, _)| stem.len());
    stems
        .iter()
        .find(|(stem, _)| page.attests(stem, word))
        .or_else(|| stems.iter().find(|(_, safe)| *safe))
        .map_or(word, |(stem, _)| stem)
}

/// Whether a Hangul `word` of three syllables or more ends like a verb or adjective form. Two-syllable words are
/// left alone: many nouns end like a predicate ("바다", the sea; "화면", a screen).
pub fn is_predicate(word: &str) -> bool {
    is_hangul_word(word) && word.chars().count() >= 3 && PREDICATE_ENDINGS.iter().any(|e| word.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_come_off_where_the_page_attests_the_noun() {
        let page = PageStems::new(["서울시는", "서울시의", "요금을", "회의", "지하철", "지하철과"], strips);
        assert_eq!(stem_on_page("서울시는", &page), "서울시");
        assert_eq!(
            stem_on_page("요금을", &page),
            "요금을",
            "no other form of 요금 on the page"
        );
        assert_eq!(stem_on_page("회의", &page), "회의", "a noun ending like a particle");
        assert_eq!(stem_on_page("차이나", &page), "차이나", "China is not 차 + 이나");
        assert_eq!(stem_on_page("요금에서", &page), "요금", "no noun ends with 에서");
        assert_eq!(stem_on_page("발표를", &page), "발표", "nor with 를");
        assert_eq!(stem_on_page("지하철과", &page), "지하철");
        assert_eq!(stem_on_page("Seoul", &page), "Seoul");
        assert_eq!(noun_stem("서울에서는"), "서울");
        assert_eq!(noun_stem("는"), "는", "a particle alone stays");
        let page = PageStems::new(["서울에서는", "서울에서", "서울의"], strips);
        assert_eq!(stem_on_page("서울에서는", &page), "서울");
        let page = PageStems::new(["시민은", "시민들은"], strips);
        assert_eq!(stem_on_page("시민들은", &page), "시민", "the plural");
        let page = PageStems::new(["서울에서는", "서울에서"], strips);
        assert_eq!(stem_on_page("서울에서는", &page), "서울", "서울 + 에서 attests 서울");
    }

    #[test]
    fn predicates() {
        assert!(is_predicate("인상했다"));
        assert!(is_predicate("따르면"));
        assert!(is_predicate("발표했습니다"));
        assert!(!is_predicate("바다"), "two syllables: a noun as often as not");
        assert!(!is_predicate("대중교통"));
        assert!(!is_predicate("Wednesday"));
    }
}
