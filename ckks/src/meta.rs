//! Scheme quantities with their own types.

use serde::{Deserialize, Serialize};

/// The scale `Δ` a plaintext or ciphertext is encoded at: slot values are
/// multiplied by `Δ` before rounding to integers. Tracked exactly through
/// products and rescales (`Δ_a·Δ_b`, `Δ/q_ℓ`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Scale(f64);

impl Scale {
    /// Relative difference below which two scales count as equal.
    pub const TOLERANCE: f64 = 1e-10;

    /// A scale of `value` (positive, finite).
    #[must_use]
    pub fn new(value: f64) -> Self {
        debug_assert!(value.is_finite() && value > 0.0);
        Self(value)
    }

    /// `2^log2`.
    #[must_use]
    pub fn from_log2(log2: f64) -> Self {
        Self(log2.exp2())
    }

    /// `Δ`.
    #[must_use]
    pub fn value(self) -> f64 {
        self.0
    }

    /// `log2 Δ`.
    #[must_use]
    pub fn log2(self) -> f64 {
        self.0.log2()
    }

    /// Whether the two scales agree to [`Self::TOLERANCE`].
    #[must_use]
    pub fn close_to(self, other: Self) -> bool {
        ((self.0 - other.0) / self.0).abs() < Self::TOLERANCE
    }

    /// `Δ_a · Δ_b`.
    #[must_use]
    pub fn times(self, other: Self) -> Self {
        Self(self.0 * other.0)
    }

    /// `Δ / d`.
    #[must_use]
    pub fn divided_by(self, d: f64) -> Self {
        Self(self.0 / d)
    }
}
