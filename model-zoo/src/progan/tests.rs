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
