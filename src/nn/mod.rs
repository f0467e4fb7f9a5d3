//! Layers and initialisers shared by the model zoo.

use burn::nn::Initializer;

mod activation;
mod batch_norm;
mod class_batch_norm;
mod layer_norm;
mod minibatch;
pub mod progressive;
mod spectral_norm;
mod virtual_batch_norm;
mod weight_norm;

pub use activation::leaky_relu;
pub use batch_norm::{BatchNorm, BatchNormConfig};
pub use class_batch_norm::{ClassBatchNorm, ClassBatchNormConfig};
pub use layer_norm::{LayerNorm2d, LayerNorm2dConfig};
pub use minibatch::{MinibatchDiscrimination, MinibatchDiscriminationConfig};
pub use progressive::{
    downsample2x, downsample_to, minibatch_stddev, pixel_norm, pixel_norm_2d, upsample2x,
    EqualizedConv2d, EqualizedLinear,
};
pub use spectral_norm::{sn_conv2d, sn_linear, PowerIteration, SnConv2d, SnLinear};
pub use virtual_batch_norm::{VirtualBatchNorm, VirtualBatchNormConfig};
pub use weight_norm::{GaussianNoise, WeightNormLinear, WeightNormLinearConfig};

use burn::module::{ModuleVisitor, Param};
use burn::prelude::*;

/// Initialises every lazily initialised float parameter of `module` in place.
///
/// burn 0.21 initialises parameters on first use, and a clone of a parameter that is not yet
/// initialised initialises itself independently, with different random values. Code that clones
/// a module to compute something about the original (a training phase on a partly frozen copy, a
/// critic lifted onto a nested autodiff backend) calls this first, so that the clone shares the
/// original's values and its gradients land on the original's parameters.
pub fn materialize<B: Backend, M: Module<B>>(module: &M) {
    struct Touch;
    impl<B: Backend> ModuleVisitor<B> for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
}

/// A `burn::nn::Linear` layer's function written with plain tensor operations, which autodiff can
/// differentiate twice. burn-autodiff 0.21 implements `Linear::forward` with a fused operation
/// whose backward pass is not differentiable (it panics with "Can't differentiate
/// linear_x_backward" under a nested autodiff backend), so critics trained with a gradient
/// penalty ([`crate::loss::penalty`]) call this instead of `layer.forward`. Same parameters,
/// same record, same values.
///
/// # Shapes
/// - `x`: `[n, d_input]`
/// - output: `[n, d_output]`
pub fn linear<B: Backend>(layer: &burn::nn::Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let y = x.matmul(layer.weight.val());
    match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze_dim(0),
        None => y,
    }
}

/// The initialisation of DCGAN (Radford et al. 2015, section 4): weights drawn from
/// `N(0, 0.02)`.
pub fn dcgan_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}
