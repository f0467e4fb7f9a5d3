//! `burn-gan`: train, sample from and inspect generative adversarial networks.
//!
//! Run `burn-gan --help` for the commands. With no command it trains the original GAN on the
//! built-in ring of 8 Gaussians and writes its pictures to `runs/gan-ring8/`.

mod benchmark;
mod cli;
mod evaluate;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
}

/// Lets glibc keep freed buffers for reuse instead of returning every large one to the kernel.
///
/// A training step allocates and frees the same multi-megabyte activation and gradient buffers
/// over and over; with glibc's defaults each of them is a fresh `mmap`, so every step pays page
/// faults and the kernel's zeroing of pages (about 10% of a `dcgan28` step on flex in `perf`).
/// Raising the mmap and trim thresholds made `burn-gan bench` train `dcgan28` about 7% faster
/// (153.6 -> 164.1 images/s) at the price of a resident size that does not shrink between steps.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; it is called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
