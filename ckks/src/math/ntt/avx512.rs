//! AVX-512 NTT backends: eight coefficients per vector, the algorithm of
//! `scalar.rs`. Each lane multiplier returns `a·w mod q` in `[0, K·q)`; the
//! forward transform takes values in `[0, 2K·q)` and the inverse the scalar
//! range `[0, 2q)` (its first stage on the 64-bit lanes, where `K·q = 4q`,
//! leaves the sums unreduced), so both accept the scalar ranges (`[0, 4q)`
//! forward) and, once fully reduced, agree with it bit for bit. Inside the
//! forward transform values may grow beyond `2K·q` where the lane has room:
//! stages that skip the reduction of their `x` inputs save two of the
//! butterfly's operations (`Schedule`).
//!
//! Three kernels share one body, stamped out per target feature by
//! `ntt_kernels!` ([`Kernel`]), with two lane multipliers:
//!
//! * **IFMA** (`ifma`, primes below `2^50`): `madd52lo/hi` multiply the low 52
//!   bits of two lanes, so Shoup's trick uses `w' = ⌊w·2^52/q⌋`:
//!   `est = ⌊a·w'/2^52⌋`, `r = (a·w − est·q) mod 2^52 ∈ [0, 2q)`, valid for
//!   `a < 2^52`, i.e. every value in `[0, 4q)` when `q < 2^50`. `K = 2`.
//!   The subtraction rides in the third multiply-add, which adds
//!   `lo52(est·(2^52 − q)) ≡ −est·q` to `lo52(a·w)`: three IFMA and a mask.
//! * **64-bit lanes** (`dq`, primes up to 61 bits, AVX-512F+DQ+BW):
//!   `w' = ⌊w·2^64/q⌋`; the quotient estimate takes three of the four
//!   32×32-bit partial products of `a·w'` and may be 2 short, so `K = 4`
//!   (`8q < 2^64` for `q < 2^61`); the low halves come from `vpmullq`.
//! * **64-bit lanes with IFMA products** (`wide`, primes of 51 to 61 bits
//!   with `q ≡ 1 (mod 2^12)`, on CPUs that also have IFMA): the `dq`
//!   kernel with two IFMA shortcuts. The remainder's `est·q` is
//!   `est + 2^12·madd52lo(est, (q − 1)/2^12)` (`sub_est_q_ifma`): as
//!   many operations as `vpmullq`, a third of its latency on the
//!   butterfly's critical path. And the quotient estimate comes from one
//!   `vpmuludq` and two `madd52hi` (`quotient64_ifma`, six vector
//!   operations instead of eight, at most 3 short: the same `K = 4`). It
//!   multiplies by two parts of `s`, `s >> 32` and `s << 20`, which the
//!   tables hold in place of `s` (`Table`), so that the small-gap pass,
//!   which loads a twiddle vector for every butterfly, uses them as
//!   loaded.
//!
//! The stages with gaps `N/2 … 16` run in passes of up to three (radix 8:
//! eight vectors loaded, three stages in registers, stored back), which
//! reads and writes the array four times at `N = 8192` instead of thirteen.
//! The four stages with gaps 8, 4, 2, 1 run in one more pass, 16
//! coefficients in two vectors: gap 8 pairs the two vectors; gaps 4, 2, 1
//! gather the `x` and `y` halves with `vpermt2q` in an order where each
//! twiddle vector is a broadcast load from the plan's tables
//! (`layout_positions`). Four such blocks go
//! through at once, so that their chains of dependent stages overlap. The
//! forward pass ends with the final reduction; `N^{-1}` is folded into the
//! last inverse stage (on the 64-bit lanes, for `x + y`, as a division by
//! `N`: `times_n_inv_64`). A broadcast twiddle carries its Shoup constant's high
//! half ready for `vpmuludq` (`Tw`), split off once per block rather than
//! once per butterfly, and the permutation indices are built with the tables.
//!
//! Both directions read one set of tables, the forward one: the inverse
//! twiddle at index `k` is minus the forward one at `mirror(k)`, so the
//! inverse butterfly's `(x − y)·w⁻` is taken as `(y − x)·w` (`mirror`). A
//! key switch runs transforms both ways on every prime, and with one set
//! instead of two it keeps half as many twiddles in the cache.
//!
//! The `wide` kernel's forward radix-8 passes run as assembly (`radix8`),
//! with two steps in flight: the same butterflies, scheduled so that the
//! stages of one step overlap those of the other.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::tables::NttTables;
use crate::math::aligned::AlignedVec;

mod radix8;

/// Largest prime size (bits) of the IFMA kernel: `4q < 2^52`.
pub const IFMA_MAX_BITS: u32 = 50;

/// Largest prime size (bits) of the 64-bit-lane kernel: `4q < 2^64`.
pub const DQ_MAX_BITS: u32 = crate::math::modulus::MAX_MODULUS_BITS;

/// Smallest ring degree: the inverse needs at least one fused pair of
/// stages after the small-gap pass, where `N^{-1}` is folded in.
pub const MIN_N: usize = 32;

/// A twiddle `w` with its Shoup constant `s = ⌊w·2^b/q⌋`, and `s_hi = s >> 32`
/// in the low half of each lane for the 64-bit-lane multipliers (`vpmuludq`
/// reads the low 32 bits of a lane, so `s` serves as its low half; the
/// `wide` kernel's `madd52hi` reads 52 bits, so there the lane holds
/// `s >> 32` and nothing else), and for the quotient of the `wide` kernel
/// ([`quotient64_ifma`]) `lo = s << 20`. The 52-bit IFMA multiplier reads
/// only `w` and `s`, the `dq` one `w`, `s` and `s_hi`, the `wide` one all
/// but `s`. A twiddle loaded from the tables ([`Table`]) has zeros where
/// its kernel does not read; one made by [`splat`] has every field.
#[derive(Clone, Copy)]
struct Tw {
    w: __m512i,
    s: __m512i,
    s_hi: __m512i,
    lo: __m512i,
}

/// The three AVX-512 kernels: one butterfly code, two lane multipliers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// 52-bit lanes with IFMA products, primes up to [`IFMA_MAX_BITS`].
    Ifma,
    /// 64-bit lanes whose products take the remainder's `est·q` from an
    /// IFMA product and, by shared twiddles, the Shoup quotient as well
    /// (`mul_shoup64_ifma`): primes up to [`DQ_MAX_BITS`] with
    /// `q ≡ 1 (mod 2^12)`.
    Wide,
    /// 64-bit lanes from 32-bit products (AVX-512F/DQ/BW only), primes up
    /// to [`DQ_MAX_BITS`].
    Dq,
}

impl Kernel {
    /// Bits of the Shoup constants.
    fn shoup_bits(self) -> u32 {
        if self == Kernel::Ifma {
            52
        } else {
            64
        }
    }

    /// Largest prime size.
    fn max_bits(self) -> u32 {
        if self == Kernel::Ifma {
            IFMA_MAX_BITS
        } else {
            DQ_MAX_BITS
        }
    }

    /// Whether this kernel takes the prime `q` of `bits` bits: below its
    /// size limit, and for [`Kernel::Wide`] `q ≡ 1 (mod 2^12)`, which its
    /// remainders rely on (`sub_est_q_ifma`; true of every NTT prime for
    /// `N ≥ 2048`).
    #[must_use]
    pub fn accepts(self, q: u64, bits: u32) -> bool {
        bits <= self.max_bits() && (self != Kernel::Wide || (q - 1).is_multiple_of(1 << 12))
    }
}

/// Which stages of a forward transform reduce the `x` input of their
/// butterflies. A forward butterfly returns `u + v` and `u − v + K·q` with
/// `v = y·w mod q ∈ [0, K·q)` and `u` the `x` input, reduced (`csub`) or
/// not: a stage that skips the reduction adds `K·q` to the bound of its
/// values instead, and saves its two vector operations. How far the bound
/// may grow is the lane's room (`2^64`, or `2^52` for the IFMA kernel,
/// whose products read 52 bits); transform inputs are below `2K·q`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Schedule {
    /// Every stage subtracts `K·q` from `x ≥ K·q`: values stay below `2K·q`,
    /// and the final reduction starts from there.
    Every,
    /// The odd stages (counted from 0) subtract `2K·q` from `x ≥ 2K·q`, the
    /// even ones do not reduce: values stay below `4K·q` (an even stage
    /// takes `3K·q` to `4K·q`, an odd one `4K·q` back to `3K·q`). For
    /// `4K·q` within the lane's room: 64-bit lanes and `q ≤ 2^60`, IFMA and
    /// `q ≤ 2^49`.
    Alternate,
    /// No stage reduces: values end below `(2K + K·log2 N)·q`, which must
    /// fit the lane, and the final reduction is a Shoup product by 1 and
    /// one subtraction. Only the IFMA kernel, whose product by 1 is three
    /// operations ([`reduce52_small`]), uses it; the 64-bit lanes' cost
    /// more than the stages save. For `N = 8192`, `q ≤ 2^52/30`.
    Never,
}

impl Schedule {
    /// The schedule of `kernel`'s forward transform of size `n` mod `q`:
    /// the one that saves the most operations within the lane's room.
    fn choose(kernel: Kernel, q: u64, n: usize) -> Self {
        let k: u128 = if kernel == Kernel::Ifma { 2 } else { 4 };
        let room = 1u128 << if kernel == Kernel::Ifma { 52 } else { 64 };
        let q = u128::from(q);
        let log_n = u128::from(n.trailing_zeros());
        if kernel == Kernel::Ifma && (2 * k + k * log_n) * q <= room {
            Schedule::Never
        } else if 4 * k * q <= room {
            Schedule::Alternate
        } else {
            Schedule::Every
        }
    }

    /// The schedule of a pass whose first stage is stage `first` of the
    /// transform, as a `LZ` parameter of the pass kernels: `0` every stage
    /// reduces, `1` none does, `2` (`3`) the pass's odd (even) stages,
    /// counted from 0 within the pass, do.
    fn pass_code(self, first: u32) -> u8 {
        match self {
            Schedule::Every => 0,
            Schedule::Never => 1,
            Schedule::Alternate if first.is_multiple_of(2) => 2,
            Schedule::Alternate => 3,
        }
    }
}

/// Whether stage `i` of a pass with schedule code `lz`
/// ([`Schedule::pass_code`]) reduces the butterflies' `x` inputs.
const fn reduces(lz: u8, i: u32) -> bool {
    match lz {
        0 => true,
        1 => false,
        2 => i % 2 == 1,
        _ => i.is_multiple_of(2),
    }
}

/// Stages fused per pass for `left` stages still to do above the small-gap
/// pass: three at a time, `4 = 2 + 2`.
fn pass_radix(left: u32) -> u32 {
    match left {
        1 => 1,
        2 | 4 => 2,
        _ => 3,
    }
}

/// [`pass_radix`] for the forward passes of the `wide` kernel: the same
/// passes in another order, so that the last is a radix-8 one where at
/// least three stages and not exactly four are left (the pass over blocks
/// of 128 words that `radix8::forward_chain16` runs): the stages above it
/// go first, three at a time, `4 = 2 + 2`.
fn wide_pass_radix(left: u32) -> u32 {
    if left > 3 && left != 4 {
        pass_radix(left - 3)
    } else {
        pass_radix(left)
    }
}

/// Whether the `wide` kernel runs a radix-4 forward pass with rows of
/// `span` words in a transform of size `n` as assembly
/// (`radix8::forward4`): its steps go four at a time, so the rows need 32
/// words or more; and above `N = 16384` the compiled pass took less time
/// (the transform at `N = 32768` took 1.045 of its time with the
/// assembly, `bench/scripts/ab.sh` over `profile_ntt 60 fwd 5000 32768`).
fn asm_radix4(span: usize, n: usize) -> bool {
    span.is_multiple_of(32) && n <= 1 << 14
}

/// Whether the `wide` kernel's forward transform of size `n` has a radix-8
/// pass over blocks of 128 words (rows of 16), the one
/// `radix8::forward_chain16` runs: the passes of `forward_from` take
/// [`wide_pass_radix`] of the stages left before the small-gap pass.
fn forward_has_chain16(n: usize) -> bool {
    let (mut gap, mut left) = (n, (n / 16).trailing_zeros());
    while left > 0 {
        let r = wide_pass_radix(left);
        if r == 3 && gap == 128 {
            return true;
        }
        gap >>= r;
        left -= r;
    }
    false
}

/// The stages of each pass of an inverse transform of size `n`, in order:
/// the small-gap pass (4), then the fused passes, three stages at a time
/// and the one or two left over last; `len` of them (at most 22, for
/// `N = 2^64`). Where one is left (`N = 2048`, `16384`), a radix-2 pass
/// after three radix-8 ones took less time on the 64-bit lanes than two
/// radix-4 passes (`docs/rns-ntt.md`).
fn inverse_passes(n: usize) -> ([u32; 24], usize) {
    let mut radix = [0; 24];
    radix[0] = 4;
    let mut len = 1;
    let mut left = (n / 16).trailing_zeros();
    while left > 0 {
        radix[len] = left.min(3);
        left -= radix[len];
        len += 1;
    }
    (radix, len)
}

/// How the inverse transform bounds its sums. A Gentleman–Sande butterfly
/// returns `x + y` and `(x − y + B)·w mod q ∈ [0, K·q)`, with `B` at least
/// `y`'s bound: the products start over below `K·q` at every stage, the
/// sums double their bound unless reduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InvSchedule {
    /// Every stage subtracts `K·q` from sums `≥ K·q`: values stay below
    /// `K·q`, and every `B` is `K·q`.
    Every,
    /// Sums grow through a pass, and only the passes whose bit is set in
    /// `reduce_after` reduce the sums of their last stage, to `[0, K·q)`,
    /// by a Shoup product by 1 (IFMA: three operations for one stage,
    /// against two per stage for `Every`). A pass is left unreduced when the
    /// next one still fits the lane; the stage that enters with bound
    /// `b·q` makes values below `2b·q`, which must stay within `2^52`.
    Lazy { reduce_after: u32 },
}

impl InvSchedule {
    /// The IFMA kernel's inverse is lazy when the small-gap pass, entered
    /// below `K·q`, fits the lane (`16K·q ≤ 2^52`, primes up to 47 bits);
    /// the 64-bit lanes' reductions by a product cost more than the
    /// subtractions they replace.
    fn choose(kernel: Kernel, q: u64, n: usize) -> Self {
        let (k, room) = (2u128, 1u128 << 52);
        let q = u128::from(q);
        if kernel != Kernel::Ifma || 16 * k * q > room {
            return InvSchedule::Every;
        }
        let (radix, len) = inverse_passes(n);
        let mut reduce_after = 0;
        let mut bound = k;
        for p in 0..len - 1 {
            let after = bound << radix[p];
            // The next pass's top stage enters with `after·2^(r − 1)`.
            if 2 * (after << (radix[p + 1] - 1)) * q <= room {
                bound = after;
            } else {
                reduce_after |= 1 << p;
                bound = k;
            }
        }
        InvSchedule::Lazy { reduce_after }
    }

    /// Pass `p`'s schedule as an `LZ` parameter of the inverse pass
    /// kernels: `0` every stage reduces, `1` none does, `2` only the last.
    fn pass_code(self, p: usize) -> u8 {
        match self {
            InvSchedule::Every => 0,
            InvSchedule::Lazy { reduce_after } if reduce_after >> p & 1 == 1 => 2,
            InvSchedule::Lazy { .. } => 1,
        }
    }
}

/// One direction's twiddles as the vector kernels read them: `psi_rev` or
/// `psi_inv_rev` (`w`) and their Shoup constants `s`. A kernel's `SPLIT`
/// parameter says how it stores `s`: whole in `s` (`SPLIT = false`), or
/// (the `wide` kernel) as the two parts its quotient multiplies by,
/// `s >> 32` in `s` and `s << 20` in `lo` ([`quotient64_ifma`]), so that
/// a butterfly that loads its own twiddle (the small-gap pass) uses it as
/// it is loaded. `lo` is empty when `SPLIT` is false.
#[derive(Clone, Copy)]
struct Table<'a> {
    w: &'a [u64],
    s: &'a [u64],
    lo: &'a [u64],
    /// The `wide` kernel's forward radix-8 pass with rows of 16 words, its
    /// twiddles block after block as the assembly reads them
    /// ([`VecTables`]); empty otherwise.
    chain16: &'a [u64],
}

impl Table<'_> {
    /// Twiddle `i` with its constants, broadcast to every lane.
    ///
    /// # Safety
    /// `i < N`, the length of the tables.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn at<const SPLIT: bool>(&self, i: usize) -> Tw {
        debug_assert!(i < self.w.len() && self.s.len() == self.w.len());
        debug_assert!(self.lo.len() == if SPLIT { self.w.len() } else { 0 });
        // SAFETY: `i < N`, and every table read here holds N words (a
        // bounds check per word would run on the ports the vectors use).
        let (w, s) = unsafe { (*self.w.get_unchecked(i), *self.s.get_unchecked(i)) };
        if !SPLIT {
            return splat(w, s);
        }
        Tw {
            w: _mm512_set1_epi64(w as i64),
            s: _mm512_setzero_si512(),
            s_hi: _mm512_set1_epi64(s as i64),
            // SAFETY: as above.
            lo: _mm512_set1_epi64(unsafe { *self.lo.get_unchecked(i) } as i64),
        }
    }

    /// The twiddles of one small-gap stage for 16-coefficient block `g`: the
    /// stage with gap `8/D` has `D` distinct twiddles per block, consecutive
    /// in the tables from `N·D/16 + g·D`, and its layout
    /// ([`layout_positions`]) puts the butterflies that share a twiddle `D`
    /// lanes apart, so each vector is those `D` words repeated: a broadcast
    /// load (`vbroadcasti32x4`, `vbroadcasti64x4`) or a plain one for
    /// `D = 8`. The high half of `s` for `vpmuludq` is one shuffle of `s`,
    /// or with `SPLIT` the table's word itself.
    ///
    /// With `MIRROR` (the inverse transform, which reads the forward
    /// tables: [`mirror`]), group `d` takes entry `2h − 1 − g·D − d` of the
    /// stage's `h = N·D/16`: the same `D` words from `2h − (g + 1)·D`, in
    /// the reverse order, which the inverse's layouts expect
    /// ([`layout_positions`]).
    ///
    /// # Safety
    /// `g < N/16`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn small<const D: usize, const SPLIT: bool, const MIRROR: bool>(&self, g: usize) -> Tw {
        let n = self.w.len();
        debug_assert!(g < n / 16 && self.s.len() == n);
        debug_assert!(self.lo.len() == if SPLIT { n } else { 0 });
        // SAFETY: the words read from each table start at `h + g·D` or
        // `2h − (g + 1)·D` (`h = N·D/16`, `g < N/16`) and end by `2h =
        // N·D/8 ≤ N` for `D ≤ 8`, inside it. The mirrored start is taken as
        // a fixed pointer less `g·D`, so that the compiler steps one
        // register down for all four stages as it steps one up for `g`.
        let at = |t: &[u64]| unsafe {
            if MIRROR {
                t.as_ptr().add(D * (n / 8 - 1)).sub(g * D)
            } else {
                t.as_ptr().add(n * D / 16 + g * D)
            }
        };
        // SAFETY: as above.
        unsafe {
            let (w, s) = (repeat::<D>(at(self.w)), repeat::<D>(at(self.s)));
            if SPLIT {
                Tw {
                    w,
                    s: _mm512_setzero_si512(),
                    s_hi: s,
                    lo: repeat::<D>(at(self.lo)),
                }
            } else {
                let zero = _mm512_setzero_si512();
                Tw {
                    w,
                    s,
                    s_hi: swap32(s),
                    lo: zero,
                }
            }
        }
    }
}

/// The `D` words at `p` repeated over the 8 lanes (`D` = 2, 4 or 8).
///
/// # Safety
/// `p` must be valid for reading `D` `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn repeat<const D: usize>(p: *const u64) -> __m512i {
    // SAFETY: the caller guarantees `D` readable words; unaligned loads.
    unsafe {
        match D {
            2 => _mm512_broadcast_i32x4(_mm_loadu_si128(p.cast())),
            4 => _mm512_broadcast_i64x4(_mm256_loadu_si256(p.cast())),
            1 => _mm512_set1_epi64(p.read() as i64),
            _ => load(p),
        }
    }
}

/// Twiddles in the layout the vector kernels read, with Shoup constants
/// `s = ⌊w·2^b/q⌋` for the kernel's width `b` (52 for IFMA, 64 otherwise),
/// stored whole or, for [`Kernel::Wide`], split in two parts (`Table`).
#[derive(Clone, Debug)]
pub struct VecTables {
    /// The constants of every `psi_rev` entry: `s`, or `s >> 32` if split.
    /// The inverse transform reads these tables too ([`mirror`]).
    psi_rev_shoup: AlignedVec,
    /// `s << 20` of every `psi_rev` entry if split, else empty.
    psi_rev_lo: AlignedVec,
    /// For [`Kernel::Wide`], the twiddles of the forward radix-8 pass over
    /// blocks of 128 words (`N/128` blocks), 32 words per block in the
    /// layout of `radix8::Twiddles` (`radix8::forward_chain16`); else
    /// empty.
    fwd_chain16: AlignedVec,
    /// `N^{-1}` and its Shoup constant.
    n_inv: (u64, u64),
    /// `ψ·N^{-1}` for the last inverse stage's single twiddle (`psi_rev[1]`
    /// by [`mirror`]), with its Shoup constant: the factor `N^{-1}` is
    /// folded into that stage.
    last_w_n_inv: (u64, u64),
    /// The lane permutations of the small-gap stages (boxed: 1 KiB).
    idx: Box<SmallGapIndices>,
    /// Which forward stages reduce ([`Schedule`]).
    schedule: Schedule,
    /// Which inverse passes reduce their sums ([`InvSchedule`]).
    inv_schedule: InvSchedule,
    /// The 64-bit lanes' final forward reduction by a table, where it
    /// finishes in one subtraction ([`FinalFold`]).
    fold: Option<FinalFold>,
}

fn shoup(w: u64, q: u64, bits: u32) -> u64 {
    ((u128::from(w) << bits) / u128::from(q)) as u64
}

/// The forward transform's final reduction on the 64-bit lanes, from its
/// outputs' bound `B` (`2K·q` or `4K·q`) to `[0, q)` in four operations
/// and one conditional subtraction rather than up to four of them: with
/// `s` the smallest shift for which `B ≤ 16·2^s`, the top bits
/// `j = ⌊x/2^s⌋ < 16` of an output pick the multiple `T[j] = ⌊j·2^s/q⌋·q`
/// from sixteen words in two registers (`vpermi2q`), and `x − T[j]` is
/// below `2q` wherever `2^s + (j·2^s mod q) ≤ 2q` for every `j` that
/// occurs. That holds for every prime when `B = 8q` (then `2^s < q`), and
/// for `B = 16q` when `q` is within `q/16` of `2^s`, as NTT primes chosen
/// just below a power of two are; for other primes the transform reduces
/// by conditional subtractions.
#[derive(Clone, Copy, Debug)]
struct FinalFold {
    shift: u64,
    multiples: [u64; 16],
}

impl FinalFold {
    /// The table for outputs below `bound`, or `None` where `x − T[j]`
    /// could reach `2q`.
    fn new(q: u64, bound: u128) -> Option<Self> {
        let q = u128::from(q);
        let shift = (128 - (bound - 1).leading_zeros()).saturating_sub(4);
        let multiples: [u128; 16] = std::array::from_fn(|j| ((j as u128) << shift) / q * q);
        // The largest `x − T[j]` in each range of `x` that occurs.
        let fits = (0..16u128).all(|j| {
            let first = j << shift;
            let last = (((j + 1) << shift).min(bound)).saturating_sub(1);
            first >= bound || last - multiples[j as usize] < 2 * q
        });
        fits.then(|| Self {
            shift: u64::from(shift),
            multiples: multiples.map(|m| m as u64),
        })
    }

    /// The table as the kernel holds it: `T[0..8]`, `T[8..16]` and the
    /// shift in every lane.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn vectors(&self) -> [__m512i; 3] {
        // SAFETY: `multiples` holds 16 words, read as two vectors of 8.
        let (lo, hi) = unsafe {
            let p = self.multiples.as_ptr();
            (load(p), load(p.add(8)))
        };
        [lo, hi, _mm512_set1_epi64(self.shift as i64)]
    }
}

/// `x mod q` for `x` below the bound `f` was built for ([`FinalFold`],
/// its [`FinalFold::vectors`]): `x − T[⌊x/2^s⌋]`, then one conditional
/// subtraction.
#[inline]
#[target_feature(enable = "avx512f")]
fn fold_reduce(x: __m512i, f: [__m512i; 3], q: __m512i) -> __m512i {
    let t = _mm512_permutex2var_epi64(f[0], _mm512_srlv_epi64(x, f[2]), f[1]);
    csub(_mm512_sub_epi64(x, t), q)
}

impl VecTables {
    /// Builds the layout of `kernel` from the scalar tables; `None` if the
    /// prime is too large for it or `N < MIN_N`.
    #[must_use]
    pub fn new(t: &NttTables, kernel: Kernel) -> Option<Self> {
        let q = t.modulus.value();
        let shoup_bits = kernel.shoup_bits();
        if !kernel.accepts(q, t.modulus.bits()) || t.n < MIN_N {
            return None;
        }
        let split = kernel == Kernel::Wide;
        let constants = |w: &[u64]| -> (AlignedVec, AlignedVec) {
            let s = w.iter().map(|&w| shoup(w, q, shoup_bits));
            if split {
                (
                    s.clone().map(|s| s >> 32).collect(),
                    s.map(|s| s << 20).collect(),
                )
            } else {
                (s.collect(), AlignedVec::new())
            }
        };
        let (psi_rev_shoup, psi_rev_lo) = constants(&t.psi_rev);
        // Block i of the pass at gap 128 (m = N/128 blocks) takes twiddle
        // ((m + i)·2^s + b) in slot 2^s − 1 + b of stage s, as `fwd_pass`.
        let mut fwd_chain16 = AlignedVec::new();
        if split && forward_has_chain16(t.n) {
            let m = t.n / 128;
            fwd_chain16 = AlignedVec::zeroed(32 * m);
            for (i, block) in fwd_chain16.chunks_exact_mut(32).enumerate() {
                let mut tw = radix8::Twiddles::new();
                for s in 0..3 {
                    for b in 0..1 << s {
                        let idx = ((m + i) << s) + b;
                        tw.set(
                            (1 << s) - 1 + b,
                            t.psi_rev[idx],
                            psi_rev_shoup[idx],
                            psi_rev_lo[idx],
                        );
                    }
                }
                block[..28].copy_from_slice(&tw.words[..28]);
            }
        }
        let last_w = t.modulus.mul(t.psi_rev[1], t.n_inv);
        let schedule = Schedule::choose(kernel, q, t.n);
        // The bound the forward small-gap pass reduces from (`reduce_out`).
        let k = 4 * u128::from(q);
        let fold = match (kernel, schedule) {
            (Kernel::Ifma, _) | (_, Schedule::Never) => None,
            (_, Schedule::Every) => FinalFold::new(q, 2 * k),
            (_, Schedule::Alternate) => FinalFold::new(q, 4 * k),
        };
        Some(Self {
            psi_rev_shoup,
            psi_rev_lo,
            fwd_chain16,
            n_inv: (t.n_inv, shoup(t.n_inv, q, shoup_bits)),
            last_w_n_inv: (last_w, shoup(last_w, q, shoup_bits)),
            idx: Box::new(SmallGapIndices::new()),
            schedule,
            inv_schedule: InvSchedule::choose(kernel, q, t.n),
            fold,
        })
    }

    /// The forward transform's tables (`t` the plan's scalar tables).
    fn forward<'a>(&'a self, t: &'a NttTables) -> Table<'a> {
        Table {
            w: &t.psi_rev,
            s: &self.psi_rev_shoup,
            lo: &self.psi_rev_lo,
            chain16: &self.fwd_chain16,
        }
    }

    /// The inverse transform's tables: the forward ones, read at mirrored
    /// indices ([`mirror`]).
    fn inverse<'a>(&'a self, t: &'a NttTables) -> Table<'a> {
        Table {
            chain16: &[],
            ..self.forward(t)
        }
    }
}

/// The forward table's index whose twiddle is minus the inverse table's at
/// `k ≥ 1`: with `h ≤ k < 2h` the stage's range, `ψ^{-br(k)} =
/// −ψ^{br(k ^ (h − 1))}`, for `br(k) + br(k ^ (h − 1)) = N` (bits reversed
/// over `log N`) and `ψ^N = −1`. The inverse butterfly multiplies
/// `(x − y)` by the inverse twiddle; it takes `(y − x)` times the forward
/// one instead, the same product, so both directions read one set of
/// tables and a key switch, which runs both, keeps half as many in the
/// cache.
#[inline]
fn mirror(k: usize) -> usize {
    debug_assert!(k >= 1);
    let h = 1 << k.ilog2();
    k ^ (h - 1)
}

/// Where each of 16 consecutive coefficients sits in a pair of vectors:
/// `None` is natural order (`lo` = 0..8, `hi` = 8..16); `Some(gap)` is the
/// butterfly layout of that stage: the lower element `e` of each pair in the
/// first vector, its partner `e + gap` in the same lane of the second. The
/// `D = 8/gap` pairs of a block with distinct twiddles (`e / (2·gap)`) take
/// consecutive lanes, and the `gap` pairs sharing a twiddle sit `D` lanes
/// apart (lane `(e mod 2·gap)·D + e / (2·gap)`), so that the twiddle vector
/// is `D` consecutive table words repeated ([`Table::small`]). Returns
/// `position[e]` (0..16, `≥ 8` = second vector).
fn layout_positions(layout: Option<usize>, mirror: bool) -> [i64; 16] {
    let Some(gap) = layout else {
        return std::array::from_fn(|e| e as i64);
    };
    let d = 8 / gap;
    std::array::from_fn(|e| {
        let (x, offset) = (e - e % (2 * gap) + e % gap, e % (2 * gap));
        let group = x / (2 * gap);
        let lane = (x % (2 * gap)) * d + if mirror { d - 1 - group } else { group };
        (lane + if offset < gap { 0 } else { 8 }) as i64
    })
}

/// `vpermt2q` indices that move 16 coefficients from layout `from` to layout
/// `to` (see [`layout_positions`]).
fn transition(from: Option<usize>, to: Option<usize>, mirror: bool) -> ([i64; 8], [i64; 8]) {
    let src = layout_positions(from, mirror);
    let dst = layout_positions(to, mirror);
    let (mut first, mut second) = ([0i64; 8], [0i64; 8]);
    for e in 0..16 {
        let d = dst[e] as usize;
        if d < 8 {
            first[d] = src[e];
        } else {
            second[d - 8] = src[e];
        }
    }
    (first, second)
}

/// `a·w mod q` in `[0, 2q)` on 52-bit lanes: [`mul_shoup52_wrap`], masked.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_shoup52_lazy(a: __m512i, t: Tw, q: __m512i) -> __m512i {
    _mm512_and_si512(
        mul_shoup52_wrap(a, t, q),
        _mm512_set1_epi64((1i64 << 52) - 1),
    )
}

/// Shoup's product on 52-bit lanes (`t.s = ⌊w·2^52/q⌋`) without the final
/// mask: the lane holds the product in `[0, 2q)` plus `0` or `2^52`.
/// Where every later operation on it adds, subtracts or feeds IFMA (which
/// reads the low 52 bits) and the true values stay below `2^52`, the lane
/// stays congruent to the true value mod `2^52` and one mask at the end
/// recovers it: the stages of [`Schedule::Never`] and
/// [`InvSchedule::Lazy`], which compare nothing until their final
/// reduction (itself masked), need no mask per product.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_shoup52_wrap(a: __m512i, t: Tw, q: __m512i) -> __m512i {
    let zero = _mm512_setzero_si512();
    let two52 = _mm512_set1_epi64(1 << 52);
    let est = _mm512_madd52hi_epu64(zero, a, t.s);
    let prod = _mm512_madd52lo_epu64(zero, a, t.w);
    // −est·q mod 2^52 as est·(2^52 − q), added in the multiplier.
    _mm512_madd52lo_epu64(prod, est, _mm512_sub_epi64(two52, q))
}

/// Shoup's quotient estimate for `a·w`, `s = ⌊w·2^64/q⌋`, from 32-bit
/// products: at most 2 below `⌊a·w/q⌋`, never above, for any 64-bit `a`.
///
/// The exact quotient `⌊a·s/2^64⌋` is `hh + ⌊(lh + hl + ⌊ll/2^32⌋)/2^32⌋`
/// for the four 32×32-bit partial products; dropping `ll` and the low halves
/// of `lh` and `hl` leaves `hh + lh/2^32 + hl/2^32`, short by at most 2 (the
/// dropped part is below `3·2^32`), and one multiplication and the carry
/// chain are saved. The shifts run as byte shuffles, on the port the
/// multiplier does not use.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn quotient64_dq(a: __m512i, t: Tw) -> __m512i {
    let a_hi = swap32(a);
    let hh = _mm512_mul_epu32(a_hi, t.s_hi);
    let lh = _mm512_mul_epu32(a, t.s_hi);
    let hl = _mm512_mul_epu32(a_hi, t.s);
    _mm512_add_epi64(hh, _mm512_add_epi64(shr32(lh), shr32(hl)))
}

/// [`quotient64_dq`]'s estimate from IFMA products, six vector operations
/// instead of eight, given the constant in the two parts it multiplies by
/// (`t.s_hi`, `t.lo`: [`Tw`]). With `a = a_hi·2^32 + a_lo` and
/// `s = s_hi·2^32 + s_lo` (all four below `2^32`),
///
/// `a·s/2^64 = a_hi·s_hi + a_hi·s_lo/2^32 + a_lo·s_hi/2^32 + a_lo·s_lo/2^64`.
///
/// The first term is one exact `vpmuludq` of `a >> 32` by `s_hi`. The
/// next two are `madd52hi`, which multiplies the low 52 bits of its
/// operands and keeps the top 52 bits of the product: `a >> 32` by
/// `s_lo·2^20` (`lo = s << 20`, below `2^52`), and `a_lo·2^20` (the low
/// 52 bits of `a << 20`) by `s_hi`, each rounded down by less than 1; the
/// last term, below 1, is dropped. So the estimate is at most 3 below
/// `⌊a·w/q⌋` (`s` itself is short of `w·2^64/q` by less than 1, which
/// costs `a/2^64 < 1` more) and never above it. The constant enters only
/// as `s_hi` and `lo`, the two words the tables hold, so a twiddle loaded
/// from them is ready as it is.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn quotient64_ifma(a: __m512i, t: Tw) -> __m512i {
    let a_hi = _mm512_srli_epi64::<32>(a);
    let a_lo = _mm512_slli_epi64::<20>(a);
    let est = _mm512_madd52hi_epu64(mul32(a_hi, t.s_hi), a_hi, t.lo);
    _mm512_madd52hi_epu64(est, a_lo, t.s_hi)
}

/// `vpmuludq` (the low 32 bits of each lane times those of the other),
/// as assembly: from the intrinsic the compiler emits `vpmullq` (three
/// operations) once the mask of the operand loaded outside the loop is
/// out of its sight.
#[inline]
#[target_feature(enable = "avx512f")]
fn mul32(a: __m512i, b: __m512i) -> __m512i {
    let r: __m512i;
    // SAFETY: a register-only multiply; the function's target features
    // guarantee AVX-512F.
    unsafe {
        std::arch::asm!(
            "vpmuludq {r}, {a}, {b}",
            r = lateout(zmm_reg) r,
            a = in(zmm_reg) a,
            b = in(zmm_reg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    r
}

/// `a·w mod q` in `[0, 4q)` for any 64-bit `a`: Shoup's product with
/// [`quotient64_dq`]'s estimate, at most 2 short, so the remainder
/// `a·w − est·q` (the exact one is in `[0, 2q)`) is in `[0, 4q)` and is
/// computed mod `2^64` with two `vpmullq`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
fn mul_shoup64_lazy(a: __m512i, t: Tw, q: __m512i) -> __m512i {
    let est = quotient64_dq(a, t);
    _mm512_sub_epi64(_mm512_mullo_epi64(a, t.w), _mm512_mullo_epi64(est, q))
}

/// `x − est·q mod 2^64` for `q ≡ 1 (mod 2^12)` (every NTT prime for
/// `N ≥ 2048`), with an IFMA product in place of `vpmullq`. Writing
/// `q = k·2^12 + 1` (`k < 2^52`), `est·q = est + 2^12·est·k`, and modulo
/// `2^64` the second term needs `est·k` only modulo `2^52`, which is
/// `madd52lo(est, k)` (IFMA reads the low 52 bits of `est`, all that term
/// depends on). The operation count is `vpmullq`'s (three), but the
/// latency from `est` is one multiply-add, a shift and a subtraction
/// instead of `vpmullq`'s fifteen cycles, and in a transform that chain is
/// the butterfly's critical path. `k` is computed from `q`, a loop
/// invariant that the compiler hoists.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sub_est_q_ifma(x: __m512i, est: __m512i, q: __m512i) -> __m512i {
    let k = _mm512_srli_epi64::<12>(_mm512_sub_epi64(q, _mm512_set1_epi64(1)));
    let est_k = _mm512_madd52lo_epu64(_mm512_setzero_si512(), est, k);
    _mm512_sub_epi64(_mm512_sub_epi64(x, est), _mm512_slli_epi64::<12>(est_k))
}

/// `a·w mod q` in `[0, 4q)` for any 64-bit `a` and `q ≡ 1 (mod 2^12)`:
/// [`quotient64_ifma`]'s estimate, at most 3 short, so the remainder is in
/// `[0, 4q)` as with [`mul_shoup64_lazy`] (the same `K = 4`), and
/// [`sub_est_q_ifma`] for `est·q`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
fn mul_shoup64_ifma(a: __m512i, t: Tw, q: __m512i) -> __m512i {
    sub_est_q_ifma(_mm512_mullo_epi64(a, t.w), quotient64_ifma(a, t), q)
}

/// `r ≡ x (mod q)` in `[0, 3q)` for any 64-bit `x`, `q < 2^50` (Barrett
/// with IFMA): `est = ⌊⌊x/2^12⌋·μ/2^52⌋` with `μ = ⌊2^64/q⌋ < 2^52` is at
/// most 2 below `⌊x/q⌋` (each truncation loses less than 1), and never
/// above it, so `x − est·q ∈ [0, 3q)`, below `2^52`: computed mod `2^52` as
/// in [`mul_shoup52_lazy`]. `t.s` holds `μ`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn reduce52_lazy(x: __m512i, t: Tw, q: __m512i) -> __m512i {
    let est = _mm512_madd52hi_epu64(_mm512_setzero_si512(), _mm512_srli_epi64::<12>(x), t.s);
    let r = _mm512_madd52lo_epu64(x, est, _mm512_sub_epi64(_mm512_set1_epi64(1 << 52), q));
    _mm512_and_si512(r, _mm512_set1_epi64((1i64 << 52) - 1))
}

/// `r ≡ x (mod q)` in `[0, 2q)` for `x < 2^52`, `q < 2^50`: Shoup's product
/// by 1 (`t.s = ⌊2^52/q⌋`, [`mul_shoup52_lazy`]) with `x` itself as the low
/// half of the product, three operations.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn reduce52_small(x: __m512i, t: Tw, q: __m512i) -> __m512i {
    let est = _mm512_madd52hi_epu64(_mm512_setzero_si512(), x, t.s);
    let r = _mm512_madd52lo_epu64(x, est, _mm512_sub_epi64(_mm512_set1_epi64(1 << 52), q));
    _mm512_and_si512(r, _mm512_set1_epi64((1i64 << 52) - 1))
}

/// `r ≡ x (mod q)` in `[0, 4q)` for any 64-bit `x`: [`mul_shoup64_lazy`]
/// by `w = 1` (`t.s = ⌊2^64/q⌋`).
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
fn reduce64_lazy(x: __m512i, t: Tw, q: __m512i) -> __m512i {
    mul_shoup64_lazy(x, t, q)
}

/// [`reduce64_lazy`] by [`mul_shoup64_ifma`], for `q ≡ 1 (mod 2^12)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
fn reduce64_ifma_lazy(x: __m512i, t: Tw, q: __m512i) -> __m512i {
    mul_shoup64_ifma(x, t, q)
}

/// What the last inverse stage needs to multiply a sum by `N^{-1}`: the
/// Shoup pair of `N^{-1}` for the 52-bit lanes ([`times_n_inv_52`]), and
/// for the division of the 64-bit lanes ([`times_n_inv_64`]) `N − 1`,
/// `log2 N` and `c = (q − 1)/N`.
#[derive(Clone, Copy)]
struct NInv {
    shoup: Tw,
    mask: __m512i,
    log_n: __m128i,
    c: __m512i,
}

impl NInv {
    /// For ring degree `n` (a power of two dividing `q − 1`) and prime `q`,
    /// with `n_inv = (N^{-1}, its Shoup constant)`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(n: usize, q: u64, n_inv: (u64, u64)) -> Self {
        debug_assert!(n.is_power_of_two() && (q - 1).is_multiple_of(n as u64));
        Self {
            shoup: splat(n_inv.0, n_inv.1),
            mask: _mm512_set1_epi64(n as i64 - 1),
            log_n: _mm_set_epi64x(0, i64::from(n.trailing_zeros())),
            c: _mm512_set1_epi64(((q - 1) / n as u64) as i64),
        }
    }
}

/// `x·N^{-1} mod q` in `[0, q)` for `x < 2^52`, `q < 2^50`: the 52-bit
/// lanes' Shoup product (`[0, 2q)`) and one conditional subtraction.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn times_n_inv_52(x: __m512i, n: &NInv, q: __m512i) -> __m512i {
    csub(mul_shoup52_lazy(x, n.shoup, q), q)
}

/// `x·N^{-1} mod q` in `[0, q)` for `x < 8q`, `q < 2^61`, by a division
/// rather than a Shoup product: about half the vector operations.
///
/// `N` divides `q − 1`. With `t = (−x) mod N`, `x + t` is a multiple of
/// `N`, and `x + t·q = (x + t) + t·(q − 1)` too, so
/// `(x + t·q)/N = ⌈x/N⌉ + t·c` with `c = (q − 1)/N` (`x + t = N·⌈x/N⌉`:
/// `t` is what `x` lacks of the next multiple of `N`). That is `x·N^{-1}`
/// mod `q`, and below `x/N + 1 + (N − 1)·c = q + (x − q + 1)/N`, under
/// `2q` for `N ≥ 8`: one conditional subtraction. `t·c < q` is one
/// `vpmullq`, and the rest shifts, masks and additions.
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn times_n_inv_64(x: __m512i, n: &NInv, q: __m512i) -> __m512i {
    let t = _mm512_and_si512(_mm512_sub_epi64(_mm512_setzero_si512(), x), n.mask);
    let ceil = _mm512_srl_epi64(_mm512_add_epi64(x, n.mask), n.log_n);
    csub(_mm512_add_epi64(ceil, _mm512_mullo_epi64(t, n.c)), q)
}

/// The input map of a forward transform that starts from another prime's
/// residues ([`dq::forward_centered`]): `x ∈ [0, p)` stands for its centred
/// representative (`x`, or `x − p` above `⌊p/2⌋`), taken mod `q` lazily as
/// `r + [x > ⌊p/2⌋]·(q − p mod q)` with `r ≡ x (mod q)`, inside the forward
/// transform's input range `[0, 2K·q)`. While `p < 2K·q`, `r` is `x` itself:
/// `x + q − (p mod q) < q·(⌊p/q⌋ + 1) ≤ 2K·q`. Otherwise `r` is a lazy
/// reduction, below `3q` with IFMA (`K = 2`) and `4q` with 64-bit lanes
/// (`K = 4`), and the sum stays below `4q` and `5q`.
#[derive(Clone, Copy)]
struct Centring {
    half: __m512i,
    shift: __m512i,
    /// `1` with `⌊2^64/q⌋` for the reduction, when `p ≥ 2K·q`.
    reduce: Option<Tw>,
    /// `⌊p/2⌋` and `q − p mod q` as words.
    words: (u64, u64),
}

impl Centring {
    /// The map from `p` into `q` for a kernel whose forward input range is
    /// `[0, kq2)`, `kq2 = 2K·q`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(p: u64, q: u64, kq2: u64) -> Self {
        Self {
            half: _mm512_set1_epi64((p >> 1) as i64),
            shift: _mm512_set1_epi64((q - p % q) as i64),
            reduce: (p >= kq2).then(|| splat(1, shoup(1, q, 64))),
            words: (p >> 1, q - p % q),
        }
    }

    /// `⌊p/2⌋` and `q − p mod q`, for a map without a reduction (the only
    /// kind the assembly passes take, [`radix8`]).
    fn scalars(&self) -> Option<(u64, u64)> {
        self.reduce.is_none().then_some(self.words)
    }
}

/// Where the forward transform's last pass puts its fully reduced outputs
/// `y` ([`dq::forward_centered_sub_mul`]).
#[derive(Clone, Copy)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per transform, kept in registers"
)]
enum Finish {
    /// Back into the transformed array.
    InPlace,
    /// ModDown's last step: `r[i] = a[i] + (x[i] − y[i])·w` (`a` not
    /// null) or `r[i] = (x[i] − y[i])·w`, for `x`, `a`, `o` (any of which
    /// may be the same array) of `N` words below `q`, and `w < q` with its
    /// Shoup constant. `r` goes to `o` as it is (`scatter` null) or with
    /// the blocks of 8 words permuted: block `s` of `r`, its lanes
    /// reordered as move `scatter[s]` says, to the block that move names
    /// (`Scatter`, in `ntt/mod.rs`).
    SubMul {
        x: *const u64,
        a: *const u64,
        o: *mut u64,
        w: Tw,
        scatter: *const u64,
    },
}

/// One output vector `r` of block `s` to its place `o` under the moves
/// `scatter` (`Finish::SubMul`): the lane from bits `32 + 3i` of the
/// move's high half to lane `i`, the vector to the block of its low half.
///
/// # Safety
/// `scatter` has more than `s` moves, and the block each names is inside
/// `o`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn scatter_block(o: *mut u64, scatter: *const u64, s: usize, r: __m512i) {
    // SAFETY: guaranteed by the caller.
    let mv = unsafe { scatter.add(s).read() };
    let shifts = _mm512_set_epi64(53, 50, 47, 44, 41, 38, 35, 32);
    let idx = _mm512_srlv_epi64(_mm512_set1_epi64(mv as i64), shifts);
    let r = _mm512_permutexvar_epi64(idx, r);
    // SAFETY: guaranteed by the caller.
    unsafe { store(o.add(8 * (mv as u32 as usize)), r) };
}

/// The two 32-bit halves of each 64-bit lane swapped (`vpshufd`): the high
/// half where `vpmuludq` reads. Written as assembly because the compiler
/// would turn the shuffle into a shift, which competes with the multiplies
/// for their port.
#[inline]
#[target_feature(enable = "avx512f")]
fn swap32(x: __m512i) -> __m512i {
    let r: __m512i;
    // SAFETY: a register-only shuffle; the function's target features
    // guarantee AVX-512F.
    unsafe {
        std::arch::asm!(
            "vpshufd {r}, {x}, 0xB1",
            r = lateout(zmm_reg) r,
            x = in(zmm_reg) x,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    r
}

/// `x >> 32` in each 64-bit lane, as a byte shuffle (`vpshufb`, assembly for
/// the reason given at [`swap32`]).
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn shr32(x: __m512i) -> __m512i {
    // Per 64-bit lane: bytes 4..7 to 0..3, zeros (index with the top bit
    // set) above.
    let z = -128i8;
    let idx = _mm512_set_epi8(
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4, //
        z, z, z, z, 15, 14, 13, 12, z, z, z, z, 7, 6, 5, 4,
    );
    let r: __m512i;
    // SAFETY: a register-only shuffle; the function's target features
    // guarantee AVX-512BW.
    unsafe {
        std::arch::asm!(
            "vpshufb {r}, {x}, {idx}",
            r = lateout(zmm_reg) r,
            x = in(zmm_reg) x,
            idx = in(zmm_reg) idx,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    r
}

/// High 64 bits of the lane-wise 128-bit product, from four 32×32 products.
/// The high halves are brought down with shuffles ([`swap32`], [`shr32`]) on
/// the shuffle port rather than shifts, which share the multipliers' port.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn mulhi64(a: __m512i, b: __m512i) -> __m512i {
    let lo32 = _mm512_set1_epi64(0xffff_ffff);
    let a_hi = swap32(a);
    let b_hi = swap32(b);
    let ll = _mm512_mul_epu32(a, b);
    let lh = _mm512_mul_epu32(a, b_hi);
    let hl = _mm512_mul_epu32(a_hi, b);
    let hh = _mm512_mul_epu32(a_hi, b_hi);
    let mid = _mm512_add_epi64(
        _mm512_add_epi64(shr32(ll), _mm512_and_si512(lh, lo32)),
        _mm512_and_si512(hl, lo32),
    );
    _mm512_add_epi64(
        _mm512_add_epi64(hh, shr32(lh)),
        _mm512_add_epi64(shr32(hl), shr32(mid)),
    )
}

/// `x.min(x − m)` lane-wise: one conditional subtraction of `m`.
#[inline]
#[target_feature(enable = "avx512f")]
fn csub(x: __m512i, m: __m512i) -> __m512i {
    _mm512_min_epu64(x, _mm512_sub_epi64(x, m))
}

/// Loads 8 lanes from `p`.
///
/// # Safety
/// `p` must be valid for reading 8 `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(p: *const u64) -> __m512i {
    // SAFETY: the caller guarantees 8 readable u64 at p; unaligned load.
    unsafe { _mm512_loadu_si512(p.cast()) }
}

/// Stores 8 lanes to `p`.
///
/// # Safety
/// `p` must be valid for writing 8 `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store(p: *mut u64, v: __m512i) {
    // SAFETY: the caller guarantees 8 writable u64 at p; unaligned store.
    unsafe { _mm512_storeu_si512(p.cast(), v) }
}

/// The `2^R` vectors `stride` apart from `p` (the other slots zero).
///
/// # Safety
/// `p` must be valid for reading `(2^R − 1)·stride + 8` `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_strided<const R: usize>(p: *const u64, stride: usize) -> [__m512i; 8] {
    let mut v = [_mm512_setzero_si512(); 8];
    for (k, x) in v.iter_mut().enumerate().take(1 << R) {
        // SAFETY: k·stride + 8 ≤ (2^R − 1)·stride + 8, guaranteed by the caller.
        *x = unsafe { load(p.add(k * stride)) };
    }
    v
}

/// Stores the first `2^R` vectors of `v` `stride` apart from `p`.
///
/// # Safety
/// `p` must be valid for writing `(2^R − 1)·stride + 8` `u64`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn store_strided<const R: usize>(p: *mut u64, stride: usize, v: &[__m512i; 8]) {
    for (k, &x) in v.iter().enumerate().take(1 << R) {
        // SAFETY: as for `load_strided`.
        unsafe { store(p.add(k * stride), x) };
    }
}

/// Twiddle `w` with Shoup constant `s`, broadcast to every lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn splat(w: u64, s: u64) -> Tw {
    // Out of the compiler's sight, as with `mul32`: seeing through the
    // broadcast, it turned the `dq` kernel's `vpmuludq` by `s` into a
    // mask and `vpmullq` (three operations).
    let sv = opaque(_mm512_set1_epi64(s as i64));
    Tw {
        w: _mm512_set1_epi64(w as i64),
        s: sv,
        s_hi: _mm512_set1_epi64((s >> 32) as i64),
        lo: _mm512_set1_epi64((s << 20) as i64),
    }
}

/// `x`, through an empty assembly block: the compiler knows nothing of
/// the value.
#[inline]
#[target_feature(enable = "avx512f")]
fn opaque(mut x: __m512i) -> __m512i {
    // SAFETY: an empty block on one register.
    unsafe {
        std::arch::asm!(
            "/* {0} */",
            inout(zmm_reg) x,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    x
}

/// Lane permutations of the three small-gap stages, built with the tables:
/// natural order → gap 4 → gap 2 → gap 1 → natural order (forward) and
/// natural → 1 → 2 → 4 → natural (inverse), two `vpermt2q` per step.
#[derive(Clone, Debug)]
struct SmallGapIndices {
    fwd: [([i64; 8], [i64; 8]); 4],
    inv: [([i64; 8], [i64; 8]); 4],
}

impl SmallGapIndices {
    fn new() -> Self {
        let chain = |layouts: [Option<usize>; 5], mirror| -> [([i64; 8], [i64; 8]); 4] {
            std::array::from_fn(|k| transition(layouts[k], layouts[k + 1], mirror))
        };
        Self {
            fwd: chain([None, Some(4), Some(2), Some(1), None], false),
            inv: chain([None, Some(1), Some(2), Some(4), None], true),
        }
    }
}

/// The index vectors of one chain of [`SmallGapIndices`].
#[inline]
#[target_feature(enable = "avx512f")]
fn index_vectors(chain: &[([i64; 8], [i64; 8]); 4]) -> [(__m512i, __m512i); 4] {
    // SAFETY: plain loads of arrays of 8 i64.
    chain.map(|(a, b)| unsafe { (load(a.as_ptr().cast()), load(b.as_ptr().cast())) })
}

/// Makes every block's stage complete before any block's next stage in the
/// compiled order: an empty assembly block that takes all the blocks'
/// vectors in registers and hands them back. Left to itself, the compiler
/// runs each block's dependent stages one after another, block after
/// block, and the loop waits on one chain at a time.
#[inline]
#[target_feature(enable = "avx512f")]
fn stage_fence<const C: usize>(v: &mut [[__m512i; 2]; C]) {
    // Four blocks, as the passes run them; a tail block runs alone.
    if let [a, b, c, d] = v.as_mut_slice() {
        // SAFETY: an empty block; it only pins the values to registers.
        unsafe {
            std::arch::asm!(
                "/* {0} {1} {2} {3} {4} {5} {6} {7} */",
                inout(zmm_reg) a[0],
                inout(zmm_reg) a[1],
                inout(zmm_reg) b[0],
                inout(zmm_reg) b[1],
                inout(zmm_reg) c[0],
                inout(zmm_reg) c[1],
                inout(zmm_reg) d[0],
                inout(zmm_reg) d[1],
                options(pure, nomem, nostack, preserves_flags),
            );
        }
    }
}

/// Moves a pair of vectors to the next layout.
#[inline]
#[target_feature(enable = "avx512f")]
fn relayout(a: __m512i, b: __m512i, idx: (__m512i, __m512i)) -> (__m512i, __m512i) {
    (
        _mm512_permutex2var_epi64(a, idx.0, b),
        _mm512_permutex2var_epi64(a, idx.1, b),
    )
}

/// Stamps out the butterflies and the forward/inverse kernels for one lane
/// multiplier under its target features: `$mul_shared` where one twiddle
/// serves many products (the radix-8 passes, the fixed factors of the last
/// inverse stage and of ModDown's step), `$mul` where each product loads its
/// own (the small-gap pass), `$reduce` for the conversion from a larger
/// prime, `$reduce_lane` (a product by 1 into `[0, K·q)`) for any value the
/// lane holds where a schedule lets values grow ([`Schedule`],
/// [`InvSchedule`]), and `$times_n_inv` for the last inverse stage's
/// `(x + y)·N^{-1}`.
macro_rules! ntt_kernels {
    (
        $module:ident,
        $feat:literal,
        $mul:ident,
        $mul_shared:ident,
        $mul_wrap:ident,
        $reduce:ident,
        $reduce_lane:ident,
        $times_n_inv:ident,
        $k:literal,
        $shoup_bits:literal,
        $split:literal
    ) => {
        /// Forward and inverse kernels for this lane multiplier.
        pub mod $module {
            use super::*;

            /// The lane product returns values in `[0, K·q)`; transforms take
            /// inputs in `[0, 2K·q)` (forward) and `[0, 2q)` (inverse).
            const K: u64 = $k;

            /// 16-coefficient blocks per iteration of the small-gap passes: four
            /// chains of dependent stages keep the multipliers busy.
            const CH: usize = 4;

            /// Reduces `x ∈ [0, m·q)`, `m` a power of two, to `[0, q)`.
            #[inline]
            #[target_feature(enable = $feat)]
            fn reduce_from(mut x: __m512i, q: u64, mut m: u64) -> __m512i {
                while m > 1 {
                    m /= 2;
                    x = csub(x, _mm512_set1_epi64((m * q) as i64));
                }
                x
            }

            /// `a·w mod q` in `[0, K·q)`, by the multiplier for a twiddle
            /// shared by many products (`SHARED`) or for one loaded per
            /// product, or congruent to it mod `2^52` (`WRAP`, where the
            /// value meets no comparison before the transform's final
            /// reduction: [`mul_shoup52_wrap`]; the 64-bit lanes' products
            /// are exact either way).
            #[inline]
            #[target_feature(enable = $feat)]
            fn mul<const SHARED: bool, const WRAP: bool>(a: __m512i, t: Tw, q: __m512i) -> __m512i {
                if WRAP {
                    $mul_wrap(a, t, q)
                } else if SHARED {
                    $mul_shared(a, t, q)
                } else {
                    $mul(a, t, q)
                }
            }

            /// Forward butterfly on vectors (`kq` = K·q), `x` reduced by
            /// `c` (`REDUCE`) or not ([`Schedule`]): outputs below `x`'s
            /// bound after the reduction plus `K·q`.
            #[inline]
            #[target_feature(enable = $feat)]
            fn fwd_bfly<const SHARED: bool, const REDUCE: bool, const WRAP: bool>(
                x: __m512i,
                y: __m512i,
                t: Tw,
                q: __m512i,
                c: __m512i,
                kq: __m512i,
            ) -> (__m512i, __m512i) {
                let u = if REDUCE { csub(x, c) } else { x };
                let v = mul::<SHARED, WRAP>(y, t, q);
                (
                    _mm512_add_epi64(u, v),
                    _mm512_sub_epi64(_mm512_add_epi64(u, kq), v),
                )
            }

            /// One vector of another prime's residues mapped into this
            /// transform's input range ([`Centring`]).
            #[inline]
            #[target_feature(enable = $feat)]
            fn centre(x: __m512i, c: &Centring, q: __m512i) -> __m512i {
                let r = match c.reduce {
                    Some(one) => $reduce(x, one, q),
                    None => x,
                };
                let above = _mm512_cmpgt_epu64_mask(x, c.half);
                _mm512_mask_add_epi64(r, above, r, c.shift)
            }

            /// Puts the reduced output vector `y` of coefficients `k..k + 8`
            /// where `fin` says (`p` = the transformed array at `k`).
            ///
            /// # Safety
            /// `p` and, for [`Finish::SubMul`], `x` and `o` at `k` are valid
            /// for 8 words.
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn finish(
                p: *mut u64,
                k: usize,
                y: __m512i,
                fin: &Finish,
                q: __m512i,
                q64: u64,
            ) {
                match *fin {
                    // SAFETY: guaranteed by the caller.
                    Finish::InPlace => unsafe { store(p, y) },
                    Finish::SubMul {
                        x,
                        a,
                        o,
                        w,
                        scatter,
                    } => {
                        // SAFETY: guaranteed by the caller.
                        let xv = unsafe { load(x.add(k)) };
                        // x − y + q ∈ [0, 2q); the product in [0, K·q).
                        let d = _mm512_add_epi64(_mm512_sub_epi64(xv, y), q);
                        let mut r = reduce_from(mul::<true, false>(d, w, q), q64, K);
                        if !a.is_null() {
                            // SAFETY: guaranteed by the caller.
                            let av = unsafe { load(a.add(k)) };
                            r = csub(_mm512_add_epi64(av, r), q);
                        }
                        if scatter.is_null() {
                            // SAFETY: guaranteed by the caller.
                            unsafe { store(o.add(k), r) };
                        } else {
                            // SAFETY: guaranteed by the caller.
                            unsafe { scatter_block(o, scatter, k / 8, r) };
                        }
                    }
                }
            }

            /// Inverse butterfly on inputs below `b` ([`InvSchedule`]): the
            /// sum reduced by `K·q` (`RED = 0`, for `b = K·q`), left to grow
            /// (`1`) or brought to `[0, K·q)` by a product by `one` (`2`);
            /// the difference `(y − x + b)·w` in `[0, K·q)`, where `w` is
            /// the forward twiddle at the mirrored index: `(x − y)` times
            /// the inverse twiddle `q − w` ([`mirror`]).
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            fn inv_bfly<const SHARED: bool, const RED: u8, const WRAP: bool>(
                x: __m512i,
                y: __m512i,
                t: Tw,
                q: __m512i,
                kq: __m512i,
                b: __m512i,
                one: Tw,
            ) -> (__m512i, __m512i) {
                let sum = _mm512_add_epi64(x, y);
                let s = match RED {
                    0 => csub(sum, kq),
                    1 => sum,
                    _ => $reduce_lane(sum, one, q),
                };
                let d = _mm512_sub_epi64(_mm512_add_epi64(y, b), x);
                (s, mul::<SHARED, WRAP>(d, t, q))
            }

            /// The reduction code of stage `i` of an inverse pass of `r`
            /// stages with schedule code `lz` ([`InvSchedule::pass_code`]).
            const fn inv_red(lz: u8, i: u32, r: u32) -> u8 {
                match lz {
                    0 => 0,
                    1 => 1,
                    _ if i + 1 == r => 2,
                    _ => 1,
                }
            }

            /// The last inverse butterfly with `N^{-1}` folded in: inputs below
            /// `b` (`K·q`, or larger when lazy, with `2b` within the lane),
            /// outputs `(x + y)·N^{-1}` and `(y − x)·w·N^{-1}` in `[0, q)`
            /// (`w = ψ`, the forward table's entry 1: [`mirror`]).
            #[inline]
            #[target_feature(enable = $feat)]
            fn last_bfly(
                x: __m512i,
                y: __m512i,
                l: &LastStage,
                q: __m512i,
                b: __m512i,
            ) -> (__m512i, __m512i) {
                let s = _mm512_add_epi64(x, y);
                let d = _mm512_sub_epi64(_mm512_add_epi64(y, b), x);
                (
                    $times_n_inv(s, &l.n_inv, q),
                    reduce_from(mul::<true, false>(d, l.w_n_inv, q), l.q64, K),
                )
            }

            /// The constant a forward stage with schedule code `lz`
            /// subtracts ([`Schedule`]): `K·q`, or `2K·q` when stages
            /// alternate.
            #[inline]
            #[target_feature(enable = $feat)]
            fn reducer(lz: u8, kq: __m512i) -> __m512i {
                if lz >= 2 {
                    _mm512_add_epi64(kq, kq)
                } else {
                    kq
                }
            }

            /// One forward pass of `R ≤ 3` fused stages (radix `2^R`) over `m`
            /// blocks of `gap` coefficients: `2^R` vectors `gap/2^R` apart are
            /// loaded, go through the `R` stages in registers and are stored
            /// back. Stage `s` of the pass (`m·2^s` blocks) gives group `b` of
            /// block `i` the twiddle `ψ^{br(m·2^s + i·2^s + b)}`. With
            /// `from`, the vectors are loaded from that slice instead of `a`
            /// and mapped by [`centre`] (the first pass of
            /// [`forward_centered`]). `LZ` says which stages reduce
            /// ([`Schedule::pass_code`]).
            ///
            /// # Safety
            /// As [`forward`]; `gap >> R ≥ 8`, `m·gap ≤ a.len()`, and `from`
            /// as long as `a`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            unsafe fn fwd_pass<const R: usize, const MAPPED: bool, const LZ: u8>(
                a: &mut [u64],
                from: Option<(&[u64], &Centring)>,
                gap: usize,
                m: usize,
                tab: Table<'_>,
                q: __m512i,
                kq: __m512i,
            ) {
                let span = gap >> R;
                let red = reducer(LZ, kq);
                if $split && R == 3 && span == 16 && !MAPPED && tab.chain16.len() == 32 * m {
                    // The `wide` kernel's last radix-8 pass, its blocks
                    // chained in one piece of assembly.
                    // SAFETY: the pass covers all `m` blocks of 128 words of
                    // `a` (`m·gap ≤ a.len()`), and `chain16` holds 32 words
                    // per block; the `wide` kernel runs only where its
                    // features were detected, on primes `q ≡ 1 (mod 2^12)`
                    // below 2^61.
                    unsafe {
                        radix8::forward_chain16::<LZ>(
                            a.as_mut_ptr(),
                            m,
                            tab.chain16.as_ptr(),
                            q,
                            kq,
                            red,
                        )
                    };
                    return;
                }
                for i in 0..m {
                    let p = a[i * gap..(i + 1) * gap].as_mut_ptr();
                    if $split && (R == 3 && span >= 16 || R == 2 && asm_radix4(span, m * gap)) {
                        // The `wide` kernel's steps in assembly (`radix8`),
                        // unless the input map needs a reduction. (Every
                        // radix-8 pass of a transform has rows of 16 words
                        // or more; the check keeps the assembly's bound
                        // local.)
                        let mut tws = radix8::Twiddles::new();
                        for s in 0..R {
                            for b in 0..1 << s {
                                let idx = ((m + i) << s) + b;
                                tws.set((1 << s) - 1 + b, tab.w[idx], tab.s[idx], tab.lo[idx]);
                            }
                        }
                        let kernel = match from {
                            Some((f, c)) if MAPPED => c.scalars().map(|(half, shift)| {
                                tws.set_centring(half, shift);
                                f[i * gap..].as_ptr()
                            }),
                            _ => Some(p.cast_const()),
                        };
                        if let Some(src) = kernel {
                            // SAFETY: block i of `a` and of `from` (as long
                            // as `a`) holds `gap = 2^R·span` words; for
                            // R = 3, span ≥ 16 is a power of two (so a
                            // multiple of 16, as `radix8::forward` needs),
                            // for R = 2 a multiple of 32 (`forward4`); the
                            // `wide` kernel runs only where its features
                            // were detected, on primes `q ≡ 1 (mod 2^12)`
                            // below 2^61.
                            unsafe {
                                if R == 3 {
                                    radix8::forward::<LZ, MAPPED>(src, p, span, &tws, q, kq, red)
                                } else {
                                    radix8::forward4::<LZ, MAPPED>(src, p, span, &tws, q, kq, red)
                                }
                            };
                            continue;
                        }
                    }
                    // 1, 2, 4 twiddles for the pass's stages, stage after stage.
                    let mut tw = [splat(0, 0); 7];
                    for s in 0..R {
                        for b in 0..1 << s {
                            let idx = ((m + i) << s) + b;
                            // SAFETY: stage `s` of the pass has `m·2^s`
                            // twiddles from `m·2^s`, below `N`.
                            tw[(1 << s) - 1 + b] = unsafe { tab.at::<$split>(idx) };
                        }
                    }
                    let (src, centring) = match from {
                        Some((f, c)) if MAPPED => (f[i * gap..].as_ptr(), Some(c)),
                        _ => (p.cast_const(), None),
                    };
                    for j in (0..span).step_by(8) {
                        // SAFETY: j + (2^R − 1)·span + 8 ≤ 2^R·span = gap, inside
                        // block i of `a` and of `from` (as long as `a`).
                        let mut v = unsafe { load_strided::<R>(src.add(j), span) };
                        if MAPPED {
                            if let Some(c) = centring {
                                for x in v.iter_mut().take(1 << R) {
                                    *x = centre(*x, c, q);
                                }
                            }
                        }
                        // Twiddle slot `t` belongs to stage `log2(t + 1)`.
                        let mut bf = |x: usize, y: usize, t: usize| {
                            (v[x], v[y]) = if reduces(LZ, (t + 1).ilog2()) {
                                fwd_bfly::<true, true, false>(v[x], v[y], tw[t], q, red, kq)
                            } else if LZ == 1 {
                                fwd_bfly::<true, false, true>(v[x], v[y], tw[t], q, red, kq)
                            } else {
                                fwd_bfly::<true, false, false>(v[x], v[y], tw[t], q, red, kq)
                            };
                        };
                        // Stage by stage: pairs (x, y) and the twiddle slot of each.
                        match R {
                            1 => bf(0, 1, 0),
                            2 => {
                                bf(0, 2, 0);
                                bf(1, 3, 0);
                                bf(0, 1, 1);
                                bf(2, 3, 2);
                            }
                            _ => {
                                bf(0, 4, 0);
                                bf(1, 5, 0);
                                bf(2, 6, 0);
                                bf(3, 7, 0);
                                bf(0, 2, 1);
                                bf(1, 3, 1);
                                bf(4, 6, 2);
                                bf(5, 7, 2);
                                bf(0, 1, 3);
                                bf(2, 3, 4);
                                bf(4, 5, 5);
                                bf(6, 7, 6);
                            }
                        }
                        // SAFETY: as for the loads.
                        unsafe { store_strided::<R>(p.add(j), span, &v) };
                    }
                }
            }

            /// `N^{-1}` and `w·N^{-1}` (with its Shoup constant) for the last
            /// inverse stage, and `q` as a word for the final reduction.
            struct LastStage {
                n_inv: NInv,
                w_n_inv: Tw,
                q64: u64,
            }

            /// One inverse pass of `R ≤ 3` fused stages with gaps `g, 2g, …,
            /// 2^(R−1)·g` over blocks of `2^R·g` coefficients. Stage `s` (gap
            /// `2^s·g`, `h_s = N/2^(s+1)/g` blocks) gives sub-block `b` of
            /// block `i` the twiddle `ψ^{−br(h_s + i·2^(R−1−s) + b)}`. With
            /// `last`, the pass ends the transform and its top stage folds in
            /// `N^{-1}`. `LZ` says which stages reduce their sums
            /// ([`InvSchedule::pass_code`]); when lazy, the values enter
            /// below `bound` (a multiple of `q`), stage `s` below `2^s·bound`.
            ///
            /// # Safety
            /// As [`inverse`]; `g ≥ 8`, `2^R·g` divides `a.len()`, and `last`
            /// only when `2^R·g = a.len()`.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            unsafe fn inv_pass<const R: usize, const LAST: bool, const LZ: u8>(
                a: &mut [u64],
                g: usize,
                tab: Table<'_>,
                q: __m512i,
                kq: __m512i,
                bound: u64,
                one: Tw,
                last: Option<&LastStage>,
            ) {
                let n = a.len();
                let block = g << R;
                let b: [__m512i; 3] = std::array::from_fn(|s| {
                    if LZ == 0 {
                        kq
                    } else {
                        _mm512_set1_epi64((bound << s) as i64)
                    }
                });
                // The blocks run last to first, so that their twiddles, at
                // mirrored indices, are read first to last as in the
                // forward passes: for block `i = n/block − 1 − k`, group `b`
                // of stage `s` takes `mirror(h + i·subs + b) = h + k·subs +
                // (subs − 1 − b)` (`h = subs·n/block`).
                for k in 0..n / block {
                    let i = n / block - 1 - k;
                    // 2^(R−1), …, 2, 1 twiddles for the pass's stages, in order.
                    let mut tw = [splat(0, 0); 7];
                    for s in 0..R {
                        let (subs, h) = (1 << (R - 1 - s), n / (2 * (g << s)));
                        let off = (1 << R) - (1 << (R - s));
                        for b in 0..subs {
                            let idx = h + k * subs + (subs - 1 - b);
                            debug_assert_eq!(idx, mirror(h + i * subs + b));
                            // SAFETY: stage `s` has `h` twiddles from `h`,
                            // below `N`, and `idx` is one of them.
                            tw[off + b] = unsafe { tab.at::<$split>(idx) };
                        }
                    }
                    let p = a[i * block..(i + 1) * block].as_mut_ptr();
                    for j in (0..g).step_by(8) {
                        // SAFETY: j + (2^R − 1)·g + 8 ≤ 2^R·g = block, inside block i.
                        let mut v = unsafe { load_strided::<R>(p.add(j), g) };
                        let bf = |v: &mut [__m512i; 8], x: usize, y: usize, t: usize, s: u32| {
                            let (vx, vy, w, bs) = (v[x], v[y], tw[t], b[s as usize]);
                            (v[x], v[y]) = match inv_red(LZ, s, R as u32) {
                                0 => inv_bfly::<true, 0, false>(vx, vy, w, q, kq, bs, one),
                                1 => inv_bfly::<true, 1, true>(vx, vy, w, q, kq, bs, one),
                                _ => inv_bfly::<true, 2, true>(vx, vy, w, q, kq, bs, one),
                            };
                        };
                        // Every stage but the top one: pairs (x, y), twiddle slots
                        // and stages.
                        match R {
                            1 => {}
                            2 => {
                                bf(&mut v, 0, 1, 0, 0);
                                bf(&mut v, 2, 3, 1, 0);
                            }
                            _ => {
                                bf(&mut v, 0, 1, 0, 0);
                                bf(&mut v, 2, 3, 1, 0);
                                bf(&mut v, 4, 5, 2, 0);
                                bf(&mut v, 6, 7, 3, 0);
                                bf(&mut v, 0, 2, 4, 1);
                                bf(&mut v, 1, 3, 4, 1);
                                bf(&mut v, 4, 6, 5, 1);
                                bf(&mut v, 5, 7, 5, 1);
                            }
                        }
                        // The top stage: pairs 2^(R−1) apart, one twiddle (the last
                        // slot), or N^{-1} folded in.
                        let (half, t) = (1 << (R - 1), (1 << R) - 2);
                        for k in 0..half {
                            if LAST {
                                let l = last.expect("the last pass has its constants");
                                (v[k], v[k + half]) = last_bfly(v[k], v[k + half], l, q, b[R - 1]);
                            } else {
                                bf(&mut v, k, k + half, t, R as u32 - 1);
                            }
                        }
                        // SAFETY: as for the loads.
                        unsafe { store_strided::<R>(p.add(j), g, &v) };
                    }
                }
            }

            /// Three small-gap stages on `C` blocks held in registers, blocks
            /// `first…first + C`: the stages with `D0`, `D1`, `D2` distinct
            /// twiddles per block (gaps `8/D`) run `bfly` with twiddles from
            /// the tables ([`Table::small`]), told the stage's index in the
            /// four-stage small-gap pass (1, 2, 3); after stage `k` each
            /// block moves to layout `chain[k]`. `MIRROR` reads the tables
            /// at the inverse's mirrored indices.
            #[inline]
            #[target_feature(enable = $feat)]
            fn small_gap_stages<
                const C: usize,
                const D0: usize,
                const D1: usize,
                const D2: usize,
                const MIRROR: bool,
            >(
                v: &mut [[__m512i; 2]; C],
                first: usize,
                tab: Table<'_>,
                chain: &[(__m512i, __m512i)],
                bfly: impl Fn(__m512i, __m512i, Tw, u32) -> (__m512i, __m512i) + Copy,
            ) {
                // Written out stage by stage: as a loop over the stages the
                // blocks were kept in memory rather than registers.
                small_gap_stage::<C, D0, MIRROR>(v, first, tab, chain[0], |x, y, t| {
                    bfly(x, y, t, 1)
                });
                small_gap_stage::<C, D1, MIRROR>(v, first, tab, chain[1], |x, y, t| {
                    bfly(x, y, t, 2)
                });
                small_gap_stage::<C, D2, MIRROR>(v, first, tab, chain[2], |x, y, t| {
                    bfly(x, y, t, 3)
                });
            }

            /// One stage of [`small_gap_stages`].
            #[inline]
            #[target_feature(enable = $feat)]
            fn small_gap_stage<const C: usize, const D: usize, const MIRROR: bool>(
                v: &mut [[__m512i; 2]; C],
                first: usize,
                tab: Table<'_>,
                next: (__m512i, __m512i),
                bfly: impl Fn(__m512i, __m512i, Tw) -> (__m512i, __m512i),
            ) {
                for (c, xy) in v.iter_mut().enumerate() {
                    // SAFETY: `tab` holds the plan's N-entry tables and
                    // `first + c` is a 16-coefficient block of the transform.
                    let t = unsafe { tab.small::<D, $split, MIRROR>(first + c) };
                    let (x, y) = bfly(xy[0], xy[1], t);
                    let (x, y) = relayout(x, y, next);
                    *xy = [x, y];
                }
                stage_fence(v);
            }

            /// The forward stages with gaps 8, 4, 2, 1 and the final reduction on
            /// `a`, whose first 16-coefficient block is block `g0` of the
            /// transform (`N/16` blocks at the gap-8 stage). `C` blocks per
            /// iteration, so that their chains of dependent stages interleave.
            /// The outputs go where `fin` says (`FINISH`), or back into `a`.
            /// `LZ` says which of the four stages reduce
            /// ([`Schedule::pass_code`]), and so where the final reduction
            /// starts: below `2K·q` (`0`), `4K·q` (`2`, `3`), or anywhere
            /// below `2^52` for IFMA (`1`, a product by 1).
            ///
            /// # Safety
            /// `fin`'s arrays, if any, are valid for `N` words.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            unsafe fn fwd_small_gaps<
                const C: usize,
                const FINISH: bool,
                const LZ: u8,
                const FOLD: bool,
            >(
                a: &mut [u64],
                g0: usize,
                tab: Table<'_>,
                vt: &VecTables,
                q64: u64,
                fin: &Finish,
            ) {
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let red = reducer(LZ, kq);
                let one = splat(1, shoup(1, q64, $shoup_bits));
                let idx = index_vectors(&vt.idx.fwd);
                let bfly = |x, y, t, stage| {
                    if reduces(LZ, stage) {
                        fwd_bfly::<false, true, false>(x, y, t, q, red, kq)
                    } else if LZ == 1 {
                        fwd_bfly::<false, false, true>(x, y, t, q, red, kq)
                    } else {
                        fwd_bfly::<false, false, false>(x, y, t, q, red, kq)
                    }
                };
                debug_assert!(!FOLD || vt.fold.is_some());
                let fold = vt.fold.map_or([_mm512_setzero_si512(); 3], |f| f.vectors());
                let reduce_out = |x| match LZ {
                    _ if FOLD => fold_reduce(x, fold, q),
                    0 => reduce_from(x, q64, 2 * K),
                    1 => reduce_from($reduce_lane(x, one, q), q64, K),
                    _ => reduce_from(x, q64, 4 * K),
                };
                for (it, chunk) in a.chunks_exact_mut(16 * C).enumerate() {
                    let p = chunk.as_mut_ptr();
                    let first = g0 + C * it;
                    let mut v = [[_mm512_setzero_si512(); 2]; C];
                    for (c, xy) in v.iter_mut().enumerate() {
                        // SAFETY: `first + c` is a block of the transform (the
                        // gap-8 stage's twiddles start at N/16, as `small` reads).
                        let t8 = unsafe { tab.small::<1, $split, false>(first + c) };
                        // SAFETY: `chunk` has 16·C elements.
                        let (lo, hi) = unsafe { (load(p.add(16 * c)), load(p.add(16 * c + 8))) };
                        let (x, y) = bfly(lo, hi, t8, 0);
                        let (x, y) = relayout(x, y, idx[0]);
                        *xy = [x, y];
                    }
                    stage_fence(&mut v);
                    // Gaps 4, 2, 1.
                    small_gap_stages::<C, 2, 4, 8, false>(&mut v, first, tab, &idx[1..], bfly);
                    for (c, xy) in v.iter().enumerate() {
                        let k = 16 * (first + c);
                        // SAFETY: `chunk` has 16·C elements, coefficients
                        // 16·first … of the transform, and `fin`'s arrays have N.
                        unsafe {
                            let (y0, y1) = (reduce_out(xy[0]), reduce_out(xy[1]));
                            if FINISH {
                                finish(p.add(16 * c), k, y0, fin, q, q64);
                                finish(p.add(16 * c + 8), k + 8, y1, fin, q, q64);
                            } else {
                                store(p.add(16 * c), y0);
                                store(p.add(16 * c + 8), y1);
                            }
                        }
                    }
                }
            }

            /// The inverse stages with gaps 1, 2, 4, 8 on the `len` words at
            /// `src`, written to `dst` (the same array, or a new one: this is
            /// the transform's first pass); the first 16-coefficient block is
            /// block `g0` of the transform; `C` blocks per iteration as in
            /// [`fwd_small_gaps`]. The inputs are below `2q`; `LZ` says which
            /// stages reduce their sums ([`InvSchedule::pass_code`]).
            ///
            /// # Safety
            /// `src` is valid for reading and `dst` for writing `len` words,
            /// `len` a multiple of `16·C`; the two are the same array or do
            /// not overlap.
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "register-resident kernel state")]
            unsafe fn inv_small_gaps<const C: usize, const LZ: u8>(
                dst: *mut u64,
                src: *const u64,
                len: usize,
                g0: usize,
                tab: Table<'_>,
                vt: &VecTables,
                q64: u64,
            ) {
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let one = splat(1, shoup(1, q64, $shoup_bits));
                let idx = index_vectors(&vt.idx.inv);
                // The bound of stage s's inputs: K·q, doubling when lazy.
                let b: [__m512i; 4] = std::array::from_fn(|s| {
                    if LZ == 0 {
                        kq
                    } else {
                        _mm512_set1_epi64(((K * q64) << s) as i64)
                    }
                });
                let bfly = |x, y, t, s: u32| match inv_red(LZ, s, 4) {
                    // The transform's inputs are below 2q, so on the 64-bit
                    // lanes the first sums are below 4q = K·q already.
                    0 if K == 4 && s == 0 => inv_bfly::<false, 1, false>(x, y, t, q, kq, b[0], one),
                    0 => inv_bfly::<false, 0, false>(x, y, t, q, kq, b[s as usize], one),
                    1 => inv_bfly::<false, 1, true>(x, y, t, q, kq, b[s as usize], one),
                    _ => inv_bfly::<false, 2, true>(x, y, t, q, kq, b[s as usize], one),
                };
                for it in 0..len / (16 * C) {
                    // SAFETY: block `it` lies within the `len` words.
                    let (p, from) = unsafe { (dst.add(16 * C * it), src.add(16 * C * it)) };
                    let first = g0 + C * it;
                    let mut v = [[_mm512_setzero_si512(); 2]; C];
                    for (c, xy) in v.iter_mut().enumerate() {
                        // SAFETY: the block has 16·C words.
                        let (x, y) = unsafe {
                            relayout(load(from.add(16 * c)), load(from.add(16 * c + 8)), idx[0])
                        };
                        *xy = [x, y];
                    }
                    stage_fence(&mut v);
                    // Gaps 1, 2, 4.
                    // (Stages 0, 1, 2 of this pass: `small_gap_stages` counts
                    // from the forward pass's gap-8 stage.)
                    small_gap_stages::<C, 8, 4, 2, true>(
                        &mut v,
                        first,
                        tab,
                        &idx[1..],
                        |x, y, t, k| bfly(x, y, t, k - 1),
                    );
                    for (c, xy) in v.iter().enumerate() {
                        // SAFETY: `first + c` is a block of the transform.
                        let t8 = unsafe { tab.small::<1, $split, true>(first + c) };
                        let (x, y) = bfly(xy[0], xy[1], t8, 3);
                        // SAFETY: the block has 16·C words.
                        unsafe {
                            store(p.add(16 * c), x);
                            store(p.add(16 * c + 8), y);
                        }
                    }
                }
            }

            /// Forward NTT, output in `[0, q)`; input in `[0, 4q)` (or `[0, 2K·q)`).
            ///
            /// Stages with gaps `N/2 … 16` run in passes of up to three fused
            /// stages (radix 8); the stages with gaps 8, 4, 2, 1 and the final
            /// reduction run in one pass over registers, 16 coefficients at a time.
            ///
            /// # Safety
            /// The CPU must support this module's target features; `a.len() == t.n`;
            /// `vt` built from `t` with this module's Shoup width.
            #[target_feature(enable = $feat)]
            pub unsafe fn forward(a: &mut [u64], t: &NttTables, vt: &VecTables) {
                // SAFETY: as guaranteed by the caller.
                unsafe { forward_from(a, None, Finish::InPlace, t, vt) }
            }

            /// `a ←` the forward transform of `src` read as residues mod `p`
            /// in centred form, `x` or `x − p` (above `⌊p/2⌋`), taken mod `q`:
            /// the conversion of one limb into another prime (ModUp, ModDown,
            /// rescale) done in the transform's first pass, which loads
            /// `src` instead of `a`, so the converted limb is never written
            /// and read back. Bit-exact with `Kernels::centered_from` then
            /// [`forward`].
            ///
            /// # Safety
            /// As [`forward`]; `src.len() == a.len()`, every `src[i] < p`,
            /// and for IFMA `q > 2^12` (`⌊2^64/q⌋ < 2^52`).
            #[target_feature(enable = $feat)]
            pub unsafe fn forward_centered(
                a: &mut [u64],
                src: &[u64],
                p: u64,
                t: &NttTables,
                vt: &VecTables,
            ) {
                let q = t.modulus.value();
                let c = Centring::new(p, q, 2 * K * q);
                // SAFETY: as guaranteed by the caller.
                unsafe { forward_from(a, Some((src, &c)), Finish::InPlace, t, vt) }
            }

            /// ModDown's last step on one limb in one transform:
            /// `o[i] ← o[i] + (x[i] − y[i])·w` (`add`) or `o[i] ← (x[i] −
            /// y[i])·w`, with `y` the [`forward_centered`] transform of `src`,
            /// computed in `a` (scratch) but never stored there by the last
            /// pass, which writes `o` instead. Bit-exact with
            /// [`forward_centered`] then `Finish::SubMul` on each output
            /// vector: `Kernels::sub_mul_scalar_add` (or `_assign`), the
            /// result optionally scattered.
            ///
            /// # Safety
            /// As [`forward_centered`]; `x`, `o` and (unless null) `addend`
            /// are valid for `N` words (reads of `x` and `addend`, writes of
            /// `o`, and reads of `o` only where it is one of the others) that
            /// do not overlap `a` or `src`; `x` and `addend` hold values below
            /// `q`, and `w < q`. Unless null, `scatter` holds `N/8` moves
            /// whose blocks are inside `o`, and `o` overlaps neither `x` nor
            /// `addend`.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "one pass over six arrays")]
            pub unsafe fn forward_centered_sub_mul(
                a: &mut [u64],
                src: &[u64],
                p: u64,
                x: *const u64,
                addend: *const u64,
                o: *mut u64,
                w: u64,
                scatter: *const u64,
                t: &NttTables,
                vt: &VecTables,
            ) {
                let q = t.modulus.value();
                let c = Centring::new(p, q, 2 * K * q);
                // SAFETY: as guaranteed by the caller.
                unsafe { sub_mul_from(a, Some((src, &c)), x, addend, o, w, scatter, t, vt) }
            }

            /// [`forward_centered_sub_mul`] of `a` itself (words below `q`),
            /// transformed in place and left holding intermediate values.
            ///
            /// # Safety
            /// As [`forward_centered_sub_mul`] without `src`.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "one pass over five arrays")]
            pub unsafe fn forward_sub_mul(
                a: &mut [u64],
                x: *const u64,
                addend: *const u64,
                o: *mut u64,
                w: u64,
                scatter: *const u64,
                t: &NttTables,
                vt: &VecTables,
            ) {
                // SAFETY: as guaranteed by the caller.
                unsafe { sub_mul_from(a, None, x, addend, o, w, scatter, t, vt) }
            }

            /// [`forward_centered_sub_mul`] (`from` given) and
            /// [`forward_sub_mul`].
            ///
            /// # Safety
            /// As [`forward_centered_sub_mul`].
            #[inline]
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments, reason = "one pass over six arrays")]
            unsafe fn sub_mul_from(
                a: &mut [u64],
                from: Option<(&[u64], &Centring)>,
                x: *const u64,
                addend: *const u64,
                o: *mut u64,
                w: u64,
                scatter: *const u64,
                t: &NttTables,
                vt: &VecTables,
            ) {
                let q = t.modulus.value();
                let w = splat(w, shoup(w, q, $shoup_bits));
                let fin = Finish::SubMul {
                    x,
                    a: addend,
                    o,
                    w,
                    scatter,
                };
                // SAFETY: as guaranteed by the caller.
                unsafe { forward_from(a, from, fin, t, vt) }
            }

            /// [`forward`], its first pass reading from `from` when given.
            ///
            /// # Safety
            /// As [`forward_centered`].
            #[inline]
            #[target_feature(enable = $feat)]
            unsafe fn forward_from(
                a: &mut [u64],
                mut from: Option<(&[u64], &Centring)>,
                fin: Finish,
                t: &NttTables,
                vt: &VecTables,
            ) {
                let n = t.n;
                let q64 = t.modulus.value();
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let tab = vt.forward(t);
                let (mut gap, mut m) = (n, 1);
                let mut left = (n / 16).trailing_zeros();
                // Stages done so far, for the schedule of the next pass.
                let mut done = 0;
                /// One pass: radix `2^r`, with the input map or not, and
                /// each schedule code as a compile-time parameter.
                macro_rules! pass {
                    ($r:literal, $mapped:literal, $from:expr, $lz:expr) => {
                        match $lz {
                            0 => fwd_pass::<$r, $mapped, 0>(a, $from, gap, m, tab, q, kq),
                            1 => fwd_pass::<$r, $mapped, 1>(a, $from, gap, m, tab, q, kq),
                            2 => fwd_pass::<$r, $mapped, 2>(a, $from, gap, m, tab, q, kq),
                            _ => fwd_pass::<$r, $mapped, 3>(a, $from, gap, m, tab, q, kq),
                        }
                    };
                }
                while left > 0 {
                    let r = if $split {
                        wide_pass_radix(left)
                    } else {
                        pass_radix(left)
                    };
                    let lz = vt.schedule.pass_code(done);
                    // SAFETY: gap ≥ 2^r·16, so every pass loads whole vectors inside a.
                    // The plain passes are compiled without the input map.
                    unsafe {
                        match (r, from.is_some()) {
                            (1, false) => pass!(1, false, None, lz),
                            (2, false) => pass!(2, false, None, lz),
                            (_, false) => pass!(3, false, None, lz),
                            (1, true) => pass!(1, true, from, lz),
                            (2, true) => pass!(2, true, from, lz),
                            (_, true) => pass!(3, true, from, lz),
                        }
                    }
                    from = None;
                    gap >>= r;
                    m <<= r;
                    left -= r;
                    done += r;
                }
                // Gap 8 between the two halves of each 16-coefficient block, then gaps
                // 4, 2, 1 and the final reduction.
                let whole = n - n % (16 * CH);
                let (head, tail) = a.split_at_mut(whole);
                /// Both parts with one schedule code and finishing step.
                macro_rules! small {
                    ($finish:literal, $lz:literal) => {{
                        if vt.fold.is_some() {
                            small!($finish, $lz, true)
                        } else {
                            small!($finish, $lz, false)
                        }
                    }};
                    ($finish:literal, $lz:literal, $fold:literal) => {{
                        debug_assert_eq!(m, n / 16, "the gap-8 stage has N/16 blocks");
                        fwd_small_gaps::<CH, $finish, $lz, $fold>(head, 0, tab, vt, q64, &fin);
                        fwd_small_gaps::<1, $finish, $lz, $fold>(
                            tail,
                            whole / 16,
                            tab,
                            vt,
                            q64,
                            &fin,
                        );
                    }};
                }
                // SAFETY: `fin`'s arrays are valid for N words (caller).
                // (The plain transform is compiled without the finishing
                // step, and the IFMA kernel's schedule code 1 without the
                // table: `FinalFold` is for the 64-bit lanes.)
                unsafe {
                    match (matches!(fin, Finish::InPlace), vt.schedule.pass_code(done)) {
                        (true, 0) => small!(false, 0),
                        (true, 1) => small!(false, 1, false),
                        (true, 2) => small!(false, 2),
                        (true, _) => small!(false, 3),
                        (false, 0) => small!(true, 0),
                        (false, 1) => small!(true, 1, false),
                        (false, 2) => small!(true, 2),
                        (false, _) => small!(true, 3),
                    }
                }
            }

            /// Inverse NTT including `N^{-1}`, output in `[0, q)`; input in `[0, 2q)`.
            ///
            /// The mirror of [`forward`]: gaps 1, 2, 4, 8 in one register pass,
            /// then passes of up to three fused stages; `N^{-1}` is folded into
            /// the last stage.
            ///
            /// # Safety
            /// As [`forward`].
            #[target_feature(enable = $feat)]
            pub unsafe fn inverse(a: &mut [u64], t: &NttTables, vt: &VecTables) {
                let p = a.as_mut_ptr();
                // SAFETY: as guaranteed by the caller; in place.
                unsafe { inverse_write(p, p, t, vt) }
            }

            /// [`inverse`] of the `N` words at `src` into `dst`, whose first
            /// pass reads `src` and writes every word of `dst` (which may be
            /// uninitialized, or `src` itself).
            ///
            /// # Safety
            /// As [`inverse`]; `src` is valid for reading and `dst` for
            /// writing `N` words, and they are the same array or do not
            /// overlap.
            #[target_feature(enable = $feat)]
            pub unsafe fn inverse_write(
                dst: *mut u64,
                src: *const u64,
                t: &NttTables,
                vt: &VecTables,
            ) {
                let n = t.n;
                let q64 = t.modulus.value();
                let q = _mm512_set1_epi64(q64 as i64);
                let kq = _mm512_set1_epi64((K * q64) as i64);
                let tab = vt.inverse(t);
                let one = splat(1, shoup(1, q64, $shoup_bits));
                let whole = n - n % (16 * CH);
                let (d, s) = (dst.wrapping_add(whole), src.wrapping_add(whole));
                /// Both parts of the small-gap pass with one schedule code.
                macro_rules! small {
                    ($lz:literal) => {{
                        inv_small_gaps::<CH, $lz>(dst, src, whole, 0, tab, vt, q64);
                        inv_small_gaps::<1, $lz>(d, s, n - whole, whole / 16, tab, vt, q64);
                    }};
                }
                // The bound of the values entering the next pass, in words:
                // K·q after a pass that reduces its sums, else 2^r times more.
                let (radix, passes) = inverse_passes(n);
                let next_bound = |bound: u64, p: usize, lz: u8| {
                    if lz == 1 {
                        bound << radix[p]
                    } else {
                        K * q64
                    }
                };
                let lz = vt.inv_schedule.pass_code(0);
                // SAFETY: as guaranteed by the caller; the head is a multiple
                // of 16·CH words and the tail of 16 (N ≥ 32 is a power of two),
                // so `d` and `s` are inside the arrays.
                unsafe {
                    match lz {
                        0 => small!(0),
                        1 => small!(1),
                        _ => small!(2),
                    }
                }
                let mut bound = next_bound(K * q64, 0, lz);
                // SAFETY: the first pass wrote all N words of `dst`, valid
                // for reads and writes (caller), and nothing else refers to
                // them during the remaining passes.
                let a = unsafe { std::slice::from_raw_parts_mut(dst, n) };
                let fin = LastStage {
                    n_inv: NInv::new(n, q64, vt.n_inv),
                    w_n_inv: splat(vt.last_w_n_inv.0, vt.last_w_n_inv.1),
                    q64,
                };
                let mut gap = 16;
                /// One pass of radix `r`, last or not, with each schedule
                /// code as a compile-time parameter (the last pass's top stage
                /// never reduces its sums: `N^{-1}` takes them as they are).
                macro_rules! pass {
                    ($r:literal, $last:literal, $lz:expr, $fin:expr) => {
                        match $lz {
                            0 => inv_pass::<$r, $last, 0>(a, gap, tab, q, kq, bound, one, $fin),
                            1 => inv_pass::<$r, $last, 1>(a, gap, tab, q, kq, bound, one, $fin),
                            _ if $last => {
                                inv_pass::<$r, $last, 1>(a, gap, tab, q, kq, bound, one, $fin)
                            }
                            _ => inv_pass::<$r, $last, 2>(a, gap, tab, q, kq, bound, one, $fin),
                        }
                    };
                }
                for p in 1..passes {
                    let (r, last) = (radix[p], p + 1 == passes);
                    let lz = vt.inv_schedule.pass_code(p);
                    // SAFETY: gap ≥ 16 and 2^r·gap divides N; `last` only on the
                    // pass that reaches gap N/2.
                    unsafe {
                        match (r, last) {
                            (1, false) => pass!(1, false, lz, None),
                            (2, false) => pass!(2, false, lz, None),
                            (_, false) => pass!(3, false, lz, None),
                            (1, true) => pass!(1, true, lz, Some(&fin)),
                            (2, true) => pass!(2, true, lz, Some(&fin)),
                            (_, true) => pass!(3, true, lz, Some(&fin)),
                        }
                    }
                    bound = next_bound(bound, p, lz);
                    gap <<= r;
                }
            }
        }
    };
}

ntt_kernels!(
    ifma,
    "avx512f,avx512ifma",
    mul_shoup52_lazy,
    mul_shoup52_lazy,
    mul_shoup52_wrap,
    reduce52_lazy,
    reduce52_small,
    times_n_inv_52,
    2,
    52,
    false
);
ntt_kernels!(
    wide,
    "avx512f,avx512dq,avx512bw,avx512ifma",
    mul_shoup64_ifma,
    mul_shoup64_ifma,
    mul_shoup64_ifma,
    reduce64_ifma_lazy,
    reduce64_ifma_lazy,
    times_n_inv_64,
    4,
    64,
    true
);
ntt_kernels!(
    dq,
    "avx512f,avx512dq,avx512bw",
    mul_shoup64_lazy,
    mul_shoup64_lazy,
    mul_shoup64_lazy,
    reduce64_lazy,
    reduce64_lazy,
    times_n_inv_64,
    4,
    64,
    false
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::modulus::Modulus;
    use crate::math::primes::{is_prime, ntt_primes_below};
    use crate::testing::test_rng;
    use rand::Rng;

    fn lanes(v: __m512i) -> [u64; 8] {
        // SAFETY: `__m512i` and `[u64; 8]` have the same size, any bits valid.
        unsafe { std::mem::transmute(v) }
    }

    fn vector(x: &[u64; 8]) -> __m512i {
        // SAFETY: as for `lanes`.
        unsafe { std::mem::transmute(*x) }
    }

    #[test]
    fn inverse_twiddles_are_the_forward_ones_mirrored_and_negated() {
        // What lets the inverse kernels read the forward tables.
        for log_n in [5, 10, 13, 16] {
            let n = 1 << log_n;
            for bits in [30, 40, 50, 60, 61] {
                let q = ntt_primes_below(bits, n, 1, &[])[0];
                let t = NttTables::new(n, q);
                for k in 1..n {
                    assert_eq!(
                        t.psi_inv_rev[k],
                        q - t.psi_rev[mirror(k)],
                        "N = {n}, q = {q}, index {k}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_chained_pass_is_the_radix_8_pass_over_128_word_blocks() {
        // log2(N/16) stages before the small-gap pass, in passes of
        // `wide_pass_radix`: the last is radix 8 down to gap 128 whenever
        // three stages or more and not exactly four are left.
        let with: Vec<u32> = (5..=17).filter(|&b| forward_has_chain16(1 << b)).collect();
        assert_eq!(with, [7, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
        // The same passes as `pass_radix` takes, in another order.
        let passes = |radix: fn(u32) -> u32, left: u32| {
            let (mut k, mut out) = (left, Vec::new());
            while k > 0 {
                out.push(radix(k));
                k -= radix(k);
            }
            out.sort_unstable();
            out
        };
        for left in 1..=14 {
            assert_eq!(
                passes(wide_pass_radix, left),
                passes(pass_radix, left),
                "{left} stages"
            );
        }
    }

    /// The bounds [`Schedule`] and [`InvSchedule`] document, followed
    /// stage by stage for every kernel, prime size and `N`, with `q` at the
    /// top of its size: no value outgrows the lane, and the forward final
    /// reduction starts from the bound it assumes. Forward passes see the
    /// schedule through [`Schedule::pass_code`] and [`reduces`]; for any
    /// first stage that gives the transform's rule (odd stages reduce, when
    /// alternating).
    #[test]
    fn schedules_keep_values_inside_the_lanes() {
        for first in 0..20u32 {
            for i in 0..4 {
                let code = Schedule::Alternate.pass_code(first);
                assert_eq!(
                    reduces(code, i),
                    (first + i) % 2 == 1,
                    "stage {first} + {i}"
                );
                assert!(reduces(Schedule::Every.pass_code(first), i));
                assert!(!reduces(Schedule::Never.pass_code(first), i));
            }
        }
        for kernel in [Kernel::Ifma, Kernel::Wide, Kernel::Dq] {
            let (k, lane) = if kernel == Kernel::Ifma {
                (2u128, 52)
            } else {
                (4, 64)
            };
            for bits in 20..=kernel.max_bits() {
                let q = (1u64 << bits) - 1;
                for log_n in 5..=17u32 {
                    let schedule = Schedule::choose(kernel, q, 1 << log_n);
                    // The bound of the values, in multiples of q.
                    let mut bound = 2 * k;
                    for stage in 0..log_n {
                        if reduces(schedule.pass_code(stage), 0) {
                            let c = if schedule == Schedule::Alternate {
                                2 * k
                            } else {
                                k
                            };
                            bound = c.max(bound.saturating_sub(c));
                        }
                        bound += k;
                        assert!(
                            bound * u128::from(q) <= 1 << lane,
                            "{kernel:?}, {bits}-bit q, N = 2^{log_n}, {schedule:?}: \
                             {bound}q after stage {stage}"
                        );
                    }
                    match schedule {
                        Schedule::Every => assert!(bound <= 2 * k),
                        Schedule::Alternate => assert!(bound <= 4 * k),
                        Schedule::Never => assert_eq!(kernel, Kernel::Ifma),
                    }
                }
            }
        }
        // The inverse: lazy passes keep every sum and every `x − y + b`
        // within 2^52, and the last pass never reduces (N^{-1} takes the
        // sums as they are).
        for kernel in [Kernel::Ifma, Kernel::Wide, Kernel::Dq] {
            for bits in 20..=kernel.max_bits() {
                let q = (1u64 << bits) - 1;
                for log_n in 5..=17u32 {
                    let schedule = InvSchedule::choose(kernel, q, 1 << log_n);
                    if kernel != Kernel::Ifma {
                        assert_eq!(schedule, InvSchedule::Every);
                        continue;
                    }
                    let (radix, passes) = inverse_passes(1 << log_n);
                    assert_eq!(radix[..passes].iter().sum::<u32>(), log_n);
                    let mut bound = 2u128;
                    for (p, &r) in radix[..passes].iter().enumerate() {
                        let code = schedule.pass_code(p);
                        assert!(code != 2 || p + 1 < passes, "{bits}-bit q, N = 2^{log_n}");
                        for i in 0..r {
                            let b = if code == 0 { 2 } else { bound << i };
                            assert!(
                                2 * b * u128::from(q) <= 1 << 52,
                                "{bits}-bit q, N = 2^{log_n}, {schedule:?}: pass {p} stage {i} \
                                 enters below {b}q"
                            );
                        }
                        bound = if code == 1 { bound << r } else { 2 };
                    }
                }
            }
        }
        // The primes the backend tests run on reach every schedule.
        let at_inv = |bits| {
            let q = ntt_primes_below(bits, 8192, 1, &[])[0];
            InvSchedule::choose(Kernel::Ifma, q, 8192)
        };
        assert!(matches!(at_inv(40), InvSchedule::Lazy { reduce_after } if reduce_after != 0));
        assert_eq!(at_inv(30), InvSchedule::Lazy { reduce_after: 0 });
        assert_eq!(at_inv(49), InvSchedule::Every);
        let at = |kernel, bits| {
            let q = ntt_primes_below(bits, 8192, 1, &[])[0];
            Schedule::choose(kernel, q, 8192)
        };
        assert_eq!(at(Kernel::Ifma, 40), Schedule::Never);
        assert_eq!(at(Kernel::Ifma, 49), Schedule::Alternate);
        assert_eq!(at(Kernel::Ifma, 50), Schedule::Every);
        for kernel in [Kernel::Wide, Kernel::Dq] {
            assert_eq!(at(kernel, 60), Schedule::Alternate);
            assert_eq!(at(kernel, 61), Schedule::Every);
        }
    }

    /// `x − est·q mod 2^64` by IFMA for primes `≡ 1 (mod 2^12)` from 51 to
    /// 61 bits, `est` over the whole 64-bit range, its 52-bit boundary
    /// included.
    #[test]
    fn est_q_from_ifma_is_the_64_bit_product() {
        if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512ifma")) {
            println!("no AVX-512 IFMA on this CPU: not run");
            return;
        }
        let mut rng = test_rng();
        for bits in [51u32, 55, 60, 61] {
            let q = ntt_primes_below(bits, 2048, 1, &[])[0];
            let edges = [0, 1, (1 << 52) - 1, 1 << 52, u64::MAX, u64::MAX >> 2];
            for round in 0..64 {
                let est: [u64; 8] = std::array::from_fn(|i| {
                    if round == 0 && i < edges.len() {
                        edges[i]
                    } else {
                        rng.gen()
                    }
                });
                let x: [u64; 8] = std::array::from_fn(|_| rng.gen());
                // SAFETY: the features were checked above.
                let got = lanes(unsafe {
                    sub_est_q_ifma(vector(&x), vector(&est), _mm512_set1_epi64(q as i64))
                });
                for i in 0..8 {
                    assert_eq!(
                        got[i],
                        x[i].wrapping_sub(est[i].wrapping_mul(q)),
                        "q = {q}, x = {}, est = {}",
                        x[i],
                        est[i]
                    );
                }
            }
        }
    }

    /// The final reduction by a table of multiples ([`FinalFold`]): built
    /// for every prime when the outputs are below `8q`, and below `16q`
    /// for the primes just below a power of two that NTT plans take; and
    /// wherever built, `x mod q` at both ends of every range of `x` that
    /// picks one multiple, and on random `x`.
    #[test]
    fn final_fold_reduces_every_output_range() {
        if !is_x86_feature_detected!("avx512f") {
            println!("no AVX-512F on this CPU: not run");
            return;
        }
        let mut rng = test_rng();
        let prime_below = |limit: u64| (1..).map(|d| limit - 2 * d + 1).find(|&p| is_prime(p));
        let (mut built, mut refused) = (0, 0);
        for bits in [51u32, 55, 59, 60, 61] {
            let near = ntt_primes_below(bits, 8192, 1, &[])[0];
            let mid = prime_below(3 << (bits - 2)).expect("a prime below 3·2^(bits − 2)");
            let low =
                prime_below((1 << (bits - 1)) + (1 << 20)).expect("a prime above 2^(bits − 1)");
            for q in [near, mid, low] {
                let q128 = u128::from(q);
                for k in [8u128, 16] {
                    if k == 16 && bits > 60 {
                        continue; // 16q > 2^64: no 61-bit schedule reaches it
                    }
                    let bound = k * q128;
                    let Some(fold) = FinalFold::new(q, bound) else {
                        assert!(k == 16 && q != near, "no table for q = {q}, bound {k}q");
                        refused += 1;
                        continue;
                    };
                    built += 1;
                    let s = fold.shift;
                    let mut xs = Vec::new();
                    for j in 0..16u128 {
                        let first = j << s;
                        if first >= bound {
                            break;
                        }
                        let last = (((j + 1) << s).min(bound) - 1) as u64;
                        xs.extend([first as u64, first as u64 + 1, last - 1, last]);
                    }
                    xs.extend((0..64).map(|_| rng.gen_range(0..bound) as u64));
                    for x in xs.chunks(8) {
                        let mut v = [0u64; 8];
                        v[..x.len()].copy_from_slice(x);
                        // SAFETY: AVX-512F was checked above.
                        let got = lanes(unsafe {
                            fold_reduce(vector(&v), fold.vectors(), _mm512_set1_epi64(q as i64))
                        });
                        for i in 0..8 {
                            assert_eq!(got[i], v[i] % q, "q = {q}, bound {k}q, x = {}", v[i]);
                        }
                    }
                }
            }
        }
        // Both branches ran: the table, and the subtractions it leaves to.
        assert!(built > 0 && refused > 0, "{built} built, {refused} refused");
    }

    /// `x·N^{-1} mod q` by division, fully reduced, over `[0, 8q)` with its
    /// ends and the multiples of `N` around them, for the sizes and prime
    /// widths the 64-bit lanes take.
    #[test]
    fn division_by_n_is_the_product_by_n_inverse() {
        if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq")) {
            println!("no AVX-512 DQ on this CPU: not run");
            return;
        }
        let mut rng = test_rng();
        for log_n in [5u32, 10, 13, 16] {
            let n = 1usize << log_n;
            for bits in [30u32, 40, 50, 60, 61] {
                let q = ntt_primes_below(bits, n, 1, &[])[0];
                let m = Modulus::new(q);
                let n_inv = m.inv(n as u64).expect("N < q");
                // SAFETY: AVX-512F was checked above.
                let div = unsafe { NInv::new(n, q, (n_inv, m.shoup(n_inv))) };
                let top = 8 * q;
                let edges = [
                    0,
                    1,
                    n as u64 - 1,
                    n as u64,
                    q - 1,
                    q,
                    top - n as u64,
                    top - 1,
                ];
                for round in 0..32 {
                    let x: [u64; 8] = if round == 0 {
                        edges
                    } else {
                        std::array::from_fn(|_| rng.gen_range(0..top))
                    };
                    // SAFETY: the features were checked above.
                    let got = lanes(unsafe {
                        times_n_inv_64(vector(&x), &div, _mm512_set1_epi64(q as i64))
                    });
                    for i in 0..8 {
                        assert_eq!(
                            got[i],
                            m.mul(m.reduce(x[i]), n_inv),
                            "N = {n}, q = {q}, x = {}",
                            x[i]
                        );
                    }
                }
            }
        }
    }
}
