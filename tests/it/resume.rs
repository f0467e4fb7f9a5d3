//! Resume equivalence: 2N steps in one go equal N steps, a restart from the checkpoint, and N
//! more, bit for bit (same seed, ndarray).

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Toy;
use burn_gan::train::{fit, latest_checkpoint, TrainingConfig};
use burn_gan_backends::AutodiffBackend;
use burn_gan_zoo::gan::GanConfig;

fn config(steps: usize) -> TrainingConfig {
    TrainingConfig {
        steps,
        batch_size: 64,
        d_steps: 2,
        checkpoint_every: 25,
        log_every: 5,
        sample_every: 25,
        seed: 9,
        ..TrainingConfig::default()
    }
}

/// The names of the files in `run`'s checkpoint folder, sorted.
fn checkpoint_files(run: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(run.join("checkpoint"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The files of the checkpoints of `steps`, sorted as [`checkpoint_files`] sorts them.
fn step_files(steps: &[usize]) -> Vec<String> {
    let mut names: Vec<String> = ["model", "optim", "scheduler"]
        .iter()
        .flat_map(|part| steps.iter().map(move |s| format!("{part}-{s}.mpk")))
        .collect();
    names.sort();
    names
}

fn model() -> burn_gan_zoo::gan::Gan<AutodiffBackend> {
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 9);
    GanConfig::toy().with_dropout(0.0).init(&device)
}

#[test]
fn resumed_training_is_identical_to_uninterrupted_training() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(Toy::Ring8.samples(1000, 0));

    let whole = crate::common::scratch("resume-whole");
    let a = fit(model(), data.clone(), &config(50), &whole, None, &device).unwrap();

    let split = crate::common::scratch("resume-split");
    fit(model(), data.clone(), &config(25), &split, None, &device).unwrap();
    // Checkpoints are named by the generator step they were taken after.
    assert_eq!(latest_checkpoint(&split), Some(25));
    // A fresh model: everything must come from the checkpoint.
    let device2 = burn_gan_backends::device();
    AutodiffBackend::seed(&device2, 12345);
    let fresh = GanConfig::toy().init::<AutodiffBackend>(&device2);
    let b = fit(fresh, data, &config(50), &split, Some(25), &device).unwrap();

    assert_eq!(crate::common::params(&a), crate::common::params(&b));
    assert_eq!(latest_checkpoint(&split), Some(50));
    // The metrics of the resumed run continue the first part's without gaps or repeats.
    let steps: Vec<u64> = crate::common::metrics(&split)
        .iter()
        .map(|r| r["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, (1..=10).map(|i| i * 5).collect::<Vec<_>>());
}

/// Progressive growing: a run stopped inside a fade-in and resumed equals the uninterrupted run,
/// every parameter bit for bit (the stage is a function of the step; the model's count of
/// generator updates comes back from the checkpoint).
#[test]
fn progan_resumed_inside_a_fade_in_is_identical() {
    use burn_gan_zoo::progan::ProganConfig;
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(burn_gan::data::shapes::samples(200, 1));
    // 16x16 from 32x32 shapes would need another data shape: grow to 32x32 with small blocks.
    let progan = ProganConfig::new(3, 32)
        .with_latent_dim(16)
        .with_channels_base(32)
        .with_max_channels(16)
        .with_fade_images(8 * 6)
        .with_stable_images(8 * 2)
        .with_batch_size(8)
        .with_batch_sizes(vec![8, 4])
        .with_lr_scales(vec![1.0, 0.5]);
    // Steps 0-1: 4x4 in batches of 8; 2-13: 8x8 fading in, 4 images a step at half the
    // learning rate; the split at step 5 is inside it (alpha 0.25).
    let config = |steps| TrainingConfig {
        steps,
        batch_size: 8,
        checkpoint_every: 5,
        log_every: 1,
        sample_every: 5,
        seed: 3,
        optimizers: burn_gan::train::gan_optimizers(
            burn_gan::train::OptimizerConfig::adam_with_betas(1e-3, 0.0, 0.99),
            burn_gan::train::OptimizerConfig::adam_with_betas(1e-3, 0.0, 0.99),
        ),
        ..TrainingConfig::default()
    };
    let init = |seed| {
        let device = burn_gan_backends::device();
        AutodiffBackend::seed(&device, seed);
        progan.init::<AutodiffBackend>(&device)
    };
    let whole = crate::common::scratch("progan-whole");
    let a = fit(init(4), data.clone(), &config(10), &whole, None, &device).unwrap();
    let split = crate::common::scratch("progan-split");
    let first = fit(init(4), data.clone(), &config(5), &split, None, &device).unwrap();
    let stage = first.stage();
    assert_eq!(
        (stage.level, stage.alpha),
        (1, 0.25),
        "the split is inside the fade-in"
    );
    let b = fit(init(777), data, &config(10), &split, Some(5), &device).unwrap();
    assert_eq!(crate::common::params(&a), crate::common::params(&b));
    assert_eq!(a.stage(), b.stage());
    let levels: Vec<f64> = crate::common::metrics(&split)
        .iter()
        .filter_map(|r| r["level"].as_f64())
        .collect();
    assert_eq!(levels.len(), 10);
    assert_eq!(levels[0], 0.0);
    assert_eq!(levels[9], 1.0);
}

/// A model's learning-rate multiplier reaches the optimizer through the learner: ProGAN with
/// `lr_scales` [0.5] trains exactly as with half the base rate.
#[test]
fn a_models_learning_rate_scale_reaches_the_optimizer() {
    use burn_gan::train::OptimizerConfig;
    use burn_gan_zoo::progan::ProganConfig;
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(burn_gan::data::shapes::samples(64, 1));
    let progan = ProganConfig::new(3, 32)
        .with_latent_dim(16)
        .with_channels_base(32)
        .with_max_channels(16)
        .with_fade_images(16)
        .with_stable_images(16)
        .with_batch_size(8);
    let run = |config: &ProganConfig, lr: f64, name: &str| {
        AutodiffBackend::seed(&device, 5);
        let model = config.init::<AutodiffBackend>(&device);
        let adam = OptimizerConfig::adam_with_betas(lr, 0.0, 0.99);
        let training = TrainingConfig {
            steps: 4,
            batch_size: 8,
            checkpoint_every: 4,
            log_every: 4,
            sample_every: 4,
            seed: 2,
            optimizers: burn_gan::train::gan_optimizers(adam.clone(), adam),
            ..TrainingConfig::default()
        };
        let dir = crate::common::scratch(name);
        crate::common::params(&fit(model, data.clone(), &training, &dir, None, &device).unwrap())
    };
    let scaled = run(&progan.clone().with_lr_scales(vec![0.5]), 1e-3, "lr-scaled");
    let halved = run(&progan, 5e-4, "lr-halved");
    let full = run(&progan, 1e-3, "lr-full");
    assert_eq!(scaled, halved);
    assert_ne!(scaled, full);
}

/// A stop request (what Ctrl-C and SIGTERM set) ends training after the step under way with a
/// checkpoint there, between two regular checkpoints; resuming from it, stopped again and again,
/// ends with the parameters of the uninterrupted run, bit for bit.
#[test]
fn a_run_stopped_between_checkpoints_resumes_exactly() {
    use burn_gan::train::{fit_with, FitOptions, StopFlag};
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(Toy::Ring8.samples(1000, 0));
    let whole = crate::common::scratch("stop-whole");
    let a = fit(model(), data.clone(), &config(50), &whole, None, &device).unwrap();

    let split = crate::common::scratch("stop-split");
    let stop = || {
        let flag = StopFlag::new();
        flag.request();
        flag
    };
    let mut resume = None;
    // Each run stops after its first step: steps 1, 2 and 3 end in checkpoints 1, 2 and 3.
    for expected in 1..=3 {
        let options = FitOptions {
            resume,
            stop: stop(),
            ..FitOptions::default()
        };
        let err = fit_with(model(), data.clone(), &config(50), &split, options, &device)
            .err()
            .expect("the run stops");
        assert!(
            matches!(err, burn_gan::Error::Stopped { step } if step == expected),
            "{err}"
        );
        assert_eq!(latest_checkpoint(&split), Some(expected));
        resume = latest_checkpoint(&split);
    }
    let options = FitOptions {
        resume,
        ..FitOptions::default()
    };
    let b = fit_with(model(), data, &config(50), &split, options, &device).unwrap();
    assert_eq!(crate::common::params(&a), crate::common::params(&b));
    // The regular checkpoints of steps 25 and 50 follow the stops' of steps 1 to 3, and the
    // newest three are kept.
    assert_eq!(checkpoint_files(&split), step_files(&[3, 25, 50]));
    // The log lines after the first full interval are the uninterrupted run's.
    let after = |dir| {
        crate::common::metrics(dir)
            .into_iter()
            .filter(|r| r["step"].as_u64().unwrap() >= 10)
            .collect::<Vec<_>>()
    };
    assert_eq!(after(&split), after(&whole));
}

/// Checkpoints are named by the generator step they were taken after and the newest
/// `keep_checkpoints` stay; a run folder written before step names, its checkpoints numbered by
/// interval, still resumes bit for bit and goes on with step names, its old sets pruned first.
#[test]
fn checkpoints_are_named_by_step_and_interval_named_folders_still_resume() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(Toy::Ring8.samples(1000, 0));
    let short = |steps| TrainingConfig {
        checkpoint_every: 4,
        keep_checkpoints: 2,
        log_every: 2,
        sample_every: 12,
        ..config(steps)
    };
    let whole = crate::common::scratch("named-whole");
    let a = fit(model(), data.clone(), &short(18), &whole, None, &device).unwrap();
    // Steps 4, 8, 12, 16 and the last, 18: the newest two are kept.
    assert_eq!(checkpoint_files(&whole), step_files(&[16, 18]));

    let split = crate::common::scratch("named-split");
    fit(model(), data.clone(), &short(10), &split, None, &device).unwrap();
    assert_eq!(checkpoint_files(&split), step_files(&[8, 10]));
    // As the program before step names numbered them: intervals 2 (step 8) and 3 (step 10).
    let dir = split.join("checkpoint");
    for (step, interval) in [(8, 2), (10, 3)] {
        for part in ["model", "optim", "scheduler"] {
            std::fs::rename(
                dir.join(format!("{part}-{step}.mpk")),
                dir.join(format!("{part}-{interval}.mpk")),
            )
            .unwrap();
        }
    }
    assert_eq!(latest_checkpoint(&split), Some(3));
    let b = fit(model(), data, &short(18), &split, Some(3), &device).unwrap();
    assert_eq!(crate::common::params(&a), crate::common::params(&b));
    assert_eq!(checkpoint_files(&split), step_files(&[16, 18]));
    assert_eq!(
        crate::common::metrics(&split),
        crate::common::metrics(&whole)
    );
}
