//! What the start of a limb's buffer costs the NTT: the forward and inverse
//! transform at N = 8192 on limbs that start on a cache line (as the
//! library's [`AlignedVec`] limbs do) and 16, 32 and 48 bytes past one (as
//! a `Vec<u64>` from the global allocator may), ours (the plan's default
//! backend) and `tfhe-ntt`'s (its inverse without `normalize`). Best of
//! 300 rounds, every placement and transform timed in turn in each round,
//! so that a busy spell on a shared machine hits all of them.
//!
//! Run: `cargo run --release -p bench --example ntt_alignment [bits]`
//! (prime size, default 60; `CKKS_NTT_BACKEND` picks the backend).

use ckks::math::aligned::AlignedVec;
use ckks::math::ntt::NttPlan;
use ckks::math::primes::ntt_primes_below;

fn main() {
    let n = 8192usize;
    let bits: u32 = match std::env::args().nth(1) {
        None => 60,
        Some(s) => match s.parse() {
            Ok(b) if (20..=61).contains(&b) => b,
            _ => {
                eprintln!("ntt_alignment: prime size {s:?} is not a number of bits from 20 to 61");
                std::process::exit(2);
            }
        },
    };
    let Some(&q) = ntt_primes_below(bits, n, 1, &[]).first() else {
        eprintln!("ntt_alignment: no {bits}-bit prime is 1 mod {}", 2 * n);
        std::process::exit(2);
    };
    let plan = NttPlan::new(n, q);
    let Some(tfhe) = tfhe_ntt::prime64::Plan::try_new(n, q) else {
        eprintln!("ntt_alignment: tfhe-ntt has no plan for q = {q}");
        std::process::exit(2);
    };
    // One aligned buffer with room for a limb at every offset tried.
    let mut store = AlignedVec::zeroed(n + 8);
    let offsets = [0usize, 2, 4, 6];
    // Per placement: ours forward, inverse; tfhe-ntt forward, inverse.
    let mut best = [[f64::MAX; 4]; 4];
    let reps = 100;
    for _ in 0..300 {
        for (k, &o) in offsets.iter().enumerate() {
            let limb = &mut store[o..o + n];
            for (i, x) in limb.iter_mut().enumerate() {
                *x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) % q;
            }
            for (which, b) in best[k].iter_mut().enumerate() {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    match which {
                        0 => plan.forward(limb),
                        1 => plan.inverse(limb),
                        2 => tfhe.fwd(limb),
                        _ => tfhe.inv(limb),
                    }
                }
                *b = b.min(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
            }
        }
    }
    println!(
        "N = {n}, {bits}-bit prime, ours {:?} and tfhe-ntt; best of 300 rounds, µs",
        plan.backend()
    );
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "limb starts", "fwd", "inv", "tfhe fwd", "tfhe inv", "fwd ×", "inv ×"
    );
    for (k, &o) in offsets.iter().enumerate() {
        let place = if o == 0 {
            "on a cache line".to_string()
        } else {
            format!("{} bytes past one", 8 * o)
        };
        let b = best[k];
        println!(
            "{place:<20} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7.3} {:>7.3}",
            b[0],
            b[1],
            b[2],
            b[3],
            b[0] / b[2],
            b[1] / b[3]
        );
    }
    for (which, name) in [
        "ours, forward",
        "ours, inverse",
        "tfhe-ntt, forward",
        "tfhe-ntt, inverse",
    ]
    .iter()
    .enumerate()
    {
        let off = (1..4).map(|k| best[k][which]).fold(f64::MAX, f64::min);
        println!(
            "{name}: the best placement off a line takes {:.1} % longer",
            100.0 * (off / best[0][which] - 1.0)
        );
    }
}
