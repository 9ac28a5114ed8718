//! Number theory and polynomial arithmetic under the scheme: modular
//! reductions, NTT-friendly primes, the negacyclic NTT, RNS polynomials,
//! automorphisms and samplers.

pub mod aligned;
pub mod automorphism;
pub mod kernels;
pub(crate) mod memory;
pub mod modulus;
pub mod ntt;
pub(crate) mod packed;
pub(crate) mod par;
pub mod poly;
pub mod primes;
pub mod rns;
pub mod sampling;
pub(crate) mod scratch;
