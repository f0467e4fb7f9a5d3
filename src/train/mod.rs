//! Training through burn-train's learner.
//!
//! # Design
//!
//! - A model is one burn `Module` holding all its networks (for example `{ g, d }`, or an
//!   encoder, a generator and a discriminator); it implements [`Adversarial`]: its named
//!   networks ([`NetworkId`]) and the parameters each owns, its phase table for a given step
//!   ([`phases`](Adversarial::phases)), each phase's loss ([`phase_loss`](Adversarial::phase_loss))
//!   and sampling from a [`Condition`]. Capabilities only some families have (classes, latent
//!   codes, a classifier head, an encoder, input gradients for penalties) are small traits
//!   offered through accessors. [`impl_train_steps!`](crate::impl_train_steps) connects a model
//!   to burn-train's `TrainStep` and `InferenceStep`.
//! - burn-train's `Learner` holds that module, one [`GanOptimizer`] (one optimizer per network
//!   id, each with its own algorithm and learning rate, from
//!   [`TrainingConfig::optimizers`]) and an [`LrSchedule`] (a multiplier of every rate:
//!   constant or linear decay over the steps).
//! - [`GanStrategy`], a burn-train custom learning strategy, runs the phases of each generator
//!   step through `Learner::train_step` and `Learner::optimizer_step`; a phase keeps only the
//!   gradients of the network it updates. The dashboard (burn-train's terminal UI, or
//!   [`PlainRenderer`] lines when output is not a terminal) shows the loss of each network,
//!   `D(x)` and `D(G(z))`.
//! - A learner epoch is one checkpoint interval; burn-train's checkpointer writes the model,
//!   every network's optimizer and the scheduler through [`AtomicRecorder`], in files named by
//!   the generator step ([`KeepNewestCheckpoints`] keeps the newest), and resume restores them.
//!   Batches and noise derive from the run seed and the global batch index ([`GanLoader`]), so a
//!   resumed run is bit-identical to an uninterrupted one.
//! - [`fit`] wires this together for a run folder; [`RunFiles`] writes `metrics.jsonl`, sample
//!   grids and the loss plot.

mod capabilities;
pub mod checkpoint;
pub mod ema;
mod files;
pub mod history;
pub mod loader;
pub mod metrics;
mod msgpack;
mod objective;
pub mod optim;
mod output;
pub mod parallel;
mod resume;
pub mod run;
pub mod schedule;
pub mod step;
pub mod strategy;

pub use checkpoint::{
    checkpoints, latest_checkpoint, write_atomically, AtomicRecorder, KeepNewestCheckpoints,
};
pub use files::{ProgressLines, RunFiles};
pub use loader::{normal_noise, truncated_normal_noise, GanLoader, SecondStream};
pub use metrics::PlainRenderer;
pub use optim::{gan_optimizers, GanOptimizer, OptimizerConfig};
pub use parallel::DataParallel;
pub use resume::{resumable_checkpoint, Resumable};
pub use run::{
    fit, fit_on, fit_two_domains, fit_with, load_weights, metric_names, metric_points,
    toy_coverage, FitOptions, TrainingConfig, TRAINING_PANELS,
};
pub use schedule::{LrDecay, LrScale, LrSchedule};
pub use step::{
    check_model, gan_phase_loss, network_params_of, train_step, validation_of, Adversarial,
    ClassConditional, ClassifierHead, Condition, DiscriminatorFeatures, Encoder, GanBatch,
    GanNetworks, GanOutput, GanStats, HistoricalAverage, ImageBatch, InputGradients, LatentCodes,
    NetworkId, Objective, Penalty, Phase, StepInfo,
};
pub use strategy::{
    fresh_batches_before, phases_before, step_after_phases, step_batches, GanStrategy, Hooks,
    Schedule, StopFlag,
};
