//! Hardware facts reported by the browser, and the choice of execution provider made from them.
//!
//! The offscreen page only collects facts (`navigator.gpu`, memory, cores); the decision is made here so it is
//! tested natively and explained to the user.

use serde::{Deserialize, Serialize};

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
    pub reason: String,
}

/// Pick the execution provider. WebGPU only when the user forces it or a real (non-fallback) adapter exists;
/// software adapters are 90–450× slower than WASM for small encoders.
pub fn choose_backend(hw: &HardwareProfile, pref: BackendPreference) -> BackendChoice {
    let cores = hw.hardware_concurrency.unwrap_or(1).max(1);
    let threads = if hw.cross_origin_isolated { cores.min(4) } else { 1 };
    let (ep, reason) = match pref {
        BackendPreference::Wasm => (Ep::Wasm, "WASM chosen in the options".to_string()),
        BackendPreference::Webgpu if hw.webgpu.available => (Ep::Webgpu, "WebGPU chosen in the options".to_string()),
        BackendPreference::Webgpu => (
            Ep::Wasm,
            "WebGPU chosen in the options, but this browser exposes no WebGPU adapter: using WASM".to_string(),
        ),
        BackendPreference::Auto if hw.webgpu.available && !hw.webgpu.is_fallback => (
            Ep::Webgpu,
            format!(
                "hardware WebGPU adapter{}",
                hw.webgpu
                    .vendor
                    .as_deref()
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default()
            ),
        ),
        BackendPreference::Auto if hw.webgpu.available => {
            (Ep::Wasm, "only a software WebGPU adapter: WASM is faster".to_string())
        }
        BackendPreference::Auto => (Ep::Wasm, "no WebGPU adapter".to_string()),
    };
    let reason = if ep == Ep::Wasm {
        format!("{reason}; {threads} WASM thread{}", if threads == 1 { "" } else { "s" })
    } else {
        reason
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
            let c = choose_backend(h, *pref);
            assert_eq!(c.ep, *ep, "case {i}: {}", c.reason);
            assert_eq!(c.threads, *threads, "case {i}");
            assert!(!c.reason.is_empty());
        }
    }
}
