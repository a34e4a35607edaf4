//! Scout's int8 encoder as a small standalone wasm (no wasm-bindgen, no tokenizer, no ONNX Runtime glue) for the
//! encoder's second thread: `extension/encoder_worker.js` instantiates it in a worker, copies the weights file in,
//! and asks it for the hidden states of token-id sequences. The engine's own module runs the same crate, so both
//! threads give the same bits. The C ABI below is the whole interface:
//!
//! - `scout_alloc(n)` → a buffer of `n` bytes for the weights file, which `scout_load` takes and frees;
//! - `scout_load(weights, len)` → 0, or the length of an error message readable at `scout_error()`;
//! - `scout_input(n)` → room for `n` u32 (reused by every call): the sequences' ids, then their lengths;
//! - `scout_run(n_ids, n_lens)` → 0 (the result at `scout_output()`, `scout_output_len()` floats), or the length of
//!   an error message.

use std::cell::RefCell;

use scout_bert::Encoder;

#[derive(Default)]
struct State {
    encoder: Option<Encoder>,
    input: Vec<u32>,
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
/// `weights` must be a buffer of exactly `len` bytes from `scout_alloc`, filled by the caller; it is freed here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn scout_load(weights: *mut u8, len: usize) -> usize {
    // SAFETY: the caller's contract above: `scout_alloc` made it as a Vec of this length and capacity.
    let bytes = unsafe { Vec::from_raw_parts(weights, len, len) };
    match Encoder::from_bytes(&bytes) {
        Ok(e) => STATE.with(|s| {
            s.borrow_mut().encoder = Some(e);
            0
        }),
        Err(e) => fail(e.0),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_input(n: usize) -> *mut u32 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.input.clear();
        s.input.resize(n, 0);
        s.input.as_mut_ptr()
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn scout_run(n_ids: usize, n_lens: usize) -> usize {
    let result = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State {
            encoder, input, output, ..
        } = &mut *s;
        let (Some(ids), Some(lens)) = (input.get(..n_ids), input.get(n_ids..n_ids + n_lens)) else {
            return Err("the input is shorter than its counts".to_string());
        };
        if lens.iter().map(|&l| l as usize).sum::<usize>() != ids.len() {
            return Err("the lengths do not add up to the ids".to_string());
        }
        let mut seqs = Vec::with_capacity(lens.len());
        let mut at = 0;
        for &l in lens {
            seqs.push(&ids[at..at + l as usize]);
            at += l as usize;
        }
        let encoder = encoder
            .as_mut()
            .ok_or_else(|| "the encoder is not loaded".to_string())?;
        *output = encoder.hidden_states(&seqs).map_err(|e| e.0)?;
        Ok(())
    });
    match result {
        Ok(()) => 0,
        Err(why) => fail(why),
    }
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
