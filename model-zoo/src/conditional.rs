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

use burn::module::{Module, Param, ParamId};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, LeakyRelu, LeakyReluConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, tanh};
use burn_gan::loss::{classification, cross_entropy, GeneratorLoss, LossFamily};
use burn_gan::nn::{
    dcgan_init, sn_conv2d, sn_linear, BatchNorm, BatchNormConfig, ClassBatchNorm,
    ClassBatchNormConfig, MinibatchDiscrimination, MinibatchDiscriminationConfig, PowerIteration,
};
use burn_gan::train::ema::Average;
use burn_gan::train::{
    network_params_of, Adversarial, ClassConditional, Condition, GanBatch, GanNetworks, GanOutput,
    LatentCodes, NetworkId, Objective,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::dcgan::DcganConfig;

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
    /// InfoGAN's MNIST setting (Chen et al. 2016, appendix C.1): 62 noise variables, one
    /// 10-way categorical code and 2 continuous codes.
    pub fn infogan(channels: usize, size: usize) -> Self {
        Self::new(Conditioning::Infogan, 10, channels, size)
            .with_latent_dim(62)
            .with_continuous_codes(2)
    }

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

    /// Builds the model.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Conditional<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid conditional GAN configuration: {e}.");
        }
        let shape = DcganConfig::new(self.channels, self.image_size);
        let (levels, side) = shape.levels();
        assert!(
            levels >= 1 && side >= 3 && (self.channels == 1 || self.channels == 3),
            "A conditional DCGAN generates 1 or 3 channels of side s * 2^k with 3 <= s <= 7 (e.g. 28, 32, 64), got {}x{}.",
            self.channels,
            self.image_size
        );
        let top = self.base_channels << (levels - 1);
        let init = dcgan_init();
        let conv_t = |i: usize, o: usize| {
            ConvTranspose2dConfig::new([i, o], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_initializer(init.clone())
                .init(device)
        };
        let conv = |i: usize, o: usize| {
            Conv2dConfig::new([i, o], [4, 4])
                .with_stride([2, 2])
                .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(init.clone())
                .init(device)
        };
        let linear = |i: usize, o: usize| {
            LinearConfig::new(i, o)
                .with_initializer(init.clone())
                .init(device)
        };

        // Generator: [z, e(y)] -> top x s x s -> ... -> channels.
        let widths: Vec<usize> = (0..=levels)
            .map(|l| if l == levels { self.channels } else { top >> l })
            .collect();
        let convs = (0..levels)
            .map(|l| conv_t(widths[l], widths[l + 1]))
            .collect();
        // One normalisation after the projection and after every hidden transposed convolution.
        let normed: Vec<usize> = widths[..levels].to_vec();
        let (norms, class_norms) = if self.class_batch_norm {
            let layers = normed
                .iter()
                .map(|&c| ClassBatchNormConfig::new(c, self.embedding_dim).init(device))
                .collect();
            (Vec::new(), layers)
        } else {
            let layers = normed
                .iter()
                .map(|&c| BatchNormConfig::new(c).init(device))
                .collect();
            (layers, Vec::new())
        };
        let generator = Generator {
            embedding: Initializer::Normal {
                mean: 0.0,
                std: 1.0,
            }
            .init([self.classes, self.embedding_dim], device),
            project: linear(
                self.latent_dim + self.continuous_codes + self.embedding_dim,
                top * side * side,
            ),
            norms,
            class_norms,
            convs,
            top,
            side,
        };

        // Discriminator: channels -> base -> ... -> top.
        let first_side = self.image_size / 2;
        let cgan = self.method == Conditioning::Cgan;
        let mut d_convs = Vec::new();
        let mut d_norms = Vec::new();
        let mut states = Vec::new();
        let mut input = self.channels;
        for l in 0..levels {
            let out = self.base_channels << l;
            // CGAN: the label's maps join the first layer's maps.
            let extra = if cgan && l == 1 { self.label_maps } else { 0 };
            d_convs.push(conv(input + extra, out));
            states.push((out, (input + extra) * 16));
            if l > 0 && !self.spectral_norm {
                d_norms.push(BatchNormConfig::new(out).init(device));
            }
            input = out;
        }
        let features = top * side * side;
        let mut spectral: Vec<PowerIteration<B>> = states
            .into_iter()
            .map(|(rows, cols)| PowerIteration::new(rows, cols, device))
            .collect();
        spectral.push(PowerIteration::new(
            1,
            features + self.minibatch_kernels,
            device,
        ));
        if !cgan {
            spectral.push(PowerIteration::new(self.classes, features, device));
        }
        if self.continuous_codes > 0 {
            spectral.push(PowerIteration::new(self.continuous_codes, features, device));
        }
        let discriminator = Discriminator {
            convs: d_convs,
            norms: d_norms,
            label_maps: cgan.then(|| {
                Initializer::Normal {
                    mean: 0.0,
                    std: 1.0,
                }
                .init(
                    [self.classes, self.label_maps * first_side * first_side],
                    device,
                )
            }),
            // Zero at the start: the projection term grows from the class signal alone.
            projection: (cgan && self.projection)
                .then(|| Initializer::Zeros.init([self.classes, features], device)),
            spectral: self.spectral_norm.then_some(spectral),
            activation: LeakyReluConfig::new().with_negative_slope(0.2).init(),
            minibatch: (self.minibatch_kernels > 0).then(|| {
                MinibatchDiscriminationConfig::new(features, self.minibatch_kernels)
                    .with_kernel_dim(self.minibatch_kernel_dim)
                    .init(device)
            }),
            head: linear(features + self.minibatch_kernels, 1),
            classifier: (!cgan).then(|| linear(features, self.classes)),
            continuous: (self.continuous_codes > 0)
                .then(|| linear(features, self.continuous_codes)),
            first_side,
        };
        let ema = (self.ema > 0.0).then(|| Average::new(&generator, device));
        Conditional {
            generator,
            discriminator,
            ema,
            settings: Settings {
                method: self.method,
                fake_class_loss: self.fake_class_loss,
                continuous_codes: self.continuous_codes,
                continuous_loss_weight: self.continuous_loss_weight,
                classes: self.classes,
                class_loss_weight: self.class_loss_weight,
                objective: self.objective(),
                ema: self.ema,
            },
        }
    }
}

/// The conditional generator.
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    /// `[classes, embedding_dim]`: the learned class embedding.
    embedding: Param<Tensor<B, 2>>,
    project: Linear<B>,
    /// Batch norms (after the projection, then after each hidden layer), or none when the
    /// class-conditional ones are used.
    norms: Vec<BatchNorm<B>>,
    class_norms: Vec<ClassBatchNorm<B>>,
    convs: Vec<ConvTranspose2d<B>>,
    top: usize,
    side: usize,
}

impl<B: Backend> Generator<B> {
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - `labels`: `[n]`
    /// - output: `[n, channels, image_size, image_size]` in `[-1, 1]`
    pub fn forward(&self, z: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 4> {
        let n = z.dims()[0];
        let e = self.embedding.val().select(0, labels); // [n, embedding_dim]
        let x = self.project.forward(Tensor::cat(vec![z, e.clone()], 1));
        let mut x = x.reshape([n, self.top, self.side, self.side]);
        let norm = |l: usize, x: Tensor<B, 4>| match self.class_norms.get(l) {
            Some(layer) => layer.forward(x, e.clone()),
            None => self.norms[l].forward(x),
        };
        x = relu(norm(0, x));
        let last = self.convs.len() - 1;
        for (l, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x); // resolution doubles
            x = if l < last {
                relu(norm(l + 1, x))
            } else {
                tanh(x)
            };
        }
        x
    }
}

/// The conditional discriminator: CGAN's (label maps in) or ACGAN's (class logits out).
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    convs: Vec<Conv2d<B>>,
    norms: Vec<BatchNorm<B>>,
    /// CGAN: `[classes, label_maps * s1 * s1]`, the label's feature maps (`s1` = half the image).
    label_maps: Option<Param<Tensor<B, 2>>>,
    /// CGAN with a projection term: `[classes, features]`, the class embedding whose inner
    /// product with the features is added to the logit (absent from older records).
    projection: Option<Param<Tensor<B, 2>>>,
    /// Power-iteration states: one per convolution, the head's, the classifier's.
    spectral: Option<Vec<PowerIteration<B>>>,
    activation: LeakyRelu,
    /// Minibatch discrimination before the real/fake head (absent from older records).
    minibatch: Option<MinibatchDiscrimination<B>>,
    head: Linear<B>,
    /// ACGAN: the auxiliary classifier; InfoGAN: Q's categorical head.
    classifier: Option<Linear<B>>,
    /// InfoGAN: Q's head for the means of the continuous codes.
    continuous: Option<Linear<B>>,
    first_side: usize,
}

impl<B: Backend> Discriminator<B> {
    /// Real/fake logits and, for ACGAN and InfoGAN, class (categorical code) logits and, for
    /// InfoGAN, the predicted continuous codes.
    ///
    /// # Shapes
    /// - `x`: `[n, channels, image_size, image_size]`
    /// - `labels`: `[n]` (used by CGAN)
    /// - output: `[n, 1]`, `[n, classes]`, `[n, continuous_codes]`
    pub fn forward(&self, x: Tensor<B, 4>, labels: Tensor<B, 1, Int>) -> Outputs<B> {
        let n = x.dims()[0];
        let mut x = x;
        for (l, conv) in self.convs.iter().enumerate() {
            // ANCHOR: label_maps
            if l == 1 {
                if let Some(maps) = &self.label_maps {
                    let s = self.first_side;
                    let maps = maps.val().select(0, labels.clone()); // [n, k * s * s]
                    let k = maps.dims()[1] / (s * s);
                    x = Tensor::cat(vec![x, maps.reshape([n, k, s, s])], 1);
                }
            }
            // ANCHOR_END: label_maps
            x = match &self.spectral {
                Some(states) => sn_conv2d(conv, &states[l], x),
                None => conv.forward(x),
            }; // resolution halves
            if l > 0 {
                if let Some(norm) = self.norms.get(l - 1) {
                    x = norm.forward(x);
                }
            }
            x = burn_gan::nn::leaky_relu(x, self.activation.negative_slope);
        }
        let features = x.flatten::<2>(1, 3);
        let k = self.convs.len();
        let head = |layer: &Linear<B>, i: usize, f: Tensor<B, 2>| match &self.spectral {
            Some(states) => sn_linear(layer, &states[k + i], f),
            None => burn_gan::nn::linear(layer, f),
        };
        // ANCHOR: minibatch
        // Minibatch discrimination feeds the real/fake head only; the class heads and the
        // projection see the sample's own features.
        let batch_features = match &self.minibatch {
            Some(layer) => layer.forward(features.clone()),
            None => features.clone(),
        };
        // ANCHOR_END: minibatch
        let mut logits = head(&self.head, 0, batch_features);
        // ANCHOR: projection
        if let Some(embedding) = &self.projection {
            let e = embedding.val().select(0, labels); // [n, features]
            logits = logits + (e * features.clone()).sum_dim(1);
        }
        // ANCHOR_END: projection
        let classes = self
            .classifier
            .as_ref()
            .map(|c| head(c, 1, features.clone()));
        let continuous = self.continuous.as_ref().map(|c| head(c, 2, features));
        (logits, classes, continuous)
    }
}

/// The discriminator's outputs: real/fake logits, class logits, continuous codes.
pub type Outputs<B> = (Tensor<B, 2>, Option<Tensor<B, 2>>, Option<Tensor<B, 2>>);

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

    /// The classes (InfoGAN: categorical codes) and the noise of a phase. CGAN and ACGAN take
    /// the real batch's labels; InfoGAN draws its codes from the phase seed (on the CPU, so that
    /// runs are reproducible on every backend) and writes the continuous ones into `z`.
    fn codes_of(&self, batch: &GanBatch<B>) -> (Tensor<B, 1, Int>, Tensor<B, 2>) {
        let s = self.settings;
        if s.method != Conditioning::Infogan {
            let labels = batch.labels.clone().expect(
                "a conditional GAN trains on labelled data (the command line checks this first)",
            );
            return (labels, batch.z.clone());
        }
        let [n, dim] = batch.z.dims();
        let device = batch.z.device();
        let mut rng = StdRng::seed_from_u64(batch.seed ^ 0x696e_666f_6761_6e00);
        let cat: Vec<i64> = (0..n)
            .map(|_| rng.random_range(0..s.classes) as i64)
            .collect();
        let k = s.continuous_codes;
        let cont: Vec<f32> = (0..n * k).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let mut z = batch.z.clone();
        if k > 0 {
            z = z.slice_assign(
                [0..n, dim - k..dim],
                Tensor::from_data(TensorData::new(cont, [n, k]), &device),
            );
        }
        (Tensor::from_data(TensorData::new(cat, [n]), &device), z)
    }

    /// InfoGAN's information loss on generated samples: the categorical code's cross-entropy
    /// plus the continuous codes' unit-Gaussian negative log-likelihood (without its constant).
    // ANCHOR: information_loss
    fn information_loss(
        &self,
        classes: Tensor<B, 2>,
        continuous: Option<Tensor<B, 2>>,
        codes: &Tensor<B, 1, Int>,
        z: &Tensor<B, 2>,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        let s = self.settings;
        out.extra.push((
            "info_cat_acc",
            classification::accuracy(classes.clone(), codes.clone()),
        ));
        let mut loss = cross_entropy(classes, codes.clone()).mul_scalar(s.class_loss_weight);
        if let Some(predicted) = continuous {
            let [n, dim] = z.dims();
            let k = s.continuous_codes;
            let target = z.clone().slice([0..n, dim - k..dim]);
            let nll = (predicted - target)
                .square()
                .sum_dim(1)
                .mean()
                .mul_scalar(0.5);
            out.extra.push(("info_cont_nll", nll.clone().detach()));
            loss = loss + nll.mul_scalar(s.continuous_loss_weight);
        }
        out.extra.push(("info_loss", loss.clone().detach()));
        loss
    }
    // ANCHOR_END: information_loss
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
        let weight = s.class_loss_weight;
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
                    // ANCHOR: acgan_d
                    (Some(real_classes), Some(fake_classes)) => {
                        out.extra.push((
                            "class_acc_real",
                            classification::accuracy(real_classes.clone(), labels.clone()),
                        ));
                        let mut class_loss = cross_entropy(real_classes, labels.clone());
                        if s.fake_class_loss {
                            class_loss = class_loss + cross_entropy(fake_classes, labels);
                        }
                        out.extra
                            .push(("class_loss_d", class_loss.clone().detach()));
                        loss = loss + class_loss.mul_scalar(weight);
                    }
                    // ANCHOR_END: acgan_d
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
                        out.extra.push((
                            "class_acc_fake",
                            classification::accuracy(classes.clone(), labels.clone()),
                        ));
                        let class_loss = cross_entropy(classes, labels);
                        out.extra
                            .push(("class_loss_g", class_loss.clone().detach()));
                        loss = loss + class_loss.mul_scalar(weight);
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::module::AutodiffModule;
    use burn::optim::GradientsParams;
    use burn::optim::Optimizer;
    use burn_gan::train::Phase;
    use burn_gan::train::{GanOptimizer, OptimizerConfig};

    type TB = burn_gan_backends::Backend;
    type AB = Autodiff<TB>;

    /// The projection term adds `e_y . features` to the logit: with the label maps zeroed, the
    /// logit moves away from the projection-free one by an amount that depends on the label and
    /// doubles when the embedding doubles. It starts at zero.
    #[test]
    fn projection_adds_the_class_embedding_inner_product() {
        use burn::tensor::Distribution;
        let device = Default::default();
        let model = ConditionalConfig::new(Conditioning::Cgan, 3, 1, 28)
            .with_projection(true)
            .init::<TB>(&device);
        let mut d = model.discriminator;
        let proj = d.projection.take().expect("a projection embedding");
        assert_eq!(proj.val().abs().max().into_scalar(), 0.0, "starts at zero");
        let maps = d.label_maps.take().expect("CGAN's label maps");
        d.label_maps = Some(Param::initialized(maps.id, maps.val().zeros_like()));
        let x = Tensor::<TB, 4>::random([2, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
        let logit = |d: &Discriminator<TB>, class: i64| -> Vec<f32> {
            let labels = Tensor::<TB, 1, Int>::from_ints([class, class], &device);
            d.forward(x.clone(), labels).0.into_data().to_vec().unwrap()
        };
        let plain = logit(&d, 0);
        assert_eq!(
            plain,
            logit(&d, 2),
            "without projection the label does nothing"
        );
        let e = Tensor::<TB, 2>::random(proj.dims(), Distribution::Normal(0.0, 0.01), &device);
        let with = |scale: f32| {
            let mut d = d.clone();
            d.projection = Some(Param::initialized(proj.id, e.clone() * scale));
            d
        };
        let shift = |d: &Discriminator<TB>, class| -> Vec<f32> {
            logit(d, class)
                .iter()
                .zip(&plain)
                .map(|(a, b)| a - b)
                .collect()
        };
        let (one, two) = (with(1.0), with(2.0));
        for class in [0, 2] {
            let (s1, s2) = (shift(&one, class), shift(&two, class));
            for (a, b) in s1.iter().zip(&s2) {
                assert!(a.abs() > 1e-6, "class {class}: no shift");
                assert!(
                    (2.0 * a - b).abs() < 1e-4 * (1.0 + b.abs()),
                    "class {class}: {a} vs {b}"
                );
            }
        }
        assert_ne!(shift(&one, 0), shift(&one, 2));
    }

    /// With minibatch discrimination a sample's real/fake logit depends on the rest of its
    /// batch (a batch of copies of one image scores differently from a varied batch), the
    /// class heads do not, and the discriminator phase trains the kernel tensor.
    #[test]
    fn minibatch_discrimination_couples_the_real_fake_logit_to_the_batch() {
        use burn::tensor::Distribution;
        let device = Default::default();
        for method in [Conditioning::Cgan, Conditioning::Acgan] {
            let model = ConditionalConfig::new(method, 10, 1, 28)
                .with_minibatch_kernels(20)
                .init::<TB>(&device);
            let x =
                Tensor::<TB, 4>::random([4, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
            let labels = Tensor::<TB, 1, Int>::from_ints([3, 3, 3, 3], &device);
            let copies = x.clone().slice([0..1]).repeat_dim(0, 4);
            let (varied, classes_v, _) = model.discriminator.forward(x, labels.clone());
            let (same, classes_s, _) = model.discriminator.forward(copies, labels);
            let first = |t: Tensor<TB, 2>| burn_gan::tensor_values(t.slice([0..1]));
            assert!(
                (first(varied)[0] - first(same)[0]).abs() > 1e-6,
                "{method:?}: the first sample's logit ignores its batch"
            );
            if let (Some(v), Some(s)) = (classes_v, classes_s) {
                let (v, s) = (first(v), first(s));
                for (a, b) in v.iter().zip(&s) {
                    assert!((a - b).abs() < 1e-5, "{method:?}: class logits coupled");
                }
            }
            let model = ConditionalConfig::new(method, 10, 1, 28)
                .with_minibatch_kernels(20)
                .init::<AB>(&device);
            let out = burn_gan::train::train_step(&model, batch(Phase::DISCRIMINATOR, 8, &device));
            assert!(out.item.stats().first_non_finite().is_none());
            let t = model.discriminator.minibatch.as_ref().unwrap().t.id;
            assert!(
                {
                    let mut grads = out.grads;
                    grads.remove::<TB, 2>(t).is_some()
                },
                "{method:?}: T not trained"
            );
        }
    }

    fn batch(phase: Phase, n: usize, device: &burn::tensor::Device<AB>) -> GanBatch<AB> {
        GanBatch {
            phase,
            real: Tensor::random(
                [n, 1, 28, 28],
                burn::tensor::Distribution::Uniform(-1.0, 1.0),
                device,
            ),
            labels: Some(Tensor::arange(0..n as i64, device).remainder_scalar(10)),
            z: Tensor::random(
                [n, 100],
                burn::tensor::Distribution::Normal(0.0, 1.0),
                device,
            ),
            seed: 7,
            step: Default::default(),
            input: None,
            second: None,
        }
    }

    #[test]
    fn shapes_follow_the_configuration() {
        let device = Default::default();
        for method in [Conditioning::Cgan, Conditioning::Acgan] {
            for class_bn in [false, true] {
                let gan = ConditionalConfig::new(method, 10, 1, 28)
                    .with_class_batch_norm(class_bn)
                    .init::<TB>(&device);
                let labels = Tensor::<TB, 1, Int>::from_ints([3, 9], &device);
                let x = gan.generate_class(Tensor::zeros([2, 100], &device), labels.clone());
                assert_eq!(x.dims(), [2, 1, 28, 28]);
                let (logits, classes, _) = gan.discriminator.forward(x, labels);
                assert_eq!(logits.dims(), [2, 1]);
                assert_eq!(
                    classes.map(|c| c.dims()),
                    (method == Conditioning::Acgan).then_some([2, 10])
                );
                assert_eq!(gan.latent_dim(), 100);
                assert_eq!(gan.num_classes(), 10);
            }
        }
        let rgb = ConditionalConfig::new(Conditioning::Cgan, 4, 3, 32).init::<TB>(&device);
        assert_eq!(
            rgb.generate(Tensor::zeros([3, 100], &device)).dims(),
            [3, 3, 32, 32]
        );
    }

    /// The label changes what both networks compute: the generator's image for the same `z`,
    /// and the CGAN discriminator's score for the same image.
    #[test]
    fn labels_condition_both_networks() {
        let device = Default::default();
        let gan = ConditionalConfig::new(Conditioning::Cgan, 10, 1, 28).init::<TB>(&device);
        let z = Tensor::<TB, 2>::random(
            [1, 100],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        )
        .repeat_dim(0, 2);
        let x = gan.generate_class(z, Tensor::from_ints([0, 1], &device));
        let diff = (x.clone().slice([0..1]) - x.clone().slice([1..2]))
            .abs()
            .max()
            .into_scalar();
        assert!(diff > 1e-4, "the generator ignores the label");
        let same = x.slice([0..1]).repeat_dim(0, 2);
        let (scores, _, _) = gan
            .discriminator
            .forward(same, Tensor::from_ints([0, 1], &device));
        let s = scores.into_data().to_vec::<f32>().unwrap();
        assert!(
            (s[0] - s[1]).abs() > 1e-6,
            "the discriminator ignores the label"
        );
    }

    /// One ACGAN step of each phase: finite losses, the class losses reported, gradients on
    /// exactly the phase's network (including the classifier and the embedding), and a moving
    /// average that follows the generator.
    #[test]
    fn acgan_phases_train_their_network_and_the_average_follows() {
        let device = Default::default();
        let gan = ConditionalConfig::new(Conditioning::Acgan, 10, 1, 28)
            .with_class_batch_norm(true)
            .with_ema(0.9)
            .init::<AB>(&device);
        let mut optim =
            GanOptimizer::for_gan(&OptimizerConfig::adam(1e-3), &OptimizerConfig::adam(1e-3));
        let mut model = gan;
        for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
            let out = burn_gan::train::train_step(&model, batch(phase, 8, &device));
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none());
            let names: Vec<_> = stats.extra.iter().map(|(k, _)| *k).collect();
            match phase {
                Phase::DISCRIMINATOR => assert!(names.contains(&"class_loss_d")),
                _ => assert!(names.contains(&"class_loss_g")),
            }
            let mut grads: GradientsParams = out.grads;
            // The phase's own new parameters get gradients: the auxiliary classifier in the
            // discriminator phase, the class embedding in the generator phase.
            let (id, what) = match phase {
                Phase::DISCRIMINATOR => (
                    model.discriminator.classifier.as_ref().unwrap().weight.id,
                    "classifier",
                ),
                _ => (model.generator.embedding.id, "class embedding"),
            };
            let g = grads
                .remove::<TB, 2>(id)
                .unwrap_or_else(|| panic!("no gradient for the {what}"));
            assert!(
                g.abs().max().into_scalar() > 0.0,
                "zero gradient for the {what}"
            );
            let before = model
                .ema
                .as_ref()
                .unwrap()
                .generator
                .embedding
                .val()
                .into_data();
            let g_before = model.generator.embedding.val().into_data();
            let out = burn_gan::train::train_step(&model, batch(phase, 8, &device));
            model = optim.step(1.0, model, out.grads);
            let after = model
                .ema
                .as_ref()
                .unwrap()
                .generator
                .embedding
                .val()
                .into_data();
            let g_after = model.generator.embedding.val().into_data();
            if phase == Phase::GENERATOR {
                assert_ne!(
                    g_before, g_after,
                    "the generator's class embedding did not move"
                );
                // First update: decay 0.1, so the average moves 90% of the way to the weights.
                let (a, b, g) = (
                    before.to_vec::<f32>().unwrap(),
                    after.to_vec::<f32>().unwrap(),
                    g_after.to_vec::<f32>().unwrap(),
                );
                for i in 0..a.len() {
                    assert!((b[i] - (0.1 * a[i] + 0.9 * g[i])).abs() < 1e-5);
                }
            } else {
                assert_eq!(
                    before, after,
                    "a discriminator update moved the generator's average"
                );
            }
        }
        // Sampling uses the average, which differs from the trained generator.
        let valid = model.valid();
        let z = Tensor::<TB, 2>::zeros([2, 100], &device);
        let a = valid.sample(Condition::noise(z.clone())).into_data();
        let b = valid.generate(z).into_data();
        assert_ne!(a, b);
    }

    #[test]
    #[should_panic = "at least 2 classes"]
    fn one_class_is_refused() {
        ConditionalConfig::new(Conditioning::Cgan, 1, 1, 28).init::<TB>(&Default::default());
    }

    /// InfoGAN trains without labels: its codes come from the phase seed, the continuous ones
    /// replace the end of `z`, Q's heads get gradients in both phases, and the information
    /// loss is reported.
    #[test]
    fn infogan_recovers_its_codes_without_labels() {
        let device = Default::default();
        let gan = ConditionalConfig::infogan(1, 28).init::<AB>(&device);
        assert_eq!(gan.latent_dim(), 64);
        assert_eq!(gan.continuous_codes(), 2);
        assert!(!gan.supervised_classes());
        for phase in [Phase::DISCRIMINATOR, Phase::GENERATOR] {
            let mut b = batch(phase, 8, &device);
            b.labels = None;
            b.z = Tensor::random(
                [8, 64],
                burn::tensor::Distribution::Normal(0.0, 1.0),
                &device,
            );
            let (_, z) = gan.codes_of(&b);
            let codes = z
                .clone()
                .slice([0..8, 62..64])
                .into_data()
                .to_vec::<f32>()
                .unwrap();
            assert!(codes.iter().all(|c| (-1.0..1.0).contains(c)), "{codes:?}");
            let noise = (z.slice([0..8, 0..62]) - b.z.clone().slice([0..8, 0..62]))
                .abs()
                .max();
            assert_eq!(noise.into_scalar(), 0.0);
            let out = burn_gan::train::train_step(&gan, b);
            let stats = out.item.stats();
            assert!(stats.first_non_finite().is_none());
            let names: Vec<_> = stats.extra.iter().map(|(k, _)| *k).collect();
            for name in ["info_loss", "info_cat_acc", "info_cont_nll"] {
                assert!(names.contains(&name), "{name} missing in {names:?}");
            }
            let mut grads = out.grads;
            let id = match phase {
                Phase::DISCRIMINATOR => gan.discriminator.continuous.as_ref().unwrap().weight.id,
                _ => gan.generator.project.weight.id,
            };
            let g = grads.remove::<TB, 2>(id).expect("a gradient");
            assert!(g.abs().max().into_scalar() > 0.0);
        }
    }
}
