//! Tests of CycleGAN: shapes, the image pool's rule, the phases' gradients and losses, the
//! domains of the data, and the pool's state in a checkpoint.

use super::*;
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::Distribution;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::{check_model, train_step, GanOptimizer, ImageBatch};

use crate::registry::Family;

type TB = burn_gan_backends::Backend;
type AB = Autodiff<TB>;

fn small(c: usize, side: usize) -> CycleganConfig {
    CycleganConfig::new(c, side, side)
        .with_features(4)
        .with_blocks(1)
        .with_pool_size(3)
}

fn batch<B: Backend>(c: usize, phase: Phase, seed: u64, device: &B::Device) -> GanBatch<B> {
    let images = |offset: f64| {
        Tensor::<B, 4>::random([2, c, 16, 16], Distribution::Uniform(-1.0, 1.0), device)
            .mul_scalar(0.5)
            .add_scalar(offset)
    };
    GanBatch {
        phase,
        real: images(-0.3),
        labels: None,
        z: Tensor::zeros([2, 0], device),
        seed,
        step: StepInfo::default(),
        input: None,
        second: Some(ImageBatch {
            images: images(0.3),
            labels: None,
        }),
    }
}

#[test]
fn generators_keep_the_image_shape_and_discriminators_judge_patches() {
    let device = Default::default();
    for (c, side) in [(1, 28), (3, 16), (3, 64), (1, 8)] {
        let model = small(c, side).init::<TB>(&device);
        let x = Tensor::<TB, 4>::random([2, c, side, side], Distribution::Default, &device);
        for y in [model.a_to_b(x.clone()), model.b_to_a(x.clone())] {
            assert_eq!(y.dims(), [2, c, side, side]);
            let values: Vec<f32> = y.into_data().to_vec().unwrap();
            assert!(values.iter().all(|v| v.abs() <= 1.0));
        }
        let p = side / 4 - 1;
        assert_eq!(model.d_a.judge(x).dims(), [2, p * p]);
    }
}

#[test]
fn settings_that_cannot_train_are_refused_in_one_line() {
    assert!(small(1, 28).validate().is_ok());
    let e = small(1, 30).validate().unwrap_err();
    assert!(e.contains("multiples of 4") && e.contains("30x30"), "{e}");
    assert!(small(2, 28).validate().is_err());
    assert!(small(1, 28).with_cycle_weight(-1.0).validate().is_err());
    let e = small(1, 28).with_patch_layers(4).validate().unwrap_err();
    assert!(
        e.contains("patch_layers 4") && e.contains("at most 3"),
        "{e}"
    );
    assert!(small(1, 28).with_patch_layers(3).validate().is_ok());
    let e = small(1, 28).with_class_b(7).validate().unwrap_err();
    assert!(e.contains("class_a and class_b"), "{e}");
}

#[test]
fn the_pool_fills_first_then_swaps_about_half_of_the_images() {
    // Filling: every new image goes in and comes back.
    let plan = pool_plan(4, 0, 3, 1);
    assert_eq!(plan.returned, [4, 5, 6]);
    assert_eq!(plan.slots, [4, 5, 6, 3]);
    assert_eq!(plan.filled, 3);
    // Full: each image either comes back (and the pool keeps its slots) or swaps with a slot.
    let (size, n) = (50, 2000);
    let plan = pool_plan(size, size, n, 7);
    let fresh = plan
        .returned
        .iter()
        .enumerate()
        .filter(|(k, &i)| i == size + k)
        .count();
    let share = fresh as f64 / n as f64;
    assert!((0.45..0.55).contains(&share), "{share}");
    // Some swaps return an image stored before this query.
    assert!(plan.returned.iter().any(|&i| i < size));
    // No image is returned twice: each comes back once, now or when swapped out.
    let mut seen = plan.returned.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), n);
    // The same seed gives the same plan; no pool returns the new images.
    assert_eq!(pool_plan(size, size, n, 7), plan);
    assert_eq!(pool_plan(0, 0, 3, 7).returned, [0, 1, 2]);
}

#[test]
fn a_pool_query_returns_images_of_the_batch_or_of_the_pool_and_keeps_them() {
    let device = Default::default();
    let pool = ImagePool::<TB>::new(2, [1, 2, 2], &device);
    assert!(pool.is_empty());
    let constant = |v: f32, n: usize| Tensor::<TB, 4>::full([n, 1, 2, 2], v, &device);
    // The first two images fill the pool.
    let out = pool.query(constant(1.0, 2), 0);
    assert_eq!(out.into_data().to_vec::<f32>().unwrap(), [1.0; 8]);
    assert_eq!(pool.len(), 2);
    // Then each comes back (2.0) or is swapped for a stored one (1.0); over many queries both.
    let (mut old, mut new) = (0, 0);
    for seed in 0..20 {
        let out: Vec<f32> = pool
            .query(constant(2.0 + seed as f32, 1), seed)
            .into_data()
            .to_vec()
            .unwrap();
        if out[0] == 2.0 + seed as f32 {
            new += 1
        } else {
            old += 1
        }
    }
    assert!(old > 0 && new > 0, "{old} {new}");
    assert_eq!(pool.len(), 2);
}

/// A weight of each of the four networks.
fn snapshot(m: &Cyclegan<AB>) -> [Vec<f32>; 4] {
    let m = m.valid();
    let w = |t: Tensor<TB, 4>| t.into_data().to_vec().unwrap();
    [
        w(m.g_ab.tail.conv.weight.val()),
        w(m.g_ba.tail.conv.weight.val()),
        w(m.d_a.logits.weight.val()),
        w(m.d_b.logits.weight.val()),
    ]
}

#[test]
fn each_phase_moves_only_its_networks_and_reports_its_losses() {
    let device = Default::default();
    let config = small(1, 16);
    let mut model = config.init::<AB>(&device);
    check_model(&model).unwrap();
    let configs = CycleganFamily::default_training(&config, SampleKind::Image).optimizers;
    let mut optim = GanOptimizer::<Cyclegan<AB>, AB>::new(&model.networks(), &configs).unwrap();
    assert_eq!(
        model.phases(&StepInfo::default()),
        [Phase::GENERATOR.fresh(), Phase::DISCRIMINATOR]
    );
    for phase in model.phases(&StepInfo::default()) {
        let before = snapshot(&model);
        let out = train_step(&model, batch(1, phase, 5, &device));
        let stats = out.item.stats();
        assert!(stats.first_non_finite().is_none(), "{stats:?}");
        if phase.network == NetworkId::GENERATOR {
            let extra: Vec<_> = stats.extra.iter().map(|(n, _)| *n).collect();
            assert_eq!(extra, ["identity", "adversarial", "cycle"]);
            let [identity, adversarial, cycle] = [0, 1, 2].map(|i| stats.extra[i].1);
            let want = adversarial + 10.0 * cycle + 5.0 * identity;
            assert!((stats.loss_g.unwrap() - want).abs() < 1e-3, "{stats:?}");
        } else {
            assert!(stats.loss_d.is_some_and(f64::is_finite), "{stats:?}");
            // The discriminator phase put the batch's translations into both pools.
            assert_eq!((model.pool_a.len(), model.pool_b.len()), (2, 2));
        }
        model = optim.step(1.0, model, out.grads);
        let after = snapshot(&model);
        let moved: Vec<bool> = (0..4).map(|i| before[i] != after[i]).collect();
        let g = phase.network == NetworkId::GENERATOR;
        assert_eq!(moved, [g, g, !g, !g], "{phase:?}");
    }
}

#[test]
fn validation_leaves_the_pools_alone() {
    let device = Default::default();
    let model = small(1, 16).init::<TB>(&device);
    let out = model
        .phase_loss(&batch(1, Phase::DISCRIMINATOR, 5, &device))
        .1;
    assert!(out.loss_d.is_some());
    assert!(model.pool_a.is_empty() && model.pool_b.is_empty());
}

fn labelled(classes: &[usize]) -> Samples {
    Samples {
        values: classes
            .iter()
            .flat_map(|&c| vec![c as f32 / 10.0; 16])
            .collect(),
        shape: [1, 4, 4],
        labels: Some(classes.to_vec()),
        num_classes: Some(10),
        kind: SampleKind::Image,
        source: "set".into(),
        paired: None,
    }
}

#[test]
fn one_labelled_set_splits_into_the_two_classes() {
    let config = CycleganConfig::new(1, 4, 4).with_class_a(1).with_class_b(2);
    let (a, b) = CycleganFamily::domains(&config, labelled(&[1, 2, 3, 1, 2, 1]), None).unwrap();
    let b = b.unwrap();
    assert_eq!((a.len(), b.len()), (3, 2));
    assert!(a.values.iter().all(|&v| v == 0.1) && b.values.iter().all(|&v| v == 0.2));
    assert!(a.source.contains("class 1"), "{}", a.source);
    // A class the set lacks, and a set without labels, are named.
    let e = CycleganFamily::domains(&config.clone().with_class_b(5), labelled(&[1, 2]), None)
        .unwrap_err();
    assert!(
        e.contains("class_b 5") && e.contains("--set class_b=N"),
        "{e}"
    );
    let mut unlabelled = labelled(&[1, 2]);
    unlabelled.labels = None;
    let e = CycleganFamily::domains(&config, unlabelled, None).unwrap_err();
    assert!(e.contains("--data-b"), "{e}");
    // A second set is taken whole, and must have the first's shape.
    let (a, b) = CycleganFamily::domains(&config, labelled(&[3, 3]), Some(labelled(&[4]))).unwrap();
    assert_eq!((a.len(), b.unwrap().len()), (2, 1));
    let mut other = labelled(&[4]);
    other.shape = [1, 2, 8];
    let e = CycleganFamily::domains(&config, labelled(&[3]), Some(other)).unwrap_err();
    assert!(e.contains("--data-b") && e.contains("[1, 2, 8]"), "{e}");
    // One-domain families refuse a second set.
    let e = crate::dcgan::DcganFamily::domains(
        &crate::dcgan::DcganFamily::stored_defaults(),
        labelled(&[1]),
        Some(labelled(&[2])),
    )
    .unwrap_err();
    assert!(e.contains("--data-b") && e.contains("cyclegan"), "{e}");
}

#[test]
fn the_pools_are_saved_with_the_weights() {
    use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
    let device = Default::default();
    let config = small(1, 16);
    let model = config.init::<TB>(&device);
    let fakes = Tensor::<TB, 4>::full([2, 1, 16, 16], 0.25, &device);
    model.pool_b.query(fakes, 0);
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    let bytes = recorder.record(model.into_record(), ()).unwrap();
    let record = recorder.load(bytes, &device).unwrap();
    let loaded = config.init::<TB>(&device).load_record(record);
    assert_eq!((loaded.pool_a.len(), loaded.pool_b.len()), (0, 2));
    let kept = loaded.pool_b.images();
    assert_eq!(kept.dims(), [2, 1, 16, 16]);
    assert!(kept
        .into_data()
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .all(|&v| v == 0.25));
}

#[test]
fn the_runs_own_evaluation_is_refused() {
    let mut training = CycleganFamily::default_training(&small(1, 28), SampleKind::Image);
    assert!(CycleganFamily::check_training(&small(1, 28), &training).is_ok());
    training.eval_every = 100;
    let e = CycleganFamily::check_training(&small(1, 28), &training).unwrap_err();
    assert!(
        e.contains("--eval-every") && e.contains("burn-gan score"),
        "{e}"
    );
}
