//! Encrypted inference equals plaintext inference on the whole test set.

mod common;

use std::sync::Arc;

use ckks::{Params, ParamsSpec};
use ml::encrypted::{Hospital, InferencePlan, Layout, Output, Patient};
use ml::{sigmoid, SigmoidPoly};

fn params(name: &str) -> Arc<Params> {
    Params::new(&ParamsSpec::preset(name).unwrap()).unwrap()
}

/// Runs `plan` on the test set; returns (plaintext logits, decrypted values).
fn run(params: &Arc<Params>, features: usize, plan: &InferencePlan) -> (Vec<f64>, Vec<f64>) {
    let (model, test) = common::trained(features);
    let rows = model.standardize(&test).unwrap();
    let mut patient = Patient::with_rng(params, ckks::testing::test_rng());
    let keys = patient.evaluation_keys(plan).unwrap();
    assert_eq!(keys.galois().len(), plan.rotation_steps().len());
    assert_eq!(keys.relin().is_some(), plan.needs_relin());
    let hospital = Hospital::new(params, &model.classifier, plan, keys).unwrap();
    let query = patient.encrypt(plan, &rows).unwrap();
    let answer = hospital.infer(&query).unwrap();
    let got = patient.decrypt(plan, &answer).unwrap();
    (model.logits(&test).unwrap(), got)
}

fn assert_same_predictions(layout: Layout, features: usize) {
    let params = params("seed");
    let plan = InferencePlan::logits(layout, features);
    let (plain, enc) = run(&params, features, &plan);
    assert_eq!(plain.len(), 114);
    assert_eq!(enc.len(), 114);
    let max_err = plain
        .iter()
        .zip(&enc)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let bits = -max_err.log2();
    println!("{layout}, {features} features: max |logit error| {max_err:.3e} ({bits:.1} bits)");
    for (i, (a, b)) in plain.iter().zip(&enc).enumerate() {
        assert_eq!(
            a > &0.0,
            b > &0.0,
            "patient {i}: plaintext {a}, encrypted {b}"
        );
    }
    // Scale 2^40 with 20-bit logits leaves well over 16 bits.
    assert!(bits > 16.0, "{layout}: only {bits:.1} bits");
}

#[test]
fn per_patient_layout_matches_plaintext() {
    assert_same_predictions(Layout::PerPatient, 30);
}

#[test]
fn batched_layout_matches_plaintext() {
    assert_same_predictions(Layout::Batched, 30);
    assert_same_predictions(Layout::Batched, 10);
}

#[test]
fn feature_major_layout_matches_plaintext() {
    assert_same_predictions(Layout::FeatureMajor, 30);
}

#[test]
fn batched_packs_128_patients_with_thirty_features() {
    let params = params("seed");
    let plan = InferencePlan::logits(Layout::Batched, 30);
    assert_eq!(plan.patients_per_block(&params), 128);
    assert_eq!(plan.rotation_steps(), [1, 2, 4, 8, 16]);
    assert!(InferencePlan::logits(Layout::FeatureMajor, 30)
        .rotation_steps()
        .is_empty());
}

#[test]
fn upload_is_a_seeded_level_one_ciphertext() {
    let params = params("seed");
    let plan = InferencePlan::logits(Layout::Batched, 30);
    let (model, test) = common::trained(30);
    let rows = model.standardize(&test).unwrap();
    let mut patient = Patient::with_rng(&params, ckks::testing::test_rng());
    let q = patient.encrypt(&plan, &rows).unwrap();
    let bytes = q.byte_size(&params);
    // c0 over a 60- and a 40-bit prime, bit-packed, plus a 32-byte seed.
    assert!(bytes < 8192 * 100 / 8 + 200, "{bytes} bytes");
    assert!(bytes * 100 <= 331_539 * 35, "{bytes} bytes");
}

#[test]
fn encrypted_sigmoid_stays_close_to_the_exact_one() {
    let params = params("depth3");
    let poly = SigmoidPoly::fit(3, 8.0).unwrap();
    let plan = InferencePlan {
        layout: Layout::Batched,
        n_features: 30,
        output: Output::Probability(poly.clone()),
    };
    assert_eq!(plan.input_level(), 3);
    let (logits, probs) = run(&params, 30, &plan);
    let mut worst_poly = 0.0f64;
    for (&z, &p) in logits.iter().zip(&probs) {
        // The ciphertext computes the polynomial: it must match it closely.
        let e = (p - poly.eval(z)).abs();
        worst_poly = worst_poly.max(e);
    }
    let worst_sigmoid = logits
        .iter()
        .zip(&probs)
        .filter(|(z, _)| z.abs() <= 8.0)
        .map(|(&z, &p)| (p - sigmoid(z)).abs())
        .fold(0.0, f64::max);
    println!(
        "degree 3: |enc − poly| ≤ {worst_poly:.3e}, |enc − σ| ≤ {worst_sigmoid:.3e} on |z| ≤ 8"
    );
    assert!(-worst_poly.log2() > 16.0, "{worst_poly}");
    assert!(worst_sigmoid <= poly.max_error_on_interval() + 1e-4);
}

#[test]
fn a_plan_deeper_than_the_parameters_is_refused() {
    let params = params("seed");
    let plan = InferencePlan {
        layout: Layout::Batched,
        n_features: 30,
        output: Output::Probability(SigmoidPoly::fit(3, 8.0).unwrap()),
    };
    let mut patient = Patient::with_rng(&params, ckks::testing::test_rng());
    let e = patient.evaluation_keys(&plan).unwrap_err();
    assert!(e.to_string().contains("needs 3 levels"), "{e}");
}

#[test]
fn hospital_refuses_keys_without_a_needed_rotation() {
    let params = params("seed");
    let (model, _) = common::trained(30);
    let mut patient = Patient::with_rng(&params, ckks::testing::test_rng());
    // Keys for feature-major (no rotations) do not serve the batched layout.
    let keys = patient
        .evaluation_keys(&InferencePlan::logits(Layout::FeatureMajor, 30))
        .unwrap();
    let e = Hospital::new(
        &params,
        &model.classifier,
        &InferencePlan::logits(Layout::Batched, 30),
        keys,
    )
    .unwrap_err();
    assert!(e.to_string().contains("rotation step 1"), "{e}");
}
