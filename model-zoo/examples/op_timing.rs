//! Times single tensor operations of `dcgan28`'s largest layers on the compiled backend: the
//! profile behind the book's Performance chapter. Inputs change between iterations.
//!
//! ```sh
//! cargo run --release --example op_timing
//! RAYON_NUM_THREADS=1 cargo run --release --example op_timing
//! ```
use std::time::Instant;

use burn::tensor::module::{conv2d, conv_transpose2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Distribution, Tensor};
use burn_gan_backends::Backend as B;

/// Mean milliseconds of `f` over 10 runs after one warm-up; `f` returns a checksum so that
/// nothing is optimised away.
fn time(name: &str, gflop: f64, mut f: impl FnMut(f32) -> f32) {
    f(0.0);
    let n = 10;
    let t = Instant::now();
    let mut check = 0.0;
    for i in 0..n {
        check += f(i as f32 * 1e-3);
    }
    let ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    let rate = if gflop > 0.0 {
        format!("{:>6.1} GFLOP/s", gflop / ms * 1e3)
    } else {
        String::new()
    };
    println!("{name:<44} {ms:>8.2} ms {rate}  (checksum {check:.3e})");
}

fn main() {
    // The allocator settings of the `burn-gan` program, so that timings exclude page faults.
    burn_gan_zoo::bench::keep_freed_memory();
    let d = burn_gan_backends::device();
    println!(
        "backend {}, {} threads",
        burn_gan_backends::NAME,
        rayon_threads()
    );
    let rnd4 = |s: [usize; 4]| Tensor::<B, 4>::random(s, Distribution::Default, &d);
    // Generator's first upsampling: ConvT(128 -> 64, k4, s2, p1), 7x7 -> 14x14, batch 64.
    let (x, w) = (rnd4([64, 128, 7, 7]), rnd4([128, 64, 4, 4]));
    let opts = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
    let flop = 2.0 * 128.0 * 64.0 * 16.0 * 49.0 * 64.0 / 1e9;
    time("conv_transpose2d 128->64, 7->14, batch 64", flop, |e| {
        conv_transpose2d(x.clone() + e, w.clone(), None, opts.clone())
            .sum()
            .into_scalar()
    });
    // Discriminator's second convolution: Conv(64 -> 128, k4, s2, p1), 14x14 -> 7x7.
    let (x2, w2) = (rnd4([64, 64, 14, 14]), rnd4([128, 64, 4, 4]));
    let copts = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
    time("conv2d 64->128, 14->7, batch 64", flop, |e| {
        conv2d(x2.clone() + e, w2.clone(), None, copts.clone())
            .sum()
            .into_scalar()
    });
    // The same multiply-adds as one matrix product.
    let a = Tensor::<B, 2>::random([3136, 128], Distribution::Default, &d);
    let b = Tensor::<B, 2>::random([128, 1024], Distribution::Default, &d);
    time("matmul [3136,128] x [128,1024]", flop, |e| {
        (a.clone() + e).matmul(b.clone()).sum().into_scalar()
    });
    time("permute [64,64,14,14] to NHWC (copy)", 0.0, |e| {
        (x2.clone() + e)
            .permute([0, 2, 3, 1])
            .reshape([64 * 196, 64])
            .sum()
            .into_scalar()
    });
    time("add [64,64,14,14]", 0.0, |e| {
        (x2.clone() + e + x2.clone()).sum().into_scalar()
    });
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into())
}
