//! The inputs and outputs of a decoder with past key/values, in `ort` values: shared by the native decoder and the
//! ort-web one (the same `ort` API on both; only running the session and reading outputs differ).

use std::borrow::Cow;

use ort::session::{SessionInputValue, SessionOutputs};
use ort::value::{DynValue, Tensor};

use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::DecoderConfig;

fn failed(e: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::BackendFailed, format!("ONNX Runtime: {e}"))
}

/// A cache with no tokens: `[1, kv_heads, 0, head_dim]` per key and value of every layer.
pub fn empty_past(config: &DecoderConfig) -> Result<Vec<DynValue>, ScoutError> {
    let shape = [1, config.kv_heads, 0, config.head_dim];
    (0..config.layers * 2)
        .map(|_| {
            Ok(Tensor::<f32>::from_array((shape, Vec::<f32>::new()))
                .map_err(failed)?
                .into_dyn())
        })
        .collect()
}

/// The feeds for `tokens` at positions `past_len..`; `past` (from [`take_presents`], or [`empty_past`]) is moved
/// in, not copied.
pub fn inputs(
    tokens: &[u32],
    past_len: usize,
    past: Vec<DynValue>,
) -> Result<Vec<(Cow<'static, str>, SessionInputValue<'static>)>, ScoutError> {
    let n = tokens.len();
    let ids: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
    let positions: Vec<i64> = (past_len..past_len + n).map(|p| p as i64).collect();
    let mut feeds: Vec<(Cow<'static, str>, SessionInputValue<'static>)> = vec![
        (
            "input_ids".into(),
            Tensor::from_array(([1, n], ids)).map_err(failed)?.into(),
        ),
        (
            "attention_mask".into(),
            Tensor::from_array(([1, past_len + n], vec![1i64; past_len + n]))
                .map_err(failed)?
                .into(),
        ),
        (
            "position_ids".into(),
            Tensor::from_array(([1, n], positions)).map_err(failed)?.into(),
        ),
    ];
    for (i, v) in past.into_iter().enumerate() {
        let [key, value] = DecoderConfig::past_names(i / 2);
        feeds.push((if i % 2 == 0 { key } else { value }.into(), v.into()));
    }
    Ok(feeds)
}

/// The run's `present.*` outputs, in the order [`inputs`] feeds them back.
pub fn take_presents(config: &DecoderConfig, out: &mut SessionOutputs<'_>) -> Result<Vec<DynValue>, ScoutError> {
    let mut presents = Vec::with_capacity(config.layers * 2);
    for i in 0..config.layers {
        for name in DecoderConfig::present_names(i) {
            presents.push(out.remove(&name).ok_or_else(|| {
                ScoutError::new(ErrorCode::ModelUnavailable, format!("the model has no output {name}"))
            })?);
        }
    }
    Ok(presents)
}

/// The last position's row of `logits` (`[1, seq, vocab]`).
pub fn last_logits(logits: &DynValue) -> Result<Vec<f32>, ScoutError> {
    let (shape, data) = logits.try_extract_tensor::<f32>().map_err(failed)?;
    let vocab = *shape.last().unwrap_or(&0) as usize;
    Ok(data[data.len().saturating_sub(vocab)..].to_vec())
}
