//! `scout`: the native command line of Scout's core. The same functions the extension runs, on files.
//!
//! ```text
//! scout extract PATH|- [--url URL]
//! scout summarize PATH|- [--url URL] [--type key-points|tldr|teaser|headline] [--length short|medium|long]
//!                 [--format markdown|plain] [--tier t0|t1|t2] [--model DIR]   (t2: a local LLM's summary)
//! scout chat PATH|- QUESTION --model DIR [--json]    (T2: an answer written from T1's passages, citations checked)
//! scout classify PATH|- [--url URL] [--labels a,b,c]     (T1: topic, content type, tone, custom labels)
//! scout ask PATH|- QUESTION [--url URL] [--top K]         (T1: passages that answer, with quotes)
//! scout embed            (reads a JSON array of strings on stdin, prints vectors; native ONNX Runtime)
//! scout protocol-js      (prints the generated protocol.js)
//! ```
//! T1 and `embed` need the native ONNX Runtime library (`ORT_DYLIB_PATH`) and the bundled model files, which
//! `cargo xtask setup` fetches into `~/.cache/scout` (or `$SCOUT_CACHE_DIR`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod t2;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; on wasm32 (built by `cargo test --target wasm32-unknown-unknown`) it is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}
