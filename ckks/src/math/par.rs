//! Limb-parallel loops on rayon's pool.
//!
//! Limbs of an RNS polynomial are independent, so the heavy loops run one
//! task per limb. With a single-thread pool (or a single limb) the loop runs
//! on the calling thread instead: handing each loop to a pool thread and
//! waiting for it costs a wake-up and a sleep per call, which a
//! single-threaded caller would pay on every key switch for nothing.

use rayon::prelude::*;

/// Whether a loop over `items` tasks is worth sending to the pool.
pub(crate) fn parallel(items: usize) -> bool {
    items > 1 && rayon::current_num_threads() > 1
}

/// Runs `f(i, limb)` on every `n`-element limb of `data` (words, or words
/// still to be written).
pub(crate) fn for_each_limb<T, F>(n: usize, data: &mut [T], f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    if parallel(data.len() / n) {
        data.par_chunks_exact_mut(n)
            .enumerate()
            .for_each(|(i, l)| f(i, l));
    } else {
        data.chunks_exact_mut(n)
            .enumerate()
            .for_each(|(i, l)| f(i, l));
    }
}

/// Runs `f(i, a_limb, b_limb)` on the `n`-element limbs of two polynomials
/// over the same basis, limb by limb (words, or words still to be written).
pub(crate) fn for_each_limb_pair<T, F>(n: usize, a: &mut [T], b: &mut [T], f: F)
where
    T: Send,
    F: Fn(usize, &mut [T], &mut [T]) + Sync + Send,
{
    for_each_limb_pair_from(n, a, b, 0, f);
}

/// [`for_each_limb_pair`] with limbs `first..` handed out before
/// `..first`: with several threads, the first group starts at once on the
/// calling thread while the others take the second, so a caller whose
/// last limbs carry the most work puts them first rather than last behind
/// the others.
pub(crate) fn for_each_limb_pair_from<T, F>(n: usize, a: &mut [T], b: &mut [T], first: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T], &mut [T]) + Sync + Send,
{
    debug_assert_eq!(a.len(), b.len());
    let parallel = parallel(a.len() / n);
    let (a_lo, a_hi) = a.split_at_mut(first * n);
    let (b_lo, b_hi) = b.split_at_mut(first * n);
    if parallel {
        let hi = a_hi
            .par_chunks_exact_mut(n)
            .zip(b_hi.par_chunks_exact_mut(n));
        let lo = a_lo
            .par_chunks_exact_mut(n)
            .zip(b_lo.par_chunks_exact_mut(n));
        hi.enumerate()
            .map(|(i, xy)| (first + i, xy))
            .chain(lo.enumerate())
            .for_each(|(i, (x, y))| f(i, x, y));
    } else {
        let hi = a_hi.chunks_exact_mut(n).zip(b_hi.chunks_exact_mut(n));
        let lo = a_lo.chunks_exact_mut(n).zip(b_lo.chunks_exact_mut(n));
        hi.enumerate()
            .map(|(i, xy)| (first + i, xy))
            .chain(lo.enumerate())
            .for_each(|(i, (x, y))| f(i, x, y));
    }
}
