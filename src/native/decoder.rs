//! The decoder on native ONNX Runtime: the past key/values stay ONNX values between calls (the outputs of one run
//! are the inputs of the next, no copy); only a shortened prefix is copied.

use std::path::Path;

use ort::session::Session;
use ort::value::{DynValue, Tensor};

use crate::decoder_io;

use super::{backend_err, decoder_session};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::kernel::{KernelDecoder, PlainDecoder};
use crate::core::generate::last_logits::{assemble, last_position_logits};
use crate::core::generate::{ChatTemplate, Date, DecoderBackend, DecoderConfig, Generator};

pub struct NativeDecoder {
    session: Session,
    config: DecoderConfig,
    /// `present.{i}.key`, `present.{i}.value` of the last run, layer by layer; empty before the first.
    past: Vec<DynValue>,
    cached: usize,
}

impl NativeDecoder {
    /// The model at `model`, its head rewritten to compute the last position only
    /// ([`crate::core::generate::last_logits`]) when the graph allows it.
    pub fn load(dylib: &Path, model: &Path, config: DecoderConfig, threads: usize) -> Result<Self, ScoutError> {
        let bytes = std::fs::read(model).map_err(|e| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("cannot load {}: {e}", model.display()),
            )
        })?;
        match last_position_logits(bytes.as_slice())? {
            Some(pieces) => Self::from_bytes(dylib, &assemble(&bytes, &pieces), config, threads),
            None => Self::from_bytes(dylib, &bytes, config, threads),
        }
    }

    /// The model file `bytes` as they are.
    pub fn from_bytes(dylib: &Path, bytes: &[u8], config: DecoderConfig, threads: usize) -> Result<Self, ScoutError> {
        Ok(NativeDecoder {
            session: decoder_session(dylib, bytes, threads)?,
            config,
            past: Vec::new(),
            cached: 0,
        })
    }
}

impl DecoderBackend for NativeDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        let past_len = self.cached;
        let past = if self.past.is_empty() {
            decoder_io::empty_past(&self.config)?
        } else {
            std::mem::take(&mut self.past)
        };
        // The cache is consumed by this run: rebuilt from its outputs, or empty if it fails.
        self.cached = 0;
        let mut out = self
            .session
            .run(decoder_io::inputs(tokens, past_len, past)?)
            .map_err(backend_err)?;
        let logits = decoder_io::last_logits(&out["logits"])?;
        self.past = decoder_io::take_presents(&self.config, &mut out)?;
        self.cached = past_len + tokens.len();
        Ok(logits)
    }

    fn cached(&self) -> usize {
        self.cached
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        if len >= self.cached {
            return Ok(());
        }
        if len == 0 {
            self.past.clear();
            self.cached = 0;
            return Ok(());
        }
        // [1, kv_heads, cached, head_dim] → [1, kv_heads, len, head_dim], head by head.
        let (heads, dim, cached) = (self.config.kv_heads, self.config.head_dim, self.cached);
        for v in &mut self.past {
            let (_, data) = v.try_extract_tensor::<f32>().map_err(backend_err)?;
            let mut kept = Vec::with_capacity(heads * len * dim);
            for h in 0..heads {
                let start = h * cached * dim;
                kept.extend_from_slice(&data[start..start + len * dim]);
            }
            *v = Tensor::from_array(([1, heads, len, dim], kept))
                .map_err(backend_err)?
                .into_dyn();
        }
        self.cached = len;
        Ok(())
    }

    fn ep(&self) -> String {
        "native-cpu".into()
    }
}

/// A generator for a model folder in the hub layout (`config.json`, `generation_config.json`, `tokenizer.json`,
/// `tokenizer_config.json`, and the ONNX file `model`, relative to it), on native ONNX Runtime.
pub fn native_generator(
    dylib: &Path,
    dir: &Path,
    model: &str,
    threads: usize,
    today: Date,
) -> Result<Generator<NativeDecoder>, ScoutError> {
    hub_generator(dir, today, |config| {
        NativeDecoder::load(dylib, &dir.join(model), config.clone(), threads)
    })
}

/// Either native decoder, for the CLI's `--decoder int8|onnx` (one per run: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum AnyDecoder {
    /// Scout's own int8 decoder: the extension's CPU path, the same bits.
    Int8(KernelDecoder),
    /// The WebGPU decoder's arithmetic on the CPU (its reference).
    Gpu(PlainDecoder),
    Onnx(NativeDecoder),
}

impl DecoderBackend for AnyDecoder {
    async fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ScoutError> {
        match self {
            AnyDecoder::Int8(d) => d.forward(tokens).await,
            AnyDecoder::Gpu(d) => d.forward(tokens).await,
            AnyDecoder::Onnx(d) => d.forward(tokens).await,
        }
    }

    fn cached(&self) -> usize {
        match self {
            AnyDecoder::Int8(d) => d.cached(),
            AnyDecoder::Gpu(d) => d.cached(),
            AnyDecoder::Onnx(d) => d.cached(),
        }
    }

    fn truncate(&mut self, len: usize) -> Result<(), ScoutError> {
        match self {
            AnyDecoder::Int8(d) => d.truncate(len),
            AnyDecoder::Gpu(d) => d.truncate(len),
            AnyDecoder::Onnx(d) => d.truncate(len),
        }
    }

    fn ep(&self) -> String {
        match self {
            AnyDecoder::Int8(d) => d.ep(),
            AnyDecoder::Gpu(d) => d.ep(),
            AnyDecoder::Onnx(d) => d.ep(),
        }
    }
}

/// A generator for a model folder on `decoder` ("int8": Scout's; "onnx": ONNX Runtime with `threads`).
pub fn any_generator(
    decoder: &str,
    dir: &Path,
    model: &str,
    threads: usize,
    today: Date,
) -> Result<Generator<AnyDecoder>, ScoutError> {
    match decoder {
        "int8" => hub_generator(dir, today, |config| {
            kernel_decoder(&dir.join(model), config).map(AnyDecoder::Int8)
        }),
        "gpu" => hub_generator(dir, today, |config| {
            PlainDecoder::from_onnx(&model_bytes(&dir.join(model))?, config).map(AnyDecoder::Gpu)
        }),
        "onnx" => hub_generator(dir, today, |config| {
            NativeDecoder::load(&super::ort_dylib_path(), &dir.join(model), config.clone(), threads)
                .map(AnyDecoder::Onnx)
        }),
        other => Err(ScoutError::new(
            ErrorCode::BadRequest,
            format!("--decoder is int8, gpu or onnx, not {other}"),
        )),
    }
}

fn model_bytes(path: &Path) -> Result<Vec<u8>, ScoutError> {
    std::fs::read(path).map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, format!("{}: {e}", path.display())))
}

fn kernel_decoder(path: &Path, config: &DecoderConfig) -> Result<KernelDecoder, ScoutError> {
    KernelDecoder::from_onnx(&model_bytes(path)?, config, "native-int8", None)
}

/// The same on Scout's own int8 decoder (one thread), which reads the weights of the ONNX file `model`.
pub fn kernel_generator(dir: &Path, model: &str, today: Date) -> Result<Generator<KernelDecoder>, ScoutError> {
    hub_generator(dir, today, |config| kernel_decoder(&dir.join(model), config))
}

fn hub_generator<B: DecoderBackend>(
    dir: &Path,
    today: Date,
    backend: impl FnOnce(&DecoderConfig) -> Result<B, ScoutError>,
) -> Result<Generator<B>, ScoutError> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("{}: {e}", dir.join(name).display()),
            )
        })
    };
    let config = DecoderConfig::from_json(&read("config.json")?, read("generation_config.json").ok().as_deref())?;
    let template = ChatTemplate::from_tokenizer_config(&read("tokenizer_config.json")?, today)?;
    let tokenizer = read("tokenizer.json")?;
    let backend = backend(&config)?;
    Generator::new(config, tokenizer.as_bytes(), template, backend)
}
