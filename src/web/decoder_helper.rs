//! The decoder's second thread: a module worker (`extension/decoder_worker.js`) runs shard 1 of Scout's int8 decoder
//! (`crates/scout-llm-worker`, a small wasm of its own, from the same model file) while the engine runs shard 0
//! ([`ShardHelper`]), jobs handed over in shared memory (`decoder_helper.js`). It is started with the model and must
//! be ready before the first call; a worker that cannot start leaves the engine running both shards itself.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js::js_err;
use super::worker_rpc::stop_worker;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::kernel::{ShardHelper, ShardJob};

#[wasm_bindgen(module = "/src/web/decoder_helper.js")]
extern "C" {
    #[wasm_bindgen(js_name = startDecoderHelper)]
    fn start_decoder_helper(
        worker_url: &str,
        wasm_url: &str,
        chunks: js_sys::Array,
        config: &str,
        floats: u32,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = postLayerJob, catch)]
    fn post_layer_job(helper: &JsValue, kind: &str, layer: u32, past: u32, input: &[f32]) -> Result<u32, JsValue>;
    #[wasm_bindgen(js_name = waitLayerJob, catch)]
    fn wait_layer_job(helper: &JsValue, seq: u32) -> Result<js_sys::Float32Array, JsValue>;
}

pub struct DecoderHelper(JsValue);

impl Drop for DecoderHelper {
    fn drop(&mut self) {
        stop_worker(&self.0);
    }
}

/// The worker, starting: posted now (the model copied to it), awaited by [`StartingHelper::ready`].
pub struct StartingHelper(js_sys::Promise);

impl DecoderHelper {
    /// Start the worker on the model file (its stored chunks); `config` is the decoder's settings as JSON
    /// (`scout_llm::LlmConfig`); a job holds at most `floats` values (rows × hidden size).
    pub fn start(package_base: &str, chunks: Vec<js_sys::Uint8Array>, config: &str, floats: usize) -> StartingHelper {
        StartingHelper(start_decoder_helper(
            &format!("{package_base}decoder_worker.js"),
            &format!("{package_base}wasm/decoder.wasm"),
            chunks.into_iter().collect(),
            config,
            floats as u32,
        ))
    }
}

impl StartingHelper {
    pub async fn ready(self) -> Result<DecoderHelper, ScoutError> {
        JsFuture::from(self.0)
            .await
            .map(DecoderHelper)
            .map_err(|e| ScoutError::new(ErrorCode::BackendFailed, format!("the decoder worker: {}", js_err(&e))))
    }
}

fn failed(e: JsValue) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, js_err(&e))
}

impl ShardHelper for DecoderHelper {
    type Pending = Result<u32, ScoutError>;

    fn post(&self, job: ShardJob<'_>) -> Self::Pending {
        let posted = match job {
            ShardJob::Attention { layer, input, past } => {
                post_layer_job(&self.0, "attention", layer as u32, past as u32, input)
            }
            ShardJob::Mlp { layer, input } => post_layer_job(&self.0, "mlp", layer as u32, 0, input),
            ShardJob::Truncate(len) => post_layer_job(&self.0, "truncate", 0, len as u32, &[]),
        };
        posted.map_err(failed)
    }

    async fn wait(&self, pending: Self::Pending) -> Result<Vec<f32>, ScoutError> {
        Ok(wait_layer_job(&self.0, pending?).map_err(failed)?.to_vec())
    }
}
