//! The patient's side of the service: `hediag patient submit`.
//!
//! Fetches the model's public description, makes keys for it once (or
//! reuses those in the key directory), uploads the public bundle once
//! (remembering the id the server gave it, and uploading again if the
//! server has evicted it), encrypts the records, asks for inference and
//! decrypts the answer. The secret key never leaves the key directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ml::files::{self, hex};
use ml::{ModelInfo, Records};

use crate::parties::{self, keyfiles, Diagnosis, PatientKeys};
use crate::{Error, Result};

/// Options of `patient submit`.
#[derive(Clone, Debug)]
pub struct SubmitOptions {
    /// Base URL of the service, such as `http://127.0.0.1:8080`.
    pub server: String,
    /// The records to diagnose.
    pub records: PathBuf,
    /// The key directory (made if missing).
    pub keys: PathBuf,
    /// Seed of the key and encryption randomness (default: the OS).
    pub seed: Option<u64>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Largest answer the client reads.
const MAX_ANSWER: u64 = 1 << 30;

/// A connection to the service.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

/// The server's refusal, or a transport failure, as an error.
fn remote(request: &'static str, e: ureq::Error) -> Error {
    match e {
        ureq::Error::Status(status, resp) => {
            let body = resp.into_string().unwrap_or_default();
            let (code, message) = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    let e = v.get("error")?;
                    Some((
                        e.get("code")?.as_str()?.to_owned(),
                        e.get("message")?.as_str()?.to_owned(),
                    ))
                })
                .unwrap_or_else(|| ("?".into(), body));
            Error::Refused {
                request,
                status,
                code,
                message,
            }
        }
        ureq::Error::Transport(t) => Error::Remote(format!("{request}: {t}")),
    }
}

impl Client {
    /// A client of the service at `base`.
    #[must_use]
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new().timeout(timeout).build(),
        }
    }

    /// `GET /v1/model`.
    ///
    /// # Errors
    /// [`Error::Remote`]; model-description errors.
    pub fn model(&self) -> Result<ModelInfo> {
        let url = format!("{}/v1/model", self.base);
        let text = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| remote("GET /v1/model", e))?
            .into_string()
            .map_err(|e| Error::Remote(format!("GET /v1/model: {e}")))?;
        Ok(ModelInfo::from_json(&text, Path::new(&url))?)
    }

    /// `POST /v1/keys`: returns the key id.
    ///
    /// # Errors
    /// [`Error::Refused`], [`Error::Remote`].
    pub fn upload_keys(&self, bundle: &[u8]) -> Result<String> {
        let text = self
            .agent
            .post(&format!("{}/v1/keys", self.base))
            .set("content-type", "application/octet-stream")
            .send_bytes(bundle)
            .map_err(|e| remote("POST /v1/keys", e))?
            .into_string()
            .map_err(|e| Error::Remote(format!("POST /v1/keys: {e}")))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::Remote(format!("POST /v1/keys: {e}")))?;
        v.get("key_id")
            .and_then(|k| k.as_str())
            .map(str::to_owned)
            .ok_or_else(|| Error::Remote("POST /v1/keys: no key_id in the answer".into()))
    }

    /// `POST /v1/infer?key=ID`: the answer's bytes.
    ///
    /// # Errors
    /// [`Error::Refused`] with the server's status and code;
    /// [`Error::Remote`].
    pub fn infer(&self, key_id: &str, query: &[u8]) -> Result<Vec<u8>> {
        let resp = self
            .agent
            .post(&format!("{}/v1/infer?key={key_id}", self.base))
            .set("content-type", "application/octet-stream")
            .send_bytes(query)
            .map_err(|e| remote("POST /v1/infer", e))?;
        let mut out = Vec::new();
        resp.into_reader()
            .take(MAX_ANSWER)
            .read_to_end(&mut out)
            .map_err(|e| Error::Remote(format!("POST /v1/infer: {e}")))?;
        Ok(out)
    }
}

/// Loads the keys in `dir` if they were made for `info`, makes them if the
/// directory has none, and refuses keys made for another model (replacing
/// them would lose the secret key).
fn keys_for(info: &ModelInfo, dir: &Path, seed: Option<u64>) -> Result<PatientKeys> {
    if dir.join(keyfiles::SECRET).exists() {
        let keys = PatientKeys::load(dir)?;
        if keys.info.id() != info.id() {
            return Err(Error::File {
                path: dir.to_path_buf(),
                message: format!(
                    "these keys are for model {}, the server runs {}; use another --keys directory",
                    hex(&keys.info.id()),
                    hex(&info.id())
                ),
            });
        }
        return Ok(keys);
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::File {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let model_path = dir.join(keyfiles::MODEL);
    files::write_atomic(&model_path, info.to_json()?.as_bytes(), false)?;
    parties::patient_keygen(&model_path, dir, seed, false)?;
    PatientKeys::load(dir)
}

/// Uploads the bundle in `dir` and remembers the id.
fn upload(client: &Client, dir: &Path) -> Result<String> {
    let id = client.upload_keys(&files::read(&dir.join(keyfiles::BUNDLE))?)?;
    files::write_atomic(&dir.join(keyfiles::SERVER_KEY_ID), id.as_bytes(), false)?;
    Ok(id)
}

/// `patient submit`: the diagnoses of the records, computed by the server
/// on ciphertexts.
///
/// # Errors
/// [`Error::Remote`] for an unreachable or refusing server; key, records
/// and decryption errors.
pub fn submit(opts: &SubmitOptions) -> Result<(ModelInfo, Vec<Diagnosis>)> {
    let client = Client::new(&opts.server, opts.timeout);
    let info = client.model()?;
    let records = Records::load(&opts.records, &info.features)?;
    let mut keys = keys_for(&info, &opts.keys, opts.seed)?;
    let stored_id = std::fs::read_to_string(opts.keys.join(keyfiles::SERVER_KEY_ID))
        .ok()
        .map(|s| s.trim().to_owned());
    let mut key_id = match stored_id {
        Some(id) => id,
        None => upload(&client, &opts.keys)?,
    };
    let query = parties::patient_encrypt_bytes(&mut keys, &records, opts.seed)?;
    let answer = match client.infer(&key_id, &query) {
        // The server forgot the bundle (evicted, or another server): send
        // it again, once.
        Err(Error::Refused {
            status: 404, code, ..
        }) if code == "unknown_key" => {
            key_id = upload(&client, &opts.keys)?;
            client.infer(&key_id, &query)?
        }
        other => other?,
    };
    let diagnoses =
        parties::decrypt_answer(&keys, &answer, "the server's answer", Some(&records.ids))?;
    Ok((info, diagnoses))
}
