//! [`ParamsSpec`]: the plain, editable description of a parameter set.

use serde::{Deserialize, Serialize};

pub use super::security::Security;

/// How the secret key is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecretDistribution {
    /// Uniform over `{−1, 0, 1}^N` (what the HE standard's table assumes).
    Ternary,
    /// Exactly `h` non-zero coefficients in `{−1, 1}`. Sparse secrets are not
    /// covered by the standard's table, so they need
    /// [`Security::InsecureResearch`].
    HammingWeight(u32),
}

/// A CKKS parameter set as a researcher writes it. Turn it into checked,
/// immutable [`crate::Params`] with [`crate::Params::new`].
///
/// ```
/// let mut spec = ckks::ParamsSpec::seed();
/// spec.log_q = vec![60, 40, 40, 40]; // one more level: 240 bits > 218
/// assert!(ckks::Params::new(&spec).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamsSpec {
    /// `log2 N`, the ring degree; `N/2` complex slots. From 10 to 16.
    pub log_n: u32,
    /// Bit sizes of the ciphertext primes `q_0, q_1, …, q_L`. `q_0` holds the
    /// result's integer part; the others are divided away by rescaling and
    /// should match `log_scale`.
    pub log_q: Vec<u32>,
    /// Bit sizes of the special primes `P` used only inside key switching.
    /// Their number `α` is the number of ciphertext primes per digit.
    pub log_p: Vec<u32>,
    /// `log2 Δ`, the default encoding scale.
    pub log_scale: u32,
    /// Distribution of the secret key.
    pub secret: SecretDistribution,
    /// The security level `log2(QP)` is checked against.
    pub security: Security,
}
