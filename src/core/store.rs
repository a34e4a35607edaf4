//! Where results are kept between requests: a trait so the core tests with an in-memory store and the browser
//! uses IndexedDB.

use std::cell::RefCell;
use std::collections::HashMap;

use super::error::ScoutError;

#[allow(async_fn_in_trait)]
pub trait ResultStore {
    async fn get(&self, key: &str) -> Result<Option<String>, ScoutError>;
    async fn put(&self, key: &str, value: &str) -> Result<(), ScoutError>;
}

/// Milliseconds from some fixed origin; `performance.now()` in the browser, `Instant` natively.
pub trait Clock {
    fn now_ms(&self) -> f64;
}

#[derive(Default)]
pub struct MemoryStore {
    map: RefCell<HashMap<String, String>>,
}

impl MemoryStore {
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

/// The key a summary is stored under: the page, its content and everything that changes the answer.
pub fn summary_key(url: &str, content_hash: &str, options_key: &str) -> String {
    format!("summary|{url}|{content_hash}|{options_key}")
}
