//! Per-thread scratch buffers for the inner loops of key switching.
//!
//! A key switch needs a few limb-sized temporaries per target limb; fresh
//! zeroed vectors for them cost a zero fill (and, when the allocator hands
//! back new memory, page faults) on every call. Each thread keeps one
//! buffer instead and lends it out, grown to the largest size asked for.

use std::cell::RefCell;

use zeroize::Zeroize;

use crate::math::aligned::AlignedVec;

thread_local! {
    static SCRATCH: RefCell<AlignedVec> = const { RefCell::new(AlignedVec::new()) };
}

/// Whether the lent words are wiped when the loan ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wipe {
    /// For data the caller already holds in the clear (a ciphertext being
    /// switched): left as is, to be overwritten by the next loan.
    No,
    /// For values that must not outlive the call (an encryption's
    /// intermediate sums): zeroized.
    Yes,
}

/// Runs `f` on `len` words of this thread's scratch buffer, which starts on
/// a cache line ([`AlignedVec`]; so does every limb cut from it at a
/// multiple of `N`). The words hold
/// whatever the last loan left (or zeros): `f` must write before it reads.
/// A nested loan on the same thread gets a fresh vector.
pub(crate) fn with_scratch<T>(len: usize, wipe: Wipe, f: impl FnOnce(&mut [u64]) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0);
            }
            let out = f(&mut buf[..len]);
            if wipe == Wipe::Yes {
                buf[..len].zeroize();
            }
            out
        }
        Err(_) => {
            let mut buf = AlignedVec::zeroed(len);
            let out = f(&mut buf);
            if wipe == Wipe::Yes {
                buf.zeroize();
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loans_are_reused_grown_nested_and_wiped() {
        with_scratch(4, Wipe::No, |b| b.copy_from_slice(&[1, 2, 3, 4]));
        // The same words come back (this thread, not wiped).
        with_scratch(4, Wipe::Yes, |b| assert_eq!(b, &[1, 2, 3, 4]));
        with_scratch(4, Wipe::No, |b| assert_eq!(b, &[0; 4], "wiped after use"));
        // Grown to a larger size; a nested loan is separate.
        with_scratch(8, Wipe::No, |outer| {
            outer.fill(7);
            with_scratch(8, Wipe::No, |inner| {
                assert_eq!(inner, &[0; 8]);
                inner.fill(9);
            });
            assert_eq!(outer, &[7; 8]);
        });
    }
}
