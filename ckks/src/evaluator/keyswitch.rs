//! Hybrid key switching, written once for relinearization and rotation.
//!
//! Given `c` over `Q_ℓ` and a key from `s'` to `s`, [`key_switch_add`]
//! finds `(k0, k1)` over `Q_ℓ` with `k0 + k1·s ≈ c·s'` and adds them into
//! the caller's polynomials ([`key_switch_permuted`], for a rotation,
//! returns `(σ(c0 + k0), σ(k1))` as new ones):
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
//!    leaving `c·s' + e'/P + (small rounding)`.
//!
//! Steps 1 and 2 run on every limb of `Q_ℓ·P`, and a special limb's two
//! inner products go back to coefficient form as soon as they are written
//! (ModDown needs `[x]_P` so). Step 3 finishes both inner products on one
//! limb of `Q_ℓ` before the next, so that the second forward transform of
//! the correction finds the prime's tables where the first left them. On
//! one thread the special limbs go first and each limb of `Q_ℓ` then runs
//! all three steps at once, its inner products never leaving the cache;
//! on several, limbs run in parallel, the special limbs' inverse
//! transforms among the other limbs' steps 1 and 2, and step 3 after
//! them. The result does not depend on the number of threads. See
//! `docs/key-switching.md`.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::keys::SwitchingKey;
use crate::math::aligned::AlignedVec;
use crate::math::automorphism::EvalPermutation;
use crate::math::kernels::{fill_limb_pairs, Kernels};
use crate::math::ntt::SubMulTarget;
use crate::math::packed::Packed;
use crate::math::par::{for_each_limb, for_each_limb_pair, parallel};
use crate::math::poly::{Coeff, Eval, RnsPoly};
use crate::math::rns::conv::Prepared;
use crate::math::rns::{Basis, ModUpTable, RnsContext};
use crate::math::scratch::{with_scratch, Wipe};
use crate::params::Params;

/// Step 3 on one limb of `Q_ℓ`, given its two inner products and scratch
/// for `[x]_P` in NTT form ([`key_switch`]).
type LimbTargets<'a> = dyn FnMut(&[u64], &[u64], &mut [u64]) + 'a;

/// Where [`key_switch`] puts `(k0, k1)`.
enum Sink<'a> {
    /// Added into these polynomials over `Q_ℓ` (a product's `d0`, `d1`).
    AddInto(&'a mut RnsPoly<Eval>, &'a mut RnsPoly<Eval>),
    /// `(σ(c0 + k0), σ(k1))` returned as new polynomials (a rotation).
    Permuted(&'a RnsPoly<Eval>, &'a EvalPermutation),
}

/// One target limb's key halves `(b_j, a_j)` as the inner products read
/// them: words, or packed ([`crate::math::packed`]) where the key keeps
/// them so and the limb's kernels read them.
enum KeyHalves<'a> {
    Words([Vec<&'a [u64]>; 2]),
    Packed([Vec<Packed<'a>>; 2]),
}

/// What every limb's steps share: the digits prepared for conversion.
struct Digits<'a> {
    rns: &'a RnsContext,
    ext: Basis,
    tables: &'a [ModUpTable],
    preps: Vec<Prepared<'a>>,
    c_eval: &'a RnsPoly<Eval>,
    key: &'a SwitchingKey,
}

impl<'a> Digits<'a> {
    /// Step 1a (shared by every target limb): each digit in centred form,
    /// prepared for exact conversion (the ciphertext is public: nothing to
    /// wipe).
    fn new(
        params: &'a Params,
        c_coeff: &'a RnsPoly<Coeff>,
        c_eval: &'a RnsPoly<Eval>,
        key: &'a SwitchingKey,
    ) -> Self {
        let rns = params.rns();
        let level = c_coeff.basis().q - 1;
        let tables = rns.modup(level);
        let preps = tables
            .iter()
            .map(|t| {
                let src: Vec<&[u64]> = t.src.clone().map(|i| c_coeff.limb(i)).collect();
                t.conv.prepare_centered_public(&src)
            })
            .collect();
        Self {
            rns,
            ext: Basis::level_with_p(level),
            tables,
            preps,
            c_eval,
            key,
        }
    }

    /// Steps 1b and 2 on limb `t` of `Q_ℓ·P`: every digit in NTT form on
    /// that limb, in `buf` (a digit whose own primes include `t` is `c`
    /// itself there), and the two inner products with the key, written by
    /// `write(kernels, digits, key)`; the key's packed limbs are offered
    /// with `packed`.
    fn on_limb<T>(
        &self,
        t: usize,
        buf: &mut [u64],
        packed: bool,
        write: impl FnOnce(&Kernels<'_>, &[&[u64]], KeyHalves<'a>) -> T,
    ) -> T {
        let n = self.rns.n();
        for ((j, table), out) in self.tables.iter().enumerate().zip(buf.chunks_exact_mut(n)) {
            if table.src.contains(&t) {
                continue;
            }
            let dst = if t < table.src.start {
                t
            } else {
                t - table.src.len()
            };
            table.conv.convert_centered_forward(
                &self.preps[j],
                dst,
                self.rns.plan(self.ext, t),
                out,
            );
        }
        let digits: Vec<&[u64]> = self
            .tables
            .iter()
            .zip(buf.chunks_exact(n))
            .map(|(table, b)| {
                if table.src.contains(&t) {
                    self.c_eval.limb(t)
                } else {
                    b
                }
            })
            .collect();
        // The key holds a digit for every prime group of the top level;
        // below it only the first `digits.len()` are used.
        let key_limb = self.rns.global_index(self.ext, t);
        let range = key_limb * n..(key_limb + 1) * n;
        let limbs = |polys: &'a [RnsPoly<Eval>]| -> Vec<&'a [u64]> {
            polys[..digits.len()]
                .iter()
                .map(|p| &p.data()[range.clone()])
                .collect()
        };
        let k = Kernels::best(self.rns.modulus(self.ext, t));
        let halves = (packed && k.reads_packed())
            .then(|| self.key.packed_limb(self.rns, key_limb, digits.len()))
            .flatten();
        let key = match halves {
            Some(halves) => KeyHalves::Packed(halves),
            None => KeyHalves::Words([limbs(&self.key.b), limbs(&self.key.a)]),
        };
        write(&k, &digits, key)
    }
}

/// Switches `c` (over `Q_ℓ`, given in both forms: the callers hold both)
/// with `key`, adding `k0` into `out0` and `k1` into `out1` (a
/// relinearization: `out0`, `out1` are the product's `d0`, `d1`). The
/// switched polynomial is public (a ciphertext's), so no scratch is wiped.
///
/// # Panics
/// If `out0` or `out1` is not over the primes of `c` (an internal bug).
pub(crate) fn key_switch_add(
    params: &Params,
    c_coeff: &RnsPoly<Coeff>,
    c_eval: &RnsPoly<Eval>,
    key: &SwitchingKey,
    out0: &mut RnsPoly<Eval>,
    out1: &mut RnsPoly<Eval>,
) {
    key_switch(params, c_coeff, c_eval, key, Sink::AddInto(out0, out1));
}

/// The key switch of a rotation's `c1` (a ciphertext's, public), then the
/// automorphism `σ` of the result plus `(c0, 0)`: the new ciphertext
/// `(σ(c0 + k0), σ(k1))`, each word written once, as ModDown's last step
/// puts it in place. With `key` from `s` to `σ^{-1}(s)`, it decrypts under
/// `s` to `σ` of what `(c0, c1)` decrypts to.
///
/// # Panics
/// If `c0` is not over the primes of `c` (an internal bug).
pub(crate) fn key_switch_permuted(
    params: &Params,
    c_coeff: &RnsPoly<Coeff>,
    c_eval: &RnsPoly<Eval>,
    key: &SwitchingKey,
    c0: &RnsPoly<Eval>,
    perm: &EvalPermutation,
) -> (RnsPoly<Eval>, RnsPoly<Eval>) {
    key_switch(params, c_coeff, c_eval, key, Sink::Permuted(c0, perm))
        .expect("key_switch returns the new polynomials when asked")
}

/// [`key_switch_add`] and [`key_switch_permuted`]: the results as `sink`
/// says, returned with [`Sink::Permuted`].
fn key_switch(
    params: &Params,
    c_coeff: &RnsPoly<Coeff>,
    c_eval: &RnsPoly<Eval>,
    key: &SwitchingKey,
    sink: Sink<'_>,
) -> Option<(RnsPoly<Eval>, RnsPoly<Eval>)> {
    let rns = params.rns();
    let n = rns.n();
    let level = c_coeff.basis().q - 1;
    let out_basis = Basis::level(level);
    let d = Digits::new(params, c_coeff, c_eval, key);
    let digits = d.tables.len();

    // On one thread, steps 1 and 2 run on the special limbs first, and then
    // each limb of Q_ℓ goes through all three steps while its inner
    // products are in the cache. On several, steps 1 and 2 run on every
    // limb in parallel (the special limbs, which carry the most work, handed
    // out first), and step 3 after them.
    let serial = !parallel(rns.limbs(d.ext));
    let from = if serial { out_basis.q } else { 0 };
    // Steps 1 and 2, written straight into new memory (a zero fill first
    // would be a pass over both for nothing); the special limbs go back to
    // coefficient form for ModDown at once, while they are in the cache.
    let (acc0, acc1) = fill_limb_pairs(
        n,
        rns.limbs(d.ext) - from,
        out_basis.q - from,
        |i, o0, o1| {
            let t = from + i;
            with_scratch(digits * n, Wipe::No, |buf| {
                d.on_limb(t, buf, true, |k, digits, key| {
                    let ((x0, f0), (x1, f1)) = match key {
                        KeyHalves::Words([kb, ka]) => {
                            (o0.dot_init(k, digits, &kb), o1.dot_init(k, digits, &ka))
                        }
                        KeyHalves::Packed([kb, ka]) => (
                            o0.dot_init_packed(k, digits, &kb),
                            o1.dot_init_packed(k, digits, &ka),
                        ),
                    };
                    if t >= out_basis.q {
                        let plan = rns.plan(d.ext, t);
                        plan.inverse(x0);
                        plan.inverse(x1);
                    }
                    (f0, f1)
                })
            })
        },
    );
    let (q0, p0) = acc0.split_at((out_basis.q - from) * n);
    let (q1, p1) = acc1.split_at((out_basis.q - from) * n);
    let conv = rns.moddown(level);
    let (src0, src1): (Vec<&[u64]>, Vec<&[u64]>) =
        (p0.chunks_exact(n).collect(), p1.chunks_exact(n).collect());
    let (prep0, prep1) = (
        conv.prepare_centered_public(&src0),
        conv.prepare_centered_public(&src1),
    );

    // Step 3 on limb i of Q_ℓ, both inner products at once (the second
    // transform of the correction finds the prime's tables where the first
    // left them): `targets(x0, x1, y)` is given the two inner products on
    // the limb (computed here on one thread) and scratch for [x]_P in NTT
    // form, which [`moddown`] subtracts from each, times P^{-1} mod q_i.
    let limb_step = |i: usize, targets: &mut LimbTargets<'_>| {
        if !serial {
            with_scratch(n, Wipe::No, |y| {
                targets(&q0[i * n..(i + 1) * n], &q1[i * n..(i + 1) * n], y);
            });
            return;
        }
        with_scratch((digits + 3) * n, Wipe::No, |buf| {
            let (dbuf, rest) = buf.split_at_mut(digits * n);
            let (x0, rest) = rest.split_at_mut(n);
            let (x1, y) = rest.split_at_mut(n);
            d.on_limb(i, dbuf, true, |k, digits, key| match key {
                KeyHalves::Words([kb, ka]) => {
                    k.dot_to(x0, digits, &kb);
                    k.dot_to(x1, digits, &ka);
                }
                KeyHalves::Packed([kb, ka]) => {
                    k.dot_to_packed(x0, digits, &kb);
                    k.dot_to_packed(x1, digits, &ka);
                }
            });
            targets(x0, x1, y);
        });
    };
    // The converter takes the centred representative of [x]_P
    // ([`mod_down`]).
    let moddown = |i: usize, y: &mut [u64], first: SubMulTarget<'_>, second: SubMulTarget<'_>| {
        let plan = rns.plan(out_basis, i);
        let w = rns.p_inv_mod_q(i);
        conv.convert_centered_forward_sub_mul(&prep0, i, plan, y, w, first);
        conv.convert_centered_forward_sub_mul(&prep1, i, plan, y, w, second);
    };
    match sink {
        Sink::AddInto(out0, out1) => {
            assert!(
                out0.basis() == out_basis && out1.basis() == out_basis,
                "key switch into other primes"
            );
            for_each_limb_pair(n, out0.data_mut(), out1.data_mut(), |i, o0, o1| {
                limb_step(i, &mut |x0, x1, y| {
                    moddown(
                        i,
                        y,
                        SubMulTarget::AddInto { x: x0, out: o0 },
                        SubMulTarget::AddInto { x: x1, out: o1 },
                    );
                });
            });
            None
        }
        Sink::Permuted(c0, perm) => {
            assert_eq!(c0.basis(), out_basis, "key switch into other primes");
            let len = out_basis.q * n;
            let (mut r0, mut r1) = (
                AlignedVec::with_capacity(len),
                AlignedVec::with_capacity(len),
            );
            let written = AtomicUsize::new(0);
            for_each_limb_pair(
                n,
                &mut r0.spare_capacity_mut()[..len],
                &mut r1.spare_capacity_mut()[..len],
                |i, o0, o1| {
                    limb_step(i, &mut |x0, x1, y| {
                        moddown(
                            i,
                            y,
                            SubMulTarget::Permuted {
                                x: x0,
                                a: Some(c0.limb(i)),
                                out: &mut *o0,
                                perm,
                            },
                            SubMulTarget::Permuted {
                                x: x1,
                                a: None,
                                out: &mut *o1,
                                perm,
                            },
                        );
                    });
                    written.fetch_add(1, Ordering::Relaxed);
                },
            );
            assert_eq!(written.into_inner(), out_basis.q, "a limb was not written");
            // SAFETY: every limb of both arrays, inside the capacity
            // reserved above, went to a `Permuted` target, which writes
            // every word of its limb.
            unsafe {
                r0.set_len(len);
                r1.set_len(len);
            }
            drop((prep0, prep1));
            Some((
                RnsPoly::from_raw(rns, out_basis, r0),
                RnsPoly::from_raw(rns, out_basis, r1),
            ))
        }
    }
}

/// Divides a polynomial over `Q_ℓ·P` by `P`, rounding, and drops the special
/// primes (an encryption's last step; a key switch does the same limb by
/// limb inside [`key_switch`]). With `h = ⌊P/2⌋` and `r = [x + h]_P`,
/// `r − h ≡ x (mod P)` is centred, so `(x − (r − h))·P^{-1} mod q_i` is
/// `round(x/P)`. A floor instead of the rounding would leave a bias of
/// `1/2` per coefficient, which the secret multiplies into a large
/// low-frequency error on a few slots. `wipe` says whether the scratch that
/// held `[x]_P` and the conversion's state derived from it are zeroized:
/// yes in encryption, where `x` is not public.
pub(crate) fn mod_down(rns: &RnsContext, mut x: RnsPoly<Eval>, wipe: Wipe) -> RnsPoly<Eval> {
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
    // multiplied by P^{-1} mod q_i, in place.
    for_each_limb(n, q_part, |i, limb| {
        with_scratch(n, wipe, |buf| {
            let plan = rns.plan(out_basis, i);
            let w = rns.p_inv_mod_q(i);
            conv.convert_centered_forward_sub_mul(
                &prep,
                i,
                plan,
                buf,
                w,
                SubMulTarget::InPlace(limb),
            );
        });
    });
    drop(prep);
    x.into_truncated(level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Params, ParamsSpec};
    use rand::{Rng, SeedableRng};

    /// Steps 1 and 2 over every limb of `Q_ℓ·P`, then ModDown of each
    /// accumulator as a whole: the order of the steps before
    /// [`key_switch`] changed, kept as its reference.
    fn two_pass(
        params: &Params,
        c_coeff: &RnsPoly<Coeff>,
        c_eval: &RnsPoly<Eval>,
        key: &SwitchingKey,
    ) -> (RnsPoly<Eval>, RnsPoly<Eval>) {
        let rns = params.rns();
        let n = rns.n();
        let d = Digits::new(params, c_coeff, c_eval, key);
        let limbs = rns.limbs(d.ext);
        let mut acc = [
            RnsPoly::<Eval>::zero(rns, d.ext),
            RnsPoly::<Eval>::zero(rns, d.ext),
        ];
        for t in 0..limbs {
            let mut buf = vec![0u64; d.tables.len() * n];
            let [a0, a1] = &mut acc;
            // The key's halves as words: the packed ones are what the
            // switch under test reads.
            d.on_limb(t, &mut buf, false, |k, digits, key| {
                let KeyHalves::Words([kb, ka]) = key else {
                    panic!("the words of the key were asked for");
                };
                k.dot_to(a0.limb_mut(t), digits, &kb);
                k.dot_to(a1.limb_mut(t), digits, &ka);
            });
        }
        let [a0, a1] = acc;
        (mod_down(rns, a0, Wipe::No), mod_down(rns, a1, Wipe::No))
    }

    #[test]
    fn key_switch_limb_by_limb_is_the_two_pass_switch() {
        let seed = crate::testing::test_seed();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        for spec in [ParamsSpec::seed(), ParamsSpec::n16k(), ParamsSpec::depth3()] {
            let params = std::sync::Arc::new(Params::new(&spec).unwrap());
            let rns = params.rns();
            let n = params.n();
            let kg = crate::keys::KeyGenerator::new(&params);
            let sk = kg.secret_key_with_rng(&mut rng);
            let rk = kg.relin_key_with_rng(&sk, &mut rng).unwrap();
            for level in [params.max_level(), params.max_level() - 1, 0] {
                let basis = Basis::level(level);
                let random = |rng: &mut rand_chacha::ChaCha20Rng| {
                    let x: Vec<i64> = (0..n).map(|_| rng.gen()).collect();
                    RnsPoly::<Coeff>::from_signed(rns, basis, &x)
                };
                let c_coeff = random(&mut rng);
                let c_eval = c_coeff.clone().into_eval(rns);
                let (u0, u1) = (
                    random(&mut rng).into_eval(rns),
                    random(&mut rng).into_eval(rns),
                );
                let (k0, k1) = two_pass(&params, &c_coeff, &c_eval, &rk.0);
                let (mut want0, mut want1) = (u0.clone(), u1.clone());
                want0.add_assign(rns, &k0);
                want1.add_assign(rns, &k1);

                // On one thread (each limb of Q_ℓ through all three steps
                // at once) and on two (steps 1 and 2 on every limb first).
                for threads in [1, 2] {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .expect("a thread pool");
                    let at = format!("{spec:?}, level {level}, {threads} thread(s)");
                    pool.install(|| {
                        let (mut out0, mut out1) = (u0.clone(), u1.clone());
                        key_switch_add(&params, &c_coeff, &c_eval, &rk.0, &mut out0, &mut out1);
                        assert!(out0 == want0, "{at}: k0 added");
                        assert!(out1 == want1, "{at}: k1 added");

                        // A rotation's switch: (σ(u0 + k0), σ(k1)), the
                        // permutation in ModDown's last step, for a rotation
                        // and conjugation.
                        let conj = crate::math::automorphism::galois_element_conjugate(n);
                        for g in [5, 5u64.pow(7) % (2 * n as u64), conj] {
                            let perm = EvalPermutation::new(n, g);
                            let mut sum = u0.clone();
                            sum.add_assign(rns, &k0);
                            let (want0, want1) = (perm.apply(rns, &sum), perm.apply(rns, &k1));
                            let (new0, new1) =
                                key_switch_permuted(&params, &c_coeff, &c_eval, &rk.0, &u0, &perm);
                            assert!(new0 == want0, "{at}, g = {g}: σ(c0 + k0)");
                            assert!(new1 == want1, "{at}, g = {g}: σ(k1)");
                        }
                    });
                }
            }
        }
    }

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
            // Public or wiped, the same result.
            let public = mod_down(rns, x.clone(), Wipe::No);
            let out = mod_down(rns, x, Wipe::Yes);
            assert_eq!(public, out, "{spec:?}: the wipe changed the result");
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
