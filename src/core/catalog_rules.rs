//! The rules every catalog entry obeys, on plain JSON so that `build.rs` (for the catalog compiled in) and the
//! engine (for an extra catalog a build adds, e.g. the test build's large test file) check the same things.
//! Only `serde_json` is used here: `build.rs` includes this file by path.

use std::collections::HashSet;

/// Check a catalog's `models` list; the error names the entry and the field.
pub fn validate_models(models: &[serde_json::Value]) -> Result<(), String> {
    let mut ids = HashSet::new();
    for m in models {
        let id = str_field(m, "id", "?")?;
        if !ids.insert(id.to_string()) {
            return Err(format!("duplicate model id {id}"));
        }
        for key in ["display_name", "description", "repo", "revision", "license"] {
            str_field(m, key, id)?;
        }
        let tasks = m["tasks"]
            .as_array()
            .ok_or_else(|| format!("{id}: tasks must be a list"))?;
        if tasks.is_empty() || tasks.iter().any(|t| !matches!(t.as_str(), Some("embed" | "generate"))) {
            return Err(format!(
                "{id}: tasks must be a non-empty list of \"embed\"/\"generate\""
            ));
        }
        let bundled = m["bundled"].as_bool().unwrap_or(false);
        let verified = m["verified"].as_bool().unwrap_or(false);
        if bundled && !verified {
            return Err(format!("{id}: a bundled model must be verified"));
        }
        let files = m["files"]
            .as_array()
            .ok_or_else(|| format!("{id}: files must be a list"))?;
        if !files.iter().any(|f| f["role"] == "model") {
            return Err(format!("{id}: no file with role \"model\""));
        }
        for f in files {
            let path = str_field(f, "path", id)?;
            // Unverified entries (sizes read from the hub's listing, files never fetched here) may lack hashes:
            // their downloads are checked against the hashes the hub declares (core::verify).
            match f["sha256"].as_str() {
                Some(sha) if is_sha256(sha) => {}
                None if !verified => {}
                _ => return Err(format!("{id}/{path}: sha256 must be 64 lowercase hex digits")),
            }
            // A file built from a PyPI one (`build` names the script) pins its source too.
            if f.get("build").is_some() && !f["pypi"]["sha256"].as_str().is_some_and(is_sha256) {
                return Err(format!(
                    "{id}/{path}: a built file needs the sha256 of its PyPI source (pypi.sha256)"
                ));
            }
            if f["size"].as_u64().unwrap_or(0) == 0 {
                return Err(format!("{id}/{path}: size must be a positive integer"));
            }
            if bundled && f["role"] == "tokenizer" && f["bundle_path"].as_str().is_none() {
                return Err(format!(
                    "{id}/{path}: a bundled model ships its tokenizer (bundle_path)"
                ));
            }
        }
        // A bundled model's file without a bundle_path is not in the package: setup still makes it for native tools
        // and the benchmarks' peers (the ONNX graph of the bundled embedder, which the extension does not run).
        let ships_a_model = files
            .iter()
            .any(|f| f["role"].as_str().is_some_and(|r| r.starts_with("model")) && f["bundle_path"].as_str().is_some());
        if bundled && !ships_a_model {
            return Err(format!(
                "{id}: a bundled model ships at least one model file (bundle_path)"
            ));
        }
        let embeds = tasks.iter().any(|t| t == "embed");
        if m["multilingual"].as_bool() == Some(true) && !embeds {
            return Err(format!("{id}: only an embedder can be multilingual"));
        }
        if let Some(r) = m.get("retrieval").filter(|r| !r.is_null()) {
            let num = |k: &str| r[k].as_f64();
            let ok = match (num("alpha"), num("threshold"), num("floor")) {
                (Some(a), Some(t), Some(f)) => embeds && (0.0..=1.0).contains(&a) && f <= t,
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "{id}: retrieval must be {{alpha in [0, 1], threshold, floor <= threshold}} on an embedder"
                ));
            }
        }
        if let Some(p) = m.get("prefixes").filter(|p| !p.is_null()) {
            let ok = embeds
                && p.as_object().is_some_and(|o| {
                    o.iter()
                        .all(|(k, v)| matches!(k.as_str(), "passage" | "query") && v.is_string())
                });
            if !ok {
                return Err(format!(
                    "{id}: prefixes must be {{passage?: string, query?: string}} on an embedder"
                ));
            }
        }
        if let Some(req) = m.get("requires") {
            let field = |k: &str| req.get(k).filter(|v| !v.is_null());
            let ok = req.is_object()
                && field("min_memory_gb").is_none_or(|v| v.as_f64().is_some_and(|x| x > 0.0))
                && ["webgpu", "shader_f16"]
                    .iter()
                    .all(|k| field(k).is_none_or(|v| v.is_boolean()));
            if !ok {
                return Err(format!(
                    "{id}: requires must be {{webgpu?: bool, shader_f16?: bool, min_memory_gb?: number > 0}}"
                ));
            }
        }
    }
    Ok(())
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn str_field<'a>(v: &'a serde_json::Value, key: &str, id: &str) -> Result<&'a str, String> {
    match v[key].as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(format!("{id}: field {key} must be a non-empty string")),
    }
}
