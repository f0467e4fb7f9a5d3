//! The command-line program. Every user mistake becomes one `error: ...` line and exit code 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn_gan::data::{parse_background, DataSpec, ImageFolderOptions, Samples};
use burn_gan::Error;
use burn_gan_zoo::registry::ModelSpec;
use clap::{Args, Parser, Subcommand};

mod data;
mod export;
mod guard;
mod models;
mod reconstruct;
mod report;
mod restore;
mod runs;
mod sample;
mod score;
mod settings;
mod train;
mod translation;

pub(crate) use burn_gan_zoo::run_config::{read_run_config, RunConfig};
pub(crate) use export::Draw;
pub(crate) use reconstruct::reconstructions;
pub(crate) use sample::{cycled_labels, generates_from_noise, with_trained};

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
    Train(train::TrainArgs),
    /// Generate a grid of samples from a run's latest checkpoint.
    Sample(sample::SampleArgs),
    /// Write linear and spherical interpolation strips between random latent points.
    Interpolate(sample::InterpolateArgs),
    /// Encode and decode real images (vae, vaegan): a picture of inputs and reconstructions, their pixel error and sharpness.
    Reconstruct(reconstruct::ReconstructArgs),
    /// Add a visual attribute vector (the mean code of one class minus another's) to encoded images (vae, vaegan).
    Attribute(reconstruct::AttributeArgs),
    /// Restore your own images (any size) with a trained restoration run: super-resolution, denoising, deblurring, inpainting.
    Restore(restore::RestoreArgs),
    /// Measure an image-to-image run (restore, restore-l1, pix2pix) on held-out images: PSNR, SSIM and sharpness, with the classical baselines and a strip.
    Score(score::ScoreArgs),
    /// Evaluate generated images against real ones: FID, KID, IS, precision/recall, Parzen.
    Eval(crate::evaluate::EvalArgs),
    /// Train a domain classifier (features for domain FID/KID, softmax for IS).
    TrainClassifier(crate::evaluate::TrainClassifierArgs),
    /// Classification Accuracy Score of a class-conditional run: a classifier trained on its images only, tested on real held-out ones, next to one trained on real images.
    Cas(crate::classify::CasArgs),
    /// Do a class-conditional run's images help a classifier trained on a small real subset? Tables in the run folder (augment.md, augment.jsonl).
    Augment(crate::classify::AugmentArgs),
    /// Measure training and sampling speed and peak memory on the compiled backend.
    Bench(crate::benchmark::BenchArgs),
    /// Plot metrics a run logged (metrics.jsonl) over its steps, one panel per metric.
    Plot(PlotArgs),
    /// List the run folders under a folder (default runs/): model, data, step, status, last losses and FID.
    Runs(runs::RunsArgs),
    /// Named datasets (fashion-mnist, mnist, kmnist): `data get NAME` downloads one, `data list` shows where they are.
    Data(data::DataArgs),
    /// List the models; `models NAME` prints one's full default configuration (model and training, as config.json records them), for `train --config`.
    Models(models::ModelsArgs),
    /// Print the compiled backend and versions.
    Info,
}

#[derive(Args)]
struct PlotArgs {
    /// Run folder; repeat it to overlay runs (e.g. --run runs/gan-ring8 --run runs/wgan-ring8).
    #[arg(long, required = true)]
    run: Vec<PathBuf>,
    /// Metrics (keys of metrics.jsonl): one panel per comma-separated group, `+` joins metrics
    /// in a panel (e.g. loss_d+loss_g,w_distance,fid). Default: the losses, and D(x), D(G(z))
    /// where logged.
    #[arg(long)]
    metrics: Option<String>,
    /// Output, PNG or SVG by its extension (default: <first run>/plot.png).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) type CliResult<T> = Result<T, Error>;

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        if burn_gan::train::checkpoint::decoding_record() {
            return; // a corrupt checkpoint, reported as an error by the recorder
        }
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
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

/// A clap error as one line: its first paragraph and any tip, without the usage block.
fn one_line(rendered: &str) -> String {
    let paragraphs: Vec<String> = rendered
        .split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|p| !p.is_empty())
        .collect();
    let mut line = paragraphs.first().cloned().unwrap_or_default();
    for tip in paragraphs.iter().skip(1).filter(|p| p.starts_with("tip:")) {
        line.push_str("; ");
        line.push_str(tip);
    }
    format!("{line} (see --help)")
}

/// Runs one command.
fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        None => train::train(train::TrainArgs::default()),
        Some(Command::Train(args)) => train::train(args),
        Some(Command::Sample(args)) => sample::sample(args),
        Some(Command::Interpolate(args)) => sample::interpolate(args),
        Some(Command::Reconstruct(args)) => reconstruct::reconstruct(args),
        Some(Command::Attribute(args)) => reconstruct::attribute(args),
        Some(Command::Restore(args)) => restore::restore(args),
        Some(Command::Score(args)) => score::score_run(args),
        Some(Command::Eval(args)) => crate::evaluate::eval(args),
        Some(Command::TrainClassifier(args)) => crate::evaluate::train_classifier(args),
        Some(Command::Cas(args)) => crate::classify::cas(args),
        Some(Command::Augment(args)) => crate::classify::augment(args),
        Some(Command::Bench(args)) => crate::benchmark::bench(args),
        Some(Command::Plot(args)) => plot(args),
        Some(Command::Runs(args)) => runs::runs(args),
        Some(Command::Data(args)) => data::data(args),
        Some(Command::Models(args)) => models::models(args),
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
    background: Option<&str>,
    model: &str,
) -> CliResult<Samples> {
    match load_data_with_optional_labels(spec, image_size, channels, background, model)? {
        (_, Some(e)) => Err(e.into()),
        (samples, None) => Ok(samples),
    }
}

/// [`load_data`] for training, where the model decides whether labels matter: an IDX labels file
/// that cannot be read leaves the samples without labels, with its error beside them
/// ([`train_data`] raises it for a model that needs labels and warns otherwise).
pub(crate) fn load_data_with_optional_labels(
    spec: &str,
    image_size: Option<u32>,
    channels: Option<usize>,
    background: Option<&str>,
    model: &str,
) -> CliResult<(Samples, Option<Error>)> {
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
        background: background_flag(background)?,
    };
    let (samples, labels_error) = DataSpec::parse(spec)?.load_with_optional_labels(&options)?;
    let samples = match range {
        Some(r) => samples.select(r)?,
        None => samples,
    };
    Ok((samples, labels_error))
}

/// The outcome of the model's check of training data loaded by
/// [`load_data_with_optional_labels`]: a labels file that could not be read is the error when the
/// model refuses the data (it needed the labels), and a warning when it trains without them.
pub(crate) fn train_data(
    checked: std::result::Result<(), String>,
    labels_error: Option<Error>,
    model: &str,
) -> CliResult<()> {
    match (checked, labels_error) {
        (Err(_), Some(e)) => Err(e.into()),
        (Err(e), None) => Err(invalid(e)),
        (Ok(()), Some(e)) => {
            eprintln!("warning: {e}; `{model}` trains without labels, so they are ignored");
            Ok(())
        }
        (Ok(()), None) => Ok(()),
    }
}

/// `--background`: its colour, white when not given, or one error line naming the flag.
pub(crate) fn background_flag(value: Option<&str>) -> CliResult<[u8; 3]> {
    match value {
        Some(b) => parse_background(b).map_err(|e| invalid(format!("--{e}"))),
        None => Ok(burn_gan::data::image_folder::WHITE),
    }
}

pub(crate) fn data_name(spec: &str) -> String {
    // Neither a range nor a named set's split (`mnist:test@0..100`) names the run.
    let spec = spec.rsplit_once('@').map_or(spec, |(s, _)| s);
    let spec = match burn_gan::data::named::parse(spec) {
        Some(Ok((set, _))) => set.name,
        _ => spec,
    };
    let p = Path::new(spec.trim_end_matches('/'));
    let stem = p.file_name().and_then(|n| n.to_str()).unwrap_or(spec);
    stem.split('-').next().unwrap_or(stem).to_string()
}

/// `burn-gan plot`: the metrics runs logged, over their steps: one panel per group of metrics,
/// stacked on one x axis, the runs overlaid.
fn plot(args: PlotArgs) -> CliResult<()> {
    let mut logs = Vec::new();
    for run in &args.run {
        let path = run.join("metrics.jsonl");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            invalid(format!(
                "{}: {e}; point --run at a run folder that has logged metrics",
                path.display()
            ))
        })?;
        let names = burn_gan::train::metric_names(&text);
        if names
            .iter()
            .all(|n| burn_gan::train::metric_points(&text, n).is_empty())
        {
            return Err(invalid(format!(
                "{}: no line is a JSON object with a `step` and a number; it is not a metrics log of `burn-gan train`",
                path.display()
            )));
        }
        logs.push((run_name(run, &args.run), path, text, names));
    }
    let runs: Vec<(&str, &str)> = logs
        .iter()
        .map(|(name, _, text, _)| (name.as_str(), text.as_str()))
        .collect();
    let panels: Vec<burn_gan::viz::Panel> = match &args.metrics {
        None => {
            let panels: Vec<_> = burn_gan::train::TRAINING_PANELS
                .iter()
                .map(|metrics| burn_gan::viz::training_panel(metrics, &runs))
                .filter(|p| !p.series.is_empty())
                .collect();
            if panels.is_empty() {
                let (_, path, _, names) = &logs[0];
                return Err(invalid(format!(
                    "{} logs no losses; name metrics with --metrics, it has {}",
                    path.display(),
                    names.join(", ")
                )));
            }
            panels
        }
        Some(spec) => {
            let groups: Vec<Vec<&str>> = spec
                .split(',')
                .map(|g| {
                    g.split('+')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .collect()
                })
                .filter(|g: &Vec<&str>| !g.is_empty())
                .collect();
            if groups.is_empty() {
                return Err(invalid("--metrics: name at least one metric, e.g. fid"));
            }
            for name in groups.iter().flatten() {
                let logged = |text: &str| !burn_gan::train::metric_points(text, name).is_empty();
                if !runs.iter().any(|(_, text)| logged(text)) {
                    let (_, path, _, names) = &logs[0];
                    return Err(invalid(format!(
                        "--metrics {name}: {} logs no `{name}`; it has {}",
                        path.display(),
                        names.join(", ")
                    )));
                }
            }
            groups
                .iter()
                .map(|metrics| burn_gan::viz::training_panel(metrics, &runs))
                .collect()
        }
    };
    let out = args.out.unwrap_or_else(|| args.run[0].join("plot.png"));
    burn_gan::viz::stacked_plots(&panels, "step", &out)?;
    println!("wrote {}", out.display());
    Ok(())
}

/// The legend name of `run`: its folder's name, or the path as given where two runs share it.
fn run_name(run: &Path, all: &[PathBuf]) -> String {
    let name = |p: &Path| {
        let trimmed = Path::new(p.to_str().map_or("", |s| s.trim_end_matches('/')));
        trimmed
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let own = name(run);
    match all.iter().filter(|r| name(r) == own).count() {
        1 => own,
        _ => run.display().to_string(),
    }
}
