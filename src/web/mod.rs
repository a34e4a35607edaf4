//! The browser layer (wasm32 only): ort-web backend, IndexedDB store and the offscreen document's entry points.
//! It adds no product logic: decisions live in `core`.

mod bundled;
mod decoder;
mod decoder_helper;
mod download;
mod encoder;
mod encoder_helper;
mod engine;
mod gpu;
mod gpu_decoder;
mod gpu_encoder;
mod js;
mod multilingual;
mod no_engine;
mod ort_backend;
mod ort_decoder;
mod shared;
mod store;
mod stream;
mod t2;
mod t3;
mod worker_rpc;
mod writing;

pub use engine::{configure, handle};
