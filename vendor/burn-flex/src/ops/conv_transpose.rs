//! Transposed convolution operations using GEMM + col2im approach.
//!
//! All transposed convolutions (1D, 2D, 3D) use a unified 3D implementation:
//! - conv_transpose1d: adds two size-1 dimensions, calls conv_transpose3d, squeezes output
//! - conv_transpose2d: adds one size-1 dimension, calls conv_transpose3d, squeezes output
//! - conv_transpose3d: native implementation
//!
//! For each (batch, group), computes: columns = W_g^T @ X_g, then scatters
//! the columns matrix into the output via col2im. The GEMM handles the heavy
//! channel-reduction multiply-adds; col2im is a lightweight spatial scatter.
//!
//! Supported dtypes: f32, f64, f16 (native gemm), bf16 (via f32 conversion)

use alloc::vec;
use burn_backend::DType;
use burn_backend::ops::ConvTransposeOptions;
use burn_backend::ops::conv::calculate_conv_transpose_output_size;
use burn_std::{Bytes, Shape, f16};

use crate::{FlexTensor, Layout};

use super::conv_common::{add_bias, squeeze_3d_to_1d, squeeze_3d_to_2d};

/// Generates a conv_transpose3d typed function.
macro_rules! conv_transpose3d_typed {
    ($fn_name:ident, $T:ty, $dtype:expr, $zero:expr, $gemm_fn:ident, $add_fn:expr) => {
        pub fn $fn_name(
            x: FlexTensor,
            weight: FlexTensor,
            bias: Option<FlexTensor>,
            options: &ConvTransposeOptions<3>,
        ) -> FlexTensor {
            conv_transpose3d_impl::<$T>(x, weight, bias, options, $dtype, $zero, $gemm_fn, $add_fn)
        }
    };
}

// ============================================================================
// Conv Transpose 1d - delegates to conv_transpose3d
// ============================================================================

conv_nd_via_3d!(
    conv_transpose1d_f32,
    conv_transpose3d_f32,
    expand_transpose_1d_to_3d,
    squeeze_3d_to_1d,
    1,
    ConvTransposeOptions
);
conv_nd_via_3d!(
    conv_transpose1d_f64,
    conv_transpose3d_f64,
    expand_transpose_1d_to_3d,
    squeeze_3d_to_1d,
    1,
    ConvTransposeOptions
);
conv_nd_via_3d!(
    conv_transpose1d_f16,
    conv_transpose3d_f16,
    expand_transpose_1d_to_3d,
    squeeze_3d_to_1d,
    1,
    ConvTransposeOptions
);
bf16_via_f32!(
    conv_transpose1d_bf16,
    conv_transpose1d_f32,
    1,
    ConvTransposeOptions
);

fn expand_transpose_1d_to_3d(
    x: &FlexTensor,
    weight: &FlexTensor,
    options: &ConvTransposeOptions<1>,
) -> (FlexTensor, FlexTensor, ConvTransposeOptions<3>) {
    // x: [N, C_in, L] -> [N, C_in, 1, 1, L]
    let x_shape = x.layout().shape();
    let x_3d = x.reshape(Shape::from(vec![x_shape[0], x_shape[1], 1, 1, x_shape[2]]));

    // weight: [C_in, C_out, K] -> [C_in, C_out, 1, 1, K]
    let w_shape = weight.layout().shape();
    let weight_3d = weight.reshape(Shape::from(vec![w_shape[0], w_shape[1], 1, 1, w_shape[2]]));

    let options_3d = ConvTransposeOptions::new(
        [1, 1, options.stride[0]],
        [0, 0, options.padding[0]],
        [0, 0, options.padding_out[0]],
        [1, 1, options.dilation[0]],
        options.groups,
    );

    (x_3d, weight_3d, options_3d)
}

// ============================================================================
// Conv Transpose 2d - delegates to conv_transpose3d
// ============================================================================

conv_nd_via_3d!(
    conv_transpose2d_f32,
    conv_transpose3d_f32,
    expand_transpose_2d_to_3d,
    squeeze_3d_to_2d,
    2,
    ConvTransposeOptions
);
conv_nd_via_3d!(
    conv_transpose2d_f64,
    conv_transpose3d_f64,
    expand_transpose_2d_to_3d,
    squeeze_3d_to_2d,
    2,
    ConvTransposeOptions
);
conv_nd_via_3d!(
    conv_transpose2d_f16,
    conv_transpose3d_f16,
    expand_transpose_2d_to_3d,
    squeeze_3d_to_2d,
    2,
    ConvTransposeOptions
);
bf16_via_f32!(
    conv_transpose2d_bf16,
    conv_transpose2d_f32,
    2,
    ConvTransposeOptions
);

fn expand_transpose_2d_to_3d(
    x: &FlexTensor,
    weight: &FlexTensor,
    options: &ConvTransposeOptions<2>,
) -> (FlexTensor, FlexTensor, ConvTransposeOptions<3>) {
    // x: [N, C_in, H, W] -> [N, C_in, 1, H, W]
    let x_shape = x.layout().shape();
    let x_3d = x.reshape(Shape::from(vec![
        x_shape[0], x_shape[1], 1, x_shape[2], x_shape[3],
    ]));

    // weight: [C_in, C_out, Kh, Kw] -> [C_in, C_out, 1, Kh, Kw]
    let w_shape = weight.layout().shape();
    let weight_3d = weight.reshape(Shape::from(vec![
        w_shape[0], w_shape[1], 1, w_shape[2], w_shape[3],
    ]));

    let options_3d = ConvTransposeOptions::new(
        [1, options.stride[0], options.stride[1]],
        [0, options.padding[0], options.padding[1]],
        [0, options.padding_out[0], options.padding_out[1]],
        [1, options.dilation[0], options.dilation[1]],
        options.groups,
    );

    (x_3d, weight_3d, options_3d)
}

// ============================================================================
// Conv Transpose 3d - core implementation
// ============================================================================

conv_transpose3d_typed!(
    conv_transpose3d_f32,
    f32,
    DType::F32,
    0.0f32,
    conv_transpose_gemm_f32,
    |a, b| a + b
);
conv_transpose3d_typed!(
    conv_transpose3d_f64,
    f64,
    DType::F64,
    0.0f64,
    conv_transpose_gemm_f64,
    |a, b| a + b
);
conv_transpose3d_typed!(
    conv_transpose3d_f16,
    f16,
    DType::F16,
    f16::from_f32(0.0),
    conv_transpose_gemm_f16,
    |a: f16, b: f16| f16::from_f32(a.to_f32() + b.to_f32())
);
bf16_via_f32!(
    conv_transpose3d_bf16,
    conv_transpose3d_f32,
    3,
    ConvTransposeOptions
);

/// GEMM for conv_transpose: writes `c = a^T @ b` where a is [k,m] and b is [k,n].
/// The last argument allows the GEMM to use several threads (false when the caller already runs
/// one GEMM per thread).
type ConvTransposeGemmFn<T> = fn(&mut [T], &[T], &[T], usize, usize, usize, usize, bool);

/// 3D transposed convolution via GEMM + col2im.
#[allow(clippy::too_many_arguments)]
fn conv_transpose3d_impl<
    T: bytemuck::Pod + Clone + Copy + Send + Sync + burn_backend::Element + core::ops::Add<Output = T>,
>(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvTransposeOptions<3>,
    dtype: DType,
    zero: T,
    gemm_fn: ConvTransposeGemmFn<T>,
    add_fn: fn(T, T) -> T,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();

    let x_shape = x.layout().shape();
    let w_shape = weight.layout().shape();

    let batch_size = x_shape[0];
    let in_channels = x_shape[1];
    let in_d = x_shape[2];
    let in_h = x_shape[3];
    let in_w = x_shape[4];

    // Weight shape for transpose: [in_channels, out_channels_per_group, kd, kh, kw]
    let out_channels_per_group = w_shape[1];
    let kernel_d = w_shape[2];
    let kernel_h = w_shape[3];
    let kernel_w = w_shape[4];

    let [stride_d, stride_h, stride_w] = options.stride;
    let [pad_d, pad_h, pad_w] = options.padding;
    let [pad_out_d, pad_out_h, pad_out_w] = options.padding_out;
    let [dilation_d, dilation_h, dilation_w] = options.dilation;
    let groups = options.groups;

    let out_channels = out_channels_per_group * groups;
    let in_channels_per_group = in_channels / groups;

    let out_d = calculate_conv_transpose_output_size(
        kernel_d, stride_d, pad_d, pad_out_d, dilation_d, in_d,
    );
    let out_h = calculate_conv_transpose_output_size(
        kernel_h, stride_h, pad_h, pad_out_h, dilation_h, in_h,
    );
    let out_w = calculate_conv_transpose_output_size(
        kernel_w, stride_w, pad_w, pad_out_w, dilation_w, in_w,
    );

    let x_data: &[T] = x.storage();
    let w_data: &[T] = weight.storage();
    // burn-gan patch 10 (PATCHES.md): the GEMM reads the kernel `[c_in, col_ch]` one row per
    // step of its reduction (packing it, or unpacked in its micro-kernel). Rows a multiple of
    // 512 bytes long (64 output channels x 4x4 taps = 4 KiB in f32) are copied once to rows
    // padded by one cache line (`padded_row_len`).
    let row = w_shape[1] * w_shape[2] * w_shape[3] * w_shape[4];
    let w_ld = super::conv::padded_row_len::<T>(row);
    let w_padded: alloc::vec::Vec<T>;
    let w_data: &[T] = if w_ld == row {
        w_data
    } else {
        let mut padded = vec![zero; w_shape[0] * w_ld];
        for (dst, src) in padded.chunks_mut(w_ld).zip(w_data.chunks(row)) {
            dst[..row].copy_from_slice(src);
        }
        w_padded = padded;
        &w_padded
    };

    let k_spatial = [kernel_d, kernel_h, kernel_w]
        .iter()
        .try_fold(1usize, |acc, &x| acc.checked_mul(x))
        .expect("conv_transpose: kernel dimensions would overflow");
    let in_spatial = [in_d, in_h, in_w]
        .iter()
        .try_fold(1usize, |acc, &x| acc.checked_mul(x))
        .expect("conv_transpose: input spatial dimensions would overflow");
    let out_spatial = out_d * out_h * out_w;
    let col_ch = out_channels_per_group
        .checked_mul(k_spatial)
        .expect("conv_transpose: columns dimensions would overflow");

    let output_size = [batch_size, out_channels, out_d, out_h, out_w]
        .iter()
        .try_fold(1usize, |acc, &x| acc.checked_mul(x))
        .expect("conv_transpose: output dimensions would overflow");
    let mut output = vec![zero; output_size];
    if output_size == 0 || in_spatial == 0 {
        // Nothing to multiply (an empty batch, no channels, or an empty input).
        let out_shape = Shape::from(vec![batch_size, out_channels, out_d, out_h, out_w]);
        return FlexTensor::new(
            Bytes::from_elems(output),
            Layout::contiguous(out_shape),
            dtype,
        );
    }

    // burn-gan patch: chunks of images run in parallel, each with its own columns buffer and a
    // single-threaded GEMM; col2im walks only the valid input range of each kernel tap instead
    // of testing every element. See vendor/burn-flex/PATCHES.md.
    let out_per_image = out_channels * out_spatial;
    let geometry = Col2Im::new(
        [in_d, in_h, in_w],
        [out_d, out_h, out_w],
        [kernel_d, kernel_h, kernel_w],
        [stride_d, stride_h, stride_w],
        [pad_d, pad_h, pad_w],
        [dilation_d, dilation_h, dilation_w],
    );
    // burn-gan patch 10 (PATCHES.md): a few images share one GEMM, so that the GEMM's rows
    // (the input positions) number a few hundred instead of one image's 49 or 196, and the
    // kernel is packed once per chunk instead of once per image. The chunk's inputs are
    // gathered into `[c_in, images x in_spatial]`, the columns come out as
    // `[col_ch, images x in_spatial]`, and col2im reads each image's part of every row.
    let per_chunk = 256usize.div_ceil(in_spatial).clamp(1, batch_size);
    // Chunks of images within one image of each other, as many per thread: 64 images in
    // chunks of 6 made 11 chunks, 6 for one thread and 5 for the other.
    let chunks = super::conv::balanced_parts(batch_size, per_chunk);
    let per_chunk = batch_size.div_ceil(chunks);
    // Chunk `c` holds images `bounds(c)..bounds(c + 1)`.
    let bounds = |c: usize| c * batch_size / chunks;
    let columns_len = (per_chunk * in_spatial)
        .checked_mul(col_ch)
        .expect("conv_transpose: columns buffer size would overflow");
    #[allow(clippy::type_complexity)]
    let one_chunk = |first: usize,
                     out_chunk: &mut [T],
                     (columns, plane, inputs): &mut (
        alloc::vec::Vec<T>,
        alloc::vec::Vec<T>,
        alloc::vec::Vec<T>,
    ),
                     allow_threads: bool| {
        let images = out_chunk.len() / out_per_image;
        let n = images * in_spatial;
        for g in 0..groups {
            let ic_start = g * in_channels_per_group;
            let oc_start = g * out_channels_per_group;
            let w_offset = ic_start * w_ld;
            let w_group = &w_data[w_offset..w_offset + in_channels_per_group * w_ld];
            let x_group: &[T] = if images == 1 {
                let x_offset = (first * in_channels + ic_start) * in_spatial;
                &x_data[x_offset..x_offset + in_channels_per_group * in_spatial]
            } else {
                inputs.resize(in_channels_per_group * n, zero);
                for ic in 0..in_channels_per_group {
                    for j in 0..images {
                        let src = ((first + j) * in_channels + ic_start + ic) * in_spatial;
                        let dst = ic * n + j * in_spatial;
                        inputs[dst..dst + in_spatial]
                            .copy_from_slice(&x_data[src..src + in_spatial]);
                    }
                }
                &inputs[..]
            };
            gemm_fn(
                &mut columns[..col_ch * n],
                w_group,
                x_group,
                col_ch,
                in_channels_per_group,
                n,
                w_ld,
                allow_threads,
            );
            for (j, out_image) in out_chunk.chunks_mut(out_per_image).enumerate() {
                for oc in 0..out_channels_per_group {
                    let out_ch = &mut out_image
                        [(oc_start + oc) * out_spatial..(oc_start + oc + 1) * out_spatial];
                    let cols = &mut columns[oc * k_spatial * n..(oc + 1) * k_spatial * n];
                    geometry.scatter(cols, n, j * in_spatial, out_ch, plane, zero);
                }
            }
        }
    };
    let scratch = || {
        (
            vec![zero; columns_len],
            alloc::vec::Vec::new(),
            alloc::vec::Vec::new(),
        )
    };

    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        if chunks > 1 {
            let mut parts = alloc::vec::Vec::with_capacity(chunks);
            let mut rest = &mut output[..];
            for c in 0..chunks {
                let (part, tail) = core::mem::take(&mut rest)
                    .split_at_mut((bounds(c + 1) - bounds(c)) * out_per_image);
                parts.push((bounds(c), part));
                rest = tail;
            }
            parts
                .into_par_iter()
                .for_each_init(scratch, |scratch, (first, out_chunk)| {
                    one_chunk(first, out_chunk, scratch, false)
                });
        } else if batch_size > 0 {
            one_chunk(0, &mut output, &mut scratch(), true);
        }
    }
    #[cfg(not(feature = "rayon"))]
    {
        let mut scratch = scratch();
        let mut rest = &mut output[..];
        for c in 0..chunks {
            let (part, tail) = core::mem::take(&mut rest)
                .split_at_mut((bounds(c + 1) - bounds(c)) * out_per_image);
            one_chunk(bounds(c), part, &mut scratch, true);
            rest = tail;
        }
    }

    // Add bias if present
    if let Some(bias) = bias {
        let bias = bias.to_contiguous();
        let bias_data: &[T] = bias.storage();
        add_bias(
            &mut output,
            bias_data,
            batch_size,
            out_channels,
            out_spatial,
            add_fn,
        );
    }

    let out_shape = Shape::from(vec![batch_size, out_channels, out_d, out_h, out_w]);
    FlexTensor::new(
        Bytes::from_elems(output),
        Layout::contiguous(out_shape),
        dtype,
    )
}

/// Geometry of the col2im scatter of one output channel (burn-gan patch), with the work of
/// every kernel tap computed once per convolution rather than once per channel and image.
struct Col2Im {
    in_dhw: [usize; 3],
    out_dhw: [usize; 3],
    stride: [usize; 3],
    /// Output positions per dimension divided by the stride, rounded up: the size of a phase
    /// plane.
    q: [usize; 3],
    taps: alloc::vec::Vec<Tap>,
}

/// One kernel tap that reaches the output: its row in the columns, the valid input ranges and
/// where input (d_lo, h_lo, w_lo) lands in the phase planes.
struct Tap {
    k_idx: usize,
    d: (usize, usize),
    h: (usize, usize),
    w: (usize, usize),
    /// Plane offset of the tap's phase plus the position of input (0, 0, w_lo) in it, and
    /// the plane-index shifts along d and h (input index + shift = plane index).
    at: usize,
    shift_d: isize,
    shift_h: isize,
}

impl Col2Im {
    fn new(
        in_dhw: [usize; 3],
        out_dhw: [usize; 3],
        kernel: [usize; 3],
        stride: [usize; 3],
        pad: [usize; 3],
        dilation: [usize; 3],
    ) -> Self {
        let q = [0, 1, 2].map(|d| out_dhw[d].div_ceil(stride[d]));
        let plane_len = q[0] * q[1] * q[2];
        // (valid input range, phase, plane shift) of tap `k` along dimension `dim`.
        let along = |dim: usize, k: usize| {
            let range = Self::valid(
                in_dhw[dim],
                stride[dim],
                k * dilation[dim],
                pad[dim],
                out_dhw[dim],
            );
            let c = (k * dilation[dim]) as isize - pad[dim] as isize;
            let st = stride[dim] as isize;
            (range, c.rem_euclid(st) as usize, c.div_euclid(st))
        };
        let mut taps = alloc::vec::Vec::new();
        for kd in 0..kernel[0] {
            let (d, pd, shift_d) = along(0, kd);
            for kh in 0..kernel[1] {
                let (h, ph, shift_h) = along(1, kh);
                for kw in 0..kernel[2] {
                    let (w, pw, shift_w) = along(2, kw);
                    if d.0 >= d.1 || h.0 >= h.1 || w.0 >= w.1 {
                        continue;
                    }
                    let phase = (pd * stride[1] + ph) * stride[2] + pw;
                    taps.push(Tap {
                        k_idx: (kd * kernel[1] + kh) * kernel[2] + kw,
                        d,
                        h,
                        w,
                        at: phase * plane_len + (w.0 as isize + shift_w) as usize,
                        shift_d,
                        shift_h,
                    });
                }
            }
        }
        Self {
            in_dhw,
            out_dhw,
            stride,
            q,
            taps,
        }
    }

    /// Input positions `i` in `0..in_len` whose output `i * stride + offset - pad` lies in
    /// `0..out_len`, as a half-open range.
    fn valid(
        in_len: usize,
        stride: usize,
        offset: usize,
        pad: usize,
        out_len: usize,
    ) -> (usize, usize) {
        // i * stride + offset >= pad
        let lo = if offset >= pad {
            0
        } else {
            (pad - offset).div_ceil(stride)
        };
        // i * stride + offset <= pad + out_len - 1
        let top = pad + out_len;
        let hi = if top <= offset {
            0
        } else {
            ((top - 1 - offset) / stride + 1).min(in_len)
        };
        (lo.min(in_len), hi.max(lo.min(in_len)))
    }

    /// Writes the columns `cols` ([k_spatial, in_spatial]) of one output channel into `out`
    /// ([out_d * out_h * out_w], zero on entry).
    ///
    /// With a stride above 1, every kernel tap writes one phase of the output (positions
    /// congruent modulo the stride), so the taps accumulate into one plane per phase, where the
    /// positions of consecutive inputs are adjacent (a contiguous, vectorisable add), and the
    /// planes are interleaved into `out` at the end. `plane` is scratch space reused between
    /// calls. (`T: Add` rather than the caller's `add_fn` pointer: an indirect call per element
    /// kept the loop from being inlined and vectorised.)
    fn scatter<T: Copy + core::ops::Add<Output = T>>(
        &self,
        cols: &mut [T],
        col_stride: usize,
        col_offset: usize,
        out: &mut [T],
        plane: &mut alloc::vec::Vec<T>,
        zero: T,
    ) {
        // burn-gan patch 14 (PATCHES.md): the same loops compiled for AVX2 when the CPU has
        // it (the crate is built for baseline x86-64, whose 4-wide SSE the short adds of 49
        // or 196 elements mostly spent in loop overhead).
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2.
            unsafe {
                return self.scatter_avx2(cols, col_stride, col_offset, out, plane, zero);
            }
        }
        self.scatter_impl(cols, col_stride, col_offset, out, plane, zero)
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    unsafe fn scatter_avx2<T: Copy + core::ops::Add<Output = T>>(
        &self,
        cols: &mut [T],
        col_stride: usize,
        col_offset: usize,
        out: &mut [T],
        plane: &mut alloc::vec::Vec<T>,
        zero: T,
    ) {
        self.scatter_impl(cols, col_stride, col_offset, out, plane, zero)
    }

    #[inline(always)]
    fn scatter_impl<T: Copy + core::ops::Add<Output = T>>(
        &self,
        cols: &mut [T],
        col_stride: usize,
        col_offset: usize,
        out: &mut [T],
        plane: &mut alloc::vec::Vec<T>,
        zero: T,
    ) {
        let [in_d, in_h, in_w] = self.in_dhw;
        let [out_d, out_h, out_w] = self.out_dhw;
        let (s, q) = (self.stride, self.q);
        let plane_len = q[0] * q[1] * q[2];
        let direct = s == [1, 1, 1];
        let target: &mut [T] = if direct {
            out
        } else {
            plane.clear();
            plane.resize(s[0] * s[1] * s[2] * plane_len, zero);
            &mut plane[..]
        };
        // Row length of the target (the output or a phase plane). When it equals the input's,
        // a tap's rows are as far apart in the target as in the columns, so the whole block of
        // rows is one contiguous add (rows of 7 or 14 are too short to vectorise one by one).
        // The columns between a tap's valid ranges of consecutive rows would land in the
        // target's neighbouring positions, so they are zeroed first: each column row belongs
        // to one tap and is read once, and adding zero leaves the target exact.
        let target_w = if direct { out_w } else { q[2] };
        let in_spatial = in_d * in_h * in_w;
        for tap in &self.taps {
            let at = tap.k_idx * col_stride + col_offset;
            let col = &mut cols[at..at + in_spatial];
            let len = tap.w.1 - tap.w.0;
            let rows = tap.h.1 - tap.h.0;
            let flat = target_w == in_w && rows > 1;
            for id in tap.d.0..tap.d.1 {
                let qd = (id as isize + tap.shift_d) as usize;
                let qh0 = (tap.h.0 as isize + tap.shift_h) as usize;
                if flat {
                    let at = tap.at + (qd * q[1] + qh0) * q[2];
                    let src_at = (id * in_h + tap.h.0) * in_w + tap.w.0;
                    let n = (rows - 1) * in_w + len;
                    let src = &mut col[src_at..src_at + n];
                    if len < in_w {
                        for r in 0..rows - 1 {
                            src[r * in_w + len..(r + 1) * in_w].fill(zero);
                        }
                    }
                    for (d, &v) in target[at..at + n].iter_mut().zip(src.iter()) {
                        *d = *d + v;
                    }
                    continue;
                }
                for ih in tap.h.0..tap.h.1 {
                    let qh = qh0 + (ih - tap.h.0);
                    let at = tap.at + (qd * q[1] + qh) * q[2];
                    let src_at = (id * in_h + ih) * in_w + tap.w.0;
                    let dst = &mut target[at..at + len];
                    for (d, &v) in dst.iter_mut().zip(&col[src_at..src_at + len]) {
                        *d = *d + v;
                    }
                }
            }
        }
        if direct {
            return;
        }
        for od in 0..out_d {
            for oh in 0..out_h {
                let row = &mut out[(od * out_h + oh) * out_w..(od * out_h + oh + 1) * out_w];
                let phase_dh = (od % s[0]) * s[1] + oh % s[1];
                let plane_row = ((od / s[0]) * q[1] + oh / s[1]) * q[2];
                let src = |pw: usize| {
                    let at = (phase_dh * s[2] + pw) * plane_len + plane_row;
                    &plane[at..at + q[2]]
                };
                if s[2] == 2 && out_w >= 2 {
                    // Two phases interleaved pairwise (the common stride): a loop the
                    // compiler vectorises, unlike the strided one below.
                    let (even, odd) = (src(0), src(1));
                    let pairs = out_w / 2;
                    for ((pair, &a), &b) in row.chunks_exact_mut(2).zip(even).zip(odd).take(pairs) {
                        pair[0] = a;
                        pair[1] = b;
                    }
                    if out_w % 2 == 1 {
                        row[out_w - 1] = even[pairs];
                    }
                    continue;
                }
                for pw in 0..s[2].min(out_w) {
                    let src = src(pw);
                    for (j, slot) in row[pw..].iter_mut().step_by(s[2]).enumerate() {
                        *slot = src[j];
                    }
                }
            }
        }
    }
}

// ============================================================================
// gemm for conv_transpose: C[m,n] = A[k,m]^T @ B[k,n]
// ============================================================================

macro_rules! conv_transpose_gemm_typed {
    ($fn_name:ident, $T:ty, $zero:expr, $one:expr) => {
        fn $fn_name(
            c: &mut [$T],
            a: &[$T],
            b: &[$T],
            m: usize,
            k: usize,
            n: usize,
            lda: usize,
            allow_threads: bool,
        ) {
            debug_assert_eq!(c.len(), m * n);
            debug_assert_eq!(a.len(), k * lda);
            debug_assert_eq!(b.len(), k * n);
            #[cfg(feature = "rayon")]
            let parallelism = if allow_threads && m * n * k >= 192 * 192 * 192 {
                gemm::Parallelism::Rayon(0)
            } else {
                gemm::Parallelism::None
            };
            #[cfg(not(feature = "rayon"))]
            let parallelism = {
                let _ = allow_threads;
                gemm::Parallelism::None
            };
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,          // dst_cs
                    n as isize, // dst_rs
                    false,
                    a.as_ptr(),
                    lda as isize, // lhs_cs: A^T column stride = row stride of A
                    1,            // lhs_rs: A^T row stride = 1
                    b.as_ptr(),
                    1,          // rhs_cs
                    n as isize, // rhs_rs
                    $zero,
                    $one,
                    false,
                    false,
                    false,
                    parallelism,
                );
            }
        }
    };
}

conv_transpose_gemm_typed!(conv_transpose_gemm_f32, f32, 0.0f32, 1.0f32);
conv_transpose_gemm_typed!(conv_transpose_gemm_f64, f64, 0.0f64, 1.0f64);
conv_transpose_gemm_typed!(
    conv_transpose_gemm_f16,
    f16,
    f16::from_f32(0.0),
    f16::from_f32(1.0)
);

// ============================================================================
// Tests
// ============================================================================

// Tests kept here exercise flex-specific dtype storage paths (f64/f16)
// through the conv_transpose dispatch. Plain conv_transpose shape/stride/
// padding/groups/dilation/multichannel/batch correctness is covered at
// the public API level by crates/burn-backend-tests/tests/tensor/float/
// module/conv_transpose{1,2,3}d.rs, so those tests were removed from here.
// When adding new tests, keep them here only if they probe flex dtype
// dispatch or a flex-internal fast path; otherwise add them there.
#[cfg(test)]
mod tests {
    use super::*;
    use burn_backend::TensorData;

    #[test]
    fn test_conv_transpose2d_f64() {
        let x = FlexTensor::from_data(TensorData::new(
            vec![1.0f64, 2.0, 3.0, 4.0],
            vec![1, 1, 2, 2],
        ));
        let w = FlexTensor::from_data(TensorData::new(vec![1.0f64; 4], vec![1, 1, 2, 2]));
        let opts = ConvTransposeOptions::new([1, 1], [0, 0], [0, 0], [1, 1], 1);
        let result = conv_transpose2d_f64(x, w, None, &opts);
        let out: Vec<f64> = result.into_data().to_vec().unwrap();
        assert_eq!(out, vec![1.0, 3.0, 2.0, 4.0, 10.0, 6.0, 3.0, 7.0, 4.0]);
    }

    #[test]
    fn test_conv_transpose2d_f16() {
        let x_data: Vec<f16> = [1.0f32, 2.0, 3.0, 4.0]
            .iter()
            .map(|&v| f16::from_f32(v))
            .collect();
        let w_data: Vec<f16> = [1.0f32; 4].iter().map(|&v| f16::from_f32(v)).collect();
        let x = FlexTensor::from_data(TensorData::new(x_data, vec![1, 1, 2, 2]));
        let w = FlexTensor::from_data(TensorData::new(w_data, vec![1, 1, 2, 2]));
        let opts = ConvTransposeOptions::new([1, 1], [0, 0], [0, 0], [1, 1], 1);
        let result = conv_transpose2d_f16(x, w, None, &opts);
        let out: Vec<f16> = result.into_data().to_vec().unwrap();
        let expected = [1.0f32, 3.0, 2.0, 4.0, 10.0, 6.0, 3.0, 7.0, 4.0];
        for (a, e) in out.iter().zip(expected.iter()) {
            assert!((a.to_f32() - e).abs() < 0.1);
        }
    }
}
