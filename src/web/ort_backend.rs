//! onnxruntime-web through ort-web: runtime loading from the extension's own files, session creation on the chosen
//! execution provider, and the encoder backend.

use js_sys::Reflect;
use ort::AsPointer;
use ort::environment::Environment;
use ort::session::{RunOptions, Session};
use ort::value::Tensor;
use wasm_bindgen::JsValue;

use super::js::{js_err, with_timeout};
use crate::core::embed::{EncodedBatch, EncoderBackend};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::hardware::Ep;

/// How long loading the runtime or creating a session may take before we give up with a clear error.
/// (A wrong SRI hash or a worker that cannot start makes ort-web hang forever.)
const INIT_TIMEOUT_MS: i32 = 60_000;

fn failed(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("ONNX Runtime: {e}"))
}

/// The onnxruntime-web bundle that supports `ep`. The WebGPU bundle also runs the WASM EP.
/// The CPU bundle's module factory, wrapped (shipped in `ort/` by `cargo xtask dist` from `src/web/`).
pub const BRIDGE_MODULE: &str = "scout-ort-wasm.mjs";

pub fn bundle_for(ep: Ep) -> &'static str {
    match ep {
        Ep::Wasm => "ort.wasm.min.js",
        Ep::Webgpu => "ort.webgpu.min.js",
    }
}

fn ort_global() -> Result<JsValue, ScoutError> {
    let ort = Reflect::get(&js_sys::global(), &JsValue::from_str("ort")).map_err(|e| failed(js_err(&e)))?;
    if ort.is_undefined() {
        return Err(failed("the runtime script did not define `ort`"));
    }
    Ok(ort)
}

thread_local! {
    /// The bundle this document loaded (the `ort` global cannot be swapped once defined).
    static LOADED: std::cell::Cell<Option<Ep>> = const { std::cell::Cell::new(None) };
}

/// The execution providers the loaded bundle supports: `Some(Ep::Webgpu)` means both.
pub fn loaded_bundle() -> Option<Ep> {
    LOADED.with(|l| l.get())
}

/// Load onnxruntime-web from `base_url` (the extension's `ort/` folder) and create a telemetry-free environment.
pub async fn init_runtime(base_url: &str, ep: Ep, threads: u32) -> Result<Environment, ScoutError> {
    let dist = ort_web::Dist::new(base_url).with_script_name(bundle_for(ep));
    let api = with_timeout(INIT_TIMEOUT_MS, "loading ONNX Runtime", async {
        ort_web::api(dist).await.map_err(failed)
    })
    .await?;
    ort::set_api(api);
    LOADED.with(|l| l.set(Some(ep)));
    // `numThreads` is a global of onnxruntime-web, read when its WASM module starts (at the first session).
    let wasm_env = Reflect::get(
        &Reflect::get(&ort_global()?, &JsValue::from_str("env")).map_err(|e| failed(js_err(&e)))?,
        &JsValue::from_str("wasm"),
    )
    .map_err(|e| failed(js_err(&e)))?;
    Reflect::set(&wasm_env, &JsValue::from_str("numThreads"), &JsValue::from(threads))
        .map_err(|e| failed(js_err(&e)))?;
    if ep == Ep::Wasm {
        // The CPU bundle's module through our wrapper of its factory, which keeps the module where the decoder's
        // key/value bridge finds it (`ort_decoder.rs`); the binary is the bundle's own.
        let paths = js_sys::Object::new();
        let url = |file: &str| JsValue::from_str(&format!("{}/{file}", base_url.trim_end_matches('/')));
        Reflect::set(&paths, &"mjs".into(), &url(BRIDGE_MODULE)).map_err(|e| failed(js_err(&e)))?;
        Reflect::set(&paths, &"wasm".into(), &url("ort-wasm-simd-threaded.wasm")).map_err(|e| failed(js_err(&e)))?;
        Reflect::set(&wasm_env, &JsValue::from_str("wasmPaths"), &paths).map_err(|e| failed(js_err(&e)))?;
    }
    ort::init().with_telemetry(false).build().map_err(failed)
}

/// Register an execution provider by the short name onnxruntime-web knows ("WebGPU", "WASM").
/// `ort::ep::WebGPU` registers a long name that ort-web rejects, and the default is to fail silently.
fn append_ep(builder: &mut ort::session::builder::SessionBuilder, name: &std::ffi::CStr) -> Result<(), ScoutError> {
    let api = ort::api();
    // SAFETY: `builder` owns a valid OrtSessionOptions; the name is a NUL-terminated string; no options are passed.
    let status = unsafe {
        (api.SessionOptionsAppendExecutionProvider)(
            builder.ptr_mut(),
            name.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            0,
        )
    };
    if status.0.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null status is a valid OrtStatus we own and release here.
    let msg = unsafe {
        let m = std::ffi::CStr::from_ptr((api.GetErrorMessage)(status.0))
            .to_string_lossy()
            .into_owned();
        (api.ReleaseStatus)(status.0);
        m
    };
    Err(failed(format!("cannot register {}: {msg}", name.to_string_lossy())))
}

/// Whether onnxruntime-web has a live WebGPU device: proof the WebGPU EP really initialized.
pub fn webgpu_device_active() -> bool {
    let Ok(ort) = ort_global() else { return false };
    let get = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let webgpu = get(&get(&ort, "env"), "webgpu");
    !webgpu.is_undefined() && !get(&webgpu, "device").is_undefined() && !get(&webgpu, "device").is_null()
}

/// Create a session from a URL (an extension file or a `blob:` URL of a downloaded model) on `ep`.
pub async fn session_from_url(env: &Environment, model_url: &str, ep: Ep) -> Result<Session, ScoutError> {
    session_with_config(env, model_url, ep, &[]).await
}

/// [`session_from_url`] with session config entries (`AddSessionConfigEntry`).
pub async fn session_with_config(
    env: &Environment,
    model_url: &str,
    ep: Ep,
    config: &[(&str, &str)],
) -> Result<Session, ScoutError> {
    let mut builder = Session::builder(env).map_err(failed)?;
    for (key, value) in config {
        builder = builder.with_config_entry(key, value).map_err(failed)?;
    }
    append_ep(&mut builder, if ep == Ep::Webgpu { c"WebGPU" } else { c"WASM" })?;
    with_timeout(INIT_TIMEOUT_MS, "creating the model session", async {
        builder
            .commit_from_url(model_url)
            .await
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("cannot load the model: {e}")))
    })
    .await
}

pub struct OrtEncoder {
    session: Session,
    run_options: RunOptions,
    ep: Ep,
}

impl OrtEncoder {
    pub async fn create(env: &Environment, model_url: &str, ep: Ep) -> Result<Self, ScoutError> {
        let session = session_from_url(env, model_url, ep).await?;
        if ep == Ep::Webgpu && !webgpu_device_active() {
            return Err(failed("the WebGPU execution provider did not start"));
        }
        Ok(OrtEncoder {
            session,
            run_options: RunOptions::new().map_err(failed)?,
            ep,
        })
    }
}

impl EncoderBackend for OrtEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        let shape = [batch.batch, batch.seq];
        let ids = Tensor::from_array((shape, batch.input_ids.clone())).map_err(failed)?;
        let mask = Tensor::from_array((shape, batch.attention_mask.clone())).map_err(failed)?;
        let types = Tensor::from_array((shape, batch.token_type_ids.clone())).map_err(failed)?;
        let mut outputs = self
            .session
            .run_async(
                ort::inputs![
                    "input_ids" => ids,
                    "attention_mask" => mask,
                    "token_type_ids" => types,
                ],
                &self.run_options,
            )
            .await
            .map_err(failed)?;
        ort_web::sync_outputs(&mut outputs).await.map_err(failed)?;
        let (_, data) = outputs["last_hidden_state"]
            .try_extract_tensor::<f32>()
            .map_err(failed)?;
        Ok(data.to_vec())
    }

    fn ep(&self) -> String {
        self.ep.as_str().to_string()
    }

    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
