//! Tests of the VAE/GAN family.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::{Distribution, TensorData};
use burn_gan::train::{check_model, train_step, GanOptimizer, OptimizerConfig};

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn batch<B: Backend>(phase: Phase, n: usize, latent: usize, device: &B::Device) -> GanBatch<B> {
    GanBatch {
        phase,
        real: Tensor::random([n, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), device),
        labels: None,
        z: Tensor::random([n, latent], Distribution::Normal(0.0, 1.0), device),
        seed: 3,
        step: StepInfo {
            step: 0,
            steps: 10,
            d_steps: 1,
        },
        input: None,
        second: None,
    }
}

#[test]
fn shapes_networks_and_phase_tables() {
    let device = Default::default();
    let model = VaeganConfig::new(1, 28).init::<TB>(&device);
    let x = Tensor::<TB, 4>::random([3, 1, 28, 28], Distribution::Default, &device);
    let (mean, log_var) = model.encode(x.clone());
    assert_eq!(mean.dims(), [3, 128]);
    assert_eq!(log_var.dims(), [3, 128]);
    assert_eq!(model.reconstruct(x).dims(), [3, 1, 28, 28]);
    assert_eq!(
        model
            .sample(Condition::noise(Tensor::zeros([2, 128], &device)))
            .dims(),
        [2, 1, 28, 28]
    );
    assert_eq!(
        model.networks(),
        [
            NetworkId::ENCODER,
            NetworkId::GENERATOR,
            NetworkId::DISCRIMINATOR
        ]
    );
    let step = StepInfo {
        step: 0,
        steps: 1,
        d_steps: 2,
    };
    let names: Vec<_> = model.phases(&step).iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["discriminator", "discriminator", "encoder", "generator"]
    );
    assert!(model.phases(&step)[0].takes_fresh_data());
    assert!(!model.phases(&step)[2].takes_fresh_data());
    // The default layer l is the last convolution: 128 x 7 x 7 features.
    assert_eq!(model.feature_layer, 2);
    let d = model.discriminator.as_ref().unwrap();
    let f = d.layer_features(Tensor::zeros([2, 1, 28, 28], &device), 1);
    assert_eq!(f.dims(), [2, 64 * 14 * 14]);

    let vae = VaeganConfig::vae(3, 32).init::<TB>(&device);
    assert!(vae.discriminator.is_none());
    assert_eq!(vae.networks(), [NetworkId::ENCODER, NetworkId::GENERATOR]);
    let phases = vae.phases(&step);
    assert_eq!(phases.len(), 2);
    assert!(phases[0].takes_fresh_data() && phases[0].network == NetworkId::ENCODER);
    let x = Tensor::<TB, 4>::zeros([2, 3, 32, 32], &device);
    assert_eq!(vae.reconstruct(x).dims(), [2, 3, 32, 32]);
}

#[test]
fn kl_and_likelihood_match_their_closed_forms() {
    let device = Default::default();
    let t = |v: Vec<f32>| Tensor::<TB, 2>::from_data(TensorData::new(v, [1, 2]), &device);
    // KL(N(0, 1) || N(0, 1)) = 0.
    let zero = kl_to_standard_normal(t(vec![0.0, 0.0]), t(vec![0.0, 0.0])).into_scalar();
    assert!(zero.abs() < 1e-7);
    // KL(N(mu, s²) || N(0, 1)) = (mu² + s² - 1 - ln s²) / 2, summed over dimensions.
    let (mu, lv) = (1.5f32, 0.7f32);
    let want = 0.5 * (mu * mu + lv.exp() - 1.0 - lv) + 0.5 * (4.0 + (-lv).exp() - 1.0 + lv);
    let got = kl_to_standard_normal(t(vec![mu, -2.0]), t(vec![lv, -lv])).into_scalar();
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // ||a - b||² / (2 sigma²).
    let nll = gaussian_nll(t(vec![1.0, 2.0]), t(vec![0.0, 0.0]), 0.5).into_scalar();
    assert!((nll - 10.0).abs() < 1e-5);
}

#[test]
fn invalid_settings_get_one_line_naming_them() {
    let err = VaeganConfig::new(1, 28)
        .with_gamma(-1.0)
        .validate()
        .unwrap_err();
    assert!(err.starts_with("gamma -1"), "{err}");
    let err = VaeganConfig::new(1, 28)
        .with_feature_layer(3)
        .validate()
        .unwrap_err();
    assert!(err.contains("has 2 convolutional layers"), "{err}");
    let err = VaeganConfig::new(1, 28)
        .with_adversarial(false)
        .validate()
        .unwrap_err();
    assert!(err.contains("reconstruction=pixels"), "{err}");
    let err = VaeganConfig::vae(1, 28)
        .with_pixel_sigma(0.0)
        .validate()
        .unwrap_err();
    assert!(err.starts_with("pixel_sigma 0"), "{err}");
    assert!(VaeganConfig::vae(1, 28).validate().is_ok());
}

/// One training step of each phase through the shared `train_step` and optimizer: finite
/// losses, and each phase moves the parameters of its own network and of no other.
#[test]
fn each_phase_trains_only_its_network() {
    let device = Default::default();
    for config in [VaeganConfig::new(1, 28), VaeganConfig::vae(1, 28)] {
        let mut model = config.init::<AB>(&device);
        check_model(&model).unwrap();
        let networks = model.networks();
        let configs = networks
            .iter()
            .map(|n| (n.name().to_string(), OptimizerConfig::adam(1e-3)))
            .collect();
        let mut optim = GanOptimizer::new(&networks, &configs).unwrap();
        let snapshot = |m: &Vaegan<AB>| {
            let m = m.valid();
            (
                m.encoder.mean.weight.val().into_data(),
                m.generator.latent_weight(),
                m.discriminator.as_ref().map(|d| {
                    d.layer_features(Tensor::ones([1, 1, 28, 28], &Default::default()), 1)
                        .into_data()
                }),
            )
        };
        for phase in model.phases(&StepInfo::default()) {
            let before = snapshot(&model);
            let out = train_step(&model, batch(phase, 4, 128, &device));
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none(), "{stats:?}");
            model = optim.step(1.0, model, out.grads);
            let after = snapshot(&model);
            let moved = [
                before.0 != after.0,
                before.1 != after.1,
                before.2 != after.2,
            ];
            let want = [
                phase.network == NetworkId::ENCODER,
                phase.network == NetworkId::GENERATOR,
                phase.network == NetworkId::DISCRIMINATOR,
            ];
            assert_eq!(moved, want, "{phase:?} of {}", config.adversarial);
            let loss = match phase.network {
                NetworkId::DISCRIMINATOR => stats.loss_d,
                NetworkId::GENERATOR => stats.loss_g,
                _ => stats
                    .extra
                    .iter()
                    .find(|(k, _)| *k == "loss_e")
                    .map(|v| v.1),
            };
            assert!(loss.is_some_and(f64::is_finite), "{phase:?}: {stats:?}");
        }
    }
}
