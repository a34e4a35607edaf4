//! Validates the model catalog in `assets/models.json` and embeds a normalized copy into the crate.
//!
//! A catalog mistake (a bad hash, a missing file, two models with one id) fails the build instead of failing a user's
//! download later.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize)]
struct Catalog {
    version: u32,
    models: Vec<serde_json::Value>,
}

fn fail(msg: String) -> ! {
    panic!("assets/models.json: {msg}");
}

fn main() {
    println!("cargo:rerun-if-changed=assets/models.json");
    println!("cargo:rerun-if-changed=build.rs");
    let src = std::fs::read_to_string("assets/models.json").unwrap_or_else(|e| fail(format!("cannot read: {e}")));
    let catalog: Catalog = serde_json::from_str(&src).unwrap_or_else(|e| fail(format!("not valid JSON: {e}")));
    if catalog.version != 1 {
        fail(format!("unsupported catalog version {}", catalog.version));
    }
    let mut ids = HashSet::new();
    let mut bundled_embedders = 0;
    for m in &catalog.models {
        let id = str_field(m, "id", "?");
        if !ids.insert(id.to_string()) {
            fail(format!("duplicate model id {id}"));
        }
        for key in ["display_name", "description", "repo", "revision", "license"] {
            str_field(m, key, id);
        }
        let tasks = m["tasks"]
            .as_array()
            .unwrap_or_else(|| fail(format!("{id}: tasks must be a list")));
        if tasks.is_empty() || tasks.iter().any(|t| !matches!(t.as_str(), Some("embed" | "generate"))) {
            fail(format!(
                "{id}: tasks must be a non-empty list of \"embed\"/\"generate\""
            ));
        }
        let bundled = m["bundled"].as_bool().unwrap_or(false);
        let files = m["files"]
            .as_array()
            .unwrap_or_else(|| fail(format!("{id}: files must be a list")));
        if !files.iter().any(|f| f["role"] == "model") {
            fail(format!("{id}: no file with role \"model\""));
        }
        for f in files {
            let path = str_field(f, "path", id);
            let sha = str_field(f, "sha256", id);
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                fail(format!("{id}/{path}: sha256 must be 64 lowercase hex digits"));
            }
            if f["size"].as_u64().unwrap_or(0) == 0 {
                fail(format!("{id}/{path}: size must be a positive integer"));
            }
            if bundled && f["bundle_path"].as_str().is_none() {
                fail(format!("{id}/{path}: bundled files need a bundle_path"));
            }
        }
        if bundled && tasks.iter().any(|t| t == "embed") {
            bundled_embedders += 1;
        }
    }
    if bundled_embedders != 1 {
        fail(format!(
            "exactly one bundled embedder is required, found {bundled_embedders}"
        ));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| fail(format!("OUT_DIR: {e}"))));
    let normalized = serde_json::to_string(&catalog).unwrap_or_else(|e| fail(e.to_string()));
    std::fs::write(out.join("catalog.json"), normalized).unwrap_or_else(|e| fail(e.to_string()));
}

fn str_field<'a>(v: &'a serde_json::Value, key: &str, id: &str) -> &'a str {
    match v[key].as_str() {
        Some(s) if !s.trim().is_empty() => s,
        _ => fail(format!("{id}: field {key} must be a non-empty string")),
    }
}
