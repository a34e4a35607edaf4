//! A decoder graph that computes `logits` for the last position only.
//!
//! Exported decoders compute the language-model head (hidden size × vocabulary, SmolLM2's is 28 M weights) for
//! every position of the input and return `[batch, seq, vocab]`, though generation reads only the last row. During
//! prefill that head is about a quarter of the work, and its output (256 positions × 49,152 floats = 50 MB per
//! chunk) is copied out of the runtime. This module rewrites the ONNX file at load: a `Slice` keeps the last
//! position of the head's input, so the head runs once per call and `logits` is `[batch, 1, vocab]`. Every other
//! byte of the file is kept: the edit is a list of [`Piece`]s (ranges of the original and a few new bytes), so a
//! caller can assemble the new file from the original's chunks without copying the weights (the browser builds a
//! `Blob` from them).
//!
//! Only the protobuf framing is read (field headers and the small messages that matter: the head's node, the
//! graph's outputs, the opset). The rewrite applies when `logits` is a graph output made by one `MatMul` or
//! `MatMulNBits` (optimum and onnxruntime-genai exports, fp32, fp16, int8 with a tied head, q4) and the default
//! opset is ≥ 10 (`Slice` with inputs); otherwise the file is loaded unchanged.

use crate::core::error::{ErrorCode, ScoutError};

/// Random access to a model file too big to hold twice.
pub trait ModelBytes {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `len` bytes at `at` (fewer at the end of the file).
    fn read(&self, at: u64, len: usize) -> Result<Vec<u8>, ScoutError>;
}

impl ModelBytes for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read(&self, at: u64, len: usize) -> Result<Vec<u8>, ScoutError> {
        let start = (at as usize).min(<[u8]>::len(self));
        let end = start.saturating_add(len).min(<[u8]>::len(self));
        Ok(self[start..end].to_vec())
    }
}

/// A part of the rewritten file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// The original bytes `start..end`.
    Keep(u64, u64),
    New(Vec<u8>),
}

/// The rewritten file as one buffer (native loading and tests).
pub fn assemble(original: &[u8], pieces: &[Piece]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 256);
    for p in pieces {
        match p {
            Piece::Keep(a, b) => out.extend_from_slice(&original[*a as usize..*b as usize]),
            Piece::New(bytes) => out.extend_from_slice(bytes),
        }
    }
    out
}

/// Names the rewrite adds (a prefix no exporter uses).
const SLICED: &str = "scout/last_position/hidden";
const STARTS: &str = "scout/last_position/starts";
const ENDS: &str = "scout/last_position/ends";
const AXES: &str = "scout/last_position/axes";
/// A node this large is not a plain matmul node (it would hold a tensor attribute): not rewritten.
const MAX_NODE_BYTES: u64 = 1 << 20;

// ModelProto, GraphProto, NodeProto, ValueInfoProto, OperatorSetIdProto and TensorProto field numbers (onnx.proto).
const MODEL_OPSET: u32 = 8;
const MODEL_GRAPH: u32 = 7;
const GRAPH_NODE: u32 = 1;
const GRAPH_INITIALIZER: u32 = 5;
const GRAPH_OUTPUT: u32 = 12;
const NODE_INPUT: u32 = 1;
const NODE_OUTPUT: u32 = 2;
const NODE_NAME: u32 = 3;
const NODE_OP: u32 = 4;
const NODE_DOMAIN: u32 = 7;
const VALUE_NAME: u32 = 1;
const OPSET_DOMAIN: u32 = 1;
const OPSET_VERSION: u32 = 2;
const TENSOR_DIMS: u32 = 1;
const TENSOR_TYPE: u32 = 2;
const TENSOR_NAME: u32 = 8;
const TENSOR_RAW: u32 = 9;
const INT64: u64 = 7;
const LEN: u8 = 2;

fn bad(what: &str) -> ScoutError {
    ScoutError::new(
        ErrorCode::ModelUnavailable,
        format!("the ONNX file is malformed: {what}"),
    )
}

/// One field of a message: its number, wire type, and where its value lies (for varints, the value itself).
#[derive(Debug, Clone, Copy)]
struct Field {
    number: u32,
    wire: u8,
    /// Where the field's header starts.
    start: u64,
    /// Where its payload starts and ends (length-delimited), or the varint's value in `value`.
    body: u64,
    end: u64,
    value: u64,
}

fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_len(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
    put_varint(out, (u64::from(number) << 3) | u64::from(LEN));
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

fn put_uint(out: &mut Vec<u8>, number: u32, v: u64) {
    put_varint(out, u64::from(number) << 3);
    put_varint(out, v);
}

/// The fields of the message in `start..end`, reading headers only (payloads are skipped by length). Reads go
/// through a small window, so a graph of a few thousand nodes costs a few hundred reads.
struct Fields<'a, S: ModelBytes + ?Sized> {
    src: &'a S,
    at: u64,
    end: u64,
    window: Vec<u8>,
    window_at: u64,
}

const WINDOW: usize = 64 * 1024;

impl<'a, S: ModelBytes + ?Sized> Fields<'a, S> {
    fn new(src: &'a S, start: u64, end: u64) -> Self {
        Fields {
            src,
            at: start,
            end,
            window: Vec::new(),
            window_at: 0,
        }
    }

    /// At least 20 bytes from `at` (fewer at the end), from the window.
    fn bytes_at(&mut self, at: u64) -> Result<&[u8], ScoutError> {
        let in_window = at >= self.window_at && at + 20 <= self.window_at + self.window.len() as u64;
        if !in_window {
            self.window = self.src.read(at, WINDOW)?;
            self.window_at = at;
        }
        Ok(&self.window[(at - self.window_at) as usize..])
    }

    fn next_field(&mut self) -> Result<Option<Field>, ScoutError> {
        if self.at >= self.end {
            return Ok(None);
        }
        let start = self.at;
        let end_limit = self.end;
        let bytes = self.bytes_at(start)?;
        let (key, n) = varint(bytes).ok_or_else(|| bad("a field header"))?;
        let (number, wire) = ((key >> 3) as u32, (key & 7) as u8);
        let body = start + n as u64;
        let (value, end) = match wire {
            0 => {
                let (v, m) = varint(&bytes[n..]).ok_or_else(|| bad("a varint"))?;
                (v, body + m as u64)
            }
            1 => (0, body + 8),
            5 => (0, body + 4),
            LEN => {
                let (len, m) = varint(&bytes[n..]).ok_or_else(|| bad("a length"))?;
                let payload = body + m as u64;
                return self.finish(Field {
                    number,
                    wire,
                    start,
                    body: payload,
                    end: payload.checked_add(len).ok_or_else(|| bad("a length"))?,
                    value: len,
                });
            }
            _ => return Err(bad("a wire type")),
        };
        if end > end_limit {
            return Err(bad("a field past its message"));
        }
        self.finish(Field {
            number,
            wire,
            start,
            body,
            end,
            value,
        })
    }

    fn finish(&mut self, f: Field) -> Result<Option<Field>, ScoutError> {
        if f.end > self.end {
            return Err(bad("a field past its message"));
        }
        self.at = f.end;
        Ok(Some(f))
    }
}

fn all_fields<S: ModelBytes + ?Sized>(src: &S, start: u64, end: u64) -> Result<Vec<Field>, ScoutError> {
    let mut it = Fields::new(src, start, end);
    let mut out = Vec::new();
    while let Some(f) = it.next_field()? {
        out.push(f);
    }
    Ok(out)
}

fn string<S: ModelBytes + ?Sized>(src: &S, f: &Field) -> Result<String, ScoutError> {
    if f.wire != LEN || f.value > 4096 {
        return Err(bad("a name"));
    }
    let bytes = src.read(f.body, f.value as usize)?;
    String::from_utf8(bytes).map_err(|_| bad("a name that is not UTF-8"))
}

/// The strings of field `number` in the message `fields` (of `src`).
fn strings<S: ModelBytes + ?Sized>(src: &S, fields: &[Field], number: u32) -> Result<Vec<String>, ScoutError> {
    fields
        .iter()
        .filter(|f| f.number == number)
        .map(|f| string(src, f))
        .collect()
}

/// The default domain's opset version of the model, if it declares one.
fn default_opset<S: ModelBytes + ?Sized>(src: &S, model: &[Field]) -> Result<Option<u64>, ScoutError> {
    for f in model.iter().filter(|f| f.number == MODEL_OPSET && f.wire == LEN) {
        let inner = all_fields(src, f.body, f.end)?;
        let domain = strings(src, &inner, OPSET_DOMAIN)?;
        if domain.iter().all(|d| d.is_empty() || d == "ai.onnx") {
            return Ok(inner
                .iter()
                .find(|g| g.number == OPSET_VERSION && g.wire == 0)
                .map(|g| g.value));
        }
    }
    Ok(None)
}

fn int64_initializer(name: &str, value: i64) -> Vec<u8> {
    let mut t = Vec::new();
    put_uint(&mut t, TENSOR_DIMS, 1);
    put_uint(&mut t, TENSOR_TYPE, INT64);
    put_len(&mut t, TENSOR_NAME, name.as_bytes());
    put_len(&mut t, TENSOR_RAW, &value.to_le_bytes());
    let mut out = Vec::new();
    put_len(&mut out, GRAPH_INITIALIZER, &t);
    out
}

/// The edit that makes `logits` the last position's only, or `None` when the graph is not one this applies to.
pub fn last_position_logits<S: ModelBytes + ?Sized>(src: &S) -> Result<Option<Vec<Piece>>, ScoutError> {
    let model = all_fields(src, 0, src.len())?;
    if default_opset(src, &model)?.is_none_or(|v| v < 10) {
        return Ok(None);
    }
    let Some(graph) = model.iter().find(|f| f.number == MODEL_GRAPH && f.wire == LEN).copied() else {
        return Ok(None);
    };
    let fields = all_fields(src, graph.body, graph.end)?;
    let mut outputs = Vec::new();
    for f in fields.iter().filter(|f| f.number == GRAPH_OUTPUT && f.wire == LEN) {
        outputs.extend(strings(src, &all_fields(src, f.body, f.end)?, VALUE_NAME)?);
    }
    if !outputs.iter().any(|o| o == "logits") {
        return Ok(None);
    }
    // The node that makes `logits`, and its fields.
    let mut head = None;
    for f in fields.iter().filter(|f| f.number == GRAPH_NODE && f.wire == LEN) {
        let node = all_fields(src, f.body, f.end)?;
        let made = strings(src, &node, NODE_OUTPUT)?;
        if made.iter().any(|o| o == "logits") {
            if head.is_some() {
                return Ok(None);
            }
            head = Some((*f, node));
        }
    }
    let Some((head, node)) = head else {
        return Ok(None);
    };
    let op = strings(src, &node, NODE_OP)?;
    let domain = strings(src, &node, NODE_DOMAIN)?;
    let plain = domain.iter().all(|d| d.is_empty() || d == "ai.onnx");
    let is_head = match op.first().map(String::as_str) {
        Some("MatMul") => plain,
        Some("MatMulNBits") => domain.iter().any(|d| d == "com.microsoft"),
        _ => false,
    };
    if !is_head || head.end - head.start > MAX_NODE_BYTES {
        return Ok(None);
    }
    let Some(first_input) = node.iter().find(|f| f.number == NODE_INPUT) else {
        return Ok(None);
    };
    let hidden = string(src, first_input)?;
    if hidden.is_empty() {
        return Ok(None);
    }

    // The head node again, its first input now the sliced hidden states; the Slice reads the old name.
    let mut new_head = Vec::new();
    for f in &node {
        if f.start == first_input.start {
            put_len(&mut new_head, NODE_INPUT, SLICED.as_bytes());
        } else {
            new_head.extend(src.read(f.start, (f.end - f.start) as usize)?);
        }
    }
    let mut head_field = Vec::new();
    put_len(&mut head_field, GRAPH_NODE, &new_head);

    // The head's input is [batch, seq, hidden]: keep seq -1.. (the last position).
    let mut slice = Vec::new();
    put_len(&mut slice, NODE_INPUT, hidden.as_bytes());
    for input in [STARTS, ENDS, AXES] {
        put_len(&mut slice, NODE_INPUT, input.as_bytes());
    }
    put_len(&mut slice, NODE_OUTPUT, SLICED.as_bytes());
    put_len(&mut slice, NODE_NAME, b"scout/last_position");
    put_len(&mut slice, NODE_OP, b"Slice");
    // Appended after the initializers: repeated fields may come in any order in protobuf, and ONNX Runtime sorts
    // the nodes itself.
    let mut appended = Vec::new();
    put_len(&mut appended, GRAPH_NODE, &slice);
    appended.extend(int64_initializer(STARTS, -1));
    appended.extend(int64_initializer(ENDS, i64::MAX));
    appended.extend(int64_initializer(AXES, 1));

    let graph_len =
        (graph.end - graph.body) - (head.end - head.start) + head_field.len() as u64 + appended.len() as u64;
    let mut graph_header = Vec::new();
    put_varint(&mut graph_header, (u64::from(MODEL_GRAPH) << 3) | u64::from(LEN));
    put_varint(&mut graph_header, graph_len);
    Ok(Some(vec![
        Piece::Keep(0, graph.start),
        Piece::New(graph_header),
        Piece::Keep(graph.body, head.start),
        Piece::New(head_field),
        Piece::Keep(head.end, graph.end),
        Piece::New(appended),
        Piece::Keep(graph.end, src.len()),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(inputs: &[&str], output: &str, op: &str, domain: Option<&str>) -> Vec<u8> {
        let mut n = Vec::new();
        for i in inputs {
            put_len(&mut n, NODE_INPUT, i.as_bytes());
        }
        put_len(&mut n, NODE_OUTPUT, output.as_bytes());
        put_len(&mut n, NODE_OP, op.as_bytes());
        if let Some(d) = domain {
            put_len(&mut n, NODE_DOMAIN, d.as_bytes());
        }
        n
    }

    fn model(nodes: &[Vec<u8>], outputs: &[&str], opset: u64) -> Vec<u8> {
        let mut g = Vec::new();
        for n in nodes {
            put_len(&mut g, GRAPH_NODE, n);
        }
        put_len(&mut g, 2, b"main_graph");
        for o in outputs {
            let mut v = Vec::new();
            put_len(&mut v, VALUE_NAME, o.as_bytes());
            put_len(&mut g, GRAPH_OUTPUT, &v);
        }
        let mut m = Vec::new();
        put_uint(&mut m, 1, 8);
        let mut op = Vec::new();
        put_len(&mut op, OPSET_DOMAIN, b"");
        put_uint(&mut op, OPSET_VERSION, opset);
        put_len(&mut m, MODEL_OPSET, &op);
        put_len(&mut m, MODEL_GRAPH, &g);
        put_len(&mut m, 14, b"trailing metadata");
        m
    }

    #[test]
    fn the_head_reads_the_sliced_last_position_and_the_rest_is_kept() {
        let nodes = [
            node(&["ids", "table"], "hidden", "Gather", None),
            node(&["hidden", "head_weight"], "logits", "MatMul", None),
        ];
        let m = model(&nodes, &["logits", "present.0.key"], 17);
        let pieces = last_position_logits(m.as_slice()).unwrap().expect("rewritten");
        let out = assemble(&m, &pieces);
        // Parse the result with the same reader: the graph holds the edited head, the Slice and three initializers.
        let top = all_fields(out.as_slice(), 0, out.len() as u64).unwrap();
        assert_eq!(
            top.iter().map(|f| f.number).collect::<Vec<_>>(),
            [1, MODEL_OPSET, MODEL_GRAPH, 14]
        );
        let g = top.iter().find(|f| f.number == MODEL_GRAPH).unwrap();
        let fields = all_fields(out.as_slice(), g.body, g.end).unwrap();
        let nodes: Vec<Vec<Field>> = fields
            .iter()
            .filter(|f| f.number == GRAPH_NODE)
            .map(|f| all_fields(out.as_slice(), f.body, f.end).unwrap())
            .collect();
        let ins = |n: &[Field]| strings(out.as_slice(), n, NODE_INPUT).unwrap();
        let op = |n: &[Field]| strings(out.as_slice(), n, NODE_OP).unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(ins(&nodes[1]), [SLICED, "head_weight"]);
        assert_eq!(op(&nodes[2]), ["Slice"]);
        assert_eq!(ins(&nodes[2]), ["hidden", STARTS, ENDS, AXES]);
        let inits = fields.iter().filter(|f| f.number == GRAPH_INITIALIZER).count();
        assert_eq!(inits, 3);
        // The trailing field after the graph is intact.
        let last = top.last().unwrap();
        assert_eq!(string(out.as_slice(), last).unwrap(), "trailing metadata");
    }

    #[test]
    fn graphs_it_does_not_understand_are_left_alone() {
        let head = node(&["hidden", "w"], "logits", "MatMul", None);
        // logits made by another op (an int8 head ends in Mul), no logits output, old opset, two producers.
        let mul = node(&["x", "scale"], "logits", "Mul", None);
        assert_eq!(
            last_position_logits(model(&[mul], &["logits"], 17).as_slice()).unwrap(),
            None
        );
        assert_eq!(
            last_position_logits(model(std::slice::from_ref(&head), &["out"], 17).as_slice()).unwrap(),
            None
        );
        assert_eq!(
            last_position_logits(model(std::slice::from_ref(&head), &["logits"], 9).as_slice()).unwrap(),
            None
        );
        let twice = [head.clone(), head.clone()];
        assert_eq!(
            last_position_logits(model(&twice, &["logits"], 17).as_slice()).unwrap(),
            None
        );
        let nbits = node(&["hidden", "w", "s"], "logits", "MatMulNBits", Some("com.microsoft"));
        assert!(
            last_position_logits(model(&[nbits], &["logits"], 17).as_slice())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn truncated_files_are_errors_not_panics() {
        let m = model(&[node(&["h", "w"], "logits", "MatMul", None)], &["logits"], 17);
        for cut in 1..m.len() {
            let _ = last_position_logits(&m[..cut]);
        }
    }
}
