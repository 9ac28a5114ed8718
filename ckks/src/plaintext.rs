//! Encoded, unencrypted messages.

use crate::math::poly::{Eval, RnsPoly};
use crate::meta::Scale;

/// An encoded message: a polynomial in NTT form over `Q_ℓ`, with its scale.
#[derive(Clone, Debug)]
pub struct Plaintext {
    pub(crate) poly: RnsPoly<Eval>,
    pub(crate) scale: Scale,
    pub(crate) params_id: u64,
}

impl Plaintext {
    /// Level `ℓ`: the plaintext has `ℓ + 1` primes.
    #[must_use]
    pub fn level(&self) -> usize {
        self.poly.basis().q - 1
    }

    /// The scale it was encoded at.
    #[must_use]
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Id of the parameters it was made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.params_id
    }

    /// The polynomial (NTT form).
    #[must_use]
    pub fn poly(&self) -> &RnsPoly<Eval> {
        &self.poly
    }
}
