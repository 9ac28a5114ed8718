//! Addition, subtraction and negation; products with scalars.

use super::Evaluator;
use crate::ciphertext::Ciphertext;
use crate::error::{Error, Result};
use crate::math::poly::RnsPoly;
use crate::math::rns::Basis;
use crate::meta::Scale;
use crate::plaintext::Plaintext;

impl Evaluator {
    /// `a + b`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`], [`Error::LevelMismatch`], [`Error::ScaleMismatch`].
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        self.check_pair("add", a, b)?;
        let rns = self.params.rns();
        // Into new memory in one pass per limb (no copy of `a` first).
        Ok(Ciphertext {
            c0: RnsPoly::sum(rns, &a.c0, &b.c0),
            c1: RnsPoly::sum(rns, &a.c1, &b.c1),
            scale: a.scale,
            params_id: a.params_id,
        })
    }

    /// `a += b`.
    ///
    /// # Errors
    /// As [`Self::add`].
    pub fn add_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check_pair("add", a, b)?;
        let rns = self.params.rns();
        a.c0.add_assign(rns, &b.c0);
        a.c1.add_assign(rns, &b.c1);
        Ok(())
    }

    /// `a − b`.
    ///
    /// # Errors
    /// As [`Self::add`].
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        self.check_pair("sub", a, b)?;
        let rns = self.params.rns();
        Ok(Ciphertext {
            c0: RnsPoly::difference(rns, &a.c0, &b.c0),
            c1: RnsPoly::difference(rns, &a.c1, &b.c1),
            scale: a.scale,
            params_id: a.params_id,
        })
    }

    /// `a −= b`.
    ///
    /// # Errors
    /// As [`Self::add`].
    pub fn sub_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check_pair("sub", a, b)?;
        let rns = self.params.rns();
        a.c0.sub_assign(rns, &b.c0);
        a.c1.sub_assign(rns, &b.c1);
        Ok(())
    }

    /// `−a`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`].
    pub fn negate(&self, a: &Ciphertext) -> Result<Ciphertext> {
        self.check("negate", a.params_id)?;
        let rns = self.params.rns();
        let mut c = a.clone();
        c.c0.neg_assign(rns);
        c.c1.neg_assign(rns);
        Ok(c)
    }

    fn check_plain(&self, op: &'static str, a: &Ciphertext, p: &Plaintext) -> Result<()> {
        self.check(op, a.params_id)?;
        self.check(op, p.params_id)?;
        Self::check_levels(op, a.level(), p.level())
    }

    /// `a + p`.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`], [`Error::LevelMismatch`], [`Error::ScaleMismatch`].
    pub fn add_plain(&self, a: &Ciphertext, p: &Plaintext) -> Result<Ciphertext> {
        self.check_plain("add_plain", a, p)?;
        Self::check_scales("add_plain", a.scale, p.scale)?;
        Ok(Ciphertext {
            c0: RnsPoly::sum(self.params.rns(), &a.c0, &p.poly),
            c1: a.c1.clone(),
            scale: a.scale,
            params_id: a.params_id,
        })
    }

    /// `a += p`.
    ///
    /// # Errors
    /// As [`Self::add_plain`].
    pub fn add_plain_assign(&self, a: &mut Ciphertext, p: &Plaintext) -> Result<()> {
        self.check_plain("add_plain", a, p)?;
        Self::check_scales("add_plain", a.scale, p.scale)?;
        a.c0.add_assign(self.params.rns(), &p.poly);
        Ok(())
    }

    /// `a − p`.
    ///
    /// # Errors
    /// As [`Self::add_plain`].
    pub fn sub_plain(&self, a: &Ciphertext, p: &Plaintext) -> Result<Ciphertext> {
        self.check_plain("sub_plain", a, p)?;
        Self::check_scales("sub_plain", a.scale, p.scale)?;
        Ok(Ciphertext {
            c0: RnsPoly::difference(self.params.rns(), &a.c0, &p.poly),
            c1: a.c1.clone(),
            scale: a.scale,
            params_id: a.params_id,
        })
    }

    /// Residues of `round(value)` in every prime of `Q_level`, or an error if
    /// it does not fit `Q_level / 2`.
    pub(super) fn constant_residues(
        &self,
        op: &'static str,
        value: f64,
        level: usize,
    ) -> Result<Vec<u64>> {
        if !value.is_finite() {
            return Err(Error::NotFinite {
                op,
                index: 0,
                value,
            });
        }
        let v = value.round();
        let log2_bound = self.params.log_q_at(level) - 1.0;
        if v != 0.0 && v.abs().log2() >= log2_bound {
            return Err(Error::ValueOutOfRange {
                op,
                log2_value: v.abs().log2(),
                log2_bound,
                level,
            });
        }
        let rns = self.params.rns();
        Ok((0..=level)
            .map(|i| rns.modulus(Basis::level(level), i).reduce_f64(v))
            .collect())
    }

    /// `a + c` in every slot (`c` real).
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`], [`Error::NotFinite`], [`Error::ValueOutOfRange`].
    pub fn add_const(&self, a: &Ciphertext, c: f64) -> Result<Ciphertext> {
        self.check("add_const", a.params_id)?;
        // The constant polynomial c·Δ has the same value at every root.
        let r = self.constant_residues("add_const", c * a.scale.value(), a.level())?;
        let mut out = a.clone();
        out.c0.add_scalar_assign(self.params.rns(), &r);
        Ok(out)
    }

    /// `a − c` in every slot (`c` real).
    ///
    /// # Errors
    /// As [`Self::add_const`].
    pub fn sub_const(&self, a: &Ciphertext, c: f64) -> Result<Ciphertext> {
        self.add_const(a, -c)
    }

    /// `a · c` in every slot for an integer `c`; the scale is unchanged.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`]; [`Error::Transparent`] for `c = 0`.
    pub fn mul_int(&self, a: &Ciphertext, c: i64) -> Result<Ciphertext> {
        self.check("mul_int", a.params_id)?;
        if c == 0 {
            return Err(Error::Transparent { op: "mul_int" });
        }
        let rns = self.params.rns();
        let basis = Basis::level(a.level());
        let r: Vec<u64> = (0..=a.level())
            .map(|i| rns.modulus(basis, i).reduce_i64(c))
            .collect();
        let mut out = a.clone();
        out.c0.mul_scalar_assign(rns, &r);
        out.c1.mul_scalar_assign(rns, &r);
        Ok(out)
    }

    /// `a · c` in every slot for a real `c`, encoded at the scale of the last
    /// prime `q_ℓ`: the result has scale `Δ·q_ℓ`, and [`Self::rescale`]
    /// brings it back to exactly `Δ`.
    ///
    /// # Errors
    /// [`Error::LevelExhausted`] at level 0 (the product could not be
    /// rescaled); [`Error::Transparent`] if `c` rounds to 0 at that scale;
    /// [`Error::NotFinite`], [`Error::ParamsMismatch`].
    pub fn mul_const(&self, a: &Ciphertext, c: f64) -> Result<Ciphertext> {
        self.check("mul_const", a.params_id)?;
        let level = a.level();
        if level == 0 {
            return Err(Error::LevelExhausted { op: "mul_const" });
        }
        let q_last = self.params.q_primes()[level] as f64;
        let v = (c * q_last).round();
        if v == 0.0 {
            return Err(Error::Transparent { op: "mul_const" });
        }
        let r = self.constant_residues("mul_const", v, level)?;
        let rns = self.params.rns();
        let mut out = a.clone();
        out.c0.mul_scalar_assign(rns, &r);
        out.c1.mul_scalar_assign(rns, &r);
        out.scale = a.scale.times(Scale::new(q_last));
        Ok(out)
    }
}
