//! Scout's encoder on WebGPU (`gpu_encoder.js`, WGSL kernels of its own) for the bundled embedder on a WebGPU
//! engine. The weights are the CPU encoder's file, read here ([`PlainBert`]: the same int8 values and scales) and
//! copied to the GPU once; a batch's sentences go to the GPU as one run of unpadded tokens and their last hidden
//! states come back.

use js_sys::{Float32Array, Uint32Array};
use wasm_bindgen::prelude::*;

use super::gpu::{GpuRunner, f32_bytes, i8_bytes, upload_linear};
use super::js::js_err;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::hardware::Ep;
use scout_bert::plain::{PlainBert, check_sequence};

#[wasm_bindgen(module = "/src/web/gpu_encoder.js")]
extern "C" {
    #[wasm_bindgen(extends = GpuRunner)]
    type GpuEncoderRunner;

    #[wasm_bindgen(catch, js_name = createGpuEncoder)]
    async fn create_gpu_encoder(dims: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn ready(this: &GpuEncoderRunner) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn run(this: &GpuEncoderRunner, rows: &Uint32Array) -> Result<JsValue, JsValue>;
}

/// The runner's shapes (`Dims` in gpu_encoder.js).
#[derive(serde::Serialize)]
struct Dims {
    layers: usize,
    hidden: usize,
    heads: usize,
    intermediate: usize,
    eps: f32,
}

/// Tokens per GPU run at most: its activations (the feed-forward's `[tokens, 1536]` the largest, 50 MB here) stay
/// under the 128 MB a storage binding may hold on every adapter.
const MAX_RUN_TOKENS: usize = 8192;

pub struct GpuEncoder {
    runner: GpuEncoderRunner,
    config: scout_bert::BertConfig,
    /// A run failed (the device lost, a buffer refused): the engine moves the embedder to the CPU.
    failed: bool,
    /// The adapter, for the status.
    pub adapter: String,
}

fn failed(e: JsValue) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("WebGPU encoder: {}", js_err(&e)))
}

impl GpuEncoder {
    /// Read the weights file and copy it to a new WebGPU device. An error when the browser has no WebGPU adapter,
    /// the file is not valid, or the GPU refuses the buffers or kernels.
    pub async fn load(weights: &[u8]) -> Result<Self, ScoutError> {
        let plain = PlainBert::from_bytes(weights).map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        let c = &plain.config;
        let dims = Dims {
            layers: c.layers,
            hidden: c.hidden,
            heads: c.heads,
            intermediate: c.intermediate,
            eps: c.eps,
        };
        let dims = serde_wasm_bindgen::to_value(&dims).map_err(|e| failed(e.into()))?;
        let runner: GpuEncoderRunner = create_gpu_encoder(dims).await.map_err(failed)?.unchecked_into();
        let up = |name: &str, bytes: &[u8]| runner.upload(name, bytes);
        let e = &plain.embeddings;
        up("word", i8_bytes(&e.word));
        up("word_scale", &f32_bytes(&e.word_scale));
        up("pos", i8_bytes(&e.pos));
        up("pos_scale", &f32_bytes(&e.pos_scale));
        up("type0", &f32_bytes(&e.type0));
        up("emb_ln.w", &f32_bytes(&e.ln.0));
        up("emb_ln.b", &f32_bytes(&e.ln.1));
        for (l, layer) in plain.layers.iter().enumerate() {
            upload_linear(&runner, &format!("{l}.qkv"), &layer.qkv);
            upload_linear(&runner, &format!("{l}.o"), &layer.o);
            upload_linear(&runner, &format!("{l}.ffn_in"), &layer.ffn_in);
            upload_linear(&runner, &format!("{l}.ffn_out"), &layer.ffn_out);
            for (which, (w, b)) in [("ln1", &layer.ln1), ("ln2", &layer.ln2)] {
                up(&format!("{l}.{which}.w"), &f32_bytes(w));
                up(&format!("{l}.{which}.b"), &f32_bytes(b));
            }
        }
        if let Err(e) = runner.ready().await {
            runner.destroy();
            return Err(failed(e));
        }
        let adapter = runner.describe();
        Ok(GpuEncoder {
            runner,
            config: plain.config,
            failed: false,
            adapter,
        })
    }

    pub fn hidden(&self) -> usize {
        self.config.hidden
    }

    /// The last hidden state of each sequence's tokens, one sequence after another (`[Σ len, hidden]`), in runs of
    /// at most [`MAX_RUN_TOKENS`] tokens.
    pub async fn hidden_states(&mut self, seqs: &[&[u32]]) -> Result<Vec<f32>, ScoutError> {
        let mut out = Vec::with_capacity(seqs.iter().map(|s| s.len()).sum::<usize>() * self.config.hidden);
        let mut start = 0;
        while start < seqs.len() {
            let mut end = start + 1;
            let mut tokens = seqs[start].len();
            while end < seqs.len() && tokens + seqs[end].len() <= MAX_RUN_TOKENS {
                tokens += seqs[end].len();
                end += 1;
            }
            out.extend(self.run(&seqs[start..end]).await?);
            start = end;
        }
        Ok(out)
    }

    /// One run of the GPU over `seqs`.
    async fn run(&mut self, seqs: &[&[u32]]) -> Result<Vec<f32>, ScoutError> {
        let mut rows = Vec::with_capacity(4 * seqs.iter().map(|s| s.len()).sum::<usize>());
        let mut first = 0u32;
        for seq in seqs {
            check_sequence(&self.config, seq).map_err(|e| ScoutError::new(ErrorCode::BackendFailed, e.0))?;
            let len = seq.len() as u32;
            for (p, &id) in seq.iter().enumerate() {
                rows.extend([id, p as u32, first, len]);
            }
            first += len;
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .runner
            .run(&Uint32Array::from(rows.as_slice()))
            .await
            .map_err(|e| {
                self.failed = true;
                failed(e)
            })?;
        Ok(Float32Array::from(out).to_vec())
    }

    /// Whether a run failed: the GPU cannot be trusted for the next one.
    pub fn failed(&self) -> bool {
        self.failed
    }

    pub fn ep(&self) -> String {
        Ep::Webgpu.as_str().to_string()
    }
}

impl Drop for GpuEncoder {
    fn drop(&mut self) {
        self.runner.destroy();
    }
}
