//! The original GAN learns the ring of 8 Gaussians on the CPU within a small budget.

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Toy;
use burn_gan::train::{fit, toy_coverage};
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::gan::{GanConfig, GanFamily};
use burn_gan_zoo::registry::ModelSpec;

#[test]
fn original_gan_covers_the_modes_of_ring8() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 42);
    let data = Arc::new(Toy::Ring8.samples(20_000, 0));
    // The CLI's defaults for `burn-gan train gan --data ring8`.
    let spec = ModelSpec::for_data("gan", &data).unwrap();
    let config = spec
        .config::<GanFamily>()
        .expect("gan on points is the MLP GAN");
    assert_eq!(config, GanConfig::toy());
    let training = spec.default_training(data.kind).unwrap();
    let run = crate::common::scratch("ring8");
    let trained = fit(
        config.init::<AutodiffBackend>(&device),
        data,
        &training,
        &run,
        None,
        &device,
    )
    .unwrap();

    let c = toy_coverage::<Backend, _>(&trained, Toy::Ring8, 2500, 7, &device);
    eprintln!("ring8 coverage: {c:?}");
    assert!(
        c.modes_covered >= 7,
        "only {} of 8 modes covered: {:?}",
        c.modes_covered,
        c.per_mode
    );
    assert!(
        c.high_quality >= 0.8,
        "{:.1}% of samples are far from every mode",
        100.0 * (1.0 - c.high_quality)
    );
}
