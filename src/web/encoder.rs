//! The encoders the engine embeds with: Scout's own int8 encoder (`core::bert`) for the bundled embedder on the
//! CPU, Scout's WebGPU encoder for it on a GPU, ONNX Runtime for downloaded embedders.

use super::encoder_helper::Helper;
use super::gpu_encoder::GpuEncoder;
use super::ort_backend::OrtEncoder;
use crate::core::bert::{BertBackend, padded, unpadded_rows};
use crate::core::embed::{EncodedBatch, EncoderBackend};
use crate::core::error::ScoutError;

pub enum WebEncoder {
    /// Scout's encoder on this thread, with a second thread when the device has the cores.
    Int8(BertBackend, Helper),
    Gpu(GpuEncoder),
    Ort(OrtEncoder),
}

impl WebEncoder {
    /// Threads Scout's encoder computes on now (0 on the GPU and for ONNX Runtime).
    pub fn cpu_threads(&self) -> u32 {
        match self {
            WebEncoder::Int8(_, helper) => 1 + u32::from(helper.ready()),
            WebEncoder::Gpu(_) | WebEncoder::Ort(_) => 0,
        }
    }

    /// Scout's GPU encoder failed a run (its device lost, a buffer refused).
    pub fn gpu_failed(&self) -> bool {
        matches!(self, WebEncoder::Gpu(gpu) if gpu.failed())
    }

    /// The GPU adapter Scout's GPU encoder runs on.
    pub fn gpu_adapter(&self) -> Option<String> {
        match self {
            WebEncoder::Gpu(gpu) => Some(gpu.adapter.clone()),
            _ => None,
        }
    }
}

impl EncoderBackend for WebEncoder {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        // Scout's encoders compute the real tokens only: the batch's rows unpadded, their states padded back.
        let rows = unpadded_rows(batch);
        let seqs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        let (packed, hidden) = match self {
            WebEncoder::Int8(local, helper) => (helper.hidden_states(local, &seqs).await?, local.hidden()),
            WebEncoder::Gpu(gpu) => (gpu.hidden_states(&seqs).await?, gpu.hidden()),
            WebEncoder::Ort(e) => return e.last_hidden_state(batch).await,
        };
        Ok(padded(batch, &rows, &packed, hidden))
    }

    fn ep(&self) -> String {
        match self {
            WebEncoder::Int8(e, _) => e.ep(),
            WebEncoder::Gpu(e) => e.ep(),
            WebEncoder::Ort(e) => e.ep(),
        }
    }

    /// Between batches: let a `cancel` message in (the CPU encoder holds the document's only thread; the GPU's
    /// read-back lets events in, but a batch's recording does not).
    async fn yield_now(&mut self) {
        super::js::yield_to_event_loop().await;
    }
}
