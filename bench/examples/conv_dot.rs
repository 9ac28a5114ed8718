//! Times the dot product of a basis conversion from two source primes into
//! one target (`Kernels::dot_scalar_reduce_to` and `dot_scalar_to`) at
//! `N = 16384`, on a 40-bit and a 52-bit target, with the terms' bounds
//! tight (each source word reduced only as far as it must be) and loose
//! (every word reduced): `cargo run --release -p bench --example conv_dot`.
//! Three rounds; compare lines within one run.

use ckks::math::kernels::Kernels;
use ckks::math::modulus::Modulus;
use ckks::math::primes::ntt_primes_below;

fn main() {
    let n = 16384;
    let reps = 3000;
    let t40 = ntt_primes_below(40, n, 1, &[])[0];
    let t52 = ntt_primes_below(52, n, 1, &[])[0];
    // Words of a 54-bit and a 39-bit source, and rounded quotients below 3.
    let y54: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % (1 << 54))
        .collect();
    let y39: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x2545_f491_4f6c_dd1d) % (1 << 39))
        .collect();
    let u: Vec<u64> = (0..n as u64).map(|i| i % 3).collect();
    let mut out = vec![0u64; n];
    let time = |label: &str, f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        for _ in 0..reps {
            f();
        }
        println!(
            "{label}: {:.2} µs",
            t.elapsed().as_secs_f64() * 1e6 / reps as f64
        );
    };
    for round in 1..=3 {
        println!("round {round}");
        for (bits, q) in [(40, t40), (52, t52)] {
            let m = Modulus::new(q);
            let k = Kernels::best(&m);
            let c = [q - 3, q / 3, q - 1];
            let y = [&y54[..], &y39[..], &u[..]];
            let tight = [1u64 << 54, 1 << 39, 3];
            let loose = [1u64 << 61; 3];
            time(
                &format!("  {bits}-bit target, 54+39-bit sources, tight bounds"),
                &mut || k.dot_scalar_reduce_to(&mut out, &y, &c, &tight),
            );
            time(
                &format!("  {bits}-bit target, 54+39-bit sources, loose bounds"),
                &mut || k.dot_scalar_reduce_to(&mut out, &y, &c, &loose),
            );
        }
        let m = Modulus::new(t52);
        let k = Kernels::best(&m);
        let y = [&y39[..], &y39[..], &u[..]];
        time(
            "  52-bit target, 39+39-bit sources, dot_scalar_to",
            &mut || k.dot_scalar_to(&mut out, &y, &[3, 5, 7]),
        );
    }
}
