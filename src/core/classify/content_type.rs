//! Content type from the form of a page, not its subject.
//!
//! Similarity to descriptions of a genre ("a news report on recent events…") mostly measures the subject: MiniLM
//! puts a news story about a bakery next to a recipe. What separates genres is how sentences are written, so two
//! kinds of evidence are combined:
//! - **exemplar vote** ([`exemplar_vote`]): each sentence's best cosine with the example sentences of each content
//!   type (the set's descriptions are sentences typical of the genre: "Preheat the oven to 180°C…", "Has anyone
//!   else had this problem…", "The company said in a statement on Tuesday…"), averaged over the page;
//! - **cues** ([`cues`]): rates of surface signals of form: reporting verbs, weekdays, first/second person,
//!   imperative openings, questions, quotations and dialogue, digits, quantities with units, prices, code, citations,
//!   forum, review, opinion and step words.
//!
//! A multinomial logistic model ([`FormModel`], `content_type_model.json`) turns them into probabilities. Its weights
//! are fitted on tests/t1/classify_eval.json and classify_third.json by tests/t1_classify.rs (`CLASSIFY_FIT=1`
//! rewrites the file) and measured there under leave-one-out and on tests/t1/classify_unseen.json and
//! classify_fourth.json, which are never used for fitting. The
//! word cues and the bundled MiniLM are English; on a page in another language they count as "no evidence" (the
//! fitted means), so the script-neutral cues and the prior decide there.

use serde::Deserialize;
use std::sync::OnceLock;

use crate::core::text::{detect_language, tokens::Piece, tokens::normalize_word, tokens::pieces};

/// The cues, in the order of [`Cues::values`] and of the model file.
pub const CUE_NAMES: [&str; 18] = [
    "said",
    "days",
    "i",
    "we",
    "you",
    "imperative",
    "question",
    "quote",
    "dialogue",
    "digits",
    "units",
    "price",
    "code",
    "citation",
    "forum",
    "review",
    "opinion",
    "steps",
];

/// Whether a cue reads English words (missing on pages in other languages); the others read script-neutral marks.
fn reads_english(cue: &str) -> bool {
    !matches!(
        cue,
        "question" | "quote" | "dialogue" | "digits" | "units" | "price" | "code" | "citation"
    )
}

/// One page's cue values; `None` where the cue does not apply (English word cues on other languages).
#[derive(Debug, Clone, PartialEq)]
pub struct Cues {
    pub values: [Option<f32>; CUE_NAMES.len()],
    /// The page is in English (or too short to tell): the bundled MiniLM's vote is evidence only then.
    pub english: bool,
}

const REPORTING: &[&str] = &[
    "said",
    "says",
    "told",
    "announced",
    "reported",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "statement",
    "official",
    "officials",
];
const DAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "yesterday",
];
const FIRST_SINGULAR: &[&str] = &["i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine"];
const FIRST_PLURAL: &[&str] = &["we", "we're", "we've", "we'll", "our", "us", "ours"];
const SECOND: &[&str] = &["you", "you're", "you'll", "you've", "your", "yours"];
/// Verbs that open an instruction ("Stir in the flour", "Click Save").
const IMPERATIVE: &[&str] = &[
    "add", "apply", "ask", "avoid", "bake", "boil", "bring", "call", "check", "choose", "chop", "click", "combine",
    "cook", "copy", "create", "cut", "don't", "download", "drain", "edit", "enter", "fill", "find", "follow", "fry",
    "go", "heat", "install", "keep", "let", "look", "make", "mix", "open", "pick", "place", "plan", "pour", "preheat",
    "press", "put", "read", "remove", "repeat", "restart", "run", "save", "season", "select", "serve", "set", "slice",
    "start", "stir", "store", "take", "tap", "try", "turn", "type", "use", "visit", "wash", "whisk", "write",
];
const UNIT_WORDS: &[&str] = &[
    "tablespoon",
    "tablespoons",
    "teaspoon",
    "teaspoons",
    "tbsp",
    "tsp",
    "pinch",
    "clove",
    "cloves",
];
const UNITS_AFTER_NUMBER: &[&str] = &[
    "g", "kg", "ml", "l", "cup", "cups", "oz", "lb", "lbs", "gram", "grams", "minutes", "mins",
];
const FORUM: &[&str] = &[
    "reply", "replies", "replied", "posted", "thread", "thanks", "solved", "anyone", "upvote", "op", "quote",
];
const REVIEW: &[&str] = &[
    "pros",
    "cons",
    "verdict",
    "rating",
    "star",
    "stars",
    "recommend",
    "worth",
    "overall",
    "disappointed",
    "disappointing",
];
const OPINION: &[&str] = &["should", "must", "ought", "nobody"];
/// Two-word phrases per cue (matched on consecutive words).
const PHRASES: &[(&str, &str, &str)] = &[
    ("said", "according", "to"),
    ("days", "last", "week"),
    ("days", "this", "week"),
    ("forum", "thank", "you"),
    ("forum", "same", "issue"),
    ("forum", "same", "problem"),
    ("opinion", "need", "to"),
    ("opinion", "i", "think"),
    ("opinion", "i", "believe"),
    ("opinion", "my", "view"),
    ("opinion", "we", "need"),
    ("opinion", "is", "time"),
    ("steps", "once", "you"),
    ("steps", "make", "sure"),
    ("steps", "will", "need"),
    ("steps", "you'll", "need"),
];
const STEP_WORDS: &[&str] = &["then", "first", "next", "finally"];
/// The vote's scale in the model (a cosine difference of 0.02 is one unit of logit before the fitted weight).
pub const VOTE_SCALE: f32 = 0.02;
const QUOTES: &[char] = &['"', '“', '”', '«', '»', '„', '「', '」', '『', '』'];
const CURRENCY: &[char] = &['$', '€', '£', '¥'];

fn index_of(name: &str) -> usize {
    CUE_NAMES.iter().position(|n| *n == name).unwrap_or(0)
}

fn is_number(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// Code-like tokens of a sentence: calls `f()`, braces and semicolons, `=>` `->` `::` `==`, backticks, `--flags`,
/// snake_case and camelCase identifiers.
fn code_marks(s: &str) -> usize {
    let mut n = s.matches("()").count()
        + s.chars().filter(|c| matches!(c, '{' | '}' | ';' | '`')).count()
        + ["=>", "->", "::", "=="]
            .iter()
            .map(|p| s.matches(p).count())
            .sum::<usize>();
    for raw in s.split_whitespace() {
        let t = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '-');
        if t.starts_with("--") && t.chars().nth(2).is_some_and(|c| c.is_ascii_lowercase()) {
            n += 1;
        }
        let letters = |c: char| c.is_ascii_alphabetic();
        let snake = t.contains('_') && t.split('_').filter(|p| !p.is_empty()).count() >= 2 && t.chars().any(letters);
        let camel = t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && t.chars().skip(1).any(|c| c.is_ascii_uppercase())
            && t.chars().all(|c| c.is_ascii_alphanumeric());
        if snake || camel {
            n += 1;
        }
    }
    n
}

/// Citation marks: `[12]`, `[3, 14]`, "et al", "Fig. 2", "Figure 3", "Table 2", "p < 0.05", "(Smith, 2019)".
fn citation_marks(s: &str, words: &[String]) -> usize {
    let mut n = 0;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], ',' | ' ' | '–' | '-')) {
                j += 1;
            }
            if j < chars.len() && chars[j] == ']' && j > i + 1 && chars[i + 1].is_ascii_digit() {
                n += 1;
            }
        }
        if chars[i] == '(' {
            // "(Name, 2019)" / "(Name et al. 2019)": a capitalized word, then a year before the closing parenthesis.
            let inner: String = chars[i + 1..].iter().take_while(|c| **c != ')').collect();
            let year = inner.trim_end().rsplit([' ', ',']).next().unwrap_or("");
            if inner.chars().next().is_some_and(char::is_uppercase)
                && year.len() == 4
                && (year.starts_with("19") || year.starts_with("20"))
                && year.chars().all(|c| c.is_ascii_digit())
            {
                n += 1;
            }
        }
        i += 1;
    }
    for pair in words.windows(2) {
        let (a, b) = (pair[0].as_str(), pair[1].as_str());
        if (a == "et" && b == "al") || (matches!(a, "fig" | "figure" | "table") && is_number(b)) {
            n += 1;
        }
        if a == "p" && (s.contains("p <") || s.contains("p=") || s.contains("p =")) {
            n += 1;
        }
    }
    n
}

/// Cue values of a page from its sentences (the title excluded): rates per sentence, or per word for pronouns
/// (× 20) and digits (× 10), the scales the model was fitted at.
pub fn cues(sentences: &[String]) -> Cues {
    let ns = sentences.len().max(1) as f32;
    let mut counts = [0.0f32; CUE_NAMES.len()];
    let mut word_total = 0usize;
    let mut add = |name: &str, k: f32| counts[index_of(name)] += k;
    for s in sentences {
        let mut words: Vec<String> = Vec::new();
        for p in pieces(s) {
            match p {
                Piece::Word { start, end } => words.extend(s.get(start..end).map(normalize_word)),
                // Each Han or kana character counts as a word, as in word counts; none is a cue word.
                Piece::Cjk { start, end } => word_total += s.get(start..end).map_or(0, |r| r.chars().count()),
                Piece::Break => {}
            }
        }
        word_total += words.len();
        let count_in = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count() as f32;
        add("said", count_in(REPORTING));
        add("days", count_in(DAYS));
        add("i", count_in(FIRST_SINGULAR));
        add("we", count_in(FIRST_PLURAL));
        add("you", count_in(SECOND));
        add("forum", count_in(FORUM));
        add("review", count_in(REVIEW));
        add("opinion", count_in(OPINION));
        for pair in words.windows(2) {
            for (cue, a, b) in PHRASES {
                if pair[0] == *a && pair[1] == *b {
                    add(cue, 1.0);
                }
            }
            if pair[0] == "step" && is_number(&pair[1]) {
                add("steps", 1.0);
            }
            if is_number(&pair[0]) && UNITS_AFTER_NUMBER.contains(&pair[1].as_str()) {
                add("units", 1.0);
            }
        }
        for triple in words.windows(3) {
            if triple[0] == "out" && triple[1] == "of" && matches!(triple[2].as_str(), "5" | "five" | "10" | "ten") {
                add("review", 1.0);
            }
        }
        add("steps", count_in(STEP_WORDS));
        add("units", count_in(UNIT_WORDS));
        if s.contains("°C") || s.contains("°F") {
            add("units", 1.0);
        }
        if s.contains("/10") {
            add("review", 1.0);
        }
        if s.contains("+1") {
            add("forum", 1.0);
        }
        if words.first().is_some_and(|w| IMPERATIVE.contains(&w.as_str())) {
            add("imperative", 1.0);
        }
        let trimmed = s.trim();
        if trimmed.ends_with('?') || trimmed.ends_with('？') {
            add("question", 1.0);
        }
        if s.contains(QUOTES) {
            add("quote", 1.0);
        }
        if trimmed.starts_with(QUOTES) {
            add("dialogue", 1.0);
        }
        add("digits", words.iter().filter(|w| is_number(w)).count() as f32);
        let chars: Vec<char> = s.chars().collect();
        let prices = chars
            .windows(2)
            .filter(|w| CURRENCY.contains(&w[0]) && w[1].is_ascii_digit())
            .count()
            + chars
                .windows(3)
                .filter(|w| CURRENCY.contains(&w[0]) && w[1] == ' ' && w[2].is_ascii_digit())
                .count()
            + chars
                .windows(2)
                .filter(|w| w[0].is_ascii_digit() && w[1] == '€')
                .count();
        add("price", prices as f32);
        add("code", code_marks(s) as f32);
        add("citation", citation_marks(s, &words) as f32);
    }
    let nw = word_total.max(1) as f32;
    let english = detect_language(&sentences.join(" ")).is_none_or(|g| g.code == "en");
    let values = std::array::from_fn(|i| match CUE_NAMES[i] {
        name if !english && reads_english(name) => None,
        "i" | "we" | "you" => Some(counts[i] / nw * 20.0),
        "digits" => Some(counts[i] / nw * 10.0),
        _ => Some(counts[i] / ns),
    });
    Cues { values, english }
}

/// schema.org types a page may declare about itself and the content type each names; types not listed (Article,
/// WebPage, Organization, ...) say nothing of the form. Sites declare loosely (a tutorial as "NewsArticle"), so the
/// model weighs the declaration with a fitted weight like any other evidence.
const DECLARED: &[(&str, &str)] = &[
    ("NewsArticle", "news_article"),
    ("ReportageNewsArticle", "news_article"),
    ("AnalysisNewsArticle", "news_article"),
    ("BackgroundNewsArticle", "news_article"),
    ("LiveBlogPosting", "news_article"),
    ("OpinionNewsArticle", "opinion"),
    ("BlogPosting", "blog_post"),
    ("Blog", "blog_post"),
    ("TechArticle", "documentation"),
    ("APIReference", "documentation"),
    ("Product", "product_page"),
    ("ProductGroup", "product_page"),
    ("IndividualProduct", "product_page"),
    ("ProductModel", "product_page"),
    ("Recipe", "recipe"),
    ("DiscussionForumPosting", "forum_thread"),
    ("QAPage", "forum_thread"),
    ("ScholarlyArticle", "research_paper"),
    ("MedicalScholarlyArticle", "research_paper"),
    ("Review", "review"),
    ("CriticReview", "review"),
    ("UserReview", "review"),
    ("ReviewNewsArticle", "review"),
    ("HowTo", "how_to"),
    ("ShortStory", "fiction"),
];

/// Per label (in the order of `label_ids`): the share of the page's declared types that name it (0 everywhere when
/// none names a content type).
pub fn declared_evidence(label_ids: &[&str], declared_types: &[String]) -> Vec<f32> {
    let named: Vec<&str> = declared_types
        .iter()
        .filter_map(|t| DECLARED.iter().find(|(name, _)| name == t).map(|(_, label)| *label))
        .collect();
    label_ids
        .iter()
        .map(|id| {
            if named.is_empty() {
                0.0
            } else {
                named.iter().filter(|l| *l == id).count() as f32 / named.len() as f32
            }
        })
        .collect()
}

/// Per label (in the order of `exemplars`): the mean over the page's sentences of the best cosine with the label's
/// example sentences. Vectors are L2-normalized.
pub fn exemplar_vote(sentence_vectors: &[Vec<f32>], exemplars: &[Vec<Vec<f32>>]) -> Vec<f32> {
    exemplars
        .iter()
        .map(|examples| {
            if sentence_vectors.is_empty() || examples.is_empty() {
                return 0.0;
            }
            let sum: f32 = sentence_vectors
                .iter()
                .map(|v| {
                    examples
                        .iter()
                        .map(|e| super::score::dot(e, v))
                        .fold(f32::NEG_INFINITY, f32::max)
                })
                .sum();
            sum / sentence_vectors.len() as f32
        })
        .collect()
}

/// The fitted model: logit(label) = vote_weight × vote(label) / vote_scale + declared_weight × declared(label) +
/// Σ weight(cue, label) × z(cue) + bias(label) (declared: [`declared_evidence`]),
/// with z the cue standardized by the fitting set's mean and deviation (0 when the cue is missing) and the vote
/// replaced by the fitting set's mean vote on pages not in English (the bundled MiniLM reads English).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FormModel {
    pub labels: Vec<String>,
    pub cues: Vec<String>,
    pub mean: Vec<f32>,
    pub sd: Vec<f32>,
    pub vote_scale: f32,
    pub vote_weight: f32,
    /// The fitting set's mean vote per label: what a page not in English counts as.
    pub vote_mean: Vec<f32>,
    /// Weight of the page's declared schema.org type ([`declared_evidence`]).
    #[serde(default)]
    pub declared_weight: f32,
    /// `weights[cue][label]`.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

impl FormModel {
    /// Logits in the order of `label_ids` (a label the model does not know gets the lowest logit).
    pub fn logits(&self, label_ids: &[&str], vote: &[f32], cues: &Cues, declared: &[f32]) -> Vec<f32> {
        let z: Vec<f32> = (0..self.cues.len())
            .map(|c| match cues.values.get(c).copied().flatten() {
                Some(x) => (x - self.mean[c]) / self.sd[c].max(1e-6),
                None => 0.0,
            })
            .collect();
        label_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let Some(l) = self.labels.iter().position(|x| x == id) else {
                    return -1e3;
                };
                let v = if cues.english {
                    vote.get(i).copied().unwrap_or(0.0)
                } else {
                    self.vote_mean[l]
                };
                let mut logit = self.vote_weight * v / self.vote_scale
                    + self.declared_weight * declared.get(i).copied().unwrap_or(0.0)
                    + self.bias[l];
                for (c, zc) in z.iter().enumerate() {
                    logit += self.weights[c][l] * zc;
                }
                logit
            })
            .collect()
    }

    /// Whether the file's shape is consistent (cue names and sizes).
    fn valid(&self) -> bool {
        let (nl, nc) = (self.labels.len(), self.cues.len());
        self.cues.iter().map(String::as_str).eq(CUE_NAMES.iter().copied())
            && self.mean.len() == nc
            && self.sd.len() == nc
            && self.weights.len() == nc
            && self.weights.iter().all(|w| w.len() == nl)
            && self.bias.len() == nl
            && self.vote_mean.len() == nl
            && self.vote_scale > 0.0
    }
}

/// The shipped model (`content_type_model.json`); `None` only if the file were malformed, which a unit test rules
/// out: the classifier then uses the vote alone.
pub fn model() -> Option<&'static FormModel> {
    static MODEL: OnceLock<Option<FormModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            serde_json::from_str::<FormModel>(include_str!("content_type_model.json"))
                .ok()
                .filter(FormModel::valid)
        })
        .as_ref()
}

/// Content-type logits of a page from its sample's sentences and their vectors ([`super::PageEmbedding`]; the
/// first sentence is the title when `has_title`): the fitted model, or the vote alone (scaled as the model scales it).
pub fn content_type_logits(
    label_ids: &[&str],
    sentences: &[String],
    vectors: &[Vec<f32>],
    has_title: bool,
    exemplars: &[Vec<Vec<f32>>],
    declared_types: &[String],
) -> Vec<f32> {
    let vote = exemplar_vote(vectors, exemplars);
    let body = if has_title {
        sentences.get(1..).unwrap_or(&[])
    } else {
        sentences
    };
    match model() {
        Some(m) => m.logits(
            label_ids,
            &vote,
            &cues(body),
            &declared_evidence(label_ids, declared_types),
        ),
        None => vote.iter().map(|v| v / VOTE_SCALE).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(c: &Cues, name: &str) -> Option<f32> {
        c.values[index_of(name)]
    }

    fn sentences(text: &str) -> Vec<String> {
        crate::core::text::split_sentences(text)
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn the_shipped_model_matches_the_label_set() {
        let m = model().expect("content_type_model.json parses and is consistent");
        let ids: Vec<String> = super::super::LabelSet::ContentType
            .labels()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(m.labels, ids);
    }

    #[test]
    fn cues_read_the_form() {
        let recipe = cues(&sentences(
            "Preheat the oven to 180°C. Add 200 g flour and 2 tbsp sugar. Bake for 30 minutes.",
        ));
        assert!(cue(&recipe, "units").unwrap_or(0.0) >= 1.0, "{recipe:?}");
        assert!(cue(&recipe, "imperative").unwrap_or(0.0) > 0.5);
        let code = cues(&sentences(
            "Call parse_duration() with the text. Set maxRetries to 3 with --retries.",
        ));
        assert!(cue(&code, "code").unwrap_or(0.0) >= 1.5, "{code:?}");
        let news = cues(&sentences(
            "The minister said on Tuesday that the law would pass, according to officials.",
        ));
        assert!(cue(&news, "said").unwrap_or(0.0) >= 2.0, "{news:?}");
        assert!(cue(&news, "days").unwrap_or(0.0) >= 1.0);
        let shop = cues(&sentences("Now only $79, was €99. Free returns."));
        assert!(cue(&shop, "price").unwrap_or(0.0) >= 1.0, "{shop:?}");
        let paper = cues(&sentences(
            "Previous work [3, 14] disagrees (Smith, 2019). See Table 2 and Smith et al.",
        ));
        // Four marks in two sentences.
        assert!(cue(&paper, "citation").unwrap_or(0.0) >= 1.5, "{paper:?}");
        assert!(news.english && recipe.english);
    }

    #[test]
    fn english_word_cues_are_missing_on_other_languages() {
        let fr = cues(&sentences(
            "Les députés ont adopté le projet de loi mardi. Il sera examiné par le Sénat, puis par le Conseil \
             constitutionnel, a déclaré le ministre.",
        ));
        assert!(!fr.english);
        assert_eq!(cue(&fr, "said"), None);
        assert!(cue(&fr, "digits").is_some());
        // Han characters count as words: a Chinese page with a few numbers is not mostly digits.
        let zh = cues(&sentences(
            "宇航员在太空中喝酒会怎么样？2015年，研究人员对12名宇航员进行了调查。",
        ));
        assert!(cue(&zh, "digits").unwrap_or(10.0) < 1.0, "{zh:?}");
        let m = model().expect("model");
        let ids: Vec<&str> = m.labels.iter().map(String::as_str).collect();
        // Not in English, the vote is replaced by the fitted mean: two different votes give the same logits.
        let none = vec![0.0; ids.len()];
        let a = m.logits(&ids, &vec![0.9; ids.len()], &fr, &none);
        let b = m.logits(&ids, &vec![0.1; ids.len()], &fr, &none);
        assert_eq!(a, b);
    }

    #[test]
    fn a_declared_type_is_evidence_for_its_label() {
        let ids = ["news_article", "blog_post", "recipe"];
        let types = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(declared_evidence(&ids, &types(&["WebPage", "Recipe"])), [0.0, 0.0, 1.0]);
        assert_eq!(
            declared_evidence(&ids, &types(&["BlogPosting", "NewsArticle", "Person"])),
            [0.5, 0.5, 0.0]
        );
        assert_eq!(declared_evidence(&ids, &types(&["Article", "Organization"])), [0.0; 3]);
        // Every type in the table names a label of the set.
        let labels: Vec<&str> = super::super::labels::CONTENT_TYPE.iter().map(|l| l.id).collect();
        assert!(DECLARED.iter().all(|(_, l)| labels.contains(l)));
        // The shipped model counts a declaration for its label: the same page scores higher as a declared recipe.
        let m = model().expect("model");
        assert!(m.declared_weight > 0.5, "{}", m.declared_weight);
        let ids: Vec<&str> = m.labels.iter().map(String::as_str).collect();
        let page = cues(&sentences(
            "Mix the flour and the butter. Bake for 20 minutes at 180 °C.",
        ));
        let vote = vec![0.3; ids.len()];
        let plain = m.logits(&ids, &vote, &page, &declared_evidence(&ids, &[]));
        let declared = m.logits(&ids, &vote, &page, &declared_evidence(&ids, &types(&["Recipe"])));
        let r = ids.iter().position(|l| *l == "recipe").expect("recipe label");
        assert!(declared[r] > plain[r] + 0.5);
    }

    #[test]
    fn the_vote_is_the_mean_best_cosine() {
        let s = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let ex = vec![vec![vec![1.0, 0.0], vec![0.6, 0.8]], vec![vec![0.0, -1.0]]];
        let v = exemplar_vote(&s, &ex);
        assert!((v[0] - 0.9).abs() < 1e-6, "{v:?}");
        assert!((v[1] - (-0.5)).abs() < 1e-6);
        assert_eq!(exemplar_vote(&[], &ex), vec![0.0, 0.0]);
    }
}
