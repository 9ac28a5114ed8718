//! Randomness. The default source is ChaCha20 seeded from the operating
//! system; every randomized call has a `_with_rng` form for an explicit one
//! (seeded in tests, so a failure can be replayed).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A fresh ChaCha20 generator seeded from the operating system.
#[must_use]
pub fn os_seeded() -> ChaCha20Rng {
    ChaCha20Rng::from_entropy()
}

/// A ChaCha20 generator from a 32-byte seed: the expansion of seeded objects
/// (a ciphertext's or key's uniform half), identical on every machine.
#[must_use]
pub fn from_seed(seed: [u8; 32]) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(seed)
}
