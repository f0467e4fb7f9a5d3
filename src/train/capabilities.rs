//! The capabilities only some families have, each a small trait a model offers through an
//! accessor of [`Adversarial`](super::Adversarial) that returns `None` by default.

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

use super::step::{NetworkId, StepInfo};

// ANCHOR: capabilities
/// A class-conditional model's classes.
pub trait ClassConditional {
    /// The number of classes the generator is conditioned on. Sample `i` of a
    /// [`Condition`](super::Condition) without labels has class `i % num_classes`, so a grid with `num_classes`
    /// columns shows one class per column.
    fn num_classes(&self) -> usize;

    /// Whether the classes are the data's labels (CGAN, ACGAN), or a categorical code the model
    /// learned to use without labels (InfoGAN), whose values match the data's classes only up
    /// to a permutation.
    fn supervised_classes(&self) -> bool {
        true
    }
}

/// Continuous latent codes at the end of `z` (InfoGAN), which `burn-gan interpolate --code`
/// sweeps.
pub trait LatentCodes {
    /// The number of continuous codes.
    fn continuous_codes(&self) -> usize;
}

/// A classifier head (the semi-supervised GAN's discriminator).
pub trait ClassifierHead<B: Backend> {
    /// Class logits.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, classes]`
    fn classify(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
}

/// An encoder to latent codes (VAE/GAN): a diagonal Gaussian per image.
pub trait Encoder<B: Backend> {
    /// The mean and log-variance of each image's code.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `([n, latent_dim], [n, latent_dim])`
    fn encode(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>);
}

/// The discriminator's intermediate features that feature matching compares (the input of its
/// last layer).
pub trait DiscriminatorFeatures<B: Backend> {
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, features]`
    fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
}

/// The per-sample norm of the critic's gradient with respect to its input, tracked with respect
/// to its parameters (a gradient of a gradient): what a [`Penalty`](super::Penalty) needs. Implemented with
/// [`crate::loss::input_gradient_norms`].
pub trait InputGradients<B: AutodiffBackend> {
    /// The critic as it is at `step` (a progressively grown critic has a resolution and a
    /// fade-in that depend on the step; most critics ignore it).
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n]`
    fn critic_input_gradient_norms(&self, x: Tensor<B, 4>, step: &StepInfo) -> Tensor<B, 1>;
}

/// Historical averaging's `||θ - θ̄||²` (see [`crate::train::history`]).
pub trait HistoricalAverage<B: Backend> {
    /// The penalty of `network`; `None` for a network without an average.
    fn historical_penalty(&self, network: NetworkId) -> Option<Tensor<B, 1>>;
}
// ANCHOR_END: capabilities
