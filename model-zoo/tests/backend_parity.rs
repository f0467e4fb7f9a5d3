//! One training step on the selected backend gives the losses and updated parameters of ndarray,
//! the reference: a DCGAN step (discriminator and generator phases), a VAE/GAN step (its
//! discriminator, encoder and decoder phases), a ProGAN step inside a fade-in (with WGAN-GP's
//! penalty, a gradient of a gradient), a pix2pix step and a CycleGAN step (four networks, two
//! domains, reflection padding, instance norm and the image pools).
//!
//! The selected backend is the one the cargo features pick (burn-gan-backends): flex by default,
//! so `cargo test` checks burn-gan's flex fork; with `--features wgpu` it is wgpu, which on a
//! machine without a GPU runs on Mesa's software Vulkan (`apt-get install -y
//! mesa-vulkan-drivers`). CI runs both:
//! `cargo test --release -p burn-gan-zoo --features wgpu --test backend_parity`.

use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Module, ModuleVisitor, Param};
use burn::optim::Optimizer;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use burn_gan::train::{
    normal_noise, train_step, Adversarial, GanBatch, GanOptimizer, ImageBatch, OptimizerConfig,
    Phase, StepInfo,
};
use burn_gan_zoo::cyclegan::{Cyclegan, CycleganConfig};
use burn_gan_zoo::dcgan::{Dcgan, DcganConfig};
use burn_gan_zoo::pix2pix::{Pix2Pix, Pix2PixConfig};
use burn_gan_zoo::progan::{Progan, ProganConfig};
use burn_gan_zoo::vaegan::{Vaegan, VaeganConfig};

struct Flatten(Vec<f32>);

impl<B: Backend> ModuleVisitor<B> for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.extend(
            param
                .val()
                .into_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .unwrap(),
        );
    }
}

fn flat<B: Backend, M: Module<B>>(m: &M) -> Vec<f32> {
    let mut f = Flatten(Vec::new());
    m.visit(&mut f);
    f.0
}

/// A fixed batch of 16 gray 28x28 images for `phase`, with noise of width `latent` from `seed`.
fn batch<B: Backend>(phase: Phase, seed: u64, latent: usize, device: &B::Device) -> GanBatch<B> {
    let n = 16;
    let real: Vec<f32> = (0..n * 28 * 28)
        .map(|i| ((i * 37 % 255) as f32 / 127.5) - 1.0)
        .collect();
    GanBatch {
        phase,
        step: StepInfo::default(),
        real: Tensor::from_data(TensorData::new(real, [n, 1, 28, 28]), device),
        labels: None,
        z: normal_noise(n, latent, seed, device),
        input: None,
        second: None,
        seed,
    }
}

/// Plain SGD: an update proportional to the gradient keeps backend rounding differences
/// proportional too. (Adam's first step is lr * g / |g|, which turns a gradient of 1e-9 on one
/// backend and -1e-9 on the other into updates of +lr and -lr.)
const SGD: OptimizerConfig = OptimizerConfig::Sgd {
    lr: 0.01,
    momentum: 0.0,
    nesterov: false,
};

/// Runs a discriminator phase then a generator phase; returns the two losses and the parameters.
fn step<B: AutodiffBackend>(model: Dcgan<B>, device: &B::Device) -> (f32, f32, Vec<f32>) {
    let batch = |phase, seed| batch(phase, seed, 100, device);
    let sgd = SGD;
    let mut optim = GanOptimizer::<Dcgan<B>, B>::for_gan(&sgd, &sgd);
    let out = train_step(&model, batch(Phase::DISCRIMINATOR, 1));
    let loss_d = out.item.stats().loss_d.unwrap() as f32;
    let model = optim.step(1.0, model, out.grads);
    let out = train_step(&model, batch(Phase::GENERATOR, 2));
    let loss_g = out.item.stats().loss_g.unwrap() as f32;
    let model = optim.step(1.0, model, out.grads);
    (loss_d, loss_g, flat(&model.valid()))
}

/// The same initial weights on both backends, through a serialised record.
fn load_both<M1, M2>(
    init_cpu: impl Fn(&burn::tensor::Device<Cpu>) -> M1,
    init_gpu: impl Fn(&burn::tensor::Device<Gpu>) -> M2,
) -> (M1, M2)
where
    M1: Module<Cpu>,
    M2: Module<Gpu>,
{
    let (cpu, gpu) = (Default::default(), Default::default());
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let bytes = Recorder::<Cpu>::record(&recorder, init_cpu(&cpu).into_record(), ()).unwrap();
    let record = Recorder::<Cpu>::load(&recorder, bytes.clone(), &cpu).unwrap();
    let model_cpu = init_cpu(&cpu).load_record(record);
    let record = Recorder::<Gpu>::load(&recorder, bytes, &gpu).unwrap();
    let model_gpu = init_gpu(&gpu).load_record(record);
    (model_cpu, model_gpu)
}

/// Asserts that the losses agree to `tolerance` relative and the parameter updates to 1e-3
/// relative (L2), printing both.
fn assert_parity(
    what: &str,
    tolerance: f32,
    losses: [(&str, f32, f32); 3],
    p0: &[f32],
    p_cpu: &[f32],
    p_gpu: &[f32],
) {
    let name = burn_gan_backends::NAME;
    for (loss, cpu, gpu) in losses {
        if loss.is_empty() {
            continue;
        }
        eprintln!("{what} {loss}: ndarray {cpu} {name} {gpu}");
        // f32 kernels differ in summation order.
        assert!(
            (cpu - gpu).abs() < tolerance * cpu.abs(),
            "{what} {loss} {cpu} vs {gpu}"
        );
    }
    // Compare the updates (not only the parameters, which mostly keep their shared start): the
    // relative L2 distance between the two backends' updates.
    let sq = |v: f32| (v as f64) * (v as f64);
    let update: f64 = p_cpu
        .iter()
        .zip(p0)
        .map(|(a, b)| sq(a - b))
        .sum::<f64>()
        .sqrt();
    let diff: f64 = p_cpu
        .iter()
        .zip(p_gpu)
        .map(|(a, b)| sq(a - b))
        .sum::<f64>()
        .sqrt();
    let max_diff = p_cpu
        .iter()
        .zip(p_gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!(
        "{what}: update norm {update:e}; backends differ by {diff:e} (relative {:e}), at most {max_diff:e} per parameter",
        diff / update
    );
    assert!(
        update > 1e-2,
        "{what}: the step barely moved the parameters ({update})"
    );
    // CycleGAN's instance norms divide by the variance of 7x7 maps, which amplifies f32
    // summation-order differences in the backward pass: on wgpu (software Vulkan) its updates
    // differed by 1.8e-3 relative while its losses agreed to 2e-7, so it is held to 5e-3.
    let tolerance = if what == "cyclegan" { 5e-3 } else { 1e-3 };
    assert!(
        diff < tolerance * update,
        "{what}: the updates differ by {:e} relative",
        diff / update
    );
}

type Cpu = Autodiff<NdArray<f32>>;
type Gpu = burn_gan_backends::AutodiffBackend;

/// The tests seed ndarray's global generator: one at a time, so each sees its own seed.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn one_dcgan_step_on_the_selected_backend_matches_ndarray() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("selected backend: {}", burn_gan_backends::NAME);
    let (cpu, gpu) = (Default::default(), Default::default());
    Cpu::seed(&cpu, 5);
    let config = DcganConfig::dcgan28();
    let (model_cpu, model_gpu) = load_both(|d| config.init::<Cpu>(d), |d| config.init::<Gpu>(d));
    let p0 = flat(&model_cpu.valid());
    assert_eq!(p0, flat(&model_gpu.valid()));
    let (d_cpu, g_cpu, p_cpu) = step(model_cpu, &cpu);
    let (d_gpu, g_gpu, p_gpu) = step(model_gpu, &gpu);
    assert_parity(
        "dcgan28",
        1e-4,
        [
            ("loss_d", d_cpu, d_gpu),
            ("loss_g", g_cpu, g_gpu),
            ("", 0.0, 0.0),
        ],
        &p0,
        &p_cpu,
        &p_gpu,
    );
}

/// Runs VAE/GAN's discriminator, encoder and decoder phases with SGD on each network (at a tenth
/// of the DCGAN test's rate: three phases in a row amplify the first one's rounding differences
/// through the discriminator the next two see); returns the three losses and the parameters.
fn vaegan_step<B: AutodiffBackend>(
    mut model: Vaegan<B>,
    device: &B::Device,
) -> ([f32; 3], Vec<f32>) {
    let networks = model.networks();
    let configs = networks
        .iter()
        .map(|n| (n.name().to_string(), SGD.with_lr(1e-3)))
        .collect();
    let mut optim = GanOptimizer::<Vaegan<B>, B>::new(&networks, &configs).unwrap();
    let mut losses = [0.0; 3];
    for (i, phase) in model.phases(&StepInfo::default()).into_iter().enumerate() {
        let out = train_step(&model, batch(phase, 10 + i as u64, 128, device));
        let stats = out.item.stats();
        let values = stats.values();
        let loss = ["loss_d", "loss_e", "loss_g"][i];
        losses[i] = values.iter().find(|(k, _)| *k == loss).unwrap().1 as f32;
        model = optim.step(1.0, model, out.grads);
    }
    (losses, flat(&model.valid()))
}

#[test]
fn one_vaegan_step_on_the_selected_backend_matches_ndarray() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (cpu, gpu) = (Default::default(), Default::default());
    Cpu::seed(&cpu, 6);
    let config = VaeganConfig::new(1, 28);
    let (model_cpu, model_gpu) = load_both(|d| config.init::<Cpu>(d), |d| config.init::<Gpu>(d));
    let p0 = flat(&model_cpu.valid());
    assert_eq!(p0, flat(&model_gpu.valid()));
    let (l_cpu, p_cpu) = vaegan_step(model_cpu, &cpu);
    let (l_gpu, p_gpu) = vaegan_step(model_gpu, &gpu);
    assert_parity(
        "vaegan",
        // The encoder's loss sums 6,272 squared feature differences per image.
        5e-4,
        [
            ("loss_d", l_cpu[0], l_gpu[0]),
            ("loss_e", l_cpu[1], l_gpu[1]),
            ("loss_g", l_cpu[2], l_gpu[2]),
        ],
        &p0,
        &p_cpu,
        &p_gpu,
    );
}

/// A ProGAN step at 16x16 halfway through the fade-in of 16x16 (the critic's gradient penalty
/// included); returns the two losses and the parameters.
fn progan_step<B: AutodiffBackend>(
    mut model: Progan<B>,
    device: &B::Device,
) -> ([f32; 2], Vec<f32>) {
    // Equalised learning rate: weights of unit scale, so a larger step than DCGAN's.
    let sgd = SGD.with_lr(0.1);
    let mut optim = GanOptimizer::<Progan<B>, B>::for_gan(&sgd, &sgd);
    // 16 images per step, 32 stable and 32 fading per stage: step 7 is 16x16 at alpha 0.5.
    let step = StepInfo {
        step: 7,
        steps: 10,
        d_steps: 1,
    };
    assert_eq!(model.stage_at(7).level, 2);
    assert_eq!(model.stage_at(7).alpha, 0.5);
    let real: Vec<f32> = (0..16 * 3 * 16 * 16)
        .map(|i| ((i * 37 % 255) as f32 / 127.5) - 1.0)
        .collect();
    let mut losses = [0.0; 2];
    for (i, phase) in [Phase::DISCRIMINATOR, Phase::GENERATOR]
        .into_iter()
        .enumerate()
    {
        let batch = GanBatch {
            phase,
            step,
            real: Tensor::from_data(TensorData::new(real.clone(), [16, 3, 16, 16]), device),
            labels: None,
            z: normal_noise(16, 32, 20 + i as u64, device),
            input: None,
            second: None,
            seed: 20 + i as u64,
        };
        let out = train_step(&model, batch);
        let stats = out.item.stats();
        losses[i] = stats.loss_d.or(stats.loss_g).unwrap() as f32;
        model = optim.step(1.0, model, out.grads);
    }
    (losses, weights(&model.valid()))
}

/// The networks' weights (not the count of generator updates, equal on both backends).
fn weights<B: Backend>(model: &Progan<B>) -> Vec<f32> {
    let mut w = flat(&model.generator);
    w.extend(flat(&model.discriminator));
    w
}

#[test]
fn one_progan_step_inside_a_fade_in_on_the_selected_backend_matches_ndarray() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (cpu, gpu) = (Default::default(), Default::default());
    Cpu::seed(&cpu, 7);
    let config = ProganConfig::new(3, 16)
        .with_latent_dim(32)
        .with_channels_base(64)
        .with_max_channels(32)
        .with_fade_images(32)
        .with_stable_images(32)
        .with_batch_size(16);
    let (model_cpu, model_gpu) = load_both(|d| config.init::<Cpu>(d), |d| config.init::<Gpu>(d));
    let p0 = weights(&model_cpu.valid());
    assert_eq!(p0, weights(&model_gpu.valid()));
    let (l_cpu, p_cpu) = progan_step(model_cpu, &cpu);
    let (l_gpu, p_gpu) = progan_step(model_gpu, &gpu);
    assert_parity(
        "progan",
        1e-4,
        [
            ("loss_d", l_cpu[0], l_gpu[0]),
            ("loss_g", l_cpu[1], l_gpu[1]),
            ("", 0.0, 0.0),
        ],
        &p0,
        &p_cpu,
        &p_gpu,
    );
}

/// pix2pix's discriminator then generator phase on fixed (edge map, image) pairs with SGD;
/// returns the two losses and the parameters.
fn pix2pix_step<B: AutodiffBackend>(
    mut model: Pix2Pix<B>,
    device: &B::Device,
) -> ([f32; 2], Vec<f32>) {
    let networks = model.networks();
    let configs = networks
        .iter()
        .map(|n| (n.name().to_string(), SGD.with_lr(1e-3)))
        .collect();
    let mut optim = GanOptimizer::<Pix2Pix<B>, B>::new(&networks, &configs).unwrap();
    let mut losses = [0.0; 2];
    for (i, phase) in [Phase::DISCRIMINATOR, Phase::GENERATOR]
        .into_iter()
        .enumerate()
    {
        let mut b = batch(phase, 20 + i as u64, 0, device);
        let edges: Vec<f32> = (0..16 * 28 * 28)
            .map(|i| if i % 7 == 0 { -1.0 } else { 1.0 })
            .collect();
        b.input = Some(Tensor::from_data(
            TensorData::new(edges, [16, 1, 28, 28]),
            device,
        ));
        let out = train_step(&model, b);
        let stats = out.item.stats();
        losses[i] = stats.loss_d.or(stats.loss_g).unwrap() as f32;
        model = optim.step(1.0, model, out.grads);
    }
    (losses, flat(&model.valid()))
}

#[test]
fn one_pix2pix_step_on_the_selected_backend_matches_ndarray() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cpu = Default::default();
    Cpu::seed(&cpu, 7);
    let config = Pix2PixConfig::new(1).with_features(16);
    let (model_cpu, model_gpu) = load_both(|d| config.init::<Cpu>(d), |d| config.init::<Gpu>(d));
    let p0 = flat(&model_cpu.valid());
    assert_eq!(p0, flat(&model_gpu.valid()));
    let (l_cpu, p_cpu) = pix2pix_step(model_cpu, &cpu);
    let (l_gpu, p_gpu) = pix2pix_step(model_gpu, &Default::default());
    assert_parity(
        "pix2pix",
        // The generator's loss is 100 times a mean absolute error.
        5e-4,
        [
            ("loss_d", l_cpu[0], l_gpu[0]),
            ("loss_g", l_cpu[1], l_gpu[1]),
            ("", 0.0, 0.0),
        ],
        &p0,
        &p_cpu,
        &p_gpu,
    );
}

/// CycleGAN's generator then discriminator phase on two fixed domains (the second the first
/// inverted) with SGD; returns the two losses and the parameters (with the image pools).
fn cyclegan_step<B: AutodiffBackend>(
    mut model: Cyclegan<B>,
    device: &B::Device,
) -> ([f32; 2], Vec<f32>) {
    let networks = model.networks();
    let configs = networks
        .iter()
        .map(|n| (n.name().to_string(), SGD.with_lr(1e-3)))
        .collect();
    let mut optim = GanOptimizer::<Cyclegan<B>, B>::new(&networks, &configs).unwrap();
    let mut losses = [0.0; 2];
    for (i, phase) in model.phases(&StepInfo::default()).into_iter().enumerate() {
        let mut b = batch(phase, 30 + i as u64, 0, device);
        b.second = Some(ImageBatch {
            images: b.real.clone().neg(),
            labels: None,
        });
        let out = train_step(&model, b);
        let stats = out.item.stats();
        losses[i] = stats.loss_g.or(stats.loss_d).unwrap() as f32;
        model = optim.step(1.0, model, out.grads);
    }
    (losses, flat(&model.valid()))
}

#[test]
fn one_cyclegan_step_on_the_selected_backend_matches_ndarray() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cpu = Default::default();
    Cpu::seed(&cpu, 7);
    let config = CycleganConfig::new(1, 28, 28)
        .with_features(8)
        .with_blocks(2);
    let (model_cpu, model_gpu) = load_both(|d| config.init::<Cpu>(d), |d| config.init::<Gpu>(d));
    let p0 = flat(&model_cpu.valid());
    assert_eq!(p0, flat(&model_gpu.valid()));
    let (l_cpu, p_cpu) = cyclegan_step(model_cpu, &cpu);
    let (l_gpu, p_gpu) = cyclegan_step(model_gpu, &Default::default());
    assert_parity(
        "cyclegan",
        5e-4,
        [
            ("loss_g", l_cpu[0], l_gpu[0]),
            ("loss_d", l_cpu[1], l_gpu[1]),
            ("", 0.0, 0.0),
        ],
        &p0,
        &p_cpu,
        &p_gpu,
    );
}
