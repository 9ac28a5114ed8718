//! Repeats one rotation at the `seed` preset (or the one `CKKS_BENCH_PARAMS`
//! names), for profilers:
//! `perf record -g target/release/examples/profile_rotate [reps]`.

use bench::{single_thread, spec_from_env, Fixture};
use ckks::Evaluator;

fn main() {
    single_thread();
    let f = Fixture::new(&spec_from_env());
    let ev = Evaluator::new(&f.params);
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let t = std::time::Instant::now();
    for _ in 0..reps {
        std::hint::black_box(ev.rotate(&f.ct[0], 1, &f.gk).expect("rotate"));
    }
    println!(
        "{:.3} ms per rotation",
        t.elapsed().as_secs_f64() * 1e3 / reps as f64
    );
}
