//! Reading-time estimate.

use super::tokens::is_cjk;

/// Characters per minute for Han/kana text.
const CJK_CPM: f32 = 500.0;
/// Default words per minute for space-delimited scripts.
const DEFAULT_WPM: f32 = 230.0;

/// Typical silent-reading speeds (words per minute) for a few languages,
/// used when a 639-1 hint is given.
fn wpm_for(lang: Option<&str>) -> f32 {
    let code = lang.map(|l| l.trim().to_ascii_lowercase()).unwrap_or_default();
    let primary = code.split(['-', '_']).next().unwrap_or("");
    match primary {
        "ar" | "fa" | "ur" => 180.0,
        "he" => 190.0,
        "ru" | "uk" | "de" | "fi" => 190.0,
        "fr" | "it" | "pt" | "nl" | "pl" => 210.0,
        "es" => 220.0,
        _ => DEFAULT_WPM,
    }
}

/// Estimated reading time in minutes: space-delimited words at ~230 wpm
/// (adjusted by `lang`) plus Han/kana characters at ~500 characters per
/// minute. Returns 0 for text without words.
pub fn reading_time_minutes(text: &str, lang: Option<&str>) -> f32 {
    let (words, cjk_chars) = words_and_cjk_chars(text);
    words as f32 / wpm_for(lang) + cjk_chars as f32 / CJK_CPM
}

/// Words of the text the way word processors count them across scripts: space-delimited words, plus each Han or
/// kana character as one (Japanese and Chinese are written without spaces, so a whitespace split would count a
/// whole sentence as one word).
pub fn word_count(text: &str) -> usize {
    let (words, cjk_chars) = words_and_cjk_chars(text);
    words + cjk_chars
}

/// Space-delimited words that hold a letter or digit outside Han/kana, and Han/kana characters.
fn words_and_cjk_chars(text: &str) -> (usize, usize) {
    let mut cjk_chars = 0usize;
    let mut words = 0usize;
    for token in text.split_whitespace() {
        let mut has_word_char = false;
        for c in token.chars() {
            if is_cjk(c) {
                cjk_chars += 1;
            } else if c.is_alphanumeric() {
                has_word_char = true;
            }
        }
        if has_word_char {
            words += 1;
        }
    }
    (words, cjk_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_count_han_and_kana_characters() {
        assert_eq!(word_count("The ferry runs  every hour."), 5);
        // 15 Han/kana characters; the digits of the same space-free run count once.
        assert_eq!(word_count("トレンドマイクロは3月9日、発表した。"), 15 + 1);
        assert_eq!(word_count("城市图书馆的一百年"), 9);
        assert_eq!(word_count("서울 도서관"), 2, "Korean is written with spaces");
        assert_eq!(word_count(""), 0);
    }

    #[test]
    fn latin_and_cjk() {
        let en = "word ".repeat(460);
        assert!((reading_time_minutes(&en, None) - 2.0).abs() < 1e-3);
        assert!((reading_time_minutes(&en, Some("en-US")) - 2.0).abs() < 1e-3);
        assert!(reading_time_minutes(&en, Some("de")) > 2.0);
        let zh = "这是一个句子。".repeat(100);
        let t = reading_time_minutes(&zh, Some("zh"));
        assert!((t - 600.0 / 500.0).abs() < 1e-3, "{t}");
        assert_eq!(reading_time_minutes("", None), 0.0);
        assert_eq!(reading_time_minutes("— … !!", None), 0.0);
    }
}
