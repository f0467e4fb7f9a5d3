//! DCGAN's registration: the data-sized `dcgan`, the fixed `dcgan28/32/64`, and the loss
//! presets on its networks.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::loss::LossFamily;
use burn_gan::train::{gan_optimizers, OptimizerConfig, TrainingConfig};

use super::{CriticNorm, Dcgan, DcganConfig};
use crate::gan::{GanConfig, GanFamily};
use crate::registry::{check_objective_settings, check_shape, Family, ModelSpec, Preset};

/// The DCGAN networks sized to `data` for model `name`, or why they do not fit: square gray or
/// RGB images of side `s * 2^k`, `3 <= s <= 7`. The image models of every family start here.
pub fn dcgan_for_images(name: &str, data: &Samples) -> Result<DcganConfig, String> {
    let [c, h, w] = data.shape;
    if data.kind == SampleKind::Points {
        return Err(format!(
            "model `{name}` needs image data, but {} holds 2-D points; use `gan` for ring8 and grid25",
            data.source
        ));
    }
    let config = DcganConfig::new(c, h);
    let (levels, side) = config.levels();
    if h != w || levels == 0 || side < 3 || (c != 1 && c != 3) {
        return Err(format!(
            "model `{name}` needs square gray or RGB images of side s * 2^k with 3 <= s <= 7 (e.g. 28, 32, 64), but {} has {c}x{h}x{w}; pass --image-size 32 (or 64)",
            data.source
        ));
    }
    Ok(config)
}

/// `Ok` when DCGAN's networks can generate `channels` x `side` x `side` images.
pub(crate) fn check_networks(channels: usize, side: usize) -> Result<(), String> {
    let (levels, smallest) = DcganConfig::new(channels, side).levels();
    if levels == 0 || smallest < 3 || (channels != 1 && channels != 3) {
        return Err(format!(
            "DCGAN networks generate gray or RGB images of side s * 2^k with 3 <= s <= 7 (e.g. 28, 32, 64), not {channels}x{side}x{side}"
        ));
    }
    Ok(())
}

/// A preset of fixed image size: `config` when `data` has its shape.
fn fixed(name: &str, config: DcganConfig, data: &Samples) -> Result<ModelSpec, String> {
    if data.kind == SampleKind::Points {
        return dcgan_for_images(name, data).map(|_| unreachable!("points are refused"));
    }
    let [c, h, w] = data.shape;
    if [c, h, w] != [config.channels, config.image_size, config.image_size] {
        return Err(format!(
            "model `{name}` expects {}x{}x{} images but the data {} has samples of shape {c}x{h}x{w}; pick another model, or --image-size/--channels for an image folder",
            config.channels, config.image_size, config.image_size, data.source
        ));
    }
    Ok(ModelSpec::of::<DcganFamily>(&config))
}

/// A loss preset: on 2-D points the toy networks of the original GAN with the objective
/// (Gulrajani et al.'s toy code: penalty weight 0.1), on images DCGAN's networks.
fn loss_preset(
    name: &str,
    data: &Samples,
    toy: impl FnOnce(GanConfig) -> GanConfig,
    image: impl FnOnce(DcganConfig) -> DcganConfig,
) -> Result<ModelSpec, String> {
    match data.kind {
        SampleKind::Points => Ok(ModelSpec::of::<GanFamily>(&toy(GanConfig::toy()))),
        SampleKind::Image => Ok(ModelSpec::of::<DcganFamily>(&image(dcgan_for_images(
            name, data,
        )?))),
    }
}

// ANCHOR: family
/// DCGAN's registration: the data-sized `dcgan`, the fixed `dcgan28/32/64`, and the loss
/// presets `lsgan`, `hinge`, `wgan`, `wgan-gp` on its networks.
pub struct DcganFamily;

impl Family for DcganFamily {
    const NAME: &'static str = "dcgan";
    const TITLE: &'static str =
        "the DCGAN family (dcgan, dcgan28/32/64, lsgan, hinge, wgan, wgan-gp)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "dcgan",
            description: "DCGAN (Radford 2015) sized to the data's images (28, 32, 64, ...; gray or RGB)",
            image: None,
            build: |data| Ok(ModelSpec::of::<Self>(&dcgan_for_images("dcgan", data)?)),
        },
        Preset {
            name: "dcgan28",
            description: "DCGAN for 28x28 gray: the benchmark reference network",
            image: Some((1, 28)),
            build: |data| fixed("dcgan28", DcganConfig::dcgan28(), data),
        },
        Preset {
            name: "dcgan32",
            description: "DCGAN for 32x32 RGB",
            image: Some((3, 32)),
            build: |data| fixed("dcgan32", DcganConfig::dcgan32(), data),
        },
        Preset {
            name: "dcgan64",
            description: "DCGAN for 64x64 RGB",
            image: Some((3, 64)),
            build: |data| fixed("dcgan64", DcganConfig::dcgan64(), data),
        },
        Preset {
            name: "lsgan",
            description: "least-squares GAN (Mao 2017) on the DCGAN networks sized to the data (on 2-D points: the gan-toy networks)",
            image: None,
            build: |data| {
                loss_preset(
                    "lsgan",
                    data,
                    |c| c.with_loss(LossFamily::LeastSquares),
                    |c| c.with_loss(LossFamily::LeastSquares),
                )
            },
        },
        Preset {
            name: "hinge",
            description: "hinge loss + spectral norm (as in SAGAN/BigGAN): DCGAN generator, spectrally normalised critic without batch norm (on 2-D points: gan-toy networks, 5 critic steps)",
            image: None,
            build: |data| {
                loss_preset(
                    "hinge",
                    data,
                    |c| c.with_loss(LossFamily::Hinge).with_spectral_norm(true),
                    |c| {
                        c.with_loss(LossFamily::Hinge)
                            .with_critic_norm(CriticNorm::None)
                            .with_spectral_norm(true)
                    },
                )
            },
        },
        Preset {
            name: "wgan",
            description: "WGAN (Arjovsky 2017): Wasserstein critic (DCGAN, batch norm), weight clipping 0.01, RMSProp 5e-5, 5 critic steps",
            image: None,
            build: |data| match data.kind {
                SampleKind::Points => Err(format!(
                    "model `wgan` (weight clipping) is registered for images only; for {} use `wgan-gp`, or `gan --loss wasserstein --weight-clip 0.01`",
                    data.source
                )),
                SampleKind::Image => Ok(ModelSpec::of::<Self>(
                    &dcgan_for_images("wgan", data)?
                        .with_loss(LossFamily::Wasserstein)
                        .with_weight_clip(0.01),
                )),
            },
        },
        Preset {
            name: "wgan-gp",
            description: "WGAN-GP (Gulrajani 2017): layer-norm critic, gradient penalty 10, Adam(1e-4, 0, 0.9), 5 critic steps (on 2-D points: gan-toy networks, penalty 0.1, Adam(1e-3, 0.5, 0.9))",
            image: None,
            build: |data| {
                loss_preset(
                    "wgan-gp",
                    data,
                    |c| {
                        c.with_loss(LossFamily::Wasserstein)
                            .with_gradient_penalty(0.1)
                    },
                    |c| {
                        c.with_loss(LossFamily::Wasserstein)
                            .with_critic_norm(CriticNorm::Layer)
                            .with_gradient_penalty(10.0)
                    },
                )
            },
        },
    ];

    type Config = DcganConfig;
    type Model<B: Backend> = Dcgan<B>;
    type Trainable<B: AutodiffBackend> = Dcgan<B>;

    fn init<B: Backend>(config: &DcganConfig, device: &B::Device) -> Dcgan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(config: &DcganConfig, device: &B::Device) -> Dcgan<B> {
        config.init(device)
    }

    fn validate(config: &DcganConfig) -> Result<(), String> {
        check_objective_settings(config.real_target, config.minibatch_kernel_dim)?;
        config.validate()
    }

    fn check_data(config: &DcganConfig, data: &Samples) -> Result<(), String> {
        check_networks(config.channels, config.image_size)?;
        check_shape(
            [config.channels, config.image_size, config.image_size],
            data,
        )
    }

    fn default_training(config: &DcganConfig, _kind: SampleKind) -> TrainingConfig {
        if config.weight_clip > 0.0 {
            // WGAN (Arjovsky et al. 2017, algorithm 1): RMSProp 5e-5, n_critic 5.
            let rms = OptimizerConfig::RmsProp {
                lr: 5e-5,
                alpha: 0.99,
                momentum: 0.0,
                epsilon: 1e-8,
            };
            TrainingConfig {
                d_steps: 5,
                optimizers: gan_optimizers(rms.clone(), rms),
                ..TrainingConfig::default()
            }
        } else if config.gradient_penalty > 0.0 {
            // WGAN-GP (Gulrajani et al. 2017, algorithm 1): Adam(1e-4, 0, 0.9), n_critic 5.
            let adam = OptimizerConfig::adam_with_betas(1e-4, 0.0, 0.9);
            TrainingConfig {
                d_steps: 5,
                optimizers: gan_optimizers(adam.clone(), adam),
                ..TrainingConfig::default()
            }
        } else {
            TrainingConfig::default()
        }
    }

    fn stored_defaults() -> DcganConfig {
        DcganConfig::new(1, 28)
    }
}
// ANCHOR_END: family
