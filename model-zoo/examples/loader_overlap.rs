//! How long the training thread waits for each batch, with the loader's prefetching thread
//! (the default, two batches ahead) and without it (`with_prefetch(0)`): the measurement behind
//! the Performance chapter's "Data loading" section. The data is twemoji-64's size (3,781 RGB
//! images of 64x64, batch 64, 128 latent dimensions), filled with random values; the device's
//! step is modelled by the training thread sleeping for `STEP_MS` (a GPU computes while the host
//! waits), so what is left is the host's own share of each step.
//!
//! ```sh
//! cargo run --release --example loader_overlap
//! ```
use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::data::dataloader::DataLoader;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::train::GanLoader;
use burn_gan_backends::Backend as B;

fn main() {
    let (n, shape) = (3_781, [3, 64, 64]);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let values = (0..n * 3 * 64 * 64)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    let data = Arc::new(Samples {
        values,
        shape,
        labels: Some((0..n).map(|i| i % 9).collect()),
        num_classes: Some(9),
        kind: SampleKind::Image,
        source: "random 64x64 RGB".into(),
        paired: None,
    });
    let batches = 200;
    println!("| device step | prefetch | wait per batch (ms) | whole step (ms) |");
    println!("| ---: | ---: | ---: | ---: |");
    for step_ms in [0u64, 5, 20] {
        for prefetch in [0, 2] {
            let loader = GanLoader::<B>::new(
                data.clone(),
                64,
                128,
                1,
                batches,
                burn_gan_backends::device(),
            )
            .with_prefetch(prefetch);
            let (mut waited, start) = (Duration::ZERO, Instant::now());
            let mut it = loader.iter();
            loop {
                let t = Instant::now();
                let Some(batch) = it.next() else { break };
                waited += t.elapsed();
                std::hint::black_box(batch);
                std::thread::sleep(Duration::from_millis(step_ms));
            }
            let per = |d: Duration| d.as_secs_f64() * 1e3 / batches as f64;
            println!(
                "| {step_ms} ms | {prefetch} | {:.3} | {:.3} |",
                per(waited),
                per(start.elapsed())
            );
        }
    }
}
