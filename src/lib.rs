//! Scout: private, on-device page intelligence.
//!
//! The crate has three layers:
//! - [`core`]: pure logic (protocol, extraction, text, embeddings math, ranking, pipeline). No IO, no wasm types;
//!   it is tested natively with `cargo test`.
//! - `web` (wasm32 only): the thin browser layer — ort-web backend, IndexedDB store, the offscreen entry points.
//! - `native` (host only): native ONNX Runtime backend used by the CLI and the parity tests.

pub mod core;
mod decoder_io;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod web;
