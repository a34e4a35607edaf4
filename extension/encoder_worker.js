// @ts-check
/**
 * A second thread for Scout's int8 encoder: the engine (offscreen document) sends this module worker about half of
 * each batch's sentences. It runs the same wasm's encoder on its own copy of the weights; it decides nothing.
 */
import init, { helperLoad, helperRun } from './wasm/scout.js';

self.onmessage = async (/** @type {MessageEvent} */ e) => {
  const { id, type } = e.data;
  try {
    if (type === 'load') {
      await init({ module_or_path: e.data.wasmUrl });
      const r = await fetch(e.data.weightsUrl);
      if (!r.ok) throw new Error(`${e.data.weightsUrl}: HTTP ${r.status}`);
      helperLoad(new Uint8Array(await r.arrayBuffer()));
      self.postMessage({ id, ok: true });
    } else if (type === 'encode') {
      const out = helperRun(e.data.ids, e.data.lens);
      self.postMessage({ id, ok: true, out }, [out.buffer]);
    } else {
      throw new Error(`unknown request ${type}`);
    }
  } catch (err) {
    self.postMessage({ id, ok: false, error: String((err && /** @type {Error} */ (err).message) || err) });
  }
};
