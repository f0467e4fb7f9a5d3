//! Times single tensor operations of dcgan28's layers on the compiled backend (profiling aid).
use burn::tensor::module::{conv2d, conv_transpose2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Distribution, Tensor};
use burn_gan_backends::Backend as B;
use std::time::Instant;

fn time<F: FnMut() -> f32>(name: &str, mut f: F) {
    f();
    let t = Instant::now();
    let n = 10;
    let mut s = 0.0;
    for _ in 0..n {
        s += f();
    }
    println!(
        "{name:<40} {:>8.2} ms  ({s:.1})",
        t.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}

fn main() {
    let d = burn_gan_backends::device();
    let rnd4 = |s: [usize; 4]| Tensor::<B, 4>::random(s, Distribution::Default, &d);
    let x = rnd4([64, 128, 7, 7]);
    let w = rnd4([128, 64, 4, 4]);
    time("conv_transpose2d 128->64 7->14", || {
        let y = conv_transpose2d(
            x.clone() + 0.0,
            w.clone(),
            None,
            ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
        );
        y.sum().into_scalar()
    });
    let x2 = rnd4([64, 64, 14, 14]);
    let w2 = rnd4([128, 64, 4, 4]);
    time("conv2d 64->128 14->7", || {
        let y = conv2d(
            x2.clone() + 0.0,
            w2.clone(),
            None,
            ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
        );
        y.sum().into_scalar()
    });
    time("permute [64,64,14,14]->nhwc contiguous", || {
        let y = (x2.clone() + 0.0)
            .permute([0, 2, 3, 1])
            .reshape([64 * 196, 64]);
        y.sum().into_scalar()
    });
    time("swap_dims(0,1) [64,64,14,14] contiguous", || {
        let y = (x2.clone() + 0.0).swap_dims(0, 1).reshape([64, 64 * 196]);
        y.sum().into_scalar()
    });
    let a = Tensor::<B, 2>::random([3136, 128], Distribution::Default, &d);
    let b = Tensor::<B, 2>::random([128, 1024], Distribution::Default, &d);
    time("matmul [3136,128]x[128,1024]", || {
        (a.clone() + 0.0).matmul(b.clone()).sum().into_scalar()
    });
    let xa = Tensor::<B, 3>::random([64, 128, 49], Distribution::Default, &d);
    let wt = Tensor::<B, 3>::random([1, 1024, 128], Distribution::Default, &d);
    time("batched matmul [1,1024,128]x[64,128,49]", || {
        wt.clone().matmul(xa.clone() + 0.0).sum().into_scalar()
    });
    let big = Tensor::<B, 4>::random([64, 1024, 7, 7], Distribution::Default, &d);
    time("sum of 4 slices + cat (col2im-ish)", || {
        let s = big.clone() + 0.0;
        let p: Vec<_> = (0..4)
            .map(|i| s.clone().slice([0..64, i * 256..(i + 1) * 256, 0..7, 0..7]))
            .collect();
        let t = Tensor::cat(p, 3);
        t.sum().into_scalar()
    });
    let a4 = Tensor::<B, 3>::random([4, 784, 128], Distribution::Default, &d);
    let b4 = Tensor::<B, 3>::random([1, 128, 1024], Distribution::Default, &d);
    time("matmul split [4,784,128]x[1,128,1024]", || {
        (a4.clone() + 0.0).matmul(b4.clone()).sum().into_scalar()
    });
    let a2 = Tensor::<B, 3>::random([2, 1568, 128], Distribution::Default, &d);
    time("matmul split [2,1568,128]x[1,128,1024]", || {
        (a2.clone() + 0.0).matmul(b4.clone()).sum().into_scalar()
    });
    time("add [64,64,14,14]", || {
        (x2.clone() + 1.0 + x2.clone()).sum().into_scalar()
    });
}
