//! What the kernels' second threads share on the Rust side: stopping a worker started by `worker_rpc.js` (this
//! binding also ships that file, which both helpers' JS imports).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/worker_rpc.js")]
extern "C" {
    #[wasm_bindgen(js_name = stopWorker)]
    pub fn stop_worker(helper: &JsValue);
}
