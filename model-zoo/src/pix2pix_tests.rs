//! Tests of pix2pix: shapes, edge pairs, the phases' gradients, and learning a mapping.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::Distribution;
use burn_gan::train::{check_model, train_step, GanOptimizer};

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn small(c: usize) -> Pix2PixConfig {
    Pix2PixConfig::new(c).with_features(8)
}

fn batch<B: Backend>(c: usize, phase: Phase, device: &B::Device) -> GanBatch<B> {
    GanBatch {
        phase,
        real: Tensor::random([2, c, 16, 16], Distribution::Uniform(-1.0, 1.0), device),
        labels: None,
        z: Tensor::zeros([2, 0], device),
        seed: 3,
        step: StepInfo::default(),
        input: Some(Tensor::random(
            [2, 1, 16, 16],
            Distribution::Uniform(-1.0, 1.0),
            device,
        )),
        second: None,
    }
}

#[test]
fn the_unet_maps_an_edge_map_to_an_image_of_its_size() {
    let device = Default::default();
    for (c, depth, side) in [(1, 2, 28), (3, 2, 16), (3, 3, 64), (1, 1, 8)] {
        let model = small(c).with_depth(depth).init::<TB>(&device);
        let x = Tensor::<TB, 4>::zeros([2, 1, side, side], &device);
        let y = model.sample(Condition {
            z: Tensor::zeros([2, 0], &device),
            labels: None,
            input: Some(x.clone()),
        });
        assert_eq!(y.dims(), [2, c, side, side]);
        // tanh output.
        let values: Vec<f32> = y.into_data().to_vec().unwrap();
        assert!(values.iter().all(|v| v.abs() <= 1.0));
        let logits = model
            .discriminator
            .as_ref()
            .unwrap()
            .forward(x, Tensor::zeros([2, c, side, side], &device));
        let p = side / 4 - 1;
        assert_eq!(logits.dims(), [2, p * p]);
    }
}

#[test]
fn shapes_the_unet_cannot_take_are_refused_in_one_line() {
    let config = small(1);
    assert!(config.check_shape([1, 28, 28]).is_ok());
    let e = config.check_shape([1, 30, 30]).unwrap_err();
    assert!(e.contains("multiples of 4") && e.contains("30x30"), "{e}");
    assert!(small(1).with_depth(0).validate().is_err());
    assert!(small(2).validate().is_err());
    assert!(small(1).with_edge_threshold(1.5).validate().is_err());
}

/// The trained weights of the generator's last layer and of the discriminator's (batch norm's
/// running averages also change in a discriminator phase, which runs the generator).
fn snapshot(m: &Pix2Pix<AB>) -> (Vec<f32>, Vec<f32>) {
    let m = m.valid();
    (
        m.generator.out.weight.val().into_data().to_vec().unwrap(),
        m.discriminator
            .as_ref()
            .unwrap()
            .logits
            .weight
            .val()
            .into_data()
            .to_vec()
            .unwrap(),
    )
}

#[test]
fn each_phase_moves_only_its_network() {
    let device = Default::default();
    let mut model = small(1).init::<AB>(&device);
    check_model(&model).unwrap();
    let configs = Pix2PixFamily::default_training(&small(1), SampleKind::Image).optimizers;
    let mut optim = GanOptimizer::<Pix2Pix<AB>, AB>::new(&model.networks(), &configs).unwrap();
    for phase in model.phases(&StepInfo::default()) {
        let before = snapshot(&model);
        let out = train_step(&model, batch(1, phase, &device));
        let stats = out.item.stats();
        assert!(stats.first_non_finite().is_none(), "{stats:?}");
        if phase.network == NetworkId::GENERATOR {
            let names: Vec<_> = stats.values().iter().map(|(n, _)| *n).collect();
            assert_eq!(names, ["loss_g", "l1", "adversarial"]);
            let (l1, adv) = (stats.extra[0].1, stats.extra[1].1);
            assert!(
                (stats.loss_g.unwrap() - (adv + 100.0 * l1)).abs() < 1e-3,
                "{stats:?}"
            );
        } else {
            assert!(stats.loss_d.is_some_and(f64::is_finite), "{stats:?}");
        }
        model = optim.step(1.0, model, out.grads);
        let after = snapshot(&model);
        let moved = [before.0 != after.0, before.1 != after.1];
        let want = [
            phase.network == NetworkId::GENERATOR,
            phase.network == NetworkId::DISCRIMINATOR,
        ];
        assert_eq!(moved, want, "{phase:?}");
    }
}

#[test]
fn the_l1_only_unet_has_no_discriminator() {
    let device = Default::default();
    let model = small(1).with_adversarial_weight(0.0).init::<AB>(&device);
    assert!(model.discriminator.is_none());
    assert_eq!(model.networks(), [NetworkId::GENERATOR]);
    assert_eq!(
        model.phases(&StepInfo::default()),
        [Phase::GENERATOR.fresh()]
    );
    let stats = train_step(&model, batch(1, Phase::GENERATOR, &device))
        .item
        .stats();
    let l1 = stats.extra[0].1;
    assert!(
        (stats.loss_g.unwrap() - 100.0 * l1).abs() < 1e-3,
        "{stats:?}"
    );
    assert!(small(1)
        .with_adversarial_weight(0.0)
        .with_l1_weight(0.0)
        .validate()
        .is_err());
}

#[test]
fn edge_pairs_give_each_image_its_edge_map() {
    // A bright square on black: its outline is the only edge.
    let side = 16;
    let values: Vec<f32> = (0..side * side)
        .map(|i| {
            let (y, x) = (i / side, i % side);
            if (4..12).contains(&y) && (4..12).contains(&x) {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    let samples = Samples {
        values,
        shape: [1, side, side],
        labels: None,
        num_classes: None,
        kind: SampleKind::Image,
        source: "square".into(),
        paired: None,
    };
    let pairs = Pix2PixFamily::prepare_data(&small(1), samples.clone(), 0).unwrap();
    let input = pairs.paired.as_ref().unwrap();
    assert_eq!(input.shape, [1, side, side]);
    assert_eq!(pairs.values, samples.values);
    let edges: Vec<bool> = input.values.iter().map(|&v| v < 0.0).collect();
    // Edge pixels hug the square's border; the centre and the far background have none.
    assert!(edges[4 * side + 4] && edges[11 * side + 8]);
    assert!(!edges[8 * side + 8] && !edges[0]);
    let count = edges.iter().filter(|e| **e).count();
    assert!((28..=80).contains(&count), "{count} edge pixels");
}
