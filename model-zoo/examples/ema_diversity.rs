//! Compares a conditional run's sampling generator (the weight average) with its trained
//! generator: the spread of the samples of one class (mean per-pixel standard deviation over
//! 200 samples) and how far the two generators' samples are apart.
//!
//! `cargo run --release --example ema_diversity -- runs/cgan-mnist CLASS`
use burn::prelude::*;
use burn_gan::train::{latest_checkpoint, load_weights, normal_noise, Adversarial, Condition};
use burn_gan_backends::Backend as B;
use burn_gan_zoo::conditional::ConditionalConfig;

fn spread(x: Tensor<B, 4>) -> f32 {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c * h * w]).var(0).sqrt().mean().into_scalar()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let run = std::path::Path::new(&args[1]);
    let class: i64 = args.get(2).map_or(3, |c| c.parse().unwrap());
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    burn_gan_zoo::registry::fill_model_defaults(&mut config["model"]);
    let config: ConditionalConfig =
        serde_json::from_value(config["model"]["config"].clone()).unwrap();
    let device = burn_gan_backends::device();
    let n = latest_checkpoint(run).expect("a checkpoint");
    let model = load_weights(config.init::<B>(&device), run, n, &device).unwrap();
    let z = normal_noise::<B>(200, model.latent_dim(), 5, &device);
    let labels = Tensor::<B, 1, Int>::full([200], class, &device);
    let average = model.sample(Condition::with_labels(z.clone(), Some(labels.clone())));
    let trained = model.generate_class(z, labels);
    println!(
        "class {class}: spread average {:.4}, trained {:.4}; mean |average - trained| {:.4}",
        spread(average.clone()),
        spread(trained.clone()),
        (average - trained).abs().mean().into_scalar()
    );
}
