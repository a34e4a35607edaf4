//! Files only the test build needs: a large synthetic "model" served by the tests' local hub, so the downloader's
//! memory can be measured on a 500 MB file (the real test LLM is 137 MB).

use std::io::Write;
use std::path::PathBuf;

use crate::util::{Result, root, sha256_file, step};

/// Size of the synthetic file: 500 MB.
const BIG_SIZE: u64 = 500_000_000;
const BIG_REPO: &str = "scout-test/big-500mb";
const BIG_PATH: &str = "model.bin";

/// The folder the tests serve as a hub (`{hub}/{repo}/{path}`).
pub fn test_hub_dir() -> PathBuf {
    root().join("target/test-hub")
}

/// Make (once) the big file and return the catalog JSON that names it.
pub fn extra_catalog() -> Result<String> {
    let file = test_hub_dir().join(BIG_REPO).join(BIG_PATH);
    let sidecar = file.with_extension("bin.sha256");
    let cached = std::fs::read_to_string(&sidecar)
        .ok()
        .filter(|_| std::fs::metadata(&file).map(|m| m.len() == BIG_SIZE).unwrap_or(false));
    let sha = match cached {
        Some(sha) => sha.trim().to_string(),
        None => {
            step(&format!(
                "writing the {} MB test file {}",
                BIG_SIZE / 1_000_000,
                file.display()
            ));
            write_pseudo_random(&file, BIG_SIZE)?;
            let sha = sha256_file(&file)?;
            std::fs::write(&sidecar, &sha).map_err(|e| format!("{}: {e}", sidecar.display()))?;
            sha
        }
    };
    let catalog = serde_json::json!({
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
            "files": [{ "role": "model", "path": BIG_PATH, "size": BIG_SIZE, "sha256": sha }]
        }]
    });
    Ok(catalog.to_string())
}

/// Incompressible, reproducible bytes (xorshift64*), written in 1 MiB blocks.
fn write_pseudo_random(path: &std::path::Path, size: u64) -> Result {
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
