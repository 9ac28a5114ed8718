//! Errors of data loading, training, model files and encrypted inference.

use std::path::PathBuf;

/// Everything the `ml` crate can refuse, naming the operation and values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The CSV reader could not parse a record (bad quoting, bad UTF-8).
    #[error("{path}:{line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line of the record.
        line: u64,
        /// What the reader said.
        message: String,
    },
    /// A file with no data rows.
    #[error("{path}: no data rows")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A header that lacks a required column.
    #[error("{path}: header has no column `{column}`")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: String,
    },
    /// A row with another number of fields than the header.
    #[error("{path}:{line}: {found} fields, the header has {expected}")]
    ColumnCount {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A feature value that is not a finite number.
    #[error("{path}:{line}: column `{column}`: `{value}` is not a finite number")]
    NotNumeric {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The text found.
        value: String,
    },
    /// A label outside the known ones.
    #[error(
        "{path}:{line}: column `{column}`: unknown label `{value}` (expected one of {expected})"
    )]
    UnknownLabel {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The text found.
        value: String,
        /// The accepted labels.
        expected: String,
    },
    /// A split file that does not match the data set.
    #[error("{path}: {reason}")]
    BadSplit {
        /// The split file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A feature name that the data set does not have.
    #[error("unknown feature `{name}` (the data set has: {known})")]
    UnknownFeature {
        /// The name asked for.
        name: String,
        /// The names available, comma-separated.
        known: String,
    },
    /// An argument outside what the operation accepts.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// Operation name.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A model file that is not valid JSON of the expected shape.
    #[error("{path}: not a model file: {message}")]
    ModelFormat {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A model file written by another format version.
    #[error("{path}: model format version {found}, this build reads {expected}")]
    ModelVersion {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Training did not converge.
    #[error("logistic regression did not converge in {iterations} iterations (gradient norm {gradient_norm:.3e})")]
    NotConverged {
        /// Iterations run.
        iterations: usize,
        /// Final gradient norm.
        gradient_norm: f64,
    },
    /// A key, query or answer file (or request body) that is malformed,
    /// truncated or altered.
    #[error("{origin}: {reason}")]
    BadFile {
        /// The file, or the request body.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A file of another kind than the step reads (a query where an answer
    /// is expected, say).
    #[error("{origin}: holds {found}, expected {expected}")]
    WrongKind {
        /// The file, or the request body.
        origin: String,
        /// Kind the step reads.
        expected: &'static str,
        /// Kind found.
        found: &'static str,
    },
    /// A secret key where only public material is accepted.
    #[error("{origin}: contains a secret key; refusing it (only the public bundle is ever sent)")]
    SecretKeyRefused {
        /// The file, or the request body.
        origin: String,
    },
    /// A file made for another model or under other parameters.
    #[error("{origin}: made for {what} {found}, this one is {expected}")]
    Mismatch {
        /// The file, or the request body.
        origin: String,
        /// `"model"` or `"parameters"`.
        what: &'static str,
        /// Id this side expects.
        expected: String,
        /// Id in the file.
        found: String,
    },
    /// A secret-key file others can read.
    #[error("{path}: secret key is readable by others (mode {mode:o}); run `chmod 600` on it")]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// An error of the CKKS layer.
    #[error(transparent)]
    Ckks(#[from] ckks::Error),
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
