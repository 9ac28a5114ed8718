//! Every element-wise kernel backend the CPU supports is bit-exact with the
//! scalar reference, on primes of 12 to 61 bits, lengths with and without
//! a vector tail, inputs at the top of the range, and dot products long
//! enough to cross the lazy blocks (and long sums of the largest residues).
//! A backend the CPU supports that this test did not run is a failure, not
//! a skip.

use ckks::math::aligned::AlignedVec;
use ckks::math::automorphism::{
    eval_permutation, galois_element_conjugate, galois_element_for_step, EvalPermutation,
};
use ckks::math::kernels::{backend_for, Kernels};
use ckks::math::modulus::Modulus;
use ckks::math::ntt::Backend;
use ckks::math::primes::ntt_primes_below;
use ckks::testing::test_rng;
use rand::Rng;

/// Checks every kernel of `backend` against scalar; returns the number of
/// (prime, length) cases it ran.
fn check(backend: Backend) -> usize {
    let mut rng = test_rng();
    let mut ran = 0;
    for bits in [12u32, 20, 30, 36, 40, 45, 49, 50, 51, 52, 53, 55, 60, 61] {
        let Some(&q) = ntt_primes_below(bits, 1024, 1, &[]).first() else {
            continue;
        };
        let m = Modulus::new(q);
        let scalar = Kernels::with(Backend::Scalar, &m).expect("scalar always runs");
        let Some(k) = Kernels::with(backend, &m) else {
            continue;
        };
        for len in [1usize, 3, 7, 8, 1003, 1 << 10, 1 << 13, 1 << 16] {
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
            let w = if len > 1 { b[1] } else { q - 1 };
            let case = |op: &str| format!("{backend:?} {op}, {bits}-bit q = {q}, length {len}");
            // The outputs start on a cache line, as a polynomial's limbs
            // do; the operands `a`, `b` are plain vectors, which need not.
            let same = |f: &dyn Fn(&Kernels, &mut AlignedVec), op: &str| {
                let (mut want, mut got) = (AlignedVec::from_slice(&o), AlignedVec::from_slice(&o));
                f(&scalar, &mut want);
                f(&k, &mut got);
                assert_eq!(got[..], want[..], "{}", case(op));
            };
            same(&|k, x| k.add_assign(x, &a), "add");
            same(&|k, x| k.sub_assign(x, &a), "sub");
            same(
                &|k, x| {
                    let y = x.clone();
                    k.sub_assign(x, &y);
                },
                "sub self",
            );
            same(&|k, x| k.neg_assign(x), "neg");
            same(&|k, x| k.mul_assign(x, &a), "mul");
            same(&|k, x| k.mul_to(x, &a, &b), "mul-to");
            // Appended after what the vector held.
            same(&|k, x| k.mul_into(x, &a, &b), "mul-into");
            same(&|k, x| k.add_into(x, &a, &b), "add-into");
            same(&|k, x| k.sub_into(x, &a, &b), "sub-into");
            same(&|k, x| k.mul_add_assign(x, &a, &b), "mul-add");
            // The three products of a ciphertext multiplication, appended
            // one after another to compare them at once; and against the
            // separate kernels they replace.
            let (c, e) = (draw(len), draw(len));
            let tensor = |k: &Kernels, x: &mut AlignedVec| {
                let (mut d1, mut d2) = (AlignedVec::new(), AlignedVec::new());
                k.tensor_into([x, &mut d1, &mut d2], [&a, &b], [&c, &e]);
                x.extend_from_slice(&d1);
                x.extend_from_slice(&d2);
            };
            same(&tensor, "tensor");
            let (mut fused, mut apart) = (AlignedVec::new(), AlignedVec::new());
            tensor(&k, &mut fused);
            k.mul_into(&mut apart, &a, &c);
            k.dot_into(&mut apart, &[&a, &b], &[&e, &c], len);
            k.mul_into(&mut apart, &b, &e);
            assert_eq!(fused[..], apart[..], "{}", case("tensor against its parts"));
            same(&|k, x| k.mul_scalar_assign(x, w), "mul by constant");
            same(&|k, x| k.mul_scalar_assign(x, q - 1), "mul by q - 1");
            same(
                &|k, x| k.sub_mul_scalar_assign(x, &a, w),
                "sub, mul by constant",
            );
            same(
                &|k, x| k.sub_mul_scalar_add(x, &a, &b, w),
                "sub, mul by constant, add",
            );
            // Residues of other primes, smaller and larger (up to 61 bits),
            // with both sides of p/2; just above q and on both sides of 2q too.
            let near = [q + 2, 2 * q - 1, 2 * q, 2 * q + 1]
                .into_iter()
                .filter(|&p| p < 1 << 61);
            for p in [13u64, 0xfff_fff1, (1 << 45) - 55, (1 << 61) - 1]
                .into_iter()
                .chain(near)
            {
                let src: Vec<u64> = a
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| match i % 4 {
                        0 => p >> 1,
                        1 => (p >> 1) + 1,
                        2 => p - 1,
                        _ => v % p,
                    })
                    .collect();
                same(
                    &|k, x| k.centered_from(x, &src, p),
                    &format!("centred from {p}"),
                );
            }
            // Dot products from 0 terms to more than the lazy block of the
            // largest primes (2 for IFMA at 50 bits, 4 at 61 bits), every
            // count the kernels unroll (1 to 8) among them.
            for terms in 0usize..=9 {
                let xs: Vec<Vec<u64>> = (0..terms).map(|_| draw(len)).collect();
                let ys: Vec<Vec<u64>> = (0..terms).map(|_| draw(len)).collect();
                let xr: Vec<&[u64]> = xs.iter().map(Vec::as_slice).collect();
                let yr: Vec<&[u64]> = ys.iter().map(Vec::as_slice).collect();
                // Constants: q − 1 first (from `draw`), then random ones.
                let cs: Vec<u64> = draw(terms.max(3))[1..]
                    .iter()
                    .take(terms)
                    .copied()
                    .collect();
                let cs: Vec<u64> = std::iter::once(q - 1).chain(cs).take(terms).collect();
                same(&|k, x| k.dot_to(x, &xr, &yr), &format!("dot of {terms}"));
                same(
                    &|k, x| k.dot_into(x, &xr, &yr, len),
                    &format!("dot of {terms} appended"),
                );
                same(
                    &|k, x| k.dot_scalar_to(x, &xr, &cs),
                    &format!("dot with {terms} constants"),
                );
                // Words of larger primes, up to 2^61 − 1, reduced in the lane.
                // Each term's bound picks its reduction: the full one
                // (2^61 − 1, and 2q + 1, whose words reach 2q), one
                // subtraction (2q, 2q − 1) or none (q).
                let tops: Vec<u64> = (0..terms)
                    .map(|j| [(1u64 << 61) - 1, 2 * q, 2 * q - 1, q, 2 * q + 1][j % 5])
                    .collect();
                let wide: Vec<Vec<u64>> = xs
                    .iter()
                    .zip(&tops)
                    .map(|(x, &top)| {
                        let mut w: Vec<u64> = x
                            .iter()
                            .map(|&v| v.wrapping_mul(0x9e37_79b9_7f4a_7c15) % top)
                            .collect();
                        w[0] = top - 1;
                        w
                    })
                    .collect();
                let wr: Vec<&[u64]> = wide.iter().map(Vec::as_slice).collect();
                same(
                    &|k, x| k.dot_scalar_reduce_to(x, &wr, &cs, &tops),
                    &format!("dot of {terms} wider words with constants"),
                );
                // The same words, every one given the loosest bound.
                let loose = vec![1u64 << 61; terms];
                same(
                    &|k, x| k.dot_scalar_reduce_to(x, &wr, &cs, &loose),
                    &format!("dot of {terms} wider words, all fully reduced"),
                );
            }
            // Long sums of the largest residues: past the lazy blocks of
            // every backend on the larger primes, with each block's
            // accumulators filled to their bounds.
            if len <= 8 {
                for terms in [1025usize, 4097] {
                    let top = vec![q - 1; len];
                    let xr: Vec<&[u64]> = vec![top.as_slice(); terms];
                    same(
                        &|k, x| k.dot_to(x, &xr, &xr),
                        &format!("dot of {terms} terms q − 1"),
                    );
                }
            }
            ran += 1;
        }
    }
    ran + check_permutations(backend) + check_quotients(backend)
}

/// The rounded quotients of a centred basis conversion on `backend` (any
/// prime's handle): the same words as scalar code, including sums that fall
/// on a half. Returns the number of cases run.
fn check_quotients(backend: Backend) -> usize {
    let primes = ntt_primes_below(61, 1024, 2, &[])
        .into_iter()
        .chain(ntt_primes_below(40, 1024, 2, &[]))
        .chain(ntt_primes_below(52, 1024, 1, &[]))
        .collect::<Vec<_>>();
    let m = Modulus::new(primes[2]);
    let scalar = Kernels::with(Backend::Scalar, &m).expect("scalar always runs");
    let Some(k) = Kernels::with(backend, &m) else {
        return 0;
    };
    let mut rng = test_rng();
    let mut ran = 0;
    for terms in [0usize, 1, 2, 3, 5] {
        for len in [1usize, 7, 8, 1003, 1 << 13] {
            let ps = &primes[..terms];
            let inv: Vec<f64> = ps.iter().map(|&p| 1.0 / p as f64).collect();
            let ys: Vec<Vec<u64>> = ps
                .iter()
                .map(|&p| {
                    let mut y: Vec<u64> = (0..len).map(|_| rng.gen_range(0..p)).collect();
                    // Extremes, and half of the prime (a sum near one half).
                    y[0] = p - 1;
                    y[len / 2] = p / 2 + (len as u64 & 1);
                    y[len - 1] = 0;
                    y
                })
                .collect();
            let yr: Vec<&[u64]> = ys.iter().map(Vec::as_slice).collect();
            let (mut want, mut got) = (vec![u64::MAX; len], vec![u64::MAX; len]);
            scalar.nearest_quotients(&mut want, &yr, &inv);
            k.nearest_quotients(&mut got, &yr, &inv);
            assert_eq!(
                got, want,
                "{backend:?} quotients of {terms} terms, length {len}"
            );
            assert!(want.iter().all(|&u| u <= terms as u64));
            ran += 1;
        }
    }
    ran
}

/// The block permutation of automorphisms in NTT form on `backend` (any
/// prime's handle): the same words as the index permutation, appended
/// after what `out` held. Returns the number of (N, g) cases run.
fn check_permutations(backend: Backend) -> usize {
    let m = Modulus::new(ntt_primes_below(40, 1024, 1, &[])[0]);
    let Some(k) = Kernels::with(backend, &m) else {
        return 0;
    };
    let mut rng = test_rng();
    let mut ran = 0;
    for n in [8usize, 16, 64, 1 << 10, 1 << 13, 1 << 16] {
        let input: Vec<u64> = (0..n).map(|_| rng.gen()).collect();
        for g in [
            1,
            5,
            galois_element_for_step(-1, n),
            galois_element_for_step(n as i64 / 4 - 3, n),
            galois_element_conjugate(n),
        ] {
            let perm = eval_permutation(n, g);
            let want: Vec<u64> = std::iter::once(7)
                .chain(perm.iter().map(|&p| input[p as usize]))
                .collect();
            let mut got = AlignedVec::from_slice(&[7]);
            let sigma = EvalPermutation::new(n, g);
            sigma.extend(&input, &k, &mut got);
            assert_eq!(
                got[..],
                want[..],
                "{backend:?} permutation, N = {n}, g = {g}"
            );
            // Into a limb of its own; words left unwritten keep this value.
            let mut into = vec![std::mem::MaybeUninit::new(u64::MAX); n];
            sigma.write(&input, &k, &mut into);
            // SAFETY: every word was initialized above.
            let into: Vec<u64> = into.iter().map(|w| unsafe { w.assume_init() }).collect();
            assert_eq!(
                into[..],
                want[1..],
                "{backend:?} permutation written, N = {n}, g = {g}"
            );
            ran += 1;
        }
    }
    ran
}

/// Runs `check` and fails if the CPU supports `backend` but nothing ran.
fn check_supported(backend: Backend) {
    let ran = check(backend);
    if backend.cpu_supports() {
        assert!(
            ran > 0,
            "the CPU supports {backend:?} but no kernel case ran on it"
        );
        println!("{backend:?} kernels: bit-exact on {ran} (prime, length) cases");
    } else {
        assert_eq!(ran, 0);
        println!("{backend:?} kernels: not supported by this CPU, not run");
    }
}

#[test]
fn ifma_kernels_are_bit_exact_with_scalar() {
    check_supported(Backend::Ifma);
}

#[test]
fn avx512_kernels_are_bit_exact_with_scalar() {
    check_supported(Backend::Avx512);
}

#[test]
fn avx2_kernels_are_bit_exact_with_scalar() {
    check_supported(Backend::Avx2);
}

#[test]
fn dispatch_picks_the_best_supported_backend() {
    let forced = std::env::var(ckks::math::ntt::BACKEND_ENV)
        .ok()
        .and_then(|v| Backend::from_name(&v));
    for bits in [40u32, 50, 60] {
        // IFMA above 50 bits: 64-bit lanes with IFMA products.
        let supported = |b: Backend| {
            b.cpu_supports() && (b != Backend::Ifma || bits <= 50 || Backend::Avx512.cpu_supports())
        };
        let want = forced
            .into_iter()
            .chain([Backend::Ifma, Backend::Avx512, Backend::Avx2])
            .find(|&b| b == Backend::Scalar || supported(b))
            .unwrap_or(Backend::Scalar);
        assert_eq!(backend_for(bits), want, "dispatch for a {bits}-bit prime");
        println!("{bits}-bit prime: {want:?}");
    }
}

#[test]
fn scalar_kernels_match_the_definition() {
    let q = ntt_primes_below(40, 1024, 1, &[])[0];
    let m = Modulus::new(q);
    let k = Kernels::with(Backend::Scalar, &m).expect("scalar always runs");
    let (a, b) = (vec![q - 1, 2, 3, 0], vec![q - 1, q - 1, 5, 7]);
    let big = |u: u64| u128::from(u);
    let modq = |x: u128| (x % big(q)) as u64;
    let mut x = a.clone();
    k.mul_assign(&mut x, &b);
    let want: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(&u, &v)| modq(big(u) * big(v)))
        .collect();
    assert_eq!(x, want, "mul");
    let mut x = a.clone();
    k.sub_assign(&mut x, &b);
    let want: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(&u, &v)| modq(big(u) + big(q) - big(v)))
        .collect();
    assert_eq!(x, want, "sub");
    // Appended after what the vector held.
    let mut out = AlignedVec::from_slice(&[7]);
    k.add_into(&mut out, &a, &b);
    k.sub_into(&mut out, &a, &b);
    let sums = a.iter().zip(&b).map(|(&u, &v)| modq(big(u) + big(v)));
    let diffs = a
        .iter()
        .zip(&b)
        .map(|(&u, &v)| modq(big(u) + big(q) - big(v)));
    let want: Vec<u64> = std::iter::once(7).chain(sums).chain(diffs).collect();
    assert_eq!(out[..], want[..], "add-into, sub-into");
    let mut x = a.clone();
    k.neg_assign(&mut x);
    let want: Vec<u64> = a.iter().map(|&u| modq(big(q) - big(u))).collect();
    assert_eq!(x, want, "neg");
    let mut x = vec![0u64; 4];
    k.dot_scalar_to(&mut x, &[&a, &b], &[3, q - 2]);
    let want: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(&u, &v)| modq(big(u) * 3 + big(v) * big(q - 2)))
        .collect();
    assert_eq!(x, want, "dot with constants");
    // Words reduced fully (below 2^61), by one subtraction (below 2q)
    // and not at all (below q).
    let wide = [(1u64 << 61) - 1, 2 * q + 5, q, 12];
    let twice = [2 * q - 1, q, q - 1, 0];
    k.dot_scalar_reduce_to(
        &mut x,
        &[&wide, &twice, &b],
        &[3, 5, q - 2],
        &[1 << 61, 2 * q, q],
    );
    let want: Vec<u64> = (0..4)
        .map(|i| modq(big(wide[i]) * 3 + big(twice[i]) * 5 + big(b[i]) * big(q - 2)))
        .collect();
    assert_eq!(x, want, "dot of wider words with constants");
    // The nearest integer to y_0/5 + y_1/7: 4/5 + 6/7 ≈ 1.66 → 2,
    // 2/5 + 1/7 ≈ 0.54 → 1, 2/5 → 0.
    let inv = [5u64, 7].map(|p| 1.0 / p as f64);
    let mut u = vec![9u64; 3];
    k.nearest_quotients(&mut u, &[&[4, 2, 2], &[6, 1, 0]], &inv);
    assert_eq!(u, [2, 1, 0], "nearest quotients");
}
