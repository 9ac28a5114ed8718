//! Encrypted inference: the patient encrypts standardized records, the
//! hospital computes logits (or a polynomial sigmoid of them) on the
//! ciphertexts, the patient decrypts.
//!
//! Three packings ([`Layout`]) of patients into the `N/2` slots:
//!
//! | layout | patients per ciphertext | hospital's work per ciphertext | Galois keys |
//! |---|---|---|---|
//! | [`Layout::PerPatient`] | 1 (features in slots `0..k`) | ct×pt, rescale, `log2 s` rotations | steps `1, 2, …, s/2` |
//! | [`Layout::Batched`] | `⌊N/2 / s⌋` (patient `j` in slots `j·s..j·s+k`) | the same, weights replicated per block | steps `1, 2, …, s/2` |
//! | [`Layout::FeatureMajor`] | `N/2`, one ciphertext per feature | `k` scalar products, one rescale | none |
//!
//! with `s` the stride, the next power of two ≥ `k` features. The roles are
//! types: a [`Patient`] holds the secret key and never hands it out; a
//! [`Hospital`] is built from [`EvaluationKeys`], which hold only Galois and
//! relinearization keys, so there is no way to give it a secret key.

mod hospital;
mod patient;
mod wire;

pub use hospital::Hospital;
pub use patient::Patient;
pub use wire::PublicBundle;

use std::fmt;
use std::str::FromStr;

use ckks::{Ciphertext, GaloisKeys, Params, RelinKey, SeededCiphertext, Wire};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sigmoid::SigmoidPoly;

/// How patients are packed into ciphertexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One patient per ciphertext (the published study's way).
    PerPatient,
    /// Many patients per ciphertext, one block of `stride` slots each.
    Batched,
    /// One ciphertext per feature, one patient per slot; no rotations.
    FeatureMajor,
}

impl Layout {
    /// All layouts, in report order.
    pub const ALL: [Self; 3] = [Self::PerPatient, Self::Batched, Self::FeatureMajor];

    /// The name used on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::PerPatient => "per-patient",
            Self::Batched => "batched",
            Self::FeatureMajor => "feature-major",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| Error::InvalidArgument {
                op: "layout",
                reason: format!("`{s}`: choose per-patient, batched or feature-major"),
            })
    }
}

/// What the hospital returns in each patient's slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// The logit `w·x + b`; the patient applies the exact sigmoid.
    Logit,
    /// A polynomial approximation of the sigmoid of the logit.
    Probability(SigmoidPoly),
}

/// Everything both parties must agree on: the layout, the number of
/// features and what is computed. It fixes the level queries are encrypted
/// at and the keys the hospital needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InferencePlan {
    /// Packing of patients.
    pub layout: Layout,
    /// Features per patient.
    pub n_features: usize,
    /// Logit or encrypted probability.
    pub output: Output,
}

impl InferencePlan {
    /// A plan returning logits.
    #[must_use]
    pub fn logits(layout: Layout, n_features: usize) -> Self {
        Self {
            layout,
            n_features,
            output: Output::Logit,
        }
    }

    /// Slots between consecutive patients (per-patient and batched).
    #[must_use]
    pub fn stride(&self) -> usize {
        self.n_features.next_power_of_two()
    }

    /// Rotation steps the hospital needs (and the only Galois keys made).
    #[must_use]
    pub fn rotation_steps(&self) -> Vec<i64> {
        match self.layout {
            Layout::FeatureMajor => Vec::new(),
            Layout::PerPatient | Layout::Batched => {
                let stride = self.stride();
                (0..stride.trailing_zeros()).map(|b| 1i64 << b).collect()
            }
        }
    }

    /// Whether a relinearization key is needed (only for the polynomial).
    #[must_use]
    pub fn needs_relin(&self) -> bool {
        matches!(self.output, Output::Probability(_))
    }

    /// Levels the hospital consumes: one for the weights, plus the
    /// polynomial's depth. Queries are encrypted at exactly this level,
    /// which keeps them as small as the model allows.
    #[must_use]
    pub fn input_level(&self) -> usize {
        1 + match &self.output {
            Output::Logit => 0,
            Output::Probability(p) => ckks::Evaluator::polynomial_depth(&p.coeffs),
        }
    }

    /// Patients one ciphertext (or, feature-major, one set of `k`
    /// ciphertexts) carries.
    #[must_use]
    pub fn patients_per_block(&self, params: &Params) -> usize {
        match self.layout {
            Layout::PerPatient => 1,
            Layout::Batched => params.slots() / self.stride(),
            Layout::FeatureMajor => params.slots(),
        }
    }

    /// Checks the plan fits `params`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no features, more features than
    /// slots, or a polynomial deeper than the parameters allow.
    pub fn check(&self, params: &Params) -> Result<()> {
        if self.n_features == 0 || self.stride() > params.slots() {
            return Err(Error::InvalidArgument {
                op: "inference plan",
                reason: format!(
                    "{} features do not fit {} slots",
                    self.n_features,
                    params.slots()
                ),
            });
        }
        if self.input_level() > params.max_level() {
            return Err(Error::InvalidArgument {
                op: "inference plan",
                reason: format!(
                    "needs {} levels ({}), the parameters have {}: choose a deeper preset",
                    self.input_level(),
                    match &self.output {
                        Output::Logit => "the weights".to_owned(),
                        Output::Probability(p) =>
                            format!("the weights and a degree-{} sigmoid", p.degree),
                    },
                    params.max_level()
                ),
            });
        }
        Ok(())
    }
}

/// The public keys a hospital evaluates with: Galois keys for the plan's
/// rotation steps and, for the polynomial sigmoid, a relinearization key.
/// Nothing here can decrypt.
#[derive(Clone, Debug)]
pub struct EvaluationKeys {
    pub(crate) galois: GaloisKeys,
    pub(crate) relin: Option<RelinKey>,
}

impl EvaluationKeys {
    /// Serialized size in bytes (seeded keys), as uploaded.
    #[must_use]
    pub fn byte_size(&self, params: &Params) -> usize {
        self.galois.to_bytes(params).len()
            + self.relin.as_ref().map_or(0, |r| r.to_bytes(params).len())
    }

    /// The Galois keys.
    #[must_use]
    pub fn galois(&self) -> &GaloisKeys {
        &self.galois
    }

    /// The relinearization key, if the plan needs one.
    #[must_use]
    pub fn relin(&self) -> Option<&RelinKey> {
        self.relin.as_ref()
    }
}

/// What a patient uploads: seeded ciphertexts at the plan's input level.
#[derive(Clone, Debug)]
pub struct Query {
    /// Patients in the query.
    pub n_patients: usize,
    /// Blocks of ciphertexts: per-patient and batched one ciphertext each,
    /// feature-major one per feature.
    pub blocks: Vec<Vec<SeededCiphertext>>,
}

impl Query {
    /// Serialized size in bytes, as uploaded.
    #[must_use]
    pub fn byte_size(&self, params: &Params) -> usize {
        self.blocks
            .iter()
            .flatten()
            .map(|c| c.to_bytes(params).len())
            .sum()
    }
}

/// What the hospital returns: one ciphertext per block of the query.
#[derive(Clone, Debug)]
pub struct Answer {
    /// Patients answered.
    pub n_patients: usize,
    /// One ciphertext per query block.
    pub blocks: Vec<Ciphertext>,
}

impl Answer {
    /// Serialized size in bytes, as downloaded.
    #[must_use]
    pub fn byte_size(&self, params: &Params) -> usize {
        self.blocks.iter().map(|c| c.to_bytes(params).len()).sum()
    }
}
