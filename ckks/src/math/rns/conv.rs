//! Basis conversion, the building block of ModUp, ModDown and rescale.
//!
//! Given residues `x_i = x mod q_i` over a source basis `S`, with
//! `Q_S = ∏ q_i` and `Q̂_i = Q_S / q_i`:
//!
//! ```text
//! y_i = [x_i · Q̂_i^{-1}]_{q_i}          (one Shoup product per residue)
//! x'  = Σ_i y_i · Q̂_i  (mod t)          for each target prime t
//! ```
//!
//! `x'` equals `x + v·Q_S` for the integer `v = ⌊Σ_i y_i / q_i⌋ < |S|`, and
//! `Σ_i y_i/q_i = v + x/Q_S`. Subtracting `v·Q_S` would give the residue of
//! the representative in `[0, Q_S)`; subtracting `u·Q_S` with `u` the
//! *nearest* integer to the sum gives the centred representative in
//! `(−Q_S/2, Q_S/2]` instead, since the fraction `x/Q_S` rounds up exactly
//! when `x > Q_S/2`. `u` is computed in double precision
//! ([`crate::math::kernels::Kernels::nearest_quotients`]); it can be off
//! only when `x/Q_S` lies within about `|S|·2^-52` of `1/2`, where it picks
//! the other representative `x ∓ Q_S`, which key switching accepts.
//! Centring matters for precision: an overshoot that is never negative
//! would add a bias that the canonical embedding concentrates on a few
//! slots. See `docs/key-switching.md`.

use zeroize::Zeroize;

use crate::math::aligned::AlignedVec;
use crate::math::kernels::Kernels;
use crate::math::modulus::Modulus;
use crate::math::ntt::{NttPlan, SubMulTarget};

/// Constants for converting residues over a source basis into a target basis.
#[derive(Clone, Debug)]
pub struct BasisConverter {
    src: Vec<Modulus>,
    dst: Vec<Modulus>,
    /// `Q̂_i^{-1} mod q_i` per source prime.
    hat_inv: Vec<u64>,
    /// Per target prime `t`: `Q̂_i mod t` for each source prime, then
    /// `−Q_S mod t`, the constants of the conversion's dot product.
    dst_consts: Vec<Vec<u64>>,
    /// `1 / q_i` in floating point.
    inv_src: Vec<f64>,
    /// Bounds on the terms of the conversion's dot product: each source
    /// prime (the scaled residues are below it), then `k + 1` for the
    /// rounded quotient of `k` sources. A target prime reduces the terms
    /// above it before their products.
    bounds: Vec<u64>,
}

/// Per-polynomial state of a centred conversion, shared by all targets
/// (see [`BasisConverter::prepare_centered`]). Its words are derived from
/// the polynomial converted, which may be secret (ModDown in an
/// encryption): they are zeroized when it is dropped, unless it was made
/// by [`BasisConverter::prepare_centered_public`].
#[derive(Clone, Debug)]
pub struct Prepared<'a> {
    sources: Sources<'a>,
    wipe: bool,
}

#[derive(Clone, Debug)]
enum Sources<'a> {
    /// One source prime: the source residues themselves, borrowed.
    One(&'a [u64]),
    /// Several: the scaled residues `y_i`, limb after limb, and the rounded
    /// quotient `u` of each coefficient.
    Several { y: AlignedVec, u: AlignedVec },
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if let (true, Sources::Several { y, u }) = (self.wipe, &mut self.sources) {
            y.zeroize();
            u.zeroize();
        }
    }
}

impl BasisConverter {
    /// Builds the converter from `src` to `dst` (pairwise distinct primes).
    #[must_use]
    pub fn new(src: &[Modulus], dst: &[Modulus]) -> Self {
        let hat_inv = src
            .iter()
            .enumerate()
            .map(|(i, qi)| {
                let hat = src
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .fold(1u64, |acc, (_, qj)| qi.mul(acc, qi.reduce(qj.value())));
                qi.inv(hat).expect("distinct primes")
            })
            .collect();
        let dst_consts = dst
            .iter()
            .map(|t| {
                let hats = (0..src.len()).map(|i| {
                    src.iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .fold(1u64, |acc, (_, qj)| t.mul(acc, t.reduce(qj.value())))
                });
                let q_s = src
                    .iter()
                    .fold(1u64, |acc, q| t.mul(acc, t.reduce(q.value())));
                hats.chain([t.neg(q_s)]).collect()
            })
            .collect();
        Self {
            inv_src: src.iter().map(|q| 1.0 / q.value() as f64).collect(),
            bounds: src
                .iter()
                .map(Modulus::value)
                .chain([src.len() as u64 + 1])
                .collect(),
            src: src.to_vec(),
            dst: dst.to_vec(),
            hat_inv,
            dst_consts,
        }
    }

    /// First step of the **centred exact** conversion: the representative
    /// of `x` in `(−Q_S/2, Q_S/2]`, which every target then receives from
    /// [`Self::convert_centered_to`]. `src` holds the source limbs
    /// (coefficient form). With several source primes, a value within about
    /// `2^-50·Q_S` of `±Q_S/2` may come out as its other representative
    /// `x ∓ Q_S`; key switching accepts any representative, and ModDown then
    /// errs by one unit.
    ///
    /// With one source prime nothing is computed (each target centres the
    /// residues as it converts them); with several, the scaled residues
    /// `y_i` and the rounded quotients `u` (module docs) are.
    ///
    /// # Panics
    /// If `src` does not hold one limb per source prime, all of one length
    /// (an internal bug).
    #[must_use]
    pub fn prepare_centered<'a>(&self, src: &[&'a [u64]]) -> Prepared<'a> {
        self.prepare(src, true)
    }

    /// [`Self::prepare_centered`] for a polynomial that is public (a
    /// ciphertext being key-switched): the state is not zeroized when it
    /// is dropped, a pass over `(|S| + 1)·N` words saved.
    ///
    /// # Panics
    /// As [`Self::prepare_centered`].
    #[must_use]
    pub fn prepare_centered_public<'a>(&self, src: &[&'a [u64]]) -> Prepared<'a> {
        self.prepare(src, false)
    }

    fn prepare<'a>(&self, src: &[&'a [u64]], wipe: bool) -> Prepared<'a> {
        assert_eq!(
            src.len(),
            self.src.len(),
            "basis conversion: source limb count"
        );
        let n = src.first().map_or(0, |s| s.len());
        assert!(
            src.iter().all(|s| s.len() == n),
            "basis conversion: source limbs differ in length"
        );
        if self.src.len() == 1 {
            return Prepared {
                sources: Sources::One(src[0]),
                wipe,
            };
        }
        let mut y = AlignedVec::with_capacity(self.src.len() * n);
        for ((limb, q), &w) in src.iter().zip(&self.src).zip(&self.hat_inv) {
            let start = y.len();
            y.extend_from_slice(limb);
            Kernels::best(q).mul_scalar_assign(&mut y[start..], w);
        }
        let mut u = AlignedVec::zeroed(n);
        if n > 0 {
            let ys: Vec<&[u64]> = y.chunks_exact(n).collect();
            Kernels::best(&self.src[0]).nearest_quotients(&mut u, &ys, &self.inv_src);
        }
        Prepared {
            sources: Sources::Several { y, u },
            wipe,
        }
    }

    /// Second step of the centred exact conversion, for target `dst[ti]`:
    /// `out = [x_c]_t` with `x_c ∈ (−Q_S/2, Q_S/2]`, in `[0, t)`. With
    /// several source primes, one dot product per coefficient:
    /// `Σ_i y_i·[Q̂_i]_t + u·[−Q_S]_t`.
    pub fn convert_centered_to(&self, prep: &Prepared<'_>, ti: usize, out: &mut [u64]) {
        let t = &self.dst[ti];
        let k = Kernels::best(t);
        match &prep.sources {
            // x ∈ [0, q): centred is x − q when x > q/2.
            Sources::One(x) => k.centered_from(out, x, self.src[0].value()),
            Sources::Several { y, u } => {
                let n = u.len();
                if n == 0 {
                    return;
                }
                let terms: Vec<&[u64]> = y.chunks_exact(n).chain([&u[..]]).collect();
                let consts = &self.dst_consts[ti];
                k.dot_scalar_reduce_to(out, &terms, consts, &self.bounds);
            }
        }
    }

    /// [`Self::convert_centered_to`] followed by `plan`'s forward transform
    /// (`plan` for the target `dst[ti]`): with one source prime, the two
    /// are one pass ([`NttPlan::forward_centered`]).
    pub fn convert_centered_forward(
        &self,
        prep: &Prepared<'_>,
        ti: usize,
        plan: &NttPlan,
        out: &mut [u64],
    ) {
        debug_assert_eq!(plan.modulus(), &self.dst[ti]);
        if let Sources::One(x) = prep.sources {
            plan.forward_centered(out, x, self.src[0].value());
        } else {
            self.convert_centered_to(prep, ti, out);
            plan.forward(out);
        }
    }

    /// ModDown's last step on target `dst[ti]`: with `y` the
    /// [`Self::convert_centered_forward`] result (computed in `scratch`),
    /// `(x − y)·w` written where `target` says: with one source prime in
    /// the transform's passes ([`NttPlan::forward_centered_sub_mul`]), with
    /// several after the conversion ([`NttPlan::forward_sub_mul`]).
    pub fn convert_centered_forward_sub_mul(
        &self,
        prep: &Prepared<'_>,
        ti: usize,
        plan: &NttPlan,
        scratch: &mut [u64],
        w: u64,
        target: SubMulTarget<'_>,
    ) {
        debug_assert_eq!(plan.modulus(), &self.dst[ti]);
        if let Sources::One(x) = prep.sources {
            plan.forward_centered_sub_mul(scratch, x, self.src[0].value(), w, target);
            return;
        }
        self.convert_centered_to(prep, ti, scratch);
        plan.forward_sub_mul(scratch, w, target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::primes::ntt_primes_below;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn centred_conversion_gives_the_representative_in_the_middle() {
        use num_bigint::BigInt;
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        // Sources as large as the targets, larger (reduced before their
        // products) and smaller, one prime or several; the last case is a
        // ModUp at the `n16k` preset (a 54- and a 40-bit prime into 40-,
        // 52- and 54-bit primes).
        let cases: [(&[u32], &[u32]); 6] = [
            (&[50], &[50, 50, 50]),
            (&[50, 50, 50], &[50, 50, 50]),
            (&[61, 60], &[40, 30, 61]),
            (&[30, 36, 40], &[61, 45]),
            (&[52, 52], &[54, 40, 40]),
            (&[54, 40], &[40, 40, 52, 54]),
        ];
        for (src_bits, dst_bits) in cases {
            let mut used = Vec::new();
            let mut pick = |bits: u32| {
                let q = ntt_primes_below(bits, 1024, 1, &used)[0];
                used.push(q);
                q
            };
            let src_p: Vec<u64> = src_bits.iter().map(|&b| pick(b)).collect();
            let dst_p: Vec<u64> = dst_bits.iter().map(|&b| pick(b)).collect();
            let split = src_p.len();
            let src: Vec<Modulus> = src_p.iter().map(|&q| Modulus::new(q)).collect();
            let dst: Vec<Modulus> = dst_p.iter().map(|&q| Modulus::new(q)).collect();
            let conv = BasisConverter::new(&src, &dst);
            let q_s: BigInt = src_p.iter().map(|&q| BigInt::from(q)).product();
            // A whole number of vectors and a tail.
            let n = 67;
            // Values across (−Q/2, Q/2], small ones of both signs, and both edges.
            let mut xs: Vec<BigInt> = (0..n - 6)
                .map(|_| {
                    BigInt::from_bytes_le(
                        num_bigint::Sign::Plus,
                        &(0..40).map(|_| rng.gen::<u8>()).collect::<Vec<u8>>(),
                    ) % &q_s
                        - &q_s / 2i32
                })
                .collect();
            xs.extend([0, 1, -1, 12345].map(BigInt::from));
            xs.push(&q_s / 2i32);
            xs.push(-(&q_s / 2i32));
            let limbs: Vec<Vec<u64>> = src_p
                .iter()
                .map(|&q| {
                    xs.iter()
                        .map(|x| u64::try_from(((x % q) + q) % q).unwrap())
                        .collect()
                })
                .collect();
            let refs: Vec<&[u64]> = limbs.iter().map(Vec::as_slice).collect();
            let prep = conv.prepare_centered(&refs);
            let public = conv.prepare_centered_public(&refs);
            for (ti, &t) in dst_p.iter().enumerate() {
                let mut out = vec![0u64; n];
                conv.convert_centered_to(&prep, ti, &mut out);
                let mut same = vec![0u64; n];
                conv.convert_centered_to(&public, ti, &mut same);
                assert_eq!(out, same, "the public preparation converts the same");
                for (k, x) in xs.iter().enumerate() {
                    let want = u64::try_from(((x % t) + t) % t).unwrap();
                    if k < n - 2 || split == 1 {
                        assert_eq!(
                            out[k], want,
                            "{src_bits:?}-bit into {dst_bits:?}-bit primes, coefficient {k}"
                        );
                    } else {
                        // At ±⌊Q/2⌋ the float quotient may pick the other
                        // representative, x ∓ Q: either is a valid residue class member.
                        let other = |d: &BigInt| u64::try_from((((x + d) % t) + t) % t).unwrap();
                        assert!(
                            [want, other(&q_s), other(&-q_s.clone())].contains(&out[k]),
                            "edge coefficient {k}"
                        );
                    }
                }
            }
        }
    }
}
