//! Arithmetic modulo a word-sized prime `q < 2^62`.
//!
//! Two reductions are used throughout the crate:
//!
//! * **Barrett** (`mul`, `reduce_u128`): for a product of two values that vary
//!   at run time. Precomputes `⌊2^128 / q⌋` and estimates the quotient with
//!   three 64×64-bit products.
//! * **Shoup** (`mul_shoup*`): for a product where one operand `w` is fixed
//!   (an NTT twiddle, a key-switching constant). Precomputes
//!   `w' = ⌊w·2^64 / q⌋`; then `a·w mod q` costs two multiplications and one
//!   conditional subtraction (or none in the lazy form).
//!
//! Functions named `_lazy` return values that are not fully reduced; their
//! doc gives the output range. `q < 2^62` keeps `4q` inside a `u64`, which the
//! lazy NTT butterflies rely on (see `docs/rns-ntt.md`).

/// Largest supported prime size in bits; `4q` must fit in 64 bits.
pub const MAX_MODULUS_BITS: u32 = 61;

/// A prime modulus with its precomputed Barrett constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus {
    q: u64,
    /// `⌊2^128 / q⌋` as (low word, high word).
    ratio: [u64; 2],
    bits: u32,
}

impl Modulus {
    /// Wraps `q`.
    ///
    /// # Panics
    /// If `q < 2` or `q ≥ 2^62` (an internal bug: parameters are validated
    /// before any modulus is built).
    #[must_use]
    pub fn new(q: u64) -> Self {
        assert!(
            (2..1 << (MAX_MODULUS_BITS + 1)).contains(&q),
            "modulus {q} outside [2, 2^62)"
        );
        // ⌊(2^128 − 1) / q⌋ equals ⌊2^128 / q⌋ because q is not a power of two
        // (q ≥ 3 odd prime; for q = 2 the difference does not matter here).
        let r = u128::MAX / u128::from(q);
        Self {
            q,
            ratio: [r as u64, (r >> 64) as u64],
            bits: 64 - q.leading_zeros(),
        }
    }

    /// The prime.
    #[inline]
    #[must_use]
    pub const fn value(&self) -> u64 {
        self.q
    }

    /// Bit length of the prime.
    #[inline]
    #[must_use]
    pub const fn bits(&self) -> u32 {
        self.bits
    }

    /// `x mod q` for any 128-bit `x < q·2^64`, in `[0, q)`.
    ///
    /// Barrett: the quotient estimate `⌊x·⌊2^128/q⌋ / 2^128⌋` is at most one
    /// below the true quotient, so one conditional subtraction finishes.
    #[inline]
    #[must_use]
    pub fn reduce_u128(&self, x: u128) -> u64 {
        let x0 = x as u64;
        let x1 = (x >> 64) as u64;
        let [m0, m1] = self.ratio;
        // High 128 bits of the 256-bit product x·m, modulo 2^64 (only the low
        // word of the quotient is needed because the quotient is < 2^64).
        let carry = ((u128::from(x0) * u128::from(m0)) >> 64) as u64;
        let t = u128::from(x0) * u128::from(m1) + u128::from(carry);
        let t2 = u128::from(x1) * u128::from(m0) + u128::from(t as u64);
        let quot = ((t >> 64) as u64)
            .wrapping_add((t2 >> 64) as u64)
            .wrapping_add(x1.wrapping_mul(m1));
        let r = x0.wrapping_sub(quot.wrapping_mul(self.q));
        r.min(r.wrapping_sub(self.q))
    }

    /// `x mod q` for any `u64`, in `[0, q)`.
    #[inline]
    #[must_use]
    pub fn reduce(&self, x: u64) -> u64 {
        let quot = ((u128::from(x) * u128::from(self.ratio[1])) >> 64) as u64;
        let r = x.wrapping_sub(quot.wrapping_mul(self.q));
        r.min(r.wrapping_sub(self.q))
    }

    /// `x mod q` for a signed `x`, in `[0, q)`.
    #[inline]
    #[must_use]
    pub fn reduce_i64(&self, x: i64) -> u64 {
        // Branch-free: random signs (errors, secrets) would defeat a
        // branch predictor. `q − r` is in (0, q], and the final min maps
        // q to 0.
        let r = self.reduce(x.unsigned_abs());
        let mask = (x >> 63) as u64;
        let v = (r & !mask) | ((self.q - r) & mask);
        v.min(v.wrapping_sub(self.q))
    }

    /// `a·b mod q` in `[0, q)`. Requires `a·b < q·2^64` (true for `a, b < q`).
    #[inline]
    #[must_use]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce_u128(u128::from(a) * u128::from(b))
    }

    /// `(a + b) mod q` for `a, b < q`.
    #[inline]
    #[must_use]
    pub fn add(&self, a: u64, b: u64) -> u64 {
        debug_assert!(a < self.q && b < self.q);
        let s = a + b;
        s.min(s.wrapping_sub(self.q))
    }

    /// `(a − b) mod q` for `a, b < q`.
    #[inline]
    #[must_use]
    pub fn sub(&self, a: u64, b: u64) -> u64 {
        debug_assert!(a < self.q && b < self.q);
        let d = a.wrapping_sub(b);
        d.min(d.wrapping_add(self.q))
    }

    /// `−a mod q` for `a < q`.
    #[inline]
    #[must_use]
    pub fn neg(&self, a: u64) -> u64 {
        debug_assert!(a < self.q);
        // Branch-free: q − a, except 0 ↦ 0.
        (self.q - a) & 0u64.wrapping_sub(u64::from(a != 0))
    }

    /// Shoup's precomputation for a fixed operand `w < q`: `⌊w·2^64 / q⌋`.
    #[inline]
    #[must_use]
    pub fn shoup(&self, w: u64) -> u64 {
        debug_assert!(w < self.q);
        ((u128::from(w) << 64) / u128::from(self.q)) as u64
    }

    /// `a·w mod q` in `[0, 2q)` for any `a < 2^64`. Requires `w < q`,
    /// `w_shoup = shoup(w)`.
    #[inline]
    #[must_use]
    pub fn mul_shoup_lazy(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        debug_assert!(w < self.q);
        let est = ((u128::from(a) * u128::from(w_shoup)) >> 64) as u64;
        a.wrapping_mul(w).wrapping_sub(est.wrapping_mul(self.q))
    }

    /// `a·w mod q` in `[0, q)`; as [`Self::mul_shoup_lazy`] plus one
    /// conditional subtraction.
    #[inline]
    #[must_use]
    pub fn mul_shoup(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        let r = self.mul_shoup_lazy(a, w, w_shoup);
        r.min(r.wrapping_sub(self.q))
    }

    /// `a^e mod q`.
    #[must_use]
    pub fn pow(&self, mut a: u64, mut e: u64) -> u64 {
        a = self.reduce(a);
        let mut r = 1 % self.q;
        while e > 0 {
            if e & 1 == 1 {
                r = self.mul(r, a);
            }
            a = self.mul(a, a);
            e >>= 1;
        }
        r
    }

    /// `a^{-1} mod q` for a prime `q`, or `None` when `a ≡ 0`.
    #[must_use]
    pub fn inv(&self, a: u64) -> Option<u64> {
        let a = self.reduce(a);
        (a != 0).then(|| self.pow(a, self.q - 2))
    }

    /// Centers `a ∈ [0, q)` into `(−q/2, q/2]`.
    #[inline]
    #[must_use]
    pub fn center(&self, a: u64) -> i64 {
        if a > self.q / 2 {
            -((self.q - a) as i64)
        } else {
            a as i64
        }
    }

    /// Maps an integer-valued `f64` (any magnitude) to its residue mod `q`
    /// exactly: the value is `±m·2^e` with a 53-bit mantissa `m`.
    #[must_use]
    pub fn reduce_f64(&self, x: f64) -> u64 {
        debug_assert!(x.is_finite() && x == x.trunc());
        let a = x.abs();
        let r = if a < 2f64.powi(63) {
            self.reduce(a as u64)
        } else {
            let bits = a.to_bits();
            let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
            let mant = (bits & ((1 << 52) - 1)) | (1 << 52);
            // exp > 0 here because a ≥ 2^63 > 2^52.
            self.mul(self.reduce(mant), self.pow(2, exp as u64))
        };
        if x < 0.0 {
            self.neg(r)
        } else {
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const PRIMES: [u64; 5] = [
        (1 << 30) - 35,
        1_099_511_480_321,         // 40 bits
        562_949_953_216_513,       // 49 bits
        1_152_921_504_606_748_673, // 60 bits
        2_305_843_009_213_554_689, // 61 bits
    ];

    #[test]
    fn barrett_and_shoup_match_u128_remainder() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for &q in &PRIMES {
            let m = Modulus::new(q);
            for _ in 0..20_000 {
                let a = rng.gen_range(0..q);
                let b = rng.gen_range(0..q);
                let want = ((u128::from(a) * u128::from(b)) % u128::from(q)) as u64;
                assert_eq!(m.mul(a, b), want, "barrett q={q} a={a} b={b}");
                let bs = m.shoup(b);
                assert_eq!(m.mul_shoup(a, b, bs), want, "shoup q={q}");
                let lazy = m.mul_shoup_lazy(a, b, bs);
                assert!(lazy < 2 * q && lazy % q == want, "shoup lazy range q={q}");
                // Shoup accepts any 64-bit left operand.
                let big: u64 = rng.gen();
                let want_big = ((u128::from(big) * u128::from(b)) % u128::from(q)) as u64;
                assert_eq!(m.mul_shoup(big, b, bs), want_big);
                // Barrett on the whole documented input range x < q·2^64.
                let x = rng.gen::<u128>() % (u128::from(q) << 64);
                assert_eq!(u128::from(m.reduce_u128(x)), x % u128::from(q));
                let y: u64 = rng.gen();
                assert_eq!(m.reduce(y), y % q);
            }
            // Edges.
            assert_eq!(m.mul(q - 1, q - 1), 1);
            assert_eq!(
                u128::from(m.reduce_u128((u128::from(q) << 64) - 1)),
                ((u128::from(q) << 64) - 1) % u128::from(q)
            );
            assert_eq!(m.reduce(u64::MAX), u64::MAX % q);
            assert_eq!(m.neg(0), 0);
            assert_eq!(m.add(q - 1, q - 1), q - 2);
            assert_eq!(m.sub(0, q - 1), 1);
            assert_eq!(m.mul(m.inv(12345).unwrap(), 12345), 1);
        }
    }

    #[test]
    fn reduce_f64_is_exact_for_large_values() {
        let m = Modulus::new(PRIMES[3]);
        let q = u128::from(PRIMES[3]);
        for x in [
            0.0,
            1.0,
            -1.0,
            2f64.powi(62),
            -(2f64.powi(70) + 2f64.powi(20)),
            3.0 * 2f64.powi(100),
        ] {
            let mag = x.abs();
            // Exact integer of |x| via mantissa and exponent.
            let (mant, exp) = {
                let b = mag.to_bits();
                if mag == 0.0 {
                    (0u128, 0i32)
                } else {
                    (
                        u128::from((b & ((1 << 52) - 1)) | (1 << 52)),
                        ((b >> 52) & 0x7ff) as i32 - 1075,
                    )
                }
            };
            let mut r = mant % q;
            if exp >= 0 {
                for _ in 0..exp {
                    r = (r * 2) % q;
                }
            } else {
                r = (mant >> (-exp)) % q;
            }
            let want = if x < 0.0 { (q - r) % q } else { r } as u64;
            assert_eq!(m.reduce_f64(x), want, "x = {x}");
        }
    }
}
