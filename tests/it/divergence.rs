//! A diverging run stops with a clear error and keeps its last good checkpoint.

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Toy;
use burn_gan::train::{
    fit, latest_checkpoint, load_weights, NetworkId, OptimizerConfig, TrainingConfig,
};
use burn_gan::Error;
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::gan::GanConfig;

#[test]
fn a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 3);
    let data = Arc::new(Toy::Grid25.samples(512, 0));
    let run = crate::common::scratch("diverge");
    let good = TrainingConfig {
        steps: 4,
        batch_size: 32,
        checkpoint_every: 2,
        log_every: 1,
        sample_every: 4,
        ..TrainingConfig::default()
    };
    fit(
        GanConfig::toy().init::<AutodiffBackend>(&device),
        data.clone(),
        &good,
        &run,
        None,
        &device,
    )
    .unwrap();
    assert_eq!(latest_checkpoint(&run), Some(4));
    let before = std::fs::read(run.join("checkpoint/model-4.mpk")).unwrap();

    // An absurd discriminator learning rate (same algorithm, so the optimizer state of the
    // checkpoint still applies) sends its logits to infinity within a step.
    let mut bad = TrainingConfig { steps: 20, ..good };
    bad.set_optimizer(NetworkId::DISCRIMINATOR, OptimizerConfig::adam(1e38));
    let err = fit(
        GanConfig::toy().init::<AutodiffBackend>(&device),
        data,
        &bad,
        &run,
        Some(4),
        &device,
    )
    .err()
    .expect("training must stop");
    assert!(matches!(err, Error::Diverged { step: 5..=6, .. }), "{err}");
    assert!(
        err.to_string().contains("the last good checkpoint is kept"),
        "{err}"
    );
    assert_eq!(latest_checkpoint(&run), Some(4));
    assert_eq!(
        std::fs::read(run.join("checkpoint/model-4.mpk")).unwrap(),
        before
    );
    load_weights(GanConfig::toy().init::<Backend>(&device), &run, 4, &device).unwrap();
}
