//! SRGAN's registration: `srgan` (SRResNet pre-trained on the pixel MSE, then the perceptual
//! loss) and `srresnet` (the MSE-trained generator alone), x4 by default (`--task sr2|sr4`);
//! `train` makes the low-resolution inputs from the clean data with
//! [`Family::prepare_data`].

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::restore::paired;
use burn_gan::train::{NetworkId, OptimizerConfig, TrainingConfig};

use super::{Srgan, SrganConfig};
use crate::registry::{Family, ModelSpec, Preset};
use crate::restore::image_channels;

/// The content network that suits the data: for 28x28 gray images the MNIST classifier for
/// MNIST and the Fashion-MNIST one otherwise, the pixels for any other images.
pub(super) fn content_for(data: &Samples) -> String {
    let source = data.source.to_lowercase();
    let mnist =
        source.contains("mnist") && !source.contains("fashion") && !source.contains("kmnist");
    match (data.shape, mnist) {
        ([1, 28, 28], true) => "mnist".into(),
        ([1, 28, 28], false) => "fashion".into(),
        _ => "pixels".into(),
    }
}

/// SRGAN's registration.
pub struct SrganFamily;

impl Family for SrganFamily {
    const NAME: &'static str = "srgan";
    const TITLE: &'static str = "SRGAN (srgan, srresnet)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "srgan",
            description: "SRGAN (Ledig 2017): SRResNet pre-trained on the pixel MSE, then content loss on the domain classifier's maps + 1e-3 adversarial; --task sr4 (default) or sr2",
            image: None,
            build: |data| {
                let c = image_channels("srgan", data)?;
                let config = SrganConfig::new(c).with_content(content_for(data));
                Ok(ModelSpec::of::<Self>(&config))
            },
        },
        Preset {
            name: "srresnet",
            description: "SRGAN's generator trained on the pixel MSE alone (SRResNet-MSE, no discriminator): the paper's PSNR-oriented baseline",
            image: None,
            build: |data| {
                let c = image_channels("srresnet", data)?;
                Ok(ModelSpec::of::<Self>(&SrganConfig::srresnet(c)))
            },
        },
    ];

    type Config = SrganConfig;
    type Model<B: Backend> = Srgan<B>;
    type Trainable<B: AutodiffBackend> = Srgan<B>;

    fn init<B: Backend>(config: &SrganConfig, device: &B::Device) -> Srgan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &SrganConfig, device: &B::Device) -> Srgan<B> {
        config.init(device)
    }

    fn validate(config: &SrganConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &SrganConfig, data: &Samples) -> Result<(), String> {
        let c = image_channels("srgan", data)?;
        if c != config.channels {
            return Err(format!(
                "the model up-samples images of {} channels, but {} has {c}",
                config.channels, data.source
            ));
        }
        config
            .check_shape(data.shape)
            .map_err(|e| format!("--data {}: {e}", data.source))
    }

    /// The low-resolution input of every image (bicubic down-sampling).
    fn prepare_data(config: &SrganConfig, data: Samples, seed: u64) -> Result<Samples, String> {
        paired(&data, config.task, &config.degradation, seed).map_err(|e| e.to_string())
    }

    /// Adam(1e-4, beta1 0.9) for both networks, as the paper; batch 16.
    fn default_training(config: &SrganConfig, _kind: SampleKind) -> TrainingConfig {
        let mut training = TrainingConfig {
            batch_size: 16,
            ..TrainingConfig::default()
        };
        training.optimizers.clear();
        let adam = OptimizerConfig::adam_with_betas(1e-4, 0.9, 0.999);
        training.set_optimizer(NetworkId::GENERATOR, adam.clone());
        if config.adversarial() {
            training.set_optimizer(NetworkId::DISCRIMINATOR, adam);
        }
        training
    }

    fn stored_defaults() -> SrganConfig {
        SrganConfig::new(1)
    }
}
