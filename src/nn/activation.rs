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
    use crate::TestBackend;
    use burn::backend::Autodiff;
    use burn::tensor::TensorData;

    type Ad = Autodiff<TestBackend>;

    #[test]
    fn values_and_gradients_equal_burns_leaky_relu() {
        let device = Default::default();
        let data = TensorData::new(vec![-2.0, -0.5, 0.0, 0.25, 3.0, -1e-9], [2, 3]);
        let ours = Tensor::<Ad, 2>::from_data(data.clone(), &device).require_grad();
        let theirs = Tensor::<Ad, 2>::from_data(data, &device).require_grad();
        let weights = Tensor::<Ad, 2>::from_data(
            TensorData::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]),
            &device,
        );
        let y_ours = leaky_relu(ours.clone(), 0.2);
        let y_theirs = burn::tensor::activation::leaky_relu(theirs.clone(), 0.2);
        assert_eq!(
            y_ours.clone().into_data().to_vec::<f64>().unwrap(),
            y_theirs.clone().into_data().to_vec::<f64>().unwrap()
        );
        let g_ours = (y_ours * weights.clone()).sum().backward();
        let g_theirs = (y_theirs * weights).sum().backward();
        let g_ours = ours
            .grad(&g_ours)
            .unwrap()
            .to_data()
            .to_vec::<f64>()
            .unwrap();
        let g_theirs = theirs
            .grad(&g_theirs)
            .unwrap()
            .to_data()
            .to_vec::<f64>()
            .unwrap();
        assert_eq!(g_ours, g_theirs);
        assert_eq!(g_ours, vec![0.2, 0.4, 3.0, 4.0, 5.0, 1.2000000000000002]);
    }

    // Second order: src/loss/penalty.rs's critic uses this leaky ReLU, and its test checks the
    // gradient penalty's parameter gradients (a gradient of a gradient through a nested
    // autodiff backend) against central finite differences.
}
