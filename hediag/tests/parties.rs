//! The six command-line steps with the parties apart, and their refusals.

mod common;

use common::{check_diagnoses, data, fails, ok, scratch, train};

#[test]
fn six_steps_give_the_plaintext_diagnoses() {
    let dir = scratch("steps");
    train(&dir, "model.json", &["--features", "30"]);
    let info = ok(&dir, &["hospital", "info", "model.json"]);
    for needle in [
        "batched",
        "rotations    [1, 2, 4, 8, 16]",
        "mean_radius",
        "128-bit",
    ] {
        assert!(info.contains(needle), "no `{needle}` in:\n{info}");
    }
    let public = ok(&dir, &["hospital", "info", "model.json", "--json"]);
    assert!(!public.contains("weights"), "the description leaks weights");
    std::fs::write(dir.join("public.json"), public).unwrap();

    // The patient works from the public description only.
    ok(
        &dir,
        &[
            "patient",
            "keygen",
            "--model",
            "public.json",
            "--out",
            "keys",
        ],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("keys/secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let patients = data("patients.csv");
    let patients = patients.to_str().unwrap();
    ok(
        &dir,
        &[
            "patient",
            "encrypt",
            "--model",
            "public.json",
            "--keys",
            "keys",
            patients,
            "--out",
            "query.ct",
        ],
    );
    ok(
        &dir,
        &[
            "hospital",
            "infer",
            "--model",
            "model.json",
            "--eval-keys",
            "keys/public.bundle",
            "query.ct",
            "--out",
            "answer.ct",
        ],
    );
    let json = ok(
        &dir,
        &[
            "patient",
            "decrypt",
            "--keys",
            "keys",
            "answer.ct",
            "--records",
            patients,
            "--json",
        ],
    );
    check_diagnoses(&json, &dir.join("model.json"));
    let table = ok(&dir, &["patient", "decrypt", "--keys", "keys", "answer.ct"]);
    assert!(table.contains("114 records"), "{table}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_damaged_or_mismatched_files_are_refused_and_nothing_is_written() {
    let dir = scratch("refusals");
    train(&dir, "model.json", &["--features", "10"]);
    train(&dir, "other.json", &["--features", "30"]);
    ok(
        &dir,
        &[
            "patient",
            "keygen",
            "--model",
            "model.json",
            "--out",
            "keys",
        ],
    );
    ok(
        &dir,
        &[
            "patient",
            "keygen",
            "--model",
            "other.json",
            "--out",
            "okeys",
        ],
    );
    let patients = data("patients.csv");
    let patients = patients.to_str().unwrap();
    ok(
        &dir,
        &[
            "patient",
            "encrypt",
            "--model",
            "model.json",
            "--keys",
            "keys",
            patients,
            "--out",
            "query.ct",
        ],
    );
    let query = std::fs::read(dir.join("query.ct")).unwrap();
    std::fs::write(dir.join("short.ct"), &query[..query.len() / 3]).unwrap();
    let mut altered = query.clone();
    let mid = altered.len() / 2;
    altered[mid] ^= 1;
    std::fs::write(dir.join("altered.ct"), altered).unwrap();

    let infer = |keys: &str, q: &str, code: i32, needle: &str| {
        fails(
            &dir,
            &[
                "hospital",
                "infer",
                "--model",
                "model.json",
                "--eval-keys",
                keys,
                q,
                "--out",
                "answer.ct",
            ],
            code,
            needle,
        );
        assert!(!dir.join("answer.ct").exists(), "an answer was written");
    };
    infer("keys/public.bundle", "short.ct", 1, "truncated");
    infer("keys/public.bundle", "altered.ct", 1, "checksum mismatch");
    infer("query.ct", "query.ct", 1, "expected a public key bundle");
    infer("keys/secret.key", "query.ct", 1, "refusing it");
    infer("okeys/public.bundle", "query.ct", 1, "made for model");
    infer("keys/public.bundle", "model.json", 1, "bad magic");
    infer("keys/public.bundle", "missing.ct", 1, "missing.ct");

    // The patient's side.
    fails(
        &dir,
        &["patient", "decrypt", "--keys", "keys", "query.ct"],
        1,
        "expected an encrypted answer",
    );
    fails(
        &dir,
        &[
            "patient",
            "encrypt",
            "--model",
            "other.json",
            "--keys",
            "keys",
            patients,
            "--out",
            "q2.ct",
        ],
        1,
        "the keys were made for model",
    );
    assert!(!dir.join("q2.ct").exists());
    fails(
        &dir,
        &[
            "patient",
            "keygen",
            "--model",
            "model.json",
            "--out",
            "keys",
        ],
        1,
        "already there",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let sk = dir.join("keys/secret.key");
        std::fs::set_permissions(&sk, std::fs::Permissions::from_mode(0o644)).unwrap();
        fails(
            &dir,
            &[
                "patient",
                "encrypt",
                "--model",
                "model.json",
                "--keys",
                "keys",
                patients,
                "--out",
                "q3.ct",
            ],
            1,
            "chmod 600",
        );
    }
    // Usage errors exit 2.
    fails(
        &dir,
        &["hospital", "train", "--layout", "diagonal"],
        2,
        "diagonal",
    );
    fails(
        &dir,
        &["hospital", "train", "--sigmoid", "5", "--data", patients],
        2,
        "n16k",
    );
    fails(
        &dir,
        &["serve", "--model", "model.json", "--addr", "nowhere"],
        2,
        "nowhere",
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
