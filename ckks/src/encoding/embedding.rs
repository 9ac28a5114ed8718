//! The canonical embedding and its special FFT.
//!
//! A real polynomial `m(X)` of degree `< N` is identified with its values at
//! the primitive `2N`-th roots of unity `ζ^{5^j}` (`ζ = e^{iπ/N}`,
//! `0 ≤ j < N/2`); the values at `ζ^{−5^j}` are their conjugates, so `N/2`
//! complex slots determine `m`. Ordering slots by powers of 5 makes
//! `X ↦ X^5` rotate them by one.
//!
//! Since `(ζ^{5^j})^{N/2} = i` for every `j` (because `5^j ≡ 1 mod 4`),
//! writing `w_k = m_k + i·m_{k+N/2}` gives `m(ζ^{5^j}) = W(ζ^{5^j})` with the
//! complex polynomial `W(Y) = Σ_{k<N/2} w_k Y^k`. Decoding is therefore one
//! evaluation of a degree-`N/2` complex polynomial at the `N/2` points
//! `ξ_j = ζ^{5^j}`, and it factors like an FFT: with `W = E(Y²) + Y·O(Y²)`,
//! `ξ_j² ` are the points of the half-size problem and
//! `ξ_{j+n/2} = −ξ_j` (`n = N/2`), so
//! `W(ξ_j) = E(ξ_j²) + ξ_j O(ξ_j²)` and `W(ξ_{j+n/2}) = E(ξ_j²) − ξ_j O(ξ_j²)`.
//! See `docs/encoding.md`.

/// A complex number in `f64`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// `re + i·im`.
    #[must_use]
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// The conjugate.
    #[must_use]
    pub fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }

    /// `|z|`.
    #[must_use]
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
}

impl std::ops::Add for Complex {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
}

impl std::ops::Sub for Complex {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
}

impl std::ops::Mul for Complex {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

impl std::ops::Mul<f64> for Complex {
    type Output = Self;
    fn mul(self, s: f64) -> Self {
        Self::new(self.re * s, self.im * s)
    }
}

/// Tables of the special FFT for one `N`.
#[derive(Clone, Debug)]
pub struct Embedding {
    /// Number of slots, `n = N/2`.
    slots: usize,
    /// `ζ^k = e^{2πik/M}` for `k < M = 2N`, each computed directly.
    roots: Vec<Complex>,
    /// `5^j mod M` for `j < n`.
    pow5: Vec<usize>,
    /// Every stage's twiddles, stage `len` (2, 4, …, n) at offset
    /// `len/2 − 1`: entry `j < len/2` is `ζ_{4·len}^{5^j}`, the point of
    /// slot `j` in the sub-problem of size `len`.
    stage_twiddles: Vec<Complex>,
}

impl Embedding {
    /// Tables for ring degree `n_ring`.
    #[must_use]
    pub fn new(n_ring: usize) -> Self {
        let m = 2 * n_ring;
        let roots: Vec<Complex> = (0..m)
            .map(|k| {
                let a = 2.0 * std::f64::consts::PI * k as f64 / m as f64;
                Complex::new(a.cos(), a.sin())
            })
            .collect();
        let mut pow5 = Vec::with_capacity(n_ring / 2);
        let mut g = 1usize;
        for _ in 0..n_ring / 2 {
            pow5.push(g);
            g = g * 5 % m;
        }
        let slots = n_ring / 2;
        let mut stage_twiddles = Vec::with_capacity(slots);
        let mut len = 2;
        while len <= slots {
            let sub_m = 4 * len;
            stage_twiddles.extend((0..len / 2).map(|j| roots[(pow5[j] % sub_m) * (m / sub_m)]));
            len <<= 1;
        }
        Self {
            slots,
            roots,
            pow5,
            stage_twiddles,
        }
    }

    /// The twiddles of the stage over blocks of `len`, from the table
    /// built once (no index arithmetic in the butterflies).
    #[inline]
    fn stage(&self, len: usize) -> &[Complex] {
        &self.stage_twiddles[len / 2 - 1..len - 1]
    }

    /// Number of slots.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The point `ξ_j = ζ^{5^j}` of slot `j`.
    #[must_use]
    pub fn slot_root(&self, j: usize) -> Complex {
        self.roots[self.pow5[j]]
    }

    /// Evaluation: `vals[k] = w_k` (coefficients of `W`) becomes
    /// `vals[j] = W(ξ_j)`. `vals.len()` must be the slot count.
    pub fn forward(&self, vals: &mut [Complex]) {
        let n = vals.len();
        debug_assert_eq!(n, self.slots);
        bit_reverse_permute(vals);
        let mut len = 2;
        while len <= n {
            let half = len / 2;
            let tw = self.stage(len);
            for block in vals.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for ((u, v), &w) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    let t = *v * w;
                    let a = *u;
                    *u = a + t;
                    *v = a - t;
                }
            }
            len <<= 1;
        }
    }

    /// Interpolation, the inverse of [`Self::forward`]: slot values to the
    /// coefficients of `W`.
    pub fn inverse(&self, vals: &mut [Complex]) {
        let n = vals.len();
        debug_assert_eq!(n, self.slots);
        let mut len = n;
        while len >= 2 {
            let half = len / 2;
            let tw = self.stage(len);
            for block in vals.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for ((u, v), &w) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    // Undo u' = u + tv, v' = u − tv.
                    let (a, b) = (*u, *v);
                    *u = a + b;
                    *v = (a - b) * w.conj();
                }
            }
            len >>= 1;
        }
        bit_reverse_permute(vals);
        let inv = 1.0 / n as f64;
        for v in vals.iter_mut() {
            *v = *v * inv;
        }
    }
}

fn bit_reverse_permute<T>(v: &mut [T]) {
    let n = v.len();
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = crate::math::ntt::bit_reverse(i, bits);
        if i < j {
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn special_fft_evaluates_at_powers_of_five() {
        let n_ring = 64;
        let e = Embedding::new(n_ring);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let w: Vec<Complex> = (0..n_ring / 2)
            .map(|_| Complex::new(rng.gen(), rng.gen()))
            .collect();
        let mut v = w.clone();
        e.forward(&mut v);
        for (j, &got) in v.iter().enumerate() {
            let x = e.slot_root(j);
            let want = w
                .iter()
                .rev()
                .fold(Complex::default(), |acc, &c| acc * x + c);
            assert!((got - want).abs() < 1e-12, "slot {j}");
        }
        e.inverse(&mut v);
        for (a, b) in v.iter().zip(&w) {
            assert!((*a - *b).abs() < 1e-14);
        }
    }
}
