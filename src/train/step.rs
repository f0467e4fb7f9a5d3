//! What one training phase computes: the batch it receives, the loss it minimises, the
//! statistics it reports, and the [`Adversarial`] trait every GAN implements.

use std::fmt::Display;

use std::collections::HashSet;

use burn::module::{AutodiffModule, Module, ModuleMapper, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{backend::AutodiffBackend, backend::Backend, Int, Tensor, TensorData};
use burn::train::{ItemLazy, TrainOutput};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::loss::{
    gradient_penalty_from_norms, interpolates, r1_from_norms, GeneratorLoss, LossFamily,
};

/// One phase of a training step. A step is a sequence of phases (by default `k` discriminator
/// phases, then one generator phase); each phase computes one loss and updates one network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Phase {
    /// Update the discriminator (or critic) on a fresh batch of real data.
    Discriminator,
    /// Update the generator.
    Generator,
}

/// The networks whose parameters a phase updates; each has its own optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// The generator.
    Generator,
    /// The discriminator.
    Discriminator,
}

impl Phase {
    /// The network this phase updates.
    pub fn network(self) -> Network {
        match self {
            Phase::Discriminator => Network::Discriminator,
            Phase::Generator => Network::Generator,
        }
    }

    /// Whether this phase consumes a fresh batch of real data (else it reuses the last one).
    pub fn takes_fresh_data(self) -> bool {
        matches!(self, Phase::Discriminator)
    }
}

/// The input of a training or validation phase.
#[derive(Clone, Debug)]
pub struct GanBatch<B: Backend> {
    /// Which phase to run.
    pub phase: Phase,
    /// Real samples, `[n, c, h, w]`.
    pub real: Tensor<B, 4>,
    /// Class labels of the real samples, `[n]`, when the data has them.
    pub labels: Option<Tensor<B, 1, Int>>,
    /// Standard normal noise for the generator, `[n, latent_dim]`, drawn on the CPU from the run
    /// seed and the phase index so that a run is reproducible on any backend and after resume.
    pub z: Tensor<B, 2>,
    /// A seed for any other randomness of this phase (model-specific codes, fake labels).
    pub seed: u64,
    /// Semi-supervised training: a batch drawn from the labelled subset (images `[m, c, h, w]`
    /// and labels `[m]`), while `real` serves as unlabelled data (see
    /// [`crate::train::TrainingConfig::labelled`]).
    pub labelled: Option<(Tensor<B, 4>, Tensor<B, 1, Int>)>,
}

/// What a phase reports. Tensors are detached scalars (`[1]`), read lazily by the dashboard.
#[derive(Clone, Debug)]
pub struct GanOutput<B: Backend> {
    /// The phase that produced this output (`None` for a validation pass).
    pub phase: Option<Phase>,
    /// The discriminator's loss.
    pub loss_d: Option<Tensor<B, 1>>,
    /// The generator's loss.
    pub loss_g: Option<Tensor<B, 1>>,
    /// Mean `D(x)` on real samples, as a probability.
    pub d_real: Option<Tensor<B, 1>>,
    /// Mean `D(G(z))` on generated samples, as a probability.
    pub d_fake: Option<Tensor<B, 1>>,
    /// Further named scalars a model family reports (penalties, auxiliary losses).
    pub extra: Vec<(&'static str, Tensor<B, 1>)>,
    /// The number of samples in the batch.
    pub batch_size: usize,
    /// The (detached) generated batch of a discriminator phase, for regularisers the training
    /// step adds (the gradient penalty's interpolates). Not reported.
    pub fake: Option<Tensor<B, 4>>,
}

impl<B: Backend> GanOutput<B> {
    /// An output with no statistics yet.
    pub fn new(phase: Option<Phase>, batch_size: usize) -> Self {
        Self {
            phase,
            loss_d: None,
            loss_g: None,
            d_real: None,
            d_fake: None,
            extra: Vec::new(),
            batch_size,
            fake: None,
        }
    }

    /// Reads the scalars (a device synchronisation).
    pub fn stats(&self) -> GanStats {
        let read = |t: &Option<Tensor<B, 1>>| t.as_ref().map(|t| scalar(t));
        GanStats {
            phase: self.phase,
            loss_d: read(&self.loss_d),
            loss_g: read(&self.loss_g),
            d_real: read(&self.d_real),
            d_fake: read(&self.d_fake),
            extra: self.extra.iter().map(|(k, t)| (*k, scalar(t))).collect(),
            batch_size: self.batch_size,
        }
    }
}

fn scalar<B: Backend>(t: &Tensor<B, 1>) -> f64 {
    t.clone()
        .into_data()
        .iter::<f64>()
        .next()
        .unwrap_or(f64::NAN)
}

/// The scalars of a [`GanOutput`], read back from the device.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GanStats {
    /// The phase (`None` for validation).
    pub phase: Option<Phase>,
    /// The discriminator's loss.
    pub loss_d: Option<f64>,
    /// The generator's loss.
    pub loss_g: Option<f64>,
    /// Mean `D(x)`.
    pub d_real: Option<f64>,
    /// Mean `D(G(z))`.
    pub d_fake: Option<f64>,
    /// Further named scalars.
    pub extra: Vec<(&'static str, f64)>,
    /// The batch size.
    pub batch_size: usize,
}

impl GanStats {
    /// All named values, the fixed ones first.
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        for (name, v) in [
            ("loss_d", self.loss_d),
            ("loss_g", self.loss_g),
            ("d_real", self.d_real),
            ("d_fake", self.d_fake),
        ] {
            if let Some(v) = v {
                out.push((name, v));
            }
        }
        out.extend(self.extra.iter().copied());
        out
    }

    /// The first value that is NaN or infinite, if any.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        self.values().into_iter().find(|(_, v)| !v.is_finite())
    }
}

impl<B: Backend> ItemLazy for GanOutput<B> {
    type ItemSync = GanStats;

    fn sync(self) -> GanStats {
        self.stats()
    }
}

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
    /// ([`Adversarial::discriminator_features`]) instead of its adversarial loss.
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

/// A GAN that burn-gan's training loop can train.
///
/// A model family implements the networks' forward passes, says which parameters belong to
/// which network, and (optionally) overrides [`phase_loss`](Adversarial::phase_loss) and
/// [`phases`](Adversarial::phases) to define its own losses and schedule. The loop, optimizers,
/// checkpoints and metrics are shared: see [`crate::train`].
///
/// The trait is implemented for every backend, so the same code computes training losses (on an
/// autodiff backend) and validation losses (on its inner backend). Use
/// [`impl_train_steps!`](crate::impl_train_steps) to connect a model to burn-train.
// ANCHOR: adversarial
pub trait Adversarial<B: Backend>: Module<B> + Display {
    /// The width of the generator's noise input.
    fn latent_dim(&self) -> usize;

    /// Generates samples from noise.
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, c, h, w]`
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4>;

    /// The discriminator's logits. A class-conditional model scores sample `i` against class
    /// `i % num_classes`, the labels [`generate`](Adversarial::generate) uses.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, 1]`
    fn discriminate(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;

    /// The discriminator's intermediate features that feature matching compares (the input of
    /// its last layer). The default says the model has none to offer.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, features]`
    fn discriminator_features(&self, _x: Tensor<B, 4>) -> Tensor<B, 2> {
        panic!("{self} does not expose discriminator features, so it cannot train with feature matching")
    }

    /// The number of continuous latent codes at the end of `z` (InfoGAN; 0 otherwise), which
    /// `burn-gan interpolate --code` sweeps.
    fn continuous_codes(&self) -> usize {
        0
    }

    /// The number of classes the generator is conditioned on; 0 for an unconditional model.
    /// A conditional model's [`generate`](Adversarial::generate) gives sample `i` class
    /// `i % num_classes`, so a grid with `num_classes` columns shows one class per column.
    fn num_classes(&self) -> usize {
        0
    }

    /// Whether the classes are the data's labels (CGAN, ACGAN), or a categorical code the model
    /// learned to use without labels (InfoGAN), whose values match the data's classes only up
    /// to a permutation.
    fn supervised_classes(&self) -> bool {
        true
    }

    /// Generates samples of the given classes (conditional models; see
    /// [`num_classes`](Adversarial::num_classes)).
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - `labels`: `[n]`, each below `num_classes`
    /// - output: `[n, c, h, w]`
    ///
    /// # Panics
    /// For an unconditional model (the default).
    fn generate_class(&self, _z: Tensor<B, 2>, _labels: Tensor<B, 1, Int>) -> Tensor<B, 4> {
        panic!("{self} is not a class-conditional model")
    }

    /// The generator used for sampling and evaluation: the exponential moving average of the
    /// generator's weights when the model keeps one, else the trained generator. `labels` as in
    /// [`generate_class`](Adversarial::generate_class) (conditional models; `None` cycles the
    /// classes).
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, c, h, w]`
    fn sample(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 4> {
        match labels {
            Some(labels) => self.generate_class(z, labels),
            None => self.generate(z),
        }
    }

    /// Called by [`crate::train::GanOptimizer`] after every update of `network`: where a model
    /// keeps averages of its weights up to date (the generator's moving average,
    /// [`crate::train::ema`]; historical averages, [`crate::train::history`]).
    fn after_update(self, _network: Network) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// Historical averaging's `||θ - θ̄||²` for `network` (see [`crate::train::history`]);
    /// `None` when the model keeps no historical average.
    fn historical_penalty(&self, _network: Network) -> Option<Tensor<B, 1>> {
        None
    }

    /// The parameters a network owns; the optimizer of that network updates exactly these.
    fn network_params(&self, network: Network) -> Vec<ParamId>;

    /// The objective of the default [`phase_loss`](Adversarial::phase_loss).
    fn objective(&self) -> Objective {
        Objective::default()
    }

    /// The phases of one training step given `d_steps` discriminator updates per generator
    /// update. Families with more phases (an encoder, a lazy regularizer) override this.
    fn phases(&self, d_steps: usize) -> Vec<Phase> {
        let mut phases = vec![Phase::Discriminator; d_steps];
        phases.push(Phase::Generator);
        phases
    }

    /// The loss a phase minimises and the statistics it reports. The default is the GAN of
    /// Goodfellow et al. 2014 with [`objective`](Adversarial::objective)'s settings.
    fn phase_loss(&self, phase: Phase, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let objective = self.objective();
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(phase), n);
        let report = |d: &Tensor<B, 2>| objective.loss.mean_output(d);
        match phase {
            Phase::Discriminator => {
                let fake = self.generate(batch.z.clone()).detach();
                let real_logits = self.discriminate(batch.real.clone());
                let fake_logits = self.discriminate(fake.clone());
                out.d_real = Some(report(&real_logits));
                out.d_fake = Some(report(&fake_logits));
                if objective.loss == LossFamily::Wasserstein {
                    let estimate =
                        real_logits.clone().detach().mean() - fake_logits.clone().detach().mean();
                    out.extra.push(("w_distance", estimate));
                }
                let loss =
                    objective
                        .loss
                        .discriminator(real_logits, fake_logits, objective.real_target);
                out.loss_d = Some(loss.clone().detach());
                out.fake = Some(fake);
                (loss, out)
            }
            Phase::Generator if objective.feature_matching => {
                let real = self.discriminator_features(batch.real.clone()).detach();
                let fake = self.discriminator_features(self.generate(batch.z.clone()));
                let loss = crate::loss::feature_matching(real, fake);
                out.loss_g = Some(loss.clone().detach());
                (loss, out)
            }
            Phase::Generator => {
                let fake_logits = self.discriminate(self.generate(batch.z.clone()));
                let loss = objective
                    .loss
                    .generator(fake_logits, objective.generator_loss);
                out.loss_g = Some(loss.clone().detach());
                (loss, out)
            }
        }
    }

    /// The per-sample norm of the discriminator's gradient with respect to its input, tracked
    /// with respect to its parameters (a gradient of a gradient): what [`Penalty`] needs. A
    /// family implements it with [`crate::loss::input_gradient_norms`]; the default says the
    /// model has no such support.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n]`
    fn critic_input_gradient_norms(&self, _x: Tensor<B, 4>) -> Tensor<B, 1>
    where
        B: AutodiffBackend,
    {
        panic!("{self} does not implement critic_input_gradient_norms, so it cannot train with a gradient penalty")
    }

    /// Class logits of a model that is also a classifier (the semi-supervised GAN), for
    /// measuring its accuracy on held-out data; `None` for the others.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, classes]`
    fn classify(&self, _x: Tensor<B, 4>) -> Option<Tensor<B, 2>> {
        None
    }

    /// The statistics of a validation batch: both losses on fixed data and noise.
    fn validation(&self, batch: &GanBatch<B>) -> GanOutput<B> {
        let (_, d) = self.phase_loss(Phase::Discriminator, batch);
        let (_, g) = self.phase_loss(Phase::Generator, batch);
        GanOutput {
            phase: None,
            loss_g: g.loss_g,
            ..d
        }
    }
}
// ANCHOR_END: adversarial

/// The parameters of `network` for a GAN made of one generator and one discriminator module: the
/// usual body of [`Adversarial::network_params`].
pub fn network_params_of<B: Backend>(
    generator: &impl Module<B>,
    discriminator: &impl Module<B>,
    network: Network,
) -> Vec<ParamId> {
    match network {
        Network::Generator => burn::module::list_param_ids(generator),
        Network::Discriminator => burn::module::list_param_ids(discriminator),
    }
}

/// The training step every [`Adversarial`] model shares: compute the phase's loss,
/// backpropagate, and keep only the gradients of the network the phase updates.
///
/// The parameters of the other networks are frozen for the phase (untracked copies; the model
/// itself is unchanged), so backpropagation computes gradients with respect to their inputs
/// (the generator's gradient flows through the discriminator) but never the gradients of their
/// weights, which the phase would throw away: in the generator phase of `dcgan28` that skips the
/// weight gradients of every discriminator layer.
// ANCHOR: train_step
pub fn train_step<B, M>(model: &M, batch: GanBatch<B>) -> TrainOutput<GanOutput<B>>
where
    B: AutodiffBackend,
    M: Adversarial<B> + AutodiffModule<B>,
{
    let params = model.network_params(batch.phase.network());
    // A clone of a lazily initialised parameter initialises itself independently (burn 0.21):
    // materialise every parameter first so that the clone shares the model's values.
    crate::nn::materialize(model);
    let phase_model = freeze_others(model.clone(), &params);
    let (mut loss, mut output) = phase_model.phase_loss(batch.phase, &batch);
    if batch.phase == Phase::Discriminator {
        if let Some(penalty) = phase_model.objective().penalty {
            let penalty_loss = add_penalty(&phase_model, penalty, &batch, &mut output);
            loss = loss + penalty_loss;
        }
    }
    if let Some(lambda) = phase_model.objective().historical_averaging {
        if let Some(penalty) = phase_model.historical_penalty(batch.phase.network()) {
            output
                .extra
                .push(("history_penalty", penalty.clone().detach()));
            loss = loss + penalty.mul_scalar(lambda);
        }
    }
    output.fake = None;
    let mut grads = loss.backward();
    // Looked up on `phase_model`: its tensors are the ones the graph tracked.
    let grads = GradientsParams::from_params(&mut grads, &phase_model, &params);
    TrainOutput {
        grads,
        item: output,
    }
}
// ANCHOR_END: train_step

/// The penalty of a discriminator phase; logs `penalty` and the mean input-gradient norm
/// `grad_norm`.
fn add_penalty<B, M>(
    model: &M,
    penalty: Penalty,
    batch: &GanBatch<B>,
    output: &mut GanOutput<B>,
) -> Tensor<B, 1>
where
    B: AutodiffBackend,
    M: Adversarial<B>,
{
    let (loss, norms) = match penalty {
        Penalty::Gradient { lambda } => {
            let fake = output.fake.clone().expect(
                "a discriminator phase with a gradient penalty reports its generated batch",
            );
            let n = fake.dims()[0];
            // The interpolation weights come from the phase seed on the CPU: reproducible on
            // every backend and after resume.
            let mut rng = StdRng::seed_from_u64(batch.seed ^ 0x6770_656e_616c_7479);
            let e: Vec<f32> = (0..n).map(|_| rng.random::<f32>()).collect();
            let e = Tensor::from_data(TensorData::new(e, [n]), &fake.device());
            let norms =
                model.critic_input_gradient_norms(interpolates(batch.real.clone(), fake, e));
            (gradient_penalty_from_norms(norms.clone(), lambda), norms)
        }
        Penalty::R1 { gamma } => {
            let norms = model.critic_input_gradient_norms(batch.real.clone());
            (r1_from_norms(norms.clone(), gamma), norms)
        }
    };
    output.extra.push(("penalty", loss.clone().detach()));
    output.extra.push(("grad_norm", norms.detach().mean()));
    loss
}

/// `module` with every float parameter outside `keep` untracked (no gradient is computed for it).
/// Batch-norm running statistics stay shared with `module`.
fn freeze_others<B: AutodiffBackend, M: Module<B>>(module: M, keep: &[ParamId]) -> M {
    struct Freeze<'a>(HashSet<&'a ParamId>);
    impl<B: AutodiffBackend> ModuleMapper<B> for Freeze<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            if self.0.contains(&param.id) {
                return param;
            }
            let (id, tensor, mapper) = param.consume();
            Param::from_mapped_value(id, tensor.set_require_grad(false), mapper)
        }
    }
    module.map(&mut Freeze(keep.iter().collect()))
}

/// Implements burn-train's `TrainStep` (for the autodiff backend) and `InferenceStep` (for its
/// inner backend) for a model type `$model<B>` that implements [`Adversarial`], by delegating
/// to [`train_step`] and [`Adversarial::validation`]. Rust's orphan rule forbids a blanket
/// implementation, so each model invokes this once, next to its definition.
#[macro_export]
macro_rules! impl_train_steps {
    ($model:ident) => {
        impl<B: burn::tensor::backend::AutodiffBackend> burn::train::TrainStep for $model<B> {
            type Input = $crate::train::GanBatch<B>;
            type Output = $crate::train::GanOutput<B>;

            fn step(
                &self,
                batch: $crate::train::GanBatch<B>,
            ) -> burn::train::TrainOutput<$crate::train::GanOutput<B>> {
                $crate::train::train_step(self, batch)
            }
        }

        impl<B: burn::tensor::backend::Backend> burn::train::InferenceStep for $model<B> {
            type Input = $crate::train::GanBatch<B>;
            type Output = $crate::train::GanOutput<B>;

            fn step(&self, batch: $crate::train::GanBatch<B>) -> $crate::train::GanOutput<B> {
                $crate::train::Adversarial::validation(self, &batch)
            }
        }
    };
}
