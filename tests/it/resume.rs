//! Resume equivalence: 2N steps in one go equal N steps, a restart from the checkpoint, and N
//! more, bit for bit (same seed, ndarray).

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Toy;
use burn_gan::train::{fit, latest_checkpoint, TrainingConfig};
use burn_gan_backends::AutodiffBackend;
use burn_gan_zoo::gan::GanConfig;

fn config(steps: usize) -> TrainingConfig {
    TrainingConfig {
        steps,
        batch_size: 64,
        d_steps: 2,
        checkpoint_every: 25,
        log_every: 5,
        sample_every: 25,
        seed: 9,
        ..TrainingConfig::default()
    }
}

fn model() -> burn_gan_zoo::gan::Gan<AutodiffBackend> {
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 9);
    GanConfig::toy().with_dropout(0.0).init(&device)
}

#[test]
fn resumed_training_is_identical_to_uninterrupted_training() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    let data = Arc::new(Toy::Ring8.samples(1000, 0));

    let whole = crate::common::scratch("resume-whole");
    let a = fit(model(), data.clone(), &config(50), &whole, None, &device).unwrap();

    let split = crate::common::scratch("resume-split");
    fit(model(), data.clone(), &config(25), &split, None, &device).unwrap();
    assert_eq!(latest_checkpoint(&split), Some(1));
    // A fresh model: everything must come from the checkpoint.
    let device2 = burn_gan_backends::device();
    AutodiffBackend::seed(&device2, 12345);
    let fresh = GanConfig::toy().init::<AutodiffBackend>(&device2);
    let b = fit(fresh, data, &config(50), &split, Some(1), &device).unwrap();

    assert_eq!(crate::common::params(&a), crate::common::params(&b));
    assert_eq!(latest_checkpoint(&split), Some(2));
    // The metrics of the resumed run continue the first part's without gaps or repeats.
    let steps: Vec<u64> = crate::common::metrics(&split)
        .iter()
        .map(|r| r["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, (1..=10).map(|i| i * 5).collect::<Vec<_>>());
}
