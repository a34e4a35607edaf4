//! Paths of fetched model files for tests (fetched by `cargo xtask setup` into the user cache).

use std::path::PathBuf;

/// `~/.cache/scout` unless `SCOUT_CACHE_DIR` is set.
pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SCOUT_CACHE_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    PathBuf::from(home).join(".cache/scout")
}

pub fn minilm_tokenizer_path() -> PathBuf {
    cache_dir().join("models/all-minilm-l6-v2-int8/tokenizer.json")
}

pub fn minilm_model_path() -> PathBuf {
    cache_dir().join("models/all-minilm-l6-v2-int8/model_quantized.onnx")
}

/// Read a file that `cargo xtask setup` fetches; a missing file is a test failure with the fix in the message.
pub fn read_fetched(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup` first", path.display()))
}
