//! Using burn-gan as a library: train the original GAN on ring8 into a run folder and measure
//! its mode coverage; then encode and decode images with a VAE/GAN (trained weights from a run
//! folder when one is given); then sample a progressively grown GAN at its final resolution.
//! `cargo run --release -p burn-gan-zoo --example library [VAEGAN_RUN]`

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
    autoencode(std::env::args().nth(1).as_deref())?;
    grown_samples();
    Ok(())
}
// ANCHOR_END: library

// ANCHOR: vaegan
/// A VAE/GAN as a plain module: encode images to codes, decode codes to images, sample the prior.
/// `run`: a `burn-gan train vaegan` run folder on 28x28 gray images whose latest weights to load.
fn autoencode(run: Option<&str>) -> Result<(), burn_gan::Error> {
    use burn::tensor::{Distribution, Tensor};
    use burn_gan::train::{latest_checkpoint, load_weights, Adversarial, Condition, Encoder};
    use burn_gan_zoo::vaegan::VaeganConfig;

    let device = burn_gan_backends::device();
    let mut model = VaeganConfig::new(1, 28).init::<Backend>(&device);
    if let Some(run) = run.map(Path::new) {
        let n = latest_checkpoint(run)
            .ok_or_else(|| burn_gan::Error::Invalid(format!("{}: no checkpoint", run.display())))?;
        model = load_weights(model, run, n, &device)?;
    }
    let images =
        Tensor::<Backend, 4>::random([4, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device);
    let (mean, log_var) = model.encode(images.clone()); // [4, 128] each
    let reconstructions = model.reconstruct(images); // the decoded means, [4, 1, 28, 28]
    let z = Tensor::random(
        [4, model.latent_dim()],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let samples = model.sample(Condition::noise(z)); // decoded prior codes
    println!(
        "codes {:?} (mean log-variance {:.3}), reconstructions {:?}, samples {:?}",
        mean.dims(),
        log_var.mean().into_scalar(),
        reconstructions.dims(),
        samples.dims()
    );
    Ok(())
}
// ANCHOR_END: vaegan

// ANCHOR: progan
/// A ProGAN as a plain module: its generator draws at any stage of its growth; the final
/// resolution is level `levels()` with the newest block fully faded in.
fn grown_samples() {
    use burn::tensor::{Distribution, Tensor};
    use burn_gan_zoo::progan::{ProganConfig, Stage};

    let device = burn_gan_backends::device();
    let config = ProganConfig::new(3, 32);
    let model = config.init::<Backend>(&device);
    let z = Tensor::random(
        [4, config.latent_dim],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let last = Stage {
        level: config.levels(),
        alpha: 1.0,
    };
    let images = model.generator.forward(z.clone(), last); // [4, 3, 32, 32]
    let coarse = model.generator.forward(
        z,
        Stage {
            level: 0,
            alpha: 1.0,
        },
    ); // [4, 3, 4, 4]
    println!(
        "final resolution {:?}, first stage {:?}",
        images.dims(),
        coarse.dims()
    );
}
// ANCHOR_END: progan
