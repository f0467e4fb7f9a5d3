//! Using burn-gan as a library: train the original GAN on ring8 into a run folder and measure
//! its mode coverage. `cargo run --release -p burn-gan-zoo --example library`

use std::path::Path;
use std::sync::Arc;

use burn::tensor::backend::Backend as _;
// ANCHOR: library
use burn_gan::data::Toy;
use burn_gan::train::{fit, toy_coverage, LrDecay, OptimizerConfig, TrainingConfig};
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::gan::GanConfig;

fn main() -> Result<(), burn_gan::Error> {
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, 42);
    let model = GanConfig::toy().init::<AutodiffBackend>(&device);
    let data = Arc::new(Toy::Ring8.samples(20_000, 0));
    let config = TrainingConfig {
        steps: 3000,
        batch_size: 256,
        optimizers: burn_gan::train::gan_optimizers(
            OptimizerConfig::adam(1e-3),
            OptimizerConfig::adam(1e-3),
        ),
        lr_decay: LrDecay::Linear,
        ..TrainingConfig::default()
    };
    let trained = fit(
        model,
        data,
        &config,
        Path::new("runs/library-ring8"),
        None,
        &device,
    )?;
    let coverage = toy_coverage::<Backend, _>(&trained, Toy::Ring8, 2500, 7, &device);
    println!(
        "{} of 8 modes, {:.1}% high quality",
        coverage.modes_covered,
        100.0 * coverage.high_quality
    );
    Ok(())
}
// ANCHOR_END: library
