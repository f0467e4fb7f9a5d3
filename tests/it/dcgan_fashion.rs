//! A few DCGAN steps on real Fashion-MNIST images: finite losses, and both networks learn.

use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::Backend as _;
use burn_gan::data::{DataSpec, ImageFolderOptions};
use burn_gan::train::{fit, TrainingConfig};
use burn_gan_backends::AutodiffBackend;
use burn_gan_zoo::dcgan::DcganConfig;

#[test]
fn dcgan_steps_on_fashion_mnist_give_finite_losses_and_move_both_networks() {
    let _serial = crate::common::serial();
    let data = DataSpec::parse(
        crate::common::shared_data("fashion-mnist")
            .to_str()
            .unwrap(),
    )
    .unwrap()
    .load(&ImageFolderOptions::default())
    .unwrap();
    assert_eq!(
        (data.len(), data.shape, data.num_classes),
        (60_000, [1, 28, 28], Some(10))
    );
    let data = Arc::new(data.take(512));

    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 1);
    let model = DcganConfig::dcgan28().init::<AutodiffBackend>(&device);
    let (g0, d0) = (
        crate::common::params(&model.generator.valid()),
        crate::common::params(&model.discriminator.valid()),
    );
    let run = crate::common::scratch("dcgan-fashion");
    let config = TrainingConfig {
        steps: 4,
        batch_size: 32,
        checkpoint_every: 4,
        log_every: 1,
        sample_every: 4,
        grid_size: 16,
        ..TrainingConfig::default()
    };
    let trained = fit(model, data, &config, &run, None, &device).unwrap();

    let rows = crate::common::metrics(&run);
    assert_eq!(rows.len(), 4);
    for row in &rows {
        for key in ["loss_d", "loss_g", "d_real", "d_fake"] {
            let v = row[key].as_f64().unwrap_or(f64::NAN);
            assert!(v.is_finite(), "{key} = {v} in {row}");
        }
    }
    let moved = |a: &[Vec<f32>], b: &[Vec<f32>]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    let (g1, d1) = (
        crate::common::params(&trained.generator),
        crate::common::params(&trained.discriminator),
    );
    // Every weight tensor of both networks was updated (batch-norm running statistics are
    // buffers, not parameters, and are not counted here).
    assert_eq!(moved(&g0, &g1), g0.len(), "generator parameters that moved");
    assert_eq!(
        moved(&d0, &d1),
        d0.len(),
        "discriminator parameters that moved"
    );
    assert!(run.join("samples/step-000004.png").is_file());
    assert!(run.join("losses.png").is_file());
    assert!(run.join("checkpoint/model-4.mpk").is_file());
}
