//! Activations with a cheaper autodiff graph than burn 0.21's defaults.

use burn::tensor::{backend::Backend, Tensor};

// ANCHOR: leaky_relu
/// Leaky ReLU, `x` where `x >= 0` and `negative_slope * x` elsewhere, recorded on an autodiff
/// backend as one product `x * s` with the factor `s` (1 or `negative_slope`) computed from
/// `x`'s values and not tracked.
///
/// The values are bit for bit those of `burn::tensor::activation::leaky_relu`, and so is the
/// gradient `s * grad` (burn's derivative, 1 at zero included). burn 0.21's autodiff backend has
/// no leaky-ReLU operation: it records a comparison, a scaled copy and a masked select, whose
/// backward allocates two zero tensors and runs two masked selects, about six passes over the
/// activation where this needs one. Second-order gradients (gradient penalties) agree too:
/// both treat the mask as a constant.
pub fn leaky_relu<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    negative_slope: f64,
) -> Tensor<B, D> {
    let negative = x.clone().detach().lower_elem(0.0);
    let factor = x.ones_like().mask_fill(negative, negative_slope);
    x * factor
}
// ANCHOR_END: leaky_relu

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{tensor_values, TestBackend};
    use burn::backend::Autodiff;
    use burn::tensor::TensorData;

    type Ad = Autodiff<TestBackend>;

    #[test]
    fn values_and_gradients_equal_burns_leaky_relu() {
        let device = Default::default();
        let data = TensorData::new(vec![-2.0, -0.5, 0.0, 0.25, 3.0, -1e-9], [2, 3]);
        let weights = Tensor::<Ad, 2>::from_data(
            TensorData::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]),
            &device,
        );
        // (values, gradient of sum(weights * f(x))) of an activation `f`.
        let run = |f: fn(Tensor<Ad, 2>) -> Tensor<Ad, 2>| {
            let x = Tensor::<Ad, 2>::from_data(data.clone(), &device).require_grad();
            let y = f(x.clone());
            let grads = (y.clone() * weights.clone()).sum().backward();
            (tensor_values(y), tensor_values(x.grad(&grads).unwrap()))
        };
        let (y_ours, g_ours) = run(|x| leaky_relu(x, 0.2));
        let (y_theirs, g_theirs) = run(|x| burn::tensor::activation::leaky_relu(x, 0.2));
        assert_eq!(y_ours, y_theirs);
        assert_eq!(g_ours, g_theirs);
        assert_eq!(g_ours, vec![0.2, 0.4, 3.0, 4.0, 5.0, 1.2000000000000002]);
    }

    // Second order: src/loss/penalty.rs's critic uses this leaky ReLU, and its test checks the
    // gradient penalty's parameter gradients (a gradient of a gradient through a nested
    // autodiff backend) against central finite differences.
}
