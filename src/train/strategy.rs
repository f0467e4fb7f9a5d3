//! The training loop: a burn-train `SupervisedLearningStrategy` that alternates phases.
//!
//! burn-train 0.21's built-in strategies run one optimizer step per batch and checkpoint at the
//! end of an epoch; their types are private, so a strategy that changes the loop is written
//! against the public `Learner`, `LearningCheckpointer`, `Interrupter` and event processor, as
//! burn's `custom-learning-strategy` example does. [`GanStrategy`] runs, for each generator step,
//! the phases the model asks for (by default `k` discriminator phases, each on a fresh real
//! batch, then one generator phase), each as `learner.train_step` + `learner.optimizer_step`, and
//! feeds every phase's output to the dashboard. The phase table is asked of the model at every
//! step ([`Adversarial::phases`] with the step's [`StepInfo`]), so it may change with training
//! progress; the loader's cursor at any step is a function of the tables of the steps before
//! it, so resume stays exact. A learner "epoch" is one checkpoint interval of
//! `checkpoint_every` generator steps, and the number burn-train's checkpointer files a
//! checkpoint under is the generator step it was taken after (`checkpoint/model-500.mpk`), so
//! burn-train's checkpointing and resume (`SupervisedTraining::checkpoint(step)`) work unchanged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use burn::data::dataloader::Progress;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::train::EventProcessorTraining;
use burn::train::{
    InferenceStep, Learner, LearnerEvent, LearningComponentsMarker, SupervisedLearningStrategy,
    SupervisedTrainingEventProcessor, TrainLoader, TrainStep, TrainingComponents, TrainingItem,
    ValidLoader,
};

use super::loader::{mix_seed, normal_noise, stream, GanLoader};
use super::optim::GanOptimizer;
use super::output::Unread;
use super::parallel::{DataParallel, Engine};
use super::schedule::{LrScale, LrSchedule};
use super::step::{Adversarial, GanBatch, GanOutput, GanStats, Phase, StepInfo};
use crate::{Error, Result};

/// What a run's files record as training goes: called by the loop on the main thread.
pub trait Hooks<M>: Send + Sync {
    /// Every `log_every` steps, with the mean of each statistic over the interval.
    fn on_log(&self, step: usize, means: &[(&'static str, f64)]) -> Result<()>;
    /// Every `sample_every` steps, with the current model in inference mode.
    fn on_sample(&self, step: usize, model: &M) -> Result<()>;
    /// After the checkpoint of generator step `step` was handed to the writer.
    fn on_checkpoint(&self, step: usize) -> Result<()>;
    /// Every `eval_every` steps (when not 0), with the current model in inference mode.
    fn on_eval(&self, _step: usize, _model: &M) -> Result<()> {
        Ok(())
    }
}

/// The schedule of a run, in generator steps.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// Total generator steps.
    pub steps: usize,
    /// Discriminator phases per generator step.
    pub d_steps: usize,
    /// Generator steps per checkpoint (the learner's epoch; its checkpoint is numbered by the
    /// step).
    pub checkpoint_every: usize,
    /// Generator steps per `metrics.jsonl` line.
    pub log_every: usize,
    /// Generator steps per sample grid.
    pub sample_every: usize,
    /// Generator steps per evaluation (0: none).
    pub eval_every: usize,
    /// The run seed.
    pub seed: u64,
}

impl Schedule {
    /// The number of checkpoint intervals (learner epochs).
    pub fn num_epochs(&self) -> usize {
        self.steps.div_ceil(self.checkpoint_every)
    }
}

/// A request to stop training at the end of the step under way, with a checkpoint there: what
/// Ctrl-C and SIGTERM set. Any thread may set it; the training loop reads it after each step.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks training to stop after the step under way.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Alternating GAN training inside burn-train's learner (see the module docs).
pub struct GanStrategy<M, B: burn::tensor::backend::Backend> {
    schedule: Schedule,
    loader: GanLoader<B>,
    hooks: Arc<dyn Hooks<M>>,
    failure: Arc<Mutex<Option<Error>>>,
    lr_scale: LrScale,
    start: Option<usize>,
    stop: StopFlag,
    run: Option<std::path::PathBuf>,
    parallel: Option<DataParallel<B::Device>>,
    _backend: std::marker::PhantomData<fn() -> B>,
}

impl<M, B: burn::tensor::backend::Backend> GanStrategy<M, B> {
    /// A strategy following `schedule`, reading batches through `loader` (a clone of the
    /// learner's training loader: they share its cursor), and reporting to `hooks`. A failure
    /// (divergence, a hook's I/O error) stops training and is left in `failure`.
    pub fn new(
        schedule: Schedule,
        loader: GanLoader<B>,
        hooks: Arc<dyn Hooks<M>>,
        failure: Arc<Mutex<Option<Error>>>,
    ) -> Self {
        Self {
            schedule,
            loader,
            hooks,
            failure,
            lr_scale: LrScale::default(),
            start: None,
            stop: StopFlag::new(),
            run: None,
            parallel: None,
            _backend: std::marker::PhantomData,
        }
    }

    /// The run folder, named in the message of a failed write.
    pub fn in_folder(mut self, run: &std::path::Path) -> Self {
        self.run = Some(run.to_path_buf());
        self
    }

    /// How to continue after a failed write.
    fn resume_hint(&self) -> String {
        let run = self
            .run
            .as_ref()
            .map(|r| r.display().to_string())
            .unwrap_or_else(|| "the run folder".into());
        format!("{run} keeps its earlier checkpoints: free space (or make the folder writable), then continue with `burn-gan train --resume --out {run}`")
    }

    /// Resumes at generator step `step` (the step the resumed checkpoint was taken after).
    pub fn starting_at(mut self, step: usize) -> Self {
        self.start = Some(step);
        self
    }

    /// Stops after the step under way when `stop` is set, with a checkpoint of that step; the
    /// training then ends with [`Error::Stopped`] in the failure slot.
    pub fn with_stop(mut self, stop: StopFlag) -> Self {
        self.stop = stop;
        self
    }

    /// Splits every phase over `parallel`'s devices and micro-batches (see
    /// [`super::parallel`]); the learner's model must be on its main device.
    pub fn on_devices(mut self, parallel: DataParallel<B::Device>) -> Self {
        self.parallel = Some(parallel).filter(DataParallel::is_split);
        self
    }

    /// Sets, before each phase, the model's learning-rate multiplier in `scale` (the handle of
    /// the learner's [`LrSchedule::scale`]).
    pub fn with_lr_scale(mut self, scale: LrScale) -> Self {
        self.lr_scale = scale;
        self
    }
}

/// The message inside a recorder error's debug text (`Recorder error: `Unknown("...")``), or
/// the text itself.
fn recorder_message(text: &str) -> String {
    let inner = text
        .split_once("Unknown(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map(|(inner, _)| inner.replace("\\\"", "\""));
    inner.unwrap_or_else(|| text.to_string())
}

/// The step's [`StepInfo`], the phases of its table that run at it (with their index in the
/// table) and the table's length.
fn run_phases<B: burn::tensor::backend::Backend, M: Adversarial<B>>(
    model: &M,
    s: &Schedule,
    step: usize,
) -> (StepInfo, Vec<(usize, Phase)>, usize) {
    let info = StepInfo {
        step,
        steps: s.steps,
        d_steps: s.d_steps,
    };
    let table = model.phases(&info);
    let len = table.len();
    let running = table
        .into_iter()
        .enumerate()
        .filter(|(_, p)| p.runs_at(step))
        .collect();
    (info, running, len)
}

// ANCHOR: step_batches
/// The batches of step `step`'s phases, in order: for each phase of the model's table that runs
/// at this step, a fresh real batch from `fresh` (remembered in `last`) or, for a phase that
/// does not take fresh data, the last real batch (`recover` recomputes it when `last` is empty,
/// after a resume) with fresh noise and seed drawn from `(seed, step, phase index)`. A phase
/// with a [`batch`](Phase::batch) smaller than the loader's gets the first samples of it. The
/// training strategy and `burn-gan bench` both step through this.
pub fn step_batches<B: burn::tensor::backend::Backend, M: Adversarial<B>>(
    model: &M,
    s: &Schedule,
    step: usize,
    last: &mut Option<GanBatch<B>>,
    mut fresh: impl FnMut() -> GanBatch<B>,
    recover: impl FnOnce() -> GanBatch<B>,
) -> Vec<GanBatch<B>> {
    let (info, phases, table_len) = run_phases(model, s, step);
    let mut recover = Some(recover);
    let mut out = Vec::with_capacity(phases.len());
    for (i, phase) in phases {
        let batch = if phase.takes_fresh_data() {
            let b = fresh();
            *last = Some(b.clone());
            b
        } else {
            // Reuse the last real batch (labels, size) with fresh noise.
            let b = match (last.as_ref(), recover.take()) {
                (Some(b), _) => b.clone(),
                (None, Some(recover)) => {
                    let b = recover();
                    *last = Some(b.clone());
                    b
                }
                (None, None) => unreachable!("`last` is set when `recover` is taken"),
            };
            let [n, dim] = b.z.dims();
            let index = (step * table_len + i) as u64;
            GanBatch {
                z: normal_noise(
                    n,
                    dim,
                    mix_seed(s.seed, stream::PHASE, index),
                    &b.z.device(),
                ),
                seed: mix_seed(s.seed, stream::PHASE + 100, index),
                ..b
            }
        };
        out.push(narrow(GanBatch {
            phase,
            step: info,
            ..batch
        }));
    }
    out
}

/// The first `phase.batch` samples of `batch` (the second stream is left whole).
fn narrow<B: burn::tensor::backend::Backend>(batch: GanBatch<B>) -> GanBatch<B> {
    let n = batch.real.dims()[0];
    let m = batch.phase.batch;
    if m == 0 || m >= n {
        return batch;
    }
    GanBatch {
        real: batch.real.narrow(0, 0, m),
        labels: batch.labels.map(|l| l.narrow(0, 0, m)),
        input: batch.input.map(|x| x.narrow(0, 0, m)),
        z: batch.z.narrow(0, 0, m),
        ..batch
    }
}
// ANCHOR_END: step_batches

/// The step before which the steps ran `phases` phases in all (the first, when steps without
/// phases tie), or `None` when `phases` falls inside a step or past the schedule's end: how a
/// checkpoint's learning-rate schedule, which counts phases, tells the step it was taken after.
pub fn step_after_phases<B: burn::tensor::backend::Backend, M: Adversarial<B>>(
    model: &M,
    s: &Schedule,
    phases: usize,
) -> Option<usize> {
    let mut done = 0;
    for step in 0..=s.steps {
        if done == phases {
            return Some(step);
        }
        if done > phases || step == s.steps {
            return None;
        }
        done += run_phases(model, s, step).1.len();
    }
    None
}

/// The number of phases the steps before `step` ran.
pub fn phases_before<B: burn::tensor::backend::Backend, M: Adversarial<B>>(
    model: &M,
    s: &Schedule,
    step: usize,
) -> usize {
    (0..step).map(|i| run_phases(model, s, i).1.len()).sum()
}

/// The number of fresh real batches the steps before `step` consumed: where the loader's cursor
/// stands when training (re)starts at `step`.
pub fn fresh_batches_before<B: burn::tensor::backend::Backend, M: Adversarial<B>>(
    model: &M,
    s: &Schedule,
    step: usize,
) -> usize {
    (0..step)
        .map(|i| {
            run_phases(model, s, i)
                .1
                .iter()
                .filter(|(_, p)| p.takes_fresh_data())
                .count()
        })
        .sum()
}

/// Sums of statistics over a logging interval.
#[derive(Default)]
struct Running {
    sums: Vec<(&'static str, f64, usize)>,
}

impl Running {
    fn add(&mut self, stats: &GanStats) {
        for (name, v) in stats.values() {
            match self.sums.iter_mut().find(|(n, _, _)| *n == name) {
                Some(slot) => {
                    slot.1 += v;
                    slot.2 += 1;
                }
                None => self.sums.push((name, v, 1)),
            }
        }
    }

    fn take_means(&mut self) -> Vec<(&'static str, f64)> {
        let means = self
            .sums
            .iter()
            .map(|(n, s, c)| (*n, s / *c as f64))
            .collect();
        self.sums.clear();
        means
    }
}

type Components<M, B> = LearningComponentsMarker<B, LrSchedule, M, GanOptimizer<M, B>>;

impl<B, M> SupervisedLearningStrategy<Components<M, B>> for GanStrategy<M::InnerModule, B>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    M::InnerModule: Adversarial<B::InnerBackend>
        + InferenceStep<Input = GanBatch<B::InnerBackend>, Output = GanOutput<B::InnerBackend>>,
{
    fn fit(
        &self,
        components: TrainingComponents<Components<M, B>>,
        mut learner: Learner<Components<M, B>>,
        train: TrainLoader<Components<M, B>>,
        valid: ValidLoader<Components<M, B>>,
        starting_epoch: usize,
    ) -> (M, SupervisedTrainingEventProcessor<Components<M, B>>) {
        let s = self.schedule;
        let mut processor = components.event_processor;
        let mut checkpointer = components.checkpointer;
        let interrupter = components.interrupter;
        // burn-train starts at the epoch after the checkpoint it restored, whose number is a step.
        let mut step = self.start.unwrap_or(starting_epoch - 1);
        let cursor = self.loader.cursor();
        cursor.store(
            fresh_batches_before(&learner.model(), &s, step),
            Ordering::SeqCst,
        );
        let num_epochs = s.num_epochs();
        // burn-train's multi-device engine, when phases are split.
        let engine = self.parallel.clone().map(Engine::<Components<M, B>>::start);
        let fail = |e: Error| {
            interrupter.stop(Some(&e.to_string()));
            *self.failure.lock().unwrap() = Some(e);
        };

        // A learner epoch is the run up to the next multiple of `checkpoint_every` and its
        // checkpoint, numbered by the step it ends at: a stop between two multiples checkpoints
        // its own step, so no set is written over another.
        'epochs: while step < s.steps {
            let epoch = step / s.checkpoint_every + 1;
            let end = ((step / s.checkpoint_every + 1) * s.checkpoint_every).min(s.steps);
            // The dashboard counts generator steps (every phase of step i reports i + 1),
            // as the step numbers of metrics.jsonl do, not the phases within them.
            let first_in_epoch = step;
            let mut loader_iter = train.iter();
            let mut last: Option<GanBatch<B>> = None;
            let mut running = Running::default();
            let mut unread = Unread::<B>::default();
            while step < end {
                // ANCHOR: phase_loop
                let model = learner.model();
                let batches = step_batches(
                    &model,
                    &s,
                    step,
                    &mut last,
                    || {
                        loader_iter
                            .next()
                            .expect("the loader yields one batch per fresh-data phase")
                    },
                    // After a resume the last batch is recomputed: the one the cursor last gave.
                    || {
                        self.loader
                            .batch(cursor.load(Ordering::SeqCst).saturating_sub(1))
                    },
                );
                for batch in batches {
                    // The learning-rate schedule advances once per phase (its length is the
                    // run's number of phases, `phases_before(.., steps)`), scaled by the
                    // model's multiplier for the phase's network at this step.
                    self.lr_scale
                        .set(model.learning_rate_scale(batch.phase.network, &batch.step));
                    learner.lr_step();
                    let (grads, item) = match &engine {
                        Some(engine) => engine.phase(&learner.model(), batch),
                        None => {
                            let output = learner.train_step(batch);
                            (output.grads, output.item)
                        }
                    };
                    learner.optimizer_step(grads);
                    // Read back later, with the other phases' statistics (one device read).
                    unread.push(step + 1, &item);
                    processor.process_train(LearnerEvent::ProcessedItem(TrainingItem::new(
                        item,
                        Progress::new(step + 1 - first_in_epoch, end - first_in_epoch),
                        Progress::new(epoch, num_epochs),
                        Some(step + 1),
                        Some(learner.lr_current()),
                    )));
                }
                step += 1;
                // ANCHOR_END: phase_loop
                // ANCHOR: guard
                // The statistics are read back when something uses them: the log, a picture,
                // an evaluation, the end of the interval (before its checkpoint) or a stop. A
                // non-finite value stops training there, before any checkpoint of the diverged
                // model, naming the step it appeared at.
                let due = |every: usize| every > 0 && step % every == 0;
                if due(s.log_every)
                    || due(s.sample_every)
                    || due(s.eval_every)
                    || step == end
                    || self.stop.requested()
                    || interrupter.should_stop()
                {
                    for (at, stats) in unread.read() {
                        if let Some((what, value)) = stats.first_non_finite() {
                            fail(Error::Diverged {
                                step: at,
                                what: what.to_string(),
                                value,
                            });
                            break 'epochs;
                        }
                        running.add(&stats);
                    }
                }
                // ANCHOR_END: guard
                if step % s.log_every == 0 || step == s.steps {
                    if let Err(e) = self.hooks.on_log(step, &running.take_means()) {
                        fail(e);
                        break 'epochs;
                    }
                }
                if step % s.sample_every == 0 || step == s.steps {
                    if let Err(e) = self.hooks.on_sample(step, &learner.model().valid()) {
                        fail(e);
                        break 'epochs;
                    }
                }
                if s.eval_every > 0 && (step % s.eval_every == 0 || step == s.steps) {
                    if let Err(e) = self.hooks.on_eval(step, &learner.model().valid()) {
                        fail(e);
                        break 'epochs;
                    }
                }
                if interrupter.should_stop() {
                    // Stopped from the dashboard, or a checkpoint could not be written: no
                    // checkpoint of a partial interval.
                    break 'epochs;
                }
                if self.stop.requested() && step < end {
                    // Ctrl-C or SIGTERM: the partial interval's log line and a checkpoint here.
                    if let Err(e) = self.hooks.on_log(step, &running.take_means()) {
                        fail(e);
                        break 'epochs;
                    }
                    if let Some(checkpointer) = &mut checkpointer {
                        checkpointer.checkpoint(&learner, step, &components.event_store);
                    }
                    match self.hooks.on_checkpoint(step) {
                        Ok(()) => fail(Error::Stopped { step }),
                        Err(e) => fail(e),
                    }
                    break 'epochs;
                }
            }
            processor.process_train(LearnerEvent::EndEpoch(epoch));

            let model = learner.model().valid();
            let mut items = valid.iter();
            let mut iteration = 0;
            while let Some(batch) = items.next() {
                iteration += 1;
                let progress = items.progress();
                let output = InferenceStep::step(&model, batch);
                processor.process_valid(LearnerEvent::ProcessedItem(TrainingItem::new(
                    output,
                    progress,
                    Progress::new(epoch, num_epochs),
                    Some(iteration),
                    None,
                )));
            }
            processor.process_valid(LearnerEvent::EndEpoch(epoch));

            if let Some(checkpointer) = &mut checkpointer {
                checkpointer.checkpoint(&learner, step, &components.event_store);
            }
            if let Err(e) = self.hooks.on_checkpoint(step) {
                fail(e);
                break;
            }
            if self.stop.requested() && step < s.steps {
                // The stop came in the interval's last step: its checkpoint is the stop's.
                fail(Error::Stopped { step });
                break;
            }
        }
        // A checkpoint the writer thread could not write (a full disk, an unwritable folder)
        // stops training through the interrupter: say so.
        let mut failure = self.failure.lock().unwrap();
        if failure.is_none() && interrupter.should_stop() {
            if let Some(why) = interrupter
                .get_message()
                .filter(|m| !m.contains("user input"))
            {
                *failure = Some(Error::Invalid(format!(
                    "{}: the checkpoint was not written; {}",
                    recorder_message(&why),
                    self.resume_hint()
                )));
            }
        }
        if let Some(Error::Io { .. }) = &*failure {
            // A file of the run (metrics, a sample grid) could not be written.
            let e = failure.take().expect("matched");
            *failure = Some(Error::Invalid(format!("{e}; {}", self.resume_hint())));
        }
        drop(failure);
        (learner.model(), processor)
    }
}
