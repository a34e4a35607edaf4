// @ts-check
/**
 * Calls to a module worker that answers each request `{id, type, ...}` with `{id, ok, out | error}`, in order:
 * the engine's side of the kernels' second threads (the encoder's and the decoder's). A worker that fails fails its
 * pending calls.
 */

/**
 * Start the worker and send it its load request; resolves to a handle once it answered.
 * @param {string} workerUrl @param {any} load @param {Transferable[]} transfer @param {string} what for errors
 */
export async function startWorker(workerUrl, load, transfer, what) {
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
    for (const p of pending.values()) p.reject(new Error(e.message || `the ${what} failed`));
    pending.clear();
  };
  /** @param {any} msg @param {Transferable[]} transfer */
  const call = (msg, transfer = []) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id }, transfer);
  });
  return call(load, transfer).then(
    () => ({ worker, call }),
    (err) => { worker.terminate(); throw err; },
  );
}

/** Stop the worker. @param {{worker: Worker}} helper */
export function stopWorker(helper) {
  helper.worker.terminate();
}
