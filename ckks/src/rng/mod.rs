//! Randomness. The default source is ChaCha20 ([`ChaCha20`], our own, with
//! vector block functions) seeded from the operating system; every
//! randomized call has a `_with_rng` form for an explicit one (seeded in
//! tests, so a failure can be replayed).

mod chacha;
mod chacha_x86;

pub use chacha::{ChaCha20, ChaChaBackend, BLOCKS};

use rand::SeedableRng;

/// A fresh ChaCha20 generator seeded from the operating system.
#[must_use]
pub fn os_seeded() -> ChaCha20 {
    ChaCha20::from_entropy()
}

/// A ChaCha20 generator from a 32-byte seed: the expansion of seeded objects
/// (a ciphertext's or key's uniform half), identical on every machine.
#[must_use]
pub fn from_seed(seed: [u8; 32]) -> ChaCha20 {
    ChaCha20::from_seed(seed)
}
