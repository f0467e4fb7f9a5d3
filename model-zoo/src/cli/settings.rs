//! Model and training settings of `burn-gan train`: the named shorthands for fields of a
//! family's configuration, `--set KEY=VALUE`, and the one line for a setting a model lacks.

use burn_gan::loss::{GeneratorLoss, LossFamily};
use burn_gan::train::{DataParallel, TrainingConfig};
use burn_gan::Error;
use burn_gan_zoo::sgan::SganNetworks;
use burn_gan_zoo::ModelSpec;
use clap::Args;
use serde_json::Value;

use super::{invalid, CliResult};

/// Named shorthands for model settings: each sets the field of the model's configuration named
/// in [`ModelFlags::settings`]; a model whose family has no such field refuses it.
#[derive(Args, Default)]
#[command(
    next_help_heading = "Model settings (shorthands for --set; a model without the setting refuses it)"
)]
pub(crate) struct ModelFlags {
    /// Generator loss: non-saturating or minimax (`generator_loss`).
    #[arg(long)]
    generator_loss: Option<String>,
    /// One-sided label smoothing: the discriminator's target for real samples, e.g. 0.9 (`real_target`).
    #[arg(long)]
    real_target: Option<f32>,
    /// Adversarial loss family: standard, least-squares, hinge or wasserstein (`loss`).
    #[arg(long)]
    loss: Option<String>,
    /// Normalisation of a DCGAN critic's hidden layers: batch, layer or none (`critic_norm`).
    #[arg(long)]
    critic_norm: Option<String>,
    /// WGAN-GP gradient-penalty weight lambda, 0 turns it off (`gradient_penalty`).
    #[arg(long)]
    gradient_penalty: Option<f64>,
    /// R1 penalty weight gamma on real data, 0 turns it off (`r1_gamma`).
    #[arg(long)]
    r1: Option<f64>,
    /// WGAN weight clipping bound c, 0 turns it off (`weight_clip`).
    #[arg(long)]
    weight_clip: Option<f64>,
    /// Spectral normalisation of the critic's layers: on or off (`spectral_norm`).
    #[arg(long)]
    spectral_norm: Option<String>,
    /// BigGAN's orthogonal initialisation: on or off (`orthogonal_init`).
    #[arg(long)]
    orthogonal_init: Option<String>,
    /// Minibatch discrimination (Salimans 2016): the number of kernels B, 0 turns it off (`minibatch_kernels`).
    #[arg(long)]
    minibatch_kernels: Option<usize>,
    /// Minibatch discrimination: the dimension C of each kernel, default 5 (`minibatch_kernel_dim`).
    #[arg(long)]
    minibatch_kernel_dim: Option<usize>,
    /// Feature matching (Salimans 2016): the generator matches the mean of the discriminator's last hidden features: on or off (`feature_matching`).
    #[arg(long)]
    feature_matching: Option<String>,
    /// Historical averaging (Salimans 2016): weight lambda of the pull of both networks towards the mean of their past parameters, 0 turns it off (`historical_averaging`).
    #[arg(long)]
    historical_averaging: Option<f64>,
    /// Virtual batch norm (Salimans 2016) in a DCGAN generator with a fixed reference batch of this many noise vectors, e.g. 64; 0 turns it off (`virtual_batch_norm`).
    #[arg(long)]
    virtual_batch_norm: Option<usize>,
    /// Keep a moving average of the generator's weights with this decay (e.g. 0.999) and sample and evaluate with it (`ema`).
    #[arg(long)]
    ema: Option<f64>,
    /// Class-conditional batch norm in a conditional generator (BigGAN): on or off (`class_batch_norm`).
    #[arg(long)]
    class_bn: Option<String>,
    /// ACGAN: weight of the class cross-entropy in both networks' losses; InfoGAN: of the categorical code's information term (`class_loss_weight`).
    #[arg(long)]
    class_loss_weight: Option<f64>,
    /// ACGAN: the discriminator's class loss also on generated images, as in the paper: on or off, default off (`fake_class_loss`).
    #[arg(long)]
    fake_class_loss: Option<String>,
    /// CGAN: feature maps the label adds to the discriminator's first layer's maps, default 1 (`label_maps`).
    #[arg(long)]
    label_maps: Option<usize>,
    /// CGAN: a projection term (Miyato and Koyama 2018) in the discriminator's logit: on or off (`projection`).
    #[arg(long)]
    projection: Option<String>,
    /// Semi-supervised models: the networks, dcgan (default) or mlp (Salimans et al.'s MNIST setup: weight-normalised MLPs with Gaussian noise, unsupervised terms weighted 1/2, batch 100, Adam 3e-3) (`networks`).
    #[arg(long)]
    networks: Option<String>,
    /// Restoration models: the task whose pairs `train` makes from the clean data, sr2, sr4, denoise, deblur or inpaint (`task`).
    #[arg(long)]
    task: Option<String>,
}

fn on_off(flag: &str, v: &str) -> CliResult<bool> {
    match v {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(invalid(format!("{flag}: `{other}`; use on or off"))),
    }
}

pub(crate) fn json(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("a setting serialises")
}

impl ModelFlags {
    /// The settings given, as `(flag, configuration field, value)`, each value checked.
    pub(crate) fn settings(&self) -> CliResult<Vec<(&'static str, &'static str, Value)>> {
        let mut out = Vec::new();
        let mut push = |flag, key, value| out.push((flag, key, value));
        if let Some(v) = &self.generator_loss {
            let loss: GeneratorLoss = v
                .parse()
                .map_err(|e: String| invalid(format!("--generator-loss: {e}")))?;
            push("--generator-loss", "generator_loss", json(loss));
        }
        if let Some(t) = self.real_target {
            if !(t > 0.0 && t <= 1.0) {
                return Err(invalid(format!(
                    "--real-target {t}: use a value in (0, 1], e.g. 0.9"
                )));
            }
            push("--real-target", "real_target", json(t));
        }
        if let Some(v) = &self.loss {
            let loss: LossFamily = v
                .parse()
                .map_err(|e: String| invalid(format!("--loss: {e}")))?;
            push("--loss", "loss", json(loss));
        }
        if let Some(v) = &self.critic_norm {
            if !matches!(v.as_str(), "batch" | "layer" | "none") {
                return Err(invalid(format!(
                    "--critic-norm: unknown normalisation `{v}`; use batch, layer or none"
                )));
            }
            push("--critic-norm", "critic_norm", json(v));
        }
        for (flag, key, v) in [
            (
                "--gradient-penalty",
                "gradient_penalty",
                self.gradient_penalty,
            ),
            ("--r1", "r1_gamma", self.r1),
            ("--weight-clip", "weight_clip", self.weight_clip),
            (
                "--historical-averaging",
                "historical_averaging",
                self.historical_averaging,
            ),
            (
                "--class-loss-weight",
                "class_loss_weight",
                self.class_loss_weight,
            ),
        ] {
            if let Some(v) = v {
                push(flag, key, json(v));
            }
        }
        if let Some(d) = self.ema {
            if !(0.0..1.0).contains(&d) {
                return Err(invalid(format!(
                    "--ema {d}: use a decay in [0, 1), e.g. 0.999 (0 turns the average off)"
                )));
            }
            push("--ema", "ema", json(d));
        }
        if self.minibatch_kernel_dim == Some(0) {
            return Err(invalid(
                "--minibatch-kernel-dim 0: use a kernel dimension of at least 1 (default 5)",
            ));
        }
        for (flag, key, v) in [
            (
                "--minibatch-kernels",
                "minibatch_kernels",
                self.minibatch_kernels,
            ),
            (
                "--minibatch-kernel-dim",
                "minibatch_kernel_dim",
                self.minibatch_kernel_dim,
            ),
            (
                "--virtual-batch-norm",
                "virtual_batch_norm",
                self.virtual_batch_norm,
            ),
            ("--label-maps", "label_maps", self.label_maps),
        ] {
            if let Some(v) = v {
                push(flag, key, json(v));
            }
        }
        for (flag, key, v) in [
            ("--spectral-norm", "spectral_norm", &self.spectral_norm),
            (
                "--orthogonal-init",
                "orthogonal_init",
                &self.orthogonal_init,
            ),
            (
                "--feature-matching",
                "feature_matching",
                &self.feature_matching,
            ),
            ("--class-bn", "class_batch_norm", &self.class_bn),
            (
                "--fake-class-loss",
                "fake_class_loss",
                &self.fake_class_loss,
            ),
            ("--projection", "projection", &self.projection),
        ] {
            if let Some(v) = v {
                push(flag, key, json(on_off(flag, v)?));
            }
        }
        if let Some(v) = &self.networks {
            let networks: SganNetworks = v
                .parse()
                .map_err(|e: String| invalid(format!("--networks: {e}")))?;
            push("--networks", "networks", json(networks));
        }
        if let Some(v) = &self.task {
            let task = burn_gan::restore::Task::from_name(v).map_err(|e| match e {
                Error::Invalid(m) => invalid(format!("--task: {m}")),
                e => e,
            })?;
            push("--task", "task", json(task));
        }
        Ok(out)
    }
}

/// `KEY=VALUE` of `--set`: the value as JSON when it parses as JSON, else as a string; `on` and
/// `off` are booleans.
pub(crate) fn parse_set(item: &str) -> CliResult<(String, Value)> {
    let (key, value) = item.split_once('=').ok_or_else(|| {
        invalid(format!(
            "--set {item}: write KEY=VALUE, e.g. --set loss=hinge or --set training.batch_size=32"
        ))
    })?;
    let value = match value.trim() {
        "on" => Value::Bool(true),
        "off" => Value::Bool(false),
        v => serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into())),
    };
    Ok((key.trim().to_string(), value))
}

/// Sets `path` (dot-separated) of `training` to `value`; the result must still be a training
/// configuration.
pub(crate) fn set_training(
    training: &mut TrainingConfig,
    path: &str,
    value: Value,
) -> CliResult<()> {
    let mut tree = json(&*training);
    let mut slot = &mut tree;
    for part in path.split('.') {
        slot = slot.get_mut(part).ok_or_else(|| {
            invalid(format!(
                "--set training.{path}: the training configuration has no `{path}`; its settings: {}",
                json(&*training)
                    .as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            ))
        })?;
    }
    *slot = value;
    *training =
        serde_json::from_value(tree).map_err(|e| invalid(format!("--set training.{path}: {e}")))?;
    Ok(())
}

/// The one line for a setting a model does not have: which families do.
pub(crate) fn not_available(flag: &str, key: &str, model: &str) -> Error {
    let families = ModelSpec::families_with(key);
    invalid(match families.is_empty() {
        true => format!("{flag} is not available for `{model}`"),
        false => {
            let (last, rest) = families.split_last().expect("not empty");
            let list = match rest {
                [] => last.to_string(),
                _ => format!("{} and {last}", rest.join(", ")),
            };
            format!("{flag} applies to {list}; it is not available for `{model}`")
        }
    })
}

/// The devices and micro-batches of a run (`--devices`, `--accumulate`, or its config.json).
pub(crate) fn parallelism(
    rc: &super::RunConfig,
) -> CliResult<DataParallel<burn::tensor::Device<burn_gan_backends::Backend>>> {
    let p = rc.parallel;
    if p.accumulate == 0 {
        return Err(invalid("--accumulate must be at least 1"));
    }
    let devices = burn_gan_backends::devices(p.devices).map_err(invalid)?;
    if p.devices > 1 || p.accumulate > 1 {
        println!(
            "each phase's batch of {} is split over {} device{} x {} micro-batch{}",
            rc.training.batch_size,
            p.devices,
            if p.devices == 1 { "" } else { "s" },
            p.accumulate,
            if p.accumulate == 1 { "" } else { "es" }
        );
    }
    Ok(DataParallel::new(devices).accumulate(p.accumulate))
}
