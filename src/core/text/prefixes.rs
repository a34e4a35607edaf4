//! Arabic and Hebrew words with the prefixes written onto them.
//!
//! Both scripts write the article, "and", and several prepositions as one word with the noun: Arabic "المدينة"
//! (the city), "والمدينة" (and the city), "بالمدينة" (in the city), "للمدينة" (for the city); Hebrew "העיר",
//! "בעיר", "לעיר". Counted as written they are four words. [`stem_on_page`] takes a prefix off where the page
//! attests what is left (bare, or under another prefix), so a word whose first letter only looks like a prefix keeps
//! it (Arabic "وزير", a minister, is not "و" + "زير"). [`match_stem`] takes the longest prefix off for a search
//! index, where a question and a page are cut alike.

use super::attested::PageStems;

/// Arabic prefix sequences (conjunction, preposition, article), longest first where one ends another.
const ARABIC: &[&str] = &[
    "وبال", "فبال", "وكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك",
];

/// Hebrew prefix letters and their common sequences ("and the", "in the", "that the", "when").
const HEBREW: &[&str] = &[
    "וכשה", "וכש", "לכש", "ושה", "ומה", "וה", "וב", "ול", "ומ", "וש", "וכ", "שה", "שב", "מה", "כש", "ה", "ו", "ב", "ל",
    "מ", "ש", "כ",
];

fn is_arabic_letter(c: char) -> bool {
    matches!(c as u32, 0x0621..=0x064A | 0x066E..=0x06D3)
}

fn is_hebrew_letter(c: char) -> bool {
    matches!(c as u32, 0x05D0..=0x05EA)
}

/// The prefixes of `word`'s script and the fewest letters a stem keeps, when `word` is an Arabic or Hebrew word.
fn rules(word: &str) -> Option<(&'static [&'static str], usize)> {
    let first = word.chars().next()?;
    if is_arabic_letter(first) {
        Some((ARABIC, 3))
    } else if is_hebrew_letter(first) {
        Some((HEBREW, 2))
    } else {
        None
    }
}

/// The stems `word` may have: what is left after each of its script's prefixes it starts with, long enough to be a
/// word, shortest first.
pub fn strips(word: &str) -> Vec<&str> {
    let Some((prefixes, min_letters)) = rules(word) else {
        return Vec::new();
    };
    let mut out: Vec<&str> = prefixes
        .iter()
        .filter_map(|p| word.strip_prefix(p))
        .filter(|stem| stem.chars().count() >= min_letters)
        .collect();
    out.sort_by_key(|stem| stem.len());
    out.dedup();
    out
}

/// Whether `word` starts with an Arabic or Hebrew letter (the words this module cuts).
pub fn is_prefixing_word(word: &str) -> bool {
    rules(word).is_some()
}

/// `word` without the longest prefix whose stem `page` (the page's words, cut by [`strips`]) attests: the stem stands
/// alone on the page, or under another prefix. Else `word` itself.
pub fn stem_on_page<'a>(word: &'a str, page: &PageStems) -> &'a str {
    strips(word)
        .into_iter()
        .find(|stem| page.attests(stem, word))
        .unwrap_or(word)
}

/// `word` without the longest prefix that leaves a word-long stem, for a search index.
pub fn match_stem(word: &str) -> &str {
    strips(word).into_iter().next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_prefixes_come_off_where_the_page_attests_the_stem() {
        let page = PageStems::new(["المدينة", "بالمدينة", "والمدينة", "وزير", "مكتبة", "للمكتبة"], strips);
        assert_eq!(
            stem_on_page("المدينة", &page),
            "مدينة",
            "no bare مدينة, but بال and وال attest it"
        );
        assert_eq!(stem_on_page("بالمدينة", &page), "مدينة");
        assert_eq!(stem_on_page("للمكتبة", &page), "مكتبة");
        assert_eq!(stem_on_page("وزير", &page), "وزير", "a minister, not و + زير");
        assert_eq!(match_stem("والمدينة"), "مدينة");
    }

    #[test]
    fn hebrew_prefixes() {
        let page = PageStems::new(["העיר", "בעיר", "לעיר", "ספר"], strips);
        assert_eq!(stem_on_page("בעיר", &page), "עיר");
        assert_eq!(stem_on_page("ספר", &page), "ספר");
        assert_eq!(stem_on_page("Seoul", &page), "Seoul");
        assert_eq!(match_stem("והעיר"), "עיר");
    }
}
