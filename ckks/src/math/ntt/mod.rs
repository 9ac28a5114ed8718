//! The negacyclic number-theoretic transform over `Z_q[X]/(X^N + 1)`.
//!
//! An [`NttPlan`] owns the twiddle tables of one `(N, q)` and the backend
//! chosen for it. Every transform goes through one `match` on the backend, so
//! vectorized implementations slot in beside the scalar reference without
//! touching callers. See `docs/rns-ntt.md`.

#[cfg(target_arch = "x86_64")]
pub mod avx2;
#[cfg(target_arch = "x86_64")]
pub mod avx512;
pub mod scalar;
pub mod tables;

pub use tables::{bit_reverse, NttTables};

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::math::modulus::Modulus;
use crate::{Error, Result};

/// An implementation of the transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Portable Rust, the reference every other backend is tested against.
    Scalar,
    /// AVX-512 IFMA (52-bit multiply-add) with AVX-512F/DQ/BW, primes up to
    /// 61 bits: 52-bit lanes below `2^50`, above that 64-bit lanes with
    /// some of each product from IFMA (for `q ≡ 1 (mod 2^12)`, every NTT
    /// prime when `N ≥ 2048`; otherwise the [`Backend::Avx512`] kernel).
    Ifma,
    /// AVX-512F/DQ/BW with 64-bit lanes, primes up to 61 bits.
    Avx512,
    /// AVX2 with 64-bit lanes assembled from 32-bit products, primes up to
    /// 61 bits: for x86-64 CPUs without AVX-512.
    Avx2,
}

/// Where [`NttPlan::forward_centered_sub_mul`] writes `(x − y)·w`.
#[derive(Debug)]
pub enum SubMulTarget<'a> {
    /// `out ← out + (x − y)·w`: ModDown added into a polynomial.
    AddInto {
        /// The polynomial being divided, on this limb.
        x: &'a [u64],
        /// Where the quotient is added.
        out: &'a mut [u64],
    },
    /// `x ← (x − y)·w`: ModDown in place.
    InPlace(&'a mut [u64]),
    /// `out ← σ(a + (x − y)·w)` (or `σ((x − y)·w)` without `a`), `σ` an
    /// automorphism in NTT form: ModDown written straight to a rotation's
    /// new limb, every word of `out` written.
    Permuted {
        /// The polynomial being divided, on this limb.
        x: &'a [u64],
        /// Added before the permutation, if given.
        a: Option<&'a [u64]>,
        /// The new limb.
        out: &'a mut [MaybeUninit<u64>],
        /// `σ`.
        perm: &'a crate::math::automorphism::EvalPermutation,
    },
}

impl SubMulTarget<'_> {
    /// The step with `y` already in NTT form, by the element-wise kernels
    /// `k`: where the transform does not fuse it (scalar and AVX2 plans,
    /// several special primes).
    /// `y` is scratch, left holding intermediate values.
    pub(crate) fn finish(self, k: &crate::math::kernels::Kernels<'_>, y: &mut [u64], w: u64) {
        match self {
            Self::AddInto { x, out } => k.sub_mul_scalar_add(out, x, y, w),
            Self::InPlace(x) => k.sub_mul_scalar_assign(x, y, w),
            Self::Permuted { x, a, out, perm } => {
                // (y − x)·w, negated, plus a: the same words, in y.
                k.sub_mul_scalar_assign(y, x, w);
                k.neg_assign(y);
                if let Some(a) = a {
                    k.add_assign(y, a);
                }
                perm.write(y, k, out);
            }
        }
    }

    /// The lengths of `x`, of the output, of the addend and of the
    /// permutation (`x`'s where there is none).
    fn lens(&self) -> [usize; 4] {
        match self {
            Self::AddInto { x, out } => [x.len(), out.len(), out.len(), x.len()],
            Self::InPlace(x) => [x.len(); 4],
            Self::Permuted { x, a, out, perm } => [
                x.len(),
                out.len(),
                a.map_or(x.len(), <[u64]>::len),
                perm.perm().len(),
            ],
        }
    }
}

/// The backend forced by [`force_backend`] or, until that is called, by
/// [`BACKEND_ENV`]: encoded as its position in [`Backend::ALL`] plus one,
/// 0 for none, `UNREAD` before the environment is read.
static FORCED: AtomicU8 = AtomicU8::new(UNREAD);
const UNREAD: u8 = u8::MAX;

/// Forces `backend` (or, with `None`, the best one) on every NTT plan built
/// afterwards and on every element-wise kernel call, where the CPU and the
/// prime support it; overrides [`BACKEND_ENV`]. For tests and benchmarks
/// that compare backends in one process: plans already built keep theirs.
pub fn force_backend(backend: Option<Backend>) {
    FORCED.store(encode_forced(backend), Ordering::Relaxed);
}

/// [`FORCED`]'s code for `backend`.
fn encode_forced(backend: Option<Backend>) -> u8 {
    backend.map_or(0, |b| {
        Backend::ALL
            .iter()
            .position(|&x| x == b)
            .map_or(0, |i| i as u8 + 1)
    })
}

/// The backend forced by [`force_backend`] or [`BACKEND_ENV`], if any.
///
/// A value of [`BACKEND_ENV`] that names no backend forces none: this
/// function cannot fail, so it says so once on standard error, and
/// [`backend_from_env`] gives the error itself to programs that check
/// their environment at start-up.
#[must_use]
pub fn forced_backend() -> Option<Backend> {
    let mut code = FORCED.load(Ordering::Relaxed);
    if code == UNREAD {
        let from_env = backend_from_env().unwrap_or_else(|e| {
            eprintln!("warning: {e} (ignored: nothing is forced)");
            None
        });
        // Only if nothing was forced meanwhile.
        let _ = FORCED.compare_exchange(
            UNREAD,
            encode_forced(from_env),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        code = FORCED.load(Ordering::Relaxed);
    }
    code.checked_sub(1).map(|i| Backend::ALL[usize::from(i)])
}

/// Environment variable that forces a backend (`scalar`, `avx2`, `ifma`, `avx512`) for tests
/// and benchmarks. A backend the CPU or the prime does not support is
/// ignored, and the best available one is used; unset or empty, nothing is
/// forced.
pub const BACKEND_ENV: &str = "CKKS_NTT_BACKEND";

/// Why a value of [`BACKEND_ENV`] was refused, for its error message.
const BACKEND_ENV_REFUSED: &str = "names no NTT backend: expected scalar, avx2, avx512 \
     or ifma, or nothing for the best backend per prime";

/// The backend that [`BACKEND_ENV`] forces: `None` if it is unset or
/// empty, [`Error::InvalidEnvVar`] if it names no backend (or is not
/// UTF-8). Programs call this at start-up to stop on a misspelt name
/// rather than run, and time, another backend than the one asked for.
///
/// # Errors
/// [`Error::InvalidEnvVar`] with the value.
pub fn backend_from_env() -> Result<Option<Backend>> {
    match std::env::var_os(BACKEND_ENV) {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Some(s) => Backend::from_env_value(s),
            None => Err(invalid_backend_env(v.to_string_lossy().into_owned())),
        },
    }
}

fn invalid_backend_env(value: String) -> Error {
    Error::InvalidEnvVar {
        var: BACKEND_ENV,
        value,
        reason: BACKEND_ENV_REFUSED,
    }
}

impl Backend {
    /// Every backend, in order of preference.
    pub const ALL: [Backend; 4] = [
        Backend::Ifma,
        Backend::Avx512,
        Backend::Avx2,
        Backend::Scalar,
    ];

    /// Whether this CPU can run the backend at all.
    #[must_use]
    pub fn cpu_supports(self) -> bool {
        match self {
            Backend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Ifma => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512ifma")
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512bw")
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Ifma | Backend::Avx512 | Backend::Avx2 => false,
        }
    }

    /// Whether the backend handles a prime of `bits` bits.
    #[must_use]
    pub fn accepts_bits(self, bits: u32) -> bool {
        match self {
            Backend::Scalar => true,
            Backend::Ifma | Backend::Avx512 | Backend::Avx2 => {
                bits <= crate::math::modulus::MAX_MODULUS_BITS
            }
        }
    }

    /// The fastest backend this CPU supports for a prime of `bits` bits.
    #[must_use]
    pub fn best_for(bits: u32) -> Self {
        Self::ALL
            .into_iter()
            .find(|b| b.cpu_supports() && b.accepts_bits(bits))
            .unwrap_or(Backend::Scalar)
    }

    /// Parses a backend name as used by [`BACKEND_ENV`] (any case).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "scalar" => Some(Backend::Scalar),
            "ifma" => Some(Backend::Ifma),
            "avx512" => Some(Backend::Avx512),
            "avx2" => Some(Backend::Avx2),
            _ => None,
        }
    }

    /// Parses a value of [`BACKEND_ENV`]: a backend name (any case,
    /// surrounding spaces ignored), or nothing for no forced backend.
    ///
    /// # Errors
    /// [`Error::InvalidEnvVar`] if `value` names no backend.
    pub fn from_env_value(value: &str) -> Result<Option<Self>> {
        let name = value.trim();
        if name.is_empty() {
            return Ok(None);
        }
        Self::from_name(name)
            .map(Some)
            .ok_or_else(|| invalid_backend_env(value.to_owned()))
    }
}

/// Calls `$f` of the AVX-512 kernel module `$kernel` names.
#[cfg(target_arch = "x86_64")]
macro_rules! on_kernel {
    ($kernel:expr, $f:ident($($arg:expr),*)) => {
        match $kernel {
            avx512::Kernel::Ifma => avx512::ifma::$f($($arg),*),
            avx512::Kernel::Wide => avx512::wide::$f($($arg),*),
            avx512::Kernel::Dq => avx512::dq::$f($($arg),*),
        }
    };
}

/// Tables plus a backend for one `(N, q)`.
#[derive(Clone, Debug)]
pub struct NttPlan {
    tables: NttTables,
    backend: Backend,
    /// Twiddles in the layout of the vector backend in use.
    #[cfg(target_arch = "x86_64")]
    vec: VecLayout,
}

/// Twiddle layouts of the vector backends.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Debug)]
enum VecLayout {
    /// The scalar backend reads `NttTables` directly.
    None,
    /// IFMA and 64-bit-lane AVX-512: the kernel for this prime and its tables.
    Avx512(avx512::Kernel, avx512::VecTables),
    /// AVX2.
    Avx2(avx2::Avx2Tables),
}

impl NttPlan {
    /// Builds the plan with the best backend for this CPU and prime, or the
    /// one forced by [`force_backend`] or [`BACKEND_ENV`] when that one is
    /// supported.
    #[must_use]
    pub fn new(n: usize, q: u64) -> Self {
        let bits = 64 - q.leading_zeros();
        let backend = forced_backend()
            .filter(|b| b.cpu_supports() && b.accepts_bits(bits))
            .unwrap_or_else(|| Backend::best_for(bits));
        Self::with_backend(n, q, backend)
            .or_else(|| Self::with_backend(n, q, Backend::Scalar))
            .expect("the scalar backend always builds")
    }

    /// Builds the plan with a given backend, or `None` if this CPU, this
    /// prime or this size (AVX-512 needs `N ≥ 32`, AVX2 `N ≥ 8`) does not
    /// support it.
    #[must_use]
    pub fn with_backend(n: usize, q: u64, backend: Backend) -> Option<Self> {
        let tables = NttTables::new(n, q);
        if !backend.cpu_supports() || !backend.accepts_bits(tables.modulus.bits()) {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        let vec = match backend {
            Backend::Ifma | Backend::Avx512 => {
                let kernel = match backend {
                    Backend::Avx512 => avx512::Kernel::Dq,
                    _ if tables.modulus.bits() <= avx512::IFMA_MAX_BITS => avx512::Kernel::Ifma,
                    _ if avx512::Kernel::Wide.accepts(q, tables.modulus.bits()) => {
                        avx512::Kernel::Wide
                    }
                    // Above 2^50 with q ≢ 1 (mod 2^12), only for N ≤ 1024.
                    _ => avx512::Kernel::Dq,
                };
                VecLayout::Avx512(kernel, avx512::VecTables::new(&tables, kernel)?)
            }
            Backend::Avx2 => VecLayout::Avx2(avx2::Avx2Tables::new(&tables)?),
            Backend::Scalar => VecLayout::None,
        };
        Some(Self {
            tables,
            backend,
            #[cfg(target_arch = "x86_64")]
            vec,
        })
    }

    /// The ring degree.
    #[inline]
    #[must_use]
    pub fn n(&self) -> usize {
        self.tables.n
    }

    /// The prime.
    #[inline]
    #[must_use]
    pub fn modulus(&self) -> &Modulus {
        &self.tables.modulus
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The twiddle tables.
    #[must_use]
    pub fn tables(&self) -> &NttTables {
        &self.tables
    }

    /// The AVX-512 kernel of this plan and its tables.
    #[cfg(target_arch = "x86_64")]
    fn avx512(&self) -> (avx512::Kernel, &avx512::VecTables) {
        match &self.vec {
            VecLayout::Avx512(k, t) => (*k, t),
            _ => unreachable!("AVX-512 plans are built with their tables"),
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn avx2_tables(&self) -> &avx2::Avx2Tables {
        match &self.vec {
            VecLayout::Avx2(t) => t,
            _ => unreachable!("AVX2 plans are built with their tables"),
        }
    }

    /// Forward transform: coefficients in `[0, q)` (or lazily in `[0, 4q)`)
    /// to evaluations in `[0, q)`, bit-reversed order.
    ///
    /// # Panics
    /// If `a.len() != N`.
    pub fn forward(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.tables.n, "ntt forward: length must equal N");
        match self.backend {
            Backend::Scalar => scalar::forward(a, &self.tables),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Ifma` and `Avx512` are stored only by `with_backend`
            // after `cpu_supports` detected AVX-512F, DQ and BW (and IFMA
            // for `Ifma`), with the tables of the kernel chosen for the prime.
            Backend::Ifma | Backend::Avx512 => unsafe {
                let (k, vt) = self.avx512();
                on_kernel!(k, forward(a, &self.tables, vt))
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is stored only after `cpu_supports` detected AVX2,
            // with its lane-order tables.
            Backend::Avx2 => unsafe { avx2::forward(a, &self.tables, self.avx2_tables()) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Ifma | Backend::Avx512 | Backend::Avx2 => {
                unreachable!("vector plans are never built off x86_64")
            }
        }
    }

    /// `dst ←` the forward transform of another prime's limb: each
    /// `src[i] ∈ [0, p)` stands for its centred representative (`src[i]`, or
    /// `src[i] − p` above `⌊p/2⌋`), taken mod this plan's `q`. The same
    /// result as [`Kernels::centered_from`](crate::math::kernels::Kernels::centered_from)
    /// into `dst` then [`forward`](Self::forward); the AVX-512 backends
    /// convert in the transform's first pass (ModUp, ModDown and rescale
    /// call this once per target limb).
    ///
    /// # Panics
    /// If `dst` or `src` is not `N` long.
    pub fn forward_centered(&self, dst: &mut [u64], src: &[u64], p: u64) {
        let n = self.tables.n;
        assert!(
            dst.len() == n && src.len() == n,
            "ntt forward_centered: lengths {} and {} must equal N = {n}",
            dst.len(),
            src.len()
        );
        debug_assert!(src.iter().all(|&x| x < p), "source residues not below p");
        #[cfg(target_arch = "x86_64")]
        if self.converts_in_first_pass() {
            let (t, (k, vt)) = (&self.tables, self.avx512());
            // SAFETY: as in `forward`; the lengths are checked above, and
            // `converts_in_first_pass` holds.
            unsafe { on_kernel!(k, forward_centered(dst, src, p, t, vt)) };
            return;
        }
        crate::math::kernels::Kernels::best(&self.tables.modulus).centered_from(dst, src, p);
        self.forward(dst);
    }

    /// Whether this plan converts another prime's limb in its forward
    /// transform's first pass: the AVX-512 kernels, IFMA for primes above
    /// `2^13` (its lazy reduction needs `⌊2^64/q⌋ < 2^52`).
    #[cfg(target_arch = "x86_64")]
    fn converts_in_first_pass(&self) -> bool {
        match self.backend {
            Backend::Avx512 => true,
            Backend::Ifma => self.tables.modulus.bits() > 13,
            _ => false,
        }
    }

    /// ModDown's last step on one limb, in one transform: with `y` the
    /// [`forward_centered`](Self::forward_centered) transform of `src`
    /// (computed in `scratch`, which is left holding intermediate values),
    /// `out ← out + (x − y)·w`, `x ← (x − y)·w` or `out ← σ(a + (x − y)·w)`
    /// as `target` says, mod this plan's `q`. The same result as
    /// `forward_centered` into `scratch` then
    /// [`Kernels::sub_mul_scalar_add`](crate::math::kernels::Kernels::sub_mul_scalar_add)
    /// (or `_assign`, then the permutation); the AVX-512 backends finish in
    /// the transform's last pass instead of storing `y`, and store each
    /// output vector of a permuted target where `σ` sends it. `x`, `a` and
    /// `out` hold values below `q`.
    ///
    /// # Panics
    /// If an array is not `N` long or `w ≥ q`.
    pub fn forward_centered_sub_mul(
        &self,
        scratch: &mut [u64],
        src: &[u64],
        p: u64,
        w: u64,
        target: SubMulTarget<'_>,
    ) {
        assert_eq!(
            src.len(),
            self.tables.n,
            "ntt forward_centered_sub_mul: source length must equal N"
        );
        self.sub_mul(scratch, Some((src, p)), w, target);
    }

    /// [`forward_centered_sub_mul`](Self::forward_centered_sub_mul) of a
    /// limb already of this prime: `y` holds it in coefficient form (words
    /// below `q`) and is transformed in place, left holding intermediate
    /// values. For a conversion from several primes, made before.
    ///
    /// # Panics
    /// If an array is not `N` long or `w ≥ q`.
    pub fn forward_sub_mul(&self, y: &mut [u64], w: u64, target: SubMulTarget<'_>) {
        self.sub_mul(y, None, w, target);
    }

    /// [`forward_centered_sub_mul`](Self::forward_centered_sub_mul) from
    /// `src` of prime `p`, or of `scratch` itself (`None`).
    fn sub_mul(
        &self,
        scratch: &mut [u64],
        src: Option<(&[u64], u64)>,
        w: u64,
        target: SubMulTarget<'_>,
    ) {
        let n = self.tables.n;
        let q = self.tables.modulus.value();
        let op = if src.is_some() {
            "forward_centered_sub_mul"
        } else {
            "forward_sub_mul"
        };
        let target_lens = target.lens();
        assert!(
            scratch.len() == n && target_lens == [n; 4],
            "ntt {op}: lengths {}, {:?} must equal N = {n}",
            scratch.len(),
            target_lens
        );
        assert!(w < q, "ntt {op}: w = {w} not below q = {q}");
        #[cfg(target_arch = "x86_64")]
        if (src.is_some() && self.converts_in_first_pass())
            || (src.is_none() && matches!(self.backend, Backend::Ifma | Backend::Avx512))
        {
            let none = std::ptr::null();
            let (x, a, o, scatter) = match target {
                SubMulTarget::AddInto { x, out } => {
                    let o = out.as_mut_ptr();
                    (x.as_ptr(), o.cast_const(), o, none)
                }
                SubMulTarget::InPlace(x) => {
                    let p = x.as_mut_ptr();
                    (p.cast_const(), none, p, none)
                }
                SubMulTarget::Permuted { x, a, out, perm } => match perm.scatter() {
                    Some(moves) => (
                        x.as_ptr(),
                        a.map_or(none, <[u64]>::as_ptr),
                        out.as_mut_ptr().cast::<u64>(),
                        moves.as_ptr(),
                    ),
                    None => {
                        self.unfused_sub_mul(
                            scratch,
                            src,
                            w,
                            SubMulTarget::Permuted { x, a, out, perm },
                        );
                        return;
                    }
                },
            };
            let (t, (k, vt)) = (&self.tables, self.avx512());
            // SAFETY: as in `forward_centered` (or `forward`, without a
            // source); every array is N long (checked above), `x`, `a` and
            // `out` are borrowed apart from `scratch` and `src` (`x`, `out`
            // and `a` are one array in place, `out` and `a` one when adding
            // into `out`, and a new limb `out` overlaps nothing), `w < q`,
            // and the scatter moves, one per block of 8 words, name the
            // blocks of `out` (`EvalPermutation::scatter`).
            unsafe {
                match src {
                    Some((src, p)) => on_kernel!(
                        k,
                        forward_centered_sub_mul(scratch, src, p, x, a, o, w, scatter, t, vt)
                    ),
                    None => on_kernel!(k, forward_sub_mul(scratch, x, a, o, w, scatter, t, vt)),
                }
            }
            return;
        }
        self.unfused_sub_mul(scratch, src, w, target);
    }

    /// [`Self::sub_mul`] as a transform, then the element-wise kernels.
    fn unfused_sub_mul(
        &self,
        scratch: &mut [u64],
        src: Option<(&[u64], u64)>,
        w: u64,
        target: SubMulTarget<'_>,
    ) {
        match src {
            Some((src, p)) => self.forward_centered(scratch, src, p),
            None => self.forward(scratch),
        }
        target.finish(
            &crate::math::kernels::Kernels::best(&self.tables.modulus),
            scratch,
            w,
        );
    }

    /// [`inverse`](Self::inverse) of `src` into `dst`, whose words need not
    /// be initialized: every one is written (the AVX-512 backends read `src`
    /// in their first pass, the others copy it first). For a new limb
    /// without a copy or a zero fill.
    ///
    /// # Panics
    /// If `src` or `dst` is not `N` long.
    pub fn inverse_write(&self, src: &[u64], dst: &mut [MaybeUninit<u64>]) {
        let n = self.tables.n;
        assert!(
            src.len() == n && dst.len() == n,
            "ntt inverse_write: lengths {} and {} must equal N = {n}",
            src.len(),
            dst.len()
        );
        #[cfg(target_arch = "x86_64")]
        if matches!(self.backend, Backend::Ifma | Backend::Avx512) {
            let (d, t, (k, vt)) = (dst.as_mut_ptr().cast::<u64>(), &self.tables, self.avx512());
            // SAFETY: as in `inverse`; both arrays are N long (checked
            // above) and `dst`, borrowed mutably, does not overlap `src`.
            unsafe { on_kernel!(k, inverse_write(d, src.as_ptr(), t, vt)) };
            return;
        }
        for (d, &x) in dst.iter_mut().zip(src) {
            d.write(x);
        }
        // SAFETY: the loop initialized all N words of `dst`.
        let dst = unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<u64>(), n) };
        self.inverse(dst);
    }

    /// Inverse transform: evaluations in `[0, 2q)` to coefficients in `[0, q)`.
    ///
    /// # Panics
    /// If `a.len() != N`.
    pub fn inverse(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.tables.n, "ntt inverse: length must equal N");
        match self.backend {
            Backend::Scalar => scalar::inverse(a, &self.tables),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `forward`.
            Backend::Ifma | Backend::Avx512 => unsafe {
                let (k, vt) = self.avx512();
                on_kernel!(k, inverse(a, &self.tables, vt))
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as in `forward`.
            Backend::Avx2 => unsafe { avx2::inverse(a, &self.tables, self.avx2_tables()) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Ifma | Backend::Avx512 | Backend::Avx2 => {
                unreachable!("vector plans are never built off x86_64")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::primes::ntt_primes_below;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn backend_env_values_parse_or_name_the_bad_value() {
        for (value, want) in [
            ("scalar", Some(Backend::Scalar)),
            ("AVX2", Some(Backend::Avx2)),
            (" avx512 ", Some(Backend::Avx512)),
            ("Ifma", Some(Backend::Ifma)),
            ("", None),
            ("  ", None),
        ] {
            assert_eq!(Backend::from_env_value(value), Ok(want), "{value:?}");
        }
        for value in ["avx-512", "best", "scalar,avx2"] {
            let e = Backend::from_env_value(value).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidEnvVar { var, value: v, .. }
                    if *var == BACKEND_ENV && v == value),
                "{e:?}"
            );
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("CKKS_NTT_BACKEND={value:?}")) && msg.contains("avx512"),
                "{msg}"
            );
        }
    }

    /// Schoolbook product in `Z_q[X]/(X^N + 1)`.
    #[allow(
        clippy::needless_range_loop,
        reason = "the oracle mirrors the textbook double sum"
    )]
    fn naive_negacyclic(a: &[u64], b: &[u64], m: &Modulus) -> Vec<u64> {
        let n = a.len();
        let mut c = vec![0u64; n];
        for i in 0..n {
            for j in 0..n {
                let p = m.mul(a[i], b[j]);
                let k = i + j;
                if k < n {
                    c[k] = m.add(c[k], p);
                } else {
                    c[k - n] = m.sub(c[k - n], p);
                }
            }
        }
        c
    }

    #[test]
    fn product_matches_schoolbook_negacyclic() {
        let seed: u64 = rand::random();
        println!("seed = {seed}");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for log_n in [4u32, 8, 10] {
            let n = 1 << log_n;
            for bits in [30, 40, 50, 60, 61] {
                let q = ntt_primes_below(bits, n, 1, &[])[0];
                let plan = NttPlan::new(n, q);
                let m = plan.modulus();
                let a: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
                let b: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
                let want = naive_negacyclic(&a, &b, m);
                let (mut fa, mut fb) = (a.clone(), b.clone());
                plan.forward(&mut fa);
                plan.forward(&mut fb);
                let mut c: Vec<u64> = fa.iter().zip(&fb).map(|(&x, &y)| m.mul(x, y)).collect();
                plan.inverse(&mut c);
                assert_eq!(c, want, "N = {n}, {bits}-bit q = {q}");
            }
        }
    }

    #[test]
    fn forward_evaluates_at_odd_powers_in_bit_reversed_order() {
        let n = 64;
        let q = ntt_primes_below(50, n, 1, &[])[0];
        let plan = NttPlan::new(n, q);
        let m = plan.modulus();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let a: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
        let mut fa = a.clone();
        plan.forward(&mut fa);
        let psi = plan.tables().psi;
        for (k, &v) in fa.iter().enumerate() {
            let x = m.pow(psi, 2 * bit_reverse(k, n.trailing_zeros()) as u64 + 1);
            let want = a.iter().rev().fold(0, |acc, &c| m.add(m.mul(acc, x), c));
            assert_eq!(v, want, "slot {k}");
        }
    }

    #[test]
    fn round_trip_for_every_size_and_lazy_inputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for log_n in 10..=16 {
            let n = 1usize << log_n;
            for bits in [30, 45, 61] {
                let q = ntt_primes_below(bits, n, 1, &[])[0];
                let plan = NttPlan::new(n, q);
                // Inputs at the top of the documented lazy range [0, 4q).
                let a: Vec<u64> = (0..n)
                    .map(|i| {
                        if i % 3 == 0 {
                            4 * q - 1
                        } else {
                            rng.gen_range(0..4 * q)
                        }
                    })
                    .collect();
                let mut b = a.clone();
                plan.forward(&mut b);
                assert!(b.iter().all(|&x| x < q));
                plan.inverse(&mut b);
                let want: Vec<u64> = a.iter().map(|&x| x % q).collect();
                assert_eq!(b, want, "N = 2^{log_n}, {bits}-bit");
            }
        }
    }
}
