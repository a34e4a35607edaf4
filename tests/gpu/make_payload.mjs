// @ts-check
/**
 * Assemble the folder the GPU pages are served from: a release build's engine (`/wasm/`, `/ort/`, `/models/`,
 * `/hardware.js`), the pages of this folder, the inputs (`/inputs.json`: the embedding benchmark's 64 windows of 128
 * word pieces, the four corpus pages closest to 2,000 words, and the T2 benchmark's page text), SmolLM2-135M's GPU
 * graph in the hub's layout (`/hub/`), and, for the peer, Transformers.js with the onnxruntime-web it pins and the
 * same MiniLM weights as a float-activation ONNX graph in its model layout (built at setup, not shipped). Then
 * `tests/gpu/pack.sh`. The GPU machine has no network: everything the pages load is in this folder.
 *
 * usage: [T1_ONLY=1] node tests/gpu/make_payload.mjs DIST OUT_DIR
 * (T1_ONLY: the embedder's pages only — no writer models, no ONNX Runtime for Scout, whose bundled embedder runs on
 * its own encoders — a payload a few device calls smaller)
 * (DIST: `cargo xtask dist` output; Transformers.js from `cargo xtask bench`'s install of the optional peer)
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ROOT, CORPUS, HUB_DIR, CACHE_DIR } from '../e2e/harness.mjs';
import { corpusPages, embeddingInputs } from '../e2e/embed_inputs.mjs';
import { writeBertConfig } from '../e2e/tjs_page.mjs';
import { pageText } from '../e2e/bench_t2.mjs';

const [dist, out] = process.argv.slice(2).map((p) => path.resolve(p));
if (!dist || !out) throw new Error('usage: node tests/gpu/make_payload.mjs DIST OUT_DIR');
const www = path.join(out, 'www');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(www, { recursive: true });
const copy = (/** @type {string} */ from, /** @type {string} */ to) => {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
};

// The engine, as the offscreen document loads it.
const t1Only = process.env.T1_ONLY === '1';
for (const part of t1Only ? ['wasm', 'models', 'hardware.js'] : ['wasm', 'ort', 'models', 'hardware.js']) copy(path.join(dist, part), path.join(www, part));
for (const f of ['scout_engine.js', 'tjs_embed.js', 'scout_llm.js', 'tjs_llm.js', 'ort_direct.js', 'ort_llm_loop.js', 'ort_llm_static.js', 'serve.py', 'run.sh']) copy(path.join(ROOT, 'tests/gpu', f), path.join(out, f === 'serve.py' || f === 'run.sh' ? f : `www/${f}`));
for (const page of ['scout_engine', 'tjs_embed', 'scout_llm', 'tjs_llm', 'ort_llm_loop', 'ort_llm_static']) {
  fs.writeFileSync(path.join(www, `${page}.html`), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/${page}.js"></script>\n`);
}

// Inputs: the benchmark's texts, and the corpus pages nearest 2,000 words (word counts from the native extractor).
const { texts } = embeddingInputs(path.join(dist, 'models/all-minilm-l6-v2-int8/tokenizer.json'));
const cli = path.join(ROOT, 'target/release/scout');
const pages = corpusPages().map((name) => {
  const file = path.join(CORPUS, name, 'source.html');
  const r = spawnSync(cli, ['extract', file, '--url', `https://example.org/${name}/`], { encoding: 'utf8' });
  const words = r.status === 0 ? JSON.parse(r.stdout).word_count : 0;
  return { name, words, html: fs.readFileSync(file, 'utf8') };
}).filter((p) => p.words > 0).sort((a, b) => Math.abs(a.words - 2000) - Math.abs(b.words - 2000)).slice(0, 4);
if (pages.length < 4) throw new Error(`word counts need ${cli} (cargo build --release --bin scout)`);
fs.writeFileSync(path.join(www, 'inputs.json'), JSON.stringify({ texts, pages, llm_text: pageText() }));

// The writer: SmolLM2-135M's GPU graph, its int8 graph (Scout's own GPU decoder reads it) and their JSON files in the
// hub's layout (`/hub/{repo}/{path}`; serve.py also
// answers `/hub/{repo}/resolve/{revision}/{path}`, where the engine downloads from), for Scout and the peer alike.
const smol = 'HuggingFaceTB/SmolLM2-135M-Instruct';
if (!t1Only) for (const f of ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx', 'onnx/model_quantized.onnx']) {
  fs.mkdirSync(path.dirname(path.join(www, 'hub', smol, f)), { recursive: true });
  fs.linkSync(path.join(HUB_DIR, smol, f), path.join(www, 'hub', smol, f));
}

// The peer: Transformers.js's browser build, its onnxruntime-web, and the same WebGPU graph in its layout.
const require = createRequire(import.meta.url);
const tjsEntry = require.resolve('@huggingface/transformers');
copy(path.join(path.dirname(tjsEntry), 'transformers.min.js'), path.join(www, 'tjs/transformers.min.js'));
const ortDist = path.dirname(createRequire(tjsEntry).resolve('onnxruntime-web'));
for (const f of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']) copy(path.join(ortDist, f), path.join(www, 'ort131', f));
const model = path.join(www, 'models/scout/minilm-webgpu');
fs.mkdirSync(path.join(model, 'onnx'), { recursive: true });
fs.copyFileSync(path.join(CACHE_DIR, 'models/all-minilm-l6-v2-int8/model_webgpu.onnx'), path.join(model, 'onnx/model.onnx'));
fs.linkSync(path.join(www, 'models/all-minilm-l6-v2-int8/tokenizer.json'), path.join(model, 'tokenizer.json'));
writeBertConfig(model);
console.log(`${www}: ${texts.length} texts, pages ${pages.map((p) => `${p.name} (${p.words} words)`).join(', ')}`);
