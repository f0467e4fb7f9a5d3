//! burn-gan patch 15 (PATCHES.md): f32 2-D convolutions and transposed convolutions as an
//! implicit GEMM on AVX-512, without im2col, col2im or a packed copy of the image.
//!
//! The im2col path (`conv::conv3d_impl`) writes every patch into a tile, has gemm pack that tile
//! and the kernel again for every tile, and copies the product back; for DCGAN's layers that
//! data movement took a third of a convolution's time. Here a register-blocked micro-kernel
//! reads the NCHW image in place: for up to [`NR`] output positions and up to 64 output
//! channels it keeps the sums in 24 AVX-512 registers, and for every tap and input channel
//! loads the kernel's channel vector once (packed once per call, `[tap][c_in][c_out]`) and
//! multiplies it with one broadcast input value per position (the positions' pixels of that
//! channel: a few cache lines per tap row, which stay in L1 over the channels; reading an NHWC
//! copy instead measured no faster, and the copy cost a pass over the image). Output rows and columns are
//! grouped by the taps that read inside the image (a border row is its own class, without its
//! out-of-range taps), so no multiply-add is spent on padding.
//!
//! A transposed convolution is the same loop over its output positions, split by output phase
//! (the position modulo the stride): the output positions of one phase receive contributions
//! from a fixed subset of the kernel taps, each from one input position (the "sub-pixel" form
//! of a strided transposed convolution). Each phase has its own packed kernel; nothing is
//! scattered or accumulated in memory.
//!
//! The weight gradient has its own micro-kernel (`wg_tile`): output channels x input channels
//! of one tap in registers, summed over the output positions whose tap lies inside the image.
//! It reads an NHWC copy of the input, whose input channels under one tap are one vector.
//!
//! Sums leave the registers through a small buffer straight into the NCHW output. The path
//! applies to f32 with one group on CPUs with `avx512f` (channel minimums in the `*_applies`
//! functions); anything else, or `BURN_FLEX_IMPLICIT_GEMM=0` in the environment, takes the
//! im2col/col2im paths.

use alloc::vec;
use alloc::vec::Vec;
use core::arch::x86_64::*;
use core::mem::MaybeUninit;

use burn_backend::DType;
use burn_backend::ops::conv::{calculate_conv_output_size, calculate_conv_transpose_output_size};
use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_std::{Bytes, Shape};

use super::conv::{balanced_parts, transpose_rows_parallel};
use crate::{FlexTensor, Layout};

/// Output positions per micro-kernel call.
const NR: usize = 6;
/// Output channels per block: four 16-lane vectors (with `NR` positions, 24 accumulators).
const BLOCK: usize = 64;
/// Output positions per unit of parallel work.
const UNIT: usize = 96;

/// Calls `$kernel::<V, R>($job)` for run-time `vectors` (1..=4) and `r` (1..=NR), the
/// instantiations of a micro-kernel.
macro_rules! dispatch {
    ($kernel:ident, $vectors:expr, $r:expr, $job:expr) => {
        dispatch!(@v $kernel, $vectors, $r, $job, [1, 2, 3, 4], [1, 2, 3, 4, 5, 6])
    };
    (@v $kernel:ident, $vectors:expr, $r:expr, $job:expr, [$($v:literal),*], $rs:tt) => {
        match $vectors {
            $( $v => dispatch!(@r $kernel, $v, $r, $job, $rs), )*
            _ => unreachable!(),
        }
    };
    (@r $kernel:ident, $v:literal, $r:expr, $job:expr, [$($rr:literal),*]) => {
        match $r {
            $( $rr => $kernel::<$v, $rr>($job), )*
            _ => unreachable!(),
        }
    };
}

/// Whether the implicit-GEMM kernels run on this CPU (and are not switched off by
/// `BURN_FLEX_IMPLICIT_GEMM=0`).
pub(crate) fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::is_x86_feature_detected!("avx512f")
            && std::env::var("BURN_FLEX_IMPLICIT_GEMM").map_or(true, |v| v != "0")
    })
}

/// Whether `conv2d` of these shapes takes this path: f32, one group, enough channels for the
/// kernel's vectors and taps to fill its loop.
pub(crate) fn conv2d_applies(x: &FlexTensor, weight: &FlexTensor, groups: usize) -> bool {
    let ws = weight.layout().shape();
    applies(x, weight, groups, ws[1], ws[0])
}

/// Whether `conv_transpose2d` of these shapes takes this path (weight `[c_in, c_out, kh, kw]`).
pub(crate) fn conv_transpose2d_applies(x: &FlexTensor, weight: &FlexTensor, groups: usize) -> bool {
    let ws = weight.layout().shape();
    applies(x, weight, groups, ws[0], ws[1])
}

fn applies(x: &FlexTensor, weight: &FlexTensor, groups: usize, c_in: usize, c_out: usize) -> bool {
    x.dtype() == DType::F32
        && weight.dtype() == DType::F32
        && groups == 1
        && c_out >= 16
        && c_in >= 8
        && x.layout().shape()[0] > 0
        && enabled()
}

/// A 64-byte aligned run of 16 floats, so that packed kernel vectors never straddle a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line(pub(crate) [f32; 16]);

/// Output coordinates along one axis that read their input through the same taps, all inside
/// the input: the convolution's rows (or columns) away from the border form one class, each
/// border row its own; a transposed convolution's are split by phase (coordinate modulo the
/// stride) first. Taps that would read padding are not in a class's list, so no multiply-add
/// is spent on them.
struct AxisClass {
    /// Phase (0 for a convolution): which packed kernel the class's taps index.
    phase: usize,
    /// Output coordinates of the class.
    outs: Vec<usize>,
    /// The taps, as indices into the phase's tap list.
    taps: Vec<usize>,
    /// Input coordinate of output `outs[o]` through tap `taps[t]`: `src[o * taps.len() + t]`.
    src: Vec<usize>,
}

/// Groups output coordinates `0..out` by (phase, valid taps). `phase_taps[p]` lists the taps of
/// phase `p` and `read(o, t)` gives the input coordinate (if inside) that output `o` of its
/// phase reads through tap `t` of the phase.
fn axis_classes(
    out: usize,
    phases: usize,
    phase_taps: &[usize],
    read: impl Fn(usize, usize) -> Option<usize>,
) -> Vec<AxisClass> {
    let mut classes: Vec<AxisClass> = Vec::new();
    for o in 0..out {
        let phase = o % phases;
        let valid: Vec<(usize, usize)> = (0..phase_taps[phase])
            .filter_map(|t| read(o, t).map(|i| (t, i)))
            .collect();
        let taps: Vec<usize> = valid.iter().map(|&(t, _)| t).collect();
        let at = match classes
            .iter()
            .position(|c| c.phase == phase && c.taps == taps)
        {
            Some(at) => at,
            None => {
                classes.push(AxisClass {
                    phase,
                    outs: Vec::new(),
                    taps,
                    src: Vec::new(),
                });
                classes.len() - 1
            }
        };
        classes[at].outs.push(o);
        classes[at].src.extend(valid.iter().map(|&(_, i)| i));
    }
    classes
}

/// The output positions of a 2-D (transposed) convolution as classes of (row class, column
/// class): every position of a class reads every tap of the class inside the image.
struct Plan {
    n: usize,
    h: usize,
    w: usize,
    ow: usize,
    rows: Vec<AxisClass>,
    cols: Vec<AxisClass>,
    /// Taps per column phase (the packed kernel of phase `(py, px)` is `[ty][tx]`).
    col_phase_taps: Vec<usize>,
    col_phases: usize,
}

impl Plan {
    fn classes(&self) -> usize {
        self.rows.len() * self.cols.len()
    }
    fn class(&self, class: usize) -> (&AxisClass, &AxisClass) {
        (
            &self.rows[class / self.cols.len()],
            &self.cols[class % self.cols.len()],
        )
    }
    fn len(&self, class: usize) -> usize {
        let (r, c) = self.class(class);
        self.n * r.outs.len() * c.outs.len()
    }
    /// The packed kernel (phase) of `class`, and the packed index of each of its taps.
    fn taps(&self, class: usize) -> (usize, Vec<usize>) {
        let (r, c) = self.class(class);
        let tx = self.col_phase_taps[c.phase];
        let packed = r
            .taps
            .iter()
            .flat_map(|&a| c.taps.iter().map(move |&b| a * tx + b));
        (r.phase * self.col_phases + c.phase, packed.collect())
    }
    /// Calls `f(tap, pixel)` for the taps of position `pos` of `class`, in the order of
    /// [`Plan::taps`], with the input pixel read (`image * h * w + y * w + x`); returns the output
    /// image and position.
    #[inline(always)]
    fn position(
        &self,
        class: usize,
        pos: usize,
        mut f: impl FnMut(usize, usize),
    ) -> (usize, usize) {
        let (r, c) = self.class(class);
        let (ny, nx) = (r.outs.len(), c.outs.len());
        let (img, rest) = (pos / (ny * nx), pos % (ny * nx));
        let (yi, xi) = (rest / nx, rest % nx);
        let (ty, tx) = (r.taps.len(), c.taps.len());
        let mut tap = 0;
        for &iy in &r.src[yi * ty..(yi + 1) * ty] {
            let row = (img * self.h + iy) * self.w;
            for &ix in &c.src[xi * tx..(xi + 1) * tx] {
                f(tap, row + ix);
                tap += 1;
            }
        }
        (img, r.outs[yi] * self.ow + c.outs[xi])
    }
}

/// The kernel packed per class and output-channel block as `[tap][c_in][block width]`, block
/// widths rounded up to 16 lanes with zeros.
struct Packed {
    data: Vec<Line>,
    /// Offset (in floats) of each class's blocks.
    class_offset: Vec<usize>,
    /// Taps of each class.
    taps: Vec<usize>,
    c_in: usize,
    c_out: usize,
}

impl Packed {
    /// Packs `weight[co * co_stride + ci * ci_stride + kernel(class, tap)]` for classes of
    /// `taps[class]` taps.
    fn new(
        taps: &[usize],
        c_in: usize,
        c_out: usize,
        weight: &[f32],
        [co_stride, ci_stride]: [usize; 2],
        kernel: impl Fn(usize, usize) -> usize,
    ) -> Self {
        let padded = c_out.next_multiple_of(16);
        let mut class_offset = Vec::with_capacity(taps.len());
        let mut total = 0;
        for &t in taps {
            class_offset.push(total);
            total += t * c_in * padded;
        }
        let mut data = vec![Line([0.0; 16]); total / 16];
        // Every (class, block, tap) is one contiguous `[c_in][width]` slice of the packed
        // buffer, in the buffer's order; they are filled in parallel.
        let mut jobs = Vec::new();
        for (class, &t) in taps.iter().enumerate() {
            for first in (0..c_out).step_by(BLOCK) {
                for tap in 0..t {
                    jobs.push((kernel(class, tap), first));
                }
            }
        }
        let mut slices = Vec::with_capacity(jobs.len());
        let mut rest: &mut [f32] = lines_as_floats(&mut data);
        for &(_, first) in &jobs {
            let width = (c_out - first).min(BLOCK).next_multiple_of(16);
            let (head, tail) = rest.split_at_mut(c_in * width);
            slices.push(head);
            rest = tail;
        }
        {
            use rayon::prelude::*;
            slices
                .into_par_iter()
                .zip(jobs)
                .for_each(|(slice, (k, first))| {
                    let valid = (c_out - first).min(BLOCK);
                    let width = valid.next_multiple_of(16);
                    for (ci, row) in slice.chunks_exact_mut(width).enumerate() {
                        for (lane, v) in row[..valid].iter_mut().enumerate() {
                            *v = weight[(first + lane) * co_stride + ci * ci_stride + k];
                        }
                    }
                });
        }
        Packed {
            data,
            class_offset,
            taps: taps.to_vec(),
            c_in,
            c_out,
        }
    }

    /// The packed block of `class` starting at output channel `first`.
    fn block(&self, class: usize, first: usize) -> *const f32 {
        let flat: *const f32 = self.data.as_ptr().cast();
        // SAFETY: in bounds by construction (`new` laid the blocks out this way).
        unsafe { flat.add(self.class_offset[class] + first * self.taps[class] * self.c_in) }
    }
}

pub(crate) fn lines_as_floats(lines: &mut [Line]) -> &mut [f32] {
    // SAFETY: `Line` is `repr(C)` of 16 f32 with no padding (64 bytes).
    unsafe { core::slice::from_raw_parts_mut(lines.as_mut_ptr().cast(), lines.len() * 16) }
}

/// An uninitialised buffer of `len` floats.
fn uninit(len: usize) -> Vec<MaybeUninit<f32>> {
    let mut v = Vec::with_capacity(len);
    // SAFETY: `MaybeUninit` elements need no initialisation.
    unsafe { v.set_len(len) };
    v
}

/// A buffer every element of which has been written.
///
/// # Safety
/// Every element of `v` must be initialised.
unsafe fn assume_init(v: Vec<MaybeUninit<f32>>) -> Vec<f32> {
    let mut v = core::mem::ManuallyDrop::new(v);
    // SAFETY: `MaybeUninit<f32>` has the layout of `f32`; the caller vouches for the contents.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast(), v.len(), v.capacity()) }
}

/// `x` (NCHW, contiguous) as NHWC rows of `c` values.
fn nhwc(x: &[f32], n: usize, c: usize, hw: usize) -> Vec<f32> {
    let mut rows = uninit(n * hw * c);
    // SAFETY: initialised floats viewed as `MaybeUninit` (same layout).
    let src: &[MaybeUninit<f32>] =
        unsafe { core::slice::from_raw_parts(x.as_ptr().cast(), n * c * hw) };
    transpose_rows_parallel(src, &mut rows, n, c, hw, hw * c);
    // SAFETY: the transpose wrote all `n * hw` rows.
    unsafe { assume_init(rows) }
}

/// One tap of a micro-kernel call: its packed kernel vectors and, for each position, its input
/// pixel of channel 0 (NCHW; the other channels follow `input_channel_stride` apart).
#[derive(Clone, Copy)]
struct Tap {
    w: *const f32,
    rows: [*const f32; NR],
}

/// The NCHW output `[n, c_out, oh, ow]` of `plan` over the contiguous NCHW input `x`.
fn convolve(
    plan: &Plan,
    x: &FlexTensor,
    packed: &Packed,
    bias: Option<FlexTensor>,
    [oh, ow]: [usize; 2],
) -> FlexTensor {
    let (n, c_out) = (plan.n, packed.c_out);
    let out = if n * oh * ow == 0 {
        vec![0.0; n * c_out * oh * ow]
    } else {
        let bias = bias.map(|b| b.to_contiguous());
        run(
            plan,
            x.storage(),
            packed,
            bias.as_ref().map(|b| b.storage()),
            oh * ow,
        )
    };
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(Shape::from(vec![n, c_out, oh, ow])),
        DType::F32,
    )
}

/// Runs the micro-kernel over every position of every class of `plan` on the contiguous NCHW
/// input `x` and returns the NCHW output `[n, c_out, spatial_out]`.
fn run(
    plan: &Plan,
    x: &[f32],
    packed: &Packed,
    bias: Option<&[f32]>,
    spatial_out: usize,
) -> Vec<f32> {
    use rayon::prelude::*;
    let (c_in, c_out, n) = (packed.c_in, packed.c_out, plan.n);
    let mut bias_padded = vec![0.0f32; c_out.next_multiple_of(BLOCK)];
    if let Some(b) = bias {
        bias_padded[..c_out].copy_from_slice(&b[..c_out]);
    }
    // Units of parallel work: (class, first position, end).
    let mut units = Vec::new();
    for class in 0..plan.classes() {
        let len = plan.len(class);
        if len == 0 {
            continue;
        }
        let parts = balanced_parts(len, UNIT);
        let size = len.div_ceil(parts).next_multiple_of(NR);
        units.extend(
            (0..len)
                .step_by(size)
                .map(|s| (class, s, (s + size).min(len))),
        );
    }
    let mut out = uninit(n * spatial_out * c_out);
    let out_ptr = super::SendMutPtr::new(out.as_mut_ptr().cast::<f32>());
    let x_ptr = x.as_ptr() as usize;
    let hw = plan.h * plan.w;
    units.par_iter().for_each(|&(class, start, end)| {
        let x = x_ptr as *const f32;
        let (kernel, packed_taps) = plan.taps(class);
        let empty = Tap {
            w: core::ptr::null(),
            rows: [core::ptr::null(); NR],
        };
        let mut taps = vec![empty; packed_taps.len()];
        let mut targets = [0usize; NR];
        for group in (start..end).step_by(NR) {
            let r = (end - group).min(NR);
            for j in 0..r {
                let (img, at) = plan.position(class, group + j, |tap, src| {
                    // SAFETY: `src` is a pixel of the image (the plan holds only taps inside), whose
                    // `c_in` channel values lie `hw` apart.
                    let (img, pixel) = (src / hw, src % hw);
                    taps[tap].rows[j] = unsafe { x.add(img * c_in * hw + pixel) };
                });
                targets[j] = img * c_out * spatial_out + at;
            }
            for first in (0..c_out).step_by(BLOCK) {
                let valid = (c_out - first).min(BLOCK);
                let width = valid.next_multiple_of(16);
                let block = packed.block(kernel, first);
                for (tap, &k) in taps.iter_mut().zip(&packed_taps) {
                    // SAFETY: tap `k` of the block: `c_in` vectors of `width` floats.
                    tap.w = unsafe { block.add(k * c_in * width) };
                }
                let mut outs = [core::ptr::null_mut::<f32>(); NR];
                for j in 0..r {
                    // SAFETY: channel `first` of the position, inside the output.
                    outs[j] = unsafe { out_ptr.ptr_add(targets[j] + first * spatial_out) };
                }
                let job = Job {
                    taps: &taps,
                    c_in,
                    // SAFETY: `bias_padded` has whole blocks.
                    bias: unsafe { bias_padded.as_ptr().add(first) },
                    out: outs.as_ptr(),
                    valid,
                    channel_stride: spatial_out,
                    input_channel_stride: hw,
                };
                // SAFETY: `enabled()` checked avx512f; every tap has `r` valid rows of `c_in`
                // floats and `c_in` aligned vectors of the block; each (position, channel) of
                // the output is written by this unit only.
                unsafe { dispatch!(tile, width / 16, r, &job) };
            }
        }
    });
    // SAFETY: every (image, channel < c_out, position) was written: the units cover every
    // position of every class, the classes every output position, the blocks every channel.
    unsafe { assume_init(out) }
}

/// One micro-kernel call: `R` positions, one block of `valid` output channels.
struct Job<'a> {
    taps: &'a [Tap],
    c_in: usize,
    /// `16 * V` biases.
    bias: *const f32,
    /// Per position, where its first channel goes; channels are `channel_stride` apart.
    out: *const *mut f32,
    valid: usize,
    channel_stride: usize,
    input_channel_stride: usize,
}

/// `out[j][c] = bias[c] + sum over taps t and channels i of rows[t][j][i] * w[t][i][c]` for
/// `R` positions `j` and the block's valid channels `c`.
#[target_feature(enable = "avx512f")]
unsafe fn tile<const V: usize, const R: usize>(job: &Job) {
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for v in 0..V {
            let b = _mm512_loadu_ps(job.bias.add(16 * v));
            for a in acc.iter_mut() {
                a[v] = b;
            }
        }
        // ANCHOR: implicit_gemm
        for tap in job.taps {
            let mut wp = tap.w;
            let mut p = [core::ptr::null::<f32>(); R];
            p.copy_from_slice(&tap.rows[..R]);
            for c in 0..job.c_in {
                let mut wv = [_mm512_setzero_ps(); V];
                for (v, slot) in wv.iter_mut().enumerate() {
                    *slot = _mm512_load_ps(wp.add(16 * v));
                }
                let off = c * job.input_channel_stride;
                for j in 0..R {
                    let b = _mm512_set1_ps(*p[j].add(off));
                    for v in 0..V {
                        acc[j][v] = _mm512_fmadd_ps(wv[v], b, acc[j][v]);
                    }
                }
                wp = wp.add(16 * V);
            }
        }
        // ANCHOR_END: implicit_gemm
        // The sums are [position][channel]; the output is channel-major: through a buffer.
        let mut buf = [Line([0.0; 16]); 4 * NR];
        for (j, a) in acc.iter().enumerate() {
            for v in 0..V {
                _mm512_store_ps(buf[j * 4 + v].0.as_mut_ptr(), a[v]);
            }
        }
        let flat: &[f32] = core::slice::from_raw_parts(buf.as_ptr().cast(), 64 * NR);
        for j in 0..R {
            let o = *job.out.add(j);
            for c in 0..job.valid {
                *o.add(c * job.channel_stride) = flat[j * 64 + c];
            }
        }
    }
}

/// `conv2d` of f32 NCHW `x` `[n, c_in, h, w]` and `weight` `[c_out, c_in, kh, kw]`, one group.
pub(crate) fn conv2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let xs = x.layout().shape();
    let ws = weight.layout().shape();
    let (n, c_in, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    let (c_out, kh, kw) = (ws[0], ws[2], ws[3]);
    assert_eq!(
        ws[1], c_in,
        "conv2d: weight has {} input channels, input {c_in}",
        ws[1]
    );
    let [sy, sx] = options.stride;
    let ([py, px], [dy, dx]) = (options.padding, options.dilation);
    let oh = calculate_conv_output_size(kh, sy, py, dy, h);
    let ow = calculate_conv_output_size(kw, sx, px, dx, w);
    let taps = kh * kw;
    let packed = Packed::new(
        &[taps],
        c_in,
        c_out,
        weight.storage(),
        [c_in * taps, taps],
        |_, t| t,
    );
    // Output o reads input o * s + k * d - pad through tap k.
    let read = |s: usize, pad: usize, d: usize, len: usize| {
        move |o: usize, k: usize| (o * s + k * d).checked_sub(pad).filter(|&i| i < len)
    };
    let plan = Plan {
        n,
        h,
        w,
        ow,
        rows: axis_classes(oh, 1, &[kh], read(sy, py, dy, h)),
        cols: axis_classes(ow, 1, &[kw], read(sx, px, dx, w)),
        col_phase_taps: vec![kw],
        col_phases: 1,
    };
    convolve(&plan, &x, &packed, bias, [oh, ow])
}

/// `conv_transpose2d` of f32 NCHW `x` `[n, c_in, h, w]` and `weight` `[c_in, c_out, kh, kw]`,
/// one group.
pub(crate) fn conv_transpose2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvTransposeOptions<2>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let xs = x.layout().shape();
    let ws = weight.layout().shape();
    let (n, c_in, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    let (c_out, kh, kw) = (ws[1], ws[2], ws[3]);
    assert_eq!(
        ws[0], c_in,
        "conv_transpose2d: weight has {} input channels, input {c_in}",
        ws[0]
    );
    let [sy, sx] = options.stride;
    let size = |d: usize, k: usize, i: usize| {
        calculate_conv_transpose_output_size(
            k,
            options.stride[d],
            options.padding[d],
            options.padding_out[d],
            options.dilation[d],
            i,
        )
    };
    let (oh, ow) = (size(0, kh, h), size(1, kw, w));
    // Taps of each phase: kernel index k reaches output o = i * s - pad + k * d, so phase
    // p = o mod s holds the k with (p + pad - k * d) divisible by s, and output o = p + s * q
    // reads input i = q + (p + pad - k * d) / s through it.
    let phase_taps = |s: usize, k: usize, pad: usize, d: usize| -> Vec<Vec<(usize, isize)>> {
        (0..s)
            .map(|p| {
                (0..k)
                    .filter_map(|ki| {
                        let off = (p + pad) as isize - (ki * d) as isize;
                        (off.rem_euclid(s as isize) == 0).then(|| (ki, off.div_euclid(s as isize)))
                    })
                    .collect()
            })
            .collect()
    };
    let ty = phase_taps(sy, kh, options.padding[0], options.dilation[0]);
    let tx = phase_taps(sx, kw, options.padding[1], options.dilation[1]);
    fn read(
        taps: &[Vec<(usize, isize)>],
        s: usize,
        len: usize,
    ) -> impl Fn(usize, usize) -> Option<usize> + '_ {
        move |o, t| {
            let i = (o / s) as isize + taps[o % s][t].1;
            usize::try_from(i).ok().filter(|&i| i < len)
        }
    }
    let counts = |taps: &[Vec<(usize, isize)>]| taps.iter().map(Vec::len).collect::<Vec<_>>();
    let plan = Plan {
        n,
        h,
        w,
        ow,
        rows: axis_classes(oh, sy, &counts(&ty), read(&ty, sy, h)),
        cols: axis_classes(ow, sx, &counts(&tx), read(&tx, sx, w)),
        col_phase_taps: counts(&tx),
        col_phases: sx,
    };
    // One packed kernel per phase (py, px), taps [ty][tx].
    let phases: Vec<usize> = (0..sy * sx)
        .map(|p| ty[p / sx].len() * tx[p % sx].len())
        .collect();
    let packed = Packed::new(
        &phases,
        c_in,
        c_out,
        weight.storage(),
        [kh * kw, c_out * kh * kw],
        |phase, t| {
            let (ty, tx) = (&ty[phase / sx], &tx[phase % sx]);
            ty[t / tx.len()].0 * kw + tx[t % tx.len()].0
        },
    );
    convolve(&plan, &x, &packed, bias, [oh, ow])
}

/// Whether a weight gradient takes [`weight_grad_f32`]: f32, one group, a 2-D kernel, and at
/// least 16 channels in the convolution's input (the kernel's vector dimension).
pub(crate) fn weight_grad_applies(
    dtype: DType,
    c_in: usize,
    groups: usize,
    kernel_d: usize,
) -> bool {
    dtype == DType::F32 && groups == 1 && kernel_d == 1 && c_in >= 16 && enabled()
}

/// A run of output positions along one output row that all read inside the image for one tap.
#[derive(Clone, Copy)]
struct Segment {
    /// Offset of the first position's input row (times `c_in`) in the NHWC input.
    x: usize,
    /// Offset of the first position in an output-gradient plane (`image * c_out * oh * ow +
    /// y * ow + x`, channel 0).
    dy: usize,
    count: usize,
}

/// One weight-gradient micro-kernel call: the sums of `R` output channels by `16 * V` input
/// channels of one tap, over the segments.
struct WgJob<'a> {
    /// The NHWC input, at the block's first input channel.
    x: *const f32,
    /// Floats between the input rows of neighbouring output positions (`stride * c_in`).
    x_step: usize,
    /// The output gradient at the group's first output channel.
    dy: *const f32,
    /// Floats between two output channels' planes.
    dy_channel: usize,
    segments: &'a [Segment],
    /// The accumulator `[c_out][tap][c_in]` at (first channel, tap, first input channel).
    acc: *mut f32,
    /// Floats between two output channels' rows of the accumulator.
    acc_channel: usize,
    /// Lanes of the last vector that are input channels.
    mask: u16,
}

/// `acc[j][c] += sum over the segments' positions p of dy[j][p] * x[p][c]` for `R` output
/// channels `j` and `16 * V` input channels `c` (the last vector under `mask`).
#[target_feature(enable = "avx512f")]
unsafe fn wg_tile<const V: usize, const R: usize>(job: &WgJob) {
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for (j, a) in acc.iter_mut().enumerate() {
            let row = job.acc.add(j * job.acc_channel);
            for v in 0..V - 1 {
                a[v] = _mm512_loadu_ps(row.add(16 * v));
            }
            a[V - 1] = _mm512_maskz_loadu_ps(job.mask, row.add(16 * (V - 1)));
        }
        for seg in job.segments {
            let mut xp = job.x.add(seg.x);
            let mut d = [core::ptr::null::<f32>(); R];
            for (j, p) in d.iter_mut().enumerate() {
                *p = job.dy.add(j * job.dy_channel + seg.dy);
            }
            for i in 0..seg.count {
                let mut xv = [_mm512_setzero_ps(); V];
                for v in 0..V - 1 {
                    xv[v] = _mm512_loadu_ps(xp.add(16 * v));
                }
                xv[V - 1] = _mm512_maskz_loadu_ps(job.mask, xp.add(16 * (V - 1)));
                for j in 0..R {
                    let b = _mm512_set1_ps(*d[j].add(i));
                    for v in 0..V {
                        acc[j][v] = _mm512_fmadd_ps(xv[v], b, acc[j][v]);
                    }
                }
                xp = xp.add(job.x_step);
            }
        }
        for (j, a) in acc.iter().enumerate() {
            let row = job.acc.add(j * job.acc_channel);
            for v in 0..V - 1 {
                _mm512_storeu_ps(row.add(16 * v), a[v]);
            }
            _mm512_mask_storeu_ps(row.add(16 * (V - 1)), job.mask, a[V - 1]);
        }
    }
}

/// The weight gradient `[c_out, c_in, kh, kw]` of the f32 convolution (one group) that maps
/// the contiguous NCHW input `x` `[n, c_in, h, w]` to an output whose gradient is the
/// contiguous `dy` `[n, c_out, oh, ow]`:
/// `dW[co, ci, ky, kx] = sum over images and output positions of dy[co, p] * x[ci, tap(p)]`.
///
/// Taps that fall into the padding are left out of the sums (rather than multiplied by zero):
/// for each tap and output row only the run of positions that read inside the image is
/// visited. Parts of the batch run in parallel, each into its own accumulator, summed at the
/// end.
#[allow(clippy::too_many_arguments)]
pub(crate) fn weight_grad_f32(
    x: &[f32],
    [n, c_in, h, w]: [usize; 4],
    dy: &[f32],
    [c_out, oh, ow]: [usize; 3],
    [kh, kw]: [usize; 2],
    stride: [usize; 2],
    pad: [usize; 2],
    dilation: [usize; 2],
) -> Vec<f32> {
    use rayon::prelude::*;
    let taps = kh * kw;
    let plane = oh * ow;
    let len = c_out * taps * c_in;
    if n * plane == 0 || len == 0 {
        return vec![0.0; len];
    }
    assert!(x.len() >= n * c_in * h * w && dy.len() >= n * c_out * plane);
    let x_rows = nhwc(x, n, c_in, h * w);
    let parts = super::conv::worker_threads().clamp(1, n);
    // Images per step of a part: about 256 output positions, whose input rows and output
    // gradient stay in L2 while every tap and channel block passes over them.
    let chunk = (256 / plane).clamp(1, n);
    let (x_addr, dy_addr) = (x_rows.as_ptr() as usize, dy.as_ptr() as usize);
    let partials: Vec<Vec<f32>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let (x, dy) = (x_addr as *const f32, dy_addr as *const f32);
            let mut acc = vec![0.0f32; len];
            let mut segments = Vec::new();
            let images = part * n / parts..(part + 1) * n / parts;
            for first in images.clone().step_by(chunk) {
                let last = (first + chunk).min(images.end);
                for tap in 0..taps {
                    let (ky, kx) = (tap / kw, tap % kw);
                    // Output columns whose input column is inside the image.
                    let lo = pad[1].saturating_sub(kx * dilation[1]).div_ceil(stride[1]);
                    let hi = (w + pad[1])
                        .saturating_sub(kx * dilation[1])
                        .div_ceil(stride[1])
                        .min(ow);
                    segments.clear();
                    if lo < hi {
                        for img in first..last {
                            for oy in 0..oh {
                                let Some(iy) = (oy * stride[0] + ky * dilation[0])
                                    .checked_sub(pad[0])
                                    .filter(|&iy| iy < h)
                                else {
                                    continue;
                                };
                                let ix = lo * stride[1] + kx * dilation[1] - pad[1];
                                segments.push(Segment {
                                    x: ((img * h + iy) * w + ix) * c_in,
                                    dy: img * c_out * plane + oy * ow + lo,
                                    count: hi - lo,
                                });
                            }
                        }
                    }
                    if segments.is_empty() {
                        continue;
                    }
                    for co in (0..c_out).step_by(NR) {
                        for ci in (0..c_in).step_by(BLOCK) {
                            let valid = (c_in - ci).min(BLOCK);
                            let job = WgJob {
                                // SAFETY (all offsets): inside `x_rows`, `dy` and `acc`.
                                x: unsafe { x.add(ci) },
                                x_step: stride[1] * c_in,
                                dy: unsafe { dy.add(co * plane) },
                                dy_channel: plane,
                                segments: &segments,
                                acc: unsafe { acc.as_mut_ptr().add((co * taps + tap) * c_in + ci) },
                                acc_channel: taps * c_in,
                                mask: if valid % 16 == 0 {
                                    0xffff
                                } else {
                                    (1u16 << (valid % 16)) - 1
                                },
                            };
                            // SAFETY: avx512f is available (`enabled()`); the segments' positions
                            // read inside the image and the gradient; the accumulator rows of
                            // `(c_out - co).min(NR)` channels hold the block's valid lanes.
                            unsafe {
                                dispatch!(wg_tile, valid.div_ceil(16), (c_out - co).min(NR), &job)
                            };
                        }
                    }
                }
            }
            acc
        })
        .collect();
    let mut partials = partials.into_iter();
    let mut acc = partials.next().expect("at least one part");
    for part in partials {
        for (a, p) in acc.iter_mut().zip(part) {
            *a += p;
        }
    }
    // [c_out, tap, c_in] -> [c_out, c_in, tap]
    let mut grad = vec![0.0f32; len];
    transpose_rows_parallel(&acc, &mut grad, c_out, taps, c_in, taps * c_in);
    grad
}
