//! Encryption, with the public key or the secret key.
//!
//! * Public key, at level `ℓ`: draw `v` ternary and `e0, e1` Gaussian, form
//!   `(v·b + e0, v·a + e1)` over `Q_ℓ·P`, divide by `P` (ModDown), add the
//!   message. Working over `Q_ℓ·P` and dividing by `P` shrinks the
//!   encryption noise `v·e + e0 + e1·s` to a rounding error of a few units,
//!   which is what makes fresh ciphertexts precise (see `docs/keys.md`).
//! * Secret key, at level `ℓ`: `(−a·s + e + m, a)` with `a` uniform,
//!   expanded from a 32-byte seed; the seeded form keeps only `c0` and the
//!   seed.

use rand::{CryptoRng, Rng, RngCore};

use crate::ciphertext::{Ciphertext, SeededCiphertext};
use crate::error::{Error, Result};
use crate::evaluator::keyswitch::mod_down;
use crate::keys::switching::{expand_uniform, gaussian_eval};
use crate::keys::{PublicKey, SecretKey};
use crate::math::poly::{Coeff, RnsPoly};
use crate::math::rns::Basis;
use crate::math::sampling;
use crate::math::scratch::Wipe;
use crate::params::Params;
use crate::plaintext::Plaintext;
use std::sync::Arc;

/// The key an [`Encryptor`] encrypts with.
#[derive(Clone, Copy, Debug)]
enum Key<'a> {
    Public(&'a PublicKey),
    Secret(&'a SecretKey),
}

/// Encrypts plaintexts at their own level.
#[derive(Clone, Debug)]
pub struct Encryptor<'a> {
    params: Arc<Params>,
    key: Key<'a>,
}

impl<'a> Encryptor<'a> {
    /// Public-key encryption.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `pk` belongs to other parameters.
    pub fn with_public_key(params: &Arc<Params>, pk: &'a PublicKey) -> Result<Self> {
        params.check_id("encryptor", pk.params_id)?;
        Ok(Self {
            params: Arc::clone(params),
            key: Key::Public(pk),
        })
    }

    /// Secret-key (symmetric) encryption; allows the seeded form.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `sk` belongs to other parameters.
    pub fn with_secret_key(params: &Arc<Params>, sk: &'a SecretKey) -> Result<Self> {
        params.check_id("encryptor", sk.params_id)?;
        Ok(Self {
            params: Arc::clone(params),
            key: Key::Secret(sk),
        })
    }

    /// Encrypts `pt` with the OS-seeded generator.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `pt` belongs to other parameters.
    pub fn encrypt(&self, pt: &Plaintext) -> Result<Ciphertext> {
        self.encrypt_with_rng(pt, &mut crate::rng::os_seeded())
    }

    /// Encrypts `pt` with randomness from `rng`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `pt` belongs to other parameters.
    pub fn encrypt_with_rng<R: RngCore + CryptoRng>(
        &self,
        pt: &Plaintext,
        rng: &mut R,
    ) -> Result<Ciphertext> {
        self.params.check_id("encrypt", pt.params_id)?;
        match self.key {
            Key::Public(pk) => Ok(self.encrypt_pk(pk, pt, rng)),
            Key::Secret(sk) => Ok(self.encrypt_sk(sk, pt, rng).expand(&self.params)),
        }
    }

    /// Secret-key encryption in seeded form, with the OS-seeded generator.
    ///
    /// # Errors
    /// As [`Self::encrypt_seeded_with_rng`].
    pub fn encrypt_seeded(&self, pt: &Plaintext) -> Result<SeededCiphertext> {
        self.encrypt_seeded_with_rng(pt, &mut crate::rng::os_seeded())
    }

    /// Secret-key encryption in seeded form.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a public-key encryptor (its mask is not
    /// uniform, so it cannot be replaced by a seed);
    /// [`Error::ParamsMismatch`] if `pt` belongs to other parameters.
    pub fn encrypt_seeded_with_rng<R: RngCore + CryptoRng>(
        &self,
        pt: &Plaintext,
        rng: &mut R,
    ) -> Result<SeededCiphertext> {
        self.params.check_id("encrypt_seeded", pt.params_id)?;
        match self.key {
            Key::Secret(sk) => Ok(self.encrypt_sk(sk, pt, rng)),
            Key::Public(_) => Err(Error::InvalidArgument {
                op: "encrypt_seeded",
                reason: "only secret-key encryption has a seeded form".into(),
            }),
        }
    }

    fn encrypt_pk<R: RngCore + CryptoRng>(
        &self,
        pk: &PublicKey,
        pt: &Plaintext,
        rng: &mut R,
    ) -> Ciphertext {
        let params = &self.params;
        let rns = params.rns();
        let level = pt.level();
        let ext = Basis::level_with_p(level);
        let b = pk.b.restricted_with_p(rns, level);
        let a = pk.a.restricted_with_p(rns, level);
        let v = sampling::ternary(params.n(), rng);
        let v = RnsPoly::<Coeff>::from_signed(rns, ext, &v).into_eval(rns);
        let mut c0 = gaussian_eval(params, ext, rng);
        let mut c1 = gaussian_eval(params, ext, rng);
        c0.mul_add_assign(rns, &v, &b);
        c1.mul_add_assign(rns, &v, &a);
        // [x]_P of u·pk + e is not public: the scratch is wiped.
        let mut c0 = mod_down(rns, c0, Wipe::Yes);
        let c1 = mod_down(rns, c1, Wipe::Yes);
        c0.add_assign(rns, &pt.poly);
        Ciphertext {
            c0,
            c1,
            scale: pt.scale,
            params_id: params.id(),
        }
    }

    fn encrypt_sk<R: RngCore + CryptoRng>(
        &self,
        sk: &SecretKey,
        pt: &Plaintext,
        rng: &mut R,
    ) -> SeededCiphertext {
        let params = &self.params;
        let rns = params.rns();
        let level = pt.level();
        let basis = Basis::level(level);
        let seed: [u8; 32] = rng.gen();
        let a = expand_uniform(params, seed, basis, 1)
            .pop()
            .expect("one polynomial");
        let s = sk.eval.truncated(level);
        let mut c0 = gaussian_eval(params, basis, rng);
        let mut as_ = RnsPoly::product(rns, &a, &s);
        c0.sub_assign(rns, &as_);
        as_.zeroize();
        c0.add_assign(rns, &pt.poly);
        SeededCiphertext {
            c0,
            seed,
            scale: pt.scale,
            params_id: params.id(),
        }
    }
}

impl SeededCiphertext {
    /// Regenerates `c1` from the seed.
    ///
    /// # Panics
    /// Never for a seeded ciphertext made or loaded under `params`; callers
    /// check the id first (loading does).
    #[must_use]
    pub fn expand(&self, params: &Params) -> Ciphertext {
        let c1 = expand_uniform(params, self.seed, self.c0.basis(), 1)
            .pop()
            .expect("one polynomial");
        Ciphertext {
            c0: self.c0.clone(),
            c1,
            scale: self.scale,
            params_id: self.params_id,
        }
    }
}
