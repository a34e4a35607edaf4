//! The decoder behind T2 in the offscreen document: Scout's own decoder where it can read the model's graph (int8,
//! float or 4-bit exports of Llama-architecture models), on the GPU (WebGPU engines) or the CPU (WASM), ONNX Runtime
//! otherwise (graphs it does not know).

use super::decoder_helper::DecoderHelper;
use super::gpu_decoder::GpuDecoder;
use super::js::yield_to_event_loop;
use super::ort_decoder::OrtDecoder;
use crate::core::error::ScoutError;
use crate::core::generate::DecoderBackend;
use crate::core::generate::kernel::KernelDecoder;

/// Prompt tokens the int8 decoder runs between turns of the event loop: it computes on the document's own thread
/// (and a worker), so a long prompt in one call would hold back `cancel` and every other message for seconds.
pub const KERNEL_TOKENS_PER_TURN: usize = 64;

pub enum WebDecoder {
    Int8(KernelDecoder<DecoderHelper>),
    Gpu(GpuDecoder),
    Ort(OrtDecoder),
}

impl WebDecoder {
    /// Threads computing: the int8 decoder's one or two, ONNX Runtime's own (not counted here: 0).
    pub fn threads(&self) -> usize {
        match self {
            WebDecoder::Int8(d) => d.threads(),
            WebDecoder::Gpu(_) | WebDecoder::Ort(_) => 0,
        }
    }

    /// Which decoder runs, for the reply.
    pub fn name(&self) -> String {
        match self {
            WebDecoder::Int8(_) => "scout-int8".into(),
            WebDecoder::Gpu(d) => format!("scout-gpu ({})", d.adapter),
            WebDecoder::Ort(_) => "onnxruntime".into(),
        }
    }

    /// Whether the cache lives where the runtime computes (the bridge's heap, the GPU, the kernel's own memory).
    pub fn cache_in_runtime(&self) -> bool {
        match self {
            WebDecoder::Int8(_) | WebDecoder::Gpu(_) => true,
            WebDecoder::Ort(d) => d.cache_in_runtime(),
        }
    }

    /// Whether it can run; false after the int8 decoder's second thread stopped (the model must be loaded again).
    pub fn usable(&self) -> bool {
        match self {
            WebDecoder::Int8(d) => d.usable(),
            WebDecoder::Gpu(_) | WebDecoder::Ort(_) => true,
        }
    }

    /// Time in the runtime's `run` (ms) and runs, where the runner counts them (GPU).
    pub fn runtime_stats(&self) -> Option<(f64, u32)> {
        match self {
            WebDecoder::Int8(_) => None,
            WebDecoder::Gpu(d) => d.runtime_stats(),
            WebDecoder::Ort(d) => d.runtime_stats(),
        }
    }
}

impl DecoderBackend for WebDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        match self {
            WebDecoder::Int8(d) => {
                let mut logits = Vec::new();
                for (i, chunk) in tokens.chunks(KERNEL_TOKENS_PER_TURN).enumerate() {
                    if i > 0 {
                        yield_to_event_loop().await;
                    }
                    logits = d.forward(chunk).await?;
                }
                Ok(logits)
            }
            WebDecoder::Gpu(d) => d.forward(tokens).await,
            WebDecoder::Ort(d) => d.forward(tokens).await,
        }
    }

    fn cached(&self) -> usize {
        match self {
            WebDecoder::Int8(d) => d.cached(),
            WebDecoder::Gpu(d) => d.cached(),
            WebDecoder::Ort(d) => d.cached(),
        }
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        match self {
            WebDecoder::Int8(d) => d.truncate(len),
            WebDecoder::Gpu(d) => d.truncate(len),
            WebDecoder::Ort(d) => d.truncate(len),
        }
    }

    fn ep(&self) -> String {
        match self {
            WebDecoder::Int8(d) => d.ep(),
            WebDecoder::Gpu(d) => d.ep(),
            WebDecoder::Ort(d) => d.ep(),
        }
    }

    async fn yield_now(&mut self) {
        yield_to_event_loop().await;
    }
}
