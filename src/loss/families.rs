//! Adversarial loss families beyond the original GAN, from the discriminator's (critic's) raw
//! outputs `d_real = D(x)` and `d_fake = D(G(z))` (`[n, 1]`, no sigmoid).
//!
//! | family | discriminator / critic minimises | generator minimises |
//! | --- | --- | --- |
//! | least squares (Mao et al. 2017, a = 0, b = c = 1) | `½ E[(D(x) - 1)²] + ½ E[D(G(z))²]` | `½ E[(D(G(z)) - 1)²]` |
//! | hinge (Lim and Ye 2017; SAGAN, BigGAN) | `E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]` | `-E[D(G(z))]` |
//! | Wasserstein (Arjovsky et al. 2017) | `E[D(G(z))] - E[D(x)]` | `-E[D(G(z))]` |
//!
//! The Wasserstein critic's loss is minus its estimate of the Wasserstein-1 distance, which
//! training logs (`w_distance`) because it tracks sample quality (Arjovsky et al., figure 3).

use burn::tensor::{activation::relu, backend::Backend, Tensor};
use serde::{Deserialize, Serialize};

use super::adversarial::{discriminator_loss, generator_loss, GeneratorLoss};

/// Which adversarial objective a model trains with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossFamily {
    /// The original GAN's cross-entropy (Goodfellow et al. 2014), with the generator loss of
    /// [`GeneratorLoss`] and optional one-sided label smoothing.
    #[default]
    Standard,
    /// Least squares (LSGAN).
    LeastSquares,
    /// Hinge loss.
    Hinge,
    /// Wasserstein (WGAN, WGAN-GP): a critic without sigmoid.
    Wasserstein,
}

impl std::str::FromStr for LossFamily {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" | "gan" | "bce" => Ok(Self::Standard),
            "least-squares" | "lsgan" => Ok(Self::LeastSquares),
            "hinge" => Ok(Self::Hinge),
            "wasserstein" | "wgan" => Ok(Self::Wasserstein),
            other => Err(format!(
                "unknown loss `{other}`; use standard, least-squares, hinge or wasserstein"
            )),
        }
    }
}

impl LossFamily {
    /// The mean discriminator output as training reports it (`D(x)`, `D(G(z))`): a probability
    /// for the families whose outputs are logits, the raw score for critics (detached).
    ///
    /// # Shapes
    /// - `d`: `[n, 1]`
    /// - output: `[1]`
    pub fn mean_output<B: Backend>(&self, d: &Tensor<B, 2>) -> Tensor<B, 1> {
        let d = d.clone().detach();
        if self.outputs_logits() {
            burn::tensor::activation::sigmoid(d).mean()
        } else {
            d.mean()
        }
    }

    /// The discriminator's (critic's) loss.
    ///
    /// `real_target` applies to [`LossFamily::Standard`] only (one-sided label smoothing).
    pub fn discriminator<B: Backend>(
        self,
        d_real: Tensor<B, 2>,
        d_fake: Tensor<B, 2>,
        real_target: f32,
    ) -> Tensor<B, 1> {
        // ANCHOR: d_losses
        match self {
            Self::Standard => discriminator_loss(d_real, d_fake, real_target),
            Self::LeastSquares => {
                (d_real.sub_scalar(1.0).square().mean() + d_fake.square().mean()) * 0.5
            }
            Self::Hinge => {
                relu(d_real.neg().add_scalar(1.0)).mean() + relu(d_fake.add_scalar(1.0)).mean()
            }
            Self::Wasserstein => d_fake.mean() - d_real.mean(),
        }
        // ANCHOR_END: d_losses
    }

    /// The generator's loss. `standard` selects the form of [`LossFamily::Standard`].
    pub fn generator<B: Backend>(
        self,
        d_fake: Tensor<B, 2>,
        standard: GeneratorLoss,
    ) -> Tensor<B, 1> {
        match self {
            Self::Standard => generator_loss(d_fake, standard),
            Self::LeastSquares => d_fake.sub_scalar(1.0).square().mean() * 0.5,
            Self::Hinge | Self::Wasserstein => d_fake.mean().neg(),
        }
    }

    /// Whether `D`'s output is a logit (so `sigmoid(D)` is a probability worth reporting).
    pub fn outputs_logits(self) -> bool {
        matches!(self, Self::Standard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;

    fn col(values: &[f64]) -> Tensor<TB, 2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len(), 1]),
            &Default::default(),
        )
    }

    fn mean(v: impl Iterator<Item = f64>) -> f64 {
        let v: Vec<f64> = v.collect();
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn losses_match_their_formulas() {
        let (r, f) = ([0.3, -1.2, 2.0], [-0.5, 0.7]);
        let d = |family: LossFamily| -> f64 {
            family.discriminator(col(&r), col(&f), 1.0).into_scalar()
        };
        let g = |family: LossFamily| -> f64 {
            family
                .generator(col(&f), GeneratorLoss::NonSaturating)
                .into_scalar()
        };
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        close(
            d(LossFamily::LeastSquares),
            0.5 * mean(r.iter().map(|x| (x - 1.0) * (x - 1.0)))
                + 0.5 * mean(f.iter().map(|x| x * x)),
        );
        close(
            g(LossFamily::LeastSquares),
            0.5 * mean(f.iter().map(|x| (x - 1.0) * (x - 1.0))),
        );
        close(
            d(LossFamily::Hinge),
            mean(r.iter().map(|x| (1.0 - x).max(0.0))) + mean(f.iter().map(|x| (1.0 + x).max(0.0))),
        );
        close(g(LossFamily::Hinge), -mean(f.iter().copied()));
        close(
            d(LossFamily::Wasserstein),
            mean(f.iter().copied()) - mean(r.iter().copied()),
        );
        close(g(LossFamily::Wasserstein), -mean(f.iter().copied()));
        // The standard family is the original GAN's loss.
        close(
            d(LossFamily::Standard),
            discriminator_loss(col(&r), col(&f), 1.0).into_scalar(),
        );
    }

    #[test]
    fn names_parse_and_unknown_names_are_explained() {
        assert_eq!("lsgan".parse::<LossFamily>(), Ok(LossFamily::LeastSquares));
        assert_eq!(
            "wasserstein".parse::<LossFamily>(),
            Ok(LossFamily::Wasserstein)
        );
        assert!("l1".parse::<LossFamily>().unwrap_err().contains("hinge"));
    }
}
