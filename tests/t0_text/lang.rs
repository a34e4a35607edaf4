use scout::core::text::detect_language;

#[test]
fn detects_common_languages() {
    let cases = [
        (
            "zh",
            false,
            "今天天气很好，我们一起去公园散步吧。这个城市的历史非常悠久。",
        ),
        (
            "ja",
            false,
            "東京は日本の首都であり、世界で最も人口の多い都市の一つです。",
        ),
        (
            "ar",
            true,
            "اللغة العربية هي إحدى أكثر اللغات انتشارا في العالم، ويتحدثها أكثر من أربعمائة مليون شخص.",
        ),
        (
            "he",
            true,
            "עברית היא שפה שמית המדוברת בישראל על ידי מיליוני אנשים בכל יום.",
        ),
        (
            "ru",
            false,
            "Москва является столицей России и крупнейшим городом страны по численности населения.",
        ),
        (
            "de",
            false,
            "Die Stadt hat beschlossen, die alte Brücke über den Fluss im nächsten Jahr vollständig zu erneuern.",
        ),
        (
            "en",
            false,
            "The city council voted on Tuesday to replace the old bridge over the river next year.",
        ),
        (
            "fr",
            false,
            "Le conseil municipal a voté mardi pour remplacer le vieux pont sur la rivière l'année prochaine.",
        ),
        (
            "es",
            false,
            "El ayuntamiento votó el martes para reemplazar el viejo puente sobre el río el próximo año.",
        ),
    ];
    for (code, rtl, text) in cases {
        let g = detect_language(text).unwrap_or_else(|| panic!("no guess for {code}"));
        assert_eq!(g.code, code, "{text}");
        assert_eq!(g.rtl, rtl, "{code}");
        assert!(g.confidence > 0.0 && g.confidence <= 1.0);
    }
}

#[test]
fn unreliable_or_short_is_none() {
    assert!(detect_language("").is_none());
    assert!(detect_language("Hi").is_none());
    assert!(detect_language("1234 5678 90 !!! ???").is_none());
}
