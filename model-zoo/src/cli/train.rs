//! `burn-gan train`: the generic training flags, the model settings (named shorthands and
//! `--set key=value`, applied to the family's configuration as data), `--config FILE`, and the
//! run through [`burn_gan::train::fit`] for whichever family the registry returns.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Samples;
use burn_gan::train::Adversarial;
use burn_gan::train::{
    fit_on, latest_checkpoint, load_weights, resumable_checkpoint, FitOptions, NetworkId,
    OptimizerConfig, RunFiles, TrainingConfig,
};
use burn_gan::Error;
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::cyclegan::CycleganFamily;
use burn_gan_zoo::{Family, FamilyVisitor, ModelSpec};
use clap::Args;

use super::guard::{lock_run_folder, stop_on_signals, Stop};
use super::report::report;
use super::settings::{json, not_available, parallelism, parse_set, set_training, ModelFlags};
use super::{
    data_name, invalid, load_data, load_data_with_optional_labels, read_run_config, train_data,
    CliResult, RunConfig,
};

#[derive(Args, Default)]
pub(crate) struct TrainArgs {
    /// Model name (see `burn-gan models`; default gan, or the model of --config).
    pub(crate) model: Option<String>,
    /// Start from a run configuration (a run's config.json, or one written by hand): its model, settings, training and data; the flags given with it override them.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Set a model or training setting by its name in config.json, e.g. --set loss=hinge, --set training.batch_size=32 (repeatable; the value is JSON or a word).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Data: ring8, grid25, shapes, a named set (fashion-mnist, mnist, kmnist; `burn-gan data get NAME` downloads it; NAME:test is the held-out split), an IDX images file, a folder of MNIST-format files, an image folder, or tiles:DIR (square tiles of the photographs in DIR at --image-size, default 32, outside the held-out 128x128 tiles that tiles:DIR:test reads); a suffix @start..end selects samples (e.g. @0..50000).
    #[arg(long, help_heading = "Data")]
    data: Option<String>,
    /// Two-domain models (cyclegan): the second domain's images, from any source --data takes (default: the classes class_a and class_b of one labelled --data).
    #[arg(long, help_heading = "Data")]
    data_b: Option<String>,
    /// Generator steps.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)",
        conflicts_with = "epochs"
    )]
    pub(crate) steps: Option<usize>,
    /// Passes of the discriminator over the data (instead of --steps).
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    epochs: Option<usize>,
    /// Batch size.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    batch: Option<usize>,
    /// Discriminator steps per generator step (k).
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    d_steps: Option<usize>,
    /// Generator optimizer: adam, rmsprop or sgd.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    optimizer_g: Option<String>,
    /// Discriminator optimizer: adam, rmsprop or sgd.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    optimizer_d: Option<String>,
    /// Generator learning rate.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    lr_g: Option<f64>,
    /// Discriminator learning rate.
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    lr_d: Option<f64>,
    /// Learning-rate schedule: constant or linear (decay to zero at the last step).
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    lr_decay: Option<String>,
    /// Semi-supervised models: the number of labelled training samples (class-balanced, drawn with the run seed; default 100).
    #[arg(long, help_heading = "Data")]
    labelled: Option<usize>,
    /// Classifier models (sgan): held-out labelled images to measure accuracy on after training (e.g. mnist:test, or a t10k IDX file).
    #[arg(long, help_heading = "Data")]
    test_data: Option<String>,
    /// Run seed (weights, batch order, noise).
    #[arg(
        long,
        help_heading = "Training (defaults: the model's, as config.json records them)"
    )]
    seed: Option<u64>,
    /// Run folder (default runs/<model>-<data>, or -2, -3, ... when that exists).
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    pub(crate) out: Option<PathBuf>,
    /// Continue the run in --out from its latest checkpoint (with its config.json; only --steps, --devices and --accumulate may change).
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    pub(crate) resume: bool,
    /// Generator steps between checkpoints.
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    checkpoint_every: Option<usize>,
    /// Checkpoints to keep [default: 3].
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    keep_checkpoints: Option<usize>,
    /// Generator steps per metrics.jsonl line.
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    log_every: Option<usize>,
    /// Generator steps between sample grids.
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    sample_every: Option<usize>,
    /// Generator steps between evaluations (FID and KID against the training images, in metrics.jsonl and eval.png).
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    eval_every: Option<usize>,
    /// Feature network of those evaluations: inception, fashion or mnist.
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    eval_features: Option<String>,
    /// Images on each side of an evaluation [default: 2000].
    #[arg(long, help_heading = "Run folder, checkpoints and logging")]
    eval_samples: Option<usize>,
    /// Devices to split every phase's batch over (the first N GPUs of cuda or wgpu; on the CPU backends, N replicas on the one CPU); the global batch stays --batch [default: 1, or the run's].
    #[arg(long, help_heading = "Devices (may change on --resume)")]
    devices: Option<usize>,
    /// Micro-batches each device computes a phase's share in, one after the other, averaging their gradients (gradient accumulation) [default: 1, or the run's].
    #[arg(long, help_heading = "Devices (may change on --resume)")]
    accumulate: Option<usize>,
    /// Resize and centre-crop image-folder images to this side; IDX images are padded to it instead (e.g. 32 for progan on MNIST).
    #[arg(long, help_heading = "Data")]
    image_size: Option<u32>,
    /// Channels for image-folder images: 1 (gray) or 3 (RGB).
    #[arg(long, help_heading = "Data")]
    channels: Option<usize>,
    /// The colour transparent pixels of image-folder images (emoji, icons) are composited onto: white (default), black, gray or a hex colour such as ff8800.
    #[arg(long, help_heading = "Data")]
    background: Option<String>,
    #[command(flatten)]
    settings: ModelFlags,
}

/// The configuration of a new run: `--config FILE` or the model's preset for the data, the
/// model settings, the family's training defaults and the training flags.
fn new_run(args: &TrainArgs) -> CliResult<(RunConfig, Samples)> {
    let base = match &args.config {
        Some(path) => {
            let base = read_run_config(path)?;
            check_file_training(&base.training, path)?;
            Some(base)
        }
        None => None,
    };
    let name = args
        .model
        .clone()
        .or_else(|| base.as_ref().map(|b| b.model_name.clone()))
        .unwrap_or_else(|| "gan".into());
    let spec = args
        .data
        .clone()
        .or_else(|| base.as_ref().map(|b| b.data.clone()))
        .unwrap_or_else(|| "ring8".into());
    let image_size = args.image_size.or(base.as_ref().and_then(|b| b.image_size));
    let channels = args.channels.or(base.as_ref().and_then(|b| b.channels));
    let background = args
        .background
        .clone()
        .or(base.as_ref().and_then(|b| b.background.clone()));
    let (data, labels_error) =
        load_data_with_optional_labels(&spec, image_size, channels, background.as_deref(), &name)?;
    let (mut model, from_file) = match &base {
        Some(b) if b.model_name != name => {
            return Err(invalid(format!(
                "--config holds a `{}` model, not `{name}`; drop the model name to train it, or drop --config",
                b.model_name
            )))
        }
        Some(b) => {
            if b.data_shape != data.shape {
                return Err(invalid(format!(
                    "--data {spec}: samples of shape {:?}, but the model of --config was built for {:?}; use data of that shape or drop --config",
                    data.shape, b.data_shape
                )));
            }
            (b.model.clone(), Some(b.training.clone()))
        }
        None => match (ModelSpec::for_data(&name, &data), &labels_error) {
            (Ok(model), _) => (model, None),
            // A model sized by the data's classes: the unreadable labels file is the cause.
            (Err(_), Some(e)) => return Err(invalid(e.to_string())),
            (Err(e), None) => return Err(Error::Invalid(e)),
        },
    };
    let mut training_sets = Vec::new();
    for (flag, key, value) in args.settings.settings()? {
        if !model.has_setting(key) {
            return Err(not_available(flag, key, &name));
        }
        model
            .set(key, value)
            .map_err(|e| invalid(format!("{flag}: {e}")))?;
    }
    for item in &args.set {
        let (key, value) = parse_set(item)?;
        match key.strip_prefix("training.") {
            Some(path) => training_sets.push((path.to_string(), value)),
            None if model.has_setting(&key) => model
                .set(&key, value)
                .map_err(|e| invalid(format!("--set {item}: {e}")))?,
            None if json(TrainingConfig::default()).get(&key).is_some() => {
                training_sets.push((key, value))
            }
            None => {
                return Err(invalid(format!(
                    "--set {item}: `{name}` has no setting `{key}`; its settings: {} (training settings take the prefix training.)",
                    model.settings().join(", ")
                )))
            }
        }
    }
    let mut t = match from_file {
        Some(t) => t,
        None => model.default_training(data.kind).map_err(Error::Invalid)?,
    };
    apply_training_flags(args, &mut t)?;
    for (path, value) in training_sets {
        set_training(&mut t, &path, value)?;
    }
    apply_epochs(args, &mut t, &data)?;
    // Short runs still get a checkpoint and a picture at the end.
    t.checkpoint_every = t.checkpoint_every.min(t.steps.max(1));
    model
        .validate(&t)
        .map_err(|e| invalid(format!("model `{name}`: {e}")))?;
    let checked = model
        .check_data(&data)
        .map_err(|e| format!("model `{name}`: {e}"));
    train_data(checked, labels_error, &name)?;
    let rc = RunConfig {
        model_name: name,
        model,
        training: t,
        data: spec,
        data_b: args
            .data_b
            .clone()
            .or(base.as_ref().and_then(|b| b.data_b.clone())),
        image_size,
        channels,
        background,
        data_shape: data.shape,
        data_kind: data.kind,
        backend: burn_gan_backends::NAME.into(),
        parallel: base.as_ref().map(|b| b.parallel).unwrap_or_default(),
        test_data: args.test_data.clone().or(base.and_then(|b| b.test_data)),
    };
    Ok((rc, data))
}

/// The training settings of a configuration file, checked before any flag changes them, so that
/// a bad value is blamed on the file and not on a flag of the same name.
fn check_file_training(training: &TrainingConfig, file: &Path) -> CliResult<()> {
    training.validate().map_err(|e| {
        Error::format(
            file,
            format!("invalid training settings ({e}); correct the file"),
        )
    })
}

/// The generic training flags.
fn apply_training_flags(args: &TrainArgs, t: &mut TrainingConfig) -> CliResult<()> {
    let set = |v: Option<usize>, slot: &mut usize| {
        if let Some(v) = v {
            *slot = v
        }
    };
    set(args.batch, &mut t.batch_size);
    set(args.d_steps, &mut t.d_steps);
    set(args.checkpoint_every, &mut t.checkpoint_every);
    set(args.keep_checkpoints, &mut t.keep_checkpoints);
    set(args.log_every, &mut t.log_every);
    set(args.sample_every, &mut t.sample_every);
    set(args.eval_every, &mut t.eval_every);
    set(args.eval_samples, &mut t.eval_samples);
    set(args.labelled, &mut t.labelled);
    if let Some(f) = &args.eval_features {
        t.eval_features = f.clone();
    }
    if let Some(s) = args.seed {
        t.seed = s;
    }
    let optimizer = |name: &Option<String>,
                     lr: Option<f64>,
                     current: &OptimizerConfig,
                     which: &str|
     -> CliResult<OptimizerConfig> {
        let lr = lr.unwrap_or(current.lr());
        match name {
            Some(n) => OptimizerConfig::parse(n, lr)
                .map_err(|e| invalid(format!("--optimizer-{which}: {e}"))),
            None if lr.is_finite() && lr > 0.0 => Ok(current.clone().with_lr(lr)),
            None => Err(invalid(format!(
                "--lr-{which} {lr}: use a positive learning rate"
            ))),
        }
    };
    for (network, name, lr, which) in [
        (NetworkId::GENERATOR, &args.optimizer_g, args.lr_g, "g"),
        (NetworkId::DISCRIMINATOR, &args.optimizer_d, args.lr_d, "d"),
    ] {
        if let Some(current) = t.optimizer(network).cloned() {
            t.set_optimizer(network, optimizer(name, lr, &current, which)?);
        }
    }
    if let Some(d) = &args.lr_decay {
        t.lr_decay = d
            .parse()
            .map_err(|e: String| invalid(format!("--lr-decay: {e}")))?;
    }
    if let Some(s) = args.steps {
        t.steps = s;
    }
    Ok(())
}

/// `--epochs`: the steps of that many passes of the discriminator over the data, with the batch
/// size and `k` the run ends up with.
fn apply_epochs(args: &TrainArgs, t: &mut TrainingConfig, data: &Samples) -> CliResult<()> {
    if let Some(e) = args.epochs {
        if t.batch_size == 0 || e == 0 {
            return Err(invalid("--epochs and --batch must be at least 1"));
        }
        t.steps = (e * (data.len() / t.batch_size).max(1)).div_ceil(t.d_steps.max(1));
    }
    Ok(())
}

/// What `--resume` refuses: anything that would change the run but its length.
fn changes_settings(args: &TrainArgs) -> Option<&'static str> {
    let given = [
        (args.config.is_some(), "--config"),
        (!args.set.is_empty(), "--set"),
        (args.data.is_some(), "--data"),
        (args.data_b.is_some(), "--data-b"),
        (args.epochs.is_some(), "--epochs"),
        (args.batch.is_some(), "--batch"),
        (args.d_steps.is_some(), "--d-steps"),
        (
            args.optimizer_g.is_some() || args.optimizer_d.is_some(),
            "--optimizer-g/-d",
        ),
        (args.lr_g.is_some() || args.lr_d.is_some(), "--lr-g/-d"),
        (args.lr_decay.is_some(), "--lr-decay"),
        (args.labelled.is_some(), "--labelled"),
        (args.seed.is_some(), "--seed"),
        (
            args.image_size.is_some() || args.channels.is_some() || args.background.is_some(),
            "--image-size/--channels/--background",
        ),
        (args.checkpoint_every.is_some(), "--checkpoint-every"),
        (args.log_every.is_some(), "--log-every"),
        (args.sample_every.is_some(), "--sample-every"),
        (args.eval_every.is_some(), "--eval-every"),
        (args.eval_features.is_some(), "--eval-features"),
        (args.eval_samples.is_some(), "--eval-samples"),
        (args.keep_checkpoints.is_some(), "--keep-checkpoints"),
        (args.test_data.is_some(), "--test-data"),
    ];
    given.iter().find(|(on, _)| *on).map(|(_, flag)| *flag)
}

pub(crate) fn train(args: TrainArgs) -> CliResult<()> {
    let (run_config, data) = if args.resume {
        let out = args.out.clone().ok_or_else(|| {
            invalid("--resume needs --out <run folder> to know which run to continue")
        })?;
        let mut rc = read_run_config(&out)?;
        check_file_training(&rc.training, &out.join("config.json"))?;
        if let Some(model) = args.model.as_ref().filter(|m| **m != rc.model_name) {
            return Err(invalid(format!(
                "{} holds a `{}` run, not `{model}`; resume it without a model name or pick another --out",
                out.display(),
                rc.model_name,
            )));
        }
        let model_flags = args.settings.settings()?;
        let changed = changes_settings(&args).or(model_flags.first().map(|s| s.0));
        if let Some(flag) = changed {
            return Err(invalid(format!(
                "{flag}: --resume continues {} as its config.json says and takes only --steps, --devices and --accumulate; to change settings, start a new run with --config {}",
                out.display(),
                out.join("config.json").display()
            )));
        }
        if let Some(s) = args.steps {
            rc.training.steps = s;
        }
        let (data, labels_error) = load_data_with_optional_labels(
            &rc.data,
            rc.image_size,
            rc.channels,
            rc.background.as_deref(),
            &rc.model_name,
        )?;
        let checked = rc
            .model
            .check_data(&data)
            .map_err(|e| format!("{}: {e}", out.join("config.json").display()));
        train_data(checked, labels_error, &rc.model_name)?;
        (rc, data)
    } else {
        new_run(&args)?
    };
    let mut run_config = run_config;
    if let Some(n) = args.devices {
        run_config.parallel.devices = n;
    }
    if let Some(k) = args.accumulate {
        run_config.parallel.accumulate = k;
    }
    run_config.training.validate()?;
    // CycleGAN's image pools are updated by each device's share on its own thread, and burn's
    // RunningState would average them (model-zoo/src/cyclegan/pool.rs).
    if let Some(c) = run_config.model.config::<CycleganFamily>() {
        if run_config.parallel.devices > 1 && c.pool_size > 0 {
            return Err(invalid(format!(
                "--devices {}: cyclegan's image pools cannot be shared between devices; train it on one device (--accumulate splits the batch there), or without pools (--set pool_size=0)",
                run_config.parallel.devices
            )));
        }
    }
    // A family may train on data it derives from the loaded set (restoration pairs), from the
    // run's seed alone, so a resumed run derives the same.
    let data = run_config
        .model
        .prepare_data(data, run_config.training.seed)
        .map_err(|e| invalid(format!("model `{}`: {e}", run_config.model_name)))?;
    // A two-domain model's second domain: --data-b, or a part of --data the family chooses.
    let data_b = match &run_config.data_b {
        Some(spec) => Some(load_data(
            spec,
            run_config.image_size,
            run_config.channels,
            run_config.background.as_deref(),
            &run_config.model_name,
        )?),
        None => None,
    };
    let (data, domain_b) = run_config
        .model
        .domains(data, data_b)
        .map_err(|e| invalid(format!("model `{}`: {e}", run_config.model_name)))?;
    // Without --out, a new run never meets an earlier one: runs/<model>-<data>, then -2, -3, ...
    let out = args.out.clone().unwrap_or_else(|| {
        let base = format!("{}-{}", run_config.model_name, data_name(&run_config.data));
        (1..)
            .map(|k| match k {
                1 => PathBuf::from("runs").join(&base),
                k => PathBuf::from("runs").join(format!("{base}-{k}")),
            })
            .find(|dir| !dir.exists())
            .expect("some numbered folder is free")
    });
    if out.exists() && !out.is_dir() {
        return Err(invalid(format!(
            "--out {}: a file, not a run folder; choose a folder (new or holding a run)",
            out.display()
        )));
    }
    let resume = if args.resume {
        Some(latest_checkpoint(&out).ok_or_else(|| {
            invalid(format!(
                "{}: no complete checkpoint to resume from; train without --resume",
                out.display()
            ))
        })?)
    } else {
        if latest_checkpoint(&out).is_some() {
            if !out.join("config.json").is_file() {
                return Err(invalid(format!(
                    "{} holds checkpoints but no config.json, so its run cannot be continued; choose another --out, or delete the folder",
                    out.display()
                )));
            }
            return Err(invalid(format!(
                "{} already holds a run; pass --resume to continue it, or choose another --out",
                out.display()
            )));
        }
        None
    };
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let _lock = lock_run_folder(&out)?;
    let config_path = out.join("config.json");
    let json = serde_json::to_string_pretty(&run_config).expect("the run configuration serialises");
    burn_gan::train::checkpoint::write_atomically(&config_path, json.as_bytes())
        .map_err(|e| Error::io(&config_path, e))?;

    let t = &run_config.training;
    println!(
        "training {} ({}) on {} ({} samples of {:?}) for {} steps, batch {}, backend {}; run folder {}",
        run_config.model_name,
        run_config.model.family(),
        data.source,
        data.len(),
        data.shape,
        t.steps,
        t.batch_size,
        burn_gan_backends::NAME,
        out.display()
    );
    let stop = stop_on_signals(&out);
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, t.seed);
    run_config
        .model
        .visit(Train {
            data: Arc::new(data),
            domain_b: domain_b.map(Arc::new),
            rc: &run_config,
            out: &out,
            resume,
            stop,
        })
        .map_err(Error::Invalid)?
}

// ANCHOR: train_visitor
/// Trains the model of whichever family the run configuration names.
struct Train<'a> {
    data: Arc<Samples>,
    /// The second domain of a two-domain model.
    domain_b: Option<Arc<Samples>>,
    rc: &'a RunConfig,
    out: &'a Path,
    resume: Option<usize>,
    stop: Stop,
}

impl FamilyVisitor for Train<'_> {
    type Output = CliResult<()>;

    fn visit<F: Family>(self, config: F::Config) -> CliResult<()> {
        let device = burn_gan_backends::device();
        let model = F::init_trainable::<AutodiffBackend>(&config, &device);
        // Resume from the newest checkpoint that verifies, saying which newer ones are skipped.
        let resume = match self.resume {
            Some(_) => {
                let r = resumable_checkpoint(&model, &self.rc.training, self.out, &device)?;
                for e in r.skipped {
                    eprintln!(
                        "warning: skipping a checkpoint newer than step {}: {e}",
                        r.step
                    );
                }
                if r.step >= self.rc.training.steps {
                    return self.finish::<F>(&config, r.checkpoint, r.step);
                }
                Some(r.checkpoint)
            }
            None => None,
        };
        let parallel = parallelism(self.rc)?;
        let start = std::time::Instant::now();
        let options = FitOptions {
            resume,
            domain_b: self.domain_b.clone(),
            stop: self.stop.flag.clone(),
        };
        let trained = match fit_on(
            model,
            self.data.clone(),
            &self.rc.training,
            self.out,
            options,
            &parallel,
        ) {
            Err(Error::Stopped { step }) => {
                eprintln!(
                    "error: training stopped by {} at step {step}: {} keeps a checkpoint of that step; continue with `burn-gan train --resume --out {}`",
                    self.stop.name(),
                    self.out.display(),
                    self.out.display()
                );
                std::process::exit(128 + self.stop.signal.load(Ordering::SeqCst));
            }
            other => other?,
        };
        println!("trained in {:.1} s", start.elapsed().as_secs_f64());
        report(&trained, &self.data, self.rc, self.out)
    }
}
// ANCHOR_END: train_visitor

impl Train<'_> {
    /// `--resume` of a run whose newest checkpoint is its last step: what follows that
    /// checkpoint (the loss plot, the final pictures and reports) may have been cut off by a kill,
    /// so it is done again from the checkpoint, ending as an uninterrupted run ends.
    fn finish<F: Family>(
        &self,
        config: &F::Config,
        checkpoint: usize,
        step: usize,
    ) -> CliResult<()> {
        let device = burn_gan_backends::device();
        let trained = load_weights(
            F::init::<Backend>(config, &device),
            self.out,
            checkpoint,
            &device,
        )?;
        eprintln!(
            "note: the run already reached step {step} of its {} steps; drawing its final pictures and reports again (pass a larger --steps to train further)",
            self.rc.training.steps
        );
        let files = RunFiles::<Backend>::new(
            self.out,
            &self.data,
            trained.latent_dim(),
            &self.rc.training,
            &device,
        );
        files.plot_losses()?;
        report(&trained, &self.data, self.rc, self.out)
    }
}
