//! Keys: the secret key, the public key, and the gadget (switching) keys
//! behind relinearization and rotation. See `docs/keys.md`.

mod galois;
mod generator;
mod public;
mod secret;
pub(crate) mod switching;

pub use galois::GaloisKeys;
pub use generator::KeyGenerator;
pub use public::PublicKey;
pub use secret::SecretKey;
pub use switching::{RelinKey, SwitchingKey};
