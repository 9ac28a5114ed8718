//! Helpers for tests and benchmarks: replayable seeds and precision in bits.

use crate::rng::ChaCha20;
use rand::SeedableRng;

use crate::encoding::Complex;

/// The seed for a randomized test: `CKKS_SEED` if set, else a fresh one.
/// Printed, so a failing run can be replayed with `CKKS_SEED=<seed>`.
#[must_use]
pub fn test_seed() -> u64 {
    let seed = std::env::var("CKKS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("CKKS_SEED={seed}");
    seed
}

/// A ChaCha20 generator from [`test_seed`].
#[must_use]
pub fn test_rng() -> ChaCha20 {
    ChaCha20::seed_from_u64(test_seed())
}

/// Precision of a result: `−log2` of the largest and of the mean absolute
/// error over the compared slots.
#[derive(Clone, Copy, Debug)]
pub struct Precision {
    /// Bits of the worst slot: `−log2 max |want − got|`.
    pub min_bits: f64,
    /// Bits of the average slot: `−log2 mean |want − got|`.
    pub mean_bits: f64,
    /// `max |want − got|`.
    pub max_error: f64,
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "min {:.2} bits, mean {:.2} bits (max error {:.3e})",
            self.min_bits, self.mean_bits, self.max_error
        )
    }
}

/// Compares `got` with `want` slot by slot (over `want.len()` slots).
///
/// # Panics
/// If `got` is shorter than `want`.
#[must_use]
pub fn precision(want: &[Complex], got: &[Complex]) -> Precision {
    assert!(
        got.len() >= want.len(),
        "precision: {} results for {} expected values",
        got.len(),
        want.len()
    );
    let errs: Vec<f64> = want.iter().zip(got).map(|(w, g)| (*w - *g).abs()).collect();
    let max = errs.iter().fold(0f64, |m, &e| m.max(e));
    let mean = errs.iter().sum::<f64>() / errs.len().max(1) as f64;
    Precision {
        min_bits: -max.log2(),
        mean_bits: -mean.log2(),
        max_error: max,
    }
}

/// As [`precision`] for real vectors.
#[must_use]
pub fn precision_real(want: &[f64], got: &[f64]) -> Precision {
    let w: Vec<Complex> = want.iter().map(|&x| Complex::new(x, 0.0)).collect();
    let g: Vec<Complex> = got.iter().map(|&x| Complex::new(x, 0.0)).collect();
    precision(&w, &g)
}
