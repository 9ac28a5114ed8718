//! Parallel key generation and key switching give the same bytes on one
//! thread as on many.

use ckks::rng::ChaCha20;
use ckks::testing::test_seed;
use ckks::{Encoder, Encryptor, Evaluator, KeyGenerator, Params, ParamsSpec, Wire};
use rand::SeedableRng;

fn run(seed: u64) -> Vec<Vec<u8>> {
    let params = Params::new(&ParamsSpec::seed()).unwrap();
    let mut rng = ChaCha20::seed_from_u64(seed);
    let kg = KeyGenerator::new(&params);
    let sk = kg.secret_key_with_rng(&mut rng);
    let pk = kg.public_key_with_rng(&sk, &mut rng).unwrap();
    let rk = kg.relin_key_with_rng(&sk, &mut rng).unwrap();
    let gk = kg
        .galois_keys_with_rng(&sk, &[1, -4, 16], true, &mut rng)
        .unwrap();
    let enc = Encoder::new(&params);
    let pt = enc
        .encode(
            &[0.25, -0.5, 0.75],
            params.max_level(),
            params.default_scale(),
        )
        .unwrap();
    let ct = Encryptor::with_public_key(&params, &pk)
        .unwrap()
        .encrypt_with_rng(&pt, &mut rng)
        .unwrap();
    let ev = Evaluator::new(&params);
    let out = ev
        .rotate(
            &ev.rescale(&ev.mul_relin(&ct, &ct, &rk).unwrap()).unwrap(),
            5,
            &gk,
        )
        .unwrap();
    vec![
        gk.to_bytes(&params),
        rk.to_bytes(&params),
        out.to_bytes(&params),
    ]
}

#[test]
fn one_thread_and_many_agree_bit_for_bit() {
    let seed = test_seed();
    let many = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| run(seed));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| run(seed));
    assert!(many == one, "results differ between 1 and 4 threads");
}
