//! The hospital: owns the model and evaluation keys, never a secret key.

use std::sync::Arc;

use ckks::{Ciphertext, Encoder, Evaluator, Params, Plaintext, Scale};
use rayon::prelude::*;

use super::{Answer, EvaluationKeys, InferencePlan, Layout, Output, Query};
use crate::error::{Error, Result};
use crate::logreg::LogisticRegression;

/// The party that evaluates the model on ciphertexts. It is built from
/// [`EvaluationKeys`] and nothing else secret-shaped: there is no
/// constructor or field through which a secret key could reach it.
///
/// ```compile_fail
/// # use std::sync::Arc;
/// # let params = ckks::Params::new(&ckks::ParamsSpec::toy()).unwrap();
/// # let model = ml::LogisticRegression { weights: vec![1.0], bias: 0.0 };
/// # let plan = ml::encrypted::InferencePlan::logits(ml::encrypted::Layout::Batched, 1);
/// let sk = ckks::KeyGenerator::new(&params).secret_key();
/// // A secret key is not evaluation keys: this does not compile.
/// let h = ml::encrypted::Hospital::new(&params, &model, &plan, sk);
/// ```
#[derive(Debug)]
pub struct Hospital {
    params: Arc<Params>,
    classifier: LogisticRegression,
    plan: InferencePlan,
    keys: EvaluationKeys,
    evaluator: Evaluator,
    /// The weights encoded once, for the rotating layouts.
    weights_pt: Option<Plaintext>,
}

impl Hospital {
    /// A hospital evaluating `classifier` under `plan` with `keys`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the classifier's width differs from the
    /// plan's, or the keys lack a rotation step or the relinearization key
    /// the plan needs; [`ckks::Error::ParamsMismatch`] for keys made under
    /// other parameters; as [`InferencePlan::check`].
    pub fn new(
        params: &Arc<Params>,
        classifier: &LogisticRegression,
        plan: &InferencePlan,
        keys: EvaluationKeys,
    ) -> Result<Self> {
        plan.check(params)?;
        if classifier.weights.len() != plan.n_features
            || classifier.weights.iter().any(|w| !w.is_finite())
        {
            return Err(Error::InvalidArgument {
                op: "Hospital::new",
                reason: format!(
                    "{} weights for a plan of {} features",
                    classifier.weights.len(),
                    plan.n_features
                ),
            });
        }
        params.check_id("Hospital::new", keys.galois.params_id())?;
        if let Some(step) = plan
            .rotation_steps()
            .into_iter()
            .find(|&s| !keys.galois.has_step(s))
        {
            return Err(Error::InvalidArgument {
                op: "Hospital::new",
                reason: format!(
                    "the evaluation keys have no Galois key for rotation step {step}, which the {} layout needs",
                    plan.layout
                ),
            });
        }
        match (&keys.relin, plan.needs_relin()) {
            (None, true) => {
                return Err(Error::InvalidArgument {
                    op: "Hospital::new",
                    reason: "the encrypted sigmoid needs a relinearization key".into(),
                })
            }
            (Some(rk), _) => params.check_id("Hospital::new", rk.params_id())?,
            (None, false) => {}
        }
        let level = plan.input_level();
        // Weights at the scale of the prime the product is rescaled by, so
        // the logit comes out at exactly the query's scale.
        let w_scale = Scale::new(params.q_primes()[level] as f64);
        let mut padded = classifier.weights.clone();
        padded.resize(plan.stride(), 0.0);
        let encoder = Encoder::new(params);
        let weights_pt = match plan.layout {
            Layout::PerPatient => Some(encoder.encode(&padded, level, w_scale)?),
            Layout::Batched => Some(encoder.encode_replicated(&padded, level, w_scale)?),
            Layout::FeatureMajor => None,
        };
        Ok(Self {
            params: Arc::clone(params),
            classifier: classifier.clone(),
            plan: plan.clone(),
            keys,
            evaluator: Evaluator::new(params),
            weights_pt,
        })
    }

    /// The plan it evaluates.
    #[must_use]
    pub fn plan(&self) -> &InferencePlan {
        &self.plan
    }

    /// Evaluates the model on every block of `query`, in parallel.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a query whose shape or level does not
    /// match the plan; [`ckks::Error::ParamsMismatch`] for ciphertexts made
    /// under other parameters.
    pub fn infer(&self, query: &Query) -> Result<Answer> {
        let per_block = self.plan.patients_per_block(&self.params);
        let expected = query.n_patients.div_ceil(per_block);
        let width = match self.plan.layout {
            Layout::FeatureMajor => self.plan.n_features,
            Layout::PerPatient | Layout::Batched => 1,
        };
        if query.n_patients == 0
            || query.blocks.len() != expected
            || query.blocks.iter().any(|b| b.len() != width)
        {
            return Err(Error::InvalidArgument {
                op: "Hospital::infer",
                reason: format!(
                    "{} blocks for {} patients; the {} layout expects {expected} blocks of {width} ciphertexts",
                    query.blocks.len(),
                    query.n_patients,
                    self.plan.layout
                ),
            });
        }
        let level = self.plan.input_level();
        for ct in query.blocks.iter().flatten() {
            self.params.check_id("Hospital::infer", ct.params_id())?;
            if ct.level() != level {
                return Err(Error::InvalidArgument {
                    op: "Hospital::infer",
                    reason: format!(
                        "a query ciphertext is at level {}, the plan encrypts at {level}",
                        ct.level()
                    ),
                });
            }
        }
        let blocks = query
            .blocks
            .par_iter()
            .map(|block| {
                let cts: Vec<Ciphertext> = block.iter().map(|c| c.expand(&self.params)).collect();
                self.evaluate_block(&cts)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Answer {
            n_patients: query.n_patients,
            blocks,
        })
    }

    fn evaluate_block(&self, cts: &[Ciphertext]) -> Result<Ciphertext> {
        let ev = &self.evaluator;
        let logit = match self.plan.layout {
            Layout::PerPatient | Layout::Batched => {
                let w = self.weights_pt.as_ref().expect("made for rotating layouts");
                let prod = ev.rescale(&ev.mul_plain(&cts[0], w)?)?;
                ev.sum_slots(&prod, self.plan.stride(), &self.keys.galois)?
            }
            Layout::FeatureMajor => {
                let q_last = self.params.q_primes()[cts[0].level()] as f64;
                let mut acc: Option<Ciphertext> = None;
                for (ct, &w) in cts.iter().zip(&self.classifier.weights) {
                    // A weight that rounds to 0 at scale q_ℓ contributes
                    // nothing (and its product would be transparent).
                    if (w * q_last).round() == 0.0 {
                        continue;
                    }
                    let t = ev.mul_const(ct, w)?;
                    match acc.as_mut() {
                        None => acc = Some(t),
                        Some(a) => ev.add_assign(a, &t)?,
                    }
                }
                let acc = acc.ok_or(Error::InvalidArgument {
                    op: "Hospital::infer",
                    reason: "every weight is zero".into(),
                })?;
                ev.rescale(&acc)?
            }
        };
        let logit = ev.add_const(&logit, self.classifier.bias)?;
        Ok(match &self.plan.output {
            Output::Logit => logit,
            Output::Probability(p) => ev.polynomial(
                &logit,
                &p.coeffs,
                self.keys.relin.as_ref().expect("checked in new"),
            )?,
        })
    }
}
