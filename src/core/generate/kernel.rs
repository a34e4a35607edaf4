//! T2 on Scout's own int8 decoder (crate `scout-llm`): the [`DecoderBackend`] of the browser's WASM path and of the
//! native evaluations, so both compute the same tokens. It reads the weights of the model's ONNX export itself.
//!
//! The decoder's layers are in two shards (half the heads, half the feed-forward columns each). This thread runs
//! shard 0; shard 1 runs here too, or on a [`ShardHelper`] (the browser's worker) that computes it meanwhile: each
//! layer's input is posted to the helper, shard 0 computed here, then the helper's partial sum awaited and added
//! after this thread's. The sums are added in the same order either way, so the helper changes no bit.

use serde_json::Value;

use scout_llm::plain::{PlainCache, PlainModel};
use scout_llm::{Decoder, LlmConfig, Rope};

use super::{DecoderBackend, DecoderConfig};
use crate::core::error::{ErrorCode, ScoutError};

pub struct KernelDecoder<H = NoHelper> {
    decoder: Decoder,
    /// The second thread running shard 1, from the first call on (its cache grows with shard 0's).
    helper: Option<H>,
    /// Reported as the execution provider: "wasm" in the browser, "native-int8" natively.
    ep: String,
}

/// A layer's half that shard 1 computes.
pub enum ShardJob<'a> {
    Attention {
        layer: usize,
        input: &'a [f32],
        past: usize,
    },
    Mlp {
        layer: usize,
        input: &'a [f32],
    },
    Truncate(usize),
}

/// A second thread that runs shard 1: jobs are posted at once (and answered in order) and awaited later.
#[allow(async_fn_in_trait)]
pub trait ShardHelper {
    type Pending;
    fn post(&self, job: ShardJob<'_>) -> Self::Pending;
    /// The job's partial sum (empty for a truncation).
    async fn wait(&self, pending: Self::Pending) -> Result<Vec<f32>, ScoutError>;
}

/// No second thread.
pub enum NoHelper {}

impl ShardHelper for NoHelper {
    type Pending = ();
    fn post(&self, _: ShardJob<'_>) {
        match *self {}
    }
    async fn wait(&self, _: ()) -> Result<Vec<f32>, ScoutError> {
        match *self {}
    }
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

impl<H: ShardHelper> KernelDecoder<H> {
    /// The decoder from the model's ONNX file (int8 or float; external weights files are not read), with shard 1
    /// on `helper` if there is one (it must have loaded the same file, with an empty cache).
    pub fn from_onnx(model: &[u8], config: &DecoderConfig, ep: &str, helper: Option<H>) -> Result<Self, ScoutError> {
        let mut d = Self::without_shard_1(model, config, ep)?;
        match helper {
            Some(h) => d.set_helper(h),
            None => d.load_shard_1(model)?,
        }
        Ok(d)
    }

    /// The decoder with shard 1 left to a helper still starting: then [`Self::set_helper`], or, if it does not
    /// come, [`Self::load_shard_1`] (saves this thread the time and memory of shard 1 while the helper reads it).
    pub fn without_shard_1(model: &[u8], config: &DecoderConfig, ep: &str) -> Result<Self, ScoutError> {
        let decoder = Decoder::from_onnx_shards(model, llm_config(config)?, 1)
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
            helper: None,
            ep: ep.to_string(),
        })
    }

    /// Run shard 1 on `helper` from now on: only before the first call (the helper's cache starts empty).
    pub fn set_helper(&mut self, helper: H) {
        if self.decoder.cached() == 0 {
            self.helper = Some(helper);
        }
    }

    /// Run shard 1 on this thread (its weights from the model file).
    pub fn load_shard_1(&mut self, model: &[u8]) -> Result<(), ScoutError> {
        self.decoder
            .load_shard(model)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        self.decoder.truncate(0);
        Ok(())
    }

    /// Whether it can run: shard 1 on a helper or here. False after its helper stopped: the model must be loaded
    /// again.
    pub fn usable(&self) -> bool {
        self.helper.is_some() || self.decoder.complete()
    }

    /// Whether a second thread runs shard 1.
    pub fn threads(&self) -> usize {
        1 + usize::from(self.helper.is_some())
    }

    /// One call with shard 1 on the helper.
    async fn forward_with(decoder: &mut Decoder, helper: &H, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let past = decoder.cached();
        let mut x = decoder.embed(tokens).map_err(failed)?;
        for layer in 0..decoder.layers() {
            let input = decoder.attn_input(layer, &x);
            let theirs = helper.post(ShardJob::Attention {
                layer,
                input: &input,
                past,
            });
            let mine = decoder.shard_mut(0).attention(layer, &input, past).map_err(failed)?;
            let theirs = helper.wait(theirs).await?;
            scout_llm::add(&mut x, &mine);
            scout_llm::add(&mut x, &theirs);
            let input = decoder.mlp_input(layer, &x);
            let theirs = helper.post(ShardJob::Mlp { layer, input: &input });
            let mine = decoder.shard_mut(0).mlp(layer, &input).map_err(failed)?;
            let theirs = helper.wait(theirs).await?;
            scout_llm::add(&mut x, &mine);
            scout_llm::add(&mut x, &theirs);
        }
        Ok(decoder.logits(&x))
    }

    pub fn weight_bytes(&self) -> usize {
        self.decoder.weight_bytes()
    }
}

fn failed(e: scout_llm::LlmError) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, e.0)
}

impl<H: ShardHelper> DecoderBackend for KernelDecoder<H> {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let Some(helper) = &self.helper else {
            return self.decoder.forward(tokens).map_err(failed);
        };
        match Self::forward_with(&mut self.decoder, helper, tokens).await {
            Ok(logits) => Ok(logits),
            Err(e) => {
                // The helper held shard 1 and its cache: the model must be loaded again ([`Self::usable`]).
                self.helper = None;
                self.decoder.truncate(0);
                Err(ScoutError::new(
                    ErrorCode::BackendFailed,
                    format!("the decoder's second thread stopped ({}); ask again", e.message),
                ))
            }
        }
    }

    fn cached(&self) -> usize {
        self.decoder.cached()
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        self.decoder.truncate(len);
        if let Some(h) = &self.helper {
            // Answered in order, before the next call's jobs.
            let _ = h.post(ShardJob::Truncate(len));
        }
        Ok(())
    }

    fn ep(&self) -> String {
        self.ep.clone()
    }
}

/// The WebGPU decoder's arithmetic on the CPU (`scout_llm::plain`: int8 weights, float activations): its native
/// reference, for the CLI's `--decoder gpu` and the tests that compare the browser's GPU tokens with it.
pub struct PlainDecoder {
    model: PlainModel,
    cache: PlainCache,
}

impl PlainDecoder {
    pub fn from_onnx(model: &[u8], config: &DecoderConfig) -> Result<Self, ScoutError> {
        let model = PlainModel::from_onnx(model, llm_config(config)?)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        Ok(PlainDecoder {
            model,
            cache: PlainCache::default(),
        })
    }

    fn width(&self) -> usize {
        self.model.config.kv_heads * self.model.config.head_dim
    }
}

impl DecoderBackend for PlainDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        self.model.forward(&mut self.cache, tokens).map_err(failed)
    }

    fn cached(&self) -> usize {
        self.cache.len(self.width())
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        let width = self.width();
        self.cache.truncate(len, width);
        Ok(())
    }

    fn ep(&self) -> String {
        "native-gpu-reference".into()
    }
}
