//! The forward small-gap pass of the `wide` kernel (64-bit lanes with IFMA
//! products, [`super::Kernel::Wide`]: the 51- to 61-bit primes) written as
//! assembly, with the final reduction by a table of multiples of `q`.
//!
//! The pass is the compiled one's (`fwd_small_gaps` in `ntt_kernels!`):
//! four blocks of 16 coefficients per iteration, each in two vectors; the
//! stage with gap 8 pairs the two vectors, and the stages with gaps 4, 2, 1
//! first move the pairs into their lanes with two `vpermi2q` per block
//! (`super::layout_positions`); a last move restores the natural order.
//! Compiled, the loop spent part of the two vector ports' time on what
//! surrounds the butterflies: bounds checks and pointer arithmetic on
//! general registers (which share those ports), the broadcast of the
//! gap-8 twiddles from general registers, and reloads of values spilled to
//! the stack. Here every twiddle is read from the tables where the
//! butterfly uses it, the index vectors are loaded where a move needs them,
//! and the loop keeps nothing on the stack.
//!
//! **Final reduction.** The outputs are below `16q` (below `8q` when every
//! stage reduces), and four conditional subtractions (`8q`, `4q`, `2q`,
//! `q`, two operations each) bring them to `[0, q)` in the compiled pass.
//! Here, with `b` the bit length of `q` (`2^{b−1} < q < 2^b`), the top bits
//! `j = ⌊x/2^b⌋ < 16` pick `T[j] = ⌊j·2^b/q⌋·q` from a table of sixteen
//! words held in two registers (one `vpermi2q`). `T[j] ≤ j·2^b ≤ x`, and
//! `x − T[j] < (j + 1)·2^b − (j·2^b/q − 1)·q = 2^b + q < 3q`, so two
//! conditional subtractions (`2q`, `q`) finish: seven operations instead of
//! eight, one of them on the shuffle port instead of two unsigned minima.
//! The result is the same word in `[0, q)`.
//!
//! Registers: the blocks live in `zmm0..15`, block `c` in the pair
//! `(4c, 4c + 1)` or `(4c + 2, 4c + 3)`: a move writes the other pair
//! (`vpermi2q` overwrites its index vector, loaded there first).
//! `zmm16..21` and `zmm22..27` are two sets of temporaries for the
//! butterflies of alternate blocks; `zmm28` holds the mask of bits
//! 20..31, `zmm29` `K·q` (`4q`), `zmm30` `(q − 1)/2^12`, `zmm31` the first
//! half of the final table. The other constants are broadcast operands
//! from [`Constants`].

use std::arch::asm;
use std::arch::x86_64::*;

/// What the pass reads besides the data and the twiddle tables, built with
/// the plan.
///
/// Byte offsets: `0` the mask of bits 20..31, `8` what a reducing stage
/// subtracts (`super::reducer`), `16` `2q`, `24` `q`, `32` the bit length
/// `b` of `q`; `64` the final table `T[0..16]`; `192` the index vectors of
/// the four moves (`super::SmallGapIndices::fwd`), two per move, 64 bytes
/// each.
#[repr(C, align(64))]
#[derive(Clone, Debug)]
pub(super) struct Constants {
    head: [u64; 8],
    table: [u64; 16],
    idx: [[i64; 8]; 8],
}

impl Constants {
    /// The constants for prime `q` (51 to 61 bits) whose pass subtracts
    /// `red` in its reducing stages, with the forward chain of moves.
    pub(super) fn new(q: u64, red: u64, chain: &[([i64; 8], [i64; 8]); 4]) -> Self {
        let b = 64 - q.leading_zeros();
        // Entries past ⌊(2^64 − 1)/2^b⌋ are never read (x < 2^64); zero.
        let table = std::array::from_fn(|j| {
            let top = (j as u128) << b;
            if top >> 64 == 0 {
                (top / u128::from(q) * u128::from(q)) as u64
            } else {
                0
            }
        });
        let mut idx = [[0; 8]; 8];
        for (k, (a, c)) in chain.iter().enumerate() {
            idx[2 * k] = *a;
            idx[2 * k + 1] = *c;
        }
        Self {
            head: [0xfff0_0000, red, 2 * q, q, u64::from(b), 0, 0, 0],
            table,
            idx,
        }
    }

    /// What a reducing stage subtracts.
    pub(super) fn red(&self) -> u64 {
        self.head[1]
    }
}

/// `zmm$r ← y·w − est·q ∈ [0, 4q)` for `y` in `zmm$y` and the twiddle given
/// by its operands `$w` (`w`), `$top` (`s >> 12`), `$lo` (`s << 20`) and
/// register `zmm$shi` (`s >> 32`), with temporaries `zmm$b`, `zmm$c`
/// (`mul_shoup64_ifma`, the quotient's `vpmuludq` term as the accumulator of
/// the first `madd52hi`, as in `radix8`).
#[rustfmt::skip]
macro_rules! product {
    ($r:literal, $y:literal, $w:expr, $top:expr, $lo:expr, $shi:literal, $b:literal, $c:literal) => {
        concat!(
            "vpsrlq zmm", $b, ", zmm", $y, ", 32\n",
            "vpandq zmm", $b, ", zmm", $b, ", zmm28\n",
            "vpmuludq zmm", $c, ", zmm", $b, ", zmm", $shi, "\n",
            "vpmadd52huq zmm", $c, ", zmm", $y, ", ", $top, "\n",
            "vpmadd52huq zmm", $c, ", zmm", $b, ", ", $lo, "\n",
            "vpmullq zmm", $r, ", zmm", $y, ", ", $w, "\n",
            "vpxord zmm", $b, ", zmm", $b, ", zmm", $b, "\n",
            "vpmadd52luq zmm", $b, ", zmm", $c, ", zmm30\n",
            "vpsubq zmm", $r, ", zmm", $r, ", zmm", $c, "\n",
            "vpsllq zmm", $b, ", zmm", $b, ", 12\n",
            "vpsubq zmm", $r, ", zmm", $r, ", zmm", $b, "\n",
        )
    };
}

/// Forward butterfly on `zmm$x`, `zmm$y`: `x` first reduced (`reduce`) or
/// not (`keep`), then `(x + v, x + 4q − v)` for `v = y·w mod q` computed in
/// `zmm$r` ([`product!`]).
#[rustfmt::skip]
macro_rules! butterfly {
    (keep, $x:literal, $y:literal, $r:literal, $w:expr, $top:expr, $lo:expr, $shi:literal, $b:literal, $c:literal) => {
        concat!(
            product!($r, $y, $w, $top, $lo, $shi, $b, $c),
            "vpaddq zmm", $y, ", zmm", $x, ", zmm29\n",
            "vpaddq zmm", $x, ", zmm", $x, ", zmm", $r, "\n",
            "vpsubq zmm", $y, ", zmm", $y, ", zmm", $r, "\n",
        )
    };
    (reduce, $x:literal, $y:literal, $r:literal, $w:expr, $top:expr, $lo:expr, $shi:literal, $b:literal, $c:literal) => {
        concat!(
            "vpsubq zmm", $b, ", zmm", $x, ", qword ptr [{c} + 8]{{1to8}}\n",
            "vpminuq zmm", $x, ", zmm", $x, ", zmm", $b, "\n",
            butterfly!(keep, $x, $y, $r, $w, $top, $lo, $shi, $b, $c),
        )
    };
}

/// One block's butterfly of stage `$s` (0..3) on `zmm$x`, `zmm$y`, with
/// the twiddle `$o` bytes past the stage's pointer and the temporaries
/// `[w top lo shi b c]`. The stage with gap 8 has one twiddle per block,
/// read as broadcast operands; gaps 4 and 2 have two and four, repeated
/// over the lanes by broadcast loads; gap 1 has eight, read as plain
/// operands. `s >> 32` is one shift of `s >> 12`.
#[rustfmt::skip]
macro_rules! stage_bfly {
    (0, $f:tt, $x:literal, $y:literal, $o:literal, [$w:literal $t:literal $l:literal $h:literal $b:literal $c:literal]) => {
        concat!(
            "vpsrlq zmm", $h, ", qword ptr [{w0} + {dt} + ", $o, "]{{1to8}}, 20\n",
            butterfly!($f, $x, $y, $w,
                concat!("qword ptr [{w0} + ", $o, "]{{1to8}}"),
                concat!("qword ptr [{w0} + {dt} + ", $o, "]{{1to8}}"),
                concat!("qword ptr [{w0} + {dl} + ", $o, "]{{1to8}}"),
                $h, $b, $c),
        )
    };
    (1, $f:tt, $x:literal, $y:literal, $o:literal, [$w:literal $t:literal $l:literal $h:literal $b:literal $c:literal]) => {
        concat!(
            "vbroadcasti32x4 zmm", $w, ", xmmword ptr [{w1} + ", $o, "]\n",
            "vbroadcasti32x4 zmm", $t, ", xmmword ptr [{w1} + {dt} + ", $o, "]\n",
            "vbroadcasti32x4 zmm", $l, ", xmmword ptr [{w1} + {dl} + ", $o, "]\n",
            "vpsrlq zmm", $h, ", zmm", $t, ", 20\n",
            butterfly!($f, $x, $y, $w, concat!("zmm", $w), concat!("zmm", $t), concat!("zmm", $l),
                $h, $b, $c),
        )
    };
    (2, $f:tt, $x:literal, $y:literal, $o:literal, [$w:literal $t:literal $l:literal $h:literal $b:literal $c:literal]) => {
        concat!(
            "vbroadcasti64x4 zmm", $w, ", ymmword ptr [{w2} + ", $o, "]\n",
            "vbroadcasti64x4 zmm", $t, ", ymmword ptr [{w2} + {dt} + ", $o, "]\n",
            "vbroadcasti64x4 zmm", $l, ", ymmword ptr [{w2} + {dl} + ", $o, "]\n",
            "vpsrlq zmm", $h, ", zmm", $t, ", 20\n",
            butterfly!($f, $x, $y, $w, concat!("zmm", $w), concat!("zmm", $t), concat!("zmm", $l),
                $h, $b, $c),
        )
    };
    (3, $f:tt, $x:literal, $y:literal, $o:literal, [$w:literal $t:literal $l:literal $h:literal $b:literal $c:literal]) => {
        concat!(
            "vpsrlq zmm", $h, ", zmmword ptr [{w3} + {dt} + ", $o, "], 20\n",
            butterfly!($f, $x, $y, $w,
                concat!("zmmword ptr [{w3} + ", $o, "]"),
                concat!("zmmword ptr [{w3} + {dt} + ", $o, "]"),
                concat!("zmmword ptr [{w3} + {dl} + ", $o, "]"),
                $h, $b, $c),
        )
    };
}

/// Moves the block in `zmm$x`, `zmm$y` to the next layout, into `zmm$u`,
/// `zmm$v`, by the index vectors at bytes `$i` and `$i + 64` of the
/// constants.
#[rustfmt::skip]
macro_rules! relayout {
    ($x:literal, $y:literal, $u:literal, $v:literal, $i:literal) => {
        concat!(
            "vmovdqa64 zmm", $u, ", zmmword ptr [{c} + ", $i, "]\n",
            "vpermi2q zmm", $u, ", zmm", $x, ", zmm", $y, "\n",
            "vmovdqa64 zmm", $v, ", zmmword ptr [{c} + ", $i, " + 64]\n",
            "vpermi2q zmm", $v, ", zmm", $x, ", zmm", $y, "\n",
        )
    };
}

/// Stage `$s` of the four blocks, from the pairs starting at `$x0..$x3` to
/// those at `$u0..$u3`, the blocks' twiddles at bytes `$o0..$o3` past the
/// stage's pointer, index vectors at `$i`: blocks 0 and 1 (temporaries of
/// set one, then two), their moves, then blocks 2 and 3.
#[rustfmt::skip]
macro_rules! stage {
    ($s:tt, $f:tt, [$o0:literal $o1:literal $o2:literal $o3:literal], $i:literal,
     [$x0:literal $y0:literal, $x1:literal $y1:literal, $x2:literal $y2:literal, $x3:literal $y3:literal],
     [$u0:literal $v0:literal, $u1:literal $v1:literal, $u2:literal $v2:literal, $u3:literal $v3:literal]) => {
        concat!(
            stage_bfly!($s, $f, $x0, $y0, $o0, ["16" "17" "18" "19" "20" "21"]),
            stage_bfly!($s, $f, $x1, $y1, $o1, ["22" "23" "24" "25" "26" "27"]),
            relayout!($x0, $y0, $u0, $v0, $i),
            relayout!($x1, $y1, $u1, $v1, $i),
            stage_bfly!($s, $f, $x2, $y2, $o2, ["16" "17" "18" "19" "20" "21"]),
            stage_bfly!($s, $f, $x3, $y3, $o3, ["22" "23" "24" "25" "26" "27"]),
            relayout!($x2, $y2, $u2, $v2, $i),
            relayout!($x3, $y3, $u3, $v3, $i),
        )
    };
}

/// The final reduction of `zmm$x` (temporary `zmm$b`) and its store at
/// byte `$o` of the iteration's 64 coefficients.
#[rustfmt::skip]
macro_rules! finish {
    ($x:literal, $b:literal, $o:literal) => {
        concat!(
            "vpsrlvq zmm", $b, ", zmm", $x, ", qword ptr [{c} + 32]{{1to8}}\n",
            "vpermi2q zmm", $b, ", zmm31, zmmword ptr [{c} + 128]\n",
            "vpsubq zmm", $x, ", zmm", $x, ", zmm", $b, "\n",
            "vpsubq zmm", $b, ", zmm", $x, ", qword ptr [{c} + 16]{{1to8}}\n",
            "vpminuq zmm", $x, ", zmm", $x, ", zmm", $b, "\n",
            "vpsubq zmm", $b, ", zmm", $x, ", qword ptr [{c} + 24]{{1to8}}\n",
            "vpminuq zmm", $x, ", zmm", $x, ", zmm", $b, "\n",
            "vmovdqu64 zmmword ptr [{p} + ", $o, "], zmm", $x, "\n",
        )
    };
}

/// The loop over groups of four blocks, each stage reducing (`reduce`) or
/// not (`keep`) as `$f0..$f3` say.
#[rustfmt::skip]
macro_rules! pass {
    ($f0:tt, $f1:tt, $f2:tt, $f3:tt, $p:expr, $n:expr, $w:expr, $dt:expr, $dl:expr, $c:expr,
     $kq:expr, $k:expr) => {
        asm!(
            "vmovdqa64 zmm31, zmmword ptr [{c} + 64]",
            "2:",
            "vmovdqu64 zmm0, zmmword ptr [{p}]",
            "vmovdqu64 zmm1, zmmword ptr [{p} + 64]",
            "vmovdqu64 zmm4, zmmword ptr [{p} + 128]",
            "vmovdqu64 zmm5, zmmword ptr [{p} + 192]",
            "vmovdqu64 zmm8, zmmword ptr [{p} + 256]",
            "vmovdqu64 zmm9, zmmword ptr [{p} + 320]",
            "vmovdqu64 zmm12, zmmword ptr [{p} + 384]",
            "vmovdqu64 zmm13, zmmword ptr [{p} + 448]",
            stage!(0, $f0, ["0" "8" "16" "24"], "192", ["0" "1", "4" "5", "8" "9", "12" "13"],
                   ["2" "3", "6" "7", "10" "11", "14" "15"]),
            stage!(1, $f1, ["0" "16" "32" "48"], "320", ["2" "3", "6" "7", "10" "11", "14" "15"],
                   ["0" "1", "4" "5", "8" "9", "12" "13"]),
            stage!(2, $f2, ["0" "32" "64" "96"], "448", ["0" "1", "4" "5", "8" "9", "12" "13"],
                   ["2" "3", "6" "7", "10" "11", "14" "15"]),
            stage!(3, $f3, ["0" "64" "128" "192"], "576", ["2" "3", "6" "7", "10" "11", "14" "15"],
                   ["0" "1", "4" "5", "8" "9", "12" "13"]),
            finish!("0", "20", "0"),
            finish!("1", "26", "64"),
            finish!("4", "20", "128"),
            finish!("5", "26", "192"),
            finish!("8", "20", "256"),
            finish!("9", "26", "320"),
            finish!("12", "20", "384"),
            finish!("13", "26", "448"),
            "add {p}, 512",
            "add {w0}, 32",
            "add {w1}, 64",
            "add {w2}, 128",
            "add {w3}, 256",
            "dec {n}",
            "jnz 2b",
            p = inout(reg) $p => _,
            n = inout(reg) $n => _,
            w0 = inout(reg) $w[0] => _,
            w1 = inout(reg) $w[1] => _,
            w2 = inout(reg) $w[2] => _,
            w3 = inout(reg) $w[3] => _,
            dt = in(reg) $dt,
            dl = in(reg) $dl,
            c = in(reg) $c,
            in("zmm28") _mm512_set1_epi64(0xfff0_0000),
            in("zmm29") $kq,
            in("zmm30") $k,
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
            out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
            out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
            out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
            out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
            out("zmm31") _,
            options(nostack),
        )
    };
}

/// The forward stages with gaps 8, 4, 2, 1 and the final reduction, in
/// place, on the `16·blocks` words at `a`, the transform's first blocks
/// (`a` is the start of the array). `w`, `top` and `lo` are the split
/// forward tables (`super::Table`), `N` words each; `LZ` says which stages
/// reduce their `x` inputs by `c.red()` (`super::Schedule::pass_code`).
/// `kq` is `4q`.
///
/// # Safety
/// The CPU has AVX-512F, DQ, BW and IFMA; `a` is valid for `16·blocks`
/// words, `blocks` is a positive multiple of 4 and at most `N/16`; `c`
/// was built for this prime, the `LZ` of this pass and the forward chain;
/// `LZ ≠ 1`; the values are in the forward transform's range for the
/// schedule.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
#[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
pub(super) unsafe fn forward<const LZ: u8>(
    a: *mut u64,
    blocks: usize,
    w: &[u64],
    top: &[u64],
    lo: &[u64],
    c: &Constants,
    q: __m512i,
    kq: __m512i,
) {
    let n = w.len();
    debug_assert!(top.len() == n && lo.len() == n && n.is_power_of_two() && n >= 64);
    debug_assert!(blocks > 0 && blocks.is_multiple_of(4) && blocks <= n / 16);
    debug_assert!(LZ != 1);
    let k = _mm512_srli_epi64::<12>(_mm512_sub_epi64(q, _mm512_set1_epi64(1)));
    // Stage s of block g reads D = 2^s twiddles from index N·D/16 + g·D.
    let base = w.as_ptr();
    // SAFETY: N·D/16 ≤ N/2 for D ≤ 8: pointers inside the table.
    let stage = unsafe {
        [
            base.add(n / 16),
            base.add(n / 8),
            base.add(n / 4),
            base.add(n / 2),
        ]
    };
    // The other tables are reached from `w` by a fixed byte distance (an
    // address computation inside the assembly, never a Rust pointer).
    let dt = (top.as_ptr() as usize).wrapping_sub(base as usize);
    let dl = (lo.as_ptr() as usize).wrapping_sub(base as usize);
    let iterations = blocks / 4;
    // SAFETY: the caller guarantees the CPU features and the extent of
    // `a`; iteration i reads and writes words 64i..64i + 64 of `a` and, for
    // stage s (D = 2^s twiddles per block), words N·D/16 + 4D·i ..
    // N·D/16 + 4D·(i + 1) of each table, inside them since
    // 4D·(i + 1) ≤ D·blocks ≤ N·D/16. The constants are 88 words and the
    // loop reads bytes 0..704 of them.
    unsafe {
        match LZ {
            0 => pass!(reduce, reduce, reduce, reduce, a, iterations, stage, dt, dl, c, kq, k),
            2 => pass!(keep, reduce, keep, reduce, a, iterations, stage, dt, dl, c, kq, k),
            _ => pass!(reduce, keep, reduce, keep, a, iterations, stage, dt, dl, c, kq, k),
        }
    }
}
