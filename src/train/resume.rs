//! Which checkpoint a run resumes from: each set is read back before burn-train loads it (its
//! loader panics on a bad file), newest first.

use std::path::Path;

use burn::module::AutodiffModule;
use burn::record::Recorder;
use burn::tensor::backend::AutodiffBackend;

use super::checkpoint::{existing_checkpoint_file, AtomicRecorder};
use super::optim::GanOptimizer;
use super::step::Adversarial;
use crate::{Error, Result};

use super::run::{load_weights, TrainingConfig};

/// Checks that checkpoint `n` of `run` can resume `model`'s training: its weights load into the
/// model, its optimizer holds a state for every network, its learning-rate schedule reads.
pub(super) fn verify_checkpoint<M, B>(
    model: &M,
    optimizer: &GanOptimizer<M, B>,
    run: &Path,
    n: usize,
    device: &B::Device,
) -> Result<()>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Adversarial<B>,
{
    load_weights(model.clone(), run, n, device)?;
    let f = existing_checkpoint_file(run, "scheduler", n)?;
    Recorder::<B>::load::<usize>(&AtomicRecorder::default(), f.clone(), device).map_err(|_| {
        Error::format(
            &f,
            "cannot read this learning-rate schedule checkpoint: it is corrupt",
        )
    })?;
    check_optimizer_record::<M, B>(optimizer, run, n, device)
}

/// The newest checkpoint of `run` that the training of `model` with `config` can resume from
/// (see [`fit`]), and the newer ones it cannot, each with the reason; the error of the newest
/// when none can.
pub fn resumable_checkpoint<B, M>(
    model: &M,
    config: &TrainingConfig,
    run: &Path,
    device: &B::Device,
) -> Result<(usize, Vec<Error>)>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Adversarial<B>,
{
    let optimizer =
        GanOptimizer::<M, B>::new(&model.networks(), &config.optimizers).map_err(Error::Invalid)?;
    let mut skipped = Vec::new();
    for n in super::checkpoint::checkpoints(run) {
        match verify_checkpoint(model, &optimizer, run, n, device) {
            Ok(()) => return Ok((n, skipped)),
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
        .map_err(|_| {
            Error::format(
                &file,
                "cannot read this optimizer checkpoint: it is corrupt, or was written before optimizers were stored by network id (such a run can still sample; train it anew to continue)",
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
