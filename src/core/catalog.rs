//! The model catalog, validated by `build.rs` and embedded at compile time.

use serde::{Deserialize, Serialize};

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
    pub files: Vec<ModelFile>,
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
    pub sha256: String,
}

impl ModelEntry {
    pub fn file(&self, role: &str) -> Option<&ModelFile> {
        self.files.iter().find(|f| f.role == role)
    }

    /// What stored embeddings of this model must match: id, revision and the truncation they were made with.
    pub fn vector_tag(&self, max_tokens: usize) -> String {
        format!("{}@{}/t{max_tokens}", self.id, self.revision)
    }

    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
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

    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The embedder shipped inside the extension (build.rs guarantees exactly one).
    pub fn bundled_embedder(&self) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.bundled && m.tasks.contains(&Task::Embed))
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
        let model = e.file("model").expect("model file");
        assert_eq!(model.size, 22_928_619);
        assert!(model.bundle_path.as_deref().unwrap_or("").ends_with(".onnx"));
        assert!(e.file("tokenizer").is_some());
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
}
