use proptest::prelude::*;
use scout::core::text::{
    SummaryFormat, SummaryLength, SummaryOptions, SummaryType, detect_language, keywords, reading_time_minutes,
    split_sentences, summarize_text, words,
};

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Dense in the characters the segmenter cares about.
        proptest::collection::vec(
            prop_oneof![
                Just(". ".to_string()),
                Just("...".to_string()),
                Just("\n".to_string()),
                Just("\n\n".to_string()),
                Just("Mr.".to_string()),
                Just("U.S.".to_string()),
                Just("。".to_string()),
                Just("؟".to_string()),
                Just("।".to_string()),
                Just("\"".to_string()),
                Just("[4]".to_string()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                "[a-zA-Z]{1,8}",
                "[0-9]{1,3}",
                "[ \t]{1,3}",
                "\\PC{1,4}",
            ],
            0..40,
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sentences_are_valid_substrings(text in text_strategy()) {
        let out = split_sentences(&text);
        let mut prev_end = 0;
        for s in &out {
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            prop_assert!(s.start < s.end && s.end <= text.len());
            prop_assert!(s.start >= prev_end, "overlapping or out of order");
            prop_assert_eq!(&text[s.start..s.end], s.text.as_str());
            prop_assert_eq!(s.text.trim(), s.text.as_str());
            prev_end = s.end;
        }
    }

    #[test]
    fn summarize_never_panics(text in text_strategy(), title in proptest::option::of(any::<String>()), t in 0usize..4, l in 0usize..3) {
        let kind = [SummaryType::KeyPoints, SummaryType::Tldr, SummaryType::Teaser, SummaryType::Headline][t];
        let length = [SummaryLength::Short, SummaryLength::Medium, SummaryLength::Long][l];
        let o = SummaryOptions { kind, length, format: SummaryFormat::Plain };
        let s = summarize_text(&text, title.as_deref(), &o);
        let norm = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for ss in &s.sentences {
            prop_assert!(norm.contains(&ss.text));
        }
    }

    #[test]
    fn other_entry_points_never_panic(text in text_strategy()) {
        let _ = words(&text);
        let _ = keywords(&text, 5);
        let _ = detect_language(&text);
        let m = reading_time_minutes(&text, Some("xx"));
        prop_assert!(m.is_finite() && m >= 0.0);
    }
}
