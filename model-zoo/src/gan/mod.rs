//! The original GAN: multilayer perceptrons for both networks.
//!
//! Goodfellow et al. 2014, "Generative Adversarial Nets", arXiv:1406.2661. As in the paper's
//! code, the generator is a ReLU MLP and the discriminator a maxout MLP (Goodfellow et al. 2013,
//! arXiv:1302.4389) with optional dropout. Deliberately different: the generator's image output
//! is `tanh` (data in `[-1, 1]`) rather than a sigmoid (data in `[0, 1]`), and for 2-D data it is
//! linear.

use burn::module::{Module, ParamId};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, tanh};
use burn::tensor::backend::AutodiffBackend;
use burn_gan::loss::{GeneratorLoss, LossFamily};
use burn_gan::nn::{
    sn_linear, MinibatchDiscrimination, MinibatchDiscriminationConfig, PowerIteration,
};
use burn_gan::train::history::History;
use burn_gan::train::{
    gan_phase_loss, network_params_of, Adversarial, Condition, DiscriminatorFeatures, GanBatch,
    GanOutput, HistoricalAverage, InputGradients, NetworkId, Objective, Penalty,
};

mod family;
#[cfg(test)]
mod tests;

pub use family::GanFamily;

/// Configuration of the original GAN.
#[derive(Config, Debug, PartialEq)]
pub struct GanConfig {
    /// Noise dimension.
    pub latent_dim: usize,
    /// Shape of one sample, `[c, h, w]` (`[2, 1, 1]` for 2-D points).
    pub data_shape: [usize; 3],
    /// Width of the generator's hidden layers.
    #[config(default = 128)]
    pub g_hidden: usize,
    /// Number of hidden layers of the generator.
    #[config(default = 2)]
    pub g_layers: usize,
    /// Units of the discriminator's maxout layers.
    #[config(default = 128)]
    pub d_hidden: usize,
    /// Number of maxout layers of the discriminator.
    #[config(default = 2)]
    pub d_layers: usize,
    /// Linear pieces per maxout unit (1 = a plain linear layer followed by nothing; use >= 2).
    #[config(default = 5)]
    pub maxout_pieces: usize,
    /// Dropout probability on the discriminator's inputs to each layer.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// `tanh` image output (true) or linear output for unbounded data (false).
    #[config(default = true)]
    pub tanh_output: bool,
    /// The generator's loss.
    #[config(default = "GeneratorLoss::NonSaturating")]
    pub generator_loss: GeneratorLoss,
    /// Target of real samples for the discriminator (below 1 for one-sided label smoothing).
    #[config(default = 1.0)]
    pub real_target: f32,
    /// The adversarial loss family (standard, least squares, hinge, Wasserstein).
    #[config(default = "LossFamily::Standard")]
    pub loss: LossFamily,
    /// WGAN-GP's gradient-penalty weight lambda (0: none).
    #[config(default = 0.0)]
    pub gradient_penalty: f64,
    /// WGAN's weight clipping bound c (0: none).
    #[config(default = 0.0)]
    pub weight_clip: f64,
    /// Spectral normalisation (Miyato et al. 2018) of every discriminator layer.
    #[config(default = false)]
    pub spectral_norm: bool,
    /// Minibatch discrimination (Salimans et al. 2016) before the output layer: the number of
    /// kernels B (0: none).
    #[config(default = 0)]
    pub minibatch_kernels: usize,
    /// Minibatch discrimination: the dimension C of each kernel.
    #[config(default = 5)]
    pub minibatch_kernel_dim: usize,
    /// Feature matching (Salimans et al. 2016): the generator matches the mean of the
    /// discriminator's last hidden layer.
    #[config(default = false)]
    pub feature_matching: bool,
    /// Historical averaging's weight lambda (Salimans et al. 2016): both networks are pulled
    /// towards the running mean of their past parameters (0: off).
    #[config(default = 0.0)]
    pub historical_averaging: f64,
}

impl GanConfig {
    /// For 2-D toy data (`ring8`, `grid25`): 2x128 ReLU generator on 2-d noise, 2x128
    /// maxout(5) discriminator, linear output. A 2-d noise keeps the generator a map of the
    /// plane, which (with the linear learning-rate decay of the toy training defaults) covered
    /// all 8 ring modes for 3 of 4 seeds where 4- and 16-d noise collapsed to 3-6 modes; see
    /// the book's "The original GAN" chapter for the sweep (`examples/toy_sweep.rs`).
    pub fn toy() -> Self {
        Self::new(2, [2, 1, 1]).with_tanh_output(false)
    }

    /// For 28x28 gray images, after the paper's MNIST setup (its `mnist.yaml`): 1200-1200 ReLU
    /// generator on 100-d noise, maxout 240x5 discriminator with dropout.
    pub fn mnist() -> Self {
        Self::new(100, [1, 28, 28])
            .with_g_hidden(1200)
            .with_d_hidden(240)
            .with_dropout(0.2)
    }

    /// The objective this configuration trains with.
    pub fn objective(&self) -> Objective {
        Objective {
            generator_loss: self.generator_loss,
            real_target: self.real_target,
            loss: self.loss,
            penalty: (self.gradient_penalty > 0.0).then_some(Penalty::Gradient {
                lambda: self.gradient_penalty,
            }),
            weight_clip: (self.weight_clip > 0.0).then_some(self.weight_clip as f32),
            feature_matching: self.feature_matching,
            historical_averaging: (self.historical_averaging > 0.0)
                .then_some(self.historical_averaging),
        }
    }

    /// Checks the objective's combination (see [`Objective::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("gradient_penalty", self.gradient_penalty),
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
        if self.minibatch_kernels > 0 && self.gradient_penalty > 0.0 {
            return Err("a gradient penalty needs per-sample critic scores, which minibatch discrimination couples; use one".into());
        }
        self.objective().validate(false, self.spectral_norm)
    }

    /// Builds the GAN.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Gan<B> {
        if let Err(e) = self.validate() {
            panic!("Invalid GAN configuration: {e}.");
        }
        assert!(
            self.latent_dim > 0,
            "The noise dimension of a GAN must be at least 1."
        );
        assert!(
            self.maxout_pieces >= 1,
            "A maxout layer needs at least one piece, got {}.",
            self.maxout_pieces
        );
        let out: usize = self.data_shape.iter().product();
        let mut g = Vec::new();
        let mut width = self.latent_dim;
        for _ in 0..self.g_layers {
            g.push(LinearConfig::new(width, self.g_hidden).init(device));
            width = self.g_hidden;
        }
        let g_out = LinearConfig::new(width, out).init(device);
        let mut d = Vec::new();
        let mut width = out;
        for _ in 0..self.d_layers {
            d.push(LinearConfig::new(width, self.d_hidden * self.maxout_pieces).init(device));
            width = self.d_hidden;
        }
        let [c, h, w] = self.data_shape;
        let generator = Generator {
            hidden: g,
            output: g_out,
            tanh_output: self.tanh_output,
            shape: [c, h, w],
        };
        let discriminator = Discriminator {
            spectral: self.spectral_norm.then(|| {
                // One state per linear piece of every maxout layer (see `apply`).
                let mut states: Vec<PowerIteration<B>> = d
                    .iter()
                    .flat_map(|l| {
                        let [i, o] = l.weight.dims();
                        (0..self.maxout_pieces)
                            .map(move |_| PowerIteration::new(o / self.maxout_pieces, i, device))
                    })
                    .collect();
                states.push(PowerIteration::new(
                    1,
                    width + self.minibatch_kernels,
                    device,
                ));
                states
            }),
            hidden: d,
            minibatch: (self.minibatch_kernels > 0).then(|| {
                MinibatchDiscriminationConfig::new(width, self.minibatch_kernels)
                    .with_kernel_dim(self.minibatch_kernel_dim)
                    .init(device)
            }),
            output: LinearConfig::new(width + self.minibatch_kernels, 1).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            pieces: self.maxout_pieces,
        };
        Gan {
            history: (self.historical_averaging > 0.0)
                .then(|| History::new(&generator, &discriminator, device)),
            generator,
            discriminator,
            objective: self.objective(),
        }
    }
}

/// The MLP generator.
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    hidden: Vec<Linear<B>>,
    output: Linear<B>,
    tanh_output: bool,
    shape: [usize; 3],
}

impl<B: Backend> Generator<B> {
    /// # Shapes
    /// - `z`: `[n, latent_dim]`
    /// - output: `[n, c, h, w]`
    pub fn forward(&self, z: Tensor<B, 2>) -> Tensor<B, 4> {
        let n = z.dims()[0];
        let mut x = z;
        for layer in &self.hidden {
            x = relu(layer.forward(x));
        }
        let x = self.output.forward(x);
        let x = if self.tanh_output { tanh(x) } else { x };
        let [c, h, w] = self.shape;
        x.reshape([n, c, h, w])
    }
}

/// The maxout discriminator.
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    hidden: Vec<Linear<B>>,
    output: Linear<B>,
    dropout: Dropout,
    pieces: usize,
    /// Power-iteration states of a spectrally normalised discriminator: one per linear piece of
    /// each maxout layer (layer-major), then the output's (absent from older records).
    spectral: Option<Vec<PowerIteration<B>>>,
    /// Minibatch discrimination before the output layer (absent from older records).
    minibatch: Option<MinibatchDiscrimination<B>>,
}

// ANCHOR: maxout
impl<B: Backend> Discriminator<B> {
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: logits `[n, 1]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.features(x);
        let x = match &self.minibatch {
            Some(layer) => layer.forward(x), // [n, units + kernels]
            None => x,
        };
        let x = self.dropout.forward(x);
        match &self.spectral {
            Some(states) => sn_linear(&self.output, states.last().expect("the output's state"), x),
            None => burn_gan::nn::linear(&self.output, x),
        }
    }

    /// The last maxout layer's output (what feature matching compares).
    ///
    /// # Shapes
    /// - `x`: `[n, c, h, w]`
    /// - output: `[n, units]`
    pub fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let mut x: Tensor<B, 2> = x.flatten(1, 3);
        for (l, layer) in self.hidden.iter().enumerate() {
            let y = self.apply(l, layer, self.dropout.forward(x)); // [n, units * pieces]
            let [n, width] = y.dims();
            let units = width / self.pieces;
            x = y
                .reshape([n, units, self.pieces])
                .max_dim(2)
                .reshape([n, units]);
        }
        x
    }

    /// Hidden layer `l` before the max: plain tensor operations, differentiable twice
    /// (gradient penalties).
    ///
    /// With spectral normalisation each linear piece of the maxout layer is normalised on its
    /// own, which makes every piece, and so their maximum, 1-Lipschitz. Normalising the stacked
    /// `[in, units * pieces]` matrix instead would divide every piece by the largest singular
    /// value of the stack, up to `sqrt(pieces)` times its own, and shrink the critic's range
    /// layer after layer.
    fn apply(&self, l: usize, layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let Some(states) = &self.spectral else {
            return burn_gan::nn::linear(layer, x);
        };
        let update = B::ad_enabled(&x.device());
        let w = layer.weight.val(); // [in, units * pieces], output unit * pieces + piece
        let [i, width] = w.dims();
        let units = width / self.pieces;
        let pieces = w.clone().reshape([i, units, self.pieces]);
        let sigmas: Vec<Tensor<B, 1>> = (0..self.pieces)
            .map(|p| {
                let piece = pieces
                    .clone()
                    .slice([0..i, 0..units, p..p + 1])
                    .reshape([i, units]);
                states[l * self.pieces + p].sigma(piece.transpose(), update)
            })
            .collect();
        let sigma = Tensor::cat(sigmas, 0).reshape([1, 1, self.pieces]);
        let mut normalised = layer.clone();
        normalised.weight =
            burn::module::Param::initialized(layer.weight.id, (pieces / sigma).reshape([i, width]));
        burn_gan::nn::linear(&normalised, x)
    }
}
// ANCHOR_END: maxout

/// Generator and discriminator of the original GAN.
#[derive(Module, Debug)]
pub struct Gan<B: Backend> {
    /// The generator.
    pub generator: Generator<B>,
    /// The discriminator.
    pub discriminator: Discriminator<B>,
    /// Historical averages of both networks, when configured (absent from older records).
    history: Option<History<B, Generator<B>, Discriminator<B>>>,
    #[module(skip)]
    objective: Objective,
}

/// No average: samples come from the trained generator.
impl<B: Backend> crate::GeneratorAverage for Gan<B> {
    fn without_average(self) -> Option<Self> {
        None
    }
}

// ANCHOR: gan_adversarial
impl<B: Backend> Adversarial<B> for Gan<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        network_params_of(&self.generator, &self.discriminator, network)
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        gan_phase_loss(self, batch)
    }

    fn latent_dim(&self) -> usize {
        self.generator
            .hidden
            .first()
            .map_or(self.generator.output.weight.dims()[0], |l| {
                l.weight.dims()[0]
            })
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        self.generator.forward(condition.z)
    }

    fn after_update(mut self, network: NetworkId) -> Self {
        if let Some(h) = self.history.take() {
            self.history = Some(h.update(network, &self.generator, &self.discriminator));
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

crate::impl_gan_capabilities!(Gan, Discriminator);
burn_gan::impl_train_steps!(Gan);
// ANCHOR_END: gan_adversarial
