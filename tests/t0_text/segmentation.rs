use scout::core::text::{Sentence, split_sentences};

fn texts(s: &str) -> Vec<String> {
    split_sentences(s).into_iter().map(|x| x.text).collect()
}

fn check_offsets(input: &str, out: &[Sentence]) {
    for s in out {
        assert_eq!(&input[s.start..s.end], s.text, "offsets for {:?}", s.text);
        assert_eq!(s.text.trim(), s.text);
    }
}

#[test]
fn segmentation_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "plain",
            "The sky is blue. The grass is green!  Is it? Yes.",
            &["The sky is blue.", "The grass is green!", "Is it?", "Yes."],
        ),
        (
            "titles",
            "Mr. Smith met Dr. Jones and Prof. Lee at St. Mary's. They talked.",
            &["Mr. Smith met Dr. Jones and Prof. Lee at St. Mary's.", "They talked."],
        ),
        (
            "latin abbr",
            "Bring fruit, e.g. Apples or pears, i.e. Anything fresh. Then leave.",
            &["Bring fruit, e.g. Apples or pears, i.e. Anything fresh.", "Then leave."],
        ),
        (
            "us mid",
            "The U.S. President spoke today. It was short.",
            &["The U.S. President spoke today.", "It was short."],
        ),
        (
            "us end",
            "She moved to the U.S. The move was hard.",
            &["She moved to the U.S.", "The move was hard."],
        ),
        (
            "etc end",
            "We sell pens, paper, etc. The shop opens at nine.",
            &["We sell pens, paper, etc.", "The shop opens at nine."],
        ),
        (
            "etc mid",
            "Pens, paper, etc. Are all on sale.",
            &["Pens, paper, etc. Are all on sale."],
        ),
        (
            "inc",
            "Apple Inc. Reported record sales. It beat estimates.",
            &["Apple Inc. Reported record sales.", "It beat estimates."],
        ),
        (
            "months",
            "The law took effect on Jan. 5 last year. Few noticed.",
            &["The law took effect on Jan. 5 last year.", "Few noticed."],
        ),
        (
            "number abbr",
            "See No. 5 and Fig. 3 for details. Done.",
            &["See No. 5 and Fig. 3 for details.", "Done."],
        ),
        (
            "no as word",
            "The answer was No. The vote failed.",
            &["The answer was No.", "The vote failed."],
        ),
        (
            "initials",
            "J. R. R. Tolkien wrote books. John F. Kennedy was president.",
            &["J. R. R. Tolkien wrote books.", "John F. Kennedy was president."],
        ),
        (
            "initial at end",
            "He took vitamin C. The cold went away.",
            &["He took vitamin C.", "The cold went away."],
        ),
        (
            "decimals",
            "Pi is about 3.14 and e is 2.718. Nice.",
            &["Pi is about 3.14 and e is 2.718.", "Nice."],
        ),
        (
            "versions",
            "Upgrade to v1.2.3 today. Version 2.0.1 is next.",
            &["Upgrade to v1.2.3 today.", "Version 2.0.1 is next."],
        ),
        (
            "version at end",
            "The latest release is v1.2.3. It fixes bugs.",
            &["The latest release is v1.2.3.", "It fixes bugs."],
        ),
        (
            "ellipsis",
            "Wait... What happened? I don't know… Maybe later.",
            &["Wait...", "What happened?", "I don't know…", "Maybe later."],
        ),
        (
            "ellipsis mid",
            "And then... they left quietly.",
            &["And then... they left quietly."],
        ),
        (
            "quote after",
            "He said \"Stop.\" Then he left.",
            &["He said \"Stop.\"", "Then he left."],
        ),
        (
            "curly quote",
            "She asked, “Why now?” Nobody answered.",
            &["She asked, “Why now?”", "Nobody answered."],
        ),
        (
            "quote continues",
            "\"Wow!\" she said. \"Really?\" he asked.",
            &["\"Wow!\" she said.", "\"Really?\" he asked."],
        ),
        (
            "brackets",
            "The result was clear (see Table 2.) Later work agreed.",
            &["The result was clear (see Table 2.)", "Later work agreed."],
        ),
        (
            "urls",
            "Visit https://example.com/a.b?x=1. Then email john.doe@example.org now.",
            &[
                "Visit https://example.com/a.b?x=1.",
                "Then email john.doe@example.org now.",
            ],
        ),
        (
            "domain",
            "Go to www.example.com for more. Thanks.",
            &["Go to www.example.com for more.", "Thanks."],
        ),
        (
            "citations",
            "Mozilla was founded in 1998.[3] The project grew. [4][a] It shipped.",
            &[
                "Mozilla was founded in 1998.[3]",
                "The project grew. [4][a]",
                "It shipped.",
            ],
        ),
        (
            "blocks",
            "First para without stop\n\nSecond para. Still second.",
            &["First para without stop", "Second para.", "Still second."],
        ),
        ("blocks with spaces", "One\n   \nTwo", &["One", "Two"]),
        ("crlf", "One.\r\n\r\nTwo.", &["One.", "Two."]),
        (
            "heading line",
            "Introduction\nThe study began in May. It ended in June.",
            &["Introduction", "The study began in May.", "It ended in June."],
        ),
        (
            "list items",
            "Ingredients:\n- 2 eggs\n- 1 cup flour\n1. Mix well.\n2. Bake.",
            &["Ingredients:", "2 eggs", "1 cup flour", "Mix well.", "Bake."],
        ),
        (
            "wrap",
            "This line is wrapped in the middle of a long sentence that keeps\ngoing on the next line.",
            &["This line is wrapped in the middle of a long sentence that keeps\ngoing on the next line."],
        ),
        ("mixed terminators", "Really?! Yes!! OK.", &["Really?!", "Yes!!", "OK."]),
        (
            "zh",
            "今天天气很好。我们去公园吧！你来吗？好的",
            &["今天天气很好。", "我们去公园吧！", "你来吗？", "好的"],
        ),
        (
            "ja",
            "東京は日本の首都です。人口は約1400万人です。「本当？」と彼は聞いた。",
            &[
                "東京は日本の首都です。",
                "人口は約1400万人です。",
                "「本当？」",
                "と彼は聞いた。",
            ],
        ),
        (
            "ar",
            "مرحبا بكم في الموقع. كيف حالك؟ أنا بخير.",
            &["مرحبا بكم في الموقع.", "كيف حالك؟", "أنا بخير."],
        ),
        ("ar no space", "هل أنت هنا؟نعم", &["هل أنت هنا؟", "نعم"]),
        (
            "ur",
            "یہ ایک جملہ ہے۔ یہ دوسرا ہے۔",
            &["یہ ایک جملہ ہے۔", "یہ دوسرا ہے۔"],
        ),
        (
            "he",
            "שלום לכולם. מה שלומך? אני בסדר.",
            &["שלום לכולם.", "מה שלומך?", "אני בסדר."],
        ),
        (
            "ru",
            "Привет, мир. Как дела? Всё хорошо, т.е. отлично. Спасибо!",
            &["Привет, мир.", "Как дела?", "Всё хорошо, т.е. отлично.", "Спасибо!"],
        ),
        (
            "de",
            "Das ist z.B. ein Test. Am 3. Oktober ist Feiertag. Dr. Müller kommt.",
            &[
                "Das ist z.B. ein Test.",
                "Am 3. Oktober ist Feiertag.",
                "Dr. Müller kommt.",
            ],
        ),
        (
            "cs",
            "Zápas se hraje 3. března v Praze. Trenér je spokojený. Odveta bude 17. dubna.",
            &[
                "Zápas se hraje 3. března v Praze.",
                "Trenér je spokojený.",
                "Odveta bude 17. dubna.",
            ],
        ),
        (
            "hi",
            "यह एक वाक्य है। यह दूसरा वाक्य है। क्या यह तीसरा है?",
            &["यह एक वाक्य है।", "यह दूसरा वाक्य है।", "क्या यह तीसरा है?"],
        ),
        (
            "trailing no stop",
            "  leading and trailing spaces  ",
            &["leading and trailing spaces"],
        ),
        ("empty", "", &[]),
        ("punct only", "... --- !!!", &[]),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in cases {
        let out = split_sentences(input);
        check_offsets(input, &out);
        let got: Vec<String> = out.into_iter().map(|s| s.text).collect();
        if got != *expected {
            failures.push(format!("{name}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn double_newline_always_boundary() {
    // Even an abbreviation before a blank line cannot glue blocks together.
    assert_eq!(texts("Meet Dr.\n\nSmith is here."), vec!["Meet Dr.", "Smith is here."]);
    assert_eq!(texts("e.g.\n\nthis"), vec!["e.g.", "this"]);
}
