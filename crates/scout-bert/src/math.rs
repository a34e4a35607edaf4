//! The float functions of the encoder, written here rather than taken from the platform's libm: the same code then
//! gives the same bits natively (tests, CLI) and in the browser, so native evaluations measure what ships.

const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split in two so that k·ln2 is exact in the first part (Cody–Waite range reduction).
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;

/// Round to the nearest integer, ties to even, for |x| < 2^22: adding and taking away 1.5·2^23 leaves the rounding
/// to the float unit (ties to even, the IEEE default everywhere), with no libm call on baseline x86-64.
#[inline(always)]
pub fn round_small<L: Lanes>(x: L) -> L {
    (x + L::splat(12_582_912.0)) - L::splat(12_582_912.0)
}

/// Σ a·b over 8 running sums added in a fixed order: the compiler makes the lanes SIMD (the order is written out, so
/// it need not reorder anything) and the result is the same bits on every platform.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += ca[l] * cb[l];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes_total(&acc) + tail
}

/// Σ a, in the same way as [`dot`].
#[inline(always)]
pub fn sum(a: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for c in a.chunks_exact(8) {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    lanes_total(&acc) + a.chunks_exact(8).remainder().iter().sum::<f32>()
}

#[inline(always)]
fn lanes_total(acc: &[f32; 8]) -> f32 {
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// The operations the elementwise functions below need, for one value (`f32`) or four (`F4`, WebAssembly SIMD):
/// each function is written once over this trait, so both run the same IEEE operations in the same order and give
/// the same bits.
pub trait Lanes:
    Copy
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    type Mask: Copy;
    fn splat(v: f32) -> Self;
    fn lt(self, other: Self) -> Self::Mask;
    fn gt(self, other: Self) -> Self::Mask;
    /// `if mask { a } else { b }`, per lane.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
    fn abs(self) -> Self;
    fn neg(self) -> Self;
    /// 2^k for k an integer in -126..=127 held as a float.
    fn pow2(k: Self) -> Self;
}

impl Lanes for f32 {
    type Mask = bool;
    fn splat(v: f32) -> Self {
        v
    }
    fn lt(self, other: Self) -> bool {
        self < other
    }
    fn gt(self, other: Self) -> bool {
        self > other
    }
    fn select(mask: bool, a: Self, b: Self) -> Self {
        if mask { a } else { b }
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn neg(self) -> Self {
        -self
    }
    fn pow2(k: Self) -> Self {
        f32::from_bits(((k as i32 + 127) as u32) << 23)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod f4 {
    use core::arch::wasm32::*;

    /// Four f32 lanes of a WebAssembly SIMD register.
    #[derive(Clone, Copy)]
    pub struct F4(pub v128);

    macro_rules! op {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl std::ops::$trait for F4 {
                type Output = F4;
                #[inline(always)]
                fn $method(self, o: F4) -> F4 {
                    F4($intrinsic(self.0, o.0))
                }
            }
        };
    }
    op!(Add, add, f32x4_add);
    op!(Sub, sub, f32x4_sub);
    op!(Mul, mul, f32x4_mul);
    op!(Div, div, f32x4_div);

    impl super::Lanes for F4 {
        type Mask = v128;
        #[inline(always)]
        fn splat(v: f32) -> Self {
            F4(f32x4_splat(v))
        }
        #[inline(always)]
        fn lt(self, o: Self) -> v128 {
            f32x4_lt(self.0, o.0)
        }
        #[inline(always)]
        fn gt(self, o: Self) -> v128 {
            f32x4_gt(self.0, o.0)
        }
        #[inline(always)]
        fn select(mask: v128, a: Self, b: Self) -> Self {
            F4(v128_bitselect(a.0, b.0, mask))
        }
        #[inline(always)]
        fn abs(self) -> Self {
            F4(f32x4_abs(self.0))
        }
        #[inline(always)]
        fn neg(self) -> Self {
            F4(f32x4_neg(self.0))
        }
        #[inline(always)]
        fn pow2(k: Self) -> Self {
            F4(i32x4_shl(i32x4_add(i32x4_trunc_sat_f32x4(k.0), i32x4_splat(127)), 23))
        }
    }

    /// `f` over `xs` four at a time, the tail one at a time.
    #[inline(always)]
    pub fn map_in_place(xs: &mut [f32], f4: impl Fn(F4) -> F4, f1: impl Fn(f32) -> f32) {
        let mut chunks = xs.chunks_exact_mut(4);
        for c in &mut chunks {
            // SAFETY: `c` holds exactly four f32 (16 bytes); unaligned loads and stores are allowed.
            unsafe {
                let v = v128_load(c.as_ptr() as *const v128);
                v128_store(c.as_mut_ptr() as *mut v128, f4(F4(v)).0);
            }
        }
        chunks.into_remainder().iter_mut().for_each(|x| *x = f1(*x));
    }
}

/// `f` over `xs`, four lanes at a time where the build has WebAssembly SIMD.
macro_rules! map_lanes {
    ($xs:expr, $f:ident $(, $arg:expr)*) => {{
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        f4::map_in_place($xs, |v| $f(v $(, f4::F4(core::arch::wasm32::f32x4_splat($arg)))*), |v| $f(v $(, $arg)*));
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        $xs.iter_mut().for_each(|v| *v = $f(*v $(, $arg)*));
    }};
}

const C3: f32 = 1.0 / 6.0;
const C4: f32 = 1.0 / 24.0;
const C5: f32 = 1.0 / 120.0;
const C6: f32 = 1.0 / 720.0;
const C7: f32 = 1.0 / 5040.0;

/// e^x to within ~2e-7 relative: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to degree 7.
#[inline(always)]
pub fn exp<L: Lanes>(x: L) -> L {
    let underflow = x.lt(L::splat(-87.0));
    let x = L::select(
        underflow,
        L::splat(-87.0),
        L::select(x.gt(L::splat(88.0)), L::splat(88.0), x),
    );
    let k = round_small(x * L::splat(LOG2E));
    let r = x - k * L::splat(LN2_HI) - k * L::splat(LN2_LO);
    let one = L::splat(1.0);
    let p = one
        + r * (one
            + r * (L::splat(0.5)
                + r * (L::splat(C3)
                    + r * (L::splat(C4) + r * (L::splat(C5) + r * (L::splat(C6) + r * L::splat(C7)))))));
    L::select(underflow, L::splat(0.0), p * L::pow2(k))
}

/// erf(x) to within 1.5e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
pub fn erf<L: Lanes>(x: L) -> L {
    let a = x.abs();
    let one = L::splat(1.0);
    let t = one / (one + L::splat(0.327_591_1) * a);
    let poly = t
        * (L::splat(0.254_829_6)
            + t * (L::splat(-0.284_496_74)
                + t * (L::splat(1.421_413_8) + t * (L::splat(-1.453_152_1) + t * L::splat(1.061_405_4)))));
    let y = one - poly * exp((a * a).neg());
    L::select(x.lt(L::splat(0.0)), y.neg(), y)
}

/// The exact GELU the model was trained with: x·Φ(x).
#[inline(always)]
pub fn gelu<L: Lanes>(x: L) -> L {
    L::splat(0.5) * x * (L::splat(1.0) + erf(x * L::splat(std::f32::consts::FRAC_1_SQRT_2)))
}

/// `out[l] = Σ_i w_i · row_i[l]` for the first `W` columns of each row (`W` a multiple of 4, at most 32), each sum
/// taken in the order of the rows, in registers: attention's scores of 16 keys (rows: the query's dimensions) and
/// its weighted sum of a head's values (rows: the keys). SIMD where the build has it; the same bits either way.
#[inline(always)]
pub fn weighted_rows<'a, const W: usize>(rows: impl Iterator<Item = (f32, &'a [f32])>, out: &mut [f32]) {
    const { assert!(W.is_multiple_of(4) && W <= 32) };
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::*;
        let mut acc = [f32x4_splat(0.0); 8];
        for (w, row) in rows {
            let (wv, row) = (f32x4_splat(w), &row[..W]);
            for (i, a) in acc.iter_mut().take(W / 4).enumerate() {
                // SAFETY: `row` holds W ≥ 4·(i+1) f32; unaligned loads are allowed.
                let x = unsafe { v128_load(row.as_ptr().add(4 * i) as *const v128) };
                *a = f32x4_add(*a, f32x4_mul(wv, x));
            }
        }
        let out = &mut out[..W];
        for (i, a) in acc.iter().take(W / 4).enumerate() {
            // SAFETY: `out` holds W f32.
            unsafe { v128_store(out.as_mut_ptr().add(4 * i) as *mut v128, *a) };
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let mut acc = [0f32; W];
        for (w, row) in rows {
            for (a, &x) in acc.iter_mut().zip(&row[..W]) {
                *a += w * x;
            }
        }
        out[..W].copy_from_slice(&acc);
    }
}

/// `v` on the 7-bit grid of a row quantized with `1/scale` = `inv` and `zero`: round(v·inv + zero) within 0..=127.
#[inline(always)]
pub fn quantize_step<L: Lanes>(v: L, inv: L, zero: L) -> L {
    let q = round_small(v * inv + zero);
    let (lo, hi) = (L::splat(0.0), L::splat(127.0));
    L::select(q.lt(lo), lo, L::select(q.gt(hi), hi, q))
}

/// GELU over a slice, a row at a time (`row` values): see `attend_head` on why the calls are small.
pub fn gelu_in_place(xs: &mut [f32], row: usize) {
    xs.chunks_mut(row).for_each(gelu_row);
}

#[inline(never)]
fn gelu_row(xs: &mut [f32]) {
    map_lanes!(xs, gelu);
}

/// x · sigmoid(x), the SiLU of Llama's feed-forward layers.
#[inline(always)]
pub fn silu<L: Lanes>(x: L) -> L {
    x / (L::splat(1.0) + exp(x.neg()))
}

/// SiLU over a slice.
#[inline(never)]
pub fn silu_in_place(xs: &mut [f32]) {
    map_lanes!(xs, silu);
}

#[inline(always)]
fn exp_minus<L: Lanes>(x: L, m: L) -> L {
    exp(x - m)
}

/// Normalize each row of `x` (rows of `w.len()` values) to zero mean and unit variance, then scale and shift.
pub fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let n = w.len();
    let mut centered = vec![0f32; n];
    for row in x.chunks_exact_mut(n) {
        let mean = sum(row) / n as f32;
        centered.iter_mut().zip(row.iter()).for_each(|(c, v)| *c = v - mean);
        let var = dot(&centered, &centered) / n as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(w).zip(b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// Softmax in place.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    map_lanes!(x, exp_minus, max);
    let inv = 1.0 / sum(x);
    x.iter_mut().for_each(|v| *v *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_match_the_platform_within_their_bounds() {
        for i in -800..=800 {
            let x = i as f32 / 20.0;
            let (got, want) = (exp(x), x.exp());
            assert!((got - want).abs() <= 3e-7 * want, "exp({x}) = {got}, libm {want}");
        }
        // erf against its series-free identity at known points.
        for (x, want) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (2.0, 0.995_322_3),
            (-1.0, -0.842_700_8),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x}) = {}", erf(x));
        }
        assert!((gelu(1.0f32) - 0.841_344_7).abs() < 1e-6);
        assert_eq!(exp(-100.0f32), 0.0);
        for x in [-130.5f32, -2.5, -0.5, 0.5, 1.5, 2.5, 3.49, 126.5, 127.0] {
            assert_eq!(round_small(x), x.round_ties_even(), "{x}");
        }
    }

    #[test]
    fn layer_norm_and_softmax_normalize() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0];
        layer_norm(&mut x, &[1.0; 4], &[0.5; 4], 1e-12);
        assert!((x[..4].iter().sum::<f32>() - 2.0).abs() < 1e-5);
        assert_eq!(&x[4..], &[0.5; 4]);
        let mut p = vec![1.0, 2.0, 3.0];
        softmax(&mut p);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6 && p[2] > p[1] && p[1] > p[0]);
    }
}
