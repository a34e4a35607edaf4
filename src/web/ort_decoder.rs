//! The decoder on onnxruntime-web through ort-web. Session outputs stay in the runtime unless synchronized: only
//! the logits are copied into Rust each step; the presents go back in as the next step's pasts as they are (no
//! copy through wasm memory). A shortened prefix is the only time the cache is read.

use ort::session::{RunOptions, Session};
use ort::value::DynValue;
use ort_web::{SyncDirection, ValueExt};

use super::ort_backend::session_with_config;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{DecoderBackend, DecoderConfig};
use crate::core::hardware::Ep;
use crate::decoder_io;

fn failed(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("ONNX Runtime: {e}"))
}

pub struct OrtDecoder {
    session: Session,
    run_options: RunOptions,
    config: DecoderConfig,
    /// `present.{i}.key`, `present.{i}.value` of the last run, layer by layer; empty before the first.
    past: Vec<DynValue>,
    cached: usize,
    ep: Ep,
}

impl OrtDecoder {
    pub async fn create(
        env: &ort::environment::Environment,
        model_url: &str,
        ep: Ep,
        config: DecoderConfig,
    ) -> Result<Self, ScoutError> {
        Ok(OrtDecoder {
            session: session_with_config(env, model_url, ep, &crate::core::generate::DECODER_SESSION_CONFIG).await?,
            run_options: RunOptions::new().map_err(failed)?,
            config,
            past: Vec::new(),
            cached: 0,
            ep,
        })
    }
}

impl DecoderBackend for OrtDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let past_len = self.cached;
        let past = if self.past.is_empty() {
            decoder_io::empty_past(&self.config)?
        } else {
            std::mem::take(&mut self.past)
        };
        // The cache is consumed by this run: rebuilt from its outputs, or empty if it fails.
        self.cached = 0;
        let feeds = decoder_io::inputs(tokens, past_len, past)?;
        let mut out = self.session.run_async(feeds, &self.run_options).await.map_err(failed)?;
        let mut logits = out
            .remove("logits")
            .ok_or_else(|| failed("the model has no output logits"))?;
        logits.sync(SyncDirection::Rust).await.map_err(failed)?;
        let last = decoder_io::last_logits(&logits)?;
        self.past = decoder_io::take_presents(&self.config, &mut out)?;
        self.cached = past_len + tokens.len();
        Ok(last)
    }

    fn cached(&self) -> usize {
        self.cached
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        if len >= self.cached {
            return Ok(());
        }
        // Slicing would first need the cache read back from the runtime (an await); dropping it is allowed by the
        // trait, and the generator re-feeds the prompt. Prompts that extend the cached one (chat turns) never
        // get here.
        self.past.clear();
        self.cached = 0;
        Ok(())
    }

    fn ep(&self) -> String {
        self.ep.as_str().to_string()
    }

    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
