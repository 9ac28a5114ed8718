//! Byte formats: round trips, and errors (never panics) for damaged input.

use ckks::testing::{precision_real, test_rng};
use ckks::{
    Ciphertext, Decryptor, Encoder, Encryptor, Error, Evaluator, GaloisKeys, KeyGenerator, Params,
    ParamsSpec, Plaintext, PublicKey, RelinKey, SecretKey, SeededCiphertext, Wire,
};
use rand::Rng;

#[test]
fn every_object_round_trips_and_still_works() {
    let params = Params::new(&ParamsSpec::seed()).unwrap();
    let mut rng = test_rng();
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    let rk = kg.relin_key_with_rng(&sk, &mut rng).unwrap();
    let gk = kg
        .galois_keys_with_rng(&sk, &[1, -2], true, &mut rng)
        .unwrap();

    let sk2 = SecretKey::from_bytes(&params, &sk.to_bytes(&params)).unwrap();
    let pk2 = PublicKey::from_bytes(&params, &pk.to_bytes(&params)).unwrap();
    let rk2 = RelinKey::from_bytes(&params, &rk.to_bytes(&params)).unwrap();
    let gk2 = GaloisKeys::from_bytes(&params, &gk.to_bytes(&params)).unwrap();
    assert_eq!(gk2.len(), 3);
    // Galois keys of format version 1 switched the other way: refused.
    let mut old = gk.to_bytes(&params);
    old[4..6].copy_from_slice(&1u16.to_le_bytes());
    let e = GaloisKeys::from_bytes(&params, &old).unwrap_err();
    assert!(
        e.to_string().contains("format version 1 is not supported"),
        "{e}"
    );
    // Seeded keys: about half the raw size of (b, a).
    let raw = 2 * params.dnum() * (params.max_level() + 2) * params.n() * 8;
    let stored = rk.to_bytes(&params).len();
    println!("relinearization key: {stored} bytes (raw (b, a) would be {raw})");
    assert!(stored < raw / 2);

    let enc = Encoder::new(&params);
    let x: Vec<f64> = (0..params.slots())
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let pt = enc
        .encode(&x, params.max_level(), params.default_scale())
        .unwrap();
    let pt2 = Plaintext::from_bytes(&params, &pt.to_bytes(&params)).unwrap();
    let ct = Encryptor::with_public_key(&params, &pk2)
        .unwrap()
        .encrypt_with_rng(&pt2, &mut rng)
        .unwrap();
    let ct2 = Ciphertext::from_bytes(&params, &ct.to_bytes(&params)).unwrap();

    // The loaded keys evaluate and the loaded secret key decrypts.
    let ev = Evaluator::new(&params);
    let r = ev
        .rotate(
            &ev.rescale(&ev.mul_relin(&ct2, &ct2, &rk2).unwrap())
                .unwrap(),
            -2,
            &gk2,
        )
        .unwrap();
    let got = enc
        .decode_real(&Decryptor::new(&params, &sk2).unwrap().decrypt(&r).unwrap())
        .unwrap();
    let n = x.len();
    let want: Vec<f64> = (0..n).map(|i| x[(i + n - 2) % n].powi(2)).collect();
    let p = precision_real(&want, &got);
    assert!(p.min_bits >= 20.0, "after reload: {p}");
}

#[test]
fn seeded_ciphertext_is_half_size_and_decrypts_the_same() {
    let params = Params::new(&ParamsSpec::seed()).unwrap();
    let mut rng = test_rng();
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let enc = Encoder::new(&params);
    let x: Vec<f64> = (0..params.slots())
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let pt = enc
        .encode(&x, params.max_level(), params.default_scale())
        .unwrap();
    let sym = Encryptor::with_secret_key(&params, &sk).unwrap();
    let seeded = sym.encrypt_seeded_with_rng(&pt, &mut rng).unwrap();
    let bytes = seeded.to_bytes(&params);
    let full = seeded.expand(&params);
    let full_bytes = full.to_bytes(&params);
    println!(
        "seeded {} bytes, expanded {} bytes",
        bytes.len(),
        full_bytes.len()
    );
    // c0 plus a 32-byte seed: half of (c0, c1) up to the envelope.
    assert!(bytes.len() <= full_bytes.len() / 2 + 100);
    let loaded = SeededCiphertext::from_bytes(&params, &bytes)
        .unwrap()
        .expand(&params);
    let dec = Decryptor::new(&params, &sk).unwrap();
    let a = enc.decode_real(&dec.decrypt(&full).unwrap()).unwrap();
    let b = enc.decode_real(&dec.decrypt(&loaded).unwrap()).unwrap();
    assert_eq!(a, b, "seeded and expanded ciphertexts decrypt identically");
    assert!(precision_real(&x, &a).min_bits >= 25.0);
    // A public-key encryptor has no seeded form.
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    assert!(matches!(
        Encryptor::with_public_key(&params, &pk)
            .unwrap()
            .encrypt_seeded(&pt),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn damaged_bytes_give_errors_not_panics() {
    let params = Params::new(&ParamsSpec::toy()).unwrap();
    let mut rng = test_rng();
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    let enc = Encoder::new(&params);
    let pt = enc
        .encode(&[0.5, -0.25], 1, params.default_scale())
        .unwrap();
    let ct = Encryptor::with_public_key(&params, &pk)
        .unwrap()
        .encrypt_with_rng(&pt, &mut rng)
        .unwrap();
    let bytes = ct.to_bytes(&params);

    // Every truncation fails.
    for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
        assert!(
            Ciphertext::from_bytes(&params, &bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    // Trailing garbage fails.
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Ciphertext::from_bytes(&params, &longer).is_err());
    // Envelope: magic 4, version 2, kind 4, params id 8; then c0's basis
    // (q 4, p 1), limb count 8 and first limb length 8: 39 bytes of structure.
    const STRUCTURE: usize = 4 + 2 + 4 + 8 + 4 + 1 + 8 + 8;
    // Every byte of that structure, flipped, fails.
    for i in 0..STRUCTURE {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        assert!(
            Ciphertext::from_bytes(&params, &b).is_err(),
            "flipped header byte {i}"
        );
    }
    // Random flips anywhere: an error or a well-formed ciphertext, never a panic.
    for _ in 0..300 {
        let mut b = bytes.clone();
        let i = rng.gen_range(0..b.len());
        b[i] ^= 1 << rng.gen_range(0..8);
        let _ = Ciphertext::from_bytes(&params, &b);
    }
    // A residue pushed to all ones (≥ its prime) is caught.
    let mut b = bytes.clone();
    for byte in &mut b[STRUCTURE..STRUCTURE + 8] {
        *byte = 0xff;
    }
    let e = Ciphertext::from_bytes(&params, &b).unwrap_err();
    assert!(e.to_string().contains("not below its prime"), "{e}");

    // Wrong kind, wrong parameters, huge declared length.
    assert!(matches!(
        PublicKey::from_bytes(&params, &bytes),
        Err(Error::Deserialize { .. })
    ));
    let other = Params::new(&ParamsSpec::seed()).unwrap();
    assert!(matches!(
        Ciphertext::from_bytes(&other, &bytes),
        Err(Error::ParamsMismatch { .. })
    ));
    let mut huge = bytes[..27].to_vec();
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(Ciphertext::from_bytes(&params, &huge).is_err());
    assert!(Ciphertext::from_bytes(&params, &[]).is_err());
    let sk_bytes = sk.to_bytes(&params);
    let mut bad_sk = sk_bytes.clone();
    let last = bad_sk.len() - 1;
    bad_sk[last] = 5;
    assert!(SecretKey::from_bytes(&params, &bad_sk).is_err());
    assert!(format!("{sk:?}") == "SecretKey(..)");
}
