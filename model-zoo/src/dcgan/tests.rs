//! Tests of the DCGAN family.

use super::*;
use burn_gan::train::GanNetworks;
type TB = burn_gan_backends::Backend;

#[test]
fn presets_produce_their_image_sizes() {
    let device = Default::default();
    for (config, shape) in [
        (DcganConfig::dcgan28(), [2, 1, 28, 28]),
        (DcganConfig::dcgan32(), [2, 3, 32, 32]),
        (DcganConfig::dcgan64(), [2, 3, 64, 64]),
    ] {
        let gan = config.init::<TB>(&device);
        let x = gan.generate(Tensor::zeros([2, 100], &device));
        assert_eq!(x.dims(), shape);
        assert_eq!(gan.discriminate(x).dims(), [2, 1]);
    }
}

#[test]
fn dcgan28_is_the_reference_network() {
    let gan = DcganConfig::dcgan28().init::<TB>(&Default::default());
    let g = &gan.generator;
    assert_eq!(g.project.weight.dims(), [100, 128 * 7 * 7]);
    assert_eq!(g.convs.len(), 2);
    assert_eq!(g.convs[0].weight.dims(), [128, 64, 4, 4]);
    assert_eq!(g.convs[1].weight.dims(), [64, 1, 4, 4]);
    assert_eq!(g.norms.len(), 1);
    let d = &gan.discriminator;
    assert_eq!(d.convs[0].weight.dims(), [64, 1, 4, 4]);
    assert_eq!(d.convs[1].weight.dims(), [128, 64, 4, 4]);
    assert_eq!(d.norms.len(), 1);
    assert_eq!(d.head.weight.dims(), [128 * 7 * 7, 1]);
    // Trainable parameters of the PyTorch module with the same layers (917,122), plus the
    // batch norms' running means and variances, which burn counts in `num_params`.
    let trainable = (100 * 6272 + 6272)
        + 2 * 6272
        + (128 * 64 * 16 + 64)
        + 2 * 64
        + (64 * 16 + 1)
        + (64 * 16 + 64)
        + (64 * 128 * 16 + 128)
        + 2 * 128
        + (6272 + 1);
    assert_eq!(trainable, 917_122);
    let expected = trainable + 2 * (6272 + 64 + 128);
    assert_eq!(gan.num_params(), expected);
}

/// `train_step` freezes the network a phase does not update: the gradients it returns must
/// be exactly those of a plain backward pass, the frozen network's batch-norm statistics must
/// still move, and the model must come out with every parameter still trainable.
#[test]
fn train_step_gradients_match_a_full_backward_pass() {
    use burn::backend::Autodiff;
    use burn::module::{ModuleVisitor, Param};
    use burn::optim::GradientsParams;
    use burn::tensor::backend::AutodiffBackend;
    use burn::tensor::Distribution;
    use burn_gan::train::{train_step, GanBatch, Phase};
    type AB = Autodiff<TB>;
    let device = Default::default();
    let fresh = || {
        // Two deep copies of one initialisation (records share no running statistics).
        let record = DcganConfig::dcgan28().init::<AB>(&device).into_record();
        let a = DcganConfig::dcgan28()
            .init::<AB>(&device)
            .load_record(record);
        let b = DcganConfig::dcgan28()
            .init::<AB>(&device)
            .load_record(a.clone().into_record());
        (a, b)
    };
    for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
        let (ours, plain) = fresh();
        let batch = GanBatch {
            phase,
            real: Tensor::random([4, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device),
            labels: None,
            z: Tensor::random([4, 100], Distribution::Default, &device),
            seed: 1,
            step: Default::default(),
            input: None,
            second: None,
        };
        let got = train_step(&ours, batch.clone()).grads;
        let (loss, _) = plain.phase_loss(&batch);
        let params = plain.network_params(phase.network());
        let want = GradientsParams::from_params(&mut loss.backward(), &plain, &params);
        // Every trainable tensor of the network (its ids also name the batch norms' running
        // statistics, which have no gradient).
        let trainable = match phase {
            Phase::DISCRIMINATOR => 8, // 2 convolutions, 1 batch norm, the head: 2 tensors each
            _ => 10,                   // projection, 2 batch norms, 2 transposed convolutions
        };
        assert_eq!(want.len(), trainable, "{phase:?}");
        assert_eq!(got.len(), trainable, "{phase:?}");
        struct Compare<'a>(&'a GradientsParams, &'a GradientsParams, usize);
        impl ModuleVisitor<AB> for Compare<'_> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<AB, D>>) {
                type IB = <AB as AutodiffBackend>::InnerBackend;
                match (self.0.get::<IB, D>(param.id), self.1.get::<IB, D>(param.id)) {
                    (Some(g), Some(w)) => {
                        g.into_data().assert_eq(&w.into_data(), true);
                        self.2 += 1;
                    }
                    (None, None) => {}
                    _ => panic!("a gradient is missing on one side"),
                }
            }
        }
        let mut compare = Compare(&got, &want, 0);
        plain.visit(&mut compare);
        assert_eq!(compare.2, trainable);
        // The frozen network's batch norms saw the batch in both runs.
        let (a, b) = (&ours.discriminator.norms[0], &plain.discriminator.norms[0]);
        a.running_mean
            .value()
            .into_data()
            .assert_eq(&b.running_mean.value().into_data(), true);
        assert!(ours.generator.project.weight.val().is_require_grad());
        assert!(ours.discriminator.head.weight.val().is_require_grad());
    }
}

fn batch<B: Backend>(
    phase: burn_gan::train::Phase,
    n: usize,
    device: &B::Device,
) -> burn_gan::train::GanBatch<B> {
    use burn::tensor::Distribution;
    burn_gan::train::GanBatch {
        phase,
        real: Tensor::random([n, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), device),
        labels: None,
        z: Tensor::random([n, 100], Distribution::Default, device),
        seed: 7,
        step: Default::default(),
        input: None,
        second: None,
    }
}

/// WGAN: after a critic update every trainable critic tensor lies in [-c, c]; the batch
/// norms' running statistics (not trainable) are not clipped; the generator is untouched.
#[test]
fn wgan_weight_clipping_bounds_every_trainable_critic_weight() {
    use burn::backend::Autodiff;
    use burn::optim::Optimizer;
    use burn_gan::train::{train_step, GanOptimizer, OptimizerConfig, Phase};
    type AB = Autodiff<TB>;
    let device = Default::default();
    let config = DcganConfig::dcgan28()
        .with_loss(LossFamily::Wasserstein)
        .with_weight_clip(0.01);
    let gan = config.init::<AB>(&device);
    let g_before = gan.generator.project.weight.val().into_data();
    let rms = OptimizerConfig::RmsProp {
        lr: 5e-5,
        alpha: 0.99,
        momentum: 0.0,
        epsilon: 1e-8,
    };
    let mut optim = GanOptimizer::for_gan(&rms, &rms);
    let out = train_step(&gan, batch(Phase::DISCRIMINATOR, 4, &device));
    let gan = optim.step(1.0, gan, out.grads);
    let d = &gan.discriminator;
    let max = |t: Tensor<AB, 4>| t.abs().max().into_scalar();
    for conv in &d.convs {
        assert!(max(conv.weight.val()) <= 0.01 + 1e-7);
    }
    assert!(d.head.weight.val().abs().max().into_scalar() <= 0.01 + 1e-7);
    assert!(d.norms[0].gamma.val().abs().max().into_scalar() <= 0.01 + 1e-7);
    // Running variance starts at 1 and moves by momentum 0.1: far above the bound.
    assert!(d.norms[0].running_var.value().min().into_scalar() > 0.5);
    gan.generator
        .project
        .weight
        .val()
        .into_data()
        .assert_eq(&g_before, true);
}

/// WGAN-GP: the penalty is part of the critic's loss, logged, and its gradient reaches the
/// critic's parameters (a critic gradient that changes when the penalty is on).
#[test]
fn gradient_penalty_reaches_the_dcgan_critic() {
    use burn::backend::Autodiff;
    use burn_gan::train::{train_step, Phase};
    type AB = Autodiff<TB>;
    let device = Default::default();
    let first = DcganConfig::dcgan28()
        .with_loss(LossFamily::Wasserstein)
        .with_critic_norm(CriticNorm::Layer)
        .init::<AB>(&device);
    burn_gan::nn::materialize(&first); // clones then share the values
    let data = batch(Phase::DISCRIMINATOR, 4, &device); // the same batch for both runs
    let grads_of = |lambda: f64| {
        let gan = DcganConfig::dcgan28()
            .with_loss(LossFamily::Wasserstein)
            .with_critic_norm(CriticNorm::Layer)
            .with_gradient_penalty(lambda)
            .init::<AB>(&device)
            .load_record(first.clone().into_record());
        let out = train_step(&gan, data.clone());
        let stats = out.item.stats();
        let id = gan.discriminator.convs[1].weight.id;
        let g = out
            .grads
            .get::<TB, 4>(id)
            .expect("the critic's conv gets a gradient");
        (g, stats)
    };
    let (plain, plain_stats) = grads_of(0.0);
    let (again, _) = grads_of(0.0);
    plain
        .clone()
        .into_data()
        .assert_eq(&again.into_data(), true); // deterministic
    let (penalised, stats) = grads_of(10.0);
    let penalty = stats
        .extra
        .iter()
        .find(|(k, _)| *k == "penalty")
        .expect("penalty logged")
        .1;
    let norm = stats
        .extra
        .iter()
        .find(|(k, _)| *k == "grad_norm")
        .expect("norm logged")
        .1;
    assert!(
        penalty > 0.0 && penalty.is_finite() && norm > 0.0 && norm.is_finite(),
        "{stats:?}"
    );
    assert!(plain_stats.extra.iter().all(|(k, _)| *k != "penalty"));
    let diff = (penalised - plain).abs().max().into_scalar();
    assert!(
        diff > 1e-6,
        "the penalty did not change the critic's gradient ({diff})"
    );
}

/// BigGAN's orthogonal initialisation: weight matrices with orthonormal rows (or columns),
/// zero biases.
#[test]
fn orthogonal_initialisation_gives_orthonormal_weights_and_zero_biases() {
    let gan = DcganConfig::dcgan28()
        .with_orthogonal_init(true)
        .init::<TB>(&Default::default());
    let check = |w: Tensor<TB, 2>| {
        let [r, c] = w.dims();
        let (w, n) = if r <= c { (w, r) } else { (w.transpose(), c) };
        let gram = w.clone().matmul(w.transpose());
        let eye = Tensor::<TB, 2>::eye(n, &gram.device());
        let err = (gram - eye).abs().max().into_scalar();
        assert!(err < 1e-4, "{r}x{c}: max |W Wt - I| = {err}");
    };
    check(gan.generator.project.weight.val());
    check(gan.generator.convs[0].weight.val().reshape([128, 64 * 16]));
    check(
        gan.discriminator.convs[1]
            .weight
            .val()
            .reshape([128, 64 * 16]),
    );
    check(gan.discriminator.head.weight.val());
    let bias = gan.generator.convs[0].bias.as_ref().unwrap().val();
    assert_eq!(bias.abs().max().into_scalar(), 0.0);
}

#[test]
fn incompatible_objectives_are_rejected_at_configuration_time() {
    let base = DcganConfig::dcgan28().with_loss(LossFamily::Wasserstein);
    let err = base
        .clone()
        .with_gradient_penalty(10.0)
        .validate()
        .unwrap_err();
    assert!(err.contains("batch norm"), "{err}");
    let err = base
        .clone()
        .with_critic_norm(CriticNorm::Layer)
        .with_gradient_penalty(10.0)
        .with_weight_clip(0.01)
        .validate()
        .unwrap_err();
    assert!(err.contains("weight clipping"), "{err}");
    let err = DcganConfig::dcgan28()
        .with_weight_clip(0.01)
        .validate()
        .unwrap_err();
    assert!(err.contains("wasserstein"), "{err}");
    let err = base
        .clone()
        .with_critic_norm(CriticNorm::None)
        .with_gradient_penalty(1.0)
        .with_r1_gamma(1.0)
        .validate()
        .unwrap_err();
    assert!(err.contains("choose one"), "{err}");
    assert!(base
        .with_critic_norm(CriticNorm::Layer)
        .with_gradient_penalty(10.0)
        .validate()
        .is_ok());
}

#[test]
#[should_panic = "A DCGAN image size must be s * 2^k"]
fn odd_image_sizes_are_rejected() {
    DcganConfig::new(1, 27).init::<TB>(&Default::default());
}

/// With virtual batch norm a generated image depends on its own noise (and the fixed
/// reference batch) only, in training mode too; the VBN gains get gradients.
#[test]
fn virtual_batch_norm_makes_samples_independent_of_their_batch() {
    use burn::backend::Autodiff;
    type AB = Autodiff<TB>;
    let device = Default::default();
    let gan = DcganConfig::dcgan28()
        .with_virtual_batch_norm(16)
        .init::<AB>(&device);
    let z = Tensor::<AB, 2>::random(
        [2, 100],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let others = Tensor::<AB, 2>::random(
        [5, 100],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let alone = gan.generate(z.clone());
    let crowd = gan.generate(Tensor::cat(vec![z, others], 0)).slice([0..2]);
    let diff = (alone.clone() - crowd).abs().max().into_scalar();
    assert!(diff < 1e-5, "{diff}");
    let grads = alone.mean().backward();
    let v = gan.generator.virtual_norms.as_ref().unwrap();
    assert!(v.norms[0].gamma.grad(&grads).is_some());
    assert!(
        v.reference.grad(&grads).is_none(),
        "the reference batch is not trained"
    );
    // Plain batch norm, by contrast, couples the batch.
    let bn = DcganConfig::dcgan28().init::<AB>(&device);
    let z = Tensor::<AB, 2>::random(
        [2, 100],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let others = Tensor::<AB, 2>::random(
        [5, 100],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let d = (bn.generate(z.clone()) - bn.generate(Tensor::cat(vec![z, others], 0)).slice([0..2]))
        .abs()
        .max()
        .into_scalar();
    assert!(d > 1e-4, "{d}");
}
