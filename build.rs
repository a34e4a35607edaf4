//! Validates the model catalog in `assets/models.json` and embeds a normalized copy into the crate.
//!
//! A catalog mistake (a bad hash, a missing file, two models with one id) fails the build instead of failing a user's
//! download later.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[path = "src/core/catalog_rules.rs"]
mod catalog_rules;

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
    println!("cargo:rerun-if-changed=src/core/catalog_rules.rs");
    let src = std::fs::read_to_string("assets/models.json").unwrap_or_else(|e| fail(format!("cannot read: {e}")));
    let catalog: Catalog = serde_json::from_str(&src).unwrap_or_else(|e| fail(format!("not valid JSON: {e}")));
    if catalog.version != 1 {
        fail(format!("unsupported catalog version {}", catalog.version));
    }
    if let Err(e) = catalog_rules::validate_models(&catalog.models) {
        fail(e);
    }
    let bundled_embedders = catalog
        .models
        .iter()
        .filter(|m| {
            m["bundled"].as_bool().unwrap_or(false)
                && m["tasks"].as_array().is_some_and(|t| t.iter().any(|t| t == "embed"))
        })
        .count();
    if bundled_embedders != 1 {
        fail(format!(
            "exactly one bundled embedder is required, found {bundled_embedders}"
        ));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| fail(format!("OUT_DIR: {e}"))));
    let normalized = serde_json::to_string(&catalog).unwrap_or_else(|e| fail(e.to_string()));
    std::fs::write(out.join("catalog.json"), normalized).unwrap_or_else(|e| fail(e.to_string()));
}
