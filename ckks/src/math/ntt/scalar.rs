//! The reference NTT: Cooley–Tukey forward, Gentleman–Sande inverse, with
//! Harvey's lazy butterflies (values kept in `[0, 4q)` forward and `[0, 2q)`
//! inverse; one final reduction). Every SIMD backend must match it bit for bit.

use super::tables::NttTables;

/// Forward transform in place; input in `[0, 4q)`, output in `[0, 4q)`
/// (bit-reversed order).
pub fn forward_lazy(a: &mut [u64], t: &NttTables) {
    let q = t.modulus.value();
    let two_q = 2 * q;
    let n = t.n;
    let mut gap = n;
    let mut m = 1;
    while m < n {
        gap >>= 1;
        for i in 0..m {
            let w = t.psi_rev[m + i];
            let ws = t.psi_rev_shoup[m + i];
            let block = &mut a[2 * i * gap..2 * (i + 1) * gap];
            let (lo, hi) = block.split_at_mut(gap);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                // u ∈ [0, 2q), v ∈ [0, 2q)  ⇒  u + v, u − v + 2q ∈ [0, 4q).
                let u = (*x).min(x.wrapping_sub(two_q));
                let v = t.modulus.mul_shoup_lazy(*y, w, ws);
                *x = u + v;
                *y = u + two_q - v;
            }
        }
        m <<= 1;
    }
}

/// Forward transform in place; input in `[0, 4q)`, output in `[0, q)`.
pub fn forward(a: &mut [u64], t: &NttTables) {
    forward_lazy(a, t);
    let q = t.modulus.value();
    for x in a.iter_mut() {
        let y = (*x).min(x.wrapping_sub(2 * q));
        *x = y.min(y.wrapping_sub(q));
    }
}

/// Inverse transform in place (bit-reversed input, natural-order output),
/// including the factor `N^{-1}`; input in `[0, 2q)`, output in `[0, q)`.
pub fn inverse(a: &mut [u64], t: &NttTables) {
    let q = t.modulus.value();
    let two_q = 2 * q;
    let n = t.n;
    let mut gap = 1;
    let mut m = n;
    while m > 1 {
        let h = m >> 1;
        for i in 0..h {
            let w = t.psi_inv_rev[h + i];
            let ws = t.psi_inv_rev_shoup[h + i];
            let block = &mut a[2 * i * gap..2 * (i + 1) * gap];
            let (lo, hi) = block.split_at_mut(gap);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                // x, y ∈ [0, 2q) ⇒ x + y reduced to [0, 2q); (x − y + 2q)·w ∈ [0, 2q).
                let (u, v) = (*x, *y);
                let s = u + v;
                *x = s.min(s.wrapping_sub(two_q));
                *y = t.modulus.mul_shoup_lazy(u + two_q - v, w, ws);
            }
        }
        gap <<= 1;
        m = h;
    }
    for x in a.iter_mut() {
        *x = t.modulus.mul_shoup(*x, t.n_inv, t.n_inv_shoup);
    }
}
