// @ts-check
/**
 * What the pages that drive the writer's GPU graph with onnxruntime-web alone (ort_llm_loop.js, ort_llm_static.js)
 * share: the bundle Scout ships, SmolLM2's fused 4-bit graph and its dimensions from the page's hub, and the feeds of
 * a run with the dynamic cache (presents fed back as pasts, as src/web/gpu_kv.js does).
 */

const BASE = '/hub/HuggingFaceTB/SmolLM2-135M-Instruct';

/** @param {string} src */
const script = (src) =>
  new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = reject;
    document.head.appendChild(s);
  });

/**
 * onnxruntime-web (WebGPU bundle, 4 threads), the graph's bytes and its dimensions.
 * @returns {Promise<{ ort: any, bytes: Uint8Array, layers: number, kvHeads: number, headDim: number, vocab: number }>}
 */
export async function loadDecoder() {
  await script('/ort/ort.webgpu.min.js');
  const ort = /** @type {any} */ (globalThis).ort;
  ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
  ort.env.wasm.numThreads = 4;
  const config = await (await fetch(`${BASE}/config.json`)).json();
  const bytes = new Uint8Array(await (await fetch(`${BASE}/onnx/model_q4.onnx`)).arrayBuffer());
  return {
    ort,
    bytes,
    layers: config.num_hidden_layers,
    kvHeads: config.num_key_value_heads,
    headDim: config.head_dim || config.hidden_size / config.num_attention_heads,
    vocab: config.vocab_size,
  };
}

/**
 * `preferredOutputLocation` with every present on the GPU and the logits where `logits` says.
 * @param {number} layers @param {string} logits
 */
export function presentsOnGpu(layers, logits) {
  /** @type {Record<string, string>} */
  const location = { logits };
  for (let i = 0; i < layers; i++) location[`present.${i}.key`] = location[`present.${i}.value`] = 'gpu-buffer';
  return location;
}

/**
 * Feeds of one run of `ids` after `cached` positions whose cache is `past` (the last run's presents, key then value
 * per layer; empty before the first run).
 * @param {Awaited<ReturnType<typeof loadDecoder>>} d @param {number[]} ids @param {number} cached @param {any[]} past
 */
export function dynamicFeeds(d, ids, cached, past) {
  const { ort } = d;
  const n = ids.length;
  const total = cached + n;
  /** @type {Record<string, any>} */
  const f = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(cached + i)), [1, n]),
  };
  for (let i = 0; i < d.layers; i++) {
    for (const [j, kind] of [[0, 'key'], [1, 'value']]) {
      f[`past_key_values.${i}.${kind}`] = past.length
        ? past[2 * i + /** @type {number} */ (j)]
        : new ort.Tensor('float32', new Float32Array(0), [1, d.kvHeads, 0, d.headDim]);
    }
  }
  return f;
}

/** `n` fixed token ids spread over the vocabulary: a decode step's time does not depend on which. @param {number} n */
export const fixedPrompt = (n) => Array.from({ length: n }, (_, i) => 100 + ((i * 7919) % 40000));

/** POST what a page measured to tests/gpu/serve.py, then set the title run.sh waits for.
 * @param {string} name @param {object} out @param {string} title */
export async function send(name, out, title) {
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = title;
}
