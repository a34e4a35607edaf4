//! Shard 1 of Scout's int8 decoder (`scout_llm::Shard`) as a small standalone wasm for the decoder's second thread:
//! `extension/decoder_worker.js` instantiates it in a worker, copies the model file in, and then runs the shard's
//! half of each layer on the inputs the engine sends. The engine's module runs the same crate, so both threads give
//! the same bits. The C ABI below is the whole interface:
//!
//! - `scout_alloc(n)` → a buffer of `n` bytes (the model file, then the config's JSON), which `scout_load` frees;
//! - `scout_load(model, len, config, config_len)` → 0, or the length of an error message readable at `scout_error()`;
//! - `scout_input(n)` → room for `n` f32 (reused by every call): a layer's normalized input rows;
//! - `scout_attention(layer, past)` / `scout_mlp(layer)` → 0 (the partial sum at `scout_output()`,
//!   `scout_output_len()` floats), or the length of an error message;
//! - `scout_truncate(len)`: keep the first `len` cached tokens.

use std::cell::RefCell;

use scout_llm::{LlmConfig, Shard};

#[derive(Default)]
struct State {
    shard: Option<Shard>,
    input: Vec<f32>,
    output: Vec<f32>,
    error: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn fail(why: String) -> usize {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.error = why;
        s.error.len().max(1)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_alloc(n: usize) -> *mut u8 {
    let mut v = vec![0u8; n];
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// # Safety
/// `model` and `config` must be buffers of exactly `len` and `config_len` bytes from `scout_alloc`, filled by the
/// caller; both are freed here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scout_load(model: *mut u8, len: usize, config: *mut u8, config_len: usize) -> usize {
    // SAFETY: the caller's contract above: `scout_alloc` made them as Vecs of these lengths and capacities.
    let (bytes, config) = unsafe {
        (
            Vec::from_raw_parts(model, len, len),
            Vec::from_raw_parts(config, config_len, config_len),
        )
    };
    let config: LlmConfig = match serde_json::from_slice(&config) {
        Ok(c) => c,
        Err(e) => return fail(format!("the decoder's settings: {e}")),
    };
    match Shard::from_onnx(&bytes, &config, 1) {
        Ok(shard) => STATE.with(|s| {
            s.borrow_mut().shard = Some(shard);
            0
        }),
        Err(e) => fail(e.0),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_input(n: usize) -> *mut f32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.input.clear();
        s.input.resize(n, 0.0);
        s.input.as_mut_ptr()
    })
}

fn run(job: impl FnOnce(&mut Shard, &[f32]) -> Result<Vec<f32>, scout_llm::LlmError>) -> usize {
    let result = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State {
            shard, input, output, ..
        } = &mut *s;
        let shard = shard.as_mut().ok_or_else(|| "the decoder is not loaded".to_string())?;
        *output = job(shard, input).map_err(|e| e.0)?;
        Ok::<(), String>(())
    });
    match result {
        Ok(()) => 0,
        Err(why) => fail(why),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_attention(layer: usize, past: usize) -> usize {
    run(|shard, input| shard.attention(layer, input, past))
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_mlp(layer: usize) -> usize {
    run(|shard, input| shard.mlp(layer, input))
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_truncate(len: usize) {
    STATE.with(|s| {
        if let Some(shard) = s.borrow_mut().shard.as_mut() {
            shard.truncate(len);
        }
    });
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_output() -> *const f32 {
    STATE.with(|s| s.borrow().output.as_ptr())
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_output_len() -> usize {
    STATE.with(|s| s.borrow().output.len())
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_error() -> *const u8 {
    STATE.with(|s| s.borrow().error.as_ptr())
}
