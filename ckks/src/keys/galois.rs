//! Galois keys: one switching key per automorphism `X ↦ X^g`.

use std::collections::BTreeMap;

use super::switching::SwitchingKey;
use crate::math::automorphism::{galois_element_conjugate, galois_element_for_step};

/// Switching keys from `s` to `σ_g^{-1}(s)`, by Galois element `g`: a
/// rotation switches `c1` with the key of `g` and then applies `σ_g` to
/// the result, which brings it back under `s` (`docs/key-switching.md`).
#[derive(Clone, Debug, Default)]
pub struct GaloisKeys {
    pub(crate) keys: BTreeMap<u64, SwitchingKey>,
    pub(crate) n: usize,
    pub(crate) params_id: u64,
}

impl GaloisKeys {
    /// The key for Galois element `g`, if present.
    #[must_use]
    pub fn get(&self, g: u64) -> Option<&SwitchingKey> {
        self.keys.get(&g)
    }

    /// Whether a rotation by `step` has its own key.
    #[must_use]
    pub fn has_step(&self, step: i64) -> bool {
        self.keys
            .contains_key(&galois_element_for_step(step, self.n))
    }

    /// Whether conjugation has a key.
    #[must_use]
    pub fn has_conjugation(&self) -> bool {
        self.keys.contains_key(&galois_element_conjugate(self.n))
    }

    /// The Galois elements present.
    pub fn elements(&self) -> impl Iterator<Item = u64> + '_ {
        self.keys.keys().copied()
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Id of the parameters they were made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}
