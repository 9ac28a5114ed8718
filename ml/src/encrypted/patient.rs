//! The patient: owns the secret key, encrypts records, decrypts answers.

use std::sync::Arc;

use std::path::Path;

use ckks::rng::ChaCha20;
use ckks::{Decryptor, Encoder, Encryptor, KeyGenerator, Params, SecretKey, Wire};
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use zeroize::Zeroizing;

use super::{Answer, EvaluationKeys, InferencePlan, Layout, PublicBundle, Query};
use crate::error::{Error, Result};
use crate::files::{self, FileKind};

/// The party that holds the secret key. It has no method that returns or
/// prints the key; the key is zeroized when the patient is dropped.
pub struct Patient {
    params: Arc<Params>,
    sk: SecretKey,
    encoder: Encoder,
    rng: ChaCha20,
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patient")
            .field("params_id", &self.params.id())
            .finish_non_exhaustive()
    }
}

impl Patient {
    /// A patient with a fresh secret key, randomness seeded by the OS.
    #[must_use]
    pub fn new(params: &Arc<Params>) -> Self {
        Self::with_rng(params, ckks::rng::os_seeded())
    }

    /// A patient drawing its key and all encryption randomness from `rng`
    /// (inject a seeded one for reproducible tests).
    #[must_use]
    pub fn with_rng(params: &Arc<Params>, mut rng: ChaCha20) -> Self {
        let sk = KeyGenerator::new(params).secret_key_with_rng(&mut rng);
        Self {
            params: Arc::clone(params),
            sk,
            encoder: Encoder::new(params),
            rng,
        }
    }

    /// Replaces the generator of encryption and key randomness (inject a
    /// seeded one for reproducible runs).
    pub fn set_rng(&mut self, rng: ChaCha20) {
        self.rng = rng;
    }

    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &Arc<Params> {
        &self.params
    }

    /// Writes the secret key to `path` for `model_id`, created with mode
    /// `0600` and renamed into place. The serialized key is zeroized after
    /// writing.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn save_secret_key(&self, path: &Path, model_id: [u8; 8]) -> Result<()> {
        let key = Zeroizing::new(self.sk.to_bytes(&self.params));
        let sealed = Zeroizing::new(files::seal(
            FileKind::SecretKey,
            self.params.id(),
            model_id,
            &key,
        ));
        files::write_atomic(path, &sealed, true)
    }

    /// A patient with the secret key of `path` (written by
    /// [`Self::save_secret_key`] for `model_id`), randomness seeded by the
    /// OS.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::InsecurePermissions`] if group or others may
    /// read the file (Unix); as [`files::open`] for another kind of file,
    /// other parameters, another model, a truncated or altered file;
    /// [`Error::BadFile`] if the CKKS loader rejects the key.
    pub fn load_secret_key(params: &Arc<Params>, path: &Path, model_id: [u8; 8]) -> Result<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(Error::InsecurePermissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let bytes = Zeroizing::new(files::read(path)?);
        let origin = path.display().to_string();
        let body = files::open(&bytes, &origin, FileKind::SecretKey, params.id(), model_id)?;
        let sk = SecretKey::from_bytes(params, body).map_err(|e| Error::BadFile {
            origin,
            reason: e.to_string(),
        })?;
        Ok(Self {
            params: Arc::clone(params),
            sk,
            encoder: Encoder::new(params),
            rng: ckks::rng::os_seeded(),
        })
    }

    /// What the patient publishes for `plan`: the public key, a
    /// relinearization key, and the Galois keys of the plan's rotation
    /// steps only.
    ///
    /// # Errors
    /// As [`InferencePlan::check`] and the key generator's errors.
    pub fn public_bundle(&mut self, plan: &InferencePlan) -> Result<PublicBundle> {
        plan.check(&self.params)?;
        let keygen = KeyGenerator::new(&self.params);
        let public_key = keygen.public_key_with_rng(&self.sk, &mut self.rng)?;
        let galois =
            keygen.galois_keys_with_rng(&self.sk, &plan.rotation_steps(), false, &mut self.rng)?;
        let relin = Some(keygen.relin_key_with_rng(&self.sk, &mut self.rng)?);
        Ok(PublicBundle {
            public_key,
            keys: EvaluationKeys { galois, relin },
        })
    }

    /// The keys a hospital needs for `plan`, and no others: Galois keys for
    /// the plan's rotation steps, a relinearization key only for the
    /// polynomial sigmoid.
    ///
    /// # Errors
    /// As [`InferencePlan::check`] and the key generator's errors.
    pub fn evaluation_keys(&mut self, plan: &InferencePlan) -> Result<EvaluationKeys> {
        plan.check(&self.params)?;
        let keygen = KeyGenerator::new(&self.params);
        let galois =
            keygen.galois_keys_with_rng(&self.sk, &plan.rotation_steps(), false, &mut self.rng)?;
        let relin = if plan.needs_relin() {
            Some(keygen.relin_key_with_rng(&self.sk, &mut self.rng)?)
        } else {
            None
        };
        Ok(EvaluationKeys { galois, relin })
    }

    /// Encrypts standardized records (`rows[i]` has the plan's feature
    /// count) packed by the plan's layout, as seeded secret-key ciphertexts
    /// at the plan's input level. Blocks are encrypted in parallel, each
    /// with its own generator seeded from the patient's.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no rows, a row of the wrong length or
    /// a non-finite value; as [`InferencePlan::check`]; encoding errors
    /// (values too large for the parameters).
    pub fn encrypt(&mut self, plan: &InferencePlan, rows: &[Vec<f64>]) -> Result<Query> {
        plan.check(&self.params)?;
        let k = plan.n_features;
        if rows.is_empty() {
            return Err(Error::InvalidArgument {
                op: "Patient::encrypt",
                reason: "no records to encrypt".into(),
            });
        }
        if let Some((i, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != k || r.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::InvalidArgument {
                op: "Patient::encrypt",
                reason: format!(
                    "record {i} has {} values (the model takes {k}) or a non-finite one",
                    r.len()
                ),
            });
        }
        let per_block = plan.patients_per_block(&self.params);
        let chunks: Vec<&[Vec<f64>]> = rows.chunks(per_block).collect();
        let seeds: Vec<[u8; 32]> = chunks.iter().map(|_| self.rng.gen()).collect();
        let level = plan.input_level();
        let scale = self.params.default_scale();
        let encryptor = Encryptor::with_secret_key(&self.params, &self.sk)?;
        let slots = self.params.slots();
        let stride = plan.stride();
        let blocks = chunks
            .par_iter()
            .zip(&seeds)
            .map(|(chunk, seed)| {
                let mut rng = ChaCha20::from_seed(*seed);
                let vectors: Vec<Vec<f64>> = match plan.layout {
                    Layout::PerPatient | Layout::Batched => {
                        let mut v = vec![0.0; slots];
                        for (j, r) in chunk.iter().enumerate() {
                            v[j * stride..j * stride + k].copy_from_slice(r);
                        }
                        vec![v]
                    }
                    Layout::FeatureMajor => (0..k)
                        .map(|f| chunk.iter().map(|r| r[f]).collect())
                        .collect(),
                };
                vectors
                    .iter()
                    .map(|v| {
                        let pt = self.encoder.encode(v, level, scale)?;
                        Ok(encryptor.encrypt_seeded_with_rng(&pt, &mut rng)?)
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Query {
            n_patients: rows.len(),
            blocks,
        })
    }

    /// Decrypts an answer: one value per patient (a logit, or a probability
    /// if the plan's output is the polynomial sigmoid).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the answer's shape does not match the
    /// plan; parameter mismatches from decryption.
    pub fn decrypt(&self, plan: &InferencePlan, answer: &Answer) -> Result<Vec<f64>> {
        let per_block = plan.patients_per_block(&self.params);
        let expected = answer.n_patients.div_ceil(per_block);
        if answer.n_patients == 0 || answer.blocks.len() != expected {
            return Err(Error::InvalidArgument {
                op: "Patient::decrypt",
                reason: format!(
                    "{} ciphertexts for {} patients; the {} layout packs {per_block} per ciphertext",
                    answer.blocks.len(),
                    answer.n_patients,
                    plan.layout
                ),
            });
        }
        let decryptor = Decryptor::new(&self.params, &self.sk)?;
        let stride = match plan.layout {
            Layout::FeatureMajor => 1,
            Layout::PerPatient | Layout::Batched => plan.stride(),
        };
        let per_ct = answer
            .blocks
            .par_iter()
            .enumerate()
            .map(|(b, ct)| {
                let values = self.encoder.decode_real(&decryptor.decrypt(ct)?)?;
                let count = per_block.min(answer.n_patients - b * per_block);
                Ok((0..count).map(|j| values[j * stride]).collect::<Vec<f64>>())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(per_ct.concat())
    }
}
