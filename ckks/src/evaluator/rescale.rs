//! Rescaling and level dropping.

use super::Evaluator;
use crate::ciphertext::Ciphertext;
use crate::error::{Error, Result};
use crate::math::kernels::fill_limbs;
use crate::math::ntt::SubMulTarget;
use crate::math::par::for_each_limb;
use crate::math::poly::{Eval, RnsPoly};
use crate::math::rns::{Basis, RnsContext};
use crate::math::scratch::{with_scratch, Wipe};

/// `⌊c / q_ℓ⌉` over `Q_{ℓ−1}`: with `h = ⌊q_ℓ/2⌋`, the last limb shifted
/// to `r = [c + h]_{q_ℓ}` gives `r − h ≡ c (mod q_ℓ)` with
/// `r − h ∈ [−h, q_ℓ − h)`, so `(c − (r − h)) / q_ℓ = round(c / q_ℓ)`,
/// computed on each remaining prime as `(c_i − [r − h]_{q_i})·q_ℓ^{-1}`. The
/// correction `r − h ∈ [−h, h]` is the centred representative of the last
/// limb, which `NttPlan::forward_centered_sub_mul` reduces into each
/// remaining prime, takes to NTT form and subtracts and scales in one
/// transform.
fn rescale_poly(rns: &RnsContext, p: &RnsPoly<Eval>) -> RnsPoly<Eval> {
    let n = rns.n();
    let level = p.basis().q - 1;
    let basis = Basis::level(level);
    let q_last = rns.modulus(basis, level).value();
    let last = fill_limbs(n, 1, |_, slot| {
        slot.inverse_ntt(rns.plan(basis, level), p.limb(level))
    });
    let mut out = p.truncated(level - 1);
    // As ModDown's last step, with the last prime for P: the correction in
    // NTT form is subtracted and the difference scaled in the transform's
    // last pass, in a scratch buffer (the ciphertext is public: no wipe).
    for_each_limb(n, out.data_mut(), |i, limb| {
        with_scratch(n, Wipe::No, |buf| {
            let w = rns.rescale_inv(level, i);
            let target = SubMulTarget::InPlace(limb);
            rns.plan(basis, i)
                .forward_centered_sub_mul(buf, &last, q_last, w, target);
        });
    });
    out
}

impl Evaluator {
    /// Divides by the last prime: `c ↦ ⌊c / q_ℓ⌉`, so `Δ ↦ Δ / q_ℓ` and
    /// `ℓ ↦ ℓ − 1`. See \[CHKKS18\] in `docs/notation.md`.
    ///
    /// # Errors
    /// [`Error::LevelExhausted`] at level 0; [`Error::ParamsMismatch`].
    pub fn rescale(&self, a: &Ciphertext) -> Result<Ciphertext> {
        self.check("rescale", a.params_id)?;
        let level = a.level();
        if level == 0 {
            return Err(Error::LevelExhausted { op: "rescale" });
        }
        let rns = self.params.rns();
        let q_last = self.params.q_primes()[level] as f64;
        Ok(Ciphertext {
            c0: rescale_poly(rns, &a.c0),
            c1: rescale_poly(rns, &a.c1),
            scale: a.scale.divided_by(q_last),
            params_id: a.params_id,
        })
    }

    /// Drops primes down to `level` without dividing: the message and scale
    /// are unchanged, the modulus shrinks.
    ///
    /// # Errors
    /// [`Error::InvalidLevel`] if `level` is above the ciphertext's level;
    /// [`Error::ParamsMismatch`].
    pub fn drop_to_level(&self, a: &Ciphertext, level: usize) -> Result<Ciphertext> {
        self.check("drop_to_level", a.params_id)?;
        if level > a.level() {
            return Err(Error::InvalidLevel {
                op: "drop_to_level",
                level,
                max: a.level(),
            });
        }
        Ok(Ciphertext {
            c0: a.c0.truncated(level),
            c1: a.c1.truncated(level),
            scale: a.scale,
            params_id: a.params_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::poly::Coeff;
    use crate::params::{Params, ParamsSpec};

    #[test]
    fn rescale_divides_and_rounds() {
        let params = Params::new(&ParamsSpec::seed()).unwrap();
        let rns = params.rns();
        let q2 = params.q_primes()[2] as i64;
        // Small signed coefficients times q_2 plus offsets: the quotient is exact.
        let coeffs: Vec<i64> = (0..params.n() as i64)
            .map(|i| (i % 201 - 100) * q2 + (i % 7 - 3) * (q2 / 8))
            .collect();
        let p = RnsPoly::<Coeff>::from_signed(rns, Basis::level(2), &coeffs).into_eval(rns);
        let r = rescale_poly(rns, &p).into_coeff(rns);
        for (k, &c) in coeffs.iter().enumerate() {
            let want = (c as f64 / q2 as f64).round() as i64;
            for i in 0..2 {
                let m = rns.modulus(Basis::level(1), i);
                assert_eq!(m.center(r.limb(i)[k]), want, "coefficient {k} limb {i}");
            }
        }
    }
}
