//! Embeddings kept between sessions, one record per page: (URL, content hash, model tag) → every vector the
//! model computed for that page's texts. A summary, a classification and the questions about a page after a
//! restart then cost no model run. A record whose page content changed is evicted when the new one is saved, and
//! all records together stay under a cap that shrinks when the disk is nearly full.
//!
//! The record format is binary and versioned: `SCV1`, dims (u32 LE), count (u32 LE), then per vector the text key
//! (u64 LE) and `dims` f32 LE. A record that does not parse is ignored (recomputed), never trusted.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::ScoutError;

/// Records together stay under this many bytes (when the disk has room).
pub const DEFAULT_CAP_BYTES: u64 = 64 * 1024 * 1024;

const MAGIC: &[u8; 4] = b"SCV1";
const HEADER: usize = 12;

/// The key of a text in the embedding caches: 64-bit FNV-1a of its bytes. Collisions between the few thousand
/// texts of a cache are vanishingly unlikely (≈ n²/2⁶⁵).
pub fn text_key(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorsKey {
    pub url: String,
    pub content_hash: String,
    /// Model id, revision and tokenizer settings: anything that changes a vector.
    pub model: String,
}

impl VectorsKey {
    pub fn id(&self) -> String {
        format!("{}|{}|{}", self.model, self.url, self.content_hash)
    }
}

/// What the store keeps about a record besides its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorsMeta {
    pub id: String,
    pub url: String,
    pub model: String,
    pub content_hash: String,
    pub bytes: u64,
    /// Wall-clock milliseconds of the last save or load (least recently used records go first).
    pub used_ms: f64,
}

impl VectorsMeta {
    pub fn new(key: &VectorsKey, bytes: u64, used_ms: f64) -> Self {
        VectorsMeta {
            id: key.id(),
            url: key.url.clone(),
            model: key.model.clone(),
            content_hash: key.content_hash.clone(),
            bytes,
            used_ms,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvictionPlan {
    /// Ids of records to delete.
    pub evict: Vec<String>,
    /// False when the incoming record alone is over the cap: it is not stored.
    pub store: bool,
}

/// Which records go when `incoming` is saved: the same page's records of older content (same URL and model,
/// another hash), then the least recently used until everything fits under `cap_bytes`.
pub fn plan_eviction(existing: &[VectorsMeta], incoming: &VectorsMeta, cap_bytes: u64) -> EvictionPlan {
    if incoming.bytes > cap_bytes {
        return EvictionPlan {
            evict: Vec::new(),
            store: false,
        };
    }
    let mut evict = Vec::new();
    let mut kept: Vec<&VectorsMeta> = Vec::new();
    for m in existing {
        if m.id == incoming.id {
            continue; // replaced in place
        }
        if m.url == incoming.url && m.model == incoming.model {
            evict.push(m.id.clone());
        } else {
            kept.push(m);
        }
    }
    kept.sort_by(|a, b| a.used_ms.total_cmp(&b.used_ms));
    let mut total: u64 = kept.iter().map(|m| m.bytes).sum::<u64>() + incoming.bytes;
    for m in kept {
        if total <= cap_bytes {
            break;
        }
        total -= m.bytes;
        evict.push(m.id.clone());
    }
    EvictionPlan { evict, store: true }
}

/// The cap for the records: the default, or a tenth of the free space when that is smaller.
pub fn cap_bytes(free_bytes: Option<f64>) -> u64 {
    match free_bytes {
        Some(free) if free.is_finite() && free >= 0.0 => DEFAULT_CAP_BYTES.min((free / 10.0) as u64),
        _ => DEFAULT_CAP_BYTES,
    }
}

/// Where page records live: IndexedDB in the browser, memory in tests.
#[allow(async_fn_in_trait)]
pub trait VectorStore {
    async fn load_vectors(&self, key: &VectorsKey) -> Result<Option<Vec<u8>>, ScoutError>;
    /// Save a record, evicting others by [`plan_eviction`].
    async fn save_vectors(&self, key: &VectorsKey, bytes: Vec<u8>) -> Result<(), ScoutError>;
}

/// The vectors of one page while a request works on it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageVectors {
    pub key: VectorsKey,
    pub dims: usize,
    map: HashMap<u64, Vec<f32>>,
    /// Vectors added since the record was loaded (0: nothing to save).
    added: usize,
    /// Vectors that came from the stored record and were used.
    reused: usize,
}

impl PageVectors {
    pub fn new(key: VectorsKey, dims: usize) -> Self {
        PageVectors {
            key,
            dims,
            map: HashMap::new(),
            added: 0,
            reused: 0,
        }
    }

    pub fn get(&mut self, text: u64) -> Option<Vec<f32>> {
        let v = self.map.get(&text).cloned();
        if v.is_some() {
            self.reused += 1;
        }
        v
    }

    pub fn put(&mut self, text: u64, v: &[f32]) {
        if v.len() == self.dims && !self.map.contains_key(&text) {
            self.map.insert(text, v.to_vec());
            self.added += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn added(&self) -> usize {
        self.added
    }

    pub fn reused(&self) -> usize {
        self.reused
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.map.len() * (8 + 4 * self.dims));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        out.extend_from_slice(&(self.map.len() as u32).to_le_bytes());
        // Sorted, so equal contents give equal bytes.
        let mut keys: Vec<&u64> = self.map.keys().collect();
        keys.sort_unstable();
        for k in keys {
            out.extend_from_slice(&k.to_le_bytes());
            for x in &self.map[k] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Parse a record; `None` if it is not a whole record of `dims`-dimensional finite vectors.
    pub fn decode(key: VectorsKey, dims: usize, bytes: &[u8]) -> Option<Self> {
        let header = bytes.get(..HEADER)?;
        if &header[..4] != MAGIC {
            return None;
        }
        let stored_dims = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
        let count = u32::from_le_bytes(header[8..12].try_into().ok()?) as usize;
        let entry = 8 + 4 * dims;
        if stored_dims != dims || dims == 0 || bytes.len() != HEADER + count.checked_mul(entry)? {
            return None;
        }
        let mut map = HashMap::with_capacity(count);
        for rec in bytes[HEADER..].chunks_exact(entry) {
            let k = u64::from_le_bytes(rec[..8].try_into().ok()?);
            let v: Vec<f32> = rec[8..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if v.iter().any(|x| !x.is_finite()) {
                return None;
            }
            map.insert(k, v);
        }
        Some(PageVectors {
            key,
            dims,
            map,
            added: 0,
            reused: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str, hash: &str) -> VectorsKey {
        VectorsKey {
            url: url.into(),
            content_hash: hash.into(),
            model: "m@1".into(),
        }
    }

    fn meta(url: &str, hash: &str, bytes: u64, used: f64) -> VectorsMeta {
        VectorsMeta::new(&key(url, hash), bytes, used)
    }

    #[test]
    fn records_round_trip_and_reject_damage() {
        let mut pv = PageVectors::new(key("u", "h"), 3);
        pv.put(text_key("a"), &[1.0, 0.0, 0.5]);
        pv.put(text_key("b"), &[0.0, -1.0, 0.25]);
        pv.put(text_key("c"), &[1.0]); // wrong size: ignored
        assert_eq!(pv.added(), 2);
        let bytes = pv.encode();
        assert_eq!(bytes.len(), HEADER + 2 * (8 + 12));
        let mut back = PageVectors::decode(key("u", "h"), 3, &bytes).expect("valid record");
        assert_eq!(back.len(), 2);
        assert_eq!(back.added(), 0);
        assert_eq!(back.get(text_key("b")), Some(vec![0.0, -1.0, 0.25]));
        assert_eq!(back.reused(), 1);
        assert!(PageVectors::decode(key("u", "h"), 4, &bytes).is_none(), "other dims");
        assert!(
            PageVectors::decode(key("u", "h"), 3, &bytes[..bytes.len() - 1]).is_none(),
            "truncated"
        );
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(PageVectors::decode(key("u", "h"), 3, &bad).is_none(), "magic");
        let mut nan = bytes.clone();
        let at = HEADER + 8;
        nan[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(PageVectors::decode(key("u", "h"), 3, &nan).is_none(), "non-finite");
        assert!(PageVectors::decode(key("u", "h"), 3, b"").is_none());
        assert_eq!(
            pv.encode(),
            PageVectors::decode(key("u", "h"), 3, &bytes).unwrap().encode()
        );
    }

    #[test]
    fn changed_content_evicts_the_old_record_of_the_page() {
        let existing = vec![meta("a", "h1", 10, 1.0), meta("b", "h1", 10, 2.0)];
        let plan = plan_eviction(&existing, &meta("a", "h2", 10, 3.0), 1000);
        assert_eq!(plan.evict, vec![key("a", "h1").id()]);
        assert!(plan.store);
        // Saving the same record again replaces it: nothing evicted.
        let plan = plan_eviction(&existing, &meta("a", "h1", 10, 3.0), 1000);
        assert!(plan.evict.is_empty());
    }

    #[test]
    fn least_recently_used_go_first_until_under_the_cap() {
        let existing = vec![
            meta("a", "h", 40, 3.0),
            meta("b", "h", 40, 1.0),
            meta("c", "h", 40, 2.0),
        ];
        let plan = plan_eviction(&existing, &meta("d", "h", 40, 4.0), 100);
        assert_eq!(plan.evict, vec![key("b", "h").id(), key("c", "h").id()]);
        let plan = plan_eviction(&existing, &meta("d", "h", 500, 4.0), 100);
        assert!(
            !plan.store && plan.evict.is_empty(),
            "a record over the cap is not stored"
        );
    }

    #[test]
    fn cap_shrinks_with_free_space() {
        assert_eq!(cap_bytes(None), DEFAULT_CAP_BYTES);
        assert_eq!(cap_bytes(Some(1e12)), DEFAULT_CAP_BYTES);
        assert_eq!(cap_bytes(Some(1e8)), 10_000_000);
        assert_eq!(cap_bytes(Some(f64::NAN)), DEFAULT_CAP_BYTES);
    }

    #[test]
    fn text_keys_differ() {
        assert_ne!(text_key("a"), text_key("b"));
        assert_eq!(text_key("same"), text_key("same"));
    }
}
