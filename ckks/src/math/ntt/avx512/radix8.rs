//! The radix-8 forward passes of the `wide` kernel (64-bit lanes with IFMA
//! products, [`super::Kernel::Wide`]: the 51- to 61-bit primes) written as
//! assembly, with two steps in flight; and its radix-4 passes, with two
//! pairs of steps in flight ([`forward4`]).
//!
//! A step loads eight vectors `span` words apart, runs three stages of four
//! butterflies on them and stores them back; a block of `8·span` words
//! takes `span/8` steps with the same seven twiddles. Compiled from
//! intrinsics (`fwd_pass` in `ntt_kernels!`), each step runs stage after
//! stage, and the chains of dependent products in them leave the two
//! vector ports idle part of the time. Here two steps of a block go through
//! at once, in register sets `A` (`zmm0..7`, the even steps) and `B`
//! (`zmm8..15`, the odd ones), and the butterflies of a stage of one are
//! interleaved one by one with those of a stage of the other, on which
//! they do not depend. Writing `A1` for stage 1 of set `A`: the prologue
//! runs `A1`, `A2 ‖ B1`, `A3 ‖ B2` and stores `A`; each loop iteration
//! loads the next `A`, runs `A1 ‖ B3`, stores `B`, loads the next `B`,
//! runs `A2 ‖ B1`, `A3 ‖ B2` and stores `A`; the epilogue runs the last
//! `B3`.
//!
//! The butterflies are the compiled kernel's (`fwd_bfly` with
//! `mul_shoup64_ifma`), operation for operation, and so are the outputs,
//! bit for bit (`tests/ntt_backends.rs`), with one difference in the
//! quotient estimate (`quotient64_ifma`): its `vpmuludq` term is the
//! accumulator of the first `madd52hi` rather than a separate addition, one
//! operation fewer for the same sum (compiled, that order made the
//! transform slower: a longer chain).
//!
//! Registers: `zmm16..27` are three sets of four temporaries, used in turn
//! by the interleaved butterflies; `zmm28` holds `K·q` (`4q`), `zmm30`
//! `(q − 1)/2^12`, `zmm31` what a reducing
//! stage subtracts (`super::reducer`); `k1`, `k2` the masks of the input
//! map. The twiddles stay in memory ([`Twiddles`]) and are read as
//! broadcast operands.

use std::arch::asm;
use std::arch::x86_64::*;

/// The twiddles of one block, as the assembly reads them: for each of the
/// seven slots of a radix-8 step (as `fwd_pass` numbers them),
/// `[w, s >> 32, s << 20, 0]` at byte offset `32·slot`; then, for a
/// forward pass that maps another prime's residues (`Centring` without a
/// reduction), `⌊p/2⌋` at byte 224 and `q − p mod q` at byte 232.
#[repr(C, align(64))]
pub(super) struct Twiddles {
    pub(super) words: [u64; 30],
}

impl Twiddles {
    pub(super) fn new() -> Self {
        Self { words: [0; 30] }
    }

    /// Sets slot `slot` from the split tables' entries (`w`, `s >> 32`,
    /// `s << 20`, as `super::Table` holds them for this kernel).
    #[inline]
    pub(super) fn set(&mut self, slot: usize, w: u64, s_hi: u64, lo: u64) {
        self.words[4 * slot..4 * slot + 4].copy_from_slice(&[w, s_hi, lo, 0]);
    }

    /// Sets the input map of a forward pass from another prime's residues.
    #[inline]
    pub(super) fn set_centring(&mut self, half: u64, shift: u64) {
        self.words[28] = half;
        self.words[29] = shift;
    }
}

/// The product `y·w mod q ∈ [0, 4q)` of register `zmm$y` by the twiddle at
/// byte `$o` into `zmm$r`, with temporaries `zmm$b`, `zmm$c`
/// (`mul_shoup64_ifma`: the quotient estimate of `quotient64_ifma`, then
/// `y·w − est − 2^12·lo52(est·(q − 1)/2^12)`).
#[rustfmt::skip]
macro_rules! product {
    ($r:literal, $y:literal, $o:literal, $b:literal, $c:literal) => {
        concat!(
            "vpsrlq zmm", $b, ", zmm", $y, ", 32\n",
            "vpsllq zmm", $r, ", zmm", $y, ", 20\n",
            "vpmuludq zmm", $c, ", zmm", $b, ", qword ptr [{tw} + ", $o, " + 8]{{1to8}}\n",
            "vpmadd52huq zmm", $c, ", zmm", $b, ", qword ptr [{tw} + ", $o, " + 16]{{1to8}}\n",
            "vpmadd52huq zmm", $c, ", zmm", $r, ", qword ptr [{tw} + ", $o, " + 8]{{1to8}}\n",
            "vpmullq zmm", $r, ", zmm", $y, ", qword ptr [{tw} + ", $o, "]{{1to8}}\n",
            "vpxord zmm", $b, ", zmm", $b, ", zmm", $b, "\n",
            "vpmadd52luq zmm", $b, ", zmm", $c, ", zmm30\n",
            "vpsubq zmm", $r, ", zmm", $r, ", zmm", $c, "\n",
            "vpsllq zmm", $b, ", zmm", $b, ", 12\n",
            "vpsubq zmm", $r, ", zmm", $r, ", zmm", $b, "\n",
        )
    };
}

/// Forward butterfly on `zmm$x`, `zmm$y` with the twiddle at byte `$o` and
/// temporaries `zmm$a..$d`: `x` first reduced by `zmm31` (`reduce`) or
/// not (`keep`), then `(x + v, x + 4q − v)` for `v = y·w mod q`.
#[rustfmt::skip]
macro_rules! fwd_bfly {
    (keep, $x:literal, $y:literal, $o:literal, $a:literal, $b:literal, $c:literal, $d:literal) => {
        concat!(
            product!($d, $y, $o, $b, $c),
            "vpaddq zmm", $y, ", zmm", $x, ", zmm28\n",
            "vpaddq zmm", $x, ", zmm", $x, ", zmm", $d, "\n",
            "vpsubq zmm", $y, ", zmm", $y, ", zmm", $d, "\n",
        )
    };
    (reduce, $x:literal, $y:literal, $o:literal, $a:literal, $b:literal, $c:literal, $d:literal) => {
        concat!(
            "vpsubq zmm", $a, ", zmm", $x, ", zmm31\n",
            "vpminuq zmm", $x, ", zmm", $x, ", zmm", $a, "\n",
            fwd_bfly!(keep, $x, $y, $o, $a, $b, $c, $d),
        )
    };
}

/// The four butterflies of one stage, `(x y byte-offset)` each.
#[rustfmt::skip]
macro_rules! stage {
    ($f:tt, [$x0:literal $y0:literal $o0:literal, $x1:literal $y1:literal $o1:literal,
             $x2:literal $y2:literal $o2:literal, $x3:literal $y3:literal $o3:literal]) => {
        concat!(
            fwd_bfly!($f, $x0, $y0, $o0, "16", "17", "18", "19"),
            fwd_bfly!($f, $x1, $y1, $o1, "20", "21", "22", "23"),
            fwd_bfly!($f, $x2, $y2, $o2, "24", "25", "26", "27"),
            fwd_bfly!($f, $x3, $y3, $o3, "16", "17", "18", "19"),
        )
    };
}

/// Two independent stages, their butterflies interleaved one by one.
#[rustfmt::skip]
macro_rules! merged {
    ($f:tt, [$x0:literal $y0:literal $o0:literal, $x1:literal $y1:literal $o1:literal,
             $x2:literal $y2:literal $o2:literal, $x3:literal $y3:literal $o3:literal],
     $g:tt, [$u0:literal $v0:literal $p0:literal, $u1:literal $v1:literal $p1:literal,
             $u2:literal $v2:literal $p2:literal, $u3:literal $v3:literal $p3:literal]) => {
        concat!(
            fwd_bfly!($f, $x0, $y0, $o0, "16", "17", "18", "19"),
            fwd_bfly!($g, $u0, $v0, $p0, "20", "21", "22", "23"),
            fwd_bfly!($f, $x1, $y1, $o1, "24", "25", "26", "27"),
            fwd_bfly!($g, $u1, $v1, $p1, "16", "17", "18", "19"),
            fwd_bfly!($f, $x2, $y2, $o2, "20", "21", "22", "23"),
            fwd_bfly!($g, $u2, $v2, $p2, "24", "25", "26", "27"),
            fwd_bfly!($f, $x3, $y3, $o3, "16", "17", "18", "19"),
            fwd_bfly!($g, $u3, $v3, $p3, "20", "21", "22", "23"),
        )
    };
}

/// Loads register `zmm$r` from the row at `{$base}$row` (`$base` is `src`
/// for rows 0..3, `src4` for rows 4..7; `$row` adds `0`, `s`, `2s` or
/// `3s` bytes), `$d` bytes on, then maps it (`mapped`: `+ (q − p mod q)`
/// above `⌊p/2⌋`, mask `k$k`) or not (`plain`).
#[rustfmt::skip]
macro_rules! load {
    (plain, $r:literal, $base:literal, $row:literal, $d:literal, $k:literal) => {
        concat!("vmovdqu64 zmm", $r, ", [{", $base, "}", $row, " + ", $d, "]\n")
    };
    (mapped, $r:literal, $base:literal, $row:literal, $d:literal, $k:literal) => {
        concat!(
            load!(plain, $r, $base, $row, $d, $k),
            "vpcmpuq k", $k, ", zmm", $r, ", qword ptr [{tw} + 224]{{1to8}}, 6\n",
            "vpaddq zmm", $r, "{{k", $k, "}}, zmm", $r, ", qword ptr [{tw} + 232]{{1to8}}\n",
        )
    };
}

/// Loads register set `A` (`zmm0..7`) or `B` (`zmm8..15`): registers
/// `0..4` of the set from rows 0..3 of `src`, `$d` bytes on, and `4..8`
/// from rows 0..3 of `$base`, `$e` bytes on (`src4` for a radix-8 step,
/// rows 4..7; `src` for the second of two radix-4 steps side by side).
#[rustfmt::skip]
macro_rules! load8 {
    ($m:tt, A, $d:literal, $base:literal, $e:literal) => {
        load8!(@ $m, $d, $base, $e, "1", "0", "1", "2", "3", "4", "5", "6", "7")
    };
    ($m:tt, B, $d:literal, $base:literal, $e:literal) => {
        load8!(@ $m, $d, $base, $e, "2", "8", "9", "10", "11", "12", "13", "14", "15")
    };
    (@ $m:tt, $d:literal, $base:literal, $e:literal, $k:literal, $r0:literal, $r1:literal,
       $r2:literal, $r3:literal, $r4:literal, $r5:literal, $r6:literal, $r7:literal) => {
        concat!(
            load!($m, $r0, "src", "", $d, $k),
            load!($m, $r1, "src", " + {s}", $d, $k),
            load!($m, $r2, "src", " + {s}*2", $d, $k),
            load!($m, $r3, "src", " + {s3}", $d, $k),
            load!($m, $r4, $base, "", $e, $k),
            load!($m, $r5, $base, " + {s}", $e, $k),
            load!($m, $r6, $base, " + {s}*2", $e, $k),
            load!($m, $r7, $base, " + {s3}", $e, $k),
        )
    };
}

/// Stores register set `A` or `B` where [`load8`] with the same arguments
/// (`dst` and `dst4` for `src` and `src4`) loads it.
#[rustfmt::skip]
macro_rules! store8 {
    (A, $d:literal, $base:literal, $e:literal) => {
        store8!(@ $d, $base, $e, "0", "1", "2", "3", "4", "5", "6", "7")
    };
    (B, $d:literal, $base:literal, $e:literal) => {
        store8!(@ $d, $base, $e, "8", "9", "10", "11", "12", "13", "14", "15")
    };
    (@ $d:literal, $base:literal, $e:literal, $r0:literal, $r1:literal, $r2:literal,
       $r3:literal, $r4:literal, $r5:literal, $r6:literal, $r7:literal) => {
        concat!(
            "vmovdqu64 [{dst} + ", $d, "], zmm", $r0, "\n",
            "vmovdqu64 [{dst} + {s} + ", $d, "], zmm", $r1, "\n",
            "vmovdqu64 [{dst} + {s}*2 + ", $d, "], zmm", $r2, "\n",
            "vmovdqu64 [{dst} + {s3} + ", $d, "], zmm", $r3, "\n",
            "vmovdqu64 [{", $base, "} + ", $e, "], zmm", $r4, "\n",
            "vmovdqu64 [{", $base, "} + {s} + ", $e, "], zmm", $r5, "\n",
            "vmovdqu64 [{", $base, "} + {s}*2 + ", $e, "], zmm", $r6, "\n",
            "vmovdqu64 [{", $base, "} + {s3} + ", $e, "], zmm", $r7, "\n",
        )
    };
}

/// The steps of one block, or of a chain of blocks: three stages, each
/// `(flag, [pairs of set A], [pairs of set B])`, loads mapped or not
/// (`$m`). Set `A` takes the even steps, `B` the odd ones; the prologue
/// runs the first pair of steps up to `B2`, each iteration finishes `B`
/// while it starts the next pair, the epilogue runs the last `B3`. Each
/// iteration moves the rows on by `$adv` bytes and the twiddles by
/// `$twadv` (an instruction, or nothing), and stores the previous `B` at
/// `$prevb` bytes from the new row start; `$iters` iterations follow the
/// prologue.
#[rustfmt::skip]
macro_rules! block {
    ($m:tt, ($f1:tt, $a1:tt, $b1:tt), ($f2:tt, $a2:tt, $b2:tt), ($f3:tt, $a3:tt, $b3:tt),
     $adv:literal, $prevb:literal, $twadv:literal, $iters:expr,
     $src:expr, $dst:expr, $span:expr, $tw:expr, $kq:expr, $k:expr, $red:expr) => {
        asm!(
            load8!($m, A, "0", "src4", "0"),
            stage!($f1, $a1),
            load8!($m, B, "64", "src4", "64"),
            merged!($f2, $a2, $f1, $b1),
            merged!($f3, $a3, $f2, $b2),
            store8!(A, "0", "dst4", "0"),
            concat!("add {src}, ", $adv),
            concat!("add {src4}, ", $adv),
            concat!("add {dst}, ", $adv),
            concat!("add {dst4}, ", $adv),
            $twadv,
            "test {n}, {n}",
            "jz 3f",
            "2:",
            load8!($m, A, "0", "src4", "0"),
            merged!($f1, $a1, $f3, $b3),
            store8!(B, $prevb, "dst4", $prevb),
            load8!($m, B, "64", "src4", "64"),
            merged!($f2, $a2, $f1, $b1),
            merged!($f3, $a3, $f2, $b2),
            store8!(A, "0", "dst4", "0"),
            concat!("add {src}, ", $adv),
            concat!("add {src4}, ", $adv),
            concat!("add {dst}, ", $adv),
            concat!("add {dst4}, ", $adv),
            $twadv,
            "dec {n}",
            "jnz 2b",
            "3:",
            stage!($f3, $b3),
            store8!(B, $prevb, "dst4", $prevb),
            src = inout(reg) $src => _,
            src4 = inout(reg) $src.add(4 * $span) => _,
            dst = inout(reg) $dst => _,
            dst4 = inout(reg) $dst.add(4 * $span) => _,
            n = inout(reg) $iters => _,
            s = in(reg) $span * 8,
            s3 = in(reg) $span * 24,
            tw = inout(reg) $tw => _,
            in("zmm28") $kq,
            in("zmm30") $k,
            in("zmm31") $red,
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
            out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
            out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
            out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
            out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
            out("k1") _, out("k2") _,
            options(nostack),
        )
    };
}

/// The radix-4 steps of one block: [`block`] with two stages. A set holds
/// two steps (columns of 8 words side by side), so an iteration moves on
/// 32 words: the prologue runs `A1`, `A2 ‖ B1` and stores `A`; each
/// iteration loads the next `A`, runs `A1 ‖ B2`, stores `B`, loads the
/// next `B`, runs `A2 ‖ B1` and stores `A`; the epilogue runs the last
/// `B2`.
#[rustfmt::skip]
macro_rules! block4 {
    ($m:tt, ($f1:tt, $a1:tt, $b1:tt), ($f2:tt, $a2:tt, $b2:tt), $iters:expr,
     $src:expr, $dst:expr, $span:expr, $tw:expr, $kq:expr, $k:expr, $red:expr) => {
        asm!(
            load8!($m, A, "0", "src", "64"),
            stage!($f1, $a1),
            load8!($m, B, "128", "src", "192"),
            merged!($f2, $a2, $f1, $b1),
            store8!(A, "0", "dst", "64"),
            "add {src}, 256",
            "add {dst}, 256",
            "test {n}, {n}",
            "jz 3f",
            "2:",
            load8!($m, A, "0", "src", "64"),
            merged!($f1, $a1, $f2, $b2),
            store8!(B, "-128", "dst", "-64"),
            load8!($m, B, "128", "src", "192"),
            merged!($f2, $a2, $f1, $b1),
            store8!(A, "0", "dst", "64"),
            "add {src}, 256",
            "add {dst}, 256",
            "dec {n}",
            "jnz 2b",
            "3:",
            stage!($f2, $b2),
            store8!(B, "-128", "dst", "-64"),
            src = inout(reg) $src => _,
            dst = inout(reg) $dst => _,
            n = inout(reg) $iters => _,
            s = in(reg) $span * 8,
            s3 = in(reg) $span * 24,
            tw = in(reg) $tw,
            in("zmm28") $kq,
            in("zmm30") $k,
            in("zmm31") $red,
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
            out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
            out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
            out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
            out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
            out("k1") _, out("k2") _,
            options(nostack),
        )
    };
}

/// The radix-4 stages' pairs and twiddle offsets (slot 0; slots 1, 2):
/// registers `r` and `r + 4` of a set are the same row of its two steps.
#[rustfmt::skip]
macro_rules! fwd_block4 {
    ($m:tt, $f1:tt, $f2:tt, $iters:expr, $($arg:expr),*) => {
        block4!(
            $m,
            ($f1, ["0" "2" "0", "1" "3" "0", "4" "6" "0", "5" "7" "0"],
                  ["8" "10" "0", "9" "11" "0", "12" "14" "0", "13" "15" "0"]),
            ($f2, ["0" "1" "32", "2" "3" "64", "4" "5" "32", "6" "7" "64"],
                  ["8" "9" "32", "10" "11" "64", "12" "13" "32", "14" "15" "64"]),
            $iters,
            $($arg),*
        )
    };
}

/// The forward stages' pairs and twiddle offsets (slots 0; 1, 2; 3..6),
/// for the steps of one block (`one`: two steps of 8 columns, 128 bytes,
/// per iteration) or for a chain of 16-column blocks (`chain`:
/// one block per iteration, 1024 bytes on, its twiddles 256 bytes on, so
/// that the last stage of the odd step, run in the next iteration, reads
/// the previous block's twiddles).
#[rustfmt::skip]
macro_rules! fwd_block {
    (one, $($rest:tt)*) => {
        fwd_block!(@ ["8" "9" "96", "10" "11" "128", "12" "13" "160", "14" "15" "192"],
                   "128", "-64", "", $($rest)*)
    };
    (chain, $($rest:tt)*) => {
        fwd_block!(@ ["8" "9" "-160", "10" "11" "-128", "12" "13" "-96", "14" "15" "-64"],
                   "1024", "-960", "add {tw}, 256", $($rest)*)
    };
    (@ $b3:tt, $adv:literal, $prevb:literal, $twadv:literal,
     $m:tt, $f1:tt, $f2:tt, $f3:tt, $iters:expr, $($arg:expr),*) => {
        block!(
            $m,
            ($f1, ["0" "4" "0", "1" "5" "0", "2" "6" "0", "3" "7" "0"],
                  ["8" "12" "0", "9" "13" "0", "10" "14" "0", "11" "15" "0"]),
            ($f2, ["0" "2" "32", "1" "3" "32", "4" "6" "64", "5" "7" "64"],
                  ["8" "10" "32", "9" "11" "32", "12" "14" "64", "13" "15" "64"]),
            ($f3, ["0" "1" "96", "2" "3" "128", "4" "5" "160", "6" "7" "192"], $b3),
            $adv, $prevb, $twadv, $iters,
            $($arg),*
        )
    };
}

/// The forward radix-8 steps of one block of `8·span` words: rows `span`
/// words apart, read from `src` (mapped by the centring in `tw` if
/// `MAPPED`) and written to `dst`; `LZ` says which stages reduce their `x`
/// inputs by `red` (`super::Schedule::pass_code`). `kq` is `4q`.
///
/// As `fwd_pass`, the values stay inside the lanes for `q ≡ 1 (mod 2^12)`
/// below `2^61` and inputs in the forward transform's range.
///
/// # Safety
/// The CPU has AVX-512F, DQ, BW and IFMA; `span` is a multiple of 16;
/// `src` and `dst` are valid for `8·span` words and are the same array or
/// do not overlap.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
pub(super) unsafe fn forward<const LZ: u8, const MAPPED: bool>(
    src: *const u64,
    dst: *mut u64,
    span: usize,
    tw: &Twiddles,
    q: __m512i,
    kq: __m512i,
    red: __m512i,
) {
    debug_assert!(span >= 16 && span.is_multiple_of(16));
    let k = _mm512_srli_epi64::<12>(_mm512_sub_epi64(q, _mm512_set1_epi64(1)));
    let tw = tw.words.as_ptr();
    let it = span / 16 - 1;
    // SAFETY: the caller guarantees the CPU features and that every row
    // (`8·span` words from `src` and `dst`) is inside the arrays; the loop
    // reads and writes rows `0..8` at columns `0..span`, two steps of 8
    // words per iteration (`span/16` of them). The twiddles are 30 words.
    unsafe {
        // No `wide` plan takes `Schedule::Never` (code 1); were one to,
        // the last arm would reduce more stages than it asks, which only
        // costs time.
        match (LZ, MAPPED) {
            (0, false) => {
                fwd_block!(one, plain, reduce, reduce, reduce, it, src, dst, span, tw, kq, k, red)
            }
            (2, false) => {
                fwd_block!(one, plain, keep, reduce, keep, it, src, dst, span, tw, kq, k, red)
            }
            (_, false) => {
                fwd_block!(one, plain, reduce, keep, reduce, it, src, dst, span, tw, kq, k, red)
            }
            (0, true) => {
                fwd_block!(one, mapped, reduce, reduce, reduce, it, src, dst, span, tw, kq, k, red)
            }
            (2, true) => {
                fwd_block!(one, mapped, keep, reduce, keep, it, src, dst, span, tw, kq, k, red)
            }
            (_, true) => {
                fwd_block!(one, mapped, reduce, keep, reduce, it, src, dst, span, tw, kq, k, red)
            }
        }
    }
}

/// The forward radix-4 steps of one block of `4·span` words, as
/// [`forward`] runs the radix-8 ones: rows `span` words apart, read from
/// `src` (mapped by the centring in `tw` if `MAPPED`) and written to
/// `dst`, two steps per register set and two sets in flight; twiddle
/// slots 0, 1 and 2 of `tw`. `LZ` says which of the two stages reduce
/// their `x` inputs by `red` (`super::Schedule::pass_code`); `kq` is `4q`.
///
/// # Safety
/// The CPU has AVX-512F, DQ, BW and IFMA; `span` is a multiple of 32;
/// `src` and `dst` are valid for `4·span` words and are the same array or
/// do not overlap.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
pub(super) unsafe fn forward4<const LZ: u8, const MAPPED: bool>(
    src: *const u64,
    dst: *mut u64,
    span: usize,
    tw: &Twiddles,
    q: __m512i,
    kq: __m512i,
    red: __m512i,
) {
    debug_assert!(span >= 32 && span.is_multiple_of(32));
    let k = _mm512_srli_epi64::<12>(_mm512_sub_epi64(q, _mm512_set1_epi64(1)));
    let tw = tw.words.as_ptr();
    let it = span / 32 - 1;
    // SAFETY: the caller guarantees the CPU features and that every row
    // (`4·span` words from `src` and `dst`) is inside the arrays; the loop
    // reads and writes rows `0..4` at columns `0..span`, four steps of 8
    // words per iteration (`span/32` of them). The twiddles are 30 words.
    unsafe {
        // Schedule codes as in `forward`: stage 0 reduces under codes 0
        // and 3, stage 1 under 0 and 2.
        match (LZ, MAPPED) {
            (0, false) => fwd_block4!(plain, reduce, reduce, it, src, dst, span, tw, kq, k, red),
            (2, false) => fwd_block4!(plain, keep, reduce, it, src, dst, span, tw, kq, k, red),
            (_, false) => fwd_block4!(plain, reduce, keep, it, src, dst, span, tw, kq, k, red),
            (0, true) => fwd_block4!(mapped, reduce, reduce, it, src, dst, span, tw, kq, k, red),
            (2, true) => fwd_block4!(mapped, keep, reduce, it, src, dst, span, tw, kq, k, red),
            (_, true) => fwd_block4!(mapped, reduce, keep, it, src, dst, span, tw, kq, k, red),
        }
    }
}

/// The forward radix-8 steps of `blocks` consecutive blocks of 128 words
/// (rows of 16 words: the last radix-8 pass of a transform whose small-gap
/// pass follows), in place at `a`, with the twiddles of block `i` at
/// `tw + 32·i` (slot `j` at words `4j..4j + 4`, as [`Twiddles::set`]
/// lays them out). Each block is two steps; chained, the second step of a
/// block runs its last stage beside the first stage of the next, where
/// [`forward`], one block at a time, would run those stages alone. The
/// steps and outputs are [`forward`]'s.
///
/// # Safety
/// The CPU has AVX-512F, DQ, BW and IFMA; `blocks ≥ 1`; `a` is valid for
/// `128·blocks` words and `tw` for reading `32·blocks`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
pub(super) unsafe fn forward_chain16<const LZ: u8>(
    a: *mut u64,
    blocks: usize,
    tw: *const u64,
    q: __m512i,
    kq: __m512i,
    red: __m512i,
) {
    debug_assert!(blocks >= 1);
    let k = _mm512_srli_epi64::<12>(_mm512_sub_epi64(q, _mm512_set1_epi64(1)));
    let src = a.cast_const();
    let span = 16usize;
    let it = blocks - 1;
    // SAFETY: the caller guarantees the CPU features, the `128·blocks`
    // words (each iteration reads and writes rows 0..8 of one block) and
    // the `32·blocks` twiddle words (the iteration of block `i` reads those
    // of blocks `i` and `i − 1`).
    unsafe {
        match LZ {
            0 => fwd_block!(chain, plain, reduce, reduce, reduce, it, src, a, span, tw, kq, k, red),
            2 => fwd_block!(chain, plain, keep, reduce, keep, it, src, a, span, tw, kq, k, red),
            _ => fwd_block!(chain, plain, reduce, keep, reduce, it, src, a, span, tw, kq, k, red),
        }
    }
}
