//! Homomorphic operations. The evaluator holds only public material (the
//! parameters); keys are passed to the operations that need them.

mod arith;
pub(crate) mod keyswitch;
mod mul;
mod poly;
mod rescale;
mod rotate;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::ciphertext::Ciphertext;
use crate::encoding::Encoder;
use crate::error::{Error, Result};
use crate::math::automorphism::EvalPermutation;
use crate::meta::Scale;
use crate::params::Params;

/// Evaluates operations on ciphertexts under one parameter set.
#[derive(Debug)]
pub struct Evaluator {
    params: Arc<Params>,
    encoder: Encoder,
    /// NTT-domain permutations of the automorphisms used so far.
    perms: RwLock<HashMap<u64, Arc<EvalPermutation>>>,
}

impl Evaluator {
    /// An evaluator for `params`.
    #[must_use]
    pub fn new(params: &Arc<Params>) -> Self {
        Self {
            params: Arc::clone(params),
            encoder: Encoder::new(params),
            perms: RwLock::default(),
        }
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &Arc<Params> {
        &self.params
    }

    fn check(&self, op: &'static str, id: u64) -> Result<()> {
        self.params.check_id(op, id)
    }

    fn check_levels(op: &'static str, a: usize, b: usize) -> Result<()> {
        if a == b {
            Ok(())
        } else {
            Err(Error::LevelMismatch { op, lhs: a, rhs: b })
        }
    }

    fn check_scales(op: &'static str, a: Scale, b: Scale) -> Result<()> {
        if a.close_to(b) {
            Ok(())
        } else {
            Err(Error::ScaleMismatch {
                op,
                lhs: a.log2(),
                rhs: b.log2(),
            })
        }
    }

    /// Same parameters, level and scale.
    fn check_pair(&self, op: &'static str, a: &Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check(op, a.params_id)?;
        self.check(op, b.params_id)?;
        Self::check_levels(op, a.level(), b.level())?;
        Self::check_scales(op, a.scale, b.scale)
    }
}
