//! How fast the radix-8 step of the 60-bit forward NTT can run on this CPU,
//! apart from how the compiler schedules it.
//!
//! One step loads eight vectors `stride` words apart, runs three stages of
//! four butterflies on them and stores them back, as the IFMA kernel's
//! radix-8 passes do. Each butterfly here is the compiled one's operations
//! written out by hand: the conditional subtraction, the
//! IFMA quotient estimate, `vpmullq` for `a·w`, the IFMA `est·q` and the
//! two outputs, 18 vector operations (`vpmullq` counts three). Two
//! versions: with the stages chained as in the transform, and with every
//! stage reloading its inputs, so that only the operations' throughput
//! limits it. The floor is 216 `vpaddq` (two per cycle) between the same
//! loads and stores.
//! The values are not a transform's (the twiddle registers hold zeros):
//! only the timing means anything.
//!
//! Run: `cargo run --release -p bench --example butterfly_ceiling [stride]`
//! (stride in words, default 1024: the first pass at N = 8192).

/// One forward butterfly on `zmm$x`, `zmm$y` with temporaries
/// `zmm$t0..$t3`. Constants: `zmm28` = 4q, `zmm29` = w, `zmm30` = s >> 12,
/// `zmm31` = s << 20, `zmm27` = s >> 32, `zmm26` = the mask of bits 20..31,
/// `zmm25` = (q − 1) >> 12.
#[cfg(target_arch = "x86_64")]
#[rustfmt::skip]
macro_rules! bfly {
    ($x:literal, $y:literal, $t0:literal, $t1:literal, $t2:literal, $t3:literal) => {
        concat!(
            // u = x − 4q if x ≥ 4q
            "vpsubq zmm", $t0, ", zmm", $x, ", zmm28\n",
            "vpminuq zmm", $t0, ", zmm", $x, ", zmm", $t0, "\n",
            // est from IFMA: (y >> 32) & mask, two madd52hi, one vpmuludq
            "vpsrlq zmm", $t1, ", zmm", $y, ", 32\n",
            "vpandq zmm", $t1, ", zmm", $t1, ", zmm26\n",
            "vpxord zmm", $t2, ", zmm", $t2, ", zmm", $t2, "\n",
            "vpmadd52huq zmm", $t2, ", zmm", $y, ", zmm30\n",
            "vpmadd52huq zmm", $t2, ", zmm", $t1, ", zmm31\n",
            "vpmuludq zmm", $t3, ", zmm", $t1, ", zmm27\n",
            "vpaddq zmm", $t2, ", zmm", $t2, ", zmm", $t3, "\n",
            // v = y·w − est − 2^12·(est·k mod 2^52)
            "vpmullq zmm", $t3, ", zmm", $y, ", zmm29\n",
            "vpxord zmm", $t1, ", zmm", $t1, ", zmm", $t1, "\n",
            "vpmadd52luq zmm", $t1, ", zmm", $t2, ", zmm25\n",
            "vpsubq zmm", $t3, ", zmm", $t3, ", zmm", $t2, "\n",
            "vpsllq zmm", $t1, ", zmm", $t1, ", 12\n",
            "vpsubq zmm", $t3, ", zmm", $t3, ", zmm", $t1, "\n",
            // (u + v, u + 4q − v)
            "vpaddq zmm", $x, ", zmm", $t0, ", zmm", $t3, "\n",
            "vpaddq zmm", $t0, ", zmm", $t0, ", zmm28\n",
            "vpsubq zmm", $y, ", zmm", $t0, ", zmm", $t3, "\n",
        )
    };
}

/// Four butterflies of one stage on the pairs given, each with its own
/// temporaries.
#[cfg(target_arch = "x86_64")]
macro_rules! stage {
    ($a:literal $b:literal, $c:literal $d:literal, $e:literal $f:literal, $g:literal $h:literal) => {
        concat!(
            bfly!($a, $b, "8", "9", "10", "11"),
            bfly!($c, $d, "12", "13", "14", "15"),
            bfly!($e, $f, "16", "17", "18", "19"),
            bfly!($g, $h, "20", "21", "22", "23"),
        )
    };
}

/// `zmm0..zmm7` from the eight rows at `p`, `p4 = p + 4·stride`.
#[cfg(target_arch = "x86_64")]
macro_rules! load8 {
    () => {
        concat!(
            "vmovdqu64 zmm0, [{p}]\n",
            "vmovdqu64 zmm1, [{p} + {s}]\n",
            "vmovdqu64 zmm2, [{p} + {s}*2]\n",
            "vmovdqu64 zmm3, [{p} + {s3}]\n",
            "vmovdqu64 zmm4, [{p4}]\n",
            "vmovdqu64 zmm5, [{p4} + {s}]\n",
            "vmovdqu64 zmm6, [{p4} + {s}*2]\n",
            "vmovdqu64 zmm7, [{p4} + {s3}]\n",
        )
    };
}

#[cfg(target_arch = "x86_64")]
macro_rules! store8 {
    () => {
        concat!(
            "vmovdqu64 [{p}], zmm0\n",
            "vmovdqu64 [{p} + {s}], zmm1\n",
            "vmovdqu64 [{p} + {s}*2], zmm2\n",
            "vmovdqu64 [{p} + {s3}], zmm3\n",
            "vmovdqu64 [{p4}], zmm4\n",
            "vmovdqu64 [{p4} + {s}], zmm5\n",
            "vmovdqu64 [{p4} + {s}*2], zmm6\n",
            "vmovdqu64 [{p4} + {s3}], zmm7\n",
        )
    };
}

/// Runs `body` (between the loop label and the pointer step) 100,000
/// times over eight rows of `stride` words, walking 64 bytes per step and
/// wrapping at the end of a row; nanoseconds per step.
#[cfg(target_arch = "x86_64")]
macro_rules! time_steps {
    ($buf:expr, $stride:expr, $body:expr) => {{
        let stride_bytes = $stride * 8;
        let base = $buf.as_mut_ptr() as usize;
        let steps = 100_000u64;
        let t = std::time::Instant::now();
        // SAFETY: every address is in `buf` (eight rows of `stride`
        // words, the row pointer wraps before leaving the first row);
        // the registers written are declared; run only after the
        // feature check in `main`.
        unsafe {
            std::arch::asm!(
                "vpxord zmm25, zmm25, zmm25",
                "vpxord zmm26, zmm26, zmm26",
                "vpxord zmm27, zmm27, zmm27",
                "vpxord zmm28, zmm28, zmm28",
                "vpxord zmm29, zmm29, zmm29",
                "vpxord zmm30, zmm30, zmm30",
                "vpxord zmm31, zmm31, zmm31",
                "2:",
                $body,
                "add {p}, 64",
                "add {p4}, 64",
                "cmp {p}, {end}",
                "cmovae {p}, {base}",
                "cmovae {p4}, {base4}",
                "dec {n}",
                "jnz 2b",
                n = inout(reg) steps => _,
                p = inout(reg) base => _,
                p4 = inout(reg) base + 4 * stride_bytes => _,
                base = in(reg) base,
                base4 = in(reg) base + 4 * stride_bytes,
                end = in(reg) base + stride_bytes,
                s = in(reg) stride_bytes,
                s3 = in(reg) 3 * stride_bytes,
                out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                out("zmm25") _, out("zmm26") _, out("zmm27") _, out("zmm28") _,
                out("zmm29") _, out("zmm30") _, out("zmm31") _,
                options(nostack),
            );
        }
        t.elapsed().as_secs_f64() * 1e9 / steps as f64
    }};
}

/// 12 `vpaddq` writing `zmm8..zmm19` in turn (no dependencies).
#[cfg(target_arch = "x86_64")]
macro_rules! adds12 {
    () => {
        concat!(
            "vpaddq zmm8, zmm28, zmm29\n",
            "vpaddq zmm9, zmm28, zmm29\n",
            "vpaddq zmm10, zmm28, zmm29\n",
            "vpaddq zmm11, zmm28, zmm29\n",
            "vpaddq zmm12, zmm28, zmm29\n",
            "vpaddq zmm13, zmm28, zmm29\n",
            "vpaddq zmm14, zmm28, zmm29\n",
            "vpaddq zmm15, zmm28, zmm29\n",
            "vpaddq zmm16, zmm28, zmm29\n",
            "vpaddq zmm17, zmm28, zmm29\n",
            "vpaddq zmm18, zmm28, zmm29\n",
            "vpaddq zmm19, zmm28, zmm29\n",
        )
    };
}

/// 36 `vpaddq`, as many as one stage of four butterflies issues.
#[cfg(target_arch = "x86_64")]
macro_rules! adds36 {
    () => {
        concat!(adds12!(), adds12!(), adds12!())
    };
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        if !(is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512ifma"))
        {
            println!("this CPU lacks AVX-512 F/DQ/IFMA: nothing to measure");
            return;
        }
        let stride: usize = match std::env::args().nth(1) {
            None => 1024,
            Some(s) => match s.parse() {
                Ok(v) if v >= 8 => v,
                _ => {
                    eprintln!("butterfly_ceiling: stride {s:?} is not a number of words ≥ 8");
                    std::process::exit(2);
                }
            },
        };
        let mut buf = vec![1u64; 8 * stride];
        // Best of 60 rounds, the three timed in turn in each round, so
        // that a busy spell on this shared machine hits all three.
        let (mut floor, mut chained, mut unchained) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..60 {
            floor = floor.min(time_steps!(
                buf,
                stride,
                concat!(
                    load8!(),
                    adds36!(),
                    adds36!(),
                    adds36!(),
                    adds36!(),
                    adds36!(),
                    adds36!(),
                    store8!(),
                )
            ));
            chained = chained.min(time_steps!(
                buf,
                stride,
                concat!(
                    load8!(),
                    stage!("0" "4", "1" "5", "2" "6", "3" "7"),
                    stage!("0" "2", "1" "3", "4" "6", "5" "7"),
                    stage!("0" "1", "2" "3", "4" "5", "6" "7"),
                    store8!(),
                )
            ));
            unchained = unchained.min(time_steps!(
                buf,
                stride,
                concat!(
                    load8!(),
                    stage!("0" "4", "1" "5", "2" "6", "3" "7"),
                    load8!(),
                    stage!("0" "2", "1" "3", "4" "6", "5" "7"),
                    load8!(),
                    stage!("0" "1", "2" "3", "4" "5", "6" "7"),
                    store8!(),
                )
            ));
        }
        std::hint::black_box(&buf);
        println!("radix-8 step (12 butterflies, 216 vector operations), rows {stride} words apart");
        println!("{:<34} {:>8} {:>10}", "", "ns/step", "of floor");
        for (name, ns) in [
            ("216 vpaddq, same loads and stores", floor),
            ("stages chained, as in the NTT", chained),
            ("stages independent", unchained),
        ] {
            println!("{name:<34} {ns:>8.2} {:>9.0}%", 100.0 * floor / ns);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("x86-64 only: nothing to measure");
}
