//! `burn-gan reconstruct` and `burn-gan attribute`: what a model with an encoder (VAE/GAN, the
//! VAE) does with real images: their reconstructions, with the pixel error and sharpness that
//! Larsen et al. 2016 compare, and "visual attribute vectors" (section 4.1 of the paper): the
//! mean code of one class minus another's, added to encoded images.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use burn_gan::data::{SampleKind, Samples};
use burn_gan::metrics::image_quality::laplacian_variance;
use burn_gan::train::normal_noise;
use burn_gan::viz;
use burn_gan_backends::Backend;
use clap::Args;

use super::sample::Generate;
use super::{invalid, load_data, with_trained, CliResult, RunConfig};

#[derive(Args)]
pub(crate) struct ReconstructArgs {
    /// Run folder of a model with an encoder (vae, vaegan).
    #[arg(long)]
    run: PathBuf,
    /// Images to reconstruct (default: the run's training data); a suffix @a..b selects images, e.g. the held-out split fashion-mnist:test.
    #[arg(long)]
    data: Option<String>,
    /// Images in the picture.
    #[arg(long, default_value_t = 32)]
    n: usize,
    /// Images per row: each row of inputs is followed by a row of their reconstructions.
    #[arg(long, default_value_t = 8)]
    columns: usize,
    /// Output PNG.
    #[arg(long, default_value = "reconstructions.png")]
    out: PathBuf,
    /// Images to measure the pixel error and sharpness on (default: --n); as many samples from the prior are measured too.
    #[arg(long)]
    measure: Option<usize>,
    /// Print the measurements as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct AttributeArgs {
    /// Run folder of a model with an encoder (vae, vaegan).
    #[arg(long)]
    run: PathBuf,
    /// Labelled images (default: the run's training data): a named set (mnist, fashion-mnist:test), an IDX file or an image folder.
    #[arg(long)]
    data: Option<String>,
    /// The class of the images to change.
    #[arg(long)]
    from: usize,
    /// The class whose attribute is added: the vector is the mean code of class --to minus that of class --from.
    #[arg(long)]
    to: usize,
    /// Images (rows), the first of class --from.
    #[arg(long, default_value_t = 8)]
    n: usize,
    /// Strengths per row, evenly from 0 (the reconstruction) to --strength.
    #[arg(long, default_value_t = 6)]
    steps: usize,
    /// The largest multiple of the attribute vector added.
    #[arg(long, default_value_t = 1.0)]
    strength: f32,
    /// Images of each class whose codes are averaged.
    #[arg(long, default_value_t = 1000)]
    per_class: usize,
    /// Output PNG.
    #[arg(long, default_value = "attribute.png")]
    out: PathBuf,
}

/// The images of `spec` (default: the run's data), loaded as the run was trained.
fn run_images(spec: &Option<String>, rc: &RunConfig) -> CliResult<Samples> {
    let spec = spec.clone().unwrap_or_else(|| rc.data.clone());
    let data = load_data(
        &spec,
        rc.image_size,
        rc.channels,
        rc.background.as_deref(),
        &rc.model_name,
    )?;
    if data.kind != SampleKind::Image || data.shape != rc.data_shape {
        return Err(invalid(format!(
            "{}: the run's model works on images of shape {:?} (channels, height, width), but these samples have shape {:?}",
            data.source, rc.data_shape, data.shape
        )));
    }
    Ok(data)
}

/// The encoder's mean codes of `images` (`[n, c, h, w]` values), in batches.
fn encode(
    model: &dyn Generate,
    rc: &RunConfig,
    images: &[f32],
    run: &std::path::Path,
) -> CliResult<Vec<f32>> {
    let per = rc.data_shape.iter().product::<usize>();
    let [c, h, w] = rc.data_shape;
    let device = burn_gan_backends::device();
    let mut codes = Vec::new();
    for chunk in images.chunks(250 * per) {
        let n = chunk.len() / per;
        let x =
            Tensor::<Backend, 4>::from_data(TensorData::new(chunk.to_vec(), [n, c, h, w]), &device);
        codes.extend(model.encode_means(x).ok_or_else(|| {
            invalid(format!(
                "{} holds a `{}` run, which has no encoder; reconstructions and attribute vectors need a vae or vaegan run",
                run.display(),
                rc.model_name
            ))
        })?);
    }
    Ok(codes)
}

/// Decodes codes `[n * latent]` in batches.
fn decode(model: &dyn Generate, codes: &[f32]) -> Vec<f32> {
    let dim = model.latent();
    let device = burn_gan_backends::device();
    codes
        .chunks(250 * dim)
        .flat_map(|chunk| {
            let z = Tensor::<Backend, 2>::from_data(
                TensorData::new(chunk.to_vec(), [chunk.len() / dim, dim]),
                &device,
            );
            model.gen(z, None)
        })
        .collect()
}

/// The reconstructions of `images` (`[n, c, h, w]` values in `[-1, 1]`) by the model of `run`:
/// what `eval --reconstruct` scores.
/// `Err` with the run's shape when the images have another `shape`.
pub(crate) fn reconstructions(
    run: &std::path::Path,
    images: &[f32],
    shape: [usize; 3],
) -> CliResult<Result<Vec<f32>, [usize; 3]>> {
    with_trained(run, false, &mut |model, rc| match rc.data_shape == shape {
        true => Ok(Ok(decode(model, &encode(model, rc, images, run)?))),
        false => Ok(Err(rc.data_shape)),
    })
}

/// The mean Laplacian variance of images in `[-1, 1]`, measured in `[0, 1]` units.
fn sharpness(values: &[f32], shape: [usize; 3]) -> f64 {
    let per = shape.iter().product::<usize>();
    let n = values.len() / per;
    values
        .chunks(per)
        .map(|img| laplacian_variance(img, shape) / 4.0)
        .sum::<f64>()
        / n.max(1) as f64
}

pub(crate) fn reconstruct(args: ReconstructArgs) -> CliResult<()> {
    if args.n == 0 || args.columns == 0 || args.measure == Some(0) {
        return Err(invalid("--n, --columns and --measure must be at least 1"));
    }
    with_trained(&args.run, false, &mut |model, rc| {
        let data = run_images(&args.data, rc)?;
        let measure = args.measure.unwrap_or(args.n).max(args.n).min(data.len());
        let per = data.sample_len();
        let inputs = &data.values[..measure * per];
        let recon = decode(model, &encode(model, rc, inputs, &args.run)?);
        // The picture: a row of inputs, then a row of their reconstructions.
        let shown = args.n.min(data.len());
        let mut grid = Vec::with_capacity(2 * shown * per);
        for start in (0..shown).step_by(args.columns) {
            let end = (start + args.columns).min(shown);
            let row = |v: &[f32]| v[start * per..end * per].to_vec();
            grid.extend(row(inputs));
            grid.extend(std::iter::repeat_n(
                -1.0,
                (args.columns - (end - start)) * per,
            ));
            grid.extend(row(&recon));
            grid.extend(std::iter::repeat_n(
                -1.0,
                (args.columns - (end - start)) * per,
            ));
        }
        viz::image_grid(&grid, rc.data_shape, args.columns, &args.out)?;
        // Pixel error in [0, 1] units: (a - b)² / 4 for values in [-1, 1].
        let mse = inputs
            .iter()
            .zip(&recon)
            .map(|(a, b)| ((a - b) as f64).powi(2) / 4.0)
            .sum::<f64>()
            / inputs.len() as f64;
        let device = burn_gan_backends::device();
        let z = normal_noise::<Backend>(measure, model.latent(), 0, &device);
        let samples = model.gen(z, None);
        let (s_in, s_rec, s_gen) = (
            sharpness(inputs, rc.data_shape),
            sharpness(&recon, rc.data_shape),
            sharpness(&samples, rc.data_shape),
        );
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "images": measure, "mse": mse, "sharpness_inputs": s_in,
                    "sharpness_reconstructions": s_rec, "sharpness_samples": s_gen,
                })
            );
        } else {
            println!(
                "wrote {} ({shown} images of {} and their reconstructions)",
                args.out.display(),
                data.source
            );
            println!("measured on {measure} images and {measure} samples (pixels in [0, 1]):");
            println!("  reconstruction pixel MSE           {mse:.5}");
            println!("  sharpness (Laplacian variance)     inputs {s_in:.5}, reconstructions {s_rec:.5} ({:.2}x), samples {s_gen:.5} ({:.2}x)", s_rec / s_in, s_gen / s_in);
        }
        Ok(())
    })
}

pub(crate) fn attribute(args: AttributeArgs) -> CliResult<()> {
    if args.n == 0 || args.steps < 2 || args.per_class == 0 {
        return Err(invalid(
            "--n and --per-class must be at least 1 and --steps at least 2",
        ));
    }
    if !args.strength.is_finite() {
        return Err(invalid(format!(
            "--strength {}: use a finite number",
            args.strength
        )));
    }
    with_trained(&args.run, false, &mut |model, rc| {
        let data = run_images(&args.data, rc)?;
        let (Some(labels), Some(classes)) = (&data.labels, data.num_classes) else {
            return Err(invalid(format!(
                "{}: attribute vectors are the mean codes of classes, so the images need labels (an IDX file with its labels file, or an image folder with one sub-folder per class)",
                data.source
            )));
        };
        for (flag, class) in [("--from", args.from), ("--to", args.to)] {
            if class >= classes {
                return Err(invalid(format!(
                    "{flag} {class}: {} has classes 0 to {}",
                    data.source,
                    classes - 1
                )));
            }
        }
        let per = data.sample_len();
        let of_class = |k: usize, limit: usize| -> Vec<f32> {
            labels
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == k)
                .take(limit)
                .flat_map(|(i, _)| data.values[i * per..(i + 1) * per].iter().copied())
                .collect()
        };
        let dim = model.latent();
        let mean_code = |k: usize| -> CliResult<Vec<f32>> {
            let codes = encode(model, rc, &of_class(k, args.per_class), &args.run)?;
            let n = (codes.len() / dim).max(1) as f32;
            Ok((0..dim)
                .map(|j| codes.iter().skip(j).step_by(dim).sum::<f32>() / n)
                .collect())
        };
        let (from, to) = (mean_code(args.from)?, mean_code(args.to)?);
        let vector: Vec<f32> = to.iter().zip(&from).map(|(t, f)| t - f).collect();
        let inputs = of_class(args.from, args.n);
        let rows = inputs.len() / per;
        let codes = encode(model, rc, &inputs, &args.run)?;
        let mut z = Vec::with_capacity(rows * args.steps * dim);
        for r in 0..rows {
            for s in 0..args.steps {
                let t = args.strength * s as f32 / (args.steps - 1) as f32;
                z.extend(
                    codes[r * dim..(r + 1) * dim]
                        .iter()
                        .zip(&vector)
                        .map(|(c, v)| c + t * v),
                );
            }
        }
        let decoded = decode(model, &z);
        // Each row: the input, then the decoded code plus 0 .. strength times the vector.
        let mut grid = Vec::with_capacity(rows * (args.steps + 1) * per);
        for r in 0..rows {
            grid.extend_from_slice(&inputs[r * per..(r + 1) * per]);
            grid.extend_from_slice(&decoded[r * args.steps * per..(r + 1) * args.steps * per]);
        }
        viz::image_grid(&grid, rc.data_shape, args.steps + 1, &args.out)?;
        println!(
            "wrote {} ({rows} images of class {} with 0 to {} times the mean code of class {} minus that of class {})",
            args.out.display(),
            args.from,
            args.strength,
            args.to,
            args.from
        );
        Ok(())
    })
}
