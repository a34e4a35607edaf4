//! A second thread for Scout's int8 encoder: a module worker (`extension/encoder_worker.js`) runs this same wasm and
//! computes about half of each batch's sentences while the engine computes the rest. Each sentence is computed
//! alone and the encoder gives the same bits everywhere, so the split changes no vector. Until the worker has loaded
//! its weights, or once it failed, the engine works alone.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::bert::BertBackend;
use crate::core::error::ScoutError;

#[wasm_bindgen(module = "/src/web/encoder_helper.js")]
extern "C" {
    #[wasm_bindgen(js_name = startHelper)]
    fn start_helper(worker_url: &str, wasm_url: &str, weights_url: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = helperEncode)]
    fn helper_encode(helper: &JsValue, ids: &[u32], lens: &[u32]) -> js_sys::Promise;
    #[wasm_bindgen(js_name = stopHelper)]
    fn stop_helper(helper: &JsValue);
}

/// The worker's handle once it is ready; the worker stops when the last holder drops it.
#[derive(Default)]
struct Slot(RefCell<Option<JsValue>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(h) = self.0.borrow_mut().take() {
            stop_helper(&h);
        }
    }
}

/// The encoder's second thread, shared by the engine's embedder and the task that starts it.
#[derive(Clone, Default)]
pub struct Helper(Rc<Slot>);

impl Helper {
    /// Start the worker in the background (the extension's files under `package_base`); it takes part once ready.
    pub fn start(package_base: &str, weights_url: &str) -> Self {
        let helper = Helper::default();
        let slot = helper.0.clone();
        let promise = start_helper(
            &format!("{package_base}encoder_worker.js"),
            &format!("{package_base}wasm/scout_bg.wasm"),
            weights_url,
        );
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(handle) = JsFuture::from(promise).await {
                *slot.0.borrow_mut() = Some(handle);
            }
        });
        helper
    }

    /// Whether the worker has loaded its weights and takes part.
    pub fn ready(&self) -> bool {
        self.0.0.borrow().is_some()
    }

    /// The last hidden states of `rows`, one row after another: the first rows (about half the tokens) on the
    /// worker while `local` computes the others; all on `local` when the worker is not ready or fails (then it is
    /// dropped).
    pub async fn hidden_states(&self, local: &mut BertBackend, rows: &[&[u32]]) -> Result<Vec<f32>, ScoutError> {
        let handle = self.0.0.borrow().clone();
        let split = half_of_the_tokens(rows);
        let Some(handle) = handle.filter(|_| split > 0 && split < rows.len()) else {
            return local.hidden_states(rows);
        };
        let (sent, mine) = rows.split_at(split);
        let lens: Vec<u32> = sent.iter().map(|r| r.len() as u32).collect();
        let ids: Vec<u32> = sent.concat();
        // Posted now: the worker computes while this thread does its own part.
        let promise = helper_encode(&handle, &ids, &lens);
        let mine = local.hidden_states(mine)?;
        let expected = ids.len() * local.hidden();
        let theirs = match JsFuture::from(promise).await {
            Ok(v) => Some(js_sys::Float32Array::from(v).to_vec()).filter(|v| v.len() == expected),
            Err(_) => None,
        };
        let theirs = match theirs {
            Some(v) => v,
            None => {
                // Work alone from now on, never fail the request for it.
                if let Some(h) = self.0.0.borrow_mut().take() {
                    stop_helper(&h);
                }
                local.hidden_states(sent)?
            }
        };
        Ok([theirs, mine].concat())
    }
}

/// How many of the first rows hold about half the batch's tokens.
fn half_of_the_tokens(rows: &[&[u32]]) -> usize {
    let total: usize = rows.iter().map(|r| r.len()).sum();
    let mut sum = 0;
    rows.iter()
        .take_while(|r| {
            sum += r.len();
            2 * sum <= total
        })
        .count()
}

thread_local! {
    /// The worker's own encoder (in the worker's instance of this module).
    static WORKER_ENCODER: RefCell<Option<BertBackend>> = const { RefCell::new(None) };
}

/// In the worker: load the encoder's weights.
#[wasm_bindgen(js_name = helperLoad)]
pub fn helper_load(weights: &[u8]) -> Result<(), JsError> {
    let encoder = BertBackend::from_bytes(weights, "wasm").map_err(|e| JsError::new(&e.message))?;
    WORKER_ENCODER.with(|w| *w.borrow_mut() = Some(encoder));
    Ok(())
}

/// In the worker: the last hidden states of the sequences (`lens`, their `ids` one after another).
#[wasm_bindgen(js_name = helperRun)]
pub fn helper_run(ids: &[u32], lens: &[u32]) -> Result<Vec<f32>, JsError> {
    if lens.iter().map(|&l| l as usize).sum::<usize>() != ids.len() {
        return Err(JsError::new("the lengths do not add up to the ids"));
    }
    let mut seqs = Vec::with_capacity(lens.len());
    let mut at = 0;
    for &l in lens {
        seqs.push(&ids[at..at + l as usize]);
        at += l as usize;
    }
    WORKER_ENCODER.with(|w| match w.borrow_mut().as_mut() {
        Some(e) => e.hidden_states(&seqs).map_err(|e| JsError::new(&e.message)),
        None => Err(JsError::new("the encoder is not loaded")),
    })
}
