//! Word tokenization, stopwords and a light English stemmer.
//!
//! Tokens are runs of letters/digits (plus combining marks, so Devanagari,
//! Arabic and Hebrew words stay whole). Han and kana have no word spacing, so
//! runs of them become overlapping character bigrams.

use std::collections::HashSet;
use std::sync::OnceLock;

/// A raw token with byte offsets into the tokenized text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Letters/digits (possibly with inner apostrophes or decimal points).
    Word { start: usize, end: usize },
    /// A run of Han/kana characters.
    Cjk { start: usize, end: usize },
    /// Punctuation that breaks a phrase (comma, period, bracket, ...).
    Break,
}

/// Han ideographs and Japanese kana (scripts written without spaces).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005..=0x3007
        | 0x3041..=0x30FA
        | 0x30FC..=0x30FF
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F
        | 0x20000..=0x2FA1F)
}

/// Han ideographs (the part of [`is_cjk`] that Chinese and Japanese share; no kana).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x309F)
}

/// Combining marks of common scripts (std has no `is_mark`).
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05BD
        | 0x05BF..=0x05C2
        | 0x05C4..=0x05C7
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0670
        | 0x06D6..=0x06DC
        | 0x06DF..=0x06E8
        | 0x06EA..=0x06ED
        | 0x0900..=0x0963
        | 0x0966..=0x0DFF
        | 0x0E31..=0x0E3A
        | 0x0E47..=0x0E4E
        | 0x200C..=0x200D)
}

fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || is_mark(c)) && !is_cjk(c)
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '-' | '‐' | '‑' | '/' | '_' | '&' | '+' | '#' | '@' | '%' | '$' | '€' | '£'
    )
}

/// Split text into words, CJK runs and phrase breaks.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |&(p, _)| p);
    let mut i = 0;
    while i < n {
        let (pos, c) = chars[i];
        if is_cjk(c) {
            let mut j = i;
            while j < n && is_cjk(chars[j].1) {
                j += 1;
            }
            out.push(Piece::Cjk {
                start: pos,
                end: end_of(j),
            });
            i = j;
        } else if is_word_char(c) {
            let mut j = i + 1;
            while j < n {
                let cj = chars[j].1;
                if is_word_char(cj) {
                    j += 1;
                    continue;
                }
                let next_is_word = chars.get(j + 1).is_some_and(|&(_, c2)| is_word_char(c2));
                let inner_apostrophe = is_apostrophe(cj) && next_is_word;
                let decimal = (cj == '.' || cj == ',')
                    && chars[j - 1].1.is_ascii_digit()
                    && chars.get(j + 1).is_some_and(|&(_, c2)| c2.is_ascii_digit());
                if inner_apostrophe || decimal {
                    j += 2;
                } else {
                    break;
                }
            }
            out.push(Piece::Word {
                start: pos,
                end: end_of(j),
            });
            i = j;
        } else {
            if !c.is_whitespace() && !is_joiner(c) && !is_apostrophe(c) && out.last() != Some(&Piece::Break) {
                out.push(Piece::Break);
            }
            i += 1;
        }
    }
    out
}

/// Lowercase a word token and drop a possessive "'s".
pub fn normalize_word(raw: &str) -> String {
    let mut w = raw.to_lowercase().replace('’', "'");
    if w.ends_with("'s") && w.len() > 2 {
        w.truncate(w.len() - 2);
    }
    w
}

/// Character bigrams of a CJK run (a single character yields itself).
pub fn cjk_bigrams(run: &str, out: &mut Vec<String>) {
    let cs: Vec<char> = run.chars().collect();
    if cs.len() == 1 {
        out.push(cs[0].to_string());
        return;
    }
    for w in cs.windows(2) {
        out.push(w.iter().collect());
    }
}

/// Lowercase word tokens, Unicode-aware; CJK runs become character bigrams.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in pieces(text) {
        match p {
            Piece::Word { start, end } => {
                if let Some(raw) = text.get(start..end) {
                    out.push(normalize_word(raw));
                }
            }
            Piece::Cjk { start, end } => {
                if let Some(run) = text.get(start..end) {
                    cjk_bigrams(run, &mut out);
                }
            }
            Piece::Break => {}
        }
    }
    out
}

/// Stemmed, non-stopword terms used for similarity and scoring. Drops
/// one-letter Latin tokens.
pub fn content_terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stopword(w) && (w.chars().count() > 1 || w.chars().any(is_cjk)))
        .map(|w| stem(&w))
        .collect()
}

const STOP_EN: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren't",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "cannot",
    "could",
    "couldn't",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "either",
    "else",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "hadn't",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "he",
    "he'd",
    "he'll",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "let's",
    "like",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "neither",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "others",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "quite",
    "rather",
    "really",
    "same",
    "says",
    "said",
    "say",
    "shall",
    "she",
    "she'd",
    "she'll",
    "should",
    "shouldn't",
    "since",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they'd",
    "they'll",
    "they're",
    "they've",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "wasn't",
    "we",
    "we'd",
    "we'll",
    "we're",
    "we've",
    "were",
    "weren't",
    "what",
    "what's",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "who's",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "won't",
    "would",
    "wouldn't",
    "yet",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "also",
    "although",
    "among",
    "another",
    "around",
    "away",
    "back",
    "even",
    "just",
    "many",
    "meanwhile",
    "moreover",
    "furthermore",
    "nevertheless",
    "onto",
    "therefore",
    "toward",
    "towards",
    "well",
    "whereas",
    "yes",
    "hence",
    "instead",
    "besides",
    "otherwise",
    "consequently",
    "additionally",
    "'s",
];

/// Top stopwords of a few common languages (conflicts with English content
/// words such as "war", "hat", "son", "sin", "man" left out).
const STOP_OTHER: &[&str] = &[
    // French
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "est",
    "en",
    "que",
    "qui",
    "dans",
    "pour",
    "pas",
    "sur",
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "cette",
    "il",
    "elle",
    "ils",
    "elles",
    "nous",
    "vous",
    "je",
    "tu",
    "ne",
    "se",
    "sa",
    "ses",
    "leur",
    "leurs",
    "mais",
    "ou",
    "où",
    "donc",
    "par",
    "plus",
    "été",
    "être",
    "sont",
    "ont",
    "avait",
    "c'est",
    "l'",
    "d'",
    "qu'",
    // Spanish
    "el",
    "los",
    "las",
    "unos",
    "unas",
    "y",
    "es",
    "del",
    "al",
    "lo",
    "por",
    "para",
    "con",
    "una",
    "su",
    "sus",
    "se",
    "como",
    "más",
    "pero",
    "ya",
    "muy",
    "también",
    "fue",
    "ha",
    "han",
    "este",
    "esta",
    "estos",
    "esto",
    "ese",
    "esa",
    "eso",
    "entre",
    "cuando",
    "sobre",
    "ser",
    "hay",
    "porque",
    "le",
    "les",
    "ni",
    "sí",
    "yo",
    "él",
    "ella",
    "ellos",
    // Portuguese / Italian
    "os",
    "um",
    "uma",
    "não",
    "com",
    "mais",
    "ao",
    "dos",
    "das",
    "na",
    "no",
    "nos",
    "em",
    "foi",
    "são",
    "il",
    "di",
    "che",
    "è",
    "e",
    "della",
    "delle",
    "dei",
    "degli",
    "nel",
    "nella",
    "per",
    "non",
    "sono",
    "anche",
    "gli",
    "questo",
    "questa",
    "come",
    "ma",
    // German
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "eines",
    "zu",
    "den",
    "dem",
    "des",
    "mit",
    "sich",
    "auf",
    "für",
    "von",
    "auch",
    "es",
    "im",
    "sie",
    "er",
    "wir",
    "ihr",
    "ich",
    "du",
    "dass",
    "wie",
    "bei",
    "oder",
    "aus",
    "nach",
    "wird",
    "werden",
    "wurde",
    "sind",
    "noch",
    "nur",
    "aber",
    "weitere",
    "weiteren",
    "weiterer",
    "vor",
    "zur",
    "zum",
    "über",
    "sein",
    "kann",
    "hatte",
    "haben",
    "diese",
    "dieser",
    "dieses",
    "wenn",
    "schon",
    "einen",
    "am",
    // Czech ("ale", "pro" and "po" left out: English words)
    "je",
    "se",
    "na",
    "že",
    "jsou",
    "byl",
    "byla",
    "bylo",
    "jeho",
    "který",
    "která",
    "které",
    "také",
    "jen",
    "už",
    "ještě",
    "když",
    "při",
    "nebo",
    "ani",
    "však",
    "jako",
    "jsem",
    "jsme",
    "než",
    "tak",
    "jak",
    // Dutch
    "het",
    "een",
    "van",
    "en",
    "dat",
    "op",
    "te",
    "zijn",
    "voor",
    "niet",
    "met",
    "ook",
    "aan",
    "worden",
    "wordt",
    "deze",
    "maar",
    "bij",
    "naar",
    "werd",
    // Russian
    "и",
    "в",
    "во",
    "не",
    "что",
    "он",
    "на",
    "я",
    "с",
    "со",
    "как",
    "а",
    "то",
    "все",
    "она",
    "так",
    "его",
    "но",
    "да",
    "ты",
    "к",
    "у",
    "же",
    "вы",
    "за",
    "бы",
    "по",
    "только",
    "ее",
    "её",
    "мне",
    "было",
    "вот",
    "от",
    "меня",
    "еще",
    "ещё",
    "нет",
    "о",
    "из",
    "ему",
    "когда",
    "даже",
    "ну",
    "ли",
    "если",
    "уже",
    "или",
    "ни",
    "быть",
    "был",
    "него",
    "до",
    "вас",
    "там",
    "потом",
    "себя",
    "ей",
    "может",
    "они",
    "тут",
    "где",
    "есть",
    "для",
    "мы",
    "их",
    "чем",
    "была",
    "были",
    "сам",
    "без",
    "под",
    "будет",
    "тогда",
    "кто",
    "этот",
    "это",
    "эти",
    "этого",
    "том",
    "этом",
    "при",
    "также",
    "который",
    "которые",
    "которая",
    "которых",
];

/// Chinese function characters; a CJK token made only of these is a stopword.
const ZH_FUNCTION: &str = "的了是在和也有就不我他她它们这那个之与及或而被把对着过吗呢吧啊于其中为以所从到让给很都又还";

/// Common Chinese function words of two characters (maybe, because, so, but, if, we, ...): stopwords too.
const ZH_FUNCTION_WORDS: &[&str] = &[
    "可能", "因为", "所以", "但是", "如果", "我们", "他们", "你们", "这个", "那个", "没有", "一个", "自己", "已经",
    "还是", "就是", "这些", "那些", "什么", "时候", "然后", "因此", "虽然", "而且", "或者", "不是", "可以", "这样",
    "如何", "因為", "我們", "他們", "這個", "那個", "沒有", "一個", "已經", "還是", "這些", "什麼", "時候", "然後",
    "雖然", "這樣",
];

fn stop_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_EN.iter().chain(STOP_OTHER).copied().collect())
}

/// Whether `w` is a stopword (case-insensitive). CJK tokens made only of
/// hiragana or common Chinese function characters count as stopwords.
pub fn is_stopword(w: &str) -> bool {
    if w.is_empty() {
        return false;
    }
    if w.chars().any(is_cjk) {
        return w.chars().all(is_hiragana)
            || w.chars().all(|c| ZH_FUNCTION.contains(c))
            || ZH_FUNCTION_WORDS.contains(&w);
    }
    let set = stop_set();
    if w.chars().any(char::is_uppercase) {
        set.contains(normalize_word(w).as_str())
    } else {
        set.contains(w) || (w.contains('’') && set.contains(w.replace('’', "'").as_str()))
    }
}

fn has_vowel(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
}

fn undouble(s: &mut String) {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 2 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z' | b'e' | b'o') {
        s.pop();
    }
}

/// Light English suffix stripping: plurals, -ed/-ing, a few derivational
/// suffixes and a final -e, so "votes"/"voted"/"voting"/"vote" conflate.
/// Non-ASCII or short words are only lowercased.
pub fn stem(w: &str) -> String {
    let mut s = w.to_lowercase();
    if s.len() <= 3 || !s.bytes().all(|b| b.is_ascii_lowercase()) {
        return s;
    }
    // Plurals.
    if s.ends_with("sses") {
        s.truncate(s.len() - 2);
    } else if s.ends_with("ies") && s.len() > 4 {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s.pop();
    }
    // Inflections.
    if s.ends_with("ied") && s.len() > 4 {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with("eed") {
        s.pop();
    } else if s.ends_with("ed") && s.len() >= 5 && has_vowel(&s[..s.len() - 2]) {
        s.truncate(s.len() - 2);
        undouble(&mut s);
    } else if s.ends_with("ing") && s.len() >= 6 && has_vowel(&s[..s.len() - 3]) {
        s.truncate(s.len() - 3);
        undouble(&mut s);
    }
    // Derivational suffixes.
    for (suffix, repl) in [
        ("ational", "ate"),
        ("ization", "ize"),
        ("fulness", "ful"),
        ("iveness", "ive"),
        ("ation", "ate"),
        ("ness", ""),
        ("ment", ""),
        ("ly", ""),
    ] {
        if s.ends_with(suffix) && s.len() - suffix.len() + repl.len() >= 4 {
            s.truncate(s.len() - suffix.len());
            s.push_str(repl);
            break;
        }
    }
    if s.ends_with('e') && s.len() >= 4 {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_basic() {
        assert_eq!(
            words("The Council's vote: 7-2, don't panic! 3.14"),
            vec!["the", "council", "vote", "7", "2", "don't", "panic", "3.14"]
        );
    }

    #[test]
    fn words_scripts() {
        assert_eq!(words("Привет, Мир"), vec!["привет", "мир"]);
        assert_eq!(words("हिन्दी भाषा"), vec!["हिन्दी", "भाषा"]);
        assert_eq!(words("שָׁלוֹם עולם"), vec!["שָׁלוֹם", "עולם"]);
        assert_eq!(words("東京タワー"), vec!["東京", "京タ", "タワ", "ワー"]);
        assert_eq!(words("我"), vec!["我"]);
        assert_eq!(words("Rust语言"), vec!["rust", "语言"]);
    }

    #[test]
    fn stopwords() {
        assert!(is_stopword("the"));
        assert!(is_stopword("The"));
        assert!(is_stopword("don’t"));
        assert!(is_stopword("und"));
        assert!(is_stopword("это"));
        assert!(is_stopword("のは"));
        assert!(is_stopword("的"));
        assert!(!is_stopword("bridge"));
        assert!(!is_stopword("war"));
        assert!(!is_stopword("東京"));
        assert!(!is_stopword(""));
    }

    #[test]
    fn stemming_conflates() {
        for group in [
            &["vote", "votes", "voted", "voting"][..],
            &["bridge", "bridges"],
            &["policy", "policies"],
            &["run", "running"],
            &["study", "studies", "studied"],
            &["make", "making"],
            &["council", "councils"],
        ] {
            let s0 = stem(group[0]);
            for w in group {
                assert_eq!(stem(w), s0, "{w}");
            }
        }
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("Москва"), "москва");
    }
}
