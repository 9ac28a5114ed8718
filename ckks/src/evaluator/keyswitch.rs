//! Hybrid key switching, written once for relinearization and rotation.
//!
//! Given `c` over `Q_ℓ` and a key from `s'` to `s`, finds `(k0, k1)` over
//! `Q_ℓ` with `k0 + k1·s ≈ c·s'`: [`key_switch_ext`] does steps 1 and 2,
//! and [`mod_down`] or [`mod_down_add`] (which adds the result into the
//! caller's polynomial in the same pass) step 3.
//!
//! 1. **Decompose and ModUp.** For each digit `j`, the residues
//!    `[c]_{D_j}` are extended to the other limbs of `Q_ℓ·P` by fast basis
//!    conversion (exact up to a multiple of `Q_{D_j}`, which the key's
//!    `1_{D_j}` factor removes). The digit is extended in centred form,
//!    `(−Q_{D_j}/2, Q_{D_j}/2]`: any representative is correct, and the
//!    centred one has mean zero, so `Σ_j d̃_j·e_j` carries no bias that the
//!    canonical embedding would pile onto a few slots.
//! 2. **Inner product with the key.** `(Σ_j d̃_j·b_j, Σ_j d̃_j·a_j)` over
//!    `Q_ℓ·P`, accumulated lazily in 128 bits and reduced once per
//!    coefficient.
//!    This equals `(P·c·s' − a·s + e', a)` with `e' = Σ_j d̃_j·e_j`.
//! 3. **ModDown.** Divide by `P`: `x ↦ (x − [x]_P) · P^{-1}` on each `q_i`,
//!    leaving `c·s' + e'/P + (small rounding)`. A relinearization adds the
//!    two results into the product's `d0` and `d1`, a rotation the first
//!    into its permuted `c0`.
//!
//! Every limb of steps 2 and 3 is independent; they run in parallel over
//! limbs (inline with a one-thread pool), and the result does not depend on
//! the number of threads. See
//! `docs/key-switching.md`.

use crate::keys::SwitchingKey;
use crate::math::kernels::{fill_limb_pairs, Kernels};
use crate::math::ntt::SubMulTarget;
use crate::math::par::for_each_limb;
use crate::math::poly::{Coeff, Eval, RnsPoly};
use crate::math::rns::{Basis, RnsContext};
use crate::math::scratch::{with_scratch, Wipe};
use crate::params::Params;

/// Steps 1 and 2: `(k0·P, k1·P)` over `Q_ℓ·P` (up to the key-switching
/// error), for [`mod_down`] or [`mod_down_add`] to finish into
/// `k0 + k1·s ≈ c·s'`. `c` is given in both forms (the callers already hold
/// both).
pub(crate) fn key_switch_ext(
    params: &Params,
    c_coeff: &RnsPoly<Coeff>,
    c_eval: &RnsPoly<Eval>,
    key: &SwitchingKey,
) -> (RnsPoly<Eval>, RnsPoly<Eval>) {
    let rns = params.rns();
    let n = rns.n();
    let level = c_coeff.basis().q - 1;
    let ext = Basis::level_with_p(level);
    let tables = rns.modup(level);

    // Step 1a (shared by every target limb): each digit in centred form,
    // prepared for exact conversion (the ciphertext is public: nothing to
    // wipe).
    let preps: Vec<_> = tables
        .iter()
        .map(|t| {
            let src: Vec<&[u64]> = t.src.clone().map(|i| c_coeff.limb(i)).collect();
            t.conv.prepare_centered_public(&src)
        })
        .collect();

    // The accumulators are written once, limb by limb, straight into new
    // memory (a zero fill first would be a pass over both for nothing).
    let (acc0, acc1) = fill_limb_pairs(n, rns.limbs(ext), |t, o0, o1| {
        let m = rns.modulus(ext, t);
        let key_limb = rns.global_index(ext, t);
        // Step 1b: every digit on limb t, NTT form (a digit whose own primes
        // include t is c itself on that limb), in one scratch buffer.
        with_scratch(tables.len() * n, Wipe::No, |converted| {
            for ((j, table), buf) in tables.iter().enumerate().zip(converted.chunks_exact_mut(n)) {
                if table.src.contains(&t) {
                    continue;
                }
                let dst = if t < table.src.start {
                    t
                } else {
                    t - table.src.len()
                };
                table
                    .conv
                    .convert_centered_forward(&preps[j], dst, rns.plan(ext, t), buf);
            }
            let digits: Vec<&[u64]> = tables
                .iter()
                .zip(converted.chunks_exact(n))
                .map(|(table, buf)| {
                    if table.src.contains(&t) {
                        c_eval.limb(t)
                    } else {
                        buf
                    }
                })
                .collect();
            let range = key_limb * n..(key_limb + 1) * n;
            let kb: Vec<&[u64]> = key.b.iter().map(|p| &p.data()[range.clone()]).collect();
            let ka: Vec<&[u64]> = key.a.iter().map(|p| &p.data()[range.clone()]).collect();
            // Step 2: inner product with the key, products summed lazily in
            // two words per lane and reduced once per block of digits.
            let k = Kernels::best(m);
            // The key holds a digit for every prime group of the top level;
            // below it only the first `digits.len()` are used.
            (
                o0.dot(&k, &digits, &kb[..digits.len()]),
                o1.dot(&k, &digits, &ka[..digits.len()]),
            )
        })
    });
    (
        RnsPoly::from_raw(rns, ext, acc0),
        RnsPoly::from_raw(rns, ext, acc1),
    )
}

/// Divides a polynomial over `Q_ℓ·P` by `P`, rounding, and drops the special
/// primes. With `h = ⌊P/2⌋` and `r = [x + h]_P`, `r − h ≡ x (mod P)` is
/// centred, so `(x − (r − h))·P^{-1} mod q_i` is `round(x/P)`. A floor
/// instead of the rounding would leave a bias of `1/2` per coefficient,
/// which the secret multiplies into a large low-frequency error on a few
/// slots. `wipe` says whether the scratch that held `[x]_P` and the
/// conversion's state derived from it are zeroized: yes in encryption,
/// where `x` is not public.
pub(crate) fn mod_down(rns: &RnsContext, mut x: RnsPoly<Eval>, wipe: Wipe) -> RnsPoly<Eval> {
    let level = x.basis().q - 1;
    mod_down_core(rns, &mut x, None, wipe);
    x.into_truncated(level)
}

/// `out += ModDown(x)`: [`mod_down`] adding its result straight into a
/// polynomial over `Q_ℓ` (a rotation's `c0`, a product's `d0` and `d1`),
/// one pass over each limb instead of a division then an addition.
///
/// # Panics
/// If `out` is not over the primes of `x` without the special ones (an
/// internal bug).
pub(crate) fn mod_down_add(
    rns: &RnsContext,
    mut x: RnsPoly<Eval>,
    out: &mut RnsPoly<Eval>,
    wipe: Wipe,
) {
    mod_down_core(rns, &mut x, Some(out), wipe);
}

/// ModDown of `x` (over `Q_ℓ·P`, NTT form), written over the first `ℓ + 1`
/// limbs of `x` (`out = None`) or added into `out`.
fn mod_down_core(
    rns: &RnsContext,
    x: &mut RnsPoly<Eval>,
    out: Option<&mut RnsPoly<Eval>>,
    wipe: Wipe,
) {
    let n = rns.n();
    let basis = x.basis();
    debug_assert!(basis.p);
    let level = basis.q - 1;
    // [x]_P in coefficient form, in place: the special limbs are dropped
    // afterwards. The converter takes its centred representative, r − h
    // above (`BasisConverter::prepare_centered`).
    let (q_part, p_part) = x.data_mut().split_at_mut(basis.q * n);
    for (j, limb) in p_part.chunks_exact_mut(n).enumerate() {
        rns.plan(basis, basis.q + j).inverse(limb);
    }
    let conv = rns.moddown(level);
    let src: Vec<&[u64]> = p_part.chunks_exact(n).collect();
    let prep = match wipe {
        Wipe::Yes => conv.prepare_centered(&src),
        Wipe::No => conv.prepare_centered_public(&src),
    };
    let out_basis = Basis::level(level);
    // On limb i: [x]_P in NTT form (in scratch), subtracted from x and
    // multiplied by P^{-1} mod q_i, written over x or added into `out`.
    let limb_step = |i: usize, target: SubMulTarget<'_>| {
        with_scratch(n, wipe, |buf| {
            let plan = rns.plan(out_basis, i);
            let w = rns.p_inv_mod_q(i);
            conv.convert_centered_forward_sub_mul(&prep, i, plan, buf, w, target);
        });
    };
    match out {
        None => for_each_limb(n, q_part, |i, limb| {
            limb_step(i, SubMulTarget::InPlace(limb))
        }),
        Some(out) => {
            assert_eq!(
                out.basis(),
                out_basis,
                "ModDown into a polynomial over other primes"
            );
            let q_part = &*q_part;
            for_each_limb(n, out.data_mut(), |i, o| {
                let x = &q_part[i * n..(i + 1) * n];
                limb_step(i, SubMulTarget::AddInto { x, out: o });
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Params, ParamsSpec};
    use rand::{Rng, SeedableRng};

    #[test]
    fn mod_down_divides_by_p_and_rounds() {
        for spec in [ParamsSpec::seed(), ParamsSpec::n16k()] {
            let params = Params::new(&spec).unwrap();
            let rns = params.rns();
            let level = 1;
            let basis = Basis::level_with_p(level);
            let p: i128 = params.p_primes().iter().map(|&x| i128::from(x)).product();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
            let n = params.n();
            // x = P·m + r with |r| < P/2: round(x / P) = m.
            let m: Vec<i128> = (0..n).map(|_| rng.gen_range(-1000..1000)).collect();
            let x: Vec<i128> = m
                .iter()
                .map(|&mi| p * mi + rng.gen_range(-(p / 2) + 1..p / 2))
                .collect();
            let mut poly = RnsPoly::<Coeff>::zero(rns, basis);
            for i in 0..rns.limbs(basis) {
                let q = i128::from(rns.modulus(basis, i).value());
                for (c, &xi) in poly.limb_mut(i).iter_mut().zip(&x) {
                    *c = xi.rem_euclid(q) as u64;
                }
            }
            let x = poly.into_eval(rns);
            // Added into a polynomial, the same result plus that polynomial.
            let base: Vec<i64> = (0..n as i64).map(|i| i * 7 - 100).collect();
            let mut sum =
                RnsPoly::<Coeff>::from_signed(rns, Basis::level(level), &base).into_eval(rns);
            let want_sum = sum.clone();
            mod_down_add(rns, x.clone(), &mut sum, Wipe::No);
            let out = mod_down(rns, x, Wipe::Yes);
            let mut expect = want_sum;
            expect.add_assign(rns, &out);
            assert_eq!(
                sum, expect,
                "{spec:?}: mod_down_add differs from mod_down + add"
            );
            let out = out.into_coeff(rns);
            for i in 0..=level {
                let md = rns.modulus(Basis::level(level), i);
                let wrong = (0..n)
                    .filter(|&k| i128::from(md.center(out.limb(i)[k])) != m[k])
                    .count();
                assert_eq!(
                    wrong, 0,
                    "{spec:?}: limb {i}, {wrong} of {n} coefficients not round(x/P)"
                );
            }
        }
    }
}
