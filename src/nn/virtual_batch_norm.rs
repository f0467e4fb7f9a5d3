//! Virtual batch normalisation (Salimans et al. 2016, "Improved Techniques for Training GANs",
//! arXiv:1606.03498, section 3.4): batch norm makes a generated image depend on the other
//! images of its batch; VBN normalises each example with the statistics of a *reference batch*,
//! fixed once at the start of training, combined with the example itself, so that an example's
//! output depends only on itself (and the fixed reference).
//!
//! The network runs the reference batch in front of every batch (`[R + N, ...]`; `R` rows of
//! reference first). Per channel, the reference rows are normalised with the reference's own
//! statistics; example `i` with `mean_i = (R * mean_ref + m_i) / (R + 1)` and
//! `E[x²]_i = (R * sq_ref + s_i) / (R + 1)`, where `m_i`, `s_i` are the example's own per-channel
//! mean and mean square, as in the authors' code (`improved-gan`, `VirtualBatchNorm` with
//! `new_coeff = 1 / (R + 1)`). Gradients flow through the reference statistics too. Training and
//! evaluation compute the same function; there are no running statistics.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::prelude::*;

/// Configuration of a [`VirtualBatchNorm`].
#[derive(Config, Debug)]
pub struct VirtualBatchNormConfig {
    /// The number of channels (dimension 1).
    pub num_features: usize,
    /// Added to the variance before the square root.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

/// Virtual batch normalisation over dimension 1 of `[R + N, C, ...]`.
#[derive(Module, Debug)]
pub struct VirtualBatchNorm<B: Backend> {
    /// Per-channel gain.
    pub gamma: Param<Tensor<B, 1>>,
    /// Per-channel bias.
    pub beta: Param<Tensor<B, 1>>,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl VirtualBatchNormConfig {
    /// A layer with gain 1 and bias 0.
    pub fn init<B: Backend>(&self, device: &B::Device) -> VirtualBatchNorm<B> {
        VirtualBatchNorm {
            gamma: Initializer::Ones.init([self.num_features], device),
            beta: Initializer::Zeros.init([self.num_features], device),
            epsilon: self.epsilon,
        }
    }
}

impl<B: Backend> VirtualBatchNorm<B> {
    /// # Shapes
    /// - `x`: `[R + N, C, ...]`, the reference batch first
    /// - `reference`: `R` (at least 1)
    /// - output: the shape of `x`
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>, reference: usize) -> Tensor<B, D> {
        let dims = x.dims();
        let (rows, c) = (dims[0], dims[1]);
        assert!(
            reference >= 1 && reference <= rows,
            "Virtual batch norm needs 1 to {rows} reference rows, got {reference}"
        );
        let rest: usize = dims[2..].iter().product();
        let x = x.reshape([rows, c, rest]);
        // Per-example, per-channel mean and mean square: [rows, C, 1].
        let m = x.clone().mean_dim(2);
        let s = x.clone().square().mean_dim(2);
        let r = reference as f64;
        let ref_m = m.clone().slice([0..reference]).mean_dim(0); // [1, C, 1]
        let ref_s = s.clone().slice([0..reference]).mean_dim(0);
        let (mean, square) = if reference == rows {
            (ref_m, ref_s)
        } else {
            let ex_m = (ref_m.clone().mul_scalar(r) + m.slice([reference..rows])) / (r + 1.0);
            let ex_s = (ref_s.clone().mul_scalar(r) + s.slice([reference..rows])) / (r + 1.0);
            (
                Tensor::cat(vec![ref_m.repeat_dim(0, reference), ex_m], 0),
                Tensor::cat(vec![ref_s.repeat_dim(0, reference), ex_s], 0),
            )
        };
        let var = (square - mean.clone().square()).clamp_min(0.0);
        let normed = (x - mean) / var.add_scalar(self.epsilon).sqrt();
        let gamma = self.gamma.val().reshape([1, c, 1]);
        let beta = self.beta.val().reshape([1, c, 1]);
        (normed * gamma + beta).reshape(dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    type TB = crate::TestBackend;

    use crate::tensor_values as values;

    /// An example's output does not depend on the other examples of its batch (only on the
    /// reference), and the reference rows are normalised to zero mean and unit variance.
    #[test]
    fn outputs_depend_on_the_reference_not_on_the_batch() {
        let device = Default::default();
        let layer = VirtualBatchNormConfig::new(3).init::<TB>(&device);
        let reference =
            Tensor::<TB, 4>::random([8, 3, 2, 2], Distribution::Normal(2.0, 3.0), &device);
        let a = Tensor::<TB, 4>::random([2, 3, 2, 2], Distribution::Normal(0.0, 1.0), &device);
        let others = Tensor::<TB, 4>::random([3, 3, 2, 2], Distribution::Normal(5.0, 4.0), &device);
        let alone = layer.forward(Tensor::cat(vec![reference.clone(), a.clone()], 0), 8);
        let crowd = layer.forward(Tensor::cat(vec![reference.clone(), a, others], 0), 8);
        let (x, y) = (values(alone.slice([8..10])), values(crowd.slice([8..10])));
        for (u, v) in x.iter().zip(&y) {
            assert!((u - v).abs() < 1e-9);
        }
        // The reference rows: per channel zero mean, unit variance.
        let r = layer
            .forward(reference, 8)
            .reshape([8, 3, 4])
            .swap_dims(0, 1)
            .reshape([3, 32]);
        for (mean, var) in values(r.clone().mean_dim(1))
            .iter()
            .zip(values(r.var_bias(1)))
        {
            assert!(
                mean.abs() < 1e-9 && (var - 1.0).abs() < 1e-4,
                "{mean} {var}"
            );
        }
    }

    /// Example statistics follow `(R * ref + own) / (R + 1)`.
    #[test]
    fn examples_combine_reference_and_own_statistics() {
        let device = Default::default();
        let layer = VirtualBatchNormConfig::new(1)
            .with_epsilon(0.0)
            .init::<TB>(&device);
        // Reference values 0 and 2 (R = 2: mean 1, mean square 2); example value 4.
        let x = Tensor::<TB, 2>::from_floats([[0.0], [2.0], [4.0]], &device);
        let y = values(layer.forward(x, 2));
        let (mean, sq) = ((2.0 * 1.0 + 4.0) / 3.0, (2.0 * 2.0 + 16.0) / 3.0);
        let want = (4.0 - mean) / (sq - mean * mean as f64).sqrt();
        assert!((y[2] - want).abs() < 1e-9, "{} vs {want}", y[2]);
        assert!((y[0] + 1.0).abs() < 1e-9 && (y[1] - 1.0).abs() < 1e-9);
    }
}
