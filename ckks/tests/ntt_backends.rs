//! Every NTT backend the CPU supports is bit-exact with the scalar reference.
//! A backend the CPU supports that this test did not run is a failure, not a
//! skip; a backend the CPU lacks is reported.

use std::mem::MaybeUninit;

use ckks::math::automorphism::{
    galois_element_conjugate, galois_element_for_step, EvalPermutation,
};
use ckks::math::kernels::Kernels;
use ckks::math::ntt::{Backend, NttPlan, SubMulTarget};
use ckks::math::primes::{is_prime, ntt_primes_below};
use ckks::testing::test_rng;
use rand::Rng;

/// Runs `backend` against scalar on every size and prime it accepts and
/// returns how many `(N, q)` pairs it was checked on.
fn check_backend(backend: Backend) -> usize {
    let mut rng = test_rng();
    let mut runs = std::collections::BTreeMap::new();
    for log_n in 3..=16u32 {
        let n = 1usize << log_n;
        for bits in [30u32, 36, 40, 45, 49, 50, 52, 55, 60, 61] {
            if !backend.cpu_supports() || !backend.accepts_bits(bits) {
                continue;
            }
            let Some(&largest) = ntt_primes_below(bits, n, 1, &[]).first() else {
                continue;
            };
            // Up to N = 1024 also a prime with exactly eleven factors of two
            // in q − 1: above 2^50, where the IFMA backend's 64-bit lanes
            // need q ≡ 1 (mod 2^12), it then runs the AVX-512 kernel.
            let eleven = (n <= 1024 && bits > 50)
                .then(|| prime_with_twos(bits, 11))
                .flatten();
            // And an NTT prime near 3/4 of the size: the largest ones sit
            // just below 2^bits, where a value reduced by multiples of
            // 2^bits is almost never left at or above q, so the
            // conversions' and final reductions' last subtractions would
            // go untested.
            let mid = ntt_prime_below(3 << (bits - 2), n);
            for q in std::iter::once(largest).chain(eleven).chain(mid) {
                let scalar =
                    NttPlan::with_backend(n, q, Backend::Scalar).expect("scalar always builds");
                let Some(plan) = NttPlan::with_backend(n, q, backend) else {
                    // Below its minimum size a backend declines, and plans fall back to scalar.
                    assert!(
                        n < 32 && backend != Backend::Avx2 || n < 8,
                        "{backend:?} is supported here but did not build for N = {n}, {bits}-bit q"
                    );
                    assert_ne!(NttPlan::new(n, q).backend(), backend);
                    continue;
                };
                // Forward: inputs anywhere in [0, 4q), with the top of the range.
                let mut a: Vec<u64> = (0..n).map(|_| rng.gen_range(0..4 * q)).collect();
                a[0] = 4 * q - 1;
                a[n - 1] = 4 * q - 1;
                a[n / 2] = 0;
                let (mut want, mut got) = (a.clone(), a.clone());
                scalar.forward(&mut want);
                plan.forward(&mut got);
                assert_eq!(
                    got, want,
                    "{backend:?} forward, N = {n}, {bits}-bit q = {q}"
                );
                // Inverse: inputs in [0, 2q).
                let mut b: Vec<u64> = (0..n).map(|_| rng.gen_range(0..2 * q)).collect();
                b[1] = 2 * q - 1;
                let (mut want, mut got) = (b.clone(), b.clone());
                scalar.inverse(&mut want);
                plan.inverse(&mut got);
                assert_eq!(
                    got, want,
                    "{backend:?} inverse, N = {n}, {bits}-bit q = {q}"
                );
                // Out of place, into words holding something else.
                let mut out = vec![std::mem::MaybeUninit::new(u64::MAX); n];
                plan.inverse_write(&b, &mut out);
                let out: Vec<u64> = out
                    .iter()
                    // SAFETY: inverse_write initializes every word (and these
                    // were initialized before).
                    .map(|w| unsafe { w.assume_init() })
                    .collect();
                assert_eq!(
                    out, want,
                    "{backend:?} inverse_write, N = {n}, {bits}-bit q = {q}"
                );
                // Forward from another prime's limb in centred form, from
                // smaller, similar and larger primes, with the values at the
                // centring threshold and the top of the range.
                // Also the primes either side of 4q and 8q (twice the
                // vector backends' lazy bounds), where the conversion
                // starts reducing.
                let near = |f: u64| {
                    let c = f.checked_mul(q).filter(|&c| c < 1 << 61)?;
                    let below = (1..).map(|k| c - 2 * k + 1).find(|&x| is_prime(x))?;
                    let above = (0..).map(|k| c + 2 * k + 1).find(|&x| is_prime(x))?;
                    Some([below, above])
                };
                let ntt_sized = [30u32, 40, 50, 60, 61]
                    .into_iter()
                    .filter_map(|b| ntt_primes_below(b, n, 2, &[q]).first().copied());
                let near_bounds = [4, 8].into_iter().filter_map(near).flatten();
                for p in ntt_sized.chain(near_bounds) {
                    let mut src: Vec<u64> = (0..n).map(|_| rng.gen_range(0..p)).collect();
                    src[0] = p - 1;
                    src[1] = p / 2;
                    src[2] = p / 2 + 1;
                    src[n - 1] = 0;
                    let mut want = vec![0; n];
                    Kernels::with(Backend::Scalar, scalar.modulus())
                        .expect("scalar kernels always build")
                        .centered_from(&mut want, &src, p);
                    scalar.forward(&mut want);
                    let mut got = vec![0; n];
                    plan.forward_centered(&mut got, &src, p);
                    assert_eq!(
                        got, want,
                        "{backend:?} forward_centered, N = {n}, {bits}-bit q = {q}, p = {p}"
                    );
                    // ModDown's last step on top: (x − y)·w added into `out`
                    // or written over x, with values up to q − 1.
                    let scalar_k = Kernels::with(Backend::Scalar, scalar.modulus())
                        .expect("scalar kernels always build");
                    let w = rng.gen_range(1..q);
                    let mut x: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
                    let mut out: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
                    x[0] = q - 1;
                    out[1] = q - 1;
                    let mut want_add = out.clone();
                    scalar_k.sub_mul_scalar_add(&mut want_add, &x, &want, w);
                    let mut want_in_place = x.clone();
                    scalar_k.sub_mul_scalar_assign(&mut want_in_place, &want, w);
                    let mut scratch = vec![0; n];
                    // The same step from the source limb, and from its
                    // conversion made before (as from several primes).
                    let mut coeff = vec![0; n];
                    scalar_k.centered_from(&mut coeff, &src, p);
                    for from_src in [true, false] {
                        let name = if from_src {
                            "forward_centered_sub_mul"
                        } else {
                            "forward_sub_mul"
                        };
                        let mut step = |target: SubMulTarget<'_>| {
                            if from_src {
                                plan.forward_centered_sub_mul(&mut scratch, &src, p, w, target);
                            } else {
                                scratch.copy_from_slice(&coeff);
                                plan.forward_sub_mul(&mut scratch, w, target);
                            }
                        };
                        // Written through an automorphism into a new limb
                        // (a rotation), with `out` added first and without.
                        let g = [galois_element_for_step(3, n), galois_element_conjugate(n)]
                            [log_n as usize % 2];
                        let perm = EvalPermutation::new(n, g);
                        for a in [Some(out.as_slice()), None] {
                            let mut sum = a.map_or_else(|| vec![0; n], <[u64]>::to_vec);
                            scalar_k.sub_mul_scalar_add(&mut sum, &x, &want, w);
                            let want_perm: Vec<u64> =
                                perm.perm().iter().map(|&i| sum[i as usize]).collect();
                            // Words the step fails to write keep this value.
                            let mut got = vec![MaybeUninit::new(u64::MAX); n];
                            step(SubMulTarget::Permuted {
                                x: &x,
                                a,
                                out: &mut got,
                                perm: &perm,
                            });
                            // SAFETY: every word was initialized above.
                            let got: Vec<u64> =
                                got.iter().map(|v| unsafe { v.assume_init() }).collect();
                            assert_eq!(
                                got,
                                want_perm,
                                "{backend:?} {name} (permuted by {g}, adding: {}), \
                                 N = {n}, q = {q}, p = {p}",
                                a.is_some()
                            );
                        }
                        let mut added = out.clone();
                        step(SubMulTarget::AddInto {
                            x: &x,
                            out: &mut added,
                        });
                        assert_eq!(
                            added, want_add,
                            "{backend:?} {name} (add), N = {n}, q = {q}, p = {p}"
                        );
                        let mut in_place = x.clone();
                        step(SubMulTarget::InPlace(&mut in_place));
                        assert_eq!(
                            in_place, want_in_place,
                            "{backend:?} {name} (in place), N = {n}, q = {q}, p = {p}"
                        );
                    }
                }
                *runs.entry(format!("{backend:?}")).or_insert(0) += 1;
                // IFMA plans run one kernel below 2^50 (52-bit lanes) and
                // another above (64-bit lanes with IFMA products).
                *runs
                    .entry(format!("{backend:?} {}", bits > 50))
                    .or_insert(0) += 1;
                if bits > 50 && (q - 1) % (1 << 12) != 0 {
                    *runs.entry(format!("{backend:?} q ≢ 1")).or_insert(0) += 1;
                }
            }
        }
    }
    let count = runs.get(&format!("{backend:?}")).copied().unwrap_or(0);
    if backend.cpu_supports() {
        println!("{backend:?}: bit-exact with scalar on {count} (N, q) pairs");
        assert!(
            count > 0,
            "{backend:?} is supported by this CPU but no test ran it"
        );
        for wide in [false, true] {
            let k = runs
                .get(&format!("{backend:?} {wide}"))
                .copied()
                .unwrap_or(0);
            assert!(
                k > 0,
                "{backend:?} never ran on primes {} 50 bits",
                if wide { "above" } else { "up to" }
            );
        }
        let other = runs.get(&format!("{backend:?} q ≢ 1")).copied();
        assert!(
            other.unwrap_or(0) > 0,
            "{backend:?} never ran on a prime above 50 bits with q ≢ 1 (mod 2^12)"
        );
    } else {
        println!("{backend:?}: not supported by this CPU, not run");
    }
    count
}

/// The largest prime `q ≡ 1 (mod 2N)` below `limit`.
fn ntt_prime_below(limit: u64, n: usize) -> Option<u64> {
    let step = 2 * n as u64;
    let start = (limit - 1) / step * step + 1;
    (0..start / step)
        .map(|k| start - k * step)
        .find(|&q| is_prime(q))
}

/// The largest prime below `2^bits` with exactly `twos` factors of two in
/// `q − 1` (`q ≡ 2^twos + 1 (mod 2^(twos + 1))`).
fn prime_with_twos(bits: u32, twos: u32) -> Option<u64> {
    let step = 1u64 << (twos + 1);
    let start = (1u64 << bits) - step + (1 << twos) + 1;
    (0..1 << 20)
        .map(|k| start - k * step)
        .find(|&q| is_prime(q))
}

/// One test per vector backend, so the test log names each one run.
#[test]
fn ifma_backend_is_bit_exact_with_scalar() {
    check_backend(Backend::Ifma);
}

#[test]
fn avx512_backend_is_bit_exact_with_scalar() {
    check_backend(Backend::Avx512);
}

#[test]
fn avx2_backend_is_bit_exact_with_scalar() {
    check_backend(Backend::Avx2);
}

#[test]
fn plans_pick_the_best_supported_backend() {
    let n = 8192;
    for bits in [40u32, 50, 60] {
        let q = ntt_primes_below(bits, n, 1, &[])[0];
        let plan = NttPlan::new(n, q);
        let want = Backend::best_for(bits);
        if std::env::var(ckks::math::ntt::BACKEND_ENV).is_err() {
            assert_eq!(plan.backend(), want, "{bits}-bit prime");
        }
        println!("{bits}-bit prime: {:?}", plan.backend());
    }
}
