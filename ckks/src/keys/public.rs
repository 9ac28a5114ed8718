//! The public key.

use crate::math::poly::{Eval, RnsPoly};

/// `(b, a) = (−a·s + e, a)` over `QP`; `a` is expanded from `seed`.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub(crate) b: RnsPoly<Eval>,
    pub(crate) a: RnsPoly<Eval>,
    pub(crate) seed: [u8; 32],
    pub(crate) params_id: u64,
}

impl PublicKey {
    /// Id of the parameters it was made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}
