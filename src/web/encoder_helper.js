// @ts-check
/**
 * The engine's side of the encoder's second thread (`extension/encoder_worker.js`): start it, and send it
 * sentences as token ids. Requests are answered in order; a failed worker fails its pending requests, and the engine
 * then works alone.
 */

import { startWorker } from './worker_rpc.js';

/**
 * Start the worker and load the encoder in it; resolves to a handle once it can encode.
 * @param {string} workerUrl @param {string} wasmUrl @param {string} weightsUrl
 */
export function startHelper(workerUrl, wasmUrl, weightsUrl) {
  return startWorker(workerUrl, { type: 'load', wasmUrl, weightsUrl }, [], 'encoder worker');
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
