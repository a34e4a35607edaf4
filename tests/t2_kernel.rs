//! Scout's own int8 decoder (`crates/scout-llm`, the T2 tier's WASM path) natively, on the test hub's models:
//! - on the tiny fp32 decoder, its first-step logits and greedy ids follow native onnxruntime's float reference
//!   (tests/py/decoder_reference.py) within int8's error;
//! - a second thread running shard 1 (here a stand-in that computes it on its own copy of the shard) changes no bit,
//!   through a prompt, decode steps and a truncated cache;
//! - a shortened cache gives the logits of a fresh run;
//! - graphs it cannot read (4-bit `MatMulNBits`, a damaged file) are clear errors, so the engine falls back to ONNX
//!   Runtime.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Command;

use scout::core::error::{ErrorCode, ScoutError};
use scout::core::generate::kernel::{KernelDecoder, ShardHelper, ShardJob, llm_config};
use scout::core::generate::{DecoderBackend, DecoderConfig};
use scout::native::{cache_dir, native_generator, ort_dylib_path};
use scout_llm::Shard;
use scout_llm::plain::{PlainCache, PlainModel};

fn tiny_dir() -> PathBuf {
    cache_dir().join("hub/scout-test/tiny-llama")
}

fn tiny_config() -> DecoderConfig {
    let dir = tiny_dir();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("run `cargo xtask setup` first");
    DecoderConfig::from_json(&read("config.json"), Some(&read("generation_config.json"))).expect("config")
}

fn tiny_model() -> Vec<u8> {
    std::fs::read(tiny_dir().join("onnx/model.onnx")).expect("tiny model")
}

/// Shard 1 on its own copy, computed when the job is posted (a worker's result, in order).
struct StandIn(RefCell<Shard>);

impl ShardHelper for StandIn {
    type Pending = Result<Vec<f32>, ScoutError>;
    fn post(&self, job: ShardJob<'_>) -> Self::Pending {
        let mut shard = self.0.borrow_mut();
        let fail = |e: scout_llm::LlmError| ScoutError::new(ErrorCode::BackendFailed, e.0);
        match job {
            ShardJob::Attention { layer, input, past } => shard.attention(layer, input, past).map_err(fail),
            ShardJob::Mlp { layer, input } => shard.mlp(layer, input).map_err(fail),
            ShardJob::Truncate(len) => {
                shard.truncate(len);
                Ok(Vec::new())
            }
        }
    }
    async fn wait(&self, pending: Self::Pending) -> Result<Vec<f32>, ScoutError> {
        pending
    }
}

fn decoder(helper: Option<StandIn>) -> KernelDecoder<StandIn> {
    KernelDecoder::from_onnx(&tiny_model(), &tiny_config(), "native-int8", helper).expect("kernel decoder")
}

fn stand_in() -> StandIn {
    let settings = llm_config(&tiny_config()).expect("settings");
    StandIn(RefCell::new(
        Shard::from_onnx(&tiny_model(), &settings, 1).expect("shard 1"),
    ))
}

const PROMPT: [u32; 5] = [504, 3575, 282, 4649, 314]; // "The capital of France is"

fn argmax(v: &[f32]) -> u32 {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i as u32)
}

/// Cosine, largest difference and the reference's span.
fn closeness(logits: &[f32], want: &[f32]) -> (f64, f32, f32) {
    assert_eq!(logits.len(), want.len());
    let dot: f64 = logits
        .iter()
        .zip(want)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let worst = logits.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    let spread = want.iter().fold(f32::MIN, |a, &b| a.max(b)) - want.iter().fold(f32::MAX, |a, &b| a.min(b));
    (dot / (norm(logits) * norm(want)), worst, spread)
}

#[test]
fn the_tiny_decoder_follows_the_float_reference() {
    let python = std::env::var("SCOUT_PYTHONPATH")
        .ok()
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::fs::read_dir(cache_dir().join("python-tools"))
                .expect("python tools")
                .flatten()
                .map(|e| e.path())
                .find(|p| p.join(".installed").exists())
                .expect("installed python tools")
        });
    let out = Command::new("python3")
        .arg(format!("{}/tests/py/decoder_reference.py", env!("CARGO_MANIFEST_DIR")))
        .args([tiny_dir().to_str().unwrap(), "[504, 3575, 282, 4649, 314]", "16"])
        .env("PYTHONPATH", python)
        .output()
        .expect("python3");
    assert!(out.status.success());
    let reference: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let want_ids: Vec<u32> = serde_json::from_value(reference["ids"].clone()).unwrap();
    let want: Vec<f32> = serde_json::from_value(reference["first_logits"].clone()).unwrap();

    let mut d = decoder(None);
    let logits = pollster::block_on(d.forward(&PROMPT)).unwrap();
    let (cosine, worst, spread) = closeness(&logits, &want);
    println!("tiny decoder, first step: cosine {cosine:.6}, largest difference {worst:.4} (logits span {spread:.2})");
    assert!(cosine > 0.995, "cosine {cosine}");
    assert!(
        worst < 0.05 * spread,
        "largest difference {worst} of a span of {spread}"
    );

    // The GPU decoder's arithmetic (int8 weights, float activations) on the CPU: closer still.
    let plain = PlainModel::from_onnx(&tiny_model(), llm_config(&tiny_config()).unwrap()).expect("plain model");
    let mut cache = PlainCache::default();
    let plain_logits = plain.forward(&mut cache, &PROMPT).unwrap();
    let (cosine, worst, _) = closeness(&plain_logits, &want);
    println!("the GPU decoder's arithmetic, first step: cosine {cosine:.6}, largest difference {worst:.4}");
    assert!(cosine > 0.999, "cosine {cosine}");
    // Its cache: one token at a time gives the prompt's logits.
    let mut cache = PlainCache::default();
    let mut stepped = Vec::new();
    for t in PROMPT {
        stepped = plain.forward(&mut cache, &[t]).unwrap();
    }
    assert!(closeness(&stepped, &plain_logits).1 < 1e-4);

    // Greedy ids: int8 is not token-exact, but a random model's ids follow the float ones for a while.
    let mut ids = vec![argmax(&logits)];
    while ids.len() < want_ids.len() {
        let logits = pollster::block_on(d.forward(&ids[ids.len() - 1..])).unwrap();
        ids.push(argmax(&logits));
    }
    let same = ids.iter().zip(&want_ids).take_while(|(a, b)| a == b).count();
    println!(
        "greedy ids equal to the float reference's for {same} of {}: {ids:?} vs {want_ids:?}",
        ids.len()
    );
    assert!(same >= 4, "{ids:?} vs {want_ids:?}");
}

#[test]
fn a_second_thread_changes_no_bit() {
    let mut alone = decoder(None);
    let mut paired = decoder(Some(stand_in()));
    assert_eq!((alone.threads(), paired.threads()), (1, 2));
    let step = |alone: &mut KernelDecoder<StandIn>, paired: &mut KernelDecoder<StandIn>, tokens: &[u32]| {
        let a = pollster::block_on(alone.forward(tokens)).unwrap();
        let b = pollster::block_on(paired.forward(tokens)).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        argmax(&a)
    };
    let mut next = step(&mut alone, &mut paired, &PROMPT);
    for _ in 0..3 {
        next = step(&mut alone, &mut paired, &[next]);
    }
    alone.truncate(3).unwrap();
    paired.truncate(3).unwrap();
    step(&mut alone, &mut paired, &PROMPT[3..]);
    assert_eq!(paired.cached(), PROMPT.len());
}

#[test]
fn a_shortened_cache_gives_the_logits_of_a_fresh_run() {
    let mut d = decoder(None);
    let fresh = pollster::block_on(d.forward(&PROMPT)).unwrap();
    pollster::block_on(d.forward(&[100, 200, 300])).unwrap();
    d.truncate(2).unwrap();
    assert_eq!(d.cached(), 2);
    let again = pollster::block_on(d.forward(&PROMPT[2..])).unwrap();
    assert_eq!(fresh, again);
}

#[test]
fn the_4_bit_graph_made_for_webgpu_is_read_too() {
    // `MatMulNBits` weights (Q|K|V in one, a head of its own), dequantized and quantized again per column: logits
    // close to native ONNX Runtime's on the same graph (its contrib ops on the CPU).
    let q4 = std::fs::read(tiny_dir().join("onnx/model_q4.onnx")).expect("the tiny 4-bit graph");
    let mut d = KernelDecoder::<StandIn>::from_onnx(&q4, &tiny_config(), "native-int8", None).expect("4-bit graph");
    let logits = pollster::block_on(d.forward(&PROMPT)).unwrap();
    let today = scout::core::generate::Date {
        year: 2026,
        month: 12,
        day: 6,
    };
    let mut ort = native_generator(&ort_dylib_path(), &tiny_dir(), "onnx/model_q4.onnx", 1, today).expect("ort");
    let want = pollster::block_on(ort.backend_mut().forward(&PROMPT)).unwrap();
    let (cosine, worst, spread) = closeness(&logits, &want);
    println!(
        "the 4-bit graph on Scout's decoder against ONNX Runtime: cosine {cosine:.5}, largest difference {worst:.3} of {spread:.2}"
    );
    assert!(cosine > 0.995, "cosine {cosine}");
    let plain = PlainModel::from_onnx(&q4, llm_config(&tiny_config()).unwrap()).expect("plain 4-bit");
    let gpu = plain.forward(&mut PlainCache::default(), &PROMPT).unwrap();
    let (cosine, ..) = closeness(&gpu, &want);
    println!("the same on the GPU decoder's arithmetic: cosine {cosine:.5}");
    assert!(cosine > 0.995, "cosine {cosine}");
}

#[test]
fn graphs_it_cannot_read_are_clear_errors() {
    let mut damaged = tiny_model();
    damaged.truncate(damaged.len() / 2);
    let Err(e) = KernelDecoder::<StandIn>::from_onnx(&damaged, &tiny_config(), "native-int8", None) else {
        panic!("half a file was read");
    };
    assert_eq!(e.code, ErrorCode::ModelUnavailable);
    println!("{}", e.message);
    let mut scaled = tiny_config();
    scaled.rope_scaling = serde_json::json!({"rope_type": "yarn", "factor": 4.0});
    assert!(llm_config(&scaled).unwrap_err().message.contains("yarn"));
}
