//! Which checkpoint a run resumes from, and at which step: each set is read back before
//! burn-train loads it (its loader panics on a bad file), newest first. The step is read from the
//! set itself, not from its number (the generator step in new folders, the interval in folders
//! written before checkpoints were named by step): it is the step whose phases the
//! learning-rate schedule has counted.

use std::path::Path;

use burn::module::AutodiffModule;
use burn::record::Recorder;
use burn::tensor::backend::AutodiffBackend;

use super::checkpoint::{describe, existing_checkpoint_file, AtomicRecorder};
use super::optim::GanOptimizer;
use super::step::Adversarial;
use super::strategy::step_after_phases;
use crate::{Error, Result};

use super::run::{load_weights, TrainingConfig};

/// Checks that checkpoint `n` of `run` can resume `model`'s training with `config`: its weights
/// load into the model, its optimizer holds a state for every network, its learning-rate
/// schedule reads and counts the phases of a whole number of steps. Returns that number.
pub(super) fn verify_checkpoint<M, B>(
    model: &M,
    optimizer: &GanOptimizer<M, B>,
    config: &TrainingConfig,
    run: &Path,
    n: usize,
    device: &B::Device,
) -> Result<usize>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Adversarial<B>,
{
    load_weights(model.clone(), run, n, device)?;
    let f = existing_checkpoint_file(run, "scheduler", n)?;
    let phases = Recorder::<B>::load::<usize>(&AtomicRecorder::default(), f.clone(), device)
        .map_err(|e| {
            Error::format(
                &f,
                describe(
                    &e,
                    "cannot read this learning-rate schedule checkpoint: it is corrupt",
                ),
            )
        })?;
    check_optimizer_record::<M, B>(optimizer, run, n, device)?;
    // The schedule counts the phases trained: the step the checkpoint was taken after.
    step_after_phases(model, &config.schedule(), phases).ok_or_else(|| {
        Error::format(
            &f,
            format!("{phases} phases do not end a step of this run's phase table: the checkpoint belongs to another run"),
        )
    })
}

/// A checkpoint a run can resume from.
#[derive(Debug)]
pub struct Resumable {
    /// The checkpoint's number.
    pub checkpoint: usize,
    /// The generator steps it was taken after.
    pub step: usize,
    /// The newer checkpoints that cannot be resumed, each with the reason.
    pub skipped: Vec<Error>,
}

/// The newest checkpoint of `run` that the training of `model` with `config` can resume from
/// (see [`fit`](super::fit)), and the newer ones it cannot, each with the reason; the error of
/// the newest when none can.
pub fn resumable_checkpoint<B, M>(
    model: &M,
    config: &TrainingConfig,
    run: &Path,
    device: &B::Device,
) -> Result<Resumable>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Adversarial<B>,
{
    let optimizer =
        GanOptimizer::<M, B>::new(&model.networks(), &config.optimizers).map_err(Error::Invalid)?;
    let mut skipped = Vec::new();
    for n in super::checkpoint::checkpoints(run) {
        match verify_checkpoint(model, &optimizer, config, run, n, device) {
            Ok(step) => {
                return Ok(Resumable {
                    checkpoint: n,
                    step,
                    skipped,
                })
            }
            Err(e) => skipped.push(e),
        }
    }
    match skipped.into_iter().next() {
        Some(newest) => Err(newest),
        None => Err(Error::Invalid(format!(
            "{}: no complete checkpoint to resume from; train without --resume",
            run.display()
        ))),
    }
}

/// Reads optimizer checkpoint `n` of `run` and checks that it holds the state of every network
/// of `optimizer` (burn-train's loader panics on either failure).
fn check_optimizer_record<M, B>(
    optimizer: &GanOptimizer<M, B>,
    run: &Path,
    n: usize,
    device: &B::Device,
) -> Result<()>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Adversarial<B>,
{
    let file = existing_checkpoint_file(run, "optim", n)?;
    type Record<M, B> = <GanOptimizer<M, B> as burn::optim::Optimizer<M, B>>::Record;
    let record = Recorder::<B>::load::<Record<M, B>>(&AtomicRecorder::default(), file.clone(), device)
        .map_err(|e| {
            Error::format(
                &file,
                describe(&e, "cannot read this optimizer checkpoint: it is corrupt, or was written before optimizers were stored by network id (such a run can still sample; train it anew to continue)"),
            )
        })?;
    let ids: Vec<&str> = record.iter().map(|(id, _)| id.as_str()).collect();
    if let Some(missing) = optimizer.missing_state(&ids) {
        return Err(Error::format(
            &file,
            format!(
                "this optimizer checkpoint holds no state for the `{missing}` network (it holds: {})",
                ids.join(", ")
            ),
        ));
    }
    Ok(())
}
