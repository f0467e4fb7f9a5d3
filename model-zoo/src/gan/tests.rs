//! Tests of the original GAN.

use super::*;
use burn_gan::train::GanNetworks;
type TB = burn_gan_backends::Backend;

#[test]
fn output_shapes_match_the_config() {
    let device = Default::default();
    let gan = GanConfig::new(8, [1, 4, 5]).init::<TB>(&device);
    let z = Tensor::<TB, 2>::zeros([3, 8], &device);
    let x = gan.generate(z);
    assert_eq!(x.dims(), [3, 1, 4, 5]);
    assert_eq!(gan.discriminate(x).dims(), [3, 1]);
    assert_eq!(gan.latent_dim(), 8);
}

#[test]
fn networks_partition_the_parameters() {
    let gan = GanConfig::toy().init::<TB>(&Default::default());
    let g = gan.network_params(NetworkId::GENERATOR);
    let d = gan.network_params(NetworkId::DISCRIMINATOR);
    assert!(g.iter().all(|id| !d.contains(id)));
    assert_eq!(g.len() + d.len(), burn::module::list_param_ids(&gan).len());
}

#[test]
#[should_panic = "A maxout layer needs at least one piece"]
fn zero_maxout_pieces_are_rejected() {
    GanConfig::toy()
        .with_maxout_pieces(0)
        .init::<TB>(&Default::default());
}

/// Spectral normalisation divides each linear piece of a maxout layer by its own largest
/// singular value (checked against the closed form for a 2-row piece), so every piece,
/// and the maximum over them, is 1-Lipschitz.
#[test]
fn spectral_norm_normalises_each_maxout_piece() {
    use burn::backend::Autodiff;
    use burn::tensor::Distribution;
    type AB = Autodiff<TB>;
    let device = Default::default();
    let (pieces, units) = (3, 6);
    let gan = GanConfig::toy()
        .with_spectral_norm(true)
        .with_maxout_pieces(pieces)
        .with_d_hidden(units)
        .init::<AB>(&device);
    let d = &gan.discriminator;
    let x = Tensor::<AB, 4>::random([5, 2, 1, 1], Distribution::Normal(0.0, 1.0), &device);
    for _ in 0..60 {
        let _ = d.forward(x.clone()); // one power iteration per training forward
    }
    let layer = &d.hidden[0];
    let w = burn_gan::tensor_values(layer.weight.val());
    let b = burn_gan::tensor_values(layer.bias.as_ref().unwrap().val());
    let width = units * pieces;
    let x2: Tensor<AB, 2> = x.clone().flatten(1, 3);
    let xs = burn_gan::tensor_values(x2.clone());
    let got = burn_gan::tensor_values(d.apply(0, layer, x2));
    for p in 0..pieces {
        // Piece p is the [2, units] matrix of columns u * pieces + p; its largest singular
        // value is the square root of the larger eigenvalue of its 2x2 Gram matrix.
        let col = |r: usize, u: usize| w[r * width + u * pieces + p];
        let dot = |r: usize, s: usize| (0..units).map(|u| col(r, u) * col(s, u)).sum::<f64>();
        let (a, c, e) = (dot(0, 0), dot(0, 1), dot(1, 1));
        let sigma = ((a + e) / 2.0 + (((a - e) / 2.0).powi(2) + c * c).sqrt()).sqrt();
        for n in 0..5 {
            for u in 0..units {
                let want =
                    (xs[2 * n] * col(0, u) + xs[2 * n + 1] * col(1, u)) / sigma + b[u * pieces + p];
                let have = got[n * width + u * pieces + p];
                assert!(
                    (want - have).abs() < 1e-4,
                    "piece {p}, sample {n}, unit {u}: {have} vs {want}"
                );
            }
        }
    }
}

/// Minibatch discrimination makes a sample's score depend on the rest of its batch; without
/// it the score is the sample's alone.
#[test]
fn minibatch_discrimination_couples_the_samples_of_a_batch() {
    let device = Default::default();
    for (kernels, coupled) in [(0, false), (4, true)] {
        let gan = GanConfig::toy()
            .with_minibatch_kernels(kernels)
            .init::<TB>(&device);
        let a = Tensor::<TB, 4>::from_floats([[[[0.5]], [[1.0]]], [[[2.0]], [[-1.0]]]], &device);
        let mut b = a.clone();
        b = b.slice_assign([1..2], Tensor::from_floats([[[[0.0]], [[3.0]]]], &device));
        let (sa, sb) = (
            gan.discriminate(a).into_data().to_vec::<f32>().unwrap()[0],
            gan.discriminate(b).into_data().to_vec::<f32>().unwrap()[0],
        );
        assert_eq!(
            (sa - sb).abs() > 1e-7,
            coupled,
            "kernels {kernels}: {sa} vs {sb}"
        );
    }
}

/// With feature matching the generator phase minimises the squared distance of the mean
/// discriminator features, and its gradient reaches the generator only.
#[test]
fn feature_matching_trains_the_generator_on_mean_features() {
    use burn::backend::Autodiff;
    use burn_gan::train::{train_step, GanBatch, Phase};
    type AB = Autodiff<TB>;
    let device = Default::default();
    let gan = GanConfig::toy()
        .with_feature_matching(true)
        .init::<AB>(&device);
    let batch = GanBatch::<AB> {
        phase: Phase::GENERATOR,
        real: Tensor::random(
            [16, 2, 1, 1],
            burn::tensor::Distribution::Normal(0.0, 2.0),
            &device,
        ),
        labels: None,
        z: Tensor::random(
            [16, 2],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        ),
        seed: 3,
        step: Default::default(),
        input: None,
        second: None,
    };
    let want = burn_gan::loss::feature_matching(
        gan.discriminator.features(batch.real.clone()),
        gan.discriminator
            .features(gan.generator.forward(batch.z.clone())),
    )
    .into_scalar();
    let out = train_step(&gan, batch);
    let got = out.item.stats().loss_g.unwrap();
    assert!(
        (got - want as f64).abs() < 1e-5 * want.abs() as f64,
        "{got} vs {want}"
    );
    let mut grads = out.grads;
    let g = grads
        .remove::<TB, 2>(gan.generator.output.weight.id)
        .expect("a generator gradient");
    assert!(g.abs().max().into_scalar() > 0.0);
    assert!(grads
        .remove::<TB, 2>(gan.discriminator.output.weight.id)
        .is_none());
}

/// Historical averaging: after each discriminator update the average is the mean of the
/// discriminator's parameters after every update so far, and the next phase reports the
/// (positive) penalty towards it.
#[test]
fn historical_average_is_the_mean_of_past_parameters() {
    use burn::backend::Autodiff;
    use burn::optim::Optimizer;
    use burn_gan::train::{train_step, GanBatch, GanOptimizer, OptimizerConfig, Phase};
    type AB = Autodiff<TB>;
    let device = Default::default();
    let mut gan = GanConfig::toy()
        .with_historical_averaging(0.5)
        .init::<AB>(&device);
    let mut optim =
        GanOptimizer::for_gan(&OptimizerConfig::adam(1e-2), &OptimizerConfig::adam(1e-2));
    let weights = |g: &Gan<AB>| -> Vec<f32> {
        g.discriminator
            .output
            .weight
            .val()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap()
    };
    let mut seen = Vec::new();
    let mut penalties = Vec::new();
    for seed in 0..3 {
        let batch = GanBatch::<AB> {
            phase: Phase::DISCRIMINATOR,
            real: Tensor::random(
                [32, 2, 1, 1],
                burn::tensor::Distribution::Normal(0.0, 2.0),
                &device,
            ),
            labels: None,
            z: Tensor::random(
                [32, 2],
                burn::tensor::Distribution::Normal(0.0, 1.0),
                &device,
            ),
            seed,
            step: Default::default(),
            input: None,
            second: None,
        };
        let out = train_step(&gan, batch);
        let stats = out.item.stats();
        penalties.push(
            stats
                .extra
                .iter()
                .find(|(k, _)| *k == "history_penalty")
                .unwrap()
                .1,
        );
        gan = optim.step(1.0, gan, out.grads);
        seen.push(weights(&gan));
    }
    let avg: Vec<f32> = gan
        .history
        .as_ref()
        .unwrap()
        .discriminator()
        .output
        .weight
        .val()
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap();
    for i in 0..avg.len() {
        let mean = seen.iter().map(|w| w[i]).sum::<f32>() / 3.0;
        assert!((avg[i] - mean).abs() < 1e-5, "{} vs {mean}", avg[i]);
    }
    // Before any update the average is the initial network itself: no penalty; after two
    // different updates, a positive one.
    assert_eq!(penalties[0], 0.0);
    assert!(penalties[2] > 0.0, "{penalties:?}");
}
