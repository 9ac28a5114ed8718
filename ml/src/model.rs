//! A trained diagnosis model and its versioned JSON file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, FeatureSelection};
use crate::error::{Error, Result};
use crate::info::{Encryption, ModelInfo};
use crate::logreg::{LogisticRegression, TrainOptions};
use crate::scaler::StandardScaler;

/// Tag in every model file.
pub const MODEL_FORMAT: &str = "hediag-model";
/// Model file version this build writes and reads.
pub const MODEL_VERSION: u32 = 1;

/// What a hospital publishes and evaluates: feature names in order, the
/// scaler fitted on its training rows, and the logistic-regression weights
/// over standardized features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Feature names, in the order the weights expect.
    pub features: Vec<String>,
    /// Standardization applied before the weights.
    pub scaler: StandardScaler,
    /// The linear model on standardized features.
    pub classifier: LogisticRegression,
    /// Regularization `C` it was trained with.
    pub c: f64,
    /// How the model is served on ciphertexts (parameters and plan), if it
    /// is published for encrypted inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    #[serde(flatten)]
    model: Model,
}

impl Model {
    /// Selects features, fits the scaler on `train` rows only, and fits the
    /// classifier on the standardized rows.
    ///
    /// # Errors
    /// As [`Dataset::select`], [`StandardScaler::fit`],
    /// [`LogisticRegression::fit`].
    pub fn train(
        train: &Dataset,
        selection: &FeatureSelection,
        opts: &TrainOptions,
    ) -> Result<Self> {
        let train = train.select(selection)?;
        let scaler = StandardScaler::fit(&train.x)?;
        let z = scaler.transform(&train.x)?;
        let classifier = LogisticRegression::fit(&z, &train.y, opts)?;
        Ok(Self {
            features: train.feature_names,
            scaler,
            classifier,
            c: opts.c,
            encryption: None,
        })
    }

    /// What a patient needs to use the model encrypted (everything but the
    /// weights), if the model has encryption settings.
    #[must_use]
    pub fn info(&self) -> Option<ModelInfo> {
        self.encryption.as_ref().map(|e| ModelInfo {
            features: self.features.clone(),
            scaler: self.scaler.clone(),
            params: e.params.clone(),
            plan: e.plan.clone(),
        })
    }

    /// Number of features.
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// The standardized rows of `data` (its columns picked by name).
    ///
    /// # Errors
    /// [`Error::UnknownFeature`] if `data` lacks a model feature.
    pub fn standardize(&self, data: &Dataset) -> Result<Vec<Vec<f64>>> {
        let picked = data.select(&FeatureSelection::Named(self.features.clone()))?;
        self.scaler.transform(&picked.x)
    }

    /// Plaintext logits of `data`.
    ///
    /// # Errors
    /// As [`Self::standardize`].
    pub fn logits(&self, data: &Dataset) -> Result<Vec<f64>> {
        Ok(self
            .standardize(data)?
            .iter()
            .map(|r| self.classifier.logit(r))
            .collect())
    }

    /// The model as JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&ModelFile {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            model: self.clone(),
        })
        .expect("a model always serializes")
    }

    /// Parses JSON text; `origin` names the source in errors.
    ///
    /// # Errors
    /// [`Error::ModelFormat`] for text that is not a model file or is
    /// inconsistent; [`Error::ModelVersion`] for another version.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self> {
        let fmt = |message: String| Error::ModelFormat {
            path: origin.to_path_buf(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| fmt(e.to_string()))?;
        if value.get("format").and_then(|v| v.as_str()) != Some(MODEL_FORMAT) {
            return Err(fmt(format!("no `\"format\": \"{MODEL_FORMAT}\"` field")));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(MODEL_VERSION)) {
            return Err(Error::ModelVersion {
                path: origin.to_path_buf(),
                found: version.map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX)),
                expected: MODEL_VERSION,
            });
        }
        let file: ModelFile = serde_json::from_value(value).map_err(|e| fmt(e.to_string()))?;
        let m = file.model;
        let k = m.features.len();
        let finite = m.classifier.weights.iter().all(|w| w.is_finite())
            && m.classifier.bias.is_finite()
            && m.scaler.mean.iter().all(|v| v.is_finite())
            && m.scaler.std.iter().all(|v| v.is_finite() && *v > 0.0);
        if k == 0 || m.classifier.weights.len() != k || m.scaler.len() != k || !finite {
            return Err(fmt(format!(
                "{k} features, {} weights, {} scaler columns; all values finite, deviations positive",
                m.classifier.weights.len(),
                m.scaler.len()
            )));
        }
        if let Some(info) = m.info() {
            info.check()
                .map_err(|e| fmt(format!("encryption settings: {e}")))?;
        }
        Ok(m)
    }

    /// Writes the JSON file (to a temporary name, then renamed, so a crash
    /// leaves no half-written model).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        crate::files::write_atomic(path, self.to_json().as_bytes(), false)
    }

    /// Reads a JSON model file.
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
}
