#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! The diagnosis pipeline end to end (encrypt + infer + decrypt) on the
//! bundled breast-cancer data, 30 features, `seed` parameters:
//! - batched layout, 2048 patients (16 ciphertexts of 128) on both cores,
//!   reported as patients per second;
//! - per-patient layout, one patient, on one thread (the published study's
//!   loop);
//! - feature-major layout, 4096 patients (30 ciphertexts), both cores.
//!
//! The upload size per query is printed once at start-up.

use std::path::Path;
use std::sync::Arc;

use ckks::rng::ChaCha20;
use ckks::{Params, ParamsSpec};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ml::encrypted::{EvaluationKeys, Hospital, InferencePlan, Layout, Patient};
use ml::{Dataset, FeatureSelection, Model, Split, TrainOptions};
use rand::SeedableRng;

/// TenSEAL's ciphertext for one query in the published pipeline, bytes.
const TENSEAL_UPLOAD_BYTES: f64 = 331_539.0;

struct Setup {
    params: Arc<Params>,
    model: Model,
    /// Standardized test rows, cycled to `count` patients.
    rows: Vec<Vec<f64>>,
}

fn setup() -> Setup {
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let data = Dataset::load(data_dir.join("wdbc.csv")).expect("bundled data");
    let split =
        Split::load(data_dir.join("wdbc_split_seed42.csv"), data.len()).expect("bundled split");
    let train = data.rows(&split.train);
    let test = data.rows(&split.test);
    let model = Model::train(&train, &FeatureSelection::All, &TrainOptions::default())
        .expect("training converges");
    let rows = model.standardize(&test).expect("same columns");
    Setup {
        params: Params::new(&ParamsSpec::seed()).expect("seed preset"),
        model,
        rows,
    }
}

fn parties(s: &Setup, plan: &InferencePlan) -> (Patient, Hospital) {
    let mut patient = Patient::with_rng(&s.params, ChaCha20::seed_from_u64(1));
    let keys: EvaluationKeys = patient.evaluation_keys(plan).expect("keys");
    let hospital = Hospital::new(&s.params, &s.model.classifier, plan, keys).expect("hospital");
    (patient, hospital)
}

fn cycled(rows: &[Vec<f64>], count: usize) -> Vec<Vec<f64>> {
    rows.iter().cycle().take(count).cloned().collect()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn end_to_end(
    patient: &mut Patient,
    hospital: &Hospital,
    plan: &InferencePlan,
    rows: &[Vec<f64>],
) -> Vec<f64> {
    let q = patient.encrypt(plan, rows).expect("encrypt");
    let a = hospital.infer(&q).expect("infer");
    patient.decrypt(plan, &a).expect("decrypt")
}

fn diagnosis(c: &mut Criterion) {
    let s = setup();
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let mut g = c.benchmark_group("diagnosis");
    g.sample_size(20);

    let cases = [
        (Layout::Batched, 16 * 128, cores),
        (Layout::PerPatient, 1, 1),
        (Layout::FeatureMajor, 4096, cores),
    ];
    for (layout, count, threads) in cases {
        let plan = InferencePlan::logits(layout, 30);
        let (mut patient, hospital) = parties(&s, &plan);
        let rows = cycled(&s.rows, count);
        let q = patient.encrypt(
            &plan,
            &rows[..rows.len().min(plan.patients_per_block(&s.params))],
        );
        let upload = q.expect("encrypt").byte_size(&s.params);
        println!(
            "{layout}: upload per query {upload} bytes ({:.3} × TenSEAL's {TENSEAL_UPLOAD_BYTES})",
            upload as f64 / TENSEAL_UPLOAD_BYTES
        );
        let pool = pool(threads);
        g.throughput(Throughput::Elements(count as u64));
        g.bench_function(
            format!("{layout}_30_features/{count}_patients/{threads}_threads"),
            |b| {
                pool.install(|| b.iter(|| end_to_end(&mut patient, &hospital, &plan, &rows)));
            },
        );
    }
    g.finish();
}

criterion_group!(benches, diagnosis);
criterion_main!(benches);
