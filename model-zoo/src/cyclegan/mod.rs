//! CycleGAN (Zhu, Park, Isola and Efros 2017, "Unpaired Image-to-Image Translation using
//! Cycle-Consistent Adversarial Networks", arXiv:1703.10593): two generators `G: A -> B` and
//! `F: B -> A`, two discriminators `D_B` (real B against `G(a)`) and `D_A` (real A against
//! `F(b)`), trained on two unpaired sets of images with
//!
//! - the least-squares adversarial loss (section 4 of the paper):
//!   `G` minimises `E[(D_B(G(a)) - 1)²]`, `D_B` minimises `½ E[(D_B(b) - 1)²] + ½ E[D_B(G(a))²]`,
//!   and the same for `F` and `D_A`;
//! - the cycle-consistency loss `lambda (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)`, `lambda = 10`;
//! - the identity loss `lambda * 0.5 (|G(b) - b|_1 + |F(a) - a|_1)` (section 5.2, "photo
//!   generation from paintings");
//! - a pool of the last 50 generated images per domain, from which the discriminators see half
//!   of their fakes (Shrivastava et al. 2017), so they do not forget what earlier generators did.
//!
//! The four networks train with two optimizers, as the reference code does (Adam 2e-4, beta1
//! 0.5): the `generator` network owns both generators' parameters, the `discriminator` network
//! both discriminators'. Each step is a generator phase on a fresh pair of batches (one of each
//! domain: the data's and the second stream, [`burn_gan::train::GanBatch::second`]), then a
//! discriminator phase on the same images.
//!
//! Deliberately different at our scale: the generator has `blocks` residual blocks (the paper
//! uses 6 at 128x128 and 9 at 256x256; 3 here at 28x28), the discriminator is the restoration
//! chapter's PatchGAN without normalisation ([`crate::restore::PatchDiscriminator`]), and the
//! discriminator phase translates the batch again with the generators just updated (the
//! reference reuses the images made before the update).

use burn::module::{Module, ParamId};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, tanh};
use burn::tensor::ops::PadMode;
use burn_gan::loss::LossFamily;
use burn_gan::nn::dcgan_init;
use burn_gan::train::{Adversarial, Condition, GanBatch, GanOutput, NetworkId, Phase, StepInfo};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::restore::PatchDiscriminator;

mod family;
mod pool;
pub mod score;
#[cfg(test)]
mod tests;

pub use family::CycleganFamily;
pub use pool::{pool_plan, ImagePool, PoolPlan};

// ANCHOR: config
/// Configuration of [`Cyclegan`].
#[derive(Config, Debug, PartialEq)]
pub struct CycleganConfig {
    /// Channels of both domains' images (1 gray, 3 RGB).
    pub channels: usize,
    /// Height of both domains' images (the image pools hold images of this size).
    pub height: usize,
    /// Width of both domains' images.
    pub width: usize,
    /// With one labelled set and no `--data-b`: the class that is domain A.
    #[config(default = 7)]
    pub class_a: usize,
    /// With one labelled set and no `--data-b`: the class that is domain B.
    #[config(default = 9)]
    pub class_b: usize,
    /// Feature maps of the generators' first layer and of the discriminators' first layer.
    #[config(default = 32)]
    pub features: usize,
    /// Residual blocks of each generator, at a quarter of the image's resolution.
    #[config(default = 3)]
    pub blocks: usize,
    /// Stride-2 layers of each PatchGAN discriminator.
    #[config(default = 2)]
    pub patch_layers: usize,
    /// `lambda`, the weight of the cycle-consistency loss.
    #[config(default = 10.0)]
    pub cycle_weight: f64,
    /// The weight of the identity loss, as a fraction of `cycle_weight` (0: none).
    #[config(default = 0.5)]
    pub identity_weight: f64,
    /// Generated images each discriminator's pool keeps (0: no pool, the newest fakes only).
    #[config(default = 50)]
    pub pool_size: usize,
}
// ANCHOR_END: config

impl CycleganConfig {
    /// Checks settings that cannot train: one line naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels != 1 && self.channels != 3 {
            return Err(format!(
                "channels {}: cyclegan translates gray (1) or RGB (3) images",
                self.channels
            ));
        }
        if self.features == 0 || self.patch_layers == 0 {
            return Err(format!(
                "features {}, patch_layers {}: both must be at least 1",
                self.features, self.patch_layers
            ));
        }
        for (name, w) in [
            ("cycle_weight", self.cycle_weight),
            ("identity_weight", self.identity_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(format!(
                    "{name} {w}: a loss weight must be a finite number >= 0 (defaults 10 and 0.5)"
                ));
            }
        }
        if self.class_a == self.class_b {
            return Err(format!(
                "class_a and class_b are both {}: the two domains must be different classes",
                self.class_a
            ));
        }
        self.check_size(self.height, self.width)
    }

    /// Checks that the generators can take `h x w` images (sides that 4 divides, for two
    /// stride-2 levels, and at least 8, for the 7x7 convolutions' reflection padding) and that
    /// the discriminators' patches are not empty (each stride-2 layer halves the side).
    pub fn check_size(&self, h: usize, w: usize) -> Result<(), String> {
        if h % 4 != 0 || w % 4 != 0 || h < 8 || w < 8 {
            return Err(format!(
                "cyclegan takes images whose sides are multiples of 4 and at least 8, not {h}x{w}; resize them (--image-size)"
            ));
        }
        if (h.min(w) >> self.patch_layers.min(31)) < 2 {
            return Err(format!(
                "patch_layers {}: {h}x{w} images are too small for that many stride-2 layers; use at most {}",
                self.patch_layers,
                (h.min(w) / 2).ilog2()
            ));
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses (the command line checks first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Cyclegan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid cyclegan configuration: {e}.");
        }
        let generator = || ResnetGenerator::new(self.channels, self.features, self.blocks, device);
        let discriminator =
            || PatchDiscriminator::new(self.channels, self.features, self.patch_layers, device);
        let pool = || {
            ImagePool::new(
                self.pool_size,
                [self.channels, self.height, self.width],
                device,
            )
        };
        Cyclegan {
            g_ab: generator(),
            g_ba: generator(),
            d_a: discriminator(),
            d_b: discriminator(),
            pool_a: pool(),
            pool_b: pool(),
            cycle_weight: self.cycle_weight,
            identity_weight: self.identity_weight,
        }
    }
}

/// A convolution with reflection padding, as the reference generator pads every convolution
/// that keeps the size (no zero border for the translation to learn around).
#[derive(Module, Debug)]
pub struct ReflectConv<B: Backend> {
    conv: Conv2d<B>,
    #[module(skip)]
    pad: usize,
}

impl<B: Backend> ReflectConv<B> {
    fn new(from: usize, to: usize, kernel: usize, device: &B::Device) -> Self {
        Self {
            conv: Conv2dConfig::new([from, to], [kernel, kernel])
                .with_initializer(dcgan_init())
                .init(device),
            pad: kernel / 2,
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let p = self.pad;
        self.conv.forward(x.pad([(p, p), (p, p)], PadMode::Reflect))
    }
}

/// A residual block: `x + IN(conv(relu(IN(conv(x)))))`, both convolutions 3x3.
#[derive(Module, Debug)]
pub struct ResnetBlock<B: Backend> {
    first: ReflectConv<B>,
    second: ReflectConv<B>,
    norm: InstanceNorm<B>,
}

/// The generator of Johnson et al. (2016), as CycleGAN uses it: a 7x7 convolution, two stride-2
/// convolutions down, residual blocks, two stride-2 transposed convolutions up, a 7x7
/// convolution to the image; instance norm (without affine parameters) and ReLU between.
#[derive(Module, Debug)]
pub struct ResnetGenerator<B: Backend> {
    head: ReflectConv<B>,
    down: Vec<Conv2d<B>>,
    blocks: Vec<ResnetBlock<B>>,
    up: Vec<ConvTranspose2d<B>>,
    tail: ReflectConv<B>,
    /// Instance norms of the head, down and up layers, in that order (no parameters).
    norms: Vec<InstanceNorm<B>>,
}

impl<B: Backend> ResnetGenerator<B> {
    /// A generator of `channels`-channel images with `features` maps at full resolution (twice
    /// as many at each level down) and `blocks` residual blocks.
    pub fn new(channels: usize, features: usize, blocks: usize, device: &B::Device) -> Self {
        let f = features;
        let norm = |c: usize| InstanceNormConfig::new(c).with_affine(false).init(device);
        let down = [(f, 2 * f), (2 * f, 4 * f)]
            .map(|(i, o)| {
                Conv2dConfig::new([i, o], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_initializer(dcgan_init())
                    .init(device)
            })
            .to_vec();
        let up = [(4 * f, 2 * f), (2 * f, f)]
            .map(|(i, o)| {
                ConvTranspose2dConfig::new([i, o], [3, 3])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_padding_out([1, 1])
                    .with_initializer(dcgan_init())
                    .init(device)
            })
            .to_vec();
        Self {
            head: ReflectConv::new(channels, f, 7, device),
            down,
            blocks: (0..blocks)
                .map(|_| ResnetBlock {
                    first: ReflectConv::new(4 * f, 4 * f, 3, device),
                    second: ReflectConv::new(4 * f, 4 * f, 3, device),
                    norm: norm(4 * f),
                })
                .collect(),
            up,
            tail: ReflectConv::new(f, channels, 7, device),
            norms: [f, 2 * f, 4 * f, 2 * f, f].map(norm).to_vec(),
        }
    }

    // ANCHOR: generator
    /// The translated image.
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]` in `[-1, 1]`, `h` and `w` multiples of 4
    /// - output: `[n, c, h, w]` in `[-1, 1]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut norms = self.norms.iter();
        let mut norm_relu = |y: Tensor<B, 4>| relu(norms.next().expect("five norms").forward(y));
        let mut y = norm_relu(self.head.forward(x));
        for conv in &self.down {
            y = norm_relu(conv.forward(y));
        }
        for block in &self.blocks {
            let r = relu(block.norm.forward(block.first.forward(y.clone())));
            y = y + block.norm.forward(block.second.forward(r));
        }
        for conv in &self.up {
            y = norm_relu(conv.forward(y));
        }
        tanh(self.tail.forward(y))
    }
    // ANCHOR_END: generator
}

/// CycleGAN: two generators, two discriminators and the discriminators' image pools.
#[derive(Module, Debug)]
pub struct Cyclegan<B: Backend> {
    /// `G: A -> B`.
    pub g_ab: ResnetGenerator<B>,
    /// `F: B -> A`.
    pub g_ba: ResnetGenerator<B>,
    /// `D_A`: real A against `F(b)`.
    pub d_a: PatchDiscriminator<B>,
    /// `D_B`: real B against `G(a)`.
    pub d_b: PatchDiscriminator<B>,
    /// Earlier `F(b)` that `D_A` sees again (saved with the weights, so resume is exact).
    pub pool_a: ImagePool<B>,
    /// Earlier `G(a)` that `D_B` sees again.
    pub pool_b: ImagePool<B>,
    #[module(skip)]
    cycle_weight: f64,
    #[module(skip)]
    identity_weight: f64,
}

/// The least-squares generator loss `E[(D(x) - 1)²]` (the reference's `MSELoss` against 1).
fn fool<B: Backend>(d: Tensor<B, 2>) -> Tensor<B, 1> {
    d.sub_scalar(1.0).square().mean()
}

impl<B: Backend> Cyclegan<B> {
    /// Translates domain A to domain B with `G`.
    pub fn a_to_b(&self, a: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_ab.forward(a)
    }

    /// Translates domain B to domain A with `F`.
    pub fn b_to_a(&self, b: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_ba.forward(b)
    }

    // ANCHOR: generator_loss
    /// The generators' loss on real `a` and `b`: adversarial (least squares) + cycle + identity.
    fn generator_loss(
        &self,
        a: Tensor<B, 4>,
        b: Tensor<B, 4>,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        let fake_b = self.g_ab.forward(a.clone());
        let fake_a = self.g_ba.forward(b.clone());
        let adversarial =
            fool(self.d_b.judge(fake_b.clone())) + fool(self.d_a.judge(fake_a.clone()));
        let cycle = (self.g_ba.forward(fake_b) - a.clone()).abs().mean()
            + (self.g_ab.forward(fake_a) - b.clone()).abs().mean();
        let mut loss = adversarial.clone() + cycle.clone().mul_scalar(self.cycle_weight);
        if self.identity_weight > 0.0 {
            let identity = (self.g_ab.forward(b.clone()) - b).abs().mean()
                + (self.g_ba.forward(a.clone()) - a).abs().mean();
            out.extra.push(("identity", identity.clone().detach()));
            loss = loss + identity.mul_scalar(self.cycle_weight * self.identity_weight);
        }
        out.extra.push(("adversarial", adversarial.detach()));
        out.extra.push(("cycle", cycle.detach()));
        loss
    }
    // ANCHOR_END: generator_loss

    // ANCHOR: discriminator_loss
    /// The discriminators' loss: each scores its domain's reals against fakes drawn half from
    /// its pool (training only; validation scores the newest fakes).
    fn discriminator_loss(
        &self,
        a: Tensor<B, 4>,
        b: Tensor<B, 4>,
        seed: u64,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        let mut fake_b = self.g_ab.forward(a.clone()).detach();
        let mut fake_a = self.g_ba.forward(b.clone()).detach();
        if B::ad_enabled(&a.device()) {
            let mut rng = StdRng::seed_from_u64(seed);
            fake_b = self.pool_b.query(fake_b, rng.random());
            fake_a = self.pool_a.query(fake_a, rng.random());
        }
        let ls = LossFamily::LeastSquares;
        let (real_b, fake_b) = (self.d_b.judge(b), self.d_b.judge(fake_b));
        let (real_a, fake_a) = (self.d_a.judge(a), self.d_a.judge(fake_a));
        out.d_real = Some(real_b.clone().detach().mean());
        out.d_fake = Some(fake_b.clone().detach().mean());
        ls.discriminator(real_b, fake_b, 1.0) + ls.discriminator(real_a, fake_a, 1.0)
    }
    // ANCHOR_END: discriminator_loss
}

impl<B: Backend> Adversarial<B> for Cyclegan<B> {
    /// The two optimizers of the reference code: `generator` (both generators) and
    /// `discriminator` (both discriminators).
    fn networks(&self) -> Vec<NetworkId> {
        vec![NetworkId::GENERATOR, NetworkId::DISCRIMINATOR]
    }

    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        let mut ids = Vec::new();
        match network {
            NetworkId::GENERATOR => {
                ids.extend(burn::module::list_param_ids(&self.g_ab));
                ids.extend(burn::module::list_param_ids(&self.g_ba));
            }
            NetworkId::DISCRIMINATOR => {
                ids.extend(burn::module::list_param_ids(&self.d_a));
                ids.extend(burn::module::list_param_ids(&self.d_b));
            }
            _ => {}
        }
        ids
    }

    /// The generators on a fresh pair of batches, then the discriminators on the same images
    /// (`d_steps` is not used: the reference alternates one step each).
    fn phases(&self, _step: &StepInfo) -> Vec<Phase> {
        vec![Phase::GENERATOR.fresh(), Phase::DISCRIMINATOR]
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let a = batch.real.clone();
        let b = batch
            .second
            .as_ref()
            .expect("cyclegan trains on two domains (the command line gives the second)")
            .images
            .clone();
        let mut out = GanOutput::new(Some(batch.phase), a.dims()[0]);
        if batch.phase.network == NetworkId::DISCRIMINATOR {
            let loss = self.discriminator_loss(a, b, batch.seed, &mut out);
            out.loss_d = Some(loss.clone().detach());
            return (loss, out);
        }
        let loss = self.generator_loss(a, b, &mut out);
        out.loss_g = Some(loss.clone().detach());
        (loss, out)
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn takes_input(&self) -> bool {
        true
    }

    /// Translates the inputs from domain A to domain B.
    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        let input = condition
            .input
            .expect("cyclegan translates an input image of domain A per sample");
        self.g_ab.forward(input)
    }
}

impl<B: Backend> crate::GeneratorAverage for Cyclegan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(Cyclegan);
