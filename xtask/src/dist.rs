//! `cargo xtask dist`: build the loadable extension.
//!
//! Release wasm → wasm-bindgen (--target web) → wasm-opt -Oz, then the extension's HTML/JS, the generated
//! `protocol.js`, self-hosted onnxruntime-web files, the bundled embedder and the manifest.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::cached_model_file;
use crate::util::{Result, copy, copy_dir, root, run, step, write};

/// Which manifest to write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Variant {
    /// What users load: no host permissions.
    Release,
    /// For the browser tests: may read pages served from 127.0.0.1 without a click.
    Test,
}

impl Variant {
    pub fn out_dir(self) -> PathBuf {
        match self {
            Variant::Release => root().join("dist"),
            Variant::Test => root().join("target/dist-test"),
        }
    }
}

/// onnxruntime-web files we ship: the CPU build, and the WebGPU build with the asyncify binary it needs.
const ORT_FILES: &[&str] = &[
    "ort.wasm.min.js",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
    "ort.webgpu.min.js",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
];

/// The release wasm uses SIMD and relaxed SIMD: Scout's int8 encoder (crates/scout-bert) is built on the relaxed
/// byte dot product. Every browser the manifest allows has both (Chrome 114+; `minimum_chrome_version` is 116).
/// Other builds (the wasm tests under node) compile the encoder's portable path.
pub const WASM_FEATURES: &str = "-C target-feature=+simd128,+relaxed-simd";

/// The encoder's and the decoder's second threads run small wasms of their own (crates/scout-bert-worker,
/// crates/scout-llm-worker: the kernels and a C ABI, no wasm-bindgen), so the workers start fast and hold little
/// besides the weights; built with the engine's.
const WORKER_WASM: &str = "target/wasm32-unknown-unknown/release/scout_bert_worker.wasm";
const DECODER_WORKER_WASM: &str = "target/wasm32-unknown-unknown/release/scout_llm_worker.wasm";

pub fn build_wasm() -> Result<PathBuf> {
    let root = root();
    step("building the release wasm (the engine's and its workers')");
    run(Command::new("cargo")
        .args([
            "build",
            "--release",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "scout",
            "-p",
            "scout-bert-worker",
            "-p",
            "scout-llm-worker",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", WASM_FEATURES)
        .current_dir(&root))?;
    let raw = root.join("target/wasm32-unknown-unknown/release/scout.wasm");
    let bindgen_out = root.join("target/wasm-bindgen");
    let opt_out = root.join("target/wasm-opt/scout_bg.wasm");
    // wasm-bindgen + wasm-opt take ~30 s: skip them when the raw wasm has not changed since.
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(raw_t), Some(opt_t)) = (modified(&raw), modified(&opt_out))
        && opt_t > raw_t
        && bindgen_out.join("scout.js").exists()
    {
        return Ok(bindgen_out);
    }
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", "scout", "--no-typescript", "--out-dir"])
        .arg(&bindgen_out)
        .arg(&raw))?;
    std::fs::create_dir_all(opt_out.parent().unwrap_or(&root)).map_err(|e| e.to_string())?;
    step("wasm-opt -Oz");
    run(Command::new(root.join("node_modules/.bin/wasm-opt"))
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-reference-types",
            "--enable-multivalue",
            "--enable-mutable-globals",
            "--enable-simd",
            "--enable-relaxed-simd",
        ])
        .arg(bindgen_out.join("scout_bg.wasm"))
        .arg("-o")
        .arg(&opt_out))?;
    Ok(bindgen_out)
}

pub fn dist(variant: Variant) -> Result<PathBuf> {
    let root = root();
    let bindgen_out = build_wasm()?;
    let out = variant.out_dir();
    step(&format!("assembling {}", out.display()));
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    copy_dir(&root.join("extension"), &out)?;
    copy_dir(&root.join("assets/icons"), &out.join("icons"))?;
    copy(&bindgen_out.join("scout.js"), &out.join("wasm/scout.js"))?;
    copy(
        &root.join("target/wasm-opt/scout_bg.wasm"),
        &out.join("wasm/scout_bg.wasm"),
    )?;
    copy(&root.join(WORKER_WASM), &out.join("wasm/encoder.wasm"))?;
    copy(&root.join(DECODER_WORKER_WASM), &out.join("wasm/decoder.wasm"))?;
    // ort-web imports its JS glue from snippets/; wasm-bindgen put them beside scout.js.
    if bindgen_out.join("snippets").exists() {
        copy_dir(&bindgen_out.join("snippets"), &out.join("wasm/snippets"))?;
    }
    write(&out.join("protocol.js"), &scout::core::protocol::js_constants())?;
    for f in ORT_FILES {
        copy(
            &root.join("node_modules/onnxruntime-web/dist").join(f),
            &out.join("ort").join(f),
        )?;
    }
    // Our wrapper of the CPU bundle's module factory (the decoder's key/value bridge reaches the module through it).
    copy(
        &root.join("src/web/scout-ort-wasm.mjs"),
        &out.join("ort/scout-ort-wasm.mjs"),
    )?;
    let catalog = scout::core::catalog::Catalog::builtin();
    for m in catalog.models.iter().filter(|m| m.bundled) {
        for f in &m.files {
            let Some(bundle_path) = &f.bundle_path else {
                continue;
            };
            let src = cached_model_file(&m.id, &f.path);
            if !src.exists() {
                return Err(format!("{} is missing: run `cargo xtask setup`", src.display()));
            }
            copy(&src, &out.join(bundle_path))?;
        }
    }
    write(
        &out.join("catalog.json"),
        &serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?,
    )?;
    if variant == Variant::Test {
        // Read by the offscreen document at start-up; the release build has no such file.
        write(&out.join("models.extra.json"), &crate::testfiles::extra_catalog())?;
    }
    write_manifest(&root.join("manifest.json"), &out.join("manifest.json"), variant)?;
    Ok(out)
}

fn write_manifest(src: &Path, dest: &Path, variant: Variant) -> Result {
    let text = std::fs::read_to_string(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut m: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    if variant == Variant::Test {
        m["host_permissions"] = serde_json::json!(["http://127.0.0.1/*"]);
        m["name"] = serde_json::json!(format!("{} (test build)", m["name"].as_str().unwrap_or("Scout")));
    } else if m.get("host_permissions").is_some() {
        return Err("the release manifest must not have host_permissions".into());
    }
    write(dest, &serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?)
}
