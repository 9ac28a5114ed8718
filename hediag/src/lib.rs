//! `hediag`: encrypted breast-cancer diagnosis with CKKS.
//!
//! - [`demo`]: both parties in one process, timed and reported (what
//!   `cargo run --release` runs).
//! - [`parties`]: the patient and the hospital as separate command-line
//!   steps that share nothing but files.
//! - [`serve`]: the hospital's HTTP inference service; [`client`]: the
//!   patient's side of it.

pub mod client;
pub mod demo;
pub mod parties;
mod plot;
pub mod report;
pub mod serve;

use std::path::PathBuf;

/// Errors of the command-line steps, the service and the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Options that cannot work together (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Data, model, key, query or answer errors.
    #[error(transparent)]
    Ml(#[from] ml::Error),
    /// Scheme errors.
    #[error(transparent)]
    Ckks(#[from] ckks::Error),
    /// The demo's errors.
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    /// A file or directory that cannot be used as asked.
    #[error("{path}: {message}")]
    File {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The server could not be reached, or the transfer failed.
    #[error("{0}")]
    Remote(String),
    /// The server refused a request.
    #[error("{request}: the server answered {status} {code}: {message}")]
    Refused {
        /// The request, such as `POST /v1/infer`.
        request: &'static str,
        /// HTTP status.
        status: u16,
        /// The error code of the JSON body.
        code: String,
        /// The message of the JSON body.
        message: String,
    },
}

impl Error {
    /// The process exit code: 2 for usage errors, 1 for everything else.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Demo(demo::DemoError::Usage(_)) => 2,
            _ => 1,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
