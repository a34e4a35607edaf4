//! Unit tests with a fake encoder (hermetic: a tiny word-level tokenizer, hashed one-hot token states).

use super::*;
use crate::core::embed::EncodedBatch;

const DIMS: usize = 64;

struct CountingEncoder {
    calls: usize,
    rows: usize,
}

impl EncoderBackend for CountingEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        self.calls += 1;
        self.rows += batch.batch;
        let mut out = vec![0f32; batch.batch * batch.seq * DIMS];
        for (i, id) in batch.input_ids.iter().enumerate() {
            let k = (*id as usize).wrapping_mul(2_654_435_761) % DIMS;
            out[i * DIMS + k] = 1.0;
        }
        Ok(out)
    }
    fn ep(&self) -> String {
        "fake".into()
    }
}

fn fake_embedder() -> Embedder<CountingEncoder> {
    let vocab_words = [
        "[UNK]",
        "this",
        "page",
        "is",
        "about",
        "an",
        "article",
        "information",
        "and",
        "news",
        "cats",
        "cars",
        "my",
        "cat",
        "sleeps",
        "all",
        "day",
        "love",
        "to",
        "nap",
        "engine",
        "the",
        "on",
        "sofa",
    ];
    let tok = crate::core::embed::fake::word_level_tokenizer(&vocab_words, 128);
    Embedder::new(tok, CountingEncoder { calls: 0, rows: 0 }, DIMS)
}

#[test]
fn label_embeddings_are_computed_once() {
    let mut e = fake_embedder();
    let mut index = LabelIndex::new();
    let page = PageSample::from_text("My cat", "My cat sleeps all day on the sofa.");
    // The page's texts and its sentences (for tone) are embedded together, each distinct text once.
    let sentences = page.sentences();
    let mut distinct: Vec<&str> = page.texts();
    distinct.extend(sentences.iter().map(String::as_str));
    distinct.sort_unstable();
    distinct.dedup();
    let n_page = distinct.len();
    assert!(
        n_page < page.texts().len() + sentences.len(),
        "title and one-sentence chunk are shared"
    );
    // Topic reads the page's content type (`genre`): both sets' descriptions are embedded.
    let n_desc: usize = [LabelSet::Topic, LabelSet::ContentType]
        .iter()
        .flat_map(LabelSet::labels)
        .map(|l| l.descriptions.len())
        .sum();

    let first = pollster::block_on(classify(&mut e, &mut index, &page, &LabelSet::Topic)).expect("classify");
    assert_eq!(e.backend.rows, n_page + n_desc);
    assert!(index.contains(&LabelSet::Topic) && index.contains(&LabelSet::ContentType));
    let calls = e.backend.calls;
    let second = pollster::block_on(classify(&mut e, &mut index, &page, &LabelSet::Topic)).expect("classify");
    // Neither the descriptions nor (thanks to the embedder's cache) the page are run through the model again.
    assert_eq!(
        e.backend.rows,
        n_page + n_desc,
        "descriptions or page were embedded again"
    );
    assert_eq!(e.backend.calls, calls);
    assert_eq!(first, second);
    assert_eq!(first.labels.len(), labels::TOPIC.len());
    assert!((first.labels.iter().map(|l| l.score).sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(first.labels.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(first.top, first.labels[0].id);

    // The same custom set (modulo case/space) is cached too; a new one is embedded.
    let rows = e.backend.rows;
    let custom = LabelSet::Custom(vec!["cats".into(), "cars".into()]);
    pollster::block_on(classify(&mut e, &mut index, &page, &custom)).expect("classify");
    let after_custom = e.backend.rows;
    assert_eq!(after_custom, rows + 6, "only the six custom descriptions are new");
    let same = LabelSet::Custom(vec![" Cats".into(), "CARS ".into()]);
    pollster::block_on(classify(&mut e, &mut index, &page, &same)).expect("classify");
    assert_eq!(e.backend.rows, after_custom);
}

#[test]
fn custom_labels_on_a_pet_snippet_with_the_fake_encoder() {
    let mut e = fake_embedder();
    let mut index = LabelIndex::new();
    let page = PageSample::from_text("My cat", "My cat sleeps all day. Cats love to nap on the sofa.");
    let set = LabelSet::Custom(vec!["cats".into(), "cars: engine news".into()]);
    let c = pollster::block_on(classify(&mut e, &mut index, &page, &set)).expect("classify");
    assert_eq!(c.top, "cats");
    assert_eq!(c.labels.len(), 2);
    let kw = keyword_baseline(&page, &set);
    assert_eq!(kw.top, "cats");
}

#[test]
fn empty_page_is_an_error() {
    let mut e = fake_embedder();
    let mut index = LabelIndex::new();
    let r = pollster::block_on(classify(&mut e, &mut index, &PageSample::default(), &LabelSet::Tone));
    assert_eq!(r.map_err(|e| e.code), Err(ErrorCode::EmptyPage));
}

#[test]
fn keyword_baseline_without_hits_is_uniform_and_uncertain() {
    let page = PageSample::from_text("", "zzz qqq");
    let c = keyword_baseline(&page, &LabelSet::Tone);
    assert!(c.uncertain);
    assert_eq!(c.labels.len(), 4);
    assert!(c.labels.iter().all(|l| (l.score - 0.25).abs() < 1e-6));
}

#[test]
fn built_in_sets_are_well_formed() {
    // Tone's descriptions are the sentence model's example sentences: more of them.
    for (set, min, max_desc) in [
        (LabelSet::Topic, 15, 8),
        (LabelSet::ContentType, 10, 13),
        (LabelSet::Tone, 4, 8),
    ] {
        let labels = set.labels();
        assert!(labels.len() >= min);
        for l in &labels {
            assert!((2..=max_desc).contains(&l.descriptions.len()), "{}", l.id);
            assert!(!l.keywords.is_empty());
        }
        let mut ids: Vec<&str> = labels.iter().map(|l| l.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), labels.len());
    }
}

#[test]
fn classification_serializes() {
    let c = Classification::from_probs(
        &LabelSet::Custom(vec!["a".into()]),
        &LabelSet::Tone.labels(),
        &[0.1, 0.6, 0.2, 0.1],
    );
    assert_eq!(c.top, "negative");
    assert!(!c.uncertain);
    let json = serde_json::to_string(&c).expect("json");
    assert!(json.contains("\"custom\":[\"a\"]"));
    let back: Classification = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, c);
}

#[test]
fn tone_set_has_the_sentence_model_labels() {
    let labels = LabelSet::Tone.labels();
    for id in tone::POLAR_IDS.iter().chain(&["mixed"]) {
        assert!(labels.iter().any(|l| l.id == *id), "{id}");
    }
    // Scores come back in label order.
    let order = tone::in_label_order(&labels, [0.1, 0.2, 0.3, 0.4]);
    for (l, s) in labels.iter().zip(&order) {
        let want = match l.id.as_str() {
            "positive" => 0.1,
            "negative" => 0.2,
            "neutral" => 0.3,
            _ => 0.4,
        };
        assert_eq!(*s, want);
    }
}

#[test]
fn tone_with_the_fake_encoder_is_a_distribution() {
    let mut e = fake_embedder();
    let mut index = LabelIndex::new();
    let page = PageSample::from_text("My cat", "My cat sleeps all day. I love my cat, she is wonderful.");
    let emb = pollster::block_on(embed_page(&mut e, &page)).expect("embed");
    assert_eq!(emb.sentences, page.sentences());
    assert_eq!(emb.sentence_vectors.len(), emb.sentences.len());
    assert_eq!(emb.chunks.len(), page.texts().len());
    let c = pollster::block_on(classify_embedded(&mut e, &mut index, &page, &emb, &LabelSet::Tone)).expect("tone");
    assert_eq!(c.labels.len(), 4);
    assert!((c.labels.iter().map(|l| l.score).sum::<f32>() - 1.0).abs() < 1e-4);
}

#[test]
fn a_page_s_sets_are_those_classified_one_by_one() {
    // classify_page classifies the content type once and lends it to topic; each result is what classifying that
    // set alone gives.
    struct NoClock;
    impl crate::core::store::Clock for NoClock {
        fn now_ms(&self) -> f64 {
            0.0
        }
    }
    let html = "<html><head><title>My cat</title></head><body><article><h1>My cat</h1>\
                <p>My cat sleeps all day on the sofa. This page is about my cat and the cat love to nap.</p>\
                <p>News about cats and cars is not on this page; my cat sleeps all day.</p></article></body></html>";
    let page = crate::core::protocol::PageContent {
        url: "https://example.org/cat".into(),
        html: Some(html.into()),
        ..Default::default()
    };
    let store = crate::core::store::MemoryStore::default();
    let custom = vec!["cats".to_string(), "cars".to_string()];
    let mut e = fake_embedder();
    let mut index = LabelIndex::default();
    let reply = pollster::block_on(classify_page(&mut e, &mut index, &store, &NoClock, &page, &custom)).expect("page");
    assert_eq!(reply.results.len(), 4);

    let pt = crate::core::page::read_page(&page).expect("read");
    let sample =
        PageSample::from_passages(&pt.title, &pt.block_texts(), &DEFAULT_SAMPLE).with_declared(&pt.declared_types);
    let mut index = LabelIndex::default();
    let sets = [
        LabelSet::Topic,
        LabelSet::ContentType,
        LabelSet::Tone,
        LabelSet::Custom(custom),
    ];
    for (set, got) in sets.iter().zip(&reply.results) {
        let alone = pollster::block_on(classify(&mut e, &mut index, &sample, set)).expect("classify");
        assert_eq!(*got, alone, "{set:?}");
    }
}
