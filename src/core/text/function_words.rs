//! Words that never name what a page is about, by language: the function words (articles, pronouns, prepositions,
//! conjunctions, auxiliaries, common adverbs) and the calendar (weekdays, months) of one language, read from
//! function_words.txt.
//!
//! The shared stopword set ([`is_stopword`]) serves every page whatever its language,
//! so it leaves out a word that is a function word in one language and a content word in another (Czech "ale" is
//! "but", English "ale" is beer). These lists are used where the page's language is known: a keyword candidate is
//! dropped only on a page in that language. English's calendar applies to every page (datelines are often English).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::tokens::is_stopword;

const DATA: &str = include_str!("function_words.txt");

/// One language's words (lowercase): its calendar, and its function words.
#[derive(Default)]
struct Words {
    calendar: HashSet<&'static str>,
    function: HashSet<&'static str>,
}

/// The data file's sections by primary language subtag. A section starts with `[xx calendar]` or
/// `[xx function]`; `#` starts a comment line.
fn parse(data: &'static str) -> HashMap<&'static str, Words> {
    let mut out: HashMap<&'static str, Words> = HashMap::new();
    let mut section: Option<(&'static str, bool)> = None;
    for line in data.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let mut parts = head.split_whitespace();
            section = match (parts.next(), parts.next()) {
                (Some(lang), Some("calendar")) => Some((lang, true)),
                (Some(lang), Some("function")) => Some((lang, false)),
                _ => None,
            };
            continue;
        }
        let Some((lang, calendar)) = section else { continue };
        let words = out.entry(lang).or_default();
        let set = if calendar {
            &mut words.calendar
        } else {
            &mut words.function
        };
        set.extend(line.split_whitespace());
    }
    out
}

fn by_lang() -> &'static HashMap<&'static str, Words> {
    static WORDS: OnceLock<HashMap<&'static str, Words>> = OnceLock::new();
    WORDS.get_or_init(|| parse(DATA))
}

/// The primary language subtag of a BCP 47 tag, lowercase ("cs-CZ" → "cs"); Norwegian's three tags read one list.
fn primary(lang: &str) -> String {
    let code = lang.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    match code.as_str() {
        "no" | "nn" => "nb".to_string(),
        _ => code,
    }
}

/// French and Italian elisions: "d'un" is "de" + "un".
const ELISIONS: &[&str] = &[
    "l'", "d'", "qu'", "n'", "s'", "j'", "c'", "m'", "t'", "dell'", "all'", "un'", "nell'",
];

/// Whether `word` (lowercase) is a weekday or month name of the language `lang` (a BCP 47 tag).
pub fn is_calendar_word(word: &str, lang: &str) -> bool {
    by_lang()
        .get(primary(lang).as_str())
        .is_some_and(|w| w.calendar.contains(word))
}

/// The words that are never keywords on a page in one language: that language's function and calendar words, and
/// English's calendar. Looked up once per page ([`LangWords::of`]), then asked per word.
pub struct LangWords {
    own: Option<&'static Words>,
    english: Option<&'static Words>,
    /// French and Italian elide: "d'un" counts when "un" does.
    elides: bool,
}

impl LangWords {
    /// The words of the page language `lang` (a BCP 47 tag such as "fr" or "cs-CZ"; None: English's calendar only).
    pub fn of(lang: Option<&str>) -> Self {
        let code = lang.map(primary);
        LangWords {
            own: code.as_deref().and_then(|c| by_lang().get(c)),
            english: by_lang().get("en"),
            elides: matches!(code.as_deref(), Some("fr" | "it")),
        }
    }

    /// Whether `word` (lowercase, straight apostrophes: [`normalize_word`](super::tokens::normalize_word)) is one of
    /// them. An elision counts when what follows it does ("d'un").
    pub fn contains(&self, word: &str) -> bool {
        if self.english.is_some_and(|w| w.calendar.contains(word)) {
            return true;
        }
        let Some(own) = self.own else {
            return false;
        };
        let listed = |w: &str| own.calendar.contains(w) || own.function.contains(w);
        listed(word)
            || (self.elides
                && ELISIONS
                    .iter()
                    .filter_map(|e| word.strip_prefix(e))
                    .any(|rest| listed(rest) || is_stopword(rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_function_word(word: &str, lang: Option<&str>) -> bool {
        LangWords::of(lang).contains(word)
    }

    #[test]
    fn by_language_only() {
        assert!(is_function_word("ale", Some("cs")));
        assert!(!is_function_word("ale", Some("en")));
        assert!(!is_function_word("ale", None));
        assert!(is_function_word("jeudi", Some("fr-FR")));
        assert!(!is_function_word("jeudi", Some("de")));
        assert!(is_function_word("wednesday", Some("fr")), "English calendar everywhere");
        assert!(is_function_word("wednesday", None));
        assert!(!is_function_word("sun", None), "a short form that is a word");
        assert!(!is_function_word("mars", Some("fr")), "the planet");
        assert!(is_function_word("d'un", Some("fr")));
        assert!(!is_function_word("d'orsay", Some("fr")));
        assert!(!is_function_word("europe", Some("fr")));
        assert!(is_calendar_word("märz", "de-AT") && is_calendar_word("jänner", "de"));
        assert!(!is_calendar_word("märz", "fr"));
        assert!(is_function_word("och", Some("sv")) && is_function_word("og", Some("no-NO")));
        assert!(!is_function_word("men", Some("en")) && is_function_word("men", Some("sv")));
    }

    #[test]
    fn every_section_is_read_and_lowercase() {
        let words = by_lang();
        let langs = [
            "en", "fr", "de", "es", "it", "pt", "nl", "cs", "pl", "sv", "da", "nb", "tr", "id", "ro", "hu", "fi", "ru",
            "uk", "el",
        ];
        assert_eq!(words.len(), langs.len(), "a section's language is not in this list");
        for lang in langs {
            let w = words.get(lang).unwrap_or_else(|| panic!("{lang} missing"));
            assert!(w.calendar.len() >= 12, "{lang} calendar");
            assert!(lang == "en" || w.function.len() >= 40, "{lang} function words");
            for x in w.calendar.iter().chain(&w.function) {
                assert_eq!(*x, x.to_lowercase(), "{lang}: {x}");
                assert!(!x.contains('’') && !x.contains(['[', ']', '#']), "{lang}: {x}");
            }
        }
    }
}
