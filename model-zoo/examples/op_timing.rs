//! Times single tensor operations of `dcgan28`'s largest layers on the compiled backend: the
//! profile behind the book's Performance chapter. Inputs change between iterations.
//!
//! ```sh
//! cargo run --release --example op_timing
//! RAYON_NUM_THREADS=1 cargo run --release --example op_timing
//! OP="64->128, 14->7" RUNS=200 perf record -g target/release/examples/op_timing
//! ```
use std::time::Instant;

use burn::tensor::module::{conv2d, conv_transpose2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::tensor::{Distribution, Tensor, TensorPrimitive};
use burn_gan_backends::Backend as B;

/// Mean (and least) milliseconds of `f` over 10 runs after one warm-up; `f` returns a checksum so that
/// nothing is optimised away.
fn time(name: &str, gflop: f64, mut f: impl FnMut(f32) -> f32) {
    // `OP=<part of a name>` times only the matching operations (for a profiler), `RUNS` sets the
    // number of timed runs.
    if std::env::var("OP").is_ok_and(|only| !name.contains(&only)) {
        return;
    }
    f(0.0);
    let n = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let mut check = 0.0;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        check += f(i as f32 * 1e-3);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let ms = times.iter().sum::<f64>() / n as f64;
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let rate = if gflop > 0.0 {
        format!("{:>6.1} GFLOP/s", gflop / ms * 1e3)
    } else {
        String::new()
    };
    println!("{name:<44} {ms:>8.2} ms (min {min:>6.2}) {rate}  (checksum {check:.3e})");
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
    backward_ops(&d);
}

/// Every convolution of one dcgan28 training step that is not a forward pass: the weight and
/// input gradients burn's autodiff asks the backend for, with the shapes of batch 64, and the
/// forward passes of the one-channel layers.
fn backward_ops(d: &burn::tensor::Device<B>) {
    let rnd4 = |s: [usize; 4]| Tensor::<B, 4>::random(s, Distribution::Default, d);
    let prim = |t: Tensor<B, 4>| t.into_primitive().tensor();
    let sum = |t| {
        Tensor::<B, 4>::from_primitive(TensorPrimitive::Float(t))
            .sum()
            .into_scalar()
    };
    let copts = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
    let topts = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
    let big = 2.0 * 128.0 * 64.0 * 16.0 * 49.0 * 64.0 / 1e9;
    let small = 2.0 * 64.0 * 16.0 * 196.0 * 64.0 / 1e9;
    // (layer, transposed, x, weight, output gradient, GFLOP, time the forward pass too): D's
    // second and first convolutions, G's first and last transposed convolutions.
    let layers = [
        (
            "conv2d 64->128",
            false,
            [64, 64, 14, 14],
            [128, 64, 4, 4],
            [64, 128, 7, 7],
            big,
            false,
        ),
        (
            "conv2d 1->64",
            false,
            [64, 1, 28, 28],
            [64, 1, 4, 4],
            [64, 64, 14, 14],
            small,
            true,
        ),
        (
            "conv_transpose2d 128->64",
            true,
            [64, 128, 7, 7],
            [128, 64, 4, 4],
            [64, 64, 14, 14],
            big,
            false,
        ),
        (
            "conv_transpose2d 64->1",
            true,
            [64, 64, 14, 14],
            [64, 1, 4, 4],
            [64, 1, 28, 28],
            small,
            true,
        ),
    ];
    for (layer, transposed, xs, ws, dys, gflop, forward) in layers {
        let (x, w, dy) = (rnd4(xs), rnd4(ws), rnd4(dys));
        time(&format!("{layer} weight grad"), gflop, |e| {
            let (x, w, dy) = (prim(x.clone() + e), prim(w.clone()), prim(dy.clone()));
            sum(if transposed {
                B::conv_transpose2d_weight_backward(x, w, dy, topts.clone())
            } else {
                B::conv2d_weight_backward(x, w, dy, copts.clone())
            })
        });
        time(&format!("{layer} input grad"), gflop, |e| {
            let (x, w, dy) = (prim(x.clone()), prim(w.clone()), prim(dy.clone() + e));
            sum(if transposed {
                B::conv_transpose2d_x_backward(w, dy, topts.clone())
            } else {
                B::conv2d_x_backward(x, w, dy, copts.clone())
            })
        });
        if forward {
            time(&format!("{layer} forward"), gflop, |e| {
                let x = x.clone() + e;
                let y = if transposed {
                    conv_transpose2d(x, w.clone(), None, topts.clone())
                } else {
                    conv2d(x, w.clone(), None, copts.clone())
                };
                y.sum().into_scalar()
            });
        }
    }
}

fn rayon_threads() -> String {
    std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into())
}
