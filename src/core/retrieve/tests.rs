//! Unit tests of the whole query path with a fake bag-of-words encoder.

use super::*;

const VOCAB: &[&str] = &[
    "[UNK]",
    "the",
    "bridge",
    "was",
    "built",
    "in",
    "1932",
    "by",
    "engineers",
    "it",
    "is",
    "long",
    "river",
    "flows",
    "north",
    "fish",
    "live",
    "salmon",
    "trout",
    "when",
    "who",
    "how",
    "what",
    "do",
    "?",
    ".",
    "toll",
    "costs",
    "five",
    "dollars",
    "to",
    "cross",
    "many",
    "kinds",
    "of",
    "where",
    "東京",
    "橋",
];

/// A word-level tokenizer over [`VOCAB`] (no special tokens).
fn tokenizer() -> EmbedTokenizer {
    crate::core::embed::fake::word_level_tokenizer(VOCAB, 256)
}

/// Hidden state of a token = one-hot of its id, so pooled vectors are normalized bags of words.
struct BagOfWords {
    calls: usize,
}

const DIMS: usize = 64;

impl EncoderBackend for BagOfWords {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        self.calls += 1;
        let mut out = vec![0f32; batch.batch * batch.seq * DIMS];
        for (i, id) in batch.input_ids.iter().enumerate() {
            // [UNK] (id 0) carries no signal.
            if *id > 0 {
                out[i * DIMS + (*id as usize % DIMS)] = 1.0;
            }
        }
        Ok(out)
    }
    fn ep(&self) -> String {
        "fake".into()
    }
}

fn embedder() -> Embedder<BagOfWords> {
    Embedder::new(tokenizer(), BagOfWords { calls: 0 }, DIMS)
}

fn passage(i: usize, heading: Option<&str>, text: &str) -> Passage {
    Passage {
        id: format!("p{i}"),
        heading: heading.map(String::from),
        text: text.into(),
        nodes: vec![i as u32],
    }
}

fn page() -> Vec<Passage> {
    vec![
        passage(
            0,
            Some("History"),
            "The bridge was built in 1932 by engineers . It is long .",
        ),
        passage(
            1,
            None,
            "The river flows north . Salmon and trout live in the river . Many kinds of fish .",
        ),
        passage(
            2,
            Some("Visiting"),
            "The toll costs five dollars to cross . It is long .",
        ),
    ]
}

fn index(e: &mut Embedder<BagOfWords>, ps: &[Passage]) -> PassageIndex {
    pollster::block_on(build_index(e, ps, &IndexOptions::default())).expect("index")
}

fn answers(r: &AskResult) -> &[Answer] {
    match r {
        AskResult::Answers(a) | AskResult::Unsure(a) => a,
        AskResult::NoAnswer { .. } => &[],
    }
}

#[test]
fn answers_with_quote_substring() {
    let mut e = embedder();
    let idx = index(&mut e, &page());
    let r = pollster::block_on(ask(
        &mut e,
        &idx,
        "What fish live in the river?",
        &AskOptions::default(),
    ))
    .expect("ask");
    let a = answers(&r);
    assert!(!a.is_empty(), "{r:?}");
    assert_eq!(a[0].id, "p1");
    assert_eq!(a[0].nodes, vec![1]);
    for ans in a {
        assert!(ans.text.contains(&ans.quote) && !ans.quote.is_empty());
        assert_eq!(&ans.text[ans.quote_range.0..ans.quote_range.1], ans.quote);
    }
    assert!(
        a[0].quote.contains("Salmon and trout live in the river"),
        "{:?}",
        a[0].quote
    );
    assert!(a.windows(2).all(|w| w[0].score >= w[1].score));
    let r = pollster::block_on(ask(
        &mut e,
        &idx,
        "How much does the toll cost?",
        &AskOptions::default(),
    ))
    .expect("ask");
    assert_eq!(answers(&r)[0].id, "p2");
}

#[test]
fn ties_are_deterministic_in_document_order() {
    let mut e = embedder();
    let ps = vec![
        passage(0, None, "The river flows north ."),
        passage(1, None, "The river flows north ."),
        passage(2, None, "The river flows north ."),
    ];
    let idx = index(&mut e, &ps);
    let opts = AskOptions {
        threshold: f32::NEG_INFINITY,
        floor: f32::NEG_INFINITY,
        ..AskOptions::default()
    };
    let r1 = pollster::block_on(ask(&mut e, &idx, "river", &opts)).expect("ask");
    let r2 = pollster::block_on(ask(&mut e, &idx, "river", &opts)).expect("ask");
    assert_eq!(r1, r2);
    let ids: Vec<&str> = answers(&r1).iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["p0", "p1", "p2"]);
    // RRF ties resolve the same way.
    let rrf = AskOptions {
        scoring: ScoringParams {
            fusion: Fusion::Rrf { k: 60.0 },
            ..ScoringParams::default()
        },
        ..opts
    };
    let ids: Vec<String> = answers(&pollster::block_on(ask(&mut e, &idx, "river", &rrf)).expect("ask"))
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids, vec!["p0", "p1", "p2"]);
}

#[test]
fn empty_index_and_empty_question_are_clear_without_running_the_model() {
    let mut e = embedder();
    let empty = PassageIndex::empty();
    let r = pollster::block_on(ask(&mut e, &empty, "Who built the bridge?", &AskOptions::default())).expect("ask");
    assert_eq!(
        r,
        AskResult::NoAnswer {
            best_score: 0.0,
            reason: NoAnswerReason::EmptyIndex
        }
    );
    let idx = index(&mut e, &page());
    let calls = e.backend.calls;
    for q in ["", "   ", "?!", "…"] {
        let r = pollster::block_on(ask(&mut e, &idx, q, &AskOptions::default())).expect("ask");
        assert!(
            matches!(
                r,
                AskResult::NoAnswer {
                    reason: NoAnswerReason::EmptyQuestion,
                    ..
                }
            ),
            "{q:?}: {r:?}"
        );
    }
    assert_eq!(e.backend.calls, calls, "no model run for empty input");
    assert_eq!(
        NoAnswerReason::LowScore.phrase().text,
        "the page does not seem to answer this"
    );
    // An empty page indexes fine.
    let built = pollster::block_on(build_index(&mut e, &[], &IndexOptions::default())).expect("empty");
    assert!(built.is_empty());
}

#[test]
fn unrelated_question_gets_no_answer() {
    let mut e = embedder();
    let idx = index(&mut e, &page());
    let r = pollster::block_on(ask(
        &mut e,
        &idx,
        "Where do penguins sleep at night?",
        &AskOptions::default(),
    ))
    .expect("ask");
    assert!(
        matches!(
            r,
            AskResult::NoAnswer {
                reason: NoAnswerReason::LowScore,
                ..
            }
        ),
        "{r:?}"
    );
    let zero_k = AskOptions {
        top_k: 0,
        ..AskOptions::default()
    };
    let r = pollster::block_on(ask(&mut e, &idx, "What fish live in the river?", &zero_k)).expect("ask");
    assert!(matches!(r, AskResult::NoAnswer { .. }));
}

#[test]
fn between_the_floor_and_the_threshold_the_closest_passages_are_flagged() {
    let mut e = embedder();
    let idx = index(&mut e, &page());
    let q = "What fish live in the river?";
    let v = pollster::block_on(e.embed(&[q])).expect("embed");
    let AskResult::Answers(sure) = rank(&idx, &v[0], q, &AskOptions::default()) else {
        panic!("expected answers");
    };
    let best = sure[0].score;
    let band = |floor: f32, threshold: f32| {
        rank(
            &idx,
            &v[0],
            q,
            &AskOptions {
                floor,
                threshold,
                ..AskOptions::default()
            },
        )
    };
    assert_eq!(
        band(best - 0.1, best + 0.1),
        AskResult::Unsure(sure.clone()),
        "same passages, flagged"
    );
    assert!(
        matches!(band(best + 0.05, best + 0.1), AskResult::NoAnswer { .. }),
        "below the floor"
    );
    assert_eq!(band(best - 0.2, best - 0.1), AskResult::Answers(sure));
}

#[test]
fn cjk_question_works() {
    let mut e = embedder();
    let mut ps = page();
    ps.push(passage(3, Some("東京"), "東京の橋は1932年に建設された。長い橋です。"));
    let idx = index(&mut e, &ps);
    let opts = AskOptions {
        threshold: f32::NEG_INFINITY,
        floor: f32::NEG_INFINITY,
        ..AskOptions::default()
    };
    let r = pollster::block_on(ask(&mut e, &idx, "東京の橋はいつ建設されましたか？", &opts)).expect("ask");
    let a = answers(&r);
    assert_eq!(a[0].id, "p3", "{r:?}");
    assert!(a[0].text.contains(&a[0].quote));
}

#[test]
fn dimension_mismatch_is_an_error() {
    let mut e = embedder();
    let ps = page();
    let texts = PassageIndex::embed_texts(&ps, &IndexOptions::default());
    let idx = PassageIndex::build(&ps, vec![vec![1.0, 0.0]; texts.len()]).expect("index");
    assert!(pollster::block_on(ask(&mut e, &idx, "river", &AskOptions::default())).is_err());
}

#[test]
fn rank_is_pure_over_a_given_vector() {
    let mut e = embedder();
    let idx = index(&mut e, &page());
    let q = pollster::block_on(e.embed(&["Who built the bridge?"])).expect("embed");
    let a = rank(&idx, &q[0], "Who built the bridge?", &AskOptions::default());
    let b = rank(&idx, &q[0], "Who built the bridge?", &AskOptions::default());
    assert_eq!(a, b);
    assert_eq!(answers(&a)[0].id, "p0");
}
