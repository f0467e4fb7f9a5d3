//! Evaluation metrics for generative models, computed the way the reference implementations do.
//!
//! - [`frechet`]: Gaussian statistics in float64 and the Fréchet distance (FID when the features
//!   are Inception's), with a stable trace of the matrix square root.
//! - [`inception`]: the FID Inception-v3 (2015-12-05 TensorFlow weights) in burn, with the legacy
//!   TensorFlow input protocol.
//! - [`kernel`]: Kernel Inception Distance (unbiased MMD², cubic polynomial kernel).
//! - [`inception_score`]: Inception Score over splits.
//! - [`precision_recall`]: k-nearest-neighbour precision and recall (Kynkäänniemi et al. 2019).
//! - [`parzen`]: Parzen-window log-likelihood with Goodfellow et al. 2014's protocol.
//! - [`image_quality`]: PSNR and SSIM.
//! - [`cas`]: the Classification Accuracy Score of a class-conditional generator and the
//!   augmentation of small labelled sets with its images.
//!
//! Everything here takes features or pixels as plain slices; extracting features is the job of a
//! network (Inception, or a domain classifier) and of the caller's batching.
pub mod cas;
pub mod classifier;
pub mod evaluate;
pub mod frechet;
pub mod image_quality;
pub mod inception;
pub mod inception_score;
pub mod kernel;
pub mod parzen;
pub mod precision_recall;

pub use frechet::{frechet_distance, FrechetDistance, GaussianStats};
pub use inception::InceptionV3;
pub use inception_score::inception_score;
pub use kernel::{kernel_distance, KidOptions};
pub use parzen::{goodfellow_sigmas, parzen_evaluate, ParzenReport};
pub use precision_recall::{precision_recall, PrecisionRecall};

/// Cluster purity of a learned categorical code (InfoGAN): each code value is credited with the
/// class most of its samples are given (by a classifier), and the purity is the fraction of
/// samples in their code's majority class; 1 when every code value maps to a single class.
/// Unlike an accuracy it needs no matching of code values to classes.
pub fn purity(codes: &[usize], classes: &[usize], num_classes: usize) -> f64 {
    assert_eq!(codes.len(), classes.len(), "one class per code");
    let values = codes.iter().max().map_or(0, |m| m + 1);
    let mut counts = vec![vec![0usize; num_classes]; values];
    for (&c, &k) in codes.iter().zip(classes) {
        counts[c][k] += 1;
    }
    let majority: usize = counts
        .iter()
        .map(|row| row.iter().max().copied().unwrap_or(0))
        .sum();
    majority as f64 / codes.len().max(1) as f64
}

/// burn-gan's cache folder: `$XDG_CACHE_HOME/burn-gan`, else `~/.cache/burn-gan`.
pub fn cache_home() -> std::path::PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| std::path::PathBuf::from(".cache"))
        .join("burn-gan")
}

/// A mean and a standard deviation (population, as numpy's default) over repetitions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
}

impl MeanStd {
    /// Mean and population standard deviation of `values` (not empty).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt(),
        }
    }
}

#[cfg(test)]
mod purity_tests {
    use super::purity;

    #[test]
    fn purity_credits_each_code_with_its_majority_class() {
        // Code 0 -> classes 2, 2, 1; code 1 -> 0, 0: 4 of 5 in their majority class.
        assert!((purity(&[0, 0, 0, 1, 1], &[2, 2, 1, 0, 0], 3) - 0.8).abs() < 1e-12);
        // A permutation of the classes is perfectly pure.
        assert_eq!(purity(&[0, 1, 2, 0], &[2, 0, 1, 2], 3), 1.0);
    }
}
