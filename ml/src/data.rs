//! The breast-cancer data set: loading, feature selection and splits.
//!
//! Every value of the file is checked: a short row, a non-numeric value, an
//! unknown label or an empty file is an [`Error`] naming the file, line and
//! column; no row is silently dropped.

use std::path::Path;

use ckks::rng::ChaCha20;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{Error, Result};

/// Name of the label column of `wdbc.csv`.
pub const LABEL_COLUMN: &str = "diagnosis";

/// A labelled table: one row of features per patient, label 1 = malignant.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Column names, in the order of each row's values.
    pub feature_names: Vec<String>,
    /// Feature rows.
    pub x: Vec<Vec<f64>>,
    /// Labels: 1 for malignant (`M`), 0 for benign (`B`).
    pub y: Vec<u8>,
}

/// Which feature columns a model uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeatureSelection {
    /// The ten `mean_*` columns, as in the published study.
    Mean10,
    /// All thirty columns.
    All,
    /// These columns, in this order.
    Named(Vec<String>),
}

impl FeatureSelection {
    /// `10` → [`Self::Mean10`], `30` → [`Self::All`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for any other count.
    pub fn from_count(count: usize) -> Result<Self> {
        match count {
            10 => Ok(Self::Mean10),
            30 => Ok(Self::All),
            _ => Err(Error::InvalidArgument {
                op: "feature selection",
                reason: format!("{count} features: choose 10 (the mean_* columns) or 30 (all)"),
            }),
        }
    }
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    Error::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}

pub(crate) fn open(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // `flexible` so that a short or long row reaches our own check, which
    // names the line and both counts.
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file))
}

pub(crate) fn headers(path: &Path, rdr: &mut csv::Reader<std::fs::File>) -> Result<Vec<String>> {
    let h = rdr.headers().map_err(|e| csv_error(path, &e))?;
    if h.is_empty() || (h.len() == 1 && h[0].is_empty()) {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(h.iter().map(str::to_owned).collect())
}

/// A parsed record and its 1-based line, or an error if it has another
/// number of fields than the header.
pub(crate) fn checked_record(
    path: &Path,
    record: csv::Result<csv::StringRecord>,
    expected: usize,
) -> Result<(csv::StringRecord, u64)> {
    let record = record.map_err(|e| csv_error(path, &e))?;
    let line = record.position().map_or(0, csv::Position::line);
    if record.len() != expected {
        return Err(Error::ColumnCount {
            path: path.to_path_buf(),
            line,
            expected,
            found: record.len(),
        });
    }
    Ok((record, line))
}

pub(crate) fn parse_number(path: &Path, line: u64, column: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Error::NotNumeric {
            path: path.to_path_buf(),
            line,
            column: column.to_owned(),
            value: text.to_owned(),
        }),
    }
}

impl Dataset {
    /// Loads a CSV with a header of feature names and a `diagnosis` column
    /// holding `M` or `B`, such as `data/wdbc.csv`.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Empty`], [`Error::MissingColumn`],
    /// [`Error::ColumnCount`], [`Error::NotNumeric`], [`Error::UnknownLabel`],
    /// [`Error::Csv`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut rdr = open(path)?;
        let names = headers(path, &mut rdr)?;
        let label_at = names
            .iter()
            .position(|n| n == LABEL_COLUMN)
            .ok_or_else(|| Error::MissingColumn {
                path: path.to_path_buf(),
                column: LABEL_COLUMN.into(),
            })?;
        let feature_names: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != label_at)
            .map(|(_, n)| n.clone())
            .collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for record in rdr.records() {
            let (record, line) = checked_record(path, record, names.len())?;
            let mut row = Vec::with_capacity(feature_names.len());
            for (i, field) in record.iter().enumerate() {
                if i == label_at {
                    y.push(match field {
                        "M" => 1,
                        "B" => 0,
                        _ => {
                            return Err(Error::UnknownLabel {
                                path: path.to_path_buf(),
                                line,
                                column: LABEL_COLUMN.into(),
                                value: field.to_owned(),
                                expected: "M, B".into(),
                            })
                        }
                    });
                } else {
                    row.push(parse_number(path, line, &names[i], field)?);
                }
            }
            x.push(row);
        }
        if x.is_empty() {
            return Err(Error::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            feature_names,
            x,
            y,
        })
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Number of feature columns.
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The names `selection` stands for, in order.
    ///
    /// # Errors
    /// [`Error::UnknownFeature`] for a name this data set lacks;
    /// [`Error::InvalidArgument`] for an empty or repeated selection.
    pub fn selected_names(&self, selection: &FeatureSelection) -> Result<Vec<String>> {
        let names: Vec<String> = match selection {
            FeatureSelection::All => self.feature_names.clone(),
            FeatureSelection::Mean10 => self
                .feature_names
                .iter()
                .filter(|n| n.starts_with("mean_"))
                .cloned()
                .collect(),
            FeatureSelection::Named(v) => v.clone(),
        };
        if names.is_empty() {
            return Err(Error::InvalidArgument {
                op: "select features",
                reason: format!("{selection:?} selects no column"),
            });
        }
        for (i, n) in names.iter().enumerate() {
            if !self.feature_names.contains(n) {
                return Err(Error::UnknownFeature {
                    name: n.clone(),
                    known: self.feature_names.join(", "),
                });
            }
            if names[..i].contains(n) {
                return Err(Error::InvalidArgument {
                    op: "select features",
                    reason: format!("`{n}` is selected twice"),
                });
            }
        }
        Ok(names)
    }

    /// The same rows restricted to the `selection` columns.
    ///
    /// # Errors
    /// As [`Self::selected_names`].
    pub fn select(&self, selection: &FeatureSelection) -> Result<Self> {
        let names = self.selected_names(selection)?;
        let idx: Vec<usize> = names
            .iter()
            .map(|n| {
                self.feature_names
                    .iter()
                    .position(|m| m == n)
                    .expect("checked by selected_names")
            })
            .collect();
        Ok(Self {
            feature_names: names,
            x: self
                .x
                .iter()
                .map(|r| idx.iter().map(|&i| r[i]).collect())
                .collect(),
            y: self.y.clone(),
        })
    }

    /// The rows at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is out of range (indices come from a [`Split`] checked
    /// against this data set).
    #[must_use]
    pub fn rows(&self, indices: &[usize]) -> Self {
        Self {
            feature_names: self.feature_names.clone(),
            x: indices.iter().map(|&i| self.x[i].clone()).collect(),
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }
}

/// Row indices of a train/test split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

impl Split {
    /// Loads a `row,split` file (such as `data/wdbc_split_seed42.csv`) made
    /// for a data set of `n_rows` rows: every row must appear exactly once
    /// as `train` or `test`.
    ///
    /// # Errors
    /// [`Error::BadSplit`] for a missing, repeated or out-of-range row or an
    /// unknown split name; the loading errors of [`Dataset::load`].
    pub fn load(path: impl AsRef<Path>, n_rows: usize) -> Result<Self> {
        let path = path.as_ref();
        let mut rdr = open(path)?;
        let names = headers(path, &mut rdr)?;
        for col in ["row", "split"] {
            if !names.iter().any(|n| n == col) {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: col.into(),
                });
            }
        }
        let row_at = names.iter().position(|n| n == "row").expect("checked");
        let split_at = names.iter().position(|n| n == "split").expect("checked");
        let mut seen = vec![false; n_rows];
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for record in rdr.records() {
            let (record, line) = checked_record(path, record, names.len())?;
            let row: usize = record[row_at].parse().map_err(|_| Error::NotNumeric {
                path: path.to_path_buf(),
                line,
                column: "row".into(),
                value: record[row_at].to_owned(),
            })?;
            if row >= n_rows || seen[row] {
                return Err(Error::BadSplit {
                    path: path.to_path_buf(),
                    reason: format!(
                        "line {line}: row {row} is {} (the data set has {n_rows} rows)",
                        if row >= n_rows {
                            "out of range"
                        } else {
                            "listed twice"
                        }
                    ),
                });
            }
            seen[row] = true;
            match &record[split_at] {
                "train" => train.push(row),
                "test" => test.push(row),
                other => {
                    return Err(Error::UnknownLabel {
                        path: path.to_path_buf(),
                        line,
                        column: "split".into(),
                        value: other.to_owned(),
                        expected: "train, test".into(),
                    })
                }
            }
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(Error::BadSplit {
                path: path.to_path_buf(),
                reason: format!("row {missing} is in neither split"),
            });
        }
        Ok(Self { train, test })
    }

    /// A stratified random split: `test_fraction` of each class (rounded)
    /// goes to the test side. Deterministic for a given `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `0 < test_fraction < 1`.
    pub fn stratified(labels: &[u8], test_fraction: f64, seed: u64) -> Result<Self> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(Error::InvalidArgument {
                op: "stratified split",
                reason: format!("test fraction {test_fraction} is not in (0, 1)"),
            });
        }
        let mut rng = ChaCha20::seed_from_u64(seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for class in [0u8, 1] {
            let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
            rows.shuffle(&mut rng);
            let n_test = (rows.len() as f64 * test_fraction).round() as usize;
            test.extend_from_slice(&rows[..n_test]);
            train.extend_from_slice(&rows[n_test..]);
        }
        train.sort_unstable();
        test.sort_unstable();
        Ok(Self { train, test })
    }

    /// Stratified `k`-fold cross-validation: fold `f` tests on every `k`-th
    /// row of each shuffled class starting at `f`, and trains on the rest.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `k < 2` or a class has fewer than `k`
    /// rows.
    pub fn k_fold(labels: &[u8], k: usize, seed: u64) -> Result<Vec<Self>> {
        let mut rng = ChaCha20::seed_from_u64(seed);
        let mut folds = vec![Vec::new(); k.max(1)];
        for class in [0u8, 1] {
            let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
            if k < 2 || rows.len() < k {
                return Err(Error::InvalidArgument {
                    op: "k-fold",
                    reason: format!("k = {k} with {} rows of class {class}", rows.len()),
                });
            }
            rows.shuffle(&mut rng);
            for (j, r) in rows.into_iter().enumerate() {
                folds[j % k].push(r);
            }
        }
        Ok((0..k)
            .map(|f| {
                let mut test = folds[f].clone();
                test.sort_unstable();
                let mut train: Vec<usize> = (0..k)
                    .filter(|&g| g != f)
                    .flat_map(|g| folds[g].iter().copied())
                    .collect();
                train.sort_unstable();
                Self { train, test }
            })
            .collect())
    }
}
