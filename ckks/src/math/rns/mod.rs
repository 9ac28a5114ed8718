//! Residue number system: a polynomial modulo `Q = q_0 ⋯ q_L` (and the special
//! primes `P = p_0 ⋯ p_{k−1}`) is kept as one limb of `N` residues per prime.
//!
//! [`RnsContext`] owns the primes, their NTT plans, and every constant that
//! moves a polynomial between bases: ModUp per key-switching digit and
//! level, ModDown from `QP` to `Q`, and rescaling by the last prime.

pub mod conv;
pub mod crt;

use crate::math::modulus::Modulus;
use crate::math::ntt::NttPlan;
pub use conv::BasisConverter;
use serde::{Deserialize, Serialize};

/// Which primes a polynomial has limbs for: the first `q` ciphertext primes
/// (`q = level + 1`), followed by all special primes when `p` is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Basis {
    /// Number of ciphertext primes, `q_0 … q_{q−1}`.
    pub q: usize,
    /// Whether the special primes follow.
    pub p: bool,
}

impl Basis {
    /// The ciphertext primes up to `level`.
    #[must_use]
    pub const fn level(level: usize) -> Self {
        Self {
            q: level + 1,
            p: false,
        }
    }

    /// The ciphertext primes up to `level` plus the special primes.
    #[must_use]
    pub const fn level_with_p(level: usize) -> Self {
        Self {
            q: level + 1,
            p: true,
        }
    }
}

/// Precomputed constants for one key-switching digit at one level.
#[derive(Clone, Debug)]
pub struct ModUpTable {
    /// Indices of the ciphertext primes in this digit (at this level).
    pub src: std::ops::Range<usize>,
    /// Conversion from the digit's primes to the other limbs of `Q_ℓ·P`, in
    /// limb order (ciphertext primes not in the digit, then special primes).
    pub conv: BasisConverter,
}

/// `∏ primes mod t`.
fn product_mod(t: &Modulus, primes: &[Modulus]) -> u64 {
    primes
        .iter()
        .fold(1, |acc, p| t.mul(acc, t.reduce(p.value())))
}

/// Primes, NTT plans and basis-conversion constants.
#[derive(Clone, Debug)]
pub struct RnsContext {
    n: usize,
    q: Vec<Modulus>,
    p: Vec<Modulus>,
    plans_q: Vec<NttPlan>,
    plans_p: Vec<NttPlan>,
    /// Primes per key-switching digit (α = number of special primes).
    alpha: usize,
    /// `modup[ℓ][j]`: digit `j` at level `ℓ`.
    modup: Vec<Vec<ModUpTable>>,
    /// `moddown[ℓ]`: from `P` to `Q_ℓ`.
    moddown: Vec<BasisConverter>,
    /// `P^{-1} mod q_i`.
    p_inv_mod_q: Vec<u64>,
    /// `P mod q_i`.
    p_mod_q: Vec<u64>,

    /// `rescale_inv[ℓ][i] = q_ℓ^{-1} mod q_i`, `i < ℓ`.
    rescale_inv: Vec<Vec<u64>>,
}

impl RnsContext {
    /// Builds everything for ring degree `n`, ciphertext primes `q` and
    /// special primes `p` (all distinct, `≡ 1 mod 2n`).
    #[must_use]
    pub fn new(n: usize, q: &[u64], p: &[u64]) -> Self {
        let qm: Vec<Modulus> = q.iter().map(|&x| Modulus::new(x)).collect();
        let pm: Vec<Modulus> = p.iter().map(|&x| Modulus::new(x)).collect();
        let plans_q: Vec<NttPlan> = q.iter().map(|&x| NttPlan::new(n, x)).collect();
        let plans_p: Vec<NttPlan> = p.iter().map(|&x| NttPlan::new(n, x)).collect();
        let alpha = p.len().max(1);
        let modup = (0..q.len())
            .map(|level| {
                let count = level + 1;
                (0..count.div_ceil(alpha))
                    .map(|j| {
                        let src = j * alpha..((j + 1) * alpha).min(count);
                        let dst: Vec<Modulus> = (0..count)
                            .filter(|i| !src.contains(i))
                            .map(|i| qm[i])
                            .chain(pm.iter().copied())
                            .collect();
                        let digit = &qm[src.clone()];
                        ModUpTable {
                            conv: BasisConverter::new(digit, &dst),
                            src,
                        }
                    })
                    .collect()
            })
            .collect();
        let moddown = (0..q.len())
            .map(|level| BasisConverter::new(&pm, &qm[..=level]))
            .collect();
        let p_mod_q: Vec<u64> = qm.iter().map(|qi| product_mod(qi, &pm)).collect();
        let p_inv_mod_q = qm
            .iter()
            .zip(&p_mod_q)
            .map(|(qi, &pm)| qi.inv(pm).expect("distinct primes"))
            .collect();
        let rescale_inv = (0..q.len())
            .map(|l| {
                (0..l)
                    .map(|i| qm[i].inv(qm[i].reduce(q[l])).expect("distinct primes"))
                    .collect()
            })
            .collect();
        Self {
            n,
            q: qm,
            p: pm,
            plans_q,
            plans_p,
            alpha,
            modup,
            moddown,
            p_inv_mod_q,
            p_mod_q,
            rescale_inv,
        }
    }

    /// Ring degree `N`.
    #[inline]
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// The ciphertext primes.
    #[must_use]
    pub fn q(&self) -> &[Modulus] {
        &self.q
    }

    /// The special primes.
    #[must_use]
    pub fn p(&self) -> &[Modulus] {
        &self.p
    }

    /// Highest level (`L`, the number of ciphertext primes minus one).
    #[must_use]
    pub fn max_level(&self) -> usize {
        self.q.len() - 1
    }

    /// Primes per key-switching digit.
    #[must_use]
    pub fn alpha(&self) -> usize {
        self.alpha
    }

    /// The prime of limb `limb` in `basis`.
    #[inline]
    #[must_use]
    pub fn modulus(&self, basis: Basis, limb: usize) -> &Modulus {
        if limb < basis.q {
            &self.q[limb]
        } else {
            &self.p[limb - basis.q]
        }
    }

    /// The NTT plan of limb `limb` in `basis`.
    #[inline]
    #[must_use]
    pub fn plan(&self, basis: Basis, limb: usize) -> &NttPlan {
        if limb < basis.q {
            &self.plans_q[limb]
        } else {
            &self.plans_p[limb - basis.q]
        }
    }

    /// Number of limbs in `basis`.
    #[inline]
    #[must_use]
    pub fn limbs(&self, basis: Basis) -> usize {
        basis.q + if basis.p { self.p.len() } else { 0 }
    }

    /// Index of limb `limb` of `basis` among all primes `q_0 … q_L, p_0 …`.
    #[inline]
    #[must_use]
    pub fn global_index(&self, basis: Basis, limb: usize) -> usize {
        if limb < basis.q {
            limb
        } else {
            self.q.len() + limb - basis.q
        }
    }

    /// ModUp tables of every digit at `level`.
    #[must_use]
    pub fn modup(&self, level: usize) -> &[ModUpTable] {
        &self.modup[level]
    }

    /// ModDown converter from `P` to `Q_level`.
    #[must_use]
    pub fn moddown(&self, level: usize) -> &BasisConverter {
        &self.moddown[level]
    }

    /// `P^{-1} mod q_i`.
    #[must_use]
    pub fn p_inv_mod_q(&self, i: usize) -> u64 {
        self.p_inv_mod_q[i]
    }

    /// `P mod q_i`.
    #[must_use]
    pub fn p_mod_q(&self, i: usize) -> u64 {
        self.p_mod_q[i]
    }

    /// `q_level^{-1} mod q_i` for `i < level`.
    #[must_use]
    pub fn rescale_inv(&self, level: usize, i: usize) -> u64 {
        self.rescale_inv[level][i]
    }
}
