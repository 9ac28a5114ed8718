//! Named parameter sets.

use super::spec::{ParamsSpec, SecretDistribution, Security};

impl ParamsSpec {
    /// Names accepted by [`ParamsSpec::preset`].
    pub const PRESETS: [&'static str; 4] = ["seed", "depth3", "n16k", "toy"];

    /// `N = 8192`, primes `[60, 40, 40]` + one 60-bit special prime, scale
    /// `2^40`: 200 bits, depth 2, 128-bit secure. The context of the
    /// published TenSEAL breast-cancer study.
    #[must_use]
    pub fn seed() -> Self {
        Self {
            log_n: 13,
            log_q: vec![60, 40, 40],
            log_p: vec![60],
            log_scale: 40,
            secret: SecretDistribution::Ternary,
            security: Security::Classical128,
        }
    }

    /// `N = 8192`, `[49, 40, 40, 40]` + a 49-bit special prime: 218 bits,
    /// depth 3, every prime below `2^50`.
    #[must_use]
    pub fn depth3() -> Self {
        Self {
            log_n: 13,
            log_q: vec![49, 40, 40, 40],
            log_p: vec![49],
            log_scale: 40,
            secret: SecretDistribution::Ternary,
            security: Security::Classical128,
        }
    }

    /// `N = 16384`, `[54, 40 × 7]` + two 52-bit special primes: 438 bits,
    /// depth 7 at scale `2^40`, four key-switching digits of two primes.
    #[must_use]
    pub fn n16k() -> Self {
        Self {
            log_n: 14,
            log_q: vec![54, 40, 40, 40, 40, 40, 40, 40],
            log_p: vec![52, 52],
            log_scale: 40,
            secret: SecretDistribution::Ternary,
            security: Security::Classical128,
        }
    }

    /// `N = 4096`, `[29, 25, 25]` + a 30-bit special prime: 109 bits, depth 2
    /// at scale `2^25` (about 10–13 bits of precision, results below 8 in
    /// magnitude). For fast tests.
    #[must_use]
    pub fn toy() -> Self {
        Self {
            log_n: 12,
            log_q: vec![29, 25, 25],
            log_p: vec![30],
            log_scale: 25,
            secret: SecretDistribution::Ternary,
            security: Security::Classical128,
        }
    }

    /// The preset called `name` (see [`ParamsSpec::PRESETS`]).
    #[must_use]
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "seed" => Some(Self::seed()),
            "depth3" => Some(Self::depth3()),
            "n16k" => Some(Self::n16k()),
            "toy" => Some(Self::toy()),
            _ => None,
        }
    }
}
