//! A GAN's objective: the loss family, the generator loss, label smoothing, and the regularisers
//! the training step and optimizer apply.

use serde::{Deserialize, Serialize};

use crate::loss::{GeneratorLoss, LossFamily};

/// A regulariser of the discriminator (critic) added by the training step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Penalty {
    /// WGAN-GP: `lambda * E[(||∇ D(x̂)||₂ - 1)²]` on random interpolates of real and generated
    /// samples (Gulrajani et al. 2017; lambda 10).
    Gradient {
        /// Weight of the penalty.
        lambda: f64,
    },
    /// R1: `gamma / 2 * E[||∇ D(x)||₂²]` on real samples (Mescheder et al. 2018).
    R1 {
        /// Weight of the penalty.
        gamma: f64,
    },
}

/// The objective of the default [`Adversarial::phase_loss`] and the regularisers the training
/// step and optimizer apply.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// Minimax or non-saturating generator loss (for [`LossFamily::Standard`]).
    pub generator_loss: GeneratorLoss,
    /// The discriminator's target for real samples (1, or e.g. 0.9 for one-sided smoothing;
    /// [`LossFamily::Standard`] only).
    pub real_target: f32,
    /// The loss family.
    #[serde(default)]
    pub loss: LossFamily,
    /// A gradient penalty on the critic, computed by [`train_step`].
    #[serde(default)]
    pub penalty: Option<Penalty>,
    /// WGAN's weight clipping: after every critic update its trainable weights are clamped to
    /// `[-c, c]` (by [`crate::train::GanOptimizer`]).
    #[serde(default)]
    pub weight_clip: Option<f32>,
    /// Feature matching (Salimans et al. 2016, section 3.1): the generator minimises
    /// `||E f(x) - E f(G(z))||²` over the discriminator's intermediate features `f`
    /// ([`DiscriminatorFeatures`], offered by [`Adversarial::discriminator_features`]) instead of
    /// its adversarial loss.
    #[serde(default)]
    pub feature_matching: bool,
    /// Historical averaging's weight lambda (Salimans et al. 2016, section 3.3), added by
    /// [`train_step`] to both networks' losses; the model keeps the averages.
    #[serde(default)]
    pub historical_averaging: Option<f64>,
}

impl Objective {
    /// Refuses combinations that cannot train as intended, given whether the critic uses batch
    /// norm and spectral normalisation: a gradient penalty through batch statistics, weight
    /// clipping together with a penalty or with spectral norm, weight clipping without the
    /// Wasserstein loss, non-positive weights.
    pub fn validate(&self, critic_batch_norm: bool, spectral_norm: bool) -> Result<(), String> {
        match self.penalty {
            Some(Penalty::Gradient { lambda: w }) | Some(Penalty::R1 { gamma: w })
                if !(w > 0.0 && w.is_finite()) =>
            {
                return Err(format!(
                    "a gradient penalty weight must be a finite number > 0, got {w}"
                ));
            }
            Some(_) if critic_batch_norm => {
                return Err("a gradient penalty needs a critic without batch norm (batch statistics couple the samples whose gradients it penalises); use critic norm `layer` or `none`".into());
            }
            _ => {}
        }
        if let Some(c) = self.weight_clip {
            if !(c > 0.0 && c.is_finite()) {
                return Err(format!(
                    "the weight clipping bound must be a finite number > 0, got {c}"
                ));
            }
            if self.penalty.is_some() {
                return Err("weight clipping and a gradient penalty are alternative ways to constrain the critic; use one".into());
            }
            if spectral_norm {
                return Err("weight clipping and spectral normalisation both constrain the critic's weights; use one".into());
            }
            if self.loss != LossFamily::Wasserstein {
                return Err("weight clipping belongs to the Wasserstein loss (WGAN); set the loss to wasserstein".into());
            }
        }
        Ok(())
    }
}

impl Default for Objective {
    fn default() -> Self {
        Self {
            generator_loss: GeneratorLoss::NonSaturating,
            real_target: 1.0,
            loss: LossFamily::Standard,
            penalty: None,
            weight_clip: None,
            feature_matching: false,
            historical_averaging: None,
        }
    }
}
