//! Repeats one NTT on a prime of the given size, for profilers and
//! `bench/scripts/loop_mix.py`:
//! `perf record -e cpu-clock target/release/examples/profile_ntt 60 fwd`.
//! Arguments: prime bits (default 60), `fwd` or `inv` (default `fwd`),
//! repetitions (default 100000), N (default 8192; a smaller one keeps the
//! data and twiddles in the first-level cache). The backend is the plan's
//! default choice (`CKKS_NTT_BACKEND` overrides it).

use ckks::math::aligned::AlignedVec;
use ckks::math::ntt::NttPlan;
use ckks::math::primes::ntt_primes_below;

fn main() {
    let mut args = std::env::args().skip(1);
    let bits: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let inverse = match args.next().as_deref() {
        None | Some("fwd") => false,
        Some("inv") => true,
        Some(other) => {
            eprintln!("profile_ntt: direction {other:?} is neither fwd nor inv");
            std::process::exit(2);
        }
    };
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(8192);
    if !n.is_power_of_two() || !(8..=1 << 17).contains(&n) {
        eprintln!("profile_ntt: N = {n} is not a power of two from 8 to 2^17");
        std::process::exit(2);
    }
    if !(16..=61).contains(&bits) {
        eprintln!("profile_ntt: prime size {bits} bits is outside 16 to 61");
        std::process::exit(2);
    }
    let Some(&q) = ntt_primes_below(bits, n, 1, &[]).first() else {
        eprintln!("profile_ntt: no {bits}-bit prime is 1 mod {}", 2 * n);
        std::process::exit(2);
    };
    let plan = NttPlan::new(n, q);
    // On a cache line, as the library's limbs are (`AlignedVec`).
    let mut data: AlignedVec = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % q)
        .collect::<Vec<_>>()
        .into();
    let t = std::time::Instant::now();
    for _ in 0..reps {
        if inverse {
            plan.inverse(&mut data);
        } else {
            plan.forward(&mut data);
        }
    }
    std::hint::black_box(&data);
    println!(
        "{:?} {} on a {bits}-bit prime, N = {n}: {:.3} µs each",
        plan.backend(),
        if inverse { "inverse" } else { "forward" },
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );
}
