//! The files the parties exchange: round trips, and every way they can be
//! wrong (kind, parameters, model, truncation, alteration, a secret key
//! where public material belongs), plus the records reader and the model
//! description.

mod common;

use std::path::Path;

use ckks::rng::ChaCha20;
use ckks::{Params, ParamsSpec, Wire};
use ml::encrypted::{Answer, Hospital, InferencePlan, Layout, Patient, PublicBundle, Query};
use ml::files::{self, FileKind};
use ml::{Encryption, Error, ModelInfo, Records};
use rand::SeedableRng;

fn seed() -> u64 {
    let seed = std::env::var("ML_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f11e);
    eprintln!("seed {seed} (set ML_TEST_SEED to repeat)");
    seed
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ml-files-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 10-feature model served batched at `seed`, its description, and the
/// test records.
fn served() -> (ml::Model, ModelInfo, Records) {
    let (mut model, _) = common::trained(10);
    model.encryption = Some(Encryption {
        params: ParamsSpec::seed(),
        plan: InferencePlan::logits(Layout::Batched, 10),
    });
    let info = model.info().unwrap();
    let records = Records::load(common::data_path("patients.csv"), &info.features).unwrap();
    (model, info, records)
}

#[test]
fn bundle_query_and_answer_round_trip_through_bytes() {
    let (model, info, records) = served();
    let params = info.check().unwrap();
    let id = info.id();
    let mut patient = Patient::with_rng(&params, ChaCha20::seed_from_u64(seed()));
    let bundle = patient.public_bundle(&info.plan).unwrap();
    let bundle_bytes = bundle.to_bytes(&params, id);
    let loaded = PublicBundle::from_bytes(&params, id, &bundle_bytes, "bundle").unwrap();
    assert!(loaded.keys.relin().is_some());
    let rows = info.standardize(&records).unwrap();
    let query = patient.encrypt(&info.plan, &rows).unwrap();
    let query_bytes = query.to_bytes(&params, id);
    let query = Query::from_bytes(&params, id, &query_bytes, "query").unwrap();
    let hospital = Hospital::new(&params, &model.classifier, &info.plan, loaded.keys).unwrap();
    let answer_bytes = hospital.infer(&query).unwrap().to_bytes(&params, id);
    let answer = Answer::from_bytes(&params, id, &answer_bytes, "answer").unwrap();
    let logits = patient.decrypt(&info.plan, &answer).unwrap();
    let plain: Vec<f64> = rows.iter().map(|r| model.classifier.logit(r)).collect();
    let worst = logits
        .iter()
        .zip(&plain)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!("max logit error through files: {worst:.2e}");
    assert!(worst < 2f64.powi(-20), "{worst:e}");
}

#[test]
fn each_fault_in_a_file_is_named() {
    let (_, info, records) = served();
    let params = info.check().unwrap();
    let id = info.id();
    let mut patient = Patient::with_rng(&params, ChaCha20::seed_from_u64(seed()));
    let rows = info.standardize(&records).unwrap();
    let bytes = patient
        .encrypt(&info.plan, &rows)
        .unwrap()
        .to_bytes(&params, id);
    let load = |b: &[u8]| Query::from_bytes(&params, id, b, "q").unwrap_err();

    assert!(load(&bytes[..bytes.len() / 2])
        .to_string()
        .contains("truncated"));
    for at in [12, bytes.len() / 2, bytes.len() - 5] {
        let mut t = bytes.clone();
        t[at] ^= 0x10;
        assert!(load(&t).to_string().contains("checksum"), "byte {at}");
    }
    // Another model (other features) or other parameters.
    let mut other = info.clone();
    other.features.reverse();
    assert!(matches!(
        Query::from_bytes(&params, other.id(), &bytes, "q"),
        Err(Error::Mismatch { what: "model", .. })
    ));
    let toy = Params::new(&ParamsSpec::toy()).unwrap();
    assert!(matches!(
        Query::from_bytes(&toy, id, &bytes, "q"),
        Err(Error::Mismatch {
            what: "parameters",
            ..
        })
    ));
    // The right envelope around a body that is not a query.
    let forged = files::seal(FileKind::Query, params.id(), id, b"not bincode");
    assert!(matches!(load(&forged), Error::BadFile { .. }));
    assert!(matches!(
        Answer::from_bytes(&params, id, &bytes, "a"),
        Err(Error::WrongKind { .. })
    ));
}

#[test]
fn a_secret_key_is_refused_wherever_public_material_is_expected() {
    let (_, info, _) = served();
    let params = info.check().unwrap();
    let id = info.id();
    let dir = temp_dir("secret");
    let path = dir.join("secret.key");
    let mut patient = Patient::with_rng(&params, ChaCha20::seed_from_u64(seed()));
    patient.save_secret_key(&path, id).unwrap();
    let sk_file = std::fs::read(&path).unwrap();
    assert!(matches!(
        PublicBundle::from_bytes(&params, id, &sk_file, "upload"),
        Err(Error::SecretKeyRefused { .. })
    ));
    // A bundle envelope with the secret key hidden among its items.
    let bundle = patient.public_bundle(&info.plan).unwrap();
    let sk = ckks::KeyGenerator::new(&params).secret_key();
    let items = vec![
        bundle.public_key.to_bytes(&params),
        sk.to_bytes(&params),
        bundle.keys.galois().to_bytes(&params),
    ];
    use bincode::Options;
    let body = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .serialize(&items)
        .unwrap();
    let smuggled = files::seal(FileKind::PublicBundle, params.id(), id, &body);
    assert!(matches!(
        PublicBundle::from_bytes(&params, id, &smuggled, "upload"),
        Err(Error::SecretKeyRefused { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_secret_key_file_round_trips_with_owner_only_permissions() {
    let (_, info, records) = served();
    let params = info.check().unwrap();
    let id = info.id();
    let dir = temp_dir("sk");
    let path = dir.join("secret.key");
    let mut patient = Patient::with_rng(&params, ChaCha20::seed_from_u64(seed()));
    patient.save_secret_key(&path, id).unwrap();
    let rows = info.standardize(&records).unwrap();
    let query = patient.encrypt(&info.plan, &rows[..3]).unwrap();
    let reloaded = Patient::load_secret_key(&params, &path, id).unwrap();
    // The reloaded key decrypts what the original encrypted: the fresh
    // query, read as an answer without evaluation, gives back the first
    // feature of each record.
    let as_answer = Answer {
        n_patients: 3,
        blocks: query.blocks.iter().map(|b| b[0].expand(&params)).collect(),
    };
    let back = reloaded.decrypt(&info.plan, &as_answer).unwrap();
    for (b, r) in back.iter().zip(&rows) {
        assert!((b - r[0]).abs() < 2f64.powi(-20), "{b} vs {}", r[0]);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            Patient::load_secret_key(&params, &path, id),
            Err(Error::InsecurePermissions { mode: 0o640, .. })
        ));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn records_pick_the_model_columns_by_name_and_keep_ids() {
    let (_, info, records) = served();
    assert_eq!(records.len(), 114);
    assert_eq!(records.features, info.features);
    // The bundled patients are the test rows of the split, in order, with
    // every one of the 30 values and the row index as id.
    let data = ml::Dataset::load(common::data_path("wdbc.csv")).unwrap();
    let split = ml::Split::load(common::data_path("wdbc_split_seed42.csv"), data.len()).unwrap();
    let all = Records::load(common::data_path("patients.csv"), &data.feature_names).unwrap();
    assert_eq!(all.x, data.rows(&split.test).x);
    let ids: Vec<String> = split.test.iter().map(ToString::to_string).collect();
    assert_eq!(all.ids, ids);

    let dir = temp_dir("records");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let two = ["a".to_owned(), "b".to_owned()];
    let r = Records::load(write("ok.csv", "b,x,a\n1,skip,2\n3,me,4\n"), &two).unwrap();
    assert_eq!(r.x, vec![vec![2.0, 1.0], vec![4.0, 3.0]]);
    assert_eq!(r.ids, ["1", "2"]);
    assert!(matches!(
        Records::load(write("missing.csv", "a,c\n1,2\n"), &two),
        Err(Error::MissingColumn { .. })
    ));
    let e = Records::load(write("nan.csv", "id,a,b\np1,1,two\n"), &two).unwrap_err();
    assert!(
        e.to_string().contains("nan.csv:2") && e.to_string().contains("`two`"),
        "{e}"
    );
    assert!(matches!(
        Records::load(write("empty.csv", "a,b\n"), &two),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        Records::load(Path::new("/nonexistent/records.csv"), &two),
        Err(Error::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_description_round_trips_and_refuses_edits() {
    let (model, info, _) = served();
    let text = info.to_json().unwrap();
    assert_eq!(ModelInfo::from_json(&text, Path::new("d")).unwrap(), info);
    // The full model file gives the same description, without the weights.
    assert_eq!(
        ModelInfo::from_json(&model.to_json(), Path::new("m")).unwrap(),
        info
    );
    assert!(!text.contains("weights"));
    let edited = text.replacen("\"mean_radius\"", "\"mean_radiu5\"", 1);
    let e = ModelInfo::from_json(&edited, Path::new("d")).unwrap_err();
    assert!(e.to_string().contains("edited"), "{e}");
    let mut plain = model.clone();
    plain.encryption = None;
    let e = ModelInfo::from_json(&plain.to_json(), Path::new("m")).unwrap_err();
    assert!(e.to_string().contains("no encryption settings"), "{e}");
    // A plan for another width than the features.
    let mut wide = info;
    wide.plan.n_features = 30;
    assert!(wide.check().is_err());
}
