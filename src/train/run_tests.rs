//! Tests of the run folder's evaluation and metrics-log helpers.
use super::*;

/// Copies of the real features score 0; one point per class (collapse) scores the classes'
/// variance; swapped classes score their distance; too few images per class give `None`.
#[test]
fn intra_class_fid_sees_collapse_within_classes() {
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(3);
    let dim = 2;
    let labels: Vec<usize> = (0..400).map(|i| i % 2).collect();
    let mut features = Vec::new();
    for &l in &labels {
        for _ in 0..dim {
            // Uniform(-sqrt(3), sqrt(3)): variance 1 around the class mean 0 or 5.
            features.push(5.0 * l as f32 + rng.random_range(-1.732f32..1.732));
        }
    }
    let real = Extracted {
        features: features.clone(),
        dim,
        probabilities: None,
    };
    let same = intra_class_fid(&real, &labels, &real, &labels, 2)
        .unwrap()
        .unwrap();
    assert!(same.abs() < 1e-6, "{same}");
    let collapsed = Extracted {
        features: labels.iter().flat_map(|&l| [5.0 * l as f32; 2]).collect(),
        dim,
        probabilities: None,
    };
    let v = intra_class_fid(&real, &labels, &collapsed, &labels, 2)
        .unwrap()
        .unwrap();
    assert!((v - 2.0).abs() < 0.3, "collapse: {v}");
    let swapped: Vec<usize> = labels.iter().map(|l| 1 - l).collect();
    let v = intra_class_fid(&real, &labels, &real, &swapped, 2)
        .unwrap()
        .unwrap();
    assert!((v - 50.0).abs() < 3.0, "swapped classes: {v}");
    let few = intra_class_fid(&real, &labels, &real, &labels[..3], 2).unwrap();
    assert!(few.is_none());
}

#[test]
fn metric_points_and_names_read_a_metrics_log() {
    let text = "{\"step\":50,\"loss_d\":1.5}\n\
                not json\n\
                {\"step\":100,\"loss_d\":1.25,\"fid\":80.0}\n\
                {\"step\":150,\"loss_g\":0.5}\n";
    assert_eq!(
        metric_points(text, "loss_d"),
        vec![(50.0, 1.5), (100.0, 1.25)]
    );
    assert_eq!(metric_points(text, "fid"), vec![(100.0, 80.0)]);
    assert!(metric_points(text, "kid").is_empty());
    assert_eq!(metric_names(text), vec!["fid", "loss_d", "loss_g"]);
}
