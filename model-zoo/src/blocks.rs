//! The DCGAN building blocks every convolutional family shares (DCGAN, the conditional models,
//! the semi-supervised GAN): 4x4 stride-2 convolutions and transposed convolutions that halve and
//! double the resolution, and linear layers, all initialised from DCGAN's `N(0, 0.02)` or, for
//! BigGAN's orthogonal initialisation, with orthogonal weights and zero biases.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn_gan::nn::dcgan_init;

/// Builds DCGAN layers on one device.
pub struct DcganLayers<'a, B: Backend> {
    device: &'a B::Device,
    orthogonal: bool,
}

impl<'a, B: Backend> DcganLayers<'a, B> {
    /// Layers with DCGAN's initialisation (`orthogonal`: BigGAN's instead).
    pub fn new(device: &'a B::Device, orthogonal: bool) -> Self {
        Self { device, orthogonal }
    }

    /// The initialiser of weights and biases; orthogonal weights replace the weights after.
    fn init(&self) -> Initializer {
        match self.orthogonal {
            true => Initializer::Zeros,
            false => dcgan_init(),
        }
    }

    fn weight<const D: usize>(
        &self,
        shape: [usize; D],
        param: Param<Tensor<B, D>>,
    ) -> Param<Tensor<B, D>> {
        match self.orthogonal {
            true => Initializer::Orthogonal { gain: 1.0 }.init(shape, self.device),
            false => param,
        }
    }

    /// A 4x4, stride-2 transposed convolution from `i` to `o` channels: the resolution doubles.
    pub fn conv_t(&self, i: usize, o: usize) -> ConvTranspose2d<B> {
        let mut layer = ConvTranspose2dConfig::new([i, o], [4, 4])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_initializer(self.init())
            .init(self.device);
        layer.weight = self.weight([i, o, 4, 4], layer.weight);
        layer
    }

    /// A 4x4, stride-2 convolution from `i` to `o` channels: the resolution halves.
    pub fn conv(&self, i: usize, o: usize) -> Conv2d<B> {
        let mut layer = Conv2dConfig::new([i, o], [4, 4])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_initializer(self.init())
            .init(self.device);
        layer.weight = self.weight([o, i, 4, 4], layer.weight);
        layer
    }

    /// A linear layer from `i` to `o` features.
    pub fn linear(&self, i: usize, o: usize) -> Linear<B> {
        let mut layer = LinearConfig::new(i, o)
            .with_initializer(self.init())
            .init(self.device);
        layer.weight = self.weight([i, o], layer.weight);
        layer
    }
}

/// The channels of a DCGAN discriminator's convolutions, `(input, output)` per level: the image's
/// channels, then `base`, doubling at each level.
pub fn discriminator_widths(channels: usize, base: usize, levels: usize) -> Vec<(usize, usize)> {
    (0..levels)
        .map(|l| (if l == 0 { channels } else { base << (l - 1) }, base << l))
        .collect()
}
