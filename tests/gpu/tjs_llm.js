// @ts-check
/**
 * The peer for Scout's writer on the GPU: Transformers.js 4.3.1 generating with the same files (`/hub/` in the hub's
 * layout, `onnx/model_q4.onnx` with dtype q4), the same messages and the same greedy decode of a fixed number of
 * tokens (EOS suppressed until then), three runs with fresh prompts, timed per token through a streamer.
 * Query: `name`, `device` (webgpu | wasm), `new`. POSTs `/result?name=NAME`.
 */
const q = new URLSearchParams(location.search);
const name = q.get('name') || 'tjs_llm';
const device = q.get('device') || 'webgpu';
const newTokens = Number(q.get('new') || 64);
/** @type {Record<string, any>} */
const out = { name, device, new_tokens: newTokens };

async function send(/** @type {string} */ title) {
  await fetch(`/result?name=${encodeURIComponent(name)}`, { method: 'POST', body: JSON.stringify(out) });
  document.title = title;
}

const messages = (/** @type {string} */ text, /** @type {number} */ n) => [
  { role: 'system', content: `Run ${n}. You are a helpful assistant that summarizes web pages.` },
  { role: 'user', content: `Summarize this page in a few sentences.\n\n${text}` },
];

try {
  const t0 = performance.now();
  const T = await import('/tjs/transformers.min.js');
  const { env } = T;
  env.allowLocalModels = true;
  env.localModelPath = '/hub/';
  env.allowRemoteModels = false;
  env.useBrowserCache = false;
  env.backends.onnx.wasm.wasmPaths = { mjs: '/ort131/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/ort131/ort-wasm-simd-threaded.asyncify.wasm' };
  env.backends.onnx.wasm.numThreads = 4;
  out.version = env.version;
  const repo = 'HuggingFaceTB/SmolLM2-135M-Instruct';
  const tokenizer = await T.AutoTokenizer.from_pretrained(repo);
  const lm = await T.AutoModelForCausalLM.from_pretrained(repo, { device, dtype: 'q4' });
  out.load_ms = performance.now() - t0;
  const text = (await (await fetch('/inputs.json')).json()).llm_text;
  /** @param {any[]} msgs */
  const generate = async (msgs) => {
    const t = performance.now();
    const inputs = tokenizer.apply_chat_template(msgs, { add_generation_prompt: true, return_dict: true });
    /** @type {number[]} */
    const at = [];
    const streamer = { put: (/** @type {any} */ v) => { if (v[0].length === 1) at.push(performance.now()); }, end: () => {} };
    const o = await lm.generate({ ...inputs, max_new_tokens: newTokens, min_new_tokens: newTokens, do_sample: false, streamer });
    const prompt = inputs.input_ids.dims[1];
    return {
      prompt_tokens: prompt, generated_tokens: o.dims[1] - prompt, time_to_first_token_ms: at[0] - t,
      decode_tokens_per_s: (at.length - 1) / ((at[at.length - 1] - at[0]) / 1000), total_ms: performance.now() - t,
      text: tokenizer.decode(o.slice(null, [prompt, null]).tolist()[0], { skip_special_tokens: true }),
    };
  };
  out.runs = [];
  for (let n = 1; n <= 3; n++) out.runs.push(await generate(messages(text, n)));
  out.short = await generate([{ role: 'user', content: 'Write a short story about a lighthouse keeper.' }]);
  await send('done');
} catch (e) {
  out.error = String(e && /** @type {any} */ (e).stack || e);
  await send('failed');
}
