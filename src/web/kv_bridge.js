// @ts-check
/**
 * A decoder session whose key/value cache stays in ONNX Runtime's memory between runs.
 *
 * onnxruntime-web's `run` copies every input into the runtime's heap and every output out of it: for a decoder,
 * the whole cache in and out at every token (SmolLM2-135M at 950 tokens: 2 × 44 MB, ~22 ms of a ~60 ms step on
 * two threads). ort-web has no way around it on the WASM EP (its IO binding is for GPU buffers only). This bridge
 * runs the same session through the runtime's own C entry points (`_OrtRun`, `_OrtCreateTensor`,
 * `_OrtGetTensorData`, `_OrtReleaseTensor`, as onnxruntime-web's own `run` does): the small inputs are written into
 * the heap, the `present.*` outputs are kept there as runtime values and given back as the next run's `past_*`
 * inputs, and only the last position's logits are read out.
 *
 * The runtime's module is reached through `globalThis.__scoutOrtModule`, set by `ort/scout-ort-wasm.mjs`, a wrapper
 * of onnxruntime-web's own module factory that the engine names in `ort.env.wasm.wasmPaths` before the runtime
 * starts. No logic lives here beyond moving values: what to run and when is the core's (`DecoderBackend`).
 */

/**
 * A session of `model` (the ONNX file's bytes) through the bridge (the engine uses it where it loaded the CPU
 * bundle, whose module `ort/scout-ort-wasm.mjs` captures).
 * @param {Uint8Array} model @param {any} options `ort.InferenceSession` options
 * @param {number} layers @param {number} kvHeads @param {number} headDim
 */
export async function createKvSession(model, options, layers, kvHeads, headDim) {
  const session = await /** @type {any} */ (globalThis).ort.InferenceSession.create(model, options);
  try {
    return new KvSession(session, layers, kvHeads, headDim);
  } catch (e) {
    await session.release();
    throw e;
  }
}

const INT64 = 7;
const FLOAT = 1;
const CPU = 1;

/** @returns {any} the runtime's Emscripten module */
function runtime() {
  const m = /** @type {any} */ (globalThis).__scoutOrtModule;
  if (!m || typeof m._OrtRun !== 'function') throw new Error('the ONNX Runtime module is not reachable');
  return m;
}

/** @param {any} m @param {string} what */
function check(m, what) {
  const stack = m.stackSave();
  try {
    const p = m.stackAlloc(8);
    m._OrtGetLastError(p, p + 4);
    const code = m.getValue(p, 'i32');
    const msg = m.getValue(p + 4, '*');
    throw new Error(`${what}: ${msg ? m.UTF8ToString(msg) : 'error ' + code}`);
  } finally {
    m.stackRestore(stack);
  }
}

export class KvSession {
  /**
   * @param {any} session an `ort.InferenceSession` on the WASM EP
   * @param {number} layers
   * @param {number} kvHeads
   * @param {number} headDim
   */
  constructor(session, layers, kvHeads, headDim) {
    this.m = runtime();
    this.session = session;
    this.handle = session.handler.sessionId;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    const m = this.m;
    /** @type {number[]} heap strings, freed on release */
    this.strings = [];
    const str = (/** @type {string} */ s) => {
      const n = m.lengthBytesUTF8(s) + 1;
      const p = m._malloc(n);
      m.stringToUTF8(s, p, n);
      this.strings.push(p);
      return p;
    };
    const inputs = ['input_ids', 'attention_mask', 'position_ids'];
    const outputs = ['logits'];
    for (let i = 0; i < layers; i++) {
      inputs.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
      outputs.push(`present.${i}.key`, `present.${i}.value`);
    }
    for (const name of inputs) if (!session.inputNames.includes(name)) throw new Error(`the model has no input ${name}`);
    for (const name of outputs) if (!session.outputNames.includes(name)) throw new Error(`the model has no output ${name}`);
    this.inputCount = inputs.length;
    this.outputCount = outputs.length;
    this.inputNames = m._malloc(4 * inputs.length);
    this.outputNames = m._malloc(4 * outputs.length);
    this.strings.push(this.inputNames, this.outputNames);
    inputs.forEach((n, i) => m.setValue(this.inputNames + 4 * i, str(n), '*'));
    outputs.forEach((n, i) => m.setValue(this.outputNames + 4 * i, str(n), '*'));
    /** @type {number[]} the cache: present values of the last run, kept in the heap */
    this.past = [];
    /** @type {number[]} heap buffers under `past` that the runtime does not own (a truncated cache's) */
    this.pastBuffers = [];
  }

  /**
   * A tensor in the heap from `data` (copied), with its data pointer for freeing.
   * @param {number} type @param {ArrayBufferView} data @param {number[]} dims
   */
  tensor(type, data, dims) {
    const m = this.m;
    const bytes = data.byteLength;
    const ptr = bytes ? m._malloc(bytes) : 0;
    if (bytes) m.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, bytes), ptr);
    return { t: this.wrap(type, ptr, bytes, dims), ptr };
  }

  /**
   * A runtime value over `bytes` at `ptr` in the heap (which the caller keeps and frees after releasing it).
   * @param {number} type @param {number} ptr @param {number} bytes @param {number[]} dims
   */
  wrap(type, ptr, bytes, dims) {
    const m = this.m;
    const stack = m.stackSave();
    try {
      const d = m.stackAlloc(4 * dims.length);
      dims.forEach((v, i) => m.setValue(d + 4 * i, v, 'i32'));
      const t = m._OrtCreateTensor(type, ptr, bytes, d, dims.length, CPU);
      if (!t) check(m, 'creating a tensor');
      return t;
    } finally {
      m.stackRestore(stack);
    }
  }

  /**
   * Run `ids` at positions `pastLen..`; the cache must hold `pastLen` tokens (0: empty). Returns the logits of the
   * last position and keeps the presents as the cache.
   * @param {BigInt64Array} ids @param {number} pastLen @returns {Promise<Float32Array>}
   */
  async run(ids, pastLen) {
    const m = this.m;
    const n = ids.length;
    const total = pastLen + n;
    if (pastLen > 0 && this.past.length !== this.inputCount - 3) throw new Error('the cache is gone');
    /** @type {{t: number, ptr: number}[]} */
    const made = [];
    made.push(this.tensor(INT64, ids, [1, n]));
    made.push(this.tensor(INT64, new BigInt64Array(total).fill(1n), [1, total]));
    const positions = new BigInt64Array(n);
    for (let i = 0; i < n; i++) positions[i] = BigInt(pastLen + i);
    made.push(this.tensor(INT64, positions, [1, n]));
    let past = this.past;
    if (pastLen === 0) {
      this.drop();
      past = [];
      for (let i = 3; i < this.inputCount; i++) {
        const e = this.tensor(FLOAT, new Float32Array(0), [1, this.kvHeads, 0, this.headDim]);
        made.push(e);
        past.push(e.t);
      }
    }
    // The cache is consumed by this run: its values are released after it, whatever happens.
    const pastBuffers = this.pastBuffers;
    this.past = [];
    this.pastBuffers = [];
    const inputs = m._malloc(4 * this.inputCount);
    const outputs = m._malloc(4 * this.outputCount);
    try {
      for (let i = 0; i < 3; i++) m.setValue(inputs + 4 * i, made[i].t, '*');
      past.forEach((t, i) => m.setValue(inputs + 4 * (3 + i), t, '*'));
      for (let i = 0; i < this.outputCount; i++) m.setValue(outputs + 4 * i, 0, '*');
      const code = await m._OrtRun(this.handle, this.inputNames, inputs, this.inputCount, this.outputNames, this.outputCount, outputs, 0);
      if (code !== 0) check(m, 'running the decoder');
      const values = [];
      for (let i = 0; i < this.outputCount; i++) values.push(m.getValue(outputs + 4 * i, '*'));
      const logits = this.lastRow(values[0]);
      m._OrtReleaseTensor(values[0]);
      this.past = values.slice(1);
      return logits;
    } finally {
      for (const e of made) {
        m._OrtReleaseTensor(e.t);
        if (e.ptr) m._free(e.ptr);
      }
      if (pastLen > 0) for (const t of past) m._OrtReleaseTensor(t);
      for (const p of pastBuffers) m._free(p);
      m._free(inputs);
      m._free(outputs);
    }
  }

  /** A heap tensor's element type, data pointer and dims. @param {number} t */
  info(t) {
    const m = this.m;
    const stack = m.stackSave();
    try {
      const p = m.stackAlloc(16);
      if (m._OrtGetTensorData(t, p, p + 4, p + 8, p + 12) !== 0) check(m, 'reading a tensor');
      const type = m.getValue(p, 'i32');
      const data = m.getValue(p + 4, '*');
      const dimsPtr = m.getValue(p + 8, '*');
      const rank = m.getValue(p + 12, 'i32');
      const dims = [];
      for (let i = 0; i < rank; i++) dims.push(m.getValue(dimsPtr + 4 * i, 'i32'));
      m._OrtFree(dimsPtr);
      return { type, data, dims };
    } finally {
      m.stackRestore(stack);
    }
  }

  /** The last row of a `[1, seq, vocab]` float tensor in the heap, copied out. @param {number} t */
  lastRow(t) {
    const { type, data, dims } = this.info(t);
    if (type !== FLOAT || dims.length < 1) throw new Error(`the logits are not float32 (type ${type})`);
    const vocab = dims[dims.length - 1];
    const size = dims.reduce((a, b) => a * b, 1);
    const start = data + 4 * (size - vocab);
    return new Float32Array(this.m.HEAPU8.slice(start, start + 4 * vocab).buffer);
  }

  /**
   * Keep the first `len` positions of the cache (a prefix the next prompt shares), copied head by head within the
   * heap: `[1, kvHeads, cached, headDim]` → `[1, kvHeads, len, headDim]`.
   * @param {number} len
   */
  truncate(len) {
    const m = this.m;
    const kept = [];
    const buffers = [];
    try {
      for (const t of this.past) {
        const { type, data, dims } = this.info(t);
        if (type !== FLOAT || dims.length !== 4 || dims[2] < len) throw new Error('the cache is not [1, heads, seq, dim] float32');
        const [, heads, cached, dim] = dims;
        const row = 4 * dim;
        const bytes = heads * len * row;
        const ptr = m._malloc(Math.max(bytes, 4));
        buffers.push(ptr);
        for (let h = 0; h < heads; h++) m.HEAPU8.copyWithin(ptr + h * len * row, data + h * cached * row, data + (h * cached + len) * row);
        kept.push(this.wrap(FLOAT, ptr, bytes, [1, heads, len, dim]));
      }
    } catch (e) {
      for (const t of kept) m._OrtReleaseTensor(t);
      for (const p of buffers) m._free(p);
      this.drop();
      throw e;
    }
    this.drop();
    this.past = kept;
    this.pastBuffers = buffers;
  }

  /** Forget the cache. */
  drop() {
    for (const t of this.past) this.m._OrtReleaseTensor(t);
    for (const p of this.pastBuffers) this.m._free(p);
    this.past = [];
    this.pastBuffers = [];
  }

  /** Release the cache, the heap strings and the session. */
  async release() {
    this.drop();
    for (const p of this.strings) this.m._free(p);
    this.strings = [];
    await this.session.release();
  }
}
