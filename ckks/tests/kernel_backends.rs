//! Every element-wise kernel backend the CPU supports is bit-exact with the
//! scalar reference, on primes of 12 to 61 bits, lengths with and without
//! a vector tail, and inputs at the top of the range. A backend the CPU
//! supports that this test did not run is a failure, not a skip.

use ckks::math::kernels::{backend_for, mul_add_assign_with, mul_assign_with, mul_to_with};
use ckks::math::modulus::Modulus;
use ckks::math::ntt::Backend;
use ckks::math::primes::ntt_primes_below;
use ckks::testing::test_rng;
use rand::Rng;

/// Checks `backend` against scalar; returns the number of (prime, length)
/// cases it ran.
fn check(backend: Backend) -> usize {
    let mut rng = test_rng();
    let mut ran = 0;
    for bits in [12u32, 20, 30, 36, 40, 45, 49, 50, 52, 55, 60, 61] {
        let Some(&q) = ntt_primes_below(bits, 1024, 1, &[]).first() else {
            continue;
        };
        let m = Modulus::new(q);
        for len in [1usize, 7, 8, 1003, 1 << 10, 1 << 13, 1 << 16] {
            let mut draw = |len: usize| -> Vec<u64> {
                let mut v: Vec<u64> = (0..len).map(|_| rng.gen_range(0..q)).collect();
                v[0] = q - 1;
                v[len - 1] = q - 1;
                if len > 2 {
                    v[len / 2] = 0;
                }
                v
            };
            let (a, b, o) = (draw(len), draw(len), draw(len));
            let mut want = a.clone();
            assert!(mul_assign_with(Backend::Scalar, &m, &mut want, &b));
            let mut got = a.clone();
            if !mul_assign_with(backend, &m, &mut got, &b) {
                continue;
            }
            assert_eq!(
                got, want,
                "{backend:?} mul, {bits}-bit q = {q}, length {len}"
            );
            let mut got = o.clone();
            assert!(mul_to_with(backend, &m, &mut got, &a, &b));
            assert_eq!(
                got, want,
                "{backend:?} mul-to, {bits}-bit q = {q}, length {len}"
            );
            let mut want = o.clone();
            assert!(mul_add_assign_with(Backend::Scalar, &m, &mut want, &a, &b));
            let mut got = o.clone();
            assert!(mul_add_assign_with(backend, &m, &mut got, &a, &b));
            assert_eq!(
                got, want,
                "{backend:?} mul-add, {bits}-bit q = {q}, length {len}"
            );
            ran += 1;
        }
    }
    ran
}

#[test]
fn ifma_kernels_are_bit_exact_with_scalar() {
    let ran = check(Backend::Ifma);
    if Backend::Ifma.cpu_supports() {
        assert!(
            ran > 0,
            "the CPU has AVX-512 IFMA but no kernel case ran on it"
        );
        let forced = std::env::var(ckks::math::ntt::BACKEND_ENV).is_ok_and(|v| v == "scalar");
        let want = if forced {
            Backend::Scalar
        } else {
            Backend::Ifma
        };
        assert_eq!(backend_for(40), want, "dispatch for a 40-bit prime");
        println!("IFMA kernels: bit-exact on {ran} (prime, length) cases");
    } else {
        println!("IFMA kernels: this CPU lacks AVX-512 IFMA; scalar only");
    }
    if !Backend::Avx512.cpu_supports() {
        assert_eq!(backend_for(60), Backend::Scalar);
    }
}

#[test]
fn avx512_kernels_are_bit_exact_with_scalar() {
    let ran = check(Backend::Avx512);
    if Backend::Avx512.cpu_supports() {
        assert!(
            ran > 0,
            "the CPU has AVX-512F/DQ but no kernel case ran on it"
        );
        println!("AVX-512 kernels: bit-exact on {ran} (prime, length) cases");
    } else {
        println!("AVX-512 kernels: this CPU lacks AVX-512F/DQ; scalar only");
    }
}

#[test]
fn scalar_kernels_match_the_definition() {
    let q = ntt_primes_below(40, 1024, 1, &[])[0];
    let m = Modulus::new(q);
    let (a, b) = (vec![q - 1, 2, 3], vec![q - 1, q - 1, 5]);
    let mut x = a.clone();
    assert!(mul_assign_with(Backend::Scalar, &m, &mut x, &b));
    let want: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(&u, &v)| ((u128::from(u) * u128::from(v)) % u128::from(q)) as u64)
        .collect();
    assert_eq!(x, want);
}
