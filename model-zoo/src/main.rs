//! `burn-gan`: train, sample from and inspect generative adversarial networks.
//!
//! Run `burn-gan --help` for the commands. With no command it trains the original GAN on the
//! built-in ring of 8 Gaussians and writes its pictures to `runs/gan-ring8/`.

/// `println!` and `eprintln!` that never panic: a closed stdout or stderr (`burn-gan train ... |
/// head -1`) must not stop training, so a failed write is dropped. Defined before the modules
/// so that theirs are these.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod benchmark;
mod classify;
mod cli;
mod evaluate;

fn main() -> std::process::ExitCode {
    burn_gan_zoo::bench::keep_freed_memory();
    cli::main()
}
