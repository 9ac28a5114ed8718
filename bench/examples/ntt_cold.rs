//! A forward NTT at `N = 8192` after the second-level cache was flushed, as
//! the transforms of a key switch find their plans: the data is always
//! fresh (copied just before), and the mode says what else is:
//!
//! - `hot`: the plan's tables and the code, from the previous repetition;
//! - `evicted`: neither (8 MiB read in between, untimed);
//! - `code-warm`: the code, by a transform on another prime of the same
//!   size after the flush, but not this plan's tables.
//!
//! `cargo run --release -p bench --example ntt_cold [BITS] [MODE] [REPS]`
//! (defaults 60, all three modes, 3000). One mode at a time suits
//! `bench/scripts/ab.sh`.

use std::time::{Duration, Instant};

use ckks::math::ntt::NttPlan;
use ckks::math::primes::ntt_primes_below;

fn main() {
    let mut args = std::env::args().skip(1);
    let bits: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let modes: Vec<String> = match args.next() {
        Some(m) => vec![m],
        None => ["hot", "evicted", "code-warm"].map(String::from).to_vec(),
    };
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let n = 8192;
    let primes = ntt_primes_below(bits, n, 2, &[]);
    let (plan, other) = (NttPlan::new(n, primes[0]), NttPlan::new(n, primes[1]));
    let src: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % primes[1])
        .collect();
    let flush: Vec<u64> = (0..(8 << 20) / 8).collect();
    let (mut a, mut b) = (src.clone(), src.clone());
    for mode in &modes {
        let (evict, warm) = match mode.as_str() {
            "hot" => (false, false),
            "evicted" => (true, false),
            "code-warm" => (true, true),
            unknown => {
                eprintln!("unknown mode {unknown}: hot, evicted or code-warm");
                std::process::exit(2);
            }
        };
        let mut total = Duration::ZERO;
        for _ in 0..reps {
            if evict {
                // One word per cache line is enough to bring each line in.
                std::hint::black_box(flush.iter().step_by(8).sum::<u64>());
            }
            if warm {
                b.copy_from_slice(&src);
                other.forward(&mut b);
            }
            a.copy_from_slice(&src);
            let t = Instant::now();
            plan.forward(&mut a);
            total += t.elapsed();
            std::hint::black_box(&mut a);
        }
        println!(
            "{:.2} µs per {bits}-bit forward transform, {mode}",
            total.as_secs_f64() * 1e6 / reps as f64
        );
    }
}
