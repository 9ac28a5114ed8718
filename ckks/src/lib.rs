//! # ckks — RNS-CKKS homomorphic encryption, from scratch
//!
//! CKKS encrypts vectors of up to `N/2` complex numbers and computes on them
//! approximately: additions, products, rotations of the slots. This crate
//! implements the full-RNS variant with hybrid key switching.
//!
//! ## Reading order
//!
//! The modules build on each other; read them in this order (the same order
//! as `docs/reading-order.md`, which gives the math of each step):
//!
//! 1. [`math::modulus`]: Barrett and Shoup reductions modulo a word-size prime.
//! 2. [`math::primes`], [`math::ntt`]: NTT-friendly primes and the negacyclic
//!    NTT, which makes polynomial products pointwise.
//! 3. [`math::rns`], [`math::poly`]: polynomials as one limb per prime, in
//!    coefficient or NTT form; basis conversion.
//! 4. [`params`]: from an editable [`ParamsSpec`] to checked [`Params`].
//! 5. [`encoding`]: the canonical embedding; slots ⇄ polynomial.
//! 6. [`keys`]: secret, public, relinearization and Galois keys.
//! 7. [`Encryptor`], [`Decryptor`].
//! 8. [`Evaluator`]: add, multiply, relinearize, rescale, rotate.
//! 9. [`serialize`]: versioned, validating byte formats.
//!
//! ## Example
//!
//! ```
//! use ckks::{Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Params, ParamsSpec};
//!
//! let params = Params::new(&ParamsSpec::seed())?;
//! let keygen = KeyGenerator::new(&params);
//! let sk = keygen.secret_key();
//! let pk = keygen.public_key(&sk)?;
//! let rk = keygen.relin_key(&sk)?;
//! let gk = keygen.galois_keys(&sk, &[1], false)?;
//!
//! let encoder = Encoder::new(&params);
//! let top = params.max_level();
//! let x = encoder.encode(&[1.0, 2.0, 3.0], top, params.default_scale())?;
//! let ct = Encryptor::with_public_key(&params, &pk)?.encrypt(&x)?;
//!
//! let eval = Evaluator::new(&params);
//! let sq = eval.rescale(&eval.mul_relin(&ct, &ct, &rk)?)?; // x², one level down
//! let rot = eval.rotate(&sq, 1, &gk)?;                     // slot i ← slot i+1
//!
//! let out = encoder.decode_real(&Decryptor::new(&params, &sk)?.decrypt(&rot)?)?;
//! assert!((out[0] - 4.0).abs() < 1e-6 && (out[1] - 9.0).abs() < 1e-6);
//! # Ok::<(), ckks::Error>(())
//! ```

pub mod ciphertext;
pub mod decryptor;
pub mod encoding;
pub mod encryptor;
pub mod error;
pub mod evaluator;
pub mod keys;
pub mod math;
pub mod meta;
pub mod params;
pub mod plaintext;
pub mod rng;
pub mod serialize;
pub mod testing;

pub use ciphertext::{Ciphertext, Ciphertext2, SeededCiphertext};
pub use decryptor::Decryptor;
pub use encoding::{Complex, Encoder};
pub use encryptor::Encryptor;
pub use error::{Error, Result};
pub use evaluator::Evaluator;
pub use keys::{GaloisKeys, KeyGenerator, PublicKey, RelinKey, SecretKey, SwitchingKey};
pub use meta::Scale;
pub use params::{Params, ParamsSpec, SecretDistribution, Security};
pub use plaintext::Plaintext;
pub use serialize::Wire;

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
