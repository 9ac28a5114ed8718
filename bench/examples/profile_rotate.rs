//! Repeats one rotation (or, with `mul_relin`, one product with
//! relinearization) at the `seed` preset (or the one `CKKS_BENCH_PARAMS`
//! names), on one thread unless a thread count is given, for profilers and
//! `bench/scripts/ab.sh`:
//! `perf record -g target/release/examples/profile_rotate [reps] [rotate|mul_relin] [threads]`.

use bench::{spec_from_env, Fixture};
use ckks::Evaluator;

fn main() {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(300);
    let op = args.next().unwrap_or_else(|| "rotate".into());
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("the global thread pool is built once");
    let f = Fixture::new(&spec_from_env());
    let ev = Evaluator::new(&f.params);
    let t = std::time::Instant::now();
    match op.as_str() {
        "rotate" => {
            for _ in 0..reps {
                std::hint::black_box(ev.rotate(&f.ct[0], 1, &f.gk).expect("rotate"));
            }
        }
        "mul_relin" => {
            for _ in 0..reps {
                std::hint::black_box(ev.mul_relin(&f.ct[0], &f.ct[1], &f.rk).expect("mul_relin"));
            }
        }
        other => {
            eprintln!("unknown operation {other:?}: rotate or mul_relin");
            std::process::exit(2);
        }
    }
    println!(
        "{:.3} ms per {op} on {threads} thread(s)",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}
