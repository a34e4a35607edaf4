// @ts-check
/**
 * A second thread for Scout's int8 encoder: the engine (offscreen document) sends this module worker about half of
 * each batch's sentences as token ids. It runs `wasm/encoder.wasm` (crates/scout-bert-worker: the same encoder as the
 * engine's module, behind a small C ABI) on its own copy of the weights, and decides nothing.
 */

/** @type {any} the encoder module's exports */
let wasm = null;

/** @param {number} len the length of the error message the module wrote */
function moduleError(len) {
  const bytes = new Uint8Array(wasm.memory.buffer, wasm.scout_error(), len);
  return new Error(new TextDecoder().decode(bytes));
}

self.onmessage = async (/** @type {MessageEvent} */ e) => {
  const { id, type } = e.data;
  try {
    if (type === 'load') {
      const [module, weights] = await Promise.all([
        WebAssembly.instantiateStreaming(fetch(e.data.wasmUrl), {}),
        fetch(e.data.weightsUrl).then((r) => {
          if (!r.ok) throw new Error(`${e.data.weightsUrl}: HTTP ${r.status}`);
          return r.arrayBuffer();
        }),
      ]);
      wasm = module.instance.exports;
      const at = wasm.scout_alloc(weights.byteLength);
      new Uint8Array(wasm.memory.buffer, at, weights.byteLength).set(new Uint8Array(weights));
      const failed = wasm.scout_load(at, weights.byteLength); // takes the copy and frees it
      if (failed) throw moduleError(failed);
      self.postMessage({ id, ok: true });
    } else if (type === 'encode') {
      /** @type {Uint32Array} */ const ids = e.data.ids;
      /** @type {Uint32Array} */ const lens = e.data.lens;
      const input = new Uint32Array(wasm.memory.buffer, wasm.scout_input(ids.length + lens.length), ids.length + lens.length);
      input.set(ids);
      input.set(lens, ids.length);
      const failed = wasm.scout_run(ids.length, lens.length);
      if (failed) throw moduleError(failed);
      const out = new Float32Array(wasm.memory.buffer, wasm.scout_output(), wasm.scout_output_len()).slice();
      self.postMessage({ id, ok: true, out }, [out.buffer]);
    } else {
      throw new Error(`unknown request ${type}`);
    }
  } catch (err) {
    self.postMessage({ id, ok: false, error: String((err && /** @type {Error} */ (err).message) || err) });
  }
};
