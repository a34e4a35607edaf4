//! T2 on Scout's own int8 decoder (crate `scout-llm`): the [`DecoderBackend`] of the browser's WASM path and of the
//! native evaluations, so both compute the same tokens. It reads the weights of the model's ONNX export itself.

use serde_json::Value;

use scout_llm::{Decoder, LlmConfig, Rope};

use super::{DecoderBackend, DecoderConfig};
use crate::core::error::{ErrorCode, ScoutError};

pub struct KernelDecoder {
    decoder: Decoder,
    /// Reported as the execution provider: "wasm-int8" in the browser, "native-int8" natively.
    ep: String,
}

/// The decoder's settings from the model's config, or why this decoder cannot run the model (another RoPE scaling:
/// the caller falls back to ONNX Runtime).
pub fn llm_config(config: &DecoderConfig) -> Result<LlmConfig, ScoutError> {
    let s = &config.rope_scaling;
    let kind = s["rope_type"].as_str().or(s["type"].as_str());
    let num = |k: &str| s[k].as_f64();
    let rope = match (s, kind) {
        (Value::Null, _) | (_, Some("default")) => Rope::Plain,
        (_, Some("linear")) => Rope::Linear(num("factor").unwrap_or(1.0)),
        (_, Some("llama3")) => Rope::Llama3 {
            factor: num("factor").unwrap_or(8.0),
            low: num("low_freq_factor").unwrap_or(1.0),
            high: num("high_freq_factor").unwrap_or(4.0),
            original: num("original_max_position_embeddings").unwrap_or(8192.0),
        },
        (_, other) => {
            return Err(ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!(
                    "RoPE scaling {} is not supported by Scout's decoder",
                    other.unwrap_or("(unnamed)")
                ),
            ));
        }
    };
    Ok(LlmConfig {
        layers: config.layers,
        heads: config.heads,
        kv_heads: config.kv_heads,
        head_dim: config.head_dim,
        rope_theta: config.rope_theta,
        rope,
        eps: config.rms_eps,
    })
}

impl KernelDecoder {
    /// The decoder from the model's ONNX file (int8 or float; external weights files are not read).
    pub fn from_onnx(model: &[u8], config: &DecoderConfig, ep: &str) -> Result<Self, ScoutError> {
        let decoder = Decoder::from_onnx(model, llm_config(config)?)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        if decoder.vocab() < config.vocab {
            return Err(ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!(
                    "the graph's vocabulary ({}) is smaller than config.json's ({})",
                    decoder.vocab(),
                    config.vocab
                ),
            ));
        }
        Ok(KernelDecoder {
            decoder,
            ep: ep.to_string(),
        })
    }

    pub fn weight_bytes(&self) -> usize {
        self.decoder.weight_bytes()
    }
}

impl DecoderBackend for KernelDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        self.decoder
            .forward(tokens)
            .map_err(|e| ScoutError::new(ErrorCode::BackendFailed, e.0))
    }

    fn cached(&self) -> usize {
        self.decoder.cached()
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        self.decoder.truncate(len);
        Ok(())
    }

    fn ep(&self) -> String {
        self.ep.clone()
    }
}
