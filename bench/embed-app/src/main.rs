//! An application that embeds burn-gan: trains dcgan28 for a few seconds on burn-gan-backends'
//! default backend with the function behind `burn-gan bench`, and prints one JSON line.
//! `bash bench/embed.sh` builds it and compares it with `burn-gan bench`.

// ANCHOR: main
use burn_gan_backends::{on_compute_thread, AutodiffBackend};
use burn_gan_zoo::bench::{bench_model, keep_freed_memory, BenchOptions};

fn main() {
    // Before any other thread exists: glibc keeps freed buffers for the next step.
    keep_freed_memory();
    let seconds = std::env::args()
        .nth(1)
        .map_or(4.0, |s| s.parse().expect("seconds"));
    let options = BenchOptions {
        seconds,
        ..BenchOptions::default()
    };
    let device = burn_gan_backends::device();
    // Compute on the backend's own threads, as the burn-gan program runs every command.
    let r = on_compute_thread(|| bench_model::<AutodiffBackend>("dcgan28", &options, &device))
        .expect("dcgan28 is a benchmark model");
    println!(
        "{{\"backend\": \"{}\", \"train_images_per_s\": {:.1}, \"sample_images_per_s\": {:.1}}}",
        burn_gan_backends::NAME,
        r.train_images_per_s,
        r.sample_images_per_s
    );
}
// ANCHOR_END: main
