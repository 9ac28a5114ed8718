//! AVX-512 NTT backends: eight coefficients per vector, the algorithm of
//! `scalar.rs`. Each lane multiplier returns `a·w mod q` in `[0, K·q)`; the
//! forward transform keeps values in `[0, 2K·q)` and the inverse in
//! `[0, K·q)`, so both accept the scalar ranges (`[0, 4q)` forward, `[0, 2q)`
//! inverse) and, once fully reduced, agree with it bit for bit.
//!
//! Two lane multipliers share one kernel, stamped out per target feature by
//! [`ntt_kernels!`]:
//!
//! * **IFMA** (`ifma`, primes below `2^50`): `madd52lo/hi` multiply the low 52
//!   bits of two lanes, so Shoup's trick uses `w' = ⌊w·2^52/q⌋`:
//!   `est = ⌊a·w'/2^52⌋`, `r = (a·w − est·q) mod 2^52 ∈ [0, 2q)`, valid for
//!   `a < 2^52`, i.e. every value in `[0, 4q)` when `q < 2^50`. `K = 2`.
//! * **64-bit lanes** (`dq`, primes up to 61 bits, AVX-512F+DQ+BW):
//!   `w' = ⌊w·2^64/q⌋`; the quotient estimate takes three of the four
//!   32×32-bit partial products of `a·w'` and may be 2 short, so `K = 4`
//!   (`8q < 2^64` for `q < 2^61`); the low halves come from `vpmullq`.
//!
//! Stages are fused two at a time (radix 4) while the gap allows whole
//! vectors; the three stages with gaps 4, 2, 1 gather the `x` and `y` halves
//! of two vectors with `vpermt2q` and read per-butterfly twiddles laid out in
//! that order ([`VecTables`]), in one register pass with the final
//! reduction; `N^{-1}` is folded into the last inverse stage.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::tables::NttTables;

/// Largest prime size (bits) of the IFMA kernel: `4q < 2^52`.
pub const IFMA_MAX_BITS: u32 = 50;

/// Largest prime size (bits) of the 64-bit-lane kernel: `4q < 2^64`.
pub const DQ_MAX_BITS: u32 = crate::math::modulus::MAX_MODULUS_BITS;

/// Smallest ring degree: the inverse needs at least one fused pair of
/// stages after the small-gap pass, where `N^{-1}` is folded in.
pub const MIN_N: usize = 32;

/// Twiddles in the layout the vector kernels read, with Shoup constants
/// `⌊w·2^b/q⌋` for the kernel's width `b` (52 for IFMA, 64 otherwise).
#[derive(Clone, Debug)]
pub struct VecTables {
    /// `⌊w·2^b/q⌋` for every `psi_rev` entry.
    psi_rev_shoup: Vec<u64>,
    /// `⌊w·2^b/q⌋` for every `psi_inv_rev` entry.
    psi_inv_rev_shoup: Vec<u64>,
    /// For gaps 4, 2, 1 (index 2, 1, 0): forward twiddles and Shoup
    /// constants per butterfly, in increasing order of the butterfly's `x`.
    fwd_small: [(Vec<u64>, Vec<u64>); 3],
    /// The same for the inverse.
    inv_small: [(Vec<u64>, Vec<u64>); 3],
    /// `N^{-1}` and its Shoup constant.
    n_inv: (u64, u64),
    /// `w·N^{-1}` for the last inverse stage's single twiddle (`psi_inv_rev[1]`),
    /// with its Shoup constant: the factor `N^{-1}` is folded into that stage.
    last_w_n_inv: (u64, u64),
}

fn shoup(w: u64, q: u64, bits: u32) -> u64 {
    ((u128::from(w) << bits) / u128::from(q)) as u64
}

impl VecTables {
    /// Builds the layout from the scalar tables for a kernel whose Shoup
    /// constants have `shoup_bits` bits and whose primes have at most
    /// `max_bits` bits; `None` if the prime is too large or `N < MIN_N`.
    #[must_use]
    pub fn new(t: &NttTables, shoup_bits: u32, max_bits: u32) -> Option<Self> {
        let q = t.modulus.value();
        if t.modulus.bits() > max_bits || t.n < MIN_N {
            return None;
        }
        let shoup52 = |w: u64, q: u64| shoup(w, q, shoup_bits);
        let n = t.n;
        let small = |table: &[u64]| -> [(Vec<u64>, Vec<u64>); 3] {
            std::array::from_fn(|k| {
                let gap = 1usize << k;
                let blocks = n / (2 * gap);
                let w: Vec<u64> = (0..n)
                    .filter(|x| x % (2 * gap) < gap)
                    .map(|x| table[blocks + x / (2 * gap)])
                    .collect();
                let ws = w.iter().map(|&w| shoup52(w, q)).collect();
                (w, ws)
            })
        };
        Some(Self {
            psi_rev_shoup: t.psi_rev.iter().map(|&w| shoup52(w, q)).collect(),
            psi_inv_rev_shoup: t.psi_inv_rev.iter().map(|&w| shoup52(w, q)).collect(),
            fwd_small: small(&t.psi_rev),
            inv_small: small(&t.psi_inv_rev),
            n_inv: (t.n_inv, shoup52(t.n_inv, q)),
            last_w_n_inv: {
                let w = t.modulus.mul(t.psi_inv_rev[1], t.n_inv);
                (w, shoup52(w, q))
            },
        })
    }
}

/// Where each of 16 consecutive coefficients sits in a pair of vectors:
/// `None` is natural order (`lo` = 0..8, `hi` = 8..16); `Some(gap)` is the
/// butterfly layout of that stage (`x` = the lower element of each pair, in
/// increasing order, then `y`). Returns `position[e]` (0..16, `≥ 8` = second
/// vector).
fn layout_positions(layout: Option<usize>) -> [i64; 16] {
    let Some(gap) = layout else {
        return std::array::from_fn(|e| e as i64);
    };
    let mut pos = [0i64; 16];
    let (mut nx, mut ny) = (0, 8);
    for (e, p) in pos.iter_mut().enumerate() {
        if e % (2 * gap) < gap {
            *p = nx;
            nx += 1;
        } else {
            *p = ny;
            ny += 1;
        }
    }
    pos
}

/// `vpermt2q` indices that move 16 coefficients from layout `from` to layout
/// `to` (see [`layout_positions`]).
fn transition(from: Option<usize>, to: Option<usize>) -> ([i64; 8], [i64; 8]) {
    let src = layout_positions(from);
    let dst = layout_positions(to);
    let (mut first, mut second) = ([0i64; 8], [0i64; 8]);
    for e in 0..16 {
        let d = dst[e] as usize;
        if d < 8 {
            first[d] = src[e];
        } else {
            second[d - 8] = src[e];
        }
    }
    (first, second)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_shoup52_lazy(a: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
    let zero = _mm512_setzero_si512();
    let est = _mm512_madd52hi_epu64(zero, a, ws);
    let prod = _mm512_madd52lo_epu64(zero, a, w);
    let sub = _mm512_madd52lo_epu64(zero, est, q);
    _mm512_and_si512(
        _mm512_sub_epi64(prod, sub),
        _mm512_set1_epi64((1i64 << 52) - 1),
    )
}

/// `a·w mod q` in `[0, 4q)` for any 64-bit `a` (Shoup, 64-bit constant
/// `ws = ⌊w·2^64/q⌋`, with an estimate of the quotient that may be 2 short).
///
/// The exact quotient `⌊a·ws/2^64⌋` is `hh + ⌊(lh + hl + ⌊ll/2^32⌋)/2^32⌋`
/// for the four 32×32-bit partial products; dropping `ll` and the low halves
/// of `lh` and `hl` leaves `hh + lh/2^32 + hl/2^32`, short by at most 2 (the
/// dropped part is below `3·2^32`). The exact remainder is in `[0, 2q)`, so
/// this one is in `[0, 4q)`, and one multiplication and the carry chain are
/// saved. The shifts run as byte shuffles, on the port the multiplier
/// does not use.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
fn mul_shoup64_lazy(a: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
    let a_hi = _mm512_shuffle_epi32::<0xB1>(a);
    let ws_hi = _mm512_shuffle_epi32::<0xB1>(ws);
    let hh = _mm512_mul_epu32(a_hi, ws_hi);
    let lh = _mm512_mul_epu32(a, ws_hi);
    let hl = _mm512_mul_epu32(a_hi, ws);
    let est = _mm512_add_epi64(hh, _mm512_add_epi64(shr32(lh), shr32(hl)));
    _mm512_sub_epi64(_mm512_mullo_epi64(a, w), _mm512_mullo_epi64(est, q))
}

/// `x >> 32` in each 64-bit lane, as a byte shuffle.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn shr32(x: __m512i) -> __m512i {
    // Per 64-bit lane: bytes 4..7 to 0..3, zeros (index with the top bit
    // set) above.
    let z = -128i8;
    let idx = _mm512_set_epi8(
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4,
    );
    _mm512_shuffle_epi8(x, idx)
}

/// High 64 bits of the lane-wise 128-bit product, from four 32×32 products.
/// The high halves are brought down with a 32-bit lane swap (`vpshufd`,
/// shuffle port) rather than shifts, which share the multipliers' port.
#[inline]
#[target_feature(enable = "avx512f")]
pub(crate) fn mulhi64(a: __m512i, b: __m512i) -> __m512i {
    let lo32 = _mm512_set1_epi64(0xffff_ffff);
    let a_hi = _mm512_shuffle_epi32::<0xB1>(a);
    let b_hi = _mm512_shuffle_epi32::<0xB1>(b);
    let ll = _mm512_mul_epu32(a, b);
    let lh = _mm512_mul_epu32(a, b_hi);
    let hl = _mm512_mul_epu32(a_hi, b);
    let hh = _mm512_mul_epu32(a_hi, b_hi);
    // x >> 32 as a swap of the 32-bit halves, then keep the low half.
    let down = |x: __m512i| _mm512_and_si512(_mm512_shuffle_epi32::<0xB1>(x), lo32);
    let mid = _mm512_add_epi64(
        _mm512_add_epi64(down(ll), _mm512_and_si512(lh, lo32)),
        _mm512_and_si512(hl, lo32),
    );
    _mm512_add_epi64(
        _mm512_add_epi64(hh, down(lh)),
        _mm512_add_epi64(down(hl), down(mid)),
    )
}

/// `x.min(x − m)` lane-wise: one conditional subtraction of `m`.
#[inline]
#[target_feature(enable = "avx512f")]
fn csub(x: __m512i, m: __m512i) -> __m512i {
    _mm512_min_epu64(x, _mm512_sub_epi64(x, m))
}

/// Loads 8 lanes from `p`.
///
/// # Safety
/// `p` must be valid for reading 8 `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(p: *const u64) -> __m512i {
    // SAFETY: the caller guarantees 8 readable u64 at p; unaligned load.
    unsafe { _mm512_loadu_si512(p.cast()) }
}

/// Stores 8 lanes to `p`.
///
/// # Safety
/// `p` must be valid for writing 8 `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store(p: *mut u64, v: __m512i) {
    // SAFETY: the caller guarantees 8 writable u64 at p; unaligned store.
    unsafe { _mm512_storeu_si512(p.cast(), v) }
}

/// Lane permutations of the three small-gap stages, built once per call:
/// natural order → gap 4 → gap 2 → gap 1 → natural order (forward) and
/// natural → 1 → 2 → 4 → natural (inverse), two `vpermt2q` per step.
pub(crate) struct SmallGapIndices {
    fwd: [(__m512i, __m512i); 4],
    inv: [(__m512i, __m512i); 4],
}

impl SmallGapIndices {
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(crate) fn new() -> Self {
        let chain = |layouts: [Option<usize>; 5]| -> [(__m512i, __m512i); 4] {
            std::array::from_fn(|k| {
                let (a, b) = transition(layouts[k], layouts[k + 1]);
                // SAFETY: plain loads of local arrays of 8 i64.
                unsafe { (load(a.as_ptr().cast()), load(b.as_ptr().cast())) }
            })
        };
        Self {
            fwd: chain([None, Some(4), Some(2), Some(1), None]),
            inv: chain([None, Some(1), Some(2), Some(4), None]),
        }
    }
}

/// Moves a pair of vectors to the next layout.
#[inline]
#[target_feature(enable = "avx512f")]
fn relayout(a: __m512i, b: __m512i, idx: (__m512i, __m512i)) -> (__m512i, __m512i) {
    (
        _mm512_permutex2var_epi64(a, idx.0, b),
        _mm512_permutex2var_epi64(a, idx.1, b),
    )
}

/// Stamps out the butterflies and the forward/inverse kernels for one lane
/// multiplier under its target features.
macro_rules! ntt_kernels {
    ($module:ident, $feat:literal, $mul:ident, $k:literal) => {
        /// Forward and inverse kernels for this lane multiplier.
        pub mod $module {
            use super::*;

            /// The lane product returns values in `[0, K·q)`; butterflies keep the
            /// forward transform in `[0, 2K·q)` and the inverse in `[0, K·q)`.
            const K: u64 = $k;

            /// Reduces `x ∈ [0, m·q)`, `m` a power of two, to `[0, q)`.
            #[inline]
            #[target_feature(enable = $feat)]
            fn reduce_from(mut x: __m512i, q: u64, mut m: u64) -> __m512i {
                while m > 1 {
                    m /= 2;
                    x = csub(x, _mm512_set1_epi64((m * q) as i64));
                }
                x
            }

            /// Forward butterfly on vectors (`kq` = K·q): inputs and outputs in `[0, 2K·q)`.
            #[inline]
            #[target_feature(enable = $feat)]
            fn fwd_bfly(
                x: __m512i,
                y: __m512i,
                w: __m512i,
                ws: __m512i,
                q: __m512i,
                kq: __m512i,
            ) -> (__m512i, __m512i) {
                let u = csub(x, kq);
                let v = $mul(y, w, ws, q);
                (
                    _mm512_add_epi64(u, v),
                    _mm512_sub_epi64(_mm512_add_epi64(u, kq), v),
                )
            }

            /// Inverse butterfly: inputs and outputs in `[0, K·q)`.
            #[inline]
            #[target_feature(enable = $feat)]
            fn inv_bfly(
                x: __m512i,
                y: __m512i,
                w: __m512i,
                ws: __m512i,
                q: __m512i,
                kq: __m512i,
            ) -> (__m512i, __m512i) {
                let s = csub(_mm512_add_epi64(x, y), kq);
                let d = _mm512_sub_epi64(_mm512_add_epi64(x, kq), y);
                (s, $mul(d, w, ws, q))
            }

            /// The last inverse butterfly with `N^{-1}` folded in: inputs in `[0, K·q)`,
            /// outputs `(x + y)·N^{-1}` and `(x − y)·w·N^{-1}` in `[0, q)`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            fn last_bfly(
                x: __m512i,
                y: __m512i,
                n_inv: __m512i,
                n_inv_s: __m512i,
                w_n_inv: __m512i,
                w_n_inv_s: __m512i,
                q: __m512i,
                q64: u64,
                kq: __m512i,
            ) -> (__m512i, __m512i) {
                let s = _mm512_add_epi64(x, y);
                let d = _mm512_sub_epi64(_mm512_add_epi64(x, kq), y);
                (
                    reduce_from($mul(s, n_inv, n_inv_s, q), q64, K),
                    reduce_from($mul(d, w_n_inv, w_n_inv_s, q), q64, K),
                )
            }

            /// Butterfly signature shared by the forward and inverse kernels.
            type Bfly = unsafe fn(
                __m512i,
                __m512i,
                __m512i,
                __m512i,
                __m512i,
                __m512i,
            ) -> (__m512i, __m512i);

            /// One small-gap stage on 16 coefficients already in its butterfly layout,
            /// with the per-butterfly twiddles of chunk `g`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            fn small_gap_step(
                x: __m512i,
                y: __m512i,
                tw: &(Vec<u64>, Vec<u64>),
                g: usize,
                q: __m512i,
                kq: __m512i,
                bfly: Bfly,
            ) -> (__m512i, __m512i) {
                // SAFETY: the twiddle tables have N/2 entries, 8 per 16-coefficient
                // chunk, so `8g + 8 ≤ N/2` for every chunk index `g`; `bfly` needs only
                // the features this function is compiled with.
                unsafe {
                    bfly(
                        x,
                        y,
                        load(tw.0.as_ptr().add(8 * g)),
                        load(tw.1.as_ptr().add(8 * g)),
                        q,
                        kq,
                    )
                }
            }

            /// Forward NTT, output in `[0, q)`; input in `[0, 4q)` (or `[0, 2K·q)`).
            ///
            /// Stages are fused two at a time (radix 4) while the gap allows whole
            /// vectors, and the last three stages plus the final reduction run in one
            /// pass over registers.
            ///
            /// # Safety
            /// The CPU must support this module's target features; `a.len() == t.n`;
            /// `vt` built from `t` with this module's Shoup width.
            #[target_feature(enable = $feat)]
            pub unsafe fn forward(a: &mut [u64], t: &NttTables, vt: &VecTables) {
                let n = t.n;
                let q64 = t.modulus.value();
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let bc = |table: &[u64], i: usize| _mm512_set1_epi64(table[i] as i64);
                let (w, ws) = (&t.psi_rev, &vt.psi_rev_shoup);
                let mut gap = n;
                let mut m = 1;
                // Two stages at a time: gap → gap/2 → gap/4, needing gap/4 ≥ 8.
                while gap >= 32 {
                    let (half, quarter) = (gap / 2, gap / 4);
                    for i in 0..m {
                        let (w1, w1s) = (bc(w, m + i), bc(ws, m + i));
                        let (wa, was) = (bc(w, 2 * m + 2 * i), bc(ws, 2 * m + 2 * i));
                        let (wb, wbs) = (bc(w, 2 * m + 2 * i + 1), bc(ws, 2 * m + 2 * i + 1));
                        let block = &mut a[i * gap..(i + 1) * gap];
                        let p = block.as_mut_ptr();
                        for j in (0..quarter).step_by(8) {
                            // SAFETY: j + 3·quarter + 8 ≤ gap = block.len().
                            unsafe {
                                let (p0, p1, p2, p3) = (
                                    p.add(j),
                                    p.add(j + quarter),
                                    p.add(j + half),
                                    p.add(j + half + quarter),
                                );
                                let (x0, x2) = fwd_bfly(load(p0), load(p2), w1, w1s, q, kq);
                                let (x1, x3) = fwd_bfly(load(p1), load(p3), w1, w1s, q, kq);
                                let (x0, x1) = fwd_bfly(x0, x1, wa, was, q, kq);
                                let (x2, x3) = fwd_bfly(x2, x3, wb, wbs, q, kq);
                                store(p0, x0);
                                store(p1, x1);
                                store(p2, x2);
                                store(p3, x3);
                            }
                        }
                    }
                    gap /= 4;
                    m *= 4;
                }
                // One single stage if log2(N) leaves an odd count: gap 16 → 8.
                if gap == 16 {
                    for i in 0..m {
                        let (w1, w1s) = (bc(w, m + i), bc(ws, m + i));
                        let p = a[i * 16..].as_mut_ptr();
                        // SAFETY: block i spans a[16i .. 16i + 16].
                        unsafe {
                            let (x, y) = fwd_bfly(load(p), load(p.add(8)), w1, w1s, q, kq);
                            store(p, x);
                            store(p.add(8), y);
                        }
                    }
                }
                // Gaps 4, 2, 1 and the final reduction, 16 coefficients at a time.
                let idx = SmallGapIndices::new();
                for (g, chunk) in a.chunks_exact_mut(16).enumerate() {
                    let p = chunk.as_mut_ptr();
                    // SAFETY: `chunk` has 16 elements.
                    unsafe {
                        let (mut x, mut y) = relayout(load(p), load(p.add(8)), idx.fwd[0]);
                        for (step, k) in [2, 1, 0].into_iter().enumerate() {
                            (x, y) = small_gap_step(x, y, &vt.fwd_small[k], g, q, kq, fwd_bfly);
                            (x, y) = relayout(x, y, idx.fwd[step + 1]);
                        }
                        let (lo, hi) = (x, y);
                        store(p, reduce_from(lo, q64, 2 * K));
                        store(p.add(8), reduce_from(hi, q64, 2 * K));
                    }
                }
            }

            /// Inverse NTT including `N^{-1}`, output in `[0, q)`; input in `[0, 2q)` (or `[0, K·q)`).
            ///
            /// # Safety
            /// As [`forward`].
            #[target_feature(enable = $feat)]
            pub unsafe fn inverse(a: &mut [u64], t: &NttTables, vt: &VecTables) {
                let n = t.n;
                let q64 = t.modulus.value();
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let bc = |table: &[u64], i: usize| _mm512_set1_epi64(table[i] as i64);
                let (w, ws) = (&t.psi_inv_rev, &vt.psi_inv_rev_shoup);
                // Gaps 1, 2, 4, 16 coefficients at a time.
                let idx = SmallGapIndices::new();
                for (g, chunk) in a.chunks_exact_mut(16).enumerate() {
                    let p = chunk.as_mut_ptr();
                    // SAFETY: `chunk` has 16 elements.
                    unsafe {
                        let (mut x, mut y) = relayout(load(p), load(p.add(8)), idx.inv[0]);
                        for k in 0..3 {
                            (x, y) = small_gap_step(x, y, &vt.inv_small[k], g, q, kq, inv_bfly);
                            (x, y) = relayout(x, y, idx.inv[k + 1]);
                        }
                        store(p, x);
                        store(p.add(8), y);
                    }
                }
                // Then gap 8, 16, …: m blocks of 2·gap at each stage, m = N/(2·gap).
                let mut gap = 8;
                // One single stage if the remaining count is odd: gap 8 → 16.
                let remaining = (n / 8).trailing_zeros();
                if remaining % 2 == 1 {
                    let h = n / 16;
                    for i in 0..h {
                        let (w1, w1s) = (bc(w, h + i), bc(ws, h + i));
                        let p = a[i * 16..].as_mut_ptr();
                        // SAFETY: block i spans a[16i .. 16i + 16].
                        unsafe {
                            let (x, y) = inv_bfly(load(p), load(p.add(8)), w1, w1s, q, kq);
                            store(p, x);
                            store(p.add(8), y);
                        }
                    }
                    gap = 16;
                }
                // Two stages at a time: gap g (blocks of 2g) then 2g (blocks of 4g). The
                // very last stage (gap N/2, one block) also multiplies by N^{-1}:
                // x' = (x + y)·N^{-1},  y' = (x − y)·(w·N^{-1}),  both reduced to [0, q).
                let (ni, nis) = (
                    _mm512_set1_epi64(vt.n_inv.0 as i64),
                    _mm512_set1_epi64(vt.n_inv.1 as i64),
                );
                let (lw, lws) = (
                    _mm512_set1_epi64(vt.last_w_n_inv.0 as i64),
                    _mm512_set1_epi64(vt.last_w_n_inv.1 as i64),
                );
                while gap < n {
                    let last = 4 * gap == n;
                    let h1 = n / (2 * gap);
                    let h2 = h1 / 2;
                    for i in 0..h2 {
                        let (wa, was) = (bc(w, h1 + 2 * i), bc(ws, h1 + 2 * i));
                        let (wb, wbs) = (bc(w, h1 + 2 * i + 1), bc(ws, h1 + 2 * i + 1));
                        let (w2, w2s) = (bc(w, h2 + i), bc(ws, h2 + i));
                        let p = a[i * 4 * gap..].as_mut_ptr();
                        for j in (0..gap).step_by(8) {
                            // SAFETY: j + 3·gap + 8 ≤ 4·gap, inside block i.
                            unsafe {
                                let (p0, p1, p2, p3) = (
                                    p.add(j),
                                    p.add(j + gap),
                                    p.add(j + 2 * gap),
                                    p.add(j + 3 * gap),
                                );
                                let (x0, x1) = inv_bfly(load(p0), load(p1), wa, was, q, kq);
                                let (x2, x3) = inv_bfly(load(p2), load(p3), wb, wbs, q, kq);
                                let ((x0, x2), (x1, x3)) = if last {
                                    (
                                        last_bfly(x0, x2, ni, nis, lw, lws, q, q64, kq),
                                        last_bfly(x1, x3, ni, nis, lw, lws, q, q64, kq),
                                    )
                                } else {
                                    (
                                        inv_bfly(x0, x2, w2, w2s, q, kq),
                                        inv_bfly(x1, x3, w2, w2s, q, kq),
                                    )
                                };
                                store(p0, x0);
                                store(p1, x1);
                                store(p2, x2);
                                store(p3, x3);
                            }
                        }
                    }
                    gap *= 4;
                }
            }
        }
    };
}

ntt_kernels!(ifma, "avx512f,avx512ifma", mul_shoup52_lazy, 2);
ntt_kernels!(dq, "avx512f,avx512dq,avx512bw", mul_shoup64_lazy, 4);
