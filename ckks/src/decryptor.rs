//! Decryption: `m = c0 + c1·s` over `Q_ℓ`.

use std::sync::Arc;

use crate::ciphertext::Ciphertext;
use crate::error::Result;
use crate::keys::SecretKey;
use crate::params::Params;
use crate::plaintext::Plaintext;

/// Decrypts with a secret key.
#[derive(Debug)]
pub struct Decryptor<'a> {
    params: Arc<Params>,
    sk: &'a SecretKey,
}

impl<'a> Decryptor<'a> {
    /// A decryptor for `sk`.
    ///
    /// # Errors
    /// [`crate::Error::ParamsMismatch`] if `sk` belongs to other parameters.
    pub fn new(params: &Arc<Params>, sk: &'a SecretKey) -> Result<Self> {
        params.check_id("decryptor", sk.params_id)?;
        Ok(Self {
            params: Arc::clone(params),
            sk,
        })
    }

    /// `c0 + c1·s` as a plaintext at the ciphertext's level and scale.
    ///
    /// # Errors
    /// [`crate::Error::ParamsMismatch`] if `ct` belongs to other parameters.
    pub fn decrypt(&self, ct: &Ciphertext) -> Result<Plaintext> {
        self.params.check_id("decrypt", ct.params_id)?;
        let rns = self.params.rns();
        let mut s = self.sk.eval.truncated(ct.level());
        let mut m = ct.c0.clone();
        m.mul_add_assign(rns, &ct.c1, &s);
        s.zeroize();
        Ok(Plaintext {
            poly: m,
            scale: ct.scale,
            params_id: ct.params_id,
        })
    }
}
