//! The weights file of Scout's own encoder (written at setup by `xtask/py/kernel_embedder.py`): a magic, a JSON
//! header naming each tensor's type, shape and offset, then the tensors, 16-byte aligned, little-endian.

use serde::Deserialize;

use crate::BertError;

const MAGIC: &[u8; 8] = b"SCOUTBRT";

/// The shape of a BERT encoder, as the file states it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BertConfig {
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

#[derive(Deserialize)]
struct Header {
    config: BertConfig,
    tensors: Vec<TensorInfo>,
}

#[derive(Deserialize)]
struct TensorInfo {
    name: String,
    dtype: String,
    shape: Vec<usize>,
    offset: usize,
}

/// A parsed file: its config and a reader of its tensors by name.
pub struct WeightsFile<'a> {
    pub config: BertConfig,
    tensors: Vec<TensorInfo>,
    data: &'a [u8],
}

pub(crate) fn corrupt(why: impl std::fmt::Display) -> BertError {
    BertError(format!("the encoder's weights file is not valid: {why}"))
}

impl<'a> WeightsFile<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BertError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(corrupt("it does not start with the SCOUTBRT magic"));
        }
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let header = bytes
            .get(12..12 + len)
            .ok_or_else(|| corrupt("its header is cut off"))?;
        let header: Header = serde_json::from_slice(header).map_err(corrupt)?;
        let start = (12 + len).div_ceil(16) * 16;
        let data = bytes.get(start..).ok_or_else(|| corrupt("it has no data"))?;
        Ok(WeightsFile {
            config: header.config,
            tensors: header.tensors,
            data,
        })
    }

    /// The bytes of tensor `name`, checked to be of `dtype` and `shape`.
    fn raw(&self, name: &str, dtype: &str, shape: &[usize]) -> Result<&'a [u8], BertError> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| corrupt(format!("no tensor {name}")))?;
        if t.dtype != dtype || t.shape != shape {
            return Err(corrupt(format!(
                "{name} is {} {:?}, expected {dtype} {shape:?}",
                t.dtype, t.shape
            )));
        }
        let width = if dtype == "f32" { 4 } else { 1 };
        let len = shape.iter().product::<usize>() * width;
        self.data
            .get(t.offset..t.offset + len)
            .ok_or_else(|| corrupt(format!("{name} reaches past the end of the file")))
    }

    pub fn f32s(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, BertError> {
        Ok(self
            .raw(name, "f32", shape)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    pub fn i8s(&self, name: &str, shape: &[usize]) -> Result<Vec<i8>, BertError> {
        Ok(self.raw(name, "i8", shape)?.iter().map(|&b| b as i8).collect())
    }
}
