//! Class losses of the conditional and semi-supervised GANs (ACGAN's auxiliary classifier,
//! InfoGAN's categorical code, SGAN's K + 1 classes), from logits with a stable log-softmax.

use burn::tensor::{activation::log_softmax, backend::Backend, Int, Tensor};

/// Mean cross-entropy `-E[log softmax(logits)[label]]`.
///
/// # Shapes
/// - `logits`: `[n, classes]`
/// - `labels`: `[n]`, each below `classes`
/// - output: `[1]`
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let n = labels.dims()[0];
    let picked = log_softmax(logits, 1).gather(1, labels.reshape([n, 1])); // [n, 1]
    picked.mean().neg()
}

/// The fraction of samples whose largest logit is their label (detached).
///
/// # Shapes
/// - `logits`: `[n, classes]`
/// - `labels`: `[n]`
/// - output: `[1]`
pub fn accuracy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let n = labels.dims()[0];
    logits
        .detach()
        .argmax(1)
        .reshape([n])
        .equal(labels)
        .float()
        .mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;

    #[test]
    fn cross_entropy_matches_the_formula_and_stays_finite() {
        let device = Default::default();
        let logits = Tensor::<TB, 2>::from_floats([[1.0, 2.0, 3.0], [0.0, 0.0, 1e4]], &device);
        let labels = Tensor::<TB, 1, Int>::from_data(TensorData::new(vec![0i64, 2], [2]), &device);
        let got = cross_entropy(logits.clone(), labels.clone()).into_scalar() as f64;
        let lse = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
        let want = ((lse - 1.0) + 0.0) / 2.0;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        assert!((accuracy(logits, labels).into_scalar() as f64 - 0.5).abs() < 1e-6);
    }
}
