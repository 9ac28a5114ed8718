//! What the hospital publishes and the patient reads: the model's public
//! description, and the patient's records.
//!
//! A [`ModelInfo`] is everything about a model except its weights: the
//! feature names in order, the scaler, the CKKS parameters and the
//! inference plan. Its [`ModelInfo::id`] (a hash of exactly those) is
//! written into every key, query and answer file, so a file made for
//! another model, or for the same model under other parameters or another
//! layout, is refused by name instead of decrypting to noise.

use std::path::Path;
use std::sync::Arc;

use ckks::{Params, ParamsSpec};
use serde::{Deserialize, Serialize};

use crate::data::{checked_record, headers, open, parse_number};
use crate::encrypted::InferencePlan;
use crate::error::{Error, Result};
use crate::files::{hex, sha256};
use crate::model::{Model, MODEL_FORMAT};
use crate::scaler::StandardScaler;

/// Tag of a model description file.
pub const INFO_FORMAT: &str = "hediag-model-info";
/// Description file version this build writes and reads.
pub const INFO_VERSION: u32 = 1;

/// How a model is served on ciphertexts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encryption {
    /// The CKKS parameters.
    pub params: ParamsSpec,
    /// Layout and output.
    pub plan: InferencePlan,
}

/// A model's public description: what a patient needs to encrypt records
/// for it and read the answers, and nothing of the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Feature names, in the order records are packed.
    pub features: Vec<String>,
    /// The standardization the patient applies before encrypting.
    pub scaler: StandardScaler,
    /// The CKKS parameters.
    pub params: ParamsSpec,
    /// Layout and output.
    pub plan: InferencePlan,
}

/// The description as published: the fields of [`ModelInfo`] plus values
/// derived from them for human readers. Only the former are read back; a
/// `model_id` that does not match them is refused.
#[derive(Serialize)]
struct InfoFile<'a> {
    format: &'static str,
    version: u32,
    model_id: String,
    params_id: String,
    #[serde(flatten)]
    info: &'a ModelInfo,
    rotation_steps: Vec<i64>,
    input_level: usize,
    patients_per_ciphertext: usize,
    security: String,
}

impl ModelInfo {
    /// Checks the description is consistent and builds its parameters.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no features, a scaler or plan of
    /// another width, or a plan the parameters cannot carry; CKKS errors
    /// for parameters that fail validation (security, prime sizes).
    pub fn check(&self) -> Result<Arc<Params>> {
        let k = self.features.len();
        if k == 0 || self.scaler.len() != k || self.plan.n_features != k {
            return Err(Error::InvalidArgument {
                op: "model description",
                reason: format!(
                    "{k} features, {} scaler columns, a plan for {} features",
                    self.scaler.len(),
                    self.plan.n_features
                ),
            });
        }
        if self
            .scaler
            .mean
            .iter()
            .chain(&self.scaler.std)
            .any(|v| !v.is_finite())
            || self.scaler.std.iter().any(|&s| s <= 0.0)
        {
            return Err(Error::InvalidArgument {
                op: "model description",
                reason: "scaler values must be finite, deviations positive".into(),
            });
        }
        let params = Params::new(&self.params)?;
        self.plan.check(&params)?;
        Ok(params)
    }

    /// The model id: the first 8 bytes of the SHA-256 of the description's
    /// canonical JSON.
    #[must_use]
    pub fn id(&self) -> [u8; 8] {
        let json = serde_json::to_vec(self).expect("a description always serializes");
        sha256(&json)[..8].try_into().expect("8 bytes")
    }

    /// The published JSON text, with the model id, parameter id, rotation
    /// steps, input level, patients per ciphertext and security line.
    ///
    /// # Errors
    /// As [`Self::check`].
    pub fn to_json(&self) -> Result<String> {
        let params = self.check()?;
        let file = InfoFile {
            format: INFO_FORMAT,
            version: INFO_VERSION,
            model_id: hex(&self.id()),
            params_id: format!("{:016x}", params.id()),
            info: self,
            rotation_steps: self.plan.rotation_steps(),
            input_level: self.plan.input_level(),
            patients_per_ciphertext: self.plan.patients_per_block(&params),
            security: params.security_report(),
        };
        Ok(serde_json::to_string_pretty(&file).expect("a description always serializes"))
    }

    /// Parses a description (as [`Self::to_json`] writes it) or a full
    /// model file with encryption settings; `origin` names the source.
    ///
    /// # Errors
    /// [`Error::ModelFormat`] for anything else, a model without encryption
    /// settings, an inconsistent description or a `model_id` that does not
    /// match the rest; [`Error::ModelVersion`] for another version.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self> {
        let fmt = |message: String| Error::ModelFormat {
            path: origin.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| fmt(e.to_string()))?;
        match value.get("format").and_then(|v| v.as_str()) {
            Some(MODEL_FORMAT) => Model::from_json(text, origin)?.info().ok_or_else(|| {
                fmt(
                    "the model has no encryption settings; train it with `hediag hospital train`"
                        .into(),
                )
            }),
            Some(INFO_FORMAT) => {
                let version = value.get("version").and_then(serde_json::Value::as_u64);
                if version != Some(u64::from(INFO_VERSION)) {
                    return Err(Error::ModelVersion {
                        path: origin.to_path_buf(),
                        found: version.map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX)),
                        expected: INFO_VERSION,
                    });
                }
                let claimed = value
                    .get("model_id")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                let info: Self = serde_json::from_value(value).map_err(|e| fmt(e.to_string()))?;
                info.check().map_err(|e| fmt(e.to_string()))?;
                if let Some(claimed) = claimed {
                    if claimed != hex(&info.id()) {
                        return Err(fmt(format!(
                            "model_id {claimed} does not match the description ({}): it was edited",
                            hex(&info.id())
                        )));
                    }
                }
                Ok(info)
            }
            _ => Err(fmt(format!(
                "no `\"format\": \"{MODEL_FORMAT}\"` or `\"{INFO_FORMAT}\"` field"
            ))),
        }
    }

    /// Reads [`Self::from_json`] from a file.
    ///
    /// # Errors
    /// [`Error::Io`] and as [`Self::from_json`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Standardized rows of `records`, in the model's feature order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the records carry other features.
    pub fn standardize(&self, records: &Records) -> Result<Vec<Vec<f64>>> {
        if records.features != self.features {
            return Err(Error::InvalidArgument {
                op: "standardize records",
                reason: "the records were read for other features than the model's".into(),
            });
        }
        self.scaler.transform(&records.x)
    }
}

/// Name of the optional identifier column of a records file.
pub const ID_COLUMN: &str = "id";

/// A patient's records: one row per person, the model's features in the
/// model's order, and an identifier per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Records {
    /// The feature columns read, in order.
    pub features: Vec<String>,
    /// One identifier per row: the `id` column if the file has one, else
    /// the 1-based row number.
    pub ids: Vec<String>,
    /// Feature values, unstandardized.
    pub x: Vec<Vec<f64>>,
}

impl Records {
    /// Loads a CSV whose header names (at least) the given features, in any
    /// order. Other columns, such as `id` or a `diagnosis`, are not read
    /// as features; every feature value must be a finite number.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Empty`], [`Error::MissingColumn`] for a
    /// feature the file lacks, [`Error::ColumnCount`], [`Error::NotNumeric`],
    /// [`Error::Csv`].
    pub fn load(path: impl AsRef<Path>, features: &[String]) -> Result<Self> {
        let path = path.as_ref();
        let mut rdr = open(path)?;
        let names = headers(path, &mut rdr)?;
        let at: Vec<usize> = features
            .iter()
            .map(|f| {
                names
                    .iter()
                    .position(|n| n == f)
                    .ok_or_else(|| Error::MissingColumn {
                        path: path.to_path_buf(),
                        column: f.clone(),
                    })
            })
            .collect::<Result<_>>()?;
        let id_at = names.iter().position(|n| n == ID_COLUMN);
        let (mut ids, mut x) = (Vec::new(), Vec::new());
        for record in rdr.records() {
            let (record, line) = checked_record(path, record, names.len())?;
            let row = at
                .iter()
                .map(|&i| parse_number(path, line, &names[i], &record[i]))
                .collect::<Result<Vec<f64>>>()?;
            ids.push(id_at.map_or_else(|| (x.len() + 1).to_string(), |i| record[i].to_owned()));
            x.push(row);
        }
        if x.is_empty() {
            return Err(Error::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            features: features.to_vec(),
            ids,
            x,
        })
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no rows (never, for a loaded file).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}
