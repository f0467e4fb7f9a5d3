//! Metrics against reference implementations and against behaviour they must have.
//!
//! Golden values: tests/data/metrics-golden.json, written by
//! `python tools/reference/metrics_golden.py` (scipy.linalg.sqrtm and a 60-digit mpmath value;
//! scikit-image's
//! peak_signal_noise_ratio and structural_similarity with gaussian_weights=True, sigma=1.5,
//! use_sample_covariance=False).
use burn_gan::metrics::{
    frechet::trace_sqrt_product,
    frechet_distance,
    image_quality::{psnr, ssim, ImageRef},
    kernel_distance, precision_recall, GaussianStats, KidOptions,
};
use faer::Mat;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/metrics-golden.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn trace_of_the_matrix_square_root_matches_scipy() {
    let _serial = crate::common::serial();
    for case in golden()["sqrtm"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let (a, b) = (numbers(&case["s1"]), numbers(&case["s2"]));
        let s1 = Mat::from_fn(n, n, |i, j| a[i * n + j]);
        let s2 = Mat::from_fn(n, n, |i, j| b[i * n + j]);
        let ours = trace_sqrt_product(&s1, &s2, 0.0).unwrap();
        let (scipy, exact) = (
            case["trace_sqrt"].as_f64().unwrap(),
            case["trace_sqrt_exact"].as_f64().unwrap(),
        );
        // Against the 60-digit value: 1e-14 on the full-rank pairs. On the singular ones the float64
        // entries only fix the zero eigenvalues to ~1e-16, whose square roots (~1e-8 each) the
        // exact value includes and we drop as rounding noise: up to 1e-8 relative. scipy's sqrtm,
        // what pytorch-fid and torch-fidelity call, is off by up to 3e-7 there.
        assert!(
            (ours - exact).abs() <= 2e-8 * exact,
            "n = {n}: ours {ours}, exact {exact}"
        );
        assert!(
            (ours - scipy).abs() <= 1e-6 * scipy,
            "n = {n}: ours {ours}, scipy {scipy}"
        );
    }
}

#[test]
fn psnr_and_ssim_match_scikit_image() {
    let _serial = crate::common::serial();
    for case in golden()["image_quality"].as_array().unwrap() {
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let (a, b) = (numbers(&case["a"]), numbers(&case["b"]));
        let (ia, ib) = (
            ImageRef {
                values: &a,
                channels: shape[0],
                height: shape[1],
                width: shape[2],
            },
            ImageRef {
                values: &b,
                channels: shape[0],
                height: shape[1],
                width: shape[2],
            },
        );
        let (p, s) = (psnr(ia, ib, 1.0).unwrap(), ssim(ia, ib, 1.0).unwrap());
        let (p_ref, s_ref) = (
            case["psnr"].as_f64().unwrap(),
            case["ssim"].as_f64().unwrap(),
        );
        assert!((p - p_ref).abs() < 1e-9, "{shape:?}: PSNR {p} vs {p_ref}");
        assert!((s - s_ref).abs() < 1e-9, "{shape:?}: SSIM {s} vs {s_ref}");
    }
}

/// 600 correlated 64-d "features": a random linear map of Gaussian noise.
fn features(rows: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let mix: Vec<f32> = (0..dim * dim)
        .map(|_| normal.sample(&mut rng) / (dim as f32).sqrt())
        .collect();
    (0..rows)
        .flat_map(|_| {
            let z: Vec<f32> = (0..dim).map(|_| normal.sample(&mut rng)).collect();
            (0..dim)
                .map(|j| (0..dim).map(|k| mix[j * dim + k] * z[k]).sum::<f32>())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn fid_of_a_set_with_itself_is_zero_and_rises_with_noise() {
    let _serial = crate::common::serial();
    let dim = 64;
    let real = features(600, dim, 1);
    let stats = GaussianStats::from_features(&real, dim).unwrap();
    let zero = frechet_distance(&stats, &stats).unwrap().value;
    assert!(zero.abs() < 1e-6, "{zero}");

    let mut rng = StdRng::seed_from_u64(2);
    let normal = Normal::new(0.0f32, 1.0).unwrap();
    let noise: Vec<f32> = (0..real.len()).map(|_| normal.sample(&mut rng)).collect();
    let mut last = zero;
    for strength in [0.05f32, 0.1, 0.2, 0.4, 0.8] {
        let noisy: Vec<f32> = real
            .iter()
            .zip(&noise)
            .map(|(x, n)| x + strength * n)
            .collect();
        let d = frechet_distance(&stats, &GaussianStats::from_features(&noisy, dim).unwrap())
            .unwrap()
            .value;
        assert!(d > last, "noise {strength}: FID {d} after {last}");
        last = d;
    }
}

#[test]
fn kid_separates_a_shifted_set_from_halves_of_one_set() {
    let _serial = crate::common::serial();
    let dim = 32;
    let all = features(1000, dim, 3);
    let (a, b) = all.split_at(500 * dim);
    let shifted: Vec<f32> = b.iter().map(|v| v + 0.3).collect();
    let options = KidOptions {
        subsets: 50,
        subset_size: 250,
        seed: 1,
    };
    let same = kernel_distance(a, b, dim, options).unwrap();
    let apart = kernel_distance(a, &shifted, dim, options).unwrap();
    assert!(
        same.mean.abs() < 3.0 * same.std.max(1e-4),
        "halves: {same:?}"
    );
    assert!(
        apart.mean > 10.0 * same.mean.abs() && apart.mean > 5.0 * apart.std,
        "{same:?} vs {apart:?}"
    );
}

#[test]
fn precision_and_recall_of_identical_sets_are_one() {
    let _serial = crate::common::serial();
    let f = features(300, 16, 4);
    let pr = precision_recall(&f, &f, 16, 3).unwrap();
    assert_eq!((pr.precision, pr.recall), (1.0, 1.0));
}

#[test]
fn embedded_classifiers_label_held_out_images_correctly() {
    let _serial = crate::common::serial();
    use burn_gan::data::idx::load_images_with_labels;
    use burn_gan::metrics::{
        classifier::{accuracy, DomainClassifier, LabelledPixels},
        evaluate::PixelSet,
    };
    use burn_gan_backends::{device, Backend};
    // test splits the classifiers never saw; their full-split accuracies are 90.42% and 99.11%
    for (which, file, floor) in [
        (
            DomainClassifier::Fashion,
            "fashion-mnist/t10k-images-idx3-ubyte.gz",
            0.87,
        ),
        (DomainClassifier::Mnist, "mnist/images-idx3-ubyte.gz", 0.98),
    ] {
        let samples = load_images_with_labels(&crate::common::shared_data(file)).unwrap();
        let n = 1000;
        let pixels =
            PixelSet::from_unit_range(&samples.values[..n * 784], samples.shape, file).pixels;
        let labels = samples.labels.unwrap()[..n].to_vec();
        let acc = accuracy::<Backend>(
            &which.load(&device()),
            &LabelledPixels { pixels, labels },
            &device(),
        );
        assert!(
            acc >= floor,
            "{}: accuracy {acc} on {n} held-out images",
            which.name()
        );
    }
}
