//! The conditional networks on DCGAN's blocks: a generator whose class embedding joins `z`
//! (and, with BigGAN's class-conditional batch norm, sets its normalisations' gains), and a
//! discriminator with CGAN's label maps and projection term, ACGAN's auxiliary classifier or
//! InfoGAN's `Q` heads.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Initializer, LeakyRelu, LeakyReluConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{relu, tanh};
use burn_gan::nn::{
    sn_conv2d, sn_linear, BatchNorm, BatchNormConfig, ClassBatchNorm, ClassBatchNormConfig,
    MinibatchDiscrimination, MinibatchDiscriminationConfig, PowerIteration,
};
use burn_gan::train::ema::Average;

use super::{cgan, Conditional, ConditionalConfig, Conditioning, Settings};
use crate::blocks::DcganLayers;
use crate::dcgan::DcganConfig;

impl ConditionalConfig {
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
        let layers = DcganLayers::<B>::new(device, false);
        let (conv_t, conv, linear) = (
            |i, o| layers.conv_t(i, o),
            |i, o| layers.conv(i, o),
            |i, o| layers.linear(i, o),
        );

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
    pub(super) embedding: Param<Tensor<B, 2>>,
    pub(super) project: Linear<B>,
    /// Batch norms (after the projection, then after each hidden layer), or none when the
    /// class-conditional ones are used.
    pub(super) norms: Vec<BatchNorm<B>>,
    pub(super) class_norms: Vec<ClassBatchNorm<B>>,
    pub(super) convs: Vec<ConvTranspose2d<B>>,
    pub(super) top: usize,
    pub(super) side: usize,
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
    pub(super) convs: Vec<Conv2d<B>>,
    pub(super) norms: Vec<BatchNorm<B>>,
    /// CGAN: `[classes, label_maps * s1 * s1]`, the label's feature maps (`s1` = half the image).
    pub(super) label_maps: Option<Param<Tensor<B, 2>>>,
    /// CGAN with a projection term: `[classes, features]`, the class embedding whose inner
    /// product with the features is added to the logit (absent from older records).
    pub(super) projection: Option<Param<Tensor<B, 2>>>,
    /// Power-iteration states: one per convolution, the head's, the classifier's.
    pub(super) spectral: Option<Vec<PowerIteration<B>>>,
    pub(super) activation: LeakyRelu,
    /// Minibatch discrimination before the real/fake head (absent from older records).
    pub(super) minibatch: Option<MinibatchDiscrimination<B>>,
    pub(super) head: Linear<B>,
    /// ACGAN: the auxiliary classifier; InfoGAN: Q's categorical head.
    pub(super) classifier: Option<Linear<B>>,
    /// InfoGAN: Q's head for the means of the continuous codes.
    pub(super) continuous: Option<Linear<B>>,
    pub(super) first_side: usize,
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
        let mut x = x;
        for (l, conv) in self.convs.iter().enumerate() {
            if l == 1 {
                if let Some(maps) = &self.label_maps {
                    x = cgan::join_label_maps(x, maps, labels.clone(), self.first_side);
                }
            }
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
        if let Some(embedding) = &self.projection {
            logits = logits + cgan::projection(embedding, labels, features.clone());
        }
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
