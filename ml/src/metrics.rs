//! Classification metrics with malignant (1) as the positive class.

use serde::{Deserialize, Serialize};

/// Counts of a binary confusion matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Predicted 1, truly 1.
    pub true_positive: usize,
    /// Predicted 1, truly 0.
    pub false_positive: usize,
    /// Predicted 0, truly 0.
    pub true_negative: usize,
    /// Predicted 0, truly 1.
    pub false_negative: usize,
}

impl Confusion {
    /// Tallies `predicted` against `truth`, pairwise.
    #[must_use]
    pub fn new(predicted: &[u8], truth: &[u8]) -> Self {
        let mut c = Self::default();
        for (&p, &t) in predicted.iter().zip(truth) {
            match (p, t) {
                (1, 1) => c.true_positive += 1,
                (1, _) => c.false_positive += 1,
                (_, 1) => c.false_negative += 1,
                _ => c.true_negative += 1,
            }
        }
        c
    }

    /// Rows counted.
    #[must_use]
    pub fn total(&self) -> usize {
        self.true_positive + self.false_positive + self.true_negative + self.false_negative
    }

    /// Correct / total (0 for no rows).
    #[must_use]
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positive + self.true_negative, self.total())
    }

    /// TP / (TP + FP) (0 when nothing is predicted positive).
    #[must_use]
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    /// TP / (TP + FN) (0 when there are no positives).
    #[must_use]
    pub fn recall(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    /// Harmonic mean of precision and recall.
    #[must_use]
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::Confusion;

    #[test]
    fn counts_and_ratios() {
        let c = Confusion::new(&[1, 1, 0, 0, 1], &[1, 0, 0, 1, 1]);
        assert_eq!(
            (
                c.true_positive,
                c.false_positive,
                c.true_negative,
                c.false_negative
            ),
            (2, 1, 1, 1)
        );
        assert!((c.accuracy() - 0.6).abs() < 1e-15);
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-15);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-15);
        assert!((c.f1() - 2.0 / 3.0).abs() < 1e-15);
    }
}
