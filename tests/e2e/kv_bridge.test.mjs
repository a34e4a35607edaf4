// @ts-check
/**
 * The decoder's key/value bridge (src/web/kv_bridge.js) on onnxruntime-web's own runtime, in Node (the same
 * package and binary the extension ships, loaded through the shipped wrapper `ort/scout-ort-wasm.mjs` of the test
 * build), on the tiny fp32 decoder of the test hub:
 * - its logits equal those of the same session run through onnxruntime-web's `run` (which copies the cache in and
 *   out), over a prefill in two chunks and four cached steps;
 * - a cache truncated in the heap gives, for the same tokens fed again, the logits the full run gave (exactly: the
 *   same computations on the same cached keys and values).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, HUB_DIR } from './harness.mjs';

const DIST = process.env.SCOUT_DIST || path.join(ROOT, 'target/dist-test');
const MODEL_DIR = path.join(HUB_DIR, 'scout-test/tiny-llama');

/** @param {Float32Array} a @param {Float32Array} b */
const worst = (a, b) => a.reduce((w, x, i) => Math.max(w, Math.abs(x - b[i])), 0);

test('the key/value bridge gives the logits of onnxruntime-web\'s own run, and a truncated cache those of the full one', async () => {
  const ort = await import(pathToFileURL(path.join(ROOT, 'node_modules/onnxruntime-web/dist/ort.node.min.mjs')).href);
  ort.env.wasm.numThreads = 1;
  /** @type {any} */ (globalThis).ort = ort; // the bridge reads the runtime's global, as in the offscreen document
  ort.env.wasm.wasmPaths = {
    mjs: pathToFileURL(path.join(DIST, 'ort/scout-ort-wasm.mjs')).href,
    wasm: pathToFileURL(path.join(DIST, 'ort/ort-wasm-simd-threaded.wasm')).href,
  };
  const { createKvSession } = await import(pathToFileURL(path.join(ROOT, 'src/web/kv_bridge.js')).href);
  const config = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
  const layers = config.num_hidden_layers;
  const kvHeads = config.num_key_value_heads;
  const headDim = config.head_dim;
  const bytes = new Uint8Array(fs.readFileSync(path.join(MODEL_DIR, 'onnx/model.onnx')));
  const options = { executionProviders: ['wasm'] };
  const plain = await ort.InferenceSession.create(bytes, options);
  const kv = await createKvSession(bytes, options, layers, kvHeads, headDim);
  assert.ok(/** @type {any} */ (globalThis).__scoutOrtModule, 'the shipped wrapper captured the runtime module');

  /** onnxruntime-web's own run: the cache goes out and back in as JS tensors. */
  let past = null;
  let cached = 0;
  /** @param {number[]} ids */
  const plainRun = async (ids) => {
    const n = ids.length;
    /** @type {Record<string, any>} */
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(cached + n).fill(1n), [1, cached + n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(cached + i))), [1, n]),
    };
    for (let i = 0; i < layers; i++) {
      for (const k of ['key', 'value']) {
        feeds[`past_key_values.${i}.${k}`] = past ? past[`present.${i}.${k}`] : new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
      }
    }
    const out = await plain.run(feeds);
    past = out;
    cached += n;
    const d = out.logits.data;
    return d.slice(d.length - config.vocab_size);
  };
  let kvCached = 0;
  /** @param {number[]} ids */
  const kvRun = async (ids) => {
    const logits = await kv.run(BigInt64Array.from(ids.map(BigInt)), kvCached);
    kvCached += ids.length;
    return logits;
  };

  const prompt = Array.from({ length: 20 }, (_, i) => 100 + ((i * 37) % 20_000));
  const chunks = [prompt.slice(0, 12), prompt.slice(12), [504], [3575], [282], [4649]];
  /** @type {Float32Array[]} */
  const reference = [];
  for (const c of chunks) {
    const a = await plainRun(c);
    const b = await kvRun(c);
    assert.equal(b.length, config.vocab_size);
    assert.ok(worst(a, b) <= 1e-6, `bridge vs run after ${cached} tokens: ${worst(a, b)}`);
    reference.push(a);
  }

  // Keep the first 12 positions, then feed the rest again: the same logits as the full run's.
  kv.truncate(12);
  kvCached = 12;
  for (const [i, c] of chunks.slice(1).entries()) {
    const b = await kvRun(c);
    assert.ok(worst(reference[i + 1], b) <= 1e-6, `after truncating, step ${i}: ${worst(reference[i + 1], b)}`);
  }
  await kv.release();
  await plain.release();
});
