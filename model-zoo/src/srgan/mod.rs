//! SRGAN (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
//! Adversarial Network", arXiv:1609.04802), at small scale:
//!
//! - **SRResNet**, the generator: a 9x9 convolution and PReLU, `blocks` residual blocks
//!   (3x3 convolution, batch norm, PReLU, 3x3 convolution, batch norm, plus the block's input), a
//!   3x3 convolution and batch norm added to the first layer's maps, one sub-pixel up-sampling
//!   (3x3 convolution to four times the maps, pixel shuffle, PReLU) per factor of 2, and a 9x9
//!   convolution to the image;
//! - a VGG-style discriminator: 3x3 convolutions alternating stride 1 and 2 as the features
//!   double, batch norm, LeakyReLU 0.2, then two dense layers;
//! - the generator first trains alone on the pixel MSE (SRResNet-MSE, section 3.2), for
//!   `pretrain_steps` steps; then the perceptual loss `l_X + 1e-3 l_Gen`, whose content term
//!   `l_X` compares feature maps of a fixed network: VGG19's in the paper, here the domain
//!   classifier's last convolution (no VGG weights can be downloaded; the classifier's weights
//!   ship with burn-gan), or the pixels themselves (`content = "pixels"`: SRGAN-MSE).
//!
//! The phase table is a function of the step, as the contract allows: the generator alone until
//! `pretrain_steps`, then the discriminator and the generator. The `srresnet` preset has no
//! discriminator: the MSE-trained baseline the paper compares with.
//!
//! Deliberately different at our scale: 32 feature maps and 4 residual blocks (64 and 16 in the
//! paper), and the discriminator averages its last maps over the image before the dense layers
//! (the paper flattens the 6x6 maps of its 96x96 crops), so it takes images of any size.

use burn::module::{Module, ParamId};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PRelu, PReluConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, tanh};
use burn_gan::loss::{discriminator_loss, softplus};
use burn_gan::metrics::classifier::{Classifier, DomainClassifier};
use burn_gan::nn::{leaky_relu, BatchNorm, BatchNormConfig};
use burn_gan::restore::{DegradationConfig, Task};
use burn_gan::train::{Adversarial, Condition, GanBatch, GanOutput, NetworkId, Phase, StepInfo};

mod family;
#[cfg(test)]
mod tests;

pub use family::SrganFamily;

// ANCHOR: config
/// Configuration of [`Srgan`].
#[derive(Config, Debug, PartialEq)]
pub struct SrganConfig {
    /// Channels of the high-resolution images (1 gray, 3 RGB).
    pub channels: usize,
    /// The up-sampling task: `sr4` (the paper's x4) or `sr2`.
    #[config(default = "Task::Sr4")]
    pub task: Task,
    /// How the low-resolution inputs are made from the data (bicubic down-sampling).
    #[config(default = "DegradationConfig::new()")]
    pub degradation: DegradationConfig,
    /// Feature maps of the generator and of the discriminator's first layers.
    #[config(default = 32)]
    pub features: usize,
    /// Residual blocks of the generator.
    #[config(default = 4)]
    pub blocks: usize,
    /// Steps the generator trains on the pixel MSE alone before the adversarial training.
    #[config(default = 1000)]
    pub pretrain_steps: usize,
    /// The network whose feature maps the content loss compares: `fashion` or `mnist` (the
    /// domain classifiers, for 28x28 gray images), or `pixels` (SRGAN-MSE).
    #[config(default = "\"fashion\".to_string()")]
    pub content: String,
    /// Weight of the content loss.
    #[config(default = 1.0)]
    pub content_weight: f64,
    /// Weight of the adversarial loss (the paper's 1e-3; 0: SRResNet, without a
    /// discriminator).
    #[config(default = 1e-3)]
    pub adversarial_weight: f64,
}
// ANCHOR_END: config

impl SrganConfig {
    /// SRResNet: the same generator trained on the pixel MSE alone.
    pub fn srresnet(channels: usize) -> Self {
        Self::new(channels).with_adversarial_weight(0.0)
    }

    /// Whether the model has a discriminator.
    pub fn adversarial(&self) -> bool {
        self.adversarial_weight > 0.0
    }

    /// The domain classifier of the content loss, if any.
    fn content_network(&self) -> Result<Option<DomainClassifier>, String> {
        match self.content.as_str() {
            "pixels" => Ok(None),
            name => DomainClassifier::from_name(name).map(Some).ok_or_else(|| {
                format!("content `{name}`: use fashion or mnist (a domain classifier's feature maps) or pixels")
            }),
        }
    }

    /// Checks settings that cannot train: one line naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels != 1 && self.channels != 3 {
            return Err(format!(
                "channels {}: srgan up-samples gray (1) or RGB (3) images",
                self.channels
            ));
        }
        if !matches!(self.task, Task::Sr2 | Task::Sr4) {
            return Err(format!(
                "task {}: srgan does super-resolution; use --task sr2 or sr4",
                self.task
            ));
        }
        if self.features == 0 {
            return Err("features 0: use at least 1".into());
        }
        for (name, w) in [
            ("content_weight", self.content_weight),
            ("adversarial_weight", self.adversarial_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "{name} {w}: a loss weight must be a finite number >= 0 (defaults 1 and 0.001)"
                ));
            }
        }
        let content = self.content_network()?;
        if self.adversarial() && content.is_some() && self.channels != 1 {
            return Err(format!(
                "content `{}`: the domain classifiers take gray images; use --set content=pixels for RGB",
                self.content
            ));
        }
        Ok(())
    }

    /// The generator's receptive field in output pixels, rounded up: in input pixels, the 9x9
    /// head (radius 4), two 3x3 convolutions per block and the body's (radius 1 each), and a
    /// 3x3 convolution per up-sampling (at most 1); in output pixels, the 9x9 tail (radius 4).
    pub fn receptive_field(&self) -> usize {
        let f = self.task.factor();
        let input_radius = 4 + 2 * self.blocks + 1 + f.trailing_zeros() as usize;
        2 * (input_radius * f + 4) + 1
    }

    /// Checks that `shape` suits the task (and the content network's 28x28 input).
    pub fn check_shape(&self, shape: [usize; 3]) -> Result<(), String> {
        self.degradation
            .check(self.task, shape)
            .map_err(|e| e.to_string())?;
        let [_, h, w] = shape;
        // The classifier sees the centre 28x28: all of a 28x28 image, or one padded to 32.
        let fits = |side: usize| (28..=32).contains(&side);
        if self.adversarial() && self.content != "pixels" && !(fits(h) && fits(w)) {
            return Err(format!(
                "content `{}` compares the classifier's maps of 28x28 images (or padded to 32), but the images are {h}x{w}; use --set content=pixels",
                self.content
            ));
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses (the command line checks first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Srgan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid srgan configuration: {e}.");
        }
        let content = match self.adversarial() {
            true => self
                .content_network()
                .expect("validated")
                .map(|c| c.load::<B>(device).no_grad()),
            false => None,
        };
        Srgan {
            generator: SrResnet::new(self, device),
            discriminator: self
                .adversarial()
                .then(|| SrDiscriminator::new(self.channels, self.features, device)),
            content,
            pretrain_steps: self.pretrain_steps,
            content_weight: self.content_weight,
            adversarial_weight: self.adversarial_weight,
        }
    }
}

fn conv<B: Backend>(
    from: usize,
    to: usize,
    kernel: usize,
    stride: usize,
    device: &B::Device,
) -> Conv2d<B> {
    let p = kernel / 2;
    Conv2dConfig::new([from, to], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .init(device)
}

/// Rearranges `[n, c * r², h, w]` into `[n, c, h * r, w * r]` (Shi et al. 2016's sub-pixel
/// convolution; burn 0.21 has no pixel-shuffle operation, so it is a reshape and a permutation).
pub fn pixel_shuffle<B: Backend>(x: Tensor<B, 4>, r: usize) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let c = c / (r * r);
    x.reshape([n, c, r, r, h, w])
        .permute([0, 1, 4, 2, 5, 3])
        .reshape([n, c, h * r, w * r])
}

/// A residual block of SRResNet.
#[derive(Module, Debug)]
pub struct SrBlock<B: Backend> {
    first: Conv2d<B>,
    first_norm: BatchNorm<B>,
    act: PRelu<B>,
    second: Conv2d<B>,
    second_norm: BatchNorm<B>,
}

/// A sub-pixel up-sampling layer: a convolution to four times the maps, pixel shuffle, PReLU.
#[derive(Module, Debug)]
pub struct Upsample<B: Backend> {
    conv: Conv2d<B>,
    act: PRelu<B>,
}

/// SRResNet, SRGAN's generator.
#[derive(Module, Debug)]
pub struct SrResnet<B: Backend> {
    head: Conv2d<B>,
    head_act: PRelu<B>,
    blocks: Vec<SrBlock<B>>,
    body: Conv2d<B>,
    body_norm: BatchNorm<B>,
    up: Vec<Upsample<B>>,
    tail: Conv2d<B>,
}

impl<B: Backend> SrResnet<B> {
    fn new(config: &SrganConfig, device: &B::Device) -> Self {
        let (c, f) = (config.channels, config.features);
        let norm = || BatchNormConfig::new(f).init(device);
        let prelu = || PReluConfig::new().init(device);
        let ups = config.task.factor().trailing_zeros() as usize;
        Self {
            head: conv(c, f, 9, 1, device),
            head_act: prelu(),
            blocks: (0..config.blocks)
                .map(|_| SrBlock {
                    first: conv(f, f, 3, 1, device),
                    first_norm: norm(),
                    act: prelu(),
                    second: conv(f, f, 3, 1, device),
                    second_norm: norm(),
                })
                .collect(),
            body: conv(f, f, 3, 1, device),
            body_norm: norm(),
            up: (0..ups)
                .map(|_| Upsample {
                    conv: conv(f, 4 * f, 3, 1, device),
                    act: prelu(),
                })
                .collect(),
            tail: conv(f, c, 9, 1, device),
        }
    }

    // ANCHOR: generator
    /// The up-sampled image.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]` in `[-1, 1]`
    /// - output: `[n, c, h * factor, w * factor]` in `[-1, 1]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let first = self.head_act.forward(self.head.forward(x));
        let mut y = first.clone();
        for b in &self.blocks {
            let r = b
                .act
                .forward(b.first_norm.forward(b.first.forward(y.clone())));
            y = y + b.second_norm.forward(b.second.forward(r));
        }
        y = self.body_norm.forward(self.body.forward(y)) + first;
        for u in &self.up {
            y = u.act.forward(pixel_shuffle(u.conv.forward(y), 2));
        }
        tanh(self.tail.forward(y))
    }
    // ANCHOR_END: generator
}

/// SRGAN's discriminator.
#[derive(Module, Debug)]
pub struct SrDiscriminator<B: Backend> {
    convs: Vec<Conv2d<B>>,
    /// Batch norms of every convolution but the first.
    norms: Vec<BatchNorm<B>>,
    dense: Linear<B>,
    logit: Linear<B>,
}

impl<B: Backend> SrDiscriminator<B> {
    fn new(channels: usize, features: usize, device: &B::Device) -> Self {
        let f = features;
        // (from, to, stride): features double at each stride-1 layer, the size halves at each
        // stride-2 one.
        let layers = [
            (channels, f, 1),
            (f, f, 2),
            (f, 2 * f, 1),
            (2 * f, 2 * f, 2),
            (2 * f, 4 * f, 1),
            (4 * f, 4 * f, 2),
        ];
        Self {
            convs: layers
                .iter()
                .map(|&(i, o, s)| conv(i, o, 3, s, device))
                .collect(),
            norms: layers[1..]
                .iter()
                .map(|&(_, o, _)| BatchNormConfig::new(o).init(device))
                .collect(),
            dense: LinearConfig::new(4 * f, 8 * f).init(device),
            logit: LinearConfig::new(8 * f, 1).init(device),
        }
    }

    /// One logit per image.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, 1]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let mut y = leaky_relu(self.convs[0].forward(x), 0.2);
        for (conv, norm) in self.convs[1..].iter().zip(&self.norms) {
            y = leaky_relu(norm.forward(conv.forward(y)), 0.2);
        }
        let [n, c, _, _] = y.dims();
        let pooled = y.mean_dim(3).mean_dim(2).reshape([n, c]);
        self.logit
            .forward(leaky_relu(self.dense.forward(pooled), 0.2))
    }
}

/// SRGAN: the generator, the discriminator (none for SRResNet) and the fixed content network.
#[derive(Module, Debug)]
pub struct Srgan<B: Backend> {
    /// SRResNet.
    pub generator: SrResnet<B>,
    /// The discriminator; `None` for SRResNet.
    pub discriminator: Option<SrDiscriminator<B>>,
    /// The domain classifier whose maps the content loss compares (fixed: no optimizer owns it).
    pub content: Option<Classifier<B>>,
    #[module(skip)]
    pretrain_steps: usize,
    #[module(skip)]
    content_weight: f64,
    #[module(skip)]
    adversarial_weight: f64,
}

impl<B: Backend> Srgan<B> {
    /// Whether step `step` is in the MSE pre-training (always, for SRResNet).
    pub fn pretraining(&self, step: usize) -> bool {
        self.discriminator.is_none() || step < self.pretrain_steps
    }

    // ANCHOR: content_loss
    /// The content loss `l_X`: the mean squared difference of the content network's maps of
    /// the up-sampled and the true images (of the pixels, without a content network).
    pub fn content_loss(&self, fake: Tensor<B, 4>, real: Tensor<B, 4>) -> Tensor<B, 1> {
        match &self.content {
            Some(net) => {
                let maps = |x: Tensor<B, 4>| {
                    let [n, _, h, w] = x.dims();
                    let (top, left) = ((h - 28) / 2, (w - 28) / 2);
                    let x = x.slice([0..n, 0..1, top..top + 28, left..left + 28]);
                    net.conv_features(x.add_scalar(1.0).mul_scalar(127.5))
                };
                (maps(fake) - maps(real).detach()).square().mean()
            }
            None => (fake - real).square().mean(),
        }
    }
    // ANCHOR_END: content_loss
}

impl<B: Backend> Adversarial<B> for Srgan<B> {
    fn networks(&self) -> Vec<NetworkId> {
        match self.discriminator {
            Some(_) => vec![NetworkId::GENERATOR, NetworkId::DISCRIMINATOR],
            None => vec![NetworkId::GENERATOR],
        }
    }

    /// The generator's, and the discriminator's when there is one (`Option` is a module).
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        burn_gan::train::network_params_of(&self.generator, &self.discriminator, network)
    }

    // ANCHOR: phases
    /// The generator alone on the pixel MSE until `pretrain_steps` (always, for SRResNet);
    /// then `d_steps` discriminator phases and the generator.
    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        match self.pretraining(step.step) {
            true => vec![Phase::GENERATOR.fresh()],
            false => Phase::alternating(step.d_steps),
        }
    }
    // ANCHOR_END: phases

    // ANCHOR: phase_loss
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let real = batch.real.clone();
        let mut out = GanOutput::new(Some(batch.phase), real.dims()[0]);
        let input = batch
            .input
            .clone()
            .expect("srgan trains on (low-resolution, image) pairs");
        let fake = self.generator.forward(input);
        if let (NetworkId::DISCRIMINATOR, Some(d)) = (batch.phase.network, &self.discriminator) {
            let (d_real, d_fake) = (d.forward(real), d.forward(fake.detach()));
            out.d_real = Some(sigmoid(d_real.clone().detach()).mean());
            out.d_fake = Some(sigmoid(d_fake.clone().detach()).mean());
            let loss = discriminator_loss(d_real, d_fake, 1.0);
            out.loss_d = Some(loss.clone().detach());
            return (loss, out);
        }
        let mse = (fake.clone() - real.clone()).square().mean();
        out.extra.push(("mse", mse.clone().detach()));
        let loss = match (self.pretraining(batch.step.step), &self.discriminator) {
            (false, Some(d)) => {
                let content = self.content_loss(fake.clone(), real);
                let adversarial = softplus(d.forward(fake).neg()).mean();
                out.extra.push(("content", content.clone().detach()));
                out.extra
                    .push(("adversarial", adversarial.clone().detach()));
                content.mul_scalar(self.content_weight)
                    + adversarial.mul_scalar(self.adversarial_weight)
            }
            _ => mse,
        };
        out.loss_g = Some(loss.clone().detach());
        (loss, out)
    }
    // ANCHOR_END: phase_loss

    fn latent_dim(&self) -> usize {
        0
    }

    fn takes_input(&self) -> bool {
        true
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        let input = condition
            .input
            .expect("srgan up-samples an input image per sample");
        self.generator.forward(input)
    }
}

impl<B: Backend> crate::GeneratorAverage for Srgan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(Srgan);
