//! One optimizer per network.
//!
//! burn-train 0.21's learner holds a single optimizer for its single model, and burn-optim 0.21
//! has no parameter groups. [`GanOptimizer`] is that single optimizer: it owns one optimizer per
//! [`Network`], each with its own algorithm, hyper-parameters and learning rate, splits the
//! gradients it receives by parameter owner (as declared by [`Adversarial::network_params`]), and
//! steps each optimizer on its share. Its record is the pair of records, so both optimizers'
//! state (Adam moments, momentum buffers) is checkpointed and resumed with the model.
//!
//! The learner's learning rate is used as a multiplier of each network's own rate; the training
//! loop runs it at 1.0.

use std::collections::HashSet;

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{
    adaptor::OptimizerAdaptor, momentum::MomentumConfig, Adam, AdamConfig, GradientsParams,
    MultiGradientsParams, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use burn::tensor::{backend::AutodiffBackend, Tensor};
use serde::{Deserialize, Serialize};

use super::step::{Adversarial, Network};

/// An optimizer and its hyper-parameters, as written in `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OptimizerConfig {
    /// Adam (Kingma and Ba 2015).
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f32,
        /// Second-moment decay.
        beta2: f32,
        /// Denominator epsilon.
        epsilon: f32,
    },
    /// RMSProp (Tieleman and Hinton 2012), as used by WGAN.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Squared-gradient decay.
        alpha: f32,
        /// Momentum (0 for plain RMSProp).
        momentum: f32,
        /// Denominator epsilon.
        epsilon: f32,
    },
    /// Stochastic gradient descent with optional (Nesterov) momentum, as in Goodfellow 2014.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum (0 for none).
        momentum: f64,
        /// Nesterov momentum.
        nesterov: bool,
    },
}

impl OptimizerConfig {
    /// Adam with DCGAN's settings (Radford et al. 2015): `lr`, beta1 = 0.5, beta2 = 0.999, and
    /// PyTorch's epsilon 1e-8.
    pub fn adam(lr: f64) -> Self {
        Self::Adam {
            lr,
            beta1: 0.5,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }

    /// Adam with these moment decays and PyTorch's epsilon 1e-8.
    pub fn adam_with_betas(lr: f64, beta1: f32, beta2: f32) -> Self {
        Self::Adam {
            lr,
            beta1,
            beta2,
            epsilon: 1e-8,
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Self::Adam { lr, .. } | Self::RmsProp { lr, .. } | Self::Sgd { lr, .. } => *lr,
        }
    }

    /// A copy with another learning rate.
    pub fn with_lr(mut self, new: f64) -> Self {
        match &mut self {
            Self::Adam { lr, .. } | Self::RmsProp { lr, .. } | Self::Sgd { lr, .. } => *lr = new,
        }
        self
    }

    /// Parses `adam`, `rmsprop` or `sgd` with this learning rate and the usual GAN defaults
    /// (Adam betas (0.5, 0.999); RMSProp alpha 0.99 without momentum; SGD momentum 0.5 as in
    /// Goodfellow 2014's code).
    pub fn parse(name: &str, lr: f64) -> Result<Self, String> {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(format!("learning rate {lr} must be a positive number"));
        }
        match name {
            "adam" => Ok(Self::adam(lr)),
            "rmsprop" => Ok(Self::RmsProp {
                lr,
                alpha: 0.99,
                momentum: 0.0,
                epsilon: 1e-8,
            }),
            "sgd" => Ok(Self::Sgd {
                lr,
                momentum: 0.5,
                nesterov: false,
            }),
            other => Err(format!(
                "unknown optimizer `{other}`; use adam, rmsprop or sgd"
            )),
        }
    }

    fn init<B: AutodiffBackend, M: AutodiffModule<B>>(&self) -> AnyOptimizer<M, B> {
        match *self {
            Self::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => AnyOptimizer::Adam(
                AdamConfig::new()
                    .with_beta_1(beta1)
                    .with_beta_2(beta2)
                    .with_epsilon(epsilon)
                    .init(),
            ),
            Self::RmsProp {
                alpha,
                momentum,
                epsilon,
                ..
            } => AnyOptimizer::RmsProp(
                RmsPropConfig::new()
                    .with_alpha(alpha)
                    .with_momentum(momentum)
                    .with_epsilon(epsilon)
                    .init(),
            ),
            Self::Sgd {
                momentum, nesterov, ..
            } => {
                let momentum = (momentum > 0.0).then(|| MomentumConfig {
                    momentum,
                    dampening: 0.0,
                    nesterov,
                });
                AnyOptimizer::Sgd(SgdConfig::new().with_momentum(momentum).init())
            }
        }
    }
}

type AdamOf<M, B> = OptimizerAdaptor<Adam, M, B>;
type RmsPropOf<M, B> = OptimizerAdaptor<RmsProp, M, B>;
type SgdOf<M, B> = OptimizerAdaptor<Sgd<<B as AutodiffBackend>::InnerBackend>, M, B>;
type RecordOf<O, M, B> = <O as Optimizer<M, B>>::Record;

/// One of the supported optimizers, chosen at run time.
#[derive(Clone)]
enum AnyOptimizer<M: AutodiffModule<B>, B: AutodiffBackend> {
    Adam(AdamOf<M, B>),
    RmsProp(RmsPropOf<M, B>),
    Sgd(SgdOf<M, B>),
}

/// The record of an [`AnyOptimizer`]: the state of whichever algorithm is in use.
type AnyRecord<M, B> = (
    Option<RecordOf<AdamOf<M, B>, M, B>>,
    Option<RecordOf<RmsPropOf<M, B>, M, B>>,
    Option<RecordOf<SgdOf<M, B>, M, B>>,
);

impl<M: AutodiffModule<B>, B: AutodiffBackend> AnyOptimizer<M, B> {
    fn step(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        match self {
            Self::Adam(o) => o.step(lr, module, grads),
            Self::RmsProp(o) => o.step(lr, module, grads),
            Self::Sgd(o) => o.step(lr, module, grads),
        }
    }

    fn to_record(&self) -> AnyRecord<M, B> {
        match self {
            Self::Adam(o) => (Some(o.to_record()), None, None),
            Self::RmsProp(o) => (None, Some(o.to_record()), None),
            Self::Sgd(o) => (None, None, Some(o.to_record())),
        }
    }

    fn load_record(self, record: AnyRecord<M, B>) -> Self {
        match (self, record) {
            (Self::Adam(o), (Some(r), _, _)) => Self::Adam(o.load_record(r)),
            (Self::RmsProp(o), (_, Some(r), _)) => Self::RmsProp(o.load_record(r)),
            (Self::Sgd(o), (_, _, Some(r))) => Self::Sgd(o.load_record(r)),
            _ => panic!(
                "The optimizer state in the checkpoint belongs to another optimizer algorithm than the configured one."
            ),
        }
    }
}

/// The learner's optimizer: one optimizer per network (see the module docs).
#[derive(Clone)]
pub struct GanOptimizer<M: AutodiffModule<B>, B: AutodiffBackend> {
    generator: AnyOptimizer<M, B>,
    discriminator: AnyOptimizer<M, B>,
    lr_g: f64,
    lr_d: f64,
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> GanOptimizer<M, B> {
    /// Optimizers for the generator and the discriminator.
    pub fn new(generator: &OptimizerConfig, discriminator: &OptimizerConfig) -> Self {
        Self {
            generator: generator.init(),
            discriminator: discriminator.init(),
            lr_g: generator.lr(),
            lr_d: discriminator.lr(),
        }
    }
}

/// WGAN's weight clipping: clamps the trainable tensors among `ids` to `[-c, c]` (running
/// statistics, which are not trainable, are left alone).
struct Clip<'a> {
    ids: &'a HashSet<ParamId>,
    c: f32,
}

impl<B: AutodiffBackend> ModuleMapper<B> for Clip<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if !self.ids.contains(&param.id) {
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let tensor = if tensor.is_require_grad() {
            let c = self.c as f64;
            Tensor::from_inner(tensor.inner().clamp(-c, c)).require_grad()
        } else {
            tensor
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// Moves gradients out of `source` into the generator's or the discriminator's share.
struct SplitGrads<'a> {
    source: &'a mut GradientsParams,
    generator_ids: &'a HashSet<ParamId>,
    generator: GradientsParams,
    discriminator: GradientsParams,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for SplitGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(grad) = self.source.remove::<B::InnerBackend, D>(param.id) {
            let share = if self.generator_ids.contains(&param.id) {
                &mut self.generator
            } else {
                &mut self.discriminator
            };
            share.register::<B::InnerBackend, D>(param.id, grad);
        }
    }
}

impl<M, B> Optimizer<M, B> for GanOptimizer<M, B>
where
    M: AutodiffModule<B> + Adversarial<B>,
    B: AutodiffBackend,
{
    type Record = (AnyRecord<M, B>, AnyRecord<M, B>);

    // ANCHOR: split
    fn step(&mut self, lr: f64, module: M, mut grads: GradientsParams) -> M {
        // Ids are read from the module at every step: loading a checkpoint replaces them.
        let generator_ids: HashSet<ParamId> = module
            .network_params(Network::Generator)
            .into_iter()
            .collect();
        let mut split = SplitGrads {
            source: &mut grads,
            generator_ids: &generator_ids,
            generator: GradientsParams::new(),
            discriminator: GradientsParams::new(),
        };
        module.visit(&mut split);
        let (g, d) = (split.generator, split.discriminator);
        let mut module = module;
        if !d.is_empty() {
            module = self.discriminator.step(lr * self.lr_d, module, d);
            if let Some(c) = module.objective().weight_clip {
                let ids: HashSet<ParamId> = module
                    .network_params(Network::Discriminator)
                    .into_iter()
                    .collect();
                module = module.map(&mut Clip { ids: &ids, c });
            }
            module = module.after_update(Network::Discriminator);
        }
        if !g.is_empty() {
            module = self.generator.step(lr * self.lr_g, module, g);
            module = module.after_update(Network::Generator);
        }
        module
    }
    // ANCHOR_END: split

    fn step_multi(&mut self, _lr: f64, _module: M, _grads: MultiGradientsParams) -> M {
        panic!("GanOptimizer supports single-device training; multi-device GAN training is not implemented yet.")
    }

    fn to_record(&self) -> Self::Record {
        (self.generator.to_record(), self.discriminator.to_record())
    }

    fn load_record(self, (g, d): Self::Record) -> Self {
        Self {
            generator: self.generator.load_record(g),
            discriminator: self.discriminator.load_record(d),
            ..self
        }
    }
}
