//! Progressive growing of GANs.
//!
//! Karras, Aila, Laine and Lehtinen 2018, "Progressive Growing of GANs for Improved Quality,
//! Stability, and Variation", ICLR, arXiv:1710.10196. Generator and discriminator start at 4x4
//! and grow by one block per stage to the data's resolution:
//!
//! - a new block **fades in**: for `fade_images` images its output is blended with the previous
//!   resolution's, `(1 - alpha) * upsample(to_rgb_old(h)) + alpha * to_rgb_new(block(h))` in the
//!   generator and the mirror image in the discriminator, `alpha` rising linearly from 0 to 1;
//!   then `stable_images` images train the new resolution alone (section 3);
//! - the real images are averaged down to the active resolution, and during a fade-in blended
//!   between it and the previous one with the same `alpha` (section A.1);
//! - every weight has an **equalised learning rate**, pixel-wise feature normalisation follows
//!   every generator convolution, and the discriminator ends with the **minibatch standard
//!   deviation** feature (sections 3 and 4, [`burn_gan::nn::progressive`]);
//! - the loss is WGAN-GP (lambda 10) with the drift term `epsilon * E[D(x)²]`, epsilon 0.001
//!   (section A.1).
//!
//! The schedule's batch size and learning rates may change with the resolution
//! (`batch_sizes`, `lr_scales`). The stage is a function of the step (the images before it,
//! counted in each level's batch), so a resumed run resumes inside a fade-in exactly. The model also counts its generator updates (a buffer saved with
//! its weights), so a checkpoint samples at the stage it was written at.

use burn::module::{Module, Param, ParamId};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn_gan::loss::LossFamily;
use burn_gan::nn::progressive::{
    downsample2x, downsample_to, minibatch_stddev, pixel_norm, pixel_norm_2d, upsample2x,
    EqualizedConv2d, EqualizedLinear,
};
use burn_gan::train::{
    Adversarial, Condition, GanBatch, GanOutput, InputGradients, NetworkId, Objective, Penalty,
    Phase, StepInfo,
};

mod family;
#[cfg(test)]
mod tests;

pub use family::ProganFamily;

/// Configuration of a progressively grown GAN and its growth schedule.
#[derive(Config, Debug, PartialEq)]
pub struct ProganConfig {
    /// Latent dimension (the paper's 512; smaller for small images).
    #[config(default = 128)]
    pub latent_dim: usize,
    /// Image channels (1 gray, 3 RGB).
    pub channels: usize,
    /// The final resolution: 4 times a power of two (8, 16, 32, 64, ...).
    pub image_size: usize,
    /// Feature maps of the 4x4 block before the cap; they halve with each later resolution (as
    /// the paper's `fmap_base / 2^stage`) but never exceed `max_channels` nor fall below 8. The
    /// defaults (4x4 to 16x16: 64, 32x32: 32, 64x64: 16) are sized for CPUs; the paper's 1024x1024
    /// networks used 8192 and 512.
    #[config(default = 256)]
    pub channels_base: usize,
    /// The most feature maps of any block (the paper's `fmap_max`).
    #[config(default = 64)]
    pub max_channels: usize,
    /// Images over which each new resolution fades in (the paper's 600,000 at 1024x1024; the
    /// default is sized so that 32x32 trains in under an hour on two CPU cores: 25,000 per fade
    /// and per stable stage, 175,000 images, 2,735 steps of 64).
    #[config(default = 25_000)]
    pub fade_images: usize,
    /// Images each resolution trains alone after its fade-in (4x4: before the first fade-in).
    #[config(default = 25_000)]
    pub stable_images: usize,
    /// The loader's batch: images per step at every resolution without an entry in
    /// `batch_sizes` (and the most any entry may ask for).
    #[config(default = 64)]
    pub batch_size: usize,
    /// Images per step at each resolution, from 4x4 up (the paper's minibatch per resolution:
    /// smaller as images grow); resolutions past the list take its last entry, and an empty
    /// list means `batch_size` everywhere. A step at a resolution whose batch is smaller trains
    /// on the first images of the loader's batch.
    #[config(default = "Vec::new()")]
    pub batch_sizes: Vec<usize>,
    /// Multipliers of both networks' learning rates at each resolution, from 4x4 up (the
    /// paper's learning rate per resolution, relative to `--lr-g`/`--lr-d`); resolutions past
    /// the list take its last entry, and an empty list means 1 everywhere.
    #[config(default = "Vec::new()")]
    pub lr_scales: Vec<f64>,
    /// WGAN-GP's penalty weight lambda.
    #[config(default = 10.0)]
    pub gradient_penalty: f64,
    /// The drift term's weight epsilon, `epsilon * E[D(x)²]`.
    #[config(default = 0.001)]
    pub drift: f64,
}

/// Entry `level` of a per-resolution list, or its last entry past its end; `None` when empty.
fn per_level<T: Copy>(list: &[T], level: usize) -> Option<T> {
    list.get(level).or(list.last()).copied()
}

/// Where the schedule stands: the active resolution level (0: 4x4) and the fade-in weight of
/// its newest block (1: faded in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    /// The level: the active resolution is `4 * 2^level`.
    pub level: usize,
    /// The weight of the newest block's output, in `[0, 1]`.
    pub alpha: f32,
}

impl Stage {
    /// The side of the active resolution.
    pub fn resolution(&self) -> usize {
        4 << self.level
    }
}

impl ProganConfig {
    /// The number of levels above 4x4.
    pub fn levels(&self) -> usize {
        (self.image_size / 4).trailing_zeros() as usize
    }

    /// The feature maps of level `l`'s block.
    pub fn features(&self, level: usize) -> usize {
        (self.channels_base >> level).clamp(8, self.max_channels.max(8))
    }

    /// The stage after `images` training images.
    pub fn stage(&self, images: usize) -> Stage {
        if images < self.stable_images {
            return Stage {
                level: 0,
                alpha: 1.0,
            };
        }
        let mut left = images - self.stable_images;
        for level in 1..=self.levels() {
            if left < self.fade_images {
                return Stage {
                    level,
                    alpha: left as f32 / self.fade_images.max(1) as f32,
                };
            }
            left -= self.fade_images;
            if left < self.stable_images || level == self.levels() {
                return Stage { level, alpha: 1.0 };
            }
            left -= self.stable_images;
        }
        Stage {
            level: self.levels(),
            alpha: 1.0,
        }
    }

    /// The batch of level `level`'s steps.
    pub fn batch_at_level(&self, level: usize) -> usize {
        per_level(&self.batch_sizes, level).unwrap_or(self.batch_size)
    }

    /// The learning-rate multiplier of level `level`'s steps.
    pub fn lr_scale_at_level(&self, level: usize) -> f64 {
        per_level(&self.lr_scales, level).unwrap_or(1.0)
    }

    /// The images the steps before `step` trained on: each step counts the batch of the
    /// level the images before it had reached (with one batch size, `step * batch_size`).
    pub fn images_before(&self, step: usize) -> usize {
        let mut images = 0;
        let mut left = step;
        for level in 0..=self.levels() {
            let batch = self.batch_at_level(level);
            if level == self.levels() {
                break;
            }
            // Steps at this level: until the images reach the next level's first image.
            let next = self.stable_images + level * (self.fade_images + self.stable_images);
            let steps = next.saturating_sub(images).div_ceil(batch);
            if left < steps {
                return images + left * batch;
            }
            images += steps * batch;
            left -= steps;
        }
        images + left * self.batch_at_level(self.levels())
    }

    /// The stage of training step `step`.
    pub fn stage_at_step(&self, step: usize) -> Stage {
        self.stage(self.images_before(step))
    }

    /// The fewest steps that train on at least `images` images.
    pub fn steps_for(&self, images: usize) -> usize {
        // `images_before` grows by at least one image per step: bisect.
        let (mut lo, mut hi) = (0, images);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.images_before(mid) >= images {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The images before the final resolution is faded in: the schedule's growth.
    pub fn growth_images(&self) -> usize {
        self.levels() * (self.fade_images + self.stable_images)
    }

    /// Checks the settings: one line naming the one that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        let side = self.image_size;
        if side < 8 || side % 4 != 0 || !(side / 4).is_power_of_two() {
            return Err(format!(
                "image_size {side}: progressive growing doubles 4x4 up to 4 times a power of two (8, 16, 32, 64, 128, ...)"
            ));
        }
        if self.channels != 1 && self.channels != 3 {
            return Err(format!(
                "channels {}: progan generates 1 (gray) or 3 (RGB) channels",
                self.channels
            ));
        }
        if self.fade_images == 0 || self.batch_size == 0 || self.latent_dim == 0 {
            return Err("fade_images, batch_size and latent_dim must be at least 1".into());
        }
        if let Some(b) = self
            .batch_sizes
            .iter()
            .find(|&&b| b == 0 || b > self.batch_size)
        {
            return Err(format!(
                "batch_sizes entry {b}: each resolution's batch must be 1 to batch_size ({}), the loader's batch",
                self.batch_size
            ));
        }
        if let Some(s) = self
            .lr_scales
            .iter()
            .find(|s| !(s.is_finite() && **s > 0.0))
        {
            return Err(format!(
                "lr_scales entry {s}: use positive multipliers of the learning rates"
            ));
        }
        let listed = self.batch_sizes.len().max(self.lr_scales.len());
        if listed > self.levels() + 1 {
            return Err(format!(
                "batch_sizes and lr_scales list at most one entry per resolution, 4x4 to {0}x{0} ({1}); {listed} given",
                self.image_size,
                self.levels() + 1
            ));
        }
        for (name, v) in [
            ("gradient_penalty", self.gradient_penalty),
            ("drift", self.drift),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!("{name} {v}: use a finite number >= 0"));
            }
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses (the program checks first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Progan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid ProGAN configuration: {e}.");
        }
        let gain = 2f64.sqrt();
        let levels = self.levels();
        let nf = |l| self.features(l);
        let generator = Generator {
            input: EqualizedLinear::new(self.latent_dim, nf(0) * 16, gain / 4.0, device),
            conv0: EqualizedConv2d::new(nf(0), nf(0), 3, gain, device),
            blocks: (1..=levels)
                .map(|l| Block {
                    a: EqualizedConv2d::new(nf(l - 1), nf(l), 3, gain, device),
                    b: EqualizedConv2d::new(nf(l), nf(l), 3, gain, device),
                })
                .collect(),
            to_rgb: (0..=levels)
                .map(|l| EqualizedConv2d::new(nf(l), self.channels, 1, 1.0, device))
                .collect(),
        };
        let discriminator = Discriminator {
            from_rgb: (0..=levels)
                .map(|l| EqualizedConv2d::new(self.channels, nf(l), 1, gain, device))
                .collect(),
            blocks: (1..=levels)
                .map(|l| Block {
                    a: EqualizedConv2d::new(nf(l), nf(l), 3, gain, device),
                    b: EqualizedConv2d::new(nf(l), nf(l - 1), 3, gain, device),
                })
                .collect(),
            conv0: EqualizedConv2d::new(nf(0) + 1, nf(0), 3, gain, device),
            dense0: EqualizedLinear::new(nf(0) * 16, nf(0), gain, device),
            out: EqualizedLinear::new(nf(0), 1, 1.0, device),
        };
        Progan {
            generator,
            discriminator,
            steps_done: Param::initialized(
                ParamId::new(),
                Tensor::zeros([1], device).set_require_grad(false),
            ),
            schedule: self.clone(),
        }
    }
}

fn lrelu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    burn_gan::nn::leaky_relu(x, 0.2)
}

/// `(1 - alpha) * old + alpha * new`.
fn lerp<B: Backend>(old: Tensor<B, 4>, new: Tensor<B, 4>, alpha: f32) -> Tensor<B, 4> {
    old.mul_scalar(1.0 - alpha) + new.mul_scalar(alpha)
}

/// Two 3x3 convolutions of one resolution.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    a: EqualizedConv2d<B>,
    b: EqualizedConv2d<B>,
}

/// The growing generator.
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    input: EqualizedLinear<B>,
    conv0: EqualizedConv2d<B>,
    /// The blocks of 8x8, 16x16, ...
    blocks: Vec<Block<B>>,
    /// A 1x1 convolution to pixels per resolution, 4x4 first.
    to_rgb: Vec<EqualizedConv2d<B>>,
}

// ANCHOR: generator
impl<B: Backend> Generator<B> {
    /// Images at the stage's resolution.
    ///
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, channels, 4 * 2^level, 4 * 2^level]`
    pub fn forward(&self, z: Tensor<B, 2>, stage: Stage) -> Tensor<B, 4> {
        let n = z.dims()[0];
        let c0 = self.conv0.weight.dims()[0];
        let h = lrelu(self.input.forward(pixel_norm_2d(z))).reshape([n, c0, 4, 4]);
        let mut h = pixel_norm(lrelu(self.conv0.forward(pixel_norm(h))));
        let mut previous = None;
        for block in &self.blocks[..stage.level] {
            previous = Some(h.clone());
            let x = pixel_norm(lrelu(block.a.forward(upsample2x(h))));
            h = pixel_norm(lrelu(block.b.forward(x)));
        }
        let image = self.to_rgb[stage.level].forward(h);
        match previous {
            // Fading in: blend with the previous resolution's image, upsampled.
            Some(p) if stage.alpha < 1.0 => lerp(
                upsample2x(self.to_rgb[stage.level - 1].forward(p)),
                image,
                stage.alpha,
            ),
            _ => image,
        }
    }
}
// ANCHOR_END: generator

/// The growing discriminator (critic).
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    /// A 1x1 convolution from pixels per resolution, 4x4 first.
    from_rgb: Vec<EqualizedConv2d<B>>,
    /// The blocks of 8x8, 16x16, ... (each ends by halving the resolution).
    blocks: Vec<Block<B>>,
    conv0: EqualizedConv2d<B>,
    dense0: EqualizedLinear<B>,
    out: EqualizedLinear<B>,
}

impl<B: Backend> Discriminator<B> {
    /// Critic scores of images at the stage's resolution.
    ///
    /// # Shapes
    /// - `x`: `[n, channels, 4 * 2^level, 4 * 2^level]`
    /// - output: `[n, 1]`
    pub fn forward(&self, x: Tensor<B, 4>, stage: Stage) -> Tensor<B, 2> {
        let level = stage.level;
        let mut h = lrelu(self.from_rgb[level].forward(x.clone()));
        for l in (1..=level).rev() {
            let block = &self.blocks[l - 1];
            h = downsample2x(lrelu(block.b.forward(lrelu(block.a.forward(h)))));
            if l == level && stage.alpha < 1.0 {
                // Fading in: blend with the previous resolution's input, downsampled.
                let old = lrelu(self.from_rgb[level - 1].forward(downsample2x(x.clone())));
                h = lerp(old, h, stage.alpha);
            }
        }
        let n = h.dims()[0];
        let h = lrelu(self.conv0.forward(minibatch_stddev(h)));
        let h = lrelu(self.dense0.forward(h.reshape([n as i32, -1])));
        self.out.forward(h)
    }
}

/// A progressively grown GAN: generator, discriminator, its schedule and the number of
/// generator updates it has had.
#[derive(Module, Debug)]
pub struct Progan<B: Backend> {
    /// The generator.
    pub generator: Generator<B>,
    /// The discriminator.
    pub discriminator: Discriminator<B>,
    /// `[1]`: generator updates so far (not trained; saved with the weights).
    steps_done: Param<Tensor<B, 1>>,
    #[module(skip)]
    schedule: ProganConfig,
}

impl<B: Backend> Progan<B> {
    /// The stage of training step `step`.
    pub fn stage_at(&self, step: usize) -> Stage {
        self.schedule.stage_at_step(step)
    }

    /// The stage this model has reached (after the generator updates it has had).
    pub fn stage(&self) -> Stage {
        let done: f32 = self.steps_done.val().into_scalar().elem();
        self.stage_at(done as usize)
    }

    /// Real images at the stage's resolution, blended with the previous resolution's during a
    /// fade-in (upsampled back, so the discriminator sees what the fading generator can make).
    ///
    /// # Shapes
    /// - `real`: `[n, c, s, s]` at the final resolution
    /// - output: `[n, c, r, r]`, `r` the stage's resolution
    pub fn real_at(&self, real: Tensor<B, 4>, stage: Stage) -> Tensor<B, 4> {
        let x = downsample_to(real, stage.resolution());
        match stage.level > 0 && stage.alpha < 1.0 {
            true => lerp(upsample2x(downsample2x(x.clone())), x, stage.alpha),
            false => x,
        }
    }
}

impl<B: Backend> Adversarial<B> for Progan<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        burn_gan::train::network_params_of(&self.generator, &self.discriminator, network)
    }

    // ANCHOR: schedule_hooks
    /// The critic and generator phases on the batch of the step's resolution.
    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        let batch = self.schedule.batch_at_level(self.stage_at(step.step).level);
        Phase::alternating(step.d_steps)
            .into_iter()
            .map(|p| p.with_batch(batch))
            .collect()
    }

    /// The learning-rate multiplier of the step's resolution.
    fn learning_rate_scale(&self, _network: NetworkId, step: &StepInfo) -> f64 {
        self.schedule
            .lr_scale_at_level(self.stage_at(step.step).level)
    }
    // ANCHOR_END: schedule_hooks

    // ANCHOR: phase_loss
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let stage = self.stage_at(batch.step.step);
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        out.extra.push((
            "level",
            Tensor::from_floats([stage.level as f32], &batch.real.device()),
        ));
        out.extra.push((
            "alpha",
            Tensor::from_floats([stage.alpha], &batch.real.device()),
        ));
        if batch.phase.network == NetworkId::DISCRIMINATOR {
            let real = self.real_at(batch.real.clone(), stage);
            let fake = self.generator.forward(batch.z.clone(), stage).detach();
            let real_scores = self.discriminator.forward(real.clone(), stage);
            let fake_scores = self.discriminator.forward(fake.clone(), stage);
            out.d_real = Some(real_scores.clone().detach().mean());
            out.d_fake = Some(fake_scores.clone().detach().mean());
            let estimate =
                real_scores.clone().detach().mean() - fake_scores.clone().detach().mean();
            out.extra.push(("w_distance", estimate));
            // WGAN's critic loss and the drift term; the gradient penalty is added by the
            // training step on interpolates of `real` and `fake`.
            let drift = real_scores
                .clone()
                .square()
                .mean()
                .mul_scalar(self.schedule.drift);
            let loss = fake_scores.mean() - real_scores.mean() + drift;
            out.loss_d = Some(loss.clone().detach());
            out.fake = Some(fake);
            out.real = Some(real);
            return (loss, out);
        }
        let fake = self.generator.forward(batch.z.clone(), stage);
        let loss = self.discriminator.forward(fake, stage).mean().neg();
        out.loss_g = Some(loss.clone().detach());
        (loss, out)
    }
    // ANCHOR_END: phase_loss

    /// The learner's validation batch is fixed at step 0: score it at the stage this model has
    /// reached instead.
    fn validation(&self, batch: &GanBatch<B>) -> GanOutput<B> {
        let done: f32 = self.steps_done.val().into_scalar().elem();
        let batch = GanBatch {
            step: StepInfo {
                step: done as usize,
                ..batch.step
            },
            ..batch.clone()
        };
        burn_gan::train::validation_of(self, &batch)
    }

    fn latent_dim(&self) -> usize {
        self.generator.input.weight.dims()[0]
    }

    /// Samples at the stage the model has reached.
    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        self.generator.forward(condition.z, self.stage())
    }

    fn after_update(mut self, network: NetworkId) -> Self {
        if network == NetworkId::GENERATOR {
            let (id, value, _) = self.steps_done.consume();
            self.steps_done = Param::initialized(id, value.add_scalar(1.0).set_require_grad(false));
        }
        self
    }

    fn objective(&self) -> Objective {
        Objective {
            loss: LossFamily::Wasserstein,
            penalty: (self.schedule.gradient_penalty > 0.0).then_some(Penalty::Gradient {
                lambda: self.schedule.gradient_penalty,
            }),
            ..Objective::default()
        }
    }

    fn input_gradients(&self) -> Option<&dyn InputGradients<B>>
    where
        B: AutodiffBackend,
    {
        Some(self)
    }
}

impl<B: AutodiffBackend> InputGradients<B> for Progan<B> {
    fn critic_input_gradient_norms(&self, x: Tensor<B, 4>, step: &StepInfo) -> Tensor<B, 1> {
        let stage = self.stage_at(step.step);
        burn_gan::loss::input_gradient_norms::<B, Discriminator<burn::backend::Autodiff<B>>>(
            &self.discriminator,
            x,
            |d, x| d.forward(x, stage),
        )
    }
}

impl<B: Backend> crate::GeneratorAverage for Progan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(Progan);
