//! One optimizer per network.
//!
//! burn-train 0.21's learner holds a single optimizer for its single model, and burn-optim 0.21
//! has no parameter groups. [`GanOptimizer`] is that single optimizer: it owns one optimizer per
//! [`NetworkId`] the model declares ([`Adversarial::networks`]), each with its own algorithm,
//! hyper-parameters and learning rate, splits the gradients it receives by parameter owner (as
//! declared by [`Adversarial::network_params`]), and steps each optimizer on its share. Its
//! record is the list of `(network id, optimizer state)` pairs, so every optimizer's state (Adam
//! moments, momentum buffers) is checkpointed and resumed with the model, by id.
//!
//! The learner's learning rate is used as a multiplier of each network's own rate; the training
//! loop runs it at 1.0.

use std::collections::{BTreeMap, HashSet};

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{
    adaptor::OptimizerAdaptor, momentum::MomentumConfig, Adam, AdamConfig, GradientsParams,
    MultiGradientsParams, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use burn::tensor::{backend::AutodiffBackend, Tensor};
use serde::{Deserialize, Serialize};

use super::step::{Adversarial, NetworkId};

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

/// The optimizers of a GAN's two networks, keyed by id as in
/// [`crate::train::TrainingConfig::optimizers`].
pub fn gan_optimizers(
    generator: OptimizerConfig,
    discriminator: OptimizerConfig,
) -> BTreeMap<String, OptimizerConfig> {
    [
        (NetworkId::GENERATOR, generator),
        (NetworkId::DISCRIMINATOR, discriminator),
    ]
    .into_iter()
    .map(|(id, o)| (id.name().to_string(), o))
    .collect()
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
    networks: Vec<NetworkOptimizer<M, B>>,
}

#[derive(Clone)]
struct NetworkOptimizer<M: AutodiffModule<B>, B: AutodiffBackend> {
    id: NetworkId,
    optimizer: AnyOptimizer<M, B>,
    lr: f64,
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> GanOptimizer<M, B> {
    /// One optimizer for each of `networks`, configured by `configs[id]`. A network without a
    /// configuration, or a configuration naming no network, is an error naming both lists.
    pub fn new(
        networks: &[NetworkId],
        configs: &BTreeMap<String, OptimizerConfig>,
    ) -> Result<Self, String> {
        let names = || {
            networks
                .iter()
                .map(|n| n.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(unknown) = configs
            .keys()
            .find(|k| !networks.iter().any(|n| n.name() == k.as_str()))
        {
            return Err(format!(
                "an optimizer is configured for `{unknown}`, which is not a network of this model (its networks: {})",
                names()
            ));
        }
        let networks = networks
            .iter()
            .map(|&id| {
                let config = configs.get(id.name()).ok_or_else(|| {
                    format!(
                        "no optimizer is configured for the `{id}` network (the model's networks: {})",
                        names()
                    )
                })?;
                Ok(NetworkOptimizer {
                    id,
                    optimizer: config.init(),
                    lr: config.lr(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { networks })
    }

    /// Optimizers for a GAN's `generator` and `discriminator`.
    pub fn for_gan(generator: &OptimizerConfig, discriminator: &OptimizerConfig) -> Self {
        let configs = gan_optimizers(generator.clone(), discriminator.clone());
        Self::new(&[NetworkId::GENERATOR, NetworkId::DISCRIMINATOR], &configs)
            .expect("one optimizer for each of the two networks")
    }

    /// The networks, in stepping order.
    pub fn networks(&self) -> Vec<NetworkId> {
        self.networks.iter().map(|n| n.id).collect()
    }

    /// The first network whose state is not among the network ids of a checkpointed record
    /// (checked before resuming, since burn-train's loader cannot return an error).
    pub fn missing_state(&self, record_ids: &[&str]) -> Option<NetworkId> {
        self.networks
            .iter()
            .map(|n| n.id)
            .find(|id| !record_ids.contains(&id.name()))
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

/// Moves the gradients of the parameters in `ids` out of `source`.
struct TakeGrads<'a> {
    source: &'a mut GradientsParams,
    ids: &'a HashSet<ParamId>,
    taken: GradientsParams,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for TakeGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if !self.ids.contains(&param.id) {
            return;
        }
        if let Some(grad) = self.source.remove::<B::InnerBackend, D>(param.id) {
            self.taken.register::<B::InnerBackend, D>(param.id, grad);
        }
    }
}

impl<M, B> Optimizer<M, B> for GanOptimizer<M, B>
where
    M: AutodiffModule<B> + Adversarial<B>,
    B: AutodiffBackend,
{
    type Record = Vec<(String, AnyRecord<M, B>)>;

    // ANCHOR: split
    fn step(&mut self, lr: f64, module: M, mut grads: GradientsParams) -> M {
        let mut module = module;
        for network in &mut self.networks {
            if grads.is_empty() {
                break;
            }
            // Ids are read from the module at every step: loading a checkpoint replaces them.
            let ids: HashSet<ParamId> = module.network_params(network.id).into_iter().collect();
            let mut take = TakeGrads {
                source: &mut grads,
                ids: &ids,
                taken: GradientsParams::new(),
            };
            module.visit(&mut take);
            let share = take.taken;
            if share.is_empty() {
                continue;
            }
            module = network.optimizer.step(lr * network.lr, module, share);
            if network.id == NetworkId::DISCRIMINATOR {
                if let Some(c) = module.objective().weight_clip {
                    module = module.map(&mut Clip { ids: &ids, c });
                }
            }
            module = module.after_update(network.id);
        }
        // Gradients of parameters no network owns cannot arrive: `fit` refuses such a model
        // before training (`check_model`), and a phase keeps only its network's gradients.
        module
    }
    // ANCHOR_END: split

    fn step_multi(&mut self, _lr: f64, _module: M, _grads: MultiGradientsParams) -> M {
        panic!("GanOptimizer supports single-device training; multi-device GAN training is not implemented yet.")
    }

    fn to_record(&self) -> Self::Record {
        self.networks
            .iter()
            .map(|n| (n.id.name().to_string(), n.optimizer.to_record()))
            .collect()
    }

    /// Loads each network's state by id. `fit` checks a checkpoint's ids before loading it
    /// ([`GanOptimizer::missing_state`]), since burn-train's loader cannot return an error.
    fn load_record(self, mut record: Self::Record) -> Self {
        let networks = self
            .networks
            .into_iter()
            .map(|n| {
                let state = record
                    .iter()
                    .position(|(id, _)| id == n.id.name())
                    .map(|i| record.swap_remove(i).1);
                match state {
                    Some(state) => NetworkOptimizer {
                        optimizer: n.optimizer.load_record(state),
                        ..n
                    },
                    None => panic!(
                        "The optimizer checkpoint has no state for the `{}` network.",
                        n.id
                    ),
                }
            })
            .collect();
        Self { networks }
    }
}
