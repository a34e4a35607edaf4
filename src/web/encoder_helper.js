// @ts-check
/**
 * The engine's side of the encoder's second thread (`extension/encoder_worker.js`): start it, and send it
 * sentences as token ids. Requests are answered in order; a failed worker fails its pending requests, and the engine
 * then works alone.
 */

/**
 * Start the worker and load the encoder in it; resolves to a handle once it can encode.
 * @param {string} workerUrl @param {string} wasmUrl @param {string} weightsUrl
 */
export async function startHelper(workerUrl, wasmUrl, weightsUrl) {
  // Async: a worker that cannot be made (a policy, a missing file) rejects the promise instead of throwing into the
  // engine's wasm, which then works alone.
  const worker = new Worker(workerUrl, { type: 'module' });
  /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
  const pending = new Map();
  let next = 0;
  worker.onmessage = (e) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.ok) p.resolve(e.data.out);
    else p.reject(new Error(e.data.error));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(e.message || 'the encoder worker failed'));
    pending.clear();
  };
  /** @param {any} msg @param {Transferable[]} transfer */
  const call = (msg, transfer = []) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id }, transfer);
  });
  return call({ type: 'load', wasmUrl, weightsUrl }).then(
    () => ({ worker, call }),
    (err) => { worker.terminate(); throw err; },
  );
}

/**
 * The last hidden states of the sequences (`lens` of them, their ids one after another), one sequence after another.
 * The arrays are views of the engine's memory: copied before they are sent.
 * @param {{call: (msg: any, transfer?: Transferable[]) => Promise<Float32Array>}} helper
 * @param {Uint32Array} ids @param {Uint32Array} lens
 * @returns {Promise<Float32Array>}
 */
export async function helperEncode(helper, ids, lens) {
  const copy = { ids: ids.slice(), lens: lens.slice() };
  return helper.call({ type: 'encode', ...copy }, [copy.ids.buffer, copy.lens.buffer]);
}

/** Stop the worker (the engine drops its embedder). @param {{worker: Worker}} helper */
export function stopHelper(helper) {
  helper.worker.terminate();
}
