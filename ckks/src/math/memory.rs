//! Mapping the pages of large new buffers in one call.
//!
//! A key set is tens of megabytes written once, and on Linux every fresh
//! 4 KiB page costs a fault the first time it is touched: for the ±2^k
//! Galois keys at N = 8192 that was about 30 % of key generation's
//! `perf record` samples. `MADV_POPULATE_WRITE` (Linux 5.14) maps a whole
//! range in one system call instead. It changes no contents, so it can
//! be applied to a vector's spare capacity before the vector is written.
//! On other systems, and on kernels that refuse it, nothing happens.

use crate::math::aligned::AlignedVec;

/// Maps the pages that lie wholly inside `v`'s allocation (its capacity),
/// so writing them does not fault page by page. For new blocks of buffers
/// that outlive the call that makes them (keys, expanded seeds), through
/// [`AlignedVec::with_capacity_mapped`]; on memory already mapped it would
/// cost a system call and a walk of the page tables.
pub(crate) fn prefault(v: &mut AlignedVec) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let bytes = v.capacity() * std::mem::size_of::<u64>();
        let start = v.as_mut_ptr() as usize;
        let first = start.next_multiple_of(PAGE);
        let end = (start + bytes) / PAGE * PAGE;
        if end > first {
            // SAFETY: [first, end) lies inside `v`'s allocation, which `v`
            // keeps alive for the call; MADV_POPULATE_WRITE only maps pages
            // (as a write fault would) and changes no byte of them. Its
            // result is ignored: an old kernel's EINVAL leaves the pages to
            // fault one by one, as they would have.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    end - first,
                    libc::MADV_POPULATE_WRITE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}
