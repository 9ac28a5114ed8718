//! Times the steps of one batched inference at the `seed` preset, one
//! thread: encryption at level 1, ct×pt + rescale, a rotation at level 0,
//! decryption. `perf record -g target/release/examples/profile_infer 400 rotate`
//! profiles one step (encode, encrypt, mulrescale, rotate, decrypt).

use bench::{single_thread, Fixture};
use ckks::{Decryptor, Encoder, Encryptor, Evaluator, ParamsSpec};

fn per_call(reps: usize, mut f: impl FnMut()) -> f64 {
    let t = std::time::Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / reps as f64
}

fn main() {
    single_thread();
    let f = Fixture::new(&ParamsSpec::seed());
    let ev = Evaluator::new(&f.params);
    let enc = Encoder::new(&f.params);
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let only = std::env::args().nth(2);
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let scale = f.params.default_scale();
    let x: Vec<f64> = (0..f.params.slots())
        .map(|i| (i % 7) as f64 * 0.1)
        .collect();
    let sym = Encryptor::with_secret_key(&f.params, &f.sk).expect("encryptor");
    let pt1 = enc.encode(&x, 1, scale).expect("encode");
    let ct1 = sym.encrypt_seeded(&pt1).expect("encrypt").expand(&f.params);
    let ct0 = ev.rescale(&ct1).expect("rescale");
    let dec = Decryptor::new(&f.params, &f.sk).expect("decryptor");
    if run("encode") {
        let us = per_call(reps, || {
            std::hint::black_box(enc.encode(&x, 1, scale).expect("encode"));
        });
        println!("encode at level 1      {us:8.1} µs");
    }
    if run("encrypt") {
        let us = per_call(reps, || {
            std::hint::black_box(sym.encrypt_seeded(&pt1).expect("encrypt"));
        });
        println!("encrypt seeded, lvl 1  {us:8.1} µs");
    }
    if run("mulrescale") {
        let us = per_call(reps, || {
            std::hint::black_box(
                ev.rescale(&ev.mul_plain(&ct1, &pt1).expect("mul"))
                    .expect("rs"),
            );
        });
        println!("ct×pt + rescale        {us:8.1} µs");
    }
    if run("rotate") {
        let us = per_call(reps, || {
            std::hint::black_box(ev.rotate(&ct0, 1, &f.gk).expect("rotate"));
        });
        println!("rotate at level 0      {us:8.1} µs");
    }
    if run("decrypt") {
        let us = per_call(reps, || {
            std::hint::black_box(
                enc.decode_real(&dec.decrypt(&ct0).expect("dec"))
                    .expect("decode"),
            );
        });
        println!("decrypt+decode, lvl 0  {us:8.1} µs");
    }
}
