// @ts-check
/**
 * Scout's decoder on WebGPU: the runner of the core's decode loop (`DecoderBackend` in Rust, src/web/gpu_decoder.rs)
 * for Llama-architecture models, with WGSL kernels of its own.
 *
 * Why not ONNX Runtime's WebGPU EP: a decode step is ~2 ms of GPU work, but onnxruntime-web spends 15+ ms of CPU time
 * around each run (its graph walked op by op, shapes computed on the CPU, outputs allocated), so it decoded no faster
 * than Transformers.js. Here every token is one command buffer recorded from bind groups made once: 6 dispatches a
 * layer (norms and the activation folded into the products), then only the last position's logits are read back.
 *
 * The weights are the ones Rust read from the model's ONNX export (`scout_llm::plain`): int8 matrices `[k, n]` by
 * rows (four columns to a u32), a scale and a bias per column; activations, norms, RoPE, attention and the key/value
 * cache are f32. The cache is `[kv_heads, capacity, head_dim]` per layer and grows by doubling. What to run and
 * when (prompt, steps, truncation) is the core's; this module only computes.
 */

import { WG, UNPACK, DYN, ACT, LINEAR_IO, LINEAR_MANY, S, GpuRunner, gpuDevice } from './gpu_kernels.js';

const EMBED = /* wgsl */ `${DYN}${UNPACK}
struct P { hidden: u32, nq: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> w: array<u32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x;
  if (i >= d.m * p.hidden) { return; }
  let id = ids[i / p.hidden];
  let v = unpack(w[(i % p.hidden) * p.nq + id / 4u]);
  x[i] = v[id % 4u] * scale[id];
}`;

/**
 * Few rows (decode): per workgroup 4 groups of four columns × 64 slices of the inner dimension, so that even 576
 * columns make enough workgroups and every thread's loop is short (a decode step is bound by the loads' latency,
 * not by bandwidth: 8 column groups × 32 slices ran SmolLM2 at 144–171 tokens/s on an H100, 1 × 256 at 48–58). A
 * normalized row's sum of squares comes from the same loop.
 */
const LINEAR_FEW = /* wgsl */ `${LINEAR_IO}
var<workgroup> part: array<vec4f, ${WG}>;
var<workgroup> sq: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let q = wg.x * 4u + t % 4u;
  let slice = t / 4u;
  let m = rows();
  let live = q < p.nq;
  for (var r = 0u; r < m; r++) {
    var acc = vec4f(0.0);
    var ss = 0.0;
    for (var k = slice; k < p.k; k += 64u) {
      if (p.norm == 1u) { let v = raw(r, k); ss += v * v; }
      if (live) { acc += xin(r, k) * unpack(w[k * p.nq + q]); }
    }
    part[t] = acc;
    sq[t] = ss;
    workgroupBarrier();
    for (var s = ${WG / 2}u; s >= 4u; s >>= 1u) {
      if (t < s) { part[t] += part[t + s]; sq[t] += sq[t + s]; }
      workgroupBarrier();
    }
    if (t < 4u && live) {
      var v = part[t];
      if (p.norm == 1u) { v *= inv_rms(sq[t]); }
      store(r, q, v);
    }
    workgroupBarrier();
  }
}`;

/** RoPE on Q and K (pairs i, i + half: the Llama layout), K and V into the cache at their positions. */
const ROPE = /* wgsl */ `${DYN}
struct P { heads: u32, kv: u32, hd: u32, cap: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> cs: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> q: array<f32>;
@group(0) @binding(5) var<storage, read_write> kc: array<f32>;
@group(0) @binding(6) var<storage, read_write> vc: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3u) {
  let half = p.hd / 2u;
  let slots = p.heads + 2u * p.kv;
  let per = slots * half;
  if (g.x >= d.m * per) { return; }
  let row = g.x / per;
  let slot = (g.x % per) / half;
  let i = g.x % half;
  let pos = d.start + row;
  let src = row * slots * p.hd + slot * p.hd;
  let a = qkv[src + i];
  let b = qkv[src + i + half];
  let c = cs[pos * half + i];
  if (slot < p.heads) {
    let o = (row * p.heads + slot) * p.hd;
    q[o + i] = a * c.x - b * c.y;
    q[o + i + half] = b * c.x + a * c.y;
  } else if (slot < p.heads + p.kv) {
    let o = ((slot - p.heads) * p.cap + pos) * p.hd;
    kc[o + i] = a * c.x - b * c.y;
    kc[o + i + half] = b * c.x + a * c.y;
  } else {
    let o = ((slot - p.heads - p.kv) * p.cap + pos) * p.hd;
    vc[o + i] = a;
    vc[o + i + half] = b;
  }
}`;

/**
 * Prompt attention, a workgroup per (query head, row): positions in tiles of 256 (a score each), softmax kept
 * online (running maximum and sum), values summed by head_dim lanes × (256 / head_dim) groups of positions.
 */
const ATTENTION = /* wgsl */ `${DYN}
struct P { heads: u32, group: u32, hd: u32, cap: u32, scale: f32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> kc: array<f32>;
@group(0) @binding(4) var<storage, read> vc: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
var<workgroup> qs: array<f32, ${WG}>;
var<workgroup> ps: array<f32, ${WG}>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let h = wg.x;
  let row = wg.y;
  let len = d.start + row + 1u;
  let qb = (row * p.heads + h) * p.hd;
  if (t < p.hd) { qs[t] = q[qb + t] * p.scale; }
  workgroupBarrier();
  let kb = (h / p.group) * p.cap * p.hd;
  let lane = t % p.hd;
  let groups = ${WG}u / p.hd;
  let span = ${WG}u / groups;
  let first = (t / p.hd) * span;
  var run_max = -3.0e38;
  var run_sum = 0.0;
  var acc = 0.0;
  for (var t0 = 0u; t0 < len; t0 += ${WG}u) {
    let pos = t0 + t;
    var s = -3.0e38;
    if (pos < len) {
      let b = kb + pos * p.hd;
      var dot = 0.0;
      for (var j = 0u; j < p.hd; j++) { dot += qs[j] * kc[b + j]; }
      s = dot;
    }
    red[t] = s;
    workgroupBarrier();
    for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
      if (t < k) { red[t] = max(red[t], red[t + k]); }
      workgroupBarrier();
    }
    let new_max = max(run_max, red[0]);
    workgroupBarrier();
    var e = 0.0;
    if (pos < len) { e = exp(s - new_max); }
    ps[t] = e;
    red[t] = e;
    workgroupBarrier();
    for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
      if (t < k) { red[t] += red[t + k]; }
      workgroupBarrier();
    }
    let fix = exp(run_max - new_max);
    run_sum = run_sum * fix + red[0];
    acc *= fix;
    let last = min(first + span, len - t0);
    for (var j = first; j < last; j++) { acc += ps[j] * vc[kb + (t0 + j) * p.hd + lane]; }
    run_max = new_max;
    workgroupBarrier();
  }
  ps[t] = acc;
  workgroupBarrier();
  if (t < p.hd) {
    var sum = 0.0;
    for (var g = 0u; g < groups; g++) { sum += ps[g * p.hd + t]; }
    out[qb + t] = sum / run_sum;
  }
}`;

/**
 * Decode attention, split over the cache (a workgroup per query head, chunk of 64 positions and row): each chunk's
 * scores (4 threads a position), their maximum and sum of exponentials, and the values they weight go to `part`;
 * ATTENTION_JOIN rescales and adds the chunks. Enough workgroups at any context, and short loops.
 */
const ATTENTION_SPLIT = /* wgsl */ `${DYN}
struct P { heads: u32, group: u32, hd: u32, cap: u32, scale: f32, chunks: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> q: array<vec4f>;
@group(0) @binding(3) var<storage, read> kc: array<vec4f>;
@group(0) @binding(4) var<storage, read> vc: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;
var<workgroup> red: array<f32, ${WG}>;
var<workgroup> sc: array<f32, 64>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let h = wg.x;
  let c0 = wg.y * 64u;
  let row = wg.z;
  let len = d.start + row + 1u;
  if (c0 >= len) { return; }
  let out = ((row * p.heads + h) * p.chunks + wg.y) * (p.hd + 2u);
  let kb = (h / p.group) * p.cap * p.hd;
  let qb = (row * p.heads + h) * p.hd;
  let at = t / 4u;
  let pos = c0 + at;
  let quarter = p.hd / 4u;
  var s = 0.0;
  if (pos < len) {
    for (var j = (t % 4u) * quarter; j < (t % 4u + 1u) * quarter; j += 4u) {
      s += dot(q[(qb + j) / 4u], kc[(kb + pos * p.hd + j) / 4u]);
    }
  }
  red[t] = s;
  workgroupBarrier();
  if (t < 64u) {
    var v = -3.0e38;
    if (c0 + t < len) { v = (red[4u * t] + red[4u * t + 1u] + red[4u * t + 2u] + red[4u * t + 3u]) * p.scale; }
    sc[t] = v;
    red[t] = v;
  }
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (t < k) { red[t] = max(red[t], red[t + k]); }
    workgroupBarrier();
  }
  let top = red[0];
  workgroupBarrier();
  if (t < 64u) {
    var e = 0.0;
    if (c0 + t < len) { e = exp(sc[t] - top); }
    sc[t] = e;
    red[t] = e;
  }
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (t < k) { red[t] += red[t + k]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  // Values: head_dim lanes × (256 / head_dim) groups of positions.
  let lane = t % p.hd;
  let groups = ${WG}u / p.hd;
  let span = 64u / groups;
  let first = (t / p.hd) * span;
  var acc = 0.0;
  for (var j = first; j < first + span; j++) {
    if (c0 + j < len) { acc += sc[j] * vc[kb + (c0 + j) * p.hd + lane]; }
  }
  red[t] = acc;
  workgroupBarrier();
  if (t < p.hd) {
    var sum = 0.0;
    for (var g = 0u; g < groups; g++) { sum += red[g * p.hd + t]; }
    part[out + 2u + t] = sum;
  }
  if (t == 0u) {
    part[out] = top;
    part[out + 1u] = total;
  }
}`;

/** The chunks of ATTENTION_SPLIT joined: each rescaled to the largest maximum. */
const ATTENTION_JOIN = /* wgsl */ `${DYN}
struct P { heads: u32, hd: u32, chunks: u32, p0: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> part: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let h = wg.x;
  let row = wg.y;
  if (t >= p.hd) { return; }
  let n = (d.start + row + 64u) / 64u;
  let base = (row * p.heads + h) * p.chunks * (p.hd + 2u);
  var top = -3.0e38;
  for (var c = 0u; c < n; c++) { top = max(top, part[base + c * (p.hd + 2u)]); }
  var total = 0.0;
  var acc = 0.0;
  for (var c = 0u; c < n; c++) {
    let b = base + c * (p.hd + 2u);
    let f = exp(part[b] - top);
    total += part[b + 1u] * f;
    acc += part[b + 2u + t] * f;
  }
  out[(row * p.heads + h) * p.hd + t] = acc / total;
}`;

/**
 * The largest logit's index (the lowest index among equals, as `argmax` below) into the next step's token: the
 * greedy choice that lets decode steps run ahead on the GPU of the caller's reading their logits.
 */
const ARGMAX = /* wgsl */ `
struct P { vocab: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> next: array<u32>;
var<workgroup> bv: array<f32, ${WG}>;
var<workgroup> bi: array<u32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) t: u32) {
  var best = -3.4e38;
  var at = 0xffffffffu;
  for (var i = t; i < p.vocab; i += ${WG}u) { let v = logits[i]; if (v > best) { best = v; at = i; } }
  bv[t] = best;
  bi[t] = at;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (t < s) {
      let v = bv[t + s];
      let i = bi[t + s];
      if (v > bv[t] || (v == bv[t] && i < bi[t])) { bv[t] = v; bi[t] = i; }
    }
    workgroupBarrier();
  }
  if (t == 0u) { next[0] = bi[0]; }
}`;

/** The index of the largest value (the lowest among equals), -1 if none is above -3.4e38: ARGMAX's choice. @param {Float32Array} v */
function argmax(v) {
  let best = -3.4e38;
  let at = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] > best) {
      best = v[i];
      at = i;
    }
  }
  return at;
}

/** Rows of a call the activation buffers hold; longer prompts go in several. */
const MAX_ROWS = 256;
/** Greedy decode steps kept queued on the GPU ahead of the caller. */
const RUN_AHEAD = 2;
/** Rows up to which the products take the decode kernel. */
const FEW_ROWS = 4;

/**
 * @typedef {{ layers: number, hidden: number, heads: number, kv_heads: number, head_dim: number, inner: number,
 *   vocab: number, eps: number, max_positions: number, inv_freq: number[] }} Dims
 */

/** @param {Dims} dims */
export async function createGpuDecoder(dims) {
  const { adapter, device } = await gpuDevice();
  return new GpuDecoder(device, adapter, dims);
}

export class GpuDecoder extends GpuRunner {
  /** @param {any} device @param {any} adapter @param {Dims} dims */
  constructor(device, adapter, dims) {
    if (256 % dims.head_dim !== 0 || dims.hidden % 4 || dims.inner % 4 || dims.vocab % 4) {
      throw new Error(`the GPU decoder needs head_dim dividing 256 and widths in fours (${JSON.stringify(dims)})`);
    }
    super(device, adapter, {
      embed: EMBED, few: LINEAR_FEW, many: LINEAR_MANY, rope: ROPE, attention: ATTENTION, split: ATTENTION_SPLIT,
      join: ATTENTION_JOIN, argmax: ARGMAX,
    });
    this.dims = dims;
    const { hidden, heads, kv_heads: kv, head_dim: hd, inner, vocab } = dims;
    const f32s = (/** @type {number} */ n) => this.buffer(n * 4, S().STORAGE | S().COPY_SRC | S().COPY_DST);
    this.ids = this.buffer(MAX_ROWS * 4, S().STORAGE | S().COPY_DST);
    this.dyn = this.buffer(16, S().UNIFORM | S().COPY_DST);
    this.x = f32s(MAX_ROWS * hidden);
    this.qkv = f32s(MAX_ROWS * (heads + 2 * kv) * hd);
    this.q = f32s(MAX_ROWS * heads * hd);
    this.att = f32s(MAX_ROWS * heads * hd);
    this.gu = f32s(MAX_ROWS * 2 * inner);
    this.logits = f32s(vocab);
    // Read-back buffers: a call's logits, and those of each step run ahead (see `runAhead`).
    this.readbacks = Array.from({ length: RUN_AHEAD + 1 }, () => this.buffer(vocab * 4, S().MAP_READ | S().COPY_DST));
    /** @type {{ start: number, buffer: any, logits: Promise<Float32Array> }[]} the steps run ahead, in order */
    this.ahead = [];
    /** @type {Float32Array | null} the logits the last call returned */
    this.last = null;
    /** Calls to make without running ahead (after a miss: decoding is not greedy there). */
    this.coolDown = 0;
    this.capacity = 0;
    /** @type {any[]} */
    this.keys = [];
    /** @type {any[]} */
    this.values = [];
    /**
     * For the benchmark (summed over calls): ms from a call's start to its logits, calls, ms recording and submitting
     * the commands (CPU), ms waiting for the logits (GPU work and the read-back). The page of tests/gpu reads it as
     * `globalThis.scoutGpuDecoderStats`. Then steps run ahead that were used, and wasted.
     */
    this.stats = new Float64Array(6);
    /** Per-kernel GPU times of decode steps, where the page asked for them (`globalThis.scoutGpuProfile`). */
    this.profiler = null;
    if (device.features.has('timestamp-query')) {
      const slots = 2 * (2 + 6 * dims.layers);
      this.profiler = {
        set: device.createQuerySet({ type: 'timestamp', count: slots }),
        resolve: this.buffer(slots * 8, S().QUERY_RESOLVE | S().COPY_SRC),
        read: this.buffer(slots * 8, S().MAP_READ | S().COPY_DST),
      };
    }
    /** @type {any} */ (globalThis).scoutGpuDecoderStats = this.stats;
  }

  /** After the uploads: the decoder's cache and kernels made, or why the GPU could not hold or run them. */
  async ready() {
    this.reserve(1);
    await this.checkErrors();
  }

  /** Room in the cache for `len` positions (doubling; the cached ones copied) and the bind groups that read it. @param {number} len */
  reserve(len) {
    if (len <= this.capacity) return;
    const { layers, kv_heads: kv, head_dim: hd, max_positions: maxPos } = this.dims;
    let cap = Math.max(this.capacity, 512);
    while (cap < len) cap *= 2;
    cap = Math.min(cap, Math.max(maxPos, len));
    const enc = this.device.createCommandEncoder();
    const grow = (/** @type {any[]} */ old) => Array.from({ length: layers }, (_, l) => {
      const b = this.buffer(kv * cap * hd * 4, S().STORAGE | S().COPY_SRC | S().COPY_DST);
      if (old[l]) {
        for (let h = 0; h < kv; h++) enc.copyBufferToBuffer(old[l], h * this.capacity * hd * 4, b, h * cap * hd * 4, this.capacity * hd * 4);
      }
      return b;
    });
    const keys = grow(this.keys);
    const values = grow(this.values);
    this.device.queue.submit([enc.finish()]);
    for (const b of [...this.keys, ...this.values]) b.destroy();
    this.keys = keys;
    this.values = values;
    // RoPE's cos and sin per position and pair, computed in double precision.
    const half = hd / 2;
    const cs = new Float32Array(cap * half * 2);
    for (let pos = 0; pos < cap; pos++) {
      for (let i = 0; i < half; i++) {
        const a = pos * this.dims.inv_freq[i];
        cs[(pos * half + i) * 2] = Math.cos(a);
        cs[(pos * half + i) * 2 + 1] = Math.sin(a);
      }
    }
    this.cs?.destroy();
    this.cs = this.buffer(cs.byteLength, S().STORAGE | S().COPY_DST);
    this.device.queue.writeBuffer(this.cs, 0, cs);
    this.capacity = cap;
    // Decode attention's chunks: per row, head and 64 positions, a maximum, a sum and head_dim values.
    this.part?.destroy();
    this.part = this.buffer(FEW_ROWS * this.dims.heads * Math.ceil(cap / 64) * (hd + 2) * 4, S().STORAGE);
    this.plan = this.record();
  }

  /** Every kernel's bind group, in the order of a forward call. */
  record() {
    const { layers, hidden, heads, kv_heads: kv, head_dim: hd, inner, vocab, eps } = this.dims;
    const w = (/** @type {string} */ n) => this.weight(n);
    const none = this.buffer(16, S().STORAGE);
    /**
     * A product `x [rows, k]` → `y [rows, n]`; `opts`: add (to y), norm (the norm weights' name: the input
     * RMS-normalized), glu (x is gate|up, 2k wide: SiLU(gate) × up), last (the last row only).
     * @param {any} x @param {string} name @param {number} k @param {number} n @param {any} y
     * @param {{ add?: boolean, norm?: string, glu?: boolean, last?: boolean }} opts
     */
    const linear = (x, name, k, n, y, opts) => {
      const last = opts.last ? 1 : 0;
      const flags = [k, n / 4, opts.add ? 1 : 0, last, opts.norm ? 1 : 0, opts.glu ? ACT.glu : ACT.none, last, eps];
      const args = [this.params(flags, [7]), this.dyn, x, w(`${name}.w`), w(`${name}.scales`), w(`${name}.bias`), y, opts.norm ? w(opts.norm) : none];
      return { kind: 'linear', name: name.replace(/^\d+\./, ''), n, rows: last, last: !!last, few: this.group('few', args), many: this.group('many', args) };
    };
    /** @type {any[]} */
    const plan = [];
    plan.push({ kind: 'rows-flat', name: 'embed', per: hidden, ...this.group('embed', [this.params([hidden, vocab / 4, 0, 0]), this.dyn, this.ids, w('lookup.w'), w('lookup.scales'), this.x]) });
    const qkvN = (heads + 2 * kv) * hd;
    const chunks = Math.ceil(this.capacity / 64);
    for (let l = 0; l < layers; l++) {
      plan.push(linear(this.x, `${l}.qkv`, hidden, qkvN, this.qkv, { norm: `${l}.attn_norm` }));
      plan.push({ kind: 'rows-flat', name: 'rope', per: (heads + 2 * kv) * hd / 2, ...this.group('rope', [this.params([heads, kv, hd, this.capacity]), this.dyn, this.qkv, this.cs, this.q, this.keys[l], this.values[l]]) });
      plan.push({
        kind: 'attention',
        name: 'attention',
        whole: this.group('attention', [this.params([heads, heads / kv, hd, this.capacity, 1 / Math.sqrt(hd), 0, 0, 0], [4]), this.dyn, this.q, this.keys[l], this.values[l], this.att]),
        split: this.group('split', [this.params([heads, heads / kv, hd, this.capacity, 1 / Math.sqrt(hd), chunks, 0, 0], [4]), this.dyn, this.q, this.keys[l], this.values[l], this.part]),
        join: this.group('join', [this.params([heads, hd, chunks, 0]), this.dyn, this.part, this.att]),
      });
      plan.push(linear(this.att, `${l}.o`, heads * hd, hidden, this.x, { add: true }));
      plan.push(linear(this.x, `${l}.gate_up`, hidden, 2 * inner, this.gu, { norm: `${l}.mlp_norm` }));
      plan.push(linear(this.gu, `${l}.down`, inner, hidden, this.x, { add: true, glu: true }));
    }
    plan.push(linear(this.x, 'head', hidden, vocab, this.logits, { norm: 'final_norm', last: true }));
    this.pick = this.group('argmax', [this.params([vocab, 0, 0, 0]), this.logits, this.ids]);
    return plan;
  }

  /**
   * Run `ids` at positions `start..` (appending to the cache); resolves to the last position's logits.
   * @param {Uint32Array} ids @param {number} start
   */
  async forward(ids, start) {
    this.alive();
    const t0 = performance.now();
    const ahead = this.ahead.shift();
    if (ahead) {
      // The token the GPU fed into this step: the greedy choice from the logits the caller last had.
      const fed = this.last ? argmax(this.last) : -1;
      const logits = await ahead.logits;
      if (ids.length === 1 && start === ahead.start && ids[0] === fed) {
        this.stats[4] += 1;
        this.last = logits;
        this.runAhead(start + 1);
        this.count(t0, t0);
        return logits;
      }
      // Not greedy here: the steps run ahead are waited out (their buffers, and their cache writes come before ours).
      this.stats[5] += 1 + this.ahead.length;
      for (const later of this.ahead.splice(0)) await later.logits;
      this.coolDown = 8;
    }
    this.reserve(start + ids.length);
    const queue = this.device.queue;
    const buffer = this.readbacks[0];
    for (let at = 0; at < ids.length; at += MAX_ROWS) {
      const part = ids.subarray(at, at + MAX_ROWS);
      const m = part.length;
      queue.writeBuffer(this.ids, 0, part);
      queue.writeBuffer(this.dyn, 0, new Uint32Array([m, start + at, 0, 0]));
      const enc = this.device.createCommandEncoder();
      const last = at + MAX_ROWS >= ids.length;
      this.encode(enc, m, start + at, last);
      if (last) enc.copyBufferToBuffer(this.logits, 0, buffer, 0, this.dims.vocab * 4);
      queue.submit([enc.finish()]);
    }
    const t1 = performance.now();
    const logits = await this.read(buffer);
    if (this.profiler && ids.length <= FEW_ROWS) await this.readProfile();
    this.last = logits;
    this.runAhead(start + ids.length);
    this.count(t0, t1);
    return logits;
  }

  /** The benchmark's counters for a call from `t0` whose commands were submitted by `t1`. @param {number} t0 @param {number} t1 */
  count(t0, t1) {
    const now = performance.now();
    this.stats[0] += now - t0;
    this.stats[1] += 1;
    this.stats[2] += t1 - t0;
    this.stats[3] += now - t1;
    this.alive();
  }

  /** A copy of a read-back buffer's logits. @param {any} buffer */
  async read(buffer) {
    await buffer.mapAsync(/** @type {any} */ (globalThis).GPUMapMode.READ);
    const logits = new Float32Array(buffer.getMappedRange().slice(0));
    buffer.unmap();
    return logits;
  }

  /**
   * Keep RUN_AHEAD greedy decode steps queued on the GPU after the one at `position - 1`: each takes its token on the
   * GPU (ARGMAX over the logits the step before left there) and copies its logits to a read-back buffer of its own,
   * so the GPU never waits for a read-back, the caller's sampling or its next call. A step is used when the caller
   * then asks for that token at that position (greedy decoding); otherwise `forward` waits the queue out and runs
   * the caller's step after it (rewriting the same cache slots). @param {number} position
   */
  runAhead(position) {
    if (this.profiler) return;
    if (this.coolDown > 0) {
      this.coolDown -= 1;
      return;
    }
    let next = this.ahead.length ? this.ahead[this.ahead.length - 1].start + 1 : position;
    while (this.ahead.length < RUN_AHEAD) {
      const buffer = this.readbacks.find((b) => b !== this.readbacks[0] && !this.ahead.some((a) => a.buffer === b));
      this.reserve(next + 1);
      this.device.queue.writeBuffer(this.dyn, 0, new Uint32Array([1, next, 0, 0]));
      const enc = this.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(this.pick.pipe);
      pass.setBindGroup(0, this.pick.group);
      pass.dispatchWorkgroups(1);
      pass.end();
      this.encode(enc, 1, next, true);
      enc.copyBufferToBuffer(this.logits, 0, buffer, 0, this.dims.vocab * 4);
      this.device.queue.submit([enc.finish()]);
      this.ahead.push({ start: next, buffer, logits: this.read(buffer) });
      next += 1;
    }
  }

  /**
   * Record a call's kernels for `m` rows from `first` (with the head when `last`); in profiling, decode steps get a
   * pass per step, timed on the GPU. @param {any} enc @param {number} m @param {number} first @param {boolean} last
   */
  encode(enc, m, first, last) {
    const steps = /** @type {any[]} */ (this.plan).filter((step) => last || !step.last);
    const timed = this.profiler && m <= FEW_ROWS;
    let pass = timed ? null : enc.beginComputePass();
    steps.forEach((step, i) => {
      if (timed) pass = enc.beginComputePass({ timestampWrites: { querySet: this.profiler.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      this.dispatch(pass, step, m, first);
      if (timed) pass.end();
    });
    if (!timed) pass.end();
    if (timed) {
      enc.resolveQuerySet(this.profiler.set, 0, 2 * steps.length, this.profiler.resolve, 0);
      enc.copyBufferToBuffer(this.profiler.resolve, 0, this.profiler.read, 0, 16 * steps.length);
    }
  }

  /** Record `step`'s kernels for `m` rows from position `first`. @param {any} pass @param {any} step @param {number} m @param {number} first */
  dispatch(pass, step, m, first) {
    const heads = this.dims.heads;
    if (step.kind === 'linear') {
      const rows = step.rows || m;
      const few = rows <= FEW_ROWS;
      pass.setPipeline((few ? step.few : step.many).pipe);
      pass.setBindGroup(0, (few ? step.few : step.many).group);
      if (few) pass.dispatchWorkgroups(Math.ceil(step.n / 16));
      else pass.dispatchWorkgroups(Math.ceil(step.n / 64), Math.ceil(rows / 64));
    } else if (step.kind === 'attention' && m <= FEW_ROWS) {
      pass.setPipeline(step.split.pipe);
      pass.setBindGroup(0, step.split.group);
      pass.dispatchWorkgroups(heads, Math.ceil((first + m) / 64), m);
      pass.setPipeline(step.join.pipe);
      pass.setBindGroup(0, step.join.group);
      pass.dispatchWorkgroups(heads, m);
    } else if (step.kind === 'attention') {
      pass.setPipeline(step.whole.pipe);
      pass.setBindGroup(0, step.whole.group);
      pass.dispatchWorkgroups(heads, m);
    } else {
      pass.setPipeline(step.pipe);
      pass.setBindGroup(0, step.group);
      pass.dispatchWorkgroups(Math.ceil(m * step.per / WG));
    }
  }

  /** The last decode step's GPU time per kernel kind, added to `globalThis.scoutGpuProfile` ({name: [ms, steps]}). */
  async readProfile() {
    await this.profiler.read.mapAsync(/** @type {any} */ (globalThis).GPUMapMode.READ);
    const ns = new BigInt64Array(this.profiler.read.getMappedRange().slice(0));
    this.profiler.read.unmap();
    const into = /** @type {any} */ (globalThis).scoutGpuProfile;
    /** @type {any[]} */ (this.plan).forEach((step, i) => {
      const ms = Number(ns[2 * i + 1] - ns[2 * i]) / 1e6;
      const slot = (into[step.name] ||= [0, 0]);
      slot[0] += ms;
      slot[1] += 1;
    });
  }
}
