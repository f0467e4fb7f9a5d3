//! Data-parallel phases: each phase's batch split into shares, computed on several devices by
//! burn-train's multi-device engine, and one averaged gradient for the optimizer.
//!
//! burn-train's `MultiDeviceLearningStrategy` (with `MultiDeviceOptim::OptimMainDevice`) runs
//! one `TrainStep` per device on its own batch through `MultiDevicesTrainStep` (one worker thread
//! per device, each with a fork of the model), moves every gradient to the main device, sums them
//! with a `GradientsAccumulator` and takes one optimizer step there. Its loop is one optimizer
//! step per batch, so [`GanStrategy`](super::GanStrategy) keeps its own phase loop and calls the
//! same engine for each phase: [`DataParallel::phase`] splits the phase's batch (real images,
//! labels, paired inputs, the second stream and the noise) into one share per device and
//! micro-batch, runs the shares through `MultiDevicesTrainStep`, and accumulates their gradients
//! weighted by share size (the engine's sum of per-share means would be `shares` times too
//! large for plain SGD). The model lives on the main device and is forked to the workers at
//! every phase, so the replicas cannot drift apart: one optimizer step updates the one copy.
//!
//! Batch normalisation uses each share's own statistics, as PyTorch's DistributedDataParallel
//! does by default (synchronised statistics would need a collective inside every forward pass):
//! a run on `N` devices equals a one-device run with `N` micro-batches ([`DataParallel::accumulate`]),
//! and equals a plain one-device run exactly for networks without batch statistics. Running
//! statistics are burn's `RunningState`, which averages the workers' updates; they are committed
//! after each phase on the training thread, so that runs are deterministic.

use burn::data::dataloader::{DataLoaderIterator, Progress};
use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Device, Tensor};
use burn::train::train::MultiDevicesTrainStep;
use burn::train::{LearningComponentsTypes, TrainStep};

use super::loader::{mix_seed, stream};
use super::step::{Adversarial, GanBatch, GanOutput, ImageBatch};

/// Where a run computes: the devices its phases are split over (the first is the main device,
/// which holds the model and the optimizer) and the micro-batches each device computes one
/// after the other per phase.
#[derive(Clone, Debug)]
pub struct DataParallel<D> {
    /// The devices, main device first. CPU backends have one device: naming it `N` times runs
    /// `N` replicas on it (the same arithmetic as `N` devices, without a speed-up).
    pub devices: Vec<D>,
    /// Micro-batches per device and phase (gradient accumulation): 1 computes each device's
    /// share at once.
    pub accumulate: usize,
}

impl<D: Clone> DataParallel<D> {
    /// One device, the whole batch at once: training as without data parallelism.
    pub fn single(device: D) -> Self {
        Self {
            devices: vec![device],
            accumulate: 1,
        }
    }

    /// `devices`, each computing its share at once.
    pub fn new(devices: Vec<D>) -> Self {
        assert!(
            !devices.is_empty(),
            "DataParallel needs at least one device"
        );
        Self {
            devices,
            accumulate: 1,
        }
    }

    /// Each device computes its share in `k` micro-batches.
    pub fn accumulate(mut self, k: usize) -> Self {
        self.accumulate = k.max(1);
        self
    }

    /// The main device: the model, the optimizer and the data loader live there.
    pub fn main(&self) -> &D {
        &self.devices[0]
    }

    /// The number of shares each phase's batch is split into.
    pub fn shares(&self) -> usize {
        self.devices.len() * self.accumulate
    }

    /// Whether phases are split at all.
    pub fn is_split(&self) -> bool {
        self.shares() > 1
    }
}

/// The range of share `i` of `n` samples cut into `shares` shares as equal as possible (the
/// first `n % shares` shares one sample larger).
pub fn share_range(n: usize, shares: usize, i: usize) -> std::ops::Range<usize> {
    let (q, r) = (n / shares, n % shares);
    let start = i * q + i.min(r);
    start..start + q + usize::from(i < r)
}

/// `batch` cut into `shares` shares along the sample axis (fewer when it holds fewer samples).
/// Share 0 keeps the phase seed; share `i > 0` gets its own, so that randomness a phase draws
/// from its seed (gradient-penalty interpolation weights, InfoGAN codes) differs between shares.
/// A second stream is cut the same way when it holds at least `shares` samples, else every share
/// gets all of it.
pub fn split_batch<B: burn::tensor::backend::Backend>(
    batch: GanBatch<B>,
    shares: usize,
) -> Vec<GanBatch<B>> {
    let n = batch.real.dims()[0];
    let shares = shares.clamp(1, n.max(1));
    if shares == 1 {
        return vec![batch];
    }
    let cut4 = |t: &Tensor<B, 4>, r: std::ops::Range<usize>| t.clone().narrow(0, r.start, r.len());
    (0..shares)
        .map(|i| {
            let r = share_range(n, shares, i);
            let second = batch.second.as_ref().map(|s| {
                let m = s.images.dims()[0];
                if m < shares {
                    return s.clone();
                }
                let r2 = share_range(m, shares, i);
                ImageBatch {
                    images: cut4(&s.images, r2.clone()),
                    labels: s.labels.clone().map(|l| l.narrow(0, r2.start, r2.len())),
                }
            });
            GanBatch {
                phase: batch.phase,
                step: batch.step,
                real: cut4(&batch.real, r.clone()),
                labels: batch.labels.clone().map(|l| l.narrow(0, r.start, r.len())),
                input: batch.input.as_ref().map(|x| cut4(x, r.clone())),
                second,
                z: batch.z.clone().narrow(0, r.start, r.len()),
                seed: match i {
                    0 => batch.seed,
                    i => mix_seed(batch.seed, stream::SHARE, i as u64),
                },
            }
        })
        .collect()
}

/// `batch` with every tensor on `device`.
pub fn batch_to_device<B: burn::tensor::backend::Backend>(
    batch: GanBatch<B>,
    device: &Device<B>,
) -> GanBatch<B> {
    GanBatch {
        real: batch.real.to_device(device),
        labels: batch.labels.map(|l| l.to_device(device)),
        input: batch.input.map(|x| x.to_device(device)),
        second: batch.second.map(|s| ImageBatch {
            images: s.images.to_device(device),
            labels: s.labels.map(|l| l.to_device(device)),
        }),
        z: batch.z.to_device(device),
        ..batch
    }
}

/// A data-loader iterator over one share: what burn-train's engine takes from each device.
struct OneShare<T>(Option<T>);

impl<T> Iterator for OneShare<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.0.take()
    }
}

impl<T> DataLoaderIterator<T> for OneShare<T> {
    fn progress(&self) -> Progress {
        Progress::new(usize::from(self.0.is_none()), 1)
    }
}

/// Multiplies the gradients of `module`'s parameters in `grads` by `factor`.
struct ScaleGrads<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for ScaleGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            self.grads
                .register::<B::InnerBackend, D>(param.id, g.mul_scalar(self.factor));
        }
    }
}

/// The gradients in `grads` of `module`'s parameters, times `factor`.
pub fn scale_grads<B: AutodiffBackend, M: Module<B>>(
    module: &M,
    mut grads: GradientsParams,
    factor: f64,
) -> GradientsParams {
    if factor != 1.0 {
        module.visit(&mut ScaleGrads {
            grads: &mut grads,
            factor,
        });
    }
    grads
}

/// The outputs of a phase's shares as one: every statistic the mean over the shares weighted by
/// their sizes (the phase's mean over the whole batch for the losses and `D(x)`), on `device`.
pub fn merge_outputs<B: burn::tensor::backend::Backend>(
    outputs: Vec<GanOutput<B>>,
    device: &Device<B>,
) -> GanOutput<B> {
    let n: usize = outputs.iter().map(|o| o.batch_size).sum();
    let phase = outputs.first().and_then(|o| o.phase);
    let mut merged = GanOutput::new(phase, n);
    let add = |acc: Option<Tensor<B, 1>>, t: Option<Tensor<B, 1>>, w: f64| match (acc, t) {
        (acc, None) => acc,
        (None, Some(t)) => Some(t.to_device(device).mul_scalar(w)),
        (Some(a), Some(t)) => Some(a + t.to_device(device).mul_scalar(w)),
    };
    let mut extra: Vec<(&'static str, Option<Tensor<B, 1>>)> = Vec::new();
    for o in outputs {
        let w = o.batch_size as f64 / n.max(1) as f64;
        merged.loss_d = add(merged.loss_d, o.loss_d, w);
        merged.loss_g = add(merged.loss_g, o.loss_g, w);
        merged.d_real = add(merged.d_real, o.d_real, w);
        merged.d_fake = add(merged.d_fake, o.d_fake, w);
        for (name, t) in o.extra {
            match extra.iter_mut().find(|(k, _)| *k == name) {
                Some(slot) => slot.1 = add(slot.1.take(), Some(t), w),
                None => extra.push((name, add(None, Some(t), w))),
            }
        }
    }
    merged.extra = extra
        .into_iter()
        .filter_map(|(k, t)| t.map(|t| (k, t)))
        .collect();
    merged
}

/// burn-train's multi-device engine with the devices it was started on.
pub struct Engine<LC: LearningComponentsTypes> {
    step: MultiDevicesTrainStep<LC>,
    parallel: DataParallel<Device<LC::Backend>>,
}

impl<LC: LearningComponentsTypes> Engine<LC> {
    /// Starts one worker per device.
    pub fn start(parallel: DataParallel<Device<LC::Backend>>) -> Self {
        Self {
            step: MultiDevicesTrainStep::new(&parallel.devices),
            parallel,
        }
    }
}

impl<B, M, LC> Engine<LC>
where
    B: AutodiffBackend,
    M: Adversarial<B>
        + AutodiffModule<B>
        + TrainStep<Input = GanBatch<B>, Output = GanOutput<B>>
        + 'static,
    LC: LearningComponentsTypes<Backend = B, TrainingModel = M>,
{
    // ANCHOR: phase
    /// One phase on every device: the gradient of the phase's loss over the whole batch (the
    /// shares' gradients weighted by their sizes, on the main device) and the merged output.
    pub fn phase(&self, model: &M, batch: GanBatch<B>) -> (GradientsParams, GanOutput<B>) {
        let devices = &self.parallel.devices;
        let main = self.parallel.main();
        let n = batch.real.dims()[0];
        // Workers fork clones of the model: a lazily initialised parameter must hold its
        // values first, or each clone would draw its own.
        crate::nn::materialize(model);
        let shares = split_batch(batch, self.parallel.shares());
        let mut accumulator = GradientsAccumulator::<M>::new();
        let mut outputs = Vec::with_capacity(shares.len());
        let mut shares = shares.into_iter();
        loop {
            let round: Vec<_> = devices
                .iter()
                .map(|d| shares.next().map(|b| batch_to_device(b, d)))
                .collect();
            if round.iter().all(Option::is_none) {
                break;
            }
            let mut iterators: Vec<Box<dyn DataLoaderIterator<GanBatch<B>>>> = round
                .into_iter()
                .map(|b| Box::new(OneShare(b)) as Box<dyn DataLoaderIterator<GanBatch<B>>>)
                .collect();
            let (mut items, _) = self.step.step(iterators.as_mut_slice(), model);
            // Devices report in the order they finish: sum in device order, so that a run
            // does not depend on timing.
            items.sort_by_key(|item| (item.device.type_id, item.device.index_id));
            for item in items {
                let weight = item.output.item.batch_size as f64 / n as f64;
                let grads = item.output.grads.to_device(main, model);
                accumulator.accumulate(model, scale_grads(model, grads, weight));
                outputs.push(item.output.item);
            }
        }
        // Commit the workers' running statistics (burn's `RunningState` keeps one pending value
        // per thread and averages them when synced) here, on this thread, once every worker is
        // done: a worker syncing them itself would see another's update or not, by timing.
        let _ = model.valid();
        (accumulator.grads(), merge_outputs(outputs, main))
    }
    // ANCHOR_END: phase
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_batch_in_order() {
        for (n, s) in [(64, 2), (65, 2), (7, 3), (3, 3), (10, 4)] {
            let ranges: Vec<_> = (0..s).map(|i| share_range(n, s, i)).collect();
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[s - 1].end, n);
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert!(w[0].len() >= w[1].len() && w[0].len() - w[1].len() <= 1);
            }
        }
    }
}
