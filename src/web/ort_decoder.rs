//! The decoder on onnxruntime-web through ort-web. Session outputs stay in the runtime unless synchronized: only
//! the logits are copied into Rust each step; the presents go back in as the next step's pasts as they are (no
//! copy through wasm memory). A shortened prefix is the only time the cache is read.

use ort::session::{RunOptions, Session, SessionInputValue};
use ort::value::{DynValue, Tensor};
use ort_web::{SyncDirection, ValueExt};

use super::ort_backend::session_from_url;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{DecoderBackend, DecoderConfig};
use crate::core::hardware::Ep;

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
            session: session_from_url(env, model_url, ep).await?,
            run_options: RunOptions::new().map_err(failed)?,
            config,
            past: Vec::new(),
            cached: 0,
            ep,
        })
    }

    fn empty_past(&self) -> Result<Vec<DynValue>, ScoutError> {
        let shape = [1, self.config.kv_heads, 0, self.config.head_dim];
        (0..self.config.layers * 2)
            .map(|_| {
                Ok(Tensor::<f32>::from_array((shape, Vec::<f32>::new()))
                    .map_err(failed)?
                    .into_dyn())
            })
            .collect()
    }
}

impl DecoderBackend for OrtDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let n = tokens.len();
        let past_len = self.cached;
        let ids: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
        let positions: Vec<i64> = (past_len..past_len + n).map(|p| p as i64).collect();
        let past = if self.past.is_empty() {
            self.empty_past()?
        } else {
            std::mem::take(&mut self.past)
        };
        // The cache is consumed by this run: whatever happens, it is rebuilt from the outputs or cleared.
        self.cached = 0;
        let mut inputs: Vec<(std::borrow::Cow<'_, str>, SessionInputValue<'_>)> = vec![
            (
                "input_ids".into(),
                Tensor::from_array(([1, n], ids)).map_err(failed)?.into(),
            ),
            (
                "attention_mask".into(),
                Tensor::from_array(([1, past_len + n], vec![1i64; past_len + n]))
                    .map_err(failed)?
                    .into(),
            ),
            (
                "position_ids".into(),
                Tensor::from_array(([1, n], positions)).map_err(failed)?.into(),
            ),
        ];
        for (i, v) in past.into_iter().enumerate() {
            let [key, value] = DecoderConfig::past_names(i / 2);
            inputs.push((if i % 2 == 0 { key } else { value }.into(), v.into()));
        }
        let mut out = self
            .session
            .run_async(inputs, &self.run_options)
            .await
            .map_err(failed)?;
        let mut logits = out
            .remove("logits")
            .ok_or_else(|| failed("the model has no output logits"))?;
        logits.sync(SyncDirection::Rust).await.map_err(failed)?;
        let last = {
            let (shape, data) = logits.try_extract_tensor::<f32>().map_err(failed)?;
            let vocab = *shape.last().unwrap_or(&0) as usize;
            data[data.len().saturating_sub(vocab)..].to_vec()
        };
        let mut presents = Vec::with_capacity(self.config.layers * 2);
        for i in 0..self.config.layers {
            for name in DecoderConfig::present_names(i) {
                presents.push(out.remove(&name).ok_or_else(|| {
                    ScoutError::new(ErrorCode::ModelUnavailable, format!("the model has no output {name}"))
                })?);
            }
        }
        self.past = presents;
        self.cached = past_len + n;
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
