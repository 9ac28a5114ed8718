//! The demo binary end to end: outputs, report fields and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hediag-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn hediag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hediag"))
        .args(args)
        .arg("--data")
        .arg(data("wdbc.csv"))
        .arg("--split")
        .arg(data("wdbc_split_seed42.csv"))
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn demo_prints_the_report_and_writes_both_files() {
    let out = out_dir("demo");
    let o = hediag(&[
        "demo",
        "--quiet",
        "--seed",
        "7",
        "--repeats",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for line in [
        "differing predictions: 0 of 114",
        "encrypted, batched",
        "patients/s",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in\n{stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["features"].as_array().unwrap().len(), 30);
    assert_eq!(json["differing_predictions"], 0);
    let plain = json["plaintext"]["accuracy"].as_f64().unwrap();
    assert_eq!((plain * 114.0).round() as u32, 111);
    assert_eq!(json["encrypted"]["accuracy"].as_f64().unwrap(), plain);
    assert!(json["max_logit_error"].as_f64().unwrap() < 1e-4);
    assert_eq!(json["params"]["n"], 8192);
    let layouts = json["layouts"].as_array().unwrap();
    let names: Vec<&str> = layouts
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["per-patient", "batched", "feature-major"]);
    for l in layouts {
        assert!(l["patients_per_second"].as_f64().unwrap() > 0.0);
        assert!(l["upload_bytes"].as_u64().unwrap() > 0);
        assert!(l["eval_key_bytes"].is_u64());
    }
    let png = std::fs::read(out.join("performance.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn ten_features_and_one_layout() {
    let out = out_dir("ten");
    let o = hediag(&[
        "--features",
        "10",
        "--layout",
        "feature-major",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(
        (json["plaintext"]["accuracy"].as_f64().unwrap() * 114.0).round() as u32,
        107
    );
    assert_eq!(json["layouts"].as_array().unwrap().len(), 1);
    assert_eq!(json["differing_predictions"], 0);
}

#[test]
fn bad_options_exit_with_code_two_and_say_why() {
    for (args, says) in [
        (vec!["--features", "12"], "12"),
        (vec!["--layout", "diagonal"], "diagonal"),
        (vec!["--preset", "huge"], "huge"),
        (vec!["--sigmoid", "3"], "depth3"),
        (vec!["--repeats", "0"], "0"),
    ] {
        let o = hediag(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_misspelt_backend_stops_the_run_before_it_starts() {
    let out = out_dir("backend");
    let o = Command::new(env!("CARGO_BIN_EXE_hediag"))
        .env("CKKS_NTT_BACKEND", "avx-512")
        .args(["--quiet", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("CKKS_NTT_BACKEND=\"avx-512\" names no NTT backend"),
        "{}",
        text(&o)
    );
    assert!(!out.exists(), "the run wrote {}", out.display());
}

#[test]
fn a_missing_data_file_is_named() {
    let o = Command::new(env!("CARGO_BIN_EXE_hediag"))
        .args(["--quiet", "--data", "/nonexistent/wdbc.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("/nonexistent/wdbc.csv"), "{}", text(&o));
}

#[test]
fn encrypted_sigmoid_reports_approximation_and_encryption_errors_apart() {
    let out = out_dir("sigmoid");
    let o = hediag(&[
        "--sigmoid",
        "3",
        "--preset",
        "depth3",
        "--layout",
        "batched",
        "--quiet",
        "--repeats",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["sigmoid_degree"], 3);
    assert_eq!(json["differing_predictions"], 0);
    let sg = &json["layouts"][0]["sigmoid"];
    // Encryption adds little to the polynomial; the polynomial itself is
    // within 0.1 of the sigmoid on [-8, 8] (the published fit's figure).
    assert!(sg["max_encryption_error"].as_f64().unwrap() < 1e-4, "{sg}");
    assert!(sg["max_error_in_interval"].as_f64().unwrap() < 0.1, "{sg}");
    assert!(sg["outside_interval"].as_u64().is_some(), "{sg}");
}
