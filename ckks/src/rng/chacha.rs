//! The ChaCha20 stream cipher as a random generator, with AVX2 and AVX-512
//! block functions.
//!
//! Every uniform mask and error of the scheme is drawn from ChaCha20, and a
//! seeded object (a key's or ciphertext's uniform half) is re-expanded from
//! its 32-byte seed whenever it is loaded, so the generator's speed is part
//! of key generation, encryption and loading.
//!
//! The state of block `b` is the usual 4 × 4 matrix of 32-bit words:
//!
//! ```text
//!  "expa"  "nd 3"  "2-by"  "te k"
//!   k0      k1      k2      k3
//!   k4      k5      k6      k7
//!   b_lo    b_hi    0       0        (64-bit block counter, stream 0)
//! ```
//!
//! Twenty rounds (ten column-then-diagonal double rounds) of quarter rounds,
//! then the input state is added back; the sixteen words, in order, are the
//! block's output. Words are consumed in order: `next_u32` takes one,
//! `next_u64` two (low word first), `fill_bytes` whole words little-endian
//! and drops the unused bytes of the last one. This is the word stream of
//! `rand_chacha`'s `ChaCha20Rng` for the same seed, so values seeded with
//! either generator are identical (the tests compare the two).
//!
//! Blocks are produced [`BLOCKS`] at a time. The vector block functions
//! keep word `i` of consecutive blocks in the lanes of one register (8
//! blocks with AVX2, 16 with AVX-512), so a quarter round is the same few
//! additions, XORs and rotations on every lane; the result is transposed
//! back to block order at the end.

use rand::{CryptoRng, RngCore, SeedableRng};
use zeroize::Zeroize;

use crate::math::ntt::{forced_backend, Backend};

/// Blocks generated per refill.
pub const BLOCKS: usize = 16;
/// Words in the output buffer.
const WORDS: usize = 16 * BLOCKS;
/// Word positions are taken modulo the stream's `2^64` blocks of 16 words.
const STREAM_MASK: u128 = (1 << 68) - 1;

/// "expand 32-byte k", little-endian.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// ChaCha20 as a cryptographically secure generator: 256-bit key (the
/// seed), 64-bit block counter from 0, stream 0.
///
/// The key and the buffered output are zeroized on drop; `Debug` prints
/// neither.
#[derive(Clone)]
pub struct ChaCha20 {
    key: [u32; 8],
    /// Counter of the block after the buffered ones.
    next_block: u64,
    buf: [u32; WORDS],
    /// Next unread word of `buf`; `WORDS` when empty.
    index: usize,
    backend: ChaChaBackend,
}

/// Which block function a generator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChaChaBackend {
    /// One block at a time, portable.
    Scalar,
    /// Eight blocks per call (x86-64 with AVX2).
    Avx2,
    /// Sixteen blocks per call (x86-64 with AVX-512F).
    Avx512,
}

impl ChaChaBackend {
    /// Whether this CPU can run it.
    #[must_use]
    pub fn cpu_supports(self) -> bool {
        match self {
            ChaChaBackend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            ChaChaBackend::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            ChaChaBackend::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            ChaChaBackend::Avx2 | ChaChaBackend::Avx512 => false,
        }
    }

    /// The fastest one this CPU supports, unless a backend is forced by
    /// [`crate::math::ntt::force_backend`] or `CKKS_NTT_BACKEND`: `scalar`
    /// and `avx2` force the same here (`ifma` and `avx512` pick AVX-512).
    #[must_use]
    pub fn best() -> Self {
        let order: &[ChaChaBackend] = match forced_backend() {
            Some(Backend::Scalar) => &[ChaChaBackend::Scalar],
            Some(Backend::Avx2) => &[ChaChaBackend::Avx2, ChaChaBackend::Scalar],
            _ => &[
                ChaChaBackend::Avx512,
                ChaChaBackend::Avx2,
                ChaChaBackend::Scalar,
            ],
        };
        order
            .iter()
            .copied()
            .find(|b| b.cpu_supports())
            .unwrap_or(ChaChaBackend::Scalar)
    }
}

impl ChaCha20 {
    /// The generator keyed by `seed` with the given block function.
    ///
    /// `None` if the CPU does not support `backend`.
    #[must_use]
    pub fn with_backend(seed: [u8; 32], backend: ChaChaBackend) -> Option<Self> {
        if !backend.cpu_supports() {
            return None;
        }
        let mut key = [0u32; 8];
        for (k, c) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        Some(Self {
            key,
            next_block: 0,
            buf: [0; WORDS],
            index: WORDS,
            backend,
        })
    }

    /// The block function in use.
    #[must_use]
    pub fn backend(&self) -> ChaChaBackend {
        self.backend
    }

    /// Position in the word stream: the number of 32-bit words consumed
    /// (modulo `2^68`, the stream's length).
    #[must_use]
    pub fn word_pos(&self) -> u128 {
        let generated = u128::from(self.next_block) * 16;
        generated.wrapping_sub((WORDS - self.index) as u128) & STREAM_MASK
    }

    /// Moves to word `pos` of the stream (taken modulo `2^68`), as
    /// `rand_chacha`'s `set_word_pos`.
    pub fn set_word_pos(&mut self, pos: u128) {
        let pos = pos & STREAM_MASK;
        self.next_block = (pos >> 4) as u64;
        self.refill();
        self.index = (pos & 15) as usize;
    }

    /// Fills the buffer with the [`BLOCKS`] blocks from `next_block`.
    fn refill(&mut self) {
        let block = self.next_block;
        match self.backend {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_backend` only stores a backend the CPU supports.
            ChaChaBackend::Avx512 => unsafe {
                super::chacha_x86::blocks16(&self.key, block, &mut self.buf);
            },
            #[cfg(target_arch = "x86_64")]
            ChaChaBackend::Avx2 => {
                let (lo, hi) = self.buf.split_at_mut(WORDS / 2);
                // SAFETY: as above.
                unsafe {
                    super::chacha_x86::blocks8(&self.key, block, lo);
                    super::chacha_x86::blocks8(&self.key, block.wrapping_add(8), hi);
                }
            }
            _ => {
                for (b, out) in self.buf.chunks_exact_mut(16).enumerate() {
                    block_scalar(&self.key, block.wrapping_add(b as u64), out);
                }
            }
        }
        self.next_block = block.wrapping_add(BLOCKS as u64);
        self.index = 0;
    }

    /// Fills `dest` with the values `next_u64` would return, in order.
    pub fn fill_u64(&mut self, dest: &mut [u64]) {
        let mut done = 0;
        while done < dest.len() {
            if self.index >= WORDS {
                self.refill();
            }
            if self.index == WORDS - 1 {
                dest[done] = self.next_u64();
                done += 1;
                continue;
            }
            let pairs = ((WORDS - self.index) / 2).min(dest.len() - done);
            let src = &self.buf[self.index..self.index + 2 * pairs];
            for (d, w) in dest[done..done + pairs].iter_mut().zip(src.chunks_exact(2)) {
                *d = u64::from(w[0]) | (u64::from(w[1]) << 32);
            }
            self.index += 2 * pairs;
            done += pairs;
        }
    }
}

impl SeedableRng for ChaCha20 {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Self {
        Self::with_backend(seed, ChaChaBackend::best())
            .expect("the best backend is one the CPU supports")
    }
}

impl RngCore for ChaCha20 {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        if self.index >= WORDS {
            self.refill();
        }
        let w = self.buf[self.index];
        self.index += 1;
        w
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        let lo = self.next_u32();
        let hi = self.next_u32();
        u64::from(lo) | (u64::from(hi) << 32)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut done = 0;
        while done < dest.len() {
            if self.index >= WORDS {
                self.refill();
            }
            let bytes = ((WORDS - self.index) * 4).min(dest.len() - done);
            let words = bytes.div_ceil(4);
            let src = &self.buf[self.index..self.index + words];
            let mut chunks = dest[done..done + bytes].chunks_exact_mut(4);
            for (d, w) in (&mut chunks).zip(src) {
                d.copy_from_slice(&w.to_le_bytes());
            }
            let tail = chunks.into_remainder();
            if !tail.is_empty() {
                tail.copy_from_slice(&src[words - 1].to_le_bytes()[..tail.len()]);
            }
            self.index += words;
            done += bytes;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ChaCha20 {}

impl Drop for ChaCha20 {
    fn drop(&mut self) {
        self.key.zeroize();
        self.buf.zeroize();
    }
}

impl std::fmt::Debug for ChaCha20 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaCha20")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The input state of block `block`.
pub(crate) fn initial_state(key: &[u32; 8], block: u64) -> [u32; 16] {
    let mut s = [0u32; 16];
    s[..4].copy_from_slice(&SIGMA);
    s[4..12].copy_from_slice(key);
    s[12] = block as u32;
    s[13] = (block >> 32) as u32;
    s
}

/// One quarter round on words `a, b, c, d` of `x`.
#[inline(always)]
fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// The reference block function: block `block` into `out` (16 words).
pub(crate) fn block_scalar(key: &[u32; 8], block: u64, out: &mut [u32]) {
    let mut input = initial_state(key, block);
    let mut x = input;
    for _ in 0..10 {
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 1, 5, 9, 13);
        quarter_round(&mut x, 2, 6, 10, 14);
        quarter_round(&mut x, 3, 7, 11, 15);
        quarter_round(&mut x, 0, 5, 10, 15);
        quarter_round(&mut x, 1, 6, 11, 12);
        quarter_round(&mut x, 2, 7, 8, 13);
        quarter_round(&mut x, 3, 4, 9, 14);
    }
    for ((o, w), i) in out.iter_mut().zip(x).zip(input) {
        *o = w.wrapping_add(i);
    }
    x.zeroize();
    input.zeroize();
}
