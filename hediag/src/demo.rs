//! `hediag demo`: train, encrypt the test patients, infer, decrypt, report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ckks::rng::ChaCha20;
use ckks::{Params, ParamsSpec};
use indicatif::{ProgressBar, ProgressStyle};
use ml::encrypted::{Answer, Hospital, InferencePlan, Layout, Output, Patient};
use ml::{Dataset, FeatureSelection, Model, SigmoidPoly, Split, TrainOptions};
use rand::SeedableRng;

use crate::report::{LayoutReport, ParamsReport, Quality, Report, SigmoidReport};

/// Half-width of the interval the polynomial sigmoid is fitted on.
pub const SIGMOID_BOUND: f64 = 8.0;

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// `data/wdbc.csv`.
    pub data: PathBuf,
    /// `data/wdbc_split_seed42.csv`.
    pub split: PathBuf,
    /// 10 or 30.
    pub features: usize,
    /// Layouts to run, in order.
    pub layouts: Vec<Layout>,
    /// Parameter preset.
    pub preset: String,
    /// Output directory of `results.json` and `performance.png`.
    pub out: PathBuf,
    /// Seed of the patient's generator (OS-seeded when absent).
    pub seed: Option<u64>,
    /// Degree of the encrypted sigmoid (logits when absent).
    pub sigmoid: Option<usize>,
    /// Repetitions of the batch layouts' timing (median taken).
    pub repeats: usize,
    /// Draw progress bars.
    pub progress: bool,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An option combination that cannot work (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Data, model or encrypted-inference errors.
    #[error(transparent)]
    Ml(#[from] ml::Error),
    /// Scheme errors.
    #[error(transparent)]
    Ckks(#[from] ckks::Error),
    /// Writing the outputs.
    #[error("{path}: {message}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

/// Checks the options before any work.
///
/// # Errors
/// [`DemoError::Usage`] for an unknown preset or a sigmoid deeper than it.
pub fn params_for(opts: &DemoOptions) -> Result<Arc<Params>, DemoError> {
    let spec = ParamsSpec::preset(&opts.preset).ok_or_else(|| {
        DemoError::Usage(format!(
            "unknown preset `{}`: choose one of {}",
            opts.preset,
            ParamsSpec::PRESETS.join(", ")
        ))
    })?;
    let params = Params::new(&spec)?;
    if let Some(d) = opts.sigmoid {
        let plan = plan_for(Layout::Batched, opts.features, Some(d))?;
        plan.check(&params).map_err(|e| {
            DemoError::Usage(format!(
                "{e} (degree 3 fits `depth3`; degrees 5 and 7 fit `n16k`)"
            ))
        })?;
    }
    Ok(params)
}

pub(crate) fn plan_for(
    layout: Layout,
    features: usize,
    sigmoid: Option<usize>,
) -> Result<InferencePlan, DemoError> {
    Ok(InferencePlan {
        layout,
        n_features: features,
        output: match sigmoid {
            None => Output::Logit,
            Some(d) => Output::Probability(SigmoidPoly::fit(d, SIGMOID_BOUND)?),
        },
    })
}

fn bar(opts: &DemoOptions, len: u64, what: String) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what);
    pb
}

/// Phase times of one query, and the sizes of its upload and answer.
struct Phases {
    encrypt: Duration,
    infer: Duration,
    decrypt: Duration,
    sizes: Option<(usize, usize)>,
    values: Vec<f64>,
}

fn run_query(
    params: &Params,
    patient: &mut Patient,
    hospital: &Hospital,
    plan: &InferencePlan,
    rows: &[Vec<f64>],
    measure_sizes: bool,
) -> Result<Phases, DemoError> {
    let (query, encrypt) = timed(|| patient.encrypt(plan, rows));
    let query = query?;
    let (answer, infer): (ml::Result<Answer>, _) = timed(|| hospital.infer(&query));
    let answer = answer?;
    let (values, decrypt) = timed(|| patient.decrypt(plan, &answer));
    Ok(Phases {
        encrypt,
        infer,
        decrypt,
        sizes: measure_sizes.then(|| (query.byte_size(params), answer.byte_size(params))),
        values: values?,
    })
}

/// Runs one layout over the test rows.
fn run_layout(
    opts: &DemoOptions,
    params: &Arc<Params>,
    model: &Model,
    rows: &[Vec<f64>],
    truth: &[u8],
    plain_logits: &[f64],
    layout: Layout,
) -> Result<LayoutReport, DemoError> {
    let plan = plan_for(layout, model.n_features(), opts.sigmoid)?;
    let rng = match opts.seed {
        Some(s) => ChaCha20::seed_from_u64(s),
        None => ckks::rng::os_seeded(),
    };
    let mut patient = Patient::with_rng(params, rng);
    let (keys, keygen) = timed(|| patient.evaluation_keys(&plan));
    let keys = keys?;
    let eval_key_bytes = keys.byte_size(params);
    let hospital = Hospital::new(params, &model.classifier, &plan, keys)?;

    // Per-patient: one query per patient, as the study's loop. Batch
    // layouts: the whole test set in one query, timed `repeats` times.
    let queries: Vec<&[Vec<f64>]> = match layout {
        Layout::PerPatient => rows.chunks(1).collect(),
        Layout::Batched | Layout::FeatureMajor => vec![rows; opts.repeats.max(1)],
    };
    let pb = bar(opts, queries.len() as u64, format!("{layout}: queries"));
    let mut runs = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        runs.push(run_query(
            params,
            &mut patient,
            &hospital,
            &plan,
            q,
            i == 0,
        )?);
        pb.inc(1);
    }
    pb.finish_and_clear();

    let (values, encrypt, infer, decrypt, per_patient) = match layout {
        Layout::PerPatient => {
            let sum = |f: fn(&Phases) -> Duration| ms(runs.iter().map(f).sum());
            let per: Vec<f64> = runs
                .iter()
                .map(|r| ms(r.encrypt + r.infer + r.decrypt))
                .collect();
            let values: Vec<f64> = runs.iter().flat_map(|r| r.values.clone()).collect();
            (
                values,
                sum(|r| r.encrypt),
                sum(|r| r.infer),
                sum(|r| r.decrypt),
                median(per),
            )
        }
        Layout::Batched | Layout::FeatureMajor => {
            let med = |f: fn(&Phases) -> Duration| median(runs.iter().map(|r| ms(f(r))).collect());
            let n = rows.len() as f64;
            let per = median(
                runs.iter()
                    .map(|r| ms(r.encrypt + r.infer + r.decrypt) / n)
                    .collect(),
            );
            (
                runs[0].values.clone(),
                med(|r| r.encrypt),
                med(|r| r.infer),
                med(|r| r.decrypt),
                per,
            )
        }
    };
    // Every query of a layout has the same shape (per-patient: one
    // ciphertext each), so the first one's sizes stand for all.
    let (upload, answer) = runs[0].sizes.expect("measured on the first query");

    // `reference` is what the plaintext model predicts with the same
    // output: the logit's sign, or the same polynomial above ½. Predictions
    // that differ from it are the encryption's doing; a polynomial's own
    // flips (logits outside its interval) are reported separately.
    let (predicted, reference, max_logit_error, sigmoid) = match &plan.output {
        Output::Logit => {
            let err = values
                .iter()
                .zip(plain_logits)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            (
                values
                    .iter()
                    .map(|&z| u8::from(z > 0.0))
                    .collect::<Vec<_>>(),
                plain_logits
                    .iter()
                    .map(|&z| u8::from(z > 0.0))
                    .collect::<Vec<_>>(),
                Some(err),
                None,
            )
        }
        Output::Probability(poly) => {
            let pairs = || values.iter().zip(plain_logits);
            let max_of = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0, f64::max);
            let inside = |z: f64| z.abs() <= poly.bound;
            let report = SigmoidReport {
                degree: poly.degree,
                bound: poly.bound,
                max_error: max_of(&mut pairs().map(|(p, &z)| (p - ml::sigmoid(z)).abs())),
                max_error_in_interval: max_of(
                    &mut pairs()
                        .filter(|(_, &z)| inside(z))
                        .map(|(p, &z)| (p - ml::sigmoid(z)).abs()),
                ),
                outside_interval: plain_logits.iter().filter(|&&z| !inside(z)).count(),
                max_encryption_error: max_of(&mut pairs().map(|(p, &z)| (p - poly.eval(z)).abs())),
                approximation_flips: plain_logits
                    .iter()
                    .filter(|&&z| (poly.eval(z) > 0.5) != (z > 0.0))
                    .count(),
            };
            (
                values.iter().map(|&p| u8::from(p > 0.5)).collect(),
                plain_logits
                    .iter()
                    .map(|&z| u8::from(poly.eval(z) > 0.5))
                    .collect(),
                None,
                Some(report),
            )
        }
    };
    let differing = predicted
        .iter()
        .zip(&reference)
        .filter(|(p, r)| p != r)
        .count();
    let total = encrypt + infer + decrypt;
    Ok(LayoutReport {
        name: layout.name().into(),
        patients: rows.len(),
        patients_per_query: plan.patients_per_block(params).min(rows.len()),
        ciphertexts_per_query: match layout {
            Layout::FeatureMajor => model.n_features(),
            Layout::PerPatient | Layout::Batched => 1,
        },
        rotation_steps: plan.rotation_steps(),
        keygen_ms: ms(keygen),
        encrypt_ms: encrypt,
        infer_ms: infer,
        decrypt_ms: decrypt,
        median_ms_per_patient: per_patient,
        patients_per_second: rows.len() as f64 / (total / 1e3),
        upload_bytes: upload,
        answer_bytes: answer,
        eval_key_bytes,
        quality: Quality::new(&predicted, truth),
        differing_predictions: differing,
        max_logit_error,
        sigmoid,
    })
}

fn load(opts: &DemoOptions) -> Result<(Dataset, Dataset), DemoError> {
    let data = Dataset::load(&opts.data)?;
    let split = Split::load(&opts.split, data.len())?;
    Ok((data.rows(&split.train), data.rows(&split.test)))
}

/// Runs the demo and writes `results.json` and `performance.png` into
/// `opts.out`.
///
/// # Errors
/// See [`DemoError`].
pub fn run(opts: &DemoOptions) -> Result<Report, DemoError> {
    let params = params_for(opts)?;
    let (train, test) = load(opts)?;
    let selection = FeatureSelection::from_count(opts.features)?;
    let model = Model::train(&train, &selection, &TrainOptions::default())?;
    let rows = model.standardize(&test)?;
    let plain_logits = model.logits(&test)?;
    let plain_pred: Vec<u8> = plain_logits.iter().map(|&z| u8::from(z > 0.0)).collect();

    let mut layouts = Vec::new();
    for &layout in &opts.layouts {
        layouts.push(run_layout(
            opts,
            &params,
            &model,
            &rows,
            &test.y,
            &plain_logits,
            layout,
        )?);
    }
    let spec = params.spec();
    let report = Report {
        features: model.features.clone(),
        train_rows: train.len(),
        test_rows: test.len(),
        plaintext: Quality::new(&plain_pred, &test.y),
        encrypted: layouts
            .first()
            .map_or_else(|| Quality::new(&plain_pred, &test.y), |l| l.quality.clone()),
        differing_predictions: layouts
            .iter()
            .map(|l| l.differing_predictions)
            .max()
            .unwrap_or(0),
        max_logit_error: layouts
            .iter()
            .filter_map(|l| l.max_logit_error)
            .reduce(f64::max),
        sigmoid_degree: opts.sigmoid,
        params: ParamsReport {
            preset: opts.preset.clone(),
            n: params.n(),
            log_q: spec.log_q.clone(),
            log_p: spec.log_p.clone(),
            log_scale: spec.log_scale,
            log_qp: params.log_qp(),
            security: params.security_report(),
        },
        seed: opts.seed,
        layouts,
    };
    write_outputs(&opts.out, &report)?;
    Ok(report)
}

fn write_outputs(dir: &Path, report: &Report) -> Result<(), DemoError> {
    let err = |path: &Path, e: &dyn std::fmt::Display| DemoError::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, &e))?;
    let json = dir.join("results.json");
    let tmp = dir.join("results.json.tmp");
    let text = serde_json::to_string_pretty(report).expect("a report always serializes");
    std::fs::write(&tmp, text).map_err(|e| err(&tmp, &e))?;
    std::fs::rename(&tmp, &json).map_err(|e| err(&json, &e))?;
    let png = dir.join("performance.png");
    crate::plot::draw(report, &png).map_err(|e| err(&png, &e))
}
