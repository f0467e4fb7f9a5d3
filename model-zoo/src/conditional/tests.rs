//! Tests of the conditional models.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::module::Param;
use burn::optim::GradientsParams;
use burn::optim::Optimizer;
use burn_gan::train::Phase;
use burn_gan::train::{GanOptimizer, OptimizerConfig};

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

/// The projection term adds `e_y . features` to the logit: with the label maps zeroed, the
/// logit moves away from the projection-free one by an amount that depends on the label and
/// doubles when the embedding doubles. It starts at zero.
#[test]
fn projection_adds_the_class_embedding_inner_product() {
    use burn::tensor::Distribution;
    let device = Default::default();
    let model = ConditionalConfig::new(Conditioning::Cgan, 3, 1, 28)
        .with_projection(true)
        .init::<TB>(&device);
    let mut d = model.discriminator;
    let proj = d.projection.take().expect("a projection embedding");
    assert_eq!(proj.val().abs().max().into_scalar(), 0.0, "starts at zero");
    let maps = d.label_maps.take().expect("CGAN's label maps");
    d.label_maps = Some(Param::initialized(maps.id, maps.val().zeros_like()));
    let x = Tensor::<TB, 4>::random([2, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let logit = |d: &Discriminator<TB>, class: i64| -> Vec<f32> {
        let labels = Tensor::<TB, 1, Int>::from_ints([class, class], &device);
        d.forward(x.clone(), labels).0.into_data().to_vec().unwrap()
    };
    let plain = logit(&d, 0);
    assert_eq!(
        plain,
        logit(&d, 2),
        "without projection the label does nothing"
    );
    let e = Tensor::<TB, 2>::random(proj.dims(), Distribution::Normal(0.0, 0.01), &device);
    let with = |scale: f32| {
        let mut d = d.clone();
        d.projection = Some(Param::initialized(proj.id, e.clone() * scale));
        d
    };
    let shift = |d: &Discriminator<TB>, class| -> Vec<f32> {
        logit(d, class)
            .iter()
            .zip(&plain)
            .map(|(a, b)| a - b)
            .collect()
    };
    let (one, two) = (with(1.0), with(2.0));
    for class in [0, 2] {
        let (s1, s2) = (shift(&one, class), shift(&two, class));
        for (a, b) in s1.iter().zip(&s2) {
            assert!(a.abs() > 1e-6, "class {class}: no shift");
            assert!(
                (2.0 * a - b).abs() < 1e-4 * (1.0 + b.abs()),
                "class {class}: {a} vs {b}"
            );
        }
    }
    assert_ne!(shift(&one, 0), shift(&one, 2));
}

/// With minibatch discrimination a sample's real/fake logit depends on the rest of its
/// batch (a batch of copies of one image scores differently from a varied batch), the
/// class heads do not, and the discriminator phase trains the kernel tensor.
#[test]
fn minibatch_discrimination_couples_the_real_fake_logit_to_the_batch() {
    use burn::tensor::Distribution;
    let device = Default::default();
    for method in [Conditioning::Cgan, Conditioning::Acgan] {
        let model = ConditionalConfig::new(method, 10, 1, 28)
            .with_minibatch_kernels(20)
            .init::<TB>(&device);
        let x = Tensor::<TB, 4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
        let labels = Tensor::<TB, 1, Int>::from_ints([3, 3, 3, 3], &device);
        let copies = x.clone().slice([0..1]).repeat_dim(0, 4);
        let (varied, classes_v, _) = model.discriminator.forward(x, labels.clone());
        let (same, classes_s, _) = model.discriminator.forward(copies, labels);
        let first = |t: Tensor<TB, 2>| burn_gan::tensor_values(t.slice([0..1]));
        assert!(
            (first(varied)[0] - first(same)[0]).abs() > 1e-6,
            "{method:?}: the first sample's logit ignores its batch"
        );
        if let (Some(v), Some(s)) = (classes_v, classes_s) {
            let (v, s) = (first(v), first(s));
            for (a, b) in v.iter().zip(&s) {
                assert!((a - b).abs() < 1e-5, "{method:?}: class logits coupled");
            }
        }
        let model = ConditionalConfig::new(method, 10, 1, 28)
            .with_minibatch_kernels(20)
            .init::<AB>(&device);
        let out = burn_gan::train::train_step(&model, batch(Phase::DISCRIMINATOR, 8, &device));
        assert!(out.item.stats().first_non_finite().is_none());
        let t = model.discriminator.minibatch.as_ref().unwrap().t.id;
        assert!(
            {
                let mut grads = out.grads;
                grads.remove::<TB, 2>(t).is_some()
            },
            "{method:?}: T not trained"
        );
    }
}

fn batch(phase: Phase, n: usize, device: &burn::tensor::Device<AB>) -> GanBatch<AB> {
    GanBatch {
        phase,
        real: Tensor::random(
            [n, 1, 28, 28],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            device,
        ),
        labels: Some(Tensor::arange(0..n as i64, device).remainder_scalar(10)),
        z: Tensor::random(
            [n, 100],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            device,
        ),
        seed: 7,
        step: Default::default(),
        input: None,
        second: None,
    }
}

#[test]
fn shapes_follow_the_configuration() {
    let device = Default::default();
    for method in [Conditioning::Cgan, Conditioning::Acgan] {
        for class_bn in [false, true] {
            let gan = ConditionalConfig::new(method, 10, 1, 28)
                .with_class_batch_norm(class_bn)
                .init::<TB>(&device);
            let labels = Tensor::<TB, 1, Int>::from_ints([3, 9], &device);
            let x = gan.generate_class(Tensor::zeros([2, 100], &device), labels.clone());
            assert_eq!(x.dims(), [2, 1, 28, 28]);
            let (logits, classes, _) = gan.discriminator.forward(x, labels);
            assert_eq!(logits.dims(), [2, 1]);
            assert_eq!(
                classes.map(|c| c.dims()),
                (method == Conditioning::Acgan).then_some([2, 10])
            );
            assert_eq!(gan.latent_dim(), 100);
            assert_eq!(gan.num_classes(), 10);
        }
    }
    let rgb = ConditionalConfig::new(Conditioning::Cgan, 4, 3, 32).init::<TB>(&device);
    assert_eq!(
        rgb.generate(Tensor::zeros([3, 100], &device)).dims(),
        [3, 3, 32, 32]
    );
}

/// The label changes what both networks compute: the generator's image for the same `z`,
/// and the CGAN discriminator's score for the same image.
#[test]
fn labels_condition_both_networks() {
    let device = Default::default();
    let gan = ConditionalConfig::new(Conditioning::Cgan, 10, 1, 28).init::<TB>(&device);
    let z = Tensor::<TB, 2>::random(
        [1, 100],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    )
    .repeat_dim(0, 2);
    let x = gan.generate_class(z, Tensor::from_ints([0, 1], &device));
    let diff = (x.clone().slice([0..1]) - x.clone().slice([1..2]))
        .abs()
        .max()
        .into_scalar();
    assert!(diff > 1e-4, "the generator ignores the label");
    let same = x.slice([0..1]).repeat_dim(0, 2);
    let (scores, _, _) = gan
        .discriminator
        .forward(same, Tensor::from_ints([0, 1], &device));
    let s = scores.into_data().to_vec::<f32>().unwrap();
    assert!(
        (s[0] - s[1]).abs() > 1e-6,
        "the discriminator ignores the label"
    );
}

/// One ACGAN step of each phase: finite losses, the class losses reported, gradients on
/// exactly the phase's network (including the classifier and the embedding), and a moving
/// average that follows the generator.
#[test]
fn acgan_phases_train_their_network_and_the_average_follows() {
    let device = Default::default();
    let gan = ConditionalConfig::new(Conditioning::Acgan, 10, 1, 28)
        .with_class_batch_norm(true)
        .with_ema(0.9)
        .init::<AB>(&device);
    let mut optim =
        GanOptimizer::for_gan(&OptimizerConfig::adam(1e-3), &OptimizerConfig::adam(1e-3));
    let mut model = gan;
    for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
        let out = burn_gan::train::train_step(&model, batch(phase, 8, &device));
        let stats = out.item.stats();
        assert!(stats.first_non_finite().is_none());
        let names: Vec<_> = stats.extra.iter().map(|(k, _)| *k).collect();
        match phase {
            Phase::DISCRIMINATOR => assert!(names.contains(&"class_loss_d")),
            _ => assert!(names.contains(&"class_loss_g")),
        }
        let mut grads: GradientsParams = out.grads;
        // The phase's own new parameters get gradients: the auxiliary classifier in the
        // discriminator phase, the class embedding in the generator phase.
        let (id, what) = match phase {
            Phase::DISCRIMINATOR => (
                model.discriminator.classifier.as_ref().unwrap().weight.id,
                "classifier",
            ),
            _ => (model.generator.embedding.id, "class embedding"),
        };
        let g = grads
            .remove::<TB, 2>(id)
            .unwrap_or_else(|| panic!("no gradient for the {what}"));
        assert!(
            g.abs().max().into_scalar() > 0.0,
            "zero gradient for the {what}"
        );
        let before = model
            .ema
            .as_ref()
            .unwrap()
            .generator
            .embedding
            .val()
            .into_data();
        let g_before = model.generator.embedding.val().into_data();
        let out = burn_gan::train::train_step(&model, batch(phase, 8, &device));
        model = optim.step(1.0, model, out.grads);
        let after = model
            .ema
            .as_ref()
            .unwrap()
            .generator
            .embedding
            .val()
            .into_data();
        let g_after = model.generator.embedding.val().into_data();
        if phase == Phase::GENERATOR {
            assert_ne!(
                g_before, g_after,
                "the generator's class embedding did not move"
            );
            // First update: decay 0.1, so the average moves 90% of the way to the weights.
            let (a, b, g) = (
                before.to_vec::<f32>().unwrap(),
                after.to_vec::<f32>().unwrap(),
                g_after.to_vec::<f32>().unwrap(),
            );
            for i in 0..a.len() {
                assert!((b[i] - (0.1 * a[i] + 0.9 * g[i])).abs() < 1e-5);
            }
        } else {
            assert_eq!(
                before, after,
                "a discriminator update moved the generator's average"
            );
        }
    }
    // Sampling uses the average, which differs from the trained generator.
    let valid = model.valid();
    let z = Tensor::<TB, 2>::zeros([2, 100], &device);
    let a = valid.sample(Condition::noise(z.clone())).into_data();
    let b = valid.generate(z).into_data();
    assert_ne!(a, b);
}

#[test]
#[should_panic = "at least 2 classes"]
fn one_class_is_refused() {
    ConditionalConfig::new(Conditioning::Cgan, 1, 1, 28).init::<TB>(&Default::default());
}

/// InfoGAN trains without labels: its codes come from the phase seed, the continuous ones
/// replace the end of `z`, Q's heads get gradients in both phases, and the information
/// loss is reported.
#[test]
fn infogan_recovers_its_codes_without_labels() {
    let device = Default::default();
    let gan = ConditionalConfig::infogan(1, 28).init::<AB>(&device);
    assert_eq!(gan.latent_dim(), 64);
    assert_eq!(gan.continuous_codes(), 2);
    assert!(!gan.supervised_classes());
    for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
        let mut b = batch(phase, 8, &device);
        b.labels = None;
        b.z = Tensor::random(
            [8, 64],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let (_, z) = gan.codes_of(&b);
        let codes = z
            .clone()
            .slice([0..8, 62..64])
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert!(codes.iter().all(|c| (-1.0..1.0).contains(c)), "{codes:?}");
        let noise = (z.slice([0..8, 0..62]) - b.z.clone().slice([0..8, 0..62]))
            .abs()
            .max();
        assert_eq!(noise.into_scalar(), 0.0);
        let out = burn_gan::train::train_step(&gan, b);
        let stats = out.item.stats();
        assert!(stats.first_non_finite().is_none());
        let names: Vec<_> = stats.extra.iter().map(|(k, _)| *k).collect();
        for name in ["info_loss", "info_cat_acc", "info_cont_nll"] {
            assert!(names.contains(&name), "{name} missing in {names:?}");
        }
        let mut grads = out.grads;
        let id = match phase {
            Phase::DISCRIMINATOR => gan.discriminator.continuous.as_ref().unwrap().weight.id,
            _ => gan.generator.project.weight.id,
        };
        let g = grads.remove::<TB, 2>(id).expect("a gradient");
        assert!(g.abs().max().into_scalar() > 0.0);
    }
}
