//! Gadget keys for hybrid key switching.
//!
//! A switching key from `s'` to `s` has one component per digit
//! `D_j = {q_{jα}, …, q_{(j+1)α−1}}` (`α` = number of special primes):
//!
//! ```text
//! swk_j = (b_j, a_j) = (−a_j·s + e_j + P·s'·1_{D_j},  a_j)   over Q_L·P
//! ```
//!
//! where `1_{D_j}` is the CRT idempotent that is 1 modulo the primes of `D_j`
//! and 0 modulo the others: in RNS, `P·s'` is added only to the limbs of
//! `D_j`. Because `Σ_j [c]_{D_j} · 1_{D_j} ≡ c (mod Q_ℓ)` at every level `ℓ`,
//! the same key serves every level. The uniform halves `a_j` are expanded
//! from a 32-byte seed, so a key can be stored and sent at half size.

use std::sync::OnceLock;

use rand::{CryptoRng, Rng, RngCore};
use zeroize::Zeroize;

use crate::math::aligned::AlignedVec;
use crate::math::kernels::Kernels;
use crate::math::ntt::Backend;
use crate::math::packed::{Packed, PackedLimbs};
use crate::math::poly::{Coeff, Eval, RnsPoly};
use crate::math::rns::{Basis, RnsContext};
use crate::math::sampling;
use crate::params::Params;

/// A key that switches a ciphertext component from `s'` to `s`.
#[derive(Clone, Debug)]
pub struct SwitchingKey {
    pub(crate) b: Vec<RnsPoly<Eval>>,
    pub(crate) a: Vec<RnsPoly<Eval>>,
    pub(crate) seed: [u8; 32],
    pub(crate) params_id: u64,
    /// For each limb of `Q_L·P` whose IFMA kernels read packed operands on
    /// this CPU ([`Kernels::reads_packed`]), that limb of every `b_j`, then of every
    /// `a_j`, in as few bytes per residue as the prime needs: what the key
    /// switch's inner products read ([`crate::math::packed`]). Made by the
    /// first switch with the key ([`Self::packed_limb`]): a key generated
    /// and never used costs neither the time nor the memory.
    packed: OnceLock<Vec<Option<PackedLimbs>>>,
}

/// The relinearization key: switches `s²` to `s`.
#[derive(Clone, Debug)]
pub struct RelinKey(pub(crate) SwitchingKey);

impl RelinKey {
    /// Id of the parameters it was made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.0.params_id
    }
}

/// `count` uniform polynomials over `basis`, expanded from `seed`. The order
/// (polynomial, then limb, then coefficient) is part of the format.
pub(crate) fn expand_uniform(
    params: &Params,
    seed: [u8; 32],
    basis: Basis,
    count: usize,
) -> Vec<RnsPoly<Eval>> {
    let rns = params.rns();
    let n = rns.n();
    let mut rng = crate::rng::from_seed(seed);
    (0..count)
        .map(|_| {
            // Kept (a key's or ciphertext's mask): pages mapped up front.
            let mut data = AlignedVec::with_capacity_mapped(rns.limbs(basis) * n);
            data.resize(rns.limbs(basis) * n, 0);
            for (i, limb) in data.chunks_exact_mut(n).enumerate() {
                sampling::uniform_into(rns.modulus(basis, i), &mut rng, limb);
            }
            RnsPoly::from_raw(rns, basis, data)
        })
        .collect()
}

/// A Gaussian error polynomial over `basis`, NTT form.
pub(crate) fn gaussian_eval<R: RngCore + CryptoRng>(
    params: &Params,
    basis: Basis,
    rng: &mut R,
) -> RnsPoly<Eval> {
    gaussian_eval_with(params, basis, rng, RnsPoly::from_signed)
}

/// [`gaussian_eval`] for the polynomial that becomes a key's `b`: the same
/// draws and values, in a buffer whose pages are mapped up front.
pub(crate) fn key_gaussian_eval<R: RngCore + CryptoRng>(
    params: &Params,
    basis: Basis,
    rng: &mut R,
) -> RnsPoly<Eval> {
    gaussian_eval_with(params, basis, rng, RnsPoly::from_signed_kept)
}

/// Samples the errors, reduces them into every limb with `limbs`, and
/// takes the result to NTT form; the coefficients are zeroized.
fn gaussian_eval_with<R: RngCore + CryptoRng>(
    params: &Params,
    basis: Basis,
    rng: &mut R,
    limbs: fn(&RnsContext, Basis, &[i64]) -> RnsPoly<Coeff>,
) -> RnsPoly<Eval> {
    let mut e = sampling::gaussian(params.n(), rng);
    let poly = limbs(params.rns(), basis, &e).into_eval(params.rns());
    e.zeroize();
    poly
}

impl SwitchingKey {
    /// Generates the key from `s_prime` to `s`, given `neg_s = −s` (both in
    /// NTT form over `Q_L·P`; see [`crate::SecretKey::negated`]).
    pub(crate) fn generate<R: RngCore + CryptoRng>(
        params: &Params,
        neg_s: &RnsPoly<Eval>,
        s_prime: &RnsPoly<Eval>,
        rng: &mut R,
    ) -> Self {
        let rns = params.rns();
        let top = Basis::level_with_p(params.max_level());
        let dnum = params.dnum();
        let alpha = rns.alpha();
        let seed: [u8; 32] = rng.gen();
        let a = expand_uniform(params, seed, top, dnum);
        let n = rns.n();
        let b = a
            .iter()
            .enumerate()
            .map(|(j, aj)| {
                // b_j = e + a_j·(−s) (one multiply-add per limb), then
                // + P·s' on the limbs of digit j.
                let mut bj = key_gaussian_eval(params, top, rng);
                bj.mul_add_assign(rns, aj, neg_s);
                let mut ps = vec![0u64; n];
                for i in j * alpha..((j + 1) * alpha).min(params.max_level() + 1) {
                    let k = Kernels::best(rns.modulus(top, i));
                    ps.copy_from_slice(&s_prime.data()[i * n..(i + 1) * n]);
                    k.mul_scalar_assign(&mut ps, rns.p_mod_q(i));
                    k.add_assign(bj.limb_mut(i), &ps);
                }
                ps.zeroize();
                bj
            })
            .collect();
        Self::from_parts(params, b, a, seed)
    }

    /// The key with halves `b` and `a` (over `Q_L·P`, `a` expanded from
    /// `seed`).
    pub(crate) fn from_parts(
        params: &Params,
        b: Vec<RnsPoly<Eval>>,
        a: Vec<RnsPoly<Eval>>,
        seed: [u8; 32],
    ) -> Self {
        Self {
            b,
            a,
            seed,
            params_id: params.id(),
            packed: OnceLock::new(),
        }
    }

    /// Limb `limb` (of `Q_L·P`) of the first `digits` halves `b_j` and of
    /// the first `digits` halves `a_j`, packed, if the key keeps them so;
    /// the first call packs them all.
    pub(crate) fn packed_limb(
        &self,
        rns: &RnsContext,
        limb: usize,
        digits: usize,
    ) -> Option<[Vec<Packed<'_>>; 2]> {
        let packed = self.packed.get_or_init(|| {
            let top = self.b.first().map(RnsPoly::basis);
            let n = rns.n();
            (0..top.map_or(0, |t| rns.limbs(t)))
                .map(|i| {
                    let m = rns.modulus(top?, i);
                    // Whether the CPU's IFMA kernels would read them, not
                    // whether the backend in force now does: a backend
                    // forced for a while does not leave the key unpacked.
                    let readable =
                        Kernels::with(Backend::Ifma, m).is_some_and(|k| k.reads_packed());
                    readable.then(|| {
                        let limbs: Vec<&[u64]> = self
                            .b
                            .iter()
                            .chain(&self.a)
                            .map(|p| &p.data()[i * n..(i + 1) * n])
                            .collect();
                        PackedLimbs::new(PackedLimbs::width(m.bits()), &limbs)
                    })
                })
                .collect()
        });
        let p = packed.get(limb)?.as_ref()?;
        let dnum = self.b.len();
        Some([
            (0..digits).map(|j| p.limb(j)).collect(),
            (0..digits).map(|j| p.limb(dnum + j)).collect(),
        ])
    }

    /// Number of digits.
    #[must_use]
    pub fn dnum(&self) -> usize {
        self.b.len()
    }

    /// Id of the parameters it was made under.
    #[must_use]
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}
