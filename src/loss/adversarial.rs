//! The losses of the original GAN (Goodfellow et al. 2014, arXiv:1406.2661).
//!
//! The discriminator maximises `log D(x) + log(1 - D(G(z)))`; with `D = sigmoid(logit)` that is
//! minimising `softplus(-l_real) + softplus(l_fake)`. The generator either minimises
//! `log(1 - D(G(z))) = -softplus(l_fake)` (the *minimax* or saturating form of the paper's
//! value function) or maximises `log D(G(z))`, i.e. minimises `softplus(-l_fake)` (the
//! *non-saturating* form the paper recommends in practice, section 3).
//!
//! Everything is computed from logits with a stable softplus, never from probabilities, so
//! saturated discriminators give finite losses and useful gradients.
//!
//! One-sided label smoothing (Salimans et al. 2016, arXiv:1606.03498, section 3.4) replaces the
//! real target 1 by `real_target` (e.g. 0.9) and leaves the fake target at 0.

use burn::tensor::{activation::relu, backend::Backend, Tensor};
use serde::{Deserialize, Serialize};

/// Which generator loss to minimise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeneratorLoss {
    /// `log(1 - D(G(z)))`, the value function of the paper. Saturates when D wins early.
    Minimax,
    /// `-log D(G(z))`, the paper's practical recommendation.
    #[default]
    NonSaturating,
}

impl std::str::FromStr for GeneratorLoss {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "minimax" | "saturating" => Ok(Self::Minimax),
            "non-saturating" | "ns" => Ok(Self::NonSaturating),
            other => Err(format!(
                "unknown generator loss `{other}`; use `minimax` or `non-saturating`"
            )),
        }
    }
}

/// `log(1 + exp(x))`, computed as `relu(x) + log1p(exp(-|x|))` so that it never overflows.
pub fn softplus<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    relu(x.clone()) + x.abs().neg().exp().log1p()
}

/// The discriminator's loss, `E[-t log D(x) - (1-t) log(1-D(x))] + E[-log(1 - D(G(z)))]`.
///
/// `real_target` is 1 for the plain loss and below 1 for one-sided label smoothing.
///
/// # Shapes
/// - `real_logits`: `[n_real, 1]`
/// - `fake_logits`: `[n_fake, 1]`
/// - output: `[1]`
// ANCHOR: d_loss
pub fn discriminator_loss<B: Backend>(
    real_logits: Tensor<B, 2>,
    fake_logits: Tensor<B, 2>,
    real_target: f32,
) -> Tensor<B, 1> {
    assert!(
        (0.0..=1.0).contains(&real_target),
        "The real target of the discriminator loss must lie in [0, 1], got {real_target}."
    );
    let real = if real_target == 1.0 {
        softplus(real_logits.neg())
    } else {
        softplus(real_logits.clone().neg()) * real_target
            + softplus(real_logits) * (1.0 - real_target)
    };
    real.mean() + softplus(fake_logits).mean()
}
// ANCHOR_END: d_loss

/// The generator's loss for logits of generated samples.
///
/// # Shapes
/// - `fake_logits`: `[n, 1]`
/// - output: `[1]`
// ANCHOR: g_loss
pub fn generator_loss<B: Backend>(fake_logits: Tensor<B, 2>, kind: GeneratorLoss) -> Tensor<B, 1> {
    match kind {
        GeneratorLoss::Minimax => softplus(fake_logits).mean().neg(),
        GeneratorLoss::NonSaturating => softplus(fake_logits.neg()).mean(),
    }
}
// ANCHOR_END: g_loss

/// Feature matching (Salimans et al. 2016, "Improved Techniques for Training GANs",
/// arXiv:1606.03498, section 3.1): `||E f(x) - E f(G(z))||²`, the squared distance between the
/// batch means of the discriminator's features on real and on generated samples.
///
/// # Shapes
/// - `real`, `fake`: `[n, features]` (the batch sizes may differ)
/// - output: `[1]`
// ANCHOR: feature_matching
pub fn feature_matching<B: Backend>(real: Tensor<B, 2>, fake: Tensor<B, 2>) -> Tensor<B, 1> {
    (real.mean_dim(0) - fake.mean_dim(0)).square().sum()
}
// ANCHOR_END: feature_matching

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;

    fn logits(values: &[f64]) -> Tensor<TB, 2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len(), 1]),
            &Default::default(),
        )
    }

    fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    #[test]
    fn discriminator_loss_matches_binary_cross_entropy() {
        let (r, f) = ([0.3, -1.2, 2.0], [-0.5, 0.7]);
        let got: f64 = discriminator_loss(logits(&r), logits(&f), 1.0).into_scalar();
        let real = r.iter().map(|&x| -sigmoid(x).ln()).sum::<f64>() / 3.0;
        let fake = f.iter().map(|&x| -(1.0 - sigmoid(x)).ln()).sum::<f64>() / 2.0;
        assert!(
            (got - (real + fake)).abs() < 1e-12,
            "{got} vs {}",
            real + fake
        );
    }

    #[test]
    fn label_smoothing_changes_only_the_real_term() {
        let (r, f) = ([1.5, -0.2], [0.1, -3.0]);
        let got: f64 = discriminator_loss(logits(&r), logits(&f), 0.9).into_scalar();
        let real = r
            .iter()
            .map(|&x| -(0.9 * sigmoid(x).ln() + 0.1 * (1.0 - sigmoid(x)).ln()))
            .sum::<f64>()
            / 2.0;
        let fake = f.iter().map(|&x| -(1.0 - sigmoid(x)).ln()).sum::<f64>() / 2.0;
        // The target is an f32, so 0.9 carries f32 rounding.
        assert!(
            (got - (real + fake)).abs() < 1e-7,
            "{got} vs {}",
            real + fake
        );
    }

    #[test]
    fn generator_losses_match_their_formulas() {
        let f = [0.4, -2.0, 1.1];
        let ns: f64 = generator_loss(logits(&f), GeneratorLoss::NonSaturating).into_scalar();
        let mm: f64 = generator_loss(logits(&f), GeneratorLoss::Minimax).into_scalar();
        let ns_ref = f.iter().map(|&x| -sigmoid(x).ln()).sum::<f64>() / 3.0;
        let mm_ref = f.iter().map(|&x| (1.0 - sigmoid(x)).ln()).sum::<f64>() / 3.0;
        assert!((ns - ns_ref).abs() < 1e-12);
        assert!((mm - mm_ref).abs() < 1e-12);
    }

    #[test]
    fn losses_stay_finite_for_saturated_logits() {
        let big = logits(&[1e4, -1e4]);
        let d: f64 = discriminator_loss(big.clone(), big.clone(), 0.9).into_scalar();
        let g: f64 = generator_loss(big, GeneratorLoss::NonSaturating).into_scalar();
        assert!(d.is_finite() && g.is_finite(), "d = {d}, g = {g}");
        // softplus(1e4) is 1e4 exactly in f64: no overflow to infinity.
        assert!((g - 1e4 / 2.0).abs() < 1e-6);
    }

    #[test]
    #[should_panic = "The real target of the discriminator loss must lie in [0, 1]"]
    fn real_target_above_one_is_rejected() {
        discriminator_loss(logits(&[0.0]), logits(&[0.0]), 1.5);
    }

    #[test]
    fn feature_matching_is_the_squared_distance_of_the_batch_means() {
        let device = Default::default();
        let real = Tensor::<TB, 2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device); // mean (2, 3)
        let fake = Tensor::<TB, 2>::from_floats([[0.0, 0.0], [0.0, 2.0], [3.0, 1.0]], &device); // (1, 1)
        let v = feature_matching(real.clone(), fake).into_scalar() as f64;
        assert!((v - 5.0).abs() < 1e-9, "{v}");
        assert_eq!(
            feature_matching(real.clone(), real).into_scalar() as f64,
            0.0
        );
    }
}
