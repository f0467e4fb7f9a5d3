//! Tests of the semi-supervised GAN.

use super::*;
use burn::backend::Autodiff;
use burn::tensor::Distribution;

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn batch(phase: Phase, device: &burn::tensor::Device<AB>) -> GanBatch<AB> {
    let x = |n| Tensor::<AB, 4>::random([n, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), device);
    GanBatch {
        phase,
        real: x(8),
        labels: None,
        z: Tensor::random([8, 100], Distribution::Normal(0.0, 1.0), device),
        seed: 1,
        step: Default::default(),
        input: None,
        second: Some(burn_gan::train::ImageBatch {
            images: x(8),
            labels: Some(Tensor::arange(0..8, device).remainder_scalar(10)),
        }),
    }
}

/// `s` is `logsumexp(classes) - l_g`; with the K-logit variant `D(x) = Z / (Z + 1)`.
#[test]
fn real_versus_generated_logit_follows_the_formula() {
    let device = Default::default();
    for variant in [SganVariant::KPlusOne, SganVariant::KLogits] {
        let gan = SganConfig::new(3, 1, 28)
            .with_variant(variant)
            .init::<TB>(&device);
        let outputs = Tensor::<TB, 2>::from_floats([[1.0, 2.0, 0.5, -1.0]], &device);
        let outputs = match variant {
            SganVariant::KPlusOne => outputs,
            SganVariant::KLogits => outputs.slice([0..1, 0..3]),
        };
        let (classes, s) = gan.split(outputs);
        assert_eq!(classes.dims(), [1, 3]);
        let z: f64 = [1.0f64, 2.0, 0.5].iter().map(|v| v.exp()).sum();
        let want = match variant {
            SganVariant::KPlusOne => z.ln() + 1.0,
            SganVariant::KLogits => z.ln(),
        };
        let got = s.into_scalar() as f64;
        assert!((got - want).abs() < 1e-5, "{variant:?}: {got} vs {want}");
    }
}

/// Both phases give finite losses; the discriminator phase reports its supervised and
/// unsupervised parts, and the baseline trains the classifier alone.
#[test]
fn phases_train_on_labelled_unlabelled_and_generated_images() {
    let device = Default::default();
    for config in [
        SganConfig::sgan(10, 1, 28),
        SganConfig::feature_matching_variant(10, 1, 28),
        SganConfig::supervised(10, 1, 28),
        SganConfig::feature_matching_variant(10, 1, 28).with_mlp_networks(),
        SganConfig::supervised(10, 1, 28).with_mlp_networks(),
    ] {
        let gan = config.init::<AB>(&device);
        let phases = gan.phases(&StepInfo {
            d_steps: 1,
            ..Default::default()
        });
        assert_eq!(phases.len(), if config.supervised_only { 1 } else { 2 });
        for phase in phases {
            let out = burn_gan::train::train_step(&gan, batch(phase, &device));
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none(), "{stats:?}");
            let names: Vec<_> = stats.extra.iter().map(|(k, _)| *k).collect();
            if phase == Phase::DISCRIMINATOR {
                assert!(names.contains(&"sup_loss"));
                assert_eq!(names.contains(&"unsup_loss"), !config.supervised_only);
            }
            let mut grads = out.grads;
            let id = match phase {
                Phase::DISCRIMINATOR => match (&gan.classifier, &gan.mlp_classifier) {
                    (Some(c), _) => c.head.weight.id,
                    (_, c) => c.as_ref().unwrap().head.direction.id,
                },
                _ => match (&gan.generator, &gan.mlp_generator) {
                    (Some(g), _) => g.project_weight_id(),
                    (_, g) => g.as_ref().unwrap().output.direction.id,
                },
            };
            assert!(
                grads.remove::<TB, 2>(id).is_some(),
                "{phase:?}: no gradient"
            );
        }
    }
    let gan = SganConfig::sgan(10, 1, 28).init::<TB>(&device);
    let x = Tensor::<TB, 4>::zeros([3, 1, 28, 28], &device);
    assert_eq!(gan.classify(x).dims(), [3, 10]);
}

/// Salimans et al.'s networks: a 250-d feature layer, images in [-1, 1] from the MLP
/// generator, Gaussian noise while training only (the classifier is deterministic in
/// evaluation and not while training), and their loss weights.
#[test]
fn mlp_networks_follow_salimans_et_al() {
    let device = Default::default();
    let config = SganConfig::feature_matching_variant(10, 1, 28).with_mlp_networks();
    assert_eq!(config.unsupervised_weight, 0.5);
    let gan = config.init::<TB>(&device);
    let x = Tensor::<TB, 4>::random([4, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device);
    assert_eq!(gan.classifier_features(x.clone()).dims(), [4, 250]);
    let a = gan.classify(x.clone()).into_data();
    let b = gan.classify(x.clone()).into_data();
    assert_eq!(a, b, "noise in evaluation");
    let images = gan.generate(Tensor::random(
        [5, 100],
        Distribution::Normal(0.0, 1.0),
        &device,
    ));
    assert_eq!(images.dims(), [5, 1, 28, 28]);
    let v = images.into_data().to_vec::<f32>().unwrap();
    assert!(v.iter().all(|p| p.abs() <= 1.0 && p.is_finite()));
    let trained = config.init::<AB>(&device);
    let x = Tensor::<AB, 4>::from_inner(x);
    let a = trained.classify(x.clone()).into_data();
    let b = trained.classify(x).into_data();
    assert_ne!(a, b, "no noise while training");
}
