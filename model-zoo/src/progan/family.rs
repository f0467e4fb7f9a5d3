//! Progressive growing's registration: `progan`, sized to the data's images.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{gan_optimizers, OptimizerConfig, TrainingConfig};

use super::{Progan, ProganConfig};
use crate::registry::{check_shape, Family, ModelSpec, Preset};

/// The configuration for `data`'s images, or why they do not fit.
fn for_images(data: &Samples) -> Result<ProganConfig, String> {
    let [c, h, w] = data.shape;
    if data.kind == SampleKind::Points {
        return Err(format!(
            "model `progan` needs image data, but {} holds 2-D points; use `gan` for ring8 and grid25",
            data.source
        ));
    }
    let config = ProganConfig::new(c, h);
    if h != w {
        return Err(format!(
            "model `progan` needs square images, but {} has {c}x{h}x{w}; pass --image-size 32 (or 64)",
            data.source
        ));
    }
    config.validate().map_err(|e| {
        format!(
            "model `progan` cannot grow to the images of {}: {e}; pass --image-size 32 (or 64: IDX images are padded, image folders resized)",
            data.source
        )
    })?;
    Ok(config)
}

// ANCHOR: family
/// Progressive growing's registration.
pub struct ProganFamily;

impl Family for ProganFamily {
    const NAME: &'static str = "progan";
    const TITLE: &'static str = "progressive growing (progan)";
    const PRESETS: &'static [Preset] = &[Preset {
        name: "progan",
        description: "progressive growing (Karras 2018): 4x4 up to the data's resolution (4 * 2^k), fade-ins, equalised learning rate, pixel norm, minibatch stddev, WGAN-GP + drift",
        image: None,
        build: |data| Ok(ModelSpec::of::<Self>(&for_images(data)?)),
    }];

    type Config = ProganConfig;
    type Model<B: Backend> = Progan<B>;
    type Trainable<B: AutodiffBackend> = Progan<B>;

    fn init<B: Backend>(config: &ProganConfig, device: &B::Device) -> Progan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &ProganConfig, device: &B::Device) -> Progan<B> {
        config.init(device)
    }

    fn validate(config: &ProganConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &ProganConfig, data: &Samples) -> Result<(), String> {
        check_shape(
            [config.channels, config.image_size, config.image_size],
            data,
        )
    }

    /// The paper's Adam (1e-3, beta1 0, beta2 0.99) for both networks, one critic step per
    /// generator step, the schedule's batch, and enough steps to grow to the final resolution
    /// and train it for one more stable stage.
    fn default_training(config: &ProganConfig, _kind: SampleKind) -> TrainingConfig {
        let adam = OptimizerConfig::adam_with_betas(1e-3, 0.0, 0.99);
        let images = config.growth_images() + config.stable_images;
        TrainingConfig {
            steps: config.steps_for(images),
            batch_size: config.batch_size,
            optimizers: gan_optimizers(adam.clone(), adam),
            ..TrainingConfig::default()
        }
    }

    fn stored_defaults() -> ProganConfig {
        ProganConfig::new(3, 32)
    }

    fn check_training(config: &ProganConfig, training: &TrainingConfig) -> Result<(), String> {
        if training.batch_size != config.batch_size {
            return Err(format!(
                "progan's schedule draws batches of {} but the run's batch is {}; change both together: --batch {} --set batch_size={} (batch_sizes sets smaller batches per resolution)",
                config.batch_size, training.batch_size, training.batch_size, training.batch_size
            ));
        }
        let images = config.images_before(training.steps);
        if config.fade_images > images {
            return Err(format!(
                "fade_images {} is longer than the run ({} steps: {images} images); use fewer fade_images (--set fade_images=N) or more --steps",
                config.fade_images, training.steps
            ));
        }
        if training.labelled > 0 {
            return Err(
                "--labelled applies to the semi-supervised models (sgan, sgan-fm, sgan-supervised)"
                    .into(),
            );
        }
        Ok(())
    }
}
// ANCHOR_END: family
