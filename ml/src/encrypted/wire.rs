//! Byte formats of what crosses between the parties: the public key
//! bundle, queries and answers, each in a [`crate::files`] envelope that
//! names its kind, parameters and model.

use std::sync::Arc;

use ckks::serialize::{peek, Kind};
use ckks::{Ciphertext, GaloisKeys, Params, PublicKey, RelinKey, SeededCiphertext, Wire};

use super::{Answer, EvaluationKeys, Query};
use crate::error::{Error, Result};
use crate::files::{bincode_opts, open, seal, FileKind};

/// What a patient publishes: the public key and the evaluation keys of
/// one model (its Galois keys and a relinearization key). It cannot hold a
/// secret key: loading refuses bytes that contain one.
#[derive(Clone, Debug)]
pub struct PublicBundle {
    /// The public key.
    pub public_key: PublicKey,
    /// Galois and relinearization keys for the hospital.
    pub keys: EvaluationKeys,
}

fn bad(origin: &str, reason: impl Into<String>) -> Error {
    Error::BadFile {
        origin: origin.to_owned(),
        reason: reason.into(),
    }
}

fn encode<T: serde::Serialize>(body: &T) -> Vec<u8> {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .serialize(body)
        .expect("in-memory serialization of byte strings cannot fail")
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8], origin: &str) -> Result<T> {
    use bincode::Options;
    bincode_opts(body.len())
        .deserialize(body)
        .map_err(|e| bad(origin, format!("body: {e}")))
}

/// Loads one CKKS object, naming the origin and the position on failure.
fn ckks_item<T: Wire>(params: &Arc<Params>, bytes: &[u8], origin: &str, at: &str) -> Result<T> {
    T::from_bytes(params, bytes).map_err(|e| bad(origin, format!("{at}: {e}")))
}

impl PublicBundle {
    /// The bundle in an envelope for `model_id`.
    #[must_use]
    pub fn to_bytes(&self, params: &Params, model_id: [u8; 8]) -> Vec<u8> {
        let mut items = vec![
            self.public_key.to_bytes(params),
            self.keys.galois.to_bytes(params),
        ];
        if let Some(rk) = &self.keys.relin {
            items.push(rk.to_bytes(params));
        }
        seal(
            FileKind::PublicBundle,
            params.id(),
            model_id,
            &encode(&items),
        )
    }

    /// Loads a bundle made under `params` for `model_id`.
    ///
    /// # Errors
    /// As [`crate::files::open`]; [`Error::SecretKeyRefused`] if any item
    /// is a secret key; [`Error::BadFile`] for a missing, repeated or
    /// unexpected item, or one the CKKS loader rejects.
    pub fn from_bytes(
        params: &Arc<Params>,
        model_id: [u8; 8],
        bytes: &[u8],
        origin: &str,
    ) -> Result<Self> {
        let body = open(bytes, origin, FileKind::PublicBundle, params.id(), model_id)?;
        let items: Vec<Vec<u8>> = decode(body, origin)?;
        let (mut pk, mut galois, mut relin) = (None, None, None);
        for (i, item) in items.iter().enumerate() {
            let (kind, _) = peek(item).map_err(|e| bad(origin, format!("item {i}: {e}")))?;
            let at = format!("item {i} ({kind:?})");
            let repeated = match kind {
                Kind::SecretKey => {
                    return Err(Error::SecretKeyRefused {
                        origin: origin.to_owned(),
                    })
                }
                Kind::PublicKey => pk
                    .replace(ckks_item::<PublicKey>(params, item, origin, &at)?)
                    .is_some(),
                Kind::GaloisKeys => galois
                    .replace(ckks_item::<GaloisKeys>(params, item, origin, &at)?)
                    .is_some(),
                Kind::RelinKey => relin
                    .replace(ckks_item::<RelinKey>(params, item, origin, &at)?)
                    .is_some(),
                _ => return Err(bad(origin, format!("{at} does not belong in a key bundle"))),
            };
            if repeated {
                return Err(bad(origin, format!("{at} appears twice")));
            }
        }
        let public_key = pk.ok_or_else(|| bad(origin, "no public key in the bundle"))?;
        let galois = galois.ok_or_else(|| bad(origin, "no Galois keys in the bundle"))?;
        Ok(Self {
            public_key,
            keys: EvaluationKeys { galois, relin },
        })
    }
}

impl Query {
    /// The query in an envelope for `model_id`.
    #[must_use]
    pub fn to_bytes(&self, params: &Params, model_id: [u8; 8]) -> Vec<u8> {
        let blocks: Vec<Vec<Vec<u8>>> = self
            .blocks
            .iter()
            .map(|b| b.iter().map(|c| c.to_bytes(params)).collect())
            .collect();
        seal(
            FileKind::Query,
            params.id(),
            model_id,
            &encode(&(self.n_patients as u64, blocks)),
        )
    }

    /// Loads a query made under `params` for `model_id`. Its shape is
    /// checked against the plan when the hospital evaluates it.
    ///
    /// # Errors
    /// As [`crate::files::open`]; [`Error::BadFile`] for no patients or no
    /// ciphertexts, or a ciphertext the CKKS loader rejects.
    pub fn from_bytes(
        params: &Arc<Params>,
        model_id: [u8; 8],
        bytes: &[u8],
        origin: &str,
    ) -> Result<Self> {
        let body = open(bytes, origin, FileKind::Query, params.id(), model_id)?;
        let (n, blocks): (u64, Vec<Vec<Vec<u8>>>) = decode(body, origin)?;
        if n == 0 || blocks.is_empty() || blocks.iter().any(Vec::is_empty) {
            return Err(bad(
                origin,
                format!(
                    "{n} patients in {} blocks: nothing to evaluate",
                    blocks.len()
                ),
            ));
        }
        let blocks = blocks
            .iter()
            .enumerate()
            .map(|(b, cts)| {
                cts.iter()
                    .enumerate()
                    .map(|(c, bytes)| {
                        ckks_item::<SeededCiphertext>(
                            params,
                            bytes,
                            origin,
                            &format!("block {b} ciphertext {c}"),
                        )
                    })
                    .collect()
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            n_patients: usize::try_from(n).map_err(|_| bad(origin, "patient count overflows"))?,
            blocks,
        })
    }
}

impl Answer {
    /// The answer in an envelope for `model_id`.
    #[must_use]
    pub fn to_bytes(&self, params: &Params, model_id: [u8; 8]) -> Vec<u8> {
        let blocks: Vec<Vec<u8>> = self.blocks.iter().map(|c| c.to_bytes(params)).collect();
        seal(
            FileKind::Answer,
            params.id(),
            model_id,
            &encode(&(self.n_patients as u64, blocks)),
        )
    }

    /// Loads an answer made under `params` for `model_id`.
    ///
    /// # Errors
    /// As [`crate::files::open`]; [`Error::BadFile`] for an empty answer or
    /// a ciphertext the CKKS loader rejects.
    pub fn from_bytes(
        params: &Arc<Params>,
        model_id: [u8; 8],
        bytes: &[u8],
        origin: &str,
    ) -> Result<Self> {
        let body = open(bytes, origin, FileKind::Answer, params.id(), model_id)?;
        let (n, blocks): (u64, Vec<Vec<u8>>) = decode(body, origin)?;
        if n == 0 || blocks.is_empty() {
            return Err(bad(origin, "an answer for no patients"));
        }
        let blocks = blocks
            .iter()
            .enumerate()
            .map(|(b, bytes)| ckks_item::<Ciphertext>(params, bytes, origin, &format!("block {b}")))
            .collect::<Result<_>>()?;
        Ok(Self {
            n_patients: usize::try_from(n).map_err(|_| bad(origin, "patient count overflows"))?,
            blocks,
        })
    }
}
