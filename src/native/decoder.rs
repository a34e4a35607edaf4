//! The decoder on native ONNX Runtime: the past key/values stay ONNX values between calls (the outputs of one run
//! are the inputs of the next, no copy); only a shortened prefix is copied.

use std::path::Path;

use ort::session::Session;
use ort::value::{DynValue, Tensor};

use super::{backend_err, load_session};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{ChatTemplate, Date, DecoderBackend, DecoderConfig, Generator};

pub struct NativeDecoder {
    session: Session,
    config: DecoderConfig,
    /// `present.{i}.key`, `present.{i}.value` of the last run, layer by layer; empty before the first.
    past: Vec<DynValue>,
    cached: usize,
}

impl NativeDecoder {
    pub fn load(dylib: &Path, model: &Path, config: DecoderConfig, threads: usize) -> Result<Self, ScoutError> {
        Ok(NativeDecoder {
            session: load_session(dylib, model, threads)?,
            config,
            past: Vec::new(),
            cached: 0,
        })
    }

    fn empty_past(&self) -> Result<Vec<DynValue>, ScoutError> {
        let shape = [1, self.config.kv_heads, 0, self.config.head_dim];
        (0..self.config.layers * 2)
            .map(|_| {
                Ok(Tensor::<f32>::from_array((shape, Vec::<f32>::new()))
                    .map_err(backend_err)?
                    .into_dyn())
            })
            .collect()
    }
}

impl DecoderBackend for NativeDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let n = tokens.len();
        let past_len = self.cached;
        let ids: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
        let positions: Vec<i64> = (past_len..past_len + n).map(|p| p as i64).collect();
        let mask = vec![1i64; past_len + n];
        let past = if self.past.is_empty() {
            self.empty_past()?
        } else {
            std::mem::take(&mut self.past)
        };
        let mut inputs: Vec<(std::borrow::Cow<'_, str>, ort::session::SessionInputValue<'_>)> = vec![
            (
                "input_ids".into(),
                Tensor::from_array(([1, n], ids)).map_err(backend_err)?.into(),
            ),
            (
                "attention_mask".into(),
                Tensor::from_array(([1, past_len + n], mask))
                    .map_err(backend_err)?
                    .into(),
            ),
            (
                "position_ids".into(),
                Tensor::from_array(([1, n], positions)).map_err(backend_err)?.into(),
            ),
        ];
        for (i, v) in past.into_iter().enumerate() {
            let [key, value] = DecoderConfig::past_names(i / 2);
            inputs.push((if i % 2 == 0 { key } else { value }.into(), v.into()));
        }
        let mut out = self.session.run(inputs).map_err(backend_err)?;
        let logits = {
            let (shape, data) = out["logits"].try_extract_tensor::<f32>().map_err(backend_err)?;
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
        Ok(logits)
    }

    fn cached(&self) -> usize {
        self.cached
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        if len >= self.cached {
            return Ok(());
        }
        if len == 0 {
            self.past.clear();
            self.cached = 0;
            return Ok(());
        }
        // [1, kv_heads, cached, head_dim] → [1, kv_heads, len, head_dim], head by head.
        let (heads, dim, cached) = (self.config.kv_heads, self.config.head_dim, self.cached);
        for v in &mut self.past {
            let (_, data) = v.try_extract_tensor::<f32>().map_err(backend_err)?;
            let mut kept = Vec::with_capacity(heads * len * dim);
            for h in 0..heads {
                let start = h * cached * dim;
                kept.extend_from_slice(&data[start..start + len * dim]);
            }
            *v = Tensor::from_array(([1, heads, len, dim], kept))
                .map_err(backend_err)?
                .into_dyn();
        }
        self.cached = len;
        Ok(())
    }

    fn ep(&self) -> String {
        "native-cpu".into()
    }
}

/// A generator for a model folder in the hub layout (`config.json`, `generation_config.json`, `tokenizer.json`,
/// `tokenizer_config.json`, and the ONNX file `model`, relative to it).
pub fn native_generator(
    dylib: &Path,
    dir: &Path,
    model: &str,
    threads: usize,
    today: Date,
) -> Result<Generator<NativeDecoder>, ScoutError> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("{}: {e}", dir.join(name).display()),
            )
        })
    };
    let config = DecoderConfig::from_json(&read("config.json")?, read("generation_config.json").ok().as_deref())?;
    let template = ChatTemplate::from_tokenizer_config(&read("tokenizer_config.json")?, today)?;
    let tokenizer = read("tokenizer.json")?;
    let backend = NativeDecoder::load(dylib, &dir.join(model), config.clone(), threads)?;
    Generator::new(config, tokenizer.as_bytes(), template, backend)
}
