//! Standardization `(x − mean) / std`, fitted on training rows only.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Per-column mean and population standard deviation (as scikit-learn's
/// `StandardScaler`); a constant column keeps a divisor of 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 where a column is constant).
    pub std: Vec<f64>,
}

impl StandardScaler {
    /// Fits on `rows` (each of the same length).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no rows or rows of unequal length.
    pub fn fit(rows: &[Vec<f64>]) -> Result<Self> {
        let k = rows.first().map_or(0, Vec::len);
        if rows.is_empty() || k == 0 || rows.iter().any(|r| r.len() != k) {
            return Err(Error::InvalidArgument {
                op: "StandardScaler::fit",
                reason: format!("{} rows, not all of one non-zero length", rows.len()),
            });
        }
        let n = rows.len() as f64;
        let mean: Vec<f64> = (0..k)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let std = (0..k)
            .map(|j| {
                let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
                if var > 0.0 {
                    var.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Ok(Self { mean, std })
    }

    /// Number of columns.
    #[must_use]
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// Whether the scaler has no columns.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// Standardizes one row.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the row's length differs from the
    /// scaler's.
    pub fn transform_row(&self, row: &[f64]) -> Result<Vec<f64>> {
        if row.len() != self.mean.len() {
            return Err(Error::InvalidArgument {
                op: "StandardScaler::transform",
                reason: format!("row has {} values, the scaler {}", row.len(), self.len()),
            });
        }
        Ok(row
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(x, (m, s))| (x - m) / s)
            .collect())
    }

    /// Standardizes every row.
    ///
    /// # Errors
    /// As [`Self::transform_row`].
    pub fn transform(&self, rows: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        rows.iter().map(|r| self.transform_row(r)).collect()
    }
}
