//! Salimans et al.'s MNIST networks for the semi-supervised GAN.
//!
//! Salimans et al. 2016, "Improved Techniques for Training GANs", arXiv:1606.03498, and their
//! code's MNIST setup: a weight-normalised MLP classifier with Gaussian noise on its inputs and
//! hidden layers, and a softplus MLP generator with batch norm.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn_gan::loss::softplus;
use burn_gan::nn::{
    BatchNorm, BatchNormConfig, GaussianNoise, WeightNormLinear, WeightNormLinearConfig,
};

use super::{ClassifierNet, GeneratorNet, SganConfig};

/// Salimans et al.'s MNIST classifier: hidden widths.
const MLP_CLASSIFIER: [usize; 5] = [1000, 500, 250, 250, 250];
/// Salimans et al.'s MNIST generator: hidden widths.
const MLP_GENERATOR: [usize; 2] = [500, 500];

impl SganConfig {
    // ANCHOR: mlp
    /// Salimans et al.'s classifier. Their code initialises each layer from the data so that its
    /// pre-activations start with unit variance (and the output with 0.1); without a data pass
    /// at construction, the lengths `g` are set to what gives about that on MNIST: 2 for the
    /// first layer (pixels in `[0, 1]` plus noise have a root mean square of about 0.44), 1.2 for
    /// the hidden ones (ReLU outputs plus noise 0.5, about 0.85) and 0.1 for the head.
    pub(super) fn init_mlp_classifier<B: Backend>(
        &self,
        outputs: usize,
        device: &B::Device,
    ) -> MlpClassifier<B> {
        let mut input = self.channels * self.image_size * self.image_size;
        let mut layers = Vec::new();
        for (l, &width) in MLP_CLASSIFIER.iter().enumerate() {
            let scale = if l == 0 { 2.0 } else { 1.2 };
            layers.push(
                WeightNormLinearConfig::new(input, width)
                    .with_scale(scale)
                    .init(device),
            );
            input = width;
        }
        MlpClassifier {
            layers,
            input_noise: GaussianNoise::new(0.3),
            hidden_noise: GaussianNoise::new(0.5),
            head: WeightNormLinearConfig::new(input, outputs)
                .with_scale(0.1)
                .init(device),
        }
    }

    /// Salimans et al.'s generator: softplus layers with batch norm, a weight-normalised output
    /// layer (tanh here for images in `[-1, 1]`, their sigmoid for `[0, 1]`).
    pub(super) fn init_mlp_generator<B: Backend>(&self, device: &B::Device) -> MlpGenerator<B> {
        let mut input = self.latent_dim;
        let mut layers = Vec::new();
        let mut norms = Vec::new();
        for &width in &MLP_GENERATOR {
            layers.push(LinearConfig::new(input, width).init(device));
            norms.push(BatchNormConfig::new(width).init(device));
            input = width;
        }
        MlpGenerator {
            layers,
            norms,
            output: WeightNormLinearConfig::new(
                input,
                self.channels * self.image_size * self.image_size,
            )
            .init(device),
            latent_dim: self.latent_dim,
            shape: [self.channels, self.image_size, self.image_size],
        }
    }
    // ANCHOR_END: mlp
}

/// Salimans et al.'s MLP discriminator/classifier.
#[derive(Module, Debug)]
pub struct MlpClassifier<B: Backend> {
    layers: Vec<WeightNormLinear<B>>,
    input_noise: GaussianNoise,
    hidden_noise: GaussianNoise,
    pub(super) head: WeightNormLinear<B>,
}

impl<B: Backend> MlpClassifier<B> {
    fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        // Their data are in [0, 1], and the input noise is relative to that range.
        let mut x = self
            .input_noise
            .forward(x.flatten(1, 3).add_scalar(1.0).mul_scalar(0.5));
        for (l, layer) in self.layers.iter().enumerate() {
            if l > 0 {
                x = self.hidden_noise.forward(x);
            }
            x = relu(layer.forward(x));
        }
        x
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.head
            .forward(self.hidden_noise.forward(self.features(x)))
    }
}

/// Salimans et al.'s MLP generator.
#[derive(Module, Debug)]
pub struct MlpGenerator<B: Backend> {
    layers: Vec<Linear<B>>,
    norms: Vec<BatchNorm<B>>,
    pub(super) output: WeightNormLinear<B>,
    latent_dim: usize,
    shape: [usize; 3],
}

impl<B: Backend> MlpGenerator<B> {
    fn forward(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        let mut x = z;
        for (layer, norm) in self.layers.iter().zip(&self.norms) {
            let h = softplus(layer.forward(x));
            let [n, f] = h.dims();
            x = norm.forward(h.reshape([n, f, 1, 1])).reshape([n, f]);
        }
        let [c, h, w] = self.shape;
        let n = x.dims()[0];
        self.output.forward(x).tanh().reshape([n, c, h, w])
    }
}

impl<B: Backend> GeneratorNet<B> for MlpGenerator<B> {
    fn noise_dim(&self) -> usize {
        self.latent_dim
    }
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        self.forward(z)
    }
}

impl<B: Backend> ClassifierNet<B> for MlpClassifier<B> {
    fn penultimate(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.features(x)
    }
    fn outputs(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward(x)
    }
}
