// @ts-check
/**
 * The WebGPU path: with Chromium's software adapter (SwiftShader, `--enable-unsafe-webgpu`) and the backend set to
 * WebGPU in the options, the engine really runs Scout's WebGPU encoder and decoder, and their outputs are right.
 * SwiftShader is 90–450× slower than WASM, so inputs are short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openExtensionPage, ask, auditLaunched, tempProfile, nativeEmbed, startHub, recordProgress, nativeGenerate, evalInOffscreen } from './harness.mjs';

test('WebGPU, when chosen, embeds on Scout\'s GPU encoder: the vectors of its native reference within 1e-4, close to the CPU encoder\'s', async () => {
  const b = await launch({ webgpu: true });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const adapter = await page.evaluate(async () => {
      /** @type {any} */ const nav = navigator;
      const a = nav.gpu ? await nav.gpu.requestAdapter() : null;
      return a ? { fallback: !!(a.isFallbackAdapter || (a.info && a.info.isFallbackAdapter)) } : null;
    });
    assert.ok(adapter, 'Chromium exposes a WebGPU adapter with --enable-unsafe-webgpu');

    // Automatic choice on a software adapter: WASM (it is far faster), with the reason given.
    let status = await ask(page, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    console.log(`adapter fallback=${adapter.fallback}; automatic choice: ${status.backend.ep} (${status.backend.reason.text})`);
    assert.equal(status.backend.ep, adapter.fallback ? 'wasm' : 'webgpu', status.backend.reason.text);

    // The user picks WebGPU: the engine restarts on the WebGPU runtime and reports it.
    await page.evaluate(() => chrome.storage.local.set({ settings: { backend: 'webgpu' } }));
    assert.equal((await ask(page, { type: 'settings_changed' })).ok, true);
    status = await ask(page, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    assert.equal(status.error, null, JSON.stringify(status.error));
    assert.equal(status.backend.ep, 'webgpu', status.backend.reason.text);
    assert.ok(status.encoder_gpu, `the status names the GPU the encoder runs on: ${JSON.stringify(status)}`);
    assert.equal(status.encoder_threads, 0);

    // Two short texts and one of ~150 word pieces (several tiles of rows, attention over a long sentence).
    const long = 'The river crossing was rebuilt in stone after the flood, and the town council paid for it with a tax on mills. '.repeat(6);
    const texts = ['Scout runs on the GPU.', 'A short sentence about rivers and bridges.', long];
    const gpu = await ask(page, { type: 'embed', texts, ep: 'webgpu' });
    assert.equal(gpu.ok, true, JSON.stringify(gpu.error));
    assert.equal(gpu.ep, 'webgpu');
    // The GPU encoder reads the CPU encoder's weights file and computes in float activations: it must compute what
    // its native reference computes (`scout embed --graph gpu`: the same arithmetic on the CPU), and stay close to
    // the CPU encoder (7-bit activations).
    const native = nativeEmbed(texts, 'gpu');
    const cpu = await ask(page, { type: 'embed', texts, ep: 'wasm' });
    assert.equal(cpu.ok, true, JSON.stringify(cpu.error));
    let maxDiff = 0;
    for (let i = 0; i < texts.length; i++) {
      for (let j = 0; j < 384; j++) maxDiff = Math.max(maxDiff, Math.abs(gpu.vectors[i][j] - native[i][j]));
      const cos = gpu.vectors[i].reduce((s, x, j) => s + x * cpu.vectors[i][j], 0);
      console.log(`text ${i}: cosine to the CPU encoder's vector ${cos.toFixed(4)}`);
      assert.ok(cos >= 0.99, `the GPU encoder's vector is far from the CPU encoder's: cosine ${cos}`);
    }
    console.log(`max |webgpu - native reference| = ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-4, `max difference ${maxDiff}`);

    // The GPU is lost under the engine (its device destroyed, as a driver reset would): the request that finds it
    // (texts not embedded before: no cached vector) still answers, on the CPU encoder, and the backend says why.
    const fresh = texts.map((t) => `Once more: ${t}`);
    const cpuFresh = await ask(page, { type: 'embed', texts: fresh, ep: 'wasm' });
    assert.equal(cpuFresh.ok, true, JSON.stringify(cpuFresh.error));
    const destroyed = await evalInOffscreen(b.ctx, page, 'globalThis.scoutGpuEncoder.device.destroy(), true');
    assert.equal(destroyed, true);
    const after = await ask(page, { type: 'embed', texts: fresh });
    assert.equal(after.ok, true, JSON.stringify(after.error));
    assert.equal(after.ep, 'wasm');
    after.vectors.forEach((/** @type {number[]} */ v, /** @type {number} */ i) => assert.deepEqual(v, cpuFresh.vectors[i], `text ${i}: the CPU encoder's vector`));
    status = await ask(page, { type: 'status' });
    assert.equal(status.backend.ep, 'wasm');
    assert.match(status.backend.reason.text, /WebGPU failed \(WebGPU encoder: .+\); fell back to WASM/);
    console.log(`after the GPU was lost: ${status.backend.reason.text}`);
  } finally {
    await b.ctx.close();
  }
});

test('a measurement of WASM against WebGPU decides the automatic backend, and is kept across restarts', async () => {
  const profile = tempProfile();
  let b = await launch({ webgpu: true, profile });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const t = Date.now();
    await page.click('[data-testid=measure]');
    await page.waitForFunction(() => /Measured on this device/.test(document.querySelector('[data-testid=probe]')?.textContent || ''), null, { timeout: 300_000 });
    const status = await ask(page, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    const p = status.probe;
    console.log(`measured in ${((Date.now() - t) / 1000).toFixed(1)} s: WASM ${p.wasm_ms.toFixed(1)} ms, WebGPU ${p.webgpu_ms == null ? p.webgpu_error : `${p.webgpu_ms.toFixed(1)} ms`} per batch of 8`);
    assert.ok(p.wasm_ms > 0);
    // Chromium's software adapter is far slower than WASM: the measurement says so and Automatic follows it.
    assert.ok(p.webgpu_ms == null || p.webgpu_ms > p.wasm_ms, JSON.stringify(p));
    assert.equal(status.backend.ep, 'wasm');
    assert.match(status.backend.reason.text, /measured on this device|WebGPU failed when measured/);
    assert.match(await page.textContent('[data-testid=status]') || '', /measured on this device|WebGPU failed when measured/);
  } finally {
    await b.ctx.close();
  }
  // A new browser on the same device uses the kept measurement without measuring again.
  b = await launch({ webgpu: true, profile });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const status = await ask(page, { type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status.error));
    assert.match(status.backend.reason.text, /measured on this device|WebGPU failed when measured/);
    assert.ok(status.init_ms < 15_000, `no new measurement: started in ${status.init_ms} ms`);
  } finally {
    await b.ctx.close();
  }
});

test('a 4-bit graph made for WebGPU writes on Scout\'s GPU decoder with its cache on the GPU, and on its CPU decoder under WASM: each its native reference\'s tokens', async () => {
  const hub = await startHub();
  const b = await launch({ webgpu: true });
  const model = 'tiny-llama-webgpu'; // the tiny decoder's 4-bit graph (MatMulNBits, Q|K|V in one), listed as needing a GPU
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const use = async (/** @type {string} */ backend) => {
      await page.evaluate(([backend, h]) => chrome.storage.local.set({ settings: { backend, hub: h } }), [backend, hub.base]);
      const changed = await ask(page, { type: 'settings_changed' });
      assert.equal(changed.ok, true, JSON.stringify(changed));
      assert.equal((await ask(page, { type: 'status' })).backend.ep, backend);
    };
    assert.equal((await ask(page, { type: 'status' })).ok, true);
    await use('webgpu');
    const progress = await recordProgress(page);
    assert.equal((await ask(page, { type: 'download', model, consent: true })).ok, true);
    assert.equal((await progress.final(model)).state, 'ready');
    const messages = [{ role: 'user', content: 'Name three rivers of Europe.' }];
    const request = { type: 'generate', model, messages, max_new_tokens: 6, min_new_tokens: 6 };
    const gpu = await ask(page, request);
    assert.equal(gpu.ok, true, JSON.stringify(gpu.error));
    console.log(`WebGPU (${gpu.decoder}): ${JSON.stringify(gpu.text)}; first token ${gpu.time_to_first_token_ms.toFixed(0)} ms`);
    assert.equal(gpu.ep, 'webgpu', gpu.gpu_error || 'ran on WebGPU');
    assert.match(gpu.decoder, /^scout-gpu/);
    assert.equal(gpu.gpu_error, null);
    assert.equal(gpu.cache_in_runtime, true, 'the cache stays on the GPU');
    assert.equal(gpu.generated_tokens, 6);
    assert.equal(gpu.text, nativeGenerate('scout-test/tiny-llama', messages, 6, 'gpu', 'onnx/model_q4.onnx').text);
    // The same prompt again (Regenerate): its cache is cut to the shared prefix on the GPU, not re-read.
    const again = await ask(page, request);
    assert.equal(again.ok, true, JSON.stringify(again.error));
    console.log(`again: ${again.reused_tokens} of ${again.prompt_tokens} prompt tokens reused`);
    assert.ok(again.reused_tokens >= again.prompt_tokens - 1, `reused ${again.reused_tokens} of ${again.prompt_tokens}`);
    assert.equal(again.text, gpu.text);
    // The same graph on WASM (the user's choice): Scout's int8 decoder reads it, the same bits as natively.
    await use('wasm');
    const cpu = await ask(page, request);
    assert.equal(cpu.ok, true, JSON.stringify(cpu.error));
    assert.equal(cpu.ep, 'wasm');
    assert.equal(cpu.decoder, 'scout-int8');
    console.log(`WASM: ${JSON.stringify(cpu.text)}`);
    assert.equal(cpu.text, nativeGenerate('scout-test/tiny-llama', messages, 6, 'int8', 'onnx/model_q4.onnx').text);
  } finally {
    await b.ctx.close();
    await hub.close();
  }
});

test('a decoder graph Scout reads writes on Scout\'s own WebGPU decoder: the tokens of its native reference', async () => {
  const hub = await startHub();
  const b = await launch({ webgpu: true });
  const model = 'tiny-llama-unpinned'; // the tiny fp32 decoder: a graph scout-llm reads
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    await page.evaluate((h) => chrome.storage.local.set({ settings: { backend: 'webgpu', hub: h } }), hub.base);
    assert.equal((await ask(page, { type: 'settings_changed' })).ok, true);
    assert.equal((await ask(page, { type: 'status' })).backend.ep, 'webgpu');
    const progress = await recordProgress(page);
    assert.equal((await ask(page, { type: 'download', model, consent: true })).ok, true);
    assert.equal((await progress.final(model)).state, 'ready');
    const messages = [{ role: 'user', content: 'Name three rivers of Europe.' }];
    const tokens = 16;
    const request = { type: 'generate', model, messages, max_new_tokens: tokens, min_new_tokens: tokens };
    const gpu = await ask(page, request);
    assert.equal(gpu.ok, true, JSON.stringify(gpu.error));
    console.log(`Scout's GPU decoder (${gpu.decoder}): ${JSON.stringify(gpu.text)}; first token ${gpu.time_to_first_token_ms.toFixed(0)} ms, ${gpu.decode_tokens_per_s.toFixed(1)} tok/s`);
    assert.equal(gpu.ep, 'webgpu');
    assert.match(gpu.decoder, /^scout-gpu/);
    assert.equal(gpu.gpu_error, null);
    assert.equal(gpu.generated_tokens, tokens);
    // The same greedy tokens as its arithmetic natively (int8 weights, float activations), and as float ONNX Runtime
    // (the model is float: only the weights' int8 rounding differs).
    const native = nativeGenerate('scout-test/tiny-llama', messages, tokens, 'gpu');
    assert.equal(gpu.text, native.text);
    // A second request with the same prompt: the cache is cut to the shared prefix, the text is the same.
    const again = await ask(page, request);
    assert.equal(again.ok, true, JSON.stringify(again.error));
    assert.ok(again.reused_tokens >= again.prompt_tokens - 1, `reused ${again.reused_tokens} of ${again.prompt_tokens}`);
    assert.equal(again.text, gpu.text);
    // A prompt longer than one call's rows (256: two calls) and than the first cache (512 positions: it grows), whose
    // attention spans several tiles of 256 positions.
    const long = [{ role: 'user', content: `${'The river flows past the old mill and the bridge. '.repeat(60)}Where does it flow?` }];
    const far = await ask(page, { type: 'generate', model, messages: long, max_new_tokens: 8, min_new_tokens: 8 });
    assert.equal(far.ok, true, JSON.stringify(far.error));
    assert.ok(far.prompt_tokens > 600, `${far.prompt_tokens} prompt tokens`);
    assert.equal(far.text, nativeGenerate('scout-test/tiny-llama', long, 8, 'gpu').text);
  } finally {
    await b.ctx.close();
    await hub.close();
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
