//! VAE/GAN: a variational autoencoder whose decoder is a GAN's generator and whose
//! reconstruction error is measured in the discriminator's features.
//!
//! Larsen, Sønderby, Larochelle and Winther 2016, "Autoencoding beyond pixels using a learned
//! similarity metric", ICML, arXiv:1512.09300. Three networks:
//!
//! - the encoder `E` maps an image `x` to a diagonal Gaussian `q(z|x) = N(mu, diag(sigma²))`;
//!   `z = mu + sigma * eps` (the reparameterisation trick);
//! - the decoder, a DCGAN generator `G`, maps `z` to an image `x̃ = G(z)`, and a code from the
//!   prior `z_p ~ N(0, I)` to a sample `x_p = G(z_p)`;
//! - the discriminator `D`, a DCGAN discriminator, tells `x` from both `x̃` and `x_p`.
//!
//! The losses (section 2 of the paper):
//!
//! - `L_prior = KL(q(z|x) || N(0, I))`;
//! - `L_llike^Dis_l = -E_q[log N(Dis_l(x) | Dis_l(x̃), I)]`, the Gaussian negative
//!   log-likelihood of the `l`-th layer features of `D` (up to its constant), replacing the VAE's
//!   pixel-wise error;
//! - `L_GAN = log D(x) + log(1 - D(x̃)) + log(1 - D(x_p))`.
//!
//! They are routed as the paper's algorithm 1: `E` minimises `L_prior + L_llike`, `G` minimises
//! `gamma * L_llike - L_GAN` (the non-saturating form, `-log D(x̃) - log D(x_p)`, as in the
//! reference code) and `D` maximises `L_GAN` only. Each is one phase of burn-gan's training
//! contract (one network, one loss): the discriminator on a fresh batch, then the encoder, then
//! the generator on the same batch with fresh noise.
//!
//! With `adversarial = false` and pixel reconstruction the same encoder and decoder form the
//! plain VAE (Kingma and Welling 2014) the paper compares with: `E` and `G` minimise
//! `L_prior + L_llike^pixel` with a Gaussian pixel likelihood of standard deviation
//! `pixel_sigma`.

use burn::module::{Module, ParamId};
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use burn_gan::loss::{discriminator_loss, softplus};
use burn_gan::nn::{BatchNorm, BatchNormConfig};
use burn_gan::train::{
    normal_noise, Adversarial, Condition, Encoder, GanBatch, GanOutput, NetworkId, Phase, StepInfo,
};

use crate::blocks::{discriminator_widths, DcganLayers};
use crate::dcgan::{DcganConfig, Discriminator, Generator};

mod family;
#[cfg(test)]
mod tests;

pub use family::VaeganFamily;

/// What the reconstruction error compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reconstruction {
    /// The discriminator's layer-`l` features (VAE/GAN's learned similarity).
    #[default]
    Features,
    /// The pixels (the plain VAE).
    Pixels,
}

impl std::str::FromStr for Reconstruction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "features" => Ok(Self::Features),
            "pixels" => Ok(Self::Pixels),
            other => Err(format!(
                "unknown reconstruction `{other}`; use features or pixels"
            )),
        }
    }
}

/// Configuration of a VAE/GAN (or, without the discriminator, a VAE).
#[derive(Config, Debug, PartialEq)]
pub struct VaeganConfig {
    /// Latent dimension (the reference code's 128).
    #[config(default = 128)]
    pub latent_dim: usize,
    /// Image channels (1 gray, 3 RGB).
    pub channels: usize,
    /// Image side in pixels (28, 32, 64, or any `s * 2^k` with `3 <= s <= 7`).
    pub image_size: usize,
    /// Channels of the generator's last hidden layer and of the encoder's and discriminator's
    /// first; they double at each resolution halving (as in DCGAN).
    #[config(default = 64)]
    pub base_channels: usize,
    /// Whether the model has a discriminator and trains adversarially (false: the plain VAE).
    #[config(default = true)]
    pub adversarial: bool,
    /// What the reconstruction error compares: the discriminator's features or the pixels.
    #[config(default = "Reconstruction::Features")]
    pub reconstruction: Reconstruction,
    /// The weight gamma of the reconstruction error in the decoder's loss,
    /// `gamma * L_llike - L_GAN`. The default is the reference code's 1e-6 (CelebA), with
    /// both terms summed over each sample's features and averaged over the batch, as there.
    #[config(default = 1e-6)]
    pub gamma: f64,
    /// The discriminator layer `l` whose features the reconstruction compares (1-based among
    /// its convolutions; 0: the last one, the deepest convolutional features, as the paper's
    /// choice of the third of four convolutions is for its 64x64 networks).
    #[config(default = 0)]
    pub feature_layer: usize,
    /// The standard deviation of the pixel likelihood `N(x | x̃, sigma² I)` of pixel
    /// reconstruction, in the data's `[-1, 1]` units.
    #[config(default = 0.2)]
    pub pixel_sigma: f64,
}

impl VaeganConfig {
    /// The plain VAE on the same encoder and decoder: pixel reconstruction, no discriminator.
    pub fn vae(channels: usize, image_size: usize) -> Self {
        Self::new(channels, image_size)
            .with_adversarial(false)
            .with_reconstruction(Reconstruction::Pixels)
    }

    /// The DCGAN networks this model shares its decoder and discriminator with.
    fn dcgan(&self) -> DcganConfig {
        DcganConfig::new(self.channels, self.image_size)
            .with_latent_dim(self.latent_dim)
            .with_base_channels(self.base_channels)
    }

    /// The number of stride-2 convolutions of each network.
    pub fn depth(&self) -> usize {
        self.dcgan().levels().0
    }

    /// Checks settings that cannot train: one line naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.gamma >= 0.0 && self.gamma.is_finite()) {
            return Err(format!(
                "gamma {}: the weight of the reconstruction error in the decoder's loss must be a finite number >= 0 (the paper's code uses 1e-6)",
                self.gamma
            ));
        }
        if !(self.pixel_sigma > 0.0 && self.pixel_sigma.is_finite()) {
            return Err(format!(
                "pixel_sigma {}: the pixel likelihood's standard deviation must be a positive number (e.g. 0.2)",
                self.pixel_sigma
            ));
        }
        if self.latent_dim == 0 || self.base_channels == 0 {
            return Err("latent_dim and base_channels must be at least 1".into());
        }
        if self.reconstruction == Reconstruction::Features && !self.adversarial {
            return Err("reconstruction=features compares discriminator features, so it needs adversarial=true; use reconstruction=pixels for a plain VAE".into());
        }
        let depth = self.depth();
        if self.feature_layer > depth {
            return Err(format!(
                "feature_layer {}: the discriminator of {}x{} images has {depth} convolutional layers; use 1 to {depth} (0: the last)",
                self.feature_layer, self.image_size, self.image_size
            ));
        }
        Ok(())
    }

    /// Builds the model.
    ///
    /// # Panics
    /// On a configuration [`validate`](Self::validate) refuses or an image size DCGAN's networks
    /// cannot generate (the command line checks both first).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Vaegan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid VAE/GAN configuration: {e}.");
        }
        let dcgan = self.dcgan().init::<B>(device);
        let (levels, side) = self.dcgan().levels();
        let layers = DcganLayers::<B>::new(device, false);
        let widths = discriminator_widths(self.channels, self.base_channels, levels);
        let top = widths.last().map_or(self.base_channels, |w| w.1);
        let encoder = VaeEncoder {
            convs: widths.iter().map(|&(i, o)| layers.conv(i, o)).collect(),
            norms: widths[1..]
                .iter()
                .map(|&(_, o)| BatchNormConfig::new(o).init(device))
                .collect(),
            mean: layers.linear(top * side * side, self.latent_dim),
            log_var: layers.linear(top * side * side, self.latent_dim),
        };
        Vaegan {
            encoder,
            generator: dcgan.generator,
            discriminator: self.adversarial.then_some(dcgan.discriminator),
            gamma: self.gamma,
            feature_layer: match self.feature_layer {
                0 => levels,
                l => l,
            },
            reconstruction: self.reconstruction,
            pixel_sigma: self.pixel_sigma,
        }
    }
}

/// The encoder: DCGAN discriminator-shaped convolutions (batch norm after all but the first,
/// LeakyReLU(0.2)), then two linear heads for the mean and the log-variance of `q(z|x)`.
#[derive(Module, Debug)]
pub struct VaeEncoder<B: Backend> {
    convs: Vec<Conv2d<B>>,
    norms: Vec<BatchNorm<B>>,
    mean: Linear<B>,
    log_var: Linear<B>,
}

impl<B: Backend> VaeEncoder<B> {
    /// # Shapes
    /// - `x`: `[n, channels, image_size, image_size]`
    /// - output: the mean and log-variance, `([n, latent_dim], [n, latent_dim])`
    pub fn forward(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let mut x = x;
        for (l, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x);
            if l > 0 {
                x = self.norms[l - 1].forward(x);
            }
            x = burn_gan::nn::leaky_relu(x, 0.2);
        }
        let x = x.flatten::<2>(1, 3);
        // A bounded log-variance keeps exp() finite on a bad batch early in training.
        (
            self.mean.forward(x.clone()),
            self.log_var.forward(x).clamp(-20.0, 10.0),
        )
    }
}

/// Encoder, decoder (generator) and, for VAE/GAN, discriminator.
#[derive(Module, Debug)]
pub struct Vaegan<B: Backend> {
    /// The encoder `E`.
    pub encoder: VaeEncoder<B>,
    /// The decoder `G` (a DCGAN generator).
    pub generator: Generator<B>,
    /// The discriminator `D` (a DCGAN discriminator); `None` for the plain VAE.
    pub discriminator: Option<Discriminator<B>>,
    #[module(skip)]
    gamma: f64,
    /// The resolved layer `l` (1-based).
    #[module(skip)]
    feature_layer: usize,
    #[module(skip)]
    reconstruction: Reconstruction,
    #[module(skip)]
    pixel_sigma: f64,
}

/// Mixed into the phase seed for the prior codes `z_p`, so they differ from the `eps` of the
/// reparameterisation (which is the batch's noise).
const PRIOR_STREAM: u64 = 0x7072_696f_725f_7a70;

// ANCHOR: vaegan_losses
/// `z = mu + exp(log_var / 2) * eps`.
pub fn reparameterise<B: Backend>(
    mean: Tensor<B, 2>,
    log_var: Tensor<B, 2>,
    eps: Tensor<B, 2>,
) -> Tensor<B, 2> {
    mean + log_var.mul_scalar(0.5).exp() * eps
}

/// `KL(N(mu, diag(exp(log_var))) || N(0, I))`, summed over the latent dimensions and averaged
/// over the batch: `L_prior`.
pub fn kl_to_standard_normal<B: Backend>(
    mean: Tensor<B, 2>,
    log_var: Tensor<B, 2>,
) -> Tensor<B, 1> {
    (mean.square() + log_var.clone().exp() - log_var)
        .sub_scalar(1.0)
        .sum_dim(1)
        .mul_scalar(0.5)
        .mean()
}

/// The negative log-likelihood of `target` under `N(prediction, sigma² I)` without its
/// constant, `||target - prediction||² / (2 sigma²)`, summed over each sample's values and
/// averaged over the batch: `L_llike`.
pub fn gaussian_nll<B: Backend>(
    target: Tensor<B, 2>,
    prediction: Tensor<B, 2>,
    sigma: f64,
) -> Tensor<B, 1> {
    (target - prediction)
        .square()
        .sum_dim(1)
        .mul_scalar(0.5 / (sigma * sigma))
        .mean()
}
// ANCHOR_END: vaegan_losses

impl<B: Backend> Vaegan<B> {
    /// The reconstruction error `L_llike` of `recon` against `real`: in the discriminator's
    /// layer-`l` features (both batches through one forward pass, so batch norm sees them
    /// together, as in the reference code), or in pixels.
    fn reconstruction_error(&self, real: Tensor<B, 4>, recon: Tensor<B, 4>) -> Tensor<B, 1> {
        let n = real.dims()[0];
        match (&self.discriminator, self.reconstruction) {
            (Some(d), Reconstruction::Features) => {
                let f = d.layer_features(Tensor::cat(vec![real, recon], 0), self.feature_layer);
                let real = f.clone().slice([0..n]).detach();
                gaussian_nll(real, f.slice([n..2 * n]), 1.0)
            }
            _ => gaussian_nll(real.flatten(1, 3), recon.flatten(1, 3), self.pixel_sigma),
        }
    }

    /// Whether the model has a discriminator (VAE/GAN) or not (the plain VAE).
    pub fn is_adversarial(&self) -> bool {
        self.discriminator.is_some()
    }

    /// Encodes `x` to the means of its codes and decodes them: the reconstructions.
    ///
    /// # Shapes
    /// - `x`, output: `[n, channels, image_size, image_size]`
    pub fn reconstruct(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.generator.forward(self.encoder.forward(x).0)
    }
}

impl<B: Backend> Adversarial<B> for Vaegan<B> {
    fn networks(&self) -> Vec<NetworkId> {
        let mut networks = vec![NetworkId::ENCODER, NetworkId::GENERATOR];
        if self.is_adversarial() {
            networks.push(NetworkId::DISCRIMINATOR);
        }
        networks
    }

    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        match network {
            NetworkId::ENCODER => burn::module::list_param_ids(&self.encoder),
            NetworkId::GENERATOR => burn::module::list_param_ids(&self.generator),
            NetworkId::DISCRIMINATOR => self
                .discriminator
                .as_ref()
                .map(burn::module::list_param_ids)
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    // ANCHOR: phases
    /// VAE/GAN: `d_steps` discriminator phases on fresh batches, then the encoder and the
    /// decoder on the last batch. The VAE: the encoder on a fresh batch, then the decoder.
    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        let encoder = Phase::new("encoder", NetworkId::ENCODER);
        match self.is_adversarial() {
            true => {
                let mut phases = vec![Phase::DISCRIMINATOR; step.d_steps.max(1)];
                phases.extend([encoder, Phase::GENERATOR]);
                phases
            }
            false => vec![encoder.fresh(), Phase::GENERATOR],
        }
    }
    // ANCHOR_END: phases

    // ANCHOR: phase_loss
    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let real = batch.real.clone();
        let n = real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        // eps of the reparameterisation is the phase's noise; the prior codes z_p their own.
        let device = real.device();
        let prior = || normal_noise::<B>(n, self.latent_dim(), batch.seed ^ PRIOR_STREAM, &device);
        let (mean, log_var) = self.encoder.forward(real.clone());
        match (batch.phase.network, &self.discriminator) {
            (NetworkId::ENCODER, _) => {
                // E minimises L_prior + L_llike.
                let prior_loss = kl_to_standard_normal(mean.clone(), log_var.clone());
                let recon = self
                    .generator
                    .forward(reparameterise(mean, log_var, batch.z.clone()));
                out.extra.push(("mse", pixel_mse(&real, &recon)));
                let llike = self.reconstruction_error(real, recon);
                let loss = prior_loss.clone() + llike.clone();
                out.extra.push(("loss_e", loss.clone().detach()));
                out.extra.push(("kl", prior_loss.detach()));
                out.extra.push(("llike", llike.detach()));
                (loss, out)
            }
            (NetworkId::DISCRIMINATOR, Some(d)) => {
                // D maximises L_GAN = log D(x) + log(1 - D(x̃)) + log(1 - D(x_p)).
                let z = reparameterise(mean.detach(), log_var.detach(), batch.z.clone());
                let recon = self.generator.forward(z).detach();
                let fake = self.generator.forward(prior()).detach();
                let (real_logits, recon_logits, fake_logits) =
                    (d.forward(real), d.forward(recon), d.forward(fake));
                out.d_real = Some(sigmoid(real_logits.clone().detach()).mean());
                out.d_fake = Some(sigmoid(fake_logits.clone().detach()).mean());
                out.extra
                    .push(("d_recon", sigmoid(recon_logits.clone().detach()).mean()));
                let loss = discriminator_loss(real_logits, recon_logits, 1.0)
                    + softplus(fake_logits).mean();
                out.loss_d = Some(loss.clone().detach());
                (loss, out)
            }
            (_, discriminator) => {
                // G minimises gamma * L_llike - L_GAN (the VAE: L_llike).
                let z = reparameterise(mean.detach(), log_var.detach(), batch.z.clone());
                let recon = self.generator.forward(z);
                out.extra.push(("mse", pixel_mse(&real, &recon)));
                let llike = self.reconstruction_error(real, recon.clone());
                out.extra.push(("llike", llike.clone().detach()));
                let loss = match discriminator {
                    Some(d) => {
                        let fake = self.generator.forward(prior());
                        let gan = softplus(d.forward(recon).neg()).mean()
                            + softplus(d.forward(fake).neg()).mean();
                        llike.mul_scalar(self.gamma) + gan
                    }
                    None => llike,
                };
                out.loss_g = Some(loss.clone().detach());
                (loss, out)
            }
        }
    }
    // ANCHOR_END: phase_loss

    fn latent_dim(&self) -> usize {
        self.generator.latent_dim()
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        self.generator.forward(condition.z)
    }

    fn encoder(&self) -> Option<&dyn Encoder<B>> {
        Some(self)
    }
}

impl<B: Backend> Encoder<B> for Vaegan<B> {
    fn encode(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        self.encoder.forward(x)
    }
}

/// The mean squared pixel error of a reconstruction (reported, not trained on).
fn pixel_mse<B: Backend>(real: &Tensor<B, 4>, recon: &Tensor<B, 4>) -> Tensor<B, 1> {
    (real.clone() - recon.clone().detach()).square().mean()
}

impl<B: Backend> crate::GeneratorAverage for Vaegan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

burn_gan::impl_train_steps!(Vaegan);
