use super::common;

use common::*;
use scout::core::text::keywords;

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
