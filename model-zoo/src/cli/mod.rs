//! The command-line program. Every user mistake becomes one `error: ...` line and exit code 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::Backend as _;
use burn::tensor::{Int, Tensor, TensorData};
use burn::train::{InferenceStep, TrainStep};
use burn_gan::data::{DataSpec, ImageFolderOptions, SampleKind, Samples, Toy};
use burn_gan::loss::LossFamily;
use burn_gan::train::{
    fit, latest_checkpoint, load_weights, normal_noise, toy_coverage, truncated_normal_noise,
    Adversarial, Condition, GanBatch, GanOutput, NetworkId, OptimizerConfig, RunFiles,
    TrainingConfig,
};
use burn_gan::{viz, Error};
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::dcgan::CriticNorm;
use burn_gan_zoo::registry::{ModelSpec, PRESETS};
use burn_gan_zoo::sgan::SganNetworks;
use burn_gan_zoo::GeneratorAverage;
use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(name = "burn-gan", version = version(), about = "Generative adversarial networks on burn", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

fn version() -> &'static str {
    Box::leak(
        format!(
            "{} (backend {}, burn 0.21.0)",
            env!("CARGO_PKG_VERSION"),
            burn_gan_backends::NAME
        )
        .into_boxed_str(),
    )
}

#[derive(Subcommand)]
enum Command {
    /// Train a model (default: the original GAN on ring8).
    Train(TrainArgs),
    /// Generate a grid of samples from a run's latest checkpoint.
    Sample(SampleArgs),
    /// Write linear and spherical interpolation strips between random latent points.
    Interpolate(InterpolateArgs),
    /// Evaluate generated images against real ones: FID, KID, IS, precision/recall, Parzen.
    Eval(crate::evaluate::EvalArgs),
    /// Train a domain classifier (features for domain FID/KID, softmax for IS).
    TrainClassifier(crate::evaluate::TrainClassifierArgs),
    /// Measure training and sampling speed and peak memory on the compiled backend.
    Bench(crate::benchmark::BenchArgs),
    /// Plot metrics a run logged (metrics.jsonl) over its steps, one panel per metric.
    Plot(PlotArgs),
    /// List the models.
    Models,
    /// Print the compiled backend and versions.
    Info,
}

#[derive(Args, Default)]
struct TrainArgs {
    /// Model name (see `burn-gan models`).
    #[arg(default_value = "gan")]
    model: String,
    /// Data: ring8, grid25, an IDX images file, a folder of MNIST-format files, or an image folder; a suffix @start..end selects samples (e.g. @0..50000).
    #[arg(long)]
    data: Option<String>,
    /// Generator steps.
    #[arg(long, conflicts_with = "epochs")]
    steps: Option<usize>,
    /// Passes of the discriminator over the data (instead of --steps).
    #[arg(long)]
    epochs: Option<usize>,
    /// Batch size.
    #[arg(long)]
    batch: Option<usize>,
    /// Discriminator steps per generator step (k).
    #[arg(long)]
    d_steps: Option<usize>,
    /// Generator optimizer: adam, rmsprop or sgd.
    #[arg(long)]
    optimizer_g: Option<String>,
    /// Discriminator optimizer: adam, rmsprop or sgd.
    #[arg(long)]
    optimizer_d: Option<String>,
    /// Generator learning rate.
    #[arg(long)]
    lr_g: Option<f64>,
    /// Discriminator learning rate.
    #[arg(long)]
    lr_d: Option<f64>,
    /// Learning-rate schedule: constant or linear (decay to zero at the last step).
    #[arg(long)]
    lr_decay: Option<String>,
    /// Generator loss: non-saturating or minimax.
    #[arg(long)]
    generator_loss: Option<String>,
    /// One-sided label smoothing: the discriminator's target for real samples (e.g. 0.9).
    #[arg(long)]
    real_target: Option<f32>,
    /// Loss family of a DCGAN-family model: standard, least-squares, hinge or wasserstein.
    #[arg(long)]
    loss: Option<String>,
    /// Normalisation of a DCGAN critic's hidden layers: batch, layer or none.
    #[arg(long)]
    critic_norm: Option<String>,
    /// WGAN-GP gradient-penalty weight lambda (0 turns it off).
    #[arg(long)]
    gradient_penalty: Option<f64>,
    /// R1 penalty weight gamma on real data (0 turns it off).
    #[arg(long)]
    r1: Option<f64>,
    /// WGAN weight clipping bound c (0 turns it off).
    #[arg(long)]
    weight_clip: Option<f64>,
    /// Spectral normalisation of the critic's layers: on or off.
    #[arg(long)]
    spectral_norm: Option<String>,
    /// BigGAN's orthogonal initialisation of a DCGAN-family model: on or off.
    #[arg(long)]
    orthogonal_init: Option<String>,
    /// Minibatch discrimination (Salimans 2016) in the discriminator: the number of kernels B (0 turns it off; gan, dcgan and conditional families).
    #[arg(long)]
    minibatch_kernels: Option<usize>,
    /// Minibatch discrimination: the dimension C of each kernel (default 5).
    #[arg(long)]
    minibatch_kernel_dim: Option<usize>,
    /// Feature matching (Salimans 2016): the generator matches the mean of the discriminator's last hidden features: on or off.
    #[arg(long)]
    feature_matching: Option<String>,
    /// Historical averaging (Salimans 2016): weight lambda of the pull of both networks towards the mean of their past parameters (0 turns it off; gan and dcgan families).
    #[arg(long)]
    historical_averaging: Option<f64>,
    /// Virtual batch norm (Salimans 2016) in a DCGAN generator, with a fixed reference batch of this many noise vectors (e.g. 64; 0 turns it off).
    #[arg(long)]
    virtual_batch_norm: Option<usize>,
    /// Keep a moving average of the generator's weights with this decay (e.g. 0.999) and sample and evaluate with it (dcgan family, cgan, acgan).
    #[arg(long)]
    ema: Option<f64>,
    /// Class-conditional batch norm in a conditional generator (BigGAN): on or off.
    #[arg(long)]
    class_bn: Option<String>,
    /// ACGAN: weight of the class cross-entropy in both networks' losses (InfoGAN: of the categorical code's information term).
    #[arg(long)]
    class_loss_weight: Option<f64>,
    /// ACGAN: the discriminator's class loss also on generated images, as in the paper: on or off (default off, see the book).
    #[arg(long)]
    fake_class_loss: Option<String>,
    /// CGAN: feature maps the label adds to the discriminator's first layer's maps (default 1).
    #[arg(long)]
    label_maps: Option<usize>,
    /// CGAN: add a projection term (Miyato and Koyama 2018) to the discriminator's logit: on or off.
    #[arg(long)]
    projection: Option<String>,
    /// Semi-supervised models: the number of labelled training samples (class-balanced, drawn with the run seed; default 100).
    #[arg(long)]
    labelled: Option<usize>,
    /// Semi-supervised models: the networks, dcgan (default) or mlp (Salimans et al.'s MNIST setup: weight-normalised MLPs with Gaussian noise, unsupervised terms weighted 1/2, batch 100, Adam 3e-3).
    #[arg(long)]
    networks: Option<String>,
    /// Classifier models (sgan): held-out labelled images to measure accuracy on after training (e.g. the t10k files).
    #[arg(long)]
    test_data: Option<String>,
    /// Run seed (weights, batch order, noise).
    #[arg(long)]
    seed: Option<u64>,
    /// Run folder (default runs/<model>-<data>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in --out from its latest checkpoint.
    #[arg(long)]
    resume: bool,
    /// Generator steps between checkpoints.
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Checkpoints to keep.
    #[arg(long)]
    keep_checkpoints: Option<usize>,
    /// Generator steps per metrics.jsonl line.
    #[arg(long)]
    log_every: Option<usize>,
    /// Generator steps between sample grids.
    #[arg(long)]
    sample_every: Option<usize>,
    /// Generator steps between evaluations (FID and KID against the training images, in metrics.jsonl and eval.png).
    #[arg(long)]
    eval_every: Option<usize>,
    /// Feature network of those evaluations: inception, fashion or mnist.
    #[arg(long)]
    eval_features: Option<String>,
    /// Images on each side of an evaluation.
    #[arg(long)]
    eval_samples: Option<usize>,
    /// Resize and centre-crop image-folder images to this side.
    #[arg(long)]
    image_size: Option<u32>,
    /// Channels for image-folder images: 1 (gray) or 3 (RGB).
    #[arg(long)]
    channels: Option<usize>,
}

#[derive(Args)]
struct SampleArgs {
    /// Run folder.
    #[arg(long)]
    run: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// Output PNG.
    #[arg(long, default_value = "samples.png")]
    out: PathBuf,
    /// Noise seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Truncation trick: draw z from a standard normal truncated to [-t, t] (e.g. 0.5).
    #[arg(long)]
    truncation: Option<f32>,
    /// Conditional models: generate only this class (default: every class in turn, one per column).
    #[arg(long)]
    class: Option<usize>,
    /// Sample from the trained generator itself, not the moving average of its weights (runs trained with --ema).
    #[arg(long)]
    raw_generator: bool,
}

#[derive(Args)]
struct PlotArgs {
    /// Run folder.
    #[arg(long)]
    run: PathBuf,
    /// Metrics, comma-separated, one panel each (e.g. w_distance,fid; any key of metrics.jsonl).
    #[arg(long, default_value = "loss_d,loss_g")]
    metrics: String,
    /// Output PNG (default: <run>/plot.png).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct InterpolateArgs {
    /// Run folder.
    #[arg(long)]
    run: PathBuf,
    /// Output folder for interp-linear.png and interp-slerp.png (default: the run folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Pairs of endpoints (rows).
    #[arg(long, default_value_t = 8)]
    pairs: usize,
    /// Images per row, endpoints included.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Latent traversal instead of interpolation: `cat` varies the categorical code (InfoGAN) or the class (CGAN, ACGAN) along each row; a number N sweeps InfoGAN's continuous code N from -2 to 2 along each row (row r: categorical value r). Writes traversal-cat.png or traversal-code-N.png.
    #[arg(long)]
    code: Option<String>,
    /// Noise seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// What `config.json` holds: enough to rebuild the model and the data of a run.
#[derive(Serialize, Deserialize)]
pub(crate) struct RunConfig {
    /// The name given to `train`.
    model_name: String,
    model: ModelSpec,
    training: TrainingConfig,
    data: String,
    image_size: Option<u32>,
    channels: Option<usize>,
    pub(crate) data_shape: [usize; 3],
    pub(crate) data_kind: SampleKind,
    backend: String,
    /// Held-out labelled images a classifier model (sgan) is tested on after training.
    #[serde(default)]
    test_data: Option<String>,
}

pub(crate) type CliResult<T> = Result<T, Error>;

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" (at {l})"))
            .unwrap_or_default();
        eprintln!("error: internal error: {msg}{place}; please report it");
    }));
    let cli = Cli::parse();
    if let Some(Command::Bench(args)) = &cli.command {
        // Before the compute threads start: their number comes from the environment.
        crate::benchmark::set_threads(args);
    }
    let result = burn_gan_backends::on_compute_thread(move || run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command.
fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        None => train(TrainArgs {
            model: "gan".into(),
            ..Default::default()
        }),
        Some(Command::Train(args)) => train(args),
        Some(Command::Sample(args)) => sample(args),
        Some(Command::Interpolate(args)) => interpolate(args),
        Some(Command::Eval(args)) => crate::evaluate::eval(args),
        Some(Command::TrainClassifier(args)) => crate::evaluate::train_classifier(args),
        Some(Command::Bench(args)) => crate::benchmark::bench(args),
        Some(Command::Plot(args)) => plot(args),
        Some(Command::Models) => {
            for p in PRESETS {
                println!("{:<10} {}", p.name, p.description);
            }
            Ok(())
        }
        Some(Command::Info) => {
            println!("burn-gan {}", env!("CARGO_PKG_VERSION"));
            println!(
                "backend: {} (features: {})",
                burn_gan_backends::NAME,
                burn_gan_backends::compiled_features().join(", ")
            );
            println!("device: {:?}", burn_gan_backends::device());
            println!("burn: 0.21.0");
            Ok(())
        }
    }
}

pub(crate) fn load_data(
    spec: &str,
    image_size: Option<u32>,
    channels: Option<usize>,
    model: &str,
) -> CliResult<Samples> {
    if let Some(c) = channels {
        if c != 1 && c != 3 {
            return Err(invalid(format!("--channels {c}: use 1 (gray) or 3 (RGB)")));
        }
    }
    if image_size == Some(0) {
        return Err(invalid("--image-size 0: give a positive side in pixels"));
    }
    let (spec, range) = burn_gan::data::split_range(spec)?;
    let preferred = ModelSpec::preferred_image(model);
    let options = ImageFolderOptions {
        size: image_size
            .map(|s| (s, s))
            .or(preferred.map(|(_, s)| (s as u32, s as u32))),
        channels: channels.or(preferred.map(|(c, _)| c)).unwrap_or(3),
    };
    let samples = DataSpec::parse(spec)?.load(&options)?;
    match range {
        Some(r) => samples.select(r),
        None => Ok(samples),
    }
}

fn data_name(spec: &str) -> String {
    let p = Path::new(spec.trim_end_matches('/'));
    let stem = p.file_name().and_then(|n| n.to_str()).unwrap_or(spec);
    stem.split('-').next().unwrap_or(stem).to_string()
}

fn read_run_config(run: &Path) -> CliResult<RunConfig> {
    let path = run.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::format(&path, format!("cannot read the run configuration ({e}); is {} a run folder written by `burn-gan train`?", run.display()))
    })?;
    let bad = |e: serde_json::Error| {
        Error::format(&path, format!("not a burn-gan run configuration ({e})"))
    };
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
    burn_gan_zoo::registry::fill_model_defaults(&mut value["model"]);
    serde_json::from_value(value).map_err(bad)
}

fn train(args: TrainArgs) -> CliResult<()> {
    let (run_config, data) = if args.resume {
        let out = args.out.clone().ok_or_else(|| {
            invalid("--resume needs --out <run folder> to know which run to continue")
        })?;
        let mut rc = read_run_config(&out)?;
        if args.model != "gan" && args.model != rc.model_name {
            return Err(invalid(format!(
                "{} holds a `{}` run, not `{}`; resume it without a model name or pick another --out",
                out.display(),
                rc.model_name,
                args.model
            )));
        }
        if let Some(s) = args.steps {
            rc.training.steps = s;
        }
        let data = load_data(&rc.data, rc.image_size, rc.channels, &rc.model_name)?;
        (rc, data)
    } else {
        let spec = args.data.clone().unwrap_or_else(|| "ring8".into());
        let data = load_data(&spec, args.image_size, args.channels, &args.model)?;
        let mut model = ModelSpec::for_data(&args.model, &data).map_err(Error::Invalid)?;
        if let Some(loss) = &args.generator_loss {
            let loss = loss
                .parse()
                .map_err(|e: String| invalid(format!("--generator-loss: {e}")))?;
            match &mut model {
                ModelSpec::Gan(c) => c.generator_loss = loss,
                ModelSpec::Dcgan(c) => c.generator_loss = loss,
                ModelSpec::Conditional(c) => c.generator_loss = loss,
                ModelSpec::Sgan(_) => {
                    return Err(invalid(format!(
                        "--generator-loss and --real-target do not apply to `{}`",
                        args.model
                    )))
                }
            }
        }
        if let Some(t) = args.real_target {
            if !(t > 0.0 && t <= 1.0) {
                return Err(invalid(format!(
                    "--real-target {t}: use a value in (0, 1], e.g. 0.9"
                )));
            }
            match &mut model {
                ModelSpec::Gan(c) => c.real_target = t,
                ModelSpec::Dcgan(c) => c.real_target = t,
                ModelSpec::Conditional(c) => c.real_target = t,
                ModelSpec::Sgan(_) => {
                    return Err(invalid(format!(
                        "--generator-loss and --real-target do not apply to `{}`",
                        args.model
                    )))
                }
            }
        }
        apply_objective_flags(&args, &mut model)?;
        let mut t = model.default_training(data.kind);
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
        if args.networks.is_some() && !matches!(model, ModelSpec::Sgan(_)) {
            return Err(invalid(format!(
                "--networks applies to the semi-supervised models (sgan, sgan-fm, sgan-supervised), not to `{}`",
                args.model
            )));
        }
        if let Some(n) = args.labelled {
            if !matches!(model, ModelSpec::Sgan(_)) {
                return Err(invalid(format!(
                    "--labelled applies to the semi-supervised models (sgan, sgan-fm, sgan-supervised), not to `{}`",
                    args.model
                )));
            }
            t.labelled = n;
        }
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
        if let Some(e) = args.epochs {
            if t.batch_size == 0 || e == 0 {
                return Err(invalid("--epochs and --batch must be at least 1"));
            }
            t.steps = (e * (data.len() / t.batch_size).max(1)).div_ceil(t.d_steps.max(1));
        }
        // Short runs still get a checkpoint and a picture at the end.
        t.checkpoint_every = t.checkpoint_every.min(t.steps.max(1));
        let rc = RunConfig {
            model_name: args.model.clone(),
            model,
            training: t,
            data: spec.clone(),
            image_size: args.image_size,
            channels: args.channels,
            data_shape: data.shape,
            data_kind: data.kind,
            backend: burn_gan_backends::NAME.into(),
            test_data: args.test_data.clone(),
        };
        (rc, data)
    };
    run_config_checks(&run_config)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!(
            "{}-{}",
            run_config.model_name,
            data_name(&run_config.data)
        ))
    });
    let resume = if args.resume {
        Some(latest_checkpoint(&out).ok_or_else(|| {
            invalid(format!(
                "{}: no complete checkpoint to resume from; train without --resume",
                out.display()
            ))
        })?)
    } else {
        if latest_checkpoint(&out).is_some() {
            return Err(invalid(format!(
                "{} already holds a run; pass --resume to continue it, or choose another --out",
                out.display()
            )));
        }
        None
    };
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
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
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, t.seed);
    let data = Arc::new(data);
    match &run_config.model {
        ModelSpec::Gan(c) => train_model(
            c.init::<AutodiffBackend>(&device),
            data,
            &run_config,
            &out,
            resume,
        ),
        ModelSpec::Dcgan(c) => train_model(
            c.init::<AutodiffBackend>(&device),
            data,
            &run_config,
            &out,
            resume,
        ),
        ModelSpec::Conditional(c) => train_model(
            c.init::<AutodiffBackend>(&device),
            data,
            &run_config,
            &out,
            resume,
        ),
        ModelSpec::Sgan(c) => train_model(
            c.init::<AutodiffBackend>(&device),
            data,
            &run_config,
            &out,
            resume,
        ),
    }
}

/// `--loss`, `--critic-norm`, `--gradient-penalty`, `--r1`, `--weight-clip`, `--spectral-norm`:
/// the objective of the DCGAN family (all) and of the original GAN (all but the critic norm and
/// R1), checked together: incompatible combinations are refused here, before training.
fn apply_objective_flags(args: &TrainArgs, model: &mut ModelSpec) -> CliResult<()> {
    // Flags both families take, parsed once.
    let loss: Option<LossFamily> = match &args.loss {
        Some(l) => Some(
            l.parse()
                .map_err(|e: String| invalid(format!("--loss: {e}")))?,
        ),
        None => None,
    };
    let spectral_norm = match &args.spectral_norm {
        Some(v) => Some(on_off("--spectral-norm", v)?),
        None => None,
    };
    let set = |slot: &mut f64, v: Option<f64>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    let ema = match args.ema {
        Some(d) if !(0.0..1.0).contains(&d) => {
            return Err(invalid(format!(
                "--ema {d}: use a decay in [0, 1), e.g. 0.999 (0 turns the average off)"
            )))
        }
        other => other,
    };
    if !matches!(model, ModelSpec::Conditional(_))
        && (args.class_bn.is_some()
            || args.class_loss_weight.is_some()
            || args.label_maps.is_some()
            || args.projection.is_some()
            || args.fake_class_loss.is_some())
    {
        return Err(invalid(format!(
            "--class-bn, --class-loss-weight, --label-maps, --projection and --fake-class-loss apply to the conditional models (cgan, acgan), not to `{}`",
            args.model
        )));
    }
    let feature_matching = match &args.feature_matching {
        Some(v) => Some(on_off("--feature-matching", v)?),
        None => None,
    };
    if args.minibatch_kernel_dim == Some(0) {
        return Err(invalid(
            "--minibatch-kernel-dim 0: use a kernel dimension of at least 1 (default 5)",
        ));
    }
    let checked = match model {
        ModelSpec::Sgan(c) => {
            if loss.is_some()
                || spectral_norm.is_some()
                || args.critic_norm.is_some()
                || args.gradient_penalty.is_some()
                || args.r1.is_some()
                || args.weight_clip.is_some()
                || args.orthogonal_init.is_some()
                || args.minibatch_kernels.is_some()
                || args.minibatch_kernel_dim.is_some()
                || args.historical_averaging.is_some()
                || args.virtual_batch_norm.is_some()
                || ema.is_some()
            {
                return Err(invalid(format!(
                    "`{}` takes --labelled, --test-data, --networks and --feature-matching, not the other objective flags",
                    args.model
                )));
            }
            c.feature_matching = feature_matching.unwrap_or(c.feature_matching);
            if let Some(v) = &args.networks {
                match v
                    .parse()
                    .map_err(|e: String| invalid(format!("--networks: {e}")))?
                {
                    SganNetworks::Mlp => *c = c.clone().with_mlp_networks(),
                    SganNetworks::Dcgan => c.networks = SganNetworks::Dcgan,
                }
            }
            c.validate()
        }
        ModelSpec::Conditional(c) => {
            if feature_matching.is_some()
                || args.historical_averaging.is_some()
                || args.virtual_batch_norm.is_some()
            {
                return Err(invalid(format!(
                    "--feature-matching, --historical-averaging and --virtual-batch-norm apply to the gan and dcgan families, not to `{}`",
                    args.model
                )));
            }
            if args.critic_norm.is_some()
                || args.gradient_penalty.is_some()
                || args.r1.is_some()
                || args.weight_clip.is_some()
                || args.orthogonal_init.is_some()
            {
                return Err(invalid(format!(
                    "--critic-norm, --gradient-penalty, --r1, --weight-clip and --orthogonal-init are not available for `{}`; it takes --loss, --spectral-norm, --ema, --class-bn, --class-loss-weight and --minibatch-kernels",
                    args.model
                )));
            }
            c.loss = loss.unwrap_or(c.loss);
            c.spectral_norm = spectral_norm.unwrap_or(c.spectral_norm);
            c.ema = ema.unwrap_or(c.ema);
            c.minibatch_kernels = args.minibatch_kernels.unwrap_or(c.minibatch_kernels);
            c.minibatch_kernel_dim = args.minibatch_kernel_dim.unwrap_or(c.minibatch_kernel_dim);
            if let Some(v) = &args.class_bn {
                c.class_batch_norm = on_off("--class-bn", v)?;
            }
            if let Some(w) = args.class_loss_weight {
                c.class_loss_weight = w;
            }
            if let Some(v) = &args.fake_class_loss {
                c.fake_class_loss = on_off("--fake-class-loss", v)?;
            }
            if let Some(k) = args.label_maps {
                if c.method != burn_gan_zoo::conditional::Conditioning::Cgan {
                    return Err(invalid(format!(
                        "--label-maps applies to cgan (whose discriminator takes the label), not to `{}`",
                        args.model
                    )));
                }
                c.label_maps = k;
            }
            if let Some(v) = &args.projection {
                if c.method != burn_gan_zoo::conditional::Conditioning::Cgan {
                    return Err(invalid(format!(
                        "--projection applies to cgan (whose discriminator takes the label), not to `{}`",
                        args.model
                    )));
                }
                c.projection = on_off("--projection", v)?;
            }
            c.validate()
        }
        ModelSpec::Gan(g) => {
            if args.virtual_batch_norm.is_some() {
                return Err(invalid(format!(
                    "--virtual-batch-norm applies to the DCGAN family's generator, not to `{}` (whose generator has no batch norm)",
                    args.model
                )));
            }
            if ema.is_some() {
                return Err(invalid(format!(
                    "--ema applies to the DCGAN family and the conditional models, not to `{}`",
                    args.model
                )));
            }
            if args.critic_norm.is_some() || args.r1.is_some() || args.orthogonal_init.is_some() {
                return Err(invalid(format!(
                    "--critic-norm, --r1 and --orthogonal-init apply to the DCGAN family, not to `{}`",
                    args.model
                )));
            }
            g.loss = loss.unwrap_or(g.loss);
            g.minibatch_kernels = args.minibatch_kernels.unwrap_or(g.minibatch_kernels);
            g.minibatch_kernel_dim = args.minibatch_kernel_dim.unwrap_or(g.minibatch_kernel_dim);
            g.feature_matching = feature_matching.unwrap_or(g.feature_matching);
            set(&mut g.historical_averaging, args.historical_averaging);
            g.spectral_norm = spectral_norm.unwrap_or(g.spectral_norm);
            set(&mut g.gradient_penalty, args.gradient_penalty);
            set(&mut g.weight_clip, args.weight_clip);
            g.validate()
        }
        ModelSpec::Dcgan(c) => {
            c.loss = loss.unwrap_or(c.loss);
            c.spectral_norm = spectral_norm.unwrap_or(c.spectral_norm);
            c.minibatch_kernels = args.minibatch_kernels.unwrap_or(c.minibatch_kernels);
            c.minibatch_kernel_dim = args.minibatch_kernel_dim.unwrap_or(c.minibatch_kernel_dim);
            c.feature_matching = feature_matching.unwrap_or(c.feature_matching);
            set(&mut c.historical_averaging, args.historical_averaging);
            if let Some(r) = args.virtual_batch_norm {
                c.virtual_batch_norm = r;
            }
            set(&mut c.gradient_penalty, args.gradient_penalty);
            set(&mut c.weight_clip, args.weight_clip);
            set(&mut c.r1_gamma, args.r1);
            set(&mut c.ema, ema);
            if let Some(norm) = &args.critic_norm {
                c.critic_norm = match norm.as_str() {
                    "batch" => CriticNorm::Batch,
                    "layer" => CriticNorm::Layer,
                    "none" => CriticNorm::None,
                    other => {
                        return Err(invalid(format!(
                        "--critic-norm: unknown normalisation `{other}`; use batch, layer or none"
                    )))
                    }
                };
            }
            if let Some(v) = &args.orthogonal_init {
                c.orthogonal_init = on_off("--orthogonal-init", v)?;
            }
            c.validate()
        }
    };
    checked.map_err(|e| invalid(format!("model `{}`: {e}", args.model)))
}

fn on_off(flag: &str, v: &str) -> CliResult<bool> {
    match v {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(invalid(format!("{flag}: `{other}`; use on or off"))),
    }
}

fn run_config_checks(rc: &RunConfig) -> CliResult<()> {
    rc.training.validate()
}

fn train_model<M>(
    model: M,
    data: Arc<Samples>,
    rc: &RunConfig,
    out: &Path,
    resume: Option<usize>,
) -> CliResult<()>
where
    M: Adversarial<AutodiffBackend>
        + AutodiffModule<AutodiffBackend>
        + TrainStep<Input = GanBatch<AutodiffBackend>, Output = GanOutput<AutodiffBackend>>
        + 'static,
    M::InnerModule: Adversarial<Backend>
        + InferenceStep<Input = GanBatch<Backend>, Output = GanOutput<Backend>>,
{
    let device = burn_gan_backends::device();
    let start = std::time::Instant::now();
    let trained = fit(model, data.clone(), &rc.training, out, resume, &device)?;
    println!("trained in {:.1} s", start.elapsed().as_secs_f64());
    if let Some(spec) = &rc.test_data {
        test_classifier(&trained, spec, data.shape, rc.training.steps, out)?;
    }
    let files = RunFiles::<Backend>::new(out, &data, trained.latent_dim(), &rc.training, &device);
    match data.kind {
        SampleKind::Points => {
            let path = out.join("scatter.png");
            files.draw(&trained, "real (grey) vs generated (red)", &path)?;
            if let Ok(DataSpec::Toy(toy)) = DataSpec::parse(&rc.data) {
                report_coverage(&trained, toy, &device);
            }
            println!("wrote {}", path.display());
        }
        SampleKind::Image => {
            let path = out.join("samples.png");
            files.draw(&trained, "samples", &path)?;
            println!("wrote {}", path.display());
        }
    }
    println!(
        "wrote {} and {}",
        out.join("losses.png").display(),
        out.join("metrics.jsonl").display()
    );
    Ok(())
}

/// The accuracy of a classifier model on held-out labelled images, printed and appended to
/// `metrics.jsonl`.
fn test_classifier<M: Adversarial<Backend>>(
    model: &M,
    spec: &str,
    shape: [usize; 3],
    step: usize,
    out: &Path,
) -> CliResult<()> {
    let device = burn_gan_backends::device();
    let test = DataSpec::parse(spec)?.load(&ImageFolderOptions::default())?;
    let Some(labels) = &test.labels else {
        return Err(invalid(format!(
            "--test-data {spec}: {} has no labels; give an IDX images file with its labels file beside it",
            test.source
        )));
    };
    if test.shape != shape {
        return Err(invalid(format!(
            "--test-data {spec}: samples of shape {:?}, but the model was trained on {shape:?}",
            test.shape
        )));
    }
    let mut correct = 0usize;
    let per = test.sample_len();
    for start in (0..test.len()).step_by(500) {
        let end = (start + 500).min(test.len());
        let x = Tensor::<Backend, 4>::from_data(
            TensorData::new(
                test.values[start * per..end * per].to_vec(),
                [end - start, shape[0], shape[1], shape[2]],
            ),
            &device,
        );
        let Some(logits) = model.classifier().map(|c| c.classify(x)) else {
            return Err(invalid(
                "--test-data: this model is not a classifier; it applies to sgan, sgan-fm and sgan-supervised",
            ));
        };
        let predicted: Vec<i64> = logits
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .to_vec()
            .expect("class indices");
        correct += predicted
            .iter()
            .zip(&labels[start..end])
            .filter(|(p, y)| **p as usize == **y)
            .count();
    }
    let accuracy = correct as f64 / test.len() as f64;
    println!(
        "test accuracy {:.4} on {} images of {}",
        accuracy,
        test.len(),
        test.source
    );
    let path = out.join("metrics.jsonl");
    let row = serde_json::json!({"step": step, "test_accuracy": accuracy, "test_images": test.len(), "test_data": test.source});
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&format!("{row}\n"));
    burn_gan::train::write_atomically(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))
}

fn report_coverage<M: Adversarial<Backend>>(
    model: &M,
    toy: Toy,
    device: &burn::tensor::Device<Backend>,
) {
    let c = toy_coverage(model, toy, 2500, 7, device);
    println!(
        "{}: {} of {} modes covered, {:.1}% of 2500 samples within 3 standard deviations of a mode",
        toy.name(),
        c.modes_covered,
        toy.modes().len(),
        100.0 * c.high_quality
    );
}

/// Rebuilds the model of a run with its latest weights and calls `f` with it.
pub(crate) fn with_trained<R>(
    run: &Path,
    raw_generator: bool,
    f: &mut dyn FnMut(&dyn Generate, &RunConfig) -> CliResult<R>,
) -> CliResult<R> {
    let rc = read_run_config(run)?;
    let n = latest_checkpoint(run).ok_or_else(|| {
        invalid(format!(
            "{}: the run has no complete checkpoint yet",
            run.display()
        ))
    })?;
    let device = burn_gan_backends::device();
    let no_average = || {
        invalid(format!(
            "--raw-generator: {} keeps no moving average of its generator (train with --ema 0.999 to have one), so it samples from the generator already",
            run.display()
        ))
    };
    let at = (run, n, raw_generator);
    match &rc.model {
        ModelSpec::Gan(c) => load_and_call(c.init(&device), at, &no_average, &rc, f),
        ModelSpec::Dcgan(c) => load_and_call(c.init(&device), at, &no_average, &rc, f),
        ModelSpec::Conditional(c) => load_and_call(c.init(&device), at, &no_average, &rc, f),
        ModelSpec::Sgan(c) => load_and_call(c.init(&device), at, &no_average, &rc, f),
    }
}

/// Loads checkpoint `n` of `run` into `model` and hands it (or, with `raw_generator`, the model
/// without its generator average) to `f`.
fn load_and_call<M, R>(
    model: M,
    (run, n, raw_generator): (&Path, usize, bool),
    no_average: &dyn Fn() -> Error,
    rc: &RunConfig,
    f: &mut dyn FnMut(&dyn Generate, &RunConfig) -> CliResult<R>,
) -> CliResult<R>
where
    M: Adversarial<Backend> + GeneratorAverage,
{
    let model = load_weights(model, run, n, &burn_gan_backends::device())?;
    match raw_generator {
        true => f(&model.without_average().ok_or_else(no_average)?, rc),
        false => f(&model, rc),
    }
}

/// Object-safe view of a trained model for sampling.
pub(crate) trait Generate {
    fn latent(&self) -> usize;
    /// Classes of a conditional model (0: unconditional).
    fn class_count(&self) -> usize;
    /// Continuous codes at the end of `z` (InfoGAN).
    fn code_count(&self) -> usize;
    /// Samples from the sampling generator (the weight average when there is one); `labels`
    /// for a conditional model (`None`: sample `i` gets class `i % classes`).
    fn gen(&self, z: Tensor<Backend, 2>, labels: Option<&[usize]>) -> Vec<f32>;
}

impl<M: Adversarial<Backend>> Generate for M {
    fn latent(&self) -> usize {
        self.latent_dim()
    }
    fn class_count(&self) -> usize {
        Adversarial::classes(self).map_or(0, |c| c.num_classes())
    }
    fn code_count(&self) -> usize {
        self.latent_codes().map_or(0, |c| c.continuous_codes())
    }
    fn gen(&self, z: Tensor<Backend, 2>, labels: Option<&[usize]>) -> Vec<f32> {
        let labels = labels.map(|l| {
            let l: Vec<i64> = l.iter().map(|&c| c as i64).collect();
            let n = l.len();
            Tensor::<Backend, 1, Int>::from_data(TensorData::new(l, [n]), &z.device())
        });
        self.sample(Condition::with_labels(z, labels))
            .into_data()
            .convert::<f32>()
            .to_vec()
            .expect("f32 samples")
    }
}

/// Class `i % classes` for samples `start..start + n`; `None` for unconditional models (0 classes).
pub(crate) fn cycled_labels(classes: usize, start: usize, n: usize) -> Option<Vec<usize>> {
    (classes > 0).then(|| (start..start + n).map(|i| i % classes).collect())
}

/// `burn-gan plot`: the metrics a run logged, over its steps, stacked on one x axis.
fn plot(args: PlotArgs) -> CliResult<()> {
    let path = args.run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        invalid(format!(
            "{}: {e}; point --run at a run folder that has logged metrics",
            path.display()
        ))
    })?;
    let mut panels = Vec::new();
    for name in args
        .metrics
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        let points = burn_gan::train::metric_points(&text, name);
        if points.is_empty() {
            return Err(invalid(format!(
                "--metrics {name}: {} logs no `{name}`; it has {}",
                path.display(),
                burn_gan::train::metric_names(&text).join(", ")
            )));
        }
        panels.push((name, vec![burn_gan::viz::Series { name, points }]));
    }
    if panels.is_empty() {
        return Err(invalid("--metrics: name at least one metric, e.g. fid"));
    }
    let out = args.out.unwrap_or_else(|| args.run.join("plot.png"));
    burn_gan::viz::stacked_plots(&panels, "step", &out)?;
    println!("{}", out.display());
    Ok(())
}

fn sample(args: SampleArgs) -> CliResult<()> {
    if args.n == 0 {
        return Err(invalid("--n 0: ask for at least one sample"));
    }
    if let Some(t) = args.truncation {
        if !(t > 0.0) {
            return Err(invalid(format!(
                "--truncation {t}: use a positive threshold, e.g. 0.5 (smaller: less variety, higher fidelity)"
            )));
        }
    }
    let device = burn_gan_backends::device();
    with_trained(&args.run, args.raw_generator, &mut |model, rc| {
        let z = match args.truncation {
            Some(t) => {
                truncated_normal_noise::<Backend>(args.n, model.latent(), args.seed, t, &device)
            }
            None => normal_noise::<Backend>(args.n, model.latent(), args.seed, &device),
        };
        let classes = model.class_count();
        let labels = match args.class {
            Some(_) if classes == 0 => {
                return Err(invalid(format!(
                    "--class: {} holds an unconditional `{}` run; train cgan or acgan on labelled data to generate a chosen class",
                    args.run.display(),
                    rc.model_name
                )))
            }
            Some(k) if k >= classes => {
                return Err(invalid(format!(
                    "--class {k}: the model of {} has classes 0 to {}",
                    args.run.display(),
                    classes - 1
                )))
            }
            Some(k) => Some(vec![k; args.n]),
            None => cycled_labels(classes, 0, args.n),
        };
        let values = model.gen(z, labels.as_deref());
        // A conditional model's grid shows one class per column.
        let columns = if classes > 0 && args.class.is_none() {
            classes.min(args.n)
        } else {
            (args.n as f64).sqrt().ceil() as usize
        };
        match rc.data_kind {
            SampleKind::Image => viz::image_grid(&values, rc.data_shape, columns, &args.out)?,
            SampleKind::Points => {
                let real = match DataSpec::parse(&rc.data) {
                    Ok(DataSpec::Toy(toy)) => toy.samples(2000, 1).values,
                    _ => Vec::new(),
                };
                let pts = |v: &[f32]| v.chunks(2).map(|c| [c[0], c[1]]).collect::<Vec<_>>();
                viz::scatter(&pts(&real), &pts(&values), 6.0, "samples", &args.out)?
            }
        }
        println!("wrote {} ({} samples)", args.out.display(), args.n);
        Ok(())
    })
}

/// Spherical interpolation of two vectors (Shoemake 1985), linear when they are parallel.
fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let cos =
        (a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.abs() < 1e-4 {
        return a
            .iter()
            .zip(b)
            .map(|(x, y)| (1.0 - t) * x + t * y)
            .collect();
    }
    let (wa, wb) = (
        ((1.0 - t) * omega).sin() / omega.sin(),
        (t * omega).sin() / omega.sin(),
    );
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}

fn interpolate(args: InterpolateArgs) -> CliResult<()> {
    if args.pairs == 0 || args.steps < 2 {
        return Err(invalid("--pairs must be at least 1 and --steps at least 2"));
    }
    let device = burn_gan_backends::device();
    let out = args.out.clone().unwrap_or_else(|| args.run.clone());
    with_trained(&args.run, false, &mut |model, rc| {
        if rc.data_kind != SampleKind::Image {
            return Err(invalid(format!(
                "{}: interpolation strips are drawn for image models; this run generates 2-D points (use `sample`)",
                args.run.display()
            )));
        }
        if let Some(code) = &args.code {
            return traverse(model, rc, code, &args, &out);
        }
        let dim = model.latent();
        let ends: Vec<f32> = normal_noise::<Backend>(2 * args.pairs, dim, args.seed, &device)
            .into_data()
            .to_vec()
            .expect("f32 noise");
        for (name, spherical) in [("interp-linear.png", false), ("interp-slerp.png", true)] {
            let mut z = Vec::with_capacity(args.pairs * args.steps * dim);
            for p in 0..args.pairs {
                let (a, b) = (
                    &ends[2 * p * dim..(2 * p + 1) * dim],
                    &ends[(2 * p + 1) * dim..(2 * p + 2) * dim],
                );
                for s in 0..args.steps {
                    let t = s as f32 / (args.steps - 1) as f32;
                    if spherical {
                        z.extend(slerp(a, b, t));
                    } else {
                        z.extend(a.iter().zip(b).map(|(x, y)| (1.0 - t) * x + t * y));
                    }
                }
            }
            let z = Tensor::<Backend, 2>::from_data(
                TensorData::new(z, [args.pairs * args.steps, dim]),
                &device,
            );
            // A conditional model keeps one class along each strip: row p shows class p % classes.
            let labels = (model.class_count() > 0).then(|| {
                (0..args.pairs * args.steps)
                    .map(|i| (i / args.steps) % model.class_count())
                    .collect::<Vec<_>>()
            });
            let path = out.join(name);
            viz::image_grid(
                &model.gen(z, labels.as_deref()),
                rc.data_shape,
                args.steps,
                &path,
            )?;
            println!("wrote {}", path.display());
        }
        Ok(())
    })
}

/// `interpolate --code`: a latent traversal grid (see [`InterpolateArgs::code`]).
fn traverse(
    model: &dyn Generate,
    rc: &RunConfig,
    code: &str,
    args: &InterpolateArgs,
    out: &Path,
) -> CliResult<()> {
    let device = burn_gan_backends::device();
    let (dim, classes, codes) = (model.latent(), model.class_count(), model.code_count());
    let rows = args.pairs;
    let noise: Vec<f32> = normal_noise::<Backend>(rows, dim, args.seed, &device)
        .into_data()
        .to_vec()
        .expect("f32 noise");
    let (z, labels, columns, name) = if code == "cat" {
        if classes == 0 {
            return Err(invalid(format!(
                "--code cat: {} holds an unconditional `{}` run; categorical traversals need cgan, acgan or infogan",
                args.run.display(),
                rc.model_name
            )));
        }
        // Row r: one noise vector; column k: class (code value) k.
        let mut z = Vec::new();
        let mut labels = Vec::new();
        for r in 0..rows {
            for k in 0..classes {
                z.extend_from_slice(&noise[r * dim..(r + 1) * dim]);
                labels.push(k);
            }
        }
        (z, Some(labels), classes, "traversal-cat.png".to_string())
    } else {
        let index: usize = code.parse().map_err(|_| {
            invalid(format!(
                "--code {code}: use `cat` or the index of a continuous code (0 to {})",
                codes.max(1) - 1
            ))
        })?;
        if index >= codes {
            return Err(invalid(format!(
                "--code {code}: {} has {codes} continuous codes{}",
                args.run.display(),
                if codes == 0 {
                    " (only InfoGAN has them; try --code cat)"
                } else {
                    ""
                }
            )));
        }
        // Row r: one noise vector and categorical value r; the code sweeps -2..2 along it.
        let slot = dim - codes + index;
        let mut z = Vec::new();
        let mut labels = Vec::new();
        for r in 0..rows {
            for s in 0..args.steps {
                let mut v = noise[r * dim..(r + 1) * dim].to_vec();
                v[slot] = -2.0 + 4.0 * s as f32 / (args.steps - 1) as f32;
                z.extend(v);
                labels.push(r % classes.max(1));
            }
        }
        let labels = (classes > 0).then_some(labels);
        (z, labels, args.steps, format!("traversal-code-{index}.png"))
    };
    let n = z.len() / dim;
    let z = Tensor::<Backend, 2>::from_data(TensorData::new(z, [n, dim]), &device);
    let path = out.join(name);
    viz::image_grid(
        &model.gen(z, labels.as_deref()),
        rc.data_shape,
        columns,
        &path,
    )?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slerp;

    #[test]
    fn slerp_keeps_endpoints_and_norm_between_orthogonal_unit_vectors() {
        let (a, b) = ([1.0, 0.0], [0.0, 1.0]);
        assert_eq!(slerp(&a, &b, 0.0), vec![1.0, 0.0]);
        let mid = slerp(&a, &b, 0.5);
        assert!((mid[0] - mid[1]).abs() < 1e-6);
        assert!((mid[0].hypot(mid[1]) - 1.0).abs() < 1e-6);
    }
}
