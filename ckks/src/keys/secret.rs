//! The secret key `s`.

use zeroize::Zeroize;

use crate::math::poly::{Eval, RnsPoly};
use crate::math::rns::RnsContext;

/// The secret key: small coefficients of `s` and `s` in NTT form over every
/// prime of `QP`. Zeroized on drop; `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SecretKey {
    /// Coefficients in `{−1, 0, 1}`.
    pub(crate) coeffs: Vec<i64>,
    /// `s` over `q_0 … q_L, p_0 … p_{k−1}`, NTT form.
    pub(crate) eval: RnsPoly<Eval>,
    pub(crate) params_id: u64,
}

impl SecretKey {
    /// Id of the parameters it was made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.params_id
    }

    /// `−s` in NTT form over `QP`, for key generation (`b = e + a·(−s)` is
    /// one multiply-add). The caller zeroizes it.
    pub(crate) fn negated(&self, rns: &RnsContext) -> RnsPoly<Eval> {
        let mut neg = self.eval.clone();
        neg.neg_assign(rns);
        neg
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.coeffs.zeroize();
        self.eval.zeroize();
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}
