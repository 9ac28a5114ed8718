//! Fast (approximate) basis conversion, the building block of ModUp, ModDown
//! and rescale.
//!
//! Given residues `x_i = x mod q_i` over a source basis `S`, with
//! `Q_S = ∏ q_i` and `Q̂_i = Q_S / q_i`:
//!
//! ```text
//! y_i = [x_i · Q̂_i^{-1}]_{q_i}          (one Shoup product per residue)
//! x'  = Σ_i y_i · Q̂_i  (mod t)          for each target prime t
//! ```
//!
//! `x'` equals `x + u·Q_S` for some integer `0 ≤ u < |S|`. The overshoot
//! `u` is the integer part of `Σ_i y_i / q_i`, which [`BasisConverter::quotients`]
//! estimates in floating point; subtracting `u·Q_S` makes the conversion
//! exact (the estimate is off only when the fractional part lies within
//! about `|S|·2^-52` of an integer, which leaves the same `±Q_S` slack the
//! schemes above tolerate anyway). Exactness matters for precision: the
//! overshoot is never negative, so it would add a bias that the canonical
//! embedding concentrates on a few slots. See `docs/key-switching.md`.

use std::borrow::Cow;

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
    /// `Q̂_i mod t`, indexed `[t][i]`.
    hat_mod_dst: Vec<Vec<u64>>,
    /// `Q_S mod t`.
    q_mod_dst: Vec<u64>,
    /// `1 / q_i` in floating point.
    inv_src: Vec<f64>,
    /// `⌊Q_S/2⌋ mod q_i` for each source prime (centring offset).
    half_src: Vec<u64>,
    /// `⌊Q_S/2⌋ mod t` for each target prime.
    half_dst: Vec<u64>,
}

/// Per-polynomial state of a centred conversion, shared by all targets
/// (see [`BasisConverter::prepare_centered`]).
#[derive(Clone, Debug)]
pub struct Prepared<'a> {
    /// One source prime: the source residues themselves, borrowed. Several:
    /// the scaled residues `y_i` of `x + ⌊Q_S/2⌋`.
    y: Cow<'a, [u64]>,
    /// Several source primes: the overshoot of each coefficient.
    u: Vec<u64>,
}

/// `⌊Q/2⌋ mod t` for odd `Q` given `Q mod t`: `(Q mod t − 1)·2^{-1}`.
fn half_mod(t: &Modulus, q_mod_t: u64) -> u64 {
    t.mul(t.sub(q_mod_t, 1), t.inv(2).expect("odd prime"))
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
        let hat_mod_dst = dst
            .iter()
            .map(|t| {
                (0..src.len())
                    .map(|i| {
                        src.iter()
                            .enumerate()
                            .filter(|&(j, _)| j != i)
                            .fold(1u64, |acc, (_, qj)| t.mul(acc, t.reduce(qj.value())))
                    })
                    .collect()
            })
            .collect();
        let q_mod_dst: Vec<u64> = dst
            .iter()
            .map(|t| {
                src.iter()
                    .fold(1u64, |acc, q| t.mul(acc, t.reduce(q.value())))
            })
            .collect();
        Self {
            half_src: src.iter().map(|q| half_mod(q, 0)).collect(),
            half_dst: dst
                .iter()
                .zip(&q_mod_dst)
                .map(|(t, &r)| half_mod(t, r))
                .collect(),
            inv_src: src.iter().map(|q| 1.0 / q.value() as f64).collect(),
            src: src.to_vec(),
            dst: dst.to_vec(),
            hat_inv,
            hat_mod_dst,
            q_mod_dst,
        }
    }

    /// Step one, shared by all targets: `y_i = [x_i · Q̂_i^{-1}]_{q_i}`.
    /// `src` holds the source limbs, `y` receives them (same layout).
    pub fn scale_sources(&self, src: &[&[u64]], y: &mut [u64]) {
        let n = src.first().map_or(0, |s| s.len());
        for (i, (limb, out)) in src.iter().zip(y.chunks_exact_mut(n)).enumerate() {
            out.copy_from_slice(limb);
            Kernels::best(&self.src[i]).mul_scalar_assign(out, self.hat_inv[i]);
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
    /// With one source prime this is a copy; with several, the residues of
    /// `x + ⌊Q_S/2⌋` are scaled and the overshoot estimated, so that the
    /// conversion is exact and then shifted back.
    #[must_use]
    pub fn prepare_centered<'a>(&self, src: &[&'a [u64]]) -> Prepared<'a> {
        let n = src.first().map_or(0, |s| s.len());
        if self.src.len() == 1 {
            return Prepared {
                y: Cow::Borrowed(src[0]),
                u: Vec::new(),
            };
        }
        let mut shifted = vec![0u64; self.src.len() * n];
        for (((out, limb), m), &h) in shifted
            .chunks_exact_mut(n)
            .zip(src)
            .zip(&self.src)
            .zip(&self.half_src)
        {
            for (o, &x) in out.iter_mut().zip(limb.iter()) {
                *o = m.add(x, h);
            }
        }
        let refs: Vec<&[u64]> = shifted.chunks_exact(n).collect();
        let mut y = vec![0u64; self.src.len() * n];
        self.scale_sources(&refs, &mut y);
        let mut u = vec![0u64; n];
        self.quotients(&y, &mut u);
        Prepared {
            y: Cow::Owned(y),
            u,
        }
    }

    /// Second step of the centred exact conversion, for target `dst[ti]`:
    /// `out = [x_c]_t` with `x_c ∈ (−Q_S/2, Q_S/2]`, in `[0, t)`.
    pub fn convert_centered_to(&self, prep: &Prepared<'_>, ti: usize, out: &mut [u64]) {
        let t = &self.dst[ti];
        if self.src.len() == 1 {
            // x ∈ [0, q): centred is x − q when x > q/2.
            Kernels::best(t).centered_from(out, &prep.y, self.src[0].value());
            return;
        }
        self.convert_exact_to(&prep.y, &prep.u, ti, out);
        let h = self.half_dst[ti];
        for o in out.iter_mut() {
            *o = t.sub(*o, h);
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
        if self.src.len() == 1 {
            plan.forward_centered(out, &prep.y, self.src[0].value());
        } else {
            self.convert_centered_to(prep, ti, out);
            plan.forward(out);
        }
    }

    /// ModDown's last step on target `dst[ti]`: with `y` the
    /// [`Self::convert_centered_forward`] result (computed in `scratch`),
    /// `(x − y)·w` added into or written over `target`'s array
    /// ([`NttPlan::forward_centered_sub_mul`], one pass with one source
    /// prime).
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
        if self.src.len() == 1 {
            plan.forward_centered_sub_mul(scratch, &prep.y, self.src[0].value(), w, target);
            return;
        }
        self.convert_centered_forward(prep, ti, plan, scratch);
        target.finish(&Kernels::best(&self.dst[ti]), scratch, w);
    }

    /// The overshoot `u_k = ⌊Σ_i y_i[k] / q_i⌋` of each coefficient, with `y`
    /// from [`Self::scale_sources`]; pass it to [`Self::convert_exact_to`].
    pub fn quotients(&self, y: &[u64], u: &mut [u64]) {
        let n = u.len();
        for (k, uk) in u.iter_mut().enumerate() {
            let s: f64 = self
                .inv_src
                .iter()
                .enumerate()
                .map(|(i, &inv)| y[i * n + k] as f64 * inv)
                .sum();
            *uk = s as u64;
        }
    }

    /// Exact conversion for target `t = dst[ti]`:
    /// `out = Σ_i y_i·Q̂_i − u·Q_S mod t`, the residue of the representative
    /// in `[0, Q_S)`. Output in `[0, t)`.
    pub fn convert_exact_to(&self, y: &[u64], u: &[u64], ti: usize, out: &mut [u64]) {
        self.convert_to(y, ti, out);
        let t = &self.dst[ti];
        let qs = self.q_mod_dst[ti];
        for (o, &uk) in out.iter_mut().zip(u) {
            *o = t.sub(*o, t.mul(t.reduce(uk), qs));
        }
    }

    /// Step two for one target prime `t = dst[ti]`: `out = Σ_i y_i · Q̂_i mod t`,
    /// with `y` from [`Self::scale_sources`]. Output in `[0, t)`.
    pub fn convert_to(&self, y: &[u64], ti: usize, out: &mut [u64]) {
        let n = out.len();
        let t = &self.dst[ti];
        // The kernels take residues below t: a source prime above t leaves
        // y_i to be reduced first.
        let ys: Vec<std::borrow::Cow<'_, [u64]>> = y
            .chunks_exact(n)
            .zip(&self.src)
            .map(|(yi, qi)| {
                if qi.value() < t.value() {
                    yi.into()
                } else {
                    yi.iter().map(|&x| t.reduce(x)).collect::<Vec<u64>>().into()
                }
            })
            .collect();
        let refs: Vec<&[u64]> = ys.iter().map(AsRef::as_ref).collect();
        Kernels::best(t).dot_scalar_to(out, &refs, &self.hat_mod_dst[ti]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::primes::ntt_primes_below;
    use num_bigint::BigUint;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn conversion_is_exact_up_to_a_small_multiple_of_q_s() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let primes = ntt_primes_below(60, 1024, 12, &[]);
        let (src_p, dst_p) = primes.split_at(9);
        let src: Vec<Modulus> = src_p.iter().map(|&q| Modulus::new(q)).collect();
        let dst: Vec<Modulus> = dst_p.iter().map(|&q| Modulus::new(q)).collect();
        let conv = BasisConverter::new(&src, &dst);
        let q_s: BigUint = src_p.iter().map(|&q| BigUint::from(q)).product();
        let n = 16;
        // Uniform in [0, Q_S): 640 random bits reduced mod the 540-bit Q_S.
        let xs: Vec<BigUint> = (0..n)
            .map(|_| {
                BigUint::from_bytes_le(&(0..80).map(|_| rng.gen::<u8>()).collect::<Vec<u8>>())
                    % &q_s
            })
            .collect();
        let limbs: Vec<Vec<u64>> = src_p
            .iter()
            .map(|&q| xs.iter().map(|x| (x % q).try_into().unwrap()).collect())
            .collect();
        let refs: Vec<&[u64]> = limbs.iter().map(Vec::as_slice).collect();
        let mut y = vec![0u64; src.len() * n];
        conv.scale_sources(&refs, &mut y);
        let mut u = vec![0u64; n];
        conv.quotients(&y, &mut u);
        for (ti, &t) in dst_p.iter().enumerate() {
            let mut exact = vec![0u64; n];
            conv.convert_exact_to(&y, &u, ti, &mut exact);
            for k in 0..n {
                assert_eq!(
                    u64::try_from(&xs[k] % t).unwrap(),
                    exact[k],
                    "exact conversion, coefficient {k}"
                );
            }
            let mut out = vec![0u64; n];
            conv.convert_to(&y, ti, &mut out);
            for k in 0..n {
                let ok = (0..src.len() as u64).any(|u| {
                    let v: u64 = ((&xs[k] + &q_s * u) % t).try_into().unwrap();
                    v == out[k]
                });
                assert!(ok, "coefficient {k} target {t}");
            }
        }
    }

    #[test]
    fn centred_conversion_gives_the_representative_in_the_middle() {
        use num_bigint::BigInt;
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let primes = ntt_primes_below(50, 1024, 6, &[]);
        for split in [1usize, 3] {
            let (src_p, dst_p) = primes.split_at(split);
            let src: Vec<Modulus> = src_p.iter().map(|&q| Modulus::new(q)).collect();
            let dst: Vec<Modulus> = dst_p.iter().map(|&q| Modulus::new(q)).collect();
            let conv = BasisConverter::new(&src, &dst);
            let q_s: BigInt = src_p.iter().map(|&q| BigInt::from(q)).product();
            let n = 64;
            // Values across (−Q/2, Q/2], with both edges.
            let mut xs: Vec<BigInt> = (0..n - 2)
                .map(|_| {
                    BigInt::from_bytes_le(
                        num_bigint::Sign::Plus,
                        &(0..40).map(|_| rng.gen::<u8>()).collect::<Vec<u8>>(),
                    ) % &q_s
                        - &q_s / 2i32
                })
                .collect();
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
            for (ti, &t) in dst_p.iter().enumerate() {
                let mut out = vec![0u64; n];
                conv.convert_centered_to(&prep, ti, &mut out);
                for (k, x) in xs.iter().enumerate() {
                    let want = u64::try_from(((x % t) + t) % t).unwrap();
                    if k < n - 2 || split == 1 {
                        assert_eq!(out[k], want, "{split} source primes, coefficient {k}");
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
