// @ts-check
/**
 * The second thread of Scout's int8 decoder: the engine (offscreen document) sends this module worker the model file
 * (as its stored chunks) once, then a shared buffer to serve jobs from (`src/web/decoder_helper.js` describes it): for every layer of every
 * call, the layer's normalized input; it runs `wasm/decoder.wasm` (crates/scout-llm-worker: shard 1 of the decoder,
 * the other half of the heads and of the feed-forward layer, with its own key/value cache) and writes back its
 * partial sum. It decides nothing. Once serving it waits on the buffer only (no more messages).
 */

const SEQ = 0, DONE = 1, KIND = 2, LAYER = 3, PAST = 4, N_IN = 5, N_OUT = 6, ERR = 7;
const HEADER = 32, ERROR_BYTES = 1024;

/** @type {any} the decoder module's exports */
let wasm = null;

/** @param {number} len the length of the error message the module wrote */
function moduleError(len) {
  const bytes = new Uint8Array(wasm.memory.buffer, wasm.scout_error(), len);
  return new Error(new TextDecoder().decode(bytes));
}

/** Copy `bytes` into a buffer the module allocates; returns its address. @param {Uint8Array} bytes */
function copyIn(bytes) {
  const at = wasm.scout_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, at, bytes.length).set(bytes);
  return at;
}

self.onmessage = async (/** @type {MessageEvent} */ e) => {
  const { id, type } = e.data;
  try {
    if (type === 'load') {
      const module = await WebAssembly.instantiateStreaming(fetch(e.data.wasmUrl), {});
      wasm = module.instance.exports;
      /** @type {Uint8Array[]} */ const chunks = e.data.chunks;
      const length = chunks.reduce((n, c) => n + c.length, 0);
      const model = wasm.scout_alloc(length);
      let at = 0;
      for (const c of chunks) {
        new Uint8Array(wasm.memory.buffer, model + at, c.length).set(c);
        at += c.length;
      }
      const config = new TextEncoder().encode(e.data.config);
      const failed = wasm.scout_load(model, length, copyIn(config), config.length); // frees both
      if (failed) throw moduleError(failed);
      self.postMessage({ id, ok: true });
    } else if (type === 'serve') {
      self.postMessage({ id, ok: true });
      serve(e.data.shared);
    } else {
      throw new Error(`unknown request ${type}`);
    }
  } catch (err) {
    self.postMessage({ id, ok: false, error: String((err && /** @type {Error} */ (err).message) || err) });
  }
};

/** Answer jobs from the shared buffer, forever. @param {SharedArrayBuffer} shared */
function serve(shared) {
  const ctrl = new Int32Array(shared, 0, 8);
  const floats = (shared.byteLength - HEADER - ERROR_BYTES) / 4;
  const data = new Float32Array(shared, HEADER, floats);
  const error = new Uint8Array(shared, HEADER + 4 * floats, ERROR_BYTES);
  let seen = Atomics.load(ctrl, SEQ);
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    seen = Atomics.load(ctrl, SEQ);
    let failed = 0;
    const kind = ctrl[KIND];
    if (kind === 3) {
      wasm.scout_truncate(ctrl[PAST]);
      ctrl[N_OUT] = 0;
    } else {
      const n = ctrl[N_IN];
      new Float32Array(wasm.memory.buffer, wasm.scout_input(n), n).set(data.subarray(0, n));
      failed = kind === 1 ? wasm.scout_attention(ctrl[LAYER], ctrl[PAST]) : wasm.scout_mlp(ctrl[LAYER]);
      if (!failed) {
        const out = new Float32Array(wasm.memory.buffer, wasm.scout_output(), wasm.scout_output_len());
        data.set(out);
        ctrl[N_OUT] = out.length;
      }
    }
    if (failed) {
      const text = new TextEncoder().encode(moduleError(failed).message).slice(0, ERROR_BYTES);
      error.set(text);
      ctrl[ERR] = Math.max(1, text.length);
    } else {
      ctrl[ERR] = 0;
    }
    Atomics.store(ctrl, DONE, seen);
  }
}
