// @ts-check
/**
 * Scout's encoder on WebGPU: the bundled BERT embedder (MiniLM) with WGSL kernels of its own, for the
 * `EncoderBackend` of a WebGPU engine (src/web/gpu_encoder.rs).
 *
 * Why not ONNX Runtime's WebGPU EP: its start (the runtime's module, the session, the graph's constant folding) took
 * 1.4–1.8 s of a cold click on an H200 before the first sentence, and every run pays its per-op CPU work. Here the
 * weights are the CPU encoder's own file (int8 matrices with a scale per column, uploaded once) and a batch is one
 * command buffer: the sentences' tokens one after another with no padding (each token knows its sentence's first
 * row and length), 7 dispatches a layer (biases, GELU and the residual folded into the products), then the last
 * hidden states read back for Rust to pool. Activations are f32: the arithmetic of `scout_bert::plain::PlainBert`,
 * the native reference.
 */
import { WG, DYN, ACT, LINEAR_MANY, S, GpuRunner, gpuDevice } from './gpu_kernels.js';

/** Per token: vec4u(id, position, first row of its sentence, the sentence's length). */
const ROWS = /* wgsl */ `@group(0) @binding(2) var<storage, read> rows: array<vec4u>;`;

/** Word + position + token type 0 embeddings (int8 tables with a scale per row, the type's in f32). */
const EMBED = /* wgsl */ `${DYN}
struct P { hidden: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
${ROWS}
@group(0) @binding(3) var<storage, read> word: array<u32>;
@group(0) @binding(4) var<storage, read> word_scale: array<f32>;
@group(0) @binding(5) var<storage, read> pos: array<u32>;
@group(0) @binding(6) var<storage, read> pos_scale: array<f32>;
@group(0) @binding(7) var<storage, read> type0: array<f32>;
@group(0) @binding(8) var<storage, read_write> x: array<f32>;
fn byte(w: u32, at: u32) -> f32 { return f32(extractBits(bitcast<i32>(w), 8u * (at % 4u), 8u)); }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let i = g.x + g.y * n.x * ${WG}u;
  if (i >= d.m * p.hidden) { return; }
  let r = rows[i / p.hidden];
  let c = i % p.hidden;
  let wi = r.x * p.hidden + c;
  let pi = r.y * p.hidden + c;
  x[i] = byte(word[wi / 4u], wi) * word_scale[r.x] + type0[c] + byte(pos[pi / 4u], pi) * pos_scale[r.y];
}`;

/** Layer norm of each row in place, 64 threads a row: mean, then the variance of the centred values. */
const NORM = /* wgsl */ `${DYN}
struct P { hidden: u32, p0: u32, p1: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read> nw: array<f32>;
@group(0) @binding(4) var<storage, read> nb: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
fn total(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  let base = t - t % 64u;
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (t % 64u < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let sum = red[base];
  workgroupBarrier();
  return sum;
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32, @builtin(num_workgroups) n: vec3u) {
  let row = (wg.x + wg.y * n.x) * 4u + t / 64u;
  let live = row < d.m;
  let b = row * p.hidden;
  let lane = t % 64u;
  var s = 0.0;
  if (live) { for (var c = lane; c < p.hidden; c += 64u) { s += x[b + c]; } }
  let mean = total(t, s) / f32(p.hidden);
  var v = 0.0;
  if (live) { for (var c = lane; c < p.hidden; c += 64u) { let e = x[b + c] - mean; v += e * e; } }
  let inv = 1.0 / sqrt(total(t, v) / f32(p.hidden) + p.eps);
  if (live) { for (var c = lane; c < p.hidden; c += 64u) { x[b + c] = (x[b + c] - mean) * inv * nw[c] + nb[c]; } }
}`;

/**
 * Self-attention of each token over its own sentence, a thread per (token, head): the scores' maximum in a first
 * pass over the keys, then the exponentials' sum and the weighted values. Sentences are short (≤ 256 tokens), so
 * a thread's loops are too; the sentence's keys are read by all its tokens' threads (from the cache).
 * @param {number} hd head size
 */
const attention = (hd) => /* wgsl */ `${DYN}
struct P { hidden: u32, heads: u32, p0: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
${ROWS}
@group(0) @binding(3) var<storage, read> qkv: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let i = g.x + g.y * n.x * 64u;
  if (i >= d.m * p.heads) { return; }
  let token = i / p.heads;
  let h = i % p.heads;
  let r = rows[token];
  let width = 3u * p.hidden;
  let at = h * ${hd}u;
  var q: array<f32, ${hd}>;
  for (var j = 0u; j < ${hd}u; j++) { q[j] = qkv[token * width + at + j] * p.scale; }
  var top = -3.0e38;
  for (var k = r.z; k < r.z + r.w; k++) {
    let kb = k * width + p.hidden + at;
    var s = 0.0;
    for (var j = 0u; j < ${hd}u; j++) { s += q[j] * qkv[kb + j]; }
    top = max(top, s);
  }
  var sum = 0.0;
  var acc: array<f32, ${hd}>;
  for (var k = r.z; k < r.z + r.w; k++) {
    let kb = k * width + p.hidden + at;
    var s = 0.0;
    for (var j = 0u; j < ${hd}u; j++) { s += q[j] * qkv[kb + j]; }
    let e = exp(s - top);
    sum += e;
    let vb = kb + p.hidden;
    for (var j = 0u; j < ${hd}u; j++) { acc[j] += e * qkv[vb + j]; }
  }
  let ob = token * p.hidden + at;
  for (var j = 0u; j < ${hd}u; j++) { out[ob + j] = acc[j] / sum; }
}`;

/** @typedef {{ layers: number, hidden: number, heads: number, intermediate: number, eps: number }} Dims */

/** @param {Dims} dims */
export async function createGpuEncoder(dims) {
  const { adapter, device } = await gpuDevice();
  return new GpuEncoder(device, adapter, dims);
}

/** Workgroups for `count` threads of `size`: a grid whose rows stay under WebGPU's 65,535 per dimension. */
function grid(/** @type {number} */ count, /** @type {number} */ size) {
  const groups = Math.max(1, Math.ceil(count / size));
  const x = Math.min(groups, 32768);
  return [x, Math.ceil(groups / x)];
}

export class GpuEncoder extends GpuRunner {
  /** @param {any} device @param {any} adapter @param {Dims} dims */
  constructor(device, adapter, dims) {
    const hd = dims.hidden / dims.heads;
    if (!Number.isInteger(hd) || hd > 128 || dims.hidden % 4 || dims.intermediate % 4) {
      throw new Error(`the GPU encoder needs a head size up to 128 and widths in fours (${JSON.stringify(dims)})`);
    }
    super(device, adapter, { embed: EMBED, norm: NORM, attention: attention(hd), many: LINEAR_MANY });
    this.dims = dims;
    this.dyn = this.buffer(16, S().UNIFORM | S().COPY_DST);
    this.capacity = 0;
    /** For the benchmark (summed over runs): ms per run, runs, tokens. `globalThis.scoutGpuEncoderStats`. */
    this.stats = new Float64Array(3);
    /** @type {any} */ (globalThis).scoutGpuEncoderStats = this.stats;
    // The runner itself, for the tests: one destroys its device to check that the engine falls back to the CPU.
    /** @type {any} */ (globalThis).scoutGpuEncoder = this;
  }

  /** After the uploads: the buffers for a first batch and the kernels made, or why the GPU could not hold them. */
  async ready() {
    this.reserve(1024);
    await this.checkErrors();
  }

  /** Activation buffers for `rows` tokens (doubling) and the bind groups that read them. @param {number} rows */
  reserve(rows) {
    if (rows <= this.capacity) return;
    let cap = Math.max(this.capacity, 1024);
    while (cap < rows) cap *= 2;
    const { hidden, intermediate } = this.dims;
    for (const b of [this.rows, this.x, this.qkv, this.ctx, this.inner, this.readback]) b?.destroy();
    const f32s = (/** @type {number} */ n) => this.buffer(n * 4, S().STORAGE | S().COPY_SRC | S().COPY_DST);
    this.rows = this.buffer(cap * 16, S().STORAGE | S().COPY_DST);
    this.x = f32s(cap * hidden);
    this.qkv = f32s(cap * 3 * hidden);
    this.ctx = f32s(cap * hidden);
    this.inner = f32s(cap * intermediate);
    this.readback = this.buffer(cap * hidden * 4, S().MAP_READ | S().COPY_DST);
    this.capacity = cap;
    this.plan = this.record();
  }

  /** Every kernel's bind group, in the order of a run. */
  record() {
    const { layers, hidden, heads, intermediate, eps } = this.dims;
    const w = (/** @type {string} */ n) => this.weight(n);
    const none = this.buffer(16, S().STORAGE);
    /**
     * A product `x [rows, k]` → `y [rows, n]`, added to `y` (`add`: the residual), its input through GELU (`gelu`).
     * @param {any} x @param {string} name @param {number} k @param {number} n @param {any} y @param {{ add?: boolean, gelu?: boolean }} opts
     */
    const linear = (x, name, k, n, y, opts = {}) => {
      const flags = [k, n / 4, opts.add ? 1 : 0, 0, 0, opts.gelu ? ACT.gelu : ACT.none, 0, eps];
      return { kind: 'linear', n, ...this.group('many', [this.params(flags, [7]), this.dyn, x, w(`${name}.w`), w(`${name}.scales`), w(`${name}.bias`), y, none]) };
    };
    const norm = (/** @type {string} */ name) => ({ kind: 'norm', ...this.group('norm', [this.params([hidden, 0, 0, eps], [3]), this.dyn, this.x, w(`${name}.w`), w(`${name}.b`)]) });
    /** @type {any[]} */
    const plan = [
      { kind: 'embed', ...this.group('embed', [this.params([hidden, 0, 0, 0]), this.dyn, this.rows, w('word'), w('word_scale'), w('pos'), w('pos_scale'), w('type0'), this.x]) },
      norm('emb_ln'),
    ];
    const att = this.params([hidden, heads, 0, 1 / Math.sqrt(hidden / heads)], [3]);
    for (let l = 0; l < layers; l++) {
      plan.push(linear(this.x, `${l}.qkv`, hidden, 3 * hidden, this.qkv));
      plan.push({ kind: 'attention', ...this.group('attention', [att, this.dyn, this.rows, this.qkv, this.ctx]) });
      plan.push(linear(this.ctx, `${l}.o`, hidden, hidden, this.x, { add: true }));
      plan.push(norm(`${l}.ln1`));
      plan.push(linear(this.x, `${l}.ffn_in`, hidden, intermediate, this.inner));
      plan.push(linear(this.inner, `${l}.ffn_out`, intermediate, hidden, this.x, { add: true, gelu: true }));
      plan.push(norm(`${l}.ln2`));
    }
    return plan;
  }

  /**
   * The last hidden states (`[tokens, hidden]`) of the tokens described by `rows` (4 numbers a token: id, position,
   * its sentence's first row, its length). @param {Uint32Array} rows
   */
  async run(rows) {
    this.alive();
    const t0 = performance.now();
    const m = rows.length / 4;
    this.reserve(m);
    const { hidden, heads } = this.dims;
    const queue = this.device.queue;
    queue.writeBuffer(this.rows, 0, rows);
    queue.writeBuffer(this.dyn, 0, new Uint32Array([m, 0, 0, 0]));
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const step of /** @type {any[]} */ (this.plan)) {
      pass.setPipeline(step.pipe);
      pass.setBindGroup(0, step.group);
      if (step.kind === 'linear') pass.dispatchWorkgroups(Math.ceil(step.n / 64), Math.ceil(m / 64));
      else if (step.kind === 'embed') pass.dispatchWorkgroups(...grid(m * hidden, WG));
      else if (step.kind === 'norm') pass.dispatchWorkgroups(...grid(m, 4));
      else pass.dispatchWorkgroups(...grid(m * heads, 64));
    }
    pass.end();
    enc.copyBufferToBuffer(this.x, 0, this.readback, 0, m * hidden * 4);
    queue.submit([enc.finish()]);
    await this.readback.mapAsync(/** @type {any} */ (globalThis).GPUMapMode.READ, 0, m * hidden * 4);
    const out = new Float32Array(this.readback.getMappedRange(0, m * hidden * 4).slice(0));
    this.readback.unmap();
    this.alive();
    this.stats[0] += performance.now() - t0;
    this.stats[1] += 1;
    this.stats[2] += m;
    return out;
  }
}
