//! Times key generation of the side-by-side run (secret, public and
//! relinearization keys, every ±2^k Galois key and the conjugation) at the
//! `seed` preset, repetition by repetition:
//! `target/release/examples/profile_keygen [reps]` (default 20).

use std::time::Instant;

use ckks::{KeyGenerator, Params, ParamsSpec};

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let params = Params::new(&ParamsSpec::seed()).expect("seed preset");
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        let kg = KeyGenerator::new(&params);
        let sk = kg.secret_key();
        let pk = kg.public_key(&sk).expect("keys");
        let rk = kg.relin_key(&sk).expect("keys");
        let gk = kg
            .galois_keys(&sk, &kg.default_steps(), true)
            .expect("keys");
        std::hint::black_box((sk, pk, rk, gk));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let list: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
    println!("key generation (ms): {}", list.join(" "));
    times.sort_by(f64::total_cmp);
    println!("median {:.2} ms, min {:.2} ms", times[reps / 2], times[0]);
}
