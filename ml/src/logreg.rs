//! Binary logistic regression with an L2 penalty, solved by Newton's method.
//!
//! The objective is scikit-learn's: `½‖w‖² + C·Σ_i log(1 + e^{−y_i(w·x_i + b)})`
//! with `y_i ∈ {−1, +1}` and the intercept `b` not penalized. It is smooth
//! and strictly convex, so Newton steps (with a backtracking line search)
//! reach the unique optimum in a handful of iterations; the Hessian is only
//! `(k + 1)²` for `k` features and is solved by Cholesky.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Options of [`LogisticRegression::fit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// Inverse regularization strength (scikit-learn's `C`, default 1).
    pub c: f64,
    /// Stop when the largest gradient component is below this.
    pub tolerance: f64,
    /// Newton iterations before giving up.
    pub max_iterations: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            tolerance: 1e-10,
            max_iterations: 100,
        }
    }
}

/// A fitted linear model: `logit(x) = w·x + b`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    /// Weights, one per feature.
    pub weights: Vec<f64>,
    /// Intercept.
    pub bias: f64,
}

/// `1 / (1 + e^{−z})`, without overflow for large `|z|`.
#[must_use]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^{t})` without overflow.
fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// Solves `A x = b` for symmetric positive-definite `A` (row-major `m × m`).
fn cholesky_solve(a: &[f64], b: &[f64], m: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..=i {
            let s: f64 = (0..j).map(|t| l[i * m + t] * l[j * m + t]).sum();
            if i == j {
                let d = a[i * m + i] - s;
                if d <= 0.0 {
                    return None;
                }
                l[i * m + i] = d.sqrt();
            } else {
                l[i * m + j] = (a[i * m + j] - s) / l[j * m + j];
            }
        }
    }
    let mut y = vec![0.0; m];
    for i in 0..m {
        let s: f64 = (0..i).map(|t| l[i * m + t] * y[t]).sum();
        y[i] = (b[i] - s) / l[i * m + i];
    }
    let mut x = vec![0.0; m];
    for i in (0..m).rev() {
        let s: f64 = (i + 1..m).map(|t| l[t * m + i] * x[t]).sum();
        x[i] = (y[i] - s) / l[i * m + i];
    }
    Some(x)
}

impl LogisticRegression {
    /// Fits on rows `x` with labels `y` (0 or 1).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for empty or ragged data, labels other than
    /// 0/1, or `C ≤ 0`; [`Error::NotConverged`] if the gradient is not below
    /// the tolerance after `max_iterations`.
    pub fn fit(x: &[Vec<f64>], y: &[u8], opts: &TrainOptions) -> Result<Self> {
        let k = x.first().map_or(0, Vec::len);
        if x.is_empty() || k == 0 || x.len() != y.len() || x.iter().any(|r| r.len() != k) {
            return Err(Error::InvalidArgument {
                op: "LogisticRegression::fit",
                reason: format!(
                    "{} rows and {} labels; rows must be non-empty and of one length",
                    x.len(),
                    y.len()
                ),
            });
        }
        if y.iter().any(|&l| l > 1) || !(opts.c > 0.0 && opts.c.is_finite()) {
            return Err(Error::InvalidArgument {
                op: "LogisticRegression::fit",
                reason: format!("labels must be 0/1 and C positive (C = {})", opts.c),
            });
        }
        let m = k + 1; // weights then bias
        let sign: Vec<f64> = y.iter().map(|&l| if l == 1 { 1.0 } else { -1.0 }).collect();
        let objective = |theta: &[f64]| -> f64 {
            let reg = 0.5 * theta[..k].iter().map(|w| w * w).sum::<f64>();
            let loss: f64 = x
                .iter()
                .zip(&sign)
                .map(|(r, s)| softplus(-s * (dot(&theta[..k], r) + theta[k])))
                .sum();
            reg + opts.c * loss
        };
        let mut theta = vec![0.0; m];
        let mut f = objective(&theta);
        let mut grad_norm = f64::INFINITY;
        for _ in 0..opts.max_iterations {
            let mut g = vec![0.0; m];
            let mut h = vec![0.0; m * m];
            for (r, &yi) in x.iter().zip(y) {
                let p = sigmoid(dot(&theta[..k], r) + theta[k]);
                let resid = opts.c * (p - f64::from(yi));
                let wgt = opts.c * p * (1.0 - p);
                for a in 0..m {
                    let xa = if a < k { r[a] } else { 1.0 };
                    g[a] += resid * xa;
                    for b in 0..=a {
                        let xb = if b < k { r[b] } else { 1.0 };
                        h[a * m + b] += wgt * xa * xb;
                    }
                }
            }
            for a in 0..k {
                g[a] += theta[a];
                h[a * m + a] += 1.0;
            }
            for a in 0..m {
                for b in 0..a {
                    h[b * m + a] = h[a * m + b];
                }
            }
            grad_norm = g.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
            if grad_norm < opts.tolerance {
                return Ok(Self::from_theta(&theta, k));
            }
            let step = cholesky_solve(&h, &g, m).ok_or(Error::NotConverged {
                iterations: 0,
                gradient_norm: grad_norm,
            })?;
            // Backtracking: the full Newton step is taken near the optimum.
            let slope: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
            let mut t = 1.0;
            loop {
                let cand: Vec<f64> = theta.iter().zip(&step).map(|(a, d)| a - t * d).collect();
                let fc = objective(&cand);
                if fc <= f - 1e-4 * t * slope || t < 1e-10 {
                    theta = cand;
                    f = fc;
                    break;
                }
                t *= 0.5;
            }
        }
        Err(Error::NotConverged {
            iterations: opts.max_iterations,
            gradient_norm: grad_norm,
        })
    }

    fn from_theta(theta: &[f64], k: usize) -> Self {
        Self {
            weights: theta[..k].to_vec(),
            bias: theta[k],
        }
    }

    /// `w·x + b`.
    ///
    /// # Panics
    /// If `row` has another length than the weights (a programming error:
    /// rows come from the same feature selection as the model).
    #[must_use]
    pub fn logit(&self, row: &[f64]) -> f64 {
        assert_eq!(row.len(), self.weights.len(), "row length vs weights");
        dot(&self.weights, row) + self.bias
    }

    /// Class 1 (malignant) when the logit is positive.
    #[must_use]
    pub fn predict(&self, row: &[f64]) -> u8 {
        u8::from(self.logit(row) > 0.0)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&a, &[2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn gradient_vanishes_at_the_fit() {
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![f64::from(i) / 10.0 - 2.0]).collect();
        let y: Vec<u8> = (0..40).map(|i| u8::from(i % 3 != 0 && i > 12)).collect();
        let m = LogisticRegression::fit(&x, &y, &TrainOptions::default()).unwrap();
        let g_w: f64 = m.weights[0]
            + x.iter()
                .zip(&y)
                .map(|(r, &l)| (sigmoid(m.logit(r)) - f64::from(l)) * r[0])
                .sum::<f64>();
        assert!(g_w.abs() < 1e-9, "gradient {g_w}");
    }

    #[test]
    fn sigmoid_is_stable_far_out() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
    }
}
