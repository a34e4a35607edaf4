//! The encoders the engine embeds with: Scout's own int8 encoder (`core::bert`) for the bundled embedder on the
//! CPU, ONNX Runtime for the bundled embedder's WebGPU graph and for downloaded embedders.

use super::ort_backend::OrtEncoder;
use crate::core::bert::BertBackend;
use crate::core::embed::{EncodedBatch, EncoderBackend};
use crate::core::error::ScoutError;

pub enum WebEncoder {
    Int8(BertBackend),
    Ort(OrtEncoder),
}

impl EncoderBackend for WebEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        match self {
            WebEncoder::Int8(e) => e.last_hidden_state(batch).await,
            WebEncoder::Ort(e) => e.last_hidden_state(batch).await,
        }
    }

    fn ep(&self) -> String {
        match self {
            WebEncoder::Int8(e) => e.ep(),
            WebEncoder::Ort(e) => e.ep(),
        }
    }

    /// Both run on the document's only thread between batches: let a `cancel` message in.
    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
