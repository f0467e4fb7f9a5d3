//! Weight gradients of convolutions and transposed convolutions as one accumulated GEMM.
//!
//! burn-gan patch (PATCHES.md). burn 0.21's default `conv2d_weight_backward` swaps the batch
//! and channel axes of the input and of the output gradient and runs a forward convolution
//! whose "images" are the input channels and whose kernel is the whole output gradient. On
//! this backend that costs two strided copies of the swapped views, two layout transposes of
//! the copies and a strided result. Here the gradient is computed where it lives:
//!
//! `dW[co, (kd, kh, kw, ci)] = sum over (image, output position) of dy[co, p] * col[p, (kd, kh, kw, ci)]`
//!
//! with `col` the forward pass's im2col rows (the channels-last tile of `conv.rs`), built tile
//! by tile. Each tile adds `dy_tile [c_out, tile] x col_tile [tile, col_len]` into a
//! per-thread accumulator; the accumulators are summed and the result is reordered to
//! `[c_out, ci, kd, kh, kw]` at the end. Both GEMM operands are read in the layouts gemm
//! packs fastest (contiguous along the reduction for the tile, the gradient rows as they are).
//!
//! The weight gradient of a transposed convolution is the weight gradient of the convolution
//! it is the adjoint of, with the roles of input and output exchanged: the transposed
//! convolution's output gradient is that convolution's input, its input is that
//! convolution's output gradient, and its weight `[c_in, c_out / groups, k...]` is already in
//! that convolution's `[out, in / groups, k...]` layout.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_std::{Bytes, Shape, bf16, f16};

use crate::{FlexTensor, Layout};

use super::conv::{
    balanced_parts, im2col_3d_tile, padded_row_len, transpose_2d, transpose_rows_parallel,
    worker_threads,
};
use super::module::{cast_from_f32, cast_to_f32};

/// Gradient of `conv2d(x, w)` with respect to `w`, shaped like `w`.
pub fn conv2d_weight_backward(
    x: FlexTensor,
    weight_shape: Shape,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let geometry = Geometry {
        stride: [1, options.stride[0], options.stride[1]],
        padding: [0, options.padding[0], options.padding[1]],
        dilation: [1, options.dilation[0], options.dilation[1]],
        groups: options.groups,
    };
    let w = weight_shape.clone();
    let kernel = [1, w[2], w[3]];
    weight_grad_dispatch(
        unsqueeze_d(x),
        unsqueeze_d(output_grad),
        kernel,
        &geometry,
        w,
    )
}

/// Gradient of `conv_transpose2d(x, w)` with respect to `w`, shaped like `w`.
pub fn conv_transpose2d_weight_backward(
    x: FlexTensor,
    weight_shape: Shape,
    output_grad: FlexTensor,
    options: &ConvTransposeOptions<2>,
) -> FlexTensor {
    let geometry = Geometry {
        stride: [1, options.stride[0], options.stride[1]],
        padding: [0, options.padding[0], options.padding[1]],
        dilation: [1, options.dilation[0], options.dilation[1]],
        groups: options.groups,
    };
    let w = weight_shape.clone();
    let kernel = [1, w[2], w[3]];
    // The adjoint convolution reads the output gradient and produces `x`.
    weight_grad_dispatch(
        unsqueeze_d(output_grad),
        unsqueeze_d(x),
        kernel,
        &geometry,
        w,
    )
}

/// Stride, padding and dilation over (depth, height, width), and the group count.
struct Geometry {
    stride: [usize; 3],
    padding: [usize; 3],
    dilation: [usize; 3],
    groups: usize,
}

/// `[n, c, h, w]` as `[n, c, 1, h, w]`, contiguous.
fn unsqueeze_d(t: FlexTensor) -> FlexTensor {
    let t = t.to_contiguous();
    let s = t.layout().shape().clone();
    t.reshape(Shape::from(vec![s[0], s[1], 1, s[2], s[3]]))
}

fn weight_grad_dispatch(
    input: FlexTensor,
    output_grad: FlexTensor,
    kernel: [usize; 3],
    geometry: &Geometry,
    weight_shape: Shape,
) -> FlexTensor {
    let dtype = input.dtype();
    // burn-gan patch 15 (PATCHES.md): the implicit-GEMM weight gradient on AVX-512.
    #[cfg(all(feature = "std", feature = "rayon", target_arch = "x86_64"))]
    {
        let (xs, ys) = (input.layout().shape(), output_grad.layout().shape());
        if super::conv_direct::weight_grad_applies(dtype, xs[1], geometry.groups, kernel[0])
            && xs[2] == 1
            && ys[2] == 1
        {
            let grad = super::conv_direct::weight_grad_f32(
                input.storage(),
                [xs[0], xs[1], xs[3], xs[4]],
                output_grad.storage(),
                [ys[1], ys[3], ys[4]],
                [kernel[1], kernel[2]],
                [geometry.stride[1], geometry.stride[2]],
                [geometry.padding[1], geometry.padding[2]],
                [geometry.dilation[1], geometry.dilation[2]],
            );
            return FlexTensor::new(
                Bytes::from_elems(grad),
                Layout::contiguous(weight_shape),
                dtype,
            );
        }
        // burn-gan patch 16: one input channel, vectorised along the output row.
        if super::conv_single::weight_grad_applies(dtype, xs[1], geometry.groups, kernel)
            && xs[2] == 1
            && ys[2] == 1
        {
            let grad = super::conv_single::weight_grad_f32(
                input.storage(),
                [xs[0], xs[3], xs[4]],
                output_grad.storage(),
                [ys[1], ys[3], ys[4]],
                [kernel[1], kernel[2]],
                [geometry.stride[1], geometry.stride[2]],
                [geometry.padding[1], geometry.padding[2]],
                [geometry.dilation[1], geometry.dilation[2]],
            );
            return FlexTensor::new(
                Bytes::from_elems(grad),
                Layout::contiguous(weight_shape),
                dtype,
            );
        }
    }
    let bytes = match dtype {
        DType::F32 => Bytes::from_elems(weight_grad::<f32>(&input, &output_grad, kernel, geometry)),
        DType::F64 => Bytes::from_elems(weight_grad::<f64>(&input, &output_grad, kernel, geometry)),
        // Half precision accumulates in f32, as this backend's convolutions do for bf16.
        DType::F16 => {
            let up = |t| cast_to_f32(t, f16::to_f32);
            let grad =
                weight_grad_dispatch(up(input), up(output_grad), kernel, geometry, weight_shape);
            return cast_from_f32(grad, f16::from_f32);
        }
        DType::BF16 => {
            let up = |t| cast_to_f32(t, bf16::to_f32);
            let grad =
                weight_grad_dispatch(up(input), up(output_grad), kernel, geometry, weight_shape);
            return cast_from_f32(grad, bf16::from_f32);
        }
        dtype => panic!("conv weight gradient: unsupported dtype {dtype:?}"),
    };
    FlexTensor::new(bytes, Layout::contiguous(weight_shape), dtype)
}

/// The weight gradient `[c_out, c_in / groups, kd, kh, kw]` of the convolution that maps the
/// contiguous `input` `[n, c_in, d, h, w]` to an output whose gradient is the contiguous
/// `output_grad` `[n, c_out, od, oh, ow]`.
fn weight_grad<T>(
    input: &FlexTensor,
    output_grad: &FlexTensor,
    kernel: [usize; 3],
    g: &Geometry,
) -> Vec<T>
where
    T: bytemuck::Pod + burn_backend::Element + num_traits::Zero + num_traits::One + Send + Sync,
{
    let xs = input.layout().shape();
    let ys = output_grad.layout().shape();
    let (batch, c_in, in_d, in_h, in_w) = (xs[0], xs[1], xs[2], xs[3], xs[4]);
    let (c_out, out_d, out_h, out_w) = (ys[1], ys[2], ys[3], ys[4]);
    assert_eq!(ys[0], batch, "conv weight gradient: batch sizes differ");
    let groups = g.groups;
    let cpg = c_in / groups;
    let cog = c_out / groups;
    let k_spatial = kernel[0] * kernel[1] * kernel[2];
    let col_len = cpg * k_spatial;
    let zero = T::zero();
    if batch == 0 || col_len == 0 || c_out == 0 {
        return vec![zero; c_out * col_len];
    }
    // Row stride of the im2col tile and the accumulator, padded as in conv.rs.
    let col_ld = padded_row_len::<T>(col_len);
    let x: &[T] = input.storage();
    let dy: &[T] = output_grad.storage();
    let in_spatial = in_d * in_h * in_w;
    let spatial_out = out_d * out_h * out_w;

    let mut x_nhwc = vec![zero; batch * in_spatial * c_in];
    transpose_rows_parallel(x, &mut x_nhwc, batch, c_in, in_spatial, c_in * in_spatial);
    let nhwc_stride = (in_spatial * c_in, in_h * in_w * c_in, in_w * c_in, c_in, 1);

    // Tiles of the flattened (image, output position) index: about 256k elements of im2col
    // each (1 MiB in f32, an L2 cache; the tile is the GEMM's reduction length), at most 4096
    // positions. 512k-element tiles were 5% slower on an AMD EPYC with 1 MiB of L2 per core.
    let total = batch * spatial_out;
    let tile = ((1usize << 18) / col_ld).clamp(64, 4096).min(total);
    // As many tiles for every part (thread), of sizes within one position of each other: with
    // 13 tiles on 2 threads one thread had a tile more of work than the other.
    let tile = total.div_ceil(balanced_parts(total, tile));
    let num_tiles = total.div_ceil(tile);
    let parts = worker_threads().clamp(1, num_tiles);

    // One part: tiles part, part + parts, ... accumulated into one [c_out, col_ld] buffer.
    let run_part = |part: usize| -> Vec<T> {
        let mut acc = vec![zero; c_out * col_ld];
        let mut col_tile = vec![zero; tile * col_ld];
        let mut dy_tile = vec![zero; cog * tile];
        let mut segments = Vec::new();
        for tile_idx in (part..num_tiles).step_by(parts) {
            let tile_start = tile_idx * tile;
            let tile_end = (tile_start + tile).min(total);
            let tile_size = tile_end - tile_start;
            // (image, first position, last position + 1, offset in the tile)
            segments.clear();
            let mut at = tile_start;
            while at < tile_end {
                let b = at / spatial_out;
                let end = ((b + 1) * spatial_out).min(tile_end);
                segments.push((
                    b,
                    at - b * spatial_out,
                    end - b * spatial_out,
                    at - tile_start,
                ));
                at = end;
            }
            for grp in 0..groups {
                // im2col writes whole rows, padded taps included (no zeroing between tiles).
                for &(b, start, end, offset) in &segments {
                    im2col_3d_tile(
                        &mut col_tile[offset * col_ld..],
                        &x_nhwc,
                        start,
                        end,
                        out_h,
                        out_w,
                        kernel[0],
                        kernel[1],
                        kernel[2],
                        g.stride[0],
                        g.stride[1],
                        g.stride[2],
                        g.dilation[0],
                        g.dilation[1],
                        g.dilation[2],
                        g.padding[0],
                        g.padding[1],
                        g.padding[2],
                        in_d,
                        in_h,
                        in_w,
                        cpg,
                        col_ld,
                        b,
                        grp * cpg,
                        nhwc_stride,
                    );
                    for c in 0..cog {
                        let src = (b * c_out + grp * cog + c) * spatial_out;
                        dy_tile[c * tile_size + offset..c * tile_size + offset + end - start]
                            .copy_from_slice(&dy[src + start..src + end]);
                    }
                }
                // ANCHOR: accumulate
                // acc[group rows] += dy_tile [cog, tile_size] x col_tile [tile_size, col_len]
                // Safety: the pointers and strides describe the buffers above.
                unsafe {
                    gemm::gemm(
                        cog,
                        col_len,
                        tile_size,
                        acc.as_mut_ptr().add(grp * cog * col_ld),
                        1,
                        col_ld as isize,
                        true,
                        dy_tile.as_ptr(),
                        1,
                        tile_size as isize,
                        col_tile.as_ptr(),
                        1,
                        col_ld as isize,
                        T::one(),
                        T::one(),
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                // ANCHOR_END: accumulate
            }
        }
        acc
    };

    #[cfg(feature = "rayon")]
    let partials: Vec<Vec<T>> = {
        use rayon::prelude::*;
        (0..parts).into_par_iter().map(run_part).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let partials: Vec<Vec<T>> = vec![run_part(0)];

    let mut partials = partials.into_iter();
    let mut acc = partials.next().expect("at least one part");
    for part in partials {
        for (a, p) in acc.iter_mut().zip(part) {
            *a = *a + p;
        }
    }
    // [c_out, (kd, kh, kw, ci)] -> [c_out, ci, kd, kh, kw]
    let mut grad = vec![zero; c_out * col_len];
    for (row, out) in acc.chunks(col_ld).zip(grad.chunks_mut(col_len)) {
        transpose_2d(&row[..col_len], out, k_spatial, cpg);
    }
    grad
}
