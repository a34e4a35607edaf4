//! Int8 linear layers: activations quantized per row to 7 bits, weights symmetric int8 with a scale per output
//! column, integer products summed exactly in i32, then scaled back to float.
//!
//! Why 7 bits: WebAssembly's relaxed SIMD dot product (`i32x4.relaxed_dot_i8x16_i7x16_add_s`) multiplies 16 signed
//! bytes by 16 bytes of 0..=127 and adds them in fours into i32 lanes, one instruction on a CPU with VNNI. Within
//! that range its result is exact and the same on every CPU, so the browser's SIMD path and the portable path used
//! natively give identical integers. Per-row scales keep 7 bits closer to the float result than ONNX Runtime's
//! 8 bits with one scale for the whole tensor.

use crate::math::quantize_step;

/// Output columns per packed block: two 4-lane vectors.
pub const COLS: usize = 8;

/// Int8 columns packed for the kernels: in blocks of [`COLS`] columns, for each group of 4 rows of `W`, the block's
/// columns' 4 bytes (`k` a multiple of 4, `n` of 8, `data` `k · n` bytes).
#[derive(Clone, Copy)]
pub struct Packed<'a> {
    pub k: usize,
    pub n: usize,
    pub data: &'a [i8],
}

/// Write column `c` of a block (`k · COLS` bytes) of [`Packed`] columns.
pub fn pack_column(column: &[i8], c: usize, block: &mut [i8]) {
    for (g, four) in column.chunks_exact(4).enumerate() {
        block[g * 4 * COLS + c * 4..g * 4 * COLS + c * 4 + 4].copy_from_slice(four);
    }
}

/// `acc[r][j] = Σ_k a[r][k] · W[k][j]` exactly, for rows of 7-bit values (`quantize_rows`) and packed columns:
/// the products of [`QuantLinear`] for callers that keep their own columns (the decoder's key cache).
pub fn products(a: &[u8], rows: usize, w: Packed<'_>, acc: &mut [i32]) {
    assert!(
        a.len() >= rows * w.k && acc.len() >= rows * w.n && w.data.len() >= w.k * w.n,
        "products: inputs shorter than their shapes"
    );
    assert!(w.k.is_multiple_of(4) && w.n.is_multiple_of(COLS));
    int_products(a, rows, w, acc);
}

/// A linear layer as stored: `W` as `[k, n]` int8, a scale per column, a bias per column.
pub struct LinearParts {
    pub w: Vec<i8>,
    pub scales: Vec<f32>,
    pub bias: Vec<f32>,
}

/// A linear layer `y = x·W + b` with `W` as `[k, n]` int8 and a float scale per column of `W`.
pub struct QuantLinear {
    pub k: usize,
    pub n: usize,
    /// `W` in blocks of 8 columns: for each block, for each group of 4 rows of `W`, the 8 columns' 4 bytes.
    packed: Vec<i8>,
    /// Σ_k W[k][j] per column: removes the activations' zero point from the integer sums.
    col_sums: Vec<i32>,
    scales: Vec<f32>,
    bias: Vec<f32>,
}

impl QuantLinear {
    /// `w` is `[k, n]` row-major; `k` a multiple of 4 and `n` of 8.
    pub fn new(w: &[i8], k: usize, n: usize, scales: Vec<f32>, bias: Vec<f32>) -> Option<Self> {
        if !k.is_multiple_of(4) || !n.is_multiple_of(COLS) || w.len() != k * n || scales.len() != n || bias.len() != n {
            return None;
        }
        let mut packed = Vec::with_capacity(k * n);
        for block in 0..n / COLS {
            for k4 in 0..k / 4 {
                for c in 0..COLS {
                    for kk in 0..4 {
                        packed.push(w[(k4 * 4 + kk) * n + block * COLS + c]);
                    }
                }
            }
        }
        let mut col_sums = vec![0i32; n];
        for row in w.chunks_exact(n) {
            for (s, &v) in col_sums.iter_mut().zip(row) {
                *s += i32::from(v);
            }
        }
        Some(QuantLinear {
            k,
            n,
            packed,
            col_sums,
            scales,
            bias,
        })
    }

    /// The same from `W` stored by columns (`[n, k]`, each column's `k` values together: a tied embedding table is
    /// its language model head by columns), packed without transposing it first.
    pub fn from_columns(wt: &[i8], k: usize, n: usize, scales: Vec<f32>, bias: Vec<f32>) -> Option<Self> {
        if !k.is_multiple_of(4) || !n.is_multiple_of(COLS) || wt.len() != k * n || scales.len() != n || bias.len() != n
        {
            return None;
        }
        let mut packed = Vec::with_capacity(k * n);
        for cols in wt.chunks_exact(COLS * k) {
            for k4 in (0..k).step_by(4) {
                for c in 0..COLS {
                    packed.extend_from_slice(&cols[c * k + k4..c * k + k4 + 4]);
                }
            }
        }
        let col_sums = wt
            .chunks_exact(k)
            .map(|col| col.iter().map(|&v| i32::from(v)).sum())
            .collect();
        Some(QuantLinear {
            k,
            n,
            packed,
            col_sums,
            scales,
            bias,
        })
    }

    /// Column `j` of `W` times its scale (a tied language model head's column is a token's embedding).
    pub fn column(&self, j: usize, out: &mut [f32]) {
        let (block, c) = (j / COLS, j % COLS);
        let base = &self.packed[block * self.k * COLS..(block + 1) * self.k * COLS];
        let s = self.scales[j];
        for (g, four) in out.chunks_exact_mut(4).enumerate() {
            let at = g * 4 * COLS + c * 4;
            for (o, &v) in four.iter_mut().zip(&base[at..at + 4]) {
                *o = f32::from(v) * s;
            }
        }
    }

    /// Join layers that read the same input (Q, K and V) into one with their columns side by side.
    pub fn concat(parts: &[LinearParts], k: usize) -> Option<Self> {
        let m = crate::plain::PlainLinear::side_by_side(parts, k)?;
        QuantLinear::new(&m.w, k, m.n, m.scales, m.bias)
    }

    /// `x` is `[rows, k]`; returns `[rows, n]`.
    pub fn forward(&self, x: &[f32], scratch: &mut Scratch) -> Vec<f32> {
        let mut y = vec![0f32; x.len() / self.k * self.n];
        // A block of rows at a time: the activations stay in cache while every column block passes over them, and
        // the browser compiles the kernel optimized after its first calls (see `attend_head` in lib.rs).
        for (xb, yb) in x.chunks(ROW_BLOCK * self.k).zip(y.chunks_mut(ROW_BLOCK * self.n)) {
            let rows = xb.len() / self.k;
            quantize_rows(
                xb,
                self.k,
                &mut scratch.q,
                &mut scratch.row_scale,
                &mut scratch.row_zero,
            );
            scratch.acc.clear();
            scratch.acc.resize(rows * self.n, 0);
            let w = Packed {
                k: self.k,
                n: self.n,
                data: &self.packed,
            };
            int_products(&scratch.q, rows, w, &mut scratch.acc);
            self.dequantize(scratch, yb);
        }
        y
    }

    /// `y = (Σ - zero·colsum) · row scale · column scale + bias`.
    #[inline(never)]
    fn dequantize(&self, scratch: &Scratch, y: &mut [f32]) {
        for (r, (acc, out)) in scratch
            .acc
            .chunks_exact(self.n)
            .zip(y.chunks_exact_mut(self.n))
            .enumerate()
        {
            let (s, z) = (scratch.row_scale[r], scratch.row_zero[r]);
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: acc, out, col_sums, scales and bias all hold n values, n a multiple of 8; unaligned loads and
            // stores are allowed. The same operations, in the same order, as the portable loop below.
            unsafe {
                use core::arch::wasm32::*;
                let (zv, sv) = (i32x4_splat(z), f32x4_splat(s));
                for j in (0..self.n).step_by(4) {
                    let a = v128_load(acc.as_ptr().add(j) as *const v128);
                    let c = v128_load(self.col_sums.as_ptr().add(j) as *const v128);
                    let exact = f32x4_convert_i32x4(i32x4_sub(a, i32x4_mul(zv, c)));
                    let scale = f32x4_mul(sv, v128_load(self.scales.as_ptr().add(j) as *const v128));
                    let bias = v128_load(self.bias.as_ptr().add(j) as *const v128);
                    v128_store(
                        out.as_mut_ptr().add(j) as *mut v128,
                        f32x4_add(f32x4_mul(exact, scale), bias),
                    );
                }
            }
            #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
            for j in 0..self.n {
                let exact = acc[j] - z * self.col_sums[j];
                out[j] = exact as f32 * (s * self.scales[j]) + self.bias[j];
            }
        }
    }
}

/// Rows of activations per call of the integer kernel.
const ROW_BLOCK: usize = 64;

/// Buffers reused between layers.
#[derive(Default)]
pub struct Scratch {
    q: Vec<u8>,
    row_scale: Vec<f32>,
    row_zero: Vec<i32>,
    acc: Vec<i32>,
}

/// Each row of `x` (rows of `k`) to 0..=127 with its own scale and zero point (0 itself is exactly representable).
#[inline(never)]
pub fn quantize_rows(x: &[f32], k: usize, q: &mut Vec<u8>, scales: &mut Vec<f32>, zeros: &mut Vec<i32>) {
    q.clear();
    scales.clear();
    zeros.clear();
    for row in x.chunks_exact(k) {
        let (lo, hi) = range_with_zero(row);
        let scale = if hi > lo { (hi - lo) / 127.0 } else { 1.0 };
        let inv = 1.0 / scale;
        let zero = quantize_step(-lo, inv, 0.0);
        let at = q.len();
        q.resize(at + k, 0);
        quantize_row(row, inv, zero, &mut q[at..]);
        scales.push(scale);
        zeros.push(zero as i32);
    }
}

/// `out[i] = quantize_step(row[i])` as bytes; sixteen at a time with WebAssembly SIMD (the same float steps, then
/// exact conversions of integers 0..=127).
#[inline(always)]
fn quantize_row(row: &[f32], inv: f32, zero: f32, out: &mut [u8]) {
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = {
        use crate::math::f4::F4;
        use core::arch::wasm32::*;
        let (inv4, zero4) = (F4(f32x4_splat(inv)), F4(f32x4_splat(zero)));
        for (src, dst) in row.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
            // SAFETY: `src` holds 16 f32 and `dst` 16 bytes; unaligned loads and stores are allowed.
            unsafe {
                let v = |i: usize| {
                    let x = F4(v128_load(src.as_ptr().add(4 * i) as *const v128));
                    i32x4_trunc_sat_f32x4(quantize_step(x, inv4, zero4).0)
                };
                let lo = i16x8_narrow_i32x4(v(0), v(1));
                let hi = i16x8_narrow_i32x4(v(2), v(3));
                v128_store(dst.as_mut_ptr() as *mut v128, u8x16_narrow_i16x8(lo, hi));
            }
        }
        row.len() / 16 * 16
    };
    for (o, &v) in out[done..].iter_mut().zip(&row[done..]) {
        *o = quantize_step(v, inv, zero) as u8;
    }
}

/// (min, max) of the row and 0, over 8 lanes (SIMD; min and max do not depend on order).
#[inline(always)]
fn range_with_zero(row: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = ([0f32; 8], [0f32; 8]);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let z = f32x4_splat(0.0);
        let (mut l0, mut l1, mut h0, mut h1) = (z, z, z, z);
        for c in row.chunks_exact(8) {
            // SAFETY: `c` holds 8 f32; unaligned loads and stores are allowed. pmin(a, b) is `b < a ? b : a` and
            // pmax(a, b) is `a < b ? b : a`: the selects of the portable loop below.
            unsafe {
                let (c0, c1) = (
                    v128_load(c.as_ptr() as *const v128),
                    v128_load(c.as_ptr().add(4) as *const v128),
                );
                l0 = f32x4_pmin(l0, c0);
                l1 = f32x4_pmin(l1, c1);
                h0 = f32x4_pmax(h0, c0);
                h1 = f32x4_pmax(h1, c1);
            }
        }
        // SAFETY: each array holds 8 f32.
        unsafe {
            v128_store(lo.as_mut_ptr() as *mut v128, l0);
            v128_store(lo.as_mut_ptr().add(4) as *mut v128, l1);
            v128_store(hi.as_mut_ptr() as *mut v128, h0);
            v128_store(hi.as_mut_ptr().add(4) as *mut v128, h1);
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    for c in row.chunks_exact(8) {
        for l in 0..8 {
            lo[l] = if c[l] < lo[l] { c[l] } else { lo[l] };
            hi[l] = if c[l] > hi[l] { c[l] } else { hi[l] };
        }
    }
    let tail = row.chunks_exact(8).remainder();
    let lo = lo.iter().chain(tail).fold(0f32, |a, &b| if b < a { b } else { a });
    let hi = hi.iter().chain(tail).fold(0f32, |a, &b| if b > a { b } else { a });
    (lo, hi)
}

/// `acc[r][j] = Σ_k a[r][k] · W[k][j]`, exactly.
#[inline(never)]
fn int_products(a: &[u8], rows: usize, w: Packed<'_>, acc: &mut [i32]) {
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    // SAFETY: the slices' lengths are checked by the constructor and `forward` (a: rows·k, acc: rows·n, packed: k·n).
    unsafe {
        relaxed::int_products(a, rows, w, acc)
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: each kernel runs only where the CPU has its instructions; lengths as above.
        if std::arch::is_x86_feature_detected!("avxvnni") {
            unsafe { x86::int_products_vnni(a, rows, w, acc) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            unsafe { x86::int_products_avx2(a, rows, w, acc) };
            return;
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "relaxed-simd")))]
    portable_int_products(a, rows, w, acc)
}

/// Natively (tests, CLI): the same exact integer products with AVX-VNNI's byte dot product where the CPU has it,
/// else AVX2's byte multiply-add (u8 × i8 pairs into i16, which cannot saturate for 7-bit activations:
/// 2·127·127 < 32767).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{COLS, Packed};

    /// One kernel per instruction set: 4 rows × 8 columns in registers, a 32-byte load of weights per group of 4 `k`.
    macro_rules! kernel {
        ($name:ident, $features:literal, |$s:ident, $x:ident, $w:ident| $step:expr) => {
            #[target_feature(enable = $features)]
            pub unsafe fn $name(a: &[u8], rows: usize, w: Packed<'_>, acc: &mut [i32]) {
                let (k, n) = (w.k, w.n);
                let dot = |$s: __m256i, $x: __m256i, $w: __m256i| $step;
                // SAFETY (all pointer reads and writes): rows·k activations, rows·n sums and k·n packed weights,
                // as checked by the caller.
                let load = |p: *const u8| unsafe { _mm256_set1_epi32((p as *const i32).read_unaligned()) };
                let ap = a.as_ptr();
                let cp = acc.as_mut_ptr();
                for block in 0..n / COLS {
                    let wb = unsafe { w.data.as_ptr().add(block * k * COLS) } as *const u8;
                    let wv = |g: usize| unsafe { _mm256_loadu_si256(wb.add(g * 32) as *const __m256i) };
                    let store = |r: usize, v: __m256i| unsafe {
                        _mm256_storeu_si256(cp.add(r * n + block * COLS) as *mut __m256i, v)
                    };
                    let mut r = 0;
                    while r + 4 <= rows {
                        let a0 = unsafe { ap.add(r * k) };
                        let (a1, a2, a3) = unsafe { (a0.add(k), a0.add(2 * k), a0.add(3 * k)) };
                        let z = _mm256_setzero_si256();
                        let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
                        for g in 0..k / 4 {
                            let wg = wv(g);
                            unsafe {
                                s0 = dot(s0, load(a0.add(g * 4)), wg);
                                s1 = dot(s1, load(a1.add(g * 4)), wg);
                                s2 = dot(s2, load(a2.add(g * 4)), wg);
                                s3 = dot(s3, load(a3.add(g * 4)), wg);
                            }
                        }
                        store(r, s0);
                        store(r + 1, s1);
                        store(r + 2, s2);
                        store(r + 3, s3);
                        r += 4;
                    }
                }
                // The last rows (fewer than 4: every decode step's one row) four column blocks at a time: four
                // independent sums, where one would wait on its own latency at every step.
                let blocks = n / COLS;
                let wb = |block: usize| unsafe { w.data.as_ptr().add(block * k * COLS) } as *const u8;
                let wv = |b: *const u8, g: usize| unsafe { _mm256_loadu_si256(b.add(g * 32) as *const __m256i) };
                let store = |r: usize, block: usize, v: __m256i| unsafe {
                    _mm256_storeu_si256(cp.add(r * n + block * COLS) as *mut __m256i, v)
                };
                for r in rows / 4 * 4..rows {
                    let a0 = unsafe { ap.add(r * k) };
                    let mut block = 0;
                    while block + 4 <= blocks {
                        let (b0, b1, b2, b3) = (wb(block), wb(block + 1), wb(block + 2), wb(block + 3));
                        let z = _mm256_setzero_si256();
                        let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
                        for g in 0..k / 4 {
                            let x = unsafe { load(a0.add(g * 4)) };
                            s0 = dot(s0, x, wv(b0, g));
                            s1 = dot(s1, x, wv(b1, g));
                            s2 = dot(s2, x, wv(b2, g));
                            s3 = dot(s3, x, wv(b3, g));
                        }
                        store(r, block, s0);
                        store(r, block + 1, s1);
                        store(r, block + 2, s2);
                        store(r, block + 3, s3);
                        block += 4;
                    }
                    for block in block..blocks {
                        let b0 = wb(block);
                        let mut s0 = _mm256_setzero_si256();
                        for g in 0..k / 4 {
                            s0 = dot(s0, unsafe { load(a0.add(g * 4)) }, wv(b0, g));
                        }
                        store(r, block, s0);
                    }
                }
            }
        };
    }

    kernel!(int_products_vnni, "avx2,avxvnni", |s, x, wv| _mm256_dpbusd_avx_epi32(
        s, x, wv
    ));
    kernel!(int_products_avx2, "avx2", |s, x, wv| _mm256_add_epi32(
        s,
        _mm256_madd_epi16(_mm256_maddubs_epi16(x, wv), _mm256_set1_epi16(1))
    ));
}

#[cfg_attr(all(target_arch = "wasm32", target_feature = "relaxed-simd"), allow(dead_code))]
fn portable_int_products(a: &[u8], rows: usize, w: Packed<'_>, acc: &mut [i32]) {
    let (k, n) = (w.k, w.n);
    for (block, wb) in w.data.chunks_exact(k * COLS).enumerate() {
        for r in 0..rows {
            let ar = &a[r * k..(r + 1) * k];
            let mut sums = [0i32; COLS];
            for (a4, w4) in ar.chunks_exact(4).zip(wb.chunks_exact(4 * COLS)) {
                for (c, s) in sums.iter_mut().enumerate() {
                    for j in 0..4 {
                        *s += i32::from(a4[j]) * i32::from(w4[c * 4 + j]);
                    }
                }
            }
            acc[r * n + block * COLS..r * n + (block + 1) * COLS].copy_from_slice(&sums);
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod relaxed {
    use core::arch::wasm32::*;

    use super::{COLS, Packed};

    #[inline(always)]
    unsafe fn splat4(p: *const u8) -> v128 {
        // SAFETY: the caller keeps p..p+4 inside the activations.
        i32x4_splat(unsafe { (p as *const i32).read_unaligned() })
    }

    /// The kernel: 4 rows × 8 columns of accumulators; per group of 4 `k`, two loads of weights, four broadcasts of
    /// activations, eight dot products.
    pub unsafe fn int_products(a: &[u8], rows: usize, w: Packed<'_>, acc: &mut [i32]) {
        let (k, n) = (w.k, w.n);
        let groups = k / 4;
        let ap = a.as_ptr();
        let cp = acc.as_mut_ptr();
        for block in 0..n / COLS {
            // SAFETY (whole block): every pointer stays within a (rows·k), acc (rows·n) or packed (k·n).
            unsafe {
                let wb = w.data.as_ptr().add(block * k * COLS) as *const u8;
                let mut r = 0;
                while r + 4 <= rows {
                    let a0 = ap.add(r * k);
                    let (a1, a2, a3) = (a0.add(k), a0.add(2 * k), a0.add(3 * k));
                    let z = i32x4_splat(0);
                    let (mut c00, mut c01, mut c10, mut c11) = (z, z, z, z);
                    let (mut c20, mut c21, mut c30, mut c31) = (z, z, z, z);
                    for g in 0..groups {
                        let w0 = v128_load(wb.add(g * 32) as *const v128);
                        let w1 = v128_load(wb.add(g * 32 + 16) as *const v128);
                        let x0 = splat4(a0.add(g * 4));
                        let x1 = splat4(a1.add(g * 4));
                        let x2 = splat4(a2.add(g * 4));
                        let x3 = splat4(a3.add(g * 4));
                        c00 = i32x4_relaxed_dot_i8x16_i7x16_add(w0, x0, c00);
                        c01 = i32x4_relaxed_dot_i8x16_i7x16_add(w1, x0, c01);
                        c10 = i32x4_relaxed_dot_i8x16_i7x16_add(w0, x1, c10);
                        c11 = i32x4_relaxed_dot_i8x16_i7x16_add(w1, x1, c11);
                        c20 = i32x4_relaxed_dot_i8x16_i7x16_add(w0, x2, c20);
                        c21 = i32x4_relaxed_dot_i8x16_i7x16_add(w1, x2, c21);
                        c30 = i32x4_relaxed_dot_i8x16_i7x16_add(w0, x3, c30);
                        c31 = i32x4_relaxed_dot_i8x16_i7x16_add(w1, x3, c31);
                    }
                    for (i, (lo, hi)) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31)].into_iter().enumerate() {
                        let out = cp.add((r + i) * n + block * COLS) as *mut v128;
                        v128_store(out, lo);
                        v128_store(out.add(1), hi);
                    }
                    r += 4;
                }
            }
        }
        // The last rows (fewer than 4: every decode step's one row) two column blocks at a time: four independent
        // sums, where two would wait on their own latency at every step.
        let blocks = n / COLS;
        // SAFETY (whole loop): as above.
        unsafe {
            let wb = |block: usize| w.data.as_ptr().add(block * k * COLS) as *const u8;
            let store = |r: usize, block: usize, lo: v128, hi: v128| {
                let out = cp.add(r * n + block * COLS) as *mut v128;
                v128_store(out, lo);
                v128_store(out.add(1), hi);
            };
            for r in rows / 4 * 4..rows {
                let a0 = ap.add(r * k);
                let mut block = 0;
                while block + 2 <= blocks {
                    let (b0, b1) = (wb(block), wb(block + 1));
                    let z = i32x4_splat(0);
                    let (mut lo0, mut hi0, mut lo1, mut hi1) = (z, z, z, z);
                    for g in 0..groups {
                        let x = splat4(a0.add(g * 4));
                        lo0 = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b0.add(g * 32) as *const v128), x, lo0);
                        hi0 = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b0.add(g * 32 + 16) as *const v128), x, hi0);
                        lo1 = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b1.add(g * 32) as *const v128), x, lo1);
                        hi1 = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b1.add(g * 32 + 16) as *const v128), x, hi1);
                    }
                    store(r, block, lo0, hi0);
                    store(r, block + 1, lo1, hi1);
                    block += 2;
                }
                if block < blocks {
                    let b0 = wb(block);
                    let z = i32x4_splat(0);
                    let (mut lo, mut hi) = (z, z);
                    for g in 0..groups {
                        let x = splat4(a0.add(g * 4));
                        lo = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b0.add(g * 32) as *const v128), x, lo);
                        hi = i32x4_relaxed_dot_i8x16_i7x16_add(v128_load(b0.add(g * 32 + 16) as *const v128), x, hi);
                    }
                    store(r, block, lo, hi);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_linear_matches_float_within_quantization_error() {
        let (k, n, rows) = (16, 16, 5);
        let w: Vec<i8> = (0..k * n).map(|i| ((i * 37 + 11) % 255) as i8).collect();
        let scales: Vec<f32> = (0..n).map(|j| 0.01 + j as f32 * 1e-3).collect();
        let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.1).collect();
        let x: Vec<f32> = (0..rows * k).map(|i| ((i * 13 % 17) as f32 - 8.0) * 0.25).collect();
        let layer = QuantLinear::new(&w, k, n, scales.clone(), bias.clone()).unwrap();
        let y = layer.forward(&x, &mut Scratch::default());
        for r in 0..rows {
            for j in 0..n {
                let exact: f32 = (0..k)
                    .map(|i| x[r * k + i] * f32::from(w[i * n + j]) * scales[j])
                    .sum::<f32>()
                    + bias[j];
                let bound: f32 = (0..k).map(|i| f32::from(w[i * n + j]).abs() * scales[j]).sum::<f32>() * (4.0 / 127.0);
                assert!(
                    (y[r * n + j] - exact).abs() <= bound,
                    "row {r} col {j}: {} vs {exact}",
                    y[r * n + j]
                );
            }
        }
    }

    #[test]
    fn the_simd_products_equal_the_portable_ones() {
        let (k, n, rows) = (64, 40, 7);
        let w: Vec<i8> = (0..k * n).map(|i| (((i * 73 + 5) % 255) as i32 - 127) as i8).collect();
        let layer = QuantLinear::new(&w, k, n, vec![1.0; n], vec![0.0; n]).unwrap();
        let a: Vec<u8> = (0..rows * k).map(|i| ((i * 31 + 7) % 128) as u8).collect();
        let (mut fast, mut slow) = (vec![0; rows * n], vec![0; rows * n]);
        let packed = Packed {
            k,
            n,
            data: &layer.packed,
        };
        int_products(&a, rows, packed, &mut fast);
        portable_int_products(&a, rows, packed, &mut slow);
        assert_eq!(fast, slow);
        let direct: i32 = (0..k).map(|i| i32::from(a[k + i]) * i32::from(w[i * n + 3])).sum();
        assert_eq!(slow[n + 3], direct);
    }

    #[test]
    fn packing_by_columns_equals_packing_by_rows() {
        let (k, n) = (12, 16);
        let w: Vec<i8> = (0..k * n).map(|i| ((i * 53 + 3) % 251) as i8).collect();
        let wt: Vec<i8> = (0..n)
            .flat_map(|j| (0..k).map(move |r| (r, j)))
            .map(|(r, j)| w[r * n + j])
            .collect();
        let a = QuantLinear::new(&w, k, n, vec![1.0; n], vec![0.0; n]).unwrap();
        let b = QuantLinear::from_columns(&wt, k, n, vec![1.0; n], vec![0.0; n]).unwrap();
        assert_eq!(a.packed, b.packed);
        assert_eq!(a.col_sums, b.col_sums);
        let mut col = vec![0f32; k];
        a.column(5, &mut col);
        assert_eq!(col, (0..k).map(|r| f32::from(w[r * n + 5])).collect::<Vec<_>>());
    }

    #[test]
    fn concat_puts_columns_side_by_side() {
        let k = 4;
        let a = LinearParts {
            w: vec![1i8; k * 8],
            scales: vec![1.0; 8],
            bias: vec![0.0; 8],
        };
        let b = LinearParts {
            w: vec![2i8; k * 8],
            scales: vec![1.0; 8],
            bias: vec![1.0; 8],
        };
        let both = QuantLinear::concat(&[a, b], k).unwrap();
        let y = both.forward(&[1.0; 4], &mut Scratch::default());
        assert_eq!(y.len(), 16);
        assert!((y[0] - 4.0).abs() < 0.05 && (y[8] - 9.0).abs() < 0.1, "{y:?}");
        assert!(QuantLinear::new(&[0; 12], 3, 4, vec![1.0; 4], vec![0.0; 4]).is_none());
    }
}
