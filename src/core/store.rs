//! Where results are kept between requests: a trait so the core tests with an in-memory store and the browser
//! uses IndexedDB.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::error::ScoutError;
use super::vectors::{DEFAULT_CAP_BYTES, VectorStore, VectorsKey, VectorsMeta, plan_eviction};

#[allow(async_fn_in_trait)]
pub trait ResultStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ScoutError>;
    async fn put(&self, key: &str, value: &str) -> Result<(), ScoutError>;
}

/// Milliseconds from some fixed origin; `performance.now()` in the browser, `Instant` natively.
pub trait Clock {
    fn now_ms(&self) -> f64;
}

pub struct MemoryStore {
    map: RefCell<HashMap<String, String>>,
    vectors: RefCell<HashMap<String, (VectorsMeta, Vec<u8>)>>,
    /// Stands in for wall-clock time: one tick per vector store operation.
    tick: Cell<f64>,
    pub vector_cap_bytes: Cell<u64>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            map: RefCell::default(),
            vectors: RefCell::default(),
            tick: Cell::new(0.0),
            vector_cap_bytes: Cell::new(DEFAULT_CAP_BYTES),
        }
    }
}

impl MemoryStore {
    fn now(&self) -> f64 {
        self.tick.set(self.tick.get() + 1.0);
        self.tick.get()
    }

    /// Ids of the stored vector records.
    pub fn vector_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.vectors.borrow().keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn len(&self) -> usize {
        self.map.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.borrow().is_empty()
    }
}

impl ResultStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ScoutError> {
        Ok(self.map.borrow().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), ScoutError> {
        self.map.borrow_mut().insert(key.to_string(), value.to_string());
        Ok(())
    }
}

impl VectorStore for MemoryStore {
    async fn load_vectors(&self, key: &VectorsKey) -> Result<Option<Vec<u8>>, ScoutError> {
        let now = self.now();
        Ok(self.vectors.borrow_mut().get_mut(&key.id()).map(|(meta, bytes)| {
            meta.used_ms = now;
            bytes.clone()
        }))
    }

    async fn save_vectors(&self, key: &VectorsKey, bytes: Vec<u8>) -> Result<(), ScoutError> {
        let incoming = VectorsMeta::new(key, bytes.len() as u64, self.now());
        let mut map = self.vectors.borrow_mut();
        let existing: Vec<VectorsMeta> = map.values().map(|(m, _)| m.clone()).collect();
        let plan = plan_eviction(&existing, &incoming, self.vector_cap_bytes.get());
        for id in &plan.evict {
            map.remove(id);
        }
        if plan.store {
            map.insert(incoming.id.clone(), (incoming, bytes));
        }
        Ok(())
    }
}

/// The key a summary is stored under: the page, its content and everything that changes the answer.
pub fn summary_key(url: &str, content_hash: &str, options_key: &str) -> String {
    format!("summary|{url}|{content_hash}|{options_key}")
}
