//! Encoding: vectors of up to `N/2` complex numbers to plaintext
//! polynomials and back, through the canonical embedding.

pub mod embedding;
mod encoder;

pub use embedding::Complex;
pub use encoder::Encoder;
