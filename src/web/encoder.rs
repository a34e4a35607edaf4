//! The encoders the engine embeds with: Scout's own int8 encoder (`core::bert`) for the bundled embedder on the
//! CPU, ONNX Runtime for the bundled embedder's WebGPU graph and for downloaded embedders.

use super::encoder_helper::Helper;
use super::ort_backend::OrtEncoder;
use crate::core::bert::{BertBackend, padded, unpadded_rows};
use crate::core::embed::{EncodedBatch, EncoderBackend};
use crate::core::error::ScoutError;

pub enum WebEncoder {
    /// Scout's encoder on this thread, with a second thread when the device has the cores.
    Int8(BertBackend, Helper),
    Ort(OrtEncoder),
}

impl WebEncoder {
    /// Threads Scout's encoder computes on now (0 for ONNX Runtime).
    pub fn cpu_threads(&self) -> u32 {
        match self {
            WebEncoder::Int8(_, helper) => 1 + u32::from(helper.ready()),
            WebEncoder::Ort(_) => 0,
        }
    }
}

impl EncoderBackend for WebEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        match self {
            WebEncoder::Int8(local, helper) => {
                let rows = unpadded_rows(batch);
                let seqs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
                let packed = helper.hidden_states(local, &seqs).await?;
                Ok(padded(batch, &rows, &packed, local.hidden()))
            }
            WebEncoder::Ort(e) => e.last_hidden_state(batch).await,
        }
    }

    fn ep(&self) -> String {
        match self {
            WebEncoder::Int8(e, _) => e.ep(),
            WebEncoder::Ort(e) => e.ep(),
        }
    }

    /// Both run on the document's only thread between batches: let a `cancel` message in.
    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
