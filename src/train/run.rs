//! One call that trains a model into a run folder: [`fit`].
//!
//! A run folder holds `config.json` (written by the caller), `checkpoint/` (model, both
//! optimizers and the scheduler every `checkpoint_every` steps, named by the generator step, the
//! last `keep_checkpoints` kept), `metrics.jsonl` (mean statistics every `log_every` steps),
//! `samples/` (a grid of images, or a scatter plot for 2-D data, from fixed noise every
//! `sample_every` steps) and `losses.png`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::record::Recorder;
use burn::tensor::{backend::AutodiffBackend, backend::Backend, Tensor, TensorData};
use burn::train::metric::IterationSpeedMetric;
use burn::train::{InferenceStep, Learner, SupervisedTraining, TrainStep, TrainingStrategy};
use serde::{Deserialize, Serialize};

use super::checkpoint::{existing_checkpoint_file, AtomicRecorder, KeepNewestCheckpoints};
use super::files::{ProgressLines, RunFiles};
use super::loader::{normal_noise, validation_batch, FixedLoader, GanLoader, SecondStream};
use super::metrics::{DFake, DReal, LossD, LossG, PlainRenderer, StatMetric};
use super::optim::{GanOptimizer, OptimizerConfig};
use super::parallel::DataParallel;
use super::resume::verify_checkpoint;
use super::schedule::{LrDecay, LrSchedule};
use super::step::{check_model, Adversarial, Condition, GanBatch, GanOutput, NetworkId};
use super::strategy::{GanStrategy, Schedule, StopFlag};
use crate::data::{Samples, Toy};
use crate::metrics::{evaluate::Extracted, frechet_distance, GaussianStats};
use crate::{Error, Result};

/// How to train: everything but the model and the data. Saved in `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "TrainingConfigFile")]
pub struct TrainingConfig {
    /// Generator steps.
    pub steps: usize,
    /// Real samples per batch (and generated samples per phase).
    pub batch_size: usize,
    /// Discriminator phases per generator step (`k` in Goodfellow et al. 2014, Algorithm 1).
    pub d_steps: usize,
    /// One optimizer per network id (`generator`, `discriminator`, `encoder`, ...): each with
    /// its own algorithm, hyper-parameters and learning rate. Every network of the model needs
    /// one; an entry naming no network is an error. Configurations written before networks were
    /// named (`optimizer_g`, `optimizer_d`) are read into `generator` and `discriminator`.
    pub optimizers: BTreeMap<String, OptimizerConfig>,
    /// The run seed: initial weights, batch order and noise all derive from it.
    pub seed: u64,
    /// Generator steps between checkpoints.
    pub checkpoint_every: usize,
    /// How many checkpoints to keep.
    pub keep_checkpoints: usize,
    /// Generator steps per line of `metrics.jsonl`.
    pub log_every: usize,
    /// Generator steps between sample grids.
    pub sample_every: usize,
    /// Samples in each grid (or points in each scatter plot).
    pub grid_size: usize,
    /// How the learning rates change over the run.
    #[serde(default)]
    pub lr_decay: LrDecay,
    /// Generator steps between evaluations (FID and KID of generated against training images,
    /// appended to `metrics.jsonl` and drawn in `eval.png`); 0 turns them off.
    #[serde(default)]
    pub eval_every: usize,
    /// The feature network of those evaluations: `inception`, `fashion` or `mnist`.
    #[serde(default = "default_eval_features")]
    pub eval_features: String,
    /// Images on each side of an evaluation.
    #[serde(default = "default_eval_samples")]
    pub eval_samples: usize,
    /// Semi-supervised training: the number of labelled samples (a class-balanced subset drawn
    /// with the run seed, [`crate::train::loader::labelled_subset`]); every batch then also
    /// carries a batch drawn from them, and all of the data serves as unlabelled. 0: off.
    #[serde(default)]
    pub labelled: usize,
}

fn default_eval_features() -> String {
    "inception".into()
}

fn default_eval_samples() -> usize {
    2000
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            steps: 2000,
            batch_size: 64,
            d_steps: 1,
            optimizers: super::optim::gan_optimizers(
                OptimizerConfig::adam(2e-4),
                OptimizerConfig::adam(2e-4),
            ),
            seed: 42,
            checkpoint_every: 500,
            keep_checkpoints: 3,
            log_every: 50,
            sample_every: 500,
            grid_size: 64,
            lr_decay: LrDecay::Constant,
            eval_every: 0,
            eval_features: default_eval_features(),
            eval_samples: default_eval_samples(),
            labelled: 0,
        }
    }
}

/// `config.json` as read: today's fields, plus the two optimizer fields of configurations
/// written before networks were named.
#[derive(Deserialize)]
struct TrainingConfigFile {
    steps: usize,
    batch_size: usize,
    d_steps: usize,
    #[serde(default)]
    optimizers: BTreeMap<String, OptimizerConfig>,
    #[serde(default)]
    optimizer_g: Option<OptimizerConfig>,
    #[serde(default)]
    optimizer_d: Option<OptimizerConfig>,
    seed: u64,
    checkpoint_every: usize,
    keep_checkpoints: usize,
    log_every: usize,
    sample_every: usize,
    grid_size: usize,
    #[serde(default)]
    lr_decay: LrDecay,
    #[serde(default)]
    eval_every: usize,
    #[serde(default = "default_eval_features")]
    eval_features: String,
    #[serde(default = "default_eval_samples")]
    eval_samples: usize,
    #[serde(default)]
    labelled: usize,
}

impl From<TrainingConfigFile> for TrainingConfig {
    fn from(f: TrainingConfigFile) -> Self {
        let mut optimizers = f.optimizers;
        for (id, legacy) in [
            (NetworkId::GENERATOR, f.optimizer_g),
            (NetworkId::DISCRIMINATOR, f.optimizer_d),
        ] {
            if let Some(o) = legacy {
                optimizers.entry(id.name().to_string()).or_insert(o);
            }
        }
        Self {
            steps: f.steps,
            batch_size: f.batch_size,
            d_steps: f.d_steps,
            optimizers,
            seed: f.seed,
            checkpoint_every: f.checkpoint_every,
            keep_checkpoints: f.keep_checkpoints,
            log_every: f.log_every,
            sample_every: f.sample_every,
            grid_size: f.grid_size,
            lr_decay: f.lr_decay,
            eval_every: f.eval_every,
            eval_features: f.eval_features,
            eval_samples: f.eval_samples,
            labelled: f.labelled,
        }
    }
}

impl TrainingConfig {
    /// The optimizer of `network`.
    pub fn optimizer(&self, network: NetworkId) -> Option<&OptimizerConfig> {
        self.optimizers.get(network.name())
    }

    /// Sets the optimizer of `network`.
    pub fn set_optimizer(&mut self, network: NetworkId, optimizer: OptimizerConfig) {
        self.optimizers
            .insert(network.name().to_string(), optimizer);
    }

    /// The optimizer of `network`, to change in place.
    pub fn optimizer_mut(&mut self, network: NetworkId) -> Option<&mut OptimizerConfig> {
        self.optimizers.get_mut(network.name())
    }

    /// Checks that every value is usable, naming the first that is not.
    pub fn validate(&self) -> Result<()> {
        let positive = [
            ("--steps", self.steps),
            ("--batch", self.batch_size),
            ("--d-steps", self.d_steps),
            ("--checkpoint-every", self.checkpoint_every),
            ("--keep-checkpoints", self.keep_checkpoints),
            ("--log-every", self.log_every),
            ("--sample-every", self.sample_every),
            ("--grid", self.grid_size),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(Error::Invalid(format!("{name} must be at least 1, got 0")));
            }
        }
        if self.eval_every > 0 && self.eval_samples < 10 {
            return Err(Error::Invalid(format!(
                "--eval-samples {}: an evaluation needs at least 10 images",
                self.eval_samples
            )));
        }
        for (name, o) in &self.optimizers {
            if !(o.lr().is_finite() && o.lr() > 0.0) {
                return Err(Error::Invalid(format!(
                    "the {name} learning rate must be a positive number, got {}",
                    o.lr()
                )));
            }
        }
        Ok(())
    }

    pub(super) fn schedule(&self) -> Schedule {
        Schedule {
            steps: self.steps,
            d_steps: self.d_steps,
            checkpoint_every: self.checkpoint_every,
            log_every: self.log_every,
            sample_every: self.sample_every,
            eval_every: self.eval_every,
            seed: self.seed,
        }
    }
}

/// Collects the shape of every parameter, to tell whether a checkpoint fits a model.
#[derive(Default)]
struct Shapes(Vec<Vec<usize>>);

impl<B: Backend> ModuleVisitor<B> for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().dims().to_vec());
    }
}

fn shapes<B: Backend, M: Module<B>>(module: &M) -> Vec<Vec<usize>> {
    let mut s = Shapes::default();
    module.visit(&mut s);
    s.0
}

/// Intra-class FID (Miyato and Koyama 2018): the mean over classes of the FID between the real
/// and the generated images of one class. Unlike FID over all images, it sees a conditional
/// generator that draws one image per class (right classes, no variety within them). `None` when
/// some class has fewer than 2 images on either side.
pub fn intra_class_fid(
    real: &Extracted,
    real_labels: &[usize],
    fake: &Extracted,
    fake_labels: &[usize],
    classes: usize,
) -> Result<Option<f64>> {
    let dim = real.dim;
    let rows = |e: &Extracted, labels: &[usize], k: usize| -> Vec<f32> {
        labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == k)
            .flat_map(|(i, _)| e.features[i * dim..(i + 1) * dim].iter().copied())
            .collect()
    };
    let mut total = 0.0;
    for k in 0..classes {
        let (r, f) = (rows(real, real_labels, k), rows(fake, fake_labels, k));
        if r.len() < 2 * dim || f.len() < 2 * dim {
            return Ok(None);
        }
        total += frechet_distance(
            &GaussianStats::from_features(&r, dim)?,
            &GaussianStats::from_features(&f, dim)?,
        )?
        .value;
    }
    Ok(Some(total / classes as f64))
}

/// The groups of metrics that `losses.png` and `burn-gan plot` draw by default, one panel each:
/// the losses, and the mean discriminator outputs `D(x)` and `D(G(z))`, which are probabilities
/// (for the families whose discriminators output logits) and do not share the losses' scale.
pub const TRAINING_PANELS: [&[&str]; 2] = [&["loss_d", "loss_g"], &["d_real", "d_fake"]];

/// The `(step, value)` points of metric `key` in the text of a `metrics.jsonl` (lines without it,
/// or that are not JSON, are skipped).
pub fn metric_points(text: &str, key: &str) -> Vec<(f64, f64)> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|r| Some((r["step"].as_f64()?, r[key].as_f64()?)))
        .collect()
}

/// The names of the metrics logged in the text of a `metrics.jsonl`, sorted, without `step`.
pub fn metric_names(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|r| r.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        .flatten()
        .filter(|k| k != "step")
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Loads the model weights of checkpoint `n` of `run` into `model`, or explains why not (a
/// missing or corrupt file, or a checkpoint of another network).
pub fn load_weights<B: Backend, M: Module<B>>(
    model: M,
    run: &Path,
    n: usize,
    device: &B::Device,
) -> Result<M> {
    let file = existing_checkpoint_file(run, "model", n)?;
    let record = Recorder::<B>::load::<M::Record>(&AtomicRecorder::default(), file.clone(), device)
        .map_err(|e| {
            let first = e
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(160)
                .collect::<String>();
            let otherwise = format!(
                "cannot read this checkpoint: it is corrupt or belongs to another model ({first})"
            );
            Error::format(&file, super::checkpoint::describe(&e, &otherwise))
        })?;
    let expected = shapes(&model);
    let loaded = model.load_record(record);
    if shapes(&loaded) != expected {
        return Err(Error::format(
            &file,
            "this checkpoint belongs to another model (its parameter shapes differ from the configured network)",
        ));
    }
    Ok(loaded)
}

/// Trains `model` on `data` into the run folder `run` and returns the trained model (in
/// inference mode). With `resume = Some(n)`, training restarts from checkpoint `n` (its step):
/// weights, optimizer state, batch order and noise continue where the uninterrupted run would be.
pub fn fit<B, M>(
    model: M,
    data: Arc<Samples>,
    config: &TrainingConfig,
    run: &Path,
    resume: Option<usize>,
    device: &B::Device,
) -> Result<M::InnerModule>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    M::InnerModule: Adversarial<B::InnerBackend>
        + InferenceStep<Input = GanBatch<B::InnerBackend>, Output = GanOutput<B::InnerBackend>>,
{
    fit_with(
        model,
        data,
        config,
        run,
        FitOptions {
            resume,
            ..FitOptions::default()
        },
        device,
    )
}

/// What a training run may take besides its model, data, configuration and folder.
#[derive(Clone, Debug, Default)]
pub struct FitOptions {
    /// The checkpoint to resume from (see [`fit`]).
    pub resume: Option<usize>,
    /// A second, unpaired domain of data (see [`fit_two_domains`]).
    pub domain_b: Option<Arc<Samples>>,
    /// Set from any thread (a Ctrl-C handler) to stop after the step under way with a
    /// checkpoint there; training then returns [`Error::Stopped`].
    pub stop: StopFlag,
}

/// [`fit`] for a model that learns from two unpaired domains (CycleGAN): every batch carries
/// `domain_b`'s samples as its second stream ([`GanBatch::second`]), drawn from the run seed and
/// the batch index. With `domain_b = None` this is [`fit`].
pub fn fit_two_domains<B, M>(
    model: M,
    data: Arc<Samples>,
    domain_b: Option<Arc<Samples>>,
    config: &TrainingConfig,
    run: &Path,
    resume: Option<usize>,
    device: &B::Device,
) -> Result<M::InnerModule>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    M::InnerModule: Adversarial<B::InnerBackend>
        + InferenceStep<Input = GanBatch<B::InnerBackend>, Output = GanOutput<B::InnerBackend>>,
{
    let options = FitOptions {
        resume,
        domain_b,
        ..FitOptions::default()
    };
    fit_with(model, data, config, run, options, device)
}

/// [`fit`] with every option: resume, a second domain, a stop request.
pub fn fit_with<B, M>(
    model: M,
    data: Arc<Samples>,
    config: &TrainingConfig,
    run: &Path,
    options: FitOptions,
    device: &B::Device,
) -> Result<M::InnerModule>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    M::InnerModule: Adversarial<B::InnerBackend>
        + InferenceStep<Input = GanBatch<B::InnerBackend>, Output = GanOutput<B::InnerBackend>>,
{
    let parallel = DataParallel::single(device.clone());
    fit_on(model, data, config, run, options, &parallel)
}

/// [`fit_with`] on several devices, or in micro-batches: every phase's batch is split over
/// `parallel` and its gradients averaged through burn-train's multi-device engine
/// ([`super::parallel`]). `model` must be on `parallel`'s main device.
pub fn fit_on<B, M>(
    model: M,
    data: Arc<Samples>,
    config: &TrainingConfig,
    run: &Path,
    options: FitOptions,
    parallel: &DataParallel<B::Device>,
) -> Result<M::InnerModule>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    M::InnerModule: Adversarial<B::InnerBackend>
        + InferenceStep<Input = GanBatch<B::InnerBackend>, Output = GanOutput<B::InnerBackend>>,
{
    let FitOptions {
        resume,
        domain_b,
        stop,
    } = options;
    config.validate()?;
    let device = parallel.main();
    if config.batch_size < parallel.shares() {
        return Err(Error::Invalid(format!(
            "--batch {} cannot be split over {} devices x {} micro-batches; use a batch of at least {}",
            config.batch_size,
            parallel.devices.len(),
            parallel.accumulate,
            parallel.shares()
        )));
    }
    if data.len() < config.batch_size {
        return Err(Error::Invalid(format!(
            "the dataset {} holds {} samples, fewer than one batch of {}; lower --batch",
            data.source,
            data.len(),
            config.batch_size
        )));
    }
    // Read before anything else touches the parameters: a lazily initialised parameter draws its
    // values when first used, so the order of first uses is part of a run's seed.
    let latent_dim = model.latent_dim();
    check_model(&model).map_err(Error::Invalid)?;
    if model.takes_input() && data.paired.is_none() && domain_b.is_none() {
        return Err(Error::Invalid(format!(
            "{model} maps input images to images, and {} holds no paired inputs",
            data.source
        )));
    }
    let optimizer =
        GanOptimizer::<M, B>::new(&model.networks(), &config.optimizers).map_err(Error::Invalid)?;
    let schedule = config.schedule();
    // burn-train panics on an unreadable checkpoint: check it first, with a clear message.
    let start = match resume {
        Some(n) => {
            let step = verify_checkpoint(&model, &optimizer, config, run, n, device)?;
            if step >= schedule.steps {
                return Err(Error::Invalid(format!(
                    "the run already reached step {step}; pass a larger --steps to train further"
                )));
            }
            Some(step)
        }
        None => None,
    };
    std::fs::create_dir_all(run).map_err(|e| Error::io(run, e))?;

    // The strategy draws every batch itself, so one learner epoch may take any number.
    let mut train = GanLoader::<B>::new(
        data.clone(),
        config.batch_size,
        latent_dim,
        config.seed,
        usize::MAX,
        device.clone(),
    );
    match (&domain_b, config.labelled) {
        (Some(_), l) if l > 0 => {
            return Err(Error::Invalid(
                "--labelled: semi-supervised training takes one domain of data".into(),
            ))
        }
        (Some(b), _) => {
            if b.is_empty() {
                return Err(Error::Invalid(format!(
                    "the second domain {} holds no samples",
                    b.source
                )));
            }
            train = train.with_second(SecondStream::domain(b.clone()));
        }
        (None, 0) => {}
        (None, l) => {
            let subset = super::loader::labelled_subset(&data, l, config.seed)?;
            train = train.with_second(SecondStream::labelled(data.clone(), subset));
        }
    }
    let valid_batch = validation_batch::<B::InnerBackend>(
        &data,
        config.batch_size,
        latent_dim,
        config.seed,
        device,
    );
    let mut valid_batch = valid_batch;
    if let Some(b) = &domain_b {
        // The validation batch's second domain: the first samples of `domain_b`.
        let n = valid_batch.real.dims()[0];
        let [c, h, w] = b.shape;
        let values: Vec<f32> = (0..n)
            .flat_map(|i| b.sample(i % b.len()).iter().copied())
            .collect();
        valid_batch.second = Some(super::step::ImageBatch {
            images: Tensor::from_data(TensorData::new(values, [n, c, h, w]), device),
            labels: None,
        });
    }
    let valid = FixedLoader { batch: valid_batch };

    let mut files = RunFiles::<B::InnerBackend>::new(run, &data, latent_dim, config, device);
    if config.eval_every > 0 {
        files = files.with_evaluation(&data, latent_dim, config, device)?;
    }
    if !PlainRenderer::terminal_available() {
        files = files.with_progress_lines(ProgressLines::new(start.unwrap_or(0), schedule.steps));
    }
    let files = Arc::new(files);
    super::checkpoint::remove_checkpoints_after(run, resume.unwrap_or(0))?;
    if let Some(step) = start {
        files.truncate_after(step)?;
    } else {
        let _ = std::fs::remove_file(files.metrics_path());
    }
    let failure = Arc::new(Mutex::new(None));
    let strategy = GanStrategy::<M::InnerModule, B>::new(
        schedule,
        train.clone(),
        files.clone(),
        failure.clone(),
    );

    // The learning-rate schedule runs over every phase of the run.
    let phases = super::strategy::phases_before(&model, &schedule, schedule.steps);
    // ANCHOR: learner
    let lr = LrSchedule::new(config.lr_decay, phases);
    let mut strategy = strategy
        .with_lr_scale(lr.scale())
        .with_stop(stop)
        .on_devices(parallel.clone())
        .in_folder(run);
    if let Some(step) = start {
        strategy = strategy.starting_at(step);
    }
    let learner = Learner::new(model, optimizer, lr);
    let mut training = SupervisedTraining::new(run, Arc::new(train), Arc::new(valid))
        .metric_train_numeric(StatMetric::<LossD>::default())
        .metric_train_numeric(StatMetric::<LossG>::default())
        .metric_train_numeric(StatMetric::<DReal>::default())
        .metric_train_numeric(StatMetric::<DFake>::default())
        .metric_valid_numeric(StatMetric::<LossD>::default())
        .metric_valid_numeric(StatMetric::<LossG>::default())
        .metric_train(IterationSpeedMetric::new())
        // metrics.jsonl holds the statistics: no `train/`, `valid/` or `experiment.log`.
        .with_metric_logger(super::metrics::NoMetricFiles)
        .with_application_logger(None)
        .with_file_checkpointer(AtomicRecorder::default())
        .with_checkpointing_strategy(KeepNewestCheckpoints::new(config.keep_checkpoints, run))
        .num_epochs(schedule.num_epochs())
        .with_training_strategy(TrainingStrategy::Custom(Arc::new(strategy)));
    if !PlainRenderer::terminal_available() {
        training = training.renderer(PlainRenderer);
    } else if let Some(step) = start {
        // The dashboard takes its starting epoch from the checkpoint number, ours is a step.
        let epochs = Some(step / schedule.checkpoint_every);
        let tui = burn::train::renderer::tui::TuiMetricsRendererWrapper::new(
            training.interrupter(),
            epochs,
        );
        training = training.renderer(tui);
    }
    if let Some(n) = resume {
        training = training.checkpoint(n);
    }
    let result = training.launch(learner);
    // ANCHOR_END: learner
    if let Some(e) = failure.lock().unwrap().take() {
        return Err(e);
    }
    files.plot_losses()?;
    Ok(result.model)
}

/// Mode coverage of a model's samples on a toy distribution (see [`Toy::coverage`]).
pub fn toy_coverage<B: Backend, M: Adversarial<B>>(
    model: &M,
    toy: Toy,
    n: usize,
    seed: u64,
    device: &B::Device,
) -> crate::data::toy::Coverage {
    let z = normal_noise(n, model.latent_dim(), seed, device);
    let values: Vec<f32> = model
        .sample(Condition::noise(z))
        .into_data()
        .convert::<f32>()
        .to_vec()
        .expect("f32 samples");
    let points: Vec<[f32; 2]> = values.chunks(2).map(|c| [c[0], c[1]]).collect();
    toy.coverage(&points, (n / toy.modes().len() / 20).max(1))
}

/// The index of the largest value.
pub(crate) fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
