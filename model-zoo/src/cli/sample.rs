//! `burn-gan sample` and `burn-gan interpolate`: the latest checkpoint of a run, rebuilt for
//! whichever family its `config.json` names, drawn as grids, interpolation strips and latent
//! traversals.

use std::path::{Path, PathBuf};

use burn::tensor::{Int, Tensor, TensorData};
use burn_gan::data::{DataSpec, SampleKind};
use burn_gan::train::{
    checkpoints, latest_checkpoint, load_weights, normal_noise, Adversarial, Condition,
};
use burn_gan::{viz, Error};
use burn_gan_backends::Backend;
use burn_gan_zoo::{Family, FamilyVisitor, GeneratorAverage};
use clap::Args;

use super::export::{export, Draw, ExportFormat};
use super::{invalid, read_run_config, CliResult, RunConfig};

#[derive(Args)]
pub(crate) struct SampleArgs {
    /// Run folder.
    #[arg(long)]
    run: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// Output PNG of a grid.
    #[arg(long, default_value = "samples.png")]
    out: PathBuf,
    /// Enlarge the grid's pixels this many times (nearest neighbour), e.g. 4 for 28-pixel images.
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Export the samples as separate files into this folder instead of a grid (for clean-fid, torch-fidelity): unpadded, named by seed and index.
    #[arg(long, conflicts_with = "out")]
    outdir: Option<PathBuf>,
    /// Export format: png (one file per sample) or npz (arr_0 uint8 [N, H, W, C], arr_1 labels).
    #[arg(long, value_enum)]
    format: Option<ExportFormat>,
    /// Noise seed (samples 500k.. use seed + 500k, as `eval --fake RUN` does).
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
pub(crate) struct InterpolateArgs {
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
    let no_average = || {
        invalid(format!(
            "--raw-generator: {} keeps no moving average of its generator (train with --ema 0.999 to have one), so it samples from the generator already",
            run.display()
        ))
    };
    let at = (run, n, raw_generator);
    rc.model
        .visit(Load {
            at,
            no_average: &no_average,
            rc: &rc,
            f,
        })
        .map_err(Error::Invalid)?
}

/// Loads checkpoint `n` of `run` into the model of the run's family and hands it (or, with
/// `raw_generator`, the model without its generator average) to `f`.
struct Load<'a, R> {
    at: (&'a Path, usize, bool),
    no_average: &'a dyn Fn() -> Error,
    rc: &'a RunConfig,
    f: &'a mut dyn FnMut(&dyn Generate, &RunConfig) -> CliResult<R>,
}

impl<R> FamilyVisitor for Load<'_, R> {
    type Output = CliResult<R>;

    fn visit<F: Family>(self, config: F::Config) -> CliResult<R> {
        let (run, _, raw_generator) = self.at;
        let device = burn_gan_backends::device();
        // The newest checkpoint whose weights load; newer unreadable ones are named and skipped.
        let mut skipped = Vec::new();
        let mut loaded = None;
        for n in checkpoints(run) {
            match load_weights(F::init::<Backend>(&config, &device), run, n, &device) {
                Ok(model) => {
                    loaded = Some(model);
                    break;
                }
                Err(e) => skipped.push(e),
            }
        }
        let Some(model) = loaded else {
            return Err(skipped.into_iter().next().unwrap_or_else(|| {
                invalid(format!(
                    "{}: the run has no complete checkpoint yet",
                    run.display()
                ))
            }));
        };
        for e in skipped {
            eprintln!("warning: skipping an unreadable checkpoint: {e}");
        }
        match raw_generator {
            true => {
                let model = model.without_average().ok_or_else(self.no_average)?;
                (self.f)(&model, &as_generated(&model, self.rc, run))
            }
            false => (self.f)(&model, &as_generated(&model, self.rc, run)),
        }
    }
}

/// The run's configuration with the image shape `model` draws now. A growing model's (ProGAN's)
/// checkpoint from before its last stage draws smaller images than the data's; every command
/// then works at the checkpoint's resolution, and a note says so.
fn as_generated(model: &dyn Generate, rc: &RunConfig, run: &Path) -> RunConfig {
    let mut rc = rc.clone();
    if rc.data_kind != SampleKind::Image || model.needs_input() {
        return rc;
    }
    let z = normal_noise::<Backend>(1, model.latent(), 0, &burn_gan_backends::device());
    let labels = (model.class_count() > 0).then_some(&[0usize][..]);
    let len = model.gen(z, labels).len();
    let [c, h, w] = rc.data_shape;
    let side = ((len / c) as f64).sqrt().round() as usize;
    if len != c * h * w && side * side * c == len {
        eprintln!(
            "note: {} is at a {side}x{side} stage of its growth (the data's images are {h}x{w}); its samples are {side}x{side}",
            run.display()
        );
        rc.data_shape = [c, side, side];
    }
    rc
}

/// Object-safe view of a trained model for sampling.
pub(crate) trait Generate {
    fn latent(&self) -> usize;
    /// Classes of a conditional model (0: unconditional).
    fn class_count(&self) -> usize;
    /// Whether the classes are the data's labels (CGAN, ACGAN), not a learned code (InfoGAN).
    fn labelled_classes(&self) -> bool;
    /// Continuous codes at the end of `z` (InfoGAN).
    fn code_count(&self) -> usize;
    /// Samples from the sampling generator (the weight average when there is one); `labels`
    /// for a conditional model (`None`: sample `i` gets class `i % classes`).
    fn gen(&self, z: Tensor<Backend, 2>, labels: Option<&[usize]>) -> Vec<f32>;
    /// The means of the codes of images `x` (`[n, c, h, w]`), `[n * latent]`, for a model with
    /// an encoder (VAE/GAN, the VAE); `None` for one without.
    fn encode_means(&self, x: Tensor<Backend, 4>) -> Option<Vec<f32>>;
    /// The outputs of an image-to-image model for inputs `x` (`[n, c', h', w']`), with their
    /// shape `[n, c, h, w]`; `None` for a model that takes no input image.
    fn translate(&self, x: Tensor<Backend, 4>) -> Option<(Vec<f32>, [usize; 4])>;
    /// Whether the model generates only from an input image (image-to-image models).
    fn needs_input(&self) -> bool;
}

/// One line refusing to generate from noise with an image-to-image model of `run`.
pub(crate) fn generates_from_noise(
    model: &dyn Generate,
    run: &Path,
    rc: &RunConfig,
) -> CliResult<()> {
    if !model.needs_input() {
        return Ok(());
    }
    // Restoration and super-resolution runs restore the user's images; the translation models
    // are shown on held-out images by `score --strip`.
    let family = rc.model.family();
    let what = match family {
        "restore" | "srgan" => format!(
            "restores input images rather than generating from noise; use `burn-gan restore --run {} --input IMAGES --out DIR`",
            run.display()
        ),
        _ => format!(
            "translates input images rather than generating from noise; use `burn-gan score --run {} --strip FILE.png` to see it translate held-out images",
            run.display()
        ),
    };
    Err(invalid(format!(
        "{} holds a `{}` run, which {what}",
        run.display(),
        rc.model_name
    )))
}

impl<M: Adversarial<Backend>> Generate for M {
    fn latent(&self) -> usize {
        self.latent_dim()
    }
    fn class_count(&self) -> usize {
        Adversarial::classes(self).map_or(0, |c| c.num_classes())
    }
    fn labelled_classes(&self) -> bool {
        Adversarial::classes(self).is_some_and(|c| c.supervised_classes())
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
    fn needs_input(&self) -> bool {
        self.takes_input()
    }
    fn translate(&self, x: Tensor<Backend, 4>) -> Option<(Vec<f32>, [usize; 4])> {
        if !self.takes_input() {
            return None;
        }
        let z = Tensor::zeros([x.dims()[0], self.latent_dim()], &x.device());
        let y = self.sample(Condition {
            z,
            labels: None,
            input: Some(x),
        });
        let dims = y.dims();
        Some((
            y.into_data().convert::<f32>().to_vec().expect("f32 images"),
            dims,
        ))
    }
    fn encode_means(&self, x: Tensor<Backend, 4>) -> Option<Vec<f32>> {
        let (mean, _) = self.encoder()?.encode(x);
        Some(
            mean.into_data()
                .convert::<f32>()
                .to_vec()
                .expect("f32 codes"),
        )
    }
}

/// Class `i % classes` for samples `start..start + n`; `None` for unconditional models (0 classes).
pub(crate) fn cycled_labels(classes: usize, start: usize, n: usize) -> Option<Vec<usize>> {
    (classes > 0).then(|| (start..start + n).map(|i| i % classes).collect())
}

pub(crate) fn sample(args: SampleArgs) -> CliResult<()> {
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
    if !(1..=32).contains(&args.scale) {
        return Err(invalid(format!(
            "--scale {}: use a whole number from 1 to 32 (pixels per image pixel in the grid)",
            args.scale
        )));
    }
    if args.outdir.is_some() && args.scale != 1 {
        return Err(invalid(
            "--scale enlarges grids; --outdir exports images at their own size",
        ));
    }
    if args.format.is_some() && args.outdir.is_none() {
        return Err(invalid(
            "--format applies to --outdir exports; add --outdir DIR (a grid is always PNG)",
        ));
    }
    with_trained(&args.run, args.raw_generator, &mut |model, rc| {
        generates_from_noise(model, &args.run, rc)?;
        let classes = model.class_count();
        match args.class {
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
            _ => {}
        }
        let draw = Draw {
            n: args.n,
            seed: args.seed,
            truncation: args.truncation,
            class: args.class,
        };
        if let Some(dir) = &args.outdir {
            if rc.data_kind != SampleKind::Image {
                return Err(invalid(format!(
                    "--outdir: {} generates 2-D points, not images; draw them with --out FILE.png",
                    args.run.display()
                )));
            }
            let format = args.format.unwrap_or(ExportFormat::Png);
            let files = export(model, rc.data_shape, &draw, dir, format)?;
            println!(
                "wrote {} samples ({} file{}) into {}",
                args.n,
                files,
                if files == 1 { "" } else { "s" },
                dir.display()
            );
            return Ok(());
        }
        let mut values = Vec::new();
        draw.run(model, &mut |_, v, _| {
            values.extend(v);
            Ok(())
        })?;
        // A conditional model's grid shows one class per column.
        let columns = if classes > 0 && args.class.is_none() {
            classes.min(args.n)
        } else {
            (args.n as f64).sqrt().ceil() as usize
        };
        match rc.data_kind {
            SampleKind::Image => {
                let (values, shape) = enlarged(values, rc.data_shape, args.scale as usize);
                viz::image_grid(&values, shape, columns, &args.out)?
            }
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

/// Images `[n, c, h, w]` with every pixel repeated `scale` times in each direction.
fn enlarged(values: Vec<f32>, [c, h, w]: [usize; 3], scale: usize) -> (Vec<f32>, [usize; 3]) {
    if scale == 1 {
        return (values, [c, h, w]);
    }
    let mut out = Vec::with_capacity(values.len() * scale * scale);
    for plane in values.chunks(h * w) {
        for row in plane.chunks(w) {
            let wide: Vec<f32> = row
                .iter()
                .flat_map(|&v| std::iter::repeat_n(v, scale))
                .collect();
            for _ in 0..scale {
                out.extend_from_slice(&wide);
            }
        }
    }
    (out, [c, h * scale, w * scale])
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

pub(crate) fn interpolate(args: InterpolateArgs) -> CliResult<()> {
    if args.pairs == 0 || args.steps < 2 {
        return Err(invalid("--pairs must be at least 1 and --steps at least 2"));
    }
    let device = burn_gan_backends::device();
    let out = args.out.clone().unwrap_or_else(|| args.run.clone());
    with_trained(&args.run, false, &mut |model, rc| {
        generates_from_noise(model, &args.run, rc)?;
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
