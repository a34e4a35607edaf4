//! Fetched model files for the core's tests (`cargo xtask setup` puts them in the user cache; the paths are the
//! native layer's, so tests and the CLI look in one place).

use std::path::PathBuf;

pub fn minilm_tokenizer_path() -> PathBuf {
    crate::native::cached_model_file("all-minilm-l6-v2-int8", "tokenizer.json")
}

/// Read a file that `cargo xtask setup` fetches; a missing file is a test failure with the fix in the message.
pub fn read_fetched(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup` first", path.display()))
}
