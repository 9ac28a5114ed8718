//! Shared set-up for the benchmarks: parameters from a preset (`seed`, or
//! the one named by `CKKS_BENCH_PARAMS`), keys and sample ciphertexts.

use std::sync::Arc;

use ckks::rng::ChaCha20;
use ckks::{
    Ciphertext, Encoder, Encryptor, GaloisKeys, KeyGenerator, Params, ParamsSpec, PublicKey,
    RelinKey, SecretKey,
};
use rand::{Rng, SeedableRng};

/// Runs everything on one thread, as the reference figures were measured.
/// Safe to call more than once.
pub fn single_thread() {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
}

/// Keys and two fresh ciphertexts under one parameter set.
pub struct Fixture {
    /// The parameters.
    pub params: Arc<Params>,
    /// Secret key.
    pub sk: SecretKey,
    /// Public key.
    pub pk: PublicKey,
    /// Relinearization key.
    pub rk: RelinKey,
    /// Galois keys for every ±2^k.
    pub gk: GaloisKeys,
    /// Encoder.
    pub encoder: Encoder,
    /// Random slot values in [-1, 1].
    pub values: Vec<f64>,
    /// Two fresh public-key ciphertexts at the top level.
    pub ct: [Ciphertext; 2],
}

/// The preset named by `CKKS_BENCH_PARAMS`, or `seed`.
///
/// # Panics
/// If the variable names no preset, or if `CKKS_NTT_BACKEND` names no
/// backend (the run would time another backend than the one asked for).
#[must_use]
pub fn spec_from_env() -> ParamsSpec {
    if let Err(e) = ckks::math::ntt::backend_from_env() {
        panic!("{e}");
    }
    match std::env::var("CKKS_BENCH_PARAMS") {
        Ok(s) => ParamsSpec::preset(&s).unwrap_or_else(|| {
            panic!(
                "CKKS_BENCH_PARAMS={s:?} is not one of {:?}",
                ParamsSpec::PRESETS
            )
        }),
        Err(_) => ParamsSpec::seed(),
    }
}

impl Fixture {
    /// Builds keys (all ±2^k rotations) and two ciphertexts from a fixed seed.
    ///
    /// # Panics
    /// If the spec is invalid.
    #[must_use]
    pub fn new(spec: &ParamsSpec) -> Self {
        let params = Params::new(spec).expect("benchmark parameters");
        let mut rng = ChaCha20::seed_from_u64(1);
        let kg = KeyGenerator::new(&params);
        let sk = kg.secret_key_with_rng(&mut rng);
        let pk = kg.public_key_with_rng(&sk, &mut rng).expect("keys");
        let rk = kg.relin_key_with_rng(&sk, &mut rng).expect("keys");
        let gk = kg
            .galois_keys_with_rng(&sk, &kg.default_steps(), true, &mut rng)
            .expect("keys");
        let encoder = Encoder::new(&params);
        let values: Vec<f64> = (0..params.slots())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let enc = Encryptor::with_public_key(&params, &pk).expect("keys");
        let pt = encoder
            .encode(&values, params.max_level(), params.default_scale())
            .expect("encode");
        let ct = [
            enc.encrypt_with_rng(&pt, &mut rng).expect("encrypt"),
            enc.encrypt_with_rng(&pt, &mut rng).expect("encrypt"),
        ];
        Self {
            params,
            sk,
            pk,
            rk,
            gk,
            encoder,
            values,
            ct,
        }
    }
}
