//! Every preset, and every ring degree from 2^10 to 2^16, survives a
//! multiply–rescale–rotate round with the precision its scale allows.

use ckks::testing::{precision_real, test_rng};
use ckks::{Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Params, ParamsSpec, Security};
use rand::Rng;

/// Encrypts x, computes rotate(rescale(x·x), 1) and returns its precision.
fn round(spec: &ParamsSpec) -> f64 {
    let params = Params::new(spec).unwrap();
    let mut rng = test_rng();
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    let rk = kg.relin_key_with_rng(&sk, &mut rng).unwrap();
    let gk = kg.galois_keys_with_rng(&sk, &[1], false, &mut rng).unwrap();
    let enc = Encoder::new(&params);
    let ev = Evaluator::new(&params);
    let n = params.slots();
    let x: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let pt = enc
        .encode(&x, params.max_level(), params.default_scale())
        .unwrap();
    let ct = Encryptor::with_public_key(&params, &pk)
        .unwrap()
        .encrypt_with_rng(&pt, &mut rng)
        .unwrap();
    let out = ev
        .rotate(
            &ev.rescale(&ev.mul_relin(&ct, &ct, &rk).unwrap()).unwrap(),
            1,
            &gk,
        )
        .unwrap();
    let got = enc
        .decode_real(&Decryptor::new(&params, &sk).unwrap().decrypt(&out).unwrap())
        .unwrap();
    let want: Vec<f64> = (0..n).map(|i| x[(i + 1) % n].powi(2)).collect();
    let p = precision_real(&want, &got);
    println!("{spec:?}: {p} | {}", params.security_report());
    p.min_bits
}

#[test]
fn every_preset_multiplies_rescales_and_rotates() {
    for name in ParamsSpec::PRESETS {
        let spec = ParamsSpec::preset(name).unwrap();
        // Precision a round keeps: about log_scale − log2(noise); the toy
        // scale is 2^25.
        let need = if name == "toy" { 10.0 } else { 20.0 };
        let bits = round(&spec);
        assert!(bits >= need, "{name}: {bits:.2} bits < {need}");
    }
}

#[test]
fn ring_degrees_from_2_10_to_2_16() {
    for log_n in 10..=16 {
        // Research parameters (insecure below N = 2^12 with these primes).
        let spec = ParamsSpec {
            log_n,
            log_q: vec![55, 40],
            log_p: vec![55],
            log_scale: 40,
            secret: ckks::SecretDistribution::Ternary,
            security: if log_n >= 13 {
                Security::Classical128
            } else {
                Security::InsecureResearch
            },
        };
        let bits = round(&spec);
        assert!(bits >= 18.0, "N = 2^{log_n}: {bits:.2} bits");
    }
}

#[test]
fn several_special_primes_and_a_sparse_secret() {
    // Four key-switching digits of two primes each.
    let mut spec = ParamsSpec::n16k();
    spec.log_q.truncate(6);
    assert!(round(&spec) >= 20.0);
    // Three special primes, digits of three.
    let spec = ParamsSpec {
        log_n: 14,
        log_q: vec![50, 40, 40, 40, 40, 40],
        log_p: vec![45, 45, 45],
        log_scale: 40,
        secret: ckks::SecretDistribution::Ternary,
        security: Security::Classical128,
    };
    assert!(round(&spec) >= 20.0);
    let mut spec = ParamsSpec::seed();
    spec.secret = ckks::SecretDistribution::HammingWeight(192);
    spec.security = Security::InsecureResearch;
    assert!(round(&spec) >= 20.0);
}
