//! Which embedder reads a page or a question. The bundled MiniLM was trained on English: on questions in other
//! languages it finds the answer in the top 3 for 0.67 of them (Chinese 0.25), multilingual-e5 for 0.90
//! (`tests/t1_retrieval.rs`). So a page or a question that is not in English is read by the multilingual embedder
//! when the user has downloaded one; everything else stays on the bundled model, which is faster. Summaries stay
//! on the bundled model in every language: against the pages' own descriptions (`examples/summary_reference.rs`)
//! the multilingual embedder's picks recalled fewer of their word bigrams (English 0.152 against MiniLM's 0.209;
//! equal or lower on each of the 7 corpus pages in other languages). Pure.

use super::protocol::PageContent;
use super::text::lang::detect_language;

/// A question's language is believed from this confidence up: short texts are where the detector errs, and a
/// question taken for another language only costs speed (the multilingual embedder reads English well too), but
/// for nothing.
const QUESTION_CONFIDENCE: f32 = 0.5;

/// The page's language: detected from its visible text, else the language its HTML declares.
pub fn page_language(page: &PageContent) -> Option<String> {
    let detected = page
        .text
        .as_deref()
        .or((!page.title.is_empty()).then_some(page.title.as_str()))
        .and_then(detect_language)
        .map(|g| g.code);
    detected.or_else(|| declared_language(page.lang.as_deref()?))
}

/// The primary subtag of an HTML `lang` attribute ("en-GB" → "en"), if it has one.
fn declared_language(lang: &str) -> Option<String> {
    let primary = lang.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() >= 2 && primary.len() <= 3 && primary.bytes().all(|b| b.is_ascii_lowercase())).then_some(primary)
}

/// The question's language, when the detector is sure enough.
pub fn question_language(question: &str) -> Option<String> {
    detect_language(question)
        .filter(|g| g.confidence >= QUESTION_CONFIDENCE)
        .map(|g| g.code)
}

/// Whether the multilingual embedder should read this page (and question): either is in a language other than
/// English. A page or question whose language is unknown counts as English.
pub fn wants_multilingual(page: &PageContent, question: Option<&str>) -> bool {
    let foreign = |lang: Option<String>| lang.is_some_and(|l| l != "en");
    foreign(page_language(page)) || foreign(question.and_then(question_language))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str, lang: Option<&str>) -> PageContent {
        PageContent {
            url: "https://example.com/".into(),
            title: String::new(),
            html: None,
            text: Some(text.into()),
            lang: lang.map(String::from),
            is_selection: false,
        }
    }

    const ENGLISH: &str = "The town library reopened on Monday after a year of repairs, and volunteers from the \
                           neighbourhood now run evening sessions where people bring broken lamps and radios.";
    const CHINESE: &str =
        "市图书馆经过一年的维修于周一重新开放，社区志愿者每周举办维修之夜，居民可以带来坏掉的台灯和收音机。";
    const SPANISH: &str = "La biblioteca municipal reabrió el lunes después de un año de obras, y los voluntarios del \
                           barrio organizan tardes de reparación en las que los vecinos traen lámparas y radios.";

    #[test]
    fn english_pages_and_questions_stay_on_the_bundled_model() {
        let p = page(ENGLISH, Some("en"));
        assert_eq!(page_language(&p).as_deref(), Some("en"));
        assert!(!wants_multilingual(&p, None));
        assert!(!wants_multilingual(
            &p,
            Some("When did the library reopen after the repairs?")
        ));
        // Too short to tell: English.
        assert!(!wants_multilingual(&p, Some("Who?")));
    }

    #[test]
    fn a_page_or_a_question_in_another_language_goes_to_the_multilingual_one() {
        assert!(wants_multilingual(&page(CHINESE, None), None));
        assert!(
            wants_multilingual(&page(SPANISH, Some("en")), None),
            "the text wins over a wrong declaration"
        );
        let english = page(ENGLISH, Some("en"));
        assert!(wants_multilingual(&english, Some("图书馆什么时候重新开放？")));
        assert!(wants_multilingual(
            &english,
            Some("¿Cuándo volvió a abrir la biblioteca después de las obras?")
        ));
    }

    #[test]
    fn the_declared_language_counts_when_the_text_says_nothing() {
        assert_eq!(page_language(&page("", Some("ja-JP"))).as_deref(), Some("ja"));
        assert_eq!(page_language(&page("", Some("x"))), None);
        assert!(!wants_multilingual(&page("", None), None));
    }
}
