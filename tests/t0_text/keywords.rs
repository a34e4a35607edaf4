use super::common;

use common::*;
use scout::core::text::{keywords, keywords_for};

#[test]
fn bridge_article_keywords() {
    let kw = keywords(NEWS, 8);
    assert_eq!(kw.len(), 8);
    let terms: Vec<String> = kw.iter().map(|k| k.term.to_lowercase()).collect();
    assert!(terms[..3].iter().any(|t| t.contains("bridge")), "{terms:?}");
    assert!(terms[..3].iter().any(|t| t.contains("council")), "{terms:?}");
    // Scores descending, top is 1.
    assert!((kw[0].score - 1.0).abs() < 1e-6);
    assert!(kw.windows(2).all(|w| w[0].score >= w[1].score));
    // Every term is verbatim text (whitespace-normalized) and 1-3 words.
    let norm = NEWS.split_whitespace().collect::<Vec<_>>().join(" ");
    for k in &kw {
        assert!(norm.contains(&k.term), "{}", k.term);
        assert!((1..=3).contains(&k.term.split_whitespace().count()));
    }
    // Deterministic.
    assert_eq!(kw, keywords(NEWS, 8));
}

#[test]
fn review_and_howto_keywords() {
    let review: Vec<String> = keywords(REVIEW, 6).into_iter().map(|k| k.term.to_lowercase()).collect();
    assert!(
        review.iter().any(|t| t.contains("aurora") || t.contains("x2")),
        "{review:?}"
    );
    assert!(
        review.iter().any(|t| t.contains("noise") || t.contains("battery")),
        "{review:?}"
    );
    let howto: Vec<String> = keywords(HOWTO, 6).into_iter().map(|k| k.term.to_lowercase()).collect();
    assert!(howto.iter().any(|t| t.contains("root")), "{howto:?}");
    assert!(howto.iter().any(|t| t.contains("pot")), "{howto:?}");
}

#[test]
fn deduplicated_by_stem_with_common_casing() {
    let text = "Bridges are old. The bridge council met. The bridge is closing. \
                The council said the bridge would close. Councils elsewhere agree.";
    let kw = keywords(text, 5);
    let bridges = kw.iter().filter(|k| k.term.to_lowercase().contains("bridge")).count();
    assert!(bridges >= 1);
    let singles: Vec<&str> = kw
        .iter()
        .map(|k| k.term.as_str())
        .filter(|t| !t.contains(' '))
        .collect();
    let mut lower: Vec<String> = singles.iter().map(|t| scout::core::text::stem(t)).collect();
    lower.sort();
    let before = lower.len();
    lower.dedup();
    assert_eq!(before, lower.len(), "{kw:?}");
    assert!(
        kw.iter().any(|k| k.term == "bridge" || k.term == "bridge council"),
        "{kw:?}"
    );
}

#[test]
fn multilingual_keywords_do_not_panic() {
    for t in [
        "Москва является столицей России. Москва большой город.",
        "東京は日本の首都です。東京タワーは有名です。",
        "Die Brücke wird erneuert. Die Brücke ist alt.",
        "مرحبا بكم في الموقع. الموقع جديد.",
    ] {
        let kw = keywords(t, 3);
        assert!(!kw.is_empty(), "{t}");
    }
    assert_eq!(
        keywords("Москва является столицей России. Москва большой город.", 1)[0].term,
        "Москва"
    );
}

#[test]
fn the_page_language_s_function_and_calendar_words_are_never_keywords() {
    // Czech "ale" (but) and "před" (before) are frequent here; on a page known to be Czech they are not keywords,
    // while the same text of unknown language keeps "ale" (English beer).
    let cs = "Ale stadion byl plný. Ale Souček dal gól před koncem. Ale trenér Moyes chválil Součka. \
              Souček hrál dobře, ale West Ham prohrál. Před zápasem Moyes mluvil o Součkovi.";
    let terms = |kw: Vec<scout::core::text::Keyword>| kw.into_iter().map(|k| k.term.to_lowercase()).collect::<Vec<_>>();
    let known = terms(keywords_for(cs, Some("cs-CZ"), 8));
    assert!(
        !known.iter().any(|t| t.split(' ').any(|w| w == "ale" || w == "před")),
        "{known:?}"
    );
    assert!(known.iter().any(|t| t.contains("souček")), "{known:?}");
    assert!(terms(keywords(cs, 8)).iter().any(|t| t == "ale"));
    // French weekdays, "selon" and an elided article are not keywords; the names are.
    let fr = "Jeudi, selon le ministère, d’un avion à Katmandou. Jeudi encore, le Quai d’Orsay a parlé. \
              Selon Katmandou, l’avion est arrivé jeudi. Le Quai d’Orsay confirme.";
    let fr_terms = terms(keywords_for(fr, Some("fr"), 8));
    for w in ["jeudi", "selon", "d’un", "encore"] {
        assert!(!fr_terms.iter().any(|t| t == w), "{w} in {fr_terms:?}");
    }
    assert!(fr_terms.iter().any(|t| t.contains("katmandou")), "{fr_terms:?}");
    // English month and weekday names are not keywords on any page.
    let en =
        "On Wednesday the council met. The bridge council voted Wednesday in December. The bridge reopens in December.";
    let en_terms = terms(keywords_for(en, Some("en"), 8));
    assert!(
        !en_terms
            .iter()
            .any(|t| t.contains("wednesday") || t.contains("december")),
        "{en_terms:?}"
    );
}

#[test]
fn korean_keywords_are_nouns_without_their_particles() {
    // Seoul City raises transit fares: 서울시 is written with four particles (는, 의, 에, 가), 요금 (fare) with three.
    let ko = "서울시는 올해 대중교통 요금을 인상했다. 서울시의 발표에 따르면 지하철 요금은 150원 오른다. \
              시민들은 서울시에 불만을 나타냈다. 지하철과 버스 요금이 함께 오르면서 대중교통 이용자의 부담이 커졌다. \
              서울시가 밝힌 인상 이유는 적자다. 지하철을 이용하는 시민은 하루 700만 명이다.";
    let terms: Vec<String> = keywords_for(ko, Some("ko"), 8).into_iter().map(|k| k.term).collect();
    for noun in ["서울시", "지하철", "대중교통", "요금"] {
        assert!(
            terms[..4].contains(&noun.to_string()),
            "{noun} not in the first four: {terms:?}"
        );
    }
    assert!(
        !terms.iter().any(|t| t.ends_with('다') || t.ends_with("면")),
        "a verb form: {terms:?}"
    );
    assert!(!terms.iter().any(|t| t == "서울시는" || t == "서울시의"), "{terms:?}");
}

#[test]
fn arabic_and_hebrew_words_count_together_under_their_prefixes() {
    // A library opens a tool section: الأدوات (the tools) is also written للأدوات (for the tools).
    let ar = "افتتحت المكتبة العامة في المدينة قسما جديدا للأدوات. وقالت مديرة المكتبة إن السكان تبرعوا بمعظم \
              الأدوات. ويستطيع سكان المدينة استعارة الأدوات لمدة أسبوع. وزادت زيارات المكتبة بعد افتتاح القسم، وأصبحت \
              المكتبة مركزا للمدينة. ويعمل متطوعون في المكتبة كل مساء.";
    let terms: Vec<String> = keywords_for(ar, Some("ar"), 8).into_iter().map(|k| k.term).collect();
    assert_eq!(&terms[..2], ["المكتبة", "المدينة"], "{terms:?}");
    assert!(
        terms.contains(&"الأدوات".to_string()) && !terms.contains(&"للأدوات".to_string()),
        "{terms:?}"
    );
    // The library (ספרייה) under four prefixes is one keyword, and the first.
    let he = "העירייה פתחה ספרייה חדשה במרכז העיר. הספרייה החדשה משרתת את תושבי העיר. בספרייה יש גם כלים להשאלה. \
              תושבים רבים הגיעו לספרייה כבר בשבוע הראשון. ראש העיר אמר שהספרייה תהיה פתוחה גם בערב.";
    let terms: Vec<String> = keywords_for(he, Some("he"), 8).into_iter().map(|k| k.term).collect();
    assert_eq!(terms[0], "ספרייה", "{terms:?}");
    let library_forms = terms.iter().filter(|t| t.ends_with("ספרייה")).count();
    assert_eq!(library_forms, 1, "{terms:?}");
}

#[test]
fn a_polish_and_a_swedish_page_lose_their_function_words() {
    let terms = |t: &str, lang: Option<&str>| -> Vec<String> {
        keywords_for(t, lang, 8)
            .into_iter()
            .map(|k| k.term.to_lowercase())
            .collect()
    };
    let pl = "Biblioteka w Krakowie jest otwarta. Nie jest to zwykła biblioteka, bo wypożycza się tu narzędzia. \
              Mieszkańcy cieszą się, że biblioteka nie zamyka się wieczorem. Narzędzia są sprawdzane przez wolontariuszy.";
    let function = ["się", "nie", "jest", "że", "są", "przez"];
    assert!(
        terms(pl, None).iter().any(|t| function.contains(&t.as_str())),
        "{:?}",
        terms(pl, None)
    );
    let known = terms(pl, Some("pl"));
    assert!(
        !known.iter().any(|t| t.split(' ').any(|w| function.contains(&w))),
        "{known:?}"
    );
    assert!(known.iter().any(|t| t.contains("biblioteka")), "{known:?}");
    let sv = "Biblioteket i Malmö har öppnat en verkstad. Det är en verkstad som alla kan använda, och biblioteket \
              lånar ut verktyg. Att låna är gratis för alla som har ett bibliotekskort.";
    let known = terms(sv, Some("sv"));
    assert!(
        !known.iter().any(|t| t
            .split(' ')
            .any(|w| ["och", "att", "det", "som", "är", "för"].contains(&w))),
        "{known:?}"
    );
    assert!(known.iter().any(|t| t.contains("verkstad")), "{known:?}");
}
