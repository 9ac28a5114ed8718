//! A first encrypted computation: encrypt a vector, square it, rotate it,
//! take a 30-element inner product, decrypt, and report precision in bits.
//!
//! Run: `cargo run --release -p ckks --example quickstart` (optionally with a preset
//! name: `seed`, `depth3`, `n16k`, `toy`).

use std::time::Instant;

use ckks::testing::precision_real;
use ckks::{Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Params, ParamsSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "seed".into());
    let Some(spec) = ParamsSpec::preset(&name) else {
        eprintln!(
            "unknown preset {name:?}; choose one of {:?}",
            ParamsSpec::PRESETS
        );
        std::process::exit(2);
    };
    let params = Params::new(&spec)?;
    println!(
        "preset {name}: N = {}, q = {:?} bits, P = {:?} bits, scale 2^{}",
        params.n(),
        spec.log_q,
        spec.log_p,
        spec.log_scale
    );
    println!("security: {}", params.security_report());

    let t = Instant::now();
    let keygen = KeyGenerator::new(&params);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk)?;
    let rk = keygen.relin_key(&sk)?;
    let gk = keygen.galois_keys(&sk, &keygen.default_steps(), true)?;
    println!(
        "key generation (secret, public, relinearization, {} Galois keys): {:.1} ms",
        gk.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    let encoder = Encoder::new(&params);
    let eval = Evaluator::new(&params);
    let slots = params.slots();
    let x: Vec<f64> = (0..slots)
        .map(|i| ((i * 7919) % 2001) as f64 / 1000.0 - 1.0)
        .collect();
    let top = params.max_level();
    let ct = Encryptor::with_public_key(&params, &pk)?.encrypt(&encoder.encode(
        &x,
        top,
        params.default_scale(),
    )?)?;
    let dec = Decryptor::new(&params, &sk)?;

    let report = |what: &str, want: &[f64], ct: &ckks::Ciphertext| -> ckks::Result<()> {
        let got = encoder.decode_real(&dec.decrypt(ct)?)?;
        println!(
            "{what:<34} level {}  {}",
            ct.level(),
            precision_real(want, &got[..want.len()])
        );
        Ok(())
    };
    report("encrypt → decrypt", &x, &ct)?;

    let t = Instant::now();
    let sq = eval.rescale(&eval.mul_relin(&ct, &ct, &rk)?)?;
    let rot = eval.rotate(&sq, 3, &gk)?;
    let elapsed = t.elapsed();
    let want: Vec<f64> = (0..slots).map(|i| x[(i + 3) % slots].powi(2)).collect();
    report("x² (relinearized, rescaled), ⟲3", &want, &rot)?;
    println!(
        "  square + relinearize + rescale + rotate: {:.2} ms",
        elapsed.as_secs_f64() * 1e3
    );

    let w: Vec<f64> = (0..30).map(|i| (i as f64 - 15.0) / 30.0).collect();
    let ip = eval.inner_product(&ct, &w, &gk)?;
    let want: Vec<f64> = (0..slots / 32)
        .map(|b| (0..30).map(|i| x[32 * b + i] * w[i]).sum())
        .collect();
    let got = encoder.decode_real(&dec.decrypt(&ip)?)?;
    let got: Vec<f64> = (0..slots / 32).map(|b| got[32 * b]).collect();
    println!(
        "{:<34} level {}  {}",
        "30-element inner products",
        ip.level(),
        precision_real(&want, &got)
    );
    Ok(())
}
