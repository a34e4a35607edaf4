// @ts-check
/**
 * The benchmark's peer: Transformers.js (npm `@huggingface/transformers`, its self-contained browser build with the
 * onnxruntime-web it bundles) in a cross-origin isolated 127.0.0.1 page of the benchmark's browser (so ORT can use
 * threads), loading models only from a local folder in the Hugging Face layout, never from the hub. The page's
 * requests are watched: anything off 127.0.0.1 is listed in `outside`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer } from './harness.mjs';

/**
 * Open the page, import Transformers.js and configure it (local files, 2 WASM threads, the asyncify ORT build it
 * picks itself). The module is left in the page as `globalThis.__T`.
 * @param {import('playwright-core').BrowserContext} ctx
 * @param {string} modelsDir served as `/models/`: `{modelsDir}/{owner}/{repo}/...`
 */
export async function openTjsPage(ctx, modelsDir) {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@huggingface/transformers'); // the node build; its dist/ folder holds the web builds
  const tjsDist = path.dirname(entry);
  const ortEntry = createRequire(entry).resolve('onnxruntime-web'); // the copy Transformers.js depends on
  const ortDist = path.dirname(ortEntry);
  const ortPackage = JSON.parse(fs.readFileSync(path.join(ortDist, '../package.json'), 'utf8')).version;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-tjs-'));
  fs.writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>Transformers.js bench</title>');
  // COOP + COEP on everything it serves: the page is then cross-origin isolated, so ORT can use threads.
  const server = await startServer(
    { '/page/': tmp, '/tjs/': tjsDist, '/ort/': ortDist, '/models/': modelsDir },
    { headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } },
  );
  const page = await ctx.newPage();
  /** @type {string[]} */
  const outside = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.hostname !== '127.0.0.1') outside.push(r.url());
  });
  const close = async () => {
    await page.close().catch(() => {});
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await page.goto(`${server.base}/page/index.html`);
    const setup = await page.evaluate(async (base) => {
      const t0 = performance.now();
      const T = await import(`${base}/tjs/transformers.js`);
      const { env } = T;
      // Local files only, from this server; the hub is not to be asked (and the remote host points here anyway).
      env.allowLocalModels = true;
      env.localModelPath = '/models/';
      env.allowRemoteModels = false;
      env.remoteHost = `${base}/`;
      env.useBrowserCache = false;
      env.useWasmCache = false;
      // The files Transformers.js itself picks for its bundled ORT (the asyncify build; its default is a CDN).
      env.backends.onnx.wasm.wasmPaths = { mjs: `${base}/ort/ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${base}/ort/ort-wasm-simd-threaded.asyncify.wasm` };
      env.backends.onnx.wasm.numThreads = 2;
      /** @type {any} */ (globalThis).__T = T;
      const onnx = env.backends.onnx;
      return {
        import_ms: performance.now() - t0, version: env.version, ort: onnx.versions, threads: onnx.wasm.numThreads,
        wasm: String(onnx.wasm.wasmPaths && onnx.wasm.wasmPaths.wasm), isolated: self.crossOriginIsolated,
      };
    }, server.base);
    return { page, base: server.base, outside, setup: { ...setup, ort_package: ortPackage }, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The two files Transformers.js reads beside a MiniLM's tokenizer.json and onnx/ (all-MiniLM-L6-v2's architecture,
 * BERT uncased tokenizer). @param {string} repo the model's folder
 */
export function writeBertConfig(repo) {
  fs.writeFileSync(path.join(repo, 'config.json'), JSON.stringify({
    architectures: ['BertModel'], model_type: 'bert', hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12,
    intermediate_size: 1536, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512, type_vocab_size: 2, vocab_size: 30522, layer_norm_eps: 1e-12, pad_token_id: 0,
    initializer_range: 0.02, position_embedding_type: 'absolute',
  }, null, 2));
  fs.writeFileSync(path.join(repo, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512, clean_up_tokenization_spaces: true,
    tokenize_chinese_chars: true, strip_accents: null, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]',
    unk_token: '[UNK]', mask_token: '[MASK]',
  }, null, 2));
}
