//! Tests of the restoration GAN family.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::Distribution;
use burn_gan::train::{check_model, train_step, GanOptimizer, OptimizerConfig};

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

/// A batch of random targets `[n, c, 16, 16]` and inputs of `task`'s shape.
fn batch<B: Backend>(task: Task, c: usize, phase: Phase, device: &B::Device) -> GanBatch<B> {
    let n = 2;
    let [ci, hi, wi] = task.input_shape([c, 16, 16]);
    GanBatch {
        phase,
        real: Tensor::random([n, c, 16, 16], Distribution::Uniform(-1.0, 1.0), device),
        labels: None,
        z: Tensor::zeros([n, 0], device),
        seed: 3,
        step: StepInfo::default(),
        input: Some(Tensor::random(
            [n, ci, hi, wi],
            Distribution::Uniform(-1.0, 1.0),
            device,
        )),
        second: None,
    }
}

fn small(c: usize, task: Task) -> RestoreConfig {
    RestoreConfig::new(c)
        .with_task(task)
        .with_features(8)
        .with_blocks(2)
}

#[test]
fn output_has_the_target_shape_for_every_task() {
    let device = Default::default();
    for task in Task::ALL {
        for c in [1, 3] {
            let model = small(c, task).init::<TB>(&device);
            let [ci, hi, wi] = task.input_shape([c, 16, 24]);
            let x = Tensor::<TB, 4>::zeros([2, ci, hi, wi], &device);
            assert_eq!(model.restore(x.clone()).dims(), [2, c, 16, 24], "{task}");
            let sampled = model.sample(Condition {
                z: Tensor::zeros([2, 0], &device),
                labels: None,
                input: Some(x.clone()),
            });
            assert_eq!(sampled.dims(), [2, c, 16, 24], "{task}");
            let context = model.generator.upsample(x);
            let d = model.discriminator.as_ref().unwrap();
            let logits = d.forward(context, Tensor::zeros([2, c, 16, 24], &device));
            // Two stride-2 layers and a 4x4 stride-1 one: (16 / 4 - 1) x (24 / 4 - 1) patches.
            assert_eq!(logits.dims(), [2, 3 * 5], "{task}");
        }
    }
}

/// With zero weights in the tail the generator is the (up-sampled) input itself: the residual
/// starts from the identity, and for inpainting only the image channels pass.
#[test]
fn the_generator_adds_a_residual_to_the_upsampled_input() {
    let device = Default::default();
    let model = small(1, Task::Inpaint).init::<TB>(&device);
    let x = Tensor::<TB, 4>::random([1, 2, 16, 16], Distribution::Default, &device);
    let base = x.clone().slice([0..1, 0..1, 0..16, 0..16]);
    let residual = model.restore(x) - base;
    assert!(residual.abs().max().into_scalar() > 0.0);
    let flat = Tensor::<TB, 4>::ones([1, 1, 8, 8], &device);
    let up = small(1, Task::Sr2)
        .init::<TB>(&device)
        .generator
        .upsample(flat);
    assert_eq!(up.dims(), [1, 1, 16, 16]);
    let values: Vec<f32> = up.into_data().convert::<f32>().to_vec().unwrap();
    assert!(
        values.iter().all(|v| (v - 1.0).abs() < 1e-4),
        "bicubic keeps a constant"
    );
}

/// One step of each phase through the shared `train_step` and optimizer: finite losses, and
/// each phase moves its own network's parameters and no other's.
#[test]
fn each_phase_trains_only_its_network() {
    let device = Default::default();
    for task in [Task::Sr2, Task::Inpaint] {
        let mut model = small(1, task).init::<AB>(&device);
        check_model(&model).unwrap();
        let networks = model.networks();
        assert_eq!(networks, [NetworkId::GENERATOR, NetworkId::DISCRIMINATOR]);
        let configs = networks
            .iter()
            .map(|n| (n.name().to_string(), OptimizerConfig::adam(1e-2)))
            .collect();
        let mut optim = GanOptimizer::new(&networks, &configs).unwrap();
        let snapshot = |m: &RestorationGan<AB>| {
            let m = m.valid();
            let d = m.discriminator.as_ref().unwrap();
            (
                m.generator.tail.weight.val().into_data(),
                d.logits.weight.val().into_data(),
            )
        };
        for phase in model.phases(&StepInfo::default()) {
            let before = snapshot(&model);
            let out = train_step(&model, batch(task, 1, phase, &device));
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none(), "{stats:?}");
            let loss = match phase.network {
                NetworkId::DISCRIMINATOR => stats.loss_d,
                _ => stats.loss_g,
            };
            assert!(loss.is_some_and(f64::is_finite), "{phase:?}: {stats:?}");
            model = optim.step(1.0, model, out.grads);
            let after = snapshot(&model);
            let moved = [before.0 != after.0, before.1 != after.1];
            let want = [
                phase.network == NetworkId::GENERATOR,
                phase.network == NetworkId::DISCRIMINATOR,
            ];
            assert_eq!(moved, want, "{task} {phase:?}");
        }
    }
}

/// `adversarial_weight = 0`: no discriminator, one generator phase on fresh data, and a loss
/// that is exactly `l1_weight` times the L1 error, with no adversarial term logged.
#[test]
fn the_l1_only_network_has_no_adversarial_term() {
    let device = Default::default();
    let config = RestoreConfig::l1_only(1, Task::Denoise)
        .with_features(8)
        .with_blocks(1);
    let model = config.init::<AB>(&device);
    assert!(model.discriminator.is_none());
    assert_eq!(model.networks(), [NetworkId::GENERATOR]);
    let phases = model.phases(&StepInfo::default());
    assert_eq!(phases, [Phase::GENERATOR.fresh()]);
    let out = train_step(&model, batch(Task::Denoise, 1, phases[0], &device));
    let stats = out.item.stats();
    let l1 = stats.extra.iter().find(|(k, _)| *k == "l1").unwrap().1;
    assert!(
        stats.extra.iter().all(|(k, _)| *k != "adversarial"),
        "{stats:?}"
    );
    assert!((stats.loss_g.unwrap() - 0.9 * l1).abs() < 1e-5, "{stats:?}");
    // The adversarial model logs both terms and weighs them 0.9 and 0.1.
    let gan = small(1, Task::Denoise).init::<AB>(&device);
    let out = train_step(&gan, batch(Task::Denoise, 1, Phase::GENERATOR, &device));
    let stats = out.item.stats();
    let term = |name: &str| stats.extra.iter().find(|(k, _)| *k == name).unwrap().1;
    let want = 0.9 * term("l1") + 0.1 * term("adversarial");
    assert!((stats.loss_g.unwrap() - want).abs() < 1e-5, "{stats:?}");
}

#[test]
fn configurations_that_cannot_train_are_refused() {
    assert!(RestoreConfig::new(1).validate().is_ok());
    let err = RestoreConfig::new(1)
        .with_l1_weight(0.0)
        .with_adversarial_weight(0.0)
        .validate()
        .unwrap_err();
    assert!(err.contains("no loss"), "{err}");
    let err = RestoreConfig::new(1)
        .with_adversarial_weight(-1.0)
        .validate()
        .unwrap_err();
    assert!(err.contains("adversarial_weight"), "{err}");
    assert!(RestoreConfig::new(2).validate().is_err());
    // Receptive field: head, 2 per block, tail; sr divides it by the factor.
    let c = RestoreConfig::new(1).with_blocks(4);
    assert_eq!(c.receptive_field(), 21);
    assert_eq!(c.clone().with_task(Task::Sr2).min_input_side(), 11);
    assert_eq!(c.with_task(Task::Denoise).min_input_side(), 21);
}

#[test]
#[should_panic = "Invalid restoration GAN configuration"]
fn init_panics_on_an_invalid_configuration() {
    RestoreConfig::new(1)
        .with_features(0)
        .init::<TB>(&Default::default());
}
