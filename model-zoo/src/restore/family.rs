//! The restoration GAN's registration: `restore` (0.9 L1 + 0.1 adversarial) and `restore-l1`,
//! each for one task of [`Task`], sized to the data's channels; `train` turns the clean data
//! into pairs with [`Family::prepare_data`].

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::restore::{paired, Task};
use burn_gan::train::{NetworkId, OptimizerConfig, TrainingConfig};

use super::{RestorationGan, RestoreConfig};
use crate::registry::{Family, ModelSpec, Preset};

/// The channels of an image-to-image model's target images (gray or RGB), or the line saying
/// these are not such images; pix2pix checks its data with it too.
pub(crate) fn image_channels(name: &str, data: &Samples) -> Result<usize, String> {
    match (data.kind, data.shape[0]) {
        (SampleKind::Image, c @ (1 | 3)) => Ok(c),
        (SampleKind::Image, c) => Err(format!(
            "`{name}` works on gray or RGB images, but {} has {c} channels",
            data.source
        )),
        _ => Err(format!(
            "`{name}` works on images, but {} holds 2-D points; use an image set (e.g. fashion-mnist)",
            data.source
        )),
    }
}

// ANCHOR: family
/// The restoration GAN's registration.
pub struct RestoreFamily;

impl Family for RestoreFamily {
    const NAME: &'static str = "restore";
    const TITLE: &'static str = "the restoration networks (restore, restore-l1)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "restore",
            description: "restoration GAN (lecture's use-case): residual generator, PatchGAN on (input, output), 0.9 L1 + 0.1 adversarial; --task sr2|sr4|denoise|deblur|inpaint",
            image: None,
            build: |data| {
                let c = image_channels("restore", data)?;
                Ok(ModelSpec::of::<Self>(&RestoreConfig::new(c)))
            },
        },
        Preset {
            name: "restore-l1",
            description: "the restoration GAN's generator trained on L1 alone (no discriminator): the baseline of the adversarial term",
            image: None,
            build: |data| {
                let c = image_channels("restore-l1", data)?;
                Ok(ModelSpec::of::<Self>(&RestoreConfig::l1_only(c, Task::Sr2)))
            },
        },
    ];

    type Config = RestoreConfig;
    type Model<B: Backend> = RestorationGan<B>;
    type Trainable<B: AutodiffBackend> = RestorationGan<B>;

    fn init<B: Backend>(config: &RestoreConfig, device: &B::Device) -> RestorationGan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(
        config: &RestoreConfig,
        device: &B::Device,
    ) -> RestorationGan<B> {
        config.init(device)
    }

    fn validate(config: &RestoreConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &RestoreConfig, data: &Samples) -> Result<(), String> {
        let c = image_channels("restore", data)?;
        if c != config.channels {
            return Err(format!(
                "the model restores images of {} channels, but {} has {c}",
                config.channels, data.source
            ));
        }
        config
            .degradation
            .check(config.task, data.shape)
            .map_err(|e| format!("--data {}: {}", data.source, error_line(e)))
    }

    /// The pairs of the configured task, corrupted with the run's seed.
    fn prepare_data(config: &RestoreConfig, data: Samples, seed: u64) -> Result<Samples, String> {
        paired(&data, config.task, &config.degradation, seed).map_err(error_line)
    }

    /// Adam(2e-4, β1 0.5) for both networks (the generator alone for L1-only), batch 16.
    fn default_training(config: &RestoreConfig, _kind: SampleKind) -> TrainingConfig {
        let mut training = TrainingConfig {
            batch_size: 16,
            ..TrainingConfig::default()
        };
        training.optimizers.clear();
        training.set_optimizer(NetworkId::GENERATOR, OptimizerConfig::adam(2e-4));
        if config.adversarial() {
            training.set_optimizer(NetworkId::DISCRIMINATOR, OptimizerConfig::adam(2e-4));
        }
        training
    }

    fn stored_defaults() -> RestoreConfig {
        RestoreConfig::new(1)
    }
}
// ANCHOR_END: family

/// The message of a library error, without its variant's prefix.
fn error_line(e: burn_gan::Error) -> String {
    match e {
        burn_gan::Error::Invalid(m) => m,
        e => e.to_string(),
    }
}
