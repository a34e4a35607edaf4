//! The bundled embedder on Scout's own int8 encoder (crate `scout-bert`): the [`EncoderBackend`] the browser's WASM
//! path and the native evaluations both use, so they compute the same vectors.

use scout_bert::Encoder;

use super::embed::{EncodedBatch, EncoderBackend};
use super::error::{ErrorCode, ScoutError};

pub struct BertBackend {
    encoder: Encoder,
    /// Reported as the execution provider: "wasm-int8" in the browser, "native-int8" natively.
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
}

impl EncoderBackend for BertBackend {
    async fn last_hidden_state(&mut self, batch: &EncodedBatch) -> Result<Vec<f32>, ScoutError> {
        let h = self.encoder.config().hidden;
        // The real tokens of each row: the mask is a prefix of ones (`pad_batch`), and the encoder needs no padding.
        let rows: Vec<Vec<u32>> = (0..batch.batch)
            .map(|b| {
                let row = b * batch.seq..(b + 1) * batch.seq;
                batch.input_ids[row.clone()]
                    .iter()
                    .zip(&batch.attention_mask[row])
                    .take_while(|(_, m)| **m != 0)
                    .map(|(id, _)| u32::try_from(*id).unwrap_or(u32::MAX))
                    .collect()
            })
            .collect();
        let seqs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        let packed = self
            .encoder
            .hidden_states(&seqs)
            .map_err(|e| ScoutError::new(ErrorCode::BackendFailed, e.0))?;
        let mut out = vec![0f32; batch.batch * batch.seq * h];
        let mut at = 0;
        for (b, s) in seqs.iter().enumerate() {
            let n = s.len() * h;
            out[b * batch.seq * h..b * batch.seq * h + n].copy_from_slice(&packed[at..at + n]);
            at += n;
        }
        Ok(out)
    }

    fn ep(&self) -> String {
        self.ep.clone()
    }
}
