//! Hardware facts reported by the browser, and the choice of execution provider made from them.
//!
//! The offscreen page only collects facts (`navigator.gpu`, memory, cores); the decision is made here so it is
//! tested natively and explained to the user.

use serde::{Deserialize, Serialize};

use super::catalog::{Catalog, ModelEntry, Task};
use super::phrase::Phrase;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WebGpuInfo {
    pub available: bool,
    /// A software adapter (SwiftShader): correct but far slower than WASM.
    #[serde(default)]
    pub is_fallback: bool,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub max_buffer_size: Option<f64>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HardwareProfile {
    #[serde(default)]
    pub webgpu: WebGpuInfo,
    /// `navigator.deviceMemory` in GiB (coarse, capped at 8 by browsers).
    #[serde(default)]
    pub device_memory_gb: Option<f64>,
    #[serde(default)]
    pub hardware_concurrency: Option<u32>,
    /// `crossOriginIsolated`: without it WASM runs single-threaded.
    #[serde(default)]
    pub cross_origin_isolated: bool,
}

/// What the user asked for in the options page.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BackendPreference {
    #[default]
    Auto,
    Wasm,
    Webgpu,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Ep {
    Wasm,
    Webgpu,
}

impl Ep {
    pub fn as_str(self) -> &'static str {
        match self {
            Ep::Wasm => "wasm",
            Ep::Webgpu => "webgpu",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackendChoice {
    pub ep: Ep,
    /// WASM threads to use.
    pub threads: u32,
    /// Why this backend, in words for the options page.
    pub reason: Phrase,
}

/// A measured comparison of the two execution providers on this device, made once and kept (IndexedDB) until
/// the device's facts change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackendProbe {
    /// [`device_key`] of the device it was measured on.
    pub device: String,
    /// Median milliseconds per probe batch ([`PROBE_TEXTS`]).
    pub wasm_ms: f64,
    pub webgpu_ms: Option<f64>,
    /// Why WebGPU could not be measured, if it could not.
    pub webgpu_error: Option<String>,
}

/// Where the probe is kept in the result store.
pub const PROBE_STORE_KEY: &str = "device|backend-probe|v1";

/// The probe batch: short, everyday sentences (what summaries embed most).
pub const PROBE_TEXTS: [&str; 8] = [
    "The council approved the new bridge after a long debate.",
    "Prices rose faster than expected in the third quarter.",
    "Researchers found that the treatment reduced symptoms in most patients.",
    "The team won the final with a goal in the last minute.",
    "Install the package, then restart the server to apply the change.",
    "The recipe needs two eggs, flour, butter and a pinch of salt.",
    "Heavy rain is expected across the north of the country tomorrow.",
    "The museum reopens next month with a new exhibition on early photography.",
];

/// WebGPU must beat WASM by this factor to be chosen: on a near tie WASM wins (no GPU contention, less memory).
pub const WEBGPU_MARGIN: f64 = 1.2;

/// What identifies a device for the probe: the adapter and the CPU facts the choice depends on.
pub fn device_key(hw: &HardwareProfile) -> String {
    let mut features = hw.webgpu.features.clone();
    features.sort();
    format!(
        "{}|{}|{}|fallback={}|f={}|cores={}|coi={}",
        hw.webgpu.available,
        hw.webgpu.vendor.as_deref().unwrap_or(""),
        hw.webgpu.architecture.as_deref().unwrap_or(""),
        hw.webgpu.is_fallback,
        features.join(","),
        hw.hardware_concurrency.unwrap_or(0),
        hw.cross_origin_isolated
    )
}

/// Whether a measurement can change the choice: only an automatic one on a device with a WebGPU adapter.
pub fn uses_probe(hw: &HardwareProfile, pref: BackendPreference) -> bool {
    pref == BackendPreference::Auto && hw.webgpu.available
}

/// Whether to measure before choosing: automatic choice, a hardware WebGPU adapter (a software one is known to be
/// far slower), and no measurement for this device yet.
pub fn should_probe(hw: &HardwareProfile, pref: BackendPreference, probe: Option<&BackendProbe>) -> bool {
    uses_probe(hw, pref) && !hw.webgpu.is_fallback && probe.is_none_or(|p| p.device != device_key(hw))
}

/// Pick the execution provider: the user's choice; else the measured faster one on this device; else by the
/// adapter's facts (WebGPU only on a real, non-fallback adapter: software adapters are 90–450× slower than WASM
/// for small encoders).
pub fn choose_backend(hw: &HardwareProfile, pref: BackendPreference, probe: Option<&BackendProbe>) -> BackendChoice {
    let cores = hw.hardware_concurrency.unwrap_or(1).max(1);
    let threads = if hw.cross_origin_isolated { cores.min(4) } else { 1 };
    let measured = probe.filter(|p| p.device == device_key(hw));
    let (ep, reason) = match pref {
        BackendPreference::Wasm => (Ep::Wasm, Phrase::of("engBackendWasmChosen")),
        BackendPreference::Webgpu if hw.webgpu.available => (Ep::Webgpu, Phrase::of("engBackendWebgpuChosen")),
        BackendPreference::Webgpu => (Ep::Wasm, Phrase::of("engBackendWebgpuMissing")),
        BackendPreference::Auto if hw.webgpu.available => match measured {
            Some(p) => match (p.webgpu_ms, &p.webgpu_error) {
                (Some(g), _) if g * WEBGPU_MARGIN < p.wasm_ms => (
                    Ep::Webgpu,
                    Phrase::new(
                        "engBackendMeasuredWebgpu",
                        vec![format!("{g:.0}").into(), format!("{:.0}", p.wasm_ms).into()],
                    ),
                ),
                (Some(g), _) => (
                    Ep::Wasm,
                    Phrase::new(
                        "engBackendMeasuredWasm",
                        vec![format!("{:.0}", p.wasm_ms).into(), format!("{g:.0}").into()],
                    ),
                ),
                (None, err) => (
                    Ep::Wasm,
                    Phrase::new(
                        "engBackendMeasureFailed",
                        vec![err.as_deref().unwrap_or("no result").into()],
                    ),
                ),
            },
            None if !hw.webgpu.is_fallback => (
                Ep::Webgpu,
                match hw.webgpu.vendor.as_deref() {
                    Some(v) => Phrase::new("engBackendHardwareVendor", vec![v.into()]),
                    None => Phrase::of("engBackendHardware"),
                },
            ),
            None => (Ep::Wasm, Phrase::of("engBackendSoftware")),
        },
        BackendPreference::Auto => (Ep::Wasm, Phrase::of("engBackendNoAdapter")),
    };
    let reason = match (ep, threads) {
        (Ep::Wasm, 1) => Phrase::new("engWasmThread", vec![reason.into()]),
        (Ep::Wasm, n) => Phrase::new("engWasmThreads", vec![reason.into(), n.to_string().into()]),
        _ => reason,
    };
    BackendChoice { ep, threads, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(available: bool, fallback: bool, cores: u32, coi: bool) -> HardwareProfile {
        HardwareProfile {
            webgpu: WebGpuInfo {
                available,
                is_fallback: fallback,
                ..Default::default()
            },
            device_memory_gb: Some(8.0),
            hardware_concurrency: Some(cores),
            cross_origin_isolated: coi,
        }
    }

    #[test]
    fn choice_table() {
        use BackendPreference::*;
        let cases = [
            (hw(false, false, 2, true), Auto, Ep::Wasm, 2),
            (hw(true, true, 2, true), Auto, Ep::Wasm, 2),
            (hw(true, false, 8, true), Auto, Ep::Webgpu, 4),
            (hw(true, false, 8, true), Wasm, Ep::Wasm, 4),
            (hw(true, true, 2, true), Webgpu, Ep::Webgpu, 2),
            (hw(false, false, 2, true), Webgpu, Ep::Wasm, 2),
            (hw(false, false, 16, false), Auto, Ep::Wasm, 1),
        ];
        for (i, (h, pref, ep, threads)) in cases.iter().enumerate() {
            let c = choose_backend(h, *pref, None);
            assert_eq!(c.ep, *ep, "case {i}: {}", c.reason);
            assert_eq!(c.threads, *threads, "case {i}");
            assert!(!c.reason.text.is_empty());
        }
    }

    #[test]
    fn where_a_measurement_is_not_used_the_choice_ignores_it() {
        // The engine skips reading the stored measurement where `uses_probe` is false: the choice must not need it.
        use BackendPreference::*;
        for device in [
            hw(false, false, 8, true),
            hw(true, true, 2, true),
            hw(true, false, 8, true),
        ] {
            for pref in [Auto, Wasm, Webgpu] {
                let probe = BackendProbe {
                    device: device_key(&device),
                    wasm_ms: 40.0,
                    webgpu_ms: Some(10.0),
                    webgpu_error: None,
                };
                let (with, without) = (
                    choose_backend(&device, pref, Some(&probe)),
                    choose_backend(&device, pref, None),
                );
                if uses_probe(&device, pref) {
                    assert!(pref == Auto && device.webgpu.available);
                } else {
                    assert_eq!((with.ep, with.reason.text), (without.ep, without.reason.text));
                }
            }
        }
        assert!(
            uses_probe(&hw(true, true, 2, true), Auto),
            "a software adapter the user measured counts"
        );
    }

    #[test]
    fn a_measurement_decides_and_is_kept_per_device() {
        use BackendPreference::*;
        let gpu = hw(true, false, 8, true);
        assert!(should_probe(&gpu, Auto, None));
        assert!(
            !should_probe(&gpu, Wasm, None),
            "the user's choice is not second-guessed"
        );
        assert!(
            !should_probe(&hw(true, true, 8, true), Auto, None),
            "software adapters are not measured"
        );
        assert!(!should_probe(&hw(false, false, 8, true), Auto, None));
        let probe = |wasm: f64, webgpu: Option<f64>| BackendProbe {
            device: device_key(&gpu),
            wasm_ms: wasm,
            webgpu_ms: webgpu,
            webgpu_error: webgpu.is_none().then(|| "device lost".to_string()),
        };
        let fast_gpu = probe(40.0, Some(10.0));
        assert!(!should_probe(&gpu, Auto, Some(&fast_gpu)), "measured once per device");
        let c = choose_backend(&gpu, Auto, Some(&fast_gpu));
        assert_eq!(c.ep, Ep::Webgpu);
        assert!(c.reason.text.contains("measured"), "{}", c.reason);
        // A near tie or a slower GPU: WASM.
        assert_eq!(choose_backend(&gpu, Auto, Some(&probe(40.0, Some(36.0)))).ep, Ep::Wasm);
        assert_eq!(choose_backend(&gpu, Auto, Some(&probe(40.0, Some(400.0)))).ep, Ep::Wasm);
        let failed = choose_backend(&gpu, Auto, Some(&probe(40.0, None)));
        assert_eq!(failed.ep, Ep::Wasm);
        assert!(failed.reason.text.contains("device lost"), "{}", failed.reason);
        // The user's choice wins over the measurement.
        assert_eq!(choose_backend(&gpu, Wasm, Some(&fast_gpu)).ep, Ep::Wasm);
        // Another device (a new adapter, other cores): measure again; until then the facts decide.
        let other = hw(true, false, 4, true);
        assert!(should_probe(&other, Auto, Some(&fast_gpu)));
        assert!(
            !choose_backend(&other, Auto, Some(&fast_gpu))
                .reason
                .text
                .contains("measured")
        );
    }
}

/// What Scout suggests this device can run, shown with its reason; Scout never downloads on its own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Recommendation {
    /// "T1" (bundled embedder only) or "T2" (a downloaded local LLM).
    pub tier: String,
    /// The catalog model to download for T2, if any.
    pub model: Option<String>,
    pub reason: Phrase,
}

/// Recommend a tier from the hardware facts and the catalog's requirements: the largest verified local LLM this
/// device meets the needs of, and, when a larger unverified one would also suit it, say so. Never downloads.
/// `gpu_in_use`: the engine runs on WebGPU (a graph made for the GPU would otherwise run on WASM, far slower than
/// the CPU graph: SmolLM2's 4-bit graph decodes 3–5 tokens/s there against 21–27 for its int8 one).
pub fn recommend(hw: &HardwareProfile, catalog: &Catalog, gpu_in_use: bool) -> Recommendation {
    let mem = hw.device_memory_gb.unwrap_or(4.0);
    let cores = hw.hardware_concurrency.unwrap_or(1);
    let gpu = hw.webgpu.available && !hw.webgpu.is_fallback;
    let f16 = hw.webgpu.features.iter().any(|f| f == "shader-f16");
    let key = match (gpu, f16) {
        (true, true) => "engDeviceGpuF16",
        (true, false) => "engDeviceGpu",
        (false, _) => "engDeviceCpu",
    };
    let device = Phrase::new(key, vec![cores.to_string().into(), mem.to_string().into()]);
    if mem < 2.0 || cores < 2 {
        return Recommendation {
            tier: "T1".into(),
            model: None,
            reason: Phrase::new("engRecTooSlow", vec![device.into()]),
        };
    }
    let fits = |m: &&ModelEntry| {
        let r = &m.requires;
        (!r.webgpu || (gpu && gpu_in_use)) && (!r.shader_f16 || f16) && r.min_memory_gb.is_none_or(|g| mem >= g)
    };
    let mut llms: Vec<&ModelEntry> = catalog
        .models
        .iter()
        .filter(|m| m.tasks.contains(&Task::Generate))
        .filter(fits)
        .collect();
    // A model's build made for WebGPU only where it has no other: Scout's own decoder runs the int8 build on the GPU too,
    // faster than ONNX Runtime runs the 4-bit graph (H100, SmolLM2-135M: 286-293 against 52-59 tokens/s).
    let other_builds: Vec<(&str, bool)> = llms
        .iter()
        .filter(|o| !o.requires.webgpu)
        .map(|o| (o.repo.as_str(), o.verified))
        .collect();
    llms.retain(|m| !m.requires.webgpu || !other_builds.contains(&(m.repo.as_str(), m.verified)));
    llms.sort_by_key(|m| std::cmp::Reverse(m.total_size()));
    let verified = llms.iter().find(|m| m.verified);
    let Some(best) = verified else {
        return Recommendation {
            tier: "T1".into(),
            model: None,
            reason: Phrase::new("engRecNoneVerified", vec![device.into()]),
        };
    };
    let bigger = llms
        .first()
        .filter(|m| !m.verified && m.total_size() > best.total_size());
    let reason = match bigger {
        Some(bigger) => Phrase::new(
            "engRecRunsWellBigger",
            vec![
                device.into(),
                best.display_name.clone().into(),
                bigger.display_name.clone().into(),
            ],
        ),
        None => Phrase::new("engRecRunsWell", vec![device.into(), best.display_name.clone().into()]),
    };
    Recommendation {
        tier: "T2".into(),
        model: Some(best.id.clone()),
        reason,
    }
}

#[cfg(test)]
mod recommend_tests {
    use super::*;

    #[test]
    fn recommendation_table() {
        let mk = |mem: f64, cores: u32, gpu: bool, fallback: bool, f16: bool| HardwareProfile {
            webgpu: WebGpuInfo {
                available: gpu,
                is_fallback: fallback,
                features: if f16 { vec!["shader-f16".into()] } else { vec![] },
                ..Default::default()
            },
            device_memory_gb: Some(mem),
            hardware_concurrency: Some(cores),
            cross_origin_isolated: true,
        };
        let cases = [
            (mk(1.0, 8, true, false, true), "T1"),
            (mk(8.0, 1, false, false, false), "T1"),
            (mk(8.0, 2, false, false, false), "T2"),
            (mk(8.0, 8, true, true, false), "T2"),
            (mk(16.0, 8, true, false, true), "T2"),
        ];
        for (hw, tier) in cases {
            let r = recommend(&hw, &Catalog::builtin(), true);
            assert_eq!(r.tier, tier, "{}", r.reason);
            assert_eq!(r.model.is_some(), tier == "T2");
            assert!(!r.reason.text.is_empty());
        }
        assert!(
            recommend(&mk(8.0, 8, false, false, false), &Catalog::builtin(), false)
                .reason
                .text
                .contains("no hardware GPU")
        );
        // A GPU with fp16 shaders and 8 GB: SmolLM2's int8 build is the verified pick (Scout's decoder runs it on the
        // GPU; its 4-bit graph made for WebGPU is not); Llama 3.2 1B is named as suitable. Without a GPU, the same.
        let r = recommend(&mk(8.0, 8, true, false, true), &Catalog::builtin(), true);
        assert_eq!(r.model.as_deref(), Some("smollm2-135m-instruct-int8"));
        assert!(r.reason.text.contains("Llama 3.2 1B"), "{}", r.reason);
        let r = recommend(&mk(8.0, 8, false, false, false), &Catalog::builtin(), false);
        assert_eq!(r.model.as_deref(), Some("smollm2-135m-instruct-int8"));
        // A GPU the engine does not run on (WASM measured faster, or chosen): the CPU graph.
        let r = recommend(&mk(8.0, 8, true, false, true), &Catalog::builtin(), false);
        assert_eq!(r.model.as_deref(), Some("smollm2-135m-instruct-int8"));
        // Without shader-f16 the q4f16 models are not suggested.
        let r = recommend(&mk(8.0, 8, true, false, false), &Catalog::builtin(), true);
        assert!(
            !r.reason.text.contains("Qwen") && !r.reason.text.contains("Llama"),
            "{}",
            r.reason
        );
        // 4 GB with f16: Qwen fits, Llama (8 GB) does not.
        let r = recommend(&mk(4.0, 4, true, false, true), &Catalog::builtin(), true);
        assert!(r.reason.text.contains("Qwen2.5 0.5B"), "{}", r.reason);
    }
}
