//! Adversarial losses and regularizers.
//!
//! A network never computes its own loss (stylegan2-ada's rule): losses take the discriminator's
//! logits and return what a training phase minimises. Later families (least squares, hinge,
//! Wasserstein, gradient penalties) add their modules here.

pub mod adversarial;
pub mod classification;
pub mod families;
pub mod penalty;

pub use adversarial::{
    discriminator_loss, feature_matching, generator_loss, softplus, GeneratorLoss,
};
pub use classification::cross_entropy;
pub use families::LossFamily;
pub use penalty::{
    gradient_penalty, gradient_penalty_from_norms, input_gradient_norms, interpolates,
    r1_from_norms, r1_penalty,
};
