//! The files of a run folder besides its checkpoints: `metrics.jsonl`, sample grids,
//! `losses.png` and the evaluations during training.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

use super::loader::{mix_seed, normal_noise};
use super::step::{Adversarial, Condition};
use super::strategy::Hooks;
use crate::data::{SampleKind, Samples};
use crate::metrics::{
    evaluate::{default_cache_dir, extract_cached, Extracted, FeatureNet, PixelSet},
    frechet_distance,
    inception::default_weights_path,
    kernel_distance, GaussianStats, KidOptions,
};
use crate::{viz, Error, Result};

use super::run::{argmax, intra_class_fid, TrainingConfig, TRAINING_PANELS};

/// Writes `metrics.jsonl`, sample grids and `losses.png` into a run folder.
pub struct RunFiles<B: Backend> {
    run: PathBuf,
    kind: SampleKind,
    shape: [usize; 3],
    noise: Tensor<B, 2>,
    real_points: Vec<[f32; 2]>,
    extent: f32,
    evaluator: Option<Evaluator<B>>,
    /// The paired inputs of the first samples, for image-to-image models' grids.
    inputs: Option<Tensor<B, 4>>,
    /// Plain progress lines on standard output (when there is no terminal dashboard).
    progress: Option<std::sync::Mutex<ProgressLines>>,
}

/// One line per `metrics.jsonl` row: the step out of the run's steps, elapsed time, speed, an
/// estimate of the time left, and the row's values (the means over the logging interval).
#[derive(Debug)]
pub struct ProgressLines {
    started: std::time::Instant,
    first_step: usize,
    total_steps: usize,
}

impl ProgressLines {
    /// Lines for a run of `total_steps` generator steps, starting (or resuming) at `first_step`.
    pub fn new(first_step: usize, total_steps: usize) -> Self {
        Self {
            started: std::time::Instant::now(),
            first_step,
            total_steps,
        }
    }

    /// The line of step `step` with the row `means`, `elapsed` seconds after the start.
    pub fn line(&self, step: usize, elapsed: f64, means: &[(&'static str, f64)]) -> String {
        let done = step.saturating_sub(self.first_step);
        let rate = done as f64 / elapsed.max(1e-9);
        let left = self.total_steps.saturating_sub(step);
        let eta = match rate > 0.0 {
            true => duration(left as f64 / rate),
            false => "?".into(),
        };
        let values: Vec<String> = means.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        format!(
            "step {step}/{} ({:.0}%) | {} elapsed, {rate:.2} steps/s, {eta} left | {}",
            self.total_steps,
            100.0 * step as f64 / self.total_steps.max(1) as f64,
            duration(elapsed),
            values.join(", ")
        )
    }
}

/// Seconds as `42s`, `3m05s` or `2h07m`.
fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// The inputs an image-to-image model samples from, `[n, c, h, w]`, cycling through the data
/// when it holds fewer: the paired inputs of the first samples of paired data, else the first
/// samples themselves (a two-domain model maps the first domain to the second).
pub(super) fn first_inputs<B: Backend>(
    data: &Samples,
    n: usize,
    device: &B::Device,
) -> Option<Tensor<B, 4>> {
    if data.is_empty() {
        return None;
    }
    let paired = data.paired.as_deref().unwrap_or(data);
    let [c, h, w] = paired.shape;
    let values: Vec<f32> = (0..n)
        .flat_map(|i| paired.sample(i % paired.len()).iter().copied())
        .collect();
    Some(Tensor::from_data(
        TensorData::new(values, [n, c, h, w]),
        device,
    ))
}

/// The condition of samples `range` of a run's fixed noise: classes `i % classes` for a
/// conditional model, the paired inputs for an image-to-image one.
pub(super) fn condition_of<B: Backend, M: Adversarial<B>>(
    model: &M,
    noise: &Tensor<B, 2>,
    inputs: Option<&Tensor<B, 4>>,
    range: std::ops::Range<usize>,
) -> Condition<B> {
    let device = noise.device();
    let classes = model.classes().map_or(0, |c| c.num_classes());
    let labels = (classes > 0).then(|| {
        let labels: Vec<i64> = range.clone().map(|i| (i % classes) as i64).collect();
        Tensor::<B, 1, Int>::from_data(TensorData::new(labels, [range.len()]), &device)
    });
    let input = inputs
        .filter(|_| model.takes_input())
        .map(|x| x.clone().slice([range.clone()]));
    Condition {
        z: noise.clone().slice([range]),
        labels,
        input,
    }
}

/// What a run needs to evaluate itself: the feature network, the training images' features and
/// fixed noise for the generated side.
struct Evaluator<B: Backend> {
    net: FeatureNet<B>,
    real: Extracted,
    /// The classes of the real images, when the data has labels.
    real_labels: Option<Vec<usize>>,
    noise: Tensor<B, 2>,
    /// The paired inputs of the real images (image-to-image data).
    inputs: Option<Tensor<B, 4>>,
    device: B::Device,
}

impl<B: Backend> Evaluator<B> {
    /// Loads the network named in `config` and extracts the features of the first
    /// `eval_samples` training images (through the feature cache).
    fn new(
        data: &Samples,
        latent_dim: usize,
        config: &TrainingConfig,
        device: &B::Device,
    ) -> Result<Self> {
        if data.kind != SampleKind::Image {
            return Err(Error::Invalid(
                "--eval-every: evaluations compare images; this data holds 2-D points".into(),
            ));
        }
        let net = FeatureNet::by_name(
            &config.eval_features,
            &default_weights_path(),
            device,
            "--eval-features",
        )?;
        let n = config.eval_samples.min(data.len());
        let per = data.sample_len();
        let real =
            PixelSet::from_unit_range(&data.values[..n * per], data.shape, data.source.clone());
        let (real, _) = extract_cached(
            &net,
            &real,
            Some(&default_cache_dir()),
            50,
            device,
            |_, _| {},
        )?;
        Ok(Self {
            net,
            real,
            real_labels: data.labels.as_ref().map(|l| l[..n].to_vec()),
            noise: normal_noise(n, latent_dim, mix_seed(config.seed, 77, 0), device),
            inputs: first_inputs(data, n, device),
            device: device.clone(),
        })
    }
}

impl<B: Backend> RunFiles<B> {
    /// Files for a run of a model with `latent_dim` noise inputs on `data`.
    pub fn new(
        run: &Path,
        data: &Samples,
        latent_dim: usize,
        config: &TrainingConfig,
        device: &B::Device,
    ) -> Self {
        let n = if data.kind == SampleKind::Points {
            config.grid_size.max(1000)
        } else {
            config.grid_size
        };
        let real_points: Vec<[f32; 2]> = match data.kind {
            SampleKind::Points => data
                .take(2000)
                .values
                .chunks(2)
                .map(|c| [c[0], c[1]])
                .collect(),
            SampleKind::Image => Vec::new(),
        };
        let extent = real_points
            .iter()
            .map(|p| p[0].abs().max(p[1].abs()))
            .fold(0.0f32, f32::max)
            * 1.5
            + 0.5;
        Self {
            run: run.to_path_buf(),
            kind: data.kind,
            shape: data.shape,
            noise: normal_noise(n, latent_dim, mix_seed(config.seed, 99, 0), device),
            real_points,
            extent,
            evaluator: None,
            inputs: first_inputs(data, n, device),
            progress: None,
        }
    }

    /// Prints a progress line with each `metrics.jsonl` row (see [`ProgressLines`]).
    pub fn with_progress_lines(mut self, lines: ProgressLines) -> Self {
        self.progress = Some(std::sync::Mutex::new(lines));
        self
    }

    /// Turns on evaluations (see [`TrainingConfig::eval_every`]).
    pub fn with_evaluation(
        mut self,
        data: &Samples,
        latent_dim: usize,
        config: &TrainingConfig,
        device: &B::Device,
    ) -> Result<Self> {
        self.evaluator = Some(Evaluator::new(data, latent_dim, config, device)?);
        Ok(self)
    }

    /// FID and KID of `model`'s samples from the fixed evaluation noise against the training
    /// images, appended to `metrics.jsonl`; `eval.png` redrawn.
    pub fn evaluate<M: Adversarial<B>>(&self, step: usize, model: &M) -> Result<()> {
        let Some(e) = &self.evaluator else {
            return Ok(());
        };
        let n = e.noise.dims()[0];
        let mut values = Vec::with_capacity(n * self.shape.iter().product::<usize>());
        // A conditional model draws sample i from class i % classes (class-balanced).
        for start in (0..n).step_by(250) {
            let end = (start + 250).min(n);
            let condition = condition_of(model, &e.noise, e.inputs.as_ref(), start..end);
            values.extend(
                model
                    .sample(condition)
                    .into_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .expect("f32 samples"),
            );
        }
        let fake = PixelSet::from_unit_range(&values, self.shape, "generated");
        let fake = crate::metrics::evaluate::extract(&e.net, &fake, 50, &e.device, |_, _| {})?;
        let dim = e.real.dim;
        let fid = frechet_distance(
            &GaussianStats::from_features(&e.real.features, dim)?,
            &GaussianStats::from_features(&fake.features, dim)?,
        )?
        .value;
        let kid = kernel_distance(
            &e.real.features,
            &fake.features,
            dim,
            KidOptions {
                subsets: 10,
                ..KidOptions::default()
            },
        )?;
        let mut row = serde_json::Map::new();
        row.insert("step".into(), step.into());
        row.insert("fid".into(), fid.into());
        row.insert("kid".into(), kid.mean.into());
        row.insert("eval_features".into(), e.net.name().into());
        row.insert("eval_samples".into(), n.into());
        if let Some(probs) = &fake.probabilities {
            let classes = probs.len() / n;
            if let Ok(is) = crate::metrics::inception_score(probs, classes, 10) {
                row.insert("is".into(), is.mean.into());
            }
            // A conditional model on the classifier's classes: how often the classifier
            // recognises the class each sample was asked for.
            let conditional = model.classes().filter(|c| c.num_classes() == classes);
            if let Some(conditional) = conditional {
                let predicted: Vec<usize> = probs.chunks(classes).map(argmax).collect();
                if conditional.supervised_classes() {
                    let hits = (0..n).filter(|&i| predicted[i] == i % classes).count();
                    row.insert("class_accuracy".into(), (hits as f64 / n as f64).into());
                    if let Some(real_labels) = &e.real_labels {
                        let fake_labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
                        if let Some(v) =
                            intra_class_fid(&e.real, real_labels, &fake, &fake_labels, classes)?
                        {
                            row.insert("intra_fid".into(), v.into());
                        }
                    }
                } else {
                    // A learned code: how purely each code value maps to one class.
                    let codes: Vec<usize> = (0..n).map(|i| i % classes).collect();
                    let purity = crate::metrics::purity(&codes, &predicted, classes);
                    row.insert("code_purity".into(), purity.into());
                }
            }
        }
        self.append_metrics(row)?;
        self.plot_evaluations()
    }

    /// Appends one JSON line to `metrics.jsonl`.
    fn append_metrics(&self, row: serde_json::Map<String, serde_json::Value>) -> Result<()> {
        let path = self.metrics_path();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        writeln!(file, "{}", serde_json::Value::Object(row)).map_err(|e| Error::io(&path, e))
    }

    /// Redraws `eval.png` (FID over steps) from `metrics.jsonl`.
    fn plot_evaluations(&self) -> Result<()> {
        let Some(text) = self.logged_metrics()? else {
            return Ok(());
        };
        let mut panel = viz::training_panel(&["fid"], &[("run", &text)]);
        panel.title = "FID during training".into();
        viz::line_plot(&panel, "step", &self.run.join("eval.png"))
    }

    /// The text of `metrics.jsonl`, `None` before its first line.
    fn logged_metrics(&self) -> Result<Option<String>> {
        let path = self.metrics_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// `metrics.jsonl` of the run.
    pub fn metrics_path(&self) -> PathBuf {
        self.run.join("metrics.jsonl")
    }

    /// Drops the lines of `metrics.jsonl` after `step` (they came from an interrupted interval
    /// that a resumed run trains again).
    pub fn truncate_after(&self, step: usize) -> Result<()> {
        let path = self.metrics_path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(());
        };
        let kept: String = text
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["step"].as_u64())
                    .is_some_and(|s| s as usize <= step)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&path, kept).map_err(|e| Error::io(&path, e))
    }

    /// Draws `model`'s samples from the fixed noise to `path`.
    pub fn draw<M: Adversarial<B>>(&self, model: &M, title: &str, path: &Path) -> Result<()> {
        let n = self.noise.dims()[0];
        let fake = model.sample(condition_of(model, &self.noise, self.inputs.as_ref(), 0..n));
        // The shape the model draws now: a growing model (ProGAN) draws smaller images than the
        // data's before its last stage.
        let [_, c, h, w] = fake.dims();
        let values: Vec<f32> = fake
            .into_data()
            .convert::<f32>()
            .to_vec()
            .expect("f32 samples");
        match self.kind {
            SampleKind::Image => {
                let n = values.len() / (c * h * w);
                // A conditional model's sample i has class i % classes: one class per column.
                let columns = match model.classes().map_or(0, |c| c.num_classes()) {
                    0 => (n as f64).sqrt().ceil() as usize,
                    classes => classes.min(n),
                };
                viz::image_grid(&values, [c, h, w], columns, path)
            }
            SampleKind::Points => {
                let fake: Vec<[f32; 2]> = values.chunks(2).map(|c| [c[0], c[1]]).collect();
                viz::scatter(&self.real_points, &fake, self.extent, title, path)
            }
        }
    }

    /// Redraws `losses.png` from `metrics.jsonl`: the losses, and under them the mean
    /// discriminator outputs `D(x)`, `D(G(z))` where the run logs them.
    pub fn plot_losses(&self) -> Result<()> {
        // Nothing logged yet (a checkpoint before the first log line): nothing to draw.
        let Some(text) = self.logged_metrics()? else {
            return Ok(());
        };
        let panels: Vec<viz::Panel> = TRAINING_PANELS
            .iter()
            .map(|metrics| viz::training_panel(metrics, &[("run", &text)]))
            .filter(|p| !p.series.is_empty())
            .collect();
        if panels.is_empty() {
            return Ok(());
        }
        viz::stacked_plots(&panels, "step", &self.run.join("losses.png"))
    }
}

impl<B: Backend, M: Adversarial<B>> Hooks<M> for RunFiles<B> {
    fn on_log(&self, step: usize, means: &[(&'static str, f64)]) -> Result<()> {
        let mut row = serde_json::Map::new();
        row.insert("step".into(), step.into());
        for (k, v) in means {
            row.insert((*k).into(), (*v).into());
        }
        self.append_metrics(row)?;
        if let Some(lines) = &self.progress {
            let lines = lines.lock().unwrap();
            let line = lines.line(step, lines.started.elapsed().as_secs_f64(), means);
            // A closed stdout (`burn-gan train ... | head -1`) must not stop training.
            let _ = writeln!(std::io::stdout(), "{line}");
        }
        Ok(())
    }

    fn on_sample(&self, step: usize, model: &M) -> Result<()> {
        let path = self.run.join("samples").join(format!("step-{step:06}.png"));
        self.draw(model, &format!("step {step}"), &path)
    }

    fn on_checkpoint(&self, _step: usize) -> Result<()> {
        self.plot_losses()
    }

    fn on_eval(&self, step: usize, model: &M) -> Result<()> {
        self.evaluate(step, model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_count_steps_and_estimate_the_time_left() {
        let lines = ProgressLines::new(100, 1100);
        let line = lines.line(300, 40.0, &[("loss_d", 0.5), ("loss_g", 1.25)]);
        assert_eq!(
            line,
            "step 300/1100 (27%) | 40s elapsed, 5.00 steps/s, 2m40s left | loss_d 0.5000, loss_g 1.2500"
        );
        assert!(lines.line(100, 0.0, &[]).contains("? left"));
        assert_eq!(duration(7322.0), "2h02m");
    }
}
