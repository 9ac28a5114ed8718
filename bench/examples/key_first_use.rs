//! What a switching key's first use costs: the first key switch with a key
//! packs the key's limbs on the primes whose inner products read them packed
//! (`ckks::math::packed`). Rotates one ciphertext of the `seed` preset (or
//! the one `CKKS_BENCH_PARAMS` names) by every ±2^k step with a key, each
//! step twice in a row, on one thread, and prints the medians of the first
//! and of the second rotations:
//! `cargo run --release -p bench --example key_first_use`.

use std::time::Instant;

use bench::{spec_from_env, Fixture};
use ckks::Evaluator;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    bench::single_thread();
    let f = Fixture::new(&spec_from_env());
    let ev = Evaluator::new(&f.params);
    let slots = f.params.slots() as i64;
    let steps: Vec<i64> = (0..)
        .map(|k| 1i64 << k)
        .take_while(|&s| s < slots)
        .flat_map(|s| [s, -s])
        .collect();
    // Warms the code and the NTT plans with a key that is then used.
    std::hint::black_box(ev.rotate(&f.ct[0], 1, &f.gk).expect("rotate"));
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for &s in steps.iter().filter(|&&s| s != 1) {
        for out in [&mut first, &mut second] {
            let t = Instant::now();
            std::hint::black_box(ev.rotate(&f.ct[0], s, &f.gk).expect("rotate"));
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    println!(
        "{} keys: first rotation with a key {:.1} µs, second {:.1} µs (medians)",
        first.len(),
        median(first),
        median(second)
    );
}
