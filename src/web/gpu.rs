//! What Scout's two WebGPU runners (the encoder and the decoder) share on the Rust side: their base class
//! (`GpuRunner` in `gpu_kernels.js`, which both runners' JS extends; this binding also ships that file) and how
//! weights become the bytes the GPU copies.

use scout_bert::plain::PlainLinear;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/gpu_kernels.js")]
extern "C" {
    /// A runner of Scout's WGSL kernels: its device, its uploaded weights.
    pub type GpuRunner;

    /// Copy a weight (bytes) to the GPU under `name`.
    #[wasm_bindgen(method)]
    pub fn upload(this: &GpuRunner, name: &str, bytes: &[u8]);

    /// The adapter's vendor and architecture.
    #[wasm_bindgen(method)]
    pub fn describe(this: &GpuRunner) -> String;

    /// Free the device and everything on it.
    #[wasm_bindgen(method)]
    pub fn destroy(this: &GpuRunner);
}

/// A float slice's bytes (the GPU copies them at once).
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn i8_bytes(v: &[i8]) -> &[u8] {
    // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid for both.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), v.len()) }
}

/// Upload a linear layer as `{name}.w`, `.scales` and `.bias` (the names both runners read).
pub fn upload_linear(runner: &GpuRunner, name: &str, m: &PlainLinear) {
    runner.upload(&format!("{name}.w"), i8_bytes(&m.w));
    runner.upload(&format!("{name}.scales"), &f32_bytes(&m.scales));
    runner.upload(&format!("{name}.bias"), &f32_bytes(&m.bias));
}
