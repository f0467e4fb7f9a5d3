//! DCGAN: deep convolutional GANs.
//!
//! Radford, Metz and Chintala 2015, "Unsupervised Representation Learning with Deep
//! Convolutional Generative Adversarial Networks", arXiv:1511.06434. Following the paper's
//! guidelines (section 3): strided convolutions in the discriminator and fractionally strided
//! (transposed) convolutions in the generator, no pooling, batch norm in both networks except the
//! generator's output and the discriminator's input layer, ReLU in the generator with a `tanh`
//! output, LeakyReLU(0.2) in the discriminator, weights from `N(0, 0.02)`, Adam(2e-4, beta1 0.5).
//!
//! The generator starts with a linear projection of `z` to `C x s x s` feature maps (the paper's
//! "project and reshape"), then doubles the resolution with each `4x4`, stride-2 transposed
//! convolution. The discriminator mirrors it and ends with a linear layer to one logit.

use burn::module::{Module, Param, ParamId};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{LeakyRelu, LeakyReluConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{relu, tanh};
use burn::tensor::backend::AutodiffBackend;
use burn_gan::loss::{GeneratorLoss, LossFamily};
use burn_gan::nn::{
    sn_conv2d, sn_linear, BatchNorm, BatchNormConfig, LayerNorm2d, LayerNorm2dConfig,
    MinibatchDiscrimination, MinibatchDiscriminationConfig, PowerIteration, VirtualBatchNorm,
    VirtualBatchNormConfig,
};
use burn_gan::train::ema::Average;
use burn_gan::train::history::History;
use burn_gan::train::{
    gan_phase_loss, network_params_of, Adversarial, Condition, DiscriminatorFeatures, GanBatch,
    GanOutput, HistoricalAverage, InputGradients, NetworkId, Objective, Penalty,
};

use crate::blocks::{discriminator_widths, DcganLayers};

mod family;
#[cfg(test)]
mod tests;

pub(crate) use family::check_networks;
pub use family::{dcgan_for_images, DcganFamily};

/// Configuration of a DCGAN.
#[derive(Config, Debug, PartialEq)]
pub struct DcganConfig {
    /// Noise dimension.
    #[config(default = 100)]
    pub latent_dim: usize,
    /// Image channels (1 gray, 3 RGB).
    pub channels: usize,
    /// Image side in pixels (28, 32, 64, or any `s * 2^k` with `s <= 7`).
    pub image_size: usize,
    /// Channels of the generator's last hidden layer and the discriminator's first; they double
    /// at each resolution halving.
    #[config(default = 64)]
    pub base_channels: usize,
    /// The generator's loss.
    #[config(default = "GeneratorLoss::NonSaturating")]
    pub generator_loss: GeneratorLoss,
    /// Target of real samples for the discriminator (below 1 for one-sided label smoothing).
    #[config(default = 1.0)]
    pub real_target: f32,
    /// The adversarial loss family (standard, least squares, hinge, Wasserstein).
    #[config(default = "LossFamily::Standard")]
    pub loss: LossFamily,
    /// The normalisation of the discriminator's hidden layers.
    #[config(default = "CriticNorm::Batch")]
    pub critic_norm: CriticNorm,
    /// WGAN-GP's gradient-penalty weight lambda (0: none).
    #[config(default = 0.0)]
    pub gradient_penalty: f64,
    /// R1's penalty weight gamma (0: none).
    #[config(default = 0.0)]
    pub r1_gamma: f64,
    /// WGAN's weight clipping bound c (0: none).
    #[config(default = 0.0)]
    pub weight_clip: f64,
    /// Spectral normalisation (Miyato et al. 2018) of every critic layer.
    #[config(default = false)]
    pub spectral_norm: bool,
    /// BigGAN's orthogonal initialisation (Brock et al. 2019): every weight of both networks an
    /// orthogonal matrix (viewed as `[dim 0, rest]`), biases zero; off: DCGAN's N(0, 0.02).
    #[config(default = false)]
    pub orthogonal_init: bool,
    /// Decay of the moving average of the generator's weights used for sampling and evaluation
    /// (0: none; e.g. 0.999), see [`burn_gan::train::ema`].
    #[config(default = 0.0)]
    pub ema: f64,
    /// Minibatch discrimination (Salimans et al. 2016) on the flattened features before the
    /// head: the number of kernels B (0: none).
    #[config(default = 0)]
    pub minibatch_kernels: usize,
    /// Minibatch discrimination: the dimension C of each kernel.
    #[config(default = 5)]
    pub minibatch_kernel_dim: usize,
    /// Feature matching (Salimans et al. 2016): the generator matches the mean of the
    /// discriminator's flattened last convolutional features.
    #[config(default = false)]
    pub feature_matching: bool,
    /// Historical averaging's weight lambda (Salimans et al. 2016): both networks are pulled
    /// towards the running mean of their past parameters (0: off).
    #[config(default = 0.0)]
    pub historical_averaging: f64,
    /// Virtual batch norm (Salimans et al. 2016) in the generator with a fixed reference batch
    /// of this many noise vectors (0: ordinary batch norm).
    #[config(default = 0)]
    pub virtual_batch_norm: usize,
}

/// The normalisation layer of a DCGAN discriminator's hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CriticNorm {
    /// Batch norm, as in DCGAN and WGAN.
    #[default]
    Batch,
    /// Per-sample layer norm, as in WGAN-GP's critic.
    Layer,
    /// None.
    None,
}

impl DcganConfig {
    /// `dcgan28`, the reference network of our benchmarks, for 28x28 gray images (MNIST,
    /// Fashion-MNIST). G: z(100) -> Linear(100, 128*7*7) -> BN -> ReLU -> [128, 7, 7] ->
    /// ConvT(128, 64, k4, s2, p1) -> BN -> ReLU -> ConvT(64, 1, k4, s2, p1) -> tanh.
    /// D: Conv(1, 64, k4, s2, p1) -> LReLU(0.2) -> Conv(64, 128, k4, s2, p1) -> BN -> LReLU(0.2)
    /// -> flatten -> Linear(128*7*7, 1).
    // ANCHOR: dcgan28
    pub fn dcgan28() -> Self {
        Self::new(1, 28)
    }
    // ANCHOR_END: dcgan28

    /// 32x32 RGB (CIFAR-10 sized): projection to 256x4x4, three upsamplings.
    pub fn dcgan32() -> Self {
        Self::new(3, 32)
    }

    /// 64x64 RGB, the paper's LSUN/faces network: projection to 512x4x4, four upsamplings.
    pub fn dcgan64() -> Self {
        Self::new(3, 64)
    }

    /// Checks combinations that cannot train as intended: a penalty on per-sample input gradients
    /// through batch norm, weight clipping together with a penalty, negative weights.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("gradient_penalty", self.gradient_penalty),
            ("r1_gamma", self.r1_gamma),
            ("weight_clip", self.weight_clip),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        if !(self.historical_averaging >= 0.0 && self.historical_averaging.is_finite()) {
            return Err(format!(
                "historical_averaging must be a finite number >= 0, got {}",
                self.historical_averaging
            ));
        }
        if !(0.0..1.0).contains(&self.ema) {
            return Err(format!(
                "the generator average's decay must be in [0, 1) (e.g. 0.999), got {}",
                self.ema
            ));
        }
        if self.minibatch_kernels > 0 && (self.gradient_penalty > 0.0 || self.r1_gamma > 0.0) {
            return Err("a gradient penalty needs per-sample critic scores, which minibatch discrimination couples; use one".into());
        }
        if self.gradient_penalty > 0.0 && self.r1_gamma > 0.0 {
            return Err(
                "choose one gradient penalty: WGAN-GP's (gradient_penalty) or R1 (r1_gamma)".into(),
            );
        }
        self.objective()
            .validate(self.critic_norm == CriticNorm::Batch, self.spectral_norm)
    }

    /// The objective this configuration trains with.
    pub fn objective(&self) -> Objective {
        Objective {
            generator_loss: self.generator_loss,
            real_target: self.real_target,
            loss: self.loss,
            penalty: if self.gradient_penalty > 0.0 {
                Some(Penalty::Gradient {
                    lambda: self.gradient_penalty,
                })
            } else if self.r1_gamma > 0.0 {
                Some(Penalty::R1 {
                    gamma: self.r1_gamma,
                })
            } else {
                None
            },
            weight_clip: (self.weight_clip > 0.0).then_some(self.weight_clip as f32),
            feature_matching: self.feature_matching,
            historical_averaging: (self.historical_averaging > 0.0)
                .then_some(self.historical_averaging),
        }
    }

    /// The number of stride-2 layers and the side of the smallest feature map.
    pub fn levels(&self) -> (usize, usize) {
        let (mut side, mut levels) = (self.image_size, 0);
        while side > 7 && side % 2 == 0 {
            side /= 2;
            levels += 1;
        }
        (levels, side)
    }

    /// Builds the DCGAN.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Dcgan<B> {
        let (levels, side) = self.levels();
        assert!(
            levels >= 1 && side >= 3,
            "A DCGAN image size must be s * 2^k with 3 <= s <= 7 and k >= 1 (e.g. 28, 32, 64), got {}.",
            self.image_size
        );
        assert!(
            self.channels == 1 || self.channels == 3,
            "A DCGAN generates 1 or 3 channels, got {}.",
            self.channels
        );
        if let Err(e) = self.validate() {
            panic!("Invalid DCGAN configuration: {e}.");
        }
        let top = self.base_channels << (levels - 1);
        // Orthogonal initialisation draws the weights separately and zeroes the biases.
        let layers = DcganLayers::<B>::new(device, self.orthogonal_init);
        let (conv_t, conv, linear) = (
            |i, o| layers.conv_t(i, o),
            |i, o| layers.conv(i, o),
            |i, o| layers.linear(i, o),
        );
        // Generator: top -> top/2 -> ... -> base -> channels.
        let widths: Vec<usize> = (0..levels).map(|l| top >> l).collect();
        let mut g_convs = Vec::new();
        let mut g_norms = Vec::new();
        for l in 0..levels {
            let out = if l + 1 == levels {
                self.channels
            } else {
                widths[l + 1]
            };
            g_convs.push(conv_t(widths[l], out));
            if l + 1 < levels && self.virtual_batch_norm == 0 {
                g_norms.push(BatchNormConfig::new(out).init(device));
            }
        }
        // Discriminator: channels -> base -> ... -> top.
        let mut d_convs = Vec::new();
        let mut d_norms = Vec::new();
        let mut d_layer_norms = Vec::new();
        let mut d_convs_shapes = Vec::new();
        for (l, (input, out)) in discriminator_widths(self.channels, self.base_channels, levels)
            .into_iter()
            .enumerate()
        {
            d_convs.push(conv(input, out));
            d_convs_shapes.push((out, input * 16));
            if l > 0 {
                match self.critic_norm {
                    CriticNorm::Batch => d_norms.push(BatchNormConfig::new(out).init(device)),
                    CriticNorm::Layer => {
                        d_layer_norms.push(LayerNorm2dConfig::new(out).init(device))
                    }
                    CriticNorm::None => {}
                }
            }
        }
        let generator = Generator {
            project: linear(self.latent_dim, top * side * side),
            project_norm: BatchNormConfig::new(top * side * side).init(device),
            convs: g_convs,
            norms: g_norms,
            virtual_norms: (self.virtual_batch_norm > 0).then(|| VirtualNorms {
                project: VirtualBatchNormConfig::new(top * side * side).init(device),
                norms: widths[1..]
                    .iter()
                    .map(|&c| VirtualBatchNormConfig::new(c).init(device))
                    .collect(),
                // Fixed for the whole run and saved with the model; never trained.
                reference: Param::initialized(
                    ParamId::new(),
                    Tensor::random(
                        [self.virtual_batch_norm, self.latent_dim],
                        burn::tensor::Distribution::Normal(0.0, 1.0),
                        device,
                    )
                    .set_require_grad(false),
                ),
            }),
            top,
            side,
        };
        let discriminator = Discriminator {
            convs: d_convs,
            norms: d_norms,
            layer_norms: (!d_layer_norms.is_empty()).then_some(d_layer_norms),
            spectral: self.spectral_norm.then(|| {
                let mut states: Vec<PowerIteration<B>> = d_convs_shapes
                    .iter()
                    .map(|&(rows, cols)| PowerIteration::new(rows, cols, device))
                    .collect();
                states.push(PowerIteration::new(
                    1,
                    top * side * side + self.minibatch_kernels,
                    device,
                ));
                states
            }),
            activation: LeakyReluConfig::new().with_negative_slope(0.2).init(),
            minibatch: (self.minibatch_kernels > 0).then(|| {
                MinibatchDiscriminationConfig::new(top * side * side, self.minibatch_kernels)
                    .with_kernel_dim(self.minibatch_kernel_dim)
                    .init(device)
            }),
            head: linear(top * side * side + self.minibatch_kernels, 1),
        };
        Dcgan {
            ema: (self.ema > 0.0).then(|| Average::new(&generator, device)),
            history: (self.historical_averaging > 0.0)
                .then(|| History::new(&generator, &discriminator, device)),
            ema_decay: self.ema,
            generator,
            discriminator,
            objective: self.objective(),
        }
    }
}

/// The DCGAN generator.
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    project: Linear<B>,
    /// Batch norm of the projection (unused with virtual batch norm).
    project_norm: BatchNorm<B>,
    convs: Vec<ConvTranspose2d<B>>,
    norms: Vec<BatchNorm<B>>,
    /// Virtual batch norm instead of `project_norm` and `norms` (absent from older records).
    virtual_norms: Option<VirtualNorms<B>>,
    top: usize,
    side: usize,
}

// ANCHOR: dcgan_generator
impl<B: Backend> Generator<B> {
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, channels, image_size, image_size]` in `[-1, 1]`
    pub fn forward(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        if let Some(v) = &self.virtual_norms {
            return self.forward_virtual(v, z);
        }
        let n = z.dims()[0];
        let x = relu(self.project_norm.forward(self.project.forward(z))); // [n, top * s * s]
        let mut x = x.reshape([n, self.top, self.side, self.side]);
        for (l, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x); // resolution doubles
            x = match self.norms.get(l) {
                Some(norm) => relu(norm.forward(x)),
                None => tanh(x),
            };
        }
        x
    }
}
// ANCHOR_END: dcgan_generator

impl<B: Backend> Generator<B> {
    /// The width of the noise input.
    pub fn latent_dim(&self) -> usize {
        self.project.weight.dims()[0]
    }

    #[cfg(test)]
    pub(crate) fn project_weight_id(&self) -> ParamId {
        self.project.weight.id
    }

    #[cfg(test)]
    pub(crate) fn latent_weight(&self) -> burn::tensor::TensorData {
        self.project.weight.val().into_data()
    }

    /// The forward pass with virtual batch norm: the reference noise runs in front of `z`, every
    /// normalisation takes its statistics from it, and its rows are dropped at the end.
    // ANCHOR: forward_virtual
    fn forward_virtual(&self, v: &VirtualNorms<B>, z: Tensor<B, 2>) -> Tensor<B, 4> {
        let (n, r) = (z.dims()[0], v.reference.dims()[0]);
        let z = Tensor::cat(vec![v.reference.val(), z], 0); // [r + n, latent]
        let x = relu(v.project.forward(self.project.forward(z), r));
        let mut x = x.reshape([r + n, self.top, self.side, self.side]);
        let last = self.convs.len() - 1;
        for (l, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x);
            x = if l < last {
                relu(v.norms[l].forward(x, r))
            } else {
                tanh(x)
            };
        }
        x.slice([r..r + n])
    }
    // ANCHOR_END: forward_virtual
}

/// Virtual batch norms of a DCGAN generator and their reference batch.
#[derive(Module, Debug)]
pub struct VirtualNorms<B: Backend> {
    project: VirtualBatchNorm<B>,
    norms: Vec<VirtualBatchNorm<B>>,
    /// `[R, latent_dim]`: the reference noise.
    reference: Param<Tensor<B, 2>>,
}

/// The DCGAN discriminator.
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    convs: Vec<Conv2d<B>>,
    norms: Vec<BatchNorm<B>>,
    /// Layer norms of a WGAN-GP critic (absent from DCGAN records).
    layer_norms: Option<Vec<LayerNorm2d<B>>>,
    /// Power-iteration states of a spectrally normalised critic: one per convolution, then the
    /// head's (absent from DCGAN records).
    spectral: Option<Vec<PowerIteration<B>>>,
    activation: LeakyRelu,
    /// Minibatch discrimination before the head (absent from older records).
    minibatch: Option<MinibatchDiscrimination<B>>,
    head: Linear<B>,
}

impl<B: Backend> Discriminator<B> {
    /// # Shapes
    /// - `x`: `[n, channels, image_size, image_size]`
    /// - output: logits `[n, 1]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.features(x);
        let x = match &self.minibatch {
            Some(layer) => layer.forward(x),
            None => x,
        };
        // Plain tensor operations, differentiable twice (gradient penalties).
        match &self.spectral {
            Some(states) => sn_linear(&self.head, &states[self.convs.len()], x),
            None => burn_gan::nn::linear(&self.head, x),
        }
    }

    /// The flattened output of the last convolution (what feature matching compares).
    ///
    /// # Shapes
    /// - `x`: `[n, channels, image_size, image_size]`
    /// - output: `[n, top * s * s]`
    pub fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.layer_features(x, self.convs.len())
    }

    /// The number of convolutional layers.
    pub fn depth(&self) -> usize {
        self.convs.len()
    }

    /// The flattened output of convolutional layer `layer` (1-based, after its normalisation
    /// and activation): `Dis_l` of VAE/GAN's learned similarity (Larsen et al. 2016).
    ///
    /// # Shapes
    /// - `x`: `[n, channels, image_size, image_size]`
    /// - output: `[n, features of layer l]`
    pub fn layer_features(&self, x: Tensor<B, 4>, layer: usize) -> Tensor<B, 2> {
        let mut x = x;
        for (l, conv) in self.convs.iter().enumerate().take(layer) {
            x = match &self.spectral {
                Some(states) => sn_conv2d(conv, &states[l], x),
                None => conv.forward(x),
            }; // resolution halves
            if l > 0 {
                if let Some(norm) = self.norms.get(l - 1) {
                    x = norm.forward(x);
                } else if let Some(norms) = &self.layer_norms {
                    x = norms[l - 1].forward(x);
                }
            }
            x = burn_gan::nn::leaky_relu(x, self.activation.negative_slope);
        }
        x.flatten(1, 3)
    }
}

/// Generator and discriminator of a DCGAN.
#[derive(Module, Debug)]
pub struct Dcgan<B: Backend> {
    /// The generator.
    pub generator: Generator<B>,
    /// The discriminator.
    pub discriminator: Discriminator<B>,
    /// The moving average of the generator's weights, when configured (absent from older
    /// records).
    ema: Option<Average<B, Generator<B>>>,
    /// Historical averages of both networks, when configured (absent from older records).
    history: Option<History<B, Generator<B>, Discriminator<B>>>,
    #[module(skip)]
    ema_decay: f64,
    #[module(skip)]
    objective: Objective,
}

impl<B: Backend> Dcgan<B> {}

impl<B: Backend> crate::GeneratorAverage for Dcgan<B> {
    fn without_average(mut self) -> Option<Self> {
        self.ema.take().map(|_| self)
    }
}

impl<B: Backend> Adversarial<B> for Dcgan<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        network_params_of(&self.generator, &self.discriminator, network)
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        gan_phase_loss(self, batch)
    }

    fn latent_dim(&self) -> usize {
        self.generator.project.weight.dims()[0]
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        match &self.ema {
            Some(average) => average.generator.forward(condition.z),
            None => self.generator.forward(condition.z),
        }
    }

    fn after_update(mut self, network: NetworkId) -> Self {
        if let Some(h) = self.history.take() {
            self.history = Some(h.update(network, &self.generator, &self.discriminator));
        }
        if network != NetworkId::GENERATOR {
            return self;
        }
        if let Some(average) = self.ema.take() {
            self.ema = Some(average.advance(&self.generator, self.ema_decay));
        }
        self
    }

    fn objective(&self) -> Objective {
        self.objective
    }

    fn discriminator_features(&self) -> Option<&dyn DiscriminatorFeatures<B>> {
        Some(self)
    }

    fn input_gradients(&self) -> Option<&dyn InputGradients<B>>
    where
        B: AutodiffBackend,
    {
        Some(self)
    }

    fn history(&self) -> Option<&dyn HistoricalAverage<B>> {
        self.history
            .as_ref()
            .map(|_| self as &dyn HistoricalAverage<B>)
    }
}

crate::impl_gan_capabilities!(Dcgan, Discriminator);
burn_gan::impl_train_steps!(Dcgan);
