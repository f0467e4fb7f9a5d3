//! burn-gan patch 6: element-wise loops over large buffers split across the rayon pool.
//!
//! burn-flex 0.21 ran its element-wise loops (unary maps, scalar ops, the generic binary
//! path, per-row broadcasts, predicates) on the calling thread, and its SIMD kernels went
//! parallel only from 4M elements. A DCGAN training step is dominated by tensors of 50k to
//! 1M elements, so on a 2-core machine those passes left one core idle for about 40% of the
//! step. The helpers below split a buffer into a few contiguous chunks (about four per
//! thread, never below [`ELEMENTWISE_PARALLEL_MIN`] / 4 elements) and run the same sequential
//! loop on each; each element is computed by the same expression as before, so results are
//! bit-identical to the sequential loop.

use alloc::vec::Vec;

/// Minimum element count before an element-wise loop is split across threads. Below it the
/// fan-out (a few microseconds) costs more than the loop saves.
pub(crate) const ELEMENTWISE_PARALLEL_MIN: usize = 64 * 1024;

/// Whether a loop over `len` elements is split across threads: large enough, and a pool of
/// more than one thread (with one thread the hand-off to the pool only costs time).
#[inline]
pub(crate) fn parallel_worth(len: usize) -> bool {
    #[cfg(feature = "rayon")]
    {
        len >= ELEMENTWISE_PARALLEL_MIN && rayon::current_num_threads() > 1
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = len;
        false
    }
}

/// The chunk length used for a buffer of `len` elements, or `None` to stay sequential.
#[cfg(feature = "rayon")]
#[inline]
fn chunk_len(len: usize) -> Option<usize> {
    parallel_worth(len).then(|| {
        let pieces = rayon::current_num_threads() * 4;
        let chunk = len.div_ceil(pieces).max(ELEMENTWISE_PARALLEL_MIN / 4);
        // Multiples of 64 elements keep chunk starts on cache lines for 4- and 8-byte types.
        chunk.div_ceil(64) * 64
    })
}

#[cfg(not(feature = "rayon"))]
#[inline]
fn chunk_len(_len: usize) -> Option<usize> {
    None
}

/// How many items, each costing `work_per_item` elements, one parallel chunk takes (the
/// policy of [`chunk_len`] applied to the total work), or `None` to stay sequential.
#[inline]
fn items_per_chunk(items: usize, work_per_item: usize) -> Option<usize> {
    chunk_len(items * work_per_item).map(|chunk| (chunk / work_per_item.max(1)).max(1))
}

/// `f` on consecutive chunks of `dst`, in parallel when `dst` is large.
#[inline]
pub(crate) fn for_each_chunk_mut<E, F>(dst: &mut [E], f: F)
where
    E: Send,
    F: Fn(&mut [E]) + Sync + Send,
{
    match chunk_len(dst.len()) {
        #[cfg(feature = "rayon")]
        Some(chunk) => {
            use rayon::prelude::*;
            dst.par_chunks_mut(chunk).for_each(f);
        }
        _ => f(dst),
    }
}

/// `f(dst chunk, src chunk)` on aligned chunks of two equally long buffers, in parallel
/// when they are large.
#[inline]
pub(crate) fn for_each_chunk_zip<E, R, F>(dst: &mut [E], src: &[R], f: F)
where
    E: Send,
    R: Sync,
    F: Fn(&mut [E], &[R]) + Sync + Send,
{
    debug_assert_eq!(dst.len(), src.len());
    match chunk_len(dst.len()) {
        #[cfg(feature = "rayon")]
        Some(chunk) => {
            use rayon::prelude::*;
            dst.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .for_each(|(d, s)| f(d, s));
        }
        _ => f(dst, src),
    }
}

/// `f` applied to every element of `src`, collected in order, in parallel when `src` is large.
#[inline]
pub(crate) fn map_collect<R, E, F>(src: &[R], f: F) -> Vec<E>
where
    R: Sync + Copy,
    E: Send + Copy,
    F: Fn(R) -> E + Sync + Send,
{
    match chunk_len(src.len()) {
        #[cfg(feature = "rayon")]
        Some(chunk) => collect_chunks(src.len(), chunk, |out, start| {
            let end = start + out.len();
            for (o, &x) in out.iter_mut().zip(&src[start..end]) {
                o.write(f(x));
            }
        }),
        _ => src.iter().map(|&x| f(x)).collect(),
    }
}

/// A vector of `len` elements filled chunk by chunk in parallel: `fill(chunk, start)` must
/// write every element of its chunk (elements `start..start + chunk.len()`). The buffer is not
/// zeroed first: a zeroing pass would run on the calling thread alone.
#[cfg(feature = "rayon")]
fn collect_chunks<E, F>(len: usize, chunk: usize, fill: F) -> Vec<E>
where
    E: Send + Copy,
    F: Fn(&mut [core::mem::MaybeUninit<E>], usize) + Sync + Send,
{
    use rayon::prelude::*;
    let mut out: Vec<core::mem::MaybeUninit<E>> = Vec::with_capacity(len);
    // SAFETY: `MaybeUninit` elements need no initialisation.
    unsafe { out.set_len(len) };
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(i, d)| fill(d, i * chunk));
    let mut out = core::mem::ManuallyDrop::new(out);
    // SAFETY: every chunk was written in full by `fill`; `MaybeUninit<E>` has `E`'s layout, and
    // the pointer, length and capacity come from the vector given up by `ManuallyDrop`.
    unsafe { Vec::from_raw_parts(out.as_mut_ptr() as *mut E, out.len(), out.capacity()) }
}

/// `f(a[i], b[i])` for every `i`, collected in order, in parallel when the inputs are large.
#[inline]
pub(crate) fn zip_map_collect<A, B, E, F>(a: &[A], b: &[B], f: F) -> Vec<E>
where
    A: Sync + Copy,
    B: Sync + Copy,
    E: Send + Copy,
    F: Fn(A, B) -> E + Sync + Send,
{
    debug_assert_eq!(a.len(), b.len());
    match chunk_len(a.len()) {
        #[cfg(feature = "rayon")]
        Some(chunk) => collect_chunks(a.len(), chunk, |out, start| {
            let end = start + out.len();
            for ((o, &x), &y) in out.iter_mut().zip(&a[start..end]).zip(&b[start..end]) {
                o.write(f(x, y));
            }
        }),
        _ => a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect(),
    }
}

/// `f(row chunk, first row index)` on chunks of whole rows of `row_len` elements, in
/// parallel when `dst` is large.
#[inline]
pub(crate) fn for_each_row_chunk_mut<E, F>(dst: &mut [E], row_len: usize, f: F)
where
    E: Send,
    F: Fn(&mut [E], usize) + Sync + Send,
{
    if row_len == 0 {
        return;
    }
    match items_per_chunk(dst.len() / row_len, row_len) {
        #[cfg(feature = "rayon")]
        Some(rows) => {
            use rayon::prelude::*;
            dst.par_chunks_mut(rows * row_len)
                .enumerate()
                .for_each(|(i, d)| f(d, i * rows));
        }
        _ => f(dst, 0),
    }
}

/// `f(output chunk, first output index)` on chunks of `out`, where producing one output
/// costs `work_per_item` input elements (a row sum reads a whole row): in parallel when the
/// total work is large.
#[inline]
pub(crate) fn for_each_output_chunk_mut<E, F>(out: &mut [E], work_per_item: usize, f: F)
where
    E: Send,
    F: Fn(&mut [E], usize) + Sync + Send,
{
    match items_per_chunk(out.len(), work_per_item) {
        #[cfg(feature = "rayon")]
        Some(items) if out.len() > 1 => {
            use rayon::prelude::*;
            out.par_chunks_mut(items)
                .enumerate()
                .for_each(|(i, d)| f(d, i * items));
        }
        _ => f(out, 0),
    }
}
