//! The semi-supervised GAN's registration: `sgan`, `sgan-fm`, `sgan-supervised`.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{gan_optimizers, OptimizerConfig, TrainingConfig};

use super::{Sgan, SganConfig, SganNetworks};
use crate::dcgan::{check_networks, dcgan_for_images};
use crate::registry::{check_classes, check_shape, Family, ModelSpec, Preset};

/// A semi-supervised preset on the DCGAN networks sized to labelled `data`.
fn semi_supervised(
    name: &str,
    data: &Samples,
    config: fn(usize, usize, usize) -> SganConfig,
) -> Result<ModelSpec, String> {
    let shape = dcgan_for_images(name, data)?;
    let Some(classes) = data.num_classes.filter(|_| data.labels.is_some()) else {
        return Err(format!(
            "model `{name}` is semi-supervised and needs labelled data, but {} has no labels; use an IDX images file with its labels file beside it",
            data.source
        ));
    };
    Ok(ModelSpec::of::<SganFamily>(&config(
        classes,
        shape.channels,
        shape.image_size,
    )))
}

// ANCHOR: family
/// The semi-supervised GAN's registration: `sgan`, `sgan-fm`, `sgan-supervised`.
pub struct SganFamily;

impl Family for SganFamily {
    const NAME: &'static str = "sgan";
    const TITLE: &'static str = "the semi-supervised models (sgan, sgan-fm, sgan-supervised)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "sgan",
            description: "semi-supervised GAN (Odena 2016): K+1-way discriminator/classifier on DCGAN networks (labelled data, --labelled N)",
            image: None,
            build: |data| semi_supervised("sgan", data, SganConfig::sgan),
        },
        Preset {
            name: "sgan-fm",
            description: "semi-supervised GAN with K logits and feature matching (Salimans 2016) (labelled data, --labelled N)",
            image: None,
            build: |data| semi_supervised("sgan-fm", data, SganConfig::feature_matching_variant),
        },
        Preset {
            name: "sgan-supervised",
            description: "the SGAN classifier trained on the labelled examples alone: the CNN baseline (--labelled N)",
            image: None,
            build: |data| semi_supervised("sgan-supervised", data, SganConfig::supervised),
        },
    ];

    type Config = SganConfig;
    type Model<B: Backend> = Sgan<B>;
    type Trainable<B: AutodiffBackend> = Sgan<B>;

    fn init<B: Backend>(config: &SganConfig, device: &B::Device) -> Sgan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &SganConfig, device: &B::Device) -> Sgan<B> {
        config.init(device)
    }

    fn validate(config: &SganConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &SganConfig, data: &Samples) -> Result<(), String> {
        check_networks(config.channels, config.image_size)?;
        check_shape(
            [config.channels, config.image_size, config.image_size],
            data,
        )?;
        check_classes(config.classes, data)
    }

    fn default_training(config: &SganConfig, _kind: SampleKind) -> TrainingConfig {
        match config.networks {
            // Salimans et al.'s MNIST setup: batch 100, Adam(3e-3, 0.5) for both networks.
            SganNetworks::Mlp => TrainingConfig {
                labelled: 100,
                batch_size: 100,
                optimizers: gan_optimizers(
                    OptimizerConfig::adam(3e-3),
                    OptimizerConfig::adam(3e-3),
                ),
                ..TrainingConfig::default()
            },
            // Semi-supervised: 100 labels unless told otherwise.
            SganNetworks::Dcgan => TrainingConfig {
                labelled: 100,
                ..TrainingConfig::default()
            },
        }
    }

    fn stored_defaults() -> SganConfig {
        SganConfig::new(10, 1, 28)
    }

    /// `networks=mlp` is Salimans et al.'s setup: the MLPs with the unsupervised terms halved.
    fn apply_setting(
        config: &mut SganConfig,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<bool, String> {
        if key == "networks" && value.as_str() == Some("mlp") {
            *config = config.clone().with_mlp_networks();
            return Ok(true);
        }
        Ok(false)
    }

    fn check_training(_config: &SganConfig, _training: &TrainingConfig) -> Result<(), String> {
        Ok(())
    }
}
// ANCHOR_END: family
