//! The demo's results: what `results.json` holds and the printed report.

use std::fmt::Write as _;

use serde::Serialize;

/// Classification quality of one set of predictions.
#[derive(Clone, Debug, Serialize)]
pub struct Quality {
    /// Correct / total.
    pub accuracy: f64,
    /// TP / (TP + FP), malignant positive.
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// The confusion matrix.
    pub confusion: ml::Confusion,
}

impl Quality {
    /// From predictions and truth.
    #[must_use]
    pub fn new(predicted: &[u8], truth: &[u8]) -> Self {
        let c = ml::Confusion::new(predicted, truth);
        Self {
            accuracy: c.accuracy(),
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
            confusion: c,
        }
    }
}

/// The parameters and their security.
#[derive(Clone, Debug, Serialize)]
pub struct ParamsReport {
    /// Preset name.
    pub preset: String,
    /// Ring degree.
    pub n: usize,
    /// Bits of the ciphertext primes.
    pub log_q: Vec<u32>,
    /// Bits of the special primes.
    pub log_p: Vec<u32>,
    /// `log2` of the scale.
    pub log_scale: u32,
    /// `log2(QP)`.
    pub log_qp: u32,
    /// One-line security statement.
    pub security: String,
}

/// One layout's run over the test set.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutReport {
    /// Layout name.
    pub name: String,
    /// Patients evaluated.
    pub patients: usize,
    /// Patients per query the layout packs.
    pub patients_per_query: usize,
    /// Ciphertexts per query.
    pub ciphertexts_per_query: usize,
    /// Rotation steps (= Galois keys) the hospital received.
    pub rotation_steps: Vec<i64>,
    /// Evaluation-key generation, ms.
    pub keygen_ms: f64,
    /// Encryption of the whole test set, ms.
    pub encrypt_ms: f64,
    /// Hospital's inference on the whole test set, ms.
    pub infer_ms: f64,
    /// Decryption and decoding of the whole test set, ms.
    pub decrypt_ms: f64,
    /// Median end-to-end time per patient, ms.
    pub median_ms_per_patient: f64,
    /// Patients / (encrypt + infer + decrypt seconds).
    pub patients_per_second: f64,
    /// Bytes uploaded per query (seeded ciphertexts).
    pub upload_bytes: usize,
    /// Bytes downloaded per query.
    pub answer_bytes: usize,
    /// Bytes of the evaluation keys (seeded).
    pub eval_key_bytes: usize,
    /// Quality of the decrypted predictions.
    pub quality: Quality,
    /// Predictions that differ from the plaintext model's with the same
    /// output (logit sign, or the same polynomial above ½).
    pub differing_predictions: usize,
    /// Largest |plaintext logit − decrypted logit| (logit output only).
    pub max_logit_error: Option<f64>,
    /// The encrypted sigmoid's errors (polynomial output only).
    pub sigmoid: Option<SigmoidReport>,
}

/// How far the hospital's encrypted probability is from the truth, split
/// into what the polynomial costs and what encryption costs.
#[derive(Clone, Debug, Serialize)]
pub struct SigmoidReport {
    /// Polynomial degree.
    pub degree: usize,
    /// Half-width of the interval it was fitted on.
    pub bound: f64,
    /// Largest |decrypted probability − exact sigmoid of the plaintext
    /// logit| over the test set.
    pub max_error: f64,
    /// The same over the test patients whose logit is inside the interval.
    pub max_error_in_interval: f64,
    /// Test patients whose plaintext logit is outside the interval.
    pub outside_interval: usize,
    /// Largest |decrypted probability − the polynomial at the plaintext
    /// logit|: the encryption's share.
    pub max_encryption_error: f64,
    /// Test patients the polynomial itself classifies otherwise than the
    /// logit's sign (plaintext, no encryption involved).
    pub approximation_flips: usize,
}

/// Everything the demo measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Feature names used.
    pub features: Vec<String>,
    /// Training and test rows.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// Plaintext model on the test rows.
    pub plaintext: Quality,
    /// Encrypted predictions (of the first layout run; all layouts are
    /// listed below with their own quality).
    pub encrypted: Quality,
    /// Most differing predictions over the layouts.
    pub differing_predictions: usize,
    /// Largest logit error over the layouts.
    pub max_logit_error: Option<f64>,
    /// Degree of the encrypted sigmoid, if the hospital returned
    /// probabilities.
    pub sigmoid_degree: Option<usize>,
    /// The parameters.
    pub params: ParamsReport,
    /// Seed of the patient's generator, if one was given.
    pub seed: Option<u64>,
    /// Each layout run.
    pub layouts: Vec<LayoutReport>,
}

fn pct(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

fn bytes(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.2} MiB", b as f64 / f64::from(1 << 20))
    } else if b < 1 << 10 {
        format!("{b} B")
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}

impl Report {
    /// The human-readable report.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        let p = &self.params;
        let _ = writeln!(s, "hediag: encrypted breast-cancer diagnosis (CKKS)");
        let _ = writeln!(
            s,
            "data: {} training rows, {} test rows, {} features",
            self.train_rows,
            self.test_rows,
            self.features.len()
        );
        let _ = writeln!(
            s,
            "params: {} (N = {}, primes {:?} + {:?} bits, log2 QP = {}, scale 2^{}); {}",
            p.preset, p.n, p.log_q, p.log_p, p.log_qp, p.log_scale, p.security
        );
        let _ = writeln!(
            s,
            "output: {}",
            self.sigmoid_degree.map_or_else(
                || "the logit; the patient applies the exact sigmoid".to_owned(),
                |d| format!("a degree-{d} polynomial sigmoid, evaluated encrypted")
            )
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<26} {:>10} {:>10} {:>10} {:>10}   TP  FP  TN  FN",
            "", "accuracy", "precision", "recall", "F1"
        );
        let mut row = |name: &str, q: &Quality| {
            let c = &q.confusion;
            let _ = writeln!(
                s,
                "{name:<26} {:>10} {:>10} {:>10} {:>10}  {:>3} {:>3} {:>3} {:>3}",
                pct(q.accuracy),
                pct(q.precision),
                pct(q.recall),
                pct(q.f1),
                c.true_positive,
                c.false_positive,
                c.true_negative,
                c.false_negative
            );
        };
        row("plaintext", &self.plaintext);
        for l in &self.layouts {
            row(&format!("encrypted, {}", l.name), &l.quality);
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "differing predictions: {} of {}",
            self.differing_predictions, self.test_rows
        );
        if let Some(e) = self.max_logit_error {
            let _ = writeln!(s, "max |logit_plain - logit_encrypted|: {e:.3e}");
        }
        if let Some(sg) = self.layouts.iter().find_map(|l| l.sigmoid.as_ref()) {
            let _ = writeln!(
                s,
                "degree-{} sigmoid on [-{b}, {b}]: {} of {} test logits lie outside it; there the polynomial diverges and flips {} predictions even without encryption",
                sg.degree,
                sg.outside_interval,
                self.test_rows,
                sg.approximation_flips,
                b = sg.bound
            );
        }
        for l in &self.layouts {
            if let Some(sg) = &l.sigmoid {
                let _ = writeln!(
                    s,
                    "{}: max |encrypted p - exact sigmoid| {:.3e} over the test set, {:.3e} inside the interval; max |encrypted p - polynomial| {:.3e}",
                    l.name, sg.max_error, sg.max_error_in_interval, sg.max_encryption_error
                );
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<14} {:>9} {:>9} {:>9} {:>9} {:>12} {:>11} {:>11} {:>11}",
            "layout (ms)",
            "keygen",
            "encrypt",
            "infer",
            "decrypt",
            "per patient",
            "patients/s",
            "upload",
            "eval keys"
        );
        for l in &self.layouts {
            let _ = writeln!(
                s,
                "{:<14} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>12.4} {:>11.0} {:>11} {:>11}",
                l.name,
                l.keygen_ms,
                l.encrypt_ms,
                l.infer_ms,
                l.decrypt_ms,
                l.median_ms_per_patient,
                l.patients_per_second,
                bytes(l.upload_bytes),
                bytes(l.eval_key_bytes)
            );
        }
        let _ = writeln!(
            s,
            "(times for all {} test patients; per patient = median; upload per query: per-patient 1 patient, batched up to {} patients, feature-major up to {})",
            self.test_rows,
            self.layouts
                .iter()
                .find(|l| l.name == "batched")
                .map_or(0, |l| l.patients_per_query),
            p.n / 2
        );
        s
    }
}
