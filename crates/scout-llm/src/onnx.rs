//! Just enough of the ONNX protobuf to find a decoder's weights: the graph's nodes (op, name, inputs) and its
//! initializers (name, type, shape, bytes). Tensor bytes are borrowed from the file, not copied.
//!
//! Wire format: each field is a varint key (`number << 3 | wire type`), then a varint, 8 or 4 bytes, or a varint
//! length and that many bytes. Unknown fields are skipped, so newer exporters' extra fields do no harm.

use std::collections::HashMap;

use crate::LlmError;

/// ONNX `TensorProto.DataType` values this reader converts.
pub const FLOAT: i32 = 1;
pub const UINT8: i32 = 2;
pub const INT8: i32 = 3;
pub const FLOAT16: i32 = 10;

pub struct Node {
    pub op: String,
    pub name: String,
    pub inputs: Vec<String>,
    /// Integer attributes (`K`, `N`, `bits`, `block_size` of `MatMulNBits`).
    pub ints: Vec<(String, i64)>,
}

impl Node {
    pub fn int(&self, name: &str) -> Option<i64> {
        self.ints.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

pub struct Tensor<'a> {
    pub dims: Vec<usize>,
    pub dtype: i32,
    /// `raw_data`, or empty where the exporter wrote typed fields instead.
    raw: &'a [u8],
    /// `float_data` (packed f32).
    float_data: &'a [u8],
    /// `int32_data` (varints; holds 8-bit types too when `raw_data` is absent).
    int32_data: Vec<i32>,
}

pub struct Graph<'a> {
    pub nodes: Vec<Node>,
    pub tensors: HashMap<String, Tensor<'a>>,
}

fn bad(why: &str) -> LlmError {
    LlmError(format!("the model file is not a readable ONNX graph ({why})"))
}

/// A cursor over one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

enum Value<'a> {
    Int(u64),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, at: 0 }
    }

    fn varint(&mut self) -> Result<u64, LlmError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.at).ok_or_else(|| bad("truncated"))?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("varint too long"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], LlmError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| bad("truncated"))?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// The next field's number and value, or `None` at the end.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, LlmError> {
        if self.at >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Int(self.varint()?),
            1 => Value::Bytes(self.take(8)?),
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| bad("length"))?;
                Value::Bytes(self.take(n)?)
            }
            5 => Value::Bytes(self.take(4)?),
            _ => return Err(bad("unknown wire type")),
        };
        Ok(Some((key >> 3, value)))
    }
}

fn string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Varints one after another (a packed repeated field).
fn packed_varints(b: &[u8]) -> Result<Vec<u64>, LlmError> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    while r.at < b.len() {
        out.push(r.varint()?);
    }
    Ok(out)
}

impl<'a> Graph<'a> {
    /// Parse a `ModelProto`; only its graph's nodes and initializers are kept.
    pub fn parse(model: &'a [u8]) -> Result<Self, LlmError> {
        let mut graph = None;
        let mut r = Reader::new(model);
        while let Some((number, value)) = r.field()? {
            if let (7, Value::Bytes(b)) = (number, value) {
                graph = Some(b);
            }
        }
        let graph = graph.ok_or_else(|| bad("no graph"))?;
        let (mut nodes, mut tensors) = (Vec::new(), HashMap::new());
        let mut r = Reader::new(graph);
        while let Some((number, value)) = r.field()? {
            match (number, value) {
                (1, Value::Bytes(b)) => nodes.push(node(b)?),
                (5, Value::Bytes(b)) => {
                    let (name, t) = tensor(b)?;
                    tensors.insert(name, t);
                }
                _ => {}
            }
        }
        Ok(Graph { nodes, tensors })
    }

    pub fn tensor(&self, name: &str) -> Option<&Tensor<'a>> {
        self.tensors.get(name)
    }
}

fn node(b: &[u8]) -> Result<Node, LlmError> {
    let mut n = Node {
        op: String::new(),
        name: String::new(),
        inputs: Vec::new(),
        ints: Vec::new(),
    };
    let mut r = Reader::new(b);
    while let Some((number, value)) = r.field()? {
        match (number, value) {
            (1, Value::Bytes(s)) => n.inputs.push(string(s)),
            (3, Value::Bytes(s)) => n.name = string(s),
            (4, Value::Bytes(s)) => n.op = string(s),
            (5, Value::Bytes(a)) => {
                if let Some(attr) = int_attribute(a)? {
                    n.ints.push(attr);
                }
            }
            _ => {}
        }
    }
    Ok(n)
}

/// An `AttributeProto`'s name and integer value (field 3), if it has one.
fn int_attribute(b: &[u8]) -> Result<Option<(String, i64)>, LlmError> {
    let (mut name, mut int) = (String::new(), None);
    let mut r = Reader::new(b);
    while let Some((number, value)) = r.field()? {
        match (number, value) {
            (1, Value::Bytes(s)) => name = string(s),
            (3, Value::Int(v)) => int = Some(v as i64),
            _ => {}
        }
    }
    Ok(int.map(|v| (name, v)))
}

fn tensor(b: &[u8]) -> Result<(String, Tensor<'_>), LlmError> {
    let mut t = Tensor {
        dims: Vec::new(),
        dtype: 0,
        raw: &[],
        float_data: &[],
        int32_data: Vec::new(),
    };
    let mut name = String::new();
    let mut r = Reader::new(b);
    while let Some((number, value)) = r.field()? {
        match (number, value) {
            (1, Value::Int(d)) => t.dims.push(usize::try_from(d).map_err(|_| bad("dimension"))?),
            (1, Value::Bytes(p)) => {
                for d in packed_varints(p)? {
                    t.dims.push(usize::try_from(d).map_err(|_| bad("dimension"))?);
                }
            }
            (2, Value::Int(d)) => t.dtype = d as i32,
            (4, Value::Bytes(p)) => t.float_data = p,
            (5, Value::Int(v)) => t.int32_data.push(v as i32),
            (5, Value::Bytes(p)) => t.int32_data.extend(packed_varints(p)?.into_iter().map(|v| v as i32)),
            (8, Value::Bytes(s)) => name = string(s),
            (9, Value::Bytes(p)) => t.raw = p,
            (14, Value::Int(1)) => {
                return Err(LlmError(format!(
                    "{name}: weights in an external data file are not supported"
                )));
            }
            _ => {}
        }
    }
    Ok((name, t))
}

fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // Subnormal: renormalize.
            let shift = f.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | ((f << shift) & 0x3ff) << 13
        }
        (31, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 112) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

impl<'a> Tensor<'a> {
    /// Values the dimensions promise (saturating: a file may claim any shape; the data never matches then).
    pub fn len(&self) -> usize {
        self.dims.iter().fold(1usize, |a, &d| a.saturating_mul(d))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as f32 (float, float16 or 8-bit types).
    pub fn f32s(&self) -> Result<Vec<f32>, LlmError> {
        let n = self.len();
        let out: Vec<f32> = match self.dtype {
            FLOAT if !self.raw.is_empty() => self
                .raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            FLOAT => self
                .float_data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            FLOAT16 if !self.raw.is_empty() => self
                .raw
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            FLOAT16 => self.int32_data.iter().map(|&v| f16_to_f32(v as u16)).collect(),
            INT8 | UINT8 => self.ints()?.into_iter().map(|v| v as f32).collect(),
            t => return Err(bad(&format!("tensor type {t}"))),
        };
        if out.len() != n {
            return Err(bad("tensor size"));
        }
        Ok(out)
    }

    /// Whether the values are in `raw_data` (what [`Tensor::row_f32`] reads).
    pub fn has_raw(&self) -> bool {
        !self.raw.is_empty()
    }

    /// Row `r` of a matrix of `cols` columns in `raw_data` as f32 (float, float16 or 8-bit values), without
    /// converting the rest.
    pub fn row_f32(&self, r: usize, cols: usize, out: &mut [f32]) -> Result<(), LlmError> {
        let width = match self.dtype {
            FLOAT => 4,
            FLOAT16 => 2,
            INT8 | UINT8 => 1,
            t => return Err(bad(&format!("tensor type {t}"))),
        };
        let bytes = self
            .raw
            .get(r * cols * width..(r + 1) * cols * width)
            .ok_or_else(|| bad("row"))?;
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(width)) {
            *o = match self.dtype {
                FLOAT => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                FLOAT16 => f16_to_f32(u16::from_le_bytes([c[0], c[1]])),
                INT8 => f32::from(c[0] as i8),
                _ => f32::from(c[0]),
            };
        }
        Ok(())
    }

    /// The int8 values in the file itself, where the tensor is int8 in `raw_data` of the promised size.
    /// The stored bytes of an 8-bit tensor (`raw_data`), without a copy.
    pub fn u8_slice(&self) -> Option<&'a [u8]> {
        (matches!(self.dtype, UINT8 | INT8) && !self.raw.is_empty()).then_some(self.raw)
    }

    pub fn i8_slice(&self) -> Option<&'a [i8]> {
        if self.dtype != INT8 || self.raw.len() != self.len() {
            return None;
        }
        // SAFETY: i8 and u8 have the same size and alignment, and every bit pattern is valid for both.
        Some(unsafe { std::slice::from_raw_parts(self.raw.as_ptr() as *const i8, self.raw.len()) })
    }

    /// int8 values as they are (no widening), where the tensor is int8.
    pub fn i8s(&self) -> Result<Vec<i8>, LlmError> {
        if self.dtype == INT8 && self.raw.len() == self.len() {
            return Ok(self.raw.iter().map(|&b| b as i8).collect());
        }
        Ok(self.ints()?.into_iter().map(|v| v as i8).collect())
    }

    /// 8-bit values widened (int8 signed, uint8 unsigned).
    pub fn ints(&self) -> Result<Vec<i32>, LlmError> {
        let out: Vec<i32> = match (self.dtype, self.raw.is_empty()) {
            (INT8, false) => self.raw.iter().map(|&b| i32::from(b as i8)).collect(),
            (UINT8, false) => self.raw.iter().map(|&b| i32::from(b)).collect(),
            (INT8 | UINT8, true) => self.int32_data.clone(),
            (t, _) => return Err(bad(&format!("tensor type {t} where 8-bit integers were expected"))),
        };
        if out.len() != self.len() {
            return Err(bad("tensor size"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_convert() {
        for (h, f) in [
            (0x3c00u16, 1.0f32),
            (0xc000, -2.0),
            (0x3555, 0.333_251_95),
            (0x0001, 5.960_464_5e-8),
            (0x7bff, 65504.0),
            (0, 0.0),
        ] {
            assert_eq!(f16_to_f32(h), f, "{h:#x}");
        }
    }

    #[test]
    fn a_truncated_file_is_an_error_not_a_panic() {
        // graph field (7), length 10, but only 2 bytes follow.
        assert!(Graph::parse(&[0x3a, 10, 1, 2]).is_err());
        assert!(Graph::parse(&[]).is_err());
    }
}
