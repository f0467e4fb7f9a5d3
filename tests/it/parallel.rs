//! Data-parallel training (`burn_gan::train::parallel`): a phase split over devices computes the
//! gradient of the whole batch. On the CPU backend the "devices" are replicas on the one CPU,
//! which run the same arithmetic as separate devices.

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::{DataSpec, ImageFolderOptions, Samples, Toy};
use burn_gan::train::{fit_on, DataParallel, FitOptions, TrainingConfig};
use burn_gan_backends::AutodiffBackend;
use burn_gan_zoo::dcgan::DcganConfig;
use burn_gan_zoo::gan::GanConfig;

fn parallel(
    devices: usize,
    accumulate: usize,
) -> DataParallel<burn::tensor::Device<AutodiffBackend>> {
    DataParallel::new(vec![burn_gan_backends::device(); devices]).accumulate(accumulate)
}

/// The largest absolute difference between two parameter lists.
fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

/// The losses of every line of a run's metrics.jsonl.
fn losses(run: &std::path::Path) -> Vec<(f64, f64)> {
    crate::common::metrics(run)
        .iter()
        .map(|r| (r["loss_d"].as_f64().unwrap(), r["loss_g"].as_f64().unwrap()))
        .collect()
}

/// Networks without batch statistics (the original GAN's MLPs, no dropout): two and three
/// devices (shares of 22, 21 and 21 samples) train as one device on the whole batch, to float
/// rounding, discriminator and generator phases alike.
#[test]
fn devices_without_batch_statistics_train_as_one_device() {
    let _serial = crate::common::serial();
    let data = Arc::new(Toy::Ring8.samples(2000, 0));
    let config = TrainingConfig {
        steps: 30,
        batch_size: 64,
        d_steps: 2,
        checkpoint_every: 30,
        log_every: 5,
        sample_every: 30,
        seed: 5,
        ..TrainingConfig::default()
    };
    let train = |devices: usize| {
        let device = burn_gan_backends::device();
        AutodiffBackend::seed(&device, 5);
        let model = GanConfig::toy()
            .with_dropout(0.0)
            .init::<AutodiffBackend>(&device);
        let run = crate::common::scratch(&format!("parallel-gan-{devices}"));
        let p = parallel(devices, 1);
        let trained = fit_on(
            model,
            data.clone(),
            &config,
            &run,
            FitOptions::default(),
            &p,
        )
        .unwrap();
        (crate::common::params(&trained), losses(&run))
    };
    let (one, one_losses) = train(1);
    for devices in [2, 3] {
        let (many, many_losses) = train(devices);
        let diff = max_diff(&one, &many);
        assert!(
            diff < 1e-4,
            "{devices} devices: parameters differ by {diff}"
        );
        for ((d1, g1), (d2, g2)) in one_losses.iter().zip(&many_losses) {
            assert!(
                (d1 - d2).abs() < 1e-4 && (g1 - g2).abs() < 1e-4,
                "{devices} devices: losses {d2}/{g2} vs {d1}/{g1}"
            );
        }
    }
}

fn fashion(n: usize) -> Arc<Samples> {
    let data = DataSpec::parse(
        crate::common::shared_data("fashion-mnist")
            .to_str()
            .unwrap(),
    )
    .unwrap()
    .load(&ImageFolderOptions::default())
    .unwrap();
    Arc::new(data.take(n))
}

fn dcgan_config(steps: usize) -> TrainingConfig {
    TrainingConfig {
        steps,
        batch_size: 32,
        checkpoint_every: 2,
        log_every: 1,
        sample_every: 4,
        seed: 3,
        ..TrainingConfig::default()
    }
}

fn dcgan28() -> burn_gan_zoo::dcgan::Dcgan<AutodiffBackend> {
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 3);
    DcganConfig::dcgan28().init(&device)
}

/// Batch norm normalises each share with its own statistics (as PyTorch's DDP does by default):
/// DCGAN on two devices is exactly DCGAN on one device in two micro-batches, and a two-device
/// run stopped at a checkpoint and resumed equals the uninterrupted run, bit for bit.
#[test]
fn dcgan_on_two_devices_equals_two_micro_batches_and_resumes_exactly_in_weights() {
    let _serial = crate::common::serial();
    let data = fashion(512);
    let run = |name: &str, steps: usize, p: DataParallel<_>, resume: Option<usize>| {
        let dir = crate::common::scratch(name);
        let options = FitOptions {
            resume,
            ..FitOptions::default()
        };
        let trained = fit_on(
            dcgan28(),
            data.clone(),
            &dcgan_config(steps),
            &dir,
            options,
            &p,
        )
        .unwrap();
        let generator = crate::common::params(&trained.generator);
        (crate::common::params(&trained), generator, dir)
    };
    let (two, two_g, two_dir) = run("parallel-dcgan-devices", 4, parallel(2, 1), None);
    let (micro, _, micro_dir) = run("parallel-dcgan-micro", 4, parallel(1, 2), None);
    // Weights equal; running statistics differ by design: two devices update them once each
    // (burn's `RunningState` averages the workers'), two micro-batches one after the other.
    let trainable = trainable_mask(&dcgan28());
    assert!(trainable.iter().any(|t| !*t));
    assert_eq!(only(&two, &trainable), only(&micro, &trainable));
    assert_eq!(losses(&two_dir), losses(&micro_dir));
    let (whole, _, _) = run("parallel-dcgan-one", 4, parallel(1, 1), None);
    // The whole batch's statistics differ from the shares': close, not equal.
    let diff = max_diff(&only(&whole, &trainable), &only(&two, &trainable));
    assert!(diff > 0.0 && diff < 0.05, "one device vs two: {diff}");

    // Resume: 2 steps, then 2 more from the checkpoint of step 2.
    let dir = crate::common::scratch("parallel-dcgan-resume");
    let p = parallel(2, 1);
    fit_on(
        dcgan28(),
        data.clone(),
        &dcgan_config(2),
        &dir,
        FitOptions::default(),
        &p,
    )
    .unwrap();
    let options = FitOptions {
        resume: Some(2),
        ..FitOptions::default()
    };
    let resumed = fit_on(dcgan28(), data, &dcgan_config(4), &dir, options, &p).unwrap();
    // Weights, losses and the generator's running statistics are exact. The discriminator's
    // batch norm runs twice a phase (real, then generated samples): burn's `RunningState` merges
    // a thread's second update with whatever other workers have left at that moment, so its
    // running averages (unused in training) vary with thread timing.
    assert_eq!(
        only(&crate::common::params(&resumed), &trainable),
        only(&two, &trainable)
    );
    assert_eq!(crate::common::params(&resumed.generator), two_g);
    assert_eq!(losses(&dir), losses(&two_dir));
}

/// For each float tensor of `model` in visiting order, whether it is a trainable parameter (a
/// batch norm's running statistics are visited as float tensors too, without gradients).
fn trainable_mask<M: burn::module::Module<AutodiffBackend>>(model: &M) -> Vec<bool> {
    struct Mask(Vec<bool>);
    impl burn::module::ModuleVisitor<AutodiffBackend> for Mask {
        fn visit_float<const D: usize>(
            &mut self,
            param: &burn::module::Param<burn::tensor::Tensor<AutodiffBackend, D>>,
        ) {
            self.0.push(param.val().is_require_grad());
        }
    }
    let mut mask = Mask(Vec::new());
    model.visit(&mut mask);
    mask.0
}

/// The entries of `params` where `mask` is true.
fn only(params: &[Vec<f32>], mask: &[bool]) -> Vec<Vec<f32>> {
    assert_eq!(params.len(), mask.len());
    params
        .iter()
        .zip(mask)
        .filter(|(_, m)| **m)
        .map(|(p, _)| p.clone())
        .collect()
}

/// A global batch smaller than the shares it would be split into is refused with the numbers.
#[test]
fn a_batch_smaller_than_the_shares_is_refused() {
    let _serial = crate::common::serial();
    let data = Arc::new(Toy::Ring8.samples(100, 0));
    let config = TrainingConfig {
        steps: 2,
        batch_size: 3,
        ..TrainingConfig::default()
    };
    let device = burn_gan_backends::device();
    let model = GanConfig::toy().init::<AutodiffBackend>(&device);
    let dir = crate::common::scratch("parallel-small-batch");
    let e = fit_on(
        model,
        data,
        &config,
        &dir,
        FitOptions::default(),
        &parallel(2, 2),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--batch 3 cannot be split over 2 devices x 2 micro-batches"),
        "{e}"
    );
}
