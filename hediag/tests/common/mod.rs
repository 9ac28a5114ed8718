//! Shared helpers: a scratch directory, running the binary, and the
//! plaintext predictions the encrypted path must reproduce.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of the bundled `data/` folder.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hediag-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `hediag args…` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hediag"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Standard output and error together.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs and asserts success; returns standard output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(o.status.success(), "hediag {args:?} failed:\n{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs and asserts exit code `code` with `needle` in the message.
pub fn fails(dir: &Path, args: &[&str], code: i32, needle: &str) {
    let o = run(dir, args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "hediag {args:?}:\n{}",
        text(&o)
    );
    assert!(
        text(&o).contains(needle),
        "hediag {args:?}: no `{needle}` in:\n{}",
        text(&o)
    );
}

/// `hediag hospital train` on the training rows into `dir/name`.
pub fn train(dir: &Path, name: &str, extra: &[&str]) {
    let wdbc = data("wdbc.csv");
    let split = data("wdbc_split_seed42.csv");
    let mut args = vec![
        "hospital",
        "train",
        "--data",
        wdbc.to_str().unwrap(),
        "--split",
        split.to_str().unwrap(),
        "--out",
        name,
    ];
    args.extend_from_slice(extra);
    ok(dir, &args);
}

/// The plaintext model's logits on the bundled patients.
pub fn plaintext_logits(model: &Path) -> (Vec<String>, Vec<f64>) {
    let model = ml::Model::load(model).unwrap();
    let records = ml::Records::load(data("patients.csv"), &model.features).unwrap();
    let z = model.scaler.transform(&records.x).unwrap();
    (
        records.ids.clone(),
        z.iter().map(|r| model.classifier.logit(r)).collect(),
    )
}

/// Checks `patient decrypt --json` output against the plaintext model:
/// same ids, same diagnoses, logits within 2^-20.
pub fn check_diagnoses(json: &str, model: &Path) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let patients = v["patients"].as_array().unwrap();
    let (ids, logits) = plaintext_logits(model);
    assert_eq!(patients.len(), logits.len());
    let mut worst = 0f64;
    for ((p, id), z) in patients.iter().zip(&ids).zip(&logits) {
        assert_eq!(p["id"].as_str().unwrap(), id);
        let expected = if *z >= 0.0 { "malignant" } else { "benign" };
        assert_eq!(p["diagnosis"].as_str().unwrap(), expected, "record {id}");
        let enc = p["logit"].as_f64().unwrap();
        worst = worst.max((enc - z).abs());
    }
    eprintln!("max logit error: {worst:.2e} over {} records", logits.len());
    assert!(worst < 2f64.powi(-20), "{worst:e}");
}
