//! What one training phase computes: the batch it receives, the loss it minimises, the
//! statistics it reports, and the [`Adversarial`] trait every GAN implements.

use std::collections::HashSet;
use std::fmt::Display;

use burn::module::{AutodiffModule, Module, ModuleMapper, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{backend::AutodiffBackend, backend::Backend, Int, Tensor, TensorData};
use burn::train::TrainOutput;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::Serialize;

use crate::loss::{gradient_penalty_from_norms, interpolates, r1_from_norms, LossFamily};

pub use super::capabilities::{
    ClassConditional, ClassifierHead, DiscriminatorFeatures, Encoder, HistoricalAverage,
    InputGradients, LatentCodes,
};
pub use super::objective::{Objective, Penalty};
pub use super::output::{GanOutput, GanStats};

/// The id of one of a model's networks (`generator`, `discriminator`, `encoder`, `g_ab`, ...).
/// Each network has its own optimizer, learning rate and learning-rate schedule, configured by
/// id in [`crate::train::TrainingConfig::optimizers`] and checkpointed by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkId(&'static str);

impl NetworkId {
    /// The generator (or decoder) of a GAN.
    pub const GENERATOR: Self = Self("generator");
    /// The discriminator (or critic) of a GAN.
    pub const DISCRIMINATOR: Self = Self("discriminator");
    /// The encoder of a model that maps images to latent codes (VAE/GAN, BiGAN).
    pub const ENCODER: Self = Self("encoder");

    /// A network id. Ids are lowercase words joined by `_` (they name config keys and files).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The id as written in `config.json` and checkpoints.
    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl Display for NetworkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for NetworkId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

// ANCHOR: phase
/// One phase of a training step: one loss, minimised by the optimizer of one network.
///
/// A model's phase table ([`Adversarial::phases`]) lists the phases of a step; the training
/// loop runs them in order, each as a backward pass and an optimizer step. A phase with
/// `fresh_data` draws the next real batch; the others reuse the last one with fresh noise. A
/// phase with `every: n` runs only on steps whose index is a multiple of `n` (lazy
/// regularisers: "R1 every 16 steps"). A phase with `batch: b` trains on the first `b` samples
/// of the loader's batch (a schedule that shrinks the batch as images grow, as progressive
/// growing does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Phase {
    /// The phase's name: what a model's [`Adversarial::phase_loss`] matches on, and what logs
    /// and errors show.
    pub name: &'static str,
    /// The network whose optimizer this phase steps; gradients of other networks' parameters
    /// are not computed.
    pub network: NetworkId,
    /// Whether the phase consumes a fresh batch of real data (else it reuses the last one).
    pub fresh_data: bool,
    /// The phase runs on steps `0, every, 2 * every, ...` (1: every step).
    pub every: usize,
    /// The samples of the real batch (and of the noise) this phase uses: the first `batch` of
    /// the loader's batch, or all of them when 0 or larger.
    pub batch: usize,
}
// ANCHOR_END: phase

impl Phase {
    /// A GAN's discriminator phase: updates [`NetworkId::DISCRIMINATOR`] on a fresh real batch.
    pub const DISCRIMINATOR: Self = Self::new("discriminator", NetworkId::DISCRIMINATOR).fresh();
    /// A GAN's generator phase: updates [`NetworkId::GENERATOR`], reusing the last real batch.
    pub const GENERATOR: Self = Self::new("generator", NetworkId::GENERATOR);

    /// A phase updating `network` on every step, reusing the last real batch.
    pub const fn new(name: &'static str, network: NetworkId) -> Self {
        Self {
            name,
            network,
            fresh_data: false,
            every: 1,
            batch: 0,
        }
    }

    /// This phase, drawing a fresh real batch.
    pub const fn fresh(mut self) -> Self {
        self.fresh_data = true;
        self
    }

    /// This phase, run only on every `n`th step.
    pub const fn every(mut self, n: usize) -> Self {
        self.every = n;
        self
    }

    /// This phase, on the first `n` samples of the loader's batch (0: all of them).
    pub const fn with_batch(mut self, n: usize) -> Self {
        self.batch = n;
        self
    }

    /// The network this phase updates.
    pub fn network(self) -> NetworkId {
        self.network
    }

    /// Whether this phase consumes a fresh batch of real data.
    pub fn takes_fresh_data(self) -> bool {
        self.fresh_data
    }

    /// Whether the phase runs at (0-based) step `step`.
    pub fn runs_at(self, step: usize) -> bool {
        self.every <= 1 || step % self.every == 0
    }

    /// The classic table: `d_steps` discriminator phases, then one generator phase.
    pub fn alternating(d_steps: usize) -> Vec<Phase> {
        let mut phases = vec![Phase::DISCRIMINATOR; d_steps];
        phases.push(Phase::GENERATOR);
        phases
    }
}

impl Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Serialize for Phase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// Where training stands, given to [`Adversarial::phases`] and carried by every batch: a
/// schedule (progressive growing's stage and fade-in, a warm-up) is a function of it, so a
/// resumed run computes exactly what the uninterrupted one did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StepInfo {
    /// The index of the current step (0-based; a step is one pass over the phase table).
    pub step: usize,
    /// The run's total number of steps.
    pub steps: usize,
    /// The configured discriminator phases per step (`k` of Goodfellow et al. 2014).
    pub d_steps: usize,
}

impl StepInfo {
    /// The fraction of training done before this step, in `[0, 1)`.
    pub fn progress(&self) -> f64 {
        self.step as f64 / self.steps.max(1) as f64
    }
}

/// A batch of images with optional labels: the second stream of a [`GanBatch`].
#[derive(Clone, Debug)]
pub struct ImageBatch<B: Backend> {
    /// Images, `[m, c, h, w]`.
    pub images: Tensor<B, 4>,
    /// Their labels, `[m]`, when the source has them.
    pub labels: Option<Tensor<B, 1, Int>>,
}

// ANCHOR: batch
/// The input of a training or validation phase.
#[derive(Clone, Debug)]
pub struct GanBatch<B: Backend> {
    /// Which phase to run.
    pub phase: Phase,
    /// Where training stands (the step index; 0 for validation).
    pub step: StepInfo,
    /// Real samples, `[n, c, h, w]`: the targets of an image-to-image model.
    pub real: Tensor<B, 4>,
    /// Class labels of the real samples, `[n]`, when the data has them.
    pub labels: Option<Tensor<B, 1, Int>>,
    /// The paired input of each real sample, `[n, c', h', w']` (pix2pix, super-resolution,
    /// restoration: the degraded or source image whose target is `real`), when the data is paired.
    pub input: Option<Tensor<B, 4>>,
    /// A second, independently drawn stream of images: a second unpaired domain (CycleGAN) or
    /// a labelled subset (the semi-supervised GAN); see [`crate::train::GanLoader::with_second`].
    pub second: Option<ImageBatch<B>>,
    /// Standard normal noise for the generator, `[n, latent_dim]`, drawn on the CPU from the run
    /// seed and the phase index so that a run is reproducible on any backend and after resume.
    pub z: Tensor<B, 2>,
    /// A seed for any other randomness of this phase (model-specific codes, fake labels).
    pub seed: u64,
}
// ANCHOR_END: batch

/// What a model generates from: noise, and optionally classes or an input image. Sampling,
/// the run folder's grids and `eval` build one and call [`Adversarial::sample`].
#[derive(Clone, Debug)]
pub struct Condition<B: Backend> {
    /// Noise, `[n, latent_dim]` (`latent_dim` may be 0 for a model without noise).
    pub z: Tensor<B, 2>,
    /// Classes of a class-conditional model, `[n]`; `None` cycles the classes (`i % classes`).
    pub labels: Option<Tensor<B, 1, Int>>,
    /// Input images of an image-to-image model, `[n, c, h, w]`.
    pub input: Option<Tensor<B, 4>>,
}

impl<B: Backend> Condition<B> {
    /// Noise alone.
    pub fn noise(z: Tensor<B, 2>) -> Self {
        Self {
            z,
            labels: None,
            input: None,
        }
    }

    /// Noise and (optionally) classes.
    pub fn with_labels(z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Self {
        Self {
            z,
            labels,
            input: None,
        }
    }

    /// The number of samples asked for.
    pub fn len(&self) -> usize {
        self.z.dims()[0]
    }

    /// Whether no sample is asked for.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A model that burn-gan's training loop can train: the contract every family implements.
///
/// A model declares its networks ([`networks`](Adversarial::networks), each owning a set of
/// parameters), its phase table for a given step ([`phases`](Adversarial::phases)), the loss of
/// each phase ([`phase_loss`](Adversarial::phase_loss)) and how it samples from a
/// [`Condition`]. The loop, optimizers (one per network), checkpoints and metrics are shared:
/// see [`crate::train`]. What only some families have (classes, latent codes, a classifier head,
/// an encoder, a critic's input gradients) is a capability trait, offered through an accessor
/// that returns `None` by default; nothing in this trait panics by default.
///
/// The trait is implemented for every backend, so the same code computes training losses (on an
/// autodiff backend) and validation losses (on its inner backend). Use
/// [`impl_train_steps!`](crate::impl_train_steps) to connect a model to burn-train.
// ANCHOR: adversarial
pub trait Adversarial<B: Backend>: Module<B> + Display {
    /// The model's networks, in the order their optimizers step when one phase updates several
    /// (never: a phase updates one). Every trainable parameter belongs to exactly one of them;
    /// [`crate::train::fit`] checks this before training.
    fn networks(&self) -> Vec<NetworkId> {
        vec![NetworkId::GENERATOR, NetworkId::DISCRIMINATOR]
    }

    /// The parameters a network owns; the optimizer of that network updates exactly these.
    fn network_params(&self, network: NetworkId) -> Vec<ParamId>;

    /// The phase table of step `step`: the phases run in order, those whose
    /// [`every`](Phase::every) divides the step index. The default is Goodfellow et al.'s
    /// `d_steps` discriminator phases and one generator phase.
    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        Phase::alternating(step.d_steps)
    }

    /// The multiplier of `network`'s learning rate at `step` (a schedule of rates per stage);
    /// the run's learning-rate decay multiplies it. The default is 1.
    fn learning_rate_scale(&self, _network: NetworkId, _step: &StepInfo) -> f64 {
        1.0
    }

    /// The loss `batch.phase` minimises and the statistics it reports. A GAN of one generator
    /// and one discriminator implements [`GanNetworks`] and returns [`gan_phase_loss`].
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>);

    /// The width of the noise input (0 for a model that takes none).
    fn latent_dim(&self) -> usize;

    /// Whether sampling needs an input image ([`Condition::input`]): image-to-image models.
    fn takes_input(&self) -> bool {
        false
    }

    /// Samples for sampling and evaluation: from the exponential moving average of the
    /// generator's weights when the model keeps one, else from the trained generator.
    ///
    /// # Shapes
    /// - `condition.z`: `[n, latent_dim]`
    /// - output: `[n, c, h, w]`
    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4>;

    /// Called by [`crate::train::GanOptimizer`] after every update of `network`: where a model
    /// keeps averages of its weights up to date (the generator's moving average,
    /// [`crate::train::ema`]; historical averages, [`crate::train::history`]).
    fn after_update(self, _network: NetworkId) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// The regularisers the training step adds (gradient penalties, historical averaging,
    /// weight clipping). The default has none.
    fn objective(&self) -> Objective {
        Objective::default()
    }

    /// The statistics of a validation batch: every phase of the first step's table once, on
    /// fixed data and noise, their statistics merged.
    fn validation(&self, batch: &GanBatch<B>) -> GanOutput<B> {
        validation_of(self, batch)
    }

    /// The classes of a class-conditional model (CGAN, ACGAN, InfoGAN's categorical code).
    fn classes(&self) -> Option<&dyn ClassConditional> {
        None
    }

    /// The continuous latent codes of an InfoGAN-style model.
    fn latent_codes(&self) -> Option<&dyn LatentCodes> {
        None
    }

    /// The classifier head of a model that is also a classifier (the semi-supervised GAN).
    fn classifier(&self) -> Option<&dyn ClassifierHead<B>> {
        None
    }

    /// The encoder of a model that maps images to latent codes (VAE/GAN).
    fn encoder(&self) -> Option<&dyn Encoder<B>> {
        None
    }

    /// The discriminator's features, for feature matching (Salimans et al. 2016).
    fn discriminator_features(&self) -> Option<&dyn DiscriminatorFeatures<B>> {
        None
    }

    /// The critic's input gradients, for gradient penalties (WGAN-GP, R1).
    fn input_gradients(&self) -> Option<&dyn InputGradients<B>>
    where
        B: AutodiffBackend,
    {
        None
    }

    /// Historical averages of the networks' weights (Salimans et al. 2016, section 3.3).
    fn history(&self) -> Option<&dyn HistoricalAverage<B>> {
        None
    }
}
// ANCHOR_END: adversarial

/// The default [`Adversarial::validation`]: every phase of the batch's step's table once, on the
/// batch's data and noise, their statistics merged. A model whose phases depend on where training
/// stands (progressive growing) calls it with the step it has reached.
pub fn validation_of<B: Backend, M: Adversarial<B> + ?Sized>(
    model: &M,
    batch: &GanBatch<B>,
) -> GanOutput<B> {
    let mut merged: Option<GanOutput<B>> = None;
    let mut seen = Vec::new();
    for phase in model.phases(&batch.step) {
        if seen.contains(&phase.name) {
            continue;
        }
        seen.push(phase.name);
        let batch = GanBatch {
            phase,
            ..batch.clone()
        };
        let (_, out) = model.phase_loss(&batch);
        merged = Some(match merged {
            None => out,
            Some(m) => m.merge(out),
        });
    }
    let mut out = merged.unwrap_or_else(|| GanOutput::new(None, batch.real.dims()[0]));
    out.phase = None;
    out.fake = None;
    out.real = None;
    out
}

// ANCHOR: gan_networks
/// The two networks of a GAN that maps noise to samples: what [`gan_phase_loss`] needs.
pub trait GanNetworks<B: Backend>: Adversarial<B> {
    /// Generates samples from noise with the trained generator. A class-conditional model
    /// gives sample `i` class `i % num_classes`.
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, c, h, w]`
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4>;

    /// The discriminator's logits. A class-conditional model scores sample `i` against class
    /// `i % num_classes`, the labels [`generate`](GanNetworks::generate) uses.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, 1]`
    fn discriminate(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
}
// ANCHOR_END: gan_networks

/// The GAN of Goodfellow et al. 2014 with the model's [`Objective`]: the phase loss of the
/// `discriminator` and `generator` phases of [`Phase::alternating`].
pub fn gan_phase_loss<B: Backend, M: GanNetworks<B>>(
    model: &M,
    batch: &GanBatch<B>,
) -> (Tensor<B, 1>, GanOutput<B>) {
    let objective = model.objective();
    let phase = batch.phase;
    let n = batch.real.dims()[0];
    let mut out = GanOutput::new(Some(phase), n);
    let report = |d: &Tensor<B, 2>| objective.loss.mean_output(d);
    if phase.network == NetworkId::DISCRIMINATOR {
        let fake = model.generate(batch.z.clone()).detach();
        let real_logits = model.discriminate(batch.real.clone());
        let fake_logits = model.discriminate(fake.clone());
        out.d_real = Some(report(&real_logits));
        out.d_fake = Some(report(&fake_logits));
        if objective.loss == LossFamily::Wasserstein {
            let estimate =
                real_logits.clone().detach().mean() - fake_logits.clone().detach().mean();
            out.extra.push(("w_distance", estimate));
        }
        let loss = objective
            .loss
            .discriminator(real_logits, fake_logits, objective.real_target);
        out.loss_d = Some(loss.clone().detach());
        out.fake = Some(fake);
        return (loss, out);
    }
    let features = objective
        .feature_matching
        .then(|| model.discriminator_features())
        .flatten();
    let loss = match features {
        Some(f) => {
            let real = f.features(batch.real.clone()).detach();
            let fake = f.features(model.generate(batch.z.clone()));
            crate::loss::feature_matching(real, fake)
        }
        None => {
            let fake_logits = model.discriminate(model.generate(batch.z.clone()));
            objective
                .loss
                .generator(fake_logits, objective.generator_loss)
        }
    };
    out.loss_g = Some(loss.clone().detach());
    (loss, out)
}

/// What a model's [`Objective`] asks of it that its capabilities do not offer, or a network
/// layout the optimizer cannot serve (a parameter owned by no network, or by two), as one line.
pub fn check_model<B: AutodiffBackend, M: Adversarial<B>>(model: &M) -> Result<(), String> {
    let objective = model.objective();
    if objective.penalty.is_some() && model.input_gradients().is_none() {
        return Err(format!(
            "{model} does not provide its critic's input gradients, so it cannot train with a gradient penalty"
        ));
    }
    if objective.feature_matching && model.discriminator_features().is_none() {
        return Err(format!(
            "{model} does not expose discriminator features, so it cannot train with feature matching"
        ));
    }
    if objective.historical_averaging.is_some() && model.history().is_none() {
        return Err(format!(
            "{model} keeps no historical average, so it cannot train with historical averaging"
        ));
    }
    let networks = model.networks();
    let mut owner: std::collections::HashMap<ParamId, NetworkId> = Default::default();
    for &network in &networks {
        for id in model.network_params(network) {
            if let Some(other) = owner.insert(id, network) {
                return Err(format!(
                    "{model}: parameter {id} belongs to both the `{other}` and the `{network}` network"
                ));
            }
        }
    }
    struct Unowned<'a> {
        owner: &'a std::collections::HashMap<ParamId, NetworkId>,
        found: Option<Vec<usize>>,
    }
    impl<B: Backend> burn::module::ModuleVisitor<B> for Unowned<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            // Running statistics and averages are not trainable: no optimizer steps them.
            if self.found.is_none()
                && param.is_require_grad()
                && !self.owner.contains_key(&param.id)
            {
                self.found = Some(param.val().dims().to_vec());
            }
        }
    }
    let mut unowned = Unowned {
        owner: &owner,
        found: None,
    };
    model.visit(&mut unowned);
    if let Some(shape) = unowned.found {
        return Err(format!(
            "{model}: a trainable parameter of shape {shape:?} belongs to none of the networks {}; list it in network_params",
            networks.iter().map(|n| n.name()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// The parameters of `network` for a GAN made of one generator and one discriminator module: the
/// usual body of [`Adversarial::network_params`].
pub fn network_params_of<B: Backend>(
    generator: &impl Module<B>,
    discriminator: &impl Module<B>,
    network: NetworkId,
) -> Vec<ParamId> {
    match network {
        NetworkId::GENERATOR => burn::module::list_param_ids(generator),
        NetworkId::DISCRIMINATOR => burn::module::list_param_ids(discriminator),
        _ => Vec::new(),
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
    let params = model.network_params(batch.phase.network);
    // A clone of a lazily initialised parameter initialises itself independently (burn 0.21):
    // materialise every parameter first so that the clone shares the model's values.
    crate::nn::materialize(model);
    let phase_model = freeze_others(model.clone(), &params);
    let (mut loss, mut output) = phase_model.phase_loss(&batch);
    let objective = phase_model.objective();
    // The critic's regulariser belongs to the phases that update the discriminator.
    if batch.phase.network == NetworkId::DISCRIMINATOR {
        if let (Some(penalty), Some(critic)) = (objective.penalty, phase_model.input_gradients()) {
            loss = loss + add_penalty(critic, penalty, &batch, &mut output);
        }
    }
    if let (Some(lambda), Some(history)) = (objective.historical_averaging, phase_model.history()) {
        if let Some(penalty) = history.historical_penalty(batch.phase.network) {
            output
                .extra
                .push(("history_penalty", penalty.clone().detach()));
            loss = loss + penalty.mul_scalar(lambda);
        }
    }
    output.fake = None;
    output.real = None;
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
fn add_penalty<B: AutodiffBackend>(
    model: &dyn InputGradients<B>,
    penalty: Penalty,
    batch: &GanBatch<B>,
    output: &mut GanOutput<B>,
) -> Tensor<B, 1> {
    // The real batch the phase scored: its own (a progressive critic sees the reals at the
    // active resolution), else the batch's.
    let real = output.real.clone().unwrap_or_else(|| batch.real.clone());
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
                model.critic_input_gradient_norms(interpolates(real.clone(), fake, e), &batch.step);
            (gradient_penalty_from_norms(norms.clone(), lambda), norms)
        }
        Penalty::R1 { gamma } => {
            let norms = model.critic_input_gradient_norms(real.clone(), &batch.step);
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
