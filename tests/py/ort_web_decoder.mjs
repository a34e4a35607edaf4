// @ts-check
/**
 * onnxruntime-web's side of tests/py/check_fused_decoder.py, in Node on the WASM EP (the WebGPU build's CPU
 * fallback runs the same kernels).
 *
 *   encode HUB_DIR         stdin: text; prints the JSON ids of the hub folder's tokenizer (@huggingface/tokenizers,
 *                          installed with `@huggingface/transformers`, the benchmark's optional dependency)
 *   greedy HUB_DIR MODEL N stdin: JSON prompt ids; prints {"ids": [...]}: N greedy ids, the prompt in one run, then
 *                          one token a run with the presents fed back as the pasts, as Scout's runners do
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [mode, hubDir, model, n] = process.argv.slice(2);
const stdin = readFileSync(0, 'utf8');
const json = (/** @type {string} */ name) => JSON.parse(readFileSync(path.join(hubDir, name), 'utf8'));

if (mode === 'encode') {
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const tokenizer = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  console.log(JSON.stringify(tokenizer.encode(stdin, { add_special_tokens: false }).ids));
} else if (mode === 'greedy') {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const config = json('config.json');
  const layers = config.num_hidden_layers;
  const kvHeads = config.num_key_value_heads;
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['wasm'] });
  const prompt = JSON.parse(stdin).map(BigInt);
  /** @type {Record<string, any>} */
  let past = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    }
  }
  /** @type {bigint[]} */
  let feed = prompt;
  let pastLen = 0;
  const ids = [];
  for (let step = 0; step < Number(n); step++) {
    const total = pastLen + feed.length;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(feed), [1, feed.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(feed, (_, j) => BigInt(pastLen + j)), [1, feed.length]),
      ...past,
    });
    const logits = /** @type {Float32Array} */ (out.logits.data);
    const vocab = out.logits.dims[2];
    let best = 0;
    for (let j = 1; j < vocab; j++) if (logits[logits.length - vocab + j] > logits[logits.length - vocab + best]) best = j;
    ids.push(best);
    past = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`];
    }
    pastLen = total;
    feed = [BigInt(best)];
  }
  console.log(JSON.stringify({ ids }));
} else {
  console.error('usage: ort_web_decoder.mjs encode HUB_DIR | greedy HUB_DIR MODEL N');
  process.exit(2);
}
