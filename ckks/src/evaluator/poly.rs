//! Polynomials of a ciphertext, with every term brought to one exact scale.
//!
//! `p(z) = Σ c_i z^i` is evaluated term by term as `(c_i·z) · z^{i−1}`: the
//! constant is multiplied into `z` first (one level), so a term costs one
//! level more than the power it multiplies, and the constant's encoding
//! scale is chosen so that after the last rescale the term lands on the
//! target scale *exactly* (as tracked). All terms then share level and scale
//! and add without any scale mismatch. Depth for degree `d ≥ 2`:
//! `⌈log2(d − 1)⌉ + 1` (2 for degree 3, 3 for 5, 4 for 7).

use super::Evaluator;
use crate::ciphertext::Ciphertext;
use crate::error::{Error, Result};
use crate::keys::RelinKey;
use crate::meta::Scale;

/// Levels consumed by a power `z^i` built by repeated squaring and products
/// (`z^1` costs nothing).
fn power_depth(i: usize) -> usize {
    if i <= 1 {
        0
    } else {
        (usize::BITS - (i - 1).leading_zeros()) as usize
    }
}

/// Levels consumed by the term `c_i·z^i`.
fn term_depth(i: usize) -> usize {
    power_depth(i - 1).max(1) + usize::from(i >= 2)
}

impl Evaluator {
    /// `a · c` rescaled, with `c` encoded at the scale that makes the result
    /// exactly `target` after the rescale by the last prime. The encoded
    /// constant is `round(c · target · q_ℓ / Δ_a)`.
    ///
    /// # Errors
    /// [`Error::LevelExhausted`] at level 0; [`Error::Transparent`] if the
    /// constant rounds to 0; [`Error::NotFinite`], [`Error::ValueOutOfRange`],
    /// [`Error::ParamsMismatch`].
    pub fn mul_const_to_scale(&self, a: &Ciphertext, c: f64, target: Scale) -> Result<Ciphertext> {
        self.check("mul_const_to_scale", a.params_id)?;
        let level = a.level();
        if level == 0 {
            return Err(Error::LevelExhausted {
                op: "mul_const_to_scale",
            });
        }
        let q_last = self.params.q_primes()[level] as f64;
        let encode_scale = target.value() * q_last / a.scale.value();
        let v = (c * encode_scale).round();
        if v == 0.0 {
            return Err(Error::Transparent {
                op: "mul_const_to_scale",
            });
        }
        let r = self.constant_residues("mul_const_to_scale", v, level)?;
        let rns = self.params.rns();
        let mut out = a.clone();
        out.c0.mul_scalar_assign(rns, &r);
        out.c1.mul_scalar_assign(rns, &r);
        let mut out = self.rescale(&out)?;
        out.scale = target;
        Ok(out)
    }

    /// Levels [`Self::polynomial`] consumes for coefficients `coeffs`
    /// (`coeffs[i]` multiplies `z^i`; zero coefficients cost nothing).
    #[must_use]
    pub fn polynomial_depth(coeffs: &[f64]) -> usize {
        coeffs
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, &c)| c != 0.0)
            .map(|(i, _)| term_depth(i))
            .max()
            .unwrap_or(0)
    }

    /// `Σ_i coeffs[i] · a^i` in every slot, at the input's scale and
    /// [`Self::polynomial_depth`] levels lower.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no coefficients or a non-finite one;
    /// [`Error::Transparent`] for a constant polynomial;
    /// [`Error::NotEnoughLevels`] if `a` is too low for the degree; as
    /// [`Self::mul`], [`Self::relinearize`], [`Self::add_const`].
    pub fn polynomial(&self, a: &Ciphertext, coeffs: &[f64], rk: &RelinKey) -> Result<Ciphertext> {
        const OP: &str = "polynomial";
        self.check(OP, a.params_id)?;
        if coeffs.is_empty() || coeffs.iter().any(|c| !c.is_finite()) {
            return Err(Error::InvalidArgument {
                op: OP,
                reason: format!("coefficients must be finite and non-empty, got {coeffs:?}"),
            });
        }
        if coeffs[1..].iter().all(|&c| c == 0.0) {
            // The result would not depend on `a`: only a transparent
            // ciphertext (c1 = 0) could carry it.
            return Err(Error::Transparent { op: OP });
        }
        let depth = Self::polynomial_depth(coeffs);
        if depth > a.level() {
            return Err(Error::NotEnoughLevels {
                op: OP,
                needed: depth,
                available: a.level(),
            });
        }
        let target = a.scale;
        let out_level = a.level() - depth;
        let degree = coeffs.len() - 1;

        // powers[i] = a^i for the i that some term multiplies by (i ≤ d − 1).
        let mut powers: Vec<Option<Ciphertext>> = vec![None; degree.max(2)];
        powers[1] = Some(a.clone());
        for i in 2..degree {
            // a^i = a^h · a^(i−h) with h the largest power of two below i.
            let h = 1 << (usize::BITS - 1 - (i - 1).leading_zeros());
            let (x, y) = (powers[h].clone(), powers[i - h].clone());
            let (x, y) = (x.expect("built earlier"), y.expect("built earlier"));
            let lvl = x.level().min(y.level());
            let x = self.drop_to_level(&x, lvl)?;
            let y = self.drop_to_level(&y, lvl)?;
            powers[i] = Some(self.rescale(&self.mul_relin(&x, &y, rk)?)?);
        }

        let mut acc: Option<Ciphertext> = None;
        for (i, &c) in coeffs.iter().enumerate().skip(1) {
            if c == 0.0 {
                continue;
            }
            let term = if i == 1 {
                self.mul_const_to_scale(a, c, target)?
            } else {
                let p = powers[i - 1].as_ref().expect("built above");
                // (c·a) · a^(i−1): choose the scale of c·a so that the
                // product, rescaled by q_lvl, lands exactly on `target`.
                let lvl = (a.level() - 1).min(p.level());
                let q = self.params.q_primes()[lvl] as f64;
                let ca_scale = Scale::new(target.value() * q / p.scale.value());
                let ca = self.drop_to_level(&self.mul_const_to_scale(a, c, ca_scale)?, lvl)?;
                let p = self.drop_to_level(p, lvl)?;
                let mut t = self.rescale(&self.mul_relin(&ca, &p, rk)?)?;
                t.scale = target;
                t
            };
            let term = self.drop_to_level(&term, out_level)?;
            match acc.as_mut() {
                None => acc = Some(term),
                Some(s) => self.add_assign(s, &term)?,
            }
        }
        let acc = acc.expect("a non-constant term, checked above");
        self.add_const(&acc, coeffs[0])
    }
}

#[cfg(test)]
mod tests {
    use super::{power_depth, term_depth};

    #[test]
    fn depths_match_the_documented_ones() {
        assert_eq!(
            (1..=8).map(power_depth).collect::<Vec<_>>(),
            [0, 1, 2, 2, 3, 3, 3, 3]
        );
        assert_eq!(
            (1..=7).map(term_depth).collect::<Vec<_>>(),
            [1, 2, 2, 3, 3, 4, 4]
        );
    }
}
