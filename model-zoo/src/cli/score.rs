//! `burn-gan score`: an image-to-image run (restore, pix2pix, srgan, cyclegan and their variants) measured on held-out
//! images. The pairs are made the way the run's family made its training pairs (the restoration
//! task's degradation with the run's seed, pix2pix's edge maps), the trained generator
//! translates every input, and PSNR, SSIM and sharpness (gradient energy over the truth's) are
//! reported, next to the classical baselines of a restoration task with `--baselines`. A
//! CycleGAN run, which has no pairs, is scored in both directions by a domain classifier and its
//! cycle error ([`super::translation`]).

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use burn_gan::data::Samples;
use burn_gan::metrics::evaluate::{extract, FeatureNet, PixelSet};
use burn_gan::metrics::{frechet_distance, GaussianStats};
use burn_gan::restore::{baselines, restore_all, score, Image, Scores};
use burn_gan_backends::Backend;
use burn_gan_zoo::cyclegan::CycleganFamily;
use burn_gan_zoo::restore::RestoreFamily;
use burn_gan_zoo::srgan::SrganFamily;
use burn_gan_zoo::Family;
use clap::Args;
use serde::Serialize;

use super::{invalid, load_data, read_run_config, with_trained, CliResult, RunConfig};

#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// Run folder of an image-to-image model (restore, pix2pix, srgan, cyclegan and their variants).
    #[arg(long)]
    pub(super) run: PathBuf,
    /// Held-out images, made into pairs as the run's training images were, or split into a CycleGAN's two domains (default: NAME:test when the run trained on a named set, tiles:DIR:test when on tiles:DIR).
    #[arg(long)]
    data: Option<String>,
    /// CycleGAN runs trained with --data-b: held-out images of the second domain.
    #[arg(long)]
    pub(super) data_b: Option<String>,
    /// Score the first N images (of each domain, for CycleGAN).
    #[arg(long, default_value_t = 1000)]
    pub(super) n: usize,
    /// Also score the classical baselines of a restoration or super-resolution task (bicubic, median, non-local means, Wiener, ...).
    #[arg(long)]
    pub(super) baselines: bool,
    /// The domain classifier of the FID column, and of CycleGAN's judgement: fashion or mnist (default: the one the data's name suggests, for 28x28 gray images).
    #[arg(long)]
    pub(super) features: Option<String>,
    /// Write a strip of the first 8 pairs: inputs, outputs and targets in three rows (CycleGAN: A, G(A), F(G(A)), B, F(B), G(F(B)) in six) (PNG).
    #[arg(long, value_name = "FILE")]
    pub(super) strip: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub(super) json: bool,
}

/// One row of the report.
#[derive(Serialize)]
struct Row {
    method: String,
    #[serde(flatten)]
    scores: Scores,
    /// Domain FID of the outputs against the targets, when a domain classifier suits the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    fid: Option<f64>,
}

/// The domain classifier that suits a run's data: `--features`, else `fashion` or `mnist` when
/// the data's name says so; `None` for other data (RGB images, emoji).
pub(super) fn domain_features(args: &ScoreArgs, rc: &RunConfig) -> CliResult<Option<String>> {
    if let Some(f) = &args.features {
        if !matches!(f.as_str(), "fashion" | "mnist") {
            return Err(invalid(format!(
                "--features {f}: the domain classifiers are fashion and mnist"
            )));
        }
        return Ok(Some(f.clone()));
    }
    let data = rc.data.to_lowercase();
    Ok(match () {
        _ if rc.data_shape != [1, 28, 28] => None,
        _ if data.contains("fashion") => Some("fashion".into()),
        _ if data.contains("mnist") && !data.contains("kmnist") => Some("mnist".into()),
        _ => None,
    })
}

/// Domain FID against a fixed set of targets.
struct DomainFid {
    features: Option<String>,
    net: Option<FeatureNet<Backend>>,
    targets: Option<GaussianStats>,
}

impl DomainFid {
    fn new(features: Option<String>, targets: &Samples) -> CliResult<Self> {
        let device = burn_gan_backends::device();
        let Some(name) = features.filter(|_| targets.len() >= 2) else {
            return Ok(Self {
                features: None,
                net: None,
                targets: None,
            });
        };
        let net = FeatureNet::by_name(&name, std::path::Path::new(""), &device, "--features")?;
        let stats = Self::stats(&net, &targets.values, targets.shape)?;
        Ok(Self {
            features: Some(name),
            net: Some(net),
            targets: Some(stats),
        })
    }

    fn stats(
        net: &FeatureNet<Backend>,
        values: &[f32],
        shape: [usize; 3],
    ) -> CliResult<GaussianStats> {
        let set = PixelSet::from_unit_range(values, shape, "outputs");
        let e = extract(net, &set, 256, &burn_gan_backends::device(), |_, _| {})?;
        Ok(GaussianStats::from_features(&e.features, e.dim)?)
    }

    /// The FID of `outputs` (`[0, 1]` scale) against the targets.
    fn fid(&self, outputs: &[Image]) -> CliResult<Option<f64>> {
        let (Some(net), Some(targets)) = (&self.net, &self.targets) else {
            return Ok(None);
        };
        // A covariance needs two images: one image has no FID.
        let Some(first) = outputs.first().filter(|_| outputs.len() >= 2) else {
            return Ok(None);
        };
        let values: Vec<f32> = outputs.iter().flat_map(|o| o.to_sample()).collect();
        let stats = Self::stats(net, &values, first.shape)?;
        Ok(Some(frechet_distance(targets, &stats)?.value))
    }
}

pub(crate) fn score_run(args: ScoreArgs) -> CliResult<()> {
    if args.n == 0 {
        return Err(invalid("--n 0: score at least one image"));
    }
    let rc = read_run_config(&args.run)?;
    let spec = args
        .data
        .clone()
        .or_else(|| crate::classify::default_test(&rc))
        .ok_or_else(|| {
            invalid(format!(
                "--data: {} trained on {}, which has no named test split; give held-out images",
                args.run.display(),
                rc.data
            ))
        })?;
    if spec == rc.data {
        return Err(invalid(format!(
            "--data {spec}: {} trained on these images; score it on held-out ones (e.g. a t10k file, or NAME:test)",
            args.run.display()
        )));
    }
    if rc.model.family() == CycleganFamily::NAME {
        return super::translation::score_cyclegan(&args, &rc, &spec);
    }
    if args.data_b.is_some() {
        return Err(invalid(format!(
            "--data-b applies to CycleGAN runs; {} holds a `{}` run",
            args.run.display(),
            rc.model_name
        )));
    }
    let clean = load_data(
        &spec,
        rc.image_size,
        rc.channels,
        rc.background.as_deref(),
        &rc.model_name,
    )?;
    // The restoration and super-resolution generators are fully convolutional: trained on
    // tiles, they are scored on larger held-out images of the same channels.
    let any_size =
        rc.model.config::<RestoreFamily>().is_some() || rc.model.config::<SrganFamily>().is_some();
    if clean.shape != rc.data_shape && !(any_size && clean.shape[0] == rc.data_shape[0]) {
        return Err(invalid(format!(
            "--data {spec}: images of shape {:?}, but {} trained on {:?}",
            clean.shape,
            args.run.display(),
            rc.data_shape
        )));
    }
    let clean = clean.take(args.n.min(clean.len()));
    let pairs = rc
        .model
        .prepare_data(clean, rc.training.seed)
        .map_err(|e| invalid(format!("--data {spec}: {e}")))?;
    let Some(inputs) = pairs.paired.as_deref() else {
        return Err(invalid(format!(
            "{}: `{}` generates from noise; score measures image-to-image models (restore, restore-l1, pix2pix); use eval",
            args.run.display(),
            rc.model_name
        )));
    };
    let outputs = translate_all(&args, inputs, pairs.shape)?;
    let judge = DomainFid::new(domain_features(&args, &rc)?, &pairs)?;
    let mut rows = vec![Row {
        method: rc.model_name.clone(),
        scores: score(&outputs, &pairs)?,
        fid: judge.fid(&outputs)?,
    }];
    if args.baselines {
        // The task of a restoration or super-resolution run.
        let (task, degradation, channels) = match (
            rc.model.config::<RestoreFamily>(),
            rc.model.config::<SrganFamily>(),
        ) {
            (Some(c), _) => (c.task, c.degradation, c.channels),
            (None, Some(c)) => (c.task, c.degradation, c.channels),
            (None, None) => {
                return Err(invalid(format!(
                    "--baselines: `{}` is not a restoration model; the classical baselines restore degraded images",
                    rc.model_name
                )))
            }
        };
        for b in baselines(task, &degradation, channels) {
            let outputs = restore_all(b.as_ref(), &pairs)?;
            rows.push(Row {
                method: b.name(),
                scores: score(&outputs, &pairs)?,
                fid: judge.fid(&outputs)?,
            });
        }
    }
    if let Some(path) = &args.strip {
        write_strip(&pairs, inputs, &outputs, path)?;
    }
    if args.json {
        let report = serde_json::json!({ "run": args.run, "data": spec, "rows": rows });
        println!("{report}");
        return Ok(());
    }
    println!(
        "{} on {} held-out pairs of {spec}:",
        rc.model_name,
        pairs.len()
    );
    match &judge.features {
        Some(f) => {
            println!("| method | PSNR (dB) | SSIM | sharpness | FID ({f} features) |");
            println!("| --- | ---: | ---: | ---: | ---: |");
        }
        None => {
            println!("| method | PSNR (dB) | SSIM | sharpness |");
            println!("| --- | ---: | ---: | ---: |");
        }
    }
    for r in &rows {
        let fid = r.fid.map(|f| format!(" {f:.2} |")).unwrap_or_default();
        println!(
            "| {} | {:.2} | {:.4} | {:.3} |{fid}",
            r.method, r.scores.psnr, r.scores.ssim, r.scores.sharpness
        );
    }
    if let Some(path) = &args.strip {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Every input translated by the run's generator, on the `[0, 1]` scale, clamped as a file would
/// be.
fn translate_all(args: &ScoreArgs, inputs: &Samples, target: [usize; 3]) -> CliResult<Vec<Image>> {
    let device = burn_gan_backends::device();
    with_trained(&args.run, false, &mut |model, _| {
        if !model.needs_input() {
            return Err(invalid(format!(
                "{}: the model generates from noise; score measures image-to-image models",
                args.run.display()
            )));
        }
        let [c, h, w] = inputs.shape;
        let mut outputs = Vec::with_capacity(inputs.len());
        for start in (0..inputs.len()).step_by(64) {
            let n = 64.min(inputs.len() - start);
            let values = inputs.values[start * c * h * w..(start + n) * c * h * w].to_vec();
            let x = Tensor::<Backend, 4>::from_data(TensorData::new(values, [n, c, h, w]), &device);
            let (y, dims) = model.translate(x).expect("the model takes an input");
            let shape = [dims[1], dims[2], dims[3]];
            if shape != target {
                return Err(invalid(format!(
                    "{}: the model makes {shape:?} images for {target:?} targets",
                    args.run.display()
                )));
            }
            let len = shape.iter().product::<usize>();
            outputs.extend(
                y.chunks(len)
                    .map(|v| Image::from_sample(v, shape).clamped()),
            );
        }
        Ok(outputs)
    })
}

/// Three rows of the first (up to) 8 pairs: each input brought to the target's size and
/// channels (nearest up-sampling, the image part of an inpainting input, a gray edge map
/// repeated over RGB), the model's output, the target.
fn write_strip(
    pairs: &Samples,
    inputs: &Samples,
    outputs: &[Image],
    path: &std::path::Path,
) -> CliResult<()> {
    let k = pairs.len().min(8);
    let [c, h, w] = pairs.shape;
    let [ci, hi, wi] = inputs.shape;
    let mut values = Vec::with_capacity(3 * k * c * h * w);
    for i in 0..k {
        let x = inputs.sample(i);
        for ch in 0..c {
            let from = if ci >= c { ch } else { 0 };
            for y in 0..h {
                for xx in 0..w {
                    values.push(x[from * hi * wi + (y * hi / h) * wi + xx * wi / w]);
                }
            }
        }
    }
    for out in &outputs[..k] {
        values.extend(out.to_sample());
    }
    for i in 0..k {
        values.extend_from_slice(pairs.sample(i));
    }
    burn_gan::viz::image_grid(&values, pairs.shape, k, path)?;
    Ok(())
}
