// @ts-check
/**
 * What Scout's WebGPU runners share (the decoder, `gpu_decoder.js`, and the encoder, `gpu_encoder.js`): the device
 * request, the runner's buffers, uploads and bind groups, and the int8 matrix product for many rows.
 *
 * Weights are int8 matrices `[k, n]` by rows (four columns to a u32, lowest byte first) with a scale and a bias per
 * column, as Rust lays them out (`scout_bert::plain::PlainLinear`); activations are f32.
 */

export const WG = 256;

/** Four signed bytes of a u32 as floats (lowest byte first). */
export const UNPACK = /* wgsl */ `
fn unpack(w: u32) -> vec4f {
  return vec4f(bitcast<vec4i>(vec4u(w << 24u, w << 16u, w << 8u, w)) >> vec4u(24u));
}`;

/** Per call: rows in this call and the position of the first. */
export const DYN = /* wgsl */ `struct Dyn { m: u32, start: u32, p0: u32, p1: u32 }`;

/**
 * erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26, as `scout_bert::math::erf`) and the exact GELU, x·Φ(x), that
 * BERT models were trained with.
 */
export const GELU = /* wgsl */ `
fn gelu(x: f32) -> f32 {
  let z = x * 0.70710678;
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.2548296 + t * (-0.28449674 + t * (1.4214138 + t * (-1.4531521 + t * 1.0614054))));
  let e = 1.0 - poly * exp(-a * a);
  return 0.5 * x * (1.0 + select(e, -e, z < 0.0));
}`;

/** Input activations of the products (`act` in LINEAR_IO). */
export const ACT = { none: 0, glu: 1, gelu: 2 };

/**
 * Both products' inputs and epilogue. The input row is read as it is, or RMS-normalized (`norm`: times the norm's
 * weights here, times the row's inverse RMS in the epilogue), or through an activation (`act`: SiLU(gate) × up of a
 * gate|up row, or GELU), so no norm or activation needs a dispatch of its own; `last` reads only the last row (the
 * head). The output is scaled and biased per column, written or added (`add`: the residual stream).
 */
export const LINEAR_IO = /* wgsl */ `${DYN}${UNPACK}${GELU}
struct P { k: u32, nq: u32, add: u32, rows: u32, norm: u32, act: u32, last: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> d: Dyn;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<u32>;
@group(0) @binding(4) var<storage, read> scale: array<vec4f>;
@group(0) @binding(5) var<storage, read> bias: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(7) var<storage, read> nw: array<f32>;
fn rows() -> u32 { return select(d.m, p.rows, p.rows > 0u); }
fn source(r: u32) -> u32 { return select(r, d.m - 1u, p.last == 1u); }
fn raw(r: u32, k: u32) -> f32 { return x[source(r) * p.k + k]; }
fn xin(r: u32, k: u32) -> f32 {
  if (p.act == ${ACT.glu}u) {
    let b = source(r) * 2u * p.k;
    let g = x[b + k];
    return g / (1.0 + exp(-g)) * x[b + p.k + k];
  }
  let v = raw(r, k);
  if (p.act == ${ACT.gelu}u) { return gelu(v); }
  return select(v, v * nw[k], p.norm == 1u);
}
fn inv_rms(sum_sq: f32) -> f32 { return 1.0 / sqrt(sum_sq / f32(p.k) + p.eps); }
fn store(row: u32, q: u32, acc: vec4f) {
  let v = acc * scale[q] + bias[q];
  let i = row * p.nq + q;
  if (p.add == 1u) { y[i] += v; } else { y[i] = v; }
}`;

/** Many rows (prompts, sentences): tiles of 64 rows × 64 columns, 16 of the inner dimension at a time. */
export const LINEAR_MANY = /* wgsl */ `${LINEAR_IO}
var<workgroup> xs: array<f32, 1024>;
var<workgroup> ws: array<u32, 256>;
var<workgroup> sq: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let q0 = wg.x * 16u;
  let r0 = wg.y * 64u;
  let tq = t % 16u;
  let tr = (t / 16u) * 4u;
  let m = rows();
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    for (var i = 0u; i < 4u; i++) {
      let e = t + i * ${WG}u;
      let row = r0 + e / 16u;
      let k = k0 + e % 16u;
      var v = 0.0;
      if (row < m && k < p.k) { v = xin(row, k); }
      xs[e] = v;
    }
    let k = k0 + t / 16u;
    var wv = 0u;
    if (k < p.k && q0 + tq < p.nq) { wv = w[k * p.nq + q0 + tq]; }
    ws[t] = wv;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let wf = unpack(ws[kk * 16u + tq]);
      for (var i = 0u; i < 4u; i++) { acc[i] += xs[(tr + i) * 16u + kk] * wf; }
    }
    workgroupBarrier();
  }
  if (p.norm == 1u) {
    // Each row's sum of squares: 4 threads a row.
    var s = 0.0;
    if (r0 + t / 4u < m) {
      for (var k = t % 4u; k < p.k; k += 4u) { let v = raw(r0 + t / 4u, k); s += v * v; }
    }
    sq[t] = s;
    workgroupBarrier();
    for (var i = 0u; i < 4u; i++) {
      let b = (tr + i) * 4u;
      acc[i] *= inv_rms(sq[b] + sq[b + 1u] + sq[b + 2u] + sq[b + 3u]);
    }
  }
  let q = q0 + tq;
  if (q < p.nq) {
    for (var i = 0u; i < 4u; i++) {
      if (r0 + tr + i < m) { store(r0 + tr + i, q, acc[i]); }
    }
  }
}`;

/** GPUBufferUsage (a global of WebGPU browsers). */
export const S = () => /** @type {any} */ (globalThis).GPUBufferUsage;

/** A WebGPU device with the adapter's largest buffers, or an error saying why there is none. */
export async function gpuDevice() {
  const gpu = /** @type {any} */ (navigator).gpu;
  if (!gpu) throw new Error('this browser has no WebGPU');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  const limits = adapter.limits;
  const profile = /** @type {any} */ (globalThis).scoutGpuProfile && adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    requiredFeatures: profile ? ['timestamp-query'] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    },
  });
  return { adapter, device };
}

/**
 * A runner's device, its weights (uploaded by name) and its kernels: buffers the GPU cannot hold or shaders it
 * refuses are reported by `checkErrors` after the uploads (WebGPU reports them later, not where they happen).
 */
export class GpuRunner {
  /** @param {any} device @param {any} adapter @param {Record<string, string>} shaders kernels' WGSL by name */
  constructor(device, adapter, shaders) {
    this.device = device;
    this.adapter = adapter;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    /** @type {Map<string, any>} */
    this.weights = new Map();
    /** @type {string | null} */
    this.lost = null;
    device.lost.then((/** @type {any} */ info) => { this.lost = info.message || 'device lost'; });
    /** @type {Record<string, any>} */
    this.pipes = {};
    for (const [name, code] of Object.entries(shaders)) {
      this.pipes[name] = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
    }
  }

  /** @param {number} size @param {number} usage */
  buffer(size, usage) {
    return this.device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage });
  }

  /** A weight from bytes, copied to the GPU. @param {string} name @param {Uint8Array} bytes */
  upload(name, bytes) {
    const padded = Math.ceil(bytes.byteLength / 4) * 4;
    const b = this.buffer(padded, S().STORAGE | S().COPY_DST);
    if (padded === bytes.byteLength) {
      this.device.queue.writeBuffer(b, 0, bytes);
    } else {
      const copy = new Uint8Array(padded);
      copy.set(bytes);
      this.device.queue.writeBuffer(b, 0, copy);
    }
    this.weights.get(name)?.destroy();
    this.weights.set(name, b);
  }

  /** An uploaded weight. @param {string} name */
  weight(name) {
    const b = this.weights.get(name);
    if (!b) throw new Error(`GPU runner: weight ${name} was not uploaded`);
    return b;
  }

  /** Throws what the GPU refused since the runner was made (buffers it could not hold, kernels it rejected). */
  async checkErrors() {
    const problems = [await this.device.popErrorScope(), await this.device.popErrorScope()].filter(Boolean);
    if (problems.length) throw new Error(problems.map((e) => e.message).join('; '));
  }

  /** The uniform buffer of a kernel's fixed parameters. @param {number[]} u32s @param {number[]} [f32At] */
  params(u32s, f32At = []) {
    const words = new Uint32Array(Math.max(4, Math.ceil(u32s.length / 4) * 4));
    words.set(u32s);
    const f = new Float32Array(words.buffer);
    for (const i of f32At) f[i] = u32s[i];
    const b = this.buffer(words.byteLength, S().UNIFORM | S().COPY_DST);
    this.device.queue.writeBuffer(b, 0, words);
    return b;
  }

  /** @param {string} pipe @param {any[]} buffers */
  group(pipe, buffers) {
    const p = this.pipes[pipe];
    return { pipe: p, group: this.device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }) };
  }

  /** Throws if the device was lost. */
  alive() {
    if (this.lost) throw new Error(`the GPU device was lost: ${this.lost}`);
  }

  /** The adapter's vendor and architecture, for the reply's label. */
  describe() {
    const info = this.adapter.info || {};
    return `${info.vendor || 'gpu'} ${info.architecture || ''}`.trim();
  }

  destroy() {
    for (const b of this.weights.values()) b.destroy();
    this.weights.clear();
    this.device.destroy();
  }
}
