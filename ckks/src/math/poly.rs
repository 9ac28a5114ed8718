//! Polynomials of `Z_Q[X]/(X^N + 1)` in RNS form, with the representation in
//! the type: [`Coeff`] (coefficients) or [`Eval`] (NTT values). Products
//! exist only for `Eval`; the transforms consume one form and return the other.

use std::marker::PhantomData;

use crate::math::par::for_each_limb;
use zeroize::Zeroize;

use crate::math::aligned::AlignedVec;
use crate::math::kernels::{fill_limbs, Kernels};
use crate::math::rns::{Basis, RnsContext};

/// Marker: limbs hold coefficients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coeff;
/// Marker: limbs hold NTT values (evaluations at the odd powers of `ψ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eval;

/// An RNS polynomial: `limbs(basis)` limbs of `N` residues, limb-major, in
/// one buffer that starts on a cache line (so does every limb: `N` is a
/// multiple of 8), where the vector kernels' loads and stores do not
/// straddle two lines.
#[derive(Clone, PartialEq, Eq)]
pub struct RnsPoly<D> {
    n: usize,
    basis: Basis,
    data: AlignedVec,
    _domain: PhantomData<D>,
}

impl<D> std::fmt::Debug for RnsPoly<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RnsPoly {{ n: {}, basis: {:?} }}", self.n, self.basis)
    }
}

impl<D> RnsPoly<D> {
    /// The zero polynomial over `basis`.
    #[must_use]
    pub fn zero(ctx: &RnsContext, basis: Basis) -> Self {
        Self {
            n: ctx.n(),
            basis,
            data: AlignedVec::zeroed(ctx.limbs(basis) * ctx.n()),
            _domain: PhantomData,
        }
    }

    /// Wraps raw limbs; `data.len()` must be `limbs(basis)·N` and every value
    /// below its prime (checked in debug builds; loaders check it always).
    /// A `Vec<u64>` is copied into aligned storage; an [`AlignedVec`] is
    /// taken as it is.
    #[must_use]
    pub fn from_raw(ctx: &RnsContext, basis: Basis, data: impl Into<AlignedVec>) -> Self {
        let data = data.into();
        debug_assert_eq!(data.len(), ctx.limbs(basis) * ctx.n());
        Self {
            n: ctx.n(),
            basis,
            data,
            _domain: PhantomData,
        }
    }

    /// The primes this polynomial has limbs for.
    #[inline]
    #[must_use]
    pub fn basis(&self) -> Basis {
        self.basis
    }

    /// Ring degree.
    #[inline]
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of limbs.
    #[inline]
    #[must_use]
    pub fn num_limbs(&self) -> usize {
        self.data.len() / self.n
    }

    /// Limb `i`.
    #[inline]
    #[must_use]
    pub fn limb(&self, i: usize) -> &[u64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Limb `i`, mutable.
    #[inline]
    pub fn limb_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.n..(i + 1) * self.n]
    }

    /// All residues, limb-major.
    #[inline]
    #[must_use]
    pub fn data(&self) -> &[u64] {
        &self.data
    }

    /// All residues, limb-major, mutable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u64] {
        &mut self.data
    }

    /// Zeroes the residues (for secrets).
    pub fn zeroize(&mut self) {
        self.data.zeroize();
    }

    /// Keeps only the ciphertext primes up to `level` (and drops the special
    /// primes). Valid in both forms: the limbs are independent.
    ///
    /// # Panics
    /// If `level + 1` exceeds the limbs present (internal bug; callers check).
    #[must_use]
    pub fn truncated(&self, level: usize) -> Self {
        assert!(
            level < self.basis.q,
            "truncate to level {level} of a basis with {} primes",
            self.basis.q
        );
        Self {
            n: self.n,
            basis: Basis::level(level),
            data: AlignedVec::from_slice(&self.data[..(level + 1) * self.n]),
            _domain: PhantomData,
        }
    }

    /// [`Self::truncated`] without a copy: keeps the first `level + 1`
    /// limbs of `self` (special primes, if any, are dropped).
    ///
    /// # Panics
    /// As [`Self::truncated`].
    #[must_use]
    pub fn into_truncated(mut self, level: usize) -> Self {
        assert!(
            level < self.basis.q,
            "truncate to level {level} of a basis with {} primes",
            self.basis.q
        );
        self.data.truncate((level + 1) * self.n);
        self.basis = Basis::level(level);
        self
    }

    /// Drops ciphertext limbs in place down to `level` (no special primes).
    pub fn truncate(&mut self, level: usize) {
        assert!(
            !self.basis.p && level < self.basis.q,
            "truncate in place needs a Q-only basis"
        );
        self.data.truncate((level + 1) * self.n);
        self.basis = Basis::level(level);
    }

    /// The sub-polynomial over `Q_level · P` of a polynomial over `Q_L · P`.
    #[must_use]
    pub fn restricted_with_p(&self, ctx: &RnsContext, level: usize) -> Self {
        assert!(self.basis.p && level < self.basis.q);
        let n = self.n;
        let mut data = AlignedVec::with_capacity((level + 1 + ctx.p().len()) * n);
        data.extend_from_slice(&self.data[..(level + 1) * n]);
        data.extend_from_slice(&self.data[self.basis.q * n..]);
        Self {
            n,
            basis: Basis::level_with_p(level),
            data,
            _domain: PhantomData,
        }
    }

    fn check_same_basis(&self, other: &Self, op: &str) {
        assert_eq!(self.basis, other.basis, "{op}: bases differ");
    }

    /// `self += other` limb-wise.
    pub fn add_assign(&mut self, ctx: &RnsContext, other: &Self) {
        self.check_same_basis(other, "poly add");
        let (n, basis) = (self.n, self.basis);
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .enumerate()
        {
            Kernels::best(ctx.modulus(basis, i)).add_assign(a, b);
        }
    }

    /// `self −= other` limb-wise.
    pub fn sub_assign(&mut self, ctx: &RnsContext, other: &Self) {
        self.check_same_basis(other, "poly sub");
        let (n, basis) = (self.n, self.basis);
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .enumerate()
        {
            Kernels::best(ctx.modulus(basis, i)).sub_assign(a, b);
        }
    }

    /// `a + b` as a new polynomial.
    #[must_use]
    pub fn sum(ctx: &RnsContext, a: &Self, b: &Self) -> Self {
        a.check_same_basis(b, "poly sum");
        Self::limbwise(ctx, a, b, |k, o, x, y| k.add_into(o, x, y))
    }

    /// `a − b` as a new polynomial.
    #[must_use]
    pub fn difference(ctx: &RnsContext, a: &Self, b: &Self) -> Self {
        a.check_same_basis(b, "poly difference");
        Self::limbwise(ctx, a, b, |k, o, x, y| k.sub_into(o, x, y))
    }

    /// A new polynomial over `a`'s basis, each limb appended by `op` from
    /// the limbs of `a` and `b` (one pass: no copy of `a` or zero fill
    /// first).
    fn limbwise(
        ctx: &RnsContext,
        a: &Self,
        b: &Self,
        op: impl Fn(&Kernels<'_>, &mut AlignedVec, &[u64], &[u64]),
    ) -> Self {
        let (n, basis) = (a.n, a.basis);
        let mut data = AlignedVec::with_capacity(a.data.len());
        for (i, (x, y)) in a
            .data
            .chunks_exact(n)
            .zip(b.data.chunks_exact(n))
            .enumerate()
        {
            op(&Kernels::best(ctx.modulus(basis, i)), &mut data, x, y);
        }
        Self {
            n,
            basis,
            data,
            _domain: PhantomData,
        }
    }

    /// `self = −self`.
    pub fn neg_assign(&mut self, ctx: &RnsContext) {
        let (n, basis) = (self.n, self.basis);
        for (i, a) in self.data.chunks_exact_mut(n).enumerate() {
            Kernels::best(ctx.modulus(basis, i)).neg_assign(a);
        }
    }

    /// Multiplies every limb `i` by the constant `c_i` (one residue per limb).
    pub fn mul_scalar_assign(&mut self, ctx: &RnsContext, c: &[u64]) {
        let (n, basis) = (self.n, self.basis);
        for (i, a) in self.data.chunks_exact_mut(n).enumerate() {
            Kernels::best(ctx.modulus(basis, i)).mul_scalar_assign(a, c[i]);
        }
    }

    /// Adds the constant `c_i` to every residue of limb `i`. In [`Eval`] form
    /// this adds the constant polynomial `c`; in [`Coeff`] form use it only
    /// on purpose.
    pub fn add_scalar_assign(&mut self, ctx: &RnsContext, c: &[u64]) {
        let (n, basis) = (self.n, self.basis);
        for (i, a) in self.data.chunks_exact_mut(n).enumerate() {
            let m = ctx.modulus(basis, i);
            for x in a.iter_mut() {
                *x = m.add(*x, c[i]);
            }
        }
    }
}

impl RnsPoly<Coeff> {
    /// Forward NTT of every limb.
    #[must_use]
    pub fn into_eval(mut self, ctx: &RnsContext) -> RnsPoly<Eval> {
        let basis = self.basis;
        for_each_limb(self.n, &mut self.data, |i, l| ctx.plan(basis, i).forward(l));
        RnsPoly {
            n: self.n,
            basis,
            data: std::mem::take(&mut self.data),
            _domain: PhantomData,
        }
    }

    /// The polynomial with the given signed coefficients, reduced into every
    /// limb of `basis`.
    #[must_use]
    pub fn from_signed(ctx: &RnsContext, basis: Basis, coeffs: &[i64]) -> Self {
        Self::signed_limbs(ctx, basis, coeffs, false)
    }

    /// [`Self::from_signed`] for a polynomial that outlives its maker (a
    /// key): the pages of its buffer are mapped in one call
    /// ([`AlignedVec::with_capacity_mapped`]).
    pub(crate) fn from_signed_kept(ctx: &RnsContext, basis: Basis, coeffs: &[i64]) -> Self {
        Self::signed_limbs(ctx, basis, coeffs, true)
    }

    fn signed_limbs(ctx: &RnsContext, basis: Basis, coeffs: &[i64], kept: bool) -> Self {
        let n = ctx.n();
        debug_assert_eq!(coeffs.len(), n);
        // Errors and secrets are tiny: when every |c| is below a prime, the
        // residue is c or q + c, a select the compiler vectorizes. The limbs
        // are written once, as they are computed (no zero fill first).
        let max_abs = coeffs.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0);
        let mut data = if kept {
            AlignedVec::with_capacity_mapped(ctx.limbs(basis) * n)
        } else {
            AlignedVec::with_capacity(ctx.limbs(basis) * n)
        };
        for i in 0..ctx.limbs(basis) {
            let m = ctx.modulus(basis, i);
            if max_abs < m.value() {
                let q = m.value() as i64;
                data.extend(coeffs.iter().map(|&c| (c + (q & (c >> 63))) as u64));
            } else {
                data.extend(coeffs.iter().map(|&c| m.reduce_i64(c)));
            }
        }
        Self::from_raw(ctx, basis, data)
    }
}

impl RnsPoly<Eval> {
    /// Inverse NTT of every limb.
    #[must_use]
    pub fn into_coeff(mut self, ctx: &RnsContext) -> RnsPoly<Coeff> {
        let basis = self.basis;
        for_each_limb(self.n, &mut self.data, |i, l| ctx.plan(basis, i).inverse(l));
        RnsPoly {
            n: self.n,
            basis,
            data: std::mem::take(&mut self.data),
            _domain: PhantomData,
        }
    }

    /// The coefficient form of this polynomial as a new one, `self` kept:
    /// each limb transformed straight into new memory (no copy first).
    #[must_use]
    pub fn to_coeff(&self, ctx: &RnsContext) -> RnsPoly<Coeff> {
        let (n, basis) = (self.n, self.basis);
        let data = fill_limbs(n, ctx.limbs(basis), |i, slot| {
            slot.inverse_ntt(ctx.plan(basis, i), &self.data[i * n..(i + 1) * n])
        });
        RnsPoly {
            n,
            basis,
            data,
            _domain: PhantomData,
        }
    }

    /// `self ⊙= other` (pointwise product = negacyclic polynomial product).
    pub fn mul_assign(&mut self, ctx: &RnsContext, other: &Self) {
        self.check_same_basis(other, "poly mul");
        let (n, basis) = (self.n, self.basis);
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .enumerate()
        {
            Kernels::best(ctx.modulus(basis, i)).mul_assign(a, b);
        }
    }

    /// `self += a ⊙ b`.
    pub fn mul_add_assign(&mut self, ctx: &RnsContext, a: &Self, b: &Self) {
        self.check_same_basis(a, "poly mul-add");
        self.check_same_basis(b, "poly mul-add");
        let (n, basis) = (self.n, self.basis);
        for (i, ((o, x), y)) in self
            .data
            .chunks_exact_mut(n)
            .zip(a.data.chunks_exact(n))
            .zip(b.data.chunks_exact(n))
            .enumerate()
        {
            Kernels::best(ctx.modulus(basis, i)).mul_add_assign(o, x, y);
        }
    }

    /// The three products of a ciphertext multiplication `(a0, a1)·(b0, b1)`
    /// as new polynomials: `a0⊙b0`, `a0⊙b1 + a1⊙b0` (each word reduced
    /// once) and `a1⊙b1`, limb by limb in one pass that reads each operand
    /// word once ([`Kernels::tensor_into`]).
    ///
    /// # Panics
    /// If the polynomials are over different bases.
    #[must_use]
    pub fn tensor(ctx: &RnsContext, a: [&Self; 2], b: [&Self; 2]) -> [Self; 3] {
        for x in a.iter().chain(&b) {
            a[0].check_same_basis(x, "poly tensor product");
        }
        let (n, basis) = (a[0].n, a[0].basis);
        let len = a[0].data.len();
        let mut d = [(); 3].map(|()| AlignedVec::with_capacity(len));
        for i in 0..len / n {
            let [x0, x1, y0, y1] = [a[0], a[1], b[0], b[1]].map(|p| &p.data[i * n..(i + 1) * n]);
            let [d0, d1, d2] = &mut d;
            Kernels::best(ctx.modulus(basis, i)).tensor_into([d0, d1, d2], [x0, x1], [y0, y1]);
        }
        d.map(|data| Self {
            n,
            basis,
            data,
            _domain: PhantomData,
        })
    }

    /// `a ⊙ b` as a new polynomial.
    #[must_use]
    pub fn product(ctx: &RnsContext, a: &Self, b: &Self) -> Self {
        a.check_same_basis(b, "poly product");
        Self::limbwise(ctx, a, b, |k, o, x, y| k.mul_into(o, x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::primes::ntt_primes_below;

    #[test]
    fn from_signed_reduces_small_and_large_coefficients_alike() {
        let n = 16;
        let q = ntt_primes_below(40, n, 2, &[]);
        let ctx = RnsContext::new(n, &q, &[]);
        let basis = Basis::level(1);
        let small: Vec<i64> = (0..n as i64).map(|i| i - 8).collect();
        let large: Vec<i64> = small.iter().map(|c| c * (1 << 45) + 3).collect();
        for coeffs in [&small, &large] {
            let p = RnsPoly::<Coeff>::from_signed(&ctx, basis, coeffs);
            for i in 0..2 {
                let m = ctx.modulus(basis, i);
                let want: Vec<u64> = coeffs.iter().map(|&c| m.reduce_i64(c)).collect();
                assert_eq!(p.limb(i), &want[..]);
            }
        }
    }
}
