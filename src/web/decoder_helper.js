// @ts-check
/**
 * The engine's side of the decoder's second thread (`extension/decoder_worker.js`): start it with the model file,
 * then hand it each layer's input for shard 1 through shared memory. A layer takes a few milliseconds at one token,
 * so a message per job (two per layer, sixty per token) would cost more than the thread gains; instead the worker
 * waits on a shared counter (`Atomics.wait`) and this side, which may not block, spins on the answer's counter for
 * the short time the worker still needs after this thread's own half. Needs cross-origin isolation (the extension's
 * pages have it) for `SharedArrayBuffer`.
 *
 * Shared buffer: eight int32 (the job counter, the answered counter, the job's kind, layer, past, input length,
 * output length, error length), then the floats (a job's input, then its output in the same place), then 1 KB for an
 * error message.
 */
import { startWorker } from './worker_rpc.js';

const SEQ = 0, DONE = 1, KIND = 2, LAYER = 3, PAST = 4, N_IN = 5, N_OUT = 6, ERR = 7;
const KINDS = { attention: 1, mlp: 2, truncate: 3 };
const HEADER = 32, ERROR_BYTES = 1024;
/** A worker that has not answered in this long has stopped. */
const STALL_MS = 60_000;

/**
 * Start the worker, load shard 1 of the model in it and let it serve jobs of at most `floats` values.
 * @param {string} workerUrl @param {string} wasmUrl @param {Uint8Array[]} chunks the model file's stored chunks
 * (transferred to the worker: unusable here afterwards) @param {string} config JSON @param {number} floats
 */
export async function startDecoderHelper(workerUrl, wasmUrl, chunks, config, floats) {
  if (!self.crossOriginIsolated) throw new Error('no shared memory here (the page is not cross-origin isolated)');
  const buffers = [...new Set(chunks.map((c) => c.buffer))];
  const helper = await startWorker(workerUrl, { type: 'load', wasmUrl, chunks, config }, buffers, 'decoder worker');
  const shared = new SharedArrayBuffer(HEADER + 4 * floats + ERROR_BYTES);
  await helper.call({ type: 'serve', shared });
  return {
    ...helper,
    ctrl: new Int32Array(shared, 0, 8),
    data: new Float32Array(shared, HEADER, floats),
    error: new Uint8Array(shared, HEADER + 4 * floats, ERROR_BYTES),
  };
}

/** Spin until the worker answered job `seq`. @param {any} helper @param {number} seq */
function spinUntilAnswered(helper, seq) {
  const start = performance.now();
  for (let i = 1; Atomics.load(helper.ctrl, DONE) !== seq; i++) {
    if ((i & 0xfff) === 0 && performance.now() - start > STALL_MS) throw new Error('the decoder worker stopped answering');
  }
}

/**
 * Post a job (`input`: a view of the engine's memory, copied); returns its number for `waitLayerJob`.
 * @param {any} helper @param {string} kind 'attention' | 'mlp' | 'truncate' @param {number} layer @param {number} past
 * @param {Float32Array} input
 */
export function postLayerJob(helper, kind, layer, past, input) {
  const { ctrl, data } = helper;
  const last = Atomics.load(ctrl, SEQ);
  spinUntilAnswered(helper, last); // one job at a time in the shared buffer
  if (input.length > data.length) throw new Error(`a job of ${input.length} values exceeds the shared buffer's ${data.length}`);
  data.set(input);
  ctrl[KIND] = KINDS[/** @type {'attention'|'mlp'|'truncate'} */ (kind)];
  ctrl[LAYER] = layer;
  ctrl[PAST] = past;
  ctrl[N_IN] = input.length;
  Atomics.store(ctrl, SEQ, last + 1);
  Atomics.notify(ctrl, SEQ);
  return last + 1;
}

/**
 * Shard 1's partial sum of job `seq` (a copy), or the worker's error.
 * @param {any} helper @param {number} seq
 */
export function waitLayerJob(helper, seq) {
  spinUntilAnswered(helper, seq);
  const { ctrl, data, error } = helper;
  if (ctrl[ERR] > 0) throw new Error(new TextDecoder().decode(error.slice(0, ctrl[ERR])));
  return data.slice(0, ctrl[N_OUT]);
}
