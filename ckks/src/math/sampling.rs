//! Samplers for secrets, errors and uniform masks.
//!
//! All take the random source as an argument: a [`crate::rng::ChaCha20`] seeded by the
//! OS in normal use, a seeded one in tests.
//!
//! Timing: the ternary, Hamming-weight and Gaussian samplers do not branch on
//! the values they produce except where noted; the uniform sampler rejects
//! out-of-range draws, which leaks only how many draws were rejected.

use rand::{CryptoRng, Rng, RngCore};
use zeroize::Zeroize;

use crate::math::modulus::Modulus;

/// Standard deviation of the error distribution (HE standard).
pub const SIGMA: f64 = 3.2;
/// Errors are cut at `6σ`, rounded down: `|e| ≤ 19`.
pub const GAUSSIAN_BOUND: i64 = 19;

/// Uniform ternary coefficients in `{−1, 0, 1}`.
pub fn ternary<R: RngCore + CryptoRng>(n: usize, rng: &mut R) -> Vec<i64> {
    (0..n)
        .map(|_| {
            // Rejection from 2 bits to a uniform value in {0, 1, 2}.
            loop {
                let v = rng.next_u32() & 3;
                if v < 3 {
                    return i64::from(v) - 1;
                }
            }
        })
        .collect()
}

/// Ternary coefficients with exactly `h` non-zero entries, signs uniform.
///
/// # Panics
/// If `h > n` (an internal bug: parameters are validated).
pub fn hamming_weight<R: RngCore + CryptoRng>(n: usize, h: usize, rng: &mut R) -> Vec<i64> {
    assert!(h <= n, "Hamming weight {h} above N = {n}");
    let mut s = vec![0i64; n];
    // Partial Fisher–Yates over the positions.
    let mut pos: Vec<usize> = (0..n).collect();
    for i in 0..h {
        let j = rng.gen_range(i..n);
        pos.swap(i, j);
        s[pos[i]] = if rng.next_u32() & 1 == 1 { 1 } else { -1 };
    }
    s
}

/// Entries of the cumulative table.
const TABLE: usize = GAUSSIAN_BOUND as usize + 1;

/// Cumulative table of `|e|` for the discrete Gaussian `ρ(x) ∝ exp(−x²/2σ²)`
/// on `[−19, 19]`: `cdt[k] = ⌊2^64 · P(|e| ≤ k)⌋`.
fn gaussian_cdt() -> [u64; TABLE] {
    let rho = |x: f64| (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    let total: f64 = (-GAUSSIAN_BOUND..=GAUSSIAN_BOUND)
        .map(|x| rho(x as f64))
        .sum();
    let mut cdt = [0u64; TABLE];
    let mut acc = 0.0;
    for (k, c) in cdt.iter_mut().enumerate() {
        let p = if k == 0 {
            rho(0.0)
        } else {
            2.0 * rho(k as f64)
        };
        acc += p / total;
        *c = if k == GAUSSIAN_BOUND as usize {
            u64::MAX
        } else {
            (acc * 2f64.powi(64)) as u64
        };
    }
    cdt
}

/// Discrete Gaussian errors, `σ = 3.2`, cut at `|e| ≤ 19`. The magnitude is
/// found by a full scan of the cumulative table (no early exit, no branch),
/// the sign by one random bit of the same draw. The caller zeroizes the
/// result once it is used.
pub fn gaussian<R: RngCore + CryptoRng>(n: usize, rng: &mut R) -> Vec<i64> {
    // One 64-bit draw per sample, all drawn at once (the same values, in
    // the same order, as one `next_u64` per sample): the top bit is the
    // sign, the other 63 bits are compared with the table scaled to 2^63
    // (the table is computed in f64, so no precision is lost by the shift).
    let cdt = gaussian_cdt().map(|c| c >> 1);
    let mut draws = vec![0u64; n];
    rng.fill(&mut draws[..]);
    let mut e = vec![0i64; n];
    magnitudes(&cdt, &draws, &mut e);
    draws.zeroize();
    e
}

/// `out[i] = ±|{k : u_i > cdt[k]}|` for `u_i` the low 63 bits of
/// `draws[i]`, negative when its top bit is set: the same arithmetic with
/// the widest vectors the CPU has (the compiler vectorizes the loop over
/// samples; no branch or table index depends on a draw).
fn magnitudes(cdt: &[u64; TABLE], draws: &[u64], out: &mut [i64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
            // SAFETY: the CPU has AVX-512F/VL, checked just above.
            return unsafe { magnitudes_avx512(cdt, draws, out) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { magnitudes_avx2(cdt, draws, out) };
        }
    }
    magnitudes_generic(cdt, draws, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl")]
unsafe fn magnitudes_avx512(cdt: &[u64; TABLE], draws: &[u64], out: &mut [i64]) {
    magnitudes_generic(cdt, draws, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn magnitudes_avx2(cdt: &[u64; TABLE], draws: &[u64], out: &mut [i64]) {
    magnitudes_generic(cdt, draws, out);
}

#[inline(always)]
fn magnitudes_generic(cdt: &[u64; TABLE], draws: &[u64], out: &mut [i64]) {
    for (o, &r) in out.iter_mut().zip(draws) {
        let u = r & (u64::MAX >> 1);
        // Both below 2^63, so a signed comparison is the unsigned one.
        let mag: i64 = cdt.iter().map(|&c| i64::from(u as i64 > c as i64)).sum();
        let neg = ((r >> 63) as i64).wrapping_neg();
        // ±mag without a branch: (mag ⊕ −1) + 1 = −mag when negative.
        *o = (mag ^ neg).wrapping_sub(neg);
    }
}

/// Uniform residues mod `m` into `out`, by rejection from the next power of
/// two. Draws come in batches of as many as are still missing, so exactly
/// the values one `next_u64` per attempt would use are consumed, in order.
pub fn uniform_into<R: RngCore>(m: &Modulus, rng: &mut R, out: &mut [u64]) {
    let q = m.value();
    let mask = u64::MAX >> q.leading_zeros();
    let mut filled = 0;
    while filled < out.len() {
        let batch = &mut out[filled..];
        rng.fill(&mut batch[..]);
        let mut rejected = 0usize;
        for v in batch.iter_mut() {
            *v &= mask;
            rejected += usize::from(*v >= q);
        }
        if rejected == 0 {
            return;
        }
        // Keep the accepted draws, in order, at the front of the batch.
        let mut kept = 0;
        for i in 0..batch.len() {
            let v = batch[i];
            batch[kept] = v;
            kept += usize::from(v < q);
        }
        filled += kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn distributions_have_the_expected_moments() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let n = 1 << 16;
        let e = gaussian(n, &mut rng);
        let mean = e.iter().sum::<i64>() as f64 / n as f64;
        let var = e.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - SIGMA).abs() < 0.05, "sigma {}", var.sqrt());
        assert!(e.iter().all(|x| x.abs() <= GAUSSIAN_BOUND));

        let t = ternary(n, &mut rng);
        for v in -1..=1 {
            let frac = t.iter().filter(|&&x| x == v).count() as f64 / n as f64;
            assert!((frac - 1.0 / 3.0).abs() < 0.01, "ternary P({v}) = {frac}");
        }
        let h = hamming_weight(n, 192, &mut rng);
        assert_eq!(h.iter().filter(|&&x| x != 0).count(), 192);

        let m = Modulus::new(1_152_921_504_606_748_673);
        let mut u = vec![0; n];
        uniform_into(&m, &mut rng, &mut u);
        assert!(u.iter().all(|&x| x < m.value()));
        let top = u.iter().filter(|&&x| x > m.value() / 2).count() as f64 / n as f64;
        assert!((top - 0.5).abs() < 0.01);
    }

    /// The batched samplers return what one draw per attempt would, and
    /// leave the generator at the same place: the seeded expansions of
    /// stored keys and ciphertexts depend on it.
    #[test]
    fn batched_draws_match_one_draw_at_a_time() {
        let seed = crate::testing::test_seed();
        // 65537 rejects almost half of the 17-bit draws; the 60-bit prime
        // almost none.
        for q in [65_537u64, 1_152_921_504_606_748_673] {
            let m = Modulus::new(q);
            let mask = u64::MAX >> q.leading_zeros();
            let mut a = ChaCha20Rng::seed_from_u64(seed);
            let mut b = a.clone();
            for n in [0usize, 1, 7, 1000, 8192] {
                let mut got = vec![0; n];
                uniform_into(&m, &mut a, &mut got);
                let want: Vec<u64> = (0..n)
                    .map(|_| loop {
                        let v = b.next_u64() & mask;
                        if v < q {
                            break v;
                        }
                    })
                    .collect();
                assert_eq!(got, want, "uniform mod {q}, n = {n}");
                assert_eq!(a.next_u64(), b.next_u64(), "stream after uniform mod {q}");
            }
        }
        let cdt = gaussian_cdt().map(|c| c >> 1);
        let mut a = ChaCha20Rng::seed_from_u64(seed);
        let mut b = a.clone();
        for n in [0usize, 1, 9, 8192] {
            let got = gaussian(n, &mut a);
            let want: Vec<i64> = (0..n)
                .map(|_| {
                    let r = b.next_u64();
                    let u = r & (u64::MAX >> 1);
                    let mag = cdt.iter().filter(|&&c| u > c).count() as i64;
                    if r >> 63 == 1 {
                        -mag
                    } else {
                        mag
                    }
                })
                .collect();
            assert_eq!(got, want, "gaussian, n = {n}");
            assert_eq!(a.next_u64(), b.next_u64(), "stream after gaussian");
        }
        // Every version of the table scan the CPU runs agrees with the
        // portable one (the dispatch above used the widest).
        let draws: Vec<u64> = (0..1000).map(|_| a.next_u64()).collect();
        let mut want = vec![0; draws.len()];
        magnitudes_generic(&cdt, &draws, &mut want);
        #[cfg(target_arch = "x86_64")]
        {
            let mut got = vec![0; draws.len()];
            if is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                unsafe { magnitudes_avx2(&cdt, &draws, &mut got) };
                assert_eq!(got, want, "AVX2 table scan");
            }
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl") {
                // SAFETY: the CPU has AVX-512F/VL, checked just above.
                unsafe { magnitudes_avx512(&cdt, &draws, &mut got) };
                assert_eq!(got, want, "AVX-512 table scan");
            }
        }
    }
}
