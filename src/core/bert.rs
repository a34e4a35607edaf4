//! The bundled embedder on Scout's own int8 encoder (crate `scout-bert`): the [`EncoderBackend`] the browser's CPU
//! path and the native evaluations both use, so they compute the same vectors.

use scout_bert::Encoder;

use super::embed::{EncodedBatch, EncoderBackend};
use super::error::{ErrorCode, ScoutError};

/// The catalog role of the bundled embedder's weights file for this encoder (`xtask/py/kernel_embedder.py`).
pub const WEIGHTS_ROLE: &str = "model_int8";

pub struct BertBackend {
    encoder: Encoder,
    /// Reported as the execution provider: "wasm" in the browser, "native-int8" natively.
    ep: String,
}

impl BertBackend {
    /// The encoder from its weights file (`xtask/py/kernel_embedder.py`).
    pub fn from_bytes(weights: &[u8], ep: &str) -> Result<Self, ScoutError> {
        let encoder = Encoder::from_bytes(weights).map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        Ok(BertBackend {
            encoder,
            ep: ep.to_string(),
        })
    }

    pub fn hidden(&self) -> usize {
        self.encoder.config().hidden
    }

    /// The last hidden state of each sequence's tokens, one sequence after another (`[Σ len, hidden]`).
    pub fn hidden_states(&mut self, seqs: &[&[u32]]) -> Result<Vec<f32>, ScoutError> {
        self.encoder
            .hidden_states(seqs)
            .map_err(|e| ScoutError::new(ErrorCode::BackendFailed, e.0))
    }
}

/// The GPU encoder's arithmetic on the CPU (`scout_bert::plain::PlainBert`: the same weights, float activations):
/// the native reference the browser's WebGPU vectors are checked against (`scout embed --graph gpu`).
pub struct PlainBertBackend {
    model: scout_bert::plain::PlainBert,
}

impl PlainBertBackend {
    pub fn from_bytes(weights: &[u8]) -> Result<Self, ScoutError> {
        let model = scout_bert::plain::PlainBert::from_bytes(weights)
            .map_err(|e| ScoutError::new(ErrorCode::ModelUnavailable, e.0))?;
        Ok(PlainBertBackend { model })
    }
}

impl EncoderBackend for PlainBertBackend {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        on_real_tokens(batch, self.model.config.hidden, |seqs| {
            self.model
                .hidden_states(seqs)
                .map_err(|e| ScoutError::new(ErrorCode::BackendFailed, e.0))
        })
    }

    fn ep(&self) -> String {
        "native-gpu-reference".into()
    }
}

/// A batch's last hidden states computed by `states` on its rows' real tokens only (one sequence after another),
/// placed back in the padded layout.
fn on_real_tokens(
    batch: &EncodedBatch,
    hidden: usize,
    states: impl FnOnce(&[&[u32]]) -> Result<Vec<f32>, ScoutError>,
) -> Result<Vec<f32>, ScoutError> {
    let rows = unpadded_rows(batch);
    let seqs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
    let packed = states(&seqs)?;
    Ok(padded(batch, &rows, &packed, hidden))
}

/// The real tokens of each row of a padded batch: the mask is a prefix of ones (`pad_batch`), and the encoder needs
/// no padding.
pub fn unpadded_rows(batch: &EncodedBatch) -> Vec<Vec<u32>> {
    (0..batch.batch)
        .map(|b| {
            let row = b * batch.seq..(b + 1) * batch.seq;
            batch.input_ids[row.clone()]
                .iter()
                .zip(&batch.attention_mask[row])
                .take_while(|(_, m)| **m != 0)
                .map(|(id, _)| u32::try_from(*id).unwrap_or(u32::MAX))
                .collect()
        })
        .collect()
}

/// Hidden states of the rows' tokens, one row after another, placed back in the batch's padded layout
/// (`[batch, seq, hidden]`, zeros at padding).
pub fn padded(batch: &EncodedBatch, rows: &[Vec<u32>], packed: &[f32], hidden: usize) -> Vec<f32> {
    let mut out = vec![0f32; batch.batch * batch.seq * hidden];
    let mut at = 0;
    for (b, r) in rows.iter().enumerate() {
        let n = r.len() * hidden;
        out[b * batch.seq * hidden..b * batch.seq * hidden + n].copy_from_slice(&packed[at..at + n]);
        at += n;
    }
    out
}

impl EncoderBackend for BertBackend {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        let hidden = self.hidden();
        on_real_tokens(batch, hidden, |seqs| self.hidden_states(seqs))
    }

    fn ep(&self) -> String {
        self.ep.clone()
    }
}
