//! # burn-gan
//!
//! Generative adversarial networks for the [burn](https://burn.dev) deep-learning framework.
//!
//! This crate is the core of the project. Everything in it is generic over burn's
//! [`Backend`](burn::tensor::backend::Backend) trait and never names a concrete backend: the
//! backend is chosen by the application (see the `burn-gan-backends` crate).
//!
//! - [`data`]: IDX (MNIST-format) files, image folders, built-in 2-D toy distributions and the
//!   deterministic, resumable batch loader used for training.
//! - [`loss`]: adversarial losses (Goodfellow et al. 2014), computed from logits.
//! - [`metrics`]: FID (Inception, float64, stable matrix square root), KID, IS, precision/recall,
//!   Parzen-window log-likelihood, PSNR/SSIM.
//! - [`nn`]: shared layers and initialisers.
//! - [`restore`]: image restoration pairs (super-resolution, denoising, deblurring, inpainting)
//!   and the classical baselines image-to-image GANs are compared with.
//! - [`train`]: training through burn-train's `Learner`: alternating discriminator/generator
//!   phases, one optimizer per network, atomic checkpoints, resume, metrics.
//! - [`viz`]: image grids, and scatter plots and training curves drawn with plotters (PNG, SVG).
#![warn(missing_docs)]

pub mod data;
mod error;
pub mod loss;
pub mod metrics;
pub mod nn;
pub mod restore;
pub mod train;
pub mod viz;

pub use error::{Error, Result};

/// The values of a tensor as `f64`, in row-major order, whatever the backend's float type
/// (for checks, reports and plots; it reads the tensor back from the device).
pub fn tensor_values<B: burn::tensor::backend::Backend, const D: usize>(
    t: burn::tensor::Tensor<B, D>,
) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .to_vec()
        .expect("converted to f64")
}

/// The backend of the inline unit tests (f64 for tight numerical checks).
#[cfg(test)]
pub(crate) type TestBackend = burn::backend::NdArray<f64>;
