//! Layer normalisation of convolutional feature maps: each sample is normalised over all of its
//! `C x H x W` values (Ba et al. 2016), then scaled and shifted per channel. The critic of WGAN-GP
//! uses it where DCGAN uses batch norm (Gulrajani et al. 2017, section 4: a gradient penalty is
//! per sample, so the critic's score must not depend on the rest of the batch). Only operations
//! autodiff can differentiate twice.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::prelude::*;

use super::batch_norm::per_row;

/// Configuration of a [`LayerNorm2d`].
#[derive(Config, Debug)]
pub struct LayerNorm2dConfig {
    /// The number of channels.
    pub num_features: usize,
    /// Added to the variance before the square root.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

/// Per-sample normalisation over `C x H x W` with a per-channel gain and bias.
#[derive(Module, Debug)]
pub struct LayerNorm2d<B: Backend> {
    /// Per-channel gain (starts at 1).
    pub gamma: Param<Tensor<B, 1>>,
    /// Per-channel bias (starts at 0).
    pub beta: Param<Tensor<B, 1>>,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl LayerNorm2dConfig {
    /// A layer with gain 1 and bias 0.
    pub fn init<B: Backend>(&self, device: &B::Device) -> LayerNorm2d<B> {
        LayerNorm2d {
            gamma: Initializer::Ones.init([self.num_features], device),
            beta: Initializer::Zeros.init([self.num_features], device),
            epsilon: self.epsilon,
        }
    }
}

impl<B: Backend> LayerNorm2d<B> {
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: the same
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [n, c, h, w] = x.dims();
        let flat = x.reshape([n, c * h * w]);
        let mean = flat.clone().mean_dim(1); // [n, 1]
        let centered = flat - mean;
        let var = centered.clone().square().mean_dim(1);
        let normalised = (centered / var.add_scalar(self.epsilon).sqrt()).reshape([n * c, h * w]);
        let (gamma, beta) = (per_row(self.gamma.val(), n), per_row(self.beta.val(), n));
        (normalised * gamma + beta).reshape([n, c, h, w])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData, Tolerance};

    type TB = crate::TestBackend;

    #[test]
    fn normalises_each_sample_over_all_its_values() {
        let device = Default::default();
        let mut ln = LayerNorm2dConfig::new(2).init::<TB>(&device);
        ln.gamma = Param::from_data(TensorData::new(vec![2.0, 0.5], [2]), &device);
        ln.beta = Param::from_data(TensorData::new(vec![1.0, -1.0], [2]), &device);
        let x = Tensor::<TB, 4>::random([3, 2, 2, 3], Distribution::Normal(4.0, 3.0), &device);
        let got = ln.forward(x.clone()).into_data().to_vec::<f64>().unwrap();
        let xs = x.into_data().to_vec::<f64>().unwrap();
        let mut want = Vec::new();
        for s in xs.chunks(12) {
            let m = s.iter().sum::<f64>() / 12.0;
            let v = s.iter().map(|a| (a - m).powi(2)).sum::<f64>() / 12.0;
            for (i, a) in s.iter().enumerate() {
                let (g, b) = if i < 6 { (2.0, 1.0) } else { (0.5, -1.0) };
                want.push((a - m) / (v + 1e-5).sqrt() * g + b);
            }
        }
        TensorData::new(got, [36])
            .assert_approx_eq::<f64>(&TensorData::new(want, [36]), Tolerance::absolute(1e-12));
    }
}
