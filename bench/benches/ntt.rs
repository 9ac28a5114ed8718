#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! Forward and inverse negacyclic NTT: every backend of ours that the CPU
//! and prime support, and `tfhe-ntt` on the same primes, in one run.
//! Ids: `ntt/<fwd|inv>/logN=<n>/<bits>bit/<impl>`.
//! Run: `cargo bench -p bench --bench ntt`.

use ckks::math::ntt::{Backend, NttPlan};
use ckks::math::primes::ntt_primes_below;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn ntt(c: &mut Criterion) {
    bench::single_thread();
    let mut g = c.benchmark_group("ntt");
    for log_n in [13u32, 14] {
        let n = 1usize << log_n;
        for bits in [40u32, 50, 60] {
            let q = ntt_primes_below(bits, n, 1, &[])[0];
            let data: Vec<u64> = (0..n as u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % q)
                .collect();
            for backend in Backend::ALL {
                let Some(plan) = NttPlan::with_backend(n, q, backend) else {
                    continue;
                };
                let name = format!("{backend:?}").to_lowercase();
                g.bench_function(format!("fwd/logN={log_n}/{bits}bit/{name}"), |b| {
                    b.iter_batched_ref(|| data.clone(), |d| plan.forward(d), BatchSize::SmallInput)
                });
                g.bench_function(format!("inv/logN={log_n}/{bits}bit/{name}"), |b| {
                    b.iter_batched_ref(|| data.clone(), |d| plan.inverse(d), BatchSize::SmallInput)
                });
            }
            if let Some(plan) = tfhe_ntt::prime64::Plan::try_new(n, q) {
                g.bench_function(format!("fwd/logN={log_n}/{bits}bit/tfhe-ntt"), |b| {
                    b.iter_batched_ref(|| data.clone(), |d| plan.fwd(d), BatchSize::SmallInput)
                });
                g.bench_function(format!("inv/logN={log_n}/{bits}bit/tfhe-ntt"), |b| {
                    b.iter_batched_ref(|| data.clone(), |d| plan.inv(d), BatchSize::SmallInput)
                });
            }
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1))
        .sample_size(30);
    targets = ntt
}
criterion_main!(benches);
