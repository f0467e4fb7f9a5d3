//! `burn-gan eval` and `burn-gan train-classifier`.
use std::io::Write;
use std::path::{Path, PathBuf};

use burn_gan::data::{split_range, DataSpec, ImageFolderOptions, SampleKind};
use burn_gan::metrics::{
    classifier::{
        accuracy, train_classifier as fit_classifier, ClassifierTraining, LabelledPixels,
    },
    evaluate::{
        default_cache_dir, extract_cached, feature_metrics, parzen_on_pixels, EvalReport,
        FeatureNet, MetricSet, PixelSet,
    },
    inception::default_weights_path,
};
use burn_gan::train::write_atomically;
use burn_gan::Error;
use burn_gan_backends::{AutodiffBackend, Backend};
use clap::Args;

use crate::cli::{invalid, with_trained, CliResult};

#[derive(Args)]
pub struct EvalArgs {
    /// Real images: a named set (fashion-mnist, mnist, kmnist; NAME:test is the held-out split), an IDX file, an image folder, or a folder of MNIST-format files (suffix @a..b selects images).
    #[arg(long)]
    real: String,
    /// Generated images: a run folder (samples are drawn from its latest checkpoint), an IDX file, an image folder or a named set.
    #[arg(long)]
    fake: String,
    /// Metrics, comma-separated: fid, kid, is, pr, parzen.
    #[arg(long, default_value = "fid,kid,pr")]
    metrics: String,
    /// Feature network: inception (TF-FID Inception-v3), fashion or mnist (burn-gan's domain classifiers).
    #[arg(long, default_value = "inception")]
    features: String,
    /// Images used from each set (a run folder generates this many); default all real images, at most 10,000.
    #[arg(long)]
    n: Option<usize>,
    /// Parzen: images that choose the window width (default: the first half of --real; the second half is then the test set).
    #[arg(long)]
    validation: Option<String>,
    /// Inception weights (default $BURN_GAN_INCEPTION or ~/.cache/burn-gan/fid-inception-2015-12-05.safetensors).
    #[arg(long)]
    inception_weights: Option<PathBuf>,
    /// Channels to read image folders with: 1 or 3 (default 3 for inception, 1 for the classifiers).
    #[arg(long)]
    channels: Option<usize>,
    /// Resize and centre-crop image-folder images to this side (needed when a folder's images differ in size); IDX images are padded to it.
    #[arg(long)]
    image_size: Option<u32>,
    /// The colour transparent pixels of image-folder images are composited onto: white (default), black, gray or a hex colour.
    #[arg(long)]
    background: Option<String>,
    /// Feature cache folder (default ~/.cache/burn-gan/features).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Do not read or write the feature cache.
    #[arg(long)]
    no_cache: bool,
    /// Images per forward pass.
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// A run folder as --fake: generate with the trained generator itself, not the moving average of its weights (runs trained with --ema).
    #[arg(long)]
    raw_generator: bool,
    /// A run folder as --fake: score its reconstructions of the --real images instead of its samples (vae, vaegan).
    #[arg(long)]
    reconstruct: bool,
    /// Seed of the noise when generating from a run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Reads a set of images (IDX, image folder, or a run folder to sample from).
fn load_set(
    spec: &str,
    options: &ImageFolderOptions,
    n: Option<usize>,
    seed: u64,
    raw_generator: bool,
) -> CliResult<PixelSet> {
    let (path, range) = split_range(spec)?;
    let p = Path::new(path);
    if p.join("config.json").is_file() {
        let n = n.unwrap_or(10_000);
        return with_trained(p, raw_generator, &mut |model, rc| {
            crate::cli::generates_from_noise(model, p, rc)?;
            if rc.data_kind != SampleKind::Image {
                return Err(invalid(format!(
                    "{}: the run generates 2-D points, not images",
                    p.display()
                )));
            }
            // The noise and labels of `sample --outdir`, so an export scores the same.
            let draw = crate::cli::Draw {
                n,
                seed,
                truncation: None,
                class: None,
            };
            let mut values = Vec::with_capacity(n * rc.data_shape.iter().product::<usize>());
            draw.run(model, &mut |_, v, _| {
                values.extend(v);
                Ok(())
            })?;
            Ok(PixelSet::from_unit_range(
                &values,
                rc.data_shape,
                format!(
                    "{} (latest checkpoint, {n} samples, seed {seed})",
                    p.display()
                ),
            ))
        });
    }
    if raw_generator {
        return Err(invalid(format!(
            "--raw-generator: {spec} is not a run folder (no config.json); it applies when --fake names a run"
        )));
    }
    let mut samples = DataSpec::parse(path)?.load(options)?;
    if let Some(r) = range {
        samples = samples.select(r)?;
    }
    if samples.kind != SampleKind::Image {
        return Err(invalid(format!(
            "`{spec}` holds 2-D points; eval compares images"
        )));
    }
    if samples.is_empty() {
        return Err(invalid(format!("{}: no images", samples.source)));
    }
    let set = PixelSet::from_unit_range(&samples.values, samples.shape, samples.source.clone());
    Ok(match n {
        Some(n) => set.truncate(n),
        None => set.truncate(10_000),
    })
}

/// `--reconstruct`: the reconstructions of the real images by the model of run `spec`.
fn reconstructed_set(spec: &str, real: &PixelSet) -> CliResult<PixelSet> {
    let run = Path::new(spec);
    if !run.join("config.json").is_file() {
        return Err(invalid(format!(
            "--reconstruct: {spec} is not a run folder (no config.json); give --fake the run of a vae or vaegan"
        )));
    }
    // Back from 0..=255 levels to the [-1, 1] the models work in.
    let images: Vec<f32> = real.pixels.iter().map(|p| p / 127.5 - 1.0).collect();
    let values = crate::cli::reconstructions(run, &images, real.shape)?.map_err(|shape| {
        invalid(format!(
            "--reconstruct: the model of {spec} works on images of shape {shape:?} (channels, height, width), but the real images ({}) are {:?}",
            real.source, real.shape
        ))
    })?;
    Ok(PixelSet::from_unit_range(
        &values,
        real.shape,
        format!("reconstructions of {} by {spec}", real.source),
    ))
}

/// Progress on stderr, when stderr is a terminal (logs and scripts get only the result).
fn progress(label: &'static str) -> impl FnMut(usize, usize) {
    use std::io::IsTerminal;
    let show = std::io::stderr().is_terminal();
    move |done, total| {
        if !show {
            return;
        }
        eprint!("\r{label}: {done}/{total} images");
        if done == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

pub fn eval(args: EvalArgs) -> CliResult<()> {
    let metrics = MetricSet::parse(&args.metrics)?;
    if args.batch == 0 || args.n == Some(0) {
        return Err(invalid("--batch and --n must be at least 1"));
    }
    let device = burn_gan_backends::device();
    // Parzen alone works on pixels: no network to load (the name is still checked)
    let net = if metrics.needs_features()
        || !matches!(args.features.as_str(), "inception" | "fashion" | "mnist")
    {
        let weights = args
            .inception_weights
            .clone()
            .unwrap_or_else(default_weights_path);
        Some(FeatureNet::<Backend>::by_name(
            &args.features,
            &weights,
            &device,
            "--features",
        )?)
    } else {
        None
    };
    if metrics.is && matches!(net, Some(FeatureNet::Inception(_))) {
        return Err(invalid(
            "--metrics is: the Inception Score needs class probabilities; the FID Inception file has no 1008-way output layer, use --features fashion or mnist",
        ));
    }
    let channels = args
        .channels
        .unwrap_or(if matches!(net, Some(FeatureNet::Inception(_))) {
            3
        } else {
            1
        });
    if channels != 1 && channels != 3 {
        return Err(invalid(format!(
            "--channels {channels}: use 1 (gray) or 3 (RGB)"
        )));
    }
    if args.image_size == Some(0) {
        return Err(invalid("--image-size 0: give a positive side in pixels"));
    }
    let options = ImageFolderOptions {
        size: args.image_size.map(|s| (s, s)),
        channels,
        background: crate::cli::background_flag(args.background.as_deref())?,
    };
    let real = load_set(&args.real, &options, args.n, args.seed, false)?;
    let fake = match args.reconstruct {
        true => reconstructed_set(&args.fake, &real)?,
        false => load_set(
            &args.fake,
            &options,
            args.n.or(Some(real.len())),
            args.seed,
            args.raw_generator,
        )?,
    };
    if real.shape != fake.shape {
        return Err(invalid(format!(
            "the real images ({}) are {:?} (channels, height, width) but the generated ones ({}) are {:?}; compare sets of one size",
            real.source, real.shape, fake.source, fake.shape
        )));
    }
    let mut report = EvalReport {
        features: net
            .as_ref()
            .map_or_else(|| "none (pixels)".into(), |n| n.name()),
        preprocessing: net.as_ref().map_or_else(
            || "uint8 levels scaled to [0, 1], no resize".into(),
            |n| n.preprocessing(real.shape),
        ),
        real: real.source.clone(),
        fake: fake.source.clone(),
        n_real: real.len(),
        n_fake: fake.len(),
        fid: None,
        kid: None,
        is: None,
        precision: None,
        recall: None,
        parzen: None,
        cache_hit: false,
    };
    if metrics.parzen {
        // σ is chosen on --validation, or on the first half of --real (the second half is then
        // the test set); the feature metrics below use all of --real either way.
        let per: usize = real.shape.iter().product();
        let (validation, test) = match &args.validation {
            Some(spec) => (
                load_set(spec, &options, None, args.seed, false)?,
                real.clone(),
            ),
            None => {
                let half = real.len() / 2;
                let part = |range: std::ops::Range<usize>, name: &str| PixelSet {
                    pixels: real.pixels[range.start * per..range.end * per].to_vec(),
                    shape: real.shape,
                    source: format!("{} ({name})", real.source),
                };
                (
                    part(0..half, "first half"),
                    part(half..real.len(), "second half"),
                )
            }
        };
        if validation.is_empty() || test.is_empty() {
            return Err(invalid(
                "Parzen needs validation and test images; give more real images or --validation",
            ));
        }
        report.parzen = Some(parzen_on_pixels(&fake, &validation, &test)?);
    }
    if let Some(net) = &net {
        let need = if metrics.fid { 2 } else { 4 };
        for set in [&real, &fake] {
            if set.len() < need {
                return Err(invalid(format!(
                    "{}: {} images are too few for these metrics (at least {need})",
                    set.source,
                    set.len()
                )));
            }
        }
        let cache = (!args.no_cache).then(|| args.cache.clone().unwrap_or_else(default_cache_dir));
        let (real_features, hit) = extract_cached(
            net,
            &real,
            cache.as_deref(),
            args.batch,
            &device,
            progress("real features"),
        )?;
        let (fake_features, _) = extract_cached(
            net,
            &fake,
            None,
            args.batch,
            &device,
            progress("generated features"),
        )?;
        report.cache_hit = hit;
        feature_metrics(&mut report, metrics, &real_features, &fake_features)?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serialises")
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &EvalReport) {
    println!("features       {}", r.features);
    println!("preprocessing  {}", r.preprocessing);
    println!(
        "real           {} ({} images{})",
        r.real,
        r.n_real,
        if r.cache_hit {
            ", features from cache"
        } else {
            ""
        }
    );
    println!("generated      {} ({} images)", r.fake, r.n_fake);
    if let Some(v) = r.fid {
        println!("FID            {v:.4}");
    }
    if let Some(v) = r.kid {
        println!("KID            {:.6} ± {:.6}", v.mean, v.std);
    }
    if let Some(v) = r.is {
        println!("IS             {:.4} ± {:.4}", v.mean, v.std);
    }
    if let (Some(p), Some(q)) = (r.precision, r.recall) {
        println!("precision      {p:.4}");
        println!("recall         {q:.4}");
    }
    if let Some(p) = &r.parzen {
        println!("Parzen LL      {:.2} ± {:.2} over {} test images (sigma {:.4}, chosen on {} validation images)", p.mean, p.std_error, p.test, p.sigma, p.validation);
    }
}

#[derive(Args)]
pub struct TrainClassifierArgs {
    /// Labelled training images: a named set (fashion-mnist, mnist) or an IDX images file with its labels file beside it (suffix @a..b selects images).
    #[arg(long)]
    data: String,
    /// Held-out labelled images for the reported accuracy, e.g. fashion-mnist:test (default: the last --holdout images of --data).
    #[arg(long)]
    test: Option<String>,
    /// Images held out of --data when --test is not given.
    #[arg(long, default_value_t = 5000)]
    holdout: usize,
    /// Where to write the weights (the format burn-gan embeds).
    #[arg(long)]
    out: PathBuf,
    /// Passes over the training images.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Seed of the initialisation and batch order.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub(crate) fn labelled(spec: &str) -> CliResult<LabelledPixels> {
    let (path, range) = split_range(spec)?;
    let mut samples = DataSpec::parse(path)?.load(&ImageFolderOptions {
        size: None,
        channels: 1,
        ..Default::default()
    })?;
    if let Some(r) = range {
        samples = samples.select(r)?;
    }
    if samples.shape != [1, 28, 28] {
        return Err(invalid(format!(
            "{}: the domain classifier takes 1x28x28 images, these are {:?}",
            samples.source, samples.shape
        )));
    }
    let labels = samples.labels.clone().ok_or_else(|| {
        invalid(format!(
            "{}: no labels found beside the images (expected a *-labels-idx1-ubyte[.gz] file)",
            samples.source
        ))
    })?;
    if labels.iter().any(|&l| l >= 10) {
        return Err(invalid(format!("{}: labels must be 0-9", samples.source)));
    }
    let pixels =
        PixelSet::from_unit_range(&samples.values, samples.shape, samples.source.clone()).pixels;
    Ok(LabelledPixels { pixels, labels })
}

pub fn train_classifier(args: TrainClassifierArgs) -> CliResult<()> {
    let mut train = labelled(&args.data)?;
    let test = match &args.test {
        Some(spec) => labelled(spec)?,
        None => {
            if args.holdout == 0 || args.holdout >= train.len() {
                return Err(invalid(format!(
                    "--holdout {}: must be between 1 and {} (the images in --data minus one)",
                    args.holdout,
                    train.len().saturating_sub(1)
                )));
            }
            let keep = train.len() - args.holdout;
            let test = LabelledPixels {
                pixels: train.pixels[keep * 784..].to_vec(),
                labels: train.labels[keep..].to_vec(),
            };
            train.pixels.truncate(keep * 784);
            train.labels.truncate(keep);
            test
        }
    };
    if args.epochs == 0 {
        return Err(invalid("--epochs 0: train for at least one epoch"));
    }
    let device = burn_gan_backends::device();
    let settings = ClassifierTraining::new()
        .with_epochs(args.epochs)
        .with_seed(args.seed);
    let started = std::time::Instant::now();
    eprintln!(
        "training the domain classifier on {} images, {} held out, backend {}",
        train.len(),
        test.len(),
        burn_gan_backends::NAME
    );
    let model = fit_classifier::<AutodiffBackend>(&train, &settings, &device, |epoch, loss| {
        eprintln!(
            "epoch {epoch}: mean training loss {loss:.4} ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    });
    let model = burn::module::AutodiffModule::valid(&model);
    let held_out = accuracy::<Backend>(&model, &test, &device);
    let train_acc = accuracy::<Backend>(&model, &train, &device);
    write_atomically(&args.out, &model.to_bytes()).map_err(|e| Error::io(&args.out, e))?;
    println!(
        "wrote {}: training accuracy {:.4}, held-out accuracy {:.4} ({} images)",
        args.out.display(),
        train_acc,
        held_out,
        test.len()
    );
    Ok(())
}
