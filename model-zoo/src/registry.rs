//! Models by name: the family registry, the presets the command line offers, and the model
//! configuration saved in a run's `config.json`.
//!
//! A model family is one type implementing [`Family`] in its own file (its configuration, its
//! model types, its presets, its training defaults) and one line in [`families!`] below. Every
//! item of the trait is required, so a family that misses one does not compile; a preset is a
//! name with the function that builds it, so no preset can lack its builder.

use std::fmt::Debug;

use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::train::{InferenceStep, TrainStep};
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{Adversarial, GanBatch, GanOutput, TrainingConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::GeneratorAverage;

// ANCHOR: family
/// A model family: a configuration type, the model it builds on any backend, its named presets
/// and its training defaults. Register it with one line in the registry (`families!` in
/// `registry.rs`).
pub trait Family: 'static {
    /// The family's key in `config.json` (`{"family": NAME, "config": {...}}`).
    const NAME: &'static str;
    /// How error messages name the family's models ("the DCGAN family").
    const TITLE: &'static str;
    /// The presets `burn-gan train <name>` offers for this family.
    const PRESETS: &'static [Preset];

    /// The stored configuration (a burn `Config`).
    type Config: Serialize + DeserializeOwned + Clone + Debug + PartialEq + std::fmt::Display;
    /// The model on an inference backend: sampling, evaluation, checkpoints.
    type Model<B: Backend>: Adversarial<B>
        + InferenceStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + GeneratorAverage
        + 'static;
    /// The model on an autodiff backend, as the learner trains it.
    type Trainable<B: AutodiffBackend>: Adversarial<B>
        + AutodiffModule<B, InnerModule = Self::Model<B::InnerBackend>>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static;

    /// Builds the model for inference (its weights are then loaded from a checkpoint).
    fn init<B: Backend>(config: &Self::Config, device: &B::Device) -> Self::Model<B>;
    /// Builds the model for training.
    fn init_trainable<B: AutodiffBackend>(
        config: &Self::Config,
        device: &B::Device,
    ) -> Self::Trainable<B>;
    /// Checks a configuration after the user's settings are applied: a message naming the
    /// setting that cannot work.
    fn validate(config: &Self::Config) -> Result<(), String>;
    /// Checks that a configuration fits the data it is about to train on (sample shape,
    /// classes, labels): a configuration from a file or changed by `--set` may not.
    fn check_data(config: &Self::Config, data: &Samples) -> Result<(), String>;
    /// The training data made from the loaded data: the identity for most families; a family
    /// that trains on pairs derived from clean images (restoration: a degraded input per image)
    /// builds them here, deterministically from the run's `seed`, so a resumed run trains on the
    /// same pairs. Called after [`check_data`](Family::check_data).
    fn prepare_data(_config: &Self::Config, data: Samples, _seed: u64) -> Result<Samples, String> {
        Ok(data)
    }
    /// The two unpaired domains a two-domain family (CycleGAN) trains on: `data` and the second
    /// set (`--data-b`), or two parts of `data` (its classes). The default trains on `data`
    /// alone and refuses a second set. Called after [`prepare_data`](Family::prepare_data).
    fn domains(
        _config: &Self::Config,
        data: Samples,
        data_b: Option<Samples>,
    ) -> Result<(Samples, Option<Samples>), String> {
        match data_b {
            None => Ok((data, None)),
            Some(b) => Err(format!(
                "--data-b {}: {} learns from one set of images; a second domain is for two-domain models (cyclegan)",
                b.source,
                Self::TITLE
            )),
        }
    }
    /// The training defaults of a configuration on this kind of data.
    fn default_training(config: &Self::Config, kind: SampleKind) -> TrainingConfig;
    /// The values of the fields a `config.json` written before they existed lacks.
    fn stored_defaults() -> Self::Config;

    /// Applies a setting that is more than one field (`networks=mlp` changes an SGAN's
    /// networks, batch and loss weights together). `Ok(false)`: not such a setting, so it is set
    /// as the field of that name.
    fn apply_setting(
        _config: &mut Self::Config,
        _key: &str,
        _value: &serde_json::Value,
    ) -> Result<bool, String> {
        Ok(false)
    }

    /// Checks the training settings the family depends on. The default refuses a labelled
    /// subset, which only the semi-supervised models use.
    fn check_training(_config: &Self::Config, training: &TrainingConfig) -> Result<(), String> {
        match training.labelled {
            0 => Ok(()),
            _ => Err(
                "--labelled applies to the semi-supervised models (sgan, sgan-fm, sgan-supervised)"
                    .into(),
            ),
        }
    }
}
// ANCHOR_END: family

/// A named configuration: `burn-gan train <name>`.
pub struct Preset {
    /// The name typed after `burn-gan train`.
    pub name: &'static str,
    /// One line for `burn-gan models`.
    pub description: &'static str,
    /// `(channels, side)` an image folder is loaded at when the user gives no size.
    pub image: Option<(usize, usize)>,
    /// The model configuration for the data, or a message saying why they do not fit.
    pub build: fn(&Samples) -> Result<ModelSpec, String>,
}

/// Does something with the typed configuration of a family, whichever it is: the way generic
/// code (training, sampling, benchmarks) reaches a family's model types from a [`ModelSpec`].
pub trait FamilyVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the family `F` of the model and its configuration.
    fn visit<F: Family>(self, config: F::Config) -> Self::Output;
}

// ANCHOR: registry
/// The registry: every family, one line each. `for_each_family` calls a visitor for the family
/// of a name; `FAMILIES` lists their names, titles and presets.
macro_rules! families {
    ($($family:ty),* $(,)?) => {
        /// Every registered family: its name, its title and its presets.
        pub const FAMILIES: &[(&str, &str, &[Preset])] =
            &[$((<$family as Family>::NAME, <$family as Family>::TITLE, <$family as Family>::PRESETS)),*];

        /// Calls `visitor` with the family named `family` and `config` decoded as its
        /// configuration (the fields an older `config.json` lacks take their stored defaults).
        fn for_each_family<V: FamilyVisitor>(
            family: &str,
            config: &serde_json::Value,
            visitor: V,
        ) -> Result<V::Output, String> {
            $(
                if family == <$family as Family>::NAME {
                    return Ok(visitor.visit::<$family>(decode::<$family>(config)?));
                }
            )*
            Err(format!(
                "unknown model family `{family}`; this burn-gan knows {}",
                FAMILIES.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            ))
        }
    };
}

families! {
    crate::gan::GanFamily,
    crate::dcgan::DcganFamily,
    crate::conditional::ConditionalFamily,
    crate::sgan::SganFamily,
    crate::vaegan::VaeganFamily,
    crate::progan::ProganFamily,
    crate::restore::RestoreFamily,
    crate::pix2pix::Pix2PixFamily,
    crate::cyclegan::CycleganFamily,
    crate::srgan::SrganFamily,
}
// ANCHOR_END: registry

/// The objective settings every family with them checks, whether they came from a flag, `--set`
/// or a configuration file.
pub(crate) fn check_objective_settings(
    real_target: f32,
    minibatch_kernel_dim: usize,
) -> Result<(), String> {
    if !(real_target > 0.0 && real_target <= 1.0) {
        return Err(format!(
            "real_target {real_target}: use a value in (0, 1], e.g. 0.9"
        ));
    }
    if minibatch_kernel_dim == 0 {
        return Err(
            "minibatch_kernel_dim 0: use a kernel dimension of at least 1 (default 5)".into(),
        );
    }
    Ok(())
}

/// `Ok` when `data` holds samples of `shape`, else the one line that says so.
pub(crate) fn check_shape(shape: [usize; 3], data: &Samples) -> Result<(), String> {
    match data.shape == shape {
        true => Ok(()),
        false => Err(format!(
            "the model is built for samples of shape {shape:?}, but {} has {:?}",
            data.source, data.shape
        )),
    }
}

/// `Ok` when `data` is labelled with exactly `classes` classes.
pub(crate) fn check_classes(classes: usize, data: &Samples) -> Result<(), String> {
    match (data.labels.is_some(), data.num_classes) {
        (true, Some(n)) if n == classes => Ok(()),
        (true, Some(n)) => Err(format!(
            "the model is built for {classes} classes, but {} has {n}",
            data.source
        )),
        _ => Err(format!(
            "the model is built for {classes} classes and needs labelled data, but {} has no labels",
            data.source
        )),
    }
}

/// Every preset, in registration order.
pub fn presets() -> impl Iterator<Item = (&'static str, &'static Preset)> {
    FAMILIES
        .iter()
        .flat_map(|(family, _, presets)| presets.iter().map(move |p| (*family, p)))
}

fn preset(name: &str) -> Option<&'static Preset> {
    presets().find(|(_, p)| p.name == name).map(|(_, p)| p)
}

/// The preset called `name`, or the line that lists the valid names.
pub fn find_preset(name: &str) -> Result<&'static Preset, String> {
    preset(name).ok_or_else(|| {
        format!(
            "unknown model `{name}`; available: {} (see `burn-gan models`)",
            names()
        )
    })
}

/// `config` with the fields it lacks filled from `F`'s stored defaults, as `F::Config`.
fn decode<F: Family>(config: &serde_json::Value) -> Result<F::Config, String> {
    let mut config = config.clone();
    fill::<F>(&mut config);
    serde_json::from_value(config)
        .map_err(|e| format!("not a valid `{}` model configuration ({e})", F::NAME))
}

fn fill<F: Family>(config: &mut serde_json::Value) {
    let (Ok(serde_json::Value::Object(defaults)), Some(stored)) = (
        serde_json::to_value(F::stored_defaults()),
        config.as_object_mut(),
    ) else {
        return;
    };
    for (key, default) in defaults {
        stored.entry(key).or_insert(default);
    }
}

/// Fills the fields a stored model configuration lacks (written before they existed) with their
/// defaults, so that old run folders keep loading: `value` is the `model` object of a
/// `config.json` (`{"family": ..., "config": {...}}`).
pub fn fill_model_defaults(value: &mut serde_json::Value) {
    struct Defaults;
    impl FamilyVisitor for Defaults {
        type Output = serde_json::Value;
        fn visit<F: Family>(self, config: F::Config) -> serde_json::Value {
            serde_json::to_value(config).expect("a model configuration serialises")
        }
    }
    let family = value["family"].as_str().unwrap_or_default().to_string();
    if let Ok(filled) = for_each_family(&family, &value["config"], Defaults) {
        value["config"] = filled;
    }
}

// ANCHOR: model_spec
/// A model configuration of any family, as stored in `config.json`: the family's name and its
/// configuration as data. [`ModelSpec::visit`] hands the typed configuration to generic code.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ModelSpec {
    /// The family's [`Family::NAME`].
    pub family: String,
    /// The family's configuration, serialised.
    pub config: serde_json::Value,
}
// ANCHOR_END: model_spec

/// Serialised through the typed configuration, so that `config.json` lists its fields in the
/// configuration's order and writes `f32` values as written (`0.9`, not the `f64` widening).
impl Serialize for ModelSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Typed<'a, S>(S, &'a str);
        impl<S: serde::Serializer> FamilyVisitor for Typed<'_, S> {
            type Output = Result<S::Ok, S::Error>;
            fn visit<F: Family>(self, config: F::Config) -> Self::Output {
                let mut spec = self.0.serialize_struct("ModelSpec", 2)?;
                spec.serialize_field("family", self.1)?;
                spec.serialize_field("config", &config)?;
                spec.end()
            }
        }
        match decode_any(&self.family, &self.config) {
            true => self
                .visit(Typed(serializer, &self.family))
                .expect("the configuration decodes"),
            false => {
                let mut spec = serializer.serialize_struct("ModelSpec", 2)?;
                spec.serialize_field("family", &self.family)?;
                spec.serialize_field("config", &self.config)?;
                spec.end()
            }
        }
    }
}

/// Whether `config` decodes as the configuration of the registered family `family`.
fn decode_any(family: &str, config: &serde_json::Value) -> bool {
    for_each_family(family, config, Ignore).is_ok()
}

fn names() -> String {
    presets()
        .map(|(_, p)| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ModelSpec {
    /// The specification of a configuration of family `F`.
    pub fn of<F: Family>(config: &F::Config) -> Self {
        Self {
            family: F::NAME.into(),
            config: serde_json::to_value(config).expect("a model configuration serialises"),
        }
    }

    /// The configuration of model `name` for `data`, or a message saying why they do not fit.
    pub fn for_data(name: &str, data: &Samples) -> Result<Self, String> {
        (find_preset(name)?.build)(data)
    }

    /// The image size a preset wants from an image folder when the user gave none.
    pub fn preferred_image(name: &str) -> Option<(usize, usize)> {
        preset(name).and_then(|p| p.image)
    }

    /// The family name.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// The typed configuration, when the model is of family `F`.
    pub fn config<F: Family>(&self) -> Option<F::Config> {
        (self.family == F::NAME)
            .then(|| decode::<F>(&self.config).ok())
            .flatten()
    }

    /// Calls `visitor` with the model's family and typed configuration.
    pub fn visit<V: FamilyVisitor>(&self, visitor: V) -> Result<V::Output, String> {
        for_each_family(&self.family, &self.config, visitor)
    }

    /// Whether the family is registered and the configuration decodes as its configuration.
    pub fn check(&self) -> Result<(), String> {
        self.visit(Ignore)
    }

    /// The training defaults of the family on this kind of data.
    pub fn default_training(&self, kind: SampleKind) -> Result<TrainingConfig, String> {
        struct Defaults(SampleKind);
        impl FamilyVisitor for Defaults {
            type Output = TrainingConfig;
            fn visit<F: Family>(self, config: F::Config) -> TrainingConfig {
                F::default_training(&config, self.0)
            }
        }
        self.visit(Defaults(kind))
    }

    /// Checks the configuration and the training settings it runs with.
    pub fn validate(&self, training: &TrainingConfig) -> Result<(), String> {
        struct Check<'a>(&'a TrainingConfig);
        impl FamilyVisitor for Check<'_> {
            type Output = Result<(), String>;
            fn visit<F: Family>(self, config: F::Config) -> Result<(), String> {
                F::validate(&config)?;
                F::check_training(&config, self.0)
            }
        }
        self.visit(Check(training))?
    }

    /// Checks that the configuration fits `data` (see [`Family::check_data`]).
    pub fn check_data(&self, data: &Samples) -> Result<(), String> {
        struct Fits<'a>(&'a Samples);
        impl FamilyVisitor for Fits<'_> {
            type Output = Result<(), String>;
            fn visit<F: Family>(self, config: F::Config) -> Result<(), String> {
                F::check_data(&config, self.0)
            }
        }
        self.visit(Fits(data))?
    }

    /// The training data the family makes from the loaded data (see [`Family::prepare_data`]).
    pub fn prepare_data(&self, data: Samples, seed: u64) -> Result<Samples, String> {
        struct Prepare(Samples, u64);
        impl FamilyVisitor for Prepare {
            type Output = Result<Samples, String>;
            fn visit<F: Family>(self, config: F::Config) -> Result<Samples, String> {
                F::prepare_data(&config, self.0, self.1)
            }
        }
        self.visit(Prepare(data, seed))?
    }

    /// The data's two domains for a two-domain family (see [`Family::domains`]).
    pub fn domains(
        &self,
        data: Samples,
        data_b: Option<Samples>,
    ) -> Result<(Samples, Option<Samples>), String> {
        struct Domains(Samples, Option<Samples>);
        impl FamilyVisitor for Domains {
            type Output = Result<(Samples, Option<Samples>), String>;
            fn visit<F: Family>(self, config: F::Config) -> Self::Output {
                F::domains(&config, self.0, self.1)
            }
        }
        self.visit(Domains(data, data_b))?
    }

    /// Whether the family's configuration has a field `key`.
    pub fn has_setting(&self, key: &str) -> bool {
        self.config.get(key).is_some()
    }

    /// The names of the configuration's fields.
    pub fn settings(&self) -> Vec<String> {
        self.config
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Sets field `key` of the configuration to `value` (or applies the family's setting of
    /// that name, see [`Family::apply_setting`]); the result must still decode.
    pub fn set(&mut self, key: &str, value: serde_json::Value) -> Result<(), String> {
        struct Apply<'a>(&'a str, &'a serde_json::Value);
        impl FamilyVisitor for Apply<'_> {
            type Output = Result<Option<serde_json::Value>, String>;
            fn visit<F: Family>(self, mut config: F::Config) -> Self::Output {
                Ok(F::apply_setting(&mut config, self.0, self.1)?.then(|| {
                    serde_json::to_value(config).expect("a model configuration serialises")
                }))
            }
        }
        if let Some(config) = self.visit(Apply(key, &value))?? {
            self.config = config;
            return Ok(());
        }
        let Some(slot) = self.config.get_mut(key) else {
            return Err(format!(
                "a `{}` model has no setting `{key}`; its settings: {}",
                self.family,
                self.settings().join(", ")
            ));
        };
        let old = std::mem::replace(slot, value);
        if let Err(e) = self.visit(Ignore) {
            self.config[key] = old;
            return Err(e.replacen("model configuration", &format!("value for `{key}`"), 1));
        }
        Ok(())
    }

    /// The titles of the families whose configurations have field `key`.
    pub fn families_with(key: &str) -> Vec<&'static str> {
        struct Has<'a>(&'a str);
        impl FamilyVisitor for Has<'_> {
            type Output = bool;
            fn visit<F: Family>(self, config: F::Config) -> bool {
                serde_json::to_value(config)
                    .ok()
                    .and_then(|v| v.get(self.0).cloned())
                    .is_some()
            }
        }
        FAMILIES
            .iter()
            .filter(|(name, _, _)| {
                for_each_family(name, &serde_json::json!({}), Has(key)).unwrap_or(false)
            })
            .map(|(_, title, _)| *title)
            .collect()
    }

    /// Pretty JSON of the model configuration alone (its burn `Config`).
    pub fn to_config_json(&self) -> String {
        struct Pretty;
        impl FamilyVisitor for Pretty {
            type Output = String;
            fn visit<F: Family>(self, config: F::Config) -> String {
                config.to_string()
            }
        }
        self.visit(Pretty)
            .unwrap_or_else(|_| self.config.to_string())
    }
}

/// A visit that only decodes.
struct Ignore;
impl FamilyVisitor for Ignore {
    type Output = ();
    fn visit<F: Family>(self, _: F::Config) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gan::{GanConfig, GanFamily};
    use burn_gan::data::Toy;
    use burn_gan::loss::LossFamily;
    use burn_gan::train::{NetworkId, OptimizerConfig};

    /// On 2-D points the loss presets build the toy networks with their objective, and the
    /// critic-based ones train the critic five times per generator step with Adam's beta2 0.9.
    #[test]
    fn loss_presets_on_points_use_the_toy_networks() {
        let data = Toy::Grid25.samples(100, 0);
        let spec = |name: &str| match ModelSpec::for_data(name, &data) {
            Ok(spec) => spec
                .config::<GanFamily>()
                .unwrap_or_else(|| panic!("{name}: not the gan family")),
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
        let training = |c: &GanConfig| {
            ModelSpec::of::<GanFamily>(c)
                .default_training(SampleKind::Points)
                .unwrap()
        };
        for name in ["wgan-gp", "hinge"] {
            let t = training(&spec(name));
            assert_eq!(t.d_steps, 5, "{name}");
            assert!(
                matches!(t.optimizer(NetworkId::DISCRIMINATOR).unwrap(), OptimizerConfig::Adam { beta2, .. } if *beta2 == 0.9),
                "{name}"
            );
        }
        let plain = training(&spec("gan"));
        assert_eq!(
            (plain.d_steps, plain.steps, plain.batch_size),
            (1, 3000, 256)
        );
        let err = ModelSpec::for_data("wgan", &data)
            .err()
            .expect("wgan on points");
        assert!(err.contains("wgan-gp"), "{err}");
    }

    /// Every preset name is unique, and a preset builds a model of a registered family.
    #[test]
    fn presets_are_unique_and_build_registered_families() {
        let mut seen = std::collections::BTreeSet::new();
        for (_, p) in presets() {
            assert!(seen.insert(p.name), "preset `{}` registered twice", p.name);
        }
        let data = Toy::Ring8.samples(10, 0);
        let spec = ModelSpec::for_data("gan", &data).unwrap();
        assert_eq!(spec.family(), "gan");
        assert!(spec.visit(Ignore).is_ok());
        let unknown = ModelSpec {
            family: "stylegan9".into(),
            config: serde_json::json!({}),
        };
        assert!(unknown.visit(Ignore).unwrap_err().contains("stylegan9"));
    }

    /// `set` changes a field, refuses unknown fields naming the valid ones, and refuses a value
    /// of the wrong type without changing the configuration.
    #[test]
    fn settings_are_checked_fields_of_the_configuration() {
        let mut spec = ModelSpec::of::<GanFamily>(&GanConfig::toy());
        spec.set("loss", serde_json::json!("hinge")).unwrap();
        assert_eq!(spec.config::<GanFamily>().unwrap().loss, LossFamily::Hinge);
        let err = spec.set("r1_gamma", serde_json::json!(1.0)).unwrap_err();
        assert!(
            err.contains("r1_gamma") && err.contains("spectral_norm"),
            "{err}"
        );
        let err = spec.set("loss", serde_json::json!("l1")).unwrap_err();
        assert!(
            err.contains("`loss`") && err.contains("wasserstein"),
            "{err}"
        );
        assert_eq!(spec.config::<GanFamily>().unwrap().loss, LossFamily::Hinge);
        assert_eq!(
            ModelSpec::families_with("r1_gamma"),
            vec![crate::dcgan::DcganFamily::TITLE]
        );
    }
}
