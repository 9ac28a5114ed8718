//! CRT reconstruction to floating point, for decoding.
//!
//! A coefficient known by its residues `r_i = x mod q_i` (`i ≤ ℓ`) is
//! rebuilt in mixed radix (Garner): `x = a_0 + a_1·q_0 + a_2·q_0q_1 + …`
//! with digits `a_i ∈ [0, q_i)` computed exactly in word arithmetic. The
//! centered value `x − Q` (when `x > Q/2`) is formed digit-wise before any
//! rounding, so a small negative value keeps its full precision; only the
//! final Horner evaluation is in `f64`.

use crate::math::aligned::AlignedVec;
use crate::math::kernels::Kernels;
use crate::math::modulus::Modulus;

/// Tables for every level of a prime chain.
#[derive(Clone, Debug)]
pub struct CrtTables {
    q: Vec<Modulus>,
    /// `prefix[i][j] = (q_0 ⋯ q_{j−1}) mod q_i` for `j ≤ i`.
    prefix: Vec<Vec<u64>>,
    /// `(q_0 ⋯ q_{i−1})^{-1} mod q_i`.
    prefix_inv: Vec<u64>,
    /// Mixed-radix digits of `⌊Q_ℓ / 2⌋`, per level.
    half: Vec<Vec<u64>>,
}

impl CrtTables {
    /// Builds the tables for the chain `q`.
    #[must_use]
    pub fn new(q: &[u64]) -> Self {
        let qm: Vec<Modulus> = q.iter().map(|&x| Modulus::new(x)).collect();
        let prefix: Vec<Vec<u64>> = qm
            .iter()
            .map(|qi| {
                let mut row = Vec::with_capacity(q.len());
                let mut acc = 1 % qi.value();
                for qj in &qm {
                    row.push(acc);
                    acc = qi.mul(acc, qi.reduce(qj.value()));
                }
                row
            })
            .collect();
        let prefix_inv = qm
            .iter()
            .enumerate()
            .map(|(i, qi)| {
                if i == 0 {
                    1
                } else {
                    qi.inv(prefix[i][i]).expect("distinct primes")
                }
            })
            .collect();
        let half = (0..q.len())
            .map(|level| {
                // ⌊(Q − 1)/2⌋ from the digits of Q − 1, which are all q_i − 1.
                let mut digits = vec![0u64; level + 1];
                let mut rem: u128 = 0;
                for i in (0..=level).rev() {
                    let cur = rem * u128::from(q[i]) + u128::from(q[i] - 1);
                    digits[i] = (cur / 2) as u64;
                    rem = cur % 2;
                }
                digits
            })
            .collect();
        Self {
            q: qm,
            prefix,
            prefix_inv,
            half,
        }
    }

    /// Mixed-radix digits of the integer with residues `r[..=level]`.
    fn digits(&self, r: &[u64], digits: &mut [u64]) {
        for i in 0..r.len() {
            let qi = &self.q[i];
            let mut s = 0u64;
            for (j, &a) in digits[..i].iter().enumerate() {
                s = qi.add(s, qi.mul(a, self.prefix[i][j]));
            }
            digits[i] = qi.mul(qi.sub(r[i], s), self.prefix_inv[i]);
        }
    }

    /// The centered value in `(−Q_ℓ/2, Q_ℓ/2]` of the integer with residues
    /// `r` (one per prime `q_0 … q_ℓ`), as `f64`. `scratch` needs `r.len()`
    /// entries.
    #[must_use]
    pub fn centered_f64(&self, r: &[u64], scratch: &mut [u64]) -> f64 {
        let level = r.len() - 1;
        if level == 0 {
            return self.q[0].center(r[0]) as f64;
        }
        let d = &mut scratch[..r.len()];
        self.digits(r, d);
        self.centered_from_digits(d)
    }

    /// [`Self::centered_f64`] of `out.len()` coefficients at once, each
    /// times `factor`: `limbs[i]` holds their residues mod `q_i`
    /// (`i ≤ ℓ`). The mixed-radix digits are computed limb by limb with
    /// the vector kernels: digit `i` is
    /// `(r_i − Σ_{j<i} a_j·[q_0 ⋯ q_{j−1}]_{q_i})·[q_0 ⋯ q_{i−1}]^{-1}`,
    /// one dot product with constants ([`Kernels::dot_scalar_reduce_to`],
    /// as a digit of a larger prime may exceed `q_i`) and one Shoup
    /// product per digit; the comparison with `⌊Q_ℓ/2⌋` and the evaluation
    /// in `f64` follow per coefficient. The digits are exact, so the values
    /// are those of [`Self::centered_f64`], bit for bit.
    ///
    /// # Panics
    /// If there are no limbs or more than the chain's primes, or the limbs
    /// and `out` differ in length (an internal bug).
    pub fn centered_f64_limbs(&self, limbs: &[&[u64]], factor: f64, out: &mut [f64]) {
        let (l, n) = (limbs.len(), out.len());
        assert!(
            (1..=self.q.len()).contains(&l),
            "CRT: {l} limbs for a chain of {}",
            self.q.len()
        );
        assert!(
            limbs.iter().all(|x| x.len() == n),
            "CRT: limbs and output differ in length"
        );
        if n == 0 {
            return;
        }
        if l == 1 {
            for (o, &r) in out.iter_mut().zip(limbs[0]) {
                *o = self.q[0].center(r) as f64 * factor;
            }
            return;
        }
        // Digit 0 is r_0 itself; digit i from the digits before it.
        let mut digits = AlignedVec::with_capacity(l * n);
        digits.extend_from_slice(limbs[0]);
        let mut sum = AlignedVec::zeroed(n);
        // Digit j is below q_j.
        let bounds: Vec<u64> = self.q.iter().map(Modulus::value).collect();
        for (i, limb) in limbs.iter().enumerate().skip(1) {
            let k = Kernels::best(&self.q[i]);
            let below: Vec<&[u64]> = digits.chunks_exact(n).collect();
            k.dot_scalar_reduce_to(&mut sum, &below, &self.prefix[i][..i], &bounds[..i]);
            let start = digits.len();
            digits.extend_from_slice(limb);
            k.sub_mul_scalar_assign(&mut digits[start..], &sum, self.prefix_inv[i]);
        }
        let mut d = vec![0u64; l];
        for (c, o) in out.iter_mut().enumerate() {
            for (i, x) in d.iter_mut().enumerate() {
                *x = digits[i * n + c];
            }
            *o = self.centered_from_digits(&mut d) * factor;
        }
    }

    /// The centred value of the integer with mixed-radix digits `d` (two or
    /// more; overwritten).
    fn centered_from_digits(&self, d: &mut [u64]) -> f64 {
        let level = d.len() - 1;
        let half = &self.half[level];
        // Lexicographic comparison from the most significant digit.
        let above_half = d
            .iter()
            .rev()
            .zip(half.iter().rev())
            .find(|(a, h)| a != h)
            .is_some_and(|(a, h)| a > h);
        let negative = above_half;
        if negative {
            // Q − x = (Q − 1 − x) + 1, digit-wise: (q_i − 1 − a_i), then carry.
            let mut carry = 1u64;
            for (i, a) in d.iter_mut().enumerate() {
                let qi = self.q[i].value();
                let v = qi - 1 - *a + carry;
                if v == qi {
                    *a = 0;
                    carry = 1;
                } else {
                    *a = v;
                    carry = 0;
                }
            }
        }
        let mut v = 0f64;
        for i in (0..=level).rev() {
            v = v * self.q[i].value() as f64 + d[i] as f64;
        }
        if negative {
            -v
        } else {
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::primes::ntt_primes_below;
    use num_bigint::{BigInt, BigUint};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn centered_values_match_big_integer_crt() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut primes = ntt_primes_below(60, 1024, 1, &[]);
        primes.extend(ntt_primes_below(40, 1024, 3, &[]));
        let t = CrtTables::new(&primes);
        for level in 0..primes.len() {
            let qs = &primes[..=level];
            let q: BigInt = qs.iter().map(|&x| BigInt::from(x)).product();
            let half = &q / 2;
            let mut scratch = vec![0; qs.len()];
            let (mut residues, mut values) = (Vec::new(), Vec::new());
            for k in 0..2000 {
                // Mix of random, tiny positive and tiny negative values.
                let x: BigInt = match k % 3 {
                    0 => {
                        BigInt::from(
                            BigUint::from(rng.gen::<u128>()) * BigUint::from(rng.gen::<u128>()),
                        ) % &q
                            - &half
                    }
                    1 => BigInt::from(rng.gen_range(0..1_000_000i64)),
                    _ => BigInt::from(-rng.gen_range(1..1_000_000i64)),
                };
                let xm = ((&x % &q) + &q) % &q;
                let r: Vec<u64> = qs
                    .iter()
                    .map(|&p| u64::try_from(&xm % p).unwrap())
                    .collect();
                let got = t.centered_f64(&r, &mut scratch);
                let want: f64 = x.to_string().parse().unwrap();
                let rel = ((got - want) / want.abs().max(1.0)).abs();
                assert!(rel < 1e-15, "level {level}: got {got}, want {want}");
                residues.push(r);
                values.push(got);
            }
            // All the coefficients at once, limb by limb: the same values.
            let limbs: Vec<Vec<u64>> = (0..=level)
                .map(|i| residues.iter().map(|r| r[i]).collect())
                .collect();
            let refs: Vec<&[u64]> = limbs.iter().map(Vec::as_slice).collect();
            let mut out = vec![0.0; values.len()];
            t.centered_f64_limbs(&refs, 0.5, &mut out);
            for (k, (&got, &want)) in out.iter().zip(&values).enumerate() {
                assert_eq!(got, want * 0.5, "level {level}, coefficient {k}");
            }
        }
    }
}
