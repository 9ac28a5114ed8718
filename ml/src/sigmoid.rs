//! Least-squares polynomial approximations of the sigmoid for encrypted
//! evaluation.
//!
//! A ciphertext can only be added and multiplied, so the hospital replaces
//! `σ(z) = 1/(1+e^{−z})` by the polynomial of degree `d` closest to it in
//! the least-squares sense on `[−B, B]`. Since `σ(z) − ½` is odd, the fit
//! has the constant `½` and odd powers only (the even ones are exactly zero,
//! which also spares the hospital their products). It is made in
//! `t = z/B ∈ [−1,1]` on a fine uniform grid (well conditioned), then mapped
//! back to coefficients of `z`. Outside the interval the polynomial diverges, so
//! the interval must cover the logits the model produces.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::logreg::sigmoid;

/// Grid points of the least-squares fit.
const GRID: usize = 4001;

/// `σ(z) ≈ Σ_i coeffs[i]·z^i` on `[−bound, bound]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigmoidPoly {
    /// Polynomial degree.
    pub degree: usize,
    /// Half-width of the fitted interval.
    pub bound: f64,
    /// Coefficients, constant term first.
    pub coeffs: Vec<f64>,
}

impl SigmoidPoly {
    /// The least-squares fit of degree `degree` (1…15; an even degree adds
    /// nothing to the one below it) on `[−bound, bound]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a degree outside 1…15 or a bound that
    /// is not positive and finite.
    pub fn fit(degree: usize, bound: f64) -> Result<Self> {
        if !((1..=15).contains(&degree) && bound > 0.0 && bound.is_finite()) {
            return Err(Error::InvalidArgument {
                op: "SigmoidPoly::fit",
                reason: format!("degree {degree} (1…15) on [−{bound}, {bound}]"),
            });
        }
        // Normal equations in t = z / bound over the odd powers t, t³, …
        let odd: Vec<i32> = (1..=degree as i32).step_by(2).collect();
        let m = odd.len();
        let mut gram = vec![0.0; m * m];
        let mut rhs = vec![0.0; m];
        for g in 0..GRID {
            let t = -1.0 + 2.0 * g as f64 / (GRID - 1) as f64;
            let s = sigmoid(t * bound) - 0.5;
            let pows: Vec<f64> = odd.iter().map(|&i| t.powi(i)).collect();
            for a in 0..m {
                rhs[a] += pows[a] * s;
                for b in 0..m {
                    gram[a * m + b] += pows[a] * pows[b];
                }
            }
        }
        let a = solve(gram, rhs, m);
        let mut coeffs = vec![0.0; degree + 1];
        coeffs[0] = 0.5;
        for (&i, c) in odd.iter().zip(&a) {
            coeffs[i as usize] = c / bound.powi(i);
        }
        Ok(Self {
            degree,
            bound,
            coeffs,
        })
    }

    /// The polynomial at `z`.
    #[must_use]
    pub fn eval(&self, z: f64) -> f64 {
        self.coeffs.iter().rev().fold(0.0, |acc, c| acc * z + c)
    }

    /// Largest `|p(z) − σ(z)|` on the fitted interval (on the fit grid).
    #[must_use]
    pub fn max_error_on_interval(&self) -> f64 {
        (0..GRID)
            .map(|g| {
                let z = self.bound * (-1.0 + 2.0 * g as f64 / (GRID - 1) as f64);
                (self.eval(z) - sigmoid(z)).abs()
            })
            .fold(0.0, f64::max)
    }
}

/// Gaussian elimination with partial pivoting on a small dense system.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, m: usize) -> Vec<f64> {
    for col in 0..m {
        let piv = (col..m)
            .max_by(|&i, &j| a[i * m + col].abs().total_cmp(&a[j * m + col].abs()))
            .expect("non-empty range");
        for j in 0..m {
            a.swap(col * m + j, piv * m + j);
        }
        b.swap(col, piv);
        for r in col + 1..m {
            let f = a[r * m + col] / a[col * m + col];
            for j in col..m {
                a[r * m + j] -= f * a[col * m + j];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; m];
    for r in (0..m).rev() {
        let s: f64 = (r + 1..m).map(|j| a[r * m + j] * x[j]).sum();
        x[r] = (b[r] - s) / a[r * m + r];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::SigmoidPoly;

    #[test]
    fn degree_three_on_eight_is_odd_around_one_half() {
        let p = SigmoidPoly::fit(3, 8.0).unwrap();
        assert_eq!(p.coeffs.len(), 4);
        assert_eq!((p.coeffs[0], p.coeffs[2]), (0.5, 0.0));
        assert!(p.coeffs[1] > 0.1 && p.coeffs[1] < 0.2, "{:?}", p.coeffs);
        assert!(p.coeffs[3] < 0.0, "{:?}", p.coeffs);
    }

    #[test]
    fn degree_three_agrees_with_the_published_fit() {
        // Kim et al. (JMIR 2018), least squares on [−8, 8]:
        // 0.5 + 0.15012·z − 0.0015930·z³.
        let p = SigmoidPoly::fit(3, 8.0).unwrap();
        assert!((p.coeffs[1] / 0.15012 - 1.0).abs() < 1e-3, "{:?}", p.coeffs);
        assert!(
            (p.coeffs[3] / -0.0015930 - 1.0).abs() < 1e-3,
            "{:?}",
            p.coeffs
        );
    }

    #[test]
    fn higher_degrees_fit_better() {
        let e: Vec<f64> = [3, 5, 7]
            .iter()
            .map(|&d| SigmoidPoly::fit(d, 8.0).unwrap().max_error_on_interval())
            .collect();
        assert!(e[0] > e[1] && e[1] > e[2], "{e:?}");
        assert!(e[2] < 0.05, "{e:?}");
    }

    #[test]
    fn bad_degree_is_refused() {
        assert!(SigmoidPoly::fit(0, 8.0).is_err());
        assert!(SigmoidPoly::fit(3, -1.0).is_err());
    }
}
