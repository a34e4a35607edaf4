//! A [`Decoder`] from a Llama-architecture ONNX export (optimum's layout, which Transformers.js models follow).
//!
//! The linear layers are found by their nodes' names (`/model/layers.{i}/self_attn/q_proj/MatMul…`), which the
//! exporter takes from the PyTorch modules, so the graph's wiring does not matter: a `MatMul` with a float weight, or
//! a `MatMulInteger` with an 8-bit weight whose scale and zero point `quantize_dynamic` names `{weight}_scale` and
//! `{weight}_zero_point` (the weight itself `{weight}_quantized`). Norms, biases and the embedding table are found
//! by their PyTorch names.

use std::collections::HashMap;

use scout_bert::QuantLinear;

use crate::attention::KvCache;
use crate::onnx::{Graph, INT8, Node, Tensor};
use crate::{Decoder, Layer, LlmConfig, LlmError};

const ROLES: [&str; 7] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
];

/// An int8 matrix `[k, n]` with a scale per column.
struct Matrix {
    k: usize,
    n: usize,
    w: Vec<i8>,
    scales: Vec<f32>,
}

fn missing(what: &str) -> LlmError {
    LlmError(format!("the model graph has no {what}"))
}

/// Float values to int8 per column (symmetric, the largest magnitude to 127).
fn quantize_columns(w: &[f32], k: usize, n: usize) -> Matrix {
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
    Matrix { k, n, w: q, scales }
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
fn matrix(graph: &Graph, node: &Node) -> Result<Matrix, LlmError> {
    let name = node
        .inputs
        .get(1)
        .ok_or_else(|| missing(&format!("weight input of {}", node.name)))?;
    let t = graph
        .tensor(name)
        .ok_or_else(|| missing(&format!("initializer {name}")))?;
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
        return Ok(Matrix {
            k,
            n,
            w: t.i8s()?,
            scales,
        });
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

/// The embedding table `[vocab, hidden]` as floats (the int8 export stores it as uint8 with a zero point).
fn embedding(graph: &Graph) -> Result<(Vec<f32>, usize, usize), LlmError> {
    let gather = graph
        .nodes
        .iter()
        .find(|n| n.op == "Gather" && n.name.contains("embed_tokens"))
        .ok_or_else(|| missing("embedding lookup (a Gather node named embed_tokens)"))?;
    let name = &gather.inputs[0];
    let t = graph
        .tensor(name)
        .ok_or_else(|| missing(&format!("initializer {name}")))?;
    let [vocab, hidden] = t.dims[..] else {
        return Err(LlmError(format!("{name}: an embedding of shape {:?}", t.dims)));
    };
    let mut values = t.f32s()?;
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
        let (s, z) = (scalar("_scale")?, scalar("_zero_point").unwrap_or(0.0));
        values.iter_mut().for_each(|v| *v = (*v - z) * s);
    }
    Ok((values, vocab, hidden))
}

fn vector(graph: &Graph, name: &str, n: usize) -> Result<Vec<f32>, LlmError> {
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

fn pack(parts: &[Matrix], biases: &[Option<Vec<f32>>]) -> Result<QuantLinear, LlmError> {
    let k = parts[0].k;
    let unpackable = |n: usize| {
        LlmError(format!(
            "a {k} × {n} matrix cannot be packed (k must be a multiple of 4, n of 8)"
        ))
    };
    if let ([p], [None]) = (parts, biases) {
        return QuantLinear::new(&p.w, k, p.n, p.scales.clone(), vec![0.0; p.n]).ok_or_else(|| unpackable(p.n));
    }
    if parts.iter().any(|p| p.k != k) {
        return Err(LlmError("layers that read the same input have different widths".into()));
    }
    let n: usize = parts.iter().map(|p| p.n).sum();
    let mut w = vec![0i8; k * n];
    let (mut scales, mut bias) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut at = 0;
    for (p, b) in parts.iter().zip(biases) {
        for r in 0..k {
            w[r * n + at..r * n + at + p.n].copy_from_slice(&p.w[r * p.n..(r + 1) * p.n]);
        }
        scales.extend_from_slice(&p.scales);
        match b {
            Some(b) if b.len() == p.n => bias.extend_from_slice(b),
            Some(_) => return Err(LlmError("a bias of the wrong length".into())),
            None => bias.extend(std::iter::repeat_n(0.0, p.n)),
        }
        at += p.n;
    }
    QuantLinear::new(&w, k, n, scales, bias).ok_or_else(|| {
        LlmError(format!(
            "a {k} × {n} matrix cannot be packed (k must be a multiple of 4, n of 8)"
        ))
    })
}

impl Decoder {
    /// Load a model from its ONNX export. `config` gives what the weights do not (heads, RoPE, norm epsilon).
    pub fn from_onnx(model: &[u8], config: LlmConfig) -> Result<Self, LlmError> {
        let graph = Graph::parse(model)?;
        let mut linears: HashMap<(usize, usize), &Node> = HashMap::new();
        let mut head_node = None;
        for node in graph
            .nodes
            .iter()
            .filter(|n| n.op == "MatMul" || n.op == "MatMulInteger")
        {
            if let Some(key) = layer_role(&node.name) {
                linears.insert(key, node);
            } else if node.name.contains("lm_head") {
                head_node = Some(node);
            }
        }
        let (table, vocab, hidden) = embedding(&graph)?;
        let (heads, kv, d) = (config.heads, config.kv_heads, config.head_dim);
        if heads == 0 || kv == 0 || !heads.is_multiple_of(kv) || d == 0 || !d.is_multiple_of(8) {
            return Err(LlmError(format!(
                "{heads} heads, {kv} key/value heads of {d} dimensions are not supported"
            )));
        }
        let mut layers = Vec::with_capacity(config.layers);
        let mut intermediate = 0;
        for l in 0..config.layers {
            let get = |role: usize| -> Result<Matrix, LlmError> {
                let node = linears
                    .get(&(l, role))
                    .ok_or_else(|| missing(&format!("layers.{l}/{}", ROLES[role])))?;
                matrix(&graph, node)
            };
            let bias = |p: &str| -> Option<Vec<f32>> {
                graph
                    .tensor(&format!("model.layers.{l}.self_attn.{p}.bias"))
                    .and_then(|t| t.f32s().ok())
            };
            let [q, k, v, o, gate, up, down] = [0, 1, 2, 3, 4, 5, 6].map(get);
            let (q, k, v) = (q?, k?, v?);
            if q.k != hidden || q.n != heads * d || k.n != kv * d || v.n != kv * d {
                return Err(LlmError(format!(
                    "layer {l}: attention weights do not match {heads} heads of {d}"
                )));
            }
            let (gate, up) = (gate?, up?);
            intermediate = gate.n;
            let norm = |which: &str| vector(&graph, &format!("model.layers.{l}.{which}.weight"), hidden);
            layers.push(Layer {
                qkv: pack(&[q, k, v], &[bias("q_proj"), bias("k_proj"), bias("v_proj")])?,
                o: pack(&[o?], &[None])?,
                gate_up: pack(&[gate, up], &[None, None])?,
                down: pack(&[down?], &[None])?,
                attn_norm: norm("input_layernorm")?,
                mlp_norm: norm("post_attention_layernorm")?,
            });
        }
        // The embedding table per token, int8 (a quarter of the floats' memory); transposed, it is a tied head.
        let (mut embed_q, mut embed_scale) = (Vec::with_capacity(table.len()), Vec::with_capacity(vocab));
        for row in table.chunks_exact(hidden) {
            let top = row.iter().fold(0f32, |a, v| a.max(v.abs()));
            let s = if top > 0.0 { top / 127.0 } else { 1.0 };
            embed_q.extend(row.iter().map(|&v| (v / s).round().clamp(-127.0, 127.0) as i8));
            embed_scale.push(s);
        }
        drop(table);
        // A head of its own reads an initializer; a tied one reads the table (often through a Transpose or a
        // DequantizeLinear of it).
        let own_head = head_node.filter(|n| {
            n.inputs
                .get(1)
                .is_some_and(|w| !w.contains("embed_tokens") && graph.tensor(w).is_some())
        });
        let head = match own_head {
            Some(node) => {
                let head = matrix(&graph, node)?;
                if head.k != hidden || head.n != vocab {
                    return Err(LlmError(format!(
                        "the head is {} × {}, not {hidden} × {vocab}",
                        head.k, head.n
                    )));
                }
                pack(&[head], &[None])?
            }
            None => QuantLinear::from_columns(&embed_q, hidden, vocab, embed_scale.clone(), vec![0.0; vocab])
                .ok_or_else(|| LlmError(format!("a head of {hidden} × {vocab} cannot be packed")))?,
        };
        let final_norm = vector(&graph, "model.norm.weight", hidden)?;
        let inv_freq = config.inv_freq();
        Ok(Decoder {
            cache: (0..config.layers).map(|_| KvCache::new(kv, d)).collect(),
            hidden,
            intermediate,
            vocab,
            embed_q,
            embed_scale,
            layers,
            final_norm,
            head,
            inv_freq,
            scratch: Default::default(),
            config,
        })
    }
}
