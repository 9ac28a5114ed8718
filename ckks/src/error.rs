//! The crate's one error type. Every variant that a caller can cause names the
//! operation and carries the offending values.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a caller, a file or a peer can get wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A [`crate::ParamsSpec`] that cannot be turned into parameters.
    #[error("params: {reason}")]
    InvalidParams {
        /// What is wrong, with the values.
        reason: String,
    },
    /// The modulus is too large for the requested security level.
    #[error(
        "params: log2(QP) = {log_qp} bits exceeds the {security} bound of {bound} bits for N = {n} \
         (set `security: InsecureResearch` in the spec to use it for research only)"
    )]
    InsecureParams {
        /// Total bits of all primes, ciphertext and special.
        log_qp: u32,
        /// The Homomorphic Encryption Standard bound.
        bound: u32,
        /// Ring degree.
        n: usize,
        /// The security level that was asked for.
        security: String,
    },
    /// Two operands were made under different parameters.
    #[error("{op}: object made under parameters {found:#018x}, expected {expected:#018x}")]
    ParamsMismatch {
        /// Operation name.
        op: &'static str,
        /// Id of the parameters this operation runs under.
        expected: u64,
        /// Id carried by the object.
        found: u64,
    },
    /// Two operands have different scales.
    #[error("{op}: scales differ (2^{lhs:.6} vs 2^{rhs:.6})")]
    ScaleMismatch {
        /// Operation name.
        op: &'static str,
        /// log2 of the left scale.
        lhs: f64,
        /// log2 of the right scale.
        rhs: f64,
    },
    /// Two operands are at different levels.
    #[error("{op}: levels differ ({lhs} vs {rhs}); drop the higher one with `drop_to_level`")]
    LevelMismatch {
        /// Operation name.
        op: &'static str,
        /// Level of the left operand.
        lhs: usize,
        /// Level of the right operand.
        rhs: usize,
    },
    /// No prime left to divide by.
    #[error("{op}: ciphertext is at level 0, no prime left to rescale by")]
    LevelExhausted {
        /// Operation name.
        op: &'static str,
    },
    /// An evaluation needs more levels than the ciphertext has left.
    #[error("{op}: needs {needed} levels, the ciphertext has {available}")]
    NotEnoughLevels {
        /// Operation name.
        op: &'static str,
        /// Levels the evaluation consumes.
        needed: usize,
        /// Level of the input ciphertext.
        available: usize,
    },
    /// A level outside `0..=max`, or above the operand's level.
    #[error("{op}: level {level} is not available (at most {max})")]
    InvalidLevel {
        /// Operation name.
        op: &'static str,
        /// Requested level.
        level: usize,
        /// Highest allowed level.
        max: usize,
    },
    /// A rotation for which neither its own key nor a composition of
    /// available keys exists.
    #[error("{op}: no Galois key serves rotation step {step} (galois element {galois})")]
    MissingGaloisKey {
        /// Operation name.
        op: &'static str,
        /// The rotation step (0 for conjugation).
        step: i64,
        /// The Galois element X -> X^galois.
        galois: u64,
    },
    /// More values than slots.
    #[error("{op}: {given} values do not fit in {slots} slots")]
    TooManyValues {
        /// Operation name.
        op: &'static str,
        /// Number of values given.
        given: usize,
        /// Number of slots.
        slots: usize,
    },
    /// A value whose scaled form does not fit the modulus.
    #[error(
        "{op}: scaled value of magnitude 2^{log2_value:.2} does not fit the modulus \
         (must stay below 2^{log2_bound:.2} at level {level})"
    )]
    ValueOutOfRange {
        /// Operation name.
        op: &'static str,
        /// log2 of the largest scaled coefficient.
        log2_value: f64,
        /// log2 of half the modulus at that level.
        log2_bound: f64,
        /// The level.
        level: usize,
    },
    /// A NaN or infinite input.
    #[error("{op}: value at index {index} is not finite ({value})")]
    NotFinite {
        /// Operation name.
        op: &'static str,
        /// Position of the first bad value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A ciphertext of the wrong degree for this operation.
    #[error("{op}: expected a ciphertext of degree {expected}, got degree {found}")]
    DegreeMismatch {
        /// Operation name.
        op: &'static str,
        /// Expected degree.
        expected: usize,
        /// Actual degree.
        found: usize,
    },
    /// An argument outside what the operation accepts.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// Operation name.
        op: &'static str,
        /// What is wrong, with the values.
        reason: String,
    },
    /// Serialized bytes that do not decode into a valid object.
    #[error("deserialize {what}: {reason}")]
    Deserialize {
        /// What was being loaded.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An environment variable set to a value it cannot take, such as
    /// [`crate::math::ntt::BACKEND_ENV`] naming no backend.
    #[error("{var}={value:?} {reason}")]
    InvalidEnvVar {
        /// The variable.
        var: &'static str,
        /// Its value (lossily decoded if it is not UTF-8).
        value: String,
        /// What is wrong with it and what the variable accepts.
        reason: &'static str,
    },
    /// Refusing to produce a ciphertext whose mask is zero (it would reveal
    /// the plaintext).
    #[error("{op}: result is transparent (c1 = 0) and would reveal the plaintext")]
    Transparent {
        /// Operation name.
        op: &'static str,
    },
}
