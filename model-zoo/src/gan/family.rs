//! The original GAN's registration: presets `gan`, `gan-toy` and `gan-mnist`.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::loss::LossFamily;
use burn_gan::train::{gan_optimizers, LrDecay, OptimizerConfig, TrainingConfig};

use super::{Gan, GanConfig};
use crate::registry::{check_objective_settings, check_shape, Family, ModelSpec, Preset};

// ANCHOR: family
/// The original GAN's registration: presets `gan`, `gan-toy` and `gan-mnist`.
pub struct GanFamily;

impl Family for GanFamily {
    const NAME: &'static str = "gan";
    const TITLE: &'static str = "the original GAN (gan, gan-toy, gan-mnist)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "gan",
            description: "original GAN (Goodfellow 2014): MLP G, maxout D; 2-D toy preset on points, MNIST preset on images",
            image: None,
            build: |data| {
                Ok(ModelSpec::of::<Self>(&match data.kind {
                    SampleKind::Points => GanConfig::toy(),
                    SampleKind::Image => GanConfig {
                        data_shape: data.shape,
                        ..GanConfig::mnist()
                    },
                }))
            },
        },
        Preset {
            name: "gan-toy",
            description: "original GAN for 2-D data: 2x128 ReLU G (2-d z), 2x128 maxout(5) D",
            image: None,
            build: |data| match data.kind {
                SampleKind::Points => Ok(ModelSpec::of::<Self>(&GanConfig::toy())),
                SampleKind::Image => Err(format!(
                    "model `gan-toy` is for 2-D data (ring8, grid25), not the images of {}",
                    data.source
                )),
            },
        },
        Preset {
            name: "gan-mnist",
            description: "original GAN for 28x28 gray: 1200-1200 ReLU G (100-d z), 240x5 maxout D, dropout 0.2",
            image: Some((1, 28)),
            build: |data| {
                if data.shape != [1, 28, 28] {
                    let [c, h, w] = data.shape;
                    return Err(format!(
                        "model `gan-mnist` expects 1x28x28 images but the data {} has samples of shape {c}x{h}x{w}; use `gan`",
                        data.source
                    ));
                }
                Ok(ModelSpec::of::<Self>(&GanConfig::mnist()))
            },
        },
    ];

    type Config = GanConfig;
    type Model<B: Backend> = Gan<B>;
    type Trainable<B: AutodiffBackend> = Gan<B>;

    fn init<B: Backend>(config: &GanConfig, device: &B::Device) -> Gan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &GanConfig, device: &B::Device) -> Gan<B> {
        config.init(device)
    }

    fn validate(config: &GanConfig) -> Result<(), String> {
        check_objective_settings(config.real_target, config.minibatch_kernel_dim)?;
        config.validate()
    }

    fn check_data(config: &GanConfig, data: &Samples) -> Result<(), String> {
        check_shape(config.data_shape, data)
    }

    fn default_training(config: &GanConfig, kind: SampleKind) -> TrainingConfig {
        match kind {
            // 2-D toy data: small networks, large batches, a higher learning rate decayed to
            // zero.
            SampleKind::Points => {
                let toy = TrainingConfig {
                    steps: 3000,
                    lr_decay: LrDecay::Linear,
                    batch_size: 256,
                    optimizers: gan_optimizers(
                        OptimizerConfig::adam(1e-3),
                        OptimizerConfig::adam(1e-3),
                    ),
                    checkpoint_every: 1000,
                    log_every: 50,
                    sample_every: 500,
                    ..TrainingConfig::default()
                };
                if config.gradient_penalty > 0.0 || config.loss == LossFamily::Hinge {
                    // A critic trained 5 times per generator step (WGAN-GP's n_critic) with
                    // Adam's beta2 0.9 (Gulrajani et al.), at the toy learning rate.
                    let adam = OptimizerConfig::adam_with_betas(1e-3, 0.5, 0.9);
                    TrainingConfig {
                        d_steps: 5,
                        optimizers: gan_optimizers(adam.clone(), adam),
                        ..toy
                    }
                } else {
                    toy
                }
            }
            SampleKind::Image => TrainingConfig {
                steps: 5000,
                batch_size: 100,
                optimizers: gan_optimizers(
                    OptimizerConfig::adam(2e-4),
                    OptimizerConfig::adam(2e-4),
                ),
                ..TrainingConfig::default()
            },
        }
    }

    fn stored_defaults() -> GanConfig {
        GanConfig::toy()
    }
}
// ANCHOR_END: family
