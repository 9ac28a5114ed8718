//! [`Encoder`]: complex or real vectors ⇄ [`Plaintext`].

use std::sync::Arc;

use super::embedding::Complex;
use crate::error::{Error, Result};
use crate::math::poly::{Coeff, RnsPoly};
use crate::math::rns::Basis;
use crate::meta::Scale;
use crate::params::Params;
use crate::plaintext::Plaintext;

/// Encodes and decodes under one parameter set.
#[derive(Clone, Debug)]
pub struct Encoder {
    params: Arc<Params>,
}

impl Encoder {
    /// An encoder for `params`.
    #[must_use]
    pub fn new(params: &Arc<Params>) -> Self {
        Self {
            params: Arc::clone(params),
        }
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &Arc<Params> {
        &self.params
    }

    /// Encodes up to `N/2` real values (zero-padded) at `level` and `scale`.
    ///
    /// # Errors
    /// [`Error::TooManyValues`], [`Error::NotFinite`], [`Error::InvalidLevel`],
    /// or [`Error::ValueOutOfRange`] when `Δ·value` does not fit `Q_level / 2`.
    pub fn encode(&self, values: &[f64], level: usize, scale: Scale) -> Result<Plaintext> {
        let slots = self.slots_from(values.len(), "encode", |i| Complex::new(values[i], 0.0))?;
        self.encode_slots(slots, level, scale, "encode")
    }

    /// Encodes up to `N/2` complex values (zero-padded).
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn encode_complex(
        &self,
        values: &[Complex],
        level: usize,
        scale: Scale,
    ) -> Result<Plaintext> {
        let slots = self.slots_from(values.len(), "encode", |i| values[i])?;
        self.encode_slots(slots, level, scale, "encode")
    }

    /// Encodes `values` repeated to fill every slot: slot `j` holds
    /// `values[j mod len]`. `len` must divide `N/2`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `len` is zero or does not divide the slot
    /// count; otherwise as [`Self::encode`].
    pub fn encode_replicated(
        &self,
        values: &[f64],
        level: usize,
        scale: Scale,
    ) -> Result<Plaintext> {
        let n = self.params.slots();
        if values.is_empty() || !n.is_multiple_of(values.len()) {
            return Err(Error::InvalidArgument {
                op: "encode_replicated",
                reason: format!("{} values do not divide {n} slots", values.len()),
            });
        }
        let slots = (0..n)
            .map(|j| Complex::new(values[j % values.len()], 0.0))
            .collect();
        self.encode_slots(slots, level, scale, "encode_replicated")
    }

    /// A constant in every slot, as a plaintext.
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn encode_constant(&self, value: Complex, level: usize, scale: Scale) -> Result<Plaintext> {
        self.encode_slots(
            vec![value; self.params.slots()],
            level,
            scale,
            "encode_constant",
        )
    }

    fn slots_from(
        &self,
        len: usize,
        op: &'static str,
        get: impl Fn(usize) -> Complex,
    ) -> Result<Vec<Complex>> {
        let n = self.params.slots();
        if len > n {
            return Err(Error::TooManyValues {
                op,
                given: len,
                slots: n,
            });
        }
        let mut v = vec![Complex::default(); n];
        for (i, s) in v.iter_mut().enumerate().take(len) {
            *s = get(i);
        }
        Ok(v)
    }

    /// Interpolates, scales, rounds and reduces into each prime of `level`.
    fn encode_slots(
        &self,
        mut slots: Vec<Complex>,
        level: usize,
        scale: Scale,
        op: &'static str,
    ) -> Result<Plaintext> {
        self.params.check_level(op, level)?;
        for (i, z) in slots.iter().enumerate() {
            if !z.re.is_finite() || !z.im.is_finite() {
                let value = if z.re.is_finite() { z.im } else { z.re };
                return Err(Error::NotFinite {
                    op,
                    index: i,
                    value,
                });
            }
        }
        let emb = self.params.embedding();
        emb.inverse(&mut slots);
        let half = slots.len();
        let delta = scale.value();
        let mut coeffs = vec![0f64; 2 * half];
        for (k, w) in slots.iter().enumerate() {
            coeffs[k] = (w.re * delta).round();
            coeffs[k + half] = (w.im * delta).round();
        }
        let max = coeffs.iter().fold(0f64, |m, c| m.max(c.abs()));
        let log2_bound = self.params.log_q_at(level) - 1.0;
        if !max.is_finite() || max.log2() >= log2_bound {
            return Err(Error::ValueOutOfRange {
                op,
                log2_value: max.log2(),
                log2_bound,
                level,
            });
        }
        let rns = self.params.rns();
        let basis = Basis::level(level);
        let mut poly = RnsPoly::<Coeff>::zero(rns, basis);
        let n = rns.n();
        let small = max < 9.2e18;
        for (i, limb) in poly.data_mut().chunks_exact_mut(n).enumerate() {
            let m = rns.modulus(basis, i);
            for (x, &c) in limb.iter_mut().zip(&coeffs) {
                *x = if small {
                    m.reduce_i64(c as i64)
                } else {
                    m.reduce_f64(c)
                };
            }
        }
        Ok(Plaintext {
            poly: poly.into_eval(rns),
            scale,
            params_id: self.params.id(),
        })
    }

    /// Decodes all `N/2` slots.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] if `pt` was made under other parameters.
    pub fn decode(&self, pt: &Plaintext) -> Result<Vec<Complex>> {
        self.params.check_id("decode", pt.params_id)?;
        let rns = self.params.rns();
        let coeff = pt.poly.to_coeff(rns);
        let n = rns.n();
        let limbs = coeff.num_limbs();
        let residues: Vec<&[u64]> = (0..limbs).map(|i| coeff.limb(i)).collect();
        let mut m = vec![0f64; n];
        self.params
            .crt()
            .centered_f64_limbs(&residues, 1.0 / pt.scale.value(), &mut m);
        let half = n / 2;
        let mut w: Vec<Complex> = (0..half).map(|k| Complex::new(m[k], m[k + half])).collect();
        self.params.embedding().forward(&mut w);
        Ok(w)
    }

    /// Decodes the real parts of all slots.
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_real(&self, pt: &Plaintext) -> Result<Vec<f64>> {
        Ok(self.decode(pt)?.into_iter().map(|z| z.re).collect())
    }
}
