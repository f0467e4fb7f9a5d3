//! burn-gan patch 16 (PATCHES.md): f32 2-D convolutions with one input channel, and their weight
//! gradients, vectorised along the output row on AVX-512.
//!
//! A one-channel layer (a gray image's first convolution; the input gradient and the weight
//! gradient of a transposed convolution to one channel) has a GEMM dimension of one: im2col
//! builds a tile with one column per tap, gemm packs it, and the product has one sum of `kh * kw`
//! terms per output. Here the padded image is copied once with its columns split by phase
//! (column modulo the stride), so that for every tap the inputs of 16 neighbouring outputs of a
//! row are one contiguous vector. The forward kernel loads those tap vectors once per output row
//! and multiplies them with every output channel's (broadcast) weights, storing straight into the
//! NCHW output row. The weight gradient multiplies each output channel's gradient row with the
//! same tap vectors, summing per tap in registers.
//!
//! Applies to f32, one group, one input channel, on CPUs with `avx512f` (and not with
//! `BURN_FLEX_IMPLICIT_GEMM=0`, the switch of patch 15, which turns both patches off).

use alloc::vec;
use alloc::vec::Vec;
use core::arch::x86_64::*;

use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_backend::ops::conv::calculate_conv_output_size;
use burn_std::{Bytes, Shape};

use super::conv_direct::{Line, lines_as_floats};
use crate::{FlexTensor, Layout};

/// Output channels per forward micro-kernel call.
const CO: usize = 4;

/// Whether `conv2d` of these shapes takes [`conv2d_f32`]: f32, one group, one input channel.
pub(crate) fn conv2d_applies(x: &FlexTensor, weight: &FlexTensor, groups: usize) -> bool {
    let ws = weight.layout().shape();
    x.dtype() == DType::F32
        && weight.dtype() == DType::F32
        && groups == 1
        && ws[1] == 1
        && x.layout().shape()[0] > 0
        && super::conv_direct::enabled()
}

/// Whether a weight gradient takes [`weight_grad_f32`]: f32, one group, a 2-D kernel of at most
/// [`MAX_TAPS`] taps, one input channel.
pub(crate) fn weight_grad_applies(
    dtype: DType,
    c_in: usize,
    groups: usize,
    kernel: [usize; 3],
) -> bool {
    dtype == DType::F32
        && groups == 1
        && kernel[0] == 1
        && kernel[1] * kernel[2] <= MAX_TAPS
        && c_in == 1
        && super::conv_direct::enabled()
}

/// The geometry of one convolution along both axes.
#[derive(Clone, Copy)]
struct Geometry {
    n: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    pad: [usize; 2],
    dilation: [usize; 2],
}

/// The zero-padded one-channel input with each row's columns split by phase: element `j` of
/// phase `q` of padded row `r` is padded column `q + j * sx`. Output column `o` reads padded
/// column `o * sx + kx * dx` through tap column `kx`: phase `(kx * dx) % sx`, element
/// `(kx * dx) / sx + o`, so 16 neighbouring outputs read one contiguous vector.
struct Phased {
    data: Vec<f32>,
    /// Padded rows kept per image (the ones some output reads).
    rows: usize,
    phases: usize,
    /// Floats per phase row: every vector of every tap fits, the last one whole.
    len: usize,
}

impl Phased {
    fn new(x: &[f32], g: &Geometry) -> Self {
        use rayon::prelude::*;
        let [kh, kw] = g.kernel;
        let [sy, sx] = g.stride;
        let [py, px] = g.pad;
        let [dy, dx] = g.dilation;
        let rows = (g.oh - 1) * sy + (kh - 1) * dy + 1;
        let len = (kw - 1) * dx / sx + g.ow.next_multiple_of(16);
        let per_image = rows * sx * len;
        let mut data = vec![0.0f32; g.n * per_image];
        data.par_chunks_mut(per_image)
            .enumerate()
            .for_each(|(img, out)| {
                let image = &x[img * g.h * g.w..(img + 1) * g.h * g.w];
                for r in 0..rows {
                    let Some(iy) = r.checked_sub(py).filter(|&iy| iy < g.h) else {
                        continue;
                    };
                    let src = &image[iy * g.w..(iy + 1) * g.w];
                    for q in 0..sx {
                        let dst = &mut out[(r * sx + q) * len..(r * sx + q + 1) * len];
                        for (j, v) in dst.iter_mut().enumerate() {
                            if let Some(ix) = (q + j * sx).checked_sub(px).filter(|&ix| ix < g.w) {
                                *v = src[ix];
                            }
                        }
                    }
                }
            });
        Phased {
            data,
            rows,
            phases: sx,
            len,
        }
    }

    /// Offset of each tap's vector from its output row's base ([`Phased::base`]), at output
    /// column 0.
    fn tap_offsets(&self, g: &Geometry) -> Vec<usize> {
        let [kh, kw] = g.kernel;
        let sx = g.stride[1];
        let [dy, dx] = g.dilation;
        (0..kh * kw)
            .map(|t| {
                let (ky, kx) = (t / kw, t % kw);
                (ky * dy * sx + kx * dx % sx) * self.len + kx * dx / sx
            })
            .collect()
    }

    /// Offset of output row `oy` of image `img` (its padded row `oy * sy`, phase 0).
    fn base(&self, img: usize, oy: usize, sy: usize) -> usize {
        (img * self.rows + oy * sy) * self.phases * self.len
    }
}

/// Lanes `< count` of a 16-lane vector.
fn lanes(count: usize) -> u16 {
    if count >= 16 {
        0xffff
    } else {
        (1u16 << count) - 1
    }
}

/// `conv2d` of f32 NCHW `x` `[n, 1, h, w]` and `weight` `[c_out, 1, kh, kw]`, one group.
pub(crate) fn conv2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    use rayon::prelude::*;
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let xs = x.layout().shape();
    let ws = weight.layout().shape();
    assert_eq!(
        xs[1], 1,
        "conv2d: one-channel path given {} input channels",
        xs[1]
    );
    let (n, h, w) = (xs[0], xs[2], xs[3]);
    let (c_out, kh, kw) = (ws[0], ws[2], ws[3]);
    let [sy, sx] = options.stride;
    let ([py, px], [dy, dx]) = (options.padding, options.dilation);
    let oh = calculate_conv_output_size(kh, sy, py, dy, h);
    let ow = calculate_conv_output_size(kw, sx, px, dx, w);
    let plane = oh * ow;
    let mut out = vec![0.0f32; n * c_out * plane];
    if n * c_out * plane > 0 {
        let g = Geometry {
            n,
            h,
            w,
            oh,
            ow,
            kernel: [kh, kw],
            stride: [sy, sx],
            pad: [py, px],
            dilation: [dy, dx],
        };
        let phased = Phased::new(x.storage(), &g);
        let offsets = phased.tap_offsets(&g);
        let bias: Vec<f32> = match bias {
            Some(b) => b.to_contiguous().storage()[..c_out].to_vec(),
            None => vec![0.0; c_out],
        };
        let weights = weight.storage();
        let out_ptr = super::SendMutPtr::new(out.as_mut_ptr());
        // One unit per (image, output row); each writes only its rows of every channel plane.
        (0..n * oh).into_par_iter().for_each_init(
            // SAFETY: `enabled()` checked avx512f.
            || vec![unsafe { _mm512_setzero_ps() }; offsets.len()],
            |xv, unit| {
                let (img, oy) = (unit / oh, unit % oh);
                let base = phased.base(img, oy, sy);
                for ox in (0..ow).step_by(16) {
                    // SAFETY: `enabled()` checked avx512f; every tap's vector lies inside the
                    // image's phase rows (`Phased::len` holds the last whole vector); the output
                    // row segment `[img, co, oy, ox..ox + 16)` is written under the mask of its
                    // `< ow` columns by this unit only.
                    unsafe {
                        let src = phased.data.as_ptr().add(base + ox);
                        for (v, &off) in xv.iter_mut().zip(&offsets) {
                            *v = _mm512_loadu_ps(src.add(off));
                        }
                        let at = out_ptr.ptr_add(img * c_out * plane + oy * ow + ox);
                        forward_row(xv, weights, &bias, at, plane, lanes(ow - ox));
                    }
                }
            },
        );
    }
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(Shape::from(vec![n, c_out, oh, ow])),
        DType::F32,
    )
}

/// `out[co * plane + l] = bias[co] + sum over taps t of w[co * taps + t] * xv[t][l]` for every
/// output channel `co` and the lanes `l` of `mask`.
#[target_feature(enable = "avx512f")]
unsafe fn forward_row(
    xv: &[__m512],
    w: &[f32],
    bias: &[f32],
    out: *mut f32,
    plane: usize,
    mask: u16,
) {
    let taps = xv.len();
    let c_out = bias.len();
    let mut co = 0;
    unsafe {
        while co + CO <= c_out {
            let mut acc = [_mm512_setzero_ps(); CO];
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm512_set1_ps(bias[co + j]);
            }
            let wp = w.as_ptr().add(co * taps);
            for (t, &x) in xv.iter().enumerate() {
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(x, _mm512_set1_ps(*wp.add(j * taps + t)), *a);
                }
            }
            for (j, a) in acc.iter().enumerate() {
                _mm512_mask_storeu_ps(out.add((co + j) * plane), mask, *a);
            }
            co += CO;
        }
        for co in co..c_out {
            let mut a = _mm512_set1_ps(bias[co]);
            for (t, &x) in xv.iter().enumerate() {
                a = _mm512_fmadd_ps(x, _mm512_set1_ps(w[co * taps + t]), a);
            }
            _mm512_mask_storeu_ps(out.add(co * plane), mask, a);
        }
    }
}

/// The weight gradient `[c_out, 1, kh, kw]` of the f32 convolution (one group, one input
/// channel) that maps the contiguous NCHW `x` `[n, 1, h, w]` to an output whose gradient is the
/// contiguous `dy` `[n, c_out, oh, ow]`:
/// `dW[co, 0, ky, kx] = sum over images and output positions p of dy[co, p] * x[tap(p)]`
/// (padding reads zero).
///
/// The taps are the vector dimension: for every output position the `kh * kw` input values it
/// reads form one (or two) 16-lane vectors, written per image into a small L1-resident table,
/// and each output channel's sum over positions of `dy[co, p]` (broadcast) times that vector
/// stays in registers. Parts of the batch run in parallel, each into its own sums, added at the
/// end. Kernels of at most [`MAX_TAPS`] taps.
#[allow(clippy::too_many_arguments)]
pub(crate) fn weight_grad_f32(
    x: &[f32],
    [n, h, w]: [usize; 3],
    dy: &[f32],
    [c_out, oh, ow]: [usize; 3],
    [kh, kw]: [usize; 2],
    [sy, sx]: [usize; 2],
    [py, px]: [usize; 2],
    [dy_, dx]: [usize; 2],
) -> Vec<f32> {
    use rayon::prelude::*;
    let taps = kh * kw;
    let plane = oh * ow;
    if n * plane == 0 || c_out * taps == 0 {
        return vec![0.0; c_out * taps];
    }
    assert!(
        taps <= MAX_TAPS,
        "one-channel weight gradient of {taps} taps (at most {MAX_TAPS})"
    );
    assert!(x.len() >= n * h * w && dy.len() >= n * c_out * plane);
    let vectors = taps.div_ceil(16);
    // The (tap, input coordinate) pairs inside the image of each output row and column.
    let valid = |out: usize,
                 k: usize,
                 s: usize,
                 pad: usize,
                 d: usize,
                 len: usize|
     -> Vec<Vec<(usize, usize)>> {
        (0..out)
            .map(|o| {
                (0..k)
                    .filter_map(|t| {
                        (o * s + t * d)
                            .checked_sub(pad)
                            .filter(|&i| i < len)
                            .map(|i| (t, i))
                    })
                    .collect()
            })
            .collect()
    };
    let (rows, cols) = (valid(oh, kh, sy, py, dy_, h), valid(ow, kw, sx, px, dx, w));
    let parts = super::conv::worker_threads().clamp(1, n);
    let partials: Vec<Vec<Line>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut sums = vec![Line([0.0; 16]); c_out * vectors];
            let mut table = vec![Line([0.0; 16]); plane * vectors];
            for img in part * n / parts..(part + 1) * n / parts {
                let image = &x[img * h * w..(img + 1) * h * w];
                let values = lines_as_floats(&mut table);
                values.fill(0.0);
                for (oy, rows) in rows.iter().enumerate() {
                    for &(ky, iy) in rows {
                        let src = &image[iy * w..(iy + 1) * w];
                        for (ox, cols) in cols.iter().enumerate() {
                            let dst = &mut values[(oy * ow + ox) * 16 * vectors + ky * kw..];
                            for &(kx, ix) in cols {
                                dst[kx] = src[ix];
                            }
                        }
                    }
                }
                for co in (0..c_out).step_by(CHANNELS) {
                    let job = WgJob {
                        table: table.as_ptr().cast(),
                        plane,
                        // SAFETY: channel `co`'s plane of image `img` is inside `dy`.
                        dy: unsafe { dy.as_ptr().add((img * c_out + co) * plane) },
                        sums: sums[co * vectors..].as_mut_ptr().cast(),
                    };
                    // SAFETY: `enabled()` checked avx512f; the table holds `plane` rows of
                    // `vectors` aligned vectors, `dy` the planes and `sums` the rows of
                    // `(c_out - co).min(CHANNELS)` channels.
                    unsafe { wg_dispatch(vectors, (c_out - co).min(CHANNELS), &job) };
                }
            }
            sums
        })
        .collect();
    let mut partials = partials.into_iter();
    let mut sums = partials.next().expect("at least one part");
    for part in partials {
        for (a, b) in sums.iter_mut().zip(part) {
            for (a, b) in a.0.iter_mut().zip(b.0) {
                *a += b;
            }
        }
    }
    let flat = lines_as_floats(&mut sums);
    flat.chunks_exact(16 * vectors)
        .flat_map(|row| row[..taps].iter().copied())
        .collect()
}

/// Taps of the largest kernel [`weight_grad_f32`] takes (two vectors).
pub(crate) const MAX_TAPS: usize = 32;
/// Output channels per weight-gradient micro-kernel call.
const CHANNELS: usize = 8;

/// One weight-gradient micro-kernel call: one image, up to [`CHANNELS`] output channels.
struct WgJob {
    /// `[plane][V]` aligned vectors: the tap values of each output position.
    table: *const f32,
    plane: usize,
    /// The first channel's gradient plane; the others follow, `plane` apart.
    dy: *const f32,
    /// `[channel][V]` aligned vectors of sums.
    sums: *mut f32,
}

/// Calls `wg_table::<V, C>` for run-time `vectors` (1, 2) and `channels` (1..=8).
unsafe fn wg_dispatch(vectors: usize, channels: usize, job: &WgJob) {
    macro_rules! channels {
        ($v:literal, $($c:literal)*) => {
            match channels {
                // SAFETY: the caller's.
                $($c => unsafe { wg_table::<$v, $c>(job) },)*
                _ => unreachable!(),
            }
        };
    }
    match vectors {
        1 => channels!(1, 1 2 3 4 5 6 7 8),
        2 => channels!(2, 1 2 3 4 5 6 7 8),
        _ => unreachable!(),
    }
}

/// `sums[c] += sum over positions p of dy[c][p] * table[p]` for `C` channels, vectors of `V`.
#[target_feature(enable = "avx512f")]
unsafe fn wg_table<const V: usize, const C: usize>(job: &WgJob) {
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); V]; C];
        let mut d = [core::ptr::null::<f32>(); C];
        for (c, a) in acc.iter_mut().enumerate() {
            for (v, a) in a.iter_mut().enumerate() {
                *a = _mm512_load_ps(job.sums.add((c * V + v) * 16));
            }
            d[c] = job.dy.add(c * job.plane);
        }
        // ANCHOR: taps_as_vectors
        for p in 0..job.plane {
            let mut x = [_mm512_setzero_ps(); V];
            for (v, x) in x.iter_mut().enumerate() {
                *x = _mm512_load_ps(job.table.add((p * V + v) * 16));
            }
            for c in 0..C {
                let b = _mm512_set1_ps(*d[c].add(p));
                for v in 0..V {
                    acc[c][v] = _mm512_fmadd_ps(b, x[v], acc[c][v]);
                }
            }
        }
        // ANCHOR_END: taps_as_vectors
        for (c, a) in acc.iter().enumerate() {
            for (v, a) in a.iter().enumerate() {
                _mm512_store_ps(job.sums.add((c * V + v) * 16), *a);
            }
        }
    }
}
