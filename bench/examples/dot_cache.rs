//! The key-switching inner product (`Kernels::dot_to`: three digits against
//! three key limbs, as on one target limb of a `seed` key switch) at
//! `N = 8192` on a 40-bit and a 60-bit prime, with the key limbs read from
//! the cache (the same 192 KiB every call) and streamed (each call reads
//! the next 192 KiB of a 48 MiB region, as a rotation reads a key that
//! other work has evicted). The digits stay in the cache in both.
//! `cargo run --release -p bench --example dot_cache`; three rounds,
//! compare lines within one run.

use ckks::math::kernels::Kernels;
use ckks::math::modulus::Modulus;
use ckks::math::primes::ntt_primes_below;

fn main() {
    let n = 8192;
    let reps = 4000;
    // 256 sets of three key limbs: 48 MiB, well beyond the second-level
    // cache.
    let sets = 256;
    for round in 1..=3 {
        for bits in [40u32, 60] {
            let q = ntt_primes_below(bits, n, 1, &[])[0];
            let m = Modulus::new(q);
            let k = Kernels::best(&m);
            let fill = |seed: u64, len: usize| -> Vec<u64> {
                (0..len as u64)
                    .map(|i| (i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) % q)
                    .collect()
            };
            let digits: Vec<Vec<u64>> = (0..3).map(|j| fill(j, n)).collect();
            let digits: Vec<&[u64]> = digits.iter().map(Vec::as_slice).collect();
            let keys = fill(7, sets * 3 * n);
            let mut out = vec![0u64; n];
            for (label, stride) in [("key in cache", 0), ("key streamed", 1)] {
                let t = std::time::Instant::now();
                for r in 0..reps {
                    let base = (r * stride % sets) * 3 * n;
                    let key: Vec<&[u64]> = keys[base..base + 3 * n].chunks_exact(n).collect();
                    k.dot_to(&mut out, &digits, &key);
                    std::hint::black_box(&mut out);
                }
                println!(
                    "round {round}, {bits}-bit, {label}: {:.2} µs",
                    t.elapsed().as_secs_f64() * 1e6 / reps as f64
                );
            }
        }
    }
}
