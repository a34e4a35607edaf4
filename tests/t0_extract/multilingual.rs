//! Language detection and text direction on undeclared pages.

use scout::core::extract::{ExtractOptions, extract};

fn page(lang_attr: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!("<html{lang_attr}><head><title>T</title></head><body><article>{body}</article></body></html>")
}

fn check(paragraphs: &[&str], lang: &str, dir: Option<&str>) {
    let a = extract(&page("", paragraphs), &ExtractOptions::default()).unwrap();
    assert_eq!(a.lang.as_deref(), Some(lang), "text: {}", a.text);
    assert_eq!(a.dir.as_deref(), dir, "lang {lang}");
}

#[test]
fn chinese() {
    check(
        &[
            "今天早上，我们在公园里散步，看到很多人在锻炼身体。有的人在跑步，有的人在打太极拳，还有一些老人在下棋。",
            "天气非常好，阳光明媚，空气也很新鲜。我们决定中午在附近的饭馆吃饭，然后下午去博物馆参观。",
        ],
        "zh",
        None,
    );
}

#[test]
fn japanese() {
    check(
        &[
            "今日は朝から雨が降っていたので、私たちは家で本を読んだり、映画を見たりして過ごしました。",
            "午後になると雨がやんだので、近くの公園まで散歩に出かけました。とても気持ちのいい一日でした。",
        ],
        "ja",
        None,
    );
}

#[test]
fn arabic() {
    check(
        &[
            "ذهبنا في الصباح إلى السوق لشراء الخضروات والفواكه الطازجة، وكان الجو جميلا جدا.",
            "بعد ذلك زرنا المكتبة العامة وقرأنا بعض الكتب عن تاريخ المدينة القديمة وثقافتها.",
        ],
        "ar",
        Some("rtl"),
    );
}

#[test]
fn hebrew() {
    check(
        &[
            "בבוקר הלכנו לשוק כדי לקנות ירקות ופירות טריים, ומזג האוויר היה נעים מאוד.",
            "אחר כך ביקרנו בספרייה העירונית וקראנו כמה ספרים על ההיסטוריה של העיר העתיקה.",
        ],
        "he",
        Some("rtl"),
    );
}

#[test]
fn russian() {
    check(
        &[
            "Утром мы пошли на рынок, чтобы купить свежие овощи и фрукты, и погода была очень хорошей.",
            "После этого мы посетили городскую библиотеку и прочитали несколько книг об истории старого города.",
        ],
        "ru",
        None,
    );
}

#[test]
fn german() {
    check(
        &[
            "Am Morgen sind wir auf den Markt gegangen, um frisches Gemüse und Obst zu kaufen, und das Wetter war sehr schön.",
            "Danach haben wir die Stadtbibliothek besucht und einige Bücher über die Geschichte der Altstadt gelesen.",
        ],
        "de",
        None,
    );
}

#[test]
fn declared_language_and_direction_win() {
    let html = page(
        " lang=\"he\" dir=\"rtl\"",
        &["This text is English but the page says otherwise, which is what we report."],
    );
    let a = extract(&html, &ExtractOptions::default()).unwrap();
    assert_eq!(a.lang.as_deref(), Some("he"));
    assert_eq!(a.dir.as_deref(), Some("rtl"));
}
