//! The automorphisms `σ_g : a(X) ↦ a(X^g)` of `Z_q[X]/(X^N + 1)`, `g` odd.
//!
//! With slots ordered by powers of 5 (see `encoding`), `g = 5^k mod 2N`
//! rotates the slots left by `k`, and `g = 2N − 1` (that is `X ↦ X^{-1}`)
//! conjugates every slot.

use crate::math::aligned::AlignedVec;
use crate::math::kernels::Kernels;
use crate::math::modulus::Modulus;
use crate::math::ntt::bit_reverse;
use crate::math::poly::{Eval, RnsPoly};
use crate::math::rns::RnsContext;

/// The Galois element of a left rotation by `step` slots (negative: right),
/// for ring degree `n`: `5^(step mod N/2) mod 2N`.
#[must_use]
pub fn galois_element_for_step(step: i64, n: usize) -> u64 {
    let slots = (n / 2) as i64;
    pow_mod_2n(5, step.rem_euclid(slots) as u64, n)
}

/// `base^e mod 2N`.
fn pow_mod_2n(base: u64, mut e: u64, n: usize) -> u64 {
    let two_n = 2 * n as u64;
    let (mut r, mut base) = (1u64, base % two_n);
    while e > 0 {
        if e & 1 == 1 {
            r = r * base % two_n;
        }
        base = base * base % two_n;
        e >>= 1;
    }
    r
}

/// The Galois element of complex conjugation, `X ↦ X^{-1} = X^{2N−1}`.
#[must_use]
pub fn galois_element_conjugate(n: usize) -> u64 {
    2 * n as u64 - 1
}

/// The Galois element of `σ_g^{-1}` for ring degree `n`: `g^{-1} mod 2N`,
/// which is `g^{N−1}` (the odd residues mod `2N` form a group of order `N`).
#[must_use]
pub fn galois_element_inverse(g: u64, n: usize) -> u64 {
    pow_mod_2n(g, n as u64 - 1, n)
}

/// Applies `σ_g` to one limb in coefficient form:
/// `X^i ↦ ±X^{i·g mod N}`, the sign flipping when `i·g mod 2N ≥ N`.
pub fn apply_coeff(input: &[u64], g: u64, m: &Modulus, out: &mut [u64]) {
    let n = input.len();
    let mask = 2 * n as u64 - 1;
    for (i, &c) in input.iter().enumerate() {
        let e = (i as u64 * g) & mask;
        if e < n as u64 {
            out[e as usize] = c;
        } else {
            out[(e - n as u64) as usize] = m.neg(c);
        }
    }
}

/// The index permutation that applies `σ_g` to a limb in NTT form:
/// `out[k] = in[perm[k]]`. Slot `k` holds the value at `ψ^{2·br(k)+1}`, and
/// `σ_g(a)(ψ^{2j+1}) = a(ψ^{g(2j+1)})`.
#[must_use]
pub fn eval_permutation(n: usize, g: u64) -> Vec<u32> {
    let bits = n.trailing_zeros();
    let mask = 2 * n as u64 - 1;
    (0..n)
        .map(|k| {
            let j = bit_reverse(k, bits) as u64;
            let e = (g * (2 * j + 1)) & mask;
            bit_reverse(((e - 1) / 2) as usize, bits) as u32
        })
        .collect()
}

/// `σ_g` on limbs in NTT form: the index permutation of
/// [`eval_permutation`] and the same as moves of aligned 8-word blocks.
///
/// The permutation maps every aligned block of `2^m` slots onto an aligned
/// block: slot `k = k_hi·2^m + k_lo` holds the value at `ψ^{2j+1}` with
/// `j = br(k)`, whose top `m` bits are `br(k_lo)`; multiplying `2j + 1` by
/// `g` adds to those top bits (and, halved and bit-reversed back, to the
/// lane within the block) without touching the bits that become the
/// block's index. So an output block is one source block with its 8 words
/// reordered: one load and one `vpermq` ([`Kernels::permute_blocks_into`])
/// instead of 8 gathered words. The constructor checks the shape and keeps
/// the word-by-word permutation for `N < 8`.
#[derive(Clone, Debug)]
pub struct EvalPermutation {
    perm: Vec<u32>,
    /// Per output block: the source block in the low 32 bits, the source
    /// lane of word `i` in bits `32 + 3i …`; `None` if `N < 8`.
    moves: Option<Vec<u64>>,
    /// The same moves per source block: the output block in the low 32
    /// bits, the lanes as in `moves` ([`Self::scatter`]), for the vector
    /// kernels.
    #[cfg(target_arch = "x86_64")]
    scatter: Option<Vec<u64>>,
}

impl EvalPermutation {
    /// The permutation of `σ_g` at ring degree `n`.
    #[must_use]
    pub fn new(n: usize, g: u64) -> Self {
        let perm = eval_permutation(n, g);
        let moves = n
            .is_multiple_of(8)
            .then(|| {
                perm.chunks_exact(8)
                    .map(|b| {
                        let src = b[0] / 8;
                        b.iter()
                            .enumerate()
                            .try_fold(u64::from(src), |mv, (i, &p)| {
                                (p / 8 == src).then_some(mv | u64::from(p % 8) << (32 + 3 * i))
                            })
                    })
                    .collect::<Option<Vec<u64>>>()
            })
            .flatten();
        debug_assert!(
            n < 8 || moves.is_some(),
            "σ_g maps aligned blocks onto aligned blocks"
        );
        // Every source block is one output block's (`perm` is a
        // permutation), so each entry is written exactly once.
        #[cfg(target_arch = "x86_64")]
        let scatter = moves.as_ref().map(|moves| {
            let mut scatter = vec![0u64; moves.len()];
            for (b, &mv) in moves.iter().enumerate() {
                scatter[mv as u32 as usize] = (mv & !u64::from(u32::MAX)) | b as u64;
            }
            scatter
        });
        Self {
            perm,
            moves,
            #[cfg(target_arch = "x86_64")]
            scatter,
        }
    }

    /// The block moves by source block: move `s` puts block `s` of the
    /// input, its lanes reordered as the high half says (as in
    /// [`Kernels::permute_blocks_into`]), at the output block of its low
    /// half. Every output block is named once. `None` if `N < 8`.
    #[cfg(target_arch = "x86_64")]
    #[must_use]
    pub(crate) fn scatter(&self) -> Option<&[u64]> {
        self.scatter.as_deref()
    }

    /// Writes `σ_g(input)` into `out` (one limb in NTT form), every word;
    /// `k` (any prime's kernels) picks the backend.
    ///
    /// # Panics
    /// If `input` or `out` is not `N` long.
    pub fn write(&self, input: &[u64], k: &Kernels<'_>, out: &mut [std::mem::MaybeUninit<u64>]) {
        assert!(
            input.len() == self.perm.len() && out.len() == self.perm.len(),
            "automorphism write: lengths {} and {} must equal N = {}",
            input.len(),
            out.len(),
            self.perm.len()
        );
        match &self.moves {
            Some(moves) => k.permute_blocks_write(out, input, moves),
            None => {
                for (o, &p) in out.iter_mut().zip(&self.perm) {
                    o.write(input[p as usize]);
                }
            }
        }
    }

    /// `out[k] = in[perm[k]]`.
    #[must_use]
    pub fn perm(&self) -> &[u32] {
        &self.perm
    }

    /// `σ_g(p)` for a polynomial in NTT form, written once, limb by limb
    /// (no zero fill first).
    #[must_use]
    pub fn apply(&self, ctx: &RnsContext, p: &RnsPoly<Eval>) -> RnsPoly<Eval> {
        let basis = p.basis();
        let mut data = AlignedVec::with_capacity(p.data().len());
        for i in 0..p.num_limbs() {
            let k = Kernels::best(ctx.modulus(basis, i));
            self.extend(p.limb(i), &k, &mut data);
        }
        RnsPoly::from_raw(ctx, basis, data)
    }

    /// Appends `σ_g(input)` to `out`, `input` one limb in NTT form; `k`
    /// (any prime's kernels) picks the backend.
    pub fn extend(&self, input: &[u64], k: &Kernels<'_>, out: &mut AlignedVec) {
        match &self.moves {
            Some(moves) => k.permute_blocks_into(out, input, moves),
            None => extend_eval(input, &self.perm, out),
        }
    }
}

/// Applies `σ_g` to one limb in NTT form with a permutation from
/// [`eval_permutation`].
pub fn apply_eval(input: &[u64], perm: &[u32], out: &mut [u64]) {
    for (o, &p) in out.iter_mut().zip(perm) {
        *o = input[p as usize];
    }
}

/// [`apply_eval`] appending the permuted limb to `out`: builds a new
/// polynomial limb by limb without filling it with zeros first.
pub fn extend_eval(input: &[u64], perm: &[u32], out: &mut AlignedVec) {
    out.extend(perm.iter().map(|&p| input[p as usize]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::ntt::NttPlan;
    use crate::math::primes::ntt_primes_below;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn eval_and_coeff_automorphisms_agree() {
        let n = 256;
        let q = ntt_primes_below(50, n, 1, &[])[0];
        let plan = NttPlan::new(n, q);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let a: Vec<u64> = (0..n).map(|_| rng.gen_range(0..q)).collect();
        for g in [
            5,
            25,
            galois_element_for_step(-1, n),
            galois_element_conjugate(n),
        ] {
            let mut c = vec![0; n];
            apply_coeff(&a, g, plan.modulus(), &mut c);
            plan.forward(&mut c);
            let mut ea = a.clone();
            plan.forward(&mut ea);
            let mut e = vec![0; n];
            apply_eval(&ea, &eval_permutation(n, g), &mut e);
            assert_eq!(c, e, "g = {g}");
            let mut appended = AlignedVec::from_slice(&[7]);
            extend_eval(&ea, &eval_permutation(n, g), &mut appended);
            assert_eq!(appended[1..], e[..], "appended, g = {g}");
            assert_eq!(appended[0], 7);
        }
        assert_eq!(galois_element_for_step(0, n), 1);
        // Every odd g moves aligned 8-word blocks onto aligned blocks (the
        // vector path); below N = 8 the word permutation serves.
        for n in [8usize, 64] {
            for g in (1..2 * n as u64).step_by(2) {
                let p = EvalPermutation::new(n, g);
                assert!(p.moves.is_some(), "N = {n}, g = {g}");
                let mut out = AlignedVec::new();
                let k = Kernels::best(plan.modulus());
                let input: Vec<u64> = (0..n as u64).collect();
                p.extend(&input, &k, &mut out);
                let want: Vec<u64> = p.perm().iter().map(|&i| u64::from(i)).collect();
                assert_eq!(out[..], want[..], "N = {n}, g = {g}");
            }
        }
        let small = EvalPermutation::new(4, 3);
        assert!(small.moves.is_none());
        let mut out = AlignedVec::new();
        small.extend(&[10, 11, 12, 13], &Kernels::best(plan.modulus()), &mut out);
        let want: Vec<u64> = small.perm().iter().map(|&i| 10 + u64::from(i)).collect();
        assert_eq!(out[..], want[..]);
        assert_eq!(galois_element_for_step(1, n), 5);
        // Rotating left by k and then by N/2 − k is the identity.
        let g = galois_element_for_step(3, n) * galois_element_for_step(-3, n) % (2 * n as u64);
        assert_eq!(g, 1);
    }
}
