//! Ciphertexts: degree 1 (`(c0, c1)`, decrypting as `c0 + c1·s`), degree 2
//! (the product of two, before relinearization) and the seeded form of a
//! secret-key ciphertext.

use crate::math::poly::{Eval, RnsPoly};
use crate::meta::Scale;

/// A ciphertext `(c0, c1)` over `Q_ℓ`, NTT form: `c0 + c1·s ≈ Δ·m`.
#[derive(Clone, Debug)]
pub struct Ciphertext {
    pub(crate) c0: RnsPoly<Eval>,
    pub(crate) c1: RnsPoly<Eval>,
    pub(crate) scale: Scale,
    pub(crate) params_id: u64,
}

/// The product of two ciphertexts, `(d0, d1, d2)` with
/// `d0 + d1·s + d2·s² ≈ Δ_a·Δ_b·m_a·m_b`. Relinearize it to get a
/// [`Ciphertext`].
#[derive(Clone, Debug)]
pub struct Ciphertext2 {
    pub(crate) d0: RnsPoly<Eval>,
    pub(crate) d1: RnsPoly<Eval>,
    pub(crate) d2: RnsPoly<Eval>,
    pub(crate) scale: Scale,
    pub(crate) params_id: u64,
}

/// A secret-key ciphertext whose uniform half `c1` is replaced by the 32-byte
/// seed it was expanded from: half the size on the wire.
#[derive(Clone, Debug)]
pub struct SeededCiphertext {
    pub(crate) c0: RnsPoly<Eval>,
    pub(crate) seed: [u8; 32],
    pub(crate) scale: Scale,
    pub(crate) params_id: u64,
}

macro_rules! common_accessors {
    ($t:ty, $first:ident) => {
        impl $t {
            /// Level `ℓ`: the number of primes is `ℓ + 1`.
            #[must_use]
            pub fn level(&self) -> usize {
                self.$first.basis().q - 1
            }

            /// The scale `Δ`.
            #[must_use]
            pub fn scale(&self) -> Scale {
                self.scale
            }

            /// Id of the parameters it was made under.
            #[must_use]
            pub fn params_id(&self) -> u64 {
                self.params_id
            }
        }
    };
}

common_accessors!(Ciphertext, c0);
common_accessors!(Ciphertext2, d0);
common_accessors!(SeededCiphertext, c0);

impl Ciphertext {
    /// The two components `(c0, c1)`, NTT form.
    #[must_use]
    pub fn parts(&self) -> (&RnsPoly<Eval>, &RnsPoly<Eval>) {
        (&self.c0, &self.c1)
    }
}
