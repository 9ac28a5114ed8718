//! ChaCha20 block functions for x86-64: eight blocks per call with AVX2,
//! sixteen with AVX-512F.
//!
//! Register `x[i]` holds word `i` of consecutive blocks, one block per lane
//! (the counter words differ lane by lane), so the double rounds of
//! `chacha.rs` apply unchanged to whole registers. At the end the 16 × L
//! word matrix is transposed to block order: 32-bit and 64-bit unpacks
//! transpose 4 × 4 tiles inside each 128-bit lane, then 128-bit shuffles
//! gather the four tiles of a block.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::chacha::initial_state;

/// Overwrites `v` with zeros by a volatile write the compiler keeps: the
/// key-derived state a block function leaves in its stack frame. Best
/// effort, as for any wipe in Rust: copies the compiler keeps only in
/// registers or in other spill slots are out of its reach.
fn wipe<T: Copy>(v: &mut T) {
    // SAFETY: `v` is a valid, aligned, exclusive reference; `T` here is an
    // array of integers or integer vectors, for which all-zero bits are a
    // valid value.
    unsafe { std::ptr::write_volatile(v, std::mem::zeroed()) };
}

/// The counter words of blocks `block … block + L − 1`.
fn counters<const L: usize>(block: u64) -> ([u32; L], [u32; L]) {
    let mut lo = [0u32; L];
    let mut hi = [0u32; L];
    for (b, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
        let c = block.wrapping_add(b as u64);
        *l = c as u32;
        *h = (c >> 32) as u32;
    }
    (lo, hi)
}

macro_rules! double_rounds {
    ($x:ident, $add:ident, $xor:ident, $rol:ident) => {
        for _ in 0..10 {
            double_rounds!(@qr $x, $add, $xor, $rol, 0, 4, 8, 12);
            double_rounds!(@qr $x, $add, $xor, $rol, 1, 5, 9, 13);
            double_rounds!(@qr $x, $add, $xor, $rol, 2, 6, 10, 14);
            double_rounds!(@qr $x, $add, $xor, $rol, 3, 7, 11, 15);
            double_rounds!(@qr $x, $add, $xor, $rol, 0, 5, 10, 15);
            double_rounds!(@qr $x, $add, $xor, $rol, 1, 6, 11, 12);
            double_rounds!(@qr $x, $add, $xor, $rol, 2, 7, 8, 13);
            double_rounds!(@qr $x, $add, $xor, $rol, 3, 4, 9, 14);
        }
    };
    (@qr $x:ident, $add:ident, $xor:ident, $rol:ident, $a:expr, $b:expr, $c:expr, $d:expr) => {
        $x[$a] = $add($x[$a], $x[$b]);
        $x[$d] = $rol::<16>($xor($x[$d], $x[$a]));
        $x[$c] = $add($x[$c], $x[$d]);
        $x[$b] = $rol::<12>($xor($x[$b], $x[$c]));
        $x[$a] = $add($x[$a], $x[$b]);
        $x[$d] = $rol::<8>($xor($x[$d], $x[$a]));
        $x[$c] = $add($x[$c], $x[$d]);
        $x[$b] = $rol::<7>($xor($x[$b], $x[$c]));
    };
}

/// Sixteen blocks from counter `block` into `out` (256 words, block order).
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn blocks16(key: &[u32; 8], block: u64, out: &mut [u32; 256]) {
    #[inline(always)]
    fn rol<const R: i32>(v: __m512i) -> __m512i {
        // SAFETY: only reached from `blocks16`, which requires AVX-512F.
        unsafe { _mm512_rol_epi32::<R>(v) }
    }
    #[inline(always)]
    fn add(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: as above.
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    fn xor(a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: as above.
        unsafe { _mm512_xor_si512(a, b) }
    }

    let mut s = initial_state(key, 0);
    let (lo, hi) = counters::<16>(block);
    let mut input = [_mm512_setzero_si512(); 16];
    for (v, &w) in input.iter_mut().zip(&s) {
        *v = _mm512_set1_epi32(w as i32);
    }
    // SAFETY: `lo` and `hi` are 16 words, one unaligned 512-bit load each.
    unsafe {
        input[12] = _mm512_loadu_si512(lo.as_ptr().cast());
        input[13] = _mm512_loadu_si512(hi.as_ptr().cast());
    }
    let mut x = input;
    double_rounds!(x, add, xor, rol);
    for (v, i) in x.iter_mut().zip(&input) {
        *v = add(*v, *i);
    }

    // Rows 4g … 4g+3 transposed within each 128-bit lane: `t[g][j]`, lane k
    // holds words 4g … 4g+3 of block 4k + j.
    let mut t = [[_mm512_setzero_si512(); 4]; 4];
    for (g, tg) in t.iter_mut().enumerate() {
        let r = &x[4 * g..4 * g + 4];
        let a0 = _mm512_unpacklo_epi32(r[0], r[1]);
        let a1 = _mm512_unpackhi_epi32(r[0], r[1]);
        let a2 = _mm512_unpacklo_epi32(r[2], r[3]);
        let a3 = _mm512_unpackhi_epi32(r[2], r[3]);
        tg[0] = _mm512_unpacklo_epi64(a0, a2);
        tg[1] = _mm512_unpackhi_epi64(a0, a2);
        tg[2] = _mm512_unpacklo_epi64(a1, a3);
        tg[3] = _mm512_unpackhi_epi64(a1, a3);
    }
    // Block 4k + j is lane k of t[0][j], t[1][j], t[2][j], t[3][j].
    #[expect(
        clippy::needless_range_loop,
        reason = "j picks one tile of four arrays"
    )]
    for j in 0..4 {
        let p = _mm512_shuffle_i32x4::<0b10_00_10_00>(t[0][j], t[1][j]);
        let q = _mm512_shuffle_i32x4::<0b11_01_11_01>(t[0][j], t[1][j]);
        let r = _mm512_shuffle_i32x4::<0b10_00_10_00>(t[2][j], t[3][j]);
        let u = _mm512_shuffle_i32x4::<0b11_01_11_01>(t[2][j], t[3][j]);
        let blocks = [
            _mm512_shuffle_i32x4::<0b10_00_10_00>(p, r),
            _mm512_shuffle_i32x4::<0b10_00_10_00>(q, u),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(p, r),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(q, u),
        ];
        for (k, v) in blocks.into_iter().enumerate() {
            let at = (4 * k + j) * 16;
            // SAFETY: `at + 16 ≤ 256`: one 512-bit store inside `out`.
            unsafe { _mm512_storeu_si512(out[at..at + 16].as_mut_ptr().cast(), v) };
        }
    }
    // The key words; `x` and `t` hold the output, as secret as `out`
    // itself, which the generator's buffer wipes.
    wipe(&mut s);
    wipe(&mut input);
}

/// Eight blocks from counter `block` into `out` (128 words, block order).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn blocks8(key: &[u32; 8], block: u64, out: &mut [u32]) {
    assert_eq!(out.len(), 128, "eight blocks of 16 words");
    #[inline(always)]
    fn rol<const R: i32>(v: __m256i) -> __m256i {
        // SAFETY: only reached from `blocks8`, which requires AVX2.
        unsafe {
            match R {
                // Byte rotations are one shuffle.
                16 => _mm256_shuffle_epi8(
                    v,
                    _mm256_set_epi8(
                        13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13, 12, 15, 14, 9, 8,
                        11, 10, 5, 4, 7, 6, 1, 0, 3, 2,
                    ),
                ),
                8 => _mm256_shuffle_epi8(
                    v,
                    _mm256_set_epi8(
                        14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3, 14, 13, 12, 15, 10,
                        9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,
                    ),
                ),
                12 => _mm256_or_si256(_mm256_slli_epi32::<12>(v), _mm256_srli_epi32::<20>(v)),
                _ => _mm256_or_si256(_mm256_slli_epi32::<7>(v), _mm256_srli_epi32::<25>(v)),
            }
        }
    }
    #[inline(always)]
    fn add(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: as above.
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    fn xor(a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: as above.
        unsafe { _mm256_xor_si256(a, b) }
    }
    let mut s = initial_state(key, 0);
    let (lo, hi) = counters::<8>(block);
    let mut input = [_mm256_setzero_si256(); 16];
    for (v, &w) in input.iter_mut().zip(&s) {
        *v = _mm256_set1_epi32(w as i32);
    }
    // SAFETY: `lo` and `hi` are 8 words, one unaligned 256-bit load each.
    unsafe {
        input[12] = _mm256_loadu_si256(lo.as_ptr().cast());
        input[13] = _mm256_loadu_si256(hi.as_ptr().cast());
    }
    let mut x = input;
    double_rounds!(x, add, xor, rol);
    for (v, i) in x.iter_mut().zip(&input) {
        *v = add(*v, *i);
    }

    // As in `blocks16`, with two 128-bit lanes: block 4k + j, words
    // 8h … 8h+7, is lane k of t[2h][j] then lane k of t[2h+1][j].
    let mut t = [[_mm256_setzero_si256(); 4]; 4];
    for (g, tg) in t.iter_mut().enumerate() {
        let r = &x[4 * g..4 * g + 4];
        let a0 = _mm256_unpacklo_epi32(r[0], r[1]);
        let a1 = _mm256_unpackhi_epi32(r[0], r[1]);
        let a2 = _mm256_unpacklo_epi32(r[2], r[3]);
        let a3 = _mm256_unpackhi_epi32(r[2], r[3]);
        tg[0] = _mm256_unpacklo_epi64(a0, a2);
        tg[1] = _mm256_unpackhi_epi64(a0, a2);
        tg[2] = _mm256_unpacklo_epi64(a1, a3);
        tg[3] = _mm256_unpackhi_epi64(a1, a3);
    }
    #[expect(
        clippy::needless_range_loop,
        reason = "j picks one tile of four arrays"
    )]
    for j in 0..4 {
        for h in 0..2 {
            let (a, b) = (t[2 * h][j], t[2 * h + 1][j]);
            let halves = [
                _mm256_permute2x128_si256::<0x20>(a, b),
                _mm256_permute2x128_si256::<0x31>(a, b),
            ];
            for (k, v) in halves.into_iter().enumerate() {
                let at = (4 * k + j) * 16 + 8 * h;
                // SAFETY: `at + 8 ≤ 128 = out.len()` (asserted above).
                unsafe { _mm256_storeu_si256(out[at..at + 8].as_mut_ptr().cast(), v) };
            }
        }
    }
    // The key words; `x` and `t` hold the output, as secret as `out`
    // itself, which the generator's buffer wipes.
    wipe(&mut s);
    wipe(&mut input);
}
