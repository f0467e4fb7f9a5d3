//! Class-conditional batch normalisation (de Vries et al. 2017, "Modulating early visual
//! processing by language", arXiv:1707.00683; Dumoulin et al. 2017; BigGAN, Brock et al. 2019,
//! arXiv:1809.11096, section 3): batch norm whose per-channel gain and bias are linear
//! projections of a conditioning vector (a class embedding), so that each class gets its own
//! modulation of the shared features:
//!
//! `y = (x - mean) / std * (gamma + W_gain e) + (beta + W_bias e)`
//!
//! `gamma` and `beta` are the layer's ordinary batch-norm parameters (the projections' biases,
//! in BigGAN's terms); the projections start at zero, so the layer starts as plain batch norm.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::prelude::*;

use super::batch_norm::{BatchNorm, BatchNormConfig};

/// Configuration of a [`ClassBatchNorm`].
#[derive(Config, Debug)]
pub struct ClassBatchNormConfig {
    /// The number of channels.
    pub num_features: usize,
    /// The width of the conditioning vector.
    pub condition_dim: usize,
}

/// Batch norm with a gain and bias projected from a conditioning vector.
#[derive(Module, Debug)]
pub struct ClassBatchNorm<B: Backend> {
    /// The batch norm (its `gamma`, `beta` are the unconditional gain and bias).
    pub norm: BatchNorm<B>,
    /// `[condition_dim, C]`: the projection of the condition to the gain.
    pub gain: Param<Tensor<B, 2>>,
    /// `[condition_dim, C]`: the projection of the condition to the bias.
    pub bias: Param<Tensor<B, 2>>,
}

impl ClassBatchNormConfig {
    /// A layer that starts as plain batch norm (zero projections).
    pub fn init<B: Backend>(&self, device: &B::Device) -> ClassBatchNorm<B> {
        ClassBatchNorm {
            norm: BatchNormConfig::new(self.num_features).init(device),
            gain: Initializer::Zeros.init([self.condition_dim, self.num_features], device),
            bias: Initializer::Zeros.init([self.condition_dim, self.num_features], device),
        }
    }
}

impl<B: Backend> ClassBatchNorm<B> {
    /// # Shapes
    /// - `x`: `[n, C, ...]`
    /// - `condition`: `[n, condition_dim]` (e.g. the class embeddings of the samples)
    /// - output: the shape of `x`
    // ANCHOR: class_bn
    pub fn forward<const D: usize>(
        &self,
        x: Tensor<B, D>,
        condition: Tensor<B, 2>,
    ) -> Tensor<B, D> {
        let dims = x.dims();
        let (n, c) = (dims[0], dims[1]);
        let rest: usize = dims[2..].iter().product();
        let normed = self.norm.forward(x).reshape([n * c, rest]);
        // One gain and one bias per (sample, channel): one value per row of the [N * C, R] view.
        let gain = condition
            .clone()
            .matmul(self.gain.val())
            .reshape([n * c, 1]);
        let bias = condition.matmul(self.bias.val()).reshape([n * c, 1]);
        (normed.clone() * gain + normed + bias).reshape(dims)
    }
    // ANCHOR_END: class_bn
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::tensor::{Distribution, Tolerance};

    type AB = Autodiff<crate::TestBackend>;

    #[test]
    fn starts_as_batch_norm_and_modulates_each_class() {
        let device = Default::default();
        let layer = ClassBatchNormConfig::new(3, 2).init::<AB>(&device);
        let x = Tensor::<AB, 4>::random([4, 3, 2, 2], Distribution::Normal(1.0, 2.0), &device);
        let onehot =
            Tensor::<AB, 2>::from_floats([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], &device);
        let plain = layer.norm.forward(x.clone());
        layer
            .forward(x.clone(), onehot.clone())
            .into_data()
            .assert_approx_eq::<f32>(&plain.clone().into_data(), Tolerance::default());
        // Class 1 gets gain 1 + 2 and bias 0.5 on channel 0; class 0 is unchanged.
        let mut g = vec![0.0f32; 6];
        g[3] = 2.0;
        let mut b = vec![0.0f32; 6];
        b[3] = 0.5;
        let layer = ClassBatchNorm {
            gain: Param::from_data(TensorData::new(g, [2, 3]), &device),
            bias: Param::from_data(TensorData::new(b, [2, 3]), &device),
            ..layer
        };
        let y = layer.forward(x, onehot);
        let p = plain.into_data().convert::<f32>().to_vec::<f32>().unwrap();
        let y = y.into_data().convert::<f32>().to_vec::<f32>().unwrap();
        for sample in 0..4 {
            for channel in 0..3 {
                for k in 0..4 {
                    let i = (sample * 3 + channel) * 4 + k;
                    let want = if sample % 2 == 1 && channel == 0 {
                        3.0 * p[i] + 0.5
                    } else {
                        p[i]
                    };
                    assert!(
                        (y[i] - want).abs() < 1e-5,
                        "sample {sample} channel {channel}"
                    );
                }
            }
        }
    }

    #[test]
    fn projections_receive_gradients() {
        let device = Default::default();
        let layer = ClassBatchNormConfig::new(2, 3).init::<AB>(&device);
        let x = Tensor::<AB, 4>::random([5, 2, 3, 3], Distribution::Normal(0.0, 1.0), &device);
        let e = Tensor::<AB, 2>::random([5, 3], Distribution::Normal(0.0, 1.0), &device);
        let target = Tensor::<AB, 4>::random([5, 2, 3, 3], Distribution::Normal(0.0, 1.0), &device);
        let loss = (layer.forward(x, e) - target).square().mean();
        let grads = loss.backward();
        for g in [layer.gain.grad(&grads), layer.bias.grad(&grads)] {
            let g = g
                .expect("a gradient")
                .into_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .unwrap();
            assert!(g.iter().any(|v| v.abs() > 1e-6));
        }
    }
}
