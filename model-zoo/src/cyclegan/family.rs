//! CycleGAN's registration: `cyclegan`, sized to the data's images. Its two domains are the
//! data and `--data-b`, or, for one labelled set, two of its classes (`class_a`, `class_b`:
//! Fashion-MNIST's sneakers and ankle boots by default).

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{NetworkId, OptimizerConfig, TrainingConfig};

use super::{Cyclegan, CycleganConfig};
use crate::registry::{Family, ModelSpec, Preset};
use crate::restore::image_channels;

/// The images of `data` whose label is `class`, or the line saying why there are none.
pub fn class_domain(data: &Samples, class: usize, setting: &str) -> Result<Samples, String> {
    let labels = data.labels.as_ref().ok_or_else(|| {
        format!(
            "{} has no labels to split into two domains by class; give the second domain with --data-b PATH",
            data.source
        )
    })?;
    let keep: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
    if keep.is_empty() {
        return Err(format!(
            "{setting} {class}: {} holds no image of class {class}; the domains must be classes it has (0 to {}; --set {setting}=N when training)",
            data.source,
            data.num_classes.unwrap_or(1).saturating_sub(1)
        ));
    }
    let mut values = Vec::with_capacity(keep.len() * data.sample_len());
    for &i in &keep {
        values.extend_from_slice(data.sample(i));
    }
    Ok(Samples {
        values,
        labels: Some(vec![class; keep.len()]),
        source: format!("{} (class {class})", data.source),
        paired: None,
        ..data.clone()
    })
}

// ANCHOR: family
/// CycleGAN's registration.
pub struct CycleganFamily;

impl Family for CycleganFamily {
    const NAME: &'static str = "cyclegan";
    const TITLE: &'static str = "CycleGAN";
    const PRESETS: &'static [Preset] = &[Preset {
        name: "cyclegan",
        description: "CycleGAN (Zhu 2017): two ResNet generators and two PatchGANs on unpaired domains (--data-b, or classes class_a/class_b of one labelled set), least squares + 10 cycle + 5 identity, image pools of 50",
        image: None,
        build: |data| {
            let c = image_channels("cyclegan", data)?;
            let [_, h, w] = data.shape;
            Ok(ModelSpec::of::<Self>(&CycleganConfig::new(c, h, w)))
        },
    }];

    type Config = CycleganConfig;
    type Model<B: Backend> = Cyclegan<B>;
    type Trainable<B: AutodiffBackend> = Cyclegan<B>;

    fn init<B: Backend>(config: &CycleganConfig, device: &B::Device) -> Cyclegan<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(
        config: &CycleganConfig,
        device: &B::Device,
    ) -> Cyclegan<B> {
        config.init(device)
    }

    fn validate(config: &CycleganConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &CycleganConfig, data: &Samples) -> Result<(), String> {
        let c = image_channels("cyclegan", data)?;
        let [_, h, w] = data.shape;
        if [c, h, w] != [config.channels, config.height, config.width] {
            return Err(format!(
                "the model translates images of shape {:?}, but {} holds {:?}",
                [config.channels, config.height, config.width],
                data.source,
                data.shape
            ));
        }
        config
            .check_size(h, w)
            .map_err(|e| format!("--data {}: {e}", data.source))
    }

    /// `data` and `data_b`, or the classes `class_a` and `class_b` of `data`.
    fn domains(
        config: &CycleganConfig,
        data: Samples,
        data_b: Option<Samples>,
    ) -> Result<(Samples, Option<Samples>), String> {
        let (a, b) = match data_b {
            Some(b) => (data, b),
            None => (
                class_domain(&data, config.class_a, "class_a")?,
                class_domain(&data, config.class_b, "class_b")?,
            ),
        };
        if a.shape != b.shape {
            return Err(format!(
                "--data-b {}: images of shape {:?}, but {} holds {:?}; give both domains at one size (--image-size)",
                b.source, b.shape, a.source, a.shape
            ));
        }
        Ok((a, Some(b)))
    }

    /// Adam(2e-4, beta1 0.5) for both optimizers, batch 16 (the reference trains on single
    /// images; batches of 16 use a CPU better and instance norm does not depend on them).
    fn default_training(_config: &CycleganConfig, _kind: SampleKind) -> TrainingConfig {
        let mut training = TrainingConfig {
            batch_size: 16,
            ..TrainingConfig::default()
        };
        training.optimizers.clear();
        training.set_optimizer(NetworkId::GENERATOR, OptimizerConfig::adam(2e-4));
        training.set_optimizer(NetworkId::DISCRIMINATOR, OptimizerConfig::adam(2e-4));
        training
    }

    /// Refuses the run's own evaluation: it compares samples with the data, and a CycleGAN's
    /// samples are translations into the other domain (`burn-gan score` measures them).
    fn check_training(_config: &CycleganConfig, training: &TrainingConfig) -> Result<(), String> {
        if training.labelled > 0 {
            return Err(
                "--labelled applies to the semi-supervised models (sgan, sgan-fm, sgan-supervised)"
                    .into(),
            );
        }
        if training.eval_every > 0 {
            return Err("--eval-every: a run's evaluation compares its samples with its data, and CycleGAN's samples are translations into the other domain; measure the run with `burn-gan score --run DIR`".into());
        }
        Ok(())
    }

    fn stored_defaults() -> CycleganConfig {
        CycleganConfig::new(1, 28, 28)
    }
}
// ANCHOR_END: family
