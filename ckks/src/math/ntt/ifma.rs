//! AVX-512 IFMA backend for primes below `2^50`.
//!
//! Same algorithm and lazy ranges as `scalar.rs`, eight coefficients per
//! vector. IFMA multiplies the low 52 bits of two lanes into a 104-bit
//! product and adds its low (`madd52lo`) or high (`madd52hi`) 52 bits, so
//! Shoup's trick works with `w' = ⌊w·2^52/q⌋`:
//!
//! ```text
//! est = ⌊a·w' / 2^52⌋                (madd52hi)
//! r   = (a·w − est·q) mod 2^52 ∈ [0, 2q)   (two madd52lo, a subtraction, a mask)
//! ```
//!
//! valid for `a < 2^52`, which holds for every value in `[0, 4q)` when
//! `q < 2^50`. Stages with a gap of 8 or more broadcast one twiddle per block;
//! the three stages with gaps 4, 2 and 1 gather the `x` and `y` halves of two
//! vectors with `vpermt2q` and read per-butterfly twiddles from tables laid
//! out in that order ([`IfmaTables`]).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::tables::NttTables;

/// Largest prime size (bits) this backend accepts: `4q < 2^52`.
pub const MAX_BITS: u32 = 50;

/// Twiddles in the layout this backend reads.
#[derive(Clone, Debug)]
pub struct IfmaTables {
    /// `⌊w·2^52/q⌋` for every `psi_rev` entry.
    psi_rev_shoup52: Vec<u64>,
    /// `⌊w·2^52/q⌋` for every `psi_inv_rev` entry.
    psi_inv_rev_shoup52: Vec<u64>,
    /// For gaps 4, 2, 1 (index 2, 1, 0): forward twiddles and Shoup
    /// constants per butterfly, in increasing order of the butterfly's `x`.
    fwd_small: [(Vec<u64>, Vec<u64>); 3],
    /// The same for the inverse.
    inv_small: [(Vec<u64>, Vec<u64>); 3],
    /// `N^{-1}` and its 52-bit Shoup constant.
    n_inv: (u64, u64),
}

fn shoup52(w: u64, q: u64) -> u64 {
    ((u128::from(w) << 52) / u128::from(q)) as u64
}

impl IfmaTables {
    /// Builds the layout from the scalar tables; `None` if `q ≥ 2^50` or
    /// `N < 16`.
    #[must_use]
    pub fn new(t: &NttTables) -> Option<Self> {
        let q = t.modulus.value();
        if t.modulus.bits() > MAX_BITS || t.n < 16 {
            return None;
        }
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
            psi_rev_shoup52: t.psi_rev.iter().map(|&w| shoup52(w, q)).collect(),
            psi_inv_rev_shoup52: t.psi_inv_rev.iter().map(|&w| shoup52(w, q)).collect(),
            fwd_small: small(&t.psi_rev),
            inv_small: small(&t.psi_inv_rev),
            n_inv: (t.n_inv, shoup52(t.n_inv, q)),
        })
    }
}

/// Lane indices that gather the `x` (then `y`) elements of a butterfly stage
/// with gap `gap < 8` from two vectors holding 16 consecutive coefficients,
/// and the indices that scatter them back.
fn gather_indices(gap: i64) -> ([i64; 8], [i64; 8], [i64; 8], [i64; 8]) {
    let xs: Vec<i64> = (0..16).filter(|e| e % (2 * gap) < gap).collect();
    let ys: Vec<i64> = (0..16).filter(|e| e % (2 * gap) >= gap).collect();
    let back = |e: i64| -> i64 {
        match xs.iter().position(|&x| x == e) {
            Some(p) => p as i64,
            None => {
                8 + ys
                    .iter()
                    .position(|&y| y == e)
                    .expect("every element is x or y") as i64
            }
        }
    };
    let lo = std::array::from_fn(|l| back(l as i64));
    let hi = std::array::from_fn(|l| back(8 + l as i64));
    (
        xs.try_into().expect("8 x"),
        ys.try_into().expect("8 y"),
        lo,
        hi,
    )
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

/// `x.min(x − m)` lane-wise: one conditional subtraction of `m`.
#[inline]
#[target_feature(enable = "avx512f")]
fn csub(x: __m512i, m: __m512i) -> __m512i {
    _mm512_min_epu64(x, _mm512_sub_epi64(x, m))
}

/// Forward butterfly on vectors: inputs in `[0, 4q)`, outputs in `[0, 4q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn fwd_bfly(
    x: __m512i,
    y: __m512i,
    w: __m512i,
    ws: __m512i,
    q: __m512i,
    two_q: __m512i,
) -> (__m512i, __m512i) {
    let u = csub(x, two_q);
    let v = mul_shoup52_lazy(y, w, ws, q);
    (
        _mm512_add_epi64(u, v),
        _mm512_sub_epi64(_mm512_add_epi64(u, two_q), v),
    )
}

/// Inverse butterfly: inputs in `[0, 2q)`, outputs in `[0, 2q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn inv_bfly(
    x: __m512i,
    y: __m512i,
    w: __m512i,
    ws: __m512i,
    q: __m512i,
    two_q: __m512i,
) -> (__m512i, __m512i) {
    let s = csub(_mm512_add_epi64(x, y), two_q);
    let d = _mm512_sub_epi64(_mm512_add_epi64(x, two_q), y);
    (s, mul_shoup52_lazy(d, w, ws, q))
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

/// One stage with gap `< 8`: gathers `x`/`y` lanes from 16 coefficients at a
/// time, applies `bfly` with per-butterfly twiddles, scatters back.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn small_gap_stage(
    a: &mut [u64],
    gap: i64,
    tw: &(Vec<u64>, Vec<u64>),
    q: __m512i,
    two_q: __m512i,
    bfly: unsafe fn(__m512i, __m512i, __m512i, __m512i, __m512i, __m512i) -> (__m512i, __m512i),
) {
    let (ix, iy, ilo, ihi) = gather_indices(gap);
    // SAFETY: plain register loads of local arrays of 8 i64.
    let (ix, iy, ilo, ihi) = unsafe {
        (
            load(ix.as_ptr().cast()),
            load(iy.as_ptr().cast()),
            load(ilo.as_ptr().cast()),
            load(ihi.as_ptr().cast()),
        )
    };
    for (g, chunk) in a.chunks_exact_mut(16).enumerate() {
        let p = chunk.as_mut_ptr();
        // SAFETY: `chunk` has 16 elements; twiddle tables have N/2 entries,
        // 8 per 16-coefficient chunk, so `8g + 8 ≤ N/2`.
        unsafe {
            let lo = load(p);
            let hi = load(p.add(8));
            let x = _mm512_permutex2var_epi64(lo, ix, hi);
            let y = _mm512_permutex2var_epi64(lo, iy, hi);
            let w = load(tw.0.as_ptr().add(8 * g));
            let ws = load(tw.1.as_ptr().add(8 * g));
            let (x, y) = bfly(x, y, w, ws, q, two_q);
            store(p, _mm512_permutex2var_epi64(x, ilo, y));
            store(p.add(8), _mm512_permutex2var_epi64(x, ihi, y));
        }
    }
}

/// Forward NTT, output in `[0, q)`; input in `[0, 4q)`.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512 IFMA; `a.len() == t.n`;
/// `ifma` built from `t`.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn forward(a: &mut [u64], t: &NttTables, ifma: &IfmaTables) {
    let n = t.n;
    let q64 = t.modulus.value();
    let q = _mm512_set1_epi64(q64 as i64);
    let two_q = _mm512_set1_epi64(2 * q64 as i64);
    let mut gap = n;
    let mut m = 1;
    while gap > 8 {
        gap >>= 1;
        for i in 0..m {
            let w = _mm512_set1_epi64(t.psi_rev[m + i] as i64);
            let ws = _mm512_set1_epi64(ifma.psi_rev_shoup52[m + i] as i64);
            let block = &mut a[2 * i * gap..2 * (i + 1) * gap];
            let (lo, hi) = block.split_at_mut(gap);
            for (xs, ys) in lo.chunks_exact_mut(8).zip(hi.chunks_exact_mut(8)) {
                // SAFETY: chunks of exactly 8 elements.
                unsafe {
                    let (x, y) = fwd_bfly(load(xs.as_ptr()), load(ys.as_ptr()), w, ws, q, two_q);
                    store(xs.as_mut_ptr(), x);
                    store(ys.as_mut_ptr(), y);
                }
            }
        }
        m <<= 1;
    }
    for k in (0..3).rev() {
        small_gap_stage(a, 1i64 << k, &ifma.fwd_small[k], q, two_q, fwd_bfly);
    }
    for xs in a.chunks_exact_mut(8) {
        // SAFETY: chunks of exactly 8 elements.
        unsafe {
            let x = csub(csub(load(xs.as_ptr()), two_q), q);
            store(xs.as_mut_ptr(), x);
        }
    }
}

/// Inverse NTT including `N^{-1}`, output in `[0, q)`; input in `[0, 2q)`.
///
/// # Safety
/// As [`forward`].
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn inverse(a: &mut [u64], t: &NttTables, ifma: &IfmaTables) {
    let n = t.n;
    let q64 = t.modulus.value();
    let q = _mm512_set1_epi64(q64 as i64);
    let two_q = _mm512_set1_epi64(2 * q64 as i64);
    for k in 0..3 {
        small_gap_stage(a, 1i64 << k, &ifma.inv_small[k], q, two_q, inv_bfly);
    }
    let mut gap = 8;
    let mut m = n / 8;
    while m > 1 {
        let h = m >> 1;
        for i in 0..h {
            let w = _mm512_set1_epi64(t.psi_inv_rev[h + i] as i64);
            let ws = _mm512_set1_epi64(ifma.psi_inv_rev_shoup52[h + i] as i64);
            let block = &mut a[2 * i * gap..2 * (i + 1) * gap];
            let (lo, hi) = block.split_at_mut(gap);
            for (xs, ys) in lo.chunks_exact_mut(8).zip(hi.chunks_exact_mut(8)) {
                // SAFETY: chunks of exactly 8 elements.
                unsafe {
                    let (x, y) = inv_bfly(load(xs.as_ptr()), load(ys.as_ptr()), w, ws, q, two_q);
                    store(xs.as_mut_ptr(), x);
                    store(ys.as_mut_ptr(), y);
                }
            }
        }
        gap <<= 1;
        m = h;
    }
    let w = _mm512_set1_epi64(ifma.n_inv.0 as i64);
    let ws = _mm512_set1_epi64(ifma.n_inv.1 as i64);
    for xs in a.chunks_exact_mut(8) {
        // SAFETY: chunks of exactly 8 elements.
        unsafe {
            let x = csub(mul_shoup52_lazy(load(xs.as_ptr()), w, ws, q), q);
            store(xs.as_mut_ptr(), x);
        }
    }
}
