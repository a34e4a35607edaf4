//! The decoder on onnxruntime-web. Three runners:
//! - the key/value bridge (`kv_bridge.js`, WASM EP on the CPU bundle): the cache stays in the runtime's heap between
//!   runs and only the last position's logits are copied out;
//! - the GPU runner (`gpu_kv.js`, WebGPU EP): the cache stays in GPU buffers between runs, only the logits are read
//!   back;
//! - ort-web's session otherwise (WASM EP on the WebGPU bundle, whose module is not captured): the presents go back
//!   in as pasts as the runtime returned them, which onnxruntime-web copies out of and back into its heap at every
//!   run.

use js_sys::BigInt64Array;
use ort::session::{RunOptions, Session};
use ort::value::DynValue;
use ort_web::{SyncDirection, ValueExt};
use wasm_bindgen::prelude::*;

use super::js::js_err;
use super::ort_backend::{loaded_bundle, session_with_config};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{DECODER_SESSION_CONFIG, DecoderBackend, DecoderConfig};
use crate::core::hardware::Ep;
use crate::decoder_io;

fn failed(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("ONNX Runtime: {e}"))
}

#[wasm_bindgen(module = "/src/web/kv_bridge.js")]
extern "C" {
    type KvSession;

    #[wasm_bindgen(catch, js_name = createKvSession)]
    async fn create_kv_session(
        model: &js_sys::Uint8Array,
        options: JsValue,
        layers: u32,
        kv_heads: u32,
        head_dim: u32,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn run(this: &KvSession, ids: &BigInt64Array, past_len: u32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, js_name = drop)]
    fn drop_cache(this: &KvSession);

    #[wasm_bindgen(method, catch, js_name = truncate)]
    fn keep_prefix(this: &KvSession, len: u32) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn release(this: &KvSession) -> Result<JsValue, JsValue>;
}

// `GpuKvSession` has `KvSession`'s methods (called by name), so one Rust type drives both.
#[wasm_bindgen(module = "/src/web/gpu_kv.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = createGpuKvSession)]
    async fn create_gpu_kv_session(
        model: &js_sys::Uint8Array,
        options: JsValue,
        layers: u32,
        kv_heads: u32,
        head_dim: u32,
    ) -> Result<JsValue, JsValue>;
}

enum Runner {
    Bridge(KvSession),
    Gpu(KvSession),
    OrtWeb {
        session: Session,
        run_options: RunOptions,
        /// `present.{i}.key`, `present.{i}.value` of the last run, layer by layer; empty before the first.
        past: Vec<DynValue>,
    },
}

pub struct OrtDecoder {
    runner: Runner,
    config: DecoderConfig,
    cached: usize,
    ep: Ep,
}

/// The JS runners' session options: those ort-web gives the other runner ([`DECODER_SESSION_CONFIG`]) on `ep`.
fn js_session_options(ep: Ep) -> Result<JsValue, ScoutError> {
    let extra = js_sys::Object::new();
    for (key, value) in DECODER_SESSION_CONFIG {
        js_sys::Reflect::set(&extra, &key.into(), &value.into()).map_err(|e| failed(js_err(&e)))?;
    }
    let options = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&options, &k.into(), v).map_err(|e| failed(js_err(&e)));
    let name = if ep == Ep::Webgpu { "webgpu" } else { "wasm" };
    set(
        "executionProviders",
        &js_sys::Array::of1(&JsValue::from_str(name)).into(),
    )?;
    set("extra", &extra.into())?;
    Ok(options.into())
}

/// Where the model's bytes come from: the JS runners take them in memory, ort-web from a URL.
pub enum ModelSource {
    Bytes(js_sys::Uint8Array),
    Url(String),
}

impl OrtDecoder {
    /// Whether this decoder keeps its cache where the runtime computes (the bridge's heap, the GPU).
    pub fn cache_in_runtime(&self) -> bool {
        matches!(self.runner, Runner::Bridge(_) | Runner::Gpu(_))
    }

    /// Whether a JS runner will run decoders on `ep` here (the bridge where the CPU bundle is loaded, the GPU runner
    /// on WebGPU): the caller then gives the model's bytes.
    pub fn takes_bytes(ep: Ep) -> bool {
        ep == Ep::Webgpu || loaded_bundle() == Some(Ep::Wasm)
    }

    /// Time spent in the runtime's `run` (ms) and runs since the last call, where the runner counts them (GPU).
    pub fn runtime_stats(&self) -> Option<(f64, u32)> {
        let Runner::Gpu(kv) = &self.runner else { return None };
        let stats = js_sys::Reflect::get(kv, &"stats".into()).ok()?;
        let stats = js_sys::Function::from(stats).call0(kv).ok()?;
        let get = |k: &str| js_sys::Reflect::get(&stats, &k.into()).ok().and_then(|v| v.as_f64());
        Some((get("run_ms")?, get("runs")? as u32))
    }

    pub async fn create(
        env: &ort::environment::Environment,
        model: ModelSource,
        ep: Ep,
        config: DecoderConfig,
    ) -> Result<Self, ScoutError> {
        let loading = |e: JsValue| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("cannot load the model: {}", js_err(&e)),
            )
        };
        let (layers, kv_heads, head_dim) = (config.layers as u32, config.kv_heads as u32, config.head_dim as u32);
        let runner = match model {
            ModelSource::Bytes(bytes) if ep == Ep::Webgpu => {
                let kv = create_gpu_kv_session(&bytes, js_session_options(ep)?, layers, kv_heads, head_dim)
                    .await
                    .map_err(loading)?;
                Runner::Gpu(kv.unchecked_into())
            }
            ModelSource::Bytes(bytes) if Self::takes_bytes(ep) => {
                let kv = create_kv_session(&bytes, js_session_options(ep)?, layers, kv_heads, head_dim)
                    .await
                    .map_err(loading)?;
                Runner::Bridge(kv.unchecked_into())
            }
            ModelSource::Bytes(_) => return Err(failed("model bytes are for the JS runners only")),
            ModelSource::Url(url) => Runner::OrtWeb {
                session: session_with_config(env, &url, ep, &DECODER_SESSION_CONFIG).await?,
                run_options: RunOptions::new().map_err(failed)?,
                past: Vec::new(),
            },
        };
        Ok(OrtDecoder {
            runner,
            config,
            cached: 0,
            ep,
        })
    }
}

impl Drop for OrtDecoder {
    fn drop(&mut self) {
        if let Runner::Bridge(kv) | Runner::Gpu(kv) = &self.runner {
            let kv: KvSession = JsValue::from(kv).unchecked_into();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = kv.release().await;
            });
        }
    }
}

impl DecoderBackend for OrtDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let past_len = self.cached;
        // The cache is consumed by this run: rebuilt from its outputs, or empty if it fails.
        self.cached = 0;
        let last = match &mut self.runner {
            Runner::Bridge(kv) | Runner::Gpu(kv) => {
                let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
                let logits = kv
                    .run(&BigInt64Array::from(ids.as_slice()), past_len as u32)
                    .await
                    .map_err(|e| failed(js_err(&e)))?;
                js_sys::Float32Array::from(logits).to_vec()
            }
            Runner::OrtWeb {
                session,
                run_options,
                past,
            } => {
                let pasts = if past.is_empty() {
                    decoder_io::empty_past(&self.config)?
                } else {
                    std::mem::take(past)
                };
                let feeds = decoder_io::inputs(tokens, past_len, pasts)?;
                let mut out = session.run_async(feeds, run_options).await.map_err(failed)?;
                let mut logits = out
                    .remove("logits")
                    .ok_or_else(|| failed("the model has no output logits"))?;
                logits.sync(SyncDirection::Rust).await.map_err(failed)?;
                let last = decoder_io::last_logits(&logits)?;
                *past = decoder_io::take_presents(&self.config, &mut out)?;
                last
            }
        };
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
        match &mut self.runner {
            // The prefix is copied where the cache lives, the runtime's heap or the GPU (Regenerate re-reads one
            // token, not the prompt); a failed copy leaves no cache, which the trait allows.
            Runner::Bridge(kv) | Runner::Gpu(kv) if len > 0 => {
                self.cached = if kv.keep_prefix(len as u32).is_ok() { len } else { 0 };
            }
            Runner::Bridge(kv) | Runner::Gpu(kv) => {
                kv.drop_cache();
                self.cached = 0;
            }
            // ort-web's values would first have to be read back (an await): dropping the cache is allowed by the
            // trait, and the generator re-feeds the prompt.
            Runner::OrtWeb { past, .. } => {
                past.clear();
                self.cached = 0;
            }
        }
        Ok(())
    }

    fn ep(&self) -> String {
        self.ep.as_str().to_string()
    }

    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
