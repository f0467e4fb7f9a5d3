//! One DCGAN training step on the selected backend gives the losses and updated parameters of
//! ndarray, the reference.
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
    normal_noise, train_step, GanBatch, GanOptimizer, OptimizerConfig, Phase, StepInfo,
};
use burn_gan_zoo::dcgan::{Dcgan, DcganConfig};

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

/// Runs a discriminator phase then a generator phase; returns the two losses and the parameters.
fn step<B: AutodiffBackend>(model: Dcgan<B>, device: &B::Device) -> (f32, f32, Vec<f32>) {
    let n = 16;
    let real: Vec<f32> = (0..n * 28 * 28)
        .map(|i| ((i * 37 % 255) as f32 / 127.5) - 1.0)
        .collect();
    let batch = |phase, seed| GanBatch {
        phase,
        step: StepInfo::default(),
        real: Tensor::from_data(TensorData::new(real.clone(), [n, 1, 28, 28]), device),
        labels: None,
        z: normal_noise(n, 100, seed, device),
        input: None,
        second: None,
        seed,
    };
    // Plain SGD: an update proportional to the gradient keeps backend rounding differences
    // proportional too. (Adam's first step is lr * g / |g|, which turns a gradient of 1e-9 on one
    // backend and -1e-9 on the other into updates of +lr and -lr.)
    let sgd = OptimizerConfig::Sgd {
        lr: 0.01,
        momentum: 0.0,
        nesterov: false,
    };
    let mut optim = GanOptimizer::<Dcgan<B>, B>::for_gan(&sgd, &sgd);
    let out = train_step(&model, batch(Phase::DISCRIMINATOR, 1));
    let loss_d = out.item.stats().loss_d.unwrap() as f32;
    let model = optim.step(1.0, model, out.grads);
    let out = train_step(&model, batch(Phase::GENERATOR, 2));
    let loss_g = out.item.stats().loss_g.unwrap() as f32;
    let model = optim.step(1.0, model, out.grads);
    (loss_d, loss_g, flat(&model.valid()))
}

#[test]
fn one_dcgan_step_on_the_selected_backend_matches_ndarray() {
    type Cpu = Autodiff<NdArray<f32>>;
    type Gpu = burn_gan_backends::AutodiffBackend;
    eprintln!("selected backend: {}", burn_gan_backends::NAME);
    let cpu = Default::default();
    let gpu = Default::default();
    Cpu::seed(&cpu, 5);
    let config = DcganConfig::dcgan28();
    // Same initial weights on both backends, through a serialised record.
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let bytes =
        Recorder::<Cpu>::record(&recorder, config.init::<Cpu>(&cpu).into_record(), ()).unwrap();
    let load = |device| Recorder::<Cpu>::load(&recorder, bytes.clone(), device).unwrap();
    let model_cpu = config.init::<Cpu>(&cpu).load_record(load(&cpu));
    let record = Recorder::<Gpu>::load(&recorder, bytes.clone(), &gpu).unwrap();
    let model_gpu = config.init::<Gpu>(&gpu).load_record(record);
    let p0 = flat(&model_cpu.valid());
    assert_eq!(p0, flat(&model_gpu.valid()));

    let (d_cpu, g_cpu, p_cpu) = step(model_cpu, &cpu);
    let (d_gpu, g_gpu, p_gpu) = step(model_gpu, &gpu);
    let name = burn_gan_backends::NAME;
    eprintln!("loss_d ndarray {d_cpu} {name} {d_gpu}; loss_g ndarray {g_cpu} {name} {g_gpu}");
    // f32 kernels differ in summation order: agreement to 1e-4 relative.
    assert!(
        (d_cpu - d_gpu).abs() < 1e-4 * d_cpu.abs(),
        "loss_d {d_cpu} vs {d_gpu}"
    );
    assert!(
        (g_cpu - g_gpu).abs() < 1e-4 * g_cpu.abs(),
        "loss_g {g_cpu} vs {g_gpu}"
    );
    // Compare the updates (not only the parameters, which mostly keep their shared start): the
    // relative L2 distance between the two backends' updates.
    let sq = |v: f32| (v as f64) * (v as f64);
    let update: f64 = p_cpu
        .iter()
        .zip(&p0)
        .map(|(a, b)| sq(a - b))
        .sum::<f64>()
        .sqrt();
    let diff: f64 = p_cpu
        .iter()
        .zip(&p_gpu)
        .map(|(a, b)| sq(a - b))
        .sum::<f64>()
        .sqrt();
    let max_diff = p_cpu
        .iter()
        .zip(&p_gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!(
        "update norm {update:e}; backends differ by {diff:e} (relative {:e}), at most {max_diff:e} per parameter",
        diff / update
    );
    assert!(
        update > 1e-2,
        "the step barely moved the parameters ({update})"
    );
    assert!(
        diff < 1e-3 * update,
        "the updates differ by {:e} relative",
        diff / update
    );
}
