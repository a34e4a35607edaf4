//! What Scout's two WebGPU runners (the encoder and the decoder) share on the Rust side: how weights become the
//! bytes the GPU copies, and the binding that ships `gpu_kernels.js`, which both runners' JS imports.

use scout_bert::plain::PlainLinear;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/gpu_kernels.js")]
extern "C" {
    /// Whether the browser exposes WebGPU at all (an adapter may still be refused).
    #[wasm_bindgen(js_name = hasWebGpu)]
    pub fn has_webgpu() -> bool;
}

/// A float slice's bytes (the GPU copies them at once).
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn i8_bytes(v: &[i8]) -> &[u8] {
    // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid for both.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), v.len()) }
}

/// Upload a linear layer through `upload` as `{name}.w`, `.scales` and `.bias` (the names both runners read).
pub fn upload_linear(upload: impl Fn(&str, &[u8]), name: &str, m: &PlainLinear) {
    upload(&format!("{name}.w"), i8_bytes(&m.w));
    upload(&format!("{name}.scales"), &f32_bytes(&m.scales));
    upload(&format!("{name}.bias"), &f32_bytes(&m.bias));
}
