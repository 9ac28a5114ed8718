//! Element-wise modular kernels over one limb, dispatched per prime like
//! the NTT (see [`crate::math::ntt::Backend`]).
//!
//! - [`mul_assign`]: `a[i] ← a[i]·b[i] mod q`, both operands variable.
//! - [`mul_add_assign`]: `o[i] ← o[i] + a[i]·b[i] mod q`.
//!
//! The scalar path is the reference (128-bit Barrett, [`Modulus::mul`]).
//! With AVX-512 IFMA and a prime below `2^50`, eight lanes at a time use
//! the 52-bit multiply-add: the 100-bit product `p = a·b` comes out as a
//! low 52-bit word `lo` and a high word `hi`; Barrett's quotient estimate
//! is taken from `z = ⌊p / 2^(b−1)⌋` (`b` = the prime's bit length, so
//! `z < 2^51`) times `m = ⌊2^(51+b) / q⌋ < 2^52`, whose high 52-bit word is
//! `q̂ = ⌊z·m / 2^52⌋`. Three truncations each cost less than one, so
//! `q̂ ≥ ⌊p/q⌋ − 2` and `r = p − q̂·q < 3q < 2^52` is exact in the low
//! 52-bit word; two conditional subtractions finish. Inputs must be below
//! `q`, outputs are in `[0, q)` and equal the scalar ones bit for bit.
//!
//! `CKKS_NTT_BACKEND=scalar` forces the scalar path here too.

use std::sync::OnceLock;

use crate::math::modulus::Modulus;
use crate::math::ntt::{Backend, BACKEND_ENV};

/// Largest prime size of the IFMA kernels.
pub const IFMA_MAX_BITS: u32 = 50;
/// Largest prime size of the 64-bit-lane AVX-512 kernels.
pub const AVX512_MAX_BITS: u32 = 61;

/// The backend the kernels use for a prime of `bits` bits: IFMA for primes
/// below `2^50`, AVX-512 with 64-bit lanes up to 61 bits, when the CPU has
/// them and the environment does not force the scalar path.
#[must_use]
pub fn backend_for(bits: u32) -> Backend {
    static FORCED_SCALAR: OnceLock<bool> = OnceLock::new();
    let forced = *FORCED_SCALAR.get_or_init(|| {
        std::env::var(BACKEND_ENV)
            .ok()
            .and_then(|s| Backend::from_name(&s))
            == Some(Backend::Scalar)
    });
    if forced {
        return Backend::Scalar;
    }
    [Backend::Ifma, Backend::Avx512]
        .into_iter()
        .find(|&b| supports(b, bits))
        .unwrap_or(Backend::Scalar)
}

/// Whether this CPU runs `backend`'s kernels on a prime of `bits` bits.
fn supports(backend: Backend, bits: u32) -> bool {
    match backend {
        Backend::Scalar => true,
        Backend::Ifma => backend.cpu_supports() && bits <= IFMA_MAX_BITS,
        Backend::Avx512 => backend.cpu_supports() && bits <= AVX512_MAX_BITS,
    }
}

/// `a[i] ← a[i]·b[i] mod q` with the best backend for `m`.
///
/// # Panics
/// If the slices differ in length (an internal bug).
pub fn mul_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
    let ran = mul_assign_with(backend_for(m.bits()), m, a, b);
    debug_assert!(ran);
}

/// `dst[i] ← a[i]·b[i] mod q` with the best backend for `m` (no copy of
/// `a` first).
///
/// # Panics
/// If the slices differ in length (an internal bug).
pub fn mul_to(m: &Modulus, dst: &mut [u64], a: &[u64], b: &[u64]) {
    let ran = mul_to_with(backend_for(m.bits()), m, dst, a, b);
    debug_assert!(ran);
}

/// [`mul_to`] with a chosen backend; `false` (and nothing done) if the CPU
/// or the prime does not support it.
///
/// # Panics
/// If the slices differ in length.
pub fn mul_to_with(backend: Backend, m: &Modulus, dst: &mut [u64], a: &[u64], b: &[u64]) -> bool {
    assert!(
        dst.len() == a.len() && a.len() == b.len(),
        "kernel operands differ in length"
    );
    if !supports(backend, m.bits()) {
        return false;
    }
    match backend {
        Backend::Scalar => {
            for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
                *d = m.mul(x, y);
            }
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Ifma => {
            // SAFETY: `supports` checked AVX-512F and IFMA at run time.
            unsafe { ifma::mul_to(m, dst, a, b) };
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => {
            // SAFETY: `supports` checked AVX-512F and DQ at run time.
            unsafe { lanes64::mul_to(m, dst, a, b) };
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        _ => false,
    }
}

/// `o[i] ← o[i] + a[i]·b[i] mod q` with the best backend for `m`.
///
/// # Panics
/// If the slices differ in length (an internal bug).
pub fn mul_add_assign(m: &Modulus, o: &mut [u64], a: &[u64], b: &[u64]) {
    let ran = mul_add_assign_with(backend_for(m.bits()), m, o, a, b);
    debug_assert!(ran);
}

/// [`mul_assign`] with a chosen backend; `false` (and nothing done) if the
/// CPU or the prime does not support it. For tests and benchmarks.
///
/// # Panics
/// If the slices differ in length.
pub fn mul_assign_with(backend: Backend, m: &Modulus, a: &mut [u64], b: &[u64]) -> bool {
    assert_eq!(a.len(), b.len(), "kernel operands differ in length");
    if !supports(backend, m.bits()) {
        return false;
    }
    match backend {
        Backend::Scalar => {
            for (x, &y) in a.iter_mut().zip(b) {
                *x = m.mul(*x, y);
            }
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Ifma => {
            // SAFETY: `supports` checked AVX-512F and IFMA at run time.
            unsafe { ifma::mul_assign(m, a, b) };
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => {
            // SAFETY: `supports` checked AVX-512F and DQ at run time.
            unsafe { lanes64::mul_assign(m, a, b) };
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        _ => false,
    }
}

/// [`mul_add_assign`] with a chosen backend; `false` (and nothing done) if
/// the CPU or the prime does not support it.
///
/// # Panics
/// If the slices differ in length.
pub fn mul_add_assign_with(
    backend: Backend,
    m: &Modulus,
    o: &mut [u64],
    a: &[u64],
    b: &[u64],
) -> bool {
    assert!(
        o.len() == a.len() && a.len() == b.len(),
        "kernel operands differ in length"
    );
    if !supports(backend, m.bits()) {
        return false;
    }
    match backend {
        Backend::Scalar => {
            for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
                *o = m.add(*o, m.mul(x, y));
            }
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Ifma => {
            // SAFETY: `supports` checked AVX-512F and IFMA at run time.
            unsafe { ifma::mul_add_assign(m, o, a, b) };
            true
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => {
            // SAFETY: `supports` checked AVX-512F and DQ at run time.
            unsafe { lanes64::mul_add_assign(m, o, a, b) };
            true
        }
        #[cfg(not(target_arch = "x86_64"))]
        _ => false,
    }
}

/// The three loops over a limb, around a module's `consts` and `mul_mod`:
/// eight lanes at a time, the tail with the scalar reference.
#[cfg(target_arch = "x86_64")]
macro_rules! eltwise_loops {
    ($feat:literal, $cpu:literal, $bound:literal) => {
        /// `a[i] ← a[i]·b[i] mod q`.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, "; `q < ", $bound, "`;")]
        /// every input below `q`; equal lengths.
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_assign(modulus: &Modulus, a: &mut [u64], b: &[u64]) {
            let c = consts(modulus);
            let split = a.len() - a.len() % 8;
            let (va, ta) = a.split_at_mut(split);
            let (vb, tb) = b.split_at(split);
            for (x, y) in va.chunks_exact_mut(8).zip(vb.chunks_exact(8)) {
                // SAFETY: each chunk holds exactly 8 u64; unaligned loads
                // and stores.
                unsafe {
                    let r = mul_mod(
                        _mm512_loadu_si512(x.as_ptr().cast()),
                        _mm512_loadu_si512(y.as_ptr().cast()),
                        &c,
                    );
                    _mm512_storeu_si512(x.as_mut_ptr().cast(), r);
                }
            }
            for (x, &y) in ta.iter_mut().zip(tb) {
                *x = modulus.mul(*x, y);
            }
        }

        /// `dst[i] ← a[i]·b[i] mod q`.
        ///
        /// # Safety
        /// As [`mul_assign`], with `dst` of the same length.
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_to(modulus: &Modulus, dst: &mut [u64], a: &[u64], b: &[u64]) {
            let c = consts(modulus);
            let split = dst.len() - dst.len() % 8;
            let (vd, td) = dst.split_at_mut(split);
            let (va, ta) = a.split_at(split);
            let (vb, tb) = b.split_at(split);
            for ((d, x), y) in vd
                .chunks_exact_mut(8)
                .zip(va.chunks_exact(8))
                .zip(vb.chunks_exact(8))
            {
                // SAFETY: each chunk holds exactly 8 u64; unaligned loads
                // and stores.
                unsafe {
                    let r = mul_mod(
                        _mm512_loadu_si512(x.as_ptr().cast()),
                        _mm512_loadu_si512(y.as_ptr().cast()),
                        &c,
                    );
                    _mm512_storeu_si512(d.as_mut_ptr().cast(), r);
                }
            }
            for ((d, &x), &y) in td.iter_mut().zip(ta).zip(tb) {
                *d = modulus.mul(x, y);
            }
        }

        /// `o[i] ← o[i] + a[i]·b[i] mod q`.
        ///
        /// # Safety
        /// As [`mul_assign`], and every `o` below `q`.
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_add_assign(modulus: &Modulus, o: &mut [u64], a: &[u64], b: &[u64]) {
            let c = consts(modulus);
            let split = o.len() - o.len() % 8;
            let (vo, to) = o.split_at_mut(split);
            let (va, ta) = a.split_at(split);
            let (vb, tb) = b.split_at(split);
            for ((s, x), y) in vo
                .chunks_exact_mut(8)
                .zip(va.chunks_exact(8))
                .zip(vb.chunks_exact(8))
            {
                // SAFETY: each chunk holds exactly 8 u64; unaligned loads
                // and stores.
                unsafe {
                    let p = mul_mod(
                        _mm512_loadu_si512(x.as_ptr().cast()),
                        _mm512_loadu_si512(y.as_ptr().cast()),
                        &c,
                    );
                    let t = _mm512_add_epi64(_mm512_loadu_si512(s.as_ptr().cast()), p);
                    _mm512_storeu_si512(
                        s.as_mut_ptr().cast(),
                        _mm512_min_epu64(t, _mm512_sub_epi64(t, c.q)),
                    );
                }
            }
            for ((s, &x), &y) in to.iter_mut().zip(ta).zip(tb) {
                *s = modulus.add(*s, modulus.mul(x, y));
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod ifma {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_and_si512, _mm512_loadu_si512, _mm512_madd52hi_epu64,
        _mm512_madd52lo_epu64, _mm512_min_epu64, _mm512_or_si512, _mm512_set1_epi64,
        _mm512_setzero_si512, _mm512_sllv_epi64, _mm512_srlv_epi64, _mm512_storeu_si512,
        _mm512_sub_epi64,
    };

    use super::IFMA_MAX_BITS as MAX_BITS;
    use crate::math::modulus::Modulus;

    /// Broadcast constants of one prime.
    struct Consts {
        q: __m512i,
        m: __m512i,
        mask: __m512i,
        shl: __m512i,
        shr: __m512i,
    }

    #[target_feature(enable = "avx512f")]
    fn consts(modulus: &Modulus) -> Consts {
        let q = modulus.value();
        let b = modulus.bits();
        debug_assert!((2..=MAX_BITS).contains(&b));
        let m = ((1u128 << (51 + b)) / u128::from(q)) as u64;
        Consts {
            q: _mm512_set1_epi64(q as i64),
            m: _mm512_set1_epi64(m as i64),
            mask: _mm512_set1_epi64((1i64 << 52) - 1),
            shl: _mm512_set1_epi64(i64::from(53 - b)),
            shr: _mm512_set1_epi64(i64::from(b - 1)),
        }
    }

    /// `a·b mod q` in `[0, q)` for lanes below `q` (module docs).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mul_mod(a: __m512i, b: __m512i, c: &Consts) -> __m512i {
        let zero = _mm512_setzero_si512();
        let lo = _mm512_madd52lo_epu64(zero, a, b);
        let hi = _mm512_madd52hi_epu64(zero, a, b);
        let z = _mm512_or_si512(_mm512_sllv_epi64(hi, c.shl), _mm512_srlv_epi64(lo, c.shr));
        let est = _mm512_madd52hi_epu64(zero, z, c.m);
        let r = _mm512_and_si512(
            _mm512_sub_epi64(lo, _mm512_madd52lo_epu64(zero, est, c.q)),
            c.mask,
        );
        let r = _mm512_min_epu64(r, _mm512_sub_epi64(r, c.q));
        _mm512_min_epu64(r, _mm512_sub_epi64(r, c.q))
    }

    eltwise_loops!("avx512f,avx512ifma", "AVX-512F and AVX-512 IFMA", "2^50");
}

/// The same Barrett reduction on 64-bit lanes (AVX-512F/DQ), for primes up
/// to 61 bits: the product's low word from `vpmullq`, its high word from
/// four 32×32 products; `z = ⌊p / 2^(b−1)⌋ < 2^62`, `m = ⌊2^(63+b)/q⌋ <
/// 2^64`, `q̂ = ⌊z·m / 2^64⌋ ≥ ⌊p/q⌋ − 2`, `r = p − q̂·q < 3q < 2^63`.
#[cfg(target_arch = "x86_64")]
mod lanes64 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_loadu_si512, _mm512_min_epu64, _mm512_mullo_epi64,
        _mm512_or_si512, _mm512_set1_epi64, _mm512_sllv_epi64, _mm512_srlv_epi64,
        _mm512_storeu_si512, _mm512_sub_epi64,
    };

    use super::AVX512_MAX_BITS as MAX_BITS;
    use crate::math::modulus::Modulus;
    use crate::math::ntt::avx512::mulhi64;

    struct Consts {
        q: __m512i,
        m: __m512i,
        shl: __m512i,
        shr: __m512i,
    }

    #[target_feature(enable = "avx512f")]
    fn consts(modulus: &Modulus) -> Consts {
        let q = modulus.value();
        let b = modulus.bits();
        debug_assert!((2..=MAX_BITS).contains(&b));
        let m = ((1u128 << (63 + b)) / u128::from(q)) as u64;
        Consts {
            q: _mm512_set1_epi64(q as i64),
            m: _mm512_set1_epi64(m as i64),
            shl: _mm512_set1_epi64(i64::from(65 - b)),
            shr: _mm512_set1_epi64(i64::from(b - 1)),
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn mul_mod(a: __m512i, b: __m512i, c: &Consts) -> __m512i {
        let lo = _mm512_mullo_epi64(a, b);
        let hi = mulhi64(a, b);
        let z = _mm512_or_si512(_mm512_sllv_epi64(hi, c.shl), _mm512_srlv_epi64(lo, c.shr));
        let est = mulhi64(z, c.m);
        let r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(est, c.q));
        let r = _mm512_min_epu64(r, _mm512_sub_epi64(r, c.q));
        _mm512_min_epu64(r, _mm512_sub_epi64(r, c.q))
    }

    eltwise_loops!("avx512f,avx512dq", "AVX-512F and DQ", "2^61");
}
