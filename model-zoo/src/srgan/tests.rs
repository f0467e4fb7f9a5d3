//! Tests of SRGAN: the pixel shuffle, shapes, the step-dependent phase table, the losses of each
//! phase, the fixed content network, and the settings and data it refuses.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::Distribution;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{check_model, train_step, GanOptimizer};

use crate::registry::Family;

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn small() -> SrganConfig {
    SrganConfig::new(1)
        .with_features(4)
        .with_blocks(1)
        .with_pretrain_steps(2)
}

fn batch<B: Backend>(phase: Phase, step: usize, device: &B::Device) -> GanBatch<B> {
    GanBatch {
        phase,
        real: Tensor::random([2, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), device),
        labels: None,
        z: Tensor::zeros([2, 0], device),
        seed: 3,
        step: StepInfo {
            step,
            steps: 10,
            d_steps: 1,
        },
        input: Some(Tensor::random(
            [2, 1, 7, 7],
            Distribution::Uniform(-1.0, 1.0),
            device,
        )),
        second: None,
    }
}

#[test]
fn the_pixel_shuffle_puts_each_group_of_four_maps_into_a_2x2_block() {
    let device = Default::default();
    // One image, 4 maps of 1x2: map k holds 10k + column.
    let values: Vec<f32> = (0..4)
        .flat_map(|k| (0..2).map(move |x| (10 * k + x) as f32))
        .collect();
    let x = Tensor::<TB, 4>::from_data(TensorData::new(values, [1, 4, 1, 2]), &device);
    let y = pixel_shuffle(x, 2);
    assert_eq!(y.dims(), [1, 1, 2, 4]);
    // Output (row i, column 2x + j) comes from map 2i + j at column x, as PyTorch's
    // nn.PixelShuffle does.
    let got: Vec<f32> = y.into_data().to_vec().unwrap();
    assert_eq!(got, [0.0, 10.0, 1.0, 11.0, 20.0, 30.0, 21.0, 31.0]);
}

#[test]
fn the_generator_upsamples_by_the_task_and_the_discriminator_takes_any_size() {
    let device = Default::default();
    for (task, side, c) in [(Task::Sr4, 7, 1), (Task::Sr2, 14, 1), (Task::Sr4, 8, 3)] {
        let config = SrganConfig {
            channels: c,
            ..small()
        }
        .with_task(task)
        .with_content("pixels".into());
        let model = config.init::<TB>(&device);
        let x = Tensor::<TB, 4>::random([2, c, side, side], Distribution::Default, &device);
        let y = model.generator.forward(x);
        let f = task.factor();
        assert_eq!(y.dims(), [2, c, side * f, side * f]);
        let logits = model.discriminator.as_ref().unwrap().forward(y);
        assert_eq!(logits.dims(), [2, 1]);
    }
}

#[test]
fn the_phase_table_pretrains_the_generator_then_alternates() {
    let device = Default::default();
    let model = small().init::<TB>(&device);
    let at = |step| StepInfo {
        step,
        steps: 10,
        d_steps: 1,
    };
    assert_eq!(model.phases(&at(0)), [Phase::GENERATOR.fresh()]);
    assert_eq!(model.phases(&at(1)), [Phase::GENERATOR.fresh()]);
    assert_eq!(
        model.phases(&at(2)),
        [Phase::DISCRIMINATOR, Phase::GENERATOR]
    );
    let srresnet = SrganConfig::srresnet(1).init::<TB>(&device);
    assert!(srresnet.discriminator.is_none() && srresnet.content.is_none());
    assert_eq!(srresnet.networks(), [NetworkId::GENERATOR]);
    assert_eq!(srresnet.phases(&at(9)), [Phase::GENERATOR.fresh()]);
}

/// A weight of the generator, of the discriminator, and of the content network.
fn snapshot(m: &Srgan<AB>) -> [Vec<f32>; 3] {
    let m = m.valid();
    let w = |t: Tensor<TB, 4>| t.into_data().to_vec::<f32>().unwrap();
    let content: Vec<f32> = {
        let mut v = Vec::new();
        struct Grab<'a>(&'a mut Vec<f32>);
        impl burn::module::ModuleVisitor<TB> for Grab<'_> {
            fn visit_float<const D: usize>(&mut self, p: &burn::module::Param<Tensor<TB, D>>) {
                self.0.extend(p.val().into_data().to_vec::<f32>().unwrap());
            }
        }
        m.content.as_ref().unwrap().visit(&mut Grab(&mut v));
        v
    };
    [
        w(m.generator.tail.weight.val()),
        w(m.discriminator.as_ref().unwrap().convs[0].weight.val()),
        content,
    ]
}

#[test]
fn pretraining_minimises_the_mse_and_then_each_phase_moves_only_its_network() {
    let device = Default::default();
    let config = small();
    let mut model = config.init::<AB>(&device);
    check_model(&model).unwrap();
    let configs = SrganFamily::default_training(&config, SampleKind::Image).optimizers;
    let mut optim = GanOptimizer::<Srgan<AB>, AB>::new(&model.networks(), &configs).unwrap();
    // Pre-training: the loss is the pixel MSE.
    let stats = train_step(&model, batch(Phase::GENERATOR, 0, &device))
        .item
        .stats();
    assert_eq!(stats.loss_g, Some(stats.extra[0].1));
    assert_eq!(stats.extra.len(), 1);
    // After it: content + 1e-3 adversarial; the content network never moves.
    for phase in model.phases(&StepInfo {
        step: 2,
        steps: 10,
        d_steps: 1,
    }) {
        let before = snapshot(&model);
        let out = train_step(&model, batch(phase, 2, &device));
        let stats = out.item.stats();
        assert!(stats.first_non_finite().is_none(), "{stats:?}");
        if phase.network == NetworkId::GENERATOR {
            let names: Vec<_> = stats.extra.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, ["mse", "content", "adversarial"]);
            let want = stats.extra[1].1 + 1e-3 * stats.extra[2].1;
            assert!((stats.loss_g.unwrap() - want).abs() < 1e-5, "{stats:?}");
        }
        model = optim.step(1.0, model, out.grads);
        let after = snapshot(&model);
        let g = phase.network == NetworkId::GENERATOR;
        let moved: Vec<bool> = (0..3).map(|i| before[i] != after[i]).collect();
        assert_eq!(moved, [g, !g, false], "{phase:?}");
    }
}

#[test]
fn the_content_loss_is_zero_for_the_truth_and_grows_with_the_error() {
    let device = Default::default();
    let model = small().init::<TB>(&device);
    let real = Tensor::<TB, 4>::random([2, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device);
    let loss = |x: Tensor<TB, 4>| -> f32 { model.content_loss(x, real.clone()).into_scalar() };
    assert_eq!(loss(real.clone()), 0.0);
    let noise = Tensor::random([2, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let (near, far) = (
        loss(real.clone() + noise.clone().mul_scalar(0.05)),
        loss(real.clone() + noise.mul_scalar(0.5)),
    );
    assert!(0.0 < near && near < far, "{near} {far}");
}

#[test]
fn settings_and_data_that_cannot_train_are_refused_in_one_line() {
    assert!(small().validate().is_ok());
    let e = small().with_task(Task::Denoise).validate().unwrap_err();
    assert!(e.contains("sr2 or sr4"), "{e}");
    let e = small().with_content("vgg".into()).validate().unwrap_err();
    assert!(e.contains("content `vgg`"), "{e}");
    let rgb = SrganConfig {
        channels: 3,
        ..small()
    };
    let e = rgb.validate().unwrap_err();
    assert!(e.contains("content=pixels"), "{e}");
    assert!(small().with_adversarial_weight(-1.0).validate().is_err());
    // The classifier's maps need 28x28 images; sides the factor does not divide are refused.
    for side in [16, 64] {
        let e = small().check_shape([1, side, side]).unwrap_err();
        assert!(e.contains("content=pixels"), "{e}");
    }
    assert!(small().check_shape([1, 32, 32]).is_ok());
    // SRResNet has no content loss, so RGB needs no setting.
    assert!(SrganConfig::srresnet(3).validate().is_ok());
    assert!(small()
        .with_content("pixels".into())
        .check_shape([1, 16, 16])
        .is_ok());
    assert!(small().check_shape([1, 30, 30]).is_err());
}

#[test]
fn presets_pick_the_content_network_of_the_data() {
    let data = |shape: [usize; 3], source: &str| Samples {
        values: vec![0.0; shape.iter().product()],
        shape,
        labels: None,
        num_classes: None,
        kind: SampleKind::Image,
        source: source.into(),
        paired: None,
    };
    let content = |d: &Samples| super::family::content_for(d);
    assert_eq!(content(&data([1, 28, 28], "fashion-mnist")), "fashion");
    assert_eq!(content(&data([1, 28, 28], "/data/mnist/train")), "mnist");
    assert_eq!(content(&data([3, 64, 64], "emoji")), "pixels");
    assert_eq!(content(&data([1, 16, 16], "x")), "pixels");
    assert_eq!(content(&data([1, 64, 64], "gray photos")), "pixels");
    assert_eq!(content(&data([1, 28, 28], "kmnist")), "fashion");
}
