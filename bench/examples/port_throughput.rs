//! Throughput of the 512-bit instructions the NTT butterflies are made of,
//! alone and interleaved in pairs. Times are per instruction, as multiples
//! of `vpaddq`'s (which issues on both vector ports, two per cycle, so its
//! time is half a cycle). Two instructions that each issue on one port only
//! (2× alone) use different ports if their pair runs at 1×, the same port
//! if it stays at 2×.
//! Run: `cargo run --release -p bench --example port_throughput` on a CPU
//! with AVX-512 IFMA.

#[cfg(target_arch = "x86_64")]
macro_rules! pair_ns {
    ($a:literal, $b:literal) => {{
        let iters = 20_000_000u64;
        let t = std::time::Instant::now();
        // SAFETY: register-only instructions on zmm registers the block
        // declares as clobbered; run only after the feature check in `main`.
        unsafe {
            std::arch::asm!(
                "2:",
                concat!($a, " zmm0, zmm8, zmm9"),
                concat!($b, " zmm1, zmm8, zmm9"),
                concat!($a, " zmm2, zmm8, zmm9"),
                concat!($b, " zmm3, zmm8, zmm9"),
                concat!($a, " zmm4, zmm8, zmm9"),
                concat!($b, " zmm5, zmm8, zmm9"),
                concat!($a, " zmm6, zmm8, zmm9"),
                concat!($b, " zmm7, zmm8, zmm9"),
                concat!($a, " zmm10, zmm8, zmm9"),
                concat!($b, " zmm11, zmm8, zmm9"),
                concat!($a, " zmm12, zmm8, zmm9"),
                concat!($b, " zmm13, zmm8, zmm9"),
                "dec {n}",
                "jnz 2b",
                n = inout(reg) iters => _,
                out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                out("zmm10") _, out("zmm11") _, out("zmm12") _, out("zmm13") _,
                options(nostack),
            );
        }
        t.elapsed().as_secs_f64() * 1e9 / (iters as f64 * 12.0)
    }};
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        if !(is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512ifma"))
        {
            println!("this CPU lacks AVX-512 F/DQ/BW/IFMA: nothing to measure");
            return;
        }
        let add = pair_ns!("vpaddq", "vpaddq");
        let rows = [
            ("vpaddq", add),
            ("vpmuludq", pair_ns!("vpmuludq", "vpmuludq")),
            ("vpmadd52luq", pair_ns!("vpmadd52luq", "vpmadd52luq")),
            ("vpmullq", pair_ns!("vpmullq", "vpmullq")),
            ("vpshufb", pair_ns!("vpshufb", "vpshufb")),
            ("vpminuq", pair_ns!("vpminuq", "vpminuq")),
            ("vpsrlvq", pair_ns!("vpsrlvq", "vpsrlvq")),
            ("vpmuludq + vpshufb", pair_ns!("vpmuludq", "vpshufb")),
            ("vpminuq + vpshufb", pair_ns!("vpminuq", "vpshufb")),
            ("vpminuq + vpsrlvq", pair_ns!("vpminuq", "vpsrlvq")),
            ("vpsrlvq + vpshufb", pair_ns!("vpsrlvq", "vpshufb")),
            ("vpermt2q", pair_ns!("vpermt2q", "vpermt2q")),
            ("vpminuq + vpermt2q", pair_ns!("vpminuq", "vpermt2q")),
        ];
        println!(
            "{:<22} {:>10} {:>14}",
            "instructions", "ns each", "× vpaddq"
        );
        for (name, ns) in rows {
            println!("{name:<22} {ns:>10.3} {:>14.2}", ns / add);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("x86-64 only: nothing to measure");
}
