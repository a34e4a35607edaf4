//! A [`Decoder`] from a Llama-architecture ONNX export (optimum's layout, which Transformers.js models follow).
//!
//! The linear layers are found by their nodes' names (`/model/layers.{i}/self_attn/q_proj/MatMul…`), which the
//! exporter takes from the PyTorch modules, so the graph's wiring does not matter: a `MatMul` with a float weight, or
//! a `MatMulInteger` with an 8-bit weight whose scale and zero point `quantize_dynamic` names `{weight}_scale` and
//! `{weight}_zero_point` (the weight itself `{weight}_quantized`). Norms, biases and the embedding table are found
//! by their PyTorch names.

use std::borrow::Cow;
use std::collections::HashMap;

use scout_bert::{LinearParts, QuantLinear};

use crate::onnx::{Graph, INT8, Node, Tensor, UINT8};
use crate::shard::{SHARDS, Shard, ShardLayer};
use crate::{Decoder, LlmConfig, LlmError};

pub(crate) const ROLES: [&str; 8] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    // Q|K|V in one product (the 4-bit graph Scout builds for WebGPU).
    "qkv_proj",
];

/// An int8 matrix `[k, n]` with a scale per column.
pub(crate) struct Matrix<'g> {
    pub(crate) k: usize,
    pub(crate) n: usize,
    /// The export's own bytes where they are usable as they are (symmetric int8), else a converted copy.
    pub(crate) w: Cow<'g, [i8]>,
    pub(crate) scales: Vec<f32>,
}

impl<'g> Matrix<'g> {
    /// Columns `a..b` (a copy).
    fn columns(&self, a: usize, b: usize) -> Matrix<'static> {
        let mut w = Vec::with_capacity(self.k * (b - a));
        for row in self.w.chunks_exact(self.n) {
            w.extend_from_slice(&row[a..b]);
        }
        Matrix {
            k: self.k,
            n: b - a,
            w: Cow::Owned(w),
            scales: self.scales[a..b].to_vec(),
        }
    }

    /// Rows `a..b` (the scales are per column: unchanged; borrowed where the whole is).
    fn rows(self, a: usize, b: usize) -> Matrix<'g> {
        let n = self.n;
        let w = match self.w {
            Cow::Borrowed(all) => Cow::Borrowed(&all[a * n..b * n]),
            Cow::Owned(all) => Cow::Owned(all[a * n..b * n].to_vec()),
        };
        Matrix {
            k: b - a,
            n,
            w,
            scales: self.scales,
        }
    }
}

pub(crate) fn missing(what: &str) -> LlmError {
    LlmError(format!("the model graph has no {what}"))
}

/// Float values to int8 per column (symmetric, the largest magnitude to 127).
fn quantize_columns(w: &[f32], k: usize, n: usize) -> Matrix<'static> {
    let mut scales = vec![0f32; n];
    for row in w.chunks_exact(n) {
        for (s, &v) in scales.iter_mut().zip(row) {
            *s = s.max(v.abs());
        }
    }
    scales
        .iter_mut()
        .for_each(|s| *s = if *s > 0.0 { *s / 127.0 } else { 1.0 });
    let inv: Vec<f32> = scales.iter().map(|s| 1.0 / s).collect();
    let mut q = Vec::with_capacity(w.len());
    for row in w.chunks_exact(n) {
        q.extend(
            row.iter()
                .zip(&inv)
                .map(|(&v, &i)| (v * i).round().clamp(-127.0, 127.0) as i8),
        );
    }
    Matrix {
        k,
        n,
        w: Cow::Owned(q),
        scales,
    }
}

/// Per-tensor or per-column parameters of an 8-bit weight, one value per column.
fn per_column(t: &Tensor, n: usize, what: &str) -> Result<Vec<f32>, LlmError> {
    let v = t.f32s()?;
    match v.len() {
        1 => Ok(vec![v[0]; n]),
        len if len == n => Ok(v),
        len => Err(LlmError(format!("{what}: {len} values for {n} columns"))),
    }
}

/// The weight of a `MatMul` or `MatMulInteger` node as an int8 matrix.
pub(crate) fn matrix<'g>(graph: &'g Graph, node: &Node) -> Result<Matrix<'g>, LlmError> {
    let name = node
        .inputs
        .get(1)
        .ok_or_else(|| missing(&format!("weight input of {}", node.name)))?;
    let t = graph
        .tensor(name)
        .ok_or_else(|| missing(&format!("initializer {name}")))?;
    if node.op == "MatMulNBits" {
        return nbits_matrix(graph, node, t);
    }
    let [k, n] = t.dims[..] else {
        return Err(LlmError(format!("{name}: a weight of shape {:?}", t.dims)));
    };
    if node.op == "MatMul" {
        return Ok(quantize_columns(&t.f32s()?, k, n));
    }
    let base = name.strip_suffix("_quantized").unwrap_or(name);
    let scale = graph
        .tensor(&format!("{base}_scale"))
        .ok_or_else(|| missing(&format!("{base}_scale")))?;
    let scales = per_column(scale, n, &format!("{base}_scale"))?;
    let zeros = match node.inputs.get(3).filter(|z| !z.is_empty()) {
        Some(z) => per_column(graph.tensor(z).ok_or_else(|| missing(z))?, n, z)?,
        None => vec![0.0; n],
    };
    if t.dtype == INT8 && zeros.iter().all(|&z| z == 0.0) {
        // Symmetric int8: the export's own values and scales, not requantized.
        let w = match t.i8_slice() {
            Some(raw) => Cow::Borrowed(raw),
            None => Cow::Owned(t.i8s()?),
        };
        return Ok(Matrix { k, n, w, scales });
    }
    let ints = t.ints()?;
    let float: Vec<f32> = ints
        .chunks_exact(n)
        .flat_map(|row| {
            row.iter()
                .zip(&zeros)
                .zip(&scales)
                .map(|((&q, &z), &s)| (q as f32 - z) * s)
        })
        .collect();
    Ok(quantize_columns(&float, k, n))
}

/// A `MatMulNBits` weight (4-bit, blocks along the input with a scale each and an optional packed 4-bit zero point,
/// 8 where there is none: ONNX Runtime's contrib op, which the 4-bit exports use) as float, then int8 per column.
fn nbits_matrix(graph: &Graph, node: &Node, b: &Tensor) -> Result<Matrix<'static>, LlmError> {
    let attr = |a: &str| node.int(a).and_then(|v| usize::try_from(v).ok());
    let (Some(k), Some(n), Some(block)) = (attr("K"), attr("N"), attr("block_size")) else {
        return Err(missing(&format!("K, N or block_size of {}", node.name)));
    };
    if attr("bits").unwrap_or(4) != 4 || block == 0 || block % 2 != 0 {
        return Err(LlmError(format!(
            "{}: only 4-bit weights in even blocks are read",
            node.name
        )));
    }
    let (blocks, blob) = (k.div_ceil(block), block / 2);
    let q = b
        .u8_slice()
        .filter(|q| q.len() == n * blocks * blob)
        .ok_or_else(|| LlmError(format!("{}: 4-bit weights of the wrong size", node.name)))?;
    let input = |i: usize| node.inputs.get(i).filter(|s| !s.is_empty());
    let scales_name = input(2).ok_or_else(|| missing(&format!("scales of {}", node.name)))?;
    let scales = graph.tensor(scales_name).ok_or_else(|| missing(scales_name))?.f32s()?;
    if scales.len() != n * blocks {
        return Err(LlmError(format!(
            "{scales_name}: {} scales for {n} × {blocks} blocks",
            scales.len()
        )));
    }
    let zeros = match input(3) {
        Some(z) => Some(
            graph
                .tensor(z)
                .and_then(Tensor::u8_slice)
                .filter(|z| z.len() == n * blocks.div_ceil(2))
                .ok_or_else(|| LlmError(format!("{z}: zero points other than packed 4-bit")))?,
        ),
        None => None,
    };
    let mut w = vec![0f32; k * n];
    for col in 0..n {
        for blk in 0..blocks {
            let s = scales[col * blocks + blk];
            let zp = zeros.map_or(8.0, |z| {
                f32::from((z[col * blocks.div_ceil(2) + blk / 2] >> (4 * (blk % 2))) & 15)
            });
            let bytes = &q[(col * blocks + blk) * blob..][..blob];
            for (j, &byte) in bytes.iter().enumerate() {
                for (h, v) in [(0, byte & 15), (1, byte >> 4)] {
                    let row = blk * block + 2 * j + h;
                    if row < k {
                        w[row * n + col] = (f32::from(v) - zp) * s;
                    }
                }
            }
        }
    }
    Ok(quantize_columns(&w, k, n))
}

/// The embedding table `[vocab, hidden]` as int8 with a scale per token, read a row at a time (the int8 export
/// stores it as uint8 with one zero point; a float copy of the whole table would be four times its size).
pub(crate) fn embedding(graph: &Graph) -> Result<(Vec<i8>, Vec<f32>, usize, usize), LlmError> {
    let (name, vocab, hidden) = embedding_shape(graph)?;
    let t = graph
        .tensor(name)
        .ok_or_else(|| missing(&format!("initializer {name}")))?;
    let (mut s, mut z) = (1.0, 0.0);
    let quantized = matches!(t.dtype, INT8 | UINT8);
    if let Some(base) = name.strip_suffix("_quantized") {
        let scalar = |suffix: &str| -> Result<f32, LlmError> {
            let t = graph
                .tensor(&format!("{base}{suffix}"))
                .ok_or_else(|| missing(&format!("{base}{suffix}")))?;
            t.f32s()?
                .first()
                .copied()
                .ok_or_else(|| missing(&format!("{base}{suffix} value")))
        };
        (s, z) = (scalar("_scale")?, scalar("_zero_point").unwrap_or(0.0));
    }
    let (mut table, mut scales) = (Vec::with_capacity(vocab * hidden), Vec::with_capacity(vocab));
    let mut row = vec![0f32; hidden];
    // Typed fields (no raw_data) are converted whole.
    let all = if t.has_raw() { None } else { Some(t.f32s()?) };
    for r in 0..vocab {
        match &all {
            Some(all) => row.copy_from_slice(&all[r * hidden..(r + 1) * hidden]),
            None => t.row_f32(r, hidden, &mut row)?,
        }
        if quantized && row.iter().all(|&q| (q - z).abs() <= 127.0) {
            // The export's own 8-bit values fit int8 around their zero point: kept exactly, with its scale.
            table.extend(row.iter().map(|&q| (q - z) as i8));
            scales.push(s);
            continue;
        }
        row.iter_mut().for_each(|v| *v = (*v - z) * s);
        scales.push(crate::quantize_symmetric(&row, &mut table));
    }
    Ok((table, scales, vocab, hidden))
}

pub(crate) fn vector(graph: &Graph, name: &str, n: usize) -> Result<Vec<f32>, LlmError> {
    let v = graph.tensor(name).ok_or_else(|| missing(name))?.f32s()?;
    if v.len() != n {
        return Err(LlmError(format!("{name}: {} values, expected {n}", v.len())));
    }
    Ok(v)
}

/// The layer index and role of a linear layer's node, from its name.
fn layer_role(name: &str) -> Option<(usize, usize)> {
    let rest = &name[name.find("layers.")? + "layers.".len()..];
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let layer = rest[..digits].parse().ok()?;
    let role = ROLES.iter().position(|r| rest.contains(&format!("/{r}/")))?;
    Some((layer, role))
}

/// One matrix packed for the kernels (read where the export's bytes are, without a copy of them first).
fn pack(m: &Matrix) -> Result<QuantLinear, LlmError> {
    QuantLinear::new(&m.w, m.k, m.n, m.scales.clone(), vec![0.0; m.n]).ok_or_else(|| unpackable(m.k, m.n))
}

/// Matrices that read the same input (Q, K and V; gate and up) side by side, each with its bias if it has one.
fn pack_side_by_side(parts: Vec<(Matrix, Option<Vec<f32>>)>) -> Result<QuantLinear, LlmError> {
    let k = parts[0].0.k;
    if parts.iter().any(|(m, _)| m.k != k) {
        return Err(LlmError("layers that read the same input have different widths".into()));
    }
    let n = parts.iter().map(|(m, _)| m.n).sum();
    let parts = parts
        .into_iter()
        .map(|(m, bias)| {
            let bias = bias.unwrap_or_else(|| vec![0.0; m.n]);
            if bias.len() != m.n {
                return Err(LlmError("a bias of the wrong length".into()));
            }
            Ok(LinearParts {
                w: m.w.into_owned(),
                scales: m.scales,
                bias,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    QuantLinear::concat(&parts, k).ok_or_else(|| unpackable(k, n))
}

fn unpackable(k: usize, n: usize) -> LlmError {
    LlmError(format!(
        "a {k} × {n} matrix cannot be packed (k must be a multiple of 4, n of 8)"
    ))
}

/// The graph's linear-layer nodes by (layer, role), and the head's node if it has one.
pub(crate) struct Linears<'g> {
    pub(crate) by_layer: HashMap<(usize, usize), &'g Node>,
    head: Option<&'g Node>,
}

pub(crate) fn linears<'g>(graph: &'g Graph) -> Linears<'g> {
    let mut by_layer = HashMap::new();
    let mut head = None;
    for node in graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op.as_str(), "MatMul" | "MatMulInteger" | "MatMulNBits"))
    {
        if let Some(key) = layer_role(&node.name) {
            by_layer.insert(key, node);
        } else if node.name.contains("lm_head") {
            head = Some(node);
        }
    }
    Linears { by_layer, head }
}

pub(crate) fn check_heads(config: &LlmConfig) -> Result<(), LlmError> {
    let (heads, kv, d) = (config.heads, config.kv_heads, config.head_dim);
    if heads < SHARDS || kv == 0 || !heads.is_multiple_of(kv) || d == 0 || !d.is_multiple_of(8) {
        return Err(LlmError(format!(
            "{heads} heads, {kv} key/value heads of {d} dimensions are not supported"
        )));
    }
    Ok(())
}

/// A layer's seven linear layers, their shapes checked against the config.
pub(crate) struct LayerMatrices<'g> {
    pub q: Matrix<'g>,
    pub k: Matrix<'g>,
    pub v: Matrix<'g>,
    pub o: Matrix<'g>,
    pub gate: Matrix<'g>,
    pub up: Matrix<'g>,
    pub down: Matrix<'g>,
}

/// Layer `l`'s linear layers from the graph.
pub(crate) fn layer_matrices<'g>(
    graph: &'g Graph,
    lin: &Linears<'g>,
    config: &LlmConfig,
    hidden: usize,
    l: usize,
) -> Result<LayerMatrices<'g>, LlmError> {
    let get = |role: usize| -> Result<Matrix, LlmError> {
        let node = lin
            .by_layer
            .get(&(l, role))
            .ok_or_else(|| missing(&format!("layers.{l}/{}", ROLES[role])))?;
        matrix(graph, node)
    };
    let (heads, kv, d) = (config.heads, config.kv_heads, config.head_dim);
    let [q, k, v, o, gate, up, down] = [0, 1, 2, 3, 4, 5, 6].map(get);
    let (q, k, v) = match (q, k, v) {
        (Ok(q), Ok(k), Ok(v)) => (q, k, v),
        (q, ..) if lin.by_layer.contains_key(&(l, 7)) => {
            let qkv = get(7)?;
            if qkv.n != (heads + 2 * kv) * d {
                return Err(LlmError(format!("layer {l}: Q|K|V of {} columns", qkv.n)));
            }
            let (a, b) = (heads * d, (heads + kv) * d);
            drop(q);
            (qkv.columns(0, a), qkv.columns(a, b), qkv.columns(b, qkv.n))
        }
        (q, k, v) => (q?, k?, v?),
    };
    let (o, gate, up, down) = (o?, gate?, up?, down?);
    if q.k != hidden || q.n != heads * d || k.n != kv * d || v.n != kv * d || o.k != heads * d || o.n != hidden {
        return Err(LlmError(format!(
            "layer {l}: attention weights do not match {heads} heads of {d}"
        )));
    }
    let full = gate.n;
    let same = |m: &Matrix, k: usize, n: usize| m.k == k && m.n == n;
    if !same(&gate, hidden, full) || !same(&up, hidden, full) || !same(&down, full, hidden) {
        return Err(LlmError(format!(
            "layer {l}: feed-forward weights of mismatched shapes"
        )));
    }
    Ok(LayerMatrices {
        q,
        k,
        v,
        o,
        gate,
        up,
        down,
    })
}

/// Layer `l`'s bias of attention projection `p` (q_proj, k_proj, v_proj), where the model has one (Qwen2).
pub(crate) fn attn_bias(graph: &Graph, l: usize, p: &str) -> Option<Vec<f32>> {
    graph
        .tensor(&format!("model.layers.{l}.self_attn.{p}.bias"))
        .and_then(|t| t.f32s().ok())
}

/// Shard `index`'s part of every layer: its query heads (the first shard takes the larger half), its key/value
/// heads, its half of the feed-forward columns (a multiple of 8).
fn shard(graph: &Graph, lin: &Linears, config: &LlmConfig, hidden: usize, index: usize) -> Result<Shard, LlmError> {
    let (heads, kv, d) = (config.heads, config.kv_heads, config.head_dim);
    let group = heads / kv;
    let split = heads.div_ceil(SHARDS);
    let (h0, h1) = if index == 0 { (0, split) } else { (split, heads) };
    let (k0, k1) = (h0 / group, h1.div_ceil(group));
    let mut layers = Vec::with_capacity(config.layers);
    let mut inner = 0;
    for l in 0..config.layers {
        let m = layer_matrices(graph, lin, config, hidden, l)?;
        let bias = |p: &str, a: usize, b: usize| attn_bias(graph, l, p).and_then(|v| v.get(a..b).map(<[f32]>::to_vec));
        let full = m.gate.n;
        if full < 16 {
            return Err(LlmError(format!("layer {l}: a feed-forward layer of {full} columns")));
        }
        let half = (full / 2).div_ceil(8) * 8;
        let (i0, i1) = if index == 0 { (0, half) } else { (half, full) };
        inner = i1 - i0;
        let qkv = pack_side_by_side(vec![
            (m.q.columns(h0 * d, h1 * d), bias("q_proj", h0 * d, h1 * d)),
            (m.k.columns(k0 * d, k1 * d), bias("k_proj", k0 * d, k1 * d)),
            (m.v.columns(k0 * d, k1 * d), bias("v_proj", k0 * d, k1 * d)),
        ])?;
        layers.push(ShardLayer {
            qkv,
            o: pack(&m.o.rows(h0 * d, h1 * d))?,
            gate_up: pack_side_by_side(vec![(m.gate.columns(i0, i1), None), (m.up.columns(i0, i1), None)])?,
            down: pack(&m.down.rows(i0, i1))?,
        });
    }
    Ok(Shard::new((h0, h1), group, d, inner, layers, config.inv_freq()))
}

impl Decoder {
    /// Load the next shard here (after [`Decoder::from_onnx_shards`] left it to another thread that did not come),
    /// with an empty cache: the caller starts the cache again.
    pub fn load_shard(&mut self, model: &[u8]) -> Result<(), LlmError> {
        let index = self.shards.len();
        if index < SHARDS {
            let shard = Shard::from_onnx(model, &self.config, index)?;
            self.shards.push(shard);
        }
        Ok(())
    }
}

impl Shard {
    /// Shard `index` alone from the model's ONNX export (a second thread's copy).
    pub fn from_onnx(model: &[u8], config: &LlmConfig, index: usize) -> Result<Self, LlmError> {
        check_heads(config)?;
        let graph = Graph::parse(model)?;
        let (_, _, hidden) = embedding_shape(&graph)?;
        shard(&graph, &linears(&graph), config, hidden, index)
    }
}

/// The head's matrix (checked to be `[hidden, vocab]`) where the model has a head of its own, which reads an
/// initializer; `None` for a tied head, which reads the embedding table (often through a Transpose or a
/// DequantizeLinear of it).
pub(crate) fn own_head<'g>(
    graph: &'g Graph,
    lin: &Linears<'g>,
    hidden: usize,
    vocab: usize,
) -> Result<Option<Matrix<'g>>, LlmError> {
    let node = lin.head.filter(|n| {
        n.inputs
            .get(1)
            .is_some_and(|w| !w.contains("embed_tokens") && graph.tensor(w).is_some())
    });
    let Some(node) = node else { return Ok(None) };
    let head = matrix(graph, node)?;
    if head.k != hidden || head.n != vocab {
        return Err(LlmError(format!(
            "the head is {} × {}, not {hidden} × {vocab}",
            head.k, head.n
        )));
    }
    Ok(Some(head))
}

/// The embedding lookup's table: its name, vocabulary and width.
fn embedding_shape<'g>(graph: &'g Graph) -> Result<(&'g str, usize, usize), LlmError> {
    let gather = graph
        .nodes
        .iter()
        .find(|n| n.op == "Gather" && n.name.contains("embed_tokens"))
        .ok_or_else(|| missing("embedding lookup (a Gather node named embed_tokens)"))?;
    let name = gather.inputs.first().ok_or_else(|| missing("embedding table"))?;
    let t = graph
        .tensor(name)
        .ok_or_else(|| missing(&format!("initializer {name}")))?;
    let [vocab, hidden] = t.dims[..] else {
        return Err(LlmError(format!("{name}: an embedding of shape {:?}", t.dims)));
    };
    Ok((name, vocab, hidden))
}

impl Decoder {
    /// Load a model from its ONNX export. `config` gives what the weights do not (heads, RoPE, norm epsilon).
    pub fn from_onnx(model: &[u8], config: LlmConfig) -> Result<Self, LlmError> {
        Self::from_onnx_shards(model, config, SHARDS)
    }

    /// The same with only the first `shards` shards here (the others on other threads, or loaded later with
    /// [`Decoder::load_shard`]).
    pub fn from_onnx_shards(model: &[u8], config: LlmConfig, shards: usize) -> Result<Self, LlmError> {
        check_heads(&config)?;
        let graph = Graph::parse(model)?;
        let lin = linears(&graph);
        let (embed_q, embed_scale, vocab, hidden) = embedding(&graph)?;
        let shards = (0..shards.min(SHARDS))
            .map(|i| shard(&graph, &lin, &config, hidden, i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut norms = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let norm = |which: &str| vector(&graph, &format!("model.layers.{l}.{which}.weight"), hidden);
            norms.push((norm("input_layernorm")?, norm("post_attention_layernorm")?));
        }
        // The embedding table by columns is a tied head.
        let own_head = own_head(&graph, &lin, hidden, vocab)?;
        let head = match &own_head {
            Some(head) => pack(head)?,
            None => QuantLinear::from_columns(&embed_q, hidden, vocab, embed_scale.clone(), vec![0.0; vocab])
                .ok_or_else(|| LlmError(format!("a head of {hidden} × {vocab} cannot be packed")))?,
        };
        // A tied head holds the table: the lookups read it there, and the table's own copy goes.
        let table = own_head.map(|_| (embed_q, embed_scale));
        Ok(Decoder {
            final_norm: vector(&graph, "model.norm.weight", hidden)?,
            hidden,
            vocab,
            table,
            norms,
            head,
            shards,
            scratch: Default::default(),
            config,
        })
    }
}
