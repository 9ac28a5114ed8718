//! Samplers for secrets, errors and uniform masks.
//!
//! All take the random source as an argument: a `ChaCha20Rng` seeded by the
//! OS in normal use, a seeded one in tests.
//!
//! Timing: the ternary, Hamming-weight and Gaussian samplers do not branch on
//! the values they produce except where noted; the uniform sampler rejects
//! out-of-range draws, which leaks only how many draws were rejected.

use rand::{CryptoRng, Rng, RngCore};

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

/// Cumulative table of `|e|` for the discrete Gaussian `ρ(x) ∝ exp(−x²/2σ²)`
/// on `[−19, 19]`: `cdt[k] = ⌊2^64 · P(|e| ≤ k)⌋`.
fn gaussian_cdt() -> [u64; GAUSSIAN_BOUND as usize + 1] {
    let rho = |x: f64| (-x * x / (2.0 * SIGMA * SIGMA)).exp();
    let total: f64 = (-GAUSSIAN_BOUND..=GAUSSIAN_BOUND)
        .map(|x| rho(x as f64))
        .sum();
    let mut cdt = [0u64; GAUSSIAN_BOUND as usize + 1];
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
/// found by a full scan of the cumulative table (no early exit), the sign by
/// one random bit of the same draw.
pub fn gaussian<R: RngCore + CryptoRng>(n: usize, rng: &mut R) -> Vec<i64> {
    // One 64-bit draw per sample: the top bit is the sign, the other 63
    // bits are compared with the table scaled to 2^63 (the table is
    // computed in f64, so no precision is lost by the shift).
    let cdt = gaussian_cdt().map(|c| c >> 1);
    (0..n)
        .map(|_| {
            let r = rng.next_u64();
            let u = r & (u64::MAX >> 1);
            let mag: i64 = cdt.iter().map(|&c| i64::from(u > c)).sum();
            let neg = (r >> 63) as i64;
            // sign = 1 − 2·neg, applied without a branch.
            mag * (1 - 2 * neg)
        })
        .collect()
}

/// Uniform residues mod `m` into `out`, by rejection from the next power of two.
pub fn uniform_into<R: RngCore>(m: &Modulus, rng: &mut R, out: &mut [u64]) {
    let q = m.value();
    let mask = u64::MAX >> q.leading_zeros();
    for o in out.iter_mut() {
        *o = loop {
            let v = rng.next_u64() & mask;
            if v < q {
                break v;
            }
        };
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
}
