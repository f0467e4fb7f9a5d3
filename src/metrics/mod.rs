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
//!
//! Everything here takes features or pixels as plain slices; extracting features is the job of a
//! network (Inception, or a domain classifier) and of the caller's batching.
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
