//! Residues stored in as few bytes as their prime needs.
//!
//! A key switch reads its key once per call, about as many bytes as the
//! rest of its work moves together, and from beyond the second-level cache:
//! its inner products wait on that stream. A residue mod a 40-bit prime
//! held in a 64-bit word carries three bytes of zeros. [`PackedLimbs`]
//! keeps `⌈b/8⌉` bytes per residue (five for the `seed` preset's 40-bit
//! primes), and the IFMA inner product (`Kernels::dot_write_packed`) widens
//! eight of them back into a vector with one byte permutation (`vpermb`,
//! AVX-512 VBMI) as it loads them.

use crate::math::aligned::AlignedVec;

/// Readable bytes after the last residue, so that a 64-byte load starting
/// at any residue stays inside the buffer.
const PAD: usize = 64;

/// Limbs of `n` residues below `2^(8·width)`, each in `width` bytes,
/// least significant first, one limb after another.
#[derive(Clone, Debug)]
pub(crate) struct PackedLimbs {
    width: usize,
    n: usize,
    limbs: usize,
    /// The bytes, in words for their alignment; `PAD` bytes (zeros) after
    /// the last limb.
    words: AlignedVec,
}

impl PackedLimbs {
    /// Bytes per residue for a prime of `bits` bits.
    #[must_use]
    pub(crate) fn width(bits: u32) -> usize {
        bits.div_ceil(8) as usize
    }

    /// `limbs` packed at `width` bytes per residue.
    ///
    /// # Panics
    /// If the limbs differ in length, or a residue does not fit `width`
    /// bytes (an internal bug).
    #[must_use]
    pub(crate) fn new(width: usize, limbs: &[&[u64]]) -> Self {
        assert!((1..=8).contains(&width), "packed width {width} bytes");
        let n = limbs.first().map_or(0, |l| l.len());
        let total = limbs.len() * n * width;
        let len = (total + PAD).div_ceil(8);
        // Kept as long as the key: pages mapped up front, as the key's own.
        let mut words = AlignedVec::with_capacity_mapped(len);
        let view = words.spare_capacity_mut()[..len].as_mut_ptr().cast::<u8>();
        let max = if width == 8 {
            u64::MAX
        } else {
            (1 << (8 * width)) - 1
        };
        let mut top = 0;
        for (i, limb) in limbs.iter().enumerate() {
            assert_eq!(limb.len(), n, "packed limbs differ in length");
            // Each residue as a whole word at its place: the next one
            // overwrites the bytes past `width`, and the last one's land in
            // the padding. Much faster than `width`-byte copies (key
            // generation packs every key).
            for (k, &x) in limb.iter().enumerate() {
                top |= x;
                // SAFETY: `(i·n + k)·width + 8 ≤ total + 8 ≤ 8·len`: inside
                // the spare capacity taken above.
                unsafe {
                    view.add((i * n + k) * width)
                        .cast::<u64>()
                        .write_unaligned(x.to_le());
                }
            }
        }
        // SAFETY: the bytes from `total` to the end of the `len` words are
        // inside the spare capacity; with them zeroed, the stores above
        // initialized every byte before `total`, so all `len` words are.
        unsafe {
            view.add(total).write_bytes(0, 8 * len - total);
            words.set_len(len);
        }
        // Checked once at the end: a residue too large would have spilled
        // into its neighbour's bytes, never outside the buffer.
        assert!(top <= max, "a residue does not fit {width} bytes");
        Self {
            width,
            n,
            limbs: limbs.len(),
            words,
        }
    }

    /// Limb `i`.
    ///
    /// # Panics
    /// If there is no limb `i` (an internal bug).
    #[must_use]
    pub(crate) fn limb(&self, i: usize) -> Packed<'_> {
        assert!(i < self.limbs, "packed limb {i} of {}", self.limbs);
        // SAFETY: as in `new`, a byte view of initialized words.
        let all = unsafe {
            std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.words.len() * 8)
        };
        let start = i * self.n * self.width;
        Packed {
            width: self.width,
            n: self.n,
            bytes: &all[start..start + self.n * self.width + PAD],
        }
    }
}

/// One packed limb: `n` residues of `width` bytes, followed by at least
/// 64 readable bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packed<'a> {
    width: usize,
    n: usize,
    bytes: &'a [u8],
}

impl Packed<'_> {
    /// Bytes per residue.
    #[must_use]
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Number of residues.
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// The first byte; `width·len() + 64` bytes from it are readable.
    #[must_use]
    #[cfg_attr(
        not(target_arch = "x86_64"),
        allow(dead_code, reason = "read by the x86-64 kernels")
    )]
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.bytes.as_ptr()
    }

    /// Residue `k`.
    ///
    /// # Panics
    /// If `k ≥ len()`.
    #[must_use]
    pub(crate) fn get(&self, k: usize) -> u64 {
        assert!(k < self.n, "packed residue {k} of {}", self.n);
        let mut word = [0u8; 8];
        word[..self.width].copy_from_slice(&self.bytes[k * self.width..(k + 1) * self.width]);
        u64::from_le_bytes(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_gives_the_residues_back() {
        for width in 1..=8 {
            let top = if width == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * width)) - 1
            };
            let limbs: Vec<Vec<u64>> = (0..3u64)
                .map(|i| {
                    (0..37u64)
                        .map(|k| (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ i) & top)
                        .chain([0, top])
                        .collect()
                })
                .collect();
            let refs: Vec<&[u64]> = limbs.iter().map(Vec::as_slice).collect();
            let p = PackedLimbs::new(width, &refs);
            for (i, limb) in limbs.iter().enumerate() {
                let packed = p.limb(i);
                assert_eq!(packed.len(), limb.len());
                assert_eq!(packed.width(), width);
                for (k, &x) in limb.iter().enumerate() {
                    assert_eq!(packed.get(k), x, "width {width}, limb {i}, residue {k}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "does not fit 5 bytes")]
    fn a_residue_too_large_is_refused() {
        let _ = PackedLimbs::new(5, &[&[1 << 40]]);
    }
}
