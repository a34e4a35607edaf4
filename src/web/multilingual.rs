//! The downloaded multilingual embedder: loaded from IndexedDB the first time a page or a question that is not in
//! English needs it (`core::embedder_choice`), then kept beside the bundled one.

use ort::environment::Environment;

use super::download;
use super::encoder::WebEncoder;
use super::ort_backend::OrtEncoder;
use super::store::IdbStore;
use crate::core::catalog::ModelEntry;
use crate::core::embed::{EmbedTokenizer, Embedder};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::hardware::Ep;

pub struct Multilingual {
    /// The catalog entry as downloaded (each file's sha256 is the one it was checked against).
    pub entry: ModelEntry,
    pub embedder: Embedder<WebEncoder>,
}

/// Load `entry` if it is downloaded (`Ok(None)` if not). Its graph is int8 (`MatMulInteger`), which has no WebGPU
/// kernel: it runs on the WASM EP, which both runtime bundles have.
pub async fn load(env: &Environment, store: &IdbStore, entry: &ModelEntry) -> Result<Option<Multilingual>, ScoutError> {
    let Some(entry) = download::as_downloaded(store, entry).await? else {
        return Ok(None);
    };
    let path = |role: &str| {
        entry
            .file(role)
            .map(|f| f.path.clone())
            .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, format!("{} has no {role} file", entry.id)))
    };
    let max_tokens = entry.max_tokens.unwrap_or(256);
    let tokenizer = EmbedTokenizer::from_bytes(
        &download::file_bytes(store, &entry.id, &path("tokenizer")?).await?,
        max_tokens,
    )?;
    let url = download::file_blob_url(store, &entry.id, &path("model")?).await?;
    let encoder = OrtEncoder::create(env, &url, Ep::Wasm).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    let embedder = Embedder::new(tokenizer, WebEncoder::Ort(encoder?), entry.dims.unwrap_or(384))
        .with_model_tag(entry.vector_tag("model", max_tokens))
        .with_prefixes(entry.prefixes.clone());
    Ok(Some(Multilingual { entry, embedder }))
}
