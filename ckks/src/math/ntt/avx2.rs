//! AVX2 NTT backend: four coefficients per vector, for x86-64 CPUs without
//! AVX-512. Same algorithm, twiddles and lazy ranges as `scalar.rs`
//! (`[0, 4q)` forward, `[0, 2q)` inverse), and the same arithmetic lane by
//! lane, so it agrees with the scalar reference at every stage but the
//! inverse's last, which folds in `N^{-1}` (the outputs, fully reduced,
//! agree).
//!
//! AVX2 has no 64-bit multiply, so Shoup's product is assembled from
//! `vpmuludq` (32×32 → 64 bits): the high word of `a·w'` from four partial
//! products, the low words of `a·w` and `est·q` from three each. It has no
//! unsigned 64-bit minimum either: a conditional subtraction keeps `x − m`
//! unless its top bit is set, which is exact while `x, m < 2^63` (`4q < 2^63`
//! for `q < 2^61`).
//!
//! Stages with gap ≥ 4 run on whole vectors, one stage per pass. Gaps 2 and
//! 1 run together on 8 coefficients held in two registers: gap 2 pairs the
//! 128-bit halves (`vperm2i128`), gap 1 the even and odd lanes
//! (`vpunpck{l,h}qdq`), with per-butterfly twiddles laid out in lane order
//! ([`Avx2Tables`]).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::tables::NttTables;

/// Smallest ring degree: one 8-coefficient chunk for the gap-2/gap-1 pass.
pub const MIN_N: usize = 8;

/// Largest prime size (bits): `4q < 2^63` for the sign-bit comparison.
pub const MAX_BITS: u32 = crate::math::modulus::MAX_MODULUS_BITS;

/// Twiddles of the gap-2 and gap-1 stages in the lane order of the
/// 8-coefficient pass, with their 64-bit Shoup constants.
#[derive(Clone, Debug)]
pub struct Avx2Tables {
    /// Forward: `[gap 1, gap 2]`, each `(w, w')` with `N/2` entries.
    fwd_small: [(Vec<u64>, Vec<u64>); 2],
    /// Inverse: the same with `ψ^{−1}` powers.
    inv_small: [(Vec<u64>, Vec<u64>); 2],
}

impl Avx2Tables {
    /// The lane layout of `t`; `None` if the prime is too large or `N < MIN_N`.
    #[must_use]
    pub fn new(t: &NttTables) -> Option<Self> {
        if t.modulus.bits() > MAX_BITS || t.n < MIN_N {
            return None;
        }
        let n = t.n;
        // Lane order of the butterflies of chunk g (coefficients 8g..8g+8):
        // gap 2 pairs (0,2) (1,3) (4,6) (5,7): blocks 2g, 2g, 2g+1, 2g+1;
        // gap 1 pairs (0,1) (4,5) (2,3) (6,7): blocks 4g, 4g+2, 4g+1, 4g+3.
        let lay = |table: &[u64], shoup: &[u64]| -> [(Vec<u64>, Vec<u64>); 2] {
            let gap1: Vec<usize> = (0..n / 8)
                .flat_map(|g| [4 * g, 4 * g + 2, 4 * g + 1, 4 * g + 3])
                .map(|b| n / 2 + b)
                .collect();
            let gap2: Vec<usize> = (0..n / 8)
                .flat_map(|g| [2 * g, 2 * g, 2 * g + 1, 2 * g + 1])
                .map(|b| n / 4 + b)
                .collect();
            [gap1, gap2].map(|idx| {
                (
                    idx.iter().map(|&i| table[i]).collect(),
                    idx.iter().map(|&i| shoup[i]).collect(),
                )
            })
        };
        Some(Self {
            fwd_small: lay(&t.psi_rev, &t.psi_rev_shoup),
            inv_small: lay(&t.psi_inv_rev, &t.psi_inv_rev_shoup),
        })
    }
}

/// Loads 4 lanes from `p`.
///
/// # Safety
/// `p` must be valid for reading 4 `u64`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load(p: *const u64) -> __m256i {
    // SAFETY: the caller guarantees 4 readable u64 at p; unaligned load.
    unsafe { _mm256_loadu_si256(p.cast()) }
}

/// Stores 4 lanes to `p`.
///
/// # Safety
/// `p` must be valid for writing 4 `u64`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn store(p: *mut u64, v: __m256i) {
    // SAFETY: the caller guarantees 4 writable u64 at p; unaligned store.
    unsafe { _mm256_storeu_si256(p.cast(), v) }
}

/// High 64 bits of the lane-wise 128-bit product.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn mulhi(a: __m256i, b: __m256i) -> __m256i {
    let lo32 = _mm256_set1_epi64x(0xffff_ffff);
    let a_hi = _mm256_srli_epi64::<32>(a);
    let b_hi = _mm256_srli_epi64::<32>(b);
    let ll = _mm256_mul_epu32(a, b);
    let lh = _mm256_mul_epu32(a, b_hi);
    let hl = _mm256_mul_epu32(a_hi, b);
    let hh = _mm256_mul_epu32(a_hi, b_hi);
    let mid = _mm256_add_epi64(
        _mm256_add_epi64(_mm256_srli_epi64::<32>(ll), _mm256_and_si256(lh, lo32)),
        _mm256_and_si256(hl, lo32),
    );
    _mm256_add_epi64(
        _mm256_add_epi64(hh, _mm256_srli_epi64::<32>(lh)),
        _mm256_add_epi64(_mm256_srli_epi64::<32>(hl), _mm256_srli_epi64::<32>(mid)),
    )
}

/// Low 64 bits of the lane-wise product.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn mullo(a: __m256i, b: __m256i) -> __m256i {
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), b),
        _mm256_mul_epu32(a, _mm256_srli_epi64::<32>(b)),
    );
    _mm256_add_epi64(_mm256_mul_epu32(a, b), _mm256_slli_epi64::<32>(cross))
}

/// `a·w mod q` in `[0, 2q)` (Shoup, `ws = ⌊w·2^64/q⌋`), lane for lane the
/// scalar `Modulus::mul_shoup_lazy`.
#[inline]
#[target_feature(enable = "avx2")]
fn mul_shoup_lazy(a: __m256i, w: __m256i, ws: __m256i, q: __m256i) -> __m256i {
    let est = mulhi(a, ws);
    _mm256_sub_epi64(mullo(a, w), mullo(est, q))
}

/// `x − m` if `x ≥ m`, else `x`, for `x, m < 2^63`: `x − m` has its top bit
/// set exactly when `x < m`, and `vblendvpd` selects on that bit.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn csub(x: __m256i, m: __m256i) -> __m256i {
    let d = _mm256_sub_epi64(x, m);
    _mm256_castpd_si256(_mm256_blendv_pd(
        _mm256_castsi256_pd(d),
        _mm256_castsi256_pd(x),
        _mm256_castsi256_pd(d),
    ))
}

/// The four lane-order twiddles of chunk `g` and their Shoup constants.
///
/// # Safety
/// `table` has at least `4g + 4` entries in each vector.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn chunk_twiddles(table: &(Vec<u64>, Vec<u64>), g: usize) -> (__m256i, __m256i) {
    debug_assert!(4 * g + 4 <= table.0.len() && 4 * g + 4 <= table.1.len());
    // SAFETY: guaranteed by the caller.
    unsafe {
        (
            load(table.0.as_ptr().add(4 * g)),
            load(table.1.as_ptr().add(4 * g)),
        )
    }
}

/// `x·N^{-1} mod q` in `[0, q)` for `x < 4q`, by the division of the
/// AVX-512 kernels (`avx512::times_n_inv_64`): with `t = (−x) mod N` and
/// `c = (q − 1)/N`, `⌈x/N⌉ + t·c ≡ x·N^{-1}`, below `2q`. `t < 2^32`, so
/// `t·c` takes two `vpmuludq` (`c_lo`, `c_hi`: the halves of `c`) where a
/// Shoup product takes ten.
#[inline]
#[target_feature(enable = "avx2")]
fn times_n_inv(x: __m256i, d: &DivN, q: __m256i) -> __m256i {
    let t = _mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), x), d.mask);
    let ceil = _mm256_srl_epi64(_mm256_add_epi64(x, d.mask), d.log_n);
    let tc = _mm256_add_epi64(
        _mm256_mul_epu32(t, d.c_lo),
        _mm256_slli_epi64::<32>(_mm256_mul_epu32(t, d.c_hi)),
    );
    csub(_mm256_add_epi64(ceil, tc), q)
}

/// The constants of [`times_n_inv`] for ring degree `N` and prime `q`.
struct DivN {
    mask: __m256i,
    log_n: __m128i,
    c_lo: __m256i,
    c_hi: __m256i,
}

impl DivN {
    #[inline]
    #[target_feature(enable = "avx2")]
    fn new(n: usize, q: u64) -> Self {
        debug_assert!(n.is_power_of_two() && (q - 1).is_multiple_of(n as u64));
        let c = (q - 1) / n as u64;
        Self {
            mask: _mm256_set1_epi64x(n as i64 - 1),
            log_n: _mm_set_epi64x(0, i64::from(n.trailing_zeros())),
            c_lo: _mm256_set1_epi64x((c & 0xffff_ffff) as i64),
            c_hi: _mm256_set1_epi64x((c >> 32) as i64),
        }
    }
}

/// Forward butterfly: inputs and outputs in `[0, 4q)`.
#[inline]
#[target_feature(enable = "avx2")]
fn fwd_bfly(
    x: __m256i,
    y: __m256i,
    w: __m256i,
    ws: __m256i,
    q: __m256i,
    two_q: __m256i,
) -> (__m256i, __m256i) {
    let u = csub(x, two_q);
    let v = mul_shoup_lazy(y, w, ws, q);
    (
        _mm256_add_epi64(u, v),
        _mm256_sub_epi64(_mm256_add_epi64(u, two_q), v),
    )
}

/// Inverse butterfly: inputs and outputs in `[0, 2q)`.
#[inline]
#[target_feature(enable = "avx2")]
fn inv_bfly(
    x: __m256i,
    y: __m256i,
    w: __m256i,
    ws: __m256i,
    q: __m256i,
    two_q: __m256i,
) -> (__m256i, __m256i) {
    let s = csub(_mm256_add_epi64(x, y), two_q);
    let d = _mm256_sub_epi64(_mm256_add_epi64(x, two_q), y);
    (s, mul_shoup_lazy(d, w, ws, q))
}

/// Gap-2 layout of 8 coefficients `(lo, hi)`: `x = (a0, a1, a4, a5)`,
/// `y = (a2, a3, a6, a7)`. The same call maps it back.
#[inline]
#[target_feature(enable = "avx2")]
fn swap_halves(lo: __m256i, hi: __m256i) -> (__m256i, __m256i) {
    (
        _mm256_permute2x128_si256::<0x20>(lo, hi),
        _mm256_permute2x128_si256::<0x31>(lo, hi),
    )
}

/// Gap-1 layout: `x = (a0, a4, a2, a6)`, `y = (a1, a5, a3, a7)` from natural
/// order; the same call maps it back.
#[inline]
#[target_feature(enable = "avx2")]
fn interleave(lo: __m256i, hi: __m256i) -> (__m256i, __m256i) {
    (_mm256_unpacklo_epi64(lo, hi), _mm256_unpackhi_epi64(lo, hi))
}

/// Forward NTT, output in `[0, q)`; input in `[0, 4q)`.
///
/// # Safety
/// The CPU must support AVX2; `a.len() == t.n`; `vt` built from `t`.
#[target_feature(enable = "avx2")]
pub unsafe fn forward(a: &mut [u64], t: &NttTables, vt: &Avx2Tables) {
    let n = t.n;
    let q64 = t.modulus.value();
    let q = _mm256_set1_epi64x(q64 as i64);
    let two_q = _mm256_set1_epi64x(2 * q64 as i64);
    let bc = |table: &[u64], i: usize| _mm256_set1_epi64x(table[i] as i64);
    let mut gap = n;
    let mut m = 1;
    // Stages with gap ≥ 4 on whole vectors.
    while gap > 8 {
        gap >>= 1;
        for i in 0..m {
            let (w, ws) = (bc(&t.psi_rev, m + i), bc(&t.psi_rev_shoup, m + i));
            let p = a[2 * i * gap..2 * (i + 1) * gap].as_mut_ptr();
            for j in (0..gap).step_by(4) {
                // SAFETY: j + gap + 4 ≤ 2·gap, inside the block.
                unsafe {
                    let (x, y) = fwd_bfly(load(p.add(j)), load(p.add(j + gap)), w, ws, q, two_q);
                    store(p.add(j), x);
                    store(p.add(j + gap), y);
                }
            }
        }
        m <<= 1;
    }
    // Gap 4 (one butterfly vector per 8 coefficients), then gaps 2 and 1 and
    // the final reduction, 8 coefficients at a time.
    let (w2, w1) = (&vt.fwd_small[1], &vt.fwd_small[0]);
    for (g, chunk) in a.chunks_exact_mut(8).enumerate() {
        let p = chunk.as_mut_ptr();
        // SAFETY: `chunk` has 8 elements; the lane tables have N/2 entries,
        // 4 per chunk.
        unsafe {
            let (w4, ws4) = (bc(&t.psi_rev, n / 8 + g), bc(&t.psi_rev_shoup, n / 8 + g));
            let (lo, hi) = fwd_bfly(load(p), load(p.add(4)), w4, ws4, q, two_q);
            let (x, y) = swap_halves(lo, hi);
            let (w, ws) = chunk_twiddles(w2, g);
            let (x, y) = fwd_bfly(x, y, w, ws, q, two_q);
            let (lo, hi) = swap_halves(x, y);
            let (x, y) = interleave(lo, hi);
            let (w, ws) = chunk_twiddles(w1, g);
            let (x, y) = fwd_bfly(x, y, w, ws, q, two_q);
            let (lo, hi) = interleave(x, y);
            store(p, csub(csub(lo, two_q), q));
            store(p.add(4), csub(csub(hi, two_q), q));
        }
    }
}

/// Inverse NTT including `N^{-1}`, output in `[0, q)`; input in `[0, 2q)`.
///
/// # Safety
/// As [`forward`].
#[target_feature(enable = "avx2")]
pub unsafe fn inverse(a: &mut [u64], t: &NttTables, vt: &Avx2Tables) {
    let n = t.n;
    let q64 = t.modulus.value();
    let q = _mm256_set1_epi64x(q64 as i64);
    let two_q = _mm256_set1_epi64x(2 * q64 as i64);
    let bc = |table: &[u64], i: usize| _mm256_set1_epi64x(table[i] as i64);
    // Gaps 1, 2 and 4, 8 coefficients at a time.
    let (w1, w2) = (&vt.inv_small[0], &vt.inv_small[1]);
    for (g, chunk) in a.chunks_exact_mut(8).enumerate() {
        let p = chunk.as_mut_ptr();
        // SAFETY: as in `forward`.
        unsafe {
            let (x, y) = interleave(load(p), load(p.add(4)));
            let (w, ws) = chunk_twiddles(w1, g);
            let (x, y) = inv_bfly(x, y, w, ws, q, two_q);
            let (lo, hi) = interleave(x, y);
            let (x, y) = swap_halves(lo, hi);
            let (w, ws) = chunk_twiddles(w2, g);
            let (x, y) = inv_bfly(x, y, w, ws, q, two_q);
            let (lo, hi) = swap_halves(x, y);
            let (w4, ws4) = (
                bc(&t.psi_inv_rev, n / 8 + g),
                bc(&t.psi_inv_rev_shoup, n / 8 + g),
            );
            let (lo, hi) = inv_bfly(lo, hi, w4, ws4, q, two_q);
            store(p, lo);
            store(p.add(4), hi);
        }
    }
    // Gap 8, 16, …, N/4 on whole vectors.
    let mut gap = 8;
    while gap < n / 2 {
        let h = n / (2 * gap);
        for i in 0..h {
            let (w, ws) = (bc(&t.psi_inv_rev, h + i), bc(&t.psi_inv_rev_shoup, h + i));
            let p = a[2 * i * gap..2 * (i + 1) * gap].as_mut_ptr();
            for j in (0..gap).step_by(4) {
                // SAFETY: j + gap + 4 ≤ 2·gap, inside the block.
                unsafe {
                    let (x, y) = inv_bfly(load(p.add(j)), load(p.add(j + gap)), w, ws, q, two_q);
                    store(p.add(j), x);
                    store(p.add(j + gap), y);
                }
            }
        }
        gap <<= 1;
    }
    let div = DivN::new(n, q64);
    if n == MIN_N {
        // The 8-coefficient pass took every stage: N^{-1} on its own.
        for chunk in a.chunks_exact_mut(4) {
            let p = chunk.as_mut_ptr();
            // SAFETY: `chunk` has 4 elements.
            unsafe { store(p, times_n_inv(load(p), &div, q)) };
        }
        return;
    }
    // Gap N/2 with N^{-1} folded in, fully reduced: (x + y)·N^{-1} by
    // division, (x − y)·w·N^{-1} by one Shoup product.
    let half = n / 2;
    let w_n_inv = t.modulus.mul(t.psi_inv_rev[1], t.n_inv);
    let (w, ws) = (
        _mm256_set1_epi64x(w_n_inv as i64),
        _mm256_set1_epi64x(t.modulus.shoup(w_n_inv) as i64),
    );
    let p = a.as_mut_ptr();
    for j in (0..half).step_by(4) {
        // SAFETY: j + half + 4 ≤ N.
        unsafe {
            let (x, y) = (load(p.add(j)), load(p.add(j + half)));
            let d = _mm256_sub_epi64(_mm256_add_epi64(x, two_q), y);
            store(p.add(j), times_n_inv(_mm256_add_epi64(x, y), &div, q));
            store(p.add(j + half), csub(mul_shoup_lazy(d, w, ws, q), q));
        }
    }
}
