//! # burn-gan-zoo
//!
//! The model zoo of burn-gan: one module per GAN, each a plain burn `Module` with a `Config` and
//! named presets, generic over the backend, and the registry the `burn-gan` program uses to find
//! them by name.
//!
//! | name | model | paper |
//! | --- | --- | --- |
//! | `gan` | [`gan::Gan`]: MLP generator, maxout discriminator | Goodfellow et al. 2014 |
//! | `dcgan` | [`dcgan::Dcgan`]: convolutional, batch norm | Radford et al. 2015 |
//! | `sgan`, `sgan-fm`, `sgan-supervised` | [`sgan::Sgan`]: a discriminator that is also a classifier | Odena 2016; Salimans et al. 2016 |
//! | `cgan`, `acgan` | [`conditional::Conditional`]: class-conditional DCGAN networks | Mirza and Osindero 2014; Odena et al. 2017 |
//! | `progan` | [`progan::Progan`]: grown from 4x4 with fade-ins, equalised learning rate | Karras et al. 2018 |
//! | `vaegan`, `vae` | [`vaegan::Vaegan`]: encoder, DCGAN decoder and discriminator | Larsen et al. 2016; Kingma and Welling 2014 |
#![warn(missing_docs)]

pub mod bench;
pub mod blocks;
pub mod conditional;
pub mod cyclegan;
pub mod dcgan;
pub mod download;
pub mod gan;
pub mod pix2pix;
pub mod progan;
pub mod registry;
pub mod restore;
pub mod run_config;
pub mod sgan;
pub mod srgan;
pub mod vaegan;

pub use registry::{Family, FamilyVisitor, ModelSpec, Preset};

/// Implements the capabilities of a GAN module with fields `generator` (`forward(z)`),
/// `discriminator` (`forward(x)` logits and `features(x)`) and `history`
/// (`Option<History<..>>`): [`GanNetworks`](burn_gan::train::GanNetworks),
/// [`DiscriminatorFeatures`](burn_gan::train::DiscriminatorFeatures),
/// [`InputGradients`](burn_gan::train::InputGradients) and
/// [`HistoricalAverage`](burn_gan::train::HistoricalAverage). `$discriminator` names the
/// discriminator's type (for the nested-autodiff input gradients). The model's `Adversarial`
/// implementation offers them through its accessors.
#[macro_export]
macro_rules! impl_gan_capabilities {
    ($model:ident, $discriminator:ident) => {
        impl<B: burn::tensor::backend::Backend> burn_gan::train::GanNetworks<B> for $model<B> {
            fn generate(&self, z: burn::tensor::Tensor<B, 2>) -> burn::tensor::Tensor<B, 4> {
                self.generator.forward(z)
            }

            fn discriminate(&self, x: burn::tensor::Tensor<B, 4>) -> burn::tensor::Tensor<B, 2> {
                self.discriminator.forward(x)
            }
        }

        impl<B: burn::tensor::backend::Backend> burn_gan::train::DiscriminatorFeatures<B>
            for $model<B>
        {
            fn features(&self, x: burn::tensor::Tensor<B, 4>) -> burn::tensor::Tensor<B, 2> {
                self.discriminator.features(x)
            }
        }

        impl<B: burn::tensor::backend::AutodiffBackend> burn_gan::train::InputGradients<B>
            for $model<B>
        {
            fn critic_input_gradient_norms(
                &self,
                x: burn::tensor::Tensor<B, 4>,
                _step: &burn_gan::train::StepInfo,
            ) -> burn::tensor::Tensor<B, 1> {
                burn_gan::loss::input_gradient_norms::<
                    B,
                    $discriminator<burn::backend::Autodiff<B>>,
                >(&self.discriminator, x, |d, x| d.forward(x))
            }
        }

        impl<B: burn::tensor::backend::Backend> burn_gan::train::HistoricalAverage<B>
            for $model<B>
        {
            fn historical_penalty(
                &self,
                network: burn_gan::train::NetworkId,
            ) -> Option<burn::tensor::Tensor<B, 1>> {
                self.history
                    .as_ref()?
                    .penalty(network, &self.generator, &self.discriminator)
            }
        }
    };
}

/// A model that may keep a moving average of its generator's weights to sample from.
pub trait GeneratorAverage: Sized {
    /// The model without its generator average, so that it samples from the trained generator
    /// itself; `None` when it keeps no average.
    fn without_average(self) -> Option<Self>;
}
