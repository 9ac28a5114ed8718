#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! Random generation: 8192 64-bit words from our ChaCha20 with every block
//! function the CPU supports and from `rand_chacha`'s `ChaCha20Rng` (the
//! same word stream), then the two samplers key generation and encryption
//! spend their draws in, one 8192-coefficient limb each. One run, one thread.
//! Ids: `rng/words8192/<impl>`, `rng/<uniform60|gaussian>/8192`.
//! Run: `cargo bench -p bench --bench rng`.

use ckks::math::modulus::Modulus;
use ckks::math::primes::ntt_primes_below;
use ckks::math::sampling;
use ckks::rng::{ChaCha20, ChaChaBackend};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};

const N: usize = 8192;

fn rng(c: &mut Criterion) {
    bench::single_thread();
    let mut g = c.benchmark_group("rng");
    let mut out = vec![0u64; N];
    for backend in [
        ChaChaBackend::Avx512,
        ChaChaBackend::Avx2,
        ChaChaBackend::Scalar,
    ] {
        let Some(mut r) = ChaCha20::with_backend([7; 32], backend) else {
            continue;
        };
        let name = format!("{backend:?}").to_lowercase();
        g.bench_function(format!("words{N}/{name}"), |b| {
            b.iter(|| r.fill_u64(&mut out))
        });
    }
    let mut theirs = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    g.bench_function(format!("words{N}/rand_chacha"), |b| {
        b.iter(|| theirs.fill(&mut out[..]))
    });

    let mut r = ChaCha20::from_seed([7; 32]);
    let m = Modulus::new(ntt_primes_below(60, N, 1, &[])[0]);
    g.bench_function(format!("uniform60/{N}"), |b| {
        b.iter(|| sampling::uniform_into(&m, &mut r, &mut out))
    });
    g.bench_function(format!("gaussian/{N}"), |b| {
        b.iter(|| sampling::gaussian(N, &mut r))
    });
    g.finish();
}

criterion_group!(benches, rng);
criterion_main!(benches);
