//! The restoration GAN: a residual generator that maps a corrupted image to its clean version,
//! and a PatchGAN discriminator that judges (input, candidate) pairs.
//!
//! The lecture's "Application use-case" section (after a Stanford EE367 report, winter 2017)
//! trains one network per task of [`burn_gan::restore::Task`] (super-resolution x2 and x4,
//! denoising, deblurring, inpainting): the generator is a residual network (He et al. 2016,
//! arXiv:1512.03385) whose groups each learn a small correction to the identity, and the loss
//! adds an adversarial term to a pixel loss. Here:
//!
//! - the generator first brings the input to the target's size (a fixed bicubic up-sampling
//!   for sr2 and sr4; the identity otherwise), then predicts a residual with a head
//!   convolution, `blocks` residual blocks and a tail convolution, and returns the up-sampled
//!   image plus the residual (for inpainting the image part of the input: the mask channel
//!   only informs the network). It is fully convolutional, so it restores images of any size.
//! - the discriminator is pix2pix's PatchGAN (Isola et al. 2017, arXiv:1611.07004): strided
//!   4x4 convolutions over the up-sampled input concatenated with the candidate, one logit per
//!   overlapping patch.
//! - the generator minimises `l1_weight * |G(x) - y|_1 + adversarial_weight * L_adv`, with the
//!   non-saturating `L_adv = -log D(x, G(x))`; the discriminator the standard GAN loss on
//!   `(x, y)` and `(x, G(x))`. The defaults 0.9 and 0.1 are the deck's; `adversarial_weight = 0`
//!   is the L1-only network (no discriminator at all) the comparison needs.
//!
//! Deliberately different: the residual blocks have no batch norm (conv, ReLU, conv, as EDSR,
//! Lim et al. 2017, arXiv:1707.02921, found better for restoration: the norm shifts the
//! colours of single images at inference), and the sizes are small, for CPU training.

use burn::module::{Module, ParamId};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::PaddingConfig2d;
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn_gan::loss::{discriminator_loss, softplus};
use burn_gan::nn::leaky_relu;
use burn_gan::restore::{DegradationConfig, Task};
use burn_gan::train::{Adversarial, Condition, GanBatch, GanOutput, NetworkId, Phase, StepInfo};

mod family;
#[cfg(test)]
mod tests;

pub(crate) use family::image_channels;
pub use family::RestoreFamily;

// ANCHOR: config
/// Configuration of a restoration GAN for one task.
#[derive(Config, Debug, PartialEq)]
pub struct RestoreConfig {
    /// Channels of the clean images (1 gray, 3 RGB); an inpainting input has one more, its mask.
    pub channels: usize,
    /// The task the network is trained for; `train` makes its pairs from the clean data.
    #[config(default = "Task::Sr2")]
    pub task: Task,
    /// The degradation's parameters, recorded so that `restore` and later runs know them.
    #[config(default = "DegradationConfig::new()")]
    pub degradation: DegradationConfig,
    /// Feature maps of the generator's convolutions and of the discriminator's first layer.
    #[config(default = 32)]
    pub features: usize,
    /// Residual blocks of the generator.
    #[config(default = 4)]
    pub blocks: usize,
    /// Stride-2 layers of the PatchGAN discriminator (each doubles its features).
    #[config(default = 2)]
    pub patch_layers: usize,
    /// Weight of the L1 term in the generator's loss.
    #[config(default = 0.9)]
    pub l1_weight: f64,
    /// Weight of the adversarial term in the generator's loss (0: the L1-only network, without
    /// a discriminator).
    #[config(default = 0.1)]
    pub adversarial_weight: f64,
}
// ANCHOR_END: config

impl RestoreConfig {
    /// The L1-only network of the same shape: no discriminator, no adversarial term.
    pub fn l1_only(channels: usize, task: Task) -> Self {
        Self::new(channels)
            .with_task(task)
            .with_adversarial_weight(0.0)
    }

    /// Channels of the network's input: the image's, plus the mask for inpainting.
    pub fn input_channels(&self) -> usize {
        self.task.input_shape([self.channels, 1, 1])[0]
    }

    /// Whether the model has a discriminator.
    pub fn adversarial(&self) -> bool {
        self.adversarial_weight > 0.0
    }

    /// The generator's receptive field in output pixels: its 3x3 convolutions (head, two per
    /// block, tail) each widen it by 2.
    pub fn receptive_field(&self) -> usize {
        2 * (2 * self.blocks + 2) + 1
    }

    /// The smallest side of an input the generator restores: its receptive field in output
    /// pixels, divided by the up-sampling factor (at least 4 input pixels for super-resolution,
    /// as [`DegradationConfig::check`] asks of training data).
    pub fn min_input_side(&self) -> usize {
        let f = self.task.factor();
        match f {
            1 => self.receptive_field(),
            f => self.receptive_field().div_ceil(f).max(4),
        }
    }

    /// Checks settings that cannot train: one line naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels != 1 && self.channels != 3 {
            return Err(format!(
                "channels {}: restoration works on gray (1) or RGB (3) images",
                self.channels
            ));
        }
        for (name, w) in [
            ("l1_weight", self.l1_weight),
            ("adversarial_weight", self.adversarial_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "{name} {w}: a loss weight must be a finite number >= 0 (defaults 0.9 and 0.1)"
                ));
            }
        }
        if self.l1_weight == 0.0 && self.adversarial_weight == 0.0 {
            return Err(
                "l1_weight and adversarial_weight are both 0: the generator would have no loss"
                    .into(),
            );
        }
        if self.features == 0 || self.patch_layers == 0 {
            return Err("features and patch_layers must be at least 1".into());
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses (the command line checks first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> RestorationGan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid restoration GAN configuration: {e}.");
        }
        let conv3 = |i: usize, o: usize| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let f = self.features;
        let generator = Generator {
            head: conv3(self.input_channels(), f),
            blocks: (0..self.blocks)
                .map(|_| ResidualBlock {
                    first: conv3(f, f),
                    second: conv3(f, f),
                })
                .collect(),
            tail: conv3(f, self.channels),
            factor: self.task.factor(),
            channels: self.channels,
        };
        let discriminator = PatchDiscriminator::new(
            self.input_channels() + self.channels,
            f,
            self.patch_layers,
            device,
        );
        RestorationGan {
            generator,
            discriminator: self.adversarial().then_some(discriminator),
            l1_weight: self.l1_weight,
            adversarial_weight: self.adversarial_weight,
        }
    }
}

/// A residual block: `x + conv(relu(conv(x)))`.
#[derive(Module, Debug)]
pub struct ResidualBlock<B: Backend> {
    first: Conv2d<B>,
    second: Conv2d<B>,
}

/// The residual generator.
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    head: Conv2d<B>,
    blocks: Vec<ResidualBlock<B>>,
    tail: Conv2d<B>,
    /// The super-resolution factor (1: the input has the target's size).
    #[module(skip)]
    factor: usize,
    /// Channels of the clean image.
    #[module(skip)]
    channels: usize,
}

// ANCHOR: generator
impl<B: Backend> Generator<B> {
    /// The input brought to the target's size: bicubic up-sampling for super-resolution.
    ///
    /// # Shapes
    /// - `x`: `[n, c', h / factor, w / factor]`
    /// - output: `[n, c', h, w]`
    pub fn upsample(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, _, h, w] = x.dims();
        match self.factor {
            1 => x,
            f => {
                let options = InterpolateOptions {
                    mode: InterpolateMode::Bicubic,
                    align_corners: false,
                };
                interpolate(x, [h * f, w * f], options)
            }
        }
    }

    /// The restored image: the up-sampled input's image channels plus a learned residual.
    ///
    /// # Shapes
    /// - `x`: `[n, c', h / factor, w / factor]` (`c' = c + 1` for inpainting: the mask)
    /// - output: `[n, c, h, w]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.upsample(x);
        let [n, _, h, w] = x.dims();
        let base = x.clone().slice([0..n, 0..self.channels, 0..h, 0..w]);
        let mut y = relu(self.head.forward(x)); // [n, features, h, w]
        for block in &self.blocks {
            y = y.clone() + block.second.forward(relu(block.first.forward(y)));
        }
        base + self.tail.forward(y)
    }
}
// ANCHOR_END: generator

/// The PatchGAN discriminator: stride-2 4x4 convolutions with LeakyReLU(0.2), then a stride-1
/// 4x4 convolution to one logit per patch.
#[derive(Module, Debug)]
pub struct PatchDiscriminator<B: Backend> {
    convs: Vec<Conv2d<B>>,
    pub(crate) logits: Conv2d<B>,
}

impl<B: Backend> PatchDiscriminator<B> {
    /// A discriminator of `input` channels (the pair's, concatenated) with `layers` stride-2
    /// layers, the first of `features` maps and each next one twice as many.
    pub fn new(input: usize, features: usize, layers: usize, device: &B::Device) -> Self {
        let conv4 = |i: usize, o: usize, stride: usize| {
            Conv2dConfig::new([i, o], [4, 4])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let mut convs = Vec::new();
        let mut width = input;
        for l in 0..layers {
            let out = features << l;
            convs.push(conv4(width, out, 2));
            width = out;
        }
        Self {
            convs,
            logits: conv4(width, 1, 1),
        }
    }

    /// The patch logits of (up-sampled input, candidate) pairs, flattened per sample.
    ///
    /// # Shapes
    /// - `input`: `[n, c', h, w]`, `candidate`: `[n, c, h, w]`
    /// - output: `[n, patches]`
    pub fn forward(&self, input: Tensor<B, 4>, candidate: Tensor<B, 4>) -> Tensor<B, 2> {
        self.judge(Tensor::cat(vec![input, candidate], 1))
    }

    /// The patch logits of images judged alone (CycleGAN's discriminators), flattened per
    /// sample.
    ///
    /// # Shapes
    /// - `x`: `[n, input, h, w]`
    /// - output: `[n, patches]`
    pub fn judge(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let mut x = x;
        for conv in &self.convs {
            x = leaky_relu(conv.forward(x), 0.2);
        }
        self.logits.forward(x).flatten(1, 3)
    }
}

/// The restoration GAN: generator and (unless L1-only) discriminator.
#[derive(Module, Debug)]
pub struct RestorationGan<B: Backend> {
    /// The residual generator `G`.
    pub generator: Generator<B>,
    /// The PatchGAN discriminator `D`; `None` for the L1-only network.
    pub discriminator: Option<PatchDiscriminator<B>>,
    #[module(skip)]
    l1_weight: f64,
    #[module(skip)]
    adversarial_weight: f64,
}

impl<B: Backend> RestorationGan<B> {
    /// Restores corrupted images (see [`Generator::forward`]).
    pub fn restore(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.generator.forward(x)
    }
}

impl<B: Backend> Adversarial<B> for RestorationGan<B> {
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

    /// The GAN: `d_steps` discriminator phases on fresh pairs, then the generator on the last.
    /// L1-only: the generator alone, on a fresh batch.
    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        match self.discriminator {
            Some(_) => Phase::alternating(step.d_steps),
            None => vec![Phase::GENERATOR.fresh()],
        }
    }

    // ANCHOR: phase_loss
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let target = batch.real.clone();
        let n = target.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        let input = batch
            .input
            .clone()
            .expect("restoration trains on paired data (fit refuses unpaired data)");
        let restored = self.generator.forward(input.clone());
        // The discriminator sees the input at the target's size, next to the candidate.
        let context = self.generator.upsample(input);
        match (batch.phase.network, &self.discriminator) {
            (NetworkId::DISCRIMINATOR, Some(d)) => {
                let real = d.forward(context.clone(), target);
                let fake = d.forward(context, restored.detach());
                out.d_real = Some(sigmoid(real.clone().detach()).mean());
                out.d_fake = Some(sigmoid(fake.clone().detach()).mean());
                let loss = discriminator_loss(real, fake, 1.0);
                out.loss_d = Some(loss.clone().detach());
                (loss, out)
            }
            (_, discriminator) => {
                let l1 = (restored.clone() - target).abs().mean();
                out.extra.push(("l1", l1.clone().detach()));
                let mut loss = l1.mul_scalar(self.l1_weight);
                if let Some(d) = discriminator {
                    let adversarial = softplus(d.forward(context, restored).neg()).mean();
                    out.extra
                        .push(("adversarial", adversarial.clone().detach()));
                    loss = loss + adversarial.mul_scalar(self.adversarial_weight);
                }
                out.loss_g = Some(loss.clone().detach());
                (loss, out)
            }
        }
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
            .expect("a restoration model restores an input image per sample");
        self.generator.forward(input)
    }
}

impl<B: Backend> crate::GeneratorAverage for RestorationGan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(RestorationGan);
