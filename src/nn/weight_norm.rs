//! Weight normalisation (Salimans and Kingma 2016, "Weight Normalization: A Simple
//! Reparameterization to Accelerate Training of Deep Neural Networks", arXiv:1602.07868) of a
//! dense layer, and the Gaussian noise layer: the two pieces of Salimans et al. 2016's MNIST
//! discriminator (the semi-supervised GAN with feature matching, their code's
//! `train_mnist_feature_matching.py`).
//!
//! A weight-normalised layer learns a direction `v_j` and a length `g_j` for each output unit:
//! `y_j = g_j <x, v_j> / ||v_j|| + b_j`. The length is decoupled from the direction, so the
//! gradient step on `v` cannot grow a unit's scale, and `g` sets it directly.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::Distribution;

/// Configuration of a [`WeightNormLinear`].
#[derive(Config, Debug)]
pub struct WeightNormLinearConfig {
    /// Input features.
    pub d_input: usize,
    /// Output features.
    pub d_output: usize,
    /// The initial length `g` of every output unit's weight vector: the standard deviation of
    /// the output for inputs of unit root mean square (`sqrt(2)` keeps it through a ReLU).
    #[config(default = 1.0)]
    pub scale: f64,
    /// With a bias (initialised to zero).
    #[config(default = true)]
    pub bias: bool,
}

/// A dense layer with weight normalisation: `y = x (v diag(g / ||v_col||)) + b`.
#[derive(Module, Debug)]
pub struct WeightNormLinear<B: Backend> {
    /// The directions, `[d_input, d_output]` (burn's `Linear` layout): column `j` is `v_j`.
    pub direction: Param<Tensor<B, 2>>,
    /// The lengths `g`, `[d_output]`.
    pub scale: Param<Tensor<B, 1>>,
    /// The bias, `[d_output]`.
    pub bias: Option<Param<Tensor<B, 1>>>,
}

impl WeightNormLinearConfig {
    /// Directions drawn from `N(0, 0.05)` (as in Salimans et al.'s code), lengths `scale`,
    /// bias 0.
    pub fn init<B: Backend>(&self, device: &B::Device) -> WeightNormLinear<B> {
        let direction = Tensor::random(
            [self.d_input, self.d_output],
            Distribution::Normal(0.0, 0.05),
            device,
        );
        WeightNormLinear {
            direction: Param::from_tensor(direction),
            scale: Initializer::Constant { value: self.scale }.init([self.d_output], device),
            bias: self
                .bias
                .then(|| Initializer::Zeros.init([self.d_output], device)),
        }
    }
}

impl<B: Backend> WeightNormLinear<B> {
    /// The effective weight `v diag(g / ||v_col||)`, `[d_input, d_output]`.
    pub fn weight(&self) -> Tensor<B, 2> {
        let v = self.direction.val();
        let norms = v.clone().square().sum_dim(0).sqrt(); // [1, d_output]
        v * (self.scale.val().unsqueeze_dim(0) / norms)
    }

    /// # Shapes
    /// - `x`: `[n, d_input]`
    /// - output: `[n, d_output]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let y = x.matmul(self.weight());
        match &self.bias {
            Some(b) => y + b.val().unsqueeze_dim(0),
            None => y,
        }
    }
}

/// Additive Gaussian noise `x + N(0, std²)` while training (on an autodiff backend), the identity
/// otherwise: a regulariser that, in Salimans et al.'s discriminator, follows every layer.
#[derive(Module, Clone, Debug)]
pub struct GaussianNoise {
    /// The noise's standard deviation.
    pub std: f64,
}

impl GaussianNoise {
    /// Noise of standard deviation `std`.
    pub fn new(std: f64) -> Self {
        Self { std }
    }

    /// # Shapes
    /// - `x`: any
    /// - output: the same
    pub fn forward<B: Backend, const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        if self.std == 0.0 || !B::ad_enabled(&x.device()) {
            return x;
        }
        let noise = Tensor::random(x.shape(), Distribution::Normal(0.0, self.std), &x.device());
        x + noise
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;
    type AB = Autodiff<TB>;

    use crate::tensor_values as values;

    /// Every column of the effective weight has length `g_j` and direction `v_j`, and the output
    /// is `x W + b`.
    #[test]
    fn effective_weight_has_the_learned_lengths() {
        let device = Default::default();
        let mut layer = WeightNormLinearConfig::new(3, 2).init::<TB>(&device);
        layer.direction = Param::from_data(
            TensorData::new(vec![3.0, 0.0, 4.0, 1.0, 0.0, 0.0], [3, 2]),
            &device,
        );
        layer.scale = Param::from_data(TensorData::new(vec![2.0, -0.5], [2]), &device);
        layer.bias = Some(Param::from_data(
            TensorData::new(vec![1.0, 0.0], [2]),
            &device,
        ));
        // Column 0: (3, 4, 0) / 5 * 2; column 1: (0, 1, 0) * -0.5.
        let w = values(layer.weight());
        let want = [1.2, 0.0, 1.6, -0.5, 0.0, 0.0];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{w:?}");
        }
        let x = Tensor::<TB, 2>::from_floats([[1.0, 1.0, 1.0], [0.0, 2.0, -1.0]], &device);
        let y = values(layer.forward(x));
        let want = [1.0 + 1.2 + 1.6, -0.5, 1.0 + 3.2, -1.0];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{y:?}");
        }
    }

    /// Scaling a direction leaves the output unchanged, so its gradient is orthogonal to it;
    /// the lengths get their own gradient.
    #[test]
    fn direction_gradient_is_orthogonal_to_the_direction() {
        let device = Default::default();
        let layer = WeightNormLinearConfig::new(5, 4)
            .with_scale(1.5)
            .init::<AB>(&device);
        let x = Tensor::<AB, 2>::random([7, 5], Distribution::Normal(0.0, 1.0), &device);
        let loss = layer.forward(x).tanh().sum();
        let grads = loss.backward();
        let gv = values(layer.direction.grad(&grads).unwrap());
        let v = values(layer.direction.val().inner());
        for j in 0..4 {
            let dot: f64 = (0..5).map(|i| gv[i * 4 + j] * v[i * 4 + j]).sum();
            assert!(dot.abs() < 1e-10, "unit {j}: <grad v, v> = {dot}");
        }
        let gs = values(layer.scale.grad(&grads).unwrap());
        assert!(gs.iter().all(|g| g.abs() > 0.0), "{gs:?}");
    }

    /// Noise while training (autodiff), identity otherwise, with the requested spread.
    #[test]
    fn gaussian_noise_only_while_training() {
        let device = Default::default();
        let noise = GaussianNoise::new(0.5);
        let x = Tensor::<TB, 2>::zeros([200, 50], &device);
        assert_eq!(values(noise.forward(x.clone())), vec![0.0; 10_000]);
        let y = values(noise.forward(Tensor::<AB, 2>::from_inner(x)));
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
        assert!(mean.abs() < 0.03 && (sd - 0.5).abs() < 0.03, "{mean} {sd}");
    }
}
