//! Native ONNX Runtime backend (host only): the CLI and the parity tests run the same core code on it.
//!
//! ONNX Runtime is loaded at run time from the shared library named by `ORT_DYLIB_PATH` (the PyPI `onnxruntime`
//! wheel's `libonnxruntime.so.*`, fetched by `cargo xtask setup`).

mod decoder;
mod distill;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ort::session::Session;
use ort::value::TensorRef;

use crate::core::embed::{EmbedTokenizer, Embedder, EncodedBatch, EncoderBackend};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::store::Clock;

/// The onnxruntime wheel (PyPI) whose shared library the native backend loads.
pub const ORT_NATIVE_VERSION: &str = "1.32.0";

/// Where fetched files live across clones: `$SCOUT_CACHE_DIR` or `~/.cache/scout`.
pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SCOUT_CACHE_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/scout")
}

/// `$ORT_DYLIB_PATH`, else the library `cargo xtask setup` fetched.
pub fn ort_dylib_path() -> PathBuf {
    std::env::var("ORT_DYLIB_PATH").map(PathBuf::from).unwrap_or_else(|_| {
        cache_dir()
            .join("onnxruntime")
            .join(format!("libonnxruntime.so.{ORT_NATIVE_VERSION}"))
    })
}

/// The cached copy of a catalog file.
pub fn cached_model_file(model_id: &str, file_path: &str) -> PathBuf {
    cache_dir()
        .join("models")
        .join(model_id)
        .join(file_path.rsplit('/').next().unwrap_or(file_path))
}

pub use decoder::{AnyDecoder, NativeDecoder, any_generator, kernel_generator, native_generator};
pub use distill::distill_static_table;

pub struct NativeEncoder {
    session: Session,
}

fn backend_err(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("ONNX Runtime: {e}"))
}

/// The process's ONNX Runtime environment, made on first use from `dylib` (ONNX Runtime allows one per process;
/// an embedder and a decoder share it).
fn environment(dylib: &Path) -> Result<ort::environment::Environment, ScoutError> {
    static ENV: std::sync::Mutex<Option<ort::environment::Environment>> = std::sync::Mutex::new(None);
    let mut env = ENV.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = env.as_ref() {
        return Ok(e.clone());
    }
    let made = ort::init_from(dylib)
        .map_err(|e| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("cannot load ONNX Runtime from {}: {e}", dylib.display()),
            )
        })?
        .with_telemetry(false)
        .build()
        .map_err(backend_err)?;
    *env = Some(made.clone());
    Ok(made)
}

/// A decoder's session from the model file's bytes as they are, with the settings every decoder gets
/// ([`crate::core::generate::DECODER_SESSION_CONFIG`]).
fn decoder_session(dylib: &Path, bytes: &[u8], threads: usize) -> Result<Session, ScoutError> {
    let mut builder = session_builder(dylib, threads)?;
    for (key, value) in crate::core::generate::DECODER_SESSION_CONFIG {
        builder = builder.with_config_entry(key, value).map_err(backend_err)?;
    }
    builder
        .commit_from_memory(bytes)
        .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("cannot load the model: {e}")))
}

/// A session builder on the process's ONNX Runtime (loaded from `dylib`) with `threads` intra-op threads.
fn session_builder(dylib: &Path, threads: usize) -> Result<ort::session::builder::SessionBuilder, ScoutError> {
    let env = environment(dylib)?;
    Session::builder(&env)
        .map_err(backend_err)?
        .with_intra_threads(threads)
        .map_err(backend_err)
}

/// Load ONNX Runtime from `dylib` and create a session for the model at `model`.
fn load_session(dylib: &Path, model: &Path, threads: usize) -> Result<Session, ScoutError> {
    let session = session_builder(dylib, threads)?.commit_from_file(model).map_err(|e| {
        ScoutError::new(
            ErrorCode::ModelUnavailable,
            format!("cannot load {}: {e}", model.display()),
        )
    })?;
    Ok(session)
}

impl NativeEncoder {
    /// Load ONNX Runtime from `dylib` and create a session for the model at `model`.
    pub fn load(dylib: &Path, model: &Path, threads: usize) -> Result<Self, ScoutError> {
        Ok(NativeEncoder {
            session: load_session(dylib, model, threads)?,
        })
    }
}

impl EncoderBackend for NativeEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        let shape = [batch.batch, batch.seq];
        let ids = TensorRef::from_array_view((shape, batch.input_ids.as_slice())).map_err(backend_err)?;
        let mask = TensorRef::from_array_view((shape, batch.attention_mask.as_slice())).map_err(backend_err)?;
        let types = TensorRef::from_array_view((shape, batch.token_type_ids.as_slice())).map_err(backend_err)?;
        let outputs = self
            .session
            .run(ort::inputs![
                "input_ids" => ids,
                "attention_mask" => mask,
                "token_type_ids" => types,
            ])
            .map_err(backend_err)?;
        let (_, data) = outputs["last_hidden_state"]
            .try_extract_tensor::<f32>()
            .map_err(backend_err)?;
        Ok(data.to_vec())
    }

    fn ep(&self) -> String {
        "native-cpu".into()
    }
}

/// The bundled embedder on native ONNX Runtime.
pub fn native_embedder(
    dylib: &Path,
    model: &Path,
    tokenizer_json: &[u8],
    threads: usize,
) -> Result<Embedder<NativeEncoder>, ScoutError> {
    let tok = EmbedTokenizer::from_bytes(tokenizer_json, 256)?;
    Ok(Embedder::new(tok, NativeEncoder::load(dylib, model, threads)?, 384))
}

/// The bundled embedder as the extension runs it on the CPU: Scout's int8 encoder (`core::bert`) on the weights
/// `cargo xtask setup` built, with the catalog's truncation, dimensions and vector tag. It computes the same vectors
/// as the browser (the encoder's invariant), so native evaluations measure what ships.
pub fn bundled_embedder() -> Result<Embedder<crate::core::bert::BertBackend>, ScoutError> {
    bundled_embedder_on(|weights| crate::core::bert::BertBackend::from_bytes(weights, "native-int8"))
}

/// The bundled embedder with its weights file read by `encoder` (Scout's int8 encoder, or the GPU encoder's
/// reference), its tokenizer, truncation and prefixes as the extension's.
pub fn bundled_embedder_on<B: EncoderBackend>(
    encoder: impl FnOnce(&[u8]) -> Result<B, ScoutError>,
) -> Result<Embedder<B>, ScoutError> {
    let unavailable = |m: String| ScoutError::new(ErrorCode::ModelUnavailable, m);
    let catalog = crate::core::catalog::Catalog::builtin();
    let entry = catalog
        .bundled_embedder()
        .ok_or_else(|| unavailable("no bundled embedder".into()))?;
    let read = |role: &str| {
        let f = entry
            .file(role)
            .ok_or_else(|| unavailable(format!("the catalog has no bundled {role}")))?;
        let path = cached_model_file(&entry.id, &f.path);
        std::fs::read(&path).map_err(|e| unavailable(format!("{}: {e}; run cargo xtask setup", path.display())))
    };
    let max_tokens = entry.max_tokens.unwrap_or(256);
    let tok = EmbedTokenizer::from_bytes(&read("tokenizer")?, max_tokens)?;
    let role = crate::core::bert::WEIGHTS_ROLE;
    let encoder = encoder(&read(role)?)?;
    Ok(Embedder::new(tok, encoder, entry.dims.unwrap_or(384))
        .with_model_tag(entry.vector_tag(role, max_tokens))
        .with_prefixes(entry.prefixes.clone()))
}

/// A downloadable embedder of the catalog from a folder in the hub's layout (`{hub}/{repo}`), as the extension
/// builds it: the entry's truncation, dimensions, prefixes and vector tag.
pub fn catalog_embedder(
    entry: &crate::core::catalog::ModelEntry,
    dir: &Path,
    threads: usize,
) -> Result<Embedder<NativeEncoder>, ScoutError> {
    let file = |role: &str| {
        entry
            .file(role)
            .map(|f| dir.join(&f.path))
            .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, format!("{} has no {role} file", entry.id)))
    };
    let tokenizer_json = std::fs::read(file("tokenizer")?)
        .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("{}: {e}", dir.display())))?;
    let max_tokens = entry.max_tokens.unwrap_or(256);
    let tok = EmbedTokenizer::from_bytes(&tokenizer_json, max_tokens)?;
    let encoder = NativeEncoder::load(&ort_dylib_path(), &file("model")?, threads)?;
    Ok(Embedder::new(tok, encoder, entry.dims.unwrap_or(384))
        .with_model_tag(entry.vector_tag("model", max_tokens))
        .with_prefixes(entry.prefixes.clone()))
}

pub struct NativeClock(Instant);

impl Default for NativeClock {
    fn default() -> Self {
        NativeClock(Instant::now())
    }
}

impl Clock for NativeClock {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}
