//! `burn-gan`: train, sample from and inspect generative adversarial networks.
//!
//! Run `burn-gan --help` for the commands. With no command it trains the original GAN on the
//! built-in ring of 8 Gaussians and writes its pictures to `runs/gan-ring8/`.

mod benchmark;
mod cli;
mod evaluate;

fn main() -> std::process::ExitCode {
    burn_gan_zoo::bench::keep_freed_memory();
    cli::main()
}
