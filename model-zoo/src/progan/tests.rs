//! Tests of progressive growing.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::Distribution;
use burn_gan::train::{check_model, train_step, GanOptimizer, OptimizerConfig, Phase};

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn small() -> ProganConfig {
    ProganConfig::new(3, 16)
        .with_latent_dim(16)
        .with_channels_base(32)
        .with_max_channels(16)
        .with_fade_images(100)
        .with_stable_images(50)
        .with_batch_size(10)
}

#[test]
fn the_schedule_grows_fades_and_stabilises() {
    let c = small(); // 4x4 -> 8x8 -> 16x16: two levels
    assert_eq!(c.levels(), 2);
    let at = |images| {
        let s = c.stage(images);
        (s.level, s.alpha)
    };
    assert_eq!(at(0), (0, 1.0));
    assert_eq!(at(49), (0, 1.0));
    assert_eq!(at(50), (1, 0.0)); // 8x8 starts fading in
    assert_eq!(at(75), (1, 0.25));
    assert_eq!(at(150), (1, 1.0)); // 8x8 stable
    assert_eq!(at(200), (2, 0.0)); // 16x16 fades in
    assert_eq!(at(250), (2, 0.5));
    assert_eq!(at(300), (2, 1.0));
    assert_eq!(at(10_000), (2, 1.0));
    assert_eq!(c.growth_images(), 300);
    assert_eq!(c.features(0), 16);
    assert_eq!(ProganConfig::new(3, 64).features(4), 16);
    assert_eq!(ProganConfig::new(3, 64).features(0), 64);
    for bad in [12, 28, 4, 48] {
        let err = ProganConfig::new(1, bad).validate().unwrap_err();
        assert!(err.starts_with(&format!("image_size {bad}")), "{err}");
    }
    assert!(ProganConfig::new(1, 32).validate().is_ok());
}

#[test]
fn a_block_at_alpha_zero_is_the_previous_resolution() {
    let device = Default::default();
    let model = small().init::<TB>(&device);
    let z = Tensor::<TB, 2>::random([4, 16], Distribution::Normal(0.0, 1.0), &device);
    let g = |level, alpha| model.generator.forward(z.clone(), Stage { level, alpha });
    assert_eq!(g(0, 1.0).dims(), [4, 3, 4, 4]);
    assert_eq!(g(2, 1.0).dims(), [4, 3, 16, 16]);
    // Generator: the new block contributes nothing at alpha 0.
    g(1, 0.0)
        .into_data()
        .assert_approx_eq::<f32>(&upsample2x(g(0, 1.0)).into_data(), Default::default());
    // Discriminator: at alpha 0 it scores the downsampled image with the previous resolution.
    let x = Tensor::<TB, 4>::random([4, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device);
    let d = &model.discriminator;
    let fading = d.forward(
        x.clone(),
        Stage {
            level: 2,
            alpha: 0.0,
        },
    );
    let previous = d.forward(
        downsample2x(x.clone()),
        Stage {
            level: 1,
            alpha: 1.0,
        },
    );
    fading
        .into_data()
        .assert_approx_eq::<f32>(&previous.into_data(), Default::default());
    assert_eq!(
        d.forward(
            downsample_to(x, 4),
            Stage {
                level: 0,
                alpha: 1.0
            }
        )
        .dims(),
        [4, 1]
    );
    // Reals during a fade: a blend of the two resolutions, at the active one.
    let real = Tensor::<TB, 4>::random([2, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device);
    let stage = Stage {
        level: 1,
        alpha: 0.5,
    };
    assert_eq!(model.real_at(real, stage).dims(), [2, 3, 8, 8]);
}

/// A step of each phase through the shared training step: finite losses, the gradient penalty
/// on the active resolution's reals, each network moved by its own phase, and the stage counter
/// advanced by the generator's updates.
#[test]
fn phases_train_at_the_active_stage_and_count_steps() {
    let device = Default::default();
    let mut model = small().init::<AB>(&device);
    check_model(&model).unwrap();
    let adam = OptimizerConfig::adam_with_betas(1e-3, 0.0, 0.99);
    let mut optim = GanOptimizer::for_gan(&adam, &adam);
    for step in [0usize, 7, 22] {
        let info = StepInfo {
            step,
            steps: 40,
            d_steps: 1,
        };
        let stage = model.stage_at(step);
        for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
            let batch = GanBatch {
                phase,
                step: info,
                real: Tensor::random([10, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device),
                labels: None,
                z: Tensor::random([10, 16], Distribution::Normal(0.0, 1.0), &device),
                seed: step as u64,
                input: None,
                second: None,
            };
            let out = train_step(&model, batch);
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none(), "{stats:?}");
            let value = |k: &str| stats.extra.iter().find(|(n, _)| *n == k).map(|v| v.1);
            assert_eq!(value("level"), Some(stage.level as f64));
            if phase == Phase::DISCRIMINATOR {
                assert!(value("penalty").is_some_and(|p| p > 0.0), "{stats:?}");
            }
            model = optim.step(1.0, model, out.grads);
        }
    }
    assert_eq!(
        model.stage_at(7),
        Stage {
            level: 1,
            alpha: 0.2
        }
    );
    // Three generator updates: the model samples at step 3's stage (30 images: 4x4).
    let done: f32 = model.steps_done.val().into_scalar().elem();
    assert_eq!(done, 3.0);
    let x = model.sample(Condition::noise(Tensor::zeros([2, 16], &device)));
    assert_eq!(x.dims(), [2, 3, 4, 4]);
    // Validation (whose batch says step 0) scores at the reached stage: after 8 generator
    // updates (80 images), 8x8 fading in at alpha 0.3.
    let mut model = model;
    for _ in 0..5 {
        model = model.after_update(NetworkId::GENERATOR);
    }
    let valid = model.valid();
    let batch = GanBatch {
        phase: Phase::DISCRIMINATOR,
        step: StepInfo::default(),
        real: Tensor::random([10, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device),
        labels: None,
        z: Tensor::random([10, 16], Distribution::Normal(0.0, 1.0), &device),
        seed: 1,
        input: None,
        second: None,
    };
    let stats = valid.validation(&batch).stats();
    let level = stats.extra.iter().find(|(n, _)| *n == "level").map(|v| v.1);
    assert_eq!(level, Some(1.0), "{stats:?}");
}

/// One batch size: the step's images are `step * batch_size`. Per-resolution batches: each
/// step counts its level's batch, the phases train on that many of the loader's images, and
/// the learning rate follows the level.
#[test]
fn batches_and_learning_rates_follow_the_resolution() {
    let c = small(); // stable 50, fade 100, batch 10
    for step in 0..60 {
        assert_eq!(c.images_before(step), step * 10);
        assert_eq!(c.stage_at_step(step), c.stage(step * 10));
    }
    assert_eq!(c.steps_for(350), 35);

    // 4x4 in batches of 10, 8x8 of 4, 16x16 of 2 (the last entry would repeat).
    let c = small()
        .with_batch_sizes(vec![10, 4, 2])
        .with_lr_scales(vec![1.0, 0.5]);
    c.validate().unwrap();
    assert_eq!(c.images_before(5), 50); // 4x4 stable: 5 steps of 10
    assert_eq!(c.images_before(6), 54); // 8x8 fades in 4 at a time
    assert_eq!(c.stage_at_step(10).alpha, 0.2); // 70 images: 20 of 100 faded in
                                                // 8x8 ends at 200 images: 5 + ceil(150 / 4) = 43 steps reach 202; then 16x16 in 2s.
    assert_eq!(c.images_before(43), 202);
    assert_eq!(c.images_before(44), 204);
    assert_eq!(c.stage_at_step(43).level, 2);
    assert_eq!(c.steps_for(204), 44);
    assert_eq!(c.lr_scale_at_level(0), 1.0);
    assert_eq!(c.lr_scale_at_level(2), 0.5);

    let device = Default::default();
    let model = c.init::<AB>(&device);
    let info = |step| StepInfo {
        step,
        steps: 100,
        d_steps: 1,
    };
    let phases = model.phases(&info(20));
    assert!(phases.iter().all(|p| p.batch == 4), "{phases:?}");
    assert_eq!(
        model.learning_rate_scale(NetworkId::GENERATOR, &info(20)),
        0.5
    );
    assert_eq!(
        model.learning_rate_scale(NetworkId::DISCRIMINATOR, &info(2)),
        1.0
    );

    // The training loop's batches: the loader's 10 images cut to the level's 4.
    let schedule = burn_gan::train::Schedule {
        steps: 100,
        d_steps: 1,
        checkpoint_every: 100,
        log_every: 1,
        sample_every: 100,
        eval_every: 0,
        seed: 1,
    };
    let fresh = || GanBatch {
        phase: Phase::DISCRIMINATOR,
        step: StepInfo::default(),
        real: Tensor::random([10, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device),
        labels: None,
        z: Tensor::random([10, 16], Distribution::Normal(0.0, 1.0), &device),
        seed: 1,
        input: None,
        second: None,
    };
    let batches = burn_gan::train::step_batches(&model, &schedule, 20, &mut None, fresh, || {
        unreachable!("the first phase is fresh")
    });
    assert_eq!(batches.len(), 2);
    for b in &batches {
        assert_eq!(b.real.dims()[0], 4);
        assert_eq!(b.z.dims(), [4, 16]);
    }

    for (bad, what) in [
        (
            small().with_batch_sizes(vec![10, 11]),
            "batch_sizes entry 11",
        ),
        (small().with_batch_sizes(vec![0]), "batch_sizes entry 0"),
        (
            small().with_lr_scales(vec![1.0, -1.0]),
            "lr_scales entry -1",
        ),
        (
            small().with_batch_sizes(vec![1, 1, 1, 1]),
            "batch_sizes and lr_scales",
        ),
    ] {
        let err = bad.validate().unwrap_err();
        assert!(err.starts_with(what), "{err}");
    }
}
