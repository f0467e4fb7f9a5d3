//! Historical averaging (Salimans et al. 2016, "Improved Techniques for Training GANs",
//! arXiv:1606.03498, section 3.3): each network's cost gains `lambda * ||θ - (1/t) Σ_i θ[i]||²`,
//! a pull towards the average of its own past parameters, which damps the oscillations of the
//! two-player game (the authors credit Brown's fictitious play).
//!
//! The average is a copy of the network kept in the model (so checkpoints carry it and resume
//! is exact), updated after every optimizer step of that network as the cumulative mean
//! `avg <- t/(t+1) avg + 1/(t+1) θ` (an [`ema_update`] with decay `t/(t+1)`). The penalty sums
//! over the trainable tensors only; batch-norm statistics are copied, not penalised.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;

use super::ema::ema_update;
use super::step::NetworkId;

/// `||θ - θ̄||²` summed over the trainable (gradient-requiring) parameters of `network`, with
/// `θ̄` the matching parameters of `average` (same structure). Zero when nothing is trainable.
pub fn historical_penalty<B: Backend, M: Module<B>>(network: &M, average: &M) -> Tensor<B, 1> {
    struct Collect<B: Backend> {
        values: Vec<(Tensor<B, 1>, bool)>,
    }
    impl<B: Backend> ModuleVisitor<B> for Collect<B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let t = param.val();
            let trainable = t.is_require_grad();
            self.values.push((t.reshape([-1]), trainable));
        }
    }
    let mut live = Collect { values: Vec::new() };
    network.visit(&mut live);
    let mut past = Collect { values: Vec::new() };
    average.visit(&mut past);
    assert_eq!(
        live.values.len(),
        past.values.len(),
        "the historical average has the structure of its network"
    );
    let mut total: Option<Tensor<B, 1>> = None;
    for ((theta, trainable), (mean, _)) in live.values.into_iter().zip(past.values) {
        if !trainable {
            continue;
        }
        let term = (theta - mean.detach()).square().sum();
        total = Some(match total {
            Some(t) => t + term,
            None => term,
        });
    }
    total.unwrap_or_else(|| {
        let device = average.devices().into_iter().next().unwrap_or_default();
        Tensor::zeros([1], &device)
    })
}

/// One update of the cumulative mean after `count` (`[1]`) updates: returns the new average and
/// count.
pub fn update_history<B: Backend, M: Module<B>>(
    average: M,
    count: Param<Tensor<B, 1>>,
    network: &M,
) -> (M, Param<Tensor<B, 1>>) {
    // ANCHOR: cumulative_mean
    let t = count.val().into_scalar().elem::<f64>();
    // The first update (t = 0) makes the average the current parameters.
    let average = ema_update(average, network, t / (t + 1.0));
    // ANCHOR_END: cumulative_mean
    let count = Param::initialized(
        count.id,
        count.val().detach().add_scalar(1.0).set_require_grad(false),
    );
    (average, count)
}

/// Historical averages of a GAN's two networks, `G` and `D` (a model keeps one as an optional
/// field and calls [`update`](Self::update) from
/// [`Adversarial::after_update`](crate::train::Adversarial::after_update) and
/// [`penalty`](Self::penalty) from
/// [`HistoricalAverage::historical_penalty`](crate::train::HistoricalAverage::historical_penalty)).
#[derive(Module, Debug)]
pub struct History<B: Backend, G: Module<B>, D: Module<B>> {
    generator: G,
    discriminator: D,
    generator_updates: Param<Tensor<B, 1>>,
    discriminator_updates: Param<Tensor<B, 1>>,
}

impl<B: Backend, G: Module<B>, D: Module<B>> History<B, G, D> {
    /// Averages that start at the networks' current parameters.
    pub fn new(generator: &G, discriminator: &D, device: &B::Device) -> Self {
        Self {
            generator: super::ema::ema_copy(generator),
            discriminator: super::ema::ema_copy(discriminator),
            generator_updates: super::ema::update_counter(device),
            discriminator_updates: super::ema::update_counter(device),
        }
    }

    /// Folds the current parameters of the network just updated into its average.
    pub fn update(self, network: NetworkId, generator: &G, discriminator: &D) -> Self {
        match network {
            NetworkId::GENERATOR => {
                let (g, n) = update_history(self.generator, self.generator_updates, generator);
                Self {
                    generator: g,
                    generator_updates: n,
                    ..self
                }
            }
            NetworkId::DISCRIMINATOR => {
                let (d, n) = update_history(
                    self.discriminator,
                    self.discriminator_updates,
                    discriminator,
                );
                Self {
                    discriminator: d,
                    discriminator_updates: n,
                    ..self
                }
            }
            _ => self,
        }
    }

    /// `||θ - θ̄||²` of `network` (`None` for a network other than the two it averages).
    pub fn penalty(
        &self,
        network: NetworkId,
        generator: &G,
        discriminator: &D,
    ) -> Option<Tensor<B, 1>> {
        match network {
            NetworkId::GENERATOR => Some(historical_penalty(generator, &self.generator)),
            NetworkId::DISCRIMINATOR => {
                Some(historical_penalty(discriminator, &self.discriminator))
            }
            _ => None,
        }
    }

    /// The average of the discriminator (for tests and inspection).
    pub fn discriminator(&self) -> &D {
        &self.discriminator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ema::{ema_copy, update_counter};
    use burn::backend::Autodiff;
    use burn::nn::{Linear, LinearConfig};

    type AB = Autodiff<crate::TestBackend>;

    fn shifted(layer: &Linear<AB>, by: f64) -> Linear<AB> {
        let mut moved = layer.clone();
        moved.weight = Param::from_tensor(Tensor::from_inner(
            layer.weight.val().inner().add_scalar(by),
        ));
        moved
    }

    #[test]
    fn average_is_the_cumulative_mean_and_the_penalty_pulls_towards_it() {
        let device = Default::default();
        let layer: Linear<AB> = LinearConfig::new(2, 3).init(&device);
        let w0 = crate::tensor_values(layer.weight.val());
        let (mut avg, mut count) = (ema_copy(&layer), update_counter::<AB>(&device));
        // Parameters w0, w0 + 1, w0 + 5: the average is w0 + 2.
        for by in [0.0, 1.0, 5.0] {
            (avg, count) = update_history(avg, count, &shifted(&layer, by));
        }
        let a = crate::tensor_values(avg.weight.val());
        for (x, w) in a.iter().zip(&w0) {
            assert!((x - (w + 2.0)).abs() < 1e-6, "{x} vs {}", w + 2.0);
        }
        // At w0 + 5: penalty = 6 entries * 3² (+ the bias, equal to its mean: 0); gradient
        // 2 (θ - θ̄) = 6 on every weight.
        let now = shifted(&layer, 5.0);
        let penalty = historical_penalty(&now, &avg);
        assert!((penalty.clone().into_scalar() - 54.0).abs() < 1e-6);
        let grads = penalty.backward();
        let g = crate::tensor_values(now.weight.grad(&grads).unwrap());
        assert!(g.iter().all(|v| (v - 6.0).abs() < 1e-6), "{g:?}");
    }
}
