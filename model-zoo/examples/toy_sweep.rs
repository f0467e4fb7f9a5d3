//! Trains the original GAN on a toy set under several settings and prints mode coverage, to
//! choose the `gan-toy` preset's defaults. Run:
//! `cargo run --release -p burn-gan-zoo --example toy_sweep -- ring8 3000 256 1e-3 5 128 16 [seed]`
//! (data, steps, batch, lr, maxout pieces, hidden, latent, seed, [lr_d, dropout, g_layers, constant|linear]),
//! then optional `key=value` settings: `loss=` (standard, least-squares, hinge, wasserstein),
//! `gp=` (gradient-penalty lambda), `sn=on`, `d_steps=`, `beta1=`, `beta2=` (Adam), `d_layers=`,
//! `d_hidden=`, `g_hidden=`, `mbd=` (minibatch kernels).

use std::sync::Arc;

use burn::tensor::backend::Backend as _;
use burn_gan::data::Toy;
use burn_gan::train::{fit, toy_coverage, OptimizerConfig, TrainingConfig};
use burn_gan_backends::{AutodiffBackend, Backend};
use burn_gan_zoo::gan::GanConfig;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or(d.to_string());
    let toy = Toy::from_name(&arg(0, "ring8")).expect("ring8 or grid25");
    let steps: usize = arg(1, "3000").parse().unwrap();
    let batch: usize = arg(2, "256").parse().unwrap();
    let lr: f64 = arg(3, "1e-3").parse().unwrap();
    let pieces: usize = arg(4, "5").parse().unwrap();
    let hidden: usize = arg(5, "128").parse().unwrap();
    let latent: usize = arg(6, "16").parse().unwrap();
    let seed: u64 = arg(7, "42").parse().unwrap();
    let lr_d: f64 = arg(8, &lr.to_string()).parse().unwrap();
    let dropout: f64 = arg(9, "0").parse().unwrap();
    let g_layers: usize = arg(10, "2").parse().unwrap();
    let decay: burn_gan::train::LrDecay = arg(11, "constant").parse().unwrap();
    let mut opt = std::collections::HashMap::new();
    for kv in a.iter().skip(12) {
        let (k, v) = kv
            .split_once('=')
            .expect("settings after the positional ones are key=value");
        opt.insert(k.to_string(), v.to_string());
    }
    let get = |k: &str, d: &str| opt.get(k).cloned().unwrap_or(d.to_string());
    let loss: burn_gan::loss::LossFamily = get("loss", "standard").parse().unwrap();
    let gp: f64 = get("gp", "0").parse().unwrap();
    let sn = get("sn", "off") == "on";
    let d_steps: usize = get("d_steps", "1").parse().unwrap();
    let beta1: f32 = get("beta1", "0.5").parse().unwrap();
    let beta2: f32 = get("beta2", "0.999").parse().unwrap();
    let d_layers: usize = get("d_layers", "2").parse().unwrap();
    let d_hidden: usize = get("d_hidden", &hidden.to_string()).parse().unwrap();
    let g_hidden: usize = get("g_hidden", &hidden.to_string()).parse().unwrap();
    let mbd: usize = get("mbd", "0").parse().unwrap();
    let adam = |lr: f64| OptimizerConfig::Adam {
        lr,
        beta1,
        beta2,
        epsilon: 1e-8,
    };
    let device = burn_gan_backends::device();
    AutodiffBackend::seed(&device, seed);
    let model = GanConfig {
        latent_dim: latent,
        ..GanConfig::toy()
    }
    .with_maxout_pieces(pieces)
    .with_g_hidden(g_hidden)
    .with_d_hidden(d_hidden)
    .with_d_layers(d_layers)
    .with_loss(loss)
    .with_gradient_penalty(gp)
    .with_spectral_norm(sn)
    .with_minibatch_kernels(mbd)
    .with_dropout(dropout)
    .with_g_layers(g_layers)
    .init::<AutodiffBackend>(&device);
    let config = TrainingConfig {
        steps,
        batch_size: batch,
        d_steps,
        optimizers: burn_gan::train::gan_optimizers(adam(lr), adam(lr_d)),
        seed,
        checkpoint_every: steps,
        log_every: steps / 10,
        sample_every: steps,
        lr_decay: decay,
        ..TrainingConfig::default()
    };
    let dir = std::env::temp_dir().join(format!("toy-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = std::time::Instant::now();
    let trained = fit(
        model,
        Arc::new(toy.samples(20_000, 0)),
        &config,
        &dir,
        None,
        &device,
    )
    .unwrap();
    let c = toy_coverage::<Backend, _>(&trained, toy, 2500, 7, &device);
    println!(
        "{} steps={steps} batch={batch} lr={lr} pieces={pieces} hidden={hidden} latent={latent} seed={seed} lr_d={lr_d} dropout={dropout} g_layers={g_layers} decay={decay:?} {opt:?}: modes {}/{} hq {:.3} per_mode {:?} ({:.1}s)",
        toy.name(),
        c.modes_covered,
        toy.modes().len(),
        c.high_quality,
        c.per_mode,
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
