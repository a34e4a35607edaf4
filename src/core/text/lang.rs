//! Language detection (a thin wrapper over `whatlang`).

use serde::{Deserialize, Serialize};
use whatlang::Lang;

/// A detected language: ISO 639-1 code, confidence in `[0, 1]`, and whether
/// the language is written right-to-left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LangGuess {
    pub code: String,
    pub confidence: f32,
    pub rtl: bool,
}

/// Minimum number of letters before detection is attempted.
const MIN_LETTERS: usize = 8;
/// Only this many bytes (rounded down to a char boundary) are inspected.
const MAX_BYTES: usize = 4096;
/// Below this confidence the guess is discarded.
const MIN_CONFIDENCE: f64 = 0.3;

/// Detect the language of `text`. `None` when the text is too short or the
/// detector is not confident.
pub fn detect_language(text: &str) -> Option<LangGuess> {
    let mut cut = text.len().min(MAX_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = text.get(..cut)?;
    let letters = sample.chars().filter(|c| c.is_alphabetic()).count();
    if letters < MIN_LETTERS {
        return None;
    }
    let info = whatlang::detect(sample)?;
    let confidence = info.confidence();
    if !confidence.is_finite() || confidence < MIN_CONFIDENCE {
        return None;
    }
    let code = iso639_1(info.lang());
    Some(LangGuess {
        code: code.to_string(),
        confidence: confidence as f32,
        rtl: is_rtl(code),
    })
}

/// Whether a 639-1 language code is written right-to-left.
pub fn is_rtl(code: &str) -> bool {
    matches!(
        code,
        "ar" | "he" | "fa" | "ur" | "yi" | "ps" | "sd" | "ug" | "dv" | "ku"
    )
}

fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_or_empty() {
        assert!(detect_language("").is_none());
        assert!(detect_language("ok").is_none());
        assert!(detect_language("12345 678 !!!").is_none());
    }

    #[test]
    fn rtl_codes() {
        assert!(is_rtl("ar") && is_rtl("he") && !is_rtl("en"));
    }
}
