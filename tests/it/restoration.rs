//! Restoration pairs and baselines against reference implementations and against behaviour they
//! must have.
//!
//! Golden values: tests/data/restoration-golden.json, written by
//! `python tools/reference/restoration_golden.py` (numpy 2.4.6, scipy 1.17.1, scikit-image
//! 0.26.0, Pillow 13.0.0): Pillow's bicubic resize of float images, scikit-image's
//! downscale_local_mean, filters.median(mode='nearest'), denoise_nl_means(fast_mode=True) and
//! restoration.wiener(clip=False), and scipy.ndimage.convolve(mode='reflect').
use burn_gan::data::{SampleKind, Samples};
use burn_gan::restore::{
    baselines::{median_filter, Bicubic, Restorer},
    degrade::{convolve, downsample_box, resize_bicubic},
    evaluate, held_out, nl_means, paired, wiener, DegradationConfig, Downsample, Image, Task,
};
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/restoration-golden.json"
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

fn shape(v: &Value) -> [usize; 3] {
    let s = numbers(v);
    [s[0] as usize, s[1] as usize, s[2] as usize]
}

fn image(case: &Value) -> Image {
    let values = numbers(&case["image"])
        .into_iter()
        .map(|v| v as f32)
        .collect();
    Image::new(values, shape(&case["shape"]))
}

/// The largest absolute difference between `ours` and the case's `expected`.
fn worst(ours: &Image, case: &Value) -> f64 {
    let expected = numbers(&case["expected"]);
    assert_eq!(ours.values.len(), expected.len());
    ours.values
        .iter()
        .zip(&expected)
        .map(|(&a, b)| (a as f64 - b).abs())
        .fold(0.0, f64::max)
}

fn cases<'a>(g: &'a Value, key: &str) -> &'a Vec<Value> {
    g[key].as_array().unwrap()
}

#[test]
fn bicubic_resizing_matches_pillow() {
    let g = golden();
    for case in cases(&g, "bicubic") {
        let [_, h, w] = shape(&case["out_shape"]);
        let ours = resize_bicubic(&image(case), h, w);
        // Pillow computes in float64 and stores the intermediate and the output as float32.
        let err = worst(&ours, case);
        assert!(err < 1e-6, "{:?} -> {h}x{w}: {err}", shape(&case["shape"]));
    }
}

#[test]
fn box_down_sampling_matches_scikit_image() {
    let g = golden();
    for case in cases(&g, "box") {
        let ours = downsample_box(&image(case), case["factor"].as_u64().unwrap() as usize);
        assert!(worst(&ours, case) < 1e-6);
    }
}

#[test]
fn the_median_filter_matches_scikit_image() {
    let g = golden();
    for case in cases(&g, "median") {
        let ours = median_filter(&image(case), case["size"].as_u64().unwrap() as usize);
        // A median picks one of the inputs: equal up to the f32 rounding of the input.
        assert!(worst(&ours, case) < 1e-7);
    }
}

#[test]
fn the_gaussian_blur_matches_scipy() {
    let g = golden();
    for case in cases(&g, "blur") {
        let size = case["size"].as_u64().unwrap() as usize;
        let config = DegradationConfig::new()
            .with_blur_sigma(case["sigma"].as_f64().unwrap())
            .with_blur_size(size);
        let ours = convolve(&image(case), &config.blur_kernel(), size);
        assert!(worst(&ours, case) < 1e-6);
    }
}

#[test]
fn non_local_means_matches_scikit_image() {
    let g = golden();
    for case in cases(&g, "nl_means") {
        let n = |k: &str| case[k].as_u64().unwrap() as usize;
        let f = |k: &str| case[k].as_f64().unwrap();
        let ours = nl_means(
            &image(case),
            n("patch_size"),
            n("patch_distance"),
            f("h"),
            f("sigma"),
        );
        // Our input is the float64 reference's rounded to f32 (~3e-8); the fast exponential's
        // steps turn that into rare jumps of a weight, hence not 1e-7.
        let err = worst(&ours, case);
        assert!(err < 1e-5, "{:?}: {err}", shape(&case["shape"]));
    }
}

#[test]
fn wiener_deconvolution_matches_scikit_image() {
    let g = golden();
    for case in cases(&g, "wiener") {
        let size = case["size"].as_u64().unwrap() as usize;
        let ours = wiener(
            &image(case),
            &numbers(&case["psf"]),
            size,
            case["balance"].as_f64().unwrap(),
        )
        .unwrap();
        let err = worst(&ours, case);
        assert!(err < 1e-5, "{:?}: {err}", shape(&case["shape"]));
    }
}

/// `n` smooth gray `[1, h, w]` images in `[-1, 1]` (a moving blob), labelled by index.
fn images(n: usize, h: usize, w: usize) -> Samples {
    let mut values = Vec::new();
    for i in 0..n {
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 - (i % w) as f32, y as f32 - h as f32 / 2.0);
                values.push(2.0 * (-(dx * dx + dy * dy) / 20.0).exp() - 1.0);
            }
        }
    }
    Samples {
        values,
        shape: [1, h, w],
        labels: Some((0..n).collect()),
        num_classes: Some(n),
        kind: SampleKind::Image,
        source: "blobs".into(),
        paired: None,
    }
}

#[test]
fn pairs_are_deterministic_from_the_seed_and_shaped_by_the_task() {
    let clean = images(6, 16, 16);
    let config = DegradationConfig::new();
    for task in Task::ALL {
        let a = paired(&clean, task, &config, 7).unwrap();
        let b = paired(&clean, task, &config, 7).unwrap();
        let input = a.paired.as_ref().unwrap();
        assert_eq!(
            a.values, clean.values,
            "{task}: the targets are the clean images"
        );
        assert_eq!(input.values, b.paired.as_ref().unwrap().values, "{task}");
        assert_eq!(input.shape, task.input_shape([1, 16, 16]));
        assert_eq!(input.len(), 6);
        // A sample's corruption depends on its index only: the first 3 of 6 are the 3 of 3.
        let three = paired(&clean.take(3), task, &config, 7).unwrap();
        assert_eq!(three.paired.unwrap().values, input.take(3).values, "{task}");
        if matches!(task, Task::Denoise | Task::Deblur | Task::Inpaint) {
            let other = paired(&clean, task, &config, 8).unwrap();
            assert_ne!(other.paired.unwrap().values, input.values, "{task}");
        }
    }
    let shape = |task, d| {
        let config = DegradationConfig::new().with_downsample(d);
        paired(&clean, task, &config, 0)
            .unwrap()
            .paired
            .unwrap()
            .shape
    };
    assert_eq!(shape(Task::Sr2, Downsample::Box), [1, 8, 8]);
    assert_eq!(shape(Task::Sr4, Downsample::Bicubic), [1, 4, 4]);
}

#[test]
fn noise_has_the_configured_statistics() {
    let clean = images(40, 16, 16);
    let config = DegradationConfig::new().with_noise_sigma(0.1);
    let pairs = paired(&clean, Task::Denoise, &config, 1).unwrap();
    // On the [0, 1] scale the residual is (input - target) / 2.
    let residual: Vec<f64> = pairs
        .paired
        .as_ref()
        .unwrap()
        .values
        .iter()
        .zip(&pairs.values)
        .map(|(a, b)| (a - b) as f64 / 2.0)
        .collect();
    let n = residual.len() as f64;
    let mean = residual.iter().sum::<f64>() / n;
    let sd = (residual.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
    // 10,240 draws: the mean's standard error is 0.001, the deviation's 0.0007.
    assert!(mean.abs() < 0.004, "{mean}");
    assert!((sd - 0.1).abs() < 0.003, "{sd}");

    let config = DegradationConfig::new()
        .with_noise_sigma(0.0)
        .with_salt_pepper(0.2);
    let pairs = paired(&clean, Task::Denoise, &config, 1).unwrap();
    let input = pairs.paired.unwrap();
    let changed: Vec<f32> = input
        .values
        .iter()
        .zip(&pairs.values)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| *a)
        .collect();
    let fraction = changed.len() as f64 / n;
    // Some impulses land on a pixel that already has their value.
    assert!((0.17..0.22).contains(&fraction), "{fraction}");
    assert!(changed.iter().all(|&v| v == 1.0 || v == -1.0));
    let salt = changed.iter().filter(|&&v| v == 1.0).count() as f64 / changed.len() as f64;
    assert!((0.45..0.55).contains(&salt), "{salt}");
}

#[test]
fn inpainting_inputs_carry_their_mask() {
    let clean = images(10, 20, 20);
    let pairs = paired(&clean, Task::Inpaint, &DegradationConfig::new(), 3).unwrap();
    let input = pairs.paired.as_ref().unwrap();
    for i in 0..10 {
        let (x, mask) = input.sample(i).split_at(400);
        assert!(mask.iter().all(|&m| m == 1.0 || m == -1.0));
        let holes = mask.iter().filter(|&&m| m == -1.0).count();
        // One box of 5 to 10 pixels a side.
        assert!((25..=100).contains(&holes), "{holes}");
        for (j, &m) in mask.iter().enumerate() {
            let expected = if m > 0.0 { pairs.sample(i)[j] } else { 0.0 };
            assert_eq!(x[j], expected);
        }
    }
}

#[test]
fn the_held_out_range_is_disjoint_from_training() {
    let clean = images(10, 16, 16);
    let pairs = paired(&clean, Task::Denoise, &DegradationConfig::new(), 0).unwrap();
    let (train, test) = held_out(&pairs, 7..10).unwrap();
    let (train_ids, test_ids) = (train.labels.clone().unwrap(), test.labels.clone().unwrap());
    assert_eq!(test_ids, [7, 8, 9]);
    assert_eq!(train_ids, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(test.sample(0), pairs.sample(7));
    let (pt, ph) = (train.paired.unwrap(), test.paired.unwrap());
    assert_eq!((pt.len(), ph.len()), (7, 3));
    assert_eq!(ph.sample(2), pairs.paired.as_ref().unwrap().sample(9));
    let err = held_out(&pairs, 8..12).unwrap_err().to_string();
    assert!(err.contains("within the 10 samples"), "{err}");
}

#[test]
fn bad_parameters_are_one_line_errors() {
    let clean = images(2, 8, 8);
    let bad = |task, config: DegradationConfig| {
        let e = paired(&clean, task, &config, 0).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        e
    };
    let e = bad(
        Task::Denoise,
        DegradationConfig::new().with_noise_sigma(-0.1),
    );
    assert!(e.contains("noise_sigma -0.1"), "{e}");
    let e = bad(Task::Sr4, DegradationConfig::new());
    assert!(e.contains("sr4: images of 8x8 are too small"), "{e}");
    let e = bad(
        Task::Denoise,
        DegradationConfig::new().with_salt_pepper(1.5),
    );
    assert!(e.contains("salt_pepper 1.5"), "{e}");
    let e = bad(Task::Deblur, DegradationConfig::new().with_blur_size(4));
    assert!(e.contains("blur_size 4"), "{e}");
    let e = Task::from_name("denoize").unwrap_err().to_string();
    assert!(e.contains("sr2, sr4, denoise, deblur, inpaint"), "{e}");
}

#[test]
fn baselines_improve_on_their_input() {
    let clean = images(12, 24, 24);
    let config = DegradationConfig::new();
    let pairs = paired(&clean, Task::Denoise, &config, 5).unwrap();
    let scores: Vec<_> = burn_gan::restore::baselines(Task::Denoise, &config, 1)
        .iter()
        .map(|b| evaluate(b.as_ref(), &pairs).unwrap())
        .collect();
    // input, median, non-local means: on smooth blobs both filters gain several dB.
    assert!(scores[1].psnr > scores[0].psnr + 3.0, "{scores:?}");
    assert!(scores[2].psnr > scores[1].psnr, "{scores:?}");
    assert!(
        scores[0].sharpness > 1.5,
        "noise adds gradient energy: {scores:?}"
    );
    let sr = paired(&clean, Task::Sr2, &config, 0).unwrap();
    let s = evaluate(&Bicubic { factor: 2 }, &sr).unwrap();
    assert!(s.psnr > 30.0 && s.sharpness < 1.0, "{s:?}");
    assert_eq!(Bicubic { factor: 2 }.name(), "bicubic");
}
