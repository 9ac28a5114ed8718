//! Limb-parallel loops on rayon's pool.
//!
//! Limbs of an RNS polynomial are independent, so the heavy loops run one
//! task per limb. With a single-thread pool (or a single limb) the loop runs
//! on the calling thread instead: handing each loop to a pool thread and
//! waiting for it costs a wake-up and a sleep per call, which a
//! single-threaded caller would pay on every key switch for nothing.

use rayon::prelude::*;

/// Whether a loop over `items` tasks is worth sending to the pool.
fn parallel(items: usize) -> bool {
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
    debug_assert_eq!(a.len(), b.len());
    if parallel(a.len() / n) {
        a.par_chunks_exact_mut(n)
            .zip(b.par_chunks_exact_mut(n))
            .enumerate()
            .for_each(|(i, (x, y))| f(i, x, y));
    } else {
        a.chunks_exact_mut(n)
            .zip(b.chunks_exact_mut(n))
            .enumerate()
            .for_each(|(i, (x, y))| f(i, x, y));
    }
}
