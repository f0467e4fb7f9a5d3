//! Checks the burn-gan patches of burn-flex (crate `burn-gan-flex`, vendor/burn-flex/PATCHES.md)
//! against direct reference implementations: the batch-parallel transposed convolution with its
//! range-based col2im, the slab-wise copy of N-dimensional permuted tensors, the im2col
//! convolution, the element-wise loops, the convolution weight gradients, the implicit-GEMM
//! convolutions, transposed convolutions and weight gradients of patch 15, and the
//! one-input-channel convolutions and weight gradients of patch 16 (both taken on CPUs with
//! AVX-512).
#![cfg(feature = "flex")]

use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::ConvTransposeOptions;
use burn::tensor::{Tensor, TensorData};

type F = burn_gan_flex::Flex<f32>;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The transposed convolution by its definition: every input pixel adds its kernel, scaled, at
/// `i * stride + k * dilation - padding` (f64 accumulation).
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f32],
    [n, c_in, h, w]: [usize; 4],
    weight: &[f32],
    [c_out_g, kh, kw]: [usize; 3],
    bias: Option<&[f32]>,
    opts: &ConvTransposeOptions<2>,
) -> (Vec<f32>, [usize; 4]) {
    let g = opts.groups;
    let c_in_g = c_in / g;
    let c_out = c_out_g * g;
    let out = |i: usize, d: usize| {
        (i - 1) * opts.stride[d] + opts.dilation[d] * ([kh, kw][d] - 1) + opts.padding_out[d] + 1
            - 2 * opts.padding[d]
    };
    let (oh, ow) = (out(h, 0), out(w, 1));
    let mut y = vec![0f64; n * c_out * oh * ow];
    for b in 0..n {
        for ci in 0..c_in {
            let grp = ci / c_in_g;
            for co_g in 0..c_out_g {
                let co = grp * c_out_g + co_g;
                for i in 0..h {
                    for j in 0..w {
                        let xv = x[((b * c_in + ci) * h + i) * w + j] as f64;
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let yi = (i * opts.stride[0] + ki * opts.dilation[0]) as isize
                                    - opts.padding[0] as isize;
                                let yj = (j * opts.stride[1] + kj * opts.dilation[1]) as isize
                                    - opts.padding[1] as isize;
                                if yi < 0 || yj < 0 || yi >= oh as isize || yj >= ow as isize {
                                    continue;
                                }
                                let wv = weight[((ci * c_out_g + co_g) * kh + ki) * kw + kj] as f64;
                                y[((b * c_out + co) * oh + yi as usize) * ow + yj as usize] +=
                                    xv * wv;
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(bias) = bias {
        for (idx, v) in y.iter_mut().enumerate() {
            *v += bias[(idx / (oh * ow)) % c_out] as f64;
        }
    }
    (
        y.into_iter().map(|v| v as f32).collect(),
        [n, c_out, oh, ow],
    )
}

/// One transposed convolution to check: input `[n, c_in, h, w]`, kernel `[c_out_g, kh, kw]` per
/// group.
struct TransposedCase {
    input: [usize; 4],
    kernel: [usize; 3],
    stride: [usize; 2],
    padding: [usize; 2],
    padding_out: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
    bias: bool,
    what: &'static str,
}

impl TransposedCase {
    /// No dilation, one group, no output padding, a bias.
    fn new(
        input: [usize; 4],
        kernel: [usize; 3],
        stride: usize,
        padding: usize,
        what: &'static str,
    ) -> Self {
        Self {
            input,
            kernel,
            stride: [stride; 2],
            padding: [padding; 2],
            padding_out: [0, 0],
            dilation: [1, 1],
            groups: 1,
            bias: true,
            what,
        }
    }
}

#[test]
fn flex_conv_transpose2d_matches_the_definition() {
    let device = Default::default();
    let cases = [
        TransposedCase {
            bias: false,
            ..TransposedCase::new([8, 16, 7, 7], [8, 4, 4], 2, 1, "DCGAN upsampling")
        },
        TransposedCase::new([1, 4, 5, 6], [3, 4, 4], 2, 1, "a single image"),
        TransposedCase::new([3, 6, 4, 5], [2, 3, 3], 1, 0, "stride 1, no padding"),
        TransposedCase::new(
            [3, 5, 6, 5],
            [2, 3, 3],
            1,
            1,
            "stride 1, same size (rows added as one block)",
        ),
        TransposedCase::new(
            [2, 3, 9, 4],
            [2, 5, 5],
            1,
            2,
            "stride 1, same size, two columns cut per row",
        ),
        TransposedCase {
            padding_out: [1, 1],
            ..TransposedCase::new(
                [2, 4, 6, 5],
                [3, 3, 3],
                2,
                1,
                "stride 2, output twice the input, odd kernel",
            )
        },
        TransposedCase::new([2, 3, 4, 1], [2, 4, 4], 2, 1, "one input column"),
        TransposedCase::new(
            [2, 3, 5, 4],
            [2, 6, 6],
            3,
            0,
            "stride 3, output three times the input",
        ),
        TransposedCase {
            stride: [3, 2],
            padding: [2, 1],
            padding_out: [1, 1],
            groups: 2,
            ..TransposedCase::new([2, 4, 6, 5], [3, 3, 2], 1, 0, "groups, padding_out")
        },
        TransposedCase {
            stride: [2, 1],
            padding: [3, 2],
            padding_out: [1, 0],
            dilation: [2, 3],
            bias: false,
            ..TransposedCase::new([5, 3, 4, 4], [2, 3, 3], 1, 0, "dilation, big padding")
        },
        // Patch 10: 7x7 inputs go 6 images to a GEMM, so 13 images make chunks of 6, 6 and a
        // single image; 8 outputs x 4x4 taps = 128 floats per kernel row, a padded row.
        TransposedCase::new(
            [13, 6, 7, 7],
            [8, 4, 4],
            2,
            1,
            "chunks of images, padded kernel rows",
        ),
        TransposedCase {
            groups: 2,
            ..TransposedCase::new([7, 4, 7, 7], [3, 4, 4], 2, 1, "chunks of images, groups")
        },
        // Patch 15's implicit GEMM per output phase (f32, one group, >= 16 outputs, >= 8
        // inputs, AVX-512): DCGAN's 128 -> 64 layer at a small batch, a partial vector of
        // outputs, an odd kernel with output padding (phases of 2 and 1 taps), stride 3 with a
        // kernel of 6, a stride larger than the kernel (phases without taps, bias only),
        // dilation with wide padding, several output blocks.
        TransposedCase::new([3, 128, 7, 7], [64, 4, 4], 2, 1, "implicit GEMM: DCGAN"),
        TransposedCase::new([2, 8, 5, 6], [20, 4, 4], 2, 1, "implicit GEMM: 20 outputs"),
        TransposedCase {
            padding_out: [1, 1],
            ..TransposedCase::new([2, 9, 6, 5], [17, 3, 3], 2, 1, "implicit GEMM: odd kernel")
        },
        TransposedCase::new([2, 8, 4, 5], [33, 6, 6], 3, 0, "implicit GEMM: stride 3"),
        TransposedCase::new(
            [3, 8, 4, 3],
            [16, 2, 2],
            3,
            0,
            "implicit GEMM: stride > kernel",
        ),
        TransposedCase {
            stride: [2, 1],
            padding: [3, 2],
            padding_out: [1, 0],
            dilation: [2, 3],
            ..TransposedCase::new([2, 10, 5, 4], [70, 3, 3], 1, 0, "implicit GEMM: dilation")
        },
        TransposedCase::new(
            [1, 16, 3, 3],
            [130, 3, 3],
            1,
            1,
            "implicit GEMM: three blocks",
        ),
        TransposedCase {
            bias: false,
            ..TransposedCase::new(
                [4, 2, 1, 1],
                [5, 7, 7],
                1,
                0,
                "1x1 input (DCGAN's first layer)",
            )
        },
    ];
    for (seed, c) in (0u64..).zip(&cases) {
        let ([n, c_in, h, w], [c_out_g, kh, kw]) = (c.input, c.kernel);
        let (stride, padding, padding_out, dilation, groups, with_bias) = (
            c.stride,
            c.padding,
            c.padding_out,
            c.dilation,
            c.groups,
            c.bias,
        );
        let case = format!("case {seed} ({})", c.what);
        let x = values(n * c_in * h * w, seed);
        let wt = values(c_in * c_out_g * kh * kw, 100 + seed);
        let b = values(c_out_g * groups, 200 + seed);
        let opts = ConvTransposeOptions::new(stride, padding, padding_out, dilation, groups);
        let (want, shape) = reference(
            &x,
            [n, c_in, h, w],
            &wt,
            [c_out_g, kh, kw],
            with_bias.then_some(&b[..]),
            &opts,
        );
        let got = conv_transpose2d(
            Tensor::<F, 4>::from_data(TensorData::new(x, [n, c_in, h, w]), &device),
            Tensor::<F, 4>::from_data(TensorData::new(wt, [c_in, c_out_g, kh, kw]), &device),
            with_bias.then(|| {
                Tensor::<F, 1>::from_data(TensorData::new(b, [c_out_g * groups]), &device)
            }),
            opts,
        );
        assert_eq!(got.dims(), shape, "{case}: shape");
        let got = got.into_data().to_vec::<f32>().unwrap();
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{case}: max abs difference {worst}");
    }
}

/// Strides of a contiguous tensor of `shape`.
fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

#[test]
fn flex_permuted_copies_match_index_arithmetic() {
    let device = Default::default();
    // Small ones take the sequential path, the large ones (>= 32,768 elements) the parallel one.
    let cases: &[(&[usize], &[usize])] = &[
        (&[2, 3, 4], &[2, 0, 1]),
        (&[4, 3, 5, 6], &[0, 2, 3, 1]), // NCHW -> NHWC
        (&[64, 64, 14, 14], &[0, 2, 3, 1]),
        (&[64, 64, 14, 14], &[1, 0, 2, 3]), // the swap behind convolution weight gradients
        (&[3, 2, 5, 4, 3], &[4, 2, 0, 3, 1]),
        (&[2, 3, 2, 4, 3, 5], &[5, 3, 1, 0, 4, 2]),
        (&[16, 32, 8, 9, 4], &[3, 1, 4, 0, 2]),
    ];
    for &(shape, axes) in cases {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let src_strides = contiguous_strides(shape);
        let out_shape: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
        let out_strides = contiguous_strides(&out_shape);
        let mut want = vec![0f32; n];
        for (flat, slot) in want.iter_mut().enumerate() {
            let mut src = 0;
            for (d, &a) in axes.iter().enumerate() {
                src += (flat / out_strides[d]) % out_shape[d] * src_strides[a];
            }
            *slot = data[src];
        }
        let got: Vec<f32> = match shape.len() {
            3 => Tensor::<F, 3>::from_data(TensorData::new(data, shape.to_vec()), &device)
                .permute([axes[0], axes[1], axes[2]])
                .into_data()
                .to_vec()
                .unwrap(),
            4 => Tensor::<F, 4>::from_data(TensorData::new(data, shape.to_vec()), &device)
                .permute([axes[0], axes[1], axes[2], axes[3]])
                .into_data()
                .to_vec()
                .unwrap(),
            5 => Tensor::<F, 5>::from_data(TensorData::new(data, shape.to_vec()), &device)
                .permute([axes[0], axes[1], axes[2], axes[3], axes[4]])
                .into_data()
                .to_vec()
                .unwrap(),
            _ => Tensor::<F, 6>::from_data(TensorData::new(data, shape.to_vec()), &device)
                .permute([axes[0], axes[1], axes[2], axes[3], axes[4], axes[5]])
                .into_data()
                .to_vec()
                .unwrap(),
        };
        assert_eq!(got, want, "shape {shape:?} permuted by {axes:?}");
    }
    // A sliced 4-D view: offset and gaps between slabs.
    let data: Vec<f32> = (0..(6 * 5 * 7 * 8)).map(|i| i as f32).collect();
    let t = Tensor::<F, 4>::from_data(TensorData::new(data.clone(), [6, 5, 7, 8]), &device);
    let got: Vec<f32> = t
        .slice([1..5, 2..5, 1..6, 3..8])
        .permute([3, 0, 2, 1])
        .into_data()
        .to_vec()
        .unwrap();
    let mut want = Vec::new();
    for l in 3..8 {
        for i in 1..5 {
            for k in 1..6 {
                for j in 2..5 {
                    want.push(data[((i * 5 + j) * 7 + k) * 8 + l]);
                }
            }
        }
    }
    assert_eq!(got, want, "sliced and permuted view");
}

#[test]
fn flex_conv2d_matches_the_definition() {
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    let device = Default::default();
    // (batch, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups): DCGAN's layers, a
    // weight-gradient-shaped convolution (huge dilated kernel), groups, odd sizes.
    #[allow(clippy::type_complexity)]
    let cases: &[(
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        [usize; 2],
        [usize; 2],
        [usize; 2],
        usize,
    )] = &[
        (8, 16, 14, 14, 32, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        (3, 1, 28, 28, 8, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        (4, 6, 14, 14, 5, 7, 7, [1, 1], [1, 1], [2, 2], 1),
        (2, 6, 9, 7, 4, 3, 3, [1, 2], [0, 1], [1, 1], 2),
        (1, 3, 5, 6, 2, 2, 3, [1, 1], [0, 0], [1, 1], 1),
        // Tiles that span images at uneven boundaries (7x7 outputs, 23 images), with groups,
        // and tiles of the 512-position cap (14x14 outputs, 40 images).
        (23, 8, 14, 14, 16, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        (20, 4, 6, 6, 6, 3, 3, [1, 1], [1, 1], [1, 1], 2),
        (40, 2, 28, 28, 3, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        // im2col writes padding itself into reused tiles (patch 11): padding wider than the
        // kernel (whole kernel rows out of range), and groups with strided, dilated taps.
        (2, 3, 5, 5, 4, 2, 2, [1, 1], [2, 2], [1, 1], 1),
        (3, 6, 11, 10, 6, 3, 5, [3, 2], [2, 3], [2, 1], 3),
        // Patch 15's implicit GEMM (f32, one group, >= 16 outputs, >= 8 inputs, AVX-512):
        // DCGAN's 64 -> 128 layer at a small batch; output channels in a partial 16-lane
        // vector (20), in two blocks with a partial one (70) and in three (130); position
        // counts that leave groups of fewer than 6; stride 3, dilation, wide padding.
        (3, 64, 14, 14, 128, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        (2, 8, 9, 7, 20, 3, 3, [1, 1], [1, 1], [1, 1], 1),
        (5, 9, 7, 7, 70, 4, 4, [2, 2], [1, 1], [1, 1], 1),
        (1, 12, 6, 5, 130, 2, 3, [1, 2], [0, 1], [1, 1], 1),
        (2, 10, 11, 10, 17, 3, 5, [3, 2], [3, 4], [2, 1], 1),
        // Patch 16's one-input-channel convolution (f32, one group, AVX-512): output rows of
        // three vectors (40 columns, the last partial) with 6 channels (a group of 4 and 2);
        // stride 3 x 2 with dilation and wide padding; padding wider than the kernel with 3
        // channels (no group of 4).
        (2, 1, 9, 40, 6, 3, 3, [1, 1], [1, 1], [1, 1], 1),
        (3, 1, 11, 23, 5, 3, 5, [3, 2], [3, 4], [2, 1], 1),
        (1, 1, 5, 5, 3, 2, 2, [1, 1], [2, 2], [1, 1], 1),
    ];
    for (case, &(n, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups)) in
        cases.iter().enumerate()
    {
        let cpg = c_in / groups;
        let x = values(n * c_in * h * w, 300 + case as u64);
        let wt = values(c_out * cpg * kh * kw, 400 + case as u64);
        let bias = values(c_out, 500 + case as u64);
        let out = |i: usize, d: usize| {
            (i + 2 * padding[d] - dilation[d] * ([kh, kw][d] - 1) - 1) / stride[d] + 1
        };
        let (oh, ow) = (out(h, 0), out(w, 1));
        let mut want = vec![0f64; n * c_out * oh * ow];
        for b in 0..n {
            for co in 0..c_out {
                let g = co / (c_out / groups);
                for i in 0..oh {
                    for j in 0..ow {
                        let mut acc = bias[co] as f64;
                        for ci in 0..cpg {
                            for ki in 0..kh {
                                for kj in 0..kw {
                                    let yi = (i * stride[0] + ki * dilation[0]) as isize
                                        - padding[0] as isize;
                                    let yj = (j * stride[1] + kj * dilation[1]) as isize
                                        - padding[1] as isize;
                                    if yi < 0 || yj < 0 || yi >= h as isize || yj >= w as isize {
                                        continue;
                                    }
                                    let xv = x[((b * c_in + g * cpg + ci) * h + yi as usize) * w
                                        + yj as usize]
                                        as f64;
                                    acc += xv * wt[((co * cpg + ci) * kh + ki) * kw + kj] as f64;
                                }
                            }
                        }
                        want[((b * c_out + co) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        let got = conv2d(
            Tensor::<F, 4>::from_data(TensorData::new(x, [n, c_in, h, w]), &device),
            Tensor::<F, 4>::from_data(TensorData::new(wt, [c_out, cpg, kh, kw]), &device),
            Some(Tensor::<F, 1>::from_data(
                TensorData::new(bias, [c_out]),
                &device,
            )),
            ConvOptions::new(stride, padding, dilation, groups),
        );
        assert_eq!(got.dims(), [n, c_out, oh, ow], "case {case}: shape");
        let got = got.into_data().to_vec::<f32>().unwrap();
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0f64, f64::max);
        assert!(worst < 1e-4, "case {case}: max abs difference {worst}");
    }
}

/// Patch 8: the weight gradients of `conv2d` and `conv_transpose2d`, taken through burn's
/// autodiff (which asks the backend for them), against their definitions summed in f64.
/// DCGAN's layers, groups, dilation, output padding, odd sizes, several im2col tiles (14x14
/// outputs of 40 images with one input channel is above the 4096-position tile), run in a
/// 4-thread pool so that partial sums from several threads are added.
#[test]
fn flex_conv_weight_gradients_match_the_definition() {
    use burn::backend::Autodiff;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    type A = Autodiff<F>;
    let device = Default::default();
    let tensor =
        |v: Vec<f32>, s: [usize; 4]| Tensor::<A, 4>::from_data(TensorData::new(v, s), &device);
    let close = |got: Tensor<F, 4>, want: &[f64], what: &str| {
        let got = got.into_data().to_vec::<f32>().unwrap();
        assert_eq!(got.len(), want.len(), "{what}: size");
        let scale = want.iter().fold(1f64, |m, v| m.max(v.abs()));
        let worst = got
            .iter()
            .zip(want)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0f64, f64::max);
        assert!(
            worst < 1e-5 * scale,
            "{what}: max abs difference {worst} (scale {scale})"
        );
    };
    // (batch, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups)
    #[allow(clippy::type_complexity)]
    let cases: &[(
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
        usize,
    )] = &[
        (8, 16, 14, 14, 32, 4, 4, 2, 1, 1, 1),
        (40, 1, 28, 28, 8, 4, 4, 2, 1, 1, 1),
        (5, 6, 9, 7, 4, 3, 3, 1, 1, 1, 2),
        (3, 4, 11, 10, 6, 3, 2, 2, 0, 2, 1),
        (23, 8, 14, 14, 16, 4, 4, 2, 1, 1, 1),
        // Padding wider than the kernel: taps entirely out of range in reused im2col tiles.
        (2, 3, 5, 5, 4, 2, 2, 1, 2, 1, 1),
        // Patch 15's implicit-GEMM weight gradient (f32, one group, >= 16 input channels of
        // the convolution, AVX-512): DCGAN's 64 -> 128 layer at a small batch; 20 input
        // channels (a partial vector) and 7 outputs (a group of 6 and one); two channel
        // blocks (64 + 6) with padding wider than a tap; stride 3 with dilation.
        (3, 64, 14, 14, 128, 4, 4, 2, 1, 1, 1),
        (4, 20, 9, 7, 7, 3, 3, 1, 1, 1, 1),
        (2, 70, 6, 5, 13, 3, 3, 2, 2, 1, 1),
        (3, 16, 11, 10, 6, 3, 2, 3, 1, 2, 1),
        // Patch 16's one-input-channel weight gradient (also the transposed convolutions to
        // one channel below): 9 taps with 9 channels (a group of 8 and 1), stride 3 with
        // dilation; 25 taps (two vectors); 49 taps (above its limit: the im2col path).
        (4, 1, 13, 11, 9, 3, 3, 3, 1, 2, 1),
        (3, 1, 11, 10, 5, 5, 5, 2, 2, 1, 1),
        (2, 1, 12, 12, 3, 7, 7, 1, 3, 1, 1),
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    pool.install(|| {
        for (case, &(n, c_in, h, w, c_out, kh, kw, s, p, d, groups)) in cases.iter().enumerate() {
            let seed = 600 + 10 * case as u64;
            // Convolution x [n, c_in, h, w] -> y [n, c_out, oh, ow].
            let cpg = c_in / groups;
            let cog = c_out / groups;
            let oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1;
            let ow = (w + 2 * p - d * (kw - 1) - 1) / s + 1;
            let x = values(n * c_in * h * w, seed);
            let wt = values(c_out * cpg * kh * kw, seed + 1);
            let dy = values(n * c_out * oh * ow, seed + 2);
            // Both directions share one index rule: input pixel (yi, yj) of x meets output
            // pixel (i, j) through tap (ki, kj).
            let tap = |i: usize, ki: usize, extent: usize| {
                let v = (i * s + ki * d) as isize - p as isize;
                (v >= 0 && v < extent as isize).then_some(v as usize)
            };
            let mut want = vec![0f64; c_out * cpg * kh * kw];
            for b in 0..n {
                for co in 0..c_out {
                    let g = co / cog;
                    for ci in 0..cpg {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let mut acc = 0f64;
                                for i in 0..oh {
                                    for j in 0..ow {
                                        let (Some(yi), Some(yj)) = (tap(i, ki, h), tap(j, kj, w))
                                        else {
                                            continue;
                                        };
                                        acc += dy[((b * c_out + co) * oh + i) * ow + j] as f64
                                            * x[((b * c_in + g * cpg + ci) * h + yi) * w + yj]
                                                as f64;
                                    }
                                }
                                want[((co * cpg + ci) * kh + ki) * kw + kj] += acc;
                            }
                        }
                    }
                }
            }
            let weight = tensor(wt.clone(), [c_out, cpg, kh, kw]).require_grad();
            let y = conv2d(
                tensor(x.clone(), [n, c_in, h, w]),
                weight.clone(),
                None,
                ConvOptions::new([s, s], [p, p], [d, d], groups),
            );
            let grads = (y * tensor(dy.clone(), [n, c_out, oh, ow]))
                .sum()
                .backward();
            close(
                weight.grad(&grads).unwrap(),
                &want,
                &format!("conv2d case {case}"),
            );

            // The transposed convolution dy-shaped input [n, c_out, oh, ow] -> x-shaped output
            // [n, c_in, h, w] with weight [c_out, cpg, kh, kw] (its c_in is our c_out): its
            // weight gradient pairs its input with its output gradient through the same taps,
            // which is `want` above with x and dy exchanged. Output padding makes the output
            // exactly h x w when the convolution dropped rows.
            let pad_out = |extent: usize, o: usize, k: usize| {
                extent - ((o - 1) * s + d * (k - 1) + 1 - 2 * p)
            };
            let options = ConvTransposeOptions::new(
                [s, s],
                [p, p],
                [pad_out(h, oh, kh), pad_out(w, ow, kw)],
                [d, d],
                groups,
            );
            let weight = tensor(wt.clone(), [c_out, cpg, kh, kw]).require_grad();
            let out = conv_transpose2d(
                tensor(dy.clone(), [n, c_out, oh, ow]),
                weight.clone(),
                None,
                options,
            );
            assert_eq!(out.dims(), [n, c_in, h, w], "case {case}: transposed shape");
            let grads = (out * tensor(x.clone(), [n, c_in, h, w])).sum().backward();
            close(
                weight.grad(&grads).unwrap(),
                &want,
                &format!("conv_transpose2d case {case}"),
            );
        }
    });
}

/// Patch 6: element-wise loops split across threads from 64k elements. Every case runs below
/// the threshold (sequential) and above it with an odd length (parallel, uneven last chunk),
/// inside a 4-thread pool so the parallel paths run on any machine, and is compared with the
/// same f32 expression evaluated per element here.
#[test]
fn flex_parallel_elementwise_ops_match_per_element_arithmetic() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    pool.install(|| {
        for &(rows, cols) in &[(37usize, 29usize), (997, 211)] {
            elementwise_case(rows, cols);
        }
    });
}

fn elementwise_case(rows: usize, cols: usize) {
    let device = Default::default();
    let n = rows * cols;
    let a = values(n, 11);
    let b: Vec<f32> = values(n, 12).iter().map(|v| v + 1.5).collect(); // in [0.5, 2.5)
    let col = values(rows, 13);
    let row = values(cols, 14);
    let x = Tensor::<F, 2>::from_data(TensorData::new(a.clone(), [rows, cols]), &device);
    let y = Tensor::<F, 2>::from_data(TensorData::new(b.clone(), [rows, cols]), &device);
    let read = |t: Tensor<F, 2>| t.into_data().to_vec::<f32>().unwrap();
    let map2 = |f: &dyn Fn(f32, f32) -> f32| -> Vec<f32> {
        a.iter().zip(&b).map(|(&p, &q)| f(p, q)).collect()
    };
    let map1 = |f: &dyn Fn(f32) -> f32| -> Vec<f32> { a.iter().map(|&p| f(p)).collect() };
    let case = format!("{rows}x{cols}");

    // Unary maps: in place (unique) and allocating (the input is still shared).
    assert_eq!(read(x.clone().exp()), map1(&|p| p.exp()), "exp {case}");
    assert_eq!(read(x.clone().tanh()), map1(&|p| p.tanh()), "tanh {case}");
    let t = x.clone().transpose();
    let want_t: Vec<f32> = (0..cols)
        .flat_map(|j| (0..rows).map(move |i| (i, j)))
        .map(|(i, j)| a[i * cols + j].abs().sqrt())
        .collect();
    assert_eq!(
        read(t.abs().sqrt()),
        want_t,
        "sqrt(abs) of a transposed view {case}"
    );
    // Scalar ops, in place and allocating.
    let unique = Tensor::<F, 2>::from_data(TensorData::new(a.clone(), [rows, cols]), &device);
    assert_eq!(
        read(unique.mul_scalar(0.3)),
        map1(&|p| p * 0.3),
        "mul_scalar {case}"
    );
    assert_eq!(
        read(x.clone().add_scalar(2.0)),
        map1(&|p| p + 2.0),
        "add_scalar {case}"
    );
    // Binary ops: the SIMD in-place kernel, and a custom op through the generic path.
    let unique = Tensor::<F, 2>::from_data(TensorData::new(a.clone(), [rows, cols]), &device);
    assert_eq!(read(unique - y.clone()), map2(&|p, q| p - q), "sub {case}");
    assert_eq!(
        read(x.clone() * y.clone()),
        map2(&|p, q| p * q),
        "mul {case}"
    );
    assert_eq!(
        read(y.clone().powf(x.clone())),
        map2(&|p, q| q.powf(p)),
        "powf {case}"
    );
    // Broadcasts: one scalar per row ([rows, 1]) and one shared row ([1, cols]).
    let per_row = Tensor::<F, 2>::from_data(TensorData::new(col.clone(), [rows, 1]), &device);
    let shared = Tensor::<F, 2>::from_data(TensorData::new(row.clone(), [1, cols]), &device);
    let want: Vec<f32> = (0..n).map(|k| a[k] - col[k / cols]).collect();
    assert_eq!(read(x.clone() - per_row), want, "per-row broadcast {case}");
    let want: Vec<f32> = (0..n).map(|k| a[k] * row[k % cols]).collect();
    assert_eq!(
        read(x.clone() * shared),
        want,
        "shared-row broadcast {case}"
    );
    // Comparison, mask_where, and the activations built on them.
    let mask = x.clone().lower_elem(0.0);
    let got = mask.clone().into_data().to_vec::<bool>().unwrap();
    assert_eq!(
        got,
        a.iter().map(|&p| p < 0.0).collect::<Vec<_>>(),
        "lower_elem {case}"
    );
    assert_eq!(
        read(x.clone().mask_where(mask, y.clone())),
        map2(&|p, q| if p < 0.0 { q } else { p }),
        "mask_where {case}"
    );
    assert_eq!(
        read(burn::tensor::activation::leaky_relu(x.clone(), 0.2)),
        map1(&|p| if p >= 0.0 { p } else { 0.2 * p }),
        "leaky_relu {case}"
    );
    // Row sums (the last-dim reduction), against f64.
    let sums = read(x.clone().sum_dim(1));
    assert_eq!(sums.len(), rows);
    for (r, &s) in sums.iter().enumerate() {
        let want: f64 = a[r * cols..(r + 1) * cols].iter().map(|&p| p as f64).sum();
        assert!(
            (s as f64 - want).abs() < 1e-4,
            "sum_dim row {r} {case}: {s} vs {want}"
        );
    }
}

/// Patch 7: large strided operands of scalar and binary ops are copied to contiguous buffers
/// first. Permuted 4-D views (as a swapped-dims weight gradient is), small and large, against
/// index arithmetic.
#[test]
fn flex_ops_on_permuted_views_match_index_arithmetic() {
    let device = Default::default();
    for shape in [[2usize, 3, 4, 5], [8, 16, 6, 7]] {
        let n: usize = shape.iter().product();
        let a = values(n, 21);
        let b = values(n, 22);
        let x = Tensor::<F, 4>::from_data(TensorData::new(a.clone(), shape), &device);
        let y = Tensor::<F, 4>::from_data(TensorData::new(b.clone(), shape), &device);
        // Element (i, j, k, l) of x.permute([1, 0, 3, 2]) is a[(j, i, l, k)].
        let [d0, d1, d2, d3] = shape;
        let at =
            |v: &[f32], i: usize, j: usize, k: usize, l: usize| v[((j * d1 + i) * d2 + l) * d3 + k];
        let mut want_scaled = Vec::new();
        let mut want_sum = Vec::new();
        for i in 0..d1 {
            for j in 0..d0 {
                for k in 0..d3 {
                    for l in 0..d2 {
                        want_scaled.push(at(&a, i, j, k, l) * 0.5);
                        want_sum.push(at(&a, i, j, k, l) + at(&b, i, j, k, l) * at(&b, i, j, k, l));
                    }
                }
            }
        }
        let p = [1, 0, 3, 2];
        let got = x.clone().permute(p).mul_scalar(0.5);
        assert_eq!(
            got.into_data().to_vec::<f32>().unwrap(),
            want_scaled,
            "{shape:?} scalar"
        );
        let yy = y.clone().permute(p) * y.clone().permute(p);
        let got = x.clone().permute(p) + yy;
        assert_eq!(
            got.into_data().to_vec::<f32>().unwrap(),
            want_sum,
            "{shape:?} binary"
        );
        let got = x.clone().permute(p).powf_scalar(2.0);
        let want: Vec<f32> = want_scaled.iter().map(|v| (v * 2.0).powf(2.0)).collect();
        assert_eq!(
            got.into_data().to_vec::<f32>().unwrap(),
            want,
            "{shape:?} powf_scalar"
        );
    }
}

/// Patch 12: the bias gradients of convolutions and transposed convolutions, through burn's
/// autodiff, are the output gradient summed over images and positions (checked in f64), for a
/// DCGAN-sized layer, odd sizes and a 1x1 output.
#[test]
fn flex_conv_bias_gradients_sum_the_output_gradient() {
    use burn::backend::Autodiff;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    type A = Autodiff<F>;
    let device = Default::default();
    let tensor =
        |v: Vec<f32>, s: [usize; 4]| Tensor::<A, 4>::from_data(TensorData::new(v, s), &device);
    // (batch, c_in, size, c_out, kernel, stride, padding, transposed)
    let cases = [
        (16, 8, 14, 16, 4, 2, 1, false),
        (3, 2, 5, 5, 3, 1, 0, false),
        (4, 3, 3, 7, 3, 1, 0, false),
        (16, 16, 7, 8, 4, 2, 1, true),
        (5, 3, 4, 2, 3, 2, 0, true),
    ];
    for (case, &(n, c_in, size, c_out, k, stride, pad, transposed)) in cases.iter().enumerate() {
        let seed = 900 + 10 * case as u64;
        let x = tensor(values(n * c_in * size * size, seed), [n, c_in, size, size]);
        let bias =
            Tensor::<A, 1>::from_data(TensorData::new(values(c_out, seed + 2), [c_out]), &device)
                .require_grad();
        let y = if transposed {
            let w = tensor(values(c_in * c_out * k * k, seed + 1), [c_in, c_out, k, k]);
            let opts = ConvTransposeOptions::new([stride; 2], [pad; 2], [0, 0], [1, 1], 1);
            conv_transpose2d(x, w, Some(bias.clone()), opts)
        } else {
            let w = tensor(values(c_out * c_in * k * k, seed + 1), [c_out, c_in, k, k]);
            let opts = ConvOptions::new([stride; 2], [pad; 2], [1, 1], 1);
            conv2d(x, w, Some(bias.clone()), opts)
        };
        let dims = y.dims();
        let g_values = values(dims.iter().product(), seed + 3);
        let g = Tensor::<A, 4>::from_data(TensorData::new(g_values.clone(), dims), &device);
        let grads = (y * g).sum().backward();
        let got = bias
            .grad(&grads)
            .unwrap()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let per_channel = dims[2] * dims[3];
        for (co, &got) in got.iter().enumerate() {
            let want: f64 = (0..dims[0])
                .flat_map(|b| {
                    let at = (b * dims[1] + co) * per_channel;
                    g_values[at..at + per_channel].iter().map(|&v| v as f64)
                })
                .sum();
            assert!(
                (got as f64 - want).abs() < 1e-4 * (1.0 + want.abs()),
                "case {case} channel {co}: bias gradient {got}, expected {want}"
            );
        }
    }
}
