//! [`KeyGenerator`]: draws the secret key and derives every other key from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::{CryptoRng, Rng, RngCore};
use rayon::prelude::*;

use super::galois::GaloisKeys;
use super::public::PublicKey;
use super::secret::SecretKey;
use super::switching::{expand_uniform, key_gaussian_eval, RelinKey, SwitchingKey};
use crate::error::Result;
use crate::math::automorphism::{
    galois_element_conjugate, galois_element_for_step, galois_element_inverse, EvalPermutation,
};
use crate::math::poly::{Coeff, Eval, RnsPoly};
use crate::math::rns::Basis;
use crate::math::sampling;
use crate::params::{Params, SecretDistribution};

/// Generates keys under one parameter set.
#[derive(Clone, Debug)]
pub struct KeyGenerator {
    params: Arc<Params>,
}

impl KeyGenerator {
    /// A generator for `params`.
    #[must_use]
    pub fn new(params: &Arc<Params>) -> Self {
        Self {
            params: Arc::clone(params),
        }
    }

    /// A fresh secret key, from the OS-seeded generator.
    #[must_use]
    pub fn secret_key(&self) -> SecretKey {
        self.secret_key_with_rng(&mut crate::rng::os_seeded())
    }

    /// A fresh secret key from `rng`.
    pub fn secret_key_with_rng<R: RngCore + CryptoRng>(&self, rng: &mut R) -> SecretKey {
        let n = self.params.n();
        let coeffs = match self.params.spec().secret {
            SecretDistribution::Ternary => sampling::ternary(n, rng),
            SecretDistribution::HammingWeight(h) => sampling::hamming_weight(n, h as usize, rng),
        };
        let rns = self.params.rns();
        let basis = Basis::level_with_p(self.params.max_level());
        let eval = RnsPoly::<Coeff>::from_signed(rns, basis, &coeffs).into_eval(rns);
        SecretKey {
            coeffs,
            eval,
            params_id: self.params.id(),
        }
    }

    /// The public key of `sk`, from the OS-seeded generator.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`](crate::Error::ParamsMismatch) if `sk` belongs to other parameters.
    pub fn public_key(&self, sk: &SecretKey) -> Result<PublicKey> {
        self.public_key_with_rng(sk, &mut crate::rng::os_seeded())
    }

    /// The public key `(−a·s + e, a)` over `Q_L·P`, from `rng`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`](crate::Error::ParamsMismatch) if `sk` belongs to other parameters.
    pub fn public_key_with_rng<R: RngCore + CryptoRng>(
        &self,
        sk: &SecretKey,
        rng: &mut R,
    ) -> Result<PublicKey> {
        self.params.check_id("public_key", sk.params_id)?;
        let rns = self.params.rns();
        let basis = Basis::level_with_p(self.params.max_level());
        let seed: [u8; 32] = rng.gen();
        let a = expand_uniform(&self.params, seed, basis, 1)
            .pop()
            .expect("one polynomial");
        let mut b = key_gaussian_eval(&self.params, basis, rng);
        b.sub_assign(rns, &RnsPoly::product(rns, &a, &sk.eval));
        Ok(PublicKey {
            b,
            a,
            seed,
            params_id: self.params.id(),
        })
    }

    /// The relinearization key of `sk`, from the OS-seeded generator.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`](crate::Error::ParamsMismatch) if `sk` belongs to other parameters.
    pub fn relin_key(&self, sk: &SecretKey) -> Result<RelinKey> {
        self.relin_key_with_rng(sk, &mut crate::rng::os_seeded())
    }

    /// The relinearization key (switches `s²` to `s`), from `rng`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`](crate::Error::ParamsMismatch) if `sk` belongs to other parameters.
    pub fn relin_key_with_rng<R: RngCore + CryptoRng>(
        &self,
        sk: &SecretKey,
        rng: &mut R,
    ) -> Result<RelinKey> {
        self.params.check_id("relin_key", sk.params_id)?;
        let mut s2 = RnsPoly::product(self.params.rns(), &sk.eval, &sk.eval);
        let mut neg_s = sk.negated(self.params.rns());
        let key = SwitchingKey::generate(&self.params, &neg_s, &s2, rng);
        s2.zeroize();
        neg_s.zeroize();
        Ok(RelinKey(key))
    }

    /// The default rotation steps: `±2^k` for every `2^k < N/2`.
    #[must_use]
    pub fn default_steps(&self) -> Vec<i64> {
        let slots = self.params.slots() as i64;
        let mut steps = Vec::new();
        let mut k = 1;
        while k < slots {
            steps.push(k);
            steps.push(-k);
            k <<= 1;
        }
        steps
    }

    /// Galois keys for `steps` (and conjugation if asked), from the
    /// OS-seeded generator.
    ///
    /// # Errors
    /// As [`Self::galois_keys_with_rng`].
    pub fn galois_keys(
        &self,
        sk: &SecretKey,
        steps: &[i64],
        conjugate: bool,
    ) -> Result<GaloisKeys> {
        self.galois_keys_with_rng(sk, steps, conjugate, &mut crate::rng::os_seeded())
    }

    /// Galois keys for the rotation `steps` (duplicates, and steps that are
    /// the identity, are skipped) and conjugation if `conjugate`. Keys are
    /// generated in parallel; each draws from its own generator seeded from
    /// `rng` in a fixed order, so the result does not depend on the number of
    /// threads.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`](crate::Error::ParamsMismatch) if `sk` belongs to other parameters.
    pub fn galois_keys_with_rng<R: RngCore + CryptoRng>(
        &self,
        sk: &SecretKey,
        steps: &[i64],
        conjugate: bool,
        rng: &mut R,
    ) -> Result<GaloisKeys> {
        self.params.check_id("galois_keys", sk.params_id)?;
        let n = self.params.n();
        let mut elements: Vec<u64> = steps
            .iter()
            .map(|&s| galois_element_for_step(s, n))
            .filter(|&g| g != 1)
            .collect();
        if conjugate {
            elements.push(galois_element_conjugate(n));
        }
        elements.sort_unstable();
        elements.dedup();
        let seeds: Vec<[u8; 32]> = elements.iter().map(|_| rng.gen()).collect();
        let mut neg_s = sk.negated(self.params.rns());
        let keys: BTreeMap<u64, SwitchingKey> = elements
            .par_iter()
            .zip(seeds.par_iter())
            .map(|(&g, &seed)| {
                let mut key_rng = crate::rng::from_seed(seed);
                // From `s` to `σ_g^{-1}(s)`: a rotation switches `c1` first
                // and applies `σ_g` to the result (`Evaluator::rotate`).
                let mut neg_s_g = self.automorphism_of(&neg_s, galois_element_inverse(g, n));
                let key = SwitchingKey::generate(&self.params, &neg_s_g, &sk.eval, &mut key_rng);
                neg_s_g.zeroize();
                (g, key)
            })
            .collect();
        neg_s.zeroize();
        Ok(GaloisKeys {
            keys,
            n,
            params_id: self.params.id(),
        })
    }

    /// `σ_g(s)` of a secret `s` in NTT form over `Q_L·P`.
    fn automorphism_of(&self, s: &RnsPoly<Eval>, g: u64) -> RnsPoly<Eval> {
        let rns = self.params.rns();
        EvalPermutation::new(rns.n(), g).apply(rns, s)
    }
}
