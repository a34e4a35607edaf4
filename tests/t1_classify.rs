//! Zero-shot classification eval: the embedding classifier (real all-MiniLM-L6-v2 on native ONNX Runtime) vs the
//! keyword baseline over tests/t1/classify_eval.json. Prints accuracy, top-2 accuracy, the fitted temperature and
//! the margin table per label set (tone also: lexicon-only accuracy, confusion matrix, and the leave-one-out
//! accuracy of choosing the tone constants on a small grid), and asserts floors set slightly below the measured
//! numbers.
//!
//! `CLASSIFY_SWEEP=1` also prints the scoring/sampling parameter sweep used to choose the defaults.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use scout::core::bert::BertBackend;
use scout::core::classify::content_type::{self, CUE_NAMES, Cues, FormModel};
use scout::core::classify::tone::{self, SentenceEvidence, ToneParams};
use scout::core::classify::{
    DEFAULT_SAMPLE, DescriptionAgg, KEYWORD_WEIGHT, LabelIndex, LabelSet, PageSample, SampleParams, ScoreParams,
    UNCERTAIN_MARGIN, calibrate, classify, classify_embedded, embed_page, keyword_baseline, raw_scores, set_scores,
};
use scout::core::embed::{Embedder, EncoderBackend};
use scout::core::extract::{ExtractOptions, extract};
use serde::Deserialize;

#[derive(Deserialize)]
struct EvalFile {
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    source: String,
    title: Option<String>,
    text: Option<String>,
    topic: Option<String>,
    content_type: Option<String>,
    tone: Option<String>,
}

impl Item {
    fn gold(&self, set: &LabelSet) -> Option<&str> {
        match set {
            LabelSet::Topic => self.topic.as_deref(),
            LabelSet::ContentType => self.content_type.as_deref(),
            LabelSet::Tone => self.tone.as_deref(),
            LabelSet::Custom(_) => None,
        }
    }

    /// Title, passages and declared schema.org types of the page (none for written pages: plain text).
    fn read(&self) -> (String, Vec<String>, Vec<String>) {
        if let Some(dir) = self.source.strip_prefix("corpus:") {
            let path = Path::new(
                &std::env::var("SCOUT_CORPUS_DIR")
                    .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/readability").to_string()),
            )
            .join(dir)
            .join("source.html");
            let html = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let a = extract(&html, &ExtractOptions::default()).expect("extract");
            let passages = a.passages.iter().map(|p| p.text.clone()).collect();
            (a.title, passages, a.declared_types)
        } else {
            let text = self.text.clone().unwrap_or_default();
            let passages = text.split("\n\n").map(str::to_string).collect();
            (self.title.clone().unwrap_or_default(), passages, Vec::new())
        }
    }

    /// The page sampled as the engine samples it, with its declared types.
    fn sample(&self, params: &SampleParams) -> PageSample {
        let (t, p, declared) = self.read();
        let refs: Vec<&str> = p.iter().map(String::as_str).collect();
        PageSample::from_passages(&t, &refs, params).with_declared(&declared)
    }
}

fn sets() -> [LabelSet; 3] {
    [LabelSet::Topic, LabelSet::ContentType, LabelSet::Tone]
}

/// The first labelled set (constants and the content-type model are chosen on it).
fn load() -> Vec<Item> {
    load_set("classify_eval.json")
}

/// The second labelled set, never used for choosing.
fn load_unseen() -> Vec<Item> {
    load_set("classify_unseen.json")
}

fn load_set(name: &str) -> Vec<Item> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/t1").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: EvalFile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.items
}

/// ONNX Runtime allows one environment per process: the tests share one embedder.
fn minilm() -> MutexGuard<'static, Embedder<BertBackend>> {
    static EMBEDDER: OnceLock<Mutex<Embedder<BertBackend>>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| Mutex::new(load_minilm()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

fn load_minilm() -> Embedder<BertBackend> {
    // As the extension runs it on the CPU: Scout's int8 encoder (the same vectors as the browser's).
    scout::native::bundled_embedder().expect("bundled embedder (run `cargo xtask setup`)")
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len())
        .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

fn rank_of(v: &[f32], i: usize) -> usize {
    v.iter().filter(|&&x| x > v[i]).count()
}

/// Accuracy of raw score rows against gold indices (rows without gold are skipped by the caller).
fn accuracy(rows: &[Vec<f32>], gold: &[usize]) -> f32 {
    let ok = rows.iter().zip(gold).filter(|(r, g)| argmax(r) == **g).count();
    ok as f32 / gold.len().max(1) as f32
}

struct SetResult {
    emb_acc: f32,
    pure_acc: f32,
    kw_acc: f32,
}

#[test]
fn zero_shot_eval_on_labelled_pages() {
    let items = load();
    assert!(items.len() >= 60);
    let mut e = minilm();
    let start = Instant::now();
    let mut index = pollster::block_on(LabelIndex::build(&mut e, &sets())).expect("label index");
    let sentences: usize = sets()
        .iter()
        .flat_map(LabelSet::labels)
        .map(|l| l.descriptions.len())
        .sum();
    println!(
        "label index: {sentences} sentences of the three sets embedded in {:.0} ms (once per engine)",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let pages: Vec<(String, Vec<String>, Vec<String>)> = items.iter().map(Item::read).collect();
    let sample = |params: &SampleParams| -> Vec<PageSample> {
        pages
            .iter()
            .map(|(t, p, declared)| {
                let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                PageSample::from_passages(t, &refs, params).with_declared(declared)
            })
            .collect()
    };

    if std::env::var("CLASSIFY_SWEEP").is_ok() {
        sweep(&items, &mut e, &mut index, &sample);
    }

    // Default configuration: timing, accuracy, calibration.
    let samples = sample(&DEFAULT_SAMPLE);
    let start = Instant::now();
    let embedded: Vec<_> = samples
        .iter()
        .map(|s| pollster::block_on(embed_page(&mut e, s)).expect("embed page"))
        .collect();
    for (emb, s) in embedded.iter().zip(&samples) {
        for set in sets() {
            pollster::block_on(classify_embedded(&mut e, &mut index, s, emb, &set)).expect("classify");
        }
    }
    let per_page = start.elapsed().as_secs_f64() * 1000.0 / items.len() as f64;
    println!("runtime: {per_page:.1} ms/page (embed sample + 3 label sets, labels cached)");

    let mut results = Vec::new();
    let mut tone_items: Vec<(Vec<SentenceEvidence>, usize)> = Vec::new();
    for set in sets() {
        let labels = set.labels();
        let entry = pollster::block_on(index.get_or_embed(&mut e, &set))
            .expect("labels")
            .clone();
        let mut rows = Vec::new();
        let mut gold = Vec::new();
        let mut kw_ok = 0;
        let mut pure_ok = 0;
        let mut lexicon_ok = 0;
        let mut top2 = 0;
        let mut cls = Vec::new();
        for ((item, emb), s) in items.iter().zip(&embedded).zip(&samples) {
            let Some(g) = item.gold(&set) else { continue };
            let gi = labels
                .iter()
                .position(|l| l.id == g)
                .unwrap_or_else(|| panic!("unknown label {g}"));
            let kw = keyword_baseline(s, &set);
            if kw.top == g {
                kw_ok += 1;
            }
            let genre = if set == LabelSet::Topic {
                pollster::block_on(classify_embedded(&mut e, &mut index, s, emb, &LabelSet::ContentType))
                    .expect("content type")
                    .labels
            } else {
                Vec::new()
            };
            let r = set_scores(s, emb, &entry, &set, &genre);
            // Without the lexical part: the embedding alone (tone: sentence similarities only).
            let emb_only = if set == LabelSet::Tone {
                let ev = tone::sentence_evidence(
                    &emb.sentences,
                    &emb.sentence_vectors,
                    tone::examples(&entry.labels, &entry.descriptions),
                );
                let only =
                    |p: &ToneParams| tone::in_label_order(&labels, tone::share_scores(tone::tone_shares(&ev, p), p));
                let lexicon_only = only(&ToneParams {
                    embeddings: false,
                    ..tone::DEFAULT_TONE
                });
                if argmax(&lexicon_only) == gi {
                    lexicon_ok += 1;
                }
                let embedding_only = only(&ToneParams {
                    lexicon_weight: 0.0,
                    ..tone::DEFAULT_TONE
                });
                tone_items.push((ev, gi));
                embedding_only
            } else if set == LabelSet::ContentType {
                // Content type's embedding part: the exemplar vote.
                content_type::exemplar_vote(&emb.sentence_vectors, &entry.descriptions)
            } else {
                pollster::block_on(raw_scores(&mut e, &mut index, emb, &set, &set.score_params())).expect("scores")
            };
            if rank_of(&r, gi) < 2 {
                top2 += 1;
            }
            if argmax(&emb_only) == gi {
                pure_ok += 1;
            }
            let c = pollster::block_on(classify_embedded(&mut e, &mut index, s, emb, &set)).expect("classify");
            assert_eq!(c.top, labels[argmax(&r)].id);
            cls.push((c, g.to_string(), item.source.clone()));
            rows.push(r);
            gold.push(gi);
        }
        let n = gold.len();
        let emb_acc = accuracy(&rows, &gold);
        let kw_acc = kw_ok as f32 / n as f32;
        let t = calibrate::fit_temperature(&rows, &gold);
        let pure_acc = pure_ok as f32 / n as f32;
        println!(
            "{:>12}: n={n:3} classifier acc {:.3} top-2 {:.3} | embedding only {pure_acc:.3} | keyword acc {:.3} | \
             fitted T {t:.4} (NLL {:.3}, at constant T {:.4}: {:.3})",
            set.key(),
            emb_acc,
            top2 as f32 / n as f32,
            kw_acc,
            calibrate::nll(&rows, &gold, t),
            set.temperature(),
            calibrate::nll(&rows, &gold, set.temperature()),
        );
        if set == LabelSet::Tone {
            println!(
                "    tone: lexicon only {:.3}; majority class {:.3}",
                lexicon_ok as f32 / n as f32,
                (0..labels.len())
                    .map(|l| gold.iter().filter(|&&g| g == l).count())
                    .max()
                    .unwrap_or(0) as f32
                    / n as f32
            );
            confusion(&labels, &rows, &gold);
        }
        for thr in [0.05, 0.1, 0.15, 0.2, 0.3] {
            let (mut lo, mut lo_ok, mut hi, mut hi_ok) = (0, 0, 0, 0);
            for (r, &g) in rows.iter().zip(&gold) {
                let p = calibrate::softmax(r, set.temperature());
                let ok = argmax(r) == g;
                if calibrate::margin(&p) < thr {
                    lo += 1;
                    lo_ok += usize::from(ok);
                } else {
                    hi += 1;
                    hi_ok += usize::from(ok);
                }
            }
            println!(
                "    margin<{thr:.2}: {lo:3} flagged (acc {:.2}) | {hi:3} confident (acc {:.2})",
                lo_ok as f32 / lo.max(1) as f32,
                hi_ok as f32 / hi.max(1) as f32
            );
        }
        if std::env::var("CLASSIFY_VERBOSE").is_ok() {
            for (c, g, src) in &cls {
                if c.top != *g {
                    println!(
                        "    miss {src}: gold {g}, got {} ({:.2}) uncertain={}",
                        c.top, c.labels[0].score, c.uncertain
                    );
                }
            }
        }
        if std::env::var("CLASSIFY_SWEEP").is_ok() && set != LabelSet::Tone {
            keyword_weight_sweep(&set, &rows, &gold, &items, &samples);
        }
        results.push(SetResult {
            emb_acc,
            pure_acc,
            kw_acc,
        });
    }
    let tone_cv = tone_cross_validation(&tone_items);
    println!("uncertain margin threshold in use: {UNCERTAIN_MARGIN}");
    let unseen = held_out_accuracy(&mut e, &mut index, "unseen", &load_unseen());
    let third = held_out_accuracy(&mut e, &mut index, "third", &load_set("classify_third.json"));
    let fourth = held_out_accuracy(&mut e, &mut index, "fourth", &load_set("classify_fourth.json"));

    // Floors slightly below the measured accuracy; the embedding classifier must beat the keyword baseline.
    // Per held-out set, floors for topic, content type and tone.
    for (name, accs, floors) in [
        ("unseen", &unseen, [0.68, 0.88, 0.66]),
        ("third", &third, [0.85, 0.72, 0.72]),
        ("fourth", &fourth, [0.66, 0.83, 0.63]),
    ] {
        for ((set, acc), floor) in sets().iter().zip(accs).zip(floors) {
            assert!(*acc >= floor, "{} on the {name} set: {acc} < floor {floor}", set.key());
        }
    }
    let floors = [0.90, 0.88, TONE_FLOOR];
    for ((set, r), floor) in sets().iter().zip(&results).zip(floors) {
        assert!(r.emb_acc >= floor, "{}: {} < floor {floor}", set.key(), r.emb_acc);
    }
    assert!(
        results[0].emb_acc > results[0].kw_acc,
        "topic: embedding must beat keywords"
    );
    assert!(
        results[0].pure_acc > results[0].kw_acc,
        "topic: embedding alone must beat keywords"
    );
    assert!(
        results[1].emb_acc > results[1].kw_acc,
        "content_type: embedding must beat keywords"
    );
    assert!(
        results[2].emb_acc > results[2].kw_acc + 0.05,
        "tone: the sentence model must clearly beat keywords"
    );
    assert!(
        tone_cv > results[2].kw_acc,
        "tone: cross-validated accuracy must beat keywords"
    );
}

/// The classifier on a labelled set never used to choose weights or constants (unseen, third, fourth), per
/// label set: accuracy and how many pages it flagged uncertain (with their accuracy).
fn held_out_accuracy(e: &mut Embedder<BertBackend>, index: &mut LabelIndex, name: &str, items: &[Item]) -> Vec<f32> {
    let samples: Vec<PageSample> = items.iter().map(|item| item.sample(&DEFAULT_SAMPLE)).collect();
    let embedded: Vec<_> = samples
        .iter()
        .map(|s| pollster::block_on(embed_page(e, s)).expect("embed page"))
        .collect();
    sets()
        .iter()
        .map(|set| {
            let (mut n, mut ok, mut flagged, mut flagged_ok) = (0, 0, 0, 0);
            for ((item, s), emb) in items.iter().zip(&samples).zip(&embedded) {
                let Some(g) = item.gold(set) else { continue };
                let c = pollster::block_on(classify_embedded(e, index, s, emb, set)).expect("classify");
                n += 1;
                ok += usize::from(c.top == g);
                if c.top != g && std::env::var("CLASSIFY_VERBOSE").is_ok() {
                    let title = s.title.chars().take(60).collect::<String>();
                    println!(
                        "    miss ({name}) {title:?}: gold {g}, got {} uncertain={}",
                        c.top, c.uncertain
                    );
                }
                if c.uncertain {
                    flagged += 1;
                    flagged_ok += usize::from(c.top == g);
                }
            }
            let acc = ok as f32 / n.max(1) as f32;
            println!(
                "{name} set {:>12}: n={n:3} classifier acc {acc:.3} | flagged uncertain {flagged} (acc {:.2})",
                set.key(),
                flagged_ok as f32 / flagged.max(1) as f32
            );
            acc
        })
        .collect()
}

/// Tone accuracy floor, just below the measured value.
const TONE_FLOOR: f32 = 0.70;

/// Confusion matrix (rows: gold, columns: predicted).
fn confusion(labels: &[scout::core::classify::Label], rows: &[Vec<f32>], gold: &[usize]) {
    let ids: Vec<&str> = labels.iter().map(|l| l.id.as_str()).collect();
    println!("    confusion (gold \\ predicted {ids:?}):");
    for (gi, id) in ids.iter().enumerate() {
        let counts: Vec<usize> = (0..ids.len())
            .map(|pi| {
                rows.iter()
                    .zip(gold)
                    .filter(|(r, g)| **g == gi && argmax(r) == pi)
                    .count()
            })
            .collect();
        println!("      {id:>8}: {counts:?}");
    }
}

/// The tone model's constants against a small round grid: accuracy of the defaults, the best grid point, and
/// leave-one-out accuracy of choosing the grid point on the other items (the honest figure for the choice).
fn tone_cross_validation(items: &[(Vec<SentenceEvidence>, usize)]) -> f32 {
    let mut grid = Vec::new();
    for lexicon_weight in [0.05, 0.1, 0.2] {
        for neutral_bias in [0.05, 0.1, 0.15] {
            for sentence_temperature in [0.02, 0.05] {
                for positive_share in [0.05, 0.1, 0.15, 0.2] {
                    for negative_share in [0.2, 0.25, 0.3, 0.35, 0.4] {
                        for mixed_share in [0.25, 0.35] {
                            grid.push(ToneParams {
                                embeddings: true,
                                lexicon_weight,
                                neutral_bias,
                                sentence_temperature,
                                positive_share,
                                negative_share,
                                mixed_share,
                            });
                        }
                    }
                }
            }
        }
    }
    assert!(grid.contains(&tone::DEFAULT_TONE), "the defaults are a grid point");
    let correct: Vec<Vec<bool>> = grid
        .iter()
        .map(|p| {
            items
                .iter()
                .map(|(ev, g)| argmax(&tone::share_scores(tone::tone_shares(ev, p), p)) == *g)
                .collect()
        })
        .collect();
    let n = items.len();
    let acc = |k: usize| correct[k].iter().filter(|&&c| c).count() as f32 / n.max(1) as f32;
    // Ties go to the first grid point.
    let first_best = |score: &dyn Fn(usize) -> usize| {
        (0..grid.len()).fold(0, |best, k| if score(k) > score(best) { k } else { best })
    };
    let best = first_best(&|k| correct[k].iter().filter(|&&c| c).count());
    let default = grid.iter().position(|p| *p == tone::DEFAULT_TONE).unwrap_or(0);
    let mut held_out_ok = 0;
    for i in 0..n {
        let pick = first_best(&|k| (0..n).filter(|&j| j != i && correct[k][j]).count());
        held_out_ok += usize::from(correct[pick][i]);
    }
    let loo = held_out_ok as f32 / n.max(1) as f32;
    println!(
        "    tone grid ({} points): defaults {:.3}, best {:.3} at {:?}; grid choice under leave-one-out {loo:.3}",
        grid.len(),
        acc(default),
        acc(best),
        grid[best]
    );
    loo
}

fn sweep<B: EncoderBackend>(
    items: &[Item],
    e: &mut Embedder<B>,
    index: &mut LabelIndex,
    sample: &dyn Fn(&SampleParams) -> Vec<PageSample>,
) {
    let samplings = [
        DEFAULT_SAMPLE,
        SampleParams {
            lead_chunks: 2,
            chunk_words: 80,
            central_sentences: 0,
        },
        SampleParams {
            lead_chunks: 4,
            chunk_words: 80,
            central_sentences: 0,
        },
        SampleParams {
            lead_chunks: 8,
            chunk_words: 80,
            central_sentences: 0,
        },
        SampleParams {
            lead_chunks: 4,
            chunk_words: 120,
            central_sentences: 6,
        },
        SampleParams {
            lead_chunks: 4,
            chunk_words: 40,
            central_sentences: 6,
        },
        SampleParams {
            lead_chunks: 2,
            chunk_words: 80,
            central_sentences: 10,
        },
    ];
    let mut scorings = Vec::new();
    for descriptions in [DescriptionAgg::Max, DescriptionAgg::Mean] {
        for top_k in [1, 2, 3, 100] {
            for centroid_weight in [0.0, 0.5, 1.0] {
                scorings.push(ScoreParams {
                    descriptions,
                    top_k,
                    centroid_weight,
                });
            }
        }
    }
    for sp in &samplings {
        let samples = sample(sp);
        let embedded: Vec<_> = samples
            .iter()
            .map(|s| pollster::block_on(embed_page(e, s)).expect("embed page"))
            .collect();
        for p in &scorings {
            let mut accs = Vec::new();
            for set in sets() {
                let labels = set.labels();
                let mut rows = Vec::new();
                let mut gold = Vec::new();
                for (item, emb) in items.iter().zip(&embedded) {
                    let Some(g) = item.gold(&set) else { continue };
                    gold.push(labels.iter().position(|l| l.id == g).unwrap_or(0));
                    rows.push(pollster::block_on(raw_scores(e, index, emb, &set, p)).expect("scores"));
                }
                accs.push(accuracy(&rows, &gold));
            }
            println!(
                "sweep {sp:?} {p:?}: topic {:.3} content_type {:.3} tone {:.3} mean {:.3}",
                accs[0],
                accs[1],
                accs[2],
                accs.iter().sum::<f32>() / 3.0
            );
        }
    }
}

#[test]
fn custom_labels_with_minilm() {
    let mut e = minilm();
    let mut index = LabelIndex::new();
    let page = PageSample::from_text(
        "Bringing home a rescue kitten",
        "Our new kitten spent the first two days hiding under the sofa. We set up a litter box, a scratching post \
         and a quiet corner with a blanket. By the end of the week she was purring on my lap and chasing toy mice \
         around the living room.",
    );
    let set = LabelSet::Custom(vec!["cats".into(), "cars".into()]);
    let c = pollster::block_on(classify(&mut e, &mut index, &page, &set)).expect("classify");
    println!("custom: {:?}", c.labels);
    assert_eq!(c.top, "cats");
    assert!(c.labels[0].score > 0.6);
    let with_desc = LabelSet::Custom(vec![
        "Pets: animals people keep at home".into(),
        "Motoring: cars, engines and driving".into(),
        "Gardening".into(),
    ]);
    let c = pollster::block_on(classify(&mut e, &mut index, &page, &with_desc)).expect("classify");
    assert_eq!(c.top, "pets");
}

/// Tone on short texts written for this test (not in the eval set): clear cases of each label.
#[test]
fn tone_on_unseen_snippets() {
    let mut e = minilm();
    let mut index = LabelIndex::new();
    let cases = [
        (
            "positive",
            "Our library just turned ten",
            "Ten years ago three volunteers opened a reading room in an old shop. Today the library lends 40,000 \
             books a year. We are thrilled and deeply grateful to every reader and donor. Thank you for an amazing \
             decade!",
        ),
        (
            "positive",
            "Rescued dog finds a home",
            "After a year in the shelter, Max finally has a family. His new owners say he is gentle, playful and \
             loves children. The shelter staff cheered as he left.",
        ),
        (
            "negative",
            "Stay away from this blender",
            "The motor burned out after two weeks. Customer service never answered my emails. The jug leaks and the \
             lid cracked on day one. Complete waste of money.",
        ),
        (
            "negative",
            "Factory closure hits town",
            "The plant will close in March, leaving 800 workers without jobs. Local shops fear they will not \
             survive. The mayor called it a devastating blow for the region.",
        ),
        (
            "neutral",
            "Installing the CLI",
            "Download the archive for your platform. Extract it and add the bin directory to your PATH. Run the \
             version command to check the installation. Configuration is read from the file in your home directory.",
        ),
        (
            "neutral",
            "City council agenda",
            "The council will meet on Monday at 7 pm. Items include the budget for next year, a zoning request for \
             Elm Street and the appointment of two committee members. The meeting is open to the public.",
        ),
        (
            "neutral",
            "Photosynthesis",
            "Photosynthesis is the process by which plants convert light energy into chemical energy. It takes \
             place in the chloroplasts. Carbon dioxide and water are converted into glucose and oxygen.",
        ),
        (
            "mixed",
            "Weekend at the lake cabin",
            "The cabin itself was lovely, with a great view and a cosy fireplace. Sadly the beds were awful and the \
             kitchen was dirty when we arrived. The hiking trails nearby were wonderful, but the road in was \
             terrible.",
        ),
    ];
    let mut ok = 0;
    for (gold, title, text) in cases {
        let page = PageSample::from_text(title, text);
        let c = pollster::block_on(classify(&mut e, &mut index, &page, &LabelSet::Tone)).expect("classify");
        println!(
            "tone snippet {title:?}: gold {gold}, got {} ({:.2})",
            c.top, c.labels[0].score
        );
        ok += usize::from(c.top == gold);
    }
    assert!(ok + 1 >= cases.len(), "{ok} of {} snippets", cases.len());
}

/// Accuracy as a function of the keyword weight (rows already include [`KEYWORD_WEIGHT`]).
fn keyword_weight_sweep(set: &LabelSet, rows: &[Vec<f32>], gold: &[usize], items: &[Item], samples: &[PageSample]) {
    let labels = set.labels();
    let kw: Vec<Vec<f32>> = items
        .iter()
        .zip(samples)
        .filter(|(it, _)| it.gold(set).is_some())
        .map(|(_, s)| {
            scout::core::classify::keyword::keyword_prior(&scout::core::classify::keyword::keyword_hits(s, &labels))
        })
        .collect();
    for w in [0.0f32, 0.16, 0.32, 0.5, 0.8, 1.2] {
        let alt: Vec<Vec<f32>> = rows
            .iter()
            .zip(&kw)
            .map(|(r, k)| r.iter().zip(k).map(|(a, b)| a + (w - KEYWORD_WEIGHT) * b).collect())
            .collect();
        println!("    keyword weight {w}: acc {:.3}", accuracy(&alt, gold));
    }
}

/// One labelled page as the content-type model sees it.
struct FormRow {
    vote: Vec<f32>,
    cues: Cues,
    declared: Vec<f32>,
    gold: usize,
    written: bool,
}

fn form_rows(e: &mut Embedder<BertBackend>, index: &mut LabelIndex, items: &[Item]) -> Vec<FormRow> {
    let set = LabelSet::ContentType;
    let entry = pollster::block_on(index.get_or_embed(e, &set)).expect("labels").clone();
    items
        .iter()
        .filter_map(|item| {
            let g = item.content_type.as_deref()?;
            let gold = entry
                .labels
                .iter()
                .position(|l| l.id == g)
                .unwrap_or_else(|| panic!("unknown label {g}"));
            let s = item.sample(&DEFAULT_SAMPLE);
            let emb = pollster::block_on(embed_page(e, &s)).expect("embed");
            let ids: Vec<&str> = entry.labels.iter().map(|l| l.id.as_str()).collect();
            let body = if s.title.trim().is_empty() {
                &emb.sentences[..]
            } else {
                emb.sentences.get(1..).unwrap_or(&[])
            };
            Some(FormRow {
                vote: content_type::exemplar_vote(&emb.sentence_vectors, &entry.descriptions),
                cues: content_type::cues(body),
                declared: content_type::declared_evidence(&ids, &s.declared_types),
                gold,
                written: item.source == "written",
            })
        })
        .collect()
}

/// L2 penalty and gradient-descent schedule of the fit, chosen under leave-one-out on the first set only: 600 steps
/// of 0.05 at λ 0.01 gave 0.772; 2,000 steps of 0.1 at λ 0.01 / 0.03 / 0.1 gave 0.750 / 0.739 / 0.739 (fitted
/// further, the model learns the first set's pages).
const FIT_LAMBDA: f64 = 0.01;
const FIT_STEPS: usize = 600;
const FIT_RATE: f64 = 0.05;

/// Multinomial logistic regression of the gold label on the scaled vote (one shared weight) and the standardized
/// cues (a weight per cue and label), by full-batch gradient descent from zero: deterministic.
fn fit_form(rows: &[&FormRow], labels: &[String]) -> FormModel {
    let nl = labels.len();
    let nc = CUE_NAMES.len();
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0f64; nc];
    let mut sd = vec![0.0f64; nc];
    for c in 0..nc {
        let xs: Vec<f64> = rows.iter().filter_map(|r| r.cues.values[c]).map(f64::from).collect();
        let m = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len().max(1) as f64;
        mean[c] = m;
        sd[c] = v.sqrt() + 1e-6;
    }
    let english: Vec<&&FormRow> = rows.iter().filter(|r| r.cues.english).collect();
    let vote_mean: Vec<f32> = (0..nl)
        .map(|l| english.iter().map(|r| r.vote[l]).sum::<f32>() / english.len().max(1) as f32)
        .collect();
    let z: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            (0..nc)
                .map(|c| r.cues.values[c].map_or(0.0, |x| (f64::from(x) - mean[c]) / sd[c]))
                .collect()
        })
        .collect();
    let votes: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            let v = if r.cues.english { &r.vote } else { &vote_mean };
            v.iter().map(|v| f64::from(*v / content_type::VOTE_SCALE)).collect()
        })
        .collect();
    let (mut b, mut d, mut w, mut bias) = (0.0f64, 0.0f64, vec![vec![0.0f64; nl]; nc], vec![0.0f64; nl]);
    for _ in 0..FIT_STEPS {
        let (mut gb, mut gd, mut gw, mut gbias) = (0.0f64, 0.0f64, vec![vec![0.0f64; nl]; nc], vec![0.0f64; nl]);
        for ((r, zr), vr) in rows.iter().zip(&z).zip(&votes) {
            let dr = |l: usize| f64::from(r.declared.get(l).copied().unwrap_or(0.0));
            let logits: Vec<f64> = (0..nl)
                .map(|l| b * vr[l] + d * dr(l) + bias[l] + (0..nc).map(|c| w[c][l] * zr[c]).sum::<f64>())
                .collect();
            let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exp: Vec<f64> = logits.iter().map(|x| (x - top).exp()).collect();
            let sum: f64 = exp.iter().sum();
            for l in 0..nl {
                let g = (exp[l] / sum - f64::from(u8::from(l == r.gold))) / n;
                gb += g * vr[l];
                gd += g * dr(l);
                gbias[l] += g;
                for c in 0..nc {
                    gw[c][l] += g * zr[c];
                }
            }
        }
        b -= FIT_RATE * gb;
        d -= FIT_RATE * gd;
        for l in 0..nl {
            bias[l] -= FIT_RATE * (gbias[l] + FIT_LAMBDA * bias[l]);
            for c in 0..nc {
                w[c][l] -= FIT_RATE * (gw[c][l] + FIT_LAMBDA * w[c][l]);
            }
        }
    }
    // Four decimals: the file stays readable and the rounding moves no prediction of either set (checked by the test).
    let r4 = |x: f64| ((x * 1e4).round() / 1e4) as f32;
    FormModel {
        labels: labels.to_vec(),
        cues: CUE_NAMES.iter().map(|c| c.to_string()).collect(),
        mean: mean.into_iter().map(r4).collect(),
        sd: sd.into_iter().map(r4).collect(),
        vote_scale: content_type::VOTE_SCALE,
        vote_weight: r4(b),
        vote_mean: vote_mean.into_iter().map(|v| r4(f64::from(v))).collect(),
        declared_weight: r4(d),
        weights: w.into_iter().map(|row| row.into_iter().map(r4).collect()).collect(),
        bias: bias.into_iter().map(r4).collect(),
    }
}

fn form_accuracy(model: &FormModel, labels: &[&str], rows: &[&FormRow]) -> f32 {
    let ok = rows
        .iter()
        .filter(|r| argmax(&model.logits(labels, &r.vote, &r.cues, &r.declared)) == r.gold)
        .count();
    ok as f32 / rows.len().max(1) as f32
}

/// The content-type model on the labelled sets: fitted on the first and the third (`CLASSIFY_FIT=1` rewrites
/// src/core/classify/content_type_model.json), measured there under leave-one-out and on the two sets never used
/// for fitting (unseen, fourth).
#[test]
fn content_type_model_on_both_sets() {
    let mut e = minilm();
    let mut index = LabelIndex::new();
    let labels: Vec<String> = LabelSet::ContentType.labels().into_iter().map(|l| l.id).collect();
    let ids: Vec<&str> = labels.iter().map(String::as_str).collect();
    let mut first = form_rows(&mut e, &mut index, &load());
    let first_only = first.len();
    first.extend(form_rows(&mut e, &mut index, &load_set("classify_third.json")));
    let second = form_rows(&mut e, &mut index, &load_unseen());
    let fourth = form_rows(&mut e, &mut index, &load_set("classify_fourth.json"));
    let first_refs: Vec<&FormRow> = first.iter().collect();
    let second_refs: Vec<&FormRow> = second.iter().collect();
    let fourth_refs: Vec<&FormRow> = fourth.iter().collect();

    if std::env::var("CLASSIFY_FIT").is_ok() {
        let m = fit_form(&first_refs, &labels);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core/classify/content_type_model.json");
        let json = serde_json::json!({
            "about": "Content-type model (src/core/classify/content_type.rs), fitted on tests/t1/classify_eval.json and \
                      classify_third.json by tests/t1_classify.rs with CLASSIFY_FIT=1. weights[cue][label].",
            "labels": m.labels, "cues": m.cues, "mean": m.mean, "sd": m.sd, "vote_scale": m.vote_scale,
            "vote_weight": m.vote_weight, "vote_mean": m.vote_mean, "declared_weight": m.declared_weight, "weights": m.weights, "bias": m.bias,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json") + "\n").expect("write model");
        // This binary still holds the old file (include_str!): measure in a new run.
        println!("wrote {}; run the test again to measure it", path.display());
        return;
    }
    let shipped = content_type::model()
        .expect("the shipped content-type model parses")
        .clone();
    assert_eq!(shipped.labels, labels, "the model's labels are the set's");

    // Leave-one-out on the first set: each page predicted by a model fitted without it.
    let loo_ok = (0..first.len())
        .filter(|&i| {
            let rest: Vec<&FormRow> = first
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r)
                .collect();
            let m = fit_form(&rest, &labels);
            let p = argmax(&m.logits(&ids, &first[i].vote, &first[i].cues, &first[i].declared));
            if p != first[i].gold && std::env::var("CLASSIFY_VERBOSE").is_ok() {
                println!(
                    "    miss (first, left out): gold {}, got {}",
                    ids[first[i].gold], ids[p]
                );
            }
            p == first[i].gold
        })
        .count();
    let loo = loo_ok as f32 / first.len() as f32;
    let fitted = form_accuracy(&shipped, &ids, &first_refs);
    let unseen_acc = form_accuracy(&shipped, &ids, &second_refs);
    let fourth_acc = form_accuracy(&shipped, &ids, &fourth_refs);
    let written: Vec<&FormRow> = second.iter().filter(|r| r.written).collect();
    let pages: Vec<&FormRow> = second.iter().filter(|r| !r.written).collect();
    let vote_only =
        |rows: &[&FormRow]| rows.iter().filter(|r| argmax(&r.vote) == r.gold).count() as f32 / rows.len().max(1) as f32;
    println!(
        "content type model: first and third sets ({} pages) fitted {fitted:.3} (first set {:.3}, third {:.3}), \
         leave-one-out {loo:.3} | fourth set ({} pages) {fourth_acc:.3} | unseen set ({} pages) {unseen_acc:.3} \
         (written {:.3} of {}, corpus pages in six languages {:.3} of {}) | exemplar vote alone: first {:.3}, unseen {:.3}",
        first.len(),
        form_accuracy(&shipped, &ids, &first_refs[..first_only]),
        form_accuracy(&shipped, &ids, &first_refs[first_only..]),
        fourth.len(),
        second.len(),
        form_accuracy(&shipped, &ids, &written),
        written.len(),
        form_accuracy(&shipped, &ids, &pages),
        pages.len(),
        vote_only(&first_refs),
        vote_only(&second_refs),
    );
    if std::env::var("CLASSIFY_VERBOSE").is_ok() {
        for (r, set) in first
            .iter()
            .map(|r| (r, "first"))
            .chain(second.iter().map(|r| (r, "unseen")))
            .chain(fourth.iter().map(|r| (r, "fourth")))
        {
            let p = argmax(&shipped.logits(&ids, &r.vote, &r.cues, &r.declared));
            if p != r.gold {
                println!(
                    "    miss ({set}): gold {}, got {} declared {:?}",
                    ids[r.gold], ids[p], r.declared
                );
            }
        }
    }
    // The shipped file is the fit of today's code and data, up to the last digits: the embeddings' last bits differ
    // between machines (ONNX Runtime picks its int8 kernels by CPU), which moved a refit by up to 0.002.
    let refit = fit_form(&first_refs, &labels);
    if let Err(e) = same_fit(&shipped, &refit) {
        panic!("content_type_model.json is stale ({e}): rerun with CLASSIFY_FIT=1");
    }
    assert!(loo >= 0.74, "content type under leave-one-out {loo}");
    assert!(unseen_acc >= 0.90, "content type on the unseen set {unseen_acc}");
    assert!(fourth_acc >= 0.83, "content type on the fourth set {fourth_acc}");
}

/// Whether two fits of the form model agree: the same labels and cues, every number within [`FIT_TOLERANCE`].
fn same_fit(a: &FormModel, b: &FormModel) -> Result<(), String> {
    if a.labels != b.labels || a.cues != b.cues {
        return Err("other labels or cues".into());
    }
    let flat = |m: &FormModel| -> Vec<f32> {
        let mut v = vec![m.vote_scale, m.vote_weight, m.declared_weight];
        for part in [&m.mean, &m.sd, &m.vote_mean, &m.bias] {
            v.extend(part.iter().copied());
        }
        v.extend(m.weights.iter().flatten().copied());
        v
    };
    let (x, y) = (flat(a), flat(b));
    if x.len() != y.len() {
        return Err("other shapes".into());
    }
    let worst = x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
    if worst > FIT_TOLERANCE {
        return Err(format!("a number differs by {worst:.4}"));
    }
    Ok(())
}

/// How far a refit's numbers may move with the embeddings' last bits.
const FIT_TOLERANCE: f32 = 0.01;
