//! The semi-supervised GAN: a discriminator that is also a classifier.
//!
//! - **SGAN**: Odena 2016, "Semi-Supervised Learning with Generative Adversarial Networks",
//!   arXiv:1606.01583. The discriminator outputs `K + 1` classes, the data's `K` and "generated";
//!   it is trained on labelled, unlabelled and generated images (lecture notes, Kitov, "SGAN":
//!   the NLL of its outputs on the combined minibatch).
//! - **K-logit variant with feature matching**: Salimans et al. 2016, "Improved Techniques for
//!   Training GANs", arXiv:1606.03498, section 5: the "generated" logit is fixed at 0, so
//!   `D(x) = Z(x) / (Z(x) + 1)` with `Z(x) = Σ_k exp(l_k(x))`, and the generator uses feature
//!   matching.
//!
//! Both share one formulation: with class logits `l_1..l_K` and the "generated" logit `l_g`
//! (learned, or 0), the real-versus-generated logit is `s(x) = logsumexp(l_1..l_K) - l_g`, and
//! the discriminator minimises
//! `CE(l(x_labelled), y) + softplus(-s(x_unlabelled)) + softplus(s(G(z)))`,
//! where the cross-entropy is over all `K + 1` outputs for SGAN and over the `K` classes for the
//! K-logit variant. The generator minimises `softplus(-s(G(z)))` or, with feature matching, the
//! distance of the mean penultimate features. `supervised_only` trains the same classifier on the
//! labelled examples alone: the CNN baseline of Odena's table.
//!
//! Two sets of networks ([`SganNetworks`]):
//! - `Dcgan` (default): the generator is DCGAN's; the classifier body is DCGAN's discriminator
//!   body (strided convolutions, batch norm, LeakyReLU) with dropout before its linear head.
//! - `Mlp`: Salimans et al.'s MNIST networks (their code's `train_mnist_feature_matching.py`).
//!   The classifier is a weight-normalised MLP 1000-500-250-250-250 with ReLUs and Gaussian
//!   noise before every layer (0.3 on the input, seen in `[0, 1]`, 0.5 after); feature matching
//!   compares its last hidden layer. The generator is an MLP 500-500 with softplus and batch
//!   norm and a weight-normalised output layer.

use burn::module::{Module, ParamId};
use burn::nn::conv::Conv2d;
use burn::nn::{Dropout, DropoutConfig, LeakyRelu, LeakyReluConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, sigmoid};
use burn_gan::loss::{classification, cross_entropy, feature_matching, softplus};
use burn_gan::nn::{BatchNorm, BatchNormConfig};
use burn_gan::train::{
    Adversarial, ClassifierHead, Condition, DiscriminatorFeatures, GanBatch, GanNetworks,
    GanOutput, NetworkId, Phase, StepInfo,
};
use serde::{Deserialize, Serialize};

use crate::blocks::{discriminator_widths, DcganLayers};
use crate::dcgan::{DcganConfig, Generator};

mod family;
mod mlp;
#[cfg(test)]
mod tests;

pub use family::SganFamily;
pub use mlp::{MlpClassifier, MlpGenerator};

/// How the discriminator's "generated" output is modelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SganVariant {
    /// Odena 2016: `K + 1` learned outputs.
    #[default]
    KPlusOne,
    /// Salimans et al. 2016: `K` outputs, the "generated" logit fixed at 0.
    KLogits,
}

/// Which networks a semi-supervised GAN is built from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SganNetworks {
    /// DCGAN's generator and discriminator body, sized to the images.
    #[default]
    Dcgan,
    /// Salimans et al. 2016's MNIST networks: weight-normalised MLPs with Gaussian noise.
    Mlp,
}

impl std::str::FromStr for SganNetworks {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "dcgan" => Ok(Self::Dcgan),
            "mlp" => Ok(Self::Mlp),
            other => Err(format!("unknown networks `{other}`; use dcgan or mlp")),
        }
    }
}

/// Configuration of a semi-supervised GAN.
#[derive(Config, Debug, PartialEq)]
pub struct SganConfig {
    /// The number of classes K.
    pub classes: usize,
    /// Image channels.
    pub channels: usize,
    /// Image side.
    pub image_size: usize,
    /// Noise dimension.
    #[config(default = 100)]
    pub latent_dim: usize,
    /// Channels of the first discriminator layer (and the generator's last hidden layer).
    #[config(default = 64)]
    pub base_channels: usize,
    /// `K + 1` outputs or `K` logits.
    #[config(default = "SganVariant::KPlusOne")]
    pub variant: SganVariant,
    /// The generator matches mean features instead of fooling the discriminator.
    #[config(default = false)]
    pub feature_matching: bool,
    /// Train the classifier on the labelled examples alone (the CNN baseline; no generator).
    #[config(default = false)]
    pub supervised_only: bool,
    /// Dropout before the classifier's head.
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Weight of the unsupervised (real versus generated) terms.
    #[config(default = 1.0)]
    pub unsupervised_weight: f64,
    /// The networks: DCGAN's or Salimans et al.'s MLPs.
    #[config(default = "SganNetworks::Dcgan")]
    pub networks: SganNetworks,
}

impl SganConfig {
    /// Odena's SGAN for images of this shape.
    pub fn sgan(classes: usize, channels: usize, size: usize) -> Self {
        Self::new(classes, channels, size)
    }

    /// Salimans et al.'s K-logit discriminator with feature matching.
    pub fn feature_matching_variant(classes: usize, channels: usize, size: usize) -> Self {
        Self::new(classes, channels, size)
            .with_variant(SganVariant::KLogits)
            .with_feature_matching(true)
    }

    /// The same classifier trained on the labelled examples alone.
    pub fn supervised(classes: usize, channels: usize, size: usize) -> Self {
        Self::new(classes, channels, size).with_supervised_only(true)
    }

    /// Salimans et al.'s MNIST setup on these networks: the MLPs, and the unsupervised terms
    /// weighted by 1/2 (their loss is `L_lab + (softplus(-s_real) + softplus(s_fake)) / 2`).
    pub fn with_mlp_networks(self) -> Self {
        self.with_networks(SganNetworks::Mlp)
            .with_unsupervised_weight(0.5)
    }

    /// Refuses settings that cannot train.
    pub fn validate(&self) -> Result<(), String> {
        if self.classes < 2 {
            return Err(format!(
                "a semi-supervised GAN needs at least 2 classes, got {}",
                self.classes
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(self.unsupervised_weight >= 0.0 && self.unsupervised_weight.is_finite()) {
            return Err(format!(
                "unsupervised_weight must be a finite number >= 0, got {}",
                self.unsupervised_weight
            ));
        }
        Ok(())
    }

    /// Builds the model.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Sgan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid semi-supervised GAN configuration: {e}.");
        }
        let outputs = match self.variant {
            SganVariant::KPlusOne => self.classes + 1,
            SganVariant::KLogits => self.classes,
        };
        let (mut generator, mut classifier, mut mlp_generator, mut mlp_classifier) =
            (None, None, None, None);
        match self.networks {
            SganNetworks::Dcgan => {
                let (g, c) = self.init_dcgan(outputs, device);
                (generator, classifier) = (Some(g), Some(c));
            }
            SganNetworks::Mlp => {
                mlp_generator = Some(self.init_mlp_generator(device));
                mlp_classifier = Some(self.init_mlp_classifier(outputs, device));
            }
        }
        Sgan {
            generator,
            classifier,
            mlp_generator,
            mlp_classifier,
            settings: Settings {
                classes: self.classes,
                variant: self.variant,
                feature_matching: self.feature_matching,
                supervised_only: self.supervised_only,
                unsupervised_weight: self.unsupervised_weight,
            },
        }
    }

    fn init_dcgan<B: Backend>(
        &self,
        outputs: usize,
        device: &B::Device,
    ) -> (Generator<B>, Classifier<B>) {
        let shape = DcganConfig::new(self.channels, self.image_size)
            .with_latent_dim(self.latent_dim)
            .with_base_channels(self.base_channels);
        let (levels, side) = shape.levels();
        let generator = shape.init::<B>(device).generator;
        let layers = DcganLayers::<B>::new(device, false);
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let widths = discriminator_widths(self.channels, self.base_channels, levels);
        for (l, &(input, out)) in widths.iter().enumerate() {
            convs.push(layers.conv(input, out));
            if l > 0 {
                norms.push(BatchNormConfig::new(out).init(device));
            }
        }
        let features = widths.last().map_or(self.channels, |w| w.1) * side * side;
        let classifier = Classifier {
            convs,
            norms,
            activation: LeakyReluConfig::new().with_negative_slope(0.2).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            head: layers.linear(features, outputs),
        };
        (generator, classifier)
    }
}

/// The discriminator/classifier on DCGAN's body.
#[derive(Module, Debug)]
pub struct Classifier<B: Backend> {
    convs: Vec<Conv2d<B>>,
    norms: Vec<BatchNorm<B>>,
    activation: LeakyRelu,
    dropout: Dropout,
    head: Linear<B>,
}

impl<B: Backend> Classifier<B> {
    fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let mut x = x;
        for (l, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x);
            if l > 0 {
                x = self.norms[l - 1].forward(x);
            }
            x = burn_gan::nn::leaky_relu(x, self.activation.negative_slope);
        }
        x.flatten(1, 3)
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.head.forward(self.dropout.forward(self.features(x)))
    }
}

/// What the model needs of either generator.
trait GeneratorNet<B: Backend> {
    fn noise_dim(&self) -> usize;
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4>;
}

impl<B: Backend> GeneratorNet<B> for Generator<B> {
    fn noise_dim(&self) -> usize {
        self.latent_dim()
    }
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        self.forward(z)
    }
}

/// What the model needs of either classifier.
trait ClassifierNet<B: Backend> {
    fn penultimate(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
    fn outputs(&self, x: Tensor<B, 4>) -> Tensor<B, 2>;
}

impl<B: Backend> ClassifierNet<B> for Classifier<B> {
    fn penultimate(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.features(x)
    }
    fn outputs(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward(x)
    }
}

#[derive(Clone, Copy, Debug)]
struct Settings {
    classes: usize,
    variant: SganVariant,
    feature_matching: bool,
    supervised_only: bool,
    unsupervised_weight: f64,
}

/// A semi-supervised GAN: one generator and one classifier, on DCGAN's networks or on
/// Salimans et al.'s MLPs. (Optional fields rather than an enum keep the records of runs made
/// before the MLPs existed loadable: their `generator` and `classifier` are the DCGAN ones, and
/// the MLP fields are absent.)
#[derive(Module, Debug)]
pub struct Sgan<B: Backend> {
    /// DCGAN's generator (`SganNetworks::Dcgan`).
    pub generator: Option<Generator<B>>,
    /// The classifier on DCGAN's body (`SganNetworks::Dcgan`).
    pub classifier: Option<Classifier<B>>,
    /// Salimans et al.'s generator (`SganNetworks::Mlp`).
    pub mlp_generator: Option<MlpGenerator<B>>,
    /// Salimans et al.'s classifier (`SganNetworks::Mlp`).
    pub mlp_classifier: Option<MlpClassifier<B>>,
    #[module(skip)]
    settings: Settings,
}

impl<B: Backend> Sgan<B> {
    /// The generator the model was built with.
    fn generator_net(&self) -> &dyn GeneratorNet<B> {
        match (&self.generator, &self.mlp_generator) {
            (Some(g), _) => g,
            (None, Some(g)) => g,
            (None, None) => unreachable!("a semi-supervised GAN is built with one generator"),
        }
    }

    /// The classifier the model was built with.
    fn classifier_net(&self) -> &dyn ClassifierNet<B> {
        match (&self.classifier, &self.mlp_classifier) {
            (Some(c), _) => c,
            (None, Some(c)) => c,
            (None, None) => unreachable!("a semi-supervised GAN is built with one classifier"),
        }
    }

    /// Generated images in `[-1, 1]`, `[n, c, h, w]`.
    pub fn generator_forward(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        self.generator_net().generate(z)
    }

    /// All outputs of the classifier: `K + 1` for SGAN, `K` for the K-logit variant.
    pub fn classifier_forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.classifier_net().outputs(x)
    }

    /// The classifier's penultimate features (what feature matching compares), `[n, features]`.
    pub fn classifier_features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.classifier_net().penultimate(x)
    }

    /// The `K` class logits and the real-versus-generated logit `s` of the outputs.
    // ANCHOR: split
    fn split(&self, outputs: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let [n, _] = outputs.dims();
        let k = self.settings.classes;
        let classes = outputs.clone().slice([0..n, 0..k]);
        // logsumexp over the classes, stabilised by the row maximum.
        let max = classes.clone().detach().max_dim(1);
        let lse = (classes.clone() - max.clone()).exp().sum_dim(1).log() + max; // [n, 1]
        let s = match self.settings.variant {
            SganVariant::KPlusOne => lse - outputs.slice([0..n, k..k + 1]),
            SganVariant::KLogits => lse,
        };
        (classes, s)
    }
    // ANCHOR_END: split

    /// The supervised cross-entropy: over all `K + 1` outputs (SGAN) or the `K` classes.
    fn supervised_loss(&self, outputs: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
        match self.settings.variant {
            SganVariant::KPlusOne => {
                let n = labels.dims()[0];
                log_softmax(outputs, 1)
                    .gather(1, labels.reshape([n, 1]))
                    .mean()
                    .neg()
            }
            SganVariant::KLogits => {
                let k = self.settings.classes;
                let n = labels.dims()[0];
                cross_entropy(outputs.slice([0..n, 0..k]), labels)
            }
        }
    }
}

/// No average: samples come from the trained generator.
impl<B: Backend> crate::GeneratorAverage for Sgan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

impl<B: Backend> Adversarial<B> for Sgan<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        let mut ids =
            burn_gan::train::network_params_of(&self.generator, &self.classifier, network);
        ids.extend(burn_gan::train::network_params_of(
            &self.mlp_generator,
            &self.mlp_classifier,
            network,
        ));
        ids
    }

    fn latent_dim(&self) -> usize {
        self.generator_net().noise_dim()
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        self.generator_forward(condition.z)
    }

    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        let mut phases = vec![Phase::DISCRIMINATOR; step.d_steps];
        if !self.settings.supervised_only {
            phases.push(Phase::GENERATOR);
        }
        phases
    }

    fn classifier(&self) -> Option<&dyn ClassifierHead<B>> {
        Some(self)
    }

    fn discriminator_features(&self) -> Option<&dyn DiscriminatorFeatures<B>> {
        Some(self)
    }

    // ANCHOR: phase_loss
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let phase = batch.phase;
        let s = self.settings;
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(phase), n);
        match phase.network {
            NetworkId::DISCRIMINATOR => {
                // The batch's second stream is the labelled subset (`--labelled N`).
                let (x, y) = batch
                    .second
                    .clone()
                    .and_then(|b| Some((b.images, b.labels?)))
                    .expect("semi-supervised training needs labelled batches (--labelled N)");
                let outputs = self.classifier_forward(x);
                let (classes, _) = self.split(outputs.clone());
                out.extra
                    .push(("label_acc", classification::accuracy(classes, y.clone())));
                let supervised = self.supervised_loss(outputs, y);
                out.extra.push(("sup_loss", supervised.clone().detach()));
                if s.supervised_only {
                    out.loss_d = Some(supervised.clone().detach());
                    return (supervised, out);
                }
                let fake = self.generator_forward(batch.z.clone()).detach();
                let (_, s_real) = self.split(self.classifier_forward(batch.real.clone()));
                let (_, s_fake) = self.split(self.classifier_forward(fake));
                out.d_real = Some(sigmoid(s_real.clone().detach()).mean());
                out.d_fake = Some(sigmoid(s_fake.clone().detach()).mean());
                let unsupervised = softplus(s_real.neg()).mean() + softplus(s_fake).mean();
                out.extra
                    .push(("unsup_loss", unsupervised.clone().detach()));
                let loss = supervised + unsupervised.mul_scalar(s.unsupervised_weight);
                out.loss_d = Some(loss.clone().detach());
                (loss, out)
            }
            _ => {
                let fake = self.generator_forward(batch.z.clone());
                let loss = if s.feature_matching {
                    let real = self.classifier_features(batch.real.clone()).detach();
                    feature_matching(real, self.classifier_features(fake))
                } else {
                    let (_, s_fake) = self.split(self.classifier_forward(fake));
                    softplus(s_fake.neg()).mean()
                };
                out.loss_g = Some(loss.clone().detach());
                (loss, out)
            }
        }
    }
    // ANCHOR_END: phase_loss
}

impl<B: Backend> ClassifierHead<B> for Sgan<B> {
    fn classify(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.split(self.classifier_forward(x)).0
    }
}

impl<B: Backend> DiscriminatorFeatures<B> for Sgan<B> {
    fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.classifier_features(x)
    }
}

impl<B: Backend> GanNetworks<B> for Sgan<B> {
    fn generate(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        self.generator_forward(z)
    }

    fn discriminate(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.split(self.classifier_forward(x)).1
    }
}

burn_gan::impl_train_steps!(Sgan);
