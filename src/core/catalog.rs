//! The model catalog, validated by `build.rs` and embedded at compile time.

use serde::{Deserialize, Serialize};

use super::embed::TextPrefixes;
use super::error::{ErrorCode, ScoutError};

const CATALOG_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.json"));

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    pub version: u32,
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelEntry {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub tasks: Vec<Task>,
    pub repo: String,
    pub revision: String,
    pub license: String,
    #[serde(default)]
    pub bundled: bool,
    /// False when sizes/hashes were not checked against real files (shown to the user).
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub dims: Option<usize>,
    #[serde(default)]
    pub max_tokens: Option<usize>,
    #[serde(default)]
    pub context_length: Option<usize>,
    /// What a device needs to run the model well (shown to the user; the recommendation reads it).
    #[serde(default)]
    pub requires: Requirements,
    /// An embedder that reads many languages: Scout uses it for pages and questions that are not in English.
    #[serde(default)]
    pub multilingual: bool,
    /// What an embedder was trained to see before passages and questions (e5: "passage: ", "query: ").
    #[serde(default, skip_serializing_if = "TextPrefixes::is_empty")]
    pub prefixes: TextPrefixes,
    /// Retrieval scoring calibrated for this embedder (None: the defaults, calibrated for the bundled MiniLM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<RetrievalCalibration>,
    pub files: Vec<ModelFile>,
}

/// How an embedder's question–passage scores are read: its cosines have their own scale (multilingual-e5's sit
/// at 0.7–0.9 where MiniLM's spread over 0–0.8), so the fusion weight and the answer thresholds are per model,
/// calibrated on the question sets of `tests/t1_retrieval.rs`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct RetrievalCalibration {
    /// Weight of the cosine against BM25 coverage (1: cosine only).
    pub alpha: f32,
    /// Best score from which the top passages are given as answers.
    pub threshold: f32,
    /// Best score below which the page is taken not to answer.
    pub floor: f32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Requirements {
    /// A hardware WebGPU adapter (not a software fallback).
    #[serde(default)]
    pub webgpu: bool,
    /// The `shader-f16` WebGPU feature (fp16 weights, e.g. q4f16 variants).
    #[serde(default)]
    pub shader_f16: bool,
    /// `navigator.deviceMemory` at least this (GB; browsers report at most 8).
    #[serde(default)]
    pub min_memory_gb: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Embed,
    Generate,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelFile {
    pub role: String,
    pub path: String,
    #[serde(default)]
    pub bundle_path: Option<String>,
    pub size: u64,
    /// None only in unverified entries, whose downloads are checked against the hashes the hub declares.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl ModelEntry {
    pub fn file(&self, role: &str) -> Option<&ModelFile> {
        self.files.iter().find(|f| f.role == role)
    }

    /// What stored embeddings of this model must match: id, revision, the model file's hash (a rebuilt file with the
    /// same revision, like the bundled embedder, gives other vectors) and the truncation they were made with.
    /// What a stored vector made by this model's graph `role` ("model", or "model_webgpu": the same weights in a
    /// graph for the GPU, whose vectors differ in the third decimal) and truncation must match to be reused.
    pub fn vector_tag(&self, role: &str, max_tokens: usize) -> String {
        let weights = self
            .file(role)
            .and_then(|f| f.sha256.as_deref())
            .map(|sha| sha.get(..12).unwrap_or(sha))
            .unwrap_or("unhashed");
        format!("{}@{}:{weights}/t{max_tokens}", self.id, self.revision)
    }

    /// The bytes the model takes on the device: every file of a downloaded one, the shipped files of a bundled one.
    pub fn total_size(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| !self.bundled || f.bundle_path.is_some())
            .map(|f| f.size)
            .sum()
    }
}

impl Catalog {
    /// The catalog compiled into this build. `build.rs` has validated it, so parsing cannot fail on a built crate;
    /// an empty catalog is returned if it somehow does.
    pub fn builtin() -> Catalog {
        serde_json::from_str(CATALOG_JSON).unwrap_or(Catalog {
            version: 1,
            models: Vec::new(),
        })
    }

    /// The built-in catalog plus the models of `extra_json` (a catalog file a build adds, such as the test build's
    /// large synthetic model), checked by the same rules as the built-in one; ids must not collide.
    pub fn with_extra(extra_json: &str) -> Result<Catalog, ScoutError> {
        let bad = |m: String| ScoutError::new(ErrorCode::BadRequest, format!("extra catalog: {m}"));
        let extra: serde_json::Value = serde_json::from_str(extra_json).map_err(|e| bad(e.to_string()))?;
        let models = extra["models"].as_array().ok_or_else(|| bad("no models list".into()))?;
        let mut catalog = Catalog::builtin();
        let mut all: Vec<serde_json::Value> = catalog
            .models
            .iter()
            .filter_map(|m| serde_json::to_value(m).ok())
            .collect();
        all.extend(models.iter().cloned());
        super::catalog_rules::validate_models(&all).map_err(bad)?;
        for m in models {
            catalog
                .models
                .push(serde_json::from_value(m.clone()).map_err(|e| bad(e.to_string()))?);
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The embedder shipped inside the extension (build.rs guarantees exactly one).
    pub fn bundled_embedder(&self) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.bundled && m.tasks.contains(&Task::Embed))
    }

    /// The downloadable embedder for pages and questions that are not in English (the first one listed).
    pub fn multilingual_embedder(&self) -> Option<&ModelEntry> {
        self.models
            .iter()
            .find(|m| m.multilingual && !m.bundled && m.tasks.contains(&Task::Embed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_has_the_bundled_embedder() {
        let c = Catalog::builtin();
        assert!(c.models.len() >= 2);
        let e = c.bundled_embedder().expect("bundled embedder");
        assert_eq!(e.dims, Some(384));
        // The ONNX graph is made at setup for native tools and peers but not shipped: the extension runs Scout's
        // int8 encoder on the CPU and the WebGPU graph on a GPU.
        let model = e.file("model").expect("model file");
        assert_eq!(model.size, 22_850_126);
        assert_eq!(model.bundle_path, None);
        assert!(
            e.file("model_int8")
                .and_then(|f| f.bundle_path.as_deref())
                .is_some_and(|p| p.ends_with(".bin"))
        );
        // The float-activation graph is built at setup for the GPU peers; the extension's GPU encoder reads
        // `model_int8`, so the graph is not shipped.
        assert_eq!(e.file("model_webgpu").and_then(|f| f.bundle_path.as_deref()), None);
        assert!(e.file("tokenizer").is_some());
        assert_eq!(
            e.total_size(),
            e.files
                .iter()
                .filter(|f| f.role != "model" && f.role != "model_webgpu")
                .map(|f| f.size)
                .sum::<u64>()
        );
    }

    #[test]
    fn the_vector_tag_changes_with_the_weights() {
        let e = Catalog::builtin()
            .bundled_embedder()
            .cloned()
            .expect("bundled embedder");
        let tag = e.vector_tag("model", 256);
        assert!(tag.starts_with("all-minilm-l6-v2-int8@main:fa538be8177d/"), "{tag}");
        let mut rebuilt = e.clone();
        for f in &mut rebuilt.files {
            if f.role == "model" {
                f.sha256 = Some("0".repeat(64));
            }
        }
        assert_ne!(rebuilt.vector_tag("model", 256), tag);
        assert_ne!(e.vector_tag("model", 128), tag);
        assert_ne!(
            e.vector_tag("model_webgpu", 256),
            tag,
            "the GPU graph's vectors are not the WASM graph's"
        );
    }

    #[test]
    fn every_generate_model_has_a_tokenizer() {
        for m in Catalog::builtin().models {
            if m.tasks.contains(&Task::Generate) {
                assert!(m.file("tokenizer").is_some(), "{}", m.id);
                assert!(m.context_length.is_some(), "{}", m.id);
            }
        }
    }

    fn extra(models: &str) -> String {
        format!(r#"{{"version":1,"models":[{models}]}}"#)
    }

    const BIG: &str = r#"{"id":"test-big","display_name":"Big test file","description":"d","tasks":["generate"],
        "repo":"scout-test/big","revision":"main","license":"CC0-1.0","verified":true,
        "files":[{"role":"model","path":"model.bin","size":500000000,
        "sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#;

    #[test]
    fn an_extra_catalog_is_checked_by_the_same_rules() {
        let c = Catalog::with_extra(&extra(BIG)).expect("valid extra");
        assert_eq!(c.models.len(), Catalog::builtin().models.len() + 1);
        assert_eq!(c.get("test-big").map(|m| m.total_size()), Some(500_000_000));
        let dup = BIG.replace("test-big", "smollm2-135m-instruct-int8");
        assert!(
            Catalog::with_extra(&extra(&dup))
                .unwrap_err()
                .message
                .contains("duplicate")
        );
        let bad_hash = BIG.replace(
            "0000000000000000000000000000000000000000000000000000000000000000",
            "xyz",
        );
        assert!(
            Catalog::with_extra(&extra(&bad_hash))
                .unwrap_err()
                .message
                .contains("sha256")
        );
        let no_hash_verified = BIG.replace(
            r#""sha256":"0000000000000000000000000000000000000000000000000000000000000000""#,
            r#""note":"no hash""#,
        );
        assert!(Catalog::with_extra(&extra(&no_hash_verified)).is_err());
        let unverified = no_hash_verified.replace(r#""verified":true"#, r#""verified":false"#);
        let c = Catalog::with_extra(&extra(&unverified)).expect("unverified entries may lack hashes");
        assert_eq!(
            c.get("test-big")
                .and_then(|m| m.file("model"))
                .and_then(|f| f.sha256.clone()),
            None
        );
        assert!(Catalog::with_extra("not json").is_err());
    }

    #[test]
    fn the_multilingual_embedder_carries_its_prefixes_and_calibration() {
        let c = Catalog::builtin();
        let m = c.multilingual_embedder().expect("a multilingual embedder");
        assert!(m.tasks.contains(&Task::Embed) && !m.bundled);
        assert_eq!(m.prefixes.query, "query: ");
        assert_eq!(m.prefixes.passage, "passage: ");
        let r = m.retrieval.expect("its own calibration");
        assert!(r.floor <= r.threshold && (0.0..=1.0).contains(&r.alpha));
        let bundled = c.bundled_embedder().expect("bundled");
        assert!(bundled.prefixes.is_empty() && bundled.retrieval.is_none() && !bundled.multilingual);

        let embedder = BIG.replace(r#""tasks":["generate"]"#, r#""tasks":["embed"],"multilingual":true"#);
        let with = |field: &str| embedder.replace(r#""files""#, &format!(r#"{field},"files""#));
        let ok = with(r#""retrieval":{"alpha":1.0,"threshold":0.83,"floor":0.78}"#);
        assert!(Catalog::with_extra(&extra(&ok)).is_ok());
        for bad in [
            r#""retrieval":{"alpha":1.0,"threshold":0.7,"floor":0.78}"#,
            r#""retrieval":{"alpha":1.5,"threshold":0.83,"floor":0.78}"#,
            r#""prefixes":{"document":"passage: "}"#,
        ] {
            assert!(Catalog::with_extra(&extra(&with(bad))).is_err(), "{bad}");
        }
        let llm = BIG.replace(r#""files""#, r#""multilingual":true,"files""#);
        assert!(
            Catalog::with_extra(&extra(&llm)).is_err(),
            "only embedders are multilingual"
        );
    }

    #[test]
    fn unverified_entries_say_so_and_state_their_needs() {
        for m in Catalog::builtin().models {
            let hashed = m.files.iter().all(|f| f.sha256.is_some());
            assert!(m.verified <= hashed, "{}: verified entries have every hash", m.id);
            if !m.verified {
                assert!(m.requires.webgpu || m.requires.min_memory_gb.is_some(), "{}", m.id);
            }
        }
    }
}
