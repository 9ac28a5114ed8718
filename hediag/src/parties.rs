//! The patient and the hospital as separate steps that share only files.
//!
//! | step | reads | writes |
//! |---|---|---|
//! | [`hospital_train`] | data CSV | `model.json` (weights + encryption settings) |
//! | [`hospital_info`] | `model.json` | the public description (text or JSON) |
//! | [`patient_keygen`] | the model or its description | `keys/secret.key` (0600), `keys/public.bundle`, `keys/model.json` |
//! | [`patient_encrypt`] | the description, `keys/`, records CSV | `query.ct` |
//! | [`hospital_infer`] | `model.json`, `public.bundle`, `query.ct` | `answer.ct` |
//! | [`patient_decrypt`] | `keys/`, `answer.ct` | the diagnoses (text or JSON) |
//!
//! The hospital's steps never open a secret key: a bundle or query that
//! holds one is refused. Every file names its kind, parameters and model,
//! so a mix-up is an error naming both sides, never a wrong diagnosis.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ckks::rng::ChaCha20;
use ckks::{Params, ParamsSpec};
use ml::encrypted::{Answer, Hospital, Layout, Output, Patient, PublicBundle, Query};
use ml::files::{self, hex};
use ml::{Confusion, Dataset, Encryption, FeatureSelection, Model, ModelInfo, Records, Split};
use rand::SeedableRng;
use serde::Serialize;

use crate::{Error, Result};

/// File names inside a patient's key directory.
pub mod keyfiles {
    /// The secret key (mode 0600). Never leaves the patient.
    pub const SECRET: &str = "secret.key";
    /// Public key, relinearization key and the model's Galois keys.
    pub const BUNDLE: &str = "public.bundle";
    /// The description of the model the keys were made for.
    pub const MODEL: &str = "model.json";
    /// The key id a server gave the bundle (written by `patient submit`).
    pub const SERVER_KEY_ID: &str = "server-key-id";
}

/// Options of `hospital train`.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The data set (a `diagnosis` column and feature columns).
    pub data: PathBuf,
    /// Train only on the `train` rows of this split file.
    pub split: Option<PathBuf>,
    /// 10 (the `mean_*` columns) or 30.
    pub features: usize,
    /// CKKS parameter preset.
    pub preset: String,
    /// Packing of patients.
    pub layout: Layout,
    /// Degree of an encrypted polynomial sigmoid, if any.
    pub sigmoid: Option<usize>,
    /// Where to write the model.
    pub out: PathBuf,
}

fn rng_for(seed: Option<u64>) -> ChaCha20 {
    seed.map_or_else(ckks::rng::os_seeded, ChaCha20::seed_from_u64)
}

/// Trains a model, attaches its encryption settings and writes it.
/// Returns a summary for the terminal.
///
/// # Errors
/// [`Error::Usage`] for an unknown preset or a plan the preset cannot
/// carry; data and training errors.
pub fn hospital_train(opts: &TrainOptions) -> Result<String> {
    let spec = ParamsSpec::preset(&opts.preset).ok_or_else(|| {
        Error::Usage(format!(
            "unknown preset `{}`: choose one of {}",
            opts.preset,
            ParamsSpec::PRESETS.join(", ")
        ))
    })?;
    let selection = FeatureSelection::from_count(opts.features)?;
    let plan = crate::demo::plan_for(opts.layout, opts.features, opts.sigmoid)?;
    // Before any data is read: the plan must fit the preset.
    plan.check(&*Params::new(&spec)?).map_err(|e| {
        Error::Usage(format!(
            "{e} (degree 3 fits `--preset depth3`; degrees 5 and 7 fit `--preset n16k`)"
        ))
    })?;
    let data = Dataset::load(&opts.data)?;
    let train = match &opts.split {
        Some(path) => data.rows(&Split::load(path, data.len())?.train),
        None => data,
    };
    let mut model = Model::train(&train, &selection, &ml::TrainOptions::default())?;
    model.encryption = Some(Encryption { params: spec, plan });
    let info = model.info().expect("encryption settings were just set");
    info.check()?;
    model.save(&opts.out)?;
    let logits = model.logits(&train)?;
    let predicted: Vec<u8> = logits.iter().map(|&z| u8::from(z >= 0.0)).collect();
    let acc = Confusion::new(&predicted, &train.y).accuracy();
    Ok(format!(
        "trained on {} rows, {} features: training accuracy {:.2} %\nmodel id {}, {} layout, preset {}\nwrote {}\n",
        train.len(),
        model.n_features(),
        100.0 * acc,
        hex(&info.id()),
        info.plan.layout,
        opts.preset,
        opts.out.display()
    ))
}

/// What a patient needs from a model, as text or as the JSON description.
///
/// # Errors
/// Model loading errors; a model without encryption settings.
pub fn hospital_info(model: &Path, json: bool) -> Result<String> {
    let info = ModelInfo::load(model)?;
    let params = info.check()?;
    if json {
        return Ok(info.to_json()? + "\n");
    }
    let mut s = String::new();
    let _ = writeln!(s, "model id     {}", hex(&info.id()));
    let _ = writeln!(
        s,
        "parameters   {} (id {:016x}): N = {}, {} slots, primes {:?} + special {:?}, scale 2^{}",
        preset_name(&info.params),
        params.id(),
        params.n(),
        params.slots(),
        info.params.log_q,
        info.params.log_p,
        info.params.log_scale
    );
    let _ = writeln!(s, "security     {}", params.security_report());
    let _ = writeln!(
        s,
        "layout       {} ({} patients per ciphertext, stride {})",
        info.plan.layout,
        info.plan.patients_per_block(&params),
        info.plan.stride()
    );
    let _ = writeln!(
        s,
        "output       {}",
        match &info.plan.output {
            Output::Logit => "the logit (the patient applies the sigmoid)".to_owned(),
            Output::Probability(p) => format!("a degree-{} polynomial sigmoid", p.degree),
        }
    );
    let _ = writeln!(
        s,
        "query level  {} (seeded secret-key ciphertexts)",
        info.plan.input_level()
    );
    let _ = writeln!(
        s,
        "rotations    {:?} (the only Galois keys to send)",
        info.plan.rotation_steps()
    );
    let _ = writeln!(
        s,
        "features     {} in this order (value ↦ (value − mean) / std):",
        info.features.len()
    );
    for (i, f) in info.features.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:>2} {:<26} mean {:>12.6}  std {:>12.6}",
            i + 1,
            f,
            info.scaler.mean[i],
            info.scaler.std[i]
        );
    }
    Ok(s)
}

fn preset_name(spec: &ParamsSpec) -> &'static str {
    ParamsSpec::PRESETS
        .into_iter()
        .find(|p| ParamsSpec::preset(p).as_ref() == Some(spec))
        .unwrap_or("custom")
}

/// The hospital's model with its description and parameters.
pub struct LoadedModel {
    /// The full model (weights included).
    pub model: Model,
    /// Its public description.
    pub info: ModelInfo,
    /// The parameters.
    pub params: Arc<Params>,
    /// The description's id.
    pub model_id: [u8; 8],
}

impl LoadedModel {
    /// Loads a model file that has encryption settings.
    ///
    /// # Errors
    /// Model loading errors; [`Error::File`] for a model without encryption
    /// settings.
    pub fn load(path: &Path) -> Result<Self> {
        let model = Model::load(path)?;
        let info = model.info().ok_or_else(|| Error::File {
            path: path.to_path_buf(),
            message: "the model has no encryption settings; train it with `hediag hospital train`"
                .into(),
        })?;
        let params = info.check()?;
        let model_id = info.id();
        Ok(Self {
            model,
            info,
            params,
            model_id,
        })
    }

    /// A hospital for the keys of `bundle` (its bytes; `origin` names them).
    ///
    /// # Errors
    /// Bundle errors (wrong kind, a secret key, other parameters or model,
    /// altered bytes); missing Galois keys for the plan.
    pub fn hospital(&self, bundle: &[u8], origin: &str) -> Result<Hospital> {
        let bundle = PublicBundle::from_bytes(&self.params, self.model_id, bundle, origin)?;
        Ok(Hospital::new(
            &self.params,
            &self.model.classifier,
            &self.info.plan,
            bundle.keys,
        )?)
    }
}

/// Evaluates a query file with a patient's public bundle and writes the
/// answer.
///
/// # Errors
/// As [`LoadedModel::load`], [`LoadedModel::hospital`], the query loader
/// and the evaluation; [`ml::Error::Io`] for the files.
pub fn hospital_infer(model: &Path, eval_keys: &Path, query: &Path, out: &Path) -> Result<String> {
    let m = LoadedModel::load(model)?;
    let hospital = m.hospital(&files::read(eval_keys)?, &eval_keys.display().to_string())?;
    let q = Query::from_bytes(
        &m.params,
        m.model_id,
        &files::read(query)?,
        &query.display().to_string(),
    )?;
    let t = Instant::now();
    let answer = hospital.infer(&q)?;
    let elapsed = t.elapsed();
    let bytes = answer.to_bytes(&m.params, m.model_id);
    files::write_atomic(out, &bytes, false)?;
    Ok(format!(
        "evaluated {} patients in {} ciphertext block(s) in {:.1} ms; wrote {} ({} bytes)\n",
        q.n_patients,
        q.blocks.len(),
        elapsed.as_secs_f64() * 1e3,
        out.display(),
        bytes.len()
    ))
}

/// A patient's key directory, loaded.
pub struct PatientKeys {
    /// The description the keys were made for.
    pub info: ModelInfo,
    /// Its parameters.
    pub params: Arc<Params>,
    /// The patient, holding the secret key.
    pub patient: Patient,
}

impl PatientKeys {
    /// Loads `dir/model.json` and `dir/secret.key`.
    ///
    /// # Errors
    /// Missing files; a description or key that fails its checks; a secret
    /// key readable by others.
    pub fn load(dir: &Path) -> Result<Self> {
        let info = ModelInfo::load(dir.join(keyfiles::MODEL))?;
        let params = info.check()?;
        let patient = Patient::load_secret_key(&params, &dir.join(keyfiles::SECRET), info.id())?;
        Ok(Self {
            info,
            params,
            patient,
        })
    }
}

/// Makes a secret key and the public bundle for `model` (a model file or
/// its description) in `dir`. An existing secret key is kept unless
/// `force`: losing it makes every answer for it unreadable.
///
/// # Errors
/// [`Error::File`] if `dir` already has a secret key (without `force`) or
/// cannot be created; model errors; [`ml::Error::Io`].
pub fn patient_keygen(model: &Path, dir: &Path, seed: Option<u64>, force: bool) -> Result<String> {
    let info = ModelInfo::load(model)?;
    let params = info.check()?;
    let sk_path = dir.join(keyfiles::SECRET);
    if sk_path.exists() && !force {
        return Err(Error::File {
            path: sk_path,
            message: "a secret key is already there; answers made for it need it. Use another directory, or --force to replace it".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::File {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut patient = Patient::with_rng(&params, rng_for(seed));
    let bundle = patient.public_bundle(&info.plan)?;
    let bundle_bytes = bundle.to_bytes(&params, info.id());
    patient.save_secret_key(&sk_path, info.id())?;
    files::write_atomic(&dir.join(keyfiles::BUNDLE), &bundle_bytes, false)?;
    files::write_atomic(
        &dir.join(keyfiles::MODEL),
        info.to_json()?.as_bytes(),
        false,
    )?;
    // A bundle of older keys names an id the server no longer matches.
    let _ = std::fs::remove_file(dir.join(keyfiles::SERVER_KEY_ID));
    Ok(format!(
        "wrote {} (mode 0600, keep it), {} ({} bytes: public key, relinearization key, Galois keys for steps {:?}) and {}\n",
        sk_path.display(),
        dir.join(keyfiles::BUNDLE).display(),
        bundle_bytes.len(),
        info.plan.rotation_steps(),
        dir.join(keyfiles::MODEL).display()
    ))
}

/// Standardizes and encrypts records for the model the keys were made for.
///
/// # Errors
/// [`Error::File`] if `model` is another model than the keys'; key,
/// records and encryption errors.
pub fn patient_encrypt_bytes(
    keys: &mut PatientKeys,
    records: &Records,
    seed: Option<u64>,
) -> Result<Vec<u8>> {
    if let Some(seed) = seed {
        keys.patient.set_rng(ChaCha20::seed_from_u64(seed));
    }
    let rows = keys.info.standardize(records)?;
    let query = keys.patient.encrypt(&keys.info.plan, &rows)?;
    Ok(query.to_bytes(&keys.params, keys.info.id()))
}

/// `patient encrypt`: standardizes `records` with the model's published
/// scaler, packs and encrypts them into `out`.
///
/// # Errors
/// [`Error::File`] if `model` describes another model than the keys';
/// key, records and encryption errors.
pub fn patient_encrypt(
    model: &Path,
    keys_dir: &Path,
    records: &Path,
    out: &Path,
    seed: Option<u64>,
) -> Result<String> {
    let info = ModelInfo::load(model)?;
    let mut keys = PatientKeys::load(keys_dir)?;
    if info.id() != keys.info.id() {
        return Err(Error::File {
            path: keys_dir.to_path_buf(),
            message: format!(
                "the keys were made for model {}, not {} ({}); run `hediag patient keygen` for it",
                hex(&keys.info.id()),
                hex(&info.id()),
                model.display()
            ),
        });
    }
    let records = Records::load(records, &info.features)?;
    let bytes = patient_encrypt_bytes(&mut keys, &records, seed)?;
    files::write_atomic(out, &bytes, false)?;
    Ok(format!(
        "encrypted {} records; wrote {} ({} bytes)\n",
        records.len(),
        out.display(),
        bytes.len()
    ))
}

/// One decrypted diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The record's id (its `id` column, or its 1-based row number).
    pub id: String,
    /// `"malignant"` or `"benign"`.
    pub diagnosis: &'static str,
    /// Probability of malignancy: the sigmoid of the logit, or the
    /// polynomial sigmoid the hospital evaluated.
    pub probability: f64,
    /// The logit, when the hospital returned logits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logit: Option<f64>,
}

/// Decrypts answer bytes into diagnoses. `ids` labels them (row numbers
/// when `None`).
///
/// # Errors
/// Answer errors (kind, parameters, model, shape); [`Error::File`] if `ids`
/// has another length than the answer.
pub fn decrypt_answer(
    keys: &PatientKeys,
    bytes: &[u8],
    origin: &str,
    ids: Option<&[String]>,
) -> Result<Vec<Diagnosis>> {
    let answer = Answer::from_bytes(&keys.params, keys.info.id(), bytes, origin)?;
    let values = keys.patient.decrypt(&keys.info.plan, &answer)?;
    if let Some(ids) = ids {
        if ids.len() != values.len() {
            return Err(Error::File {
                path: PathBuf::from(origin),
                message: format!(
                    "{} answers for {} records: was it made from these records?",
                    values.len(),
                    ids.len()
                ),
            });
        }
    }
    Ok(values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (probability, logit) = match keys.info.plan.output {
                Output::Logit => (ml::sigmoid(v), Some(v)),
                Output::Probability(_) => (v, None),
            };
            Diagnosis {
                id: ids.map_or_else(|| (i + 1).to_string(), |ids| ids[i].clone()),
                diagnosis: if probability >= 0.5 {
                    "malignant"
                } else {
                    "benign"
                },
                probability,
                logit,
            }
        })
        .collect())
}

/// The diagnoses as a table, or as JSON.
#[must_use]
pub fn render_diagnoses(info: &ModelInfo, diagnoses: &[Diagnosis], json: bool) -> String {
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            model_id: String,
            patients: &'a [Diagnosis],
        }
        return serde_json::to_string_pretty(&Out {
            model_id: hex(&info.id()),
            patients: diagnoses,
        })
        .expect("plain data serializes")
            + "\n";
    }
    let mut s = format!(
        "{:<12} {:<10} {:>14}\n",
        "record", "diagnosis", "P(malignant)"
    );
    for d in diagnoses {
        let _ = writeln!(
            s,
            "{:<12} {:<10} {:>14.4}",
            d.id, d.diagnosis, d.probability
        );
    }
    let m = diagnoses
        .iter()
        .filter(|d| d.diagnosis == "malignant")
        .count();
    let _ = writeln!(
        s,
        "{} records: {m} malignant, {} benign",
        diagnoses.len(),
        diagnoses.len() - m
    );
    if let Output::Probability(p) = &info.plan.output {
        let _ = writeln!(
            s,
            "(probabilities from a degree-{} polynomial sigmoid, accurate on logits in [−{b}, {b}])",
            p.degree,
            b = p.bound
        );
    }
    s
}

/// `patient decrypt`: decrypts `answer` with the keys in `keys_dir`.
/// `records` (the file the query was made from) labels the rows by id.
///
/// # Errors
/// As [`PatientKeys::load`] and [`decrypt_answer`].
pub fn patient_decrypt(
    keys_dir: &Path,
    answer: &Path,
    records: Option<&Path>,
    json: bool,
) -> Result<String> {
    let keys = PatientKeys::load(keys_dir)?;
    let ids = records
        .map(|r| Records::load(r, &keys.info.features).map(|r| r.ids))
        .transpose()?;
    let diagnoses = decrypt_answer(
        &keys,
        &files::read(answer)?,
        &answer.display().to_string(),
        ids.as_deref(),
    )?;
    Ok(render_diagnoses(&keys.info, &diagnoses, json))
}

/// Plaintext predictions of a model on records: what the encrypted path
/// must reproduce.
///
/// # Errors
/// Model and records errors.
pub fn plaintext_logits(model: &Model, records: &Records) -> Result<Vec<f64>> {
    let z = model.scaler.transform(&records.x)?;
    Ok(z.iter().map(|r| model.classifier.logit(r)).collect())
}
