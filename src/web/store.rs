//! IndexedDB (rexie): the result store behind the core's `ResultStore` trait, and the model store (download
//! progress, file chunks, ready models).
//!
//! Schema history: v1 had `results`; v2 added `downloads`, `chunks` and `models`; v3 added `history`; v4 added
//! `vectors` (page embedding records) and `vector_index` (their sizes and last use, read for eviction without
//! loading the records). Opening at the current version upgrades an older database in place and keeps what it held.

use js_sys::Uint8Array;
use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{ErrorCode, ScoutError};
use crate::core::history::{HistoryEntry, entry_id};
use crate::core::store::{MemoryStore, ResultStore};
use crate::core::vectors::{VectorStore, VectorsKey, VectorsMeta, cap_bytes, plan_eviction};

const DB_NAME: &str = "scout";
pub const DB_VERSION: u32 = 4;
const RESULTS: &str = "results";
const DOWNLOADS: &str = "downloads";
const CHUNKS: &str = "chunks";
const MODELS: &str = "models";
const HISTORY: &str = "history";
const VECTORS: &str = "vectors";
const VECTOR_INDEX: &str = "vector_index";

pub struct IdbStore {
    db: Rexie,
}

fn storage_err(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::StorageFailed, format!("IndexedDB: {e}"))
}

fn key(k: &str) -> JsValue {
    JsValue::from_str(k)
}

/// Every value of an object store that holds JSON strings, parsed; values that do not parse are skipped (a
/// record from a newer or broken version must not hide the others).
async fn all_json<T: serde::de::DeserializeOwned>(store: &rexie::Store) -> Result<Vec<T>, ScoutError> {
    Ok(store
        .get_all(None, None)
        .await
        .map_err(storage_err)?
        .into_iter()
        .filter_map(|v| v.as_string())
        .filter_map(|j| serde_json::from_str(&j).ok())
        .collect())
}

/// Chunk keys sort by index: `model/path#000042`.
pub fn chunk_key(model: &str, path: &str, index: u32) -> String {
    format!("{model}/{path}#{index:06}")
}

impl IdbStore {
    pub async fn open() -> Result<Self, ScoutError> {
        let db = Rexie::builder(DB_NAME)
            .version(DB_VERSION)
            .add_object_store(ObjectStore::new(RESULTS))
            .add_object_store(ObjectStore::new(DOWNLOADS))
            .add_object_store(ObjectStore::new(CHUNKS))
            .add_object_store(ObjectStore::new(MODELS))
            .add_object_store(ObjectStore::new(HISTORY))
            .add_object_store(ObjectStore::new(VECTORS))
            .add_object_store(ObjectStore::new(VECTOR_INDEX))
            .build()
            .await
            .map_err(storage_err)?;
        Ok(IdbStore { db })
    }

    async fn get_string(&self, store: &str, k: &str) -> Result<Option<String>, ScoutError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(storage_err)?;
        let s = tx.store(store).map_err(storage_err)?;
        let v = s.get(key(k)).await.map_err(storage_err)?;
        Ok(v.and_then(|v| v.as_string()))
    }

    async fn put_string(&self, store: &str, k: &str, value: &str) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let s = tx.store(store).map_err(storage_err)?;
        s.put(&JsValue::from_str(value), Some(&key(k)))
            .await
            .map_err(storage_err)?;
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    async fn delete_keys(&self, store: &str, range: KeyRange) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let s = tx.store(store).map_err(storage_err)?;
        for k in s.get_all_keys(Some(range), None).await.map_err(storage_err)? {
            s.delete(k).await.map_err(storage_err)?;
        }
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    /// All keys starting with `prefix`.
    fn prefix_range(prefix: &str) -> Result<KeyRange, ScoutError> {
        KeyRange::bound(
            &key(prefix),
            &key(&format!("{prefix}\u{ffff}")),
            Some(false),
            Some(false),
        )
        .map_err(storage_err)
    }

    pub async fn get_progress(&self, model: &str, path: &str) -> Result<Option<String>, ScoutError> {
        self.get_string(DOWNLOADS, &format!("{model}/{path}")).await
    }

    /// Store a chunk and the progress that includes it in one transaction, so they never disagree.
    pub async fn put_chunk(
        &self,
        model: &str,
        path: &str,
        index: u32,
        bytes: &[u8],
        progress_json: &str,
    ) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[CHUNKS, DOWNLOADS], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let chunks = tx.store(CHUNKS).map_err(storage_err)?;
        chunks
            .put(
                &Uint8Array::from(bytes).into(),
                Some(&key(&chunk_key(model, path, index))),
            )
            .await
            .map_err(storage_err)?;
        let downloads = tx.store(DOWNLOADS).map_err(storage_err)?;
        downloads
            .put(
                &JsValue::from_str(progress_json),
                Some(&key(&format!("{model}/{path}"))),
            )
            .await
            .map_err(storage_err)?;
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    pub async fn put_progress(&self, model: &str, path: &str, progress_json: &str) -> Result<(), ScoutError> {
        self.put_string(DOWNLOADS, &format!("{model}/{path}"), progress_json)
            .await
    }

    /// The first `count` chunks of a file, in one read (one transaction, `getAll` over the file's key range: a
    /// 139 MB model is 34 chunks, read one transaction each before).
    pub async fn get_chunks(&self, model: &str, path: &str, count: u32) -> Result<Vec<Uint8Array>, ScoutError> {
        let tx = self
            .db
            .transaction(&[CHUNKS], TransactionMode::ReadOnly)
            .map_err(storage_err)?;
        let s = tx.store(CHUNKS).map_err(storage_err)?;
        let range = KeyRange::bound(
            &key(&chunk_key(model, path, 0)),
            &key(&chunk_key(model, path, count.saturating_sub(1))),
            Some(false),
            Some(false),
        )
        .map_err(storage_err)?;
        let values = s.get_all(Some(range), None).await.map_err(storage_err)?;
        if values.len() != count as usize {
            return Err(storage_err(format!(
                "{model}/{path} has {} of its {count} chunks",
                values.len()
            )));
        }
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.dyn_into::<Uint8Array>()
                    .map_err(|_| storage_err(format!("chunk {i} of {model}/{path} is not bytes")))
            })
            .collect()
    }

    pub async fn get_chunk(&self, model: &str, path: &str, index: u32) -> Result<Uint8Array, ScoutError> {
        let tx = self
            .db
            .transaction(&[CHUNKS], TransactionMode::ReadOnly)
            .map_err(storage_err)?;
        let s = tx.store(CHUNKS).map_err(storage_err)?;
        let v = s.get(key(&chunk_key(model, path, index))).await.map_err(storage_err)?;
        v.and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .ok_or_else(|| storage_err(format!("chunk {index} of {model}/{path} is missing")))
    }

    /// Forget a file's bytes and progress.
    pub async fn delete_file(&self, model: &str, path: &str) -> Result<(), ScoutError> {
        self.delete_keys(CHUNKS, Self::prefix_range(&format!("{model}/{path}#"))?)
            .await?;
        let exact = KeyRange::only(&key(&format!("{model}/{path}"))).map_err(storage_err)?;
        self.delete_keys(DOWNLOADS, exact).await
    }

    /// Forget everything of a model: chunks, progress, ready record.
    pub async fn delete_model(&self, model: &str) -> Result<(), ScoutError> {
        let prefix = format!("{model}/");
        self.delete_keys(CHUNKS, Self::prefix_range(&prefix)?).await?;
        self.delete_keys(DOWNLOADS, Self::prefix_range(&prefix)?).await?;
        let tx = self
            .db
            .transaction(&[MODELS], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        tx.store(MODELS)
            .map_err(storage_err)?
            .delete(key(model))
            .await
            .map_err(storage_err)?;
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    pub async fn put_model_record(&self, model: &str, record_json: &str) -> Result<(), ScoutError> {
        self.put_string(MODELS, model, record_json).await
    }

    pub async fn model_record(&self, model: &str) -> Result<Option<String>, ScoutError> {
        self.get_string(MODELS, model).await
    }
}

impl IdbStore {
    pub async fn put_history(&self, entry: &HistoryEntry) -> Result<(), ScoutError> {
        let json = serde_json::to_string(entry).map_err(storage_err)?;
        self.put_string(HISTORY, &entry.id, &json).await
    }

    pub async fn put_history_many(&self, entries: &[HistoryEntry]) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[HISTORY], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let s = tx.store(HISTORY).map_err(storage_err)?;
        for e in entries {
            let json = serde_json::to_string(e).map_err(storage_err)?;
            s.put(&JsValue::from_str(&json), Some(&key(&e.id)))
                .await
                .map_err(storage_err)?;
        }
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    /// All entries, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, ScoutError> {
        let tx = self
            .db
            .transaction(&[HISTORY], TransactionMode::ReadOnly)
            .map_err(storage_err)?;
        let s = tx.store(HISTORY).map_err(storage_err)?;
        let mut out: Vec<HistoryEntry> = all_json(&s).await?;
        out.reverse();
        Ok(out)
    }

    pub async fn delete_history(&self, id: &str) -> Result<(), ScoutError> {
        self.delete_keys(HISTORY, KeyRange::only(&key(id)).map_err(storage_err)?)
            .await
    }

    pub async fn clear_history(&self) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[HISTORY], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        tx.store(HISTORY)
            .map_err(storage_err)?
            .clear()
            .await
            .map_err(storage_err)?;
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }

    /// Delete entries created before `cutoff_ms` (ids sort by time).
    pub async fn prune_history(&self, cutoff_ms: f64) -> Result<(), ScoutError> {
        let upper = entry_id(cutoff_ms, "");
        let range = KeyRange::upper_bound(&key(&upper), Some(true)).map_err(storage_err)?;
        self.delete_keys(HISTORY, range).await
    }
}

impl ResultStore for IdbStore {
    async fn get(&self, k: &str) -> Result<Option<String>, ScoutError> {
        self.get_string(RESULTS, k).await
    }

    async fn put(&self, k: &str, value: &str) -> Result<(), ScoutError> {
        self.put_string(RESULTS, k, value).await
    }
}

impl VectorStore for IdbStore {
    async fn load_vectors(&self, k: &VectorsKey) -> Result<Option<Vec<u8>>, ScoutError> {
        let id = k.id();
        let tx = self
            .db
            .transaction(&[VECTORS, VECTOR_INDEX], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let bytes = tx
            .store(VECTORS)
            .map_err(storage_err)?
            .get(key(&id))
            .await
            .map_err(storage_err)?
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|a| a.to_vec());
        if bytes.is_some() {
            // Mark it used, so eviction takes the least recently used records first.
            let index = tx.store(VECTOR_INDEX).map_err(storage_err)?;
            let meta = index
                .get(key(&id))
                .await
                .map_err(storage_err)?
                .and_then(|v| v.as_string())
                .and_then(|j| serde_json::from_str::<VectorsMeta>(&j).ok());
            if let Some(mut meta) = meta {
                meta.used_ms = js_sys::Date::now();
                let json = serde_json::to_string(&meta).map_err(storage_err)?;
                index
                    .put(&JsValue::from_str(&json), Some(&key(&id)))
                    .await
                    .map_err(storage_err)?;
            }
        }
        tx.done().await.map_err(storage_err)?;
        Ok(bytes)
    }

    async fn save_vectors(&self, k: &VectorsKey, bytes: Vec<u8>) -> Result<(), ScoutError> {
        let free = super::download::estimate()
            .await
            .ok()
            .filter(|(_, quota)| *quota > 0.0)
            .map(|(usage, quota)| (quota - usage).max(0.0));
        let incoming = VectorsMeta::new(k, bytes.len() as u64, js_sys::Date::now());
        let tx = self
            .db
            .transaction(&[VECTORS, VECTOR_INDEX], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let index = tx.store(VECTOR_INDEX).map_err(storage_err)?;
        let vectors = tx.store(VECTORS).map_err(storage_err)?;
        let existing: Vec<VectorsMeta> = all_json(&index).await?;
        let plan = plan_eviction(&existing, &incoming, cap_bytes(free));
        for id in &plan.evict {
            vectors.delete(key(id)).await.map_err(storage_err)?;
            index.delete(key(id)).await.map_err(storage_err)?;
        }
        if plan.store {
            let json = serde_json::to_string(&incoming).map_err(storage_err)?;
            vectors
                .put(&Uint8Array::from(bytes.as_slice()).into(), Some(&key(&incoming.id)))
                .await
                .map_err(storage_err)?;
            index
                .put(&JsValue::from_str(&json), Some(&key(&incoming.id)))
                .await
                .map_err(storage_err)?;
        }
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }
}

/// Where a request's results and page vectors go: IndexedDB, or memory when IndexedDB cannot be opened (e.g. a
/// profile that blocks it) — the answer still comes, only uncached.
pub enum RequestStore {
    Idb(std::rc::Rc<IdbStore>),
    Memory(MemoryStore),
}

impl ResultStore for RequestStore {
    async fn get(&self, k: &str) -> Result<Option<String>, ScoutError> {
        match self {
            RequestStore::Idb(s) => s.get(k).await,
            RequestStore::Memory(s) => s.get(k).await,
        }
    }

    async fn put(&self, k: &str, value: &str) -> Result<(), ScoutError> {
        match self {
            RequestStore::Idb(s) => s.put(k, value).await,
            RequestStore::Memory(s) => s.put(k, value).await,
        }
    }
}

impl VectorStore for RequestStore {
    async fn load_vectors(&self, k: &VectorsKey) -> Result<Option<Vec<u8>>, ScoutError> {
        match self {
            RequestStore::Idb(s) => s.load_vectors(k).await,
            RequestStore::Memory(s) => s.load_vectors(k).await,
        }
    }

    async fn save_vectors(&self, k: &VectorsKey, bytes: Vec<u8>) -> Result<(), ScoutError> {
        match self {
            RequestStore::Idb(s) => s.save_vectors(k, bytes).await,
            RequestStore::Memory(s) => s.save_vectors(k, bytes).await,
        }
    }
}
