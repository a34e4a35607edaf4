//! Distil the static token table (see `core::static_embed`) from the embedder on native ONNX Runtime: run every
//! vocabulary token alone, wrapped as the tokenizer wraps a text, mean-pool, reduce by PCA, quantize.

use crate::core::embed::{EmbedTokenizer, EncodedBatch, EncoderBackend, mean_pool_normalize};
use crate::core::error::ScoutError;
use crate::core::static_embed::{StaticTable, pca_reduce};

/// Tokens run per model call.
const BATCH: usize = 512;

pub async fn distill_static_table<B: EncoderBackend>(
    backend: &mut B,
    tokenizer: &EmbedTokenizer,
    model_dims: usize,
    dims: usize,
) -> Result<StaticTable, ScoutError> {
    let (before, after) = tokenizer.wrap_ids()?;
    let specials: Vec<u32> = before.iter().chain(&after).copied().collect();
    let vocab = tokenizer.vocab_size();
    let seq = before.len() + 1 + after.len();
    let mut vectors = Vec::with_capacity(vocab);
    for start in (0..vocab).step_by(BATCH) {
        let ids: Vec<u32> = (start..(start + BATCH).min(vocab)).map(|i| i as u32).collect();
        let mut input_ids = Vec::with_capacity(ids.len() * seq);
        for &id in &ids {
            input_ids.extend(
                before
                    .iter()
                    .chain(std::iter::once(&id))
                    .chain(&after)
                    .map(|&x| i64::from(x)),
            );
        }
        let batch = EncodedBatch {
            attention_mask: vec![1; input_ids.len()],
            token_type_ids: vec![0; input_ids.len()],
            input_ids,
            batch: ids.len(),
            seq,
        };
        let hidden = backend.last_hidden_state(&batch).await?;
        vectors.extend(mean_pool_normalize(&hidden, &batch, model_dims)?);
    }
    let mut reduced = pca_reduce(&vectors, dims)?;
    // The wrapping tokens are in every input: their rows would only add a constant to every sentence.
    for &id in &specials {
        if let Some(row) = reduced.get_mut(id as usize) {
            row.iter_mut().for_each(|x| *x = 0.0);
        }
    }
    StaticTable::from_rows(&reduced)
}
