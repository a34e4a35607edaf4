//! A second thread for Scout's int8 encoder: a module worker (`extension/encoder_worker.js`) runs the same encoder
//! (`crates/scout-bert-worker`, a small wasm of its own) and computes about half of each batch's sentences while the
//! engine computes the rest. Each sentence is computed alone and the encoder gives the same bits everywhere, so the
//! split changes no vector. Until the worker has loaded its weights, or once it failed, the engine works alone.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::worker_rpc::stop_worker;
use crate::core::bert::BertBackend;
use crate::core::error::ScoutError;

#[wasm_bindgen(module = "/src/web/encoder_helper.js")]
extern "C" {
    #[wasm_bindgen(js_name = startHelper)]
    fn start_helper(worker_url: &str, wasm_url: &str, weights_url: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = helperEncode)]
    fn helper_encode(helper: &JsValue, ids: &[u32], lens: &[u32]) -> js_sys::Promise;
}

/// The worker's handle once it is ready; the worker stops when the last holder drops it.
#[derive(Default)]
struct Slot(RefCell<Option<JsValue>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(h) = self.0.borrow_mut().take() {
            stop_worker(&h);
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
            &format!("{package_base}wasm/encoder.wasm"),
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
                    stop_worker(&h);
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
