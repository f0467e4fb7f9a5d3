//! pix2pix (Isola, Zhu, Zhou and Efros 2017, "Image-to-Image Translation with Conditional
//! Adversarial Networks", arXiv:1611.07004): a U-Net generator with skip connections from each
//! encoder level to the decoder level of the same size, a PatchGAN discriminator that judges
//! (input, output) pairs patch by patch, and the generator's loss
//! `E[-log D(x, G(x))] + lambda * |y - G(x)|_1` with `lambda = 100`, Adam(2e-4, beta1 0.5).
//!
//! The paired task here is edges to images: the input is the target's edge map (Sobel magnitude
//! over a threshold, black on white, [`burn_gan::restore::edge_pairs`]), as in the paper's
//! edges2shoes and edges2handbags, made from any image set (Fashion-MNIST's items, emoji).
//! Deliberately different at our scale: the U-Net is `depth` levels deep (2 for 28x28 images,
//! where the paper's 256x256 used 8), the discriminator's patches are proportionally smaller, and
//! the decoder has no dropout (the paper's only source of noise; it reports that the generator
//! learned to ignore it and the outputs were nearly deterministic anyway).

use burn::module::{Module, ParamId};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::PaddingConfig2d;
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::backend::AutodiffBackend;
use burn_gan::data::{SampleKind, Samples};
use burn_gan::loss::{discriminator_loss, softplus};
use burn_gan::nn::{leaky_relu, BatchNorm, BatchNormConfig};
use burn_gan::restore::edge_pairs;
use burn_gan::train::{
    Adversarial, Condition, GanBatch, GanOutput, NetworkId, OptimizerConfig, Phase, StepInfo,
    TrainingConfig,
};

use crate::registry::{Family, ModelSpec, Preset};
use crate::restore::{image_channels, PatchDiscriminator};

// ANCHOR: config
/// Configuration of [`Pix2Pix`].
#[derive(Config, Debug, PartialEq)]
pub struct Pix2PixConfig {
    /// Channels of the target images (1 gray, 3 RGB); the input edge map has one.
    pub channels: usize,
    /// An edge is a pixel whose gradient magnitude is at least this fraction of the image's
    /// largest (see [`burn_gan::restore::degrade::edge_map`]).
    #[config(default = 0.25)]
    pub edge_threshold: f32,
    /// Feature maps of the U-Net's first level and of the discriminator's first layer.
    #[config(default = 32)]
    pub features: usize,
    /// Levels of the U-Net: stride-2 convolutions down, as many transposed ones up.
    #[config(default = 2)]
    pub depth: usize,
    /// Stride-2 layers of the PatchGAN discriminator.
    #[config(default = 2)]
    pub patch_layers: usize,
    /// `lambda`, the weight of the L1 term.
    #[config(default = 100.0)]
    pub l1_weight: f64,
    /// Weight of the adversarial term (0: the L1-only U-Net of the paper's ablation, without a
    /// discriminator).
    #[config(default = 1.0)]
    pub adversarial_weight: f64,
}
// ANCHOR_END: config

impl Pix2PixConfig {
    /// Channels of the input: the edge map's one.
    pub const INPUT_CHANNELS: usize = 1;

    /// Checks settings that cannot train: one line naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels != 1 && self.channels != 3 {
            return Err(format!(
                "channels {}: pix2pix translates into gray (1) or RGB (3) images",
                self.channels
            ));
        }
        if self.features == 0 || self.patch_layers == 0 || !(1..=6).contains(&self.depth) {
            return Err(format!(
                "features {}, depth {}, patch_layers {}: features and patch_layers must be at least 1, depth between 1 and 6",
                self.features, self.depth, self.patch_layers
            ));
        }
        for (name, w) in [
            ("l1_weight", self.l1_weight),
            ("adversarial_weight", self.adversarial_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "{name} {w}: a loss weight must be a finite number >= 0 (defaults 100 and 1)"
                ));
            }
        }
        if self.l1_weight == 0.0 && self.adversarial_weight == 0.0 {
            return Err(
                "l1_weight and adversarial_weight are both 0: the generator would have no loss"
                    .into(),
            );
        }
        if !(self.edge_threshold > 0.0 && self.edge_threshold < 1.0) {
            return Err(format!(
                "edge_threshold {}: use a fraction between 0 and 1 (default 0.25)",
                self.edge_threshold
            ));
        }
        Ok(())
    }

    /// Checks that `shape` fits the U-Net: a side that `2^depth` divides.
    pub fn check_shape(&self, [_, h, w]: [usize; 3]) -> Result<(), String> {
        let unit = 1 << self.depth;
        if h % unit != 0 || w % unit != 0 || h < 2 * unit || w < 2 * unit {
            return Err(format!(
                "pix2pix with depth {} takes images whose sides are multiples of {unit} and at least {}, not {h}x{w}; resize them (--image-size) or change the depth (--set depth=N)",
                self.depth,
                2 * unit
            ));
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses (the command line checks first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Pix2Pix<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid pix2pix configuration: {e}.");
        }
        let (f, d, input) = (self.features, self.depth, Self::INPUT_CHANNELS);
        // Channels of encoder level l (1-based): f, 2f, 4f, ...
        let level = |l: usize| f << (l - 1);
        let down = (1..=d)
            .map(|l| {
                let from = if l == 1 { input } else { level(l - 1) };
                Conv2dConfig::new([from, level(l)], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device)
            })
            .collect();
        let down_norms = (2..=d)
            .map(|l| BatchNormConfig::new(level(l)).init(device))
            .collect();
        // Decoder step to level l (0: full size): from the level below (with its skip, except
        // at the bottom) to level l's channels (f at full size).
        let (mut up, mut up_norms) = (Vec::new(), Vec::new());
        for l in (0..d).rev() {
            let from = if l == d - 1 {
                level(d)
            } else {
                2 * level(l + 1)
            };
            let to = if l == 0 { f } else { level(l) };
            up.push(
                ConvTranspose2dConfig::new([from, to], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .init(device),
            );
            up_norms.push(BatchNormConfig::new(to).init(device));
        }
        let out = Conv2dConfig::new([f + input, self.channels], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device);
        Pix2Pix {
            generator: UNet {
                down,
                down_norms,
                up,
                up_norms,
                out,
            },
            discriminator: (self.adversarial_weight > 0.0).then(|| {
                PatchDiscriminator::new(input + self.channels, f, self.patch_layers, device)
            }),
            l1_weight: self.l1_weight,
            adversarial_weight: self.adversarial_weight,
        }
    }
}

/// The U-Net generator.
#[derive(Module, Debug)]
pub struct UNet<B: Backend> {
    down: Vec<Conv2d<B>>,
    down_norms: Vec<BatchNorm<B>>,
    up: Vec<ConvTranspose2d<B>>,
    up_norms: Vec<BatchNorm<B>>,
    out: Conv2d<B>,
}

// ANCHOR: unet
impl<B: Backend> UNet<B> {
    /// The translated image: down the encoder (4x4 stride-2 convolutions, LeakyReLU 0.2, batch
    /// norm after the first), up the decoder (4x4 stride-2 transposed convolutions, batch norm,
    /// ReLU), each decoder level joined by the encoder's maps of its size, then a 3x3
    /// convolution of the last maps and the input itself, `tanh`.
    ///
    /// # Shapes
    /// - `x`: `[n, 1, h, w]` (the edge map)
    /// - output: `[n, channels, h, w]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut skips = Vec::with_capacity(self.down.len());
        let mut y = x.clone();
        for (l, conv) in self.down.iter().enumerate() {
            y = conv.forward(y);
            if l > 0 {
                y = self.down_norms[l - 1].forward(y);
            }
            y = leaky_relu(y, 0.2);
            skips.push(y.clone());
        }
        // The deepest maps start the decoder; the others join it at their size.
        skips.pop();
        for (conv, norm) in self.up.iter().zip(&self.up_norms) {
            y = relu(norm.forward(conv.forward(y)));
            let skip = skips.pop().unwrap_or_else(|| x.clone());
            y = Tensor::cat(vec![y, skip], 1);
        }
        tanh(self.out.forward(y))
    }
}
// ANCHOR_END: unet

/// pix2pix: the U-Net generator and the PatchGAN discriminator.
#[derive(Module, Debug)]
pub struct Pix2Pix<B: Backend> {
    /// The U-Net generator `G`.
    pub generator: UNet<B>,
    /// The PatchGAN discriminator `D` of (input, image) pairs; `None` for the L1-only U-Net.
    pub discriminator: Option<PatchDiscriminator<B>>,
    #[module(skip)]
    l1_weight: f64,
    #[module(skip)]
    adversarial_weight: f64,
}

impl<B: Backend> Adversarial<B> for Pix2Pix<B> {
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
            .expect("pix2pix trains on paired data (fit refuses unpaired data)");
        let fake = self.generator.forward(input.clone());
        if let (NetworkId::DISCRIMINATOR, Some(d)) = (batch.phase.network, &self.discriminator) {
            let real = d.forward(input.clone(), target);
            let fake = d.forward(input, fake.detach());
            out.d_real = Some(sigmoid(real.clone().detach()).mean());
            out.d_fake = Some(sigmoid(fake.clone().detach()).mean());
            let loss = discriminator_loss(real, fake, 1.0);
            out.loss_d = Some(loss.clone().detach());
            return (loss, out);
        }
        let l1 = (fake.clone() - target).abs().mean();
        out.extra.push(("l1", l1.clone().detach()));
        let mut loss = l1.mul_scalar(self.l1_weight);
        if let Some(d) = &self.discriminator {
            let adversarial = softplus(d.forward(input, fake).neg()).mean();
            out.extra
                .push(("adversarial", adversarial.clone().detach()));
            loss = loss + adversarial.mul_scalar(self.adversarial_weight);
        }
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
            .expect("pix2pix translates an input edge map per sample");
        self.generator.forward(input)
    }
}

impl<B: Backend> crate::GeneratorAverage for Pix2Pix<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(Pix2Pix);

/// pix2pix's registration.
pub struct Pix2PixFamily;

impl Family for Pix2PixFamily {
    const NAME: &'static str = "pix2pix";
    const TITLE: &'static str = "pix2pix (pix2pix, pix2pix-l1)";
    const PRESETS: &'static [Preset] = &[
        Preset {
            name: "pix2pix",
            description: "pix2pix (Isola 2017): U-Net generator from edge maps to images, PatchGAN on (edges, image) pairs, adversarial + 100 L1",
            image: None,
            build: |data| {
                let c = image_channels("pix2pix", data)?;
                Ok(ModelSpec::of::<Self>(&Pix2PixConfig::new(c)))
            },
        },
        Preset {
            name: "pix2pix-l1",
            description: "pix2pix's U-Net trained on L1 alone (no discriminator): the paper's ablation baseline",
            image: None,
            build: |data| {
                let c = image_channels("pix2pix", data)?;
                let config = Pix2PixConfig::new(c).with_adversarial_weight(0.0);
                Ok(ModelSpec::of::<Self>(&config))
            },
        },
    ];

    type Config = Pix2PixConfig;
    type Model<B: Backend> = Pix2Pix<B>;
    type Trainable<B: AutodiffBackend> = Pix2Pix<B>;

    fn init<B: Backend>(config: &Pix2PixConfig, device: &B::Device) -> Pix2Pix<B> {
        config.init(device)
    }

    fn init_trainable<B: AutodiffBackend>(
        config: &Pix2PixConfig,
        device: &B::Device,
    ) -> Pix2Pix<B> {
        config.init(device)
    }

    fn validate(config: &Pix2PixConfig) -> Result<(), String> {
        config.validate()
    }

    fn check_data(config: &Pix2PixConfig, data: &Samples) -> Result<(), String> {
        let c = image_channels("pix2pix", data)?;
        if c != config.channels {
            return Err(format!(
                "the model translates into images of {} channels, but {} has {c}",
                config.channels, data.source
            ));
        }
        config
            .check_shape(data.shape)
            .map_err(|e| format!("--data {}: {e}", data.source))
    }

    /// The edge map of every image as its input.
    fn prepare_data(config: &Pix2PixConfig, data: Samples, _seed: u64) -> Result<Samples, String> {
        edge_pairs(&data, config.edge_threshold).map_err(|e| e.to_string())
    }

    /// Adam(2e-4, beta1 0.5) for both networks (the generator alone for L1-only), batch 16.
    fn default_training(config: &Pix2PixConfig, _kind: SampleKind) -> TrainingConfig {
        let mut training = TrainingConfig {
            batch_size: 16,
            ..TrainingConfig::default()
        };
        training.optimizers.clear();
        training.set_optimizer(NetworkId::GENERATOR, OptimizerConfig::adam(2e-4));
        if config.adversarial_weight > 0.0 {
            training.set_optimizer(NetworkId::DISCRIMINATOR, OptimizerConfig::adam(2e-4));
        }
        training
    }

    fn stored_defaults() -> Pix2PixConfig {
        Pix2PixConfig::new(1)
    }
}

#[cfg(test)]
#[path = "pix2pix_tests.rs"]
mod tests;
