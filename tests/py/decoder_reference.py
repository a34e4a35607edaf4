"""Greedy decoding with native onnxruntime: the reference that Scout's Rust decoder tests compare against.

Runs a decoder with past key/values (the optimum / Transformers.js graph that xtask/py/build_decoder.py writes) on
the CPU execution provider with one thread and the default graph optimizations, the setting whose numbers are
reproducible run to run. The first call passes the whole prompt with empty past tensors; each later call passes
the one token chosen last, the presents fed back as the past. Decoding does not stop at eos: the tests ask for
exactly N tokens.

Prints one JSON object:
  ids               the N generated ids
  first_logits_top  the 10 best [id, logit] of the first step (last prompt position), best first
  first_logits      every logit of that position, rounded to 6 decimals

usage: decoder_reference.py MODEL_DIR PROMPT_IDS_JSON N [--model PATH]
       (the model is MODEL_DIR/onnx/model.onnx unless --model names another file)
"""

import argparse
import json
import os

import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("prompt_ids", help='JSON list of token ids, e.g. "[504, 3575, 282]"')
    parser.add_argument("n", type=int, help="tokens to generate")
    parser.add_argument("--model", help="the .onnx file (default: MODEL_DIR/onnx/model.onnx)")
    args = parser.parse_args()

    with open(os.path.join(args.model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    layers, kv_heads = config["num_hidden_layers"], config["num_key_value_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        args.model or os.path.join(args.model_dir, "onnx", "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    output_names = [o.name for o in session.get_outputs()]

    prompt = [int(i) for i in json.loads(args.prompt_ids)]
    past = {}
    for i in range(layers):
        for kind in ("key", "value"):
            past[f"past_key_values.{i}.{kind}"] = np.zeros((1, kv_heads, 0, head_dim), np.float32)
    feed_ids, generated, first = prompt, [], None
    for _ in range(args.n):
        past_len = len(prompt) + len(generated) - len(feed_ids)
        total = past_len + len(feed_ids)
        outputs = session.run(
            output_names,
            {
                "input_ids": np.array([feed_ids], np.int64),
                "attention_mask": np.ones((1, total), np.int64),
                "position_ids": np.arange(past_len, total, dtype=np.int64)[None, :],
                **past,
            },
        )
        result = dict(zip(output_names, outputs, strict=True))
        logits = result["logits"][0, -1]
        if first is None:
            first = logits
        token = int(np.argmax(logits))  # the lowest id among equal maxima, as Rust's and JS's argmax loops pick
        generated.append(token)
        feed_ids = [token]
        past = {name: result[name.replace("past_key_values", "present")] for name in past}

    report = {"ids": generated}
    if first is not None:
        best = np.argsort(-first, kind="stable")[:10]
        report["first_logits_top"] = [[int(i), float(first[i])] for i in best]
        report["first_logits"] = [round(float(x), 6) for x in first]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
