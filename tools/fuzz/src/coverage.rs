//! Coverage feedback on stable Rust, from LLVM's SanitizerCoverage.
//!
//! A build with `-C passes=sancov-module` and `-C llvm-args=-sanitizer-coverage-inline-8bit-counters`
//! (stable rustc flags; `tools/fuzz/coverage-build.sh` adds them to the readers' crates only)
//! gives every basic block of the instrumented code a one-byte counter that the block increments
//! inline, and registers each module's counters at start-up through
//! [`__sanitizer_cov_8bit_counters_init`], defined here. There is no callback per block and no
//! nightly feature: after each input the harness reads the counters, keeps the input when it
//! reached a counter, or a count bucket of a counter, never reached before (libFuzzer's and AFL's
//! rule), and zeroes them for the next input.
//!
//! In an ordinary build nothing registers: [`instrumented`] is false and the fuzzer runs blind.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Counter regions that can be registered: one per instrumented module (codegen unit).
const MAX_REGIONS: usize = 1 << 14;

static STARTS: [AtomicPtr<u8>; MAX_REGIONS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_REGIONS];
static LENS: [AtomicUsize; MAX_REGIONS] = [const { AtomicUsize::new(0) }; MAX_REGIONS];
static REGIONS: AtomicUsize = AtomicUsize::new(0);

/// Called by each instrumented module's constructor, before `main`, with its counters.
///
/// # Safety
/// `start..stop` is the module's counter array, alive for the whole process (LLVM's contract).
#[no_mangle]
pub unsafe extern "C" fn __sanitizer_cov_8bit_counters_init(start: *mut u8, stop: *mut u8) {
    if start.is_null() || stop <= start {
        return;
    }
    let i = REGIONS.fetch_add(1, Ordering::SeqCst);
    if i < MAX_REGIONS {
        STARTS[i].store(start, Ordering::SeqCst);
        LENS[i].store(stop as usize - start as usize, Ordering::SeqCst);
    }
}

/// Whether this binary was built with coverage counters.
pub fn instrumented() -> bool {
    counters() > 0
}

/// The number of counters (basic blocks of the instrumented code).
pub fn counters() -> usize {
    regions().map(|(_, len)| len).sum()
}

fn regions() -> impl Iterator<Item = (*mut u8, usize)> {
    let n = REGIONS.load(Ordering::SeqCst).min(MAX_REGIONS);
    (0..n).map(|i| {
        (
            STARTS[i].load(Ordering::SeqCst),
            LENS[i].load(Ordering::SeqCst),
        )
    })
}

/// AFL's count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ as one bit each.
fn bucket(count: u8) -> u8 {
    match count {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4..=7 => 8,
        8..=15 => 16,
        16..=31 => 32,
        32..=127 => 64,
        _ => 128,
    }
}

/// The counters' buckets reached so far, over every input.
#[derive(Default)]
pub struct CoverageMap {
    seen: Vec<u8>,
}

impl CoverageMap {
    /// An empty map.
    pub fn new() -> Self {
        Self {
            seen: vec![0; counters()],
        }
    }

    /// Zeroes the counters before an input (what ran since, the harness included, is counted
    /// against the next input otherwise).
    pub fn reset() {
        for (start, len) in regions() {
            // SAFETY: a registered region is a live counter array of `len` bytes.
            unsafe { std::ptr::write_bytes(start, 0, len) };
        }
    }

    // ANCHOR: merge
    /// Merges the counters of the input that just ran: how many (counter, bucket) pairs are new.
    pub fn merge(&mut self) -> usize {
        let mut new = 0;
        let mut offset = 0;
        for (start, len) in regions() {
            // SAFETY: as in `reset`; the reader's threads have finished or been abandoned, and a
            // racing increment only changes which bucket is seen.
            let counts = unsafe { std::slice::from_raw_parts(start, len) };
            for (seen, &c) in self.seen[offset..offset + len].iter_mut().zip(counts) {
                let b = bucket(c);
                if b & !*seen != 0 {
                    *seen |= b;
                    new += 1;
                }
            }
            offset += len;
        }
        new
    }
    // ANCHOR_END: merge

    /// Counters reached by at least one input: the blocks covered.
    pub fn covered(&self) -> usize {
        self.seen.iter().filter(|&&s| s != 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_one_bit_each_and_grow_with_the_count() {
        let all: Vec<u8> = [1u8, 2, 3, 4, 8, 16, 32, 128]
            .iter()
            .map(|&c| bucket(c))
            .collect();
        assert_eq!(all, vec![1, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(7), bucket(4));
        assert_eq!(bucket(255), 128);
    }

    #[test]
    fn an_ordinary_build_registers_no_counters() {
        // The test suite is not built with SanitizerCoverage.
        assert!(!instrumented());
        let mut map = CoverageMap::new();
        CoverageMap::reset();
        assert_eq!((map.merge(), map.covered()), (0, 0));
    }
}
