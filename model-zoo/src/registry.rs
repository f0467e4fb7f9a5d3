//! Models by name: the presets the command line offers, and the configuration saved in a run's
//! `config.json`.

use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{gan_optimizers, OptimizerConfig, TrainingConfig};
use serde::{Deserialize, Serialize};

use crate::conditional::{ConditionalConfig, Conditioning};
use crate::dcgan::{CriticNorm, DcganConfig};
use crate::gan::GanConfig;
use crate::sgan::{SganConfig, SganNetworks};
use burn_gan::loss::LossFamily;

/// A named configuration of a model family.
pub struct Preset {
    /// The name typed after `burn-gan train`.
    pub name: &'static str,
    /// The family (`gan`, `dcgan`).
    pub family: &'static str,
    /// One line for `burn-gan models`.
    pub description: &'static str,
}

/// Every model name `burn-gan train` accepts: the families (which adapt to the data) and the
/// fixed presets.
pub const PRESETS: &[Preset] = &[
    Preset { name: "gan", family: "gan", description: "original GAN (Goodfellow 2014): MLP G, maxout D; 2-D toy preset on points, MNIST preset on images" },
    Preset { name: "gan-toy", family: "gan", description: "original GAN for 2-D data: 2x128 ReLU G (2-d z), 2x128 maxout(5) D" },
    Preset { name: "gan-mnist", family: "gan", description: "original GAN for 28x28 gray: 1200-1200 ReLU G (100-d z), 240x5 maxout D, dropout 0.2" },
    Preset { name: "dcgan", family: "dcgan", description: "DCGAN (Radford 2015) sized to the data's images (28, 32, 64, ...; gray or RGB)" },
    Preset { name: "dcgan28", family: "dcgan", description: "DCGAN for 28x28 gray: the benchmark reference network" },
    Preset { name: "dcgan32", family: "dcgan", description: "DCGAN for 32x32 RGB" },
    Preset { name: "dcgan64", family: "dcgan", description: "DCGAN for 64x64 RGB" },
    Preset { name: "lsgan", family: "dcgan", description: "least-squares GAN (Mao 2017) on the DCGAN networks sized to the data (on 2-D points: the gan-toy networks)" },
    Preset { name: "hinge", family: "dcgan", description: "hinge loss + spectral norm (as in SAGAN/BigGAN): DCGAN generator, spectrally normalised critic without batch norm (on 2-D points: gan-toy networks, 5 critic steps)" },
    Preset { name: "wgan", family: "dcgan", description: "WGAN (Arjovsky 2017): Wasserstein critic (DCGAN, batch norm), weight clipping 0.01, RMSProp 5e-5, 5 critic steps" },
    Preset { name: "wgan-gp", family: "dcgan", description: "WGAN-GP (Gulrajani 2017): layer-norm critic, gradient penalty 10, Adam(1e-4, 0, 0.9), 5 critic steps (on 2-D points: gan-toy networks, penalty 0.1, Adam(1e-3, 0.5, 0.9))" },
    Preset { name: "cgan", family: "conditional", description: "conditional GAN (Mirza 2014) on DCGAN networks: label embedding joins z; label maps join D's first layer (labelled data)" },
    Preset { name: "sgan", family: "sgan", description: "semi-supervised GAN (Odena 2016): K+1-way discriminator/classifier on DCGAN networks (labelled data, --labelled N)" },
    Preset { name: "sgan-fm", family: "sgan", description: "semi-supervised GAN with K logits and feature matching (Salimans 2016) (labelled data, --labelled N)" },
    Preset { name: "sgan-supervised", family: "sgan", description: "the SGAN classifier trained on the labelled examples alone: the CNN baseline (--labelled N)" },
    Preset { name: "infogan", family: "conditional", description: "InfoGAN (Chen 2016) on DCGAN networks: 62-d noise, a 10-way categorical and 2 continuous codes recovered by a Q head (no labels needed)" },
    Preset { name: "acgan", family: "conditional", description: "auxiliary-classifier GAN (Odena 2017) on DCGAN networks: D predicts real/fake and the class (labelled data)" },
];

/// Fills the fields a stored model configuration lacks (written before they existed) with their
/// defaults, so that old run folders keep loading: `value` is the `model` object of a
/// `config.json` (`{"family": ..., "config": {...}}`).
pub fn fill_model_defaults(value: &mut serde_json::Value) {
    let defaults = match value["family"].as_str() {
        Some("dcgan") => serde_json::to_value(DcganConfig::new(1, 28)),
        Some("gan") => serde_json::to_value(GanConfig::toy()),
        Some("sgan") => serde_json::to_value(SganConfig::new(10, 1, 28)),
        Some("conditional") => {
            serde_json::to_value(ConditionalConfig::new(Conditioning::Cgan, 10, 1, 28))
        }
        _ => return,
    };
    let (Ok(serde_json::Value::Object(defaults)), Some(stored)) =
        (defaults, value["config"].as_object_mut())
    else {
        return;
    };
    for (key, default) in defaults {
        stored.entry(key).or_insert(default);
    }
}

/// `base` with 5 critic steps per generator step and `optimizer` for both networks.
fn critic_steps(optimizer: OptimizerConfig, base: TrainingConfig) -> TrainingConfig {
    TrainingConfig {
        d_steps: 5,
        optimizers: gan_optimizers(optimizer.clone(), optimizer),
        ..base
    }
}

/// A model configuration of any family, as stored in `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", content = "config", rename_all = "lowercase")]
pub enum ModelSpec {
    /// The original GAN.
    Gan(GanConfig),
    /// DCGAN.
    Dcgan(DcganConfig),
    /// Class-conditional DCGAN networks (CGAN, ACGAN, InfoGAN).
    Conditional(ConditionalConfig),
    /// The semi-supervised GAN.
    Sgan(SganConfig),
}

fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ModelSpec {
    /// The configuration of model `name` for `data`, or a message saying why they do not fit.
    pub fn for_data(name: &str, data: &Samples) -> Result<Self, String> {
        let [c, h, w] = data.shape;
        let preset = PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
            format!(
                "unknown model `{name}`; available: {} (see `burn-gan models`)",
                names()
            )
        })?;
        let fixed = |config: DcganConfig| -> Result<Self, String> {
            if data.kind != SampleKind::Image
                || [c, h, w] != [config.channels, config.image_size, config.image_size]
            {
                return Err(format!(
                    "model `{name}` expects {}x{}x{} images but the data {} has samples of shape {c}x{h}x{w}; pick another model, or --image-size/--channels for an image folder",
                    config.channels, config.image_size, config.image_size, data.source
                ));
            }
            Ok(Self::Dcgan(config))
        };
        match (preset.name, data.kind) {
            ("gan", SampleKind::Points) | ("gan-toy", SampleKind::Points) => Ok(Self::Gan(GanConfig::toy())),
            ("gan-toy", SampleKind::Image) => Err(format!("model `gan-toy` is for 2-D data (ring8, grid25), not the images of {}", data.source)),
            ("gan", SampleKind::Image) => Ok(Self::Gan(GanConfig { data_shape: data.shape, ..GanConfig::mnist() })),
            ("gan-mnist", _) => {
                if data.shape != [1, 28, 28] {
                    return Err(format!("model `gan-mnist` expects 1x28x28 images but the data {} has samples of shape {c}x{h}x{w}; use `gan`", data.source));
                }
                Ok(Self::Gan(GanConfig::mnist()))
            }
            // The classic objectives on the toy networks (Gulrajani et al.'s toy code: penalty
            // weight 0.1 on 2-D data).
            ("lsgan", SampleKind::Points) => Ok(Self::Gan(GanConfig::toy().with_loss(LossFamily::LeastSquares))),
            ("hinge", SampleKind::Points) => Ok(Self::Gan(GanConfig::toy().with_loss(LossFamily::Hinge).with_spectral_norm(true))),
            ("wgan-gp", SampleKind::Points) => Ok(Self::Gan(GanConfig::toy().with_loss(LossFamily::Wasserstein).with_gradient_penalty(0.1))),
            ("wgan", SampleKind::Points) => Err(format!(
                "model `wgan` (weight clipping) is registered for images only; for {} use `wgan-gp`, or `gan --loss wasserstein --weight-clip 0.01`",
                data.source
            )),
            (_, SampleKind::Points) => Err(format!(
                "model `{name}` needs image data, but {} holds 2-D points; use `gan` for ring8 and grid25",
                data.source
            )),
            ("dcgan", _) => {
                let config = DcganConfig::new(c, h);
                let (levels, side) = config.levels();
                if h != w || levels == 0 || side < 3 || (c != 1 && c != 3) {
                    return Err(format!(
                        "model `dcgan` needs square gray or RGB images of side s * 2^k with 3 <= s <= 7 (e.g. 28, 32, 64), but {} has {c}x{h}x{w}; pass --image-size 32 (or 64)",
                        data.source
                    ));
                }
                Ok(Self::Dcgan(config))
            }
            ("lsgan" | "hinge" | "wgan" | "wgan-gp", _) => {
                let base = Self::for_data("dcgan", data).map_err(|e| e.replacen("model `dcgan`", &format!("model `{name}`"), 1))?;
                let Self::Dcgan(config) = base else { unreachable!("dcgan is a DCGAN") };
                Ok(Self::Dcgan(match name {
                    "lsgan" => config.with_loss(LossFamily::LeastSquares),
                    "hinge" => config
                        .with_loss(LossFamily::Hinge)
                        .with_critic_norm(CriticNorm::None)
                        .with_spectral_norm(true),
                    "wgan" => config.with_loss(LossFamily::Wasserstein).with_weight_clip(0.01),
                    _ => config
                        .with_loss(LossFamily::Wasserstein)
                        .with_critic_norm(CriticNorm::Layer)
                        .with_gradient_penalty(10.0),
                }))
            }
            ("infogan", _) => {
                let base = Self::for_data("dcgan", data).map_err(|e| e.replacen("model `dcgan`", "model `infogan`", 1))?;
                let Self::Dcgan(shape) = base else { unreachable!("dcgan is a DCGAN") };
                Ok(Self::Conditional(ConditionalConfig::infogan(shape.channels, shape.image_size)))
            }
            ("sgan" | "sgan-fm" | "sgan-supervised", _) => {
                let base = Self::for_data("dcgan", data).map_err(|e| e.replacen("model `dcgan`", &format!("model `{name}`"), 1))?;
                let Some(classes) = data.num_classes.filter(|_| data.labels.is_some()) else {
                    return Err(format!(
                        "model `{name}` is semi-supervised and needs labelled data, but {} has no labels; use an IDX images file with its labels file beside it",
                        data.source
                    ));
                };
                let Self::Dcgan(shape) = base else { unreachable!("dcgan is a DCGAN") };
                let (c, s) = (shape.channels, shape.image_size);
                Ok(Self::Sgan(match name {
                    "sgan" => SganConfig::sgan(classes, c, s),
                    "sgan-fm" => SganConfig::feature_matching_variant(classes, c, s),
                    _ => SganConfig::supervised(classes, c, s),
                }))
            }
            ("cgan" | "acgan", _) => {
                let base = Self::for_data("dcgan", data).map_err(|e| e.replacen("model `dcgan`", &format!("model `{name}`"), 1))?;
                let (Some(classes), Some(_)) = (data.num_classes, &data.labels) else {
                    return Err(format!(
                        "model `{name}` is class-conditional and needs labelled data, but {} has no labels; use an IDX images file with its labels file beside it (e.g. train-labels-idx1-ubyte.gz) or an image folder with one sub-folder per class",
                        data.source
                    ));
                };
                if classes < 2 {
                    return Err(format!("model `{name}` needs at least 2 classes, but {} has {classes}", data.source));
                }
                let Self::Dcgan(shape) = base else { unreachable!("dcgan is a DCGAN") };
                let method = if name == "cgan" { Conditioning::Cgan } else { Conditioning::Acgan };
                Ok(Self::Conditional(ConditionalConfig::new(method, classes, shape.channels, shape.image_size)))
            }
            ("dcgan28", _) => fixed(DcganConfig::dcgan28()),
            ("dcgan32", _) => fixed(DcganConfig::dcgan32()),
            ("dcgan64", _) => fixed(DcganConfig::dcgan64()),
            _ => unreachable!("every preset is matched above"),
        }
    }

    /// The family name.
    pub fn family(&self) -> &'static str {
        match self {
            Self::Gan(_) => "gan",
            Self::Dcgan(_) => "dcgan",
            Self::Conditional(_) => "conditional",
            Self::Sgan(_) => "sgan",
        }
    }

    /// The image size a preset wants from an image folder when the user gave none.
    pub fn preferred_image(name: &str) -> Option<(usize, usize)> {
        match name {
            "dcgan28" | "gan-mnist" => Some((1, 28)),
            "dcgan32" => Some((3, 32)),
            "dcgan64" => Some((3, 64)),
            _ => None,
        }
    }

    /// The training defaults of the family on this kind of data.
    pub fn default_training(&self, kind: SampleKind) -> TrainingConfig {
        match (self, kind) {
            // 2-D toy data: small networks, large batches, a higher learning rate decayed to zero.
            (Self::Gan(c), SampleKind::Points) if *c == GanConfig::toy() => TrainingConfig {
                steps: 3000,
                lr_decay: burn_gan::train::LrDecay::Linear,
                batch_size: 256,
                optimizers: gan_optimizers(
                    OptimizerConfig::adam(1e-3),
                    OptimizerConfig::adam(1e-3),
                ),
                checkpoint_every: 1000,
                log_every: 50,
                sample_every: 500,
                ..TrainingConfig::default()
            },
            (Self::Gan(c), SampleKind::Points) => {
                let toy = Self::Gan(GanConfig::toy()).default_training(kind);
                if c.gradient_penalty > 0.0 || c.loss == LossFamily::Hinge {
                    // A critic trained 5 times per generator step (WGAN-GP's n_critic) with
                    // Adam's beta2 0.9 (Gulrajani et al.), at the toy learning rate.
                    critic_steps(OptimizerConfig::adam_with_betas(1e-3, 0.5, 0.9), toy)
                } else {
                    toy
                }
            }
            (Self::Gan(_), SampleKind::Image) => TrainingConfig {
                steps: 5000,
                batch_size: 100,
                optimizers: gan_optimizers(
                    OptimizerConfig::adam(2e-4),
                    OptimizerConfig::adam(2e-4),
                ),
                ..TrainingConfig::default()
            },
            // WGAN (Arjovsky et al. 2017, algorithm 1): RMSProp 5e-5, n_critic 5.
            (Self::Dcgan(c), _) if c.weight_clip > 0.0 => TrainingConfig {
                d_steps: 5,
                optimizers: {
                    let rms = OptimizerConfig::RmsProp {
                        lr: 5e-5,
                        alpha: 0.99,
                        momentum: 0.0,
                        epsilon: 1e-8,
                    };
                    gan_optimizers(rms.clone(), rms)
                },
                ..TrainingConfig::default()
            },
            // WGAN-GP (Gulrajani et al. 2017, algorithm 1): Adam(1e-4, 0, 0.9), n_critic 5.
            (Self::Dcgan(c), _) if c.gradient_penalty > 0.0 => critic_steps(
                OptimizerConfig::adam_with_betas(1e-4, 0.0, 0.9),
                TrainingConfig::default(),
            ),
            // Salimans et al.'s MNIST setup: batch 100, Adam(3e-3, 0.5) for both networks.
            (Self::Sgan(c), _) if c.networks == SganNetworks::Mlp => TrainingConfig {
                labelled: 100,
                batch_size: 100,
                optimizers: gan_optimizers(
                    OptimizerConfig::adam(3e-3),
                    OptimizerConfig::adam(3e-3),
                ),
                ..TrainingConfig::default()
            },
            // Semi-supervised: 100 labels unless told otherwise.
            (Self::Sgan(_), _) => TrainingConfig {
                labelled: 100,
                ..TrainingConfig::default()
            },
            (Self::Dcgan(_), _) | (Self::Conditional(_), _) => TrainingConfig::default(),
        }
    }

    /// Pretty JSON of the model configuration alone (its burn `Config`).
    pub fn to_config_json(&self) -> String {
        match self {
            Self::Gan(c) => c.to_string(),
            Self::Dcgan(c) => c.to_string(),
            Self::Conditional(c) => c.to_string(),
            Self::Sgan(c) => c.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn_gan::data::Toy;
    use burn_gan::train::NetworkId;

    /// On 2-D points the loss presets build the toy networks with their objective, and the
    /// critic-based ones train the critic five times per generator step with Adam's beta2 0.9.
    #[test]
    fn loss_presets_on_points_use_the_toy_networks() {
        let data = Toy::Grid25.samples(100, 0);
        let spec = |name: &str| match ModelSpec::for_data(name, &data) {
            Ok(ModelSpec::Gan(c)) => c,
            Ok(_) => panic!("{name}: not the gan family"),
            Err(e) => panic!("{name}: {e}"),
        };
        let gp = spec("wgan-gp");
        assert_eq!(
            (gp.loss, gp.gradient_penalty),
            (LossFamily::Wasserstein, 0.1)
        );
        let hinge = spec("hinge");
        assert!(hinge.loss == LossFamily::Hinge && hinge.spectral_norm);
        assert_eq!(spec("lsgan").loss, LossFamily::LeastSquares);
        for name in ["wgan-gp", "hinge"] {
            let t = ModelSpec::Gan(spec(name)).default_training(SampleKind::Points);
            assert_eq!(t.d_steps, 5, "{name}");
            assert!(
                matches!(t.optimizer(NetworkId::DISCRIMINATOR).unwrap(), OptimizerConfig::Adam { beta2, .. } if *beta2 == 0.9),
                "{name}"
            );
        }
        let plain = ModelSpec::Gan(spec("gan")).default_training(SampleKind::Points);
        assert_eq!(
            (plain.d_steps, plain.steps, plain.batch_size),
            (1, 3000, 256)
        );
        let err = ModelSpec::for_data("wgan", &data)
            .err()
            .expect("wgan on points");
        assert!(err.contains("wgan-gp"), "{err}");
    }
}
