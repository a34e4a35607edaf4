//! The bundled embedder on either backend (Scout's int8 encoder on the CPU, its WGSL encoder on a GPU), and the
//! timing of both that the backend choice reads (`core::hardware::choose_backend`).

use std::cell::RefCell;

use super::encoder::WebEncoder;
use super::encoder_helper::Helper;
use super::gpu_encoder::GpuEncoder;
use super::js::{PerfClock, fetch_bytes};
use crate::core::bert::BertBackend;
use crate::core::catalog::Catalog;
use crate::core::embed::{EmbedTokenizer, Embedder};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::hardware::{BackendProbe, Ep, HardwareProfile, PROBE_TEXTS};
use crate::core::store::Clock;

thread_local! {
    /// The bundled tokenizer's bytes, fetched once: both backends' embedders (and a remade one) parse them.
    static TOKENIZER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Time the probe batch on both EPs (after a warm-up run each). WASM must work; WebGPU may fail, which is noted.
/// The GPU goes first: once WASM's first timed run is slower than what WebGPU needs to win, the choice is made.
pub(super) async fn measure_backends(
    package_base: &str,
    hw: &HardwareProfile,
) -> Result<(BackendProbe, Embedder<WebEncoder>, Option<Embedder<WebEncoder>>), ScoutError> {
    let cores = hw.hardware_concurrency.unwrap_or(1);
    // Both start together (the GPU's device and uploads overlap the CPU encoder's reading of its weights); each is
    // timed alone after.
    let (wasm, webgpu) = futures_util::future::join(
        make_embedder(package_base, Ep::Wasm, cores),
        make_embedder(package_base, Ep::Webgpu, cores),
    )
    .await;
    let mut wasm = wasm?;
    let (webgpu, webgpu_ms, webgpu_error) = match webgpu {
        // A software adapter is tens of times slower: one run that shows it is enough.
        Ok(mut gpu) => match time_probe(&mut gpu, GPU_PROBE_LOST_MS).await {
            Ok(ms) => (Some(gpu), Some(ms), None),
            Err(e) => (None, None, Some(e.message)),
        },
        Err(e) => (None, None, Some(e.message)),
    };
    let decided = webgpu_ms.map_or(f64::INFINITY, |g| g * crate::core::hardware::WEBGPU_MARGIN);
    let wasm_ms = time_probe(&mut wasm, decided).await?;
    let probe = BackendProbe {
        device: crate::core::hardware::device_key(hw),
        wasm_ms,
        webgpu_ms,
        webgpu_error,
    };
    Ok((probe, wasm, webgpu))
}

/// A GPU run of the probe batch slower than this has lost to the CPU (Scout's CPU encoder takes 25–45 ms for it on
/// 2 to 16 cores): no need to time it again.
const GPU_PROBE_LOST_MS: f64 = 200.0;

/// Median of three timed runs of the probe batch, after one untimed warm-up run; a first timed run slower than
/// `enough_ms` is the answer (the others would only confirm it, slowly).
async fn time_probe(embedder: &mut Embedder<WebEncoder>, enough_ms: f64) -> Result<f64, ScoutError> {
    let clock = PerfClock;
    embedder.embed(&PROBE_TEXTS).await?;
    let mut runs = Vec::new();
    for _ in 0..3 {
        embedder.clear_cache();
        let t = clock.now_ms();
        embedder.embed(&PROBE_TEXTS).await?;
        runs.push(clock.now_ms() - t);
        if runs[0] > enough_ms {
            break;
        }
    }
    embedder.clear_cache();
    runs.sort_by(f64::total_cmp);
    Ok(runs[runs.len() / 2])
}

/// The bundled embedder on `ep`, on Scout's own encoder and weights file either way: int8 kernels on the CPU (a
/// second thread where the device has `cores` ≥ 2), WGSL kernels on a GPU.
pub(super) async fn make_embedder(package_base: &str, ep: Ep, cores: u32) -> Result<Embedder<WebEncoder>, ScoutError> {
    let catalog = Catalog::builtin();
    let entry = catalog
        .bundled_embedder()
        .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, "no bundled embedder in the catalog"))?;
    let path = |role: &str| {
        entry
            .file(role)
            .and_then(|f| f.bundle_path.clone())
            .map(|p| format!("{package_base}{p}"))
            .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, format!("catalog: no bundled {role}")))
    };
    let max_tokens = entry.max_tokens.unwrap_or(256);
    let tokenizer_path = path("tokenizer")?;
    let tokenizer = async {
        let bytes = match TOKENIZER.with(|t| t.borrow().clone()) {
            Some(b) => b,
            None => {
                let b = fetch_bytes(&tokenizer_path).await?;
                TOKENIZER.with(|t| *t.borrow_mut() = Some(b.clone()));
                b
            }
        };
        EmbedTokenizer::from_bytes(&bytes, max_tokens)
    };
    let role = crate::core::bert::WEIGHTS_ROLE;
    let url = path(role)?;
    let encoder = async {
        let weights = fetch_bytes(&url).await?;
        match ep {
            Ep::Wasm => {
                let local = BertBackend::from_bytes(&weights, Ep::Wasm.as_str())?;
                let helper = if cores >= 2 {
                    Helper::start(package_base, &url)
                } else {
                    Helper::default()
                };
                Ok::<_, ScoutError>(WebEncoder::Int8(local, helper))
            }
            Ep::Webgpu => Ok(WebEncoder::Gpu(GpuEncoder::load(&weights).await?)),
        }
    };
    let (tokenizer, encoder) = futures_util::future::join(tokenizer, encoder).await;
    let (tokenizer, encoder) = (tokenizer?, encoder?);
    let mut tag = entry.vector_tag(role, max_tokens);
    if ep == Ep::Webgpu {
        // The GPU computes in float activations (the CPU encoder quantizes them): close vectors, not the same bits.
        tag.push_str("/gpu-f32");
    }
    let mut embedder = Embedder::new(tokenizer, encoder, entry.dims.unwrap_or(384))
        .with_model_tag(tag)
        .with_prefixes(entry.prefixes.clone());
    if ep == Ep::Webgpu {
        embedder.batch_size = WEBGPU_BATCH;
    }
    Ok(embedder)
}

/// Texts per run on the GPU encoder. Its activations are float (no per-run quantization), so a text's vector does
/// not depend on its batch, and a GPU pays a fixed cost per run (recording, submitting, reading back): a page's
/// sentences go in a few large runs.
const WEBGPU_BATCH: usize = 64;
