//! Scout's decoder on WebGPU (`gpu_decoder.js`, WGSL kernels of its own): the [`DecoderBackend`] of a WebGPU
//! engine for every graph `scout-llm` can read. The weights are read here from the model's ONNX export
//! ([`PlainModel`]: the same int8 values and scales as the CPU decoder's) and copied to the GPU once; the runner keeps
//! the key/value cache there and returns the last position's logits.

use js_sys::{Float32Array, Uint32Array};
use wasm_bindgen::prelude::*;

use super::gpu::{GpuRunner, f32_bytes, upload_linear};
use super::js::js_err;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{DecoderBackend, DecoderConfig};
use crate::core::hardware::Ep;
use scout_llm::LlmConfig;
use scout_llm::plain::PlainModel;

#[wasm_bindgen(module = "/src/web/gpu_decoder.js")]
extern "C" {
    #[wasm_bindgen(extends = GpuRunner)]
    type GpuDecoderRunner;

    #[wasm_bindgen(catch, js_name = createGpuDecoder)]
    async fn create_gpu_decoder(dims: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn forward(this: &GpuDecoderRunner, ids: &Uint32Array, start: u32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn ready(this: &GpuDecoderRunner) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn stats(this: &GpuDecoderRunner) -> Vec<f64>;
}

/// The runner's shapes (`Dims` in gpu_decoder.js).
#[derive(serde::Serialize)]
struct Dims {
    layers: usize,
    hidden: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    inner: usize,
    vocab: usize,
    eps: f32,
    max_positions: usize,
    inv_freq: Vec<f64>,
}

pub struct GpuDecoder {
    runner: GpuDecoderRunner,
    cached: usize,
    /// The adapter, for the reply's label.
    pub adapter: String,
}

fn failed(e: JsValue) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("WebGPU decoder: {}", js_err(&e)))
}

impl GpuDecoder {
    /// Read `model` (the ONNX export's bytes) and copy its weights to a new WebGPU device. An error when the browser
    /// has no WebGPU adapter, the graph is not one `scout-llm` reads, or the GPU refuses the buffers.
    pub async fn load(model: &[u8], settings: LlmConfig, config: &DecoderConfig) -> Result<Self, ScoutError> {
        let plain =
            PlainModel::from_onnx(model, settings).map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        let dims = Dims {
            layers: plain.layers.len(),
            hidden: plain.hidden,
            heads: plain.config.heads,
            kv_heads: plain.config.kv_heads,
            head_dim: plain.config.head_dim,
            inner: plain.inner,
            vocab: plain.vocab,
            eps: plain.config.eps,
            max_positions: config.max_positions,
            inv_freq: plain.config.inv_freq(),
        };
        let dims = serde_wasm_bindgen::to_value(&dims).map_err(|e| failed(e.into()))?;
        let runner: GpuDecoderRunner = create_gpu_decoder(dims).await.map_err(failed)?.unchecked_into();
        for (l, layer) in plain.layers.iter().enumerate() {
            runner.upload(&format!("{l}.attn_norm"), &f32_bytes(&layer.attn_norm));
            runner.upload(&format!("{l}.mlp_norm"), &f32_bytes(&layer.mlp_norm));
            upload_linear(&runner, &format!("{l}.qkv"), &layer.qkv);
            upload_linear(&runner, &format!("{l}.o"), &layer.o);
            upload_linear(&runner, &format!("{l}.gate_up"), &layer.gate_up);
            upload_linear(&runner, &format!("{l}.down"), &layer.down);
        }
        runner.upload("final_norm", &f32_bytes(&plain.final_norm));
        upload_linear(&runner, "head", &plain.head);
        upload_linear(&runner, "lookup", plain.lookup());
        if let Err(e) = runner.ready().await {
            runner.destroy();
            return Err(failed(e));
        }
        let adapter = runner.describe();
        Ok(GpuDecoder {
            runner,
            cached: 0,
            adapter,
        })
    }

    /// Time from a call's first submit to its logits (ms) and calls.
    pub fn runtime_stats(&self) -> Option<(f64, u32)> {
        let s = self.runner.stats();
        Some((*s.first()?, *s.get(1)? as u32))
    }
}

impl Drop for GpuDecoder {
    fn drop(&mut self) {
        self.runner.destroy();
    }
}

impl DecoderBackend for GpuDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let start = self.cached;
        // A failed call leaves the cache unknown: the generator feeds the prompt again.
        self.cached = 0;
        let logits = self
            .runner
            .forward(&Uint32Array::from(tokens), start as u32)
            .await
            .map_err(failed)?;
        self.cached = start + tokens.len();
        Ok(Float32Array::from(logits).to_vec())
    }

    fn cached(&self) -> usize {
        self.cached
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        // Positions past `len` are written again before attention reads them.
        self.cached = self.cached.min(len);
        Ok(())
    }

    fn ep(&self) -> String {
        Ep::Webgpu.as_str().to_string()
    }

    // No `yield_now`: every call awaits the GPU's read-back, which lets the document's other events in.
}
