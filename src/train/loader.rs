//! The batch loader for training: deterministic in the run seed and the global batch index, so
//! that a resumed run sees exactly the batches an uninterrupted run would have seen.
//!
//! burn's own `DataLoaderBuilder` shuffles with an RNG that restarts from its seed when the
//! program restarts, so resuming at step N would replay the first epoch's order. Here the order
//! of data epoch `e` is a permutation drawn from `(seed, e)`, and batch `b` of the run is always
//! the same samples, whatever happened before it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use super::step::{GanBatch, ImageBatch, Phase, StepInfo};
use crate::data::Samples;

/// Mixes a seed, a stream tag and an index into one well-spread 64-bit seed (SplitMix64).
pub fn mix_seed(seed: u64, stream: u64, index: u64) -> u64 {
    let mut x = seed
        ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Standard normal noise `[n, dim]` drawn on the CPU from `seed`, identical on every backend.
pub fn normal_noise<B: Backend>(
    n: usize,
    dim: usize,
    seed: u64,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::from_data(normal_values(n, dim, seed), device)
}

/// The values of [`normal_noise`], on the host.
fn normal_values(n: usize, dim: usize, seed: u64) -> TensorData {
    let mut rng = StdRng::seed_from_u64(seed);
    let values: Vec<f32> = (0..n * dim)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    TensorData::new(values, [n, dim])
}

/// The truncation trick (Brock et al. 2019, BigGAN section 3.1): standard normal noise whose
/// entries with `|z| > threshold` are drawn again until they fall inside, i.e. a normal truncated
/// to `[-threshold, threshold]`. Smaller thresholds trade variety for fidelity. An infinite
/// threshold gives exactly [`normal_noise`].
///
/// # Panics
/// If `threshold` is not positive.
pub fn truncated_normal_noise<B: Backend>(
    n: usize,
    dim: usize,
    seed: u64,
    threshold: f32,
    device: &B::Device,
) -> Tensor<B, 2> {
    assert!(
        threshold > 0.0,
        "The truncation threshold must be positive, got {threshold}."
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let values: Vec<f32> = (0..n * dim)
        .map(|_| loop {
            let v: f32 = StandardNormal.sample(&mut rng);
            if v.abs() <= threshold {
                break v;
            }
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [n, dim]), device)
}

/// Random streams of a run, kept apart so that changing one never shifts another.
pub(crate) mod stream {
    pub const SHUFFLE: u64 = 1;
    pub const NOISE: u64 = 2;
    pub const PHASE: u64 = 3;
    pub const VALID: u64 = 4;
    pub const LABELLED: u64 = 5;
    pub const SHARE: u64 = 6;
}

/// Loads training batches in a reproducible order (see the module docs).
///
/// Each call to [`DataLoader::iter`] yields the next `batches_per_iter` batches and advances a
/// shared cursor, which [`GanLoader::cursor`] exposes so the training loop can start a resumed
/// run at the right batch.
///
/// A thread of the iterator assembles the next batches on the host (gathering the shuffled
/// samples, drawing the noise) while the training thread computes, so the training thread only
/// uploads them ([`GanLoader::with_prefetch`]). What a batch holds depends only on its index, so
/// prefetching changes no number.
#[derive(Clone)]
pub struct GanLoader<B: Backend> {
    source: HostSource,
    batches_per_iter: usize,
    cursor: Arc<AtomicUsize>,
    device: B::Device,
    prefetch: usize,
}

/// The host side of a [`GanLoader`]: everything a batch is computed from, shared with its
/// prefetching thread.
#[derive(Clone)]
struct HostSource {
    data: Arc<Samples>,
    batch_size: usize,
    latent_dim: usize,
    seed: u64,
    /// The second stream of every batch: a source and the indices drawn from it.
    second: Option<SecondStream>,
}

/// One batch assembled on the host, ready to upload.
struct HostBatch {
    index: usize,
    real: TensorData,
    labels: Option<TensorData>,
    input: Option<TensorData>,
    second: Option<(TensorData, Option<TensorData>)>,
    z: TensorData,
    seed: u64,
}

impl HostBatch {
    fn upload<B: Backend>(self, device: &B::Device) -> GanBatch<B> {
        let ints = |d: TensorData| Tensor::<B, 1, Int>::from_data(d, device);
        GanBatch {
            phase: Phase::DISCRIMINATOR,
            step: StepInfo::default(),
            real: Tensor::from_data(self.real, device),
            labels: self.labels.map(ints),
            input: self.input.map(|d| Tensor::from_data(d, device)),
            second: self.second.map(|(images, labels)| ImageBatch {
                images: Tensor::from_data(images, device),
                labels: labels.map(ints),
            }),
            z: Tensor::from_data(self.z, device),
            seed: self.seed,
        }
    }
}

/// The batches a [`GanLoader`] assembles ahead of the training thread by default.
pub const PREFETCH: usize = 2;

/// Where the second stream of a batch ([`GanBatch::second`]) comes from.
#[derive(Clone, Debug)]
pub struct SecondStream {
    /// The samples drawn from.
    pub data: Arc<Samples>,
    /// The indices of `data` that may be drawn.
    pub pool: Arc<Vec<usize>>,
}

impl SecondStream {
    /// A labelled subset of the training data (semi-supervised training,
    /// [`labelled_subset`]).
    ///
    /// # Panics
    /// If the data has no labels or `indices` is empty.
    pub fn labelled(data: Arc<Samples>, indices: Vec<usize>) -> Self {
        assert!(
            data.labels.is_some() && !indices.is_empty(),
            "Semi-supervised batches need labelled data and at least one labelled sample."
        );
        Self {
            data,
            pool: Arc::new(indices),
        }
    }

    /// A second, unpaired domain (CycleGAN): all of `data`.
    ///
    /// # Panics
    /// If `data` is empty.
    pub fn domain(data: Arc<Samples>) -> Self {
        assert!(!data.is_empty(), "The second domain holds no samples.");
        let pool = Arc::new((0..data.len()).collect());
        Self { data, pool }
    }
}

impl<B: Backend> GanLoader<B> {
    /// A loader over `data`; incomplete last batches of a data epoch are dropped.
    pub fn new(
        data: Arc<Samples>,
        batch_size: usize,
        latent_dim: usize,
        seed: u64,
        batches_per_iter: usize,
        device: B::Device,
    ) -> Self {
        assert!(batch_size > 0, "The batch size must be at least 1.");
        assert!(
            data.len() >= batch_size,
            "The dataset holds {} samples, fewer than one batch of {batch_size}.",
            data.len()
        );
        Self {
            source: HostSource {
                data,
                batch_size,
                latent_dim,
                seed,
                second: None,
            },
            batches_per_iter,
            cursor: Arc::new(AtomicUsize::new(0)),
            device,
            prefetch: PREFETCH,
        }
    }

    /// Every batch also carries `batch_size` samples drawn with replacement from `second` (a
    /// function of the seed and the batch index, so resume replays them): a labelled subset
    /// ([`SecondStream::labelled`]) or a second domain ([`SecondStream::domain`]).
    pub fn with_second(mut self, second: SecondStream) -> Self {
        self.source.second = Some(second);
        self
    }

    /// How many batches a thread of each iteration assembles ahead of the training thread
    /// (default [`PREFETCH`]); 0 assembles each batch on the training thread when it is asked
    /// for. The batches are the same either way.
    pub fn with_prefetch(mut self, batches: usize) -> Self {
        self.prefetch = batches;
        self
    }

    /// The global index of the next batch; set it to resume.
    pub fn cursor(&self) -> Arc<AtomicUsize> {
        self.cursor.clone()
    }

    /// Complete batches in one pass over the data.
    pub fn batches_per_epoch(&self) -> usize {
        self.source.batches_per_epoch()
    }

    /// Global batch `index` of the run.
    pub fn batch(&self, index: usize) -> GanBatch<B> {
        self.source.batch_at(index, &mut None).upload(&self.device)
    }

    fn batch_of(&self, indices: &[usize], index: usize) -> GanBatch<B> {
        self.source.batch_of(indices, index).upload(&self.device)
    }
}

impl HostSource {
    fn batches_per_epoch(&self) -> usize {
        self.data.len() / self.batch_size
    }

    fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.data.len()).collect();
        let mut rng = StdRng::seed_from_u64(mix_seed(self.seed, stream::SHUFFLE, epoch as u64));
        order.shuffle(&mut rng);
        order
    }

    /// Global batch `index`, with the last data epoch's order kept in `order` between calls.
    fn batch_at(&self, index: usize, order: &mut Option<(usize, Vec<usize>)>) -> HostBatch {
        let per_epoch = self.batches_per_epoch();
        let (epoch, pos) = (index / per_epoch, index % per_epoch);
        if order.as_ref().is_none_or(|(e, _)| *e != epoch) {
            *order = Some((epoch, self.order(epoch)));
        }
        let order = &order.as_ref().unwrap().1;
        let bs = self.batch_size;
        self.batch_of(&order[pos * bs..(pos + 1) * bs], index)
    }

    fn batch_of(&self, indices: &[usize], index: usize) -> HostBatch {
        let n = indices.len();
        let gather = |data: &Samples, indices: &[usize]| {
            let [c, h, w] = data.shape;
            let mut values = Vec::with_capacity(n * c * h * w);
            for &i in indices {
                values.extend_from_slice(data.sample(i));
            }
            TensorData::new(values, [n, c, h, w])
        };
        let classes = |all: &Vec<usize>, indices: &[usize]| {
            let y: Vec<i64> = indices.iter().map(|&i| all[i] as i64).collect();
            TensorData::new(y, [n])
        };
        let batch = index as u64;
        let second = self.second.as_ref().map(|stream| {
            let mut rng = StdRng::seed_from_u64(mix_seed(self.seed, stream::LABELLED, batch));
            let picked: Vec<usize> = (0..n)
                .map(|_| stream.pool[rng.random_range(0..stream.pool.len())])
                .collect();
            let labels = stream.data.labels.as_ref().map(|all| classes(all, &picked));
            (gather(&stream.data, &picked), labels)
        });
        HostBatch {
            index,
            real: gather(&self.data, indices),
            labels: self.data.labels.as_ref().map(|all| classes(all, indices)),
            input: self.data.paired.as_ref().map(|p| gather(p, indices)),
            second,
            z: normal_values(
                n,
                self.latent_dim,
                mix_seed(self.seed, stream::NOISE, batch),
            ),
            seed: mix_seed(self.seed, stream::PHASE, batch),
        }
    }

    /// A thread assembling batches `first..first + count` into a channel holding `ahead - 1`
    /// of them (one more is being assembled); it ends when the receiver is dropped.
    fn spawn(&self, first: usize, count: usize, ahead: usize) -> Prefetch {
        let (tx, rx) = std::sync::mpsc::sync_channel(ahead.saturating_sub(1));
        let source = self.clone();
        let spawned = std::thread::Builder::new()
            .name("burn-gan-loader".into())
            .spawn(move || {
                let mut order = None;
                for index in first..first.saturating_add(count) {
                    if tx.send(source.batch_at(index, &mut order)).is_err() {
                        break;
                    }
                }
            });
        // Without a thread (the system refused one) the batches are assembled on demand.
        Prefetch {
            rx: spawned.ok().map(|_| rx),
            next: first,
        }
    }
}

/// Batches assembled ahead by [`HostSource::spawn`]'s thread, the next one being `next`.
struct Prefetch {
    rx: Option<Receiver<HostBatch>>,
    next: usize,
}

struct GanLoaderIter<'a, B: Backend> {
    loader: &'a GanLoader<B>,
    done: usize,
    order: Option<(usize, Vec<usize>)>,
    ahead: Option<Prefetch>,
}

impl<B: Backend> Iterator for GanLoaderIter<'_, B> {
    type Item = GanBatch<B>;

    fn next(&mut self) -> Option<GanBatch<B>> {
        if self.done == self.loader.batches_per_iter {
            return None;
        }
        self.done += 1;
        let index = self.loader.cursor.fetch_add(1, Ordering::SeqCst);
        // The prefetched batch when it is the one asked for; otherwise (the cursor was moved,
        // the thread is gone) the rest are assembled here.
        let prefetched = self.ahead.as_mut().and_then(|ahead| {
            let batch = (ahead.next == index)
                .then(|| ahead.rx.as_ref()?.recv().ok())
                .flatten()?;
            ahead.next += 1;
            Some(batch)
        });
        let host = match prefetched {
            Some(batch) if batch.index == index => batch,
            _ => {
                self.ahead = None;
                self.loader.source.batch_at(index, &mut self.order)
            }
        };
        Some(host.upload(&self.loader.device))
    }
}

impl<B: Backend> DataLoaderIterator<GanBatch<B>> for GanLoaderIter<'_, B> {
    fn progress(&self) -> Progress {
        Progress::new(self.done, self.loader.batches_per_iter)
    }
}

impl<B: Backend> DataLoader<B, GanBatch<B>> for GanLoader<B> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<GanBatch<B>> + 'a> {
        let ahead = (self.prefetch > 0 && self.batches_per_iter > 0).then(|| {
            self.source.spawn(
                self.cursor.load(Ordering::SeqCst),
                self.batches_per_iter,
                self.prefetch,
            )
        });
        Box::new(GanLoaderIter {
            loader: self,
            done: 0,
            order: None,
            ahead,
        })
    }

    fn num_items(&self) -> usize {
        self.batches_per_iter.saturating_mul(self.source.batch_size)
    }

    fn to_device(&self, device: &B::Device) -> Arc<dyn DataLoader<B, GanBatch<B>>> {
        Arc::new(Self {
            device: device.clone(),
            ..self.clone()
        })
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<B, GanBatch<B>>> {
        Arc::new(Self {
            batches_per_iter: end.saturating_sub(start).div_ceil(self.source.batch_size),
            ..self.clone()
        })
    }
}

/// A fixed validation batch: the first `n` samples with noise drawn from the run seed.
pub fn validation_batch<B: Backend>(
    data: &Samples,
    n: usize,
    latent_dim: usize,
    seed: u64,
    device: &B::Device,
) -> GanBatch<B> {
    let loader = GanLoader::<B>::new(
        Arc::new(data.take(n)),
        n.min(data.len()),
        latent_dim,
        mix_seed(seed, stream::VALID, 0),
        1,
        device.clone(),
    );
    let indices: Vec<usize> = (0..loader.source.batch_size).collect();
    let mut batch = loader.batch_of(&indices, 0);
    // The validation batch's real samples double as its labelled ones (when labelled).
    batch.second = batch.labels.clone().map(|labels| ImageBatch {
        images: batch.real.clone(),
        labels: Some(labels),
    });
    batch
}

/// The labelled subset of semi-supervised training: `count` samples, as equal a number per
/// class as `count` allows (the first `count % classes` classes get one more), each class's
/// taken from a permutation of its samples drawn from `seed`. Errors name what is missing.
pub fn labelled_subset(data: &Samples, count: usize, seed: u64) -> crate::Result<Vec<usize>> {
    let (Some(labels), Some(classes)) = (&data.labels, data.num_classes) else {
        return Err(crate::Error::Invalid(format!(
            "--labelled {count}: {} has no labels; give an IDX images file with its labels file beside it",
            data.source
        )));
    };
    if count == 0 || count > data.len() {
        return Err(crate::Error::Invalid(format!(
            "--labelled {count}: {} holds {} samples; use 1 to {}",
            data.source,
            data.len(),
            data.len()
        )));
    }
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &y) in labels.iter().enumerate() {
        by_class[y].push(i);
    }
    let mut rng = StdRng::seed_from_u64(mix_seed(seed, stream::LABELLED, u64::MAX));
    let mut picked = Vec::with_capacity(count);
    for (k, members) in by_class.iter_mut().enumerate() {
        let want = count / classes + usize::from(k < count % classes);
        if members.len() < want {
            return Err(crate::Error::Invalid(format!(
                "--labelled {count}: class {k} of {} has only {} samples, fewer than the {want} a balanced subset needs",
                data.source,
                members.len()
            )));
        }
        members.shuffle(&mut rng);
        picked.extend_from_slice(&members[..want]);
    }
    picked.sort_unstable();
    Ok(picked)
}

/// A validation "loader" yielding one fixed batch.
#[derive(Clone)]
pub(super) struct FixedLoader<B: Backend> {
    pub(super) batch: GanBatch<B>,
}

impl<B: Backend> DataLoader<B, GanBatch<B>> for FixedLoader<B> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<GanBatch<B>> + 'a> {
        Box::new(FixedIter {
            batch: Some(self.batch.clone()),
        })
    }

    fn num_items(&self) -> usize {
        self.batch.real.dims()[0]
    }

    fn to_device(&self, device: &B::Device) -> Arc<dyn DataLoader<B, GanBatch<B>>> {
        let b = &self.batch;
        Arc::new(Self {
            batch: GanBatch {
                phase: b.phase,
                step: b.step,
                real: b.real.clone().to_device(device),
                labels: b.labels.clone().map(|l| l.to_device(device)),
                input: b.input.clone().map(|x| x.to_device(device)),
                second: b.second.clone().map(|s| ImageBatch {
                    images: s.images.to_device(device),
                    labels: s.labels.map(|l| l.to_device(device)),
                }),
                z: b.z.clone().to_device(device),
                seed: b.seed,
            },
        })
    }

    fn slice(&self, _start: usize, _end: usize) -> Arc<dyn DataLoader<B, GanBatch<B>>> {
        Arc::new(self.clone())
    }
}

struct FixedIter<B: Backend> {
    batch: Option<GanBatch<B>>,
}

impl<B: Backend> Iterator for FixedIter<B> {
    type Item = GanBatch<B>;
    fn next(&mut self) -> Option<GanBatch<B>> {
        self.batch.take()
    }
}

impl<B: Backend> DataLoaderIterator<GanBatch<B>> for FixedIter<B> {
    fn progress(&self) -> Progress {
        Progress::new(usize::from(self.batch.is_none()), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Toy;

    type TB = crate::TestBackend;

    fn loader(per_iter: usize) -> GanLoader<TB> {
        GanLoader::new(
            Arc::new(Toy::Ring8.samples(40, 0)),
            8,
            3,
            7,
            per_iter,
            Default::default(),
        )
    }

    #[test]
    fn truncated_noise_stays_inside_its_threshold() {
        let device = Default::default();
        let z = truncated_normal_noise::<TB>(200, 16, 3, 0.5, &device);
        let v = z.into_data().to_vec::<f64>().unwrap();
        assert!(v.iter().all(|x| x.abs() <= 0.5));
        // Spread over the whole interval, not collapsed to 0.
        assert!(v.iter().any(|x| x.abs() > 0.45));
        let a = truncated_normal_noise::<TB>(4, 3, 9, f32::INFINITY, &device);
        let b = normal_noise::<TB>(4, 3, 9, &device);
        a.into_data().assert_eq(&b.into_data(), true);
    }

    #[test]
    fn iteration_continues_where_the_last_one_stopped() {
        let l = loader(3);
        let first: Vec<_> = l.iter().collect();
        let second: Vec<_> = l.iter().collect();
        assert_eq!((first.len(), second.len()), (3, 3));
        // batch 3 of the run is the first batch of the second iteration (crossing epoch 0 -> 0)
        assert_eq!(second[0].real.to_data(), l.batch(3).real.to_data());
        assert_eq!(second[2].real.to_data(), l.batch(5).real.to_data()); // epoch 1, batch 0
    }

    #[test]
    fn resuming_at_a_cursor_replays_the_same_batches() {
        let a = loader(2);
        let all: Vec<_> = (0..3).flat_map(|_| a.iter().collect::<Vec<_>>()).collect();
        let b = loader(2);
        b.cursor().store(4, Ordering::SeqCst);
        let resumed: Vec<_> = b.iter().collect();
        assert_eq!(resumed[0].real.to_data(), all[4].real.to_data());
        assert_eq!(resumed[1].z.to_data(), all[5].z.to_data());
        assert_eq!(resumed[1].seed, all[5].seed);
    }

    #[test]
    fn prefetched_batches_equal_the_ones_assembled_on_demand() {
        let data = Arc::new(Toy::Ring8.samples(40, 0));
        let second = SecondStream::labelled(data.clone(), (0..40).step_by(3).collect());
        let make = |prefetch| {
            GanLoader::<TB>::new(data.clone(), 8, 3, 7, 4, Default::default())
                .with_second(second.clone())
                .with_prefetch(prefetch)
        };
        let (eager, lazy) = (make(3), make(0));
        // Three iterations cross two data epochs (5 batches each).
        for _ in 0..3 {
            for (a, b) in eager.iter().zip(lazy.iter()) {
                assert_eq!(a.real.to_data(), b.real.to_data());
                assert_eq!(a.z.to_data(), b.z.to_data());
                assert_eq!(a.seed, b.seed);
                assert_eq!(a.labels.unwrap().to_data(), b.labels.unwrap().to_data());
                let (sa, sb) = (a.second.unwrap(), b.second.unwrap());
                assert_eq!(sa.images.to_data(), sb.images.to_data());
            }
        }
        // Moving the cursor inside an iteration: the next batch is the one at the cursor.
        let mut it = eager.iter();
        let first = it.next().unwrap();
        assert_eq!(first.real.to_data(), eager.batch(12).real.to_data());
        eager.cursor().store(2, Ordering::SeqCst);
        let moved: Vec<_> = it.collect();
        assert_eq!(moved.len(), 3);
        for (k, batch) in moved.iter().enumerate() {
            assert_eq!(batch.z.to_data(), eager.batch(2 + k).z.to_data());
        }
        // An iteration dropped early stops its thread; the next starts at the cursor.
        drop(eager.iter().next());
        assert_eq!(eager.cursor().load(Ordering::SeqCst), 6);
        let next = eager.iter().next().unwrap();
        assert_eq!(next.real.to_data(), lazy.batch(6).real.to_data());
    }

    #[test]
    fn an_epoch_visits_every_sample_once() {
        let l = loader(5);
        let mut labels: Vec<i64> = l
            .iter()
            .flat_map(|b| b.labels.unwrap().into_data().to_vec::<i64>().unwrap())
            .collect();
        labels.sort();
        assert_eq!(
            labels,
            (0..40)
                .map(|i| (i % 8) as i64)
                .collect::<Vec<_>>()
                .tap_sort()
        );
    }

    #[test]
    fn labelled_subsets_are_balanced_reproducible_and_checked() {
        let data = Toy::Ring8.samples(400, 0); // 8 classes, 50 each
        let a = labelled_subset(&data, 20, 1).unwrap();
        assert_eq!(a, labelled_subset(&data, 20, 1).unwrap());
        assert_ne!(a, labelled_subset(&data, 20, 2).unwrap());
        let labels = data.labels.clone().unwrap();
        let mut per_class = [0; 8];
        for &i in &a {
            per_class[labels[i]] += 1;
        }
        assert_eq!(per_class, [3, 3, 3, 3, 2, 2, 2, 2]);
        assert!(labelled_subset(&data, 401, 1)
            .unwrap_err()
            .to_string()
            .contains("holds 400"));
        // Labelled batches come from the subset only, and replay on resume.
        let data = Arc::new(data);
        let l = GanLoader::<TB>::new(data.clone(), 16, 3, 7, 1, Default::default())
            .with_second(SecondStream::labelled(data, a.clone()));
        let second = l.batch(5).second.unwrap();
        assert_eq!(second.images.dims(), [16, 2, 1, 1]);
        let y = second.labels.unwrap();
        for label in y.to_data().to_vec::<i64>().unwrap() {
            assert!(a.iter().any(|&i| labels[i] as i64 == label));
        }
        let y2 = l.batch(5).second.unwrap().labels.unwrap();
        assert_eq!(y.to_data(), y2.to_data());
    }

    trait TapSort {
        fn tap_sort(self) -> Self;
    }
    impl TapSort for Vec<i64> {
        fn tap_sort(mut self) -> Self {
            self.sort();
            self
        }
    }
}
