//! Scout's build orchestration: `cargo xtask <setup|dist|demo|test|bench>`.

mod dist;
mod llama_server;
mod setup;
mod testfiles;
mod util;

use std::process::Command;

use util::{Result, root, run, step};

const USAGE: &str = "usage: cargo xtask <command>
  setup            install what is missing (chromium, wasm target, wasm-bindgen-cli, npm packages, models)
  dist [--test]    build the loadable extension into dist/ (--test: the test build in target/dist-test)
  demo [URL|FILE]  build, open a page in headless Chromium with the extension, print its summary
  test             every check: fmt, clippy (host + wasm32), cargo test, browser end-to-end tests
  bench            benchmarks; writes target/bench/report.json
  test-files       make the files only the tests need (test hub models, llama.cpp's server), as `test` does
  fuzz [MINUTES]   fuzz the readers of untrusted input (tests/fuzz.rs) in release for MINUTES (default 10)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup(),
        Some("dist") => {
            let variant = if args.iter().any(|a| a == "--test") {
                dist::Variant::Test
            } else {
                dist::Variant::Release
            };
            setup::setup()
                .and_then(|_| dist::dist(variant))
                .map(|out| eprintln!("extension written to {}", out.display()))
        }
        Some("demo") => demo(args.get(1).cloned()),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("test-files") => testfiles::prepare()
            .and_then(|_| llama_server::prepare())
            .map(|site| eprintln!("llama.cpp server (llama-cpp-python) installed in {}", site.display())),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}

fn node(script: &str, args: &[String]) -> Command {
    let mut c = Command::new("node");
    c.arg(root().join(script)).args(args).current_dir(root());
    c.env("ORT_DYLIB_PATH", setup::native_ort_lib());
    c
}

fn demo(target: Option<String>) -> Result {
    setup::setup()?;
    let dist = dist::dist(dist::Variant::Test)?;
    step("running the demo in headless Chromium");
    let mut args = vec![dist.display().to_string()];
    // A file is named relative to where the user ran the command; node runs from the repository root.
    args.extend(target.map(|t| std::fs::canonicalize(&t).map(|p| p.display().to_string()).unwrap_or(t)));
    run(&mut node("tests/e2e/demo.mjs", &args))
}

fn test() -> Result {
    setup::setup()?;
    testfiles::prepare()?;
    let llama_site = llama_server::prepare()?;
    let root = root();
    let ort = setup::native_ort_lib();
    step("cargo fmt --check");
    run(Command::new("cargo")
        .args(["fmt", "--all", "--check"])
        .current_dir(&root))?;
    step("clippy (host)");
    run(Command::new("cargo")
        .args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
        .current_dir(&root))?;
    step("clippy (wasm32)");
    run(Command::new("cargo")
        .args([
            "clippy",
            "-p",
            "scout",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&root))?;
    step("clippy (wasm32, the int8 kernels' relaxed SIMD paths and their worker modules)");
    run(Command::new("cargo")
        .args([
            "clippy",
            "-p",
            "scout-bert",
            "-p",
            "scout-bert-worker",
            "-p",
            "scout-llm",
            "-p",
            "scout-llm-worker",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", dist::WASM_FEATURES)
        .current_dir(&root))?;
    step("cargo test (native core, native ONNX Runtime)");
    run(Command::new("cargo")
        .args(["test", "--workspace"])
        .env("ORT_DYLIB_PATH", &ort)
        .env("SCOUT_PYTHONPATH", setup::python_tools()?)
        .current_dir(&root))?;
    step("wasm-bindgen-test under node (core on wasm32: protocol, tokenizer, extraction)");
    run(Command::new("cargo")
        .args([
            "test",
            "-p",
            "scout",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "wasm_node",
        ])
        .env("SCOUT_TOKENIZER_PATH", tokenizer_path())
        .current_dir(&root))?;
    let dist = dist::dist(dist::Variant::Test)?;
    dist::dist(dist::Variant::Release)?;
    step("browser end-to-end tests (Chromium)");
    let audit = root.join("target/e2e-egress.jsonl");
    let _ = std::fs::remove_file(&audit);
    let mut c = Command::new("node");
    // A hung browser must fail the run, not stall CI: no single test may take 10 minutes.
    c.args(["--test", "--test-concurrency=1", "--test-timeout=600000", "tests/e2e/"])
        .env("SCOUT_DIST", &dist)
        .env("ORT_DYLIB_PATH", &ort)
        .env("SCOUT_LLAMA_PYTHONPATH", &llama_site)
        .env("SCOUT_SMOLLM2_GGUF", testfiles::smollm2_gguf()?)
        .env("SCOUT_AUDIT_LOG", &audit)
        .current_dir(&root);
    let tests = run(&mut c);
    let egress = egress_audit(&audit);
    tests.and(egress)
}

/// The whole e2e run's network audit, from the lines each browser's audit wrote (`tests/e2e/harness.mjs`): how many
/// browsers, in how many test files, and every request the extension made outside 127.0.0.1 (must be none).
fn egress_audit(path: &std::path::Path) -> Result {
    let text = std::fs::read_to_string(path).map_err(|e| format!("no e2e network audit at {}: {e}", path.display()))?;
    let mut files = std::collections::BTreeSet::new();
    let (mut browsers, mut outside) = (0, Vec::new());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("audit line {line:?}: {e}"))?;
        browsers += 1;
        files.insert(v["file"].as_str().unwrap_or("?").to_string());
        for r in v["outside"].as_array().into_iter().flatten() {
            outside.push(format!("{} (from {})", r["url"], v["file"]));
        }
    }
    eprintln!(
        "egress audit of the whole e2e run: {browsers} browsers in {} test files; requests by the extension outside 127.0.0.1: {}",
        files.len(),
        outside.len()
    );
    if outside.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the extension reached outside 127.0.0.1:\n{}",
            outside.join("\n")
        ))
    }
}

/// `tests/fuzz.rs` for a long budget (`cargo xtask test` runs it for seconds as part of `cargo test`).
fn fuzz(minutes: Option<&str>) -> Result {
    let minutes: f64 = minutes
        .map(|m| {
            m.parse()
                .map_err(|_| format!("fuzz: minutes must be a number, not {m:?}"))
        })
        .transpose()?
        .unwrap_or(10.0);
    step(&format!("fuzzing for {minutes} minutes (release build)"));
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "scout",
            "--test",
            "fuzz",
            "--",
            "--nocapture",
        ])
        .env("SCOUT_FUZZ_SECONDS", (minutes * 60.0).to_string())
        .current_dir(root()))
}

/// The bundled tokenizer as fetched by setup (the wasm tests read it through node's fs).
fn tokenizer_path() -> std::path::PathBuf {
    let catalog = scout::core::catalog::Catalog::builtin();
    let entry = catalog.bundled_embedder();
    let path = entry
        .and_then(|m| m.file("tokenizer"))
        .map(|f| f.path.clone())
        .unwrap_or_default();
    setup::cached_model_file(entry.map(|m| m.id.as_str()).unwrap_or_default(), &path)
}

fn bench() -> Result {
    setup::setup()?;
    testfiles::prepare()?;
    setup::bench_packages()?;
    let dist = dist::dist(dist::Variant::Test)?;
    let release = dist::dist(dist::Variant::Release)?;
    step("benchmarks");
    run(&mut node(
        "tests/e2e/bench.mjs",
        &[dist.display().to_string(), release.display().to_string()],
    ))
}
