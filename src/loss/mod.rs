//! Adversarial losses and regularizers.
//!
//! A network never computes its own loss (stylegan2-ada's rule): losses take the discriminator's
//! logits and return what a training phase minimises. Later families (least squares, hinge,
//! Wasserstein, gradient penalties) add their modules here.

pub mod adversarial;
pub mod penalty;

pub use adversarial::{discriminator_loss, generator_loss, softplus, GeneratorLoss};
pub use penalty::{gradient_penalty, input_gradient_norms, r1_penalty};
