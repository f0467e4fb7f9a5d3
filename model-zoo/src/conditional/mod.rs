//! Class-conditional GANs on DCGAN networks: CGAN and ACGAN, and InfoGAN.
//!
//! - **CGAN**: Mirza and Osindero 2014, "Conditional Generative Adversarial Nets",
//!   arXiv:1411.1784. The label conditions both networks. In the generator a learned class
//!   embedding joins `z`; in the discriminator the label is passed through a layer (a learned
//!   table of `label_maps` maps per class, the same as a linear layer on the one-hot label),
//!   reshaped into feature maps and concatenated with the first layer's maps: the
//!   class-conditional DCGAN recipe of the lecture notes (Kim, "GANs", CCGAN slide).
//! - **ACGAN**: Odena, Olah and Shlens 2017, "Conditional Image Synthesis with Auxiliary
//!   Classifier GANs", arXiv:1610.09585. The generator is conditioned as above; the
//!   discriminator sees only the image and predicts both real/fake and the class. The
//!   discriminator minimises the adversarial loss plus the class cross-entropy, the generator its
//!   adversarial loss plus the class cross-entropy of its samples. Deliberately different: the
//!   discriminator's class loss is on real images only unless `fake_class_loss` is set (the
//!   paper's `L_C` includes generated images; measured on MNIST, that lets the two networks agree
//!   on classes the domain classifier cannot see, see [`ConditionalConfig::fake_class_loss`]).
//! - **InfoGAN**: Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by
//!   Information Maximizing Generative Adversarial Nets", arXiv:1606.03657. No labels: the
//!   generator gets a categorical code `c ~ Cat(K)` (in place of the class) and continuous codes
//!   `c' ~ U(-1, 1)` (the last entries of its `z`), and a head `Q` sharing the discriminator's
//!   body predicts them from the generated image. Both networks minimise the variational lower
//!   bound of the mutual information `I(c; G(z, c))` as a loss, `L_I = CE(Q_cat, c) +
//!   0.5 ||Q_cont - c'||²` (a categorical and a unit-variance Gaussian `Q`), weighted by lambda,
//!   on top of their adversarial losses (section 5). Deliberately simpler: `Q`'s heads are
//!   linear on the shared features (the paper adds a 128-unit hidden layer).
//!
//! Options: BigGAN's class-conditional batch norm in the generator (gain and bias projected from
//! the class embedding, [`burn_gan::nn::ClassBatchNorm`]), spectral normalisation of the
//! discriminator, any adversarial loss family, and an exponential moving average of the
//! generator for sampling ([`burn_gan::train::ema`]).
//!
//! Generated samples use the classes of the real batch they are compared with, so both sides of
//! the discriminator see the data's class frequencies. Deliberately different from DCGAN: the
//! generator's projection is normalised per channel after the reshape (batch norm over
//! `[n, C, s, s]`), so that class-conditional batch norm has one gain per channel.

use burn::module::{Module, ParamId};
use burn::prelude::*;
use burn_gan::loss::{GeneratorLoss, LossFamily};
use burn_gan::train::ema::Average;
use burn_gan::train::{
    network_params_of, Adversarial, ClassConditional, Condition, GanBatch, GanNetworks, GanOutput,
    LatentCodes, NetworkId, Objective,
};
use serde::{Deserialize, Serialize};

mod acgan;
mod cgan;
mod family;
mod infogan;
mod networks;
#[cfg(test)]
mod tests;

pub use family::ConditionalFamily;
pub use networks::{Discriminator, Generator, Outputs};

/// How the label enters the networks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conditioning {
    /// CGAN: the discriminator gets the label as feature maps.
    #[default]
    Cgan,
    /// ACGAN: the discriminator predicts the label.
    Acgan,
    /// InfoGAN: no labels; the discriminator's Q head recovers latent codes.
    Infogan,
}

/// Configuration of a class-conditional DCGAN.
#[derive(Config, Debug, PartialEq)]
pub struct ConditionalConfig {
    /// CGAN, ACGAN or InfoGAN.
    pub method: Conditioning,
    /// The number of classes (InfoGAN: values of the categorical code).
    pub classes: usize,
    /// Image channels (1 gray, 3 RGB).
    pub channels: usize,
    /// Image side in pixels (28, 32, 64, or any `s * 2^k` with `3 <= s <= 7`).
    pub image_size: usize,
    /// Noise dimension (InfoGAN: the incompressible noise, without the codes).
    #[config(default = 100)]
    pub latent_dim: usize,
    /// InfoGAN: continuous codes `U(-1, 1)`, the last entries of the generator's `z`.
    #[config(default = 0)]
    pub continuous_codes: usize,
    /// ACGAN: the discriminator's class loss also on generated images (the paper's `L_C`). Off
    /// by default: measured on MNIST, the discriminator then learns to read the class from
    /// generator-specific cues (it labels 100% of generated images as requested while the domain
    /// classifier recognises chance level), so its classifier trains on real images only.
    #[config(default = false)]
    pub fake_class_loss: bool,
    /// InfoGAN: weight of the continuous codes' term of the information loss.
    #[config(default = 1.0)]
    pub continuous_loss_weight: f64,
    /// Channels of the generator's last hidden layer and the discriminator's first.
    #[config(default = 64)]
    pub base_channels: usize,
    /// Width of the generator's learned class embedding.
    #[config(default = 50)]
    pub embedding_dim: usize,
    /// BigGAN's class-conditional batch norm in the generator.
    #[config(default = false)]
    pub class_batch_norm: bool,
    /// CGAN: label feature maps concatenated with the discriminator's first layer's maps.
    #[config(default = 1)]
    pub label_maps: usize,
    /// CGAN: a projection discriminator term (Miyato and Koyama 2018) added to the real/fake
    /// logit: the inner product of a learned class embedding with the discriminator's features.
    #[config(default = false)]
    pub projection: bool,
    /// ACGAN: weight of the class cross-entropy in both losses; InfoGAN: lambda, the weight of
    /// the categorical code's term of the information loss.
    #[config(default = 1.0)]
    pub class_loss_weight: f64,
    /// The generator's loss (standard family).
    #[config(default = "GeneratorLoss::NonSaturating")]
    pub generator_loss: GeneratorLoss,
    /// Target of real samples for the discriminator (below 1 for one-sided label smoothing).
    #[config(default = 1.0)]
    pub real_target: f32,
    /// The adversarial loss family.
    #[config(default = "LossFamily::Standard")]
    pub loss: LossFamily,
    /// Spectral normalisation of every discriminator layer (then without batch norm).
    #[config(default = false)]
    pub spectral_norm: bool,
    /// Decay of the generator's weight average used for sampling (0: none; e.g. 0.999).
    #[config(default = 0.0)]
    pub ema: f64,
    /// Minibatch discrimination (Salimans et al. 2016) on the discriminator's flattened
    /// features before its real/fake head: the number of kernels B (0: none). Against a
    /// generator that ignores its noise and draws one image per class.
    #[config(default = 0)]
    pub minibatch_kernels: usize,
    /// Minibatch discrimination: the dimension C of each kernel.
    #[config(default = 5)]
    pub minibatch_kernel_dim: usize,
}

impl ConditionalConfig {
    /// Refuses settings that cannot train.
    pub fn validate(&self) -> Result<(), String> {
        if self.classes < 2 {
            return Err(format!(
                "a conditional model needs at least 2 classes, got {}",
                self.classes
            ));
        }
        if !(self.class_loss_weight >= 0.0 && self.class_loss_weight.is_finite()) {
            return Err(format!(
                "class_loss_weight must be a finite number >= 0, got {}",
                self.class_loss_weight
            ));
        }
        if !(0.0..1.0).contains(&self.ema) {
            return Err(format!(
                "the generator average's decay must be in [0, 1) (e.g. 0.999), got {}",
                self.ema
            ));
        }
        if self.continuous_codes > 0 && self.method != Conditioning::Infogan {
            return Err("continuous codes belong to InfoGAN".into());
        }
        if !(self.continuous_loss_weight >= 0.0 && self.continuous_loss_weight.is_finite()) {
            return Err(format!(
                "continuous_loss_weight must be a finite number >= 0, got {}",
                self.continuous_loss_weight
            ));
        }
        if self.label_maps == 0 {
            return Err("label_maps must be at least 1".into());
        }
        if self.minibatch_kernels > 0 && self.minibatch_kernel_dim == 0 {
            return Err("minibatch_kernel_dim must be at least 1".into());
        }
        if self.projection && self.method != Conditioning::Cgan {
            return Err(
                "the projection term belongs to CGAN's discriminator, which takes the label".into(),
            );
        }
        self.objective()
            .validate(!self.spectral_norm, self.spectral_norm)
    }

    /// The adversarial part of the objective.
    pub fn objective(&self) -> Objective {
        Objective {
            generator_loss: self.generator_loss,
            real_target: self.real_target,
            loss: self.loss,
            ..Objective::default()
        }
    }
}

/// Settings that are not tensors.
#[derive(Clone, Copy, Debug)]
struct Settings {
    method: Conditioning,
    fake_class_loss: bool,
    continuous_codes: usize,
    continuous_loss_weight: f64,
    classes: usize,
    class_loss_weight: f64,
    objective: Objective,
    ema: f64,
}

/// A class-conditional GAN (CGAN or ACGAN).
#[derive(Module, Debug)]
pub struct Conditional<B: Backend> {
    /// The generator.
    pub generator: Generator<B>,
    /// The discriminator.
    pub discriminator: Discriminator<B>,
    /// The generator's weight average, when configured.
    ema: Option<Average<B, Generator<B>>>,
    #[module(skip)]
    settings: Settings,
}

impl<B: Backend> Conditional<B> {
    /// Samples of the given classes from the trained generator (not its moving average).
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - `labels`: `[n]`, each below the number of classes
    /// - output: `[n, c, h, w]`
    pub fn generate_class(&self, z: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 4> {
        self.generator.forward(z, labels)
    }

    /// Labels `i % classes` for `n` samples.
    fn cycled(&self, n: usize, device: &B::Device) -> Tensor<B, 1, Int> {
        Tensor::arange(0..n as i64, device).remainder_scalar(self.settings.classes as i64)
    }

    /// The classes (InfoGAN: categorical codes) and the noise of a phase: CGAN and ACGAN take
    /// the real batch's labels, InfoGAN draws its codes ([`Self::infogan_codes`]).
    fn codes_of(&self, batch: &GanBatch<B>) -> (Tensor<B, 1, Int>, Tensor<B, 2>) {
        if self.settings.method == Conditioning::Infogan {
            return self.infogan_codes(batch);
        }
        let labels = batch.labels.clone().expect(
            "a conditional GAN trains on labelled data (the command line checks this first)",
        );
        (labels, batch.z.clone())
    }
}

impl<B: Backend> crate::GeneratorAverage for Conditional<B> {
    fn without_average(mut self) -> Option<Self> {
        self.ema.take().map(|_| self)
    }
}

impl<B: Backend> Adversarial<B> for Conditional<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        network_params_of(&self.generator, &self.discriminator, network)
    }

    fn latent_dim(&self) -> usize {
        self.generator.project.weight.dims()[0] - self.generator.embedding.dims()[1]
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        let z = condition.z;
        let labels = condition
            .labels
            .unwrap_or_else(|| self.cycled(z.dims()[0], &z.device()));
        match &self.ema {
            Some(average) => average.generator.forward(z, labels),
            None => self.generator.forward(z, labels),
        }
    }

    fn after_update(mut self, network: NetworkId) -> Self {
        if network != NetworkId::GENERATOR {
            return self;
        }
        if let Some(average) = self.ema.take() {
            self.ema = Some(average.advance(&self.generator, self.settings.ema));
        }
        self
    }

    fn objective(&self) -> Objective {
        self.settings.objective
    }

    fn classes(&self) -> Option<&dyn ClassConditional> {
        Some(self)
    }

    fn latent_codes(&self) -> Option<&dyn LatentCodes> {
        (self.settings.continuous_codes > 0).then_some(self as &dyn LatentCodes)
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let phase = batch.phase;
        let s = self.settings;
        let objective = s.objective;
        let (labels, z) = self.codes_of(batch);
        let info = s.method == Conditioning::Infogan;
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(phase), n);
        let report = |d: &Tensor<B, 2>| objective.loss.mean_output(d);
        match phase.network {
            NetworkId::DISCRIMINATOR => {
                let fake = self.generator.forward(z.clone(), labels.clone()).detach();
                let (real_logits, real_classes, _) = self
                    .discriminator
                    .forward(batch.real.clone(), labels.clone());
                let (fake_logits, fake_classes, fake_continuous) =
                    self.discriminator.forward(fake.clone(), labels.clone());
                out.d_real = Some(report(&real_logits));
                out.d_fake = Some(report(&fake_logits));
                let mut loss =
                    objective
                        .loss
                        .discriminator(real_logits, fake_logits, objective.real_target);
                out.loss_d = Some(loss.clone().detach());
                match (real_classes, fake_classes) {
                    // InfoGAN: Q (sharing the discriminator's body) recovers the codes of the
                    // generated images; the real images have none.
                    (_, Some(fake_classes)) if info => {
                        loss = loss
                            + self.information_loss(
                                fake_classes,
                                fake_continuous,
                                &labels,
                                &z,
                                &mut out,
                            );
                    }
                    (Some(real_classes), Some(fake_classes)) => {
                        loss = loss
                            + self.acgan_discriminator_loss(
                                real_classes,
                                fake_classes,
                                labels,
                                &mut out,
                            );
                    }
                    _ => {}
                }
                out.fake = Some(fake);
                (loss, out)
            }
            _ => {
                let fake = self.generator.forward(z.clone(), labels.clone());
                let (logits, classes, continuous) =
                    self.discriminator.forward(fake, labels.clone());
                let mut loss = objective.loss.generator(logits, objective.generator_loss);
                out.loss_g = Some(loss.clone().detach());
                match classes {
                    Some(classes) if info => {
                        loss = loss
                            + self.information_loss(classes, continuous, &labels, &z, &mut out);
                    }
                    Some(classes) => {
                        loss = loss + self.acgan_generator_loss(classes, labels, &mut out);
                    }
                    None => {}
                }
                (loss, out)
            }
        }
    }
}

/// The classes are the data's labels (CGAN, ACGAN) or InfoGAN's categorical code.
impl<B: Backend> ClassConditional for Conditional<B> {
    fn num_classes(&self) -> usize {
        self.settings.classes
    }

    fn supervised_classes(&self) -> bool {
        self.settings.method != Conditioning::Infogan
    }
}

impl<B: Backend> LatentCodes for Conditional<B> {
    fn continuous_codes(&self) -> usize {
        self.settings.continuous_codes
    }
}

/// Sample `i` of a batch has class `i % classes`.
impl<B: Backend> GanNetworks<B> for Conditional<B> {
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        let labels = self.cycled(z.dims()[0], &z.device());
        self.generator.forward(z, labels)
    }

    fn discriminate(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let labels = self.cycled(x.dims()[0], &x.device());
        self.discriminator.forward(x, labels).0
    }
}

burn_gan::impl_train_steps!(Conditional);
