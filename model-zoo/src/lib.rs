//! # burn-gan-zoo
//!
//! The model zoo of burn-gan: one module per GAN, each a plain burn `Module` with a `Config` and
//! named presets, generic over the backend, and the registry the `burn-gan` program uses to find
//! them by name.
//!
//! | name | model | paper |
//! | --- | --- | --- |
//! | `gan` | [`gan::Gan`]: MLP generator, maxout discriminator | Goodfellow et al. 2014 |
//! | `dcgan` | [`dcgan::Dcgan`]: convolutional, batch norm | Radford et al. 2015 |
//! | `sgan`, `sgan-fm`, `sgan-supervised` | [`sgan::Sgan`]: a discriminator that is also a classifier | Odena 2016; Salimans et al. 2016 |
//! | `cgan`, `acgan` | [`conditional::Conditional`]: class-conditional DCGAN networks | Mirza and Osindero 2014; Odena et al. 2017 |
#![warn(missing_docs)]

pub mod bench;
pub mod conditional;
pub mod dcgan;
pub mod gan;
pub mod registry;
pub mod sgan;

pub use registry::{ModelSpec, PRESETS};

/// A model that may keep a moving average of its generator's weights to sample from.
pub trait GeneratorAverage: Sized {
    /// The model without its generator average, so that it samples from the trained generator
    /// itself; `None` when it keeps no average.
    fn without_average(self) -> Option<Self>;
}
