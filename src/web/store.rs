//! IndexedDB result store (rexie), behind the core's `ResultStore` trait.

use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

use crate::core::error::{ErrorCode, ScoutError};
use crate::core::store::ResultStore;

const DB_NAME: &str = "scout";
const DB_VERSION: u32 = 1;
const RESULTS: &str = "results";

pub struct IdbStore {
    db: Rexie,
}

fn storage_err(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::StorageFailed, format!("IndexedDB: {e}"))
}

impl IdbStore {
    pub async fn open() -> Result<Self, ScoutError> {
        let db = Rexie::builder(DB_NAME)
            .version(DB_VERSION)
            .add_object_store(ObjectStore::new(RESULTS))
            .build()
            .await
            .map_err(storage_err)?;
        Ok(IdbStore { db })
    }
}

impl ResultStore for IdbStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ScoutError> {
        let tx = self
            .db
            .transaction(&[RESULTS], TransactionMode::ReadOnly)
            .map_err(storage_err)?;
        let store = tx.store(RESULTS).map_err(storage_err)?;
        let v = store.get(JsValue::from_str(key)).await.map_err(storage_err)?;
        Ok(v.and_then(|v| v.as_string()))
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), ScoutError> {
        let tx = self
            .db
            .transaction(&[RESULTS], TransactionMode::ReadWrite)
            .map_err(storage_err)?;
        let store = tx.store(RESULTS).map_err(storage_err)?;
        store
            .put(&JsValue::from_str(value), Some(&JsValue::from_str(key)))
            .await
            .map_err(storage_err)?;
        tx.done().await.map_err(storage_err)?;
        Ok(())
    }
}
