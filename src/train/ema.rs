//! An exponential moving average of a network's weights, used for sampling and evaluation.
//!
//! Karras et al. 2018 (progressive GANs, arXiv:1710.10196, section A.1), Yazıcı et al. 2019
//! ("The Unusual Effectiveness of Averaging in GAN Training", arXiv:1806.04498) and BigGAN
//! (Brock et al. 2019, arXiv:1809.11096, section 4) sample from an average of the generator's
//! weights over training rather than from the latest weights, which oscillate with the game.
//! After every generator update the average moves towards the trained weights:
//! `ema <- decay_t * ema + (1 - decay_t) * weights`, with the warm-up
//! `decay_t = min(decay, (1 + t) / (10 + t))` after `t` updates (as TensorFlow's
//! `ExponentialMovingAverage` with `num_updates`), so that short runs are not dominated by the
//! random initial weights. Non-trainable state (batch-norm running statistics) is copied from
//! the trained network, as StyleGAN2-ADA does with its buffers.
//!
//! The average is a second copy of the network inside the model's module (so it is saved in
//! every checkpoint and restored on resume); its parameters never require gradients and belong
//! to no optimizer.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;

// ANCHOR: warm_up
/// The decay applied at update number `updates` (counted from 0) for a target `decay`.
pub fn warmed_up_decay(decay: f64, updates: u64) -> f64 {
    let t = updates as f64;
    decay.min((1.0 + t) / (10.0 + t))
}
// ANCHOR_END: warm_up

/// A fresh average of `network`: a copy with its own parameter ids whose parameters do not
/// require gradients. Call [`crate::nn::materialize`] on `network` first if its parameters may be
/// lazily initialised (a lazy clone would initialise independently).
pub fn ema_copy<B: Backend, M: Module<B>>(network: &M) -> M {
    struct Fresh;
    impl<B: Backend> ModuleMapper<B> for Fresh {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (_, tensor, mapper) = param.consume();
            Param::from_mapped_value(
                ParamId::new(),
                tensor.detach().set_require_grad(false),
                mapper,
            )
        }
    }
    crate::nn::materialize(network);
    network.clone().map(&mut Fresh)
}

/// Moves `ema` (an [`ema_copy`] of `network`) towards `network`'s current weights with
/// weight `decay` on the old average; non-trainable tensors of `network` (running statistics)
/// are copied. Both must have the same structure.
///
/// Trainable tensors are recognised by `is_require_grad`, so call this on the autodiff model
/// that training updates (as [`crate::train::GanOptimizer`] does through
/// [`Adversarial::after_update`](crate::train::Adversarial::after_update)).
pub fn ema_update<B: Backend, M: Module<B>>(ema: M, network: &M, decay: f64) -> M {
    struct Collect<B: Backend>(Vec<(Tensor<B, 1>, bool)>);
    impl<B: Backend> ModuleVisitor<B> for Collect<B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let t = param.val();
            let trainable = t.is_require_grad();
            self.0.push((t.detach().reshape([-1]), trainable));
        }
    }
    struct Blend<B: Backend> {
        live: std::vec::IntoIter<(Tensor<B, 1>, bool)>,
        decay: f64,
    }
    impl<B: Backend> ModuleMapper<B> for Blend<B> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, old, mapper) = param.consume();
            let (live, trainable) = self
                .live
                .next()
                .expect("the moving average has the structure of the network it averages");
            let live: Tensor<B, D> = live.reshape(old.dims());
            let new = if trainable {
                old.detach().mul_scalar(self.decay) + live.mul_scalar(1.0 - self.decay)
            } else {
                live
            };
            Param::from_mapped_value(id, new.set_require_grad(false), mapper)
        }
    }
    let mut collect = Collect(Vec::new());
    network.visit(&mut collect);
    ema.map(&mut Blend {
        live: collect.0.into_iter(),
        decay,
    })
}

/// One step of a model's average: moves `ema` towards `network` with the warmed-up decay for
/// the update count held in `updates` (`[1]`, saved with the model) and counts the update.
pub fn advance<B: Backend, M: Module<B>>(
    ema: M,
    updates: Param<Tensor<B, 1>>,
    network: &M,
    decay: f64,
) -> (M, Param<Tensor<B, 1>>) {
    let t = updates.val().into_scalar().elem::<f64>() as u64;
    let ema = ema_update(ema, network, warmed_up_decay(decay, t));
    let updates = Param::initialized(
        updates.id,
        updates
            .val()
            .detach()
            .add_scalar(1.0)
            .set_require_grad(false),
    );
    (ema, updates)
}

/// A network's moving average and the number of updates it has had: what a model keeps (as an
/// optional field, so that it is saved in its checkpoints) to sample from.
#[derive(Module, Debug)]
pub struct Average<B: Backend, M: Module<B>> {
    /// The averaged network.
    pub generator: M,
    /// `[1]`: updates so far (for the warm-up of the decay).
    pub updates: Param<Tensor<B, 1>>,
}

impl<B: Backend, M: Module<B>> Average<B, M> {
    /// An average that starts at `network`'s current parameters (see [`ema_copy`]).
    pub fn new(network: &M, device: &B::Device) -> Self {
        Self {
            generator: ema_copy(network),
            updates: update_counter(device),
        }
    }

    /// Moves the average towards `network` (see [`advance`]).
    pub fn advance(self, network: &M, decay: f64) -> Self {
        let (generator, updates) = advance(self.generator, self.updates, network, decay);
        Self { generator, updates }
    }
}

/// A fresh update counter for [`advance`].
pub fn update_counter<B: Backend>(device: &B::Device) -> Param<Tensor<B, 1>> {
    Param::initialized(
        ParamId::new(),
        Tensor::zeros([1], device).set_require_grad(false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{BatchNorm, BatchNormConfig};
    use burn::backend::Autodiff;
    use burn::nn::LinearConfig;

    type AB = Autodiff<crate::TestBackend>;

    #[derive(Module, Debug)]
    struct Net<B: Backend> {
        linear: burn::nn::Linear<B>,
        norm: BatchNorm<B>,
    }

    fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    }

    #[test]
    fn average_follows_the_formula_and_copies_running_statistics() {
        let device = Default::default();
        let net = Net::<AB> {
            linear: LinearConfig::new(3, 2).init(&device),
            norm: BatchNormConfig::new(2).init(&device),
        };
        let ema = ema_copy(&net);
        assert!(!ema.linear.weight.val().is_require_grad());
        assert_ne!(ema.linear.weight.id, net.linear.weight.id);
        let w0 = values(net.linear.weight.val());
        // The network moves: new weights and new running statistics.
        let mut moved = net.clone();
        moved.linear.weight = Param::from_tensor(Tensor::from_inner(
            net.linear.weight.val().inner().add_scalar(1.0),
        ));
        let _ = moved.norm.forward(Tensor::<AB, 2>::from_floats(
            [[1.0, 5.0], [3.0, 9.0]],
            &device,
        ));
        let ema = ema_update(ema, &moved, 0.9);
        for (e, w) in values(ema.linear.weight.val()).iter().zip(&w0) {
            assert!((e - (0.9 * w + 0.1 * (w + 1.0))).abs() < 1e-6);
        }
        assert_eq!(
            values(ema.norm.running_mean.value()),
            values(moved.norm.running_mean.value())
        );
        assert!(!ema.linear.weight.val().is_require_grad());
        // Parameter ids of the average are stable across updates.
        let id = ema.linear.weight.id;
        let ema = ema_update(ema, &moved, 0.9);
        assert_eq!(ema.linear.weight.id, id);
    }

    #[test]
    fn warm_up_starts_fast_and_reaches_the_target() {
        assert!((warmed_up_decay(0.999, 0) - 0.1).abs() < 1e-12);
        assert!(warmed_up_decay(0.999, 100) < 0.93);
        assert_eq!(warmed_up_decay(0.999, 1_000_000), 0.999);
    }
}
