//! Streaming detokenization: turn tokens into text as they come without ever emitting half a UTF-8 character or a
//! piece that a later token changes (byte-level BPE splits characters across tokens; some decoders merge spaces).
//!
//! Method: decode a short window of recent tokens twice, without and with the new ones, and emit the difference
//! only when it does not end in U+FFFD (an incomplete character).

use tokenizers::Tokenizer;

use crate::core::error::{ErrorCode, ScoutError};

pub struct StreamDecoder {
    tokens: Vec<u32>,
    /// Start of the window decoded for context.
    prefix: usize,
    /// Tokens before this one have been emitted.
    read: usize,
}

fn decode(tok: &Tokenizer, ids: &[u32]) -> Result<String, ScoutError> {
    tok.decode(ids, true)
        .map_err(|e| ScoutError::new(ErrorCode::Internal, format!("cannot decode tokens: {e}")))
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    pub fn new() -> Self {
        StreamDecoder {
            tokens: Vec::new(),
            prefix: 0,
            read: 0,
        }
    }

    /// Add a token; returns the text it completes (often empty while a character is incomplete).
    pub fn push(&mut self, tok: &Tokenizer, id: u32) -> Result<String, ScoutError> {
        self.tokens.push(id);
        let before = decode(tok, &self.tokens[self.prefix..self.read])?;
        let after = decode(tok, &self.tokens[self.prefix..])?;
        if after.len() > before.len() && !after.ends_with('\u{FFFD}') && after.starts_with(&before) {
            self.prefix = self.read;
            self.read = self.tokens.len();
            return Ok(after[before.len()..].to_string());
        }
        Ok(String::new())
    }

    /// The text not emitted yet (at the end of generation: whatever is left, replacement characters included).
    pub fn flush(&mut self, tok: &Tokenizer) -> Result<String, ScoutError> {
        let before = decode(tok, &self.tokens[self.prefix..self.read])?;
        let after = decode(tok, &self.tokens[self.prefix..])?;
        self.prefix = self.read;
        self.read = self.tokens.len();
        Ok(after.get(before.len()..).unwrap_or_default().to_string())
    }
}
