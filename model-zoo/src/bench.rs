//! Throughput and memory benchmarks of the zoo's networks: the measurements behind
//! `burn-gan bench` and the side-by-side comparison with PyTorch (`bench/compare-pytorch.sh`).
//!
//! What is measured, for one model on one backend:
//! - **training**: full training steps exactly as `burn-gan train` runs them (the model's phase
//!   table: for a GAN a discriminator phase on a fresh real batch and fresh noise, then a
//!   generator phase on fresh noise; for VAE/GAN an encoder phase between them; each phase is
//!   forward, backward, the gradient split by network and one optimizer step, and its scalars
//!   are read back, which synchronises the device). Throughput is generated images per
//!   second: `batch * steps / seconds`, after warm-up steps that are not timed.
//! - **sampling**: the generator's forward pass on the inner (non-autodiff) backend, batch 256
//!   by default, the images read back to the host.
//! - **peak resident memory** of the process during each part (Linux: `VmHWM`, reset through
//!   `/proc/self/clear_refs` before each part).
//!
//! Every iteration gets new noise and a new real batch: repeated identical inputs let some
//! backends return cached results and report impossible speeds.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use burn_gan::train::{
    normal_noise, step_batches, train_step, Adversarial, Condition, GanBatch, GanOptimizer,
    ImageBatch, Phase, Schedule, StepInfo, TrainingConfig,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;

use crate::cyclegan::{CycleganConfig, CycleganFamily};
use crate::dcgan::{DcganConfig, DcganFamily};
use crate::gan::{GanConfig, GanFamily};
use crate::pix2pix::{Pix2PixConfig, Pix2PixFamily};
use crate::progan::{ProganConfig, ProganFamily};
use crate::registry::{Family, FamilyVisitor, ModelSpec};
use crate::restore::{RestoreConfig, RestoreFamily};
use crate::srgan::{SrganConfig, SrganFamily};
use crate::vaegan::{VaeganConfig, VaeganFamily};
use burn_gan::restore::Task;

/// The models `burn-gan bench` knows, with the image shape each one generates.
pub const BENCH_MODELS: &[&str] = &[
    "dcgan28",
    "dcgan32",
    "dcgan64",
    "gan-mnist",
    "vaegan28",
    "vae28",
    "progan32",
    "restore-sr2",
    "pix2pix28",
    "cyclegan28",
    "srgan28",
];

/// How long and how large each measurement is.
#[derive(Clone, Debug, Serialize)]
pub struct BenchOptions {
    /// Training batch size.
    pub batch: usize,
    /// Sampling batch size.
    pub sample_batch: usize,
    /// Untimed steps (and sampling batches) before timing.
    pub warmup: usize,
    /// The least number of timed iterations.
    pub min_iters: usize,
    /// Timing stops after the first iteration that ends past this many seconds.
    pub seconds: f64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            batch: 64,
            sample_batch: 256,
            warmup: 2,
            min_iters: 3,
            seconds: 10.0,
        }
    }
}

/// Timings of repeated iterations.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Timed iterations.
    pub iters: usize,
    /// Total seconds of the timed iterations.
    pub seconds: f64,
    /// Median seconds of one iteration.
    pub median_s: f64,
    /// Fastest iteration, in seconds.
    pub min_s: f64,
}

impl Timing {
    fn from_samples(mut samples: Vec<f64>) -> Self {
        let seconds = samples.iter().sum();
        samples.sort_by(f64::total_cmp);
        Self {
            iters: samples.len(),
            seconds,
            median_s: samples[samples.len() / 2],
            min_s: samples[0],
        }
    }
}

/// The results for one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelBench {
    /// Model name.
    pub model: String,
    /// Generated image shape `[c, h, w]`.
    pub image: [usize; 3],
    /// Trainable and buffer values of both networks (burn's `num_params`).
    pub params: usize,
    /// Training batch size.
    pub batch: usize,
    /// Generated images per second over full training steps (D phase + G phase).
    pub train_images_per_s: f64,
    /// Timings of one training step.
    pub train: Timing,
    /// Peak resident memory while training, MiB (`None` where the OS does not say).
    pub train_peak_rss_mib: Option<f64>,
    /// Sampling batch size.
    pub sample_batch: usize,
    /// Images per second from the generator without autodiff.
    pub sample_images_per_s: f64,
    /// Timings of one sampling batch.
    pub sample: Timing,
    /// Peak resident memory while sampling, MiB.
    pub sample_peak_rss_mib: Option<f64>,
}

/// Benchmarks a model of the zoo by name on backend `B` (see [`BENCH_MODELS`]).
pub fn bench_model<B: AutodiffBackend>(
    name: &str,
    options: &BenchOptions,
    device: &B::Device,
) -> Result<ModelBench, String> {
    let (spec, data) = match name {
        "dcgan28" => (
            ModelSpec::of::<DcganFamily>(&DcganConfig::dcgan28()),
            [1, 28, 28],
        ),
        "dcgan32" => (
            ModelSpec::of::<DcganFamily>(&DcganConfig::dcgan32()),
            [3, 32, 32],
        ),
        "dcgan64" => (
            ModelSpec::of::<DcganFamily>(&DcganConfig::dcgan64()),
            [3, 64, 64],
        ),
        "gan-mnist" => (ModelSpec::of::<GanFamily>(&GanConfig::mnist()), [1, 28, 28]),
        "vaegan28" => (
            ModelSpec::of::<VaeganFamily>(&VaeganConfig::new(1, 28)),
            [1, 28, 28],
        ),
        "vae28" => (
            ModelSpec::of::<VaeganFamily>(&VaeganConfig::vae(1, 28)),
            [1, 28, 28],
        ),
        // Grown to 32x32 within the warm-up steps (fade-ins of one image), so that the timed
        // steps train and sample the final resolution.
        "progan32" => (
            ModelSpec::of::<ProganFamily>(
                &ProganConfig::new(3, 32)
                    .with_fade_images(1)
                    .with_stable_images(0)
                    .with_batch_size(options.batch),
            ),
            [3, 32, 32],
        ),
        // Super-resolution x2 of 28x28 images: the inputs are random 14x14 images.
        "restore-sr2" => (
            ModelSpec::of::<RestoreFamily>(&RestoreConfig::new(1)),
            [1, 28, 28],
        ),
        // Edge maps of 28x28 images to images: the inputs are random one-channel images.
        "pix2pix28" => (
            ModelSpec::of::<Pix2PixFamily>(&Pix2PixConfig::new(1)),
            [1, 28, 28],
        ),
        // Two unpaired domains of 28x28 images: both random; translations of random images.
        "cyclegan28" => (
            ModelSpec::of::<CycleganFamily>(&CycleganConfig::new(1, 28, 28)),
            [1, 28, 28],
        ),
        // x4 super-resolution of 28x28 images after pre-training (the adversarial phases and
        // the content network's maps): the inputs are random 7x7 images.
        "srgan28" => (
            ModelSpec::of::<SrganFamily>(&SrganConfig::new(1).with_pretrain_steps(0)),
            [1, 28, 28],
        ),
        _ => {
            return Err(format!(
                "unknown benchmark model `{name}`; available: {}",
                BENCH_MODELS.join(", ")
            ))
        }
    };
    B::seed(device, 1);
    let training = spec.default_training(burn_gan::data::SampleKind::Image)?;
    /// Benchmarks the model of any family.
    struct Bench<'a, B: AutodiffBackend> {
        name: &'a str,
        data: [usize; 3],
        input: Option<[usize; 3]>,
        training: TrainingConfig,
        options: &'a BenchOptions,
        device: &'a B::Device,
    }
    impl<B: AutodiffBackend> FamilyVisitor for Bench<'_, B> {
        type Output = Result<ModelBench, String>;
        fn visit<F: Family>(self, config: F::Config) -> Self::Output {
            let model = F::init_trainable::<B>(&config, self.device);
            run::<B, _>(
                self.name,
                model,
                self.data,
                self.input,
                &self.training,
                self.options,
                self.device,
            )
        }
    }
    // An image-to-image model's inputs: the degraded shape of its task.
    let input = match name {
        "restore-sr2" => Some(Task::Sr2.input_shape(data)),
        "pix2pix28" => Some([Pix2PixConfig::INPUT_CHANNELS, data[1], data[2]]),
        "cyclegan28" => Some(data),
        "srgan28" => Some(Task::Sr4.input_shape(data)),
        _ => None,
    };
    spec.visit(Bench::<B> {
        name,
        data,
        input,
        training,
        options,
        device,
    })?
}

fn run<B, M>(
    name: &str,
    model: M,
    image: [usize; 3],
    input_shape: Option<[usize; 3]>,
    training: &TrainingConfig,
    options: &BenchOptions,
    device: &B::Device,
) -> Result<ModelBench, String>
where
    B: AutodiffBackend,
    M: Adversarial<B> + AutodiffModule<B>,
    M::InnerModule: Adversarial<B::InnerBackend>,
{
    let mut optim = GanOptimizer::<M, B>::new(&model.networks(), &training.optimizers)?;

    let params = model.num_params();
    let latent = model.latent_dim();
    let mut rng = StdRng::seed_from_u64(7);
    let n = options.batch;
    let schedule = Schedule {
        steps: usize::MAX,
        d_steps: training.d_steps,
        checkpoint_every: usize::MAX,
        log_every: usize::MAX,
        sample_every: usize::MAX,
        eval_every: 0,
        seed: 1,
    };

    // ANCHOR: train_loop
    // Training: the phases `burn-gan train` runs (the model's phase table through the same
    // `step_batches`), with the same optimizer and the same reads; real images are random.
    reset_peak_rss();
    let mut model = Some(model);
    let mut index = 0usize;
    let mut step = |rng: &mut StdRng| {
        let m = model
            .take()
            .expect("the model is put back after every step");
        let fresh = || {
            let values: Vec<f32> = (0..n * image.iter().product::<usize>())
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            let real = Tensor::<B, 4>::from_data(
                TensorData::new(values, [n, image[0], image[1], image[2]]),
                device,
            );
            let z = normal_noise(n, latent, index as u64, device);
            // An image-to-image model's inputs: random images of the task's input shape; a
            // two-domain model's second domain: random images of the data's shape.
            let input = input_shape.map(|s| random_images::<B>(n, s, rng, device));
            let second = (name == "cyclegan28").then(|| ImageBatch {
                images: random_images::<B>(n, image, rng, device),
                labels: None,
            });
            GanBatch {
                phase: Phase::DISCRIMINATOR,
                step: StepInfo::default(),
                real,
                labels: None,
                input,
                second,
                z,
                seed: index as u64,
            }
        };
        let mut last = None;
        let batches = step_batches(&m, &schedule, index, &mut last, fresh, || {
            unreachable!("the benchmark's models start each step with a fresh batch")
        });
        index += 1;
        let mut m = m;
        let mut scalars = Vec::new();
        for batch in batches {
            let lr = m.learning_rate_scale(batch.phase.network, &batch.step);
            let output = train_step(&m, batch);
            m = optim.step(lr, m, output.grads);
            scalars.extend(output.item.scalars());
        }
        // One read of every phase's statistics per step: training reads once per log interval,
        // but a timed step must have finished on the device.
        if !scalars.is_empty() {
            let values: Vec<f64> = Tensor::cat(scalars, 0).into_data().iter::<f64>().collect();
            assert!(
                values.iter().all(|v| v.is_finite()),
                "the benchmark's training diverged: {values:?}"
            );
        }
        model = Some(m);
    };
    let train = time(options, || step(&mut rng));
    // ANCHOR_END: train_loop
    let train_peak_rss_mib = peak_rss_mib();

    // Sampling: the generator alone on the inner backend.
    let generator = model.take().expect("model").valid();
    // What the trained model generates (a progressively grown one: its reached resolution).
    let sample_shape = {
        let mut condition = Condition::noise(normal_noise(1, latent, 0, device));
        condition.input =
            input_shape.map(|s| random_images::<B::InnerBackend>(1, s, &mut rng, device));
        let x = generator.sample(condition);
        let [_, c, h, w] = x.dims();
        [c, h, w]
    };
    reset_peak_rss();
    let mut seed = 1_000_000u64;
    let sample = time(options, || {
        seed += 1;
        let z = normal_noise(options.sample_batch, latent, seed, device);
        let mut condition = Condition::noise(z);
        condition.input = input_shape
            .map(|s| random_images::<B::InnerBackend>(options.sample_batch, s, &mut rng, device));
        let images = generator.sample(condition).into_data();
        assert_eq!(
            images.num_elements(),
            options.sample_batch * sample_shape.iter().product::<usize>()
        );
    });
    let sample_peak_rss_mib = peak_rss_mib();

    Ok(ModelBench {
        model: name.to_string(),
        image: sample_shape,
        params,
        batch: n,
        train_images_per_s: (n * train.iters) as f64 / train.seconds,
        train,
        train_peak_rss_mib,
        sample_batch: options.sample_batch,
        sample_images_per_s: (options.sample_batch * sample.iters) as f64 / sample.seconds,
        sample,
        sample_peak_rss_mib,
    })
}

/// `n` images of `shape` with values uniform in `[-1, 1)`.
fn random_images<B: Backend>(
    n: usize,
    [c, h, w]: [usize; 3],
    rng: &mut StdRng,
    device: &B::Device,
) -> Tensor<B, 4> {
    let values: Vec<f32> = (0..n * c * h * w)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    Tensor::from_data(TensorData::new(values, [n, c, h, w]), device)
}

/// Runs `f` `warmup` times untimed, then times it until both `min_iters` and `seconds` are
/// reached.
fn time(options: &BenchOptions, mut f: impl FnMut()) -> Timing {
    for _ in 0..options.warmup {
        f();
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < options.min_iters.max(1)
        || started.elapsed().as_secs_f64() < options.seconds
    {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    Timing::from_samples(samples)
}

/// Resets the kernel's peak-resident-memory mark of this process (Linux 4.0+; a no-op
/// elsewhere).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident memory of this process since the last [`reset_peak_rss`], in MiB
/// (Linux `VmHWM`; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Lets glibc keep freed buffers for reuse instead of returning every large one to the kernel.
///
/// A training step allocates and frees the same multi-megabyte activation and gradient buffers
/// over and over; with glibc's defaults each of them is a fresh `mmap`, so every step pays page
/// faults and the kernel's zeroing of pages (about 10% of a `dcgan28` step on flex in `perf`).
/// Raising the mmap and trim thresholds made `burn-gan bench` train `dcgan28` about 7% faster
/// (153.6 -> 164.1 images/s) at the price of a resident size that does not shrink between steps.
/// All threads share glibc's main arena (`M_ARENA_MAX` 1): the program computes on rayon's
/// threads (`on_compute_thread`), and a thread arena's heap grows only to 64 MiB, so larger
/// buffers (`dcgan64` sampling's activations) fell back to a fresh `mmap` each time; that cost
/// `dcgan64` sampling about 9% until the arena was shared.
/// The `burn-gan` program and the op benchmarks call it first thing, before any other thread
/// exists.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; callers call it before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TB = burn::backend::Autodiff<burn_gan_backends::Backend>;

    #[test]
    fn a_short_benchmark_reports_positive_rates_and_memory() {
        let options = BenchOptions {
            batch: 4,
            sample_batch: 8,
            warmup: 1,
            min_iters: 2,
            seconds: 0.0,
        };
        let r = bench_model::<TB>("gan-mnist", &options, &Default::default()).unwrap();
        assert_eq!(r.image, [1, 28, 28]);
        assert_eq!(r.train.iters, 2);
        assert!(r.train_images_per_s > 0.0 && r.train_images_per_s.is_finite());
        assert!(r.sample_images_per_s > 0.0 && r.sample_images_per_s.is_finite());
        if cfg!(target_os = "linux") {
            assert!(r.train_peak_rss_mib.unwrap() > 1.0);
        }
        // A progressively grown model reaches its final resolution in the warm-up.
        let r = bench_model::<TB>("progan32", &options, &Default::default()).unwrap();
        assert_eq!(r.image, [3, 32, 32]);
        // A model of three networks steps through its whole phase table.
        let r = bench_model::<TB>("vaegan28", &options, &Default::default()).unwrap();
        assert_eq!(r.image, [1, 28, 28]);
        assert!(r.train_images_per_s > 0.0 && r.train_images_per_s.is_finite());
        assert!(bench_model::<TB>("nope", &options, &Default::default())
            .unwrap_err()
            .contains("dcgan28"));
    }
}
