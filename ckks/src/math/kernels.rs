//! Element-wise modular kernels over one limb, dispatched per prime like
//! the NTT (see [`crate::math::ntt::Backend`]).
//!
//! A [`Kernels`] handle pairs a prime with a backend; its operations are:
//!
//! - [`Kernels::add_assign`], [`Kernels::sub_assign`], [`Kernels::neg_assign`];
//! - [`Kernels::mul_assign`], [`Kernels::mul_to`], [`Kernels::mul_add_assign`]:
//!   both operands variable (Barrett);
//! - [`Kernels::mul_scalar_assign`] and [`Kernels::sub_mul_scalar_assign`]:
//!   one fixed operand (Shoup), the step of rescale and ModDown;
//! - [`Kernels::dot_to`] and [`Kernels::dot_scalar_to`]: sums of products
//!   accumulated lazily in two words per lane and reduced once per block of
//!   terms, the inner product with the key-switching digits and the second
//!   step of a basis conversion;
//! - [`Kernels::mul_into`], [`Kernels::add_into`], [`Kernels::sub_into`]
//!   and [`Kernels::dot_into`]: a product, sum, difference or sum of
//!   products appended to a vector (a new limb written once, with no copy
//!   or zero fill first), [`Kernels::tensor_into`], the three products of
//!   a ciphertext multiplication in one pass, and
//!   [`Kernels::sub_mul_scalar_add`], ModDown adding into a polynomial;
//! - [`Kernels::centered_from`] and [`Kernels::dot_scalar_reduce_to`]: a
//!   basis conversion from one prime, and the sum of one from several
//!   where some are larger than `q` (each word reduced in its lane as far
//!   as its bound requires);
//! - [`Kernels::permute_blocks_into`]: an automorphism in NTT form, whole
//!   8-word blocks at a time, and [`Kernels::nearest_quotients`]: the
//!   rounded quotients of a basis conversion, in double precision (no
//!   modular arithmetic; the handle only picks the backend).
//!
//! Every other input must be below `q` (callers reduce first) and every
//! output is in `[0, q)`, so each backend agrees with the scalar reference
//! bit for bit.
//!
//! **Barrett on 52-bit lanes (IFMA, primes below `2^50`).** `madd52lo/hi`
//! give a product `p < 2^104` as a low 52-bit word `lo` and a high word
//! `hi`. With `b` the prime's bit length, `z = ⌊p / 2^(b−1)⌋` and
//! `m = ⌊2^(51+b) / q⌋ < 2^52`, the estimate `q̂ = ⌊z·m / 2^52⌋` loses less
//! than one at each of three truncations while `z < 2^52`, so
//! `q̂ ≥ ⌊p/q⌋ − 2` and `r = p − q̂·q < 3q` is exact in the low 52-bit word;
//! two conditional subtractions finish. The bound `z < 2^52` means
//! `p < 2^(b+51)`: a sum of `2^(51−b)` products of residues qualifies, which
//! sets how many terms [`Kernels::dot_to`] accumulates (`madd52lo/hi` add
//! into their accumulators for free) before reducing.
//!
//! **IFMA products on 64-bit lanes (primes above `2^50`).** Where the CPU
//! has IFMA, the dot products on larger primes split each operand into
//! 52-bit limbs and let `madd52lo/hi` accumulate the partial products in
//! three words of weights `1`, `2^52`, `2^104` (`lanes512::wide`
//! module), then feed the Barrett step below: for primes of 53 bits or more
//! straight from the three words (the low word and a `z` at most 2 short,
//! one more conditional subtraction's worth of slack, which the `r < 8q`
//! room of the three subtractions absorbs), below that after carrying them
//! into two words. Primes of 51 and 52 bits skip the split: their residues
//! are IFMA operands as they are (`lanes512::narrow`, two multiply-adds
//! per product).
//!
//! **Barrett on 64-bit lanes (AVX-512F/DQ, AVX2; primes up to 61 bits).**
//! The same with `z = ⌊p / 2^(b−1)⌋ < 2^64`, `m = ⌊2^(63+b)/q⌋ < 2^64`,
//! valid for `p < 2^(b+63)`: `2^(63−b)` products per block. The 128-bit
//! accumulator carries from its low word into its high word. On AVX-512
//! the estimate's high word `⌊z·m/2^64⌋` comes from three of the four
//! 32×32-bit partial products and may be 2 short, so `r < 5q` and three
//! conditional subtractions (`4q`, `2q`, `q`) follow; inputs built to make
//! the estimate fall short reach `r ∈ [3q, 4q)` (the unit test uses one),
//! none found reaches `4q`, and the bound keeps the third subtraction. AVX2 has no
//! 64-bit multiply or unsigned 64-bit minimum: products are assembled from
//! 32×32-bit multiplies and conditional subtractions test the sign bit,
//! exact for values below `2^63` (every intermediate here is below `4q`).
//!
//! `CKKS_NTT_BACKEND` forces a backend here too (`scalar` everywhere; a
//! vector one where the CPU and the prime allow it).

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::math::aligned::AlignedVec;
use crate::math::modulus::Modulus;
#[cfg(doc)]
use crate::math::ntt::force_backend;
use crate::math::ntt::NttPlan;
use crate::math::ntt::{forced_backend, Backend};
use crate::math::par::{for_each_limb, for_each_limb_pair_from};

/// Largest prime size of the IFMA kernels on 52-bit lanes; larger primes
/// take 64-bit lanes with IFMA products.
pub const IFMA_MAX_BITS: u32 = 50;
/// Largest prime size of the 64-bit-lane kernels (AVX-512 and AVX2).
pub const LANES64_MAX_BITS: u32 = 61;

/// The backend the kernels use for a prime of `bits` bits: IFMA (52-bit
/// lanes below `2^50`, 64-bit lanes with IFMA products above), AVX-512 with
/// 64-bit lanes, else AVX2, when the CPU has them; a backend forced by
/// [`force_backend`] or `CKKS_NTT_BACKEND` takes precedence where the CPU
/// and the prime support it.
#[must_use]
pub fn backend_for(bits: u32) -> Backend {
    forced_backend()
        .into_iter()
        .chain([Backend::Ifma, Backend::Avx512, Backend::Avx2])
        .find(|&b| supports(b, bits))
        .unwrap_or(Backend::Scalar)
}

/// Whether this CPU runs `backend`'s kernels on a prime of `bits` bits.
#[must_use]
pub fn supports(backend: Backend, bits: u32) -> bool {
    match backend {
        Backend::Scalar => true,
        Backend::Ifma if bits <= IFMA_MAX_BITS => backend.cpu_supports(),
        // Above 2^50 the IFMA kernels are the 64-bit-lane ones with IFMA
        // products, so they need AVX-512's DQ and BW as well.
        Backend::Ifma => backend.cpu_supports() && supports(Backend::Avx512, bits),
        Backend::Avx512 | Backend::Avx2 => backend.cpu_supports() && bits <= LANES64_MAX_BITS,
    }
}

/// The kernels of one prime on one backend.
#[derive(Clone, Copy, Debug)]
pub struct Kernels<'m> {
    m: &'m Modulus,
    backend: Backend,
}

/// Runs `$f` from the backend's module: `scalar`, or one of the vector
/// modules behind the run-time check made when the handle was built.
macro_rules! dispatch {
    ($self:ident, $f:ident($($arg:expr),*)) => {
        match $self.backend {
            Backend::Scalar => scalar::$f($self.m, $($arg),*),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernels::with` built this handle only after `supports`
            // detected AVX-512F and IFMA and checked the prime's size, and,
            // for primes above 2^50 (64-bit lanes with IFMA products),
            // AVX-512DQ and BW too.
            Backend::Ifma => unsafe {
                match $self.m.bits() {
                    ..=IFMA_MAX_BITS => ifma::$f($self.m, $($arg),*),
                    ..=52 => lanes512::narrow::$f($self.m, $($arg),*),
                    _ => lanes512::wide::$f($self.m, $($arg),*),
                }
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, AVX-512F, DQ and BW and a prime up to 61 bits.
            Backend::Avx512 => unsafe { lanes512::$f($self.m, $($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, AVX2 and a prime up to 61 bits.
            Backend::Avx2 => unsafe { lanes256::$f($self.m, $($arg),*) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("vector kernels are never selected off x86_64"),
        }
    };
}

impl<'m> Kernels<'m> {
    /// The best backend for `m` on this CPU ([`backend_for`]).
    #[must_use]
    pub fn best(m: &'m Modulus) -> Self {
        Self {
            m,
            backend: backend_for(m.bits()),
        }
    }

    /// A chosen backend, or `None` if this CPU or this prime does not
    /// support it. For tests and benchmarks.
    #[must_use]
    pub fn with(backend: Backend, m: &'m Modulus) -> Option<Self> {
        supports(backend, m.bits()).then_some(Self { m, backend })
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `a[i] ← a[i] + b[i] mod q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn add_assign(&self, a: &mut [u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, add_assign(a, b));
    }

    /// `a[i] ← a[i] − b[i] mod q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn sub_assign(&self, a: &mut [u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, sub_assign(a, b));
    }

    /// `a[i] ← −a[i] mod q`.
    pub fn neg_assign(&self, a: &mut [u64]) {
        dispatch!(self, neg_assign(a));
    }

    /// `a[i] ← a[i]·b[i] mod q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn mul_assign(&self, a: &mut [u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, mul_assign(a, b));
    }

    /// `dst[i] ← a[i]·b[i] mod q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn mul_to(&self, dst: &mut [u64], a: &[u64], b: &[u64]) {
        assert!(
            dst.len() == a.len() && a.len() == b.len(),
            "kernel operands differ in length"
        );
        dispatch!(self, mul_to(dst, a, b));
    }

    /// Appends `a[i]·b[i] mod q` to `out`: [`Self::mul_to`] into a new
    /// limb without filling it first.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn mul_into(&self, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, mul_into(out, a, b));
    }

    /// Appends `a[i] + b[i] mod q` to `out`: a sum into a new limb in one
    /// pass (no copy of `a` first).
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn add_into(&self, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, add_into(out, a, b));
    }

    /// Appends `a[i] − b[i] mod q` to `out`, as [`Self::add_into`].
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn sub_into(&self, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        dispatch!(self, sub_into(out, a, b));
    }

    /// Appends `len` words `Σ_j a[j][i]·b[j][i] mod q` to `out`:
    /// [`Self::dot_to`] into a new limb without filling it first (the
    /// `a·d + b·c` of a ciphertext product, one reduction per word).
    ///
    /// # Panics
    /// If the term counts differ or an operand is not `len` long (an
    /// internal bug).
    pub fn dot_into(&self, out: &mut AlignedVec, a: &[&[u64]], b: &[&[u64]], len: usize) {
        out.reserve(len);
        let start = out.len();
        self.dot_write(&mut out.spare_capacity_mut()[..len], a, b);
        // SAFETY: `dot_write` initialized all `len` words after `start`,
        // inside the capacity reserved above (a panic leaves the length).
        unsafe { out.set_len(start + len) };
    }

    /// [`Self::dot_to`] into words not yet initialized (a new limb's
    /// spare capacity), each written once.
    ///
    /// # Panics
    /// If the term counts or the lengths differ (an internal bug).
    pub fn dot_write(&self, dst: &mut [MaybeUninit<u64>], a: &[&[u64]], b: &[&[u64]]) {
        assert_eq!(a.len(), b.len(), "dot product: term counts differ");
        assert!(
            a.iter().chain(b).all(|s| s.len() == dst.len()),
            "kernel operands differ in length"
        );
        dispatch!(self, dot_write(dst, a, b));
    }

    /// Whether [`Self::dot_write_packed`] runs vectorized here: the IFMA
    /// kernels on 52-bit lanes, on a CPU with AVX-512 VBMI (for `vpermb`).
    /// A key keeps packed limbs only for such primes
    /// ([`crate::math::packed`]).
    #[must_use]
    pub(crate) fn reads_packed(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            self.backend == Backend::Ifma
                && self.m.bits() <= IFMA_MAX_BITS
                && std::arch::is_x86_feature_detected!("avx512vbmi")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// [`Self::dot_write`] with the second operands packed, all at one
    /// width: vectorized where [`Self::reads_packed`], else one residue at
    /// a time (the same results).
    ///
    /// # Panics
    /// If the term counts or the lengths differ, or the widths do (an
    /// internal bug).
    pub(crate) fn dot_write_packed(
        &self,
        dst: &mut [MaybeUninit<u64>],
        a: &[&[u64]],
        b: &[crate::math::packed::Packed<'_>],
    ) {
        assert_eq!(a.len(), b.len(), "dot product: term counts differ");
        assert!(
            a.iter().all(|s| s.len() == dst.len()) && b.iter().all(|p| p.len() == dst.len()),
            "kernel operands differ in length"
        );
        assert!(
            b.windows(2).all(|w| w[0].width() == w[1].width()),
            "packed operands differ in width"
        );
        #[cfg(target_arch = "x86_64")]
        if self.reads_packed() && b.first().is_some_and(|p| p.width() < 8) {
            // SAFETY: `reads_packed` checked the IFMA backend (whose handle
            // was built after detecting AVX-512F and IFMA), a prime on
            // 52-bit lanes and VBMI; the lengths and widths are checked
            // above.
            unsafe { ifma::dot_write_packed(self.m, dst, a, b) };
            return;
        }
        for (k, d) in dst.iter_mut().enumerate() {
            d.write(scalar::dot_one(
                self.m,
                a.iter().zip(b).map(|(x, y)| (x[k], y.get(k))),
            ));
        }
    }

    /// [`Self::dot_write_packed`] over words already initialized.
    ///
    /// # Panics
    /// As [`Self::dot_write_packed`].
    pub(crate) fn dot_to_packed(
        &self,
        dst: &mut [u64],
        a: &[&[u64]],
        b: &[crate::math::packed::Packed<'_>],
    ) {
        // SAFETY: the same memory, seen as words that may be uninitialized;
        // `dot_write_packed` writes only initialized words into it, so it
        // stays initialized for `dst`'s owner.
        let dst = unsafe { &mut *(std::ptr::from_mut(dst) as *mut [MaybeUninit<u64>]) };
        self.dot_write_packed(dst, a, b);
    }

    /// Appends to `d[0]`, `d[1]`, `d[2]` the three products of a ciphertext
    /// multiplication `(a0, a1)·(b0, b1)` on one limb: `a0·b0`,
    /// `a0·b1 + a1·b0` and `a1·b1 mod q`, each word reduced once. The pass
    /// reads each operand word once; two [`Self::mul_into`] and a
    /// [`Self::dot_into`] read each twice.
    ///
    /// # Panics
    /// If the operands differ in length (an internal bug).
    pub fn tensor_into(&self, d: [&mut AlignedVec; 3], a: [&[u64]; 2], b: [&[u64]; 2]) {
        let len = a[0].len();
        assert!(
            a.iter().chain(&b).all(|s| s.len() == len),
            "kernel operands differ in length"
        );
        let [d0, d1, d2] = d;
        let starts = [d0.len(), d1.len(), d2.len()];
        for v in [&mut *d0, &mut *d1, &mut *d2] {
            v.reserve(len);
        }
        {
            let (w0, w1, w2) = (
                &mut d0.spare_capacity_mut()[..len],
                &mut d1.spare_capacity_mut()[..len],
                &mut d2.spare_capacity_mut()[..len],
            );
            dispatch!(self, tensor_write([w0, w1, w2], a, b));
        }
        // SAFETY: `tensor_write` initialized the first `len` words of each
        // spare capacity, reserved above (a panic leaves the lengths).
        unsafe {
            d0.set_len(starts[0] + len);
            d1.set_len(starts[1] + len);
            d2.set_len(starts[2] + len);
        }
    }

    /// `o[i] ← o[i] + a[i]·b[i] mod q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn mul_add_assign(&self, o: &mut [u64], a: &[u64], b: &[u64]) {
        assert!(
            o.len() == a.len() && a.len() == b.len(),
            "kernel operands differ in length"
        );
        dispatch!(self, mul_add_assign(o, a, b));
    }

    /// `a[i] ← a[i]·w mod q` for a constant `w < q`.
    pub fn mul_scalar_assign(&self, a: &mut [u64], w: u64) {
        debug_assert!(w < self.m.value());
        dispatch!(self, mul_scalar_assign(a, w));
    }

    /// `a[i] ← (a[i] − b[i])·w mod q` for a constant `w < q`: the last step
    /// of rescale and ModDown.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn sub_mul_scalar_assign(&self, a: &mut [u64], b: &[u64], w: u64) {
        assert_eq!(a.len(), b.len(), "kernel operands differ in length");
        debug_assert!(w < self.m.value());
        dispatch!(self, sub_mul_scalar_assign(a, b, w));
    }

    /// `o[i] ← o[i] + (a[i] − b[i])·w mod q` for a constant `w < q`: ModDown
    /// adding its result straight into a ciphertext's polynomial.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn sub_mul_scalar_add(&self, o: &mut [u64], a: &[u64], b: &[u64], w: u64) {
        assert!(
            o.len() == a.len() && a.len() == b.len(),
            "kernel operands differ in length"
        );
        debug_assert!(w < self.m.value());
        dispatch!(self, sub_mul_scalar_add(o, a, b, w));
    }

    /// `dst[i] ← Σ_j a[j][i]·b[j][i] mod q`, accumulated lazily and reduced
    /// once per block of terms (module docs). No terms gives zeros.
    ///
    /// # Panics
    /// If the term counts or the lengths differ (an internal bug).
    pub fn dot_to(&self, dst: &mut [u64], a: &[&[u64]], b: &[&[u64]]) {
        assert_eq!(a.len(), b.len(), "dot product: term counts differ");
        assert!(
            a.iter().chain(b).all(|s| s.len() == dst.len()),
            "kernel operands differ in length"
        );
        dispatch!(self, dot_to(dst, a, b));
    }

    /// `dst[i] ← [x_c]_q` for `x = src[i] ∈ [0, p)` of another prime `p`, with
    /// `x_c = x − p` when `x > p/2` (the centred representative): ModUp's
    /// conversion from one source prime. `p` may be larger than `q`.
    ///
    /// # Panics
    /// If the slices differ in length (an internal bug).
    pub fn centered_from(&self, dst: &mut [u64], src: &[u64], p: u64) {
        assert_eq!(dst.len(), src.len(), "kernel operands differ in length");
        debug_assert!(p < 1 << LANES64_MAX_BITS);
        if self.backend == Backend::Ifma && self.m.bits() < 10 {
            // The 52-bit split of a 61-bit word needs a prime of 10 bits or more.
            return scalar::centered_from(self.m, dst, src, p);
        }
        if self.backend == Backend::Avx2 && p / 2 >= self.m.value() {
            // A source at least twice the prime needs a Barrett reduction,
            // which AVX2 assembles from 32-bit multiplies more slowly than
            // scalar code does it (`kernels/centered_from_60bit/40bit/*` in
            // `cargo bench -p bench --bench ntt`).
            return scalar::centered_from(self.m, dst, src, p);
        }
        dispatch!(self, centered_from(dst, src, p));
    }

    /// `dst[i] ← Σ_j y[j][i]·c[j] mod q` for constants `c[j] < q`: a basis
    /// conversion's sum over source primes.
    ///
    /// # Panics
    /// If the term counts or the lengths differ (an internal bug).
    pub fn dot_scalar_to(&self, dst: &mut [u64], y: &[&[u64]], c: &[u64]) {
        assert_eq!(y.len(), c.len(), "dot product: term counts differ");
        assert!(
            y.iter().all(|s| s.len() == dst.len()),
            "kernel operands differ in length"
        );
        dispatch!(self, dot_scalar_to(dst, y, c));
    }

    /// [`Self::dot_scalar_to`] for words that need not be below `q`: every
    /// word of `y[j]` is below `bound[j] ≤ 2^61`, and is reduced mod `q` in
    /// the lane before its product, `dst[i] ← Σ_j [y[j][i]]_q·c[j] mod q`.
    /// The sum of a basis conversion from several source primes, some of
    /// which may be larger than `q`. A term bounded by `q` is used as it
    /// is, one bounded by `2q` takes one conditional subtraction, and only
    /// the others the full reduction.
    ///
    /// # Panics
    /// If the term counts or the lengths differ (an internal bug).
    pub fn dot_scalar_reduce_to(&self, dst: &mut [u64], y: &[&[u64]], c: &[u64], bound: &[u64]) {
        assert!(
            y.len() == c.len() && y.len() == bound.len(),
            "dot product: term counts differ"
        );
        assert!(
            y.iter().all(|s| s.len() == dst.len()),
            "kernel operands differ in length"
        );
        debug_assert!(bound.iter().all(|&b| b <= 1 << LANES64_MAX_BITS));
        debug_assert!(y.iter().zip(bound).all(|(s, &b)| s.iter().all(|&x| x < b)));
        let q = self.m.value();
        let reduction: Vec<Reduction> = bound
            .iter()
            .map(|&b| match b {
                b if b <= q => Reduction::None,
                b if b <= 2 * q => Reduction::Once,
                _ => Reduction::Full,
            })
            .collect();
        // The lane reduction is `centered_from`'s: on IFMA lanes it needs a
        // prime of 10 bits or more, and on AVX2 it is slower than scalar code.
        let full = reduction.contains(&Reduction::Full);
        if full
            && ((self.backend == Backend::Ifma && self.m.bits() < 10)
                || self.backend == Backend::Avx2)
        {
            return scalar::dot_scalar_reduce_all(self.m, dst, y, c);
        }
        dispatch!(self, dot_scalar_reduce_to(dst, y, c, &reduction));
    }
}

/// How a term of [`Kernels::dot_scalar_reduce_to`] is brought below `q`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reduction {
    /// Its words are below `q` already.
    None,
    /// Below `2q`: one conditional subtraction.
    Once,
    /// Any word below `2^61`: the Barrett reduction of one word.
    Full,
}

impl Kernels<'_> {
    /// Appends `src` permuted by whole aligned blocks of 8 words to `out`:
    /// output block `b` is source block `moves[b] mod 2^32`, its word `i`
    /// taken from lane `(moves[b] >> (32 + 3i)) mod 8`. An automorphism in
    /// NTT form has this shape ([`EvalPermutation`]). The prime plays no
    /// part; the handle's backend does: one `vpermq` per block with
    /// AVX-512 (IFMA and AVX-512 handles), word by word otherwise.
    ///
    /// # Panics
    /// If `src.len() != 8·moves.len()` or a move names a block outside
    /// `src` (an internal bug); `out` then keeps what it held.
    ///
    /// [`EvalPermutation`]: crate::math::automorphism::EvalPermutation
    pub fn permute_blocks_into(&self, out: &mut AlignedVec, src: &[u64], moves: &[u64]) {
        assert_eq!(
            src.len(),
            8 * moves.len(),
            "block permutation: lengths differ"
        );
        match self.backend {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: IFMA and AVX-512 handles are built only after
            // `supports` detected AVX-512F (with IFMA, or with DQ and BW).
            Backend::Ifma | Backend::Avx512 => unsafe { blocks512::permute_into(out, src, moves) },
            _ => scalar::permute_blocks_into(out, src, moves),
        }
    }

    /// [`Self::permute_blocks_into`] writing every word of `out`, which
    /// need not be initialized.
    ///
    /// # Panics
    /// If `out` or `src` is not `8·moves.len()` long, or a move names a
    /// block outside `src` (an internal bug).
    pub fn permute_blocks_write(&self, out: &mut [MaybeUninit<u64>], src: &[u64], moves: &[u64]) {
        assert!(
            src.len() == 8 * moves.len() && out.len() == src.len(),
            "block permutation: lengths differ"
        );
        match self.backend {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: IFMA and AVX-512 handles are built only after
            // `supports` detected AVX-512F (with IFMA, or with DQ and BW);
            // the lengths are checked above.
            Backend::Ifma | Backend::Avx512 => unsafe { blocks512::permute_write(out, src, moves) },
            _ => scalar::permute_blocks_write(out, src, moves),
        }
    }

    /// `u[i] ← ⌊Σ_j y[j][i]·inv[j] + 1/2⌋` in double precision: each word
    /// rounded to the nearest double, multiplied by `inv[j]`, the products
    /// added in order from zero, then `1/2`, and the sum truncated. With
    /// `inv[j] = 1/q_j` and `y[j] < q_j` this is the integer nearest to
    /// `Σ_j y_j/q_j`, the quotient of a centred basis conversion
    /// ([`BasisConverter`]). The prime plays no part; the handle's backend
    /// does: eight lanes of AVX-512 (with DQ, which IFMA and AVX-512 handles
    /// imply) or scalar code (AVX2 has no conversion between 64-bit integers
    /// and doubles). Both run the same IEEE operations in the same order,
    /// so they agree bit for bit.
    ///
    /// # Panics
    /// If the term counts or the lengths differ (an internal bug).
    ///
    /// [`BasisConverter`]: crate::math::rns::BasisConverter
    pub fn nearest_quotients(&self, u: &mut [u64], y: &[&[u64]], inv: &[f64]) {
        assert_eq!(y.len(), inv.len(), "quotients: term counts differ");
        assert!(
            y.iter().all(|s| s.len() == u.len()),
            "kernel operands differ in length"
        );
        match self.backend {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: IFMA and AVX-512 handles are built only after
            // `supports` detected AVX-512F and DQ (`Backend::cpu_supports`
            // asks for DQ with IFMA too).
            Backend::Ifma | Backend::Avx512 => unsafe { float512::nearest_quotients(u, y, inv) },
            _ => scalar::nearest_quotients(u, y, inv),
        }
    }
}

/// One limb of a new array handed out by [`fill_limbs`] or
/// [`fill_limb_pairs`], to be written once ([`LimbSlot::dot_init`],
/// [`LimbSlot::inverse_ntt`]).
pub(crate) struct LimbSlot<'a> {
    words: &'a mut [MaybeUninit<u64>],
    /// Which array (0 or 1) and which limb.
    id: (usize, usize),
}

/// Proof that a [`LimbSlot`] was written, returned to [`fill_limb_pairs`].
pub(crate) struct Filled((usize, usize));

impl<'a> LimbSlot<'a> {
    fn new(words: &'a mut [MaybeUninit<u64>], array: usize, limb: usize) -> Self {
        Self {
            words,
            id: (array, limb),
        }
    }

    /// Writes [`Kernels::dot_to`]'s result into the limb and hands the
    /// written limb back with the proof, for the caller to go on working
    /// on it in place (the inverse transform of a key switch's special
    /// limbs).
    ///
    /// # Panics
    /// If the term counts differ or an operand is not a limb long (an
    /// internal bug).
    pub(crate) fn dot_init(
        self,
        k: &Kernels<'_>,
        a: &[&[u64]],
        b: &[&[u64]],
    ) -> (&'a mut [u64], Filled) {
        k.dot_write(self.words, a, b);
        // SAFETY: `dot_write` initialized every word of the limb.
        unsafe { self.written() }
    }

    /// [`Self::dot_init`] with the second operands packed
    /// ([`Kernels::dot_write_packed`]).
    ///
    /// # Panics
    /// As [`Kernels::dot_write_packed`].
    pub(crate) fn dot_init_packed(
        self,
        k: &Kernels<'_>,
        a: &[&[u64]],
        b: &[crate::math::packed::Packed<'_>],
    ) -> (&'a mut [u64], Filled) {
        k.dot_write_packed(self.words, a, b);
        // SAFETY: `dot_write_packed` initialized every word of the limb.
        unsafe { self.written() }
    }

    /// The limb as initialized words, with the proof.
    ///
    /// # Safety
    /// Every word of the limb has been written.
    unsafe fn written(self) -> (&'a mut [u64], Filled) {
        let words: *mut [MaybeUninit<u64>] = self.words;
        // SAFETY: the words are initialized (caller), and `MaybeUninit<u64>`
        // has the layout of `u64`; the slot is consumed, so the returned
        // slice is the only reference to the words.
        let init = unsafe { &mut *(words as *mut [u64]) };
        (init, Filled(self.id))
    }

    /// Writes the inverse NTT of `src` into the limb
    /// ([`NttPlan::inverse_write`]).
    ///
    /// # Panics
    /// If `src` or the limb is not the plan's `N` long (an internal bug).
    pub(crate) fn inverse_ntt(self, plan: &NttPlan, src: &[u64]) -> Filled {
        plan.inverse_write(src, self.words);
        Filled(self.id)
    }
}

/// A new array of `limbs` limbs of `n` words, limb `i` written by `f(i, ·)`
/// (limbs in parallel, as [`for_each_limb`]), returned once every limb is
/// known to be written: [`fill_limb_pairs`] for one array.
///
/// # Panics
/// If `f` returns a proof for another limb than the one it was given (an
/// internal bug), or if `f` panics.
pub(crate) fn fill_limbs<F>(n: usize, limbs: usize, f: F) -> AlignedVec
where
    F: Fn(usize, LimbSlot<'_>) -> Filled + Sync + Send,
{
    let len = n * limbs;
    let mut a = AlignedVec::with_capacity(len);
    let written = AtomicUsize::new(0);
    for_each_limb(n, &mut a.spare_capacity_mut()[..len], |i, words| {
        if f(i, LimbSlot::new(words, 0, i)).0 == (0, i) {
            written.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(
        written.into_inner(),
        limbs,
        "fill_limbs: a limb was not written"
    );
    // SAFETY: every one of the `limbs` limbs went through a `LimbSlot`
    // writer, which initialized all its words, inside the capacity
    // reserved above.
    unsafe { a.set_len(len) };
    a
}

/// Two new arrays of `limbs` limbs of `n` words, limb `i` of both written
/// by `f(i, ·, ·)` (limbs in parallel, limbs `first..` handed out first, as
/// [`for_each_limb_pair_from`]): the words go straight into new memory,
/// with no zero fill first, and the arrays are returned only once every
/// limb is known to be written.
///
/// # Panics
/// If `f` returns a proof for another limb than the one it was given (an
/// internal bug), or if `f` panics.
pub(crate) fn fill_limb_pairs<F>(
    n: usize,
    limbs: usize,
    first: usize,
    f: F,
) -> (AlignedVec, AlignedVec)
where
    F: Fn(usize, LimbSlot<'_>, LimbSlot<'_>) -> (Filled, Filled) + Sync + Send,
{
    let len = n * limbs;
    let (mut a, mut b) = (
        AlignedVec::with_capacity(len),
        AlignedVec::with_capacity(len),
    );
    let written = AtomicUsize::new(0);
    let (spare_a, spare_b) = (
        &mut a.spare_capacity_mut()[..len],
        &mut b.spare_capacity_mut()[..len],
    );
    for_each_limb_pair_from(n, spare_a, spare_b, first, |i, x, y| {
        let (fx, fy) = f(i, LimbSlot::new(x, 0, i), LimbSlot::new(y, 1, i));
        if fx.0 == (0, i) && fy.0 == (1, i) {
            written.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(
        written.into_inner(),
        limbs,
        "fill_limb_pairs: a limb was not written"
    );
    // SAFETY: every one of the `limbs` limbs of both arrays went through a
    // `LimbSlot` writer, which initialized all its words, inside the
    // capacity reserved above.
    unsafe {
        a.set_len(len);
        b.set_len(len);
    }
    (a, b)
}

/// The block permutation with AVX-512F.
#[cfg(target_arch = "x86_64")]
mod blocks512 {
    use std::arch::x86_64::{
        _mm512_loadu_si512, _mm512_permutexvar_epi64, _mm512_set1_epi64, _mm512_set_epi64,
        _mm512_srlv_epi64, _mm512_storeu_si512,
    };

    use std::mem::MaybeUninit;

    use crate::math::aligned::AlignedVec;

    /// [`super::Kernels::permute_blocks_into`], writing straight into the
    /// spare capacity of `out`.
    ///
    /// # Safety
    /// The CPU supports AVX-512F; `src.len() == 8·moves.len()`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn permute_into(out: &mut AlignedVec, src: &[u64], moves: &[u64]) {
        let n = 8 * moves.len();
        out.reserve(n);
        let start = out.len();
        // SAFETY: guaranteed by the caller.
        unsafe { permute_write(&mut out.spare_capacity_mut()[..n], src, moves) };
        // SAFETY: after the reserve the spare capacity holds at least `n`
        // words, and `permute_write` wrote all `moves.len()` blocks of 8
        // from `start` (a bad move panics there, before this line, leaving
        // the length unchanged).
        unsafe { out.set_len(start + n) };
    }

    /// [`super::Kernels::permute_blocks_write`]: every block of `dst`
    /// written, in order.
    ///
    /// # Safety
    /// The CPU supports AVX-512F; `dst.len() == src.len() == 8·moves.len()`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn permute_write(dst: &mut [MaybeUninit<u64>], src: &[u64], moves: &[u64]) {
        // Lane i's source lane sits at bit 32 + 3i of its move; `vpermq`
        // reads the low three bits of each index lane.
        let shifts = _mm512_set_epi64(53, 50, 47, 44, 41, 38, 35, 32);
        for (&mv, d) in moves.iter().zip(dst.chunks_exact_mut(8)) {
            let block = &src[8 * (mv as u32 as usize)..][..8];
            let idx = _mm512_srlv_epi64(_mm512_set1_epi64(mv as i64), shifts);
            // SAFETY: `block` holds 8 words; `d` is 8 words of `dst`; both
            // accesses are unaligned-tolerant.
            unsafe {
                let v = _mm512_permutexvar_epi64(idx, _mm512_loadu_si512(block.as_ptr().cast()));
                _mm512_storeu_si512(d.as_mut_ptr().cast(), v);
            }
        }
    }
}

/// The quotients of a centred basis conversion in double precision with
/// AVX-512F and DQ.
#[cfg(target_arch = "x86_64")]
mod float512 {
    use std::arch::x86_64::{
        _mm512_add_pd, _mm512_cvtepu64_pd, _mm512_cvttpd_epu64, _mm512_loadu_si512, _mm512_mul_pd,
        _mm512_set1_pd, _mm512_setzero_pd, _mm512_storeu_si512,
    };

    /// [`super::Kernels::nearest_quotients`], eight coefficients at a time
    /// (the conversions round to nearest as `as f64` does, and truncate as
    /// `as u64` does; products and sums are not fused).
    ///
    /// # Safety
    /// The CPU supports AVX-512F and DQ; every slice of `y` is as long as `u`,
    /// and `inv` as long as `y`.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub unsafe fn nearest_quotients(u: &mut [u64], y: &[&[u64]], inv: &[f64]) {
        let whole = u.len() - u.len() % 8;
        let half = _mm512_set1_pd(0.5);
        for k in (0..whole).step_by(8) {
            let mut sum = _mm512_setzero_pd();
            for (limb, &f) in y.iter().zip(inv) {
                // SAFETY: k + 8 ≤ whole ≤ limb.len(); unaligned load.
                let x = unsafe { _mm512_loadu_si512(limb.as_ptr().add(k).cast()) };
                sum = _mm512_add_pd(sum, _mm512_mul_pd(_mm512_cvtepu64_pd(x), _mm512_set1_pd(f)));
            }
            let q = _mm512_cvttpd_epu64(_mm512_add_pd(sum, half));
            // SAFETY: k + 8 ≤ whole ≤ u.len(); unaligned store.
            unsafe { _mm512_storeu_si512(u.as_mut_ptr().add(k).cast(), q) };
        }
        if whole < u.len() {
            let tail: Vec<&[u64]> = y.iter().map(|limb| &limb[whole..]).collect();
            super::scalar::nearest_quotients(&mut u[whole..], &tail, inv);
        }
    }
}

/// The reference: the scalar [`Modulus`] operations, sums in 128 bits.
mod scalar {
    use std::mem::MaybeUninit;

    use crate::math::aligned::AlignedVec;
    use crate::math::modulus::Modulus;

    /// Products summed in a `u128` before one Barrett reduction, which
    /// accepts sums below `q·2^64`: `2^(64−b)` products below `q^2`.
    fn terms(m: &Modulus) -> usize {
        1 << (64 - m.bits()).min(16)
    }

    pub fn add_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
        for (x, &y) in a.iter_mut().zip(b) {
            *x = m.add(*x, y);
        }
    }

    pub fn sub_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
        for (x, &y) in a.iter_mut().zip(b) {
            *x = m.sub(*x, y);
        }
    }

    pub fn neg_assign(m: &Modulus, a: &mut [u64]) {
        for x in a.iter_mut() {
            *x = m.neg(*x);
        }
    }

    pub fn mul_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
        for (x, &y) in a.iter_mut().zip(b) {
            *x = m.mul(*x, y);
        }
    }

    pub fn mul_to(m: &Modulus, dst: &mut [u64], a: &[u64], b: &[u64]) {
        for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
            *d = m.mul(x, y);
        }
    }

    pub fn mul_into(m: &Modulus, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        out.extend(a.iter().zip(b).map(|(&x, &y)| m.mul(x, y)));
    }

    pub fn add_into(m: &Modulus, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        out.extend(a.iter().zip(b).map(|(&x, &y)| m.add(x, y)));
    }

    pub fn sub_into(m: &Modulus, out: &mut AlignedVec, a: &[u64], b: &[u64]) {
        out.extend(a.iter().zip(b).map(|(&x, &y)| m.sub(x, y)));
    }

    pub fn dot_write(m: &Modulus, dst: &mut [MaybeUninit<u64>], a: &[&[u64]], b: &[&[u64]]) {
        for (k, d) in dst.iter_mut().enumerate() {
            d.write(dot_one(m, a.iter().zip(b).map(|(x, y)| (x[k], y[k]))));
        }
    }

    pub fn tensor_write(
        m: &Modulus,
        d: [&mut [MaybeUninit<u64>]; 3],
        a: [&[u64]; 2],
        b: [&[u64]; 2],
    ) {
        let [d0, d1, d2] = d;
        for (k, ((o0, o1), o2)) in d0.iter_mut().zip(d1).zip(d2).enumerate() {
            tensor_one(m, [o0, o1, o2], [a[0][k], a[1][k]], [b[0][k], b[1][k]]);
        }
    }

    /// [`tensor_write`] of one coefficient.
    fn tensor_one(m: &Modulus, d: [&mut MaybeUninit<u64>; 3], a: [u64; 2], b: [u64; 2]) {
        let [d0, d1, d2] = d;
        d0.write(dot_one(m, [(a[0], b[0])].into_iter()));
        d1.write(dot_one(m, [(a[0], b[1]), (a[1], b[0])].into_iter()));
        d2.write(dot_one(m, [(a[1], b[1])].into_iter()));
    }

    pub fn mul_add_assign(m: &Modulus, o: &mut [u64], a: &[u64], b: &[u64]) {
        for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
            *o = m.add(*o, m.mul(x, y));
        }
    }

    pub fn mul_scalar_assign(m: &Modulus, a: &mut [u64], w: u64) {
        let ws = m.shoup(w);
        for x in a.iter_mut() {
            *x = m.mul_shoup(*x, w, ws);
        }
    }

    pub fn sub_mul_scalar_assign(m: &Modulus, a: &mut [u64], b: &[u64], w: u64) {
        let ws = m.shoup(w);
        for (x, &y) in a.iter_mut().zip(b) {
            *x = m.mul_shoup(m.sub(*x, y), w, ws);
        }
    }

    pub fn sub_mul_scalar_add(m: &Modulus, o: &mut [u64], a: &[u64], b: &[u64], w: u64) {
        let ws = m.shoup(w);
        for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
            *o = m.add(*o, m.mul_shoup(m.sub(x, y), w, ws));
        }
    }

    /// `Σ_j x_j·y_j mod q` for one coefficient.
    pub fn dot_one(m: &Modulus, terms_iter: impl Iterator<Item = (u64, u64)>) -> u64 {
        let per = terms(m);
        let (mut acc, mut count, mut res) = (0u128, 0, 0u64);
        for (x, y) in terms_iter {
            acc += u128::from(x) * u128::from(y);
            count += 1;
            if count == per {
                res = m.add(res, m.reduce_u128(acc));
                (acc, count) = (0, 0);
            }
        }
        m.add(res, m.reduce_u128(acc))
    }

    pub fn dot_to(m: &Modulus, dst: &mut [u64], a: &[&[u64]], b: &[&[u64]]) {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = dot_one(m, a.iter().zip(b).map(|(x, y)| (x[k], y[k])));
        }
    }

    pub fn permute_blocks_into(out: &mut AlignedVec, src: &[u64], moves: &[u64]) {
        // Checked up front so that a bad move leaves `out` as it was.
        assert!(
            moves.iter().all(|&mv| (mv as u32 as usize) < moves.len()),
            "block permutation: a move names a block outside the source"
        );
        out.extend(moves.iter().flat_map(|&mv| {
            let block = &src[8 * (mv as u32 as usize)..][..8];
            (0..8).map(move |i| block[((mv >> (32 + 3 * i)) & 7) as usize])
        }));
    }

    pub fn permute_blocks_write(out: &mut [MaybeUninit<u64>], src: &[u64], moves: &[u64]) {
        for (&mv, d) in moves.iter().zip(out.chunks_exact_mut(8)) {
            let block = &src[8 * (mv as u32 as usize)..][..8];
            for (i, o) in d.iter_mut().enumerate() {
                o.write(block[((mv >> (32 + 3 * i)) & 7) as usize]);
            }
        }
    }

    pub fn centered_from(m: &Modulus, dst: &mut [u64], src: &[u64], p: u64) {
        let (half, p_mod_q) = (p >> 1, m.reduce(p));
        for (d, &x) in dst.iter_mut().zip(src) {
            let r = m.reduce(x);
            *d = if x > half { m.sub(r, p_mod_q) } else { r };
        }
    }

    pub fn dot_scalar_to(m: &Modulus, dst: &mut [u64], y: &[&[u64]], c: &[u64]) {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = dot_one(m, y.iter().zip(c).map(|(x, &w)| (x[k], w)));
        }
    }

    /// Every word reduced whatever its bound (the same sums).
    pub fn dot_scalar_reduce_to(
        m: &Modulus,
        dst: &mut [u64],
        y: &[&[u64]],
        c: &[u64],
        _: &[super::Reduction],
    ) {
        dot_scalar_reduce_all(m, dst, y, c);
    }

    pub fn dot_scalar_reduce_all(m: &Modulus, dst: &mut [u64], y: &[&[u64]], c: &[u64]) {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = dot_one(m, y.iter().zip(c).map(|(x, &w)| (m.reduce(x[k]), w)));
        }
    }

    pub fn nearest_quotients(u: &mut [u64], y: &[&[u64]], inv: &[f64]) {
        for (k, uk) in u.iter_mut().enumerate() {
            let sum = y
                .iter()
                .zip(inv)
                .fold(0.0, |s, (limb, &f)| s + limb[k] as f64 * f);
            *uk = (sum + 0.5) as u64;
        }
    }
}

/// `dot_terms::<U, T, B>` for a lazy block of `T` terms, where `T` is one
/// of those listed and `U > 1` (the dot products' main loop), else
/// `dot_terms_any` (inside `simd_kernels!`). Unrolled, each operand limb
/// is read by load instructions of its own, each advancing by one fixed
/// stride per step, a pattern the core's per-instruction prefetchers can
/// follow; in a loop over the terms the same loads jump from limb to limb,
/// and a profile put most of the loop's samples just after its loads. The
/// unrolled sums made a `seed` key switch a few per cent faster
/// (`docs/key-switching.md`).
#[cfg(target_arch = "x86_64")]
macro_rules! unrolled_terms {
    ($u:ident, $b:ident, $k:expr, $ca:expr, $cb:expr, $load:expr; $($t:literal)*) => {
        match $ca.len() {
            $($t if $u > 1 => dot_terms::<$u, $t, $b>(
                $k,
                $ca.try_into().expect("length matched"),
                $cb.try_into().expect("length matched"),
                &$load,
            ),)*
            _ => dot_terms_any::<$u, $b>($k, $ca, $cb, &$load),
        }
    };
}

/// The loops of every kernel over a limb, around a vector module's lane
/// operations (`V`, `LANES`, `ld`, `st`, `splat`, `Consts`, `consts`,
/// `add_mod`, `sub_mod`, `neg_mod`, `mul_mod`, `shoup_const`, `mul_shoup`,
/// `Acc`, `acc_zero`, `acc_mac`, `acc_reduce`, `terms`): whole vectors,
/// then the tail with the scalar reference. The dot products take
/// `$dot_vectors` vectors per step, so that the chains of dependent
/// multiply-adds of several vectors overlap.
#[cfg(target_arch = "x86_64")]
macro_rules! simd_kernels {
    ($feat:literal, $dot_vectors:literal) => {
        /// Splits `len` into a whole number of vectors and a tail.
        fn split(len: usize) -> usize {
            len - len % LANES
        }

        /// # Safety
        /// The CPU supports this module's features; the prime fits its kernels.
        #[target_feature(enable = $feat)]
        pub unsafe fn add_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
            let c = consts(m);
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of both slices.
                unsafe {
                    let r = add_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    st(a.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::add_assign(m, &mut a[s..], &b[s..]);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn sub_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
            let c = consts(m);
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of both slices.
                unsafe {
                    let r = sub_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    st(a.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::sub_assign(m, &mut a[s..], &b[s..]);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn neg_assign(m: &Modulus, a: &mut [u64]) {
            let c = consts(m);
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ a.len().
                unsafe {
                    let r = neg_mod(ld(a.as_ptr().add(k)), &c);
                    st(a.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::neg_assign(m, &mut a[s..]);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_assign(m: &Modulus, a: &mut [u64], b: &[u64]) {
            let c = consts(m);
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of both slices.
                unsafe {
                    let r = mul_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    st(a.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::mul_assign(m, &mut a[s..], &b[s..]);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_to(m: &Modulus, dst: &mut [u64], a: &[u64], b: &[u64]) {
            let c = consts(m);
            let s = split(dst.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of all three slices.
                unsafe {
                    let r = mul_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    st(dst.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::mul_to(m, &mut dst[s..], &a[s..], &b[s..]);
        }

        /// Appends `len` words to `out` without filling them first: whole
        /// vectors from `vector(k)` (words `k…k + LANES`), the tail from
        /// `word(k)`.
        ///
        /// # Safety
        /// The CPU supports this module's features; `vector(k)` may read
        /// `LANES` words from `k` of operands of length `len`.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn append_with(
            out: &mut crate::math::aligned::AlignedVec,
            len: usize,
            vector: impl Fn(usize) -> V,
            word: impl Fn(usize) -> u64,
        ) {
            out.reserve(len);
            let start = out.len();
            let dst = out.spare_capacity_mut()[..len].as_mut_ptr().cast::<u64>();
            let s = split(len);
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len spare words at `dst`.
                unsafe { st(dst.add(k), vector(k)) };
            }
            for k in s..len {
                // SAFETY: k < len spare words at `dst`.
                unsafe { dst.add(k).write(word(k)) };
            }
            // SAFETY: the loops wrote all `len` words after `start`, inside
            // the capacity reserved above.
            unsafe { out.set_len(start + len) };
        }

        /// Appends `lane` of each vector of `a` and `b` to `out`, and `word`
        /// (the scalar reference) of the words of the tail.
        ///
        /// # Safety
        /// The CPU supports this module's features; `a.len() == b.len()`.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn zip_into(
            out: &mut crate::math::aligned::AlignedVec,
            a: &[u64],
            b: &[u64],
            lane: impl Fn(V, V) -> V,
            word: impl Fn(u64, u64) -> u64,
        ) {
            let vector = |k: usize| {
                // SAFETY: `append_with` asks for k + LANES ≤ a.len() = b.len().
                unsafe { lane(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k))) }
            };
            // SAFETY: the features are this module's; the loads stay in `a`, `b`.
            unsafe { append_with(out, a.len(), vector, |k| word(a[k], b[k])) };
        }

        /// # Safety
        /// As [`add_assign`]; `a.len() == b.len()`.
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_into(
            m: &Modulus,
            out: &mut crate::math::aligned::AlignedVec,
            a: &[u64],
            b: &[u64],
        ) {
            let c = consts(m);
            // SAFETY: guaranteed by the caller.
            unsafe { zip_into(out, a, b, |x, y| mul_mod(x, y, &c), |x, y| m.mul(x, y)) };
        }

        /// # Safety
        /// As [`add_assign`]; `a.len() == b.len()`.
        #[target_feature(enable = $feat)]
        pub unsafe fn add_into(
            m: &Modulus,
            out: &mut crate::math::aligned::AlignedVec,
            a: &[u64],
            b: &[u64],
        ) {
            let c = consts(m);
            // SAFETY: guaranteed by the caller.
            unsafe { zip_into(out, a, b, |x, y| add_mod(x, y, &c), |x, y| m.add(x, y)) };
        }

        /// # Safety
        /// As [`add_assign`]; `a.len() == b.len()`.
        #[target_feature(enable = $feat)]
        pub unsafe fn sub_into(
            m: &Modulus,
            out: &mut crate::math::aligned::AlignedVec,
            a: &[u64],
            b: &[u64],
        ) {
            let c = consts(m);
            // SAFETY: guaranteed by the caller.
            unsafe { zip_into(out, a, b, |x, y| sub_mod(x, y, &c), |x, y| m.sub(x, y)) };
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_add_assign(m: &Modulus, o: &mut [u64], a: &[u64], b: &[u64]) {
            let c = consts(m);
            let s = split(o.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of all three slices.
                unsafe {
                    let p = mul_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    let r = add_mod(ld(o.as_ptr().add(k)), p, &c);
                    st(o.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::mul_add_assign(m, &mut o[s..], &a[s..], &b[s..]);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn mul_scalar_assign(m: &Modulus, a: &mut [u64], w: u64) {
            let c = consts(m);
            let (wv, wsv) = (splat(w), splat(shoup_const(m, w)));
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ a.len().
                unsafe {
                    let r = mul_shoup(ld(a.as_ptr().add(k)), wv, wsv, &c);
                    st(a.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::mul_scalar_assign(m, &mut a[s..], w);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn sub_mul_scalar_assign(m: &Modulus, a: &mut [u64], b: &[u64], w: u64) {
            let c = consts(m);
            let (wv, wsv) = (splat(w), splat(shoup_const(m, w)));
            let s = split(a.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of both slices.
                unsafe {
                    let d = sub_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    st(a.as_mut_ptr().add(k), mul_shoup(d, wv, wsv, &c));
                }
            }
            super::scalar::sub_mul_scalar_assign(m, &mut a[s..], &b[s..], w);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn sub_mul_scalar_add(m: &Modulus, o: &mut [u64], a: &[u64], b: &[u64], w: u64) {
            let c = consts(m);
            let (wv, wsv) = (splat(w), splat(shoup_const(m, w)));
            let s = split(o.len());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of the three slices.
                unsafe {
                    let d = sub_mod(ld(a.as_ptr().add(k)), ld(b.as_ptr().add(k)), &c);
                    let r = add_mod(ld(o.as_ptr().add(k)), mul_shoup(d, wv, wsv, &c), &c);
                    st(o.as_mut_ptr().add(k), r);
                }
            }
            super::scalar::sub_mul_scalar_add(m, &mut o[s..], &a[s..], &b[s..], w);
        }

        /// # Safety
        /// As [`add_assign`], and `p < 2^61`.
        #[target_feature(enable = $feat)]
        pub unsafe fn centered_from(m: &Modulus, dst: &mut [u64], src: &[u64], p: u64) {
            let c = consts(m);
            let s = split(dst.len());
            let q = m.value();
            if p < 2 * q {
                // No reduction for p < 2q: x ≤ p/2 is below q, and x above
                // p/2 maps to x − p + q, which is in [0, q) (for p < q as
                // x < p; otherwise as x > p/2 > p − q). Adding q − p mod
                // 2^64 gives it; `add_mod`'s conditional subtraction never
                // fires.
                let (half, shift) = (splat(p >> 1), splat(q.wrapping_sub(p)));
                for k in (0..s).step_by(LANES) {
                    // SAFETY: k + LANES ≤ s ≤ len of both slices.
                    unsafe {
                        let x = ld(src.as_ptr().add(k));
                        st(
                            dst.as_mut_ptr().add(k),
                            select_gt(x, half, add_mod(x, shift, &c), x),
                        );
                    }
                }
                return super::scalar::centered_from(m, &mut dst[s..], &src[s..], p);
            }
            let (half, p_mod_q) = (splat(p >> 1), splat(m.reduce(p)));
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len of both slices.
                unsafe {
                    let x = ld(src.as_ptr().add(k));
                    let r = reduce_word(x, &c);
                    st(
                        dst.as_mut_ptr().add(k),
                        select_gt(x, half, sub_mod(r, p_mod_q, &c), r),
                    );
                }
            }
            super::scalar::centered_from(m, &mut dst[s..], &src[s..], p);
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn dot_to(m: &Modulus, dst: &mut [u64], a: &[&[u64]], b: &[&[u64]]) {
            // SAFETY: `dst` is valid for its length; the features are ours.
            unsafe { dot_raw(m, dst.as_mut_ptr(), dst.len(), a, b) }
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn dot_write(
            m: &Modulus,
            dst: &mut [std::mem::MaybeUninit<u64>],
            a: &[&[u64]],
            b: &[&[u64]],
        ) {
            // SAFETY: `dst` is valid for writing its length; every word is
            // written once and none read.
            unsafe { dot_raw(m, dst.as_mut_ptr().cast(), dst.len(), a, b) }
        }

        /// The three products of a ciphertext multiplication on one limb
        /// ([`crate::math::kernels::Kernels::tensor_into`]), each operand
        /// word loaded once.
        ///
        /// # Safety
        /// As [`add_assign`]; every slice has the length of `d[0]`.
        #[target_feature(enable = $feat)]
        pub unsafe fn tensor_write(
            m: &Modulus,
            d: [&mut [std::mem::MaybeUninit<u64>]; 3],
            a: [&[u64]; 2],
            b: [&[u64]; 2],
        ) {
            let c = consts(m);
            // The middle term sums its two products before one reduction
            // where the lazy block holds two, as every backend's does on the
            // primes it takes; otherwise each is reduced and they are added.
            let pair = terms(m.bits()) >= 2;
            let [d0, d1, d2] = d;
            let len = d0.len();
            let s = split(len);
            let o = [d0.as_mut_ptr(), d1.as_mut_ptr(), d2.as_mut_ptr()].map(|p| p.cast::<u64>());
            for k in (0..s).step_by(LANES) {
                // SAFETY: k + LANES ≤ s ≤ len, the length of every slice.
                unsafe {
                    let (x0, x1) = (ld(a[0].as_ptr().add(k)), ld(a[1].as_ptr().add(k)));
                    let (y0, y1) = (ld(b[0].as_ptr().add(k)), ld(b[1].as_ptr().add(k)));
                    let r0 = acc_reduce(acc_mac(acc_zero(), x0, y0), &c);
                    let r2 = acc_reduce(acc_mac(acc_zero(), x1, y1), &c);
                    let r1 = if pair {
                        acc_reduce(acc_mac(acc_mac(acc_zero(), x0, y1), x1, y0), &c)
                    } else {
                        add_mod(
                            acc_reduce(acc_mac(acc_zero(), x0, y1), &c),
                            acc_reduce(acc_mac(acc_zero(), x1, y0), &c),
                            &c,
                        )
                    };
                    st(o[0].add(k), r0);
                    st(o[1].add(k), r1);
                    st(o[2].add(k), r2);
                }
            }
            super::scalar::tensor_write(
                m,
                [&mut d0[s..], &mut d1[s..], &mut d2[s..]],
                [&a[0][s..], &a[1][s..]],
                [&b[0][s..], &b[1][s..]],
            );
        }

        /// The dot products into `len` words at `dst`, each written once and
        /// never read.
        ///
        /// # Safety
        /// As [`add_assign`]; `dst` is valid for writing `len` words and
        /// every operand has `len` elements.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_raw(m: &Modulus, dst: *mut u64, len: usize, a: &[&[u64]], b: &[&[u64]]) {
            let c = consts(m);
            let per = terms(m.bits());
            let s = split(len);
            let step = $dot_vectors * LANES;
            let whole = s - s % step;
            // Several vectors per step: their chains of products and
            // reductions overlap.
            for k in (0..whole).step_by(step) {
                // SAFETY: every operand has len ≥ k + step elements.
                let r = unsafe { dot_block::<$dot_vectors>(k, a, b, per, &c) };
                for (u, &v) in r.iter().enumerate() {
                    // SAFETY: k + (u + 1)·LANES ≤ whole ≤ len.
                    unsafe { st(dst.add(k + u * LANES), v) };
                }
            }
            for k in (whole..s).step_by(LANES) {
                // SAFETY: every operand has len ≥ k + LANES elements.
                let r = unsafe { dot_block::<1>(k, a, b, per, &c) };
                // SAFETY: k + LANES ≤ s ≤ len.
                unsafe { st(dst.add(k), r[0]) };
            }
            for k in s..len {
                let d = super::scalar::dot_one(m, a.iter().zip(b).map(|(x, y)| (x[k], y[k])));
                // SAFETY: k < len.
                unsafe { dst.add(k).write(d) };
            }
        }

        /// `U` vectors of `Σ_j a[j][i]·b[j][i] mod q` from index `k`: lazy sums
        /// of `per` products, each reduced and added.
        ///
        /// # Safety
        /// The CPU supports this module's features; every operand has at least
        /// `k + U·LANES` elements.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_block<const U: usize>(
            k: usize,
            a: &[&[u64]],
            b: &[&[u64]],
            per: usize,
            c: &Consts,
        ) -> [V; U] {
            // SAFETY: as guaranteed by the caller, the `LANES` words from
            // `o < k + U·LANES` are inside every `b[j]`.
            unsafe { dot_block_with(k, a, b, per, c, |y, o| ld(y.as_ptr().add(o))) }
        }

        /// [`dot_block`] with the second operands of any type, each vector
        /// of them from `load(b[j], offset)`.
        ///
        /// # Safety
        /// The CPU supports this module's features; every `a[j]` has at
        /// least `k + U·LANES` elements, and `load` is safe to call at every
        /// offset below `k + U·LANES` that is a multiple of `LANES`.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_block_with<const U: usize, B>(
            k: usize,
            a: &[&[u64]],
            b: &[B],
            per: usize,
            c: &Consts,
            load: impl Fn(&B, usize) -> V,
        ) -> [V; U] {
            let mut res = [splat(0); U];
            for (block, (ca, cb)) in a.chunks(per).zip(b.chunks(per)).enumerate() {
                // SAFETY: as guaranteed by the caller.
                let acc = unsafe {
                    // The main loop (`U > 1`) with the terms unrolled, for as
                    // many as a key switch of up to eight digits has.
                    unrolled_terms!(U, B, k, ca, cb, load; 1 2 3 4 5 6 7 8)
                };
                // The first block's sum is the result so far: no addition
                // (a key switch has fewer digits than a block holds).
                for (r, s) in res.iter_mut().zip(acc) {
                    let x = acc_reduce(s, c);
                    *r = if block == 0 { x } else { add_mod(*r, x, c) };
                }
            }
            res
        }

        /// The lazy sums of `T` products per lane, the terms unrolled: each
        /// operand has its own loads, whose addresses advance by a fixed
        /// stride from one step to the next.
        ///
        /// # Safety
        /// As [`dot_block_with`].
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_terms<const U: usize, const T: usize, B>(
            k: usize,
            a: &[&[u64]; T],
            b: &[B; T],
            load: &impl Fn(&B, usize) -> V,
        ) -> [Acc; U] {
            let mut acc = [acc_zero(); U];
            for t in 0..T {
                for (u, s) in acc.iter_mut().enumerate() {
                    let o = k + u * LANES;
                    // SAFETY: o + LANES ≤ k + U·LANES, within every `a[j]`.
                    *s = acc_mac(*s, unsafe { ld(a[t].as_ptr().add(o)) }, load(&b[t], o));
                }
            }
            acc
        }

        /// [`dot_terms`] for any number of terms.
        ///
        /// # Safety
        /// As [`dot_block_with`].
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_terms_any<const U: usize, B>(
            k: usize,
            a: &[&[u64]],
            b: &[B],
            load: &impl Fn(&B, usize) -> V,
        ) -> [Acc; U] {
            let mut acc = [acc_zero(); U];
            for (x, y) in a.iter().zip(b) {
                for (u, s) in acc.iter_mut().enumerate() {
                    let o = k + u * LANES;
                    // SAFETY: o + LANES ≤ k + U·LANES, within every `a[j]`.
                    *s = acc_mac(*s, unsafe { ld(x.as_ptr().add(o)) }, load(y, o));
                }
            }
            acc
        }

        /// # Safety
        /// As [`add_assign`].
        #[target_feature(enable = $feat)]
        pub unsafe fn dot_scalar_to(m: &Modulus, dst: &mut [u64], y: &[&[u64]], cs: &[u64]) {
            // SAFETY: guaranteed by the caller.
            unsafe { dot_scalar_raw(m, dst, y, cs, &[]) }
        }

        /// # Safety
        /// As [`add_assign`], except that the words of `y[j]` need only be
        /// below `q`, `2q` or `2^61` as `reduction[j]` says (`Full` on IFMA
        /// lanes for a prime of 10 bits or more).
        #[target_feature(enable = $feat)]
        pub unsafe fn dot_scalar_reduce_to(
            m: &Modulus,
            dst: &mut [u64],
            y: &[&[u64]],
            cs: &[u64],
            reduction: &[crate::math::kernels::Reduction],
        ) {
            // SAFETY: guaranteed by the caller.
            unsafe { dot_scalar_raw(m, dst, y, cs, reduction) }
        }

        /// `Σ_j y[j]·cs[j] mod q`, each `y` word first brought below `q` as
        /// `reduction[j]` says (nothing for the terms past its end).
        ///
        /// # Safety
        /// As [`dot_scalar_reduce_to`].
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn dot_scalar_raw(
            m: &Modulus,
            dst: &mut [u64],
            y: &[&[u64]],
            cs: &[u64],
            reduction: &[crate::math::kernels::Reduction],
        ) {
            use crate::math::kernels::Reduction;
            let c = consts(m);
            let per = terms(m.bits());
            let wv: Vec<(V, Reduction)> = cs
                .iter()
                .enumerate()
                .map(|(j, &w)| {
                    (
                        splat(w),
                        reduction.get(j).copied().unwrap_or(Reduction::None),
                    )
                })
                .collect();
            let s = split(dst.len());
            for k in (0..s).step_by(LANES) {
                let mut res = splat(0);
                for (block, (cy, cw)) in y.chunks(per).zip(wv.chunks(per)).enumerate() {
                    let mut acc = acc_zero();
                    for (x, &(w, r)) in cy.iter().zip(cw) {
                        // SAFETY: every operand has dst.len() ≥ k + LANES elements.
                        let v = unsafe { ld(x.as_ptr().add(k)) };
                        let v = match r {
                            Reduction::None => v,
                            Reduction::Once => csub(v, c.q),
                            Reduction::Full => reduce_word(v, &c),
                        };
                        acc = acc_mac(acc, v, w);
                    }
                    let x = acc_reduce(acc, &c);
                    res = if block == 0 { x } else { add_mod(res, x, &c) };
                }
                // SAFETY: k + LANES ≤ s ≤ dst.len().
                unsafe { st(dst.as_mut_ptr().add(k), res) };
            }
            if s == dst.len() {
                return;
            }
            let tail = &mut dst[s..];
            let y: Vec<&[u64]> = y.iter().map(|x| &x[s..]).collect();
            super::scalar::dot_scalar_reduce_all(m, tail, &y, cs);
        }
    };
}

/// Barrett constants of the 64-bit-lane kernels (AVX-512 and AVX2), as
/// `[q, m, shl, shr]`: `m = ⌊2^(63+b)/q⌋`, and `z = ⌊p / 2^(b−1)⌋` is
/// `(hi << shl) | (lo >> shr)` for `p = hi·2^64 + lo` (module docs).
#[cfg(target_arch = "x86_64")]
fn barrett64_consts(modulus: &Modulus) -> [u64; 4] {
    let (q, b) = (modulus.value(), modulus.bits());
    debug_assert!((2..=LANES64_MAX_BITS).contains(&b));
    let m = ((1u128 << (63 + b)) / u128::from(q)) as u64;
    [q, m, u64::from(65 - b), u64::from(b - 1)]
}

/// Products per lazy block of the 64-bit-lane dot products: sums below
/// `2^(b+63)` (module docs).
#[cfg(target_arch = "x86_64")]
fn terms64(bits: u32) -> usize {
    1 << (63 - bits).min(16)
}

/// Lane operations shared by the two AVX-512 modules (eight 64-bit lanes).
#[cfg(target_arch = "x86_64")]
mod avx512_lanes {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_cmpgt_epu64_mask, _mm512_loadu_si512,
        _mm512_mask_blend_epi64, _mm512_min_epu64, _mm512_set1_epi64, _mm512_storeu_si512,
        _mm512_sub_epi64,
    };

    pub type V = __m512i;
    pub const LANES: usize = 8;

    /// # Safety
    /// `p` is valid for reading 8 `u64`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn ld(p: *const u64) -> V {
        // SAFETY: guaranteed by the caller; unaligned load.
        unsafe { _mm512_loadu_si512(p.cast()) }
    }

    /// # Safety
    /// `p` is valid for writing 8 `u64`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn st(p: *mut u64, v: V) {
        // SAFETY: guaranteed by the caller; unaligned store.
        unsafe { _mm512_storeu_si512(p.cast(), v) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn splat(x: u64) -> V {
        _mm512_set1_epi64(x as i64)
    }

    /// `x − m` if `x ≥ m`, else `x`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn csub(x: V, m: V) -> V {
        _mm512_min_epu64(x, _mm512_sub_epi64(x, m))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn add_q(a: V, b: V, q: V) -> V {
        csub(_mm512_add_epi64(a, b), q)
    }

    /// `a − b mod q`: when `a < b` the difference wraps above `2^63` and
    /// adding `q` brings it back below, so the smaller of the two is right.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn sub_q(a: V, b: V, q: V) -> V {
        let d = _mm512_sub_epi64(a, b);
        _mm512_min_epu64(d, _mm512_add_epi64(d, q))
    }

    /// `if_gt` where `x > y` (unsigned), else `other`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn select_gt(x: V, y: V, if_gt: V, other: V) -> V {
        _mm512_mask_blend_epi64(_mm512_cmpgt_epu64_mask(x, y), other, if_gt)
    }

    /// `−a mod q`: `q − a`, which is `q` (reduced to 0) when `a = 0`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn neg_q(a: V, q: V) -> V {
        csub(_mm512_sub_epi64(q, a), q)
    }
}

/// 52-bit lanes with AVX-512 IFMA, primes below `2^50`.
#[cfg(target_arch = "x86_64")]
mod ifma {
    use std::arch::x86_64::{
        _mm512_add_epi64, _mm512_and_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
        _mm512_or_si512, _mm512_set1_epi64, _mm512_setzero_si512, _mm512_sllv_epi64,
        _mm512_srli_epi64, _mm512_srlv_epi64,
    };

    use super::avx512_lanes::{add_q, csub, ld, neg_q, select_gt, splat, st, sub_q, LANES, V};
    use super::IFMA_MAX_BITS as MAX_BITS;
    use crate::math::modulus::Modulus;
    use crate::math::packed::Packed;
    use std::arch::x86_64::{_mm512_loadu_si512, _mm512_maskz_permutexvar_epi8};

    /// Broadcast constants of one prime.
    pub struct Consts {
        q: V,
        /// `2^52 − q`: `lo52(est·(2^52 − q)) ≡ −est·q (mod 2^52)`.
        neg_q: V,
        m: V,
        mask: V,
        shl: V,
        shr: V,
    }

    #[target_feature(enable = "avx512f")]
    fn consts(modulus: &Modulus) -> Consts {
        let q = modulus.value();
        let b = modulus.bits();
        debug_assert!((2..=MAX_BITS).contains(&b));
        let m = ((1u128 << (51 + b)) / u128::from(q)) as u64;
        Consts {
            q: splat(q),
            neg_q: splat((1 << 52) - q),
            m: splat(m),
            mask: _mm512_set1_epi64((1i64 << 52) - 1),
            shl: splat(u64::from(53 - b)),
            shr: splat(u64::from(b - 1)),
        }
    }

    /// Products per lazy block: `p < 2^(b+51)` (module docs), and the low
    /// accumulator stays below `2^64`.
    fn terms(bits: u32) -> usize {
        1 << (51 - bits).min(11)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add_mod(a: V, b: V, c: &Consts) -> V {
        add_q(a, b, c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sub_mod(a: V, b: V, c: &Consts) -> V {
        sub_q(a, b, c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn neg_mod(a: V, c: &Consts) -> V {
        neg_q(a, c.q)
    }

    /// `p mod q` for `p = hi·2^52 + lo < 2^(b+51)`, `lo < 2^52` (module docs).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn barrett(lo: V, hi: V, c: &Consts) -> V {
        let zero = _mm512_setzero_si512();
        let z = _mm512_or_si512(_mm512_sllv_epi64(hi, c.shl), _mm512_srlv_epi64(lo, c.shr));
        let est = _mm512_madd52hi_epu64(zero, z, c.m);
        // lo − est·q mod 2^52, the product added as est·(2^52 − q).
        let r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, est, c.neg_q), c.mask);
        csub(csub(r, c.q), c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mul_mod(a: V, b: V, c: &Consts) -> V {
        let zero = _mm512_setzero_si512();
        let lo = _mm512_madd52lo_epu64(zero, a, b);
        let hi = _mm512_madd52hi_epu64(zero, a, b);
        barrett(lo, hi, c)
    }

    /// `x mod q` for a word `x < 2^61`: `p = x` split at bit 52, below
    /// `2^(b+51)` for every prime of 10 bits or more.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn reduce_word(x: V, c: &Consts) -> V {
        barrett(_mm512_and_si512(x, c.mask), _mm512_srli_epi64::<52>(x), c)
    }

    /// Shoup constant on 52 bits: `⌊w·2^52/q⌋`.
    fn shoup_const(m: &Modulus, w: u64) -> u64 {
        ((u128::from(w) << 52) / u128::from(m.value())) as u64
    }

    /// `a·w mod q` with `ws = ⌊w·2^52/q⌋`: `a·w − ⌊a·ws/2^52⌋·q ∈ [0, 2q)`,
    /// exact in the low 52 bits, then one conditional subtraction.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mul_shoup(a: V, w: V, ws: V, c: &Consts) -> V {
        let zero = _mm512_setzero_si512();
        let est = _mm512_madd52hi_epu64(zero, a, ws);
        let prod = _mm512_madd52lo_epu64(zero, a, w);
        let r = _mm512_and_si512(_mm512_madd52lo_epu64(prod, est, c.neg_q), c.mask);
        csub(r, c.q)
    }

    /// A lazy sum of products: the low and high 52-bit words, added up.
    type Acc = (V, V);

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn acc_zero() -> Acc {
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn acc_mac(acc: Acc, a: V, b: V) -> Acc {
        (
            _mm512_madd52lo_epu64(acc.0, a, b),
            _mm512_madd52hi_epu64(acc.1, a, b),
        )
    }

    /// Moves the low word's carries into the high word, then reduces.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn acc_reduce(acc: Acc, c: &Consts) -> V {
        let hi = _mm512_add_epi64(acc.1, _mm512_srli_epi64::<52>(acc.0));
        barrett(_mm512_and_si512(acc.0, c.mask), hi, c)
    }

    // Two vectors per dot-product step: the products are one multiply-add
    // per accumulator, and the sums wait on memory more than on latency.
    simd_kernels!("avx512f,avx512ifma", 2);

    /// The `vpermb` indices and zeroing mask that widen eight residues of
    /// `width` bytes, loaded as 64 bytes from the first, into eight lanes:
    /// byte `k < width` of lane `l` is byte `width·l + k`, the others zero.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn widen_consts(width: usize) -> (V, u64) {
        let mut idx = [0u8; 64];
        let mut mask = 0u64;
        for (j, x) in idx.iter_mut().enumerate() {
            let (lane, k) = (j / 8, j % 8);
            if k < width {
                *x = (width * lane + k) as u8;
                mask |= 1 << j;
            }
        }
        // SAFETY: 64 bytes read as one vector.
        (unsafe { ld(idx.as_ptr().cast()) }, mask)
    }

    /// [`dot_write`] with the second operands packed ([`Packed`]), every
    /// one at the same width: their eight residues from index `k` are one
    /// 64-byte load and one `vpermb` with zeroing. The sums, reductions
    /// and results are [`dot_write`]'s.
    ///
    /// # Safety
    /// As [`dot_write`], and the CPU supports AVX-512 VBMI; every `a[j]`
    /// and `b[j]` has `dst.len()` residues, the `b[j]` of width below 8.
    #[target_feature(enable = "avx512f,avx512ifma,avx512vbmi")]
    pub unsafe fn dot_write_packed(
        m: &Modulus,
        dst: &mut [std::mem::MaybeUninit<u64>],
        a: &[&[u64]],
        b: &[Packed<'_>],
    ) {
        let c = consts(m);
        let per = terms(m.bits());
        let len = dst.len();
        let s = split(len);
        let width = b.first().map_or(1, Packed::width);
        debug_assert!(b.iter().all(|p| p.width() == width && p.len() == len));
        let (idx, mask) = widen_consts(width);
        // SAFETY: the 64 bytes from any residue of a `Packed` are readable.
        let widen = |y: &Packed<'_>, o: usize| unsafe {
            let bytes = _mm512_loadu_si512(y.as_ptr().add(o * width).cast());
            _mm512_maskz_permutexvar_epi8(mask, idx, bytes)
        };
        let out = dst.as_mut_ptr().cast::<u64>();
        let step = 2 * LANES;
        let whole = s - s % step;
        for k in (0..whole).step_by(step) {
            // SAFETY: every operand has len ≥ k + step residues, and a
            // packed one 64 readable bytes after its last.
            let r = unsafe { dot_block_with::<2, _>(k, a, b, per, &c, widen) };
            for (u, &v) in r.iter().enumerate() {
                // SAFETY: k + (u + 1)·LANES ≤ whole ≤ len.
                unsafe { st(out.add(k + u * LANES), v) };
            }
        }
        for k in (whole..s).step_by(LANES) {
            // SAFETY: as above, with one vector.
            let r = unsafe { dot_block_with::<1, _>(k, a, b, per, &c, widen) };
            // SAFETY: k + LANES ≤ s ≤ len.
            unsafe { st(out.add(k), r[0]) };
        }
        for (k, d) in dst.iter_mut().enumerate().skip(s) {
            d.write(super::scalar::dot_one(
                m,
                a.iter().zip(b).map(|(x, y)| (x[k], y.get(k))),
            ));
        }
    }
}

/// Eight 64-bit lanes with AVX-512F/DQ/BW, primes up to 61 bits.
#[cfg(target_arch = "x86_64")]
mod lanes512 {
    use std::arch::x86_64::{
        _mm512_add_epi64, _mm512_cmplt_epu64_mask, _mm512_mask_add_epi64, _mm512_mul_epu32,
        _mm512_mullo_epi64, _mm512_or_si512, _mm512_set1_epi64, _mm512_setzero_si512,
        _mm512_sllv_epi64, _mm512_srli_epi64, _mm512_srlv_epi64, _mm512_sub_epi64,
    };

    use super::avx512_lanes::{add_q, csub, ld, neg_q, select_gt, splat, st, sub_q, LANES, V};
    use super::terms64 as terms;
    // For the kernels' scalar tails, here and in `wide`.
    use super::scalar;
    use crate::math::modulus::Modulus;
    use crate::math::ntt::avx512::mulhi64;

    pub struct Consts {
        q: V,
        /// `2q` and `4q`, for the final conditional subtractions.
        q2: V,
        q4: V,
        m: V,
        /// `m >> 32`, where `vpmuludq` reads it.
        m_hi: V,
        /// `m << 20`: `m`'s low half times `2^20` in the 52 bits `madd52hi`
        /// reads ([`wide`]'s Barrett estimate).
        m_lo20: V,
        shl: V,
        shr: V,
        /// For primes of 53 bits or more (`wide` dot products): the shifts
        /// that bring weights `2^52` and `2^104` to `2^(b−1)`, `b − 53`
        /// right and `105 − b` left.
        direct: Option<(V, V)>,
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn consts(modulus: &Modulus) -> Consts {
        let [q, m, shl, shr] = super::barrett64_consts(modulus);
        let b = u64::from(modulus.bits());
        Consts {
            q: splat(q),
            q2: splat(2 * q),
            q4: splat(4 * q),
            m: splat(m),
            m_hi: splat(m >> 32),
            m_lo20: splat(m << 20),
            shl: splat(shl),
            shr: splat(shr),
            direct: (b >= 53).then(|| (splat(b - 53), splat(105 - b))),
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add_mod(a: V, b: V, c: &Consts) -> V {
        add_q(a, b, c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sub_mod(a: V, b: V, c: &Consts) -> V {
        sub_q(a, b, c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn neg_mod(a: V, c: &Consts) -> V {
        neg_q(a, c.q)
    }

    /// `p mod q` for `p = hi·2^64 + lo < 2^(b+63)` (module docs). The
    /// estimate `⌊z·m/2^64⌋` is taken from three of the four 32×32-bit
    /// partial products (`zh·mh + ⌊zl·mh/2^32⌋ + ⌊zh·ml/2^32⌋`), at most 2
    /// below the exact high word, so `q̂ ≥ ⌊p/q⌋ − 4`, `r < 5q < 2^64`, and
    /// three conditional subtractions (`4q`, `2q`, `q`) finish.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    pub(super) fn barrett(lo: V, hi: V, c: &Consts) -> V {
        let z = _mm512_or_si512(_mm512_sllv_epi64(hi, c.shl), _mm512_srlv_epi64(lo, c.shr));
        barrett_z(lo, z, c)
    }

    /// The Barrett step from `lo = p mod 2^64` and `z ≤ ⌊p/2^(b−1)⌋`, at
    /// most 2 below it: `q̂` is then at most 2 further short (`2m/2^64 =
    /// 2^b/q < 2`), `r < 7q < 2^64`, and the same three subtractions finish.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    pub(super) fn barrett_z(lo: V, z: V, c: &Consts) -> V {
        let z_hi = _mm512_srli_epi64::<32>(z);
        let est = _mm512_add_epi64(
            _mm512_mul_epu32(z_hi, c.m_hi),
            _mm512_add_epi64(
                _mm512_srli_epi64::<32>(_mm512_mul_epu32(z, c.m_hi)),
                _mm512_srli_epi64::<32>(_mm512_mul_epu32(z_hi, c.m)),
            ),
        );
        let r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(est, c.q));
        csub(csub(csub(r, c.q4), c.q2), c.q)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    fn mul_mod(a: V, b: V, c: &Consts) -> V {
        barrett(_mm512_mullo_epi64(a, b), mulhi64(a, b), c)
    }

    /// `x mod q` for any word (`p = x < 2^(b+63)`).
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    fn reduce_word(x: V, c: &Consts) -> V {
        barrett(x, _mm512_setzero_si512(), c)
    }

    fn shoup_const(m: &Modulus, w: u64) -> u64 {
        m.shoup(w)
    }

    /// `a·w mod q` (Shoup, exact quotient: `[0, 2q)`, then one subtraction).
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    fn mul_shoup(a: V, w: V, ws: V, c: &Consts) -> V {
        let est = mulhi64(a, ws);
        let r = _mm512_sub_epi64(_mm512_mullo_epi64(a, w), _mm512_mullo_epi64(est, c.q));
        csub(r, c.q)
    }

    /// A lazy 128-bit sum of products: low and high words.
    type Acc = (V, V);

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn acc_zero() -> Acc {
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    fn acc_mac(acc: Acc, a: V, b: V) -> Acc {
        let lo_p = _mm512_mullo_epi64(a, b);
        let lo = _mm512_add_epi64(acc.0, lo_p);
        let hi = _mm512_add_epi64(acc.1, mulhi64(a, b));
        // The low word carried where the sum came out below an addend.
        let carry = _mm512_cmplt_epu64_mask(lo, lo_p);
        (
            lo,
            _mm512_mask_add_epi64(hi, carry, hi, _mm512_set1_epi64(1)),
        )
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    fn acc_reduce(acc: Acc, c: &Consts) -> V {
        barrett(acc.0, acc.1, c)
    }

    // Four vectors per dot-product step: each product is a chain of
    // dependent operations (the carry of the 128-bit sum).
    simd_kernels!("avx512f,avx512dq,avx512bw", 4);

    /// The same kernels where the CPU also has IFMA, with the lazy sums of
    /// the dot products taken in 52-bit limbs: `a = a0 + a1·2^52` (and `b`),
    /// `a1, b1 < 2^9`, so `a·b = a0·b0 + (a0·b1 + a1·b0)·2^52 + a1·b1·2^104`.
    /// `madd52lo/hi` add the seven nonzero 52-bit halves of those products
    /// into three accumulators of weights `1`, `2^52`, `2^104`, with no
    /// carries to track: nine vector operations per product where the
    /// 64-bit product with its carry takes about twenty. The accumulators
    /// are normalized into a 128-bit `(lo, hi)` and reduced by the same
    /// Barrett step as the plain 64-bit lanes, so the results are identical.
    pub mod wide {
        use std::arch::x86_64::{
            _mm512_add_epi64, _mm512_and_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
            _mm512_or_si512, _mm512_set1_epi64, _mm512_setzero_si512, _mm512_slli_epi64,
            _mm512_sllv_epi64, _mm512_srli_epi64, _mm512_srlv_epi64,
        };
        use std::arch::x86_64::{_mm512_mul_epu32, _mm512_mullo_epi64, _mm512_sub_epi64};

        use super::super::avx512_lanes::{csub, ld, select_gt, splat, st, LANES, V};
        use super::{
            add_mod, consts, mul_mod, mul_shoup, neg_mod, reduce_word, shoup_const, sub_mod, Consts,
        };
        use crate::math::modulus::Modulus;

        // Products per lazy block: the Barrett bound `2^(63−b)` of the
        // 64-bit lanes (`b ≥ 51`, at most `2^12`). The accumulators stay
        // below `2^64`: each takes at most three values below `2^52` per
        // product, and only one while `a1 = b1 = 0` (`b ≤ 52`), so the
        // middle sum is below `2^12·2^52` for `b ≤ 52` and `3·2^10·2^52`
        // above.
        use super::terms;

        /// Sums of 52-bit words of weight `1`, `2^52` and `2^104`.
        pub(super) type Acc = (V, V, V);

        #[inline]
        #[target_feature(enable = "avx512f")]
        pub(super) fn acc_zero() -> Acc {
            let z = _mm512_setzero_si512();
            (z, z, z)
        }

        #[inline]
        #[target_feature(enable = "avx512f,avx512ifma")]
        fn acc_mac((l, m, h): Acc, a: V, b: V) -> Acc {
            // madd52 reads the low 52 bits of each operand: a and b are a0, b0.
            let a1 = _mm512_srli_epi64::<52>(a);
            let b1 = _mm512_srli_epi64::<52>(b);
            let l = _mm512_madd52lo_epu64(l, a, b);
            let m = _mm512_madd52hi_epu64(m, a, b);
            let m = _mm512_madd52lo_epu64(m, a, b1);
            let m = _mm512_madd52lo_epu64(m, a1, b);
            let h = _mm512_madd52hi_epu64(h, a, b1);
            let h = _mm512_madd52hi_epu64(h, a1, b);
            // a1·b1 < 2^18: no high half.
            let h = _mm512_madd52lo_epu64(h, a1, b1);
            (l, m, h)
        }

        /// `l + m·2^52 + h·2^104 mod q` by the 64-bit lanes' Barrett step.
        /// From 53 bits on, straight from the unnormalized words: the low
        /// word is `l + m·2^52 mod 2^64`, and `⌊p/2^(b−1)⌋` is taken as
        /// `⌊l/2^(b−1)⌋ + ⌊m/2^(b−53)⌋ + h·2^(105−b)`, at most 2 short
        /// ([`barrett_z`]). Below, the words are carried `l → m → h` into
        /// `(lo, hi)` first (`m·2^52` then exceeds `2^(b−1)·2^64`'s reach
        /// of a left shift).
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
        pub(super) fn acc_reduce((l, m, h): Acc, c: &Consts) -> V {
            if let Some((shr_m, shl_h)) = c.direct {
                let lo = _mm512_add_epi64(l, _mm512_slli_epi64::<52>(m));
                let z = _mm512_add_epi64(
                    _mm512_add_epi64(_mm512_srlv_epi64(l, c.shr), _mm512_srlv_epi64(m, shr_m)),
                    _mm512_sllv_epi64(h, shl_h),
                );
                return barrett_z(lo, z, c);
            }
            let mask = _mm512_set1_epi64((1 << 52) - 1);
            let m = _mm512_add_epi64(m, _mm512_srli_epi64::<52>(l));
            let h = _mm512_add_epi64(h, _mm512_srli_epi64::<52>(m));
            let (l, m) = (_mm512_and_si512(l, mask), _mm512_and_si512(m, mask));
            let lo = _mm512_or_si512(l, _mm512_slli_epi64::<52>(m));
            let hi = _mm512_or_si512(_mm512_srli_epi64::<12>(m), _mm512_slli_epi64::<40>(h));
            barrett_z(
                lo,
                _mm512_or_si512(_mm512_sllv_epi64(hi, c.shl), _mm512_srlv_epi64(lo, c.shr)),
                c,
            )
        }

        /// The 64-bit lanes' Barrett step ([`super::barrett_z`]) with its
        /// estimate from IFMA: of `⌊z·m/2^64⌋`'s partial products it keeps
        /// the same three, `zh·mh + ⌊zh·ml/2^32⌋ + ⌊zl·mh/2^32⌋`, the last two
        /// as `madd52hi` of `zh` by `ml·2^20` and of `zl·2^20` by `mh` (the
        /// top 52 bits of a product scaled by `2^20` are the product over
        /// `2^32`), accumulated onto the first: five operations where the
        /// `vpmuludq` form takes eight, and the same estimate, so the same
        /// results.
        #[inline]
        #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512ifma")]
        pub(super) fn barrett_z(lo: V, z: V, c: &Consts) -> V {
            let z_hi = _mm512_srli_epi64::<32>(z);
            let est = _mm512_madd52hi_epu64(
                _mm512_madd52hi_epu64(_mm512_mul_epu32(z_hi, c.m_hi), z_hi, c.m_lo20),
                _mm512_slli_epi64::<20>(z),
                c.m_hi,
            );
            let r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(est, c.q));
            csub(csub(csub(r, c.q4), c.q2), c.q)
        }

        // Four vectors per dot-product step: each product is three
        // dependent multiply-adds into the middle accumulator (and three
        // into the high one).
        simd_kernels!("avx512f,avx512dq,avx512bw,avx512ifma", 4);
    }

    /// [`wide`] for primes of 51 and 52 bits, whose residues fit IFMA's
    /// 52-bit operands: a product is `madd52lo` into the low accumulator
    /// and `madd52hi` into the middle one, two operations where [`wide`]
    /// takes nine, and the high accumulator stays zero. The sums are
    /// reduced as in [`wide`] (below 53 bits, by carrying the words into
    /// two), so the results are the same.
    pub mod narrow {
        use std::arch::x86_64::{_mm512_madd52hi_epu64, _mm512_madd52lo_epu64};

        use super::super::avx512_lanes::{csub, ld, select_gt, splat, st, LANES, V};
        use super::wide::{acc_reduce, acc_zero, Acc};
        use super::{
            add_mod, consts, mul_mod, mul_shoup, neg_mod, reduce_word, shoup_const, sub_mod, Consts,
        };
        use crate::math::modulus::Modulus;

        // As in `wide`: every accumulator takes one word below `2^52` per
        // product, so the `2^(63−b)` products of a block stay below `2^64`.
        use super::terms;

        #[inline]
        #[target_feature(enable = "avx512f,avx512ifma")]
        fn acc_mac((l, m, h): Acc, a: V, b: V) -> Acc {
            (
                _mm512_madd52lo_epu64(l, a, b),
                _mm512_madd52hi_epu64(m, a, b),
                h,
            )
        }

        // Two vectors per dot-product step, as on the 52-bit lanes.
        simd_kernels!("avx512f,avx512dq,avx512bw,avx512ifma", 2);
    }
}

/// Four 64-bit lanes with AVX2, primes up to 61 bits.
#[cfg(target_arch = "x86_64")]
mod lanes256 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_blendv_pd, _mm256_castpd_si256, _mm256_castsi256_pd,
        _mm256_cmpgt_epi64, _mm256_loadu_si256, _mm256_or_si256, _mm256_set1_epi64x,
        _mm256_setzero_si256, _mm256_sllv_epi64, _mm256_srlv_epi64, _mm256_storeu_si256,
        _mm256_sub_epi64, _mm256_xor_si256,
    };

    use super::terms64 as terms;
    use crate::math::modulus::Modulus;
    use crate::math::ntt::avx2::{csub, mulhi, mullo};

    type V = __m256i;
    const LANES: usize = 4;

    /// # Safety
    /// `p` is valid for reading 4 `u64`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn ld(p: *const u64) -> V {
        // SAFETY: guaranteed by the caller; unaligned load.
        unsafe { _mm256_loadu_si256(p.cast()) }
    }

    /// # Safety
    /// `p` is valid for writing 4 `u64`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn st(p: *mut u64, v: V) {
        // SAFETY: guaranteed by the caller; unaligned store.
        unsafe { _mm256_storeu_si256(p.cast(), v) }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(x: u64) -> V {
        _mm256_set1_epi64x(x as i64)
    }

    pub struct Consts {
        q: V,
        m: V,
        shl: V,
        shr: V,
    }

    #[target_feature(enable = "avx2")]
    fn consts(modulus: &Modulus) -> Consts {
        let [q, m, shl, shr] = super::barrett64_consts(modulus);
        Consts {
            q: splat(q),
            m: splat(m),
            shl: splat(shl),
            shr: splat(shr),
        }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn add_mod(a: V, b: V, c: &Consts) -> V {
        csub(_mm256_add_epi64(a, b), c.q)
    }

    /// `a − b`, plus `q` where the difference is negative (top bit set).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn sub_mod(a: V, b: V, c: &Consts) -> V {
        let d = _mm256_sub_epi64(a, b);
        let up = _mm256_add_epi64(d, c.q);
        _mm256_castpd_si256(_mm256_blendv_pd(
            _mm256_castsi256_pd(d),
            _mm256_castsi256_pd(up),
            _mm256_castsi256_pd(d),
        ))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn neg_mod(a: V, c: &Consts) -> V {
        csub(_mm256_sub_epi64(c.q, a), c.q)
    }

    /// `p mod q` for `p = hi·2^64 + lo < 2^(b+63)` (module docs).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn barrett(lo: V, hi: V, c: &Consts) -> V {
        let z = _mm256_or_si256(_mm256_sllv_epi64(hi, c.shl), _mm256_srlv_epi64(lo, c.shr));
        let est = mulhi(z, c.m);
        let r = _mm256_sub_epi64(lo, mullo(est, c.q));
        csub(csub(r, c.q), c.q)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul_mod(a: V, b: V, c: &Consts) -> V {
        barrett(mullo(a, b), mulhi(a, b), c)
    }

    /// `x mod q` for any word (`p = x < 2^(b+63)`).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn reduce_word(x: V, c: &Consts) -> V {
        barrett(x, _mm256_setzero_si256(), c)
    }

    /// `if_gt` where `x > y` (both below `2^63`: a signed comparison), else `other`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn select_gt(x: V, y: V, if_gt: V, other: V) -> V {
        let gt = _mm256_cmpgt_epi64(x, y);
        _mm256_castpd_si256(_mm256_blendv_pd(
            _mm256_castsi256_pd(other),
            _mm256_castsi256_pd(if_gt),
            _mm256_castsi256_pd(gt),
        ))
    }

    fn shoup_const(m: &Modulus, w: u64) -> u64 {
        m.shoup(w)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul_shoup(a: V, w: V, ws: V, c: &Consts) -> V {
        let est = mulhi(a, ws);
        csub(_mm256_sub_epi64(mullo(a, w), mullo(est, c.q)), c.q)
    }

    type Acc = (V, V);

    #[inline]
    #[target_feature(enable = "avx2")]
    fn acc_zero() -> Acc {
        (_mm256_setzero_si256(), _mm256_setzero_si256())
    }

    /// 128-bit accumulation; the carry test `lo < lo_p` is unsigned, done as
    /// a signed comparison with both top bits flipped.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn acc_mac(acc: Acc, a: V, b: V) -> Acc {
        let lo_p = mullo(a, b);
        let lo = _mm256_add_epi64(acc.0, lo_p);
        let hi = _mm256_add_epi64(acc.1, mulhi(a, b));
        let flip = splat(1 << 63);
        let carry = _mm256_cmpgt_epi64(_mm256_xor_si256(lo_p, flip), _mm256_xor_si256(lo, flip));
        // `carry` is −1 where the low word wrapped.
        (lo, _mm256_sub_epi64(hi, carry))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn acc_reduce(acc: Acc, c: &Consts) -> V {
        barrett(acc.0, acc.1, c)
    }

    // Four vectors per dot-product step, as for the 64-bit lanes of AVX-512.
    simd_kernels!("avx2", 4);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inner products with packed second operands are the word ones, on
    /// every backend the CPU runs (vectorized on IFMA's 52-bit lanes, one
    /// residue at a time elsewhere), across widths of 2 to 7 bytes, lengths
    /// with and without a vector tail, residues at the top of the range
    /// and sums long enough to cross the lazy blocks. Where the CPU has
    /// IFMA and VBMI, the vectorized kernel must have run.
    #[test]
    fn packed_dot_products_are_the_word_ones() {
        use crate::math::packed::PackedLimbs;
        use rand::Rng;
        let mut rng = crate::testing::test_rng();
        let mut vectorized = 0;
        for backend in [
            Backend::Scalar,
            Backend::Avx2,
            Backend::Avx512,
            Backend::Ifma,
        ] {
            for bits in [12u32, 20, 30, 36, 40, 45, 49, 50, 51, 60] {
                let Some(&q) = crate::math::primes::ntt_primes_below(bits, 64, 1, &[]).first()
                else {
                    continue;
                };
                let m = Modulus::new(q);
                let Some(k) = Kernels::with(backend, &m) else {
                    continue;
                };
                vectorized += usize::from(k.reads_packed());
                for len in [1usize, 7, 8, 16, 1003, 8192] {
                    for terms in [1usize, 2, 3, 5, 40] {
                        let mut draw = || -> Vec<u64> {
                            let mut v: Vec<u64> = (0..len).map(|_| rng.gen_range(0..q)).collect();
                            v[0] = q - 1;
                            v[len - 1] = q - 1;
                            v
                        };
                        let a: Vec<Vec<u64>> = (0..terms).map(|_| draw()).collect();
                        let b: Vec<Vec<u64>> = (0..terms).map(|_| draw()).collect();
                        let ar: Vec<&[u64]> = a.iter().map(Vec::as_slice).collect();
                        let br: Vec<&[u64]> = b.iter().map(Vec::as_slice).collect();
                        let packed = PackedLimbs::new(PackedLimbs::width(bits), &br);
                        let bp: Vec<_> = (0..terms).map(|j| packed.limb(j)).collect();
                        let mut want = vec![0; len];
                        k.dot_to(&mut want, &ar, &br);
                        let mut got = vec![MaybeUninit::new(0); len];
                        k.dot_write_packed(&mut got, &ar, &bp);
                        // SAFETY: every word was initialized above.
                        let got: Vec<u64> =
                            got.iter().map(|x| unsafe { x.assume_init() }).collect();
                        assert!(
                            got == want,
                            "{backend:?}, {bits}-bit q = {q}, length {len}, {terms} terms"
                        );
                    }
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        let must =
            Backend::Ifma.cpu_supports() && std::arch::is_x86_feature_detected!("avx512vbmi");
        #[cfg(not(target_arch = "x86_64"))]
        let must = false;
        assert!(!must || vectorized > 0, "the packed IFMA kernel never ran");
    }

    /// Limb pairs written through `LimbSlot::dot_init` hold `dot_to`'s results;
    /// a proof for the wrong slot is refused.
    #[test]
    fn fill_limb_pairs_writes_every_limb_and_checks_the_proofs() {
        let m = Modulus::new(crate::math::primes::ntt_primes_below(40, 64, 1, &[])[0]);
        let k = Kernels::best(&m);
        let n = 64;
        let q = m.value();
        let x: Vec<u64> = (0..n as u64).map(|i| (i * 7919 + 3) % q).collect();
        let y: Vec<u64> = (0..n as u64).map(|i| (q - 1 - i * 104_729) % q).collect();
        let (a, b) = fill_limb_pairs(n, 3, 1, |i, s0, s1| {
            let scale = vec![i as u64 + 1; n];
            (
                s0.dot_init(&k, &[&x, &y], &[&scale, &y]).1,
                s1.dot_init(&k, &[&y], &[&scale]).1,
            )
        });
        for i in 0..3 {
            let scale = vec![i as u64 + 1; n];
            let mut want = vec![0; n];
            k.dot_to(&mut want, &[&x, &y], &[&scale, &y]);
            assert_eq!(
                &a[i * n..(i + 1) * n],
                want.as_slice(),
                "first array, limb {i}"
            );
            k.dot_to(&mut want, &[&y], &[&scale]);
            assert_eq!(
                &b[i * n..(i + 1) * n],
                want.as_slice(),
                "second array, limb {i}"
            );
        }
        let swapped = std::panic::catch_unwind(|| {
            fill_limb_pairs(n, 2, 0, |_, s0, s1| {
                let (f0, f1) = (
                    s0.dot_init(&k, &[&x], &[&y]).1,
                    s1.dot_init(&k, &[&x], &[&y]).1,
                );
                (f1, f0)
            })
        });
        assert!(swapped.is_err(), "swapped proofs were accepted");
    }

    /// The 64-bit lanes' Barrett step on sums `p < 2^(b+63)` built to make
    /// its quotient estimate fall short: `z = ⌊p/2^(b−1)⌋` near `2^64` with
    /// its low half all ones and `p mod 2^(b−1)` at its maximum, on primes
    /// whose constant `m` has large low bits. The first case leaves
    /// `r ∈ [3q, 4q)` before the conditional subtractions (found by a
    /// search over such inputs); random sums of every size follow. Each
    /// result must be `p mod q`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn barrett_64_bit_lanes_reduces_sums_where_the_estimate_falls_short() {
        use rand::{Rng, SeedableRng};
        use std::arch::x86_64::{_mm512_set1_epi64, _mm512_storeu_si512};

        if !Backend::Avx512.cpu_supports() {
            println!("AVX-512 (F, DQ, BW) not supported here: not run");
            return;
        }
        let check = |q: u64, p: u128| {
            let m = Modulus::new(q);
            let mut out = [0u64; 8];
            // SAFETY: AVX-512F, DQ and BW detected above; `out` holds 8 words.
            unsafe {
                let c = lanes512::consts(&m);
                let r = lanes512::barrett(
                    _mm512_set1_epi64(p as u64 as i64),
                    _mm512_set1_epi64((p >> 64) as u64 as i64),
                    &c,
                );
                _mm512_storeu_si512(out.as_mut_ptr().cast(), r);
            }
            let want = (p % u128::from(q)) as u64;
            assert_eq!(out, [want; 8], "q = {q:#x}, p = {p:#x}");
        };
        check(
            0x1000_003a_f653_3e97,
            0xfff_ffff_bfff_fffd_ffff_ffff_ffff_ffff,
        );
        let seed: u64 = rand::random();
        println!("seed = {seed}");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..20_000 {
            let bits = rng.gen_range(12..=61u32);
            let q = rng.gen_range(1u64 << (bits - 1)..1u64 << bits) | 1;
            let b = 64 - q.leading_zeros();
            let top: u128 = 1 << (b + 63);
            // Crafted: z near 2^64 with low half all ones, maximal remainder.
            let z = (u128::from(rng.gen::<u32>() | 0x8000_0000) << 32) | 0xffff_ffff;
            let crafted = (z << (b - 1)) | ((1u128 << (b - 1)) - 1);
            let random = rng.gen::<u128>() % top;
            for p in [crafted, random, top - 1] {
                if p < top {
                    check(q, p);
                }
            }
        }
    }
}
