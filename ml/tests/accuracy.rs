//! Plaintext training reaches scikit-learn's optimum on the seed-42 split.

mod common;

use ml::{Confusion, Model};

fn test_accuracy(features: usize) -> (f64, f64) {
    let (model, test) = common::trained(features);
    let (train, _) = common::split();
    let acc = |d: &ml::Dataset| {
        let pred: Vec<u8> = model
            .logits(d)
            .unwrap()
            .iter()
            .map(|&z| u8::from(z > 0.0))
            .collect();
        Confusion::new(&pred, &d.y).accuracy()
    };
    (acc(&train), acc(&test))
}

#[test]
fn split_has_the_published_sizes() {
    let (train, test) = common::split();
    assert_eq!((train.len(), test.len()), (455, 114));
    assert_eq!(train.n_features(), 30);
}

#[test]
fn ten_mean_features_reach_the_reference_accuracy() {
    let (train, test) = test_accuracy(10);
    // scikit-learn: 94.29 % train, 93.86 % test (107 of 114).
    assert_eq!((test * 114.0).round() as usize, 107, "test accuracy {test}");
    assert_eq!(
        (train * 455.0).round() as usize,
        429,
        "train accuracy {train}"
    );
}

#[test]
fn all_thirty_features_reach_the_reference_accuracy() {
    let (train, test) = test_accuracy(30);
    // scikit-learn: 98.68 % train, 97.37 % test (111 of 114).
    assert_eq!((test * 114.0).round() as usize, 111, "test accuracy {test}");
    assert_eq!(
        (train * 455.0).round() as usize,
        449,
        "train accuracy {train}"
    );
}

#[test]
fn model_round_trips_through_json() {
    let (model, _) = common::trained(10);
    let back = Model::from_json(&model.to_json(), "mem".as_ref()).unwrap();
    assert_eq!(back, model);
}

#[test]
fn model_files_of_other_kinds_or_versions_are_refused() {
    let (model, _) = common::trained(10);
    let json = model.to_json();
    let other = json.replace("\"version\": 1", "\"version\": 9");
    let e = Model::from_json(&other, "m.json".as_ref()).unwrap_err();
    assert!(matches!(e, ml::Error::ModelVersion { found: 9, .. }), "{e}");
    let e = Model::from_json("{\"a\": 1}", "m.json".as_ref()).unwrap_err();
    assert!(matches!(e, ml::Error::ModelFormat { .. }), "{e}");
    let short = json.replacen("\"mean_radius\",", "", 1);
    let e = Model::from_json(&short, "m.json".as_ref()).unwrap_err();
    assert!(e.to_string().contains("9 features, 10 weights"), "{e}");
}

#[test]
fn stratified_split_and_folds_partition_the_rows() {
    let (train, _) = common::split();
    let s = ml::Split::stratified(&train.y, 0.2, 7).unwrap();
    assert_eq!(s.train.len() + s.test.len(), train.len());
    let pos =
        |idx: &[usize]| idx.iter().filter(|&&i| train.y[i] == 1).count() as f64 / idx.len() as f64;
    assert!((pos(&s.train) - pos(&s.test)).abs() < 0.02);
    assert_eq!(s, ml::Split::stratified(&train.y, 0.2, 7).unwrap());
    let folds = ml::Split::k_fold(&train.y, 5, 3).unwrap();
    let mut all: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..train.len()).collect::<Vec<_>>());
}
