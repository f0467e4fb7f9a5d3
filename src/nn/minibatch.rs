//! Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs",
//! arXiv:1606.03498, section 3.2): features that let the discriminator look at a whole minibatch,
//! so that a generator collapsed onto a few modes (whose samples are all alike) is easy to spot.
//!
//! For features `f(x_i)` in `R^A` of an intermediate layer, a trainable tensor `T` in
//! `R^{A x B x C}` gives `M_i = f(x_i) T` in `R^{B x C}`; then
//! `c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1)` and `o(x_i)_b = sum_j c_b(x_i, x_j)`
//! (the sum includes `j = i`, as in the paper's formula), and the layer outputs
//! `[f(x_i), o(x_i)]` in `R^{A + B}`. Real and generated minibatches are passed separately.
//! Only operations autodiff can differentiate twice.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::prelude::*;

/// Configuration of [`MinibatchDiscrimination`].
#[derive(Config, Debug)]
pub struct MinibatchDiscriminationConfig {
    /// `A`: the width of the input features.
    pub in_features: usize,
    /// `B`: the number of kernels (features added).
    pub kernels: usize,
    /// `C`: the dimension of each kernel's projection.
    #[config(default = 5)]
    pub kernel_dim: usize,
}

/// The minibatch-discrimination layer.
#[derive(Module, Debug)]
pub struct MinibatchDiscrimination<B: Backend> {
    /// `T` viewed as `[A, B * C]`.
    pub t: Param<Tensor<B, 2>>,
    /// `B`.
    pub kernels: usize,
    /// `C`.
    pub kernel_dim: usize,
}

impl MinibatchDiscriminationConfig {
    /// `T` drawn from `N(0, 0.1)` (the scale of the authors' code, `init_scale=0.1`).
    pub fn init<B: Backend>(&self, device: &B::Device) -> MinibatchDiscrimination<B> {
        assert!(
            self.kernels > 0 && self.kernel_dim > 0,
            "Minibatch discrimination needs at least one kernel of dimension >= 1."
        );
        MinibatchDiscrimination {
            t: Initializer::Normal {
                mean: 0.0,
                std: 0.1,
            }
            .init([self.in_features, self.kernels * self.kernel_dim], device),
            kernels: self.kernels,
            kernel_dim: self.kernel_dim,
        }
    }
}

impl<B: Backend> MinibatchDiscrimination<B> {
    /// The minibatch features `o(x_i)` alone.
    ///
    /// # Shapes
    /// - `features`: `[n, A]`
    /// - output: `[n, B]`
    // ANCHOR: closeness
    pub fn closeness(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = features.dims()[0];
        let m = features
            .matmul(self.t.val())
            .reshape([n, self.kernels, self.kernel_dim]); // [n, B, C]
        let diff = m.clone().unsqueeze_dim::<4>(0) - m.unsqueeze_dim::<4>(1); // [n, n, B, C]
        let l1 = diff.abs().sum_dim(3); // [n, n, B, 1]
        l1.neg().exp().sum_dim(1).reshape([n, self.kernels])
    }
    // ANCHOR_END: closeness

    /// # Shapes
    /// - `features`: `[n, A]`
    /// - output: `[n, A + B]`
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let o = self.closeness(features.clone());
        Tensor::cat(vec![features, o], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;

    #[test]
    fn features_follow_the_formula() {
        let device = Default::default();
        let mut layer = MinibatchDiscriminationConfig::new(2, 2)
            .with_kernel_dim(1)
            .init::<TB>(&device);
        // T = identity: M_i,b = f(x_i)_b.
        layer.t = Param::from_data(TensorData::new(vec![1.0, 0.0, 0.0, 1.0], [2, 2]), &device);
        let f = Tensor::<TB, 2>::from_floats([[0.0, 0.0], [1.0, 3.0], [0.5, 0.0]], &device);
        let out = layer
            .forward(f)
            .into_data()
            .convert::<f64>()
            .to_vec::<f64>()
            .unwrap();
        let e = |d: f64| (-d).exp();
        let want = [
            [0.0, 0.0, 1.0 + e(1.0) + e(0.5), 1.0 + e(3.0) + e(0.0)],
            [1.0, 3.0, e(1.0) + 1.0 + e(0.5), e(3.0) + 1.0 + e(3.0)],
            [0.5, 0.0, e(0.5) + e(0.5) + 1.0, e(0.0) + e(3.0) + 1.0],
        ];
        for (i, row) in want.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                assert!(
                    (out[i * 4 + j] - w).abs() < 1e-9,
                    "({i}, {j}): {} vs {w}",
                    out[i * 4 + j]
                );
            }
        }
    }

    /// A collapsed batch (identical samples) has every closeness at its maximum `n`; a diverse
    /// one lower: the signal the discriminator uses against mode collapse.
    #[test]
    fn a_collapsed_batch_is_maximally_close() {
        let device = Default::default();
        let layer = MinibatchDiscriminationConfig::new(4, 3).init::<TB>(&device);
        let same = Tensor::<TB, 2>::ones([6, 4], &device);
        let diverse = Tensor::<TB, 2>::random(
            [6, 4],
            burn::tensor::Distribution::Normal(0.0, 5.0),
            &device,
        );
        let c_same = layer
            .closeness(same)
            .into_data()
            .convert::<f64>()
            .to_vec::<f64>()
            .unwrap();
        let c_div = layer.closeness(diverse).mean().into_scalar();
        assert!(c_same.iter().all(|v| (v - 6.0).abs() < 1e-9));
        assert!(c_div < 5.0, "{c_div}");
    }
}
