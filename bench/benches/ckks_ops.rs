#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
//! The CKKS primitives at one parameter set (default `seed`), one thread,
//! with the best NTT and kernel backends for this CPU and then with the
//! scalar reference forced (`ckks::math::ntt::force_backend`), in one run.
//! Ids: `ckks/<operation>/logN=<n>` (best) and
//! `ckks-scalar/<operation>/logN=<n>`. Run: `cargo bench -p bench --bench ckks_ops`.

use bench::{single_thread, spec_from_env, Fixture};
use ckks::math::aligned::AlignedVec;
use ckks::math::ntt::{force_backend, Backend, NttPlan};
use ckks::rng::ChaCha20;
use ckks::{Decryptor, Encryptor, Evaluator, KeyGenerator};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::SeedableRng;

fn ops(c: &mut Criterion) {
    single_thread();
    force_backend(None);
    ops_with(c, "ckks");
    force_backend(Some(Backend::Scalar));
    ops_with(c, "ckks-scalar");
    force_backend(None);
}

/// Every primitive on a fixture built under the current backend choice.
fn ops_with(c: &mut Criterion, label: &str) {
    let f = Fixture::new(&spec_from_env());
    let p = &f.params;
    let log_n = p.n().trailing_zeros();
    let top = p.max_level();
    let id = |op: &str| format!("{label}/{op}/logN={log_n}");
    let mut rng = ChaCha20::seed_from_u64(2);
    let kg = KeyGenerator::new(p);
    let ev = Evaluator::new(p);
    let enc = Encryptor::with_public_key(p, &f.pk).unwrap();
    let dec = Decryptor::new(p, &f.sk).unwrap();
    let pt = f.encoder.encode(&f.values, top, p.default_scale()).unwrap();
    let [a, b] = &f.ct;

    let mut g = c.benchmark_group(format!("{label}-keygen"));
    g.sample_size(10);
    g.bench_function(id("keygen/secret"), |bn| {
        bn.iter(|| kg.secret_key_with_rng(&mut rng))
    });
    g.bench_function(id("keygen/public"), |bn| {
        bn.iter(|| kg.public_key_with_rng(&f.sk, &mut rng).unwrap())
    });
    g.bench_function(id("keygen/relin"), |bn| {
        bn.iter(|| kg.relin_key_with_rng(&f.sk, &mut rng).unwrap())
    });
    let steps = kg.default_steps();
    g.bench_function(id("keygen/galois_all_pow2"), |bn| {
        bn.iter(|| {
            kg.galois_keys_with_rng(&f.sk, &steps, false, &mut rng)
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("{label}-ops"));
    g.sample_size(30);
    g.bench_function(id("encode"), |bn| {
        bn.iter(|| f.encoder.encode(&f.values, top, p.default_scale()).unwrap())
    });
    g.bench_function(id("encrypt_pk"), |bn| {
        bn.iter(|| enc.encrypt_with_rng(&pt, &mut rng).unwrap())
    });
    g.bench_function(id("decrypt_decode"), |bn| {
        bn.iter(|| f.encoder.decode(&dec.decrypt(a).unwrap()).unwrap())
    });
    g.bench_function(id("add"), |bn| bn.iter(|| ev.add(a, b).unwrap()));
    g.bench_function(id("mul_plain"), |bn| {
        bn.iter(|| ev.mul_plain(a, &pt).unwrap())
    });
    g.bench_function(id("mul_relin"), |bn| {
        bn.iter(|| ev.mul_relin(a, b, &f.rk).unwrap())
    });
    g.bench_function(id("relinearize"), |bn| {
        bn.iter_batched(
            || ev.mul(a, b).unwrap(),
            |d| ev.relinearize(&d, &f.rk).unwrap(),
            BatchSize::LargeInput,
        )
    });
    let prod = ev.mul_relin(a, b, &f.rk).unwrap();
    g.bench_function(id("rescale"), |bn| bn.iter(|| ev.rescale(&prod).unwrap()));
    g.bench_function(id("rotate_1"), |bn| {
        bn.iter(|| ev.rotate(a, 1, &f.gk).unwrap())
    });
    let lower = ev.rescale(&prod).unwrap();
    g.bench_function(id("rotate_1_after_rescale"), |bn| {
        bn.iter(|| ev.rotate(&lower, 1, &f.gk).unwrap())
    });
    g.bench_function(id("sum_slots_32"), |bn| {
        bn.iter(|| ev.sum_slots(a, 32, &f.gk).unwrap())
    });
    let w: Vec<f64> = f.values[..30].to_vec();
    g.bench_function(id("inner_product_30"), |bn| {
        bn.iter(|| ev.inner_product(a, &w, &f.gk).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group(format!("{label}-ntt"));
    let q = p.q_primes()[top];
    let plan = NttPlan::new(p.n(), q);
    let bits = 64 - q.leading_zeros();
    // On a cache line, as the library's limbs are.
    let data = AlignedVec::from_slice(&(0..p.n() as u64).map(|i| i * 7919 % q).collect::<Vec<_>>());
    g.bench_function(
        format!("ntt/forward/logN={log_n}/{bits}bit/{:?}", plan.backend()),
        |bn| bn.iter_batched_ref(|| data.clone(), |d| plan.forward(d), BatchSize::SmallInput),
    );
    g.bench_function(
        format!("ntt/inverse/logN={log_n}/{bits}bit/{:?}", plan.backend()),
        |bn| bn.iter_batched_ref(|| data.clone(), |d| plan.inverse(d), BatchSize::SmallInput),
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = ops
}
criterion_main!(benches);
