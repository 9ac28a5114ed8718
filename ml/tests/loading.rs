//! Loading errors name the file, line and column; nothing is dropped.

use std::path::PathBuf;

use ml::{Dataset, Error, Split};

/// Writes `text` to a fresh file under the target directory's temp folder.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ml-loading-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const HEADER: &str = "mean_radius,mean_texture,diagnosis\n";

#[test]
fn a_good_file_loads_every_row() {
    let p = file("good.csv", &format!("{HEADER}1.5,2,M\n3,4.25,B\n"));
    let d = Dataset::load(&p).unwrap();
    assert_eq!(d.feature_names, ["mean_radius", "mean_texture"]);
    assert_eq!(d.x, [vec![1.5, 2.0], vec![3.0, 4.25]]);
    assert_eq!(d.y, [1, 0]);
}

#[test]
fn a_short_row_names_its_line_and_counts() {
    let p = file("short.csv", &format!("{HEADER}1,2,M\n3,B\n"));
    let e = Dataset::load(&p).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ColumnCount {
                line: 3,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("short.csv:3"), "{e}");
}

#[test]
fn a_non_numeric_value_names_line_and_column() {
    let p = file("nan.csv", &format!("{HEADER}1,2,M\n3,abc,B\n"));
    let e = Dataset::load(&p).unwrap_err();
    assert!(
        matches!(&e, Error::NotNumeric { line: 3, column, value, .. } if column == "mean_texture" && value == "abc"),
        "{e}"
    );
    let p = file("inf.csv", &format!("{HEADER}inf,2,M\n"));
    assert!(matches!(
        Dataset::load(&p).unwrap_err(),
        Error::NotNumeric { .. }
    ));
}

#[test]
fn an_unknown_label_is_refused() {
    let p = file("label.csv", &format!("{HEADER}1,2,X\n"));
    let e = Dataset::load(&p).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownLabel { line: 2, value, .. } if value == "X"),
        "{e}"
    );
}

#[test]
fn empty_files_are_refused() {
    for (name, text) in [("empty.csv", ""), ("header-only.csv", HEADER)] {
        let e = Dataset::load(file(name, text)).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }), "{name}: {e}");
    }
}

#[test]
fn a_missing_file_or_label_column_is_named() {
    let e = Dataset::load("/nonexistent/wdbc.csv").unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/wdbc.csv"), "{e}");
    let e = Dataset::load(file("nolabel.csv", "a,b\n1,2\n")).unwrap_err();
    assert!(matches!(e, Error::MissingColumn { .. }), "{e}");
}

#[test]
fn unknown_features_are_named() {
    let d = Dataset::load(file("sel.csv", &format!("{HEADER}1,2,M\n"))).unwrap();
    let e = d
        .select(&ml::FeatureSelection::Named(vec!["worst_area".into()]))
        .unwrap_err();
    assert!(e.to_string().contains("worst_area"), "{e}");
    assert!(ml::FeatureSelection::from_count(12).is_err());
}

#[test]
fn split_files_must_cover_every_row_once() {
    let ok = file("split.csv", "row,split\n0,train\n1,test\n");
    assert_eq!(
        Split::load(&ok, 2).unwrap(),
        Split {
            train: vec![0],
            test: vec![1]
        }
    );
    let twice = file("split2.csv", "row,split\n0,train\n0,test\n");
    assert!(Split::load(&twice, 2)
        .unwrap_err()
        .to_string()
        .contains("listed twice"));
    let missing = file("split3.csv", "row,split\n0,train\n");
    assert!(Split::load(&missing, 2)
        .unwrap_err()
        .to_string()
        .contains("row 1"));
    let bad = file("split4.csv", "row,split\n0,train\n1,validate\n");
    assert!(matches!(
        Split::load(&bad, 2).unwrap_err(),
        Error::UnknownLabel { .. }
    ));
}
