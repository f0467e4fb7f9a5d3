//! The class-conditional models' registration: `cgan`, `infogan`, `acgan`.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::TrainingConfig;

use super::{Conditional, ConditionalConfig, Conditioning};
use crate::dcgan::{check_networks, dcgan_for_images};
use crate::registry::{
    check_classes, check_objective_settings, check_shape, Family, ModelSpec, Preset,
};

/// The classes of labelled `data` for class-conditional model `name`, or why it cannot train.
fn labelled_classes(name: &str, data: &Samples) -> Result<usize, String> {
    let (Some(classes), Some(_)) = (data.num_classes, &data.labels) else {
        return Err(format!(
            "model `{name}` is class-conditional and needs labelled data, but {} has no labels; use an IDX images file with its labels file beside it (e.g. train-labels-idx1-ubyte.gz) or an image folder with one sub-folder per class",
            data.source
        ));
    };
    if classes < 2 {
        return Err(format!(
            "model `{name}` needs at least 2 classes, but {} has {classes}",
            data.source
        ));
    }
    Ok(classes)
}

/// A class-conditional preset on the DCGAN networks sized to the data.
fn class_conditional(
    name: &str,
    method: Conditioning,
    data: &Samples,
) -> Result<ModelSpec, String> {
    let shape = dcgan_for_images(name, data)?;
    let classes = labelled_classes(name, data)?;
    Ok(ModelSpec::of::<ConditionalFamily>(&ConditionalConfig::new(
        method,
        classes,
        shape.channels,
        shape.image_size,
    )))
}

// ANCHOR: family
/// The class-conditional models' registration: `cgan`, `infogan`, `acgan`.
pub struct ConditionalFamily;

impl Family for ConditionalFamily {
    const NAME: &'static str = "conditional";
    const TITLE: &'static str = "the conditional models (cgan, acgan, infogan)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "cgan",
            description: "conditional GAN (Mirza 2014) on DCGAN networks: label embedding joins z; label maps join D's first layer (labelled data)",
            image: None,
            build: |data| class_conditional("cgan", Conditioning::Cgan, data),
        },
        Preset {
            name: "infogan",
            description: "InfoGAN (Chen 2016) on DCGAN networks: 62-d noise, a 10-way categorical and 2 continuous codes recovered by a Q head (no labels needed)",
            image: None,
            build: |data| {
                let shape = dcgan_for_images("infogan", data)?;
                Ok(ModelSpec::of::<Self>(&ConditionalConfig::infogan(
                    shape.channels,
                    shape.image_size,
                )))
            },
        },
        Preset {
            name: "acgan",
            description: "auxiliary-classifier GAN (Odena 2017) on DCGAN networks: D predicts real/fake and the class (labelled data)",
            image: None,
            build: |data| class_conditional("acgan", Conditioning::Acgan, data),
        },
    ];

    type Config = ConditionalConfig;
    type Model<B: Backend> = Conditional<B>;
    type Trainable<B: AutodiffBackend> = Conditional<B>;

    fn init<B: Backend>(config: &ConditionalConfig, device: &B::Device) -> Conditional<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(
        config: &ConditionalConfig,
        device: &B::Device,
    ) -> Conditional<B> {
        config.init(device)
    }

    fn validate(config: &ConditionalConfig) -> Result<(), String> {
        if config.method != Conditioning::Cgan {
            if config.label_maps != 1 {
                return Err(
                    "--label-maps applies to cgan (whose discriminator takes the label)".into(),
                );
            }
            if config.projection {
                return Err(
                    "--projection applies to cgan (whose discriminator takes the label)".into(),
                );
            }
        }
        check_objective_settings(config.real_target, config.minibatch_kernel_dim)?;
        config.validate()
    }

    fn check_data(config: &ConditionalConfig, data: &Samples) -> Result<(), String> {
        check_networks(config.channels, config.image_size)?;
        check_shape(
            [config.channels, config.image_size, config.image_size],
            data,
        )?;
        match config.method {
            // InfoGAN's classes are its categorical code's values: no labels needed.
            Conditioning::Infogan => Ok(()),
            _ => check_classes(config.classes, data),
        }
    }

    fn default_training(_config: &ConditionalConfig, _kind: SampleKind) -> TrainingConfig {
        TrainingConfig::default()
    }

    fn stored_defaults() -> ConditionalConfig {
        ConditionalConfig::new(Conditioning::Cgan, 10, 1, 28)
    }
}
// ANCHOR_END: family
