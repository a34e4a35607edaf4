//! Language detection (whatlang) and text direction.

use whatlang::Lang;

/// Characters of text sampled for detection.
const SAMPLE_CHARS: usize = 4000;

fn iso639_1(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    }
}

/// ISO 639-1 code of the text's language when the detector is confident.
pub(super) fn detect(text: &str) -> Option<String> {
    let end = text.char_indices().nth(SAMPLE_CHARS).map_or(text.len(), |(i, _)| i);
    let info = whatlang::detect(&text[..end])?;
    info.is_reliable().then(|| iso639_1(info.lang()).to_string())
}

/// Whether a language tag (e.g. "ar", "he-IL", "fa_IR") is written right to left.
pub(super) fn is_rtl(tag: &str) -> bool {
    let primary = tag.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(
        primary.as_str(),
        "ar" | "he" | "iw" | "fa" | "ur" | "yi" | "ji" | "ps" | "sd" | "ug" | "dv" | "ckb" | "syr"
    )
}

/// Normalize a `dir` attribute value.
pub(super) fn normalize_dir(v: &str) -> Option<String> {
    let v = v.trim().to_ascii_lowercase();
    matches!(v.as_str(), "ltr" | "rtl" | "auto").then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtl_tags() {
        assert!(is_rtl("ar"));
        assert!(is_rtl("he-IL"));
        assert!(is_rtl("fa_IR"));
        assert!(!is_rtl("en-US"));
        assert!(!is_rtl(""));
    }

    #[test]
    fn detects_english() {
        let t = "The quick brown fox jumps over the lazy dog while the farmer watches from the porch and drinks his coffee.";
        assert_eq!(detect(t).as_deref(), Some("en"));
        assert_eq!(detect("1234 5678"), None);
    }
}
