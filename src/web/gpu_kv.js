// @ts-check
/**
 * A decoder session on the WebGPU EP whose key/value cache stays on the GPU between runs.
 *
 * ort-web's session returns every output to the CPU: on WebGPU that is a read-back of the whole cache at every
 * token and an upload of it at the next. onnxruntime-web can instead leave chosen outputs where the EP made them
 * (`preferredOutputLocation: 'gpu-buffer'`) and take such tensors back as inputs, which is how Transformers.js runs
 * decoders on WebGPU. This module does only that for the core's decode loop (`DecoderBackend` in Rust): the
 * `present.*` outputs stay GPU tensors and go back in as the next run's `past_key_values.*`; only the logits (the
 * last position's, after the engine's load-time rewrite) are read back. What to run and when is the core's.
 *
 * Same methods as `KvSession` of `kv_bridge.js` (run, drop, truncate, release), so the engine drives either; a
 * shared prefix is kept by copying it on the GPU.
 */

/**
 * A session of `model` (the ONNX file's bytes) on the WebGPU EP of the loaded onnxruntime-web bundle.
 * @param {Uint8Array} model @param {any} options `ort.InferenceSession` options (execution providers included)
 * @param {number} layers @param {number} kvHeads @param {number} headDim
 */
export async function createGpuKvSession(model, options, layers, kvHeads, headDim) {
  const ort = /** @type {any} */ (globalThis).ort;
  /** @type {Record<string, string>} */
  const location = { logits: 'cpu' };
  for (let i = 0; i < layers; i++) {
    location[`present.${i}.key`] = 'gpu-buffer';
    location[`present.${i}.value`] = 'gpu-buffer';
  }
  const session = await ort.InferenceSession.create(model, { ...options, preferredOutputLocation: location });
  const gpu = new GpuKvSession(ort, session, layers, kvHeads, headDim);
  gpu.maxRunTokens = maxRunTokens(gpu.device());
  return gpu;
}

/**
 * The most new tokens one run may take on this device. onnxruntime-web 1.30's GroupQueryAttention prefill assumes
 * subgroups of at least 16 lanes: on an adapter with smaller ones (Chromium's software adapter has 4) every run of 32
 * or more new tokens gives wrong attention from the fifth query row on, while shorter runs and decode steps are
 * right (measured with GroupQueryAttention alone; upstream: microsoft/onnxruntime#28520). There, and where the
 * adapter does not say, a prompt goes in runs of 31 tokens.
 * @param {any} device a GPUDevice, or null
 */
function maxRunTokens(device) {
  const size = device && device.adapterInfo ? device.adapterInfo.subgroupMinSize : undefined;
  return typeof size === 'number' && size >= 16 ? Infinity : 31;
}

export class GpuKvSession {
  /**
   * @param {any} ort the onnxruntime-web namespace
   * @param {any} session an `ort.InferenceSession` on the WebGPU EP
   * @param {number} layers @param {number} kvHeads @param {number} headDim
   */
  constructor(ort, session, layers, kvHeads, headDim) {
    this.ort = ort;
    this.session = session;
    this.layers = layers;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    /** @type {any[]} `present.{i}.key`, `present.{i}.value` of the last run (GPU tensors); empty before the first */
    this.past = [];
    /** See `maxRunTokens`. */
    this.maxRunTokens = Infinity;
    /** Time in `session.run` (ms) and runs since the last `stats()`: what the loop around it costs is the rest. */
    this.runMs = 0;
    this.runs = 0;
  }

  /**
   * Run `ids` after `pastLen` cached positions; returns the last position's logits.
   * @param {BigInt64Array} ids @param {number} pastLen
   * @returns {Promise<Float32Array>}
   */
  async run(ids, pastLen) {
    if (ids.length <= this.maxRunTokens) return this.runOnce(ids, pastLen);
    let logits = new Float32Array(0);
    for (let at = 0; at < ids.length; at += this.maxRunTokens) {
      logits = await this.runOnce(ids.subarray(at, Math.min(ids.length, at + this.maxRunTokens)), pastLen + at);
    }
    return logits;
  }

  /** One `session.run` of `ids` after `pastLen` cached positions. @param {BigInt64Array} ids @param {number} pastLen */
  async runOnce(ids, pastLen) {
    const { ort } = this;
    const n = ids.length;
    if (pastLen > 0 && this.past.length === 0) throw new Error('no cache to continue from');
    const total = pastLen + n;
    /** @type {Record<string, any>} */
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(pastLen + i)), [1, n]),
    };
    const empty = pastLen === 0;
    for (let i = 0; i < this.layers; i++) {
      for (const [j, kind] of [[0, 'key'], [1, 'value']]) {
        feeds[`past_key_values.${i}.${kind}`] = empty
          ? new ort.Tensor('float32', new Float32Array(0), [1, this.kvHeads, 0, this.headDim])
          : this.past[2 * i + /** @type {number} */ (j)];
      }
    }
    const used = empty ? [] : this.past;
    this.past = [];
    const t = performance.now();
    let out;
    try {
      out = await this.session.run(feeds);
    } finally {
      // The inputs' GPU buffers are this module's: the outputs are new tensors.
      for (const p of used) p.dispose();
    }
    this.runMs += performance.now() - t;
    this.runs++;
    for (let i = 0; i < this.layers; i++) this.past.push(out[`present.${i}.key`], out[`present.${i}.value`]);
    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const data = /** @type {Float32Array} */ (logits.data);
    return data.slice(data.length - vocab);
  }

  /** Forget the cache (its GPU buffers are freed). */
  drop() {
    for (const p of this.past) p.dispose();
    this.past = [];
  }

  /**
   * Keep the first `len` positions (Regenerate, the next chat turn): each cache tensor `[1, kvHeads, cached, headDim]`
   * is copied head by head into a new buffer of `len` positions, on the GPU. If it cannot (no device to copy with),
   * the cache is dropped and this throws (the core then re-reads the prompt), as the bridge's does.
   * @param {number} len
   */
  truncate(len) {
    const device = this.device();
    if (!device || this.past.length === 0 || !this.past.every((p) => p.gpuBuffer && p.dims[2] >= len)) {
      this.drop();
      throw new Error('the cache cannot be cut on this GPU');
    }
    const { ort, kvHeads, headDim } = this;
    const cached = this.past[0].dims[2];
    const row = headDim * 4;
    const encoder = device.createCommandEncoder();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const kept = this.past.map(() => device.createBuffer({ size: kvHeads * len * row, usage }));
    this.past.forEach((p, i) => {
      for (let h = 0; h < kvHeads; h++) encoder.copyBufferToBuffer(p.gpuBuffer, h * cached * row, kept[i], h * len * row, len * row);
    });
    device.queue.submit([encoder.finish()]);
    const old = this.past;
    this.past = kept.map((buffer) => ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: [1, kvHeads, len, headDim], dispose: () => buffer.destroy() }));
    for (const p of old) p.dispose();
  }

  /** @returns {any} the GPU device onnxruntime-web runs on, if it exposes it */
  device() {
    try {
      const d = this.ort.env.webgpu.device;
      return d && typeof d.createCommandEncoder === 'function' ? d : null;
    } catch {
      return null;
    }
  }

  /** Time in `session.run` and runs since the last call, then reset. */
  stats() {
    const s = { run_ms: this.runMs, runs: this.runs };
    this.runMs = 0;
    this.runs = 0;
    return s;
  }

  async release() {
    this.drop();
    await this.session.release();
  }
}
