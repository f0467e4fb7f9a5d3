//! Layers and initialisers shared by the model zoo.

use burn::nn::Initializer;

mod batch_norm;

pub use batch_norm::{BatchNorm, BatchNormConfig};

/// The initialisation of DCGAN (Radford et al. 2015, section 4): weights drawn from
/// `N(0, 0.02)`.
pub fn dcgan_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}
