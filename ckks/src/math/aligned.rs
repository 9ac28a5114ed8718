//! Word buffers that start on a 64-byte boundary.
//!
//! The vector kernels load and store 64 bytes at a time (eight 64-bit lanes
//! with AVX-512). The global allocator hands out `Vec<u64>` storage aligned
//! to 16 bytes only, so in most buffers every such access straddles two
//! cache lines, and a split load or store costs about two. [`AlignedVec`]
//! is a growable `u64` buffer whose first word sits on a cache-line
//! boundary; as every ring degree is a multiple of eight, so does every
//! limb of a polynomial kept in one. At `N = 8192` the IFMA transforms take
//! 1.5 to 7.5 % longer on limbs 16, 32 or 48 bytes past a cache line than
//! on aligned ones (`cargo run --release -p bench --example ntt_alignment
//! [bits]`; `docs/rns-ntt.md`).
//!
//! The type offers the parts of `Vec<u64>`'s interface the crate uses:
//! slices through `Deref`, growth by [`AlignedVec::extend`] and
//! [`AlignedVec::resize`], and writing into spare capacity
//! ([`AlignedVec::spare_capacity_mut`], [`AlignedVec::set_len`]) for limbs
//! that are computed straight into new memory.

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};

use zeroize::Zeroize;

/// The alignment of every [`AlignedVec`] buffer: one cache line, one
/// AVX-512 vector.
pub const ALIGN: usize = 64;

/// Blocks of at least this many bytes are kept for reuse when freed
/// ([`Recycled`]); smaller ones go back to the allocator, whose bins reuse
/// them anyway.
const RECYCLE_MIN_BYTES: usize = 128 << 10;

/// At most this many blocks, and this many bytes, are kept by each thread
/// for itself.
const LOCAL_MAX_BLOCKS: usize = 16;
const LOCAL_MAX_BYTES: usize = 32 << 20;

/// At most this many blocks, and this many bytes, are kept for every
/// thread together: room for the ±2^k Galois keys of the `seed` preset
/// (about 38 MB).
const SHARED_MAX_BLOCKS: usize = 512;
const SHARED_MAX_BYTES: usize = 64 << 20;

/// Large freed blocks, kept for the next buffers of about their size.
///
/// glibc returns the top of its heap to the system when more than a
/// threshold is free there, and serves requests above another threshold
/// with fresh mappings, both tuned for other workloads. A key switch at
/// `N = 16384` frees about ten blocks of a mebibyte, and the pages came
/// back as page faults on every call (a rotation at the `n16k` preset
/// spent a tenth of its time in the kernel). Key generation makes its keys
/// on the worker threads and its caller drops them on another: with
/// per-thread lists alone none of that memory came back to the workers,
/// and the kernel's mapping and unmapping of it took 39 % of the samples
/// of `perf record` on key generation at the `seed` preset.
///
/// A freed block goes to its thread's own list ([`LOCAL`]) while that has
/// room, else to the list every thread shares ([`SHARED`]), else back to
/// the allocator; a new buffer looks in the same order. The blocks hold
/// whatever their last buffer left, as freed memory does; secrets are
/// wiped before their buffers are dropped. [`release_cached`] hands every
/// kept block back.
struct Recycled {
    /// Kept blocks' starts by the capacity (in words) they were allocated
    /// for.
    blocks: BTreeMap<usize, Vec<NonNull<u8>>>,
    count: usize,
    bytes: usize,
    max_blocks: usize,
    max_bytes: usize,
}

// SAFETY: the list owns its blocks alone (no buffer points into them), so
// it may be handed to, and used from, another thread.
unsafe impl Send for Recycled {}

impl Recycled {
    const fn new(max_blocks: usize, max_bytes: usize) -> Self {
        Self {
            blocks: BTreeMap::new(),
            count: 0,
            bytes: 0,
            max_blocks,
            max_bytes,
        }
    }

    /// A kept block for at least `cap` words and at most twice as many
    /// (the smallest such), if any.
    fn take(&mut self, cap: usize) -> Option<(NonNull<u8>, usize)> {
        let (&kept, list) = self.blocks.range_mut(cap..=cap.saturating_mul(2)).next()?;
        let raw = list.pop().expect("no empty list is kept");
        if list.is_empty() {
            self.blocks.remove(&kept);
        }
        self.count -= 1;
        self.bytes -= AlignedVec::layout(kept).size();
        Some((raw, kept))
    }

    /// Keeps the block if there is room; returns it otherwise.
    fn keep(&mut self, raw: NonNull<u8>, cap: usize) -> Option<(NonNull<u8>, usize)> {
        let size = AlignedVec::layout(cap).size();
        if self.count >= self.max_blocks || self.bytes + size > self.max_bytes {
            return Some((raw, cap));
        }
        self.blocks.entry(cap).or_default().push(raw);
        self.count += 1;
        self.bytes += size;
        None
    }

    /// Frees every kept block.
    fn clear(&mut self) {
        for (cap, list) in std::mem::take(&mut self.blocks) {
            for raw in list {
                // SAFETY: every kept block came from the global allocator
                // with `layout(cap)` and is owned by this list alone.
                unsafe { alloc::dealloc(raw.as_ptr(), AlignedVec::layout(cap)) };
            }
        }
        self.count = 0;
        self.bytes = 0;
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        self.clear();
    }
}

thread_local! {
    /// This thread's kept blocks, freed when it exits.
    static LOCAL: RefCell<Recycled> =
        const { RefCell::new(Recycled::new(LOCAL_MAX_BLOCKS, LOCAL_MAX_BYTES)) };
}

/// The blocks every thread may take.
static SHARED: Mutex<Recycled> = Mutex::new(Recycled::new(SHARED_MAX_BLOCKS, SHARED_MAX_BYTES));

/// The shared list; a panic while it was held leaves it consistent (its
/// methods do not panic between updates), so a poisoned lock is taken over.
fn shared() -> MutexGuard<'static, Recycled> {
    SHARED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A kept block for `cap` words ([`Recycled::take`]): this thread's first,
/// then a shared one.
fn take_recycled(cap: usize) -> Option<(NonNull<u8>, usize)> {
    if AlignedVec::layout(cap).size() < RECYCLE_MIN_BYTES {
        return None;
    }
    LOCAL
        .try_with(|r| r.try_borrow_mut().ok().and_then(|mut r| r.take(cap)))
        .ok()
        .flatten()
        .or_else(|| shared().take(cap))
}

/// Frees a block of `cap` words, or keeps it for reuse: on this thread if
/// it has room, else for every thread.
///
/// # Safety
/// `raw` was allocated by the global allocator with `AlignedVec::layout(cap)`
/// and is not used again by the caller.
unsafe fn release(raw: NonNull<u8>, cap: usize) {
    let back = if AlignedVec::layout(cap).size() < RECYCLE_MIN_BYTES {
        Some((raw, cap))
    } else {
        LOCAL
            .try_with(|r| match r.try_borrow_mut() {
                Ok(mut r) => r.keep(raw, cap),
                Err(_) => Some((raw, cap)),
            })
            .unwrap_or(Some((raw, cap)))
            .and_then(|(raw, cap)| shared().keep(raw, cap))
    };
    if let Some((raw, cap)) = back {
        // SAFETY: guaranteed by the caller; the block was not kept.
        unsafe { alloc::dealloc(raw.as_ptr(), AlignedVec::layout(cap)) };
    }
}

/// Hands every large buffer block kept for reuse back to the allocator:
/// the calling thread's and the shared ones (other threads' own lists are
/// freed when those threads exit). For a program that is done with its
/// keys and ciphertexts and wants its resident memory back; up to
/// 64 MiB are kept for all threads and 32 MiB for each.
pub fn release_cached() {
    let _ = LOCAL.try_with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            r.clear();
        }
    });
    shared().clear();
}

/// A type aligned as a cache line, for [`AlignedVec::new`]'s dangling
/// pointer.
#[repr(align(64))]
struct Line;

const _: () = assert!(std::mem::align_of::<Line>() == ALIGN);

/// A growable buffer of `u64` whose storage starts on a [`ALIGN`]-byte
/// boundary. Owns its words as `Vec<u64>` does; [`Zeroize`] wipes the whole
/// allocation, spare capacity included. `Debug` shows the length only (the
/// buffers hold secrets too).
///
/// The block comes from the global allocator with the alignment of `u64`
/// and `ALIGN − 8` bytes to spare, and the words start at the first
/// cache line inside it. Asking the allocator for 64-byte alignment instead
/// would be simpler, but glibc serves large aligned requests by mapping
/// fresh pages every time, and the page faults made a rotation about a
/// quarter slower; ordinary requests reuse freed memory. Blocks of
/// 128 KiB or more are in addition kept for reuse (up to 16 blocks and
/// 32 MiB by each thread, and 512 blocks and 64 MiB shared between
/// threads; [`release_cached`] frees them), whose pages glibc would
/// otherwise hand back to the system and fault in again.
pub struct AlignedVec {
    /// The first word, on a cache line.
    ptr: NonNull<u64>,
    len: usize,
    cap: usize,
    /// Bytes from the start of the allocated block to `ptr` (`< ALIGN`).
    skip: usize,
}

// SAFETY: an `AlignedVec` owns its allocation alone, as `Vec<u64>` does, and
// hands out references to it only through `&self` / `&mut self`.
unsafe impl Send for AlignedVec {}
// SAFETY: as for `Send`; shared access gives `&[u64]` only.
unsafe impl Sync for AlignedVec {}

impl AlignedVec {
    /// An empty buffer (no allocation).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            ptr: Self::dangling(),
            len: 0,
            cap: 0,
            skip: 0,
        }
    }

    /// A non-null pointer aligned to [`ALIGN`] for the empty buffer, never
    /// read, written or freed (capacity 0).
    const fn dangling() -> NonNull<u64> {
        NonNull::<Line>::dangling().cast::<u64>()
    }

    /// An empty buffer with room for `cap` words.
    ///
    /// # Panics
    /// If `cap` words exceed `isize::MAX` bytes; aborts if the allocator
    /// fails, as `Vec` does.
    #[must_use]
    pub fn with_capacity(cap: usize) -> Self {
        let mut v = Self::new();
        v.reserve(cap);
        v
    }

    /// [`Self::with_capacity`] for a buffer that outlives the call making
    /// it (a key's polynomial): if the block is new, its pages are mapped
    /// in one call ([`crate::math::memory::prefault`]) instead of faulting
    /// one at a time as they are written. A reused block's pages are
    /// mapped already, and asking again would walk its page tables for
    /// nothing (about 4 % of key generation's samples).
    #[must_use]
    pub(crate) fn with_capacity_mapped(cap: usize) -> Self {
        let mut v = Self::new();
        if cap > 0 && v.allocate(cap, false) {
            crate::math::memory::prefault(&mut v);
        }
        v
    }

    /// `len` zero words (from zeroed memory, no fill loop).
    ///
    /// # Panics
    /// As [`Self::with_capacity`].
    #[must_use]
    pub fn zeroed(len: usize) -> Self {
        let mut v = Self::new();
        if len > 0 {
            let _ = v.allocate(len, true);
            v.len = len;
        }
        v
    }

    /// A copy of `words`.
    #[must_use]
    pub fn from_slice(words: &[u64]) -> Self {
        let mut v = Self::with_capacity(words.len());
        v.extend_from_slice(words);
        v
    }

    /// The block for `cap > 0` words: `u64`-aligned, `ALIGN − 8` bytes
    /// longer than the words.
    fn layout(cap: usize) -> Layout {
        cap.checked_mul(8)
            .and_then(|bytes| bytes.checked_add(ALIGN - 8))
            .and_then(|bytes| Layout::from_size_align(bytes, 8).ok())
            .expect("AlignedVec: capacity overflows isize::MAX bytes")
    }

    /// Moves the words into a new block of `cap > 0` words (zeroed if
    /// `zero`) and frees the old one. True if the block came from the
    /// allocator, false if it was a kept one.
    fn allocate(&mut self, cap: usize, zero: bool) -> bool {
        let want = cap;
        let (raw, cap, stale) = if let Some((raw, kept)) = take_recycled(cap) {
            (raw.as_ptr(), kept, true)
        } else {
            let layout = Self::layout(cap);
            // SAFETY: the layout has non-zero size.
            let raw = unsafe {
                if zero {
                    alloc::alloc_zeroed(layout)
                } else {
                    alloc::alloc(layout)
                }
            };
            if raw.is_null() {
                alloc::handle_alloc_error(layout)
            }
            (raw, cap, false)
        };
        // The block is 8-aligned, so the first cache line in it starts at
        // most ALIGN − 8 bytes in, and `cap` words fit after it.
        let skip = (ALIGN - raw as usize % ALIGN) % ALIGN;
        debug_assert!(skip <= ALIGN - 8);
        // SAFETY: `skip + 8·cap ≤ layout(cap).size()`, inside the block.
        let ptr = unsafe { raw.add(skip) }.cast::<u64>();
        if zero && stale {
            // A kept block holds old words: the `want` asked for are zeroed.
            // SAFETY: `want ≤ cap` words from `ptr` lie inside the block.
            unsafe { std::ptr::write_bytes(ptr, 0, want) };
        }
        if self.cap > 0 {
            // SAFETY: the old words are initialized up to `len ≤ cap`; the
            // blocks are distinct; the old block was allocated with
            // `layout(self.cap)` and `skip` bytes before `self.ptr`, and is
            // released once, here.
            unsafe {
                std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), ptr, self.len);
                release(
                    NonNull::new_unchecked(self.ptr.as_ptr().cast::<u8>().sub(self.skip)),
                    self.cap,
                );
            }
        }
        // SAFETY: `raw` is not null and `skip` keeps it inside the block.
        self.ptr = unsafe { NonNull::new_unchecked(ptr) };
        self.cap = cap;
        self.skip = skip;
        !stale
    }

    /// Number of words.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no words.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Words the buffer holds without reallocating.
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The words.
    #[inline]
    #[must_use]
    pub fn as_slice(&self) -> &[u64] {
        // SAFETY: `ptr` is aligned, valid for `cap ≥ len` words, and the
        // first `len` are initialized (the invariant every method keeps).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The words, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u64] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Makes room for at least `additional` more words.
    ///
    /// # Panics
    /// If the new capacity exceeds `isize::MAX` bytes; aborts if the
    /// allocator fails.
    pub fn reserve(&mut self, additional: usize) {
        let need = self
            .len
            .checked_add(additional)
            .expect("AlignedVec: capacity overflows usize");
        if need <= self.cap {
            return;
        }
        let _ = self.allocate(need.max(2 * self.cap), false);
    }

    /// The words after the length, up to the capacity, not yet
    /// initialized: write them, then [`Self::set_len`].
    pub fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<u64>] {
        // SAFETY: the `cap − len` words after `len` lie inside the
        // allocation; `MaybeUninit` asks nothing of their contents, and
        // `&mut self` makes the access unique.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.ptr.as_ptr().add(self.len).cast::<MaybeUninit<u64>>(),
                self.cap - self.len,
            )
        }
    }

    /// Sets the length.
    ///
    /// # Safety
    /// `len ≤ capacity()`, and the words up to `len` are initialized.
    pub unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.cap);
        self.len = len;
    }

    /// Appends the iterator's words, written straight into the spare
    /// capacity (room for the iterator's lower size bound is made first,
    /// and more as needed).
    pub fn extend<I: IntoIterator<Item = u64>>(&mut self, words: I) {
        let mut words = words.into_iter();
        self.reserve(words.size_hint().0);
        loop {
            let spare = self.spare_capacity_mut();
            let room = spare.len();
            let mut written = 0;
            // `zip` asks `words` for an item only while there is a slot.
            for (slot, w) in spare.iter_mut().zip(&mut words) {
                slot.write(w);
                written += 1;
            }
            // SAFETY: the loop initialized the `written` words after `len`,
            // inside the capacity.
            unsafe { self.set_len(self.len + written) };
            if written < room {
                return;
            }
            // The buffer is full: it grows only if a word is left (a buffer
            // filled exactly to its capacity keeps it).
            let Some(w) = words.next() else {
                return;
            };
            self.reserve(words.size_hint().0.saturating_add(1));
            self.spare_capacity_mut()[0].write(w);
            // SAFETY: the reserve made room for at least one word after
            // `len`, now initialized.
            unsafe { self.set_len(self.len + 1) };
        }
    }

    /// Appends a copy of `words`.
    pub fn extend_from_slice(&mut self, words: &[u64]) {
        self.reserve(words.len());
        // SAFETY: the reserve leaves room for `words.len()` words after
        // `len`; a shared `words` cannot overlap the buffer `&mut self`
        // holds; they are initialized once copied.
        unsafe {
            std::ptr::copy_nonoverlapping(
                words.as_ptr(),
                self.ptr.as_ptr().add(self.len),
                words.len(),
            );
        }
        self.len += words.len();
    }

    /// Keeps the first `len` words (all of them if there are fewer).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Shortens to `len` words or appends copies of `value` up to it.
    pub fn resize(&mut self, len: usize, value: u64) {
        if len <= self.len {
            self.len = len;
        } else {
            let more = len - self.len;
            self.extend(std::iter::repeat_n(value, more));
        }
    }
}

impl Drop for AlignedVec {
    fn drop(&mut self) {
        if self.cap > 0 {
            // SAFETY: the block starts `skip` bytes before `ptr`, was
            // allocated with `layout(cap)` and is released once.
            unsafe {
                release(
                    NonNull::new_unchecked(self.ptr.as_ptr().cast::<u8>().sub(self.skip)),
                    self.cap,
                );
            }
        }
    }
}

impl Default for AlignedVec {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for AlignedVec {
    fn clone(&self) -> Self {
        Self::from_slice(self)
    }
}

impl Deref for AlignedVec {
    type Target = [u64];

    #[inline]
    fn deref(&self) -> &[u64] {
        self.as_slice()
    }
}

impl DerefMut for AlignedVec {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u64] {
        self.as_mut_slice()
    }
}

impl PartialEq for AlignedVec {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for AlignedVec {}

impl std::fmt::Debug for AlignedVec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedVec {{ len: {} }}", self.len)
    }
}

impl From<&[u64]> for AlignedVec {
    fn from(words: &[u64]) -> Self {
        Self::from_slice(words)
    }
}

impl From<Vec<u64>> for AlignedVec {
    /// Copies the words into aligned storage (the `Vec` is freed).
    fn from(words: Vec<u64>) -> Self {
        Self::from_slice(&words)
    }
}

impl FromIterator<u64> for AlignedVec {
    fn from_iter<I: IntoIterator<Item = u64>>(words: I) -> Self {
        let mut v = Self::new();
        v.extend(words);
        v
    }
}

impl Zeroize for AlignedVec {
    /// Zeroes every word of the allocation, the spare capacity too, and
    /// leaves the length as it was.
    fn zeroize(&mut self) {
        self.as_mut_slice().zeroize();
        // Word by word: `zeroize` on a `MaybeUninit` slice writes one byte
        // at a time, eight times the stores (a secret key's drop took a
        // quarter of its generation that way).
        for w in self.spare_capacity_mut() {
            // SAFETY: `w` is a valid, aligned word of the allocation; the
            // volatile write is not elided, as `zeroize`'s are not.
            unsafe { std::ptr::write_volatile(w, MaybeUninit::new(0)) };
        }
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned(v: &AlignedVec) -> bool {
        (v.as_ptr() as usize).is_multiple_of(ALIGN)
    }

    #[test]
    fn storage_is_aligned_through_growth() {
        let mut v = AlignedVec::new();
        assert!(v.is_empty() && aligned(&v));
        for i in 0..1000u64 {
            v.extend([i]);
            assert!(aligned(&v), "after {} words", i + 1);
        }
        assert_eq!(v.len(), 1000);
        assert!(v.iter().copied().eq(0..1000));
        // An iterator that promises nothing (lower size bound 0) grows the
        // buffer as it goes, without losing a word.
        let mut f = AlignedVec::new();
        f.extend((0..3000u64).filter(|x| x % 3 == 0));
        assert!(aligned(&f) && f.iter().copied().eq((0..3000).step_by(3)));
        // Filled exactly to its capacity, by one iterator or several, a
        // buffer keeps that capacity.
        let mut e = AlignedVec::with_capacity(64);
        e.extend(0..64u64);
        assert_eq!((e.len(), e.capacity()), (64, 64));
        let mut e = AlignedVec::with_capacity(64);
        e.extend(0..32u64);
        e.extend((32..64u64).filter(|_| true));
        assert_eq!((e.len(), e.capacity()), (64, 64));
        assert!(e.iter().copied().eq(0..64));
        let z = AlignedVec::zeroed(8192);
        assert!(aligned(&z) && z.len() == 8192 && z.iter().all(|&x| x == 0));
        let c = v.clone();
        assert!(aligned(&c) && c == v);
    }

    #[test]
    fn large_blocks_are_reused_zeroed_when_asked() {
        // The test harness may run this on a thread an earlier test left
        // with a full list, where the freed block would go back to the
        // allocator (which may hand its address to the next buffer):
        // start from an empty list, leaving the shared one to the others.
        LOCAL.with(|r| r.borrow_mut().clear());
        // A block of 1 MiB, dirtied and dropped, serves the next buffer of
        // that size on this thread: aligned, and zero where `zeroed` says.
        let words = 1 << 17;
        let mut a = AlignedVec::zeroed(words);
        a.iter_mut().for_each(|x| *x = u64::MAX);
        let block = a.as_ptr();
        drop(a);
        let z = AlignedVec::zeroed(words);
        assert_eq!(z.as_ptr(), block, "the freed block is reused");
        assert!(aligned(&z) && z.len() == words && z.iter().all(|&x| x == 0));
        // A much smaller request does not take it (at most twice the size).
        drop(z);
        let small = AlignedVec::with_capacity(words / 4);
        assert_ne!(small.as_ptr(), block);
        assert_eq!(small.capacity(), words / 4);
        // Nor does a larger one, which gets a block of its own.
        let big = AlignedVec::with_capacity(words + 1);
        assert_ne!(big.as_ptr(), block);
        assert!(big.capacity() > words);
        // A block kept for `words` serves a request for fewer words, up to
        // half, and keeps its capacity.
        let half = AlignedVec::with_capacity(words / 2 + 1);
        assert_eq!((half.as_ptr(), half.capacity()), (block, words));
    }

    #[test]
    fn blocks_freed_on_one_thread_serve_another() {
        // 40 MiB is more than a thread keeps for itself, so the freed block
        // goes to the shared list, and a buffer made on another thread gets
        // it. No other test asks for a block of 20 to 40 MiB.
        let words = 5 << 20;
        let block = std::thread::spawn(move || {
            let mut a = AlignedVec::with_capacity(words);
            a.resize(words, 7);
            a.as_ptr() as usize
        })
        .join()
        .expect("first thread");
        let kept = shared().blocks.get(&words).is_some_and(|list| {
            // A block starts less than a cache line before its words.
            list.iter().any(|raw| {
                let start = raw.as_ptr() as usize;
                start <= block && block < start + ALIGN
            })
        });
        assert!(kept, "the block is kept in the shared list");
        let (got, cap, local) = std::thread::spawn(move || {
            let b = AlignedVec::with_capacity_mapped(words);
            let got = (b.as_ptr() as usize, b.capacity());
            // Freed here, it is again too large for this thread's list.
            drop(b);
            let local = LOCAL.with(|r| r.borrow().count);
            (got.0, got.1, local)
        })
        .join()
        .expect("second thread");
        assert_eq!((got, cap), (block, words), "the shared block is reused");
        assert_eq!(local, 0);
    }

    #[test]
    fn release_cached_frees_this_threads_blocks() {
        std::thread::spawn(|| {
            let words = 1 << 15;
            let blocks: Vec<AlignedVec> = (0..3).map(|_| AlignedVec::zeroed(words)).collect();
            drop(blocks);
            assert_eq!(LOCAL.with(|r| r.borrow().count), 3);
            release_cached();
            assert_eq!(LOCAL.with(|r| (r.borrow().count, r.borrow().bytes)), (0, 0));
            // With nothing kept here, a new buffer is still aligned and
            // zeroed where asked.
            let z = AlignedVec::zeroed(words);
            assert!(aligned(&z) && z.iter().all(|&x| x == 0));
        })
        .join()
        .expect("thread");
    }

    #[test]
    fn spare_capacity_resize_and_wipe() {
        let mut v = AlignedVec::with_capacity(16);
        assert!(v.capacity() >= 16 && aligned(&v));
        for (i, w) in v.spare_capacity_mut()[..16].iter_mut().enumerate() {
            w.write(i as u64 * 3);
        }
        // SAFETY: the 16 words were written just above.
        unsafe { v.set_len(16) };
        assert_eq!(v[15], 45);
        v.resize(20, 7);
        assert_eq!(&v[14..], &[42, 45, 7, 7, 7, 7]);
        v.truncate(30);
        assert_eq!(v.len(), 20);
        v.truncate(6);
        v.extend_from_slice(&[1, 2]);
        assert_eq!(v.as_slice(), &[0, 3, 6, 9, 12, 15, 1, 2]);
        v.resize(4, 0);
        assert_eq!(v.as_slice(), &[0, 3, 6, 9]);
        v.zeroize();
        assert_eq!(v.as_slice(), &[0; 4], "length kept, words wiped");
        // The words past the length (45 and the 7s) were wiped as well.
        // SAFETY: `zeroize` initialized the whole capacity (≥ 20 words).
        unsafe { v.set_len(20) };
        assert!(v.iter().all(|&x| x == 0));
        assert_eq!(format!("{v:?}"), "AlignedVec { len: 20 }");
        assert_eq!(AlignedVec::from(vec![1u64, 2]).as_slice(), &[1, 2]);
    }
}
