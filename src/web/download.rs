//! The model downloader of the offscreen document: streams a model's files from a hub into IndexedDB in chunks,
//! resumes with HTTP Range after an interruption, retries with backoff, verifies sha256 before marking the model
//! ready, can be cancelled, and broadcasts progress to every open Scout page (`BroadcastChannel("scout-progress")`).
//! Decisions (URLs, resume, retry, quota, progress math) come from `core::download`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::{PerfClock, js_err, sleep};
use super::store::IdbStore;
use crate::core::catalog::{Catalog, ModelEntry, ModelFile};
use crate::core::download::{
    self, CHUNK_BYTES, DownloadState, FileProgress, MAX_ATTEMPTS, ModelStatus, Progress, ResumeAction, backoff_ms,
    check_quota, file_url, resume_action, retryable,
};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::last_logits::{ModelBytes, Piece};
use crate::core::phrase::Phrase;
use crate::core::store::Clock;
use crate::core::verify::{self, Expected, Verifier};

thread_local! {
    /// Cancel flags of the downloads running in this document.
    static RUNNING: RefCell<HashMap<String, Rc<Cell<bool>>>> = RefCell::new(HashMap::new());
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModelRecord {
    id: String,
    revision: String,
    bytes: u64,
    files: Vec<String>,
    /// Checked against the hashes the hub declared (the catalog pins none), not pinned ones.
    #[serde(default)]
    hub_verified: bool,
    /// The hash each file was checked against, in `files` order (hex: sha256, or a git blob id for small files the
    /// hub keeps in git).
    #[serde(default)]
    hashes: Vec<String>,
}

fn channel_post(p: &Progress) {
    if let (Ok(ch), Ok(json)) = (
        web_sys::BroadcastChannel::new("scout-progress"),
        serde_json::to_string(p),
    ) {
        let _ = ch.post_message(&JsValue::from_str(&json));
        ch.close();
    }
}

pub fn is_running(model: &str) -> bool {
    RUNNING.with(|r| r.borrow().contains_key(model))
}

pub fn cancel(model: &str) -> bool {
    RUNNING.with(|r| r.borrow().get(model).map(|c| c.set(true)).is_some())
}

/// `navigator.storage.estimate()` → (usage, quota).
pub async fn estimate() -> Result<(f64, f64), ScoutError> {
    let storage = web_sys::window()
        .map(|w| w.navigator().storage())
        .ok_or_else(|| ScoutError::new(ErrorCode::StorageFailed, "no navigator.storage"))?;
    let est = JsFuture::from(
        storage
            .estimate()
            .map_err(|e| ScoutError::new(ErrorCode::StorageFailed, js_err(&e)))?,
    )
    .await
    .map_err(|e| ScoutError::new(ErrorCode::StorageFailed, js_err(&e)))?;
    let num = |k: &str| {
        Reflect::get(&est, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    Ok((num("usage"), num("quota")))
}

/// Check consent and room, then start the download in the background. Returns at once; progress is broadcast.
/// `storage_cap`: the user's own limit on Scout's storage (bytes), applied on top of the browser's quota.
pub async fn start(
    store: Rc<IdbStore>,
    catalog: &Catalog,
    model_id: &str,
    hub: &str,
    consent: bool,
    storage_cap: Option<f64>,
) -> Result<(), ScoutError> {
    let model = catalog
        .get(model_id)
        .cloned()
        .ok_or_else(|| ScoutError::new(ErrorCode::BadRequest, format!("no model {model_id} in the catalog")))?;
    if model.bundled {
        return Err(ScoutError::new(
            ErrorCode::BadRequest,
            format!("{model_id} ships with Scout"),
        ));
    }
    if !consent {
        return Err(ScoutError::new(
            ErrorCode::BadRequest,
            format!(
                "Downloading {} ({}, {}) from {} needs your consent.",
                model.display_name,
                download::human_bytes(model.total_size() as f64),
                model.license,
                hub
            ),
        ));
    }
    if is_running(model_id) {
        return Ok(());
    }
    // Without pinned hashes, each file is checked against the hash the hub declares for it (and its real size).
    let tree = if verify::needs_hub_listing(&model) {
        let url = verify::tree_url(hub, &model);
        let bytes = super::js::fetch_bytes(&url).await.map_err(|e| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!(
                    "Scout could not read the hub's list of {}'s files with their hashes: {}",
                    model.repo, e.message
                ),
            )
        })?;
        Some(verify::parse_tree(&String::from_utf8_lossy(&bytes))?)
    } else {
        None
    };
    let expected = verify::expected_files(&model, tree.as_ref())?;
    let mut model = model;
    for (f, (size, _)) in model.files.iter_mut().zip(&expected) {
        f.size = *size;
    }
    let expected: Vec<Expected> = expected.into_iter().map(|(_, e)| e).collect();
    let (usage, quota) = estimate().await?;
    let quota = storage_cap.map_or(quota, |cap| cap.min(quota));
    check_quota(model.total_size(), usage, quota)?;
    // Ask the browser not to evict models under storage pressure (granted silently to extensions).
    if let Some(w) = web_sys::window()
        && let Ok(p) = w.navigator().storage().persist()
    {
        let _ = JsFuture::from(p).await;
    }
    let flag = Rc::new(Cell::new(false));
    RUNNING.with(|r| r.borrow_mut().insert(model_id.to_string(), Rc::clone(&flag)));
    let hub = hub.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let result = run(&store, &model, &expected, &hub, &flag).await;
        RUNNING.with(|r| r.borrow_mut().remove(&model.id));
        let total = model.total_size();
        let mut p = match &result {
            Ok(()) => download::progress(&model.id, total, total, 0, 0.0, DownloadState::Ready),
            Err(e) if flag.get() => {
                let _ = store.delete_model(&model.id).await;
                let mut p = download::progress(&model.id, 0, total, 0, 0.0, DownloadState::Cancelled);
                p.message = Some(Phrase::plain(&e.message));
                p
            }
            Err(e) => {
                let mut p = download::progress(&model.id, 0, total, 0, 0.0, DownloadState::Failed);
                p.message = Some(Phrase::plain(&e.message));
                p
            }
        };
        if result.is_ok() {
            let by_hub = expected.iter().any(Expected::by_hub);
            p.message = Some(Phrase::of(if by_hub {
                "engDownloadReadyHub"
            } else {
                "engDownloadReadyPinned"
            }));
        }
        channel_post(&p);
    });
    Ok(())
}

/// Download every file of `model` (sizes as the hub or catalog gives them), each checked against `expected`.
async fn run(
    store: &IdbStore,
    model: &ModelEntry,
    expected: &[Expected],
    hub: &str,
    cancelled: &Cell<bool>,
) -> Result<(), ScoutError> {
    let total = model.total_size();
    let mut done_before: u64 = 0;
    for (file, expected) in model.files.iter().zip(expected) {
        let done = download_file(store, model, file, expected, hub, cancelled, done_before, total).await?;
        done_before += done;
    }
    let record = ModelRecord {
        id: model.id.clone(),
        revision: model.revision.clone(),
        bytes: total,
        files: model.files.iter().map(|f| f.path.clone()).collect(),
        hub_verified: expected.iter().any(Expected::by_hub),
        hashes: expected.iter().map(|e| e.hex().to_string()).collect(),
    };
    let json = serde_json::to_string(&record).map_err(|e| ScoutError::new(ErrorCode::Internal, e.to_string()))?;
    store.put_model_record(&model.id, &json).await
}

fn cancelled_err() -> ScoutError {
    ScoutError::new(ErrorCode::BadRequest, "download cancelled")
}

/// Download (or resume) one file; returns its size once verified.
#[allow(clippy::too_many_arguments)]
async fn download_file(
    store: &IdbStore,
    model: &ModelEntry,
    file: &ModelFile,
    expected: &Expected,
    hub: &str,
    cancelled: &Cell<bool>,
    done_before: u64,
    total: u64,
) -> Result<u64, ScoutError> {
    let mut fp: FileProgress = match store.get_progress(&model.id, &file.path).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|_| FileProgress::new(file)),
        None => FileProgress::new(file),
    };
    if fp.verified && fp.complete() && fp.size == file.size {
        return Ok(file.size);
    }
    // Resuming: the hash state is not stored, so re-hash the stored chunks (one at a time, bounded memory).
    let mut hasher = Verifier::new(expected, file.size);
    for i in 0..fp.chunks {
        hasher.update(&store.get_chunk(&model.id, &file.path, i).await?.to_vec());
    }
    let url = file_url(hub, model, file);
    let clock = PerfClock;
    let t0 = clock.now_ms();
    let mut session_bytes: u64 = 0;
    let mut attempt = 0;
    loop {
        if cancelled.get() {
            return Err(cancelled_err());
        }
        match fetch_into(
            store,
            model,
            file,
            expected,
            &url,
            &mut fp,
            &mut hasher,
            cancelled,
            |fp, sb| {
                session_bytes = sb;
                let mut p = download::progress(
                    &model.id,
                    done_before + fp.done,
                    total,
                    session_bytes,
                    clock.now_ms() - t0,
                    DownloadState::Downloading,
                );
                p.message = Some(Phrase::plain(&file.path));
                channel_post(&p);
            },
        )
        .await
        {
            Ok(()) => break,
            Err((e, status)) => {
                if cancelled.get() {
                    return Err(cancelled_err());
                }
                attempt += 1;
                if !retryable(status) || attempt >= MAX_ATTEMPTS {
                    return Err(e);
                }
                let wait = backoff_ms(attempt - 1);
                let mut p =
                    download::progress(&model.id, done_before + fp.done, total, 0, 1.0, DownloadState::Retrying);
                p.message = Some(Phrase::new(
                    "engDownloadRetrying",
                    vec![
                        e.message.into(),
                        (wait / 1000).to_string().into(),
                        attempt.to_string().into(),
                    ],
                ));
                channel_post(&p);
                sleep(wait as i32).await;
            }
        }
    }
    channel_post(&download::progress(
        &model.id,
        done_before + fp.done,
        total,
        0,
        1.0,
        DownloadState::Verifying,
    ));
    if let Err(message) = hasher.finish(expected, &file.path, fp.done, file.size) {
        // Never leave a corrupt file usable: drop it entirely.
        store.delete_file(&model.id, &file.path).await?;
        return Err(ScoutError::new(ErrorCode::ModelUnavailable, message));
    }
    fp.verified = true;
    let json = serde_json::to_string(&fp).map_err(|e| ScoutError::new(ErrorCode::Internal, e.to_string()))?;
    store.put_progress(&model.id, &file.path, &json).await?;
    Ok(file.size)
}

/// One HTTP attempt: stream the response into chunks. Errors carry the HTTP status when there was one.
#[allow(clippy::too_many_arguments)]
async fn fetch_into(
    store: &IdbStore,
    model: &ModelEntry,
    file: &ModelFile,
    expected: &Expected,
    url: &str,
    fp: &mut FileProgress,
    hasher: &mut Verifier,
    cancelled: &Cell<bool>,
    mut on_progress: impl FnMut(&FileProgress, u64),
) -> Result<(), (ScoutError, Option<u16>)> {
    let net = |m: String| (ScoutError::new(ErrorCode::BackendFailed, m), None);
    let init = web_sys::RequestInit::new();
    let headers = web_sys::Headers::new().map_err(|e| net(js_err(&e)))?;
    if let Some(range) = fp.range_header() {
        headers.set("Range", &range).map_err(|e| net(js_err(&e)))?;
    }
    init.set_headers(&headers);
    init.set_cache(web_sys::RequestCache::NoStore);
    let window = web_sys::window().ok_or_else(|| net("no window".into()))?;
    let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| net(format!("network error fetching {}: {}", file.path, js_err(&e))))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| net("not a Response".into()))?;
    let status = resp.status();
    let content_range = resp.headers().get("Content-Range").ok().flatten();
    match resume_action(status, content_range.as_deref(), fp.done).map_err(|e| (e, Some(status)))? {
        ResumeAction::Append => {}
        ResumeAction::Restart => {
            if fp.done > 0 {
                store.delete_file(&model.id, &file.path).await.map_err(|e| (e, None))?;
                *fp = FileProgress::new(file);
                *hasher = Verifier::new(expected, file.size);
            }
        }
    }
    let body = resp.body().ok_or_else(|| net("empty response body".into()))?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| net("no stream reader".into()))?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES);
    let mut session: u64 = 0;
    loop {
        if cancelled.get() {
            let _ = reader.cancel();
            return Err((cancelled_err(), Some(499)));
        }
        let step = JsFuture::from(reader.read()).await.map_err(|e| {
            net(format!(
                "connection lost while downloading {}: {}",
                file.path,
                js_err(&e)
            ))
        });
        let step = match step {
            Ok(s) => s,
            Err(e) => {
                // Keep whole chunks only: what is buffered is fetched again on resume.
                return Err(e);
            }
        };
        let finished = Reflect::get(&step, &JsValue::from_str("done"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if !finished {
            let value = Reflect::get(&step, &JsValue::from_str("value")).map_err(|e| net(js_err(&e)))?;
            let bytes: Uint8Array = value.dyn_into().map_err(|_| net("stream gave no bytes".into()))?;
            buf.extend_from_slice(&bytes.to_vec());
        }
        if buf.len() >= CHUNK_BYTES || (finished && !buf.is_empty()) {
            if fp.done + buf.len() as u64 > file.size {
                return Err((
                    ScoutError::new(
                        ErrorCode::ModelUnavailable,
                        format!("{} is larger than the catalog says", file.path),
                    ),
                    Some(200),
                ));
            }
            hasher.update(&buf);
            fp.done += buf.len() as u64;
            session += buf.len() as u64;
            let index = fp.chunks;
            fp.chunks += 1;
            let json = serde_json::to_string(fp).map_err(|e| net(e.to_string()))?;
            store
                .put_chunk(&model.id, &file.path, index, &buf, &json)
                .await
                .map_err(|e| (e, None))?;
            buf.clear();
            on_progress(fp, session);
        }
        if finished {
            break;
        }
    }
    if fp.done < file.size {
        return Err(net(format!(
            "the server closed the connection at byte {} of {}",
            fp.done, file.size
        )));
    }
    Ok(())
}

/// The record of a downloaded model (`None`: not downloaded, or a record this version cannot read).
async fn downloaded(store: &IdbStore, model: &str) -> Result<Option<ModelRecord>, ScoutError> {
    Ok(store
        .model_record(model)
        .await?
        .and_then(|json| serde_json::from_str::<ModelRecord>(&json).ok()))
}

/// Catalog entries with their storage state.
pub async fn list(store: &IdbStore, catalog: &Catalog) -> Result<Vec<ModelStatus>, ScoutError> {
    let mut out = Vec::new();
    for m in &catalog.models {
        let record = downloaded(store, &m.id).await?;
        let ready = record.is_some();
        let mut stored = 0;
        for f in &m.files {
            if let Some(json) = store.get_progress(&m.id, &f.path).await?
                && let Ok(fp) = serde_json::from_str::<FileProgress>(&json)
            {
                stored += fp.done;
            }
        }
        let state = if m.bundled {
            "bundled"
        } else if ready {
            "ready"
        } else if is_running(&m.id) {
            "downloading"
        } else if stored > 0 {
            "partial"
        } else {
            "absent"
        };
        out.push(ModelStatus {
            id: m.id.clone(),
            display_name: m.display_name.clone(),
            description: m.description.clone(),
            license: m.license.clone(),
            repo: m.repo.clone(),
            revision: m.revision.clone(),
            size: record.as_ref().map_or(m.total_size(), |r| r.bytes),
            bundled: m.bundled,
            verified: m.verified,
            hub_verified: record.as_ref().is_some_and(|r| r.hub_verified),
            tasks: m.tasks.clone(),
            requires: m.requires.clone(),
            multilingual: m.multilingual,
            state: state.into(),
            stored_bytes: if m.bundled { m.total_size() } else { stored },
        });
    }
    Ok(out)
}

/// `entry` as it was downloaded: each file's sha256 is the hash it was checked against (for an entry that pins
/// none, what the hub declared), so that what depends on the weights (stored vectors' tags) follows a new upload.
/// `None` when the model is not downloaded.
pub async fn as_downloaded(store: &IdbStore, entry: &ModelEntry) -> Result<Option<ModelEntry>, ScoutError> {
    let Some(record) = downloaded(store, &entry.id).await? else {
        return Ok(None);
    };
    let mut entry = entry.clone();
    for f in &mut entry.files {
        if f.sha256.is_none()
            && let Some(i) = record.files.iter().position(|p| *p == f.path)
        {
            f.sha256 = record.hashes.get(i).cloned();
        }
    }
    Ok(Some(entry))
}

/// The chunks of a downloaded, verified model file, in order.
/// A downloaded, verified file's chunks as stored (JS memory, not copied).
pub async fn verified_chunks(store: &IdbStore, model: &str, path: &str) -> Result<Vec<js_sys::Uint8Array>, ScoutError> {
    let json = store
        .get_progress(model, path)
        .await?
        .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, format!("{model}/{path} is not downloaded")))?;
    let fp: FileProgress =
        serde_json::from_str(&json).map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.to_string()))?;
    if !fp.verified {
        return Err(ScoutError::new(
            ErrorCode::ModelUnavailable,
            format!("{model}/{path} is not verified"),
        ));
    }
    store.get_chunks(model, path, fp.chunks).await
}

/// A downloaded file as bytes in this module's memory (its JSON files).
pub async fn file_bytes(store: &IdbStore, model: &str, path: &str) -> Result<Vec<u8>, ScoutError> {
    Ok(chunks_bytes(&verified_chunks(store, model, path).await?))
}

/// Chunks joined in this module's memory, each copied once, straight into its place.
pub fn chunks_bytes(chunks: &[js_sys::Uint8Array]) -> Vec<u8> {
    let mut out = vec![0u8; chunks.iter().map(|c| c.length() as usize).sum()];
    let mut at = 0;
    for chunk in chunks {
        let len = chunk.length() as usize;
        chunk.copy_to(&mut out[at..at + len]);
        at += len;
    }
    out
}

/// A `blob:` URL of a downloaded model file, assembled from its chunks (the bytes never enter the Rust heap
/// whole: each chunk is handed to the Blob and dropped).
pub async fn file_blob_url(store: &IdbStore, model: &str, path: &str) -> Result<String, ScoutError> {
    edited_blob_url(store, model, path, |_| Ok(None)).await
}

/// Like [`file_blob_url`], with `edit` applied: it reads what it needs of the file and returns the new file as
/// pieces of the old one and new bytes (`None`: unchanged). The Blob is made of the chunks' own views and the new
/// bytes, so the weights are not copied.
pub async fn edited_blob_url(
    store: &IdbStore,
    model: &str,
    path: &str,
    edit: impl FnOnce(&ChunkBytes) -> Result<Option<Vec<Piece>>, ScoutError>,
) -> Result<String, ScoutError> {
    let parts = edited_parts(store, model, path, edit).await?;
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)
        .map_err(|e| ScoutError::new(ErrorCode::StorageFailed, js_err(&e)))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| ScoutError::new(ErrorCode::StorageFailed, js_err(&e)))
}

/// Like [`edited_blob_url`], as one buffer in JS memory (no Blob to fetch back: the runtime copies it into its heap
/// directly).
pub async fn edited_bytes(
    store: &IdbStore,
    model: &str,
    path: &str,
    edit: impl FnOnce(&ChunkBytes) -> Result<Option<Vec<Piece>>, ScoutError>,
) -> Result<Uint8Array, ScoutError> {
    let parts: Vec<Uint8Array> = edited_parts(store, model, path, edit)
        .await?
        .iter()
        .map(|p| p.unchecked_into())
        .collect();
    let total: u32 = parts.iter().map(|p| p.length()).sum();
    let out = Uint8Array::new_with_length(total);
    let mut at = 0;
    for p in &parts {
        out.set(p, at);
        at += p.length();
    }
    Ok(out)
}

/// The file with `edit` applied, as views of its chunks and new bytes, in order.
async fn edited_parts(
    store: &IdbStore,
    model: &str,
    path: &str,
    edit: impl FnOnce(&ChunkBytes) -> Result<Option<Vec<Piece>>, ScoutError>,
) -> Result<Array, ScoutError> {
    let file = ChunkBytes::new(verified_chunks(store, model, path).await?);
    Ok(match edit(&file)? {
        Some(pieces) => file.parts(&pieces),
        None => file.chunks.iter().collect(),
    })
}

/// A downloaded file as its stored chunks, readable at any offset without joining them.
pub struct ChunkBytes {
    chunks: Vec<Uint8Array>,
    /// Offset of each chunk in the file, and the file's length last.
    starts: Vec<u64>,
}

impl ChunkBytes {
    fn new(chunks: Vec<Uint8Array>) -> Self {
        let mut starts = Vec::with_capacity(chunks.len() + 1);
        let mut at = 0u64;
        for c in &chunks {
            starts.push(at);
            at += u64::from(c.length());
        }
        starts.push(at);
        ChunkBytes { chunks, starts }
    }

    /// The chunks' views that cover `start..end` of the file, in order.
    fn views(&self, start: u64, end: u64) -> impl Iterator<Item = Uint8Array> + '_ {
        let first = self.starts.partition_point(|&s| s <= start).saturating_sub(1);
        (first..self.chunks.len())
            .take_while(move |&i| self.starts[i] < end)
            .map(move |i| {
                let (base, c) = (self.starts[i], &self.chunks[i]);
                let a = start.saturating_sub(base).min(u64::from(c.length()));
                let b = (end - base).min(u64::from(c.length()));
                c.subarray(a as u32, b as u32)
            })
    }

    fn parts(&self, pieces: &[Piece]) -> Array {
        let parts = Array::new();
        for p in pieces {
            match p {
                Piece::Keep(a, b) => self.views(*a, *b).for_each(|v| {
                    parts.push(&v);
                }),
                Piece::New(bytes) => {
                    parts.push(&Uint8Array::from(bytes.as_slice()));
                }
            }
        }
        parts
    }
}

impl ModelBytes for ChunkBytes {
    fn len(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    fn read(&self, at: u64, len: usize) -> Result<Vec<u8>, ScoutError> {
        let end = at.saturating_add(len as u64).min(self.len());
        let mut out = Vec::with_capacity(len);
        for v in self.views(at, end) {
            out.extend(v.to_vec());
        }
        Ok(out)
    }
}
