//! Twiddle tables of the negacyclic NTT.
//!
//! With `ψ` a primitive `2N`-th root of unity mod `q`, the forward transform
//! maps `a(X) ∈ Z_q[X]/(X^N + 1)` to its values `a(ψ^{2·br(k)+1})`, stored at
//! index `k` (bit-reversed order, `br` = bit reversal on `log2 N` bits). The
//! butterflies of stage `m` (1, 2, 4, …) use `ψ^{br(m+i)}`, so the table is
//! kept in bit-reversed order and read front to back.

use crate::math::aligned::AlignedVec;
use crate::math::modulus::Modulus;
use crate::math::primes::primitive_root_2n;

/// `i` with its low `bits` bits reversed.
#[inline]
#[must_use]
pub fn bit_reverse(i: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        i.reverse_bits() >> (usize::BITS - bits)
    }
}

/// Precomputed roots for one `(N, q)`. The tables start on a cache line,
/// so that the vector kernels' full-width loads of them never straddle two.
#[derive(Clone, Debug)]
pub struct NttTables {
    /// Ring degree `N`.
    pub n: usize,
    /// The prime.
    pub modulus: Modulus,
    /// The primitive `2N`-th root used.
    pub psi: u64,
    /// `ψ^{br(i)}` for `i < N`.
    pub psi_rev: AlignedVec,
    /// Shoup constants of `psi_rev`.
    pub psi_rev_shoup: AlignedVec,
    /// `ψ^{−br(i)}` for `i < N`.
    pub psi_inv_rev: AlignedVec,
    /// Shoup constants of `psi_inv_rev`.
    pub psi_inv_rev_shoup: AlignedVec,
    /// `N^{-1} mod q`.
    pub n_inv: u64,
    /// Shoup constant of `n_inv`.
    pub n_inv_shoup: u64,
}

impl NttTables {
    /// Builds the tables for `q ≡ 1 (mod 2N)`, `N` a power of two.
    #[must_use]
    pub fn new(n: usize, q: u64) -> Self {
        debug_assert!(n.is_power_of_two());
        let modulus = Modulus::new(q);
        let psi = primitive_root_2n(q, n);
        let psi_inv = modulus.inv(psi).expect("ψ is a unit");
        let bits = n.trailing_zeros();
        let mut pow = vec![0u64; n];
        let mut pow_inv = vec![0u64; n];
        let (mut x, mut y) = (1u64, 1u64);
        for i in 0..n {
            pow[i] = x;
            pow_inv[i] = y;
            x = modulus.mul(x, psi);
            y = modulus.mul(y, psi_inv);
        }
        let psi_rev: AlignedVec = (0..n).map(|i| pow[bit_reverse(i, bits)]).collect();
        let psi_inv_rev: AlignedVec = (0..n).map(|i| pow_inv[bit_reverse(i, bits)]).collect();
        let n_inv = modulus.inv(n as u64).expect("N < q");
        Self {
            n,
            psi,
            psi_rev_shoup: psi_rev.iter().map(|&w| modulus.shoup(w)).collect(),
            psi_inv_rev_shoup: psi_inv_rev.iter().map(|&w| modulus.shoup(w)).collect(),
            psi_rev,
            psi_inv_rev,
            n_inv,
            n_inv_shoup: modulus.shoup(n_inv),
            modulus,
        }
    }
}
