//! VAE/GAN's registration: `vaegan`, and the plain `vae` it is compared with, both sized to the
//! data's images.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{NetworkId, OptimizerConfig, TrainingConfig};

use super::{Vaegan, VaeganConfig};
use crate::dcgan::{check_networks, dcgan_for_images};
use crate::registry::{check_shape, Family, ModelSpec, Preset};

// ANCHOR: family
/// VAE/GAN's registration: `vaegan` and the plain `vae`.
pub struct VaeganFamily;

impl Family for VaeganFamily {
    const NAME: &'static str = "vaegan";
    const TITLE: &'static str = "the autoencoders (vaegan, vae)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "vaegan",
            description: "VAE/GAN (Larsen 2016): encoder, DCGAN decoder and discriminator; reconstruction error in D's features",
            image: None,
            build: |data| {
                let shape = dcgan_for_images("vaegan", data)?;
                Ok(ModelSpec::of::<Self>(&VaeganConfig::new(
                    shape.channels,
                    shape.image_size,
                )))
            },
        },
        Preset {
            name: "vae",
            description: "VAE (Kingma 2014) with vaegan's encoder and decoder and a pixel-wise Gaussian likelihood: the baseline of Larsen 2016",
            image: None,
            build: |data| {
                let shape = dcgan_for_images("vae", data)?;
                Ok(ModelSpec::of::<Self>(&VaeganConfig::vae(
                    shape.channels,
                    shape.image_size,
                )))
            },
        },
    ];

    type Config = VaeganConfig;
    type Model<B: Backend> = Vaegan<B>;
    type Trainable<B: AutodiffBackend> = Vaegan<B>;

    fn init<B: Backend>(config: &VaeganConfig, device: &B::Device) -> Vaegan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &VaeganConfig, device: &B::Device) -> Vaegan<B> {
        config.init(device)
    }

    fn validate(config: &VaeganConfig) -> Result<(), String> {
        check_networks(config.channels, config.image_size)?;
        config.validate()
    }

    fn check_data(config: &VaeganConfig, data: &Samples) -> Result<(), String> {
        check_networks(config.channels, config.image_size)?;
        check_shape(
            [config.channels, config.image_size, config.image_size],
            data,
        )
    }

    /// Adam(2e-4, 0.5) for every network, as DCGAN's, so that `vae` and `vaegan` compare at
    /// equal settings. (The paper used RMSProp at 3e-4.)
    fn default_training(config: &VaeganConfig, _kind: SampleKind) -> TrainingConfig {
        let mut training = TrainingConfig::default();
        training.optimizers.clear();
        let mut networks = vec![NetworkId::ENCODER, NetworkId::GENERATOR];
        if config.adversarial {
            networks.push(NetworkId::DISCRIMINATOR);
        }
        for network in networks {
            training.set_optimizer(network, OptimizerConfig::adam(2e-4));
        }
        training
    }

    fn stored_defaults() -> VaeganConfig {
        VaeganConfig::new(1, 28)
    }
}
// ANCHOR_END: family
