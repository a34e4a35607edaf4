"""Check the fused 4-bit decoder graph that `xtask/py/build_decoder.py ... --q4` writes (onnx/model_q4.onnx).

On native onnxruntime (CPU EP):
  - the graph keeps the contract: the same inputs and outputs as REFERENCE (or as the hub folder's onnx/model.onnx),
    and `logits` is made by one MatMul / MatMulNBits (what Scout's load-time rewrite of the head looks for);
  - with --reference: a prompt of about 200 tokens, then STEPS greedy steps with the presents fed back as the pasts,
    on REFERENCE (e.g. the unfused q4 graph of the same weights) and on the fused graph, both fed REFERENCE's tokens:
    the largest |logit difference| per step, and whether the fused graph picks the same token at every step (then its
    own greedy ids are REFERENCE's); also every position's logits of the prompt run;
  - the prompt in two runs (the second with a non-empty past and more than one token) gives the same logits as in
    one run.
Then onnxruntime-web in Node (WASM EP, tests/py/ort_web_decoder.mjs) must give the fused graph's greedy ids.

The prompt is SmolLM2's chat format of a fixed text, tokenized by the hub folder's tokenizer (tokenizers.js).
Exits 1 when a check fails.

usage: check_fused_decoder.py HUB_DIR [--model PATH] [--reference PATH] [--steps N]
       (the model is HUB_DIR/onnx/model_q4.onnx unless --model names another file)
"""

import argparse
import collections
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

TEXT = (
    "Rivers have shaped the towns of Europe for as long as there have been towns. The Rhine carried wine and timber "
    "from the Alps to the North Sea, and the cities along its banks grew rich on tolls. The Danube linked Vienna, "
    "Budapest and Belgrade long before railways did, and its bridges were rebuilt again and again after floods and "
    "wars. In Paris the Seine was a road for grain and stone; the quays that line it today were once busy ports. "
    "Smaller rivers mattered too: mills turned on them, tanners and dyers used their water, and their fords decided "
    "where roads would cross. Canals later joined one basin to the next, so that a barge could travel from the Baltic "
    "to the Black Sea without touching the open ocean. Summarize in three sentences how rivers influenced where "
    "European cities grew, and name one bridge that was rebuilt after a flood."
)
NODE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_web_decoder.mjs")
CHUNK_TOLERANCE = 1e-3


def node(*args: str, stdin: str) -> object:
    out = subprocess.run(["node", NODE_SCRIPT, *args], input=stdin, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"ort_web_decoder.mjs {args[0]} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def summary(path: str) -> dict:
    """Node counts, op types, the graph's inputs and outputs, and the op making `logits`."""
    model = onnx.load(path, load_external_data=False)
    g = model.graph
    per_layer = sum(1 for n in g.node if n.name.startswith("/model/layers.0/"))
    ops = collections.Counter(f"{n.domain + '.' if n.domain else ''}{n.op_type}" for n in g.node)
    head = [n for n in g.node if "logits" in n.output]

    def io(values) -> list:
        typed = [(v.name, v.type.tensor_type) for v in values]
        return [(name, t.elem_type, [d.dim_param or d.dim_value for d in t.shape.dim]) for name, t in typed]

    return {
        "nodes": len(g.node),
        "layer_0_nodes": per_layer,
        "ops": dict(sorted(ops.items())),
        "io": (io(g.input), io(g.output)),
        "head": [(n.domain, n.op_type) for n in head],
    }


class Decoder:
    def __init__(self, path: str, hub_dir: str):
        with open(os.path.join(hub_dir, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        self.layers, self.kv_heads = config["num_hidden_layers"], config["num_key_value_heads"]
        self.head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]

    def empty(self) -> dict:
        empty = np.zeros((1, self.kv_heads, 0, self.head_dim), np.float32)
        return {f"past_key_values.{i}.{kind}": empty for i in range(self.layers) for kind in ("key", "value")}

    def run(self, ids: list, past: dict) -> tuple:
        """Logits [seq, vocab] of `ids` after `past`, and the presents as the next pasts."""
        past_len = next(iter(past.values())).shape[2]
        total = past_len + len(ids)
        feeds = {
            "input_ids": np.array([ids], np.int64),
            "attention_mask": np.ones((1, total), np.int64),
            "position_ids": np.arange(past_len, total, dtype=np.int64)[None, :],
            **past,
        }
        result = dict(zip(self.outputs, self.session.run(self.outputs, feeds), strict=True))
        presents = {name: result[name.replace("past_key_values", "present")] for name in past}
        assert all(p.shape[2] == total for p in presents.values()), "presents hold past + seq positions"
        return result["logits"][0], presents

    def decode(self, prompt: list, steps: int, forced: list | None = None) -> tuple:
        """The prompt run, then `steps` runs of one token: every position's logits of the prompt run, and the last
        logits and their argmax of each run. The token after run s is `forced[s]` where given, else the argmax."""
        logits, past = self.run(prompt, self.empty())
        prompt_logits, last, ids = logits, [logits[-1]], [int(np.argmax(logits[-1]))]
        for step in range(steps):
            logits, past = self.run([forced[step] if forced else ids[-1]], past)
            last.append(logits[-1])
            ids.append(int(np.argmax(logits[-1])))
        return prompt_logits, last, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("hub_dir")
    parser.add_argument("--model", help="the fused graph (default: HUB_DIR/onnx/model_q4.onnx)")
    parser.add_argument("--reference", help="a graph of the same weights and contract to compare logits with")
    parser.add_argument("--steps", type=int, default=32)
    args = parser.parse_args()
    model = args.model or os.path.join(args.hub_dir, "onnx", "model_q4.onnx")
    failures = []

    fused = summary(model)
    print(f"fused: {fused['nodes']} nodes, {fused['layer_0_nodes']} in layer 0; ops {fused['ops']}")
    contract = args.reference or os.path.join(args.hub_dir, "onnx", "model.onnx")
    if os.path.exists(contract):
        ref = summary(contract)
        print(f"{os.path.basename(contract)}: {ref['nodes']} nodes, {ref['layer_0_nodes']} in layer 0")
        if ref["io"] != fused["io"]:
            failures.append(f"inputs/outputs differ from {contract}")
    if fused["head"] not in ([("", "MatMul")], [("com.microsoft", "MatMulNBits")]):
        failures.append(f"logits are made by {fused['head']}, not one MatMul / MatMulNBits")

    chat = f"<|im_start|>user\n{TEXT}<|im_end|>\n<|im_start|>assistant\n"
    prompt = node("encode", args.hub_dir, stdin=chat)
    print(f"prompt: {len(prompt)} tokens")

    decoder = Decoder(model, args.hub_dir)
    prompt_logits, _, greedy = decoder.decode(prompt, args.steps)
    print(f"fused greedy ids: {greedy}")

    if args.reference:
        reference = Decoder(args.reference, args.hub_dir)
        ref_prompt, ref_last, ref_ids = reference.decode(prompt, args.steps)
        _, last, ids = decoder.decode(prompt, args.steps, forced=ref_ids)
        diffs = [float(np.abs(a - b).max()) for a, b in zip(ref_last, last, strict=True)]
        print(f"prompt run, every position: max |logit diff| {np.abs(ref_prompt - prompt_logits).max():.3e}")
        print("last position's max |logit diff|, prompt run then each decode run:", " ".join(f"{d:.2e}" for d in diffs))
        print(f"logit range of the reference: {min(float(x.min()) for x in ref_last):.1f} .. "
              f"{max(float(x.max()) for x in ref_last):.1f}")  # fmt: skip
        if ids != ref_ids:
            step = next(s for s, (a, b) in enumerate(zip(ids, ref_ids, strict=True)) if a != b)
            top = np.sort(ref_last[step])[-2:]
            failures.append(f"greedy ids differ from run {step} (reference top-2 gap {top[1] - top[0]:.2e})")
        else:
            print(f"greedy ids equal: the prompt run and {args.steps} decode runs")

    # The prompt in two runs: the second has a past and several tokens (a chunked prefill, a reused prefix).
    k = len(prompt) * 2 // 3
    first, past = decoder.run(prompt[:k], decoder.empty())
    second, _ = decoder.run(prompt[k:], past)
    chunked = np.concatenate([first, second])
    diff = float(np.abs(chunked - prompt_logits).max())
    print(f"prompt in runs of {k} + {len(prompt) - k}: max |logit diff| to one run {diff:.3e} (last position "
          f"{np.abs(chunked[-1] - prompt_logits[-1]).max():.3e})")  # fmt: skip
    if diff > CHUNK_TOLERANCE:
        failures.append(f"the prompt in two runs differs from one run by {diff}")

    web = node("greedy", args.hub_dir, model, str(args.steps + 1), stdin=json.dumps(prompt))["ids"]
    print(f"onnxruntime-web (WASM) greedy ids {'equal' if web == greedy else 'DIFFER: ' + str(web)}")
    if web != greedy:
        failures.append("onnxruntime-web's greedy ids differ from native onnxruntime's")

    for f in failures:
        print(f"FAILED: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
