//! NTT-friendly primes: `q ≡ 1 (mod 2N)`, so that `Z_q` holds a primitive
//! `2N`-th root of unity and `X^N + 1` splits into linear factors.

use super::modulus::Modulus;

/// Deterministic Miller–Rabin for 64-bit integers (these twelve bases are
/// enough for every `n < 3.3·10^24`).
#[must_use]
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    for p in BASES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    let mulmod = |a: u64, b: u64| ((u128::from(a) * u128::from(b)) % u128::from(n)) as u64;
    let powmod = |mut a: u64, mut e: u64| {
        let mut r = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                r = mulmod(r, a);
            }
            a = mulmod(a, a);
            e >>= 1;
        }
        r
    };
    'bases: for a in BASES {
        let mut x = powmod(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mulmod(x, x);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// The largest primes of exactly `bits` bits with `q ≡ 1 (mod 2n)`, from the
/// top down, skipping those in `exclude`. Returns fewer than `count` if the
/// range runs out.
#[must_use]
pub fn ntt_primes_below(bits: u32, n: usize, count: usize, exclude: &[u64]) -> Vec<u64> {
    let two_n = 2 * n as u64;
    let top = 1u64 << bits;
    let bottom = 1u64 << (bits - 1);
    // Largest candidate < 2^bits that is ≡ 1 mod 2n.
    let mut cand = top - two_n + 1;
    let mut out = Vec::with_capacity(count);
    while out.len() < count && cand > bottom {
        if is_prime(cand) && !exclude.contains(&cand) {
            out.push(cand);
        }
        cand -= two_n;
    }
    out
}

/// A generator of the order-`2n` subgroup of `Z_q^*`: a primitive `2n`-th
/// root of unity `ψ` (so `ψ^n = −1`). The smallest such root is returned, so
/// that tables are reproducible.
///
/// # Panics
/// If `q ≢ 1 (mod 2n)` (an internal bug: primes come from
/// [`ntt_primes_below`]).
#[must_use]
pub fn primitive_root_2n(q: u64, n: usize) -> u64 {
    let two_n = 2 * n as u64;
    assert_eq!((q - 1) % two_n, 0, "q = {q} is not 1 mod 2N = {two_n}");
    let m = Modulus::new(q);
    let cofactor = (q - 1) / two_n;
    let mut best = u64::MAX;
    for g in 2..q {
        let psi = m.pow(g, cofactor);
        // ψ has order exactly 2n iff ψ^n = −1.
        if m.pow(psi, n as u64) == q - 1 {
            // Every primitive 2n-th root is ψ^k for odd k; take the smallest.
            let psi2 = m.mul(psi, psi);
            let mut r = psi;
            for _ in 0..n {
                best = best.min(r);
                r = m.mul(r, psi2);
            }
            return best;
        }
    }
    unreachable!("no primitive root found for prime {q}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_are_ntt_friendly_and_sized() {
        for (bits, log_n) in [(30, 10), (40, 13), (49, 13), (60, 13), (61, 16)] {
            let n = 1usize << log_n;
            let ps = ntt_primes_below(bits, n, 3, &[]);
            assert_eq!(ps.len(), 3);
            for &q in &ps {
                assert!(is_prime(q));
                assert_eq!(64 - q.leading_zeros(), bits);
                assert_eq!(q % (2 * n as u64), 1);
                let psi = primitive_root_2n(q, n);
                let m = Modulus::new(q);
                assert_eq!(m.pow(psi, n as u64), q - 1);
            }
            assert!(ps.windows(2).all(|w| w[0] > w[1]));
        }
        assert!(!is_prime(1) && is_prime(2) && !is_prime(561) && is_prime(1_000_000_007));
        // Carmichael numbers and strong pseudoprimes to small bases.
        assert!(!is_prime(3_215_031_751) && !is_prime(3_825_123_056_546_413_051));
    }
}
