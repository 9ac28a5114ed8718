//! Products: ciphertext × plaintext, ciphertext × ciphertext, and
//! relinearization.

use super::keyswitch::key_switch_add;
use super::Evaluator;
use crate::ciphertext::{Ciphertext, Ciphertext2};
use crate::error::{Error, Result};
use crate::keys::RelinKey;
use crate::math::poly::{Eval, RnsPoly};
use crate::meta::Scale;
use crate::plaintext::Plaintext;

impl Evaluator {
    /// `a ⊙ p`: slot-wise product, scale `Δ_a·Δ_p`. Rescale afterwards.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`], [`Error::LevelMismatch`];
    /// [`Error::Transparent`] if `p` is zero (the result would reveal nothing
    /// but would carry no mask).
    pub fn mul_plain(&self, a: &Ciphertext, p: &Plaintext) -> Result<Ciphertext> {
        self.check_mul_plain(a, p)?;
        let rns = self.params.rns();
        // Into new memory in one pass per limb (no copy of `a` first).
        Ok(Ciphertext {
            c0: RnsPoly::product(rns, &a.c0, &p.poly),
            c1: RnsPoly::product(rns, &a.c1, &p.poly),
            scale: a.scale.times(p.scale),
            params_id: a.params_id,
        })
    }

    /// `a ⊙= p`.
    ///
    /// # Errors
    /// As [`Self::mul_plain`].
    pub fn mul_plain_assign(&self, a: &mut Ciphertext, p: &Plaintext) -> Result<()> {
        self.check_mul_plain(a, p)?;
        let rns = self.params.rns();
        a.c0.mul_assign(rns, &p.poly);
        a.c1.mul_assign(rns, &p.poly);
        a.scale = a.scale.times(p.scale);
        Ok(())
    }

    /// The checks of a product with a plaintext, which must not be zero (the
    /// product would be a transparent encryption of zero).
    fn check_mul_plain(&self, a: &Ciphertext, p: &Plaintext) -> Result<()> {
        self.check_plain_pair("mul_plain", a, p)?;
        if p.poly.data().iter().all(|&x| x == 0) {
            return Err(Error::Transparent { op: "mul_plain" });
        }
        Ok(())
    }

    fn check_plain_pair(&self, op: &'static str, a: &Ciphertext, p: &Plaintext) -> Result<()> {
        self.check(op, a.params_id)?;
        self.check(op, p.params_id)?;
        Self::check_levels(op, a.level(), p.level())
    }

    /// `a · b` as a degree-2 ciphertext, scale `Δ_a·Δ_b`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`], [`Error::LevelMismatch`].
    pub fn mul(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext2> {
        self.check("mul", a.params_id)?;
        self.check("mul", b.params_id)?;
        Self::check_levels("mul", a.level(), b.level())?;
        let rns = self.params.rns();
        let [d0, d1, d2] = RnsPoly::tensor(rns, [&a.c0, &a.c1], [&b.c0, &b.c1]);
        Ok(Ciphertext2 {
            d0,
            d1,
            d2,
            scale: a.scale.times(b.scale),
            params_id: a.params_id,
        })
    }

    /// `a²` as a degree-2 ciphertext (one product fewer than [`Self::mul`]).
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`].
    pub fn square(&self, a: &Ciphertext) -> Result<Ciphertext2> {
        self.check("square", a.params_id)?;
        let rns = self.params.rns();
        let d0 = RnsPoly::product(rns, &a.c0, &a.c0);
        let mut d1 = RnsPoly::product(rns, &a.c0, &a.c1);
        let twice = d1.clone();
        d1.add_assign(rns, &twice);
        let d2 = RnsPoly::product(rns, &a.c1, &a.c1);
        Ok(Ciphertext2 {
            d0,
            d1,
            d2,
            scale: a.scale.times(a.scale),
            params_id: a.params_id,
        })
    }

    /// Back to degree 1: `(d0 + k0, d1 + k1)` with `k0 + k1·s ≈ d2·s²`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `c` or `rk` belong to other parameters.
    pub fn relinearize(&self, c: &Ciphertext2, rk: &RelinKey) -> Result<Ciphertext> {
        self.check("relinearize", c.params_id)?;
        self.check("relinearize", rk.0.params_id)?;
        Ok(self.relinearize_parts(c.d0.clone(), c.d1.clone(), &c.d2, c.scale, rk))
    }

    /// `(d0, d1) + key_switch(d2)`, reusing the first two polynomials.
    fn relinearize_parts(
        &self,
        mut c0: RnsPoly<Eval>,
        mut c1: RnsPoly<Eval>,
        d2: &RnsPoly<Eval>,
        scale: Scale,
        rk: &RelinKey,
    ) -> Ciphertext {
        let rns = self.params.rns();
        let d2_coeff = d2.to_coeff(rns);
        key_switch_add(&self.params, &d2_coeff, d2, &rk.0, &mut c0, &mut c1);
        Ciphertext {
            c0,
            c1,
            scale,
            params_id: self.params.id(),
        }
    }

    /// `relinearize(mul(a, b))`, without copying the product's first two
    /// polynomials.
    ///
    /// # Errors
    /// As [`Self::mul`] and [`Self::relinearize`].
    pub fn mul_relin(&self, a: &Ciphertext, b: &Ciphertext, rk: &RelinKey) -> Result<Ciphertext> {
        let d = self.mul(a, b)?;
        self.check("relinearize", rk.0.params_id)?;
        Ok(self.relinearize_parts(d.d0, d.d1, &d.d2, d.scale, rk))
    }
}
