// @ts-check
/**
 * The same sentences embedded by the extension on the CPU (Scout's int8 encoder, crates/scout-bert, compiled to
 * WASM with relaxed SIMD, on two threads: the engine's and a worker's) and by the `scout` CLI natively (the same
 * encoder with AVX2/VNNI or portable integer products) are the same vectors, and known similarity orderings hold.
 *
 * The encoder's integer products are exact on every path and its float code is shared and uses no platform math,
 * so the two give the same bits (measured: every value equal). Any difference means the paths diverged: a packing,
 * quantization or SIMD bug. (With ONNX Runtime on both sides, different float kernels made
 * activations round to neighbouring int8 steps: mean cosine 0.9997, worst 0.995.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CORPUS, DIST, launch, openExtensionPage, ask, auditLaunched, nativeEmbed } from './harness.mjs';

/** Sentences of 8–40 words from the expected articles of the corpus, in a fixed order. */
function corpusSentences(n) {
  const out = [];
  for (const dir of fs.readdirSync(CORPUS).sort()) {
    const f = path.join(CORPUS, dir, 'expected.html');
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ').replace(/\s+/g, ' ');
    for (const s of text.split(/(?<=[.!?])\s+/)) {
      const words = s.split(' ').length;
      if (words >= 8 && words <= 40 && /^[A-Z]/.test(s)) { out.push(s); break; }
    }
    if (out.length >= n) break;
  }
  return out;
}

/** @param {number[]} a @param {number[]} b */
const cosine = (a, b) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};

test('the extension (WASM) and the native CLI compute the same embeddings of 50 corpus sentences', async () => {
  const sentences = corpusSentences(50);
  assert.equal(sentences.length, 50);
  const b = await launch();
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    // On two or more cores the encoder gets a second thread (a worker running the same wasm) that computes about
    // half of each batch: wait until it is ready, so the comparison covers the split too.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    let status = await ask(page, { type: 'status' });
    for (let i = 0; i < 100 && cores >= 2 && status.encoder_threads < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await ask(page, { type: 'status' });
    }
    assert.equal(status.encoder_threads, cores >= 2 ? 2 : 1, JSON.stringify(status));
    const web = await ask(page, { type: 'embed', texts: sentences, ep: 'wasm' });
    assert.equal(web.ok, true, JSON.stringify(web.error));
    assert.equal(web.ep, 'wasm');
    assert.equal(web.dims, 384);
    const native = nativeEmbed(sentences);
    const cos = sentences.map((_, i) => cosine(web.vectors[i], native[i]));
    const worst = Math.min(...cos);
    const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
    let maxDiff = 0;
    sentences.forEach((_, i) => web.vectors[i].forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(v - native[i][j])); }));
    console.log(`web vs native over ${sentences.length} sentences: mean cosine ${mean.toFixed(7)}, worst ${worst.toFixed(7)}, largest difference ${maxDiff.toExponential(2)}`);
    assert.equal(maxDiff, 0, `a value differs by ${maxDiff}`);

    // Meaning, not just numbers: a paraphrase is closer than an unrelated sentence.
    const probe = await ask(page, { type: 'embed', texts: [
      'The city council approved the plan to rebuild the old bridge.',
      'Local officials voted to reconstruct the aging bridge.',
      'My cat likes to sleep on the warm windowsill in the afternoon.',
    ] });
    const [a, p, u] = probe.vectors;
    assert.ok(cosine(a, p) > cosine(a, u) + 0.2, `paraphrase ${cosine(a, p)} vs unrelated ${cosine(a, u)}`);
  } finally {
    await b.ctx.close();
  }
});

test('an encoder worker that cannot start leaves the engine working alone, with the same vectors', async () => {
  // A copy of the extension whose worker script throws as it loads.
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-broken-worker-'));
  fs.cpSync(DIST, dist, { recursive: true });
  fs.writeFileSync(path.join(dist, 'encoder_worker.js'), "throw new Error('broken on purpose');\n");
  const b = await launch({ dist });
  try {
    const page = await openExtensionPage(b.ctx, b.extensionId, 'options.html');
    const sentences = corpusSentences(20);
    const web = await ask(page, { type: 'embed', texts: sentences, ep: 'wasm' });
    assert.equal(web.ok, true, JSON.stringify(web.error));
    await new Promise((r) => setTimeout(r, 500));
    const status = await ask(page, { type: 'status' });
    assert.equal(status.encoder_threads, 1, 'the engine works alone');
    const native = nativeEmbed(sentences);
    sentences.forEach((_, i) => assert.deepEqual(web.vectors[i], native[i]));
  } finally {
    await b.ctx.close();
    fs.rmSync(dist, { recursive: true, force: true });
  }
});

test('network audit: nothing the extension did in these tests left 127.0.0.1', () => {
  assert.ok(auditLaunched() >= 1, 'the tests above launched a browser');
});
