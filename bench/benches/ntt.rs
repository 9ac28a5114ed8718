#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! Forward and inverse negacyclic NTT: every backend of ours that the CPU
//! and prime support, and `tfhe-ntt` on the same primes, in one run; then
//! the element-wise kernels of a key switch on every backend.
//! Ids: `ntt/<fwd|inv>/logN=<n>/<bits>bit/<impl>` (`tfhe-ntt+normalize`:
//! its inverse followed by its multiplication by `N^{-1}`, which ours
//! includes) and
//! `kernels/<op>/<bits>bit/<backend>`.
//! Every buffer, ours and `tfhe-ntt`'s alike, starts on a cache line
//! ([`AlignedVec`]), as a polynomial's limbs do in the library.
//! Run: `cargo bench -p bench --bench ntt`.

use ckks::math::aligned::AlignedVec;
use ckks::math::kernels::Kernels;
use ckks::math::modulus::Modulus;
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
            let mut data = AlignedVec::with_capacity(n);
            data.extend((0..n as u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % q));
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
                // `inv` leaves every coefficient multiplied by N; with its
                // separate `normalize` it is the inverse ours computes
                // (N^{-1} folded into our last stage).
                g.bench_function(
                    format!("inv/logN={log_n}/{bits}bit/tfhe-ntt+normalize"),
                    |b| {
                        b.iter_batched_ref(
                            || data.clone(),
                            |d| {
                                plan.inv(d);
                                plan.normalize(d);
                            },
                            BatchSize::SmallInput,
                        )
                    },
                );
            }
        }
    }
    g.finish();
}

/// The kernels of a key switch at N = 8192: the inner product of three
/// digits with a key (`dot_to`), the centred conversion of a digit from a
/// 60-bit prime (`centered_from`), the same conversion followed by the
/// forward NTT in two passes and in one (`convert_fwd_60bit/…/separate`,
/// `…/fused`), and the product of two variable limbs (`mul_to`, the tensor
/// product of ct × ct).
fn kernels(c: &mut Criterion) {
    bench::single_thread();
    let n = 8192usize;
    let mut g = c.benchmark_group("kernels");
    let p60 = ntt_primes_below(60, n, 2, &[])[1];
    for bits in [40u32, 60] {
        let q = ntt_primes_below(bits, n, 1, &[])[0];
        let m = Modulus::new(q);
        let vec_mod = |s: u64, p: u64| -> AlignedVec {
            let mut v = AlignedVec::with_capacity(n);
            v.extend((0..n as u64).map(|i| (i ^ s).wrapping_mul(0x9e37_79b9_7f4a_7c15) % p));
            v
        };
        let digits: Vec<AlignedVec> = (0..3).map(|j| vec_mod(j, q)).collect();
        let key: Vec<AlignedVec> = (0..3).map(|j| vec_mod(10 + j, q)).collect();
        let dr: Vec<&[u64]> = digits.iter().map(AlignedVec::as_slice).collect();
        let kr: Vec<&[u64]> = key.iter().map(AlignedVec::as_slice).collect();
        let src = vec_mod(20, p60);
        let mut out = AlignedVec::zeroed(n);
        for backend in Backend::ALL {
            let Some(k) = Kernels::with(backend, &m) else {
                continue;
            };
            let name = format!("{backend:?}").to_lowercase();
            g.bench_function(format!("dot_to_3/{bits}bit/{name}"), |b| {
                b.iter(|| k.dot_to(&mut out, &dr, &kr))
            });
            g.bench_function(format!("centered_from_60bit/{bits}bit/{name}"), |b| {
                b.iter(|| k.centered_from(&mut out, &src, p60))
            });
            g.bench_function(format!("mul_to/{bits}bit/{name}"), |b| {
                b.iter(|| k.mul_to(&mut out, dr[0], kr[0]))
            });
            // The conversion followed by the forward NTT, as two passes
            // and as one (`forward_centered`).
            if let Some(plan) = NttPlan::with_backend(n, q, backend) {
                g.bench_function(
                    format!("convert_fwd_60bit/{bits}bit/{name}/separate"),
                    |b| {
                        b.iter(|| {
                            k.centered_from(&mut out, &src, p60);
                            plan.forward(&mut out);
                        })
                    },
                );
                g.bench_function(format!("convert_fwd_60bit/{bits}bit/{name}/fused"), |b| {
                    b.iter(|| plan.forward_centered(&mut out, &src, p60))
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
    targets = ntt, kernels
}
criterion_main!(benches);
