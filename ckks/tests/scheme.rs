//! Precision of every operation at the `seed` preset, in bits.

use std::sync::Arc;

use ckks::rng::ChaCha20;
use ckks::testing::{precision, test_rng};
use ckks::{
    Complex, Decryptor, Encoder, Encryptor, Error, Evaluator, GaloisKeys, KeyGenerator, Params,
    ParamsSpec, RelinKey, SecretKey,
};
use rand::Rng;

struct Setup {
    params: Arc<Params>,
    sk: SecretKey,
    pk: ckks::PublicKey,
    rk: RelinKey,
    gk: GaloisKeys,
    rng: ChaCha20,
}

/// Keys under `spec`; Galois keys for `steps`, or every ±2^k when `None`.
fn setup(spec: &ParamsSpec, steps: Option<&[i64]>) -> Setup {
    let params = Params::new(spec).unwrap();
    let mut rng = test_rng();
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    let rk = kg.relin_key_with_rng(&sk, &mut rng).unwrap();
    let steps = steps.map_or_else(|| kg.default_steps(), <[i64]>::to_vec);
    let gk = kg
        .galois_keys_with_rng(&sk, &steps, true, &mut rng)
        .unwrap();
    Setup {
        params,
        sk,
        pk,
        rk,
        gk,
        rng,
    }
}

fn random_slots(rng: &mut ChaCha20, n: usize) -> Vec<Complex> {
    (0..n)
        .map(|_| Complex::new(rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)))
        .collect()
}

#[test]
fn encode_decode_and_fresh_encryption_precision() {
    let mut s = setup(&ParamsSpec::seed(), Some(&[]));
    let enc = Encoder::new(&s.params);
    let slots = s.params.slots();
    let top = s.params.max_level();
    let z = random_slots(&mut s.rng, slots);
    let pt = enc
        .encode_complex(&z, top, s.params.default_scale())
        .unwrap();
    let p = precision(&z, &enc.decode(&pt).unwrap());
    println!("encode/decode: {p}");
    assert!(p.min_bits >= 30.0, "encode/decode: {p}");

    let dec = Decryptor::new(&s.params, &s.sk).unwrap();
    let ct = Encryptor::with_public_key(&s.params, &s.pk)
        .unwrap()
        .encrypt_with_rng(&pt, &mut s.rng)
        .unwrap();
    let p = precision(&z, &enc.decode(&dec.decrypt(&ct).unwrap()).unwrap());
    println!("public-key encrypt/decrypt: {p}");
    assert!(p.min_bits >= 25.0, "public-key fresh ciphertext: {p}");

    let sym = Encryptor::with_secret_key(&s.params, &s.sk).unwrap();
    let ct = sym.encrypt_with_rng(&pt, &mut s.rng).unwrap();
    let p = precision(&z, &enc.decode(&dec.decrypt(&ct).unwrap()).unwrap());
    println!("secret-key encrypt/decrypt: {p}");
    assert!(p.min_bits >= 25.0, "secret-key fresh ciphertext: {p}");

    // Encryption at a lower level carries fewer primes and decrypts the same.
    let pt0 = enc.encode_complex(&z, 0, s.params.default_scale()).unwrap();
    let ct0 = sym.encrypt_with_rng(&pt0, &mut s.rng).unwrap();
    assert_eq!(ct0.level(), 0);
    let p = precision(&z, &enc.decode(&dec.decrypt(&ct0).unwrap()).unwrap());
    assert!(p.min_bits >= 25.0, "level-0 encryption: {p}");
}

#[test]
fn arithmetic_and_multiplication_precision() {
    let mut s = setup(&ParamsSpec::seed(), Some(&[]));
    let enc = Encoder::new(&s.params);
    let ev = Evaluator::new(&s.params);
    let dec = Decryptor::new(&s.params, &s.sk).unwrap();
    let encr = Encryptor::with_public_key(&s.params, &s.pk).unwrap();
    let (slots, top, delta) = (
        s.params.slots(),
        s.params.max_level(),
        s.params.default_scale(),
    );
    let x = random_slots(&mut s.rng, slots);
    let y = random_slots(&mut s.rng, slots);
    let cx = encr
        .encrypt_with_rng(&enc.encode_complex(&x, top, delta).unwrap(), &mut s.rng)
        .unwrap();
    let cy = encr
        .encrypt_with_rng(&enc.encode_complex(&y, top, delta).unwrap(), &mut s.rng)
        .unwrap();
    let decode = |c: &ckks::Ciphertext| enc.decode(&dec.decrypt(c).unwrap()).unwrap();

    let want: Vec<Complex> = x.iter().zip(&y).map(|(a, b)| *a + *b).collect();
    let p = precision(&want, &decode(&ev.add(&cx, &cy).unwrap()));
    println!("add: {p}");
    assert!(p.min_bits >= 24.0, "add: {p}");

    let want: Vec<Complex> = x.iter().zip(&y).map(|(a, b)| *a - *b).collect();
    let p = precision(&want, &decode(&ev.sub(&cx, &cy).unwrap()));
    assert!(p.min_bits >= 24.0, "sub: {p}");

    let want: Vec<Complex> = x.iter().map(|a| *a * -1.0).collect();
    assert!(precision(&want, &decode(&ev.negate(&cx).unwrap())).min_bits >= 25.0);

    let want: Vec<Complex> = x.iter().map(|a| *a + Complex::new(0.75, 0.0)).collect();
    assert!(precision(&want, &decode(&ev.add_const(&cx, 0.75).unwrap())).min_bits >= 25.0);

    // ct × pt, rescaled.
    let py = enc.encode_complex(&y, top, delta).unwrap();
    let want: Vec<Complex> = x.iter().zip(&y).map(|(a, b)| *a * *b).collect();
    let prod = ev.rescale(&ev.mul_plain(&cx, &py).unwrap()).unwrap();
    assert_eq!(prod.level(), top - 1);
    let p = precision(&want, &decode(&prod));
    println!("ct×pt + rescale: {p}");
    assert!(p.min_bits >= 24.0, "ct×pt: {p}");

    // ct × ct + relinearize + rescale.
    let prod = ev.rescale(&ev.mul_relin(&cx, &cy, &s.rk).unwrap()).unwrap();
    let p = precision(&want, &decode(&prod));
    println!("ct×ct + relin + rescale: {p}");
    assert!(p.min_bits >= 24.0, "ct×ct: {p}");

    // Squaring, then ct × constant, down to level 0.
    let sq = ev
        .rescale(&ev.relinearize(&ev.square(&cx).unwrap(), &s.rk).unwrap())
        .unwrap();
    let c3 = ev.rescale(&ev.mul_const(&sq, -1.5).unwrap()).unwrap();
    assert_eq!(c3.level(), 0);
    assert!(
        c3.scale().close_to(sq.scale()),
        "mul_const + rescale keeps the scale"
    );
    let want: Vec<Complex> = x.iter().map(|a| *a * *a * -1.5).collect();
    let p = precision(&want, &decode(&c3));
    println!("square, ×const, two rescales: {p}");
    assert!(p.min_bits >= 20.0, "chain: {p}");

    // Out of levels.
    assert!(matches!(
        ev.rescale(&c3),
        Err(Error::LevelExhausted { op: "rescale" })
    ));
    assert!(matches!(
        ev.mul_const(&c3, 2.0),
        Err(Error::LevelExhausted { .. })
    ));
}

#[test]
fn rotations_conjugation_and_sums_precision() {
    let mut s = setup(&ParamsSpec::seed(), None);
    let enc = Encoder::new(&s.params);
    let ev = Evaluator::new(&s.params);
    let dec = Decryptor::new(&s.params, &s.sk).unwrap();
    let encr = Encryptor::with_public_key(&s.params, &s.pk).unwrap();
    let (slots, top, delta) = (
        s.params.slots(),
        s.params.max_level(),
        s.params.default_scale(),
    );
    let x = random_slots(&mut s.rng, slots);
    let cx = encr
        .encrypt_with_rng(&enc.encode_complex(&x, top, delta).unwrap(), &mut s.rng)
        .unwrap();
    let decode = |c: &ckks::Ciphertext| enc.decode(&dec.decrypt(c).unwrap()).unwrap();

    // Power-of-two steps have keys; the others are composed.
    let mut steps: Vec<i64> = vec![
        1,
        -1,
        4,
        -1024,
        3,
        -7,
        1000,
        2047,
        -2049,
        (slots - 1) as i64,
    ];
    steps.extend((0..4).map(|_| s.rng.gen_range(-(slots as i64)..slots as i64)));
    for step in steps {
        let r = ev.rotate(&cx, step, &s.gk).unwrap();
        let want: Vec<Complex> = (0..slots)
            .map(|i| x[(i as i64 + step).rem_euclid(slots as i64) as usize])
            .collect();
        let p = precision(&want, &decode(&r));
        println!("rotate {step}: {p}");
        assert!(p.min_bits >= 20.0, "rotate {step}: {p}");
    }

    let want: Vec<Complex> = x.iter().map(|z| z.conj()).collect();
    let p = precision(&want, &decode(&ev.conjugate(&cx, &s.gk).unwrap()));
    println!("conjugate: {p}");
    assert!(p.min_bits >= 20.0, "conjugate: {p}");

    // 32-slot rotate-and-sum.
    let sum = ev.sum_slots(&cx, 32, &s.gk).unwrap();
    let got = decode(&sum);
    let want: Vec<Complex> = (0..slots / 32)
        .map(|b| {
            x[b * 32..(b + 1) * 32]
                .iter()
                .fold(Complex::default(), |a, z| a + *z)
        })
        .collect();
    let got_blocks: Vec<Complex> = (0..slots / 32).map(|b| got[b * 32]).collect();
    let p = precision(&want, &got_blocks);
    println!("sum of 32 slots: {p}");
    assert!(p.min_bits >= 18.0, "sum_slots: {p}");

    // Inner product with a 30-element plaintext vector, per 32-slot block.
    let w: Vec<f64> = (0..30).map(|_| s.rng.gen_range(-1.0..1.0)).collect();
    let ip = decode(&ev.inner_product(&cx, &w, &s.gk).unwrap());
    let want: Vec<Complex> = (0..slots / 32)
        .map(|b| (0..30).fold(Complex::default(), |a, i| a + x[b * 32 + i] * w[i]))
        .collect();
    let got_blocks: Vec<Complex> = (0..slots / 32).map(|b| ip[b * 32]).collect();
    let p = precision(&want, &got_blocks);
    println!("inner product (30): {p}");
    assert!(p.min_bits >= 18.0, "inner_product: {p}");
}

#[test]
fn missing_keys_and_mismatches_are_errors() {
    let mut s = setup(&ParamsSpec::seed(), Some(&[4]));
    let enc = Encoder::new(&s.params);
    let ev = Evaluator::new(&s.params);
    let encr = Encryptor::with_public_key(&s.params, &s.pk).unwrap();
    let delta = s.params.default_scale();
    let ct = encr
        .encrypt_with_rng(&enc.encode(&[1.0], 2, delta).unwrap(), &mut s.rng)
        .unwrap();
    // Only step 4 has a key: 1 cannot be composed from it.
    match ev.rotate(&ct, 1, &s.gk) {
        Err(Error::MissingGaloisKey { step: 1, .. }) => {}
        other => panic!("expected MissingGaloisKey, got {other:?}"),
    }
    assert!(ev.rotate(&ct, 8, &s.gk).is_ok(), "8 = 4 + 4 composes");
    let low = ev.drop_to_level(&ct, 1).unwrap();
    assert!(matches!(
        ev.add(&ct, &low),
        Err(Error::LevelMismatch { lhs: 2, rhs: 1, .. })
    ));
    let sq = ev.mul_relin(&ct, &ct, &s.rk).unwrap();
    let sq1 = ev.drop_to_level(&sq, 1).unwrap();
    assert!(matches!(
        ev.add(&sq1, &low),
        Err(Error::ScaleMismatch { .. })
    ));

    // Objects from other parameters.
    let other = Params::new(&ParamsSpec::depth3()).unwrap();
    let enc2 = Encoder::new(&other);
    let pt2 = enc2.encode(&[1.0], 2, delta).unwrap();
    assert!(matches!(
        ev.add_plain(&ct, &pt2),
        Err(Error::ParamsMismatch { .. })
    ));
    assert!(matches!(
        encr.encrypt(&pt2),
        Err(Error::ParamsMismatch { .. })
    ));

    // Encoding errors.
    let too_many = vec![0.0; s.params.slots() + 1];
    assert!(matches!(
        enc.encode(&too_many, 2, delta),
        Err(Error::TooManyValues {
            given: 4097,
            slots: 4096,
            ..
        })
    ));
    assert!(matches!(
        enc.encode(&[f64::NAN], 2, delta),
        Err(Error::NotFinite { .. })
    ));
    // A constant 2^25 in every slot is the constant coefficient 2^25 · 2^40 =
    // 2^65 > q_0/2 ≈ 2^59 at level 0; it fits at level 2.
    let big = vec![3.4e7; s.params.slots()];
    assert!(matches!(
        enc.encode(&big, 0, delta),
        Err(Error::ValueOutOfRange { level: 0, .. })
    ));
    assert!(enc.encode(&big, 2, delta).is_ok());
    assert!(matches!(
        enc.encode(&[1.0], 3, delta),
        Err(Error::InvalidLevel {
            level: 3,
            max: 2,
            ..
        })
    ));
    let zero = enc.encode(&[0.0], 2, delta).unwrap();
    assert!(matches!(
        ev.mul_plain(&ct, &zero),
        Err(Error::Transparent { .. })
    ));
}

#[test]
fn large_values_round_trip_through_multi_prime_crt() {
    let s = setup(&ParamsSpec::seed(), Some(&[]));
    let enc = Encoder::new(&s.params);
    // Δ·x ≈ 2^40 · 2^30 = 2^70: beyond 64 bits, below Q/2 at the top level.
    let x = [1.0e9, -1.0e9, 123_456_789.123];
    let pt = enc.encode(&x, 2, s.params.default_scale()).unwrap();
    let got = enc.decode_real(&pt).unwrap();
    for (a, b) in x.iter().zip(&got) {
        assert!((a - b).abs() / a.abs() < 1e-11, "{a} vs {b}");
    }
}

#[test]
fn polynomial_evaluation_precision_and_depth() {
    let mut s = setup(&ParamsSpec::depth3(), Some(&[]));
    let enc = Encoder::new(&s.params);
    let ev = Evaluator::new(&s.params);
    let dec = Decryptor::new(&s.params, &s.sk).unwrap();
    let top = s.params.max_level();
    let x: Vec<f64> = (0..s.params.slots())
        .map(|_| s.rng.gen_range(-4.0..4.0))
        .collect();
    let pt = enc.encode(&x, top, s.params.default_scale()).unwrap();
    let ct = Encryptor::with_public_key(&s.params, &s.pk)
        .unwrap()
        .encrypt_with_rng(&pt, &mut s.rng)
        .unwrap();
    // Degree 3 with every coefficient non-zero, and an odd degree 3.
    for coeffs in [
        vec![0.25, -1.5, 0.75, 0.125],
        vec![0.5, 0.15012, 0.0, -0.001593],
    ] {
        assert_eq!(Evaluator::polynomial_depth(&coeffs), 2);
        let out = ev.polynomial(&ct, &coeffs, &s.rk).unwrap();
        assert_eq!(out.level(), top - 2);
        assert!(out.scale().close_to(s.params.default_scale()));
        let want: Vec<Complex> = x
            .iter()
            .map(|&v| Complex::new(coeffs.iter().rev().fold(0.0, |a, c| a * v + c), 0.0))
            .collect();
        let p = precision(&want, &enc.decode(&dec.decrypt(&out).unwrap()).unwrap());
        println!("polynomial {coeffs:?} on [-4, 4]: {p}");
        assert!(p.min_bits >= 18.0, "{p}");
    }
    // A constant polynomial would not depend on the ciphertext.
    let e = ev.polynomial(&ct, &[0.5, 0.0, 0.0], &s.rk).unwrap_err();
    assert!(matches!(e, Error::Transparent { .. }), "{e}");
    // Degree 5 needs 3 levels: too deep for a ciphertext at level 2.
    let low = ev.drop_to_level(&ct, 2).unwrap();
    let e = ev
        .polynomial(&low, &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0], &s.rk)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotEnoughLevels {
                needed: 3,
                available: 2,
                ..
            }
        ),
        "{e}"
    );
}
