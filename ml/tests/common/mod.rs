//! Shared set-up: the bundled data and the seed-42 split.

#![allow(dead_code)]

use ml::{Dataset, FeatureSelection, Model, Split, TrainOptions};

/// A file of the bundled `data/` folder.
pub fn data_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

/// (train rows, test rows) of the bundled data on the fixed split.
pub fn split() -> (Dataset, Dataset) {
    let data = Dataset::load(data_path("wdbc.csv")).unwrap();
    let split = Split::load(data_path("wdbc_split_seed42.csv"), data.len()).unwrap();
    (data.rows(&split.train), data.rows(&split.test))
}

/// A model trained on `features` features, and the test rows.
pub fn trained(features: usize) -> (Model, Dataset) {
    let (train, test) = split();
    let sel = FeatureSelection::from_count(features).unwrap();
    (
        Model::train(&train, &sel, &TrainOptions::default()).unwrap(),
        test,
    )
}
