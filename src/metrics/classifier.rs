//! Domain classifiers: a LeNet-class network for 28x28 gray images whose penultimate layer gives
//! features for a domain FID and KID, and whose softmax gives the Inception Score and the class
//! accuracy of conditionally generated samples.
//!
//! LeCun et al. 1998, "Gradient-Based Learning Applied to Document Recognition", in its modern
//! form: two 5x5 convolutions (16 and 32 filters, ReLU, 2x2 max pool), a 128-unit ReLU layer (the
//! features) and a 10-way output. Inception features describe natural photographs; on MNIST-like
//! data a classifier trained on the data itself measures what matters there (Inception FID on
//! 28x28 digits is dominated by the resize to 299x299).
//!
//! The weights shipped with burn-gan were trained by [`train_classifier`] through
//! `burn-gan train-classifier`; the commands and held-out accuracies are in the book's
//! Evaluation chapter.
use burn::{
    module::Module,
    nn::{
        conv::{Conv2d, Conv2dConfig},
        loss::CrossEntropyLossConfig,
        pool::{MaxPool2d, MaxPool2dConfig},
        Linear, LinearConfig, PaddingConfig2d, Relu,
    },
    optim::{AdamConfig, GradientsParams, Optimizer},
    prelude::*,
    record::{BinBytesRecorder, HalfPrecisionSettings, Recorder},
    tensor::{activation::softmax, backend::AutodiffBackend},
};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::Error;

/// Width of the feature layer.
pub const CLASSIFIER_FEATURES: usize = 128;

/// Configuration of [`Classifier`].
#[derive(Config, Debug)]
pub struct ClassifierConfig {
    /// Number of classes.
    #[config(default = 10)]
    pub classes: usize,
}

/// The LeNet-class domain classifier.
#[derive(Module, Debug)]
pub struct Classifier<B: Backend> {
    conv1: Conv2d<B>,
    conv2: Conv2d<B>,
    pool: MaxPool2d,
    hidden: Linear<B>,
    output: Linear<B>,
    relu: Relu,
}

impl ClassifierConfig {
    /// Builds an untrained classifier.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Classifier<B> {
        let padding = PaddingConfig2d::Explicit(2, 2, 2, 2);
        Classifier {
            conv1: Conv2dConfig::new([1, 16], [5, 5])
                .with_padding(padding.clone())
                .init(device),
            conv2: Conv2dConfig::new([16, 32], [5, 5])
                .with_padding(padding)
                .init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(32 * 7 * 7, CLASSIFIER_FEATURES).init(device),
            output: LinearConfig::new(CLASSIFIER_FEATURES, self.classes).init(device),
            relu: Relu::new(),
        }
    }
}

/// The classifiers that ship with burn-gan (weights embedded in the library, half precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainClassifier {
    /// Trained on Fashion-MNIST's 60,000 training images.
    Fashion,
    /// Trained on MNIST's 60,000 training images.
    Mnist,
}

impl DomainClassifier {
    /// Names accepted by `--features`.
    pub const NAMES: [&'static str; 2] = ["fashion", "mnist"];

    /// Parses `fashion` or `mnist`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "fashion" => Some(Self::Fashion),
            "mnist" => Some(Self::Mnist),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fashion => "fashion",
            Self::Mnist => "mnist",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Fashion => include_bytes!("../../weights/lenet-fashion.bin"),
            Self::Mnist => include_bytes!("../../weights/lenet-mnist.bin"),
        }
    }

    /// Loads the embedded weights.
    pub fn load<B: Backend>(self, device: &B::Device) -> Classifier<B> {
        Classifier::from_bytes(self.bytes(), device)
            .expect("the embedded classifier weights are valid")
    }
}

impl<B: Backend> Classifier<B> {
    /// Scales 0..=255 pixel values to [-1, 1].
    fn scale(pixels: Tensor<B, 4>) -> Tensor<B, 4> {
        pixels.div_scalar(127.5).sub_scalar(1.0)
    }

    /// The second convolution's maps after its ReLU, before pooling: the deepest spatial
    /// features, which SRGAN's content loss compares (as Ledig et al. compare VGG's conv5_4
    /// maps).
    ///
    /// # Shapes
    /// - `pixels`: `[batch, 1, 28, 28]`, values in 0..=255
    /// - output: `[batch, 32, 14, 14]`
    pub fn conv_features(&self, pixels: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self
            .pool
            .forward(self.relu.forward(self.conv1.forward(Self::scale(pixels)))); // [b, 16, 14, 14]
        self.relu.forward(self.conv2.forward(x))
    }

    /// Features of the penultimate layer.
    ///
    /// # Shapes
    /// - `pixels`: `[batch, 1, 28, 28]`, values in 0..=255
    /// - output: `[batch, 128]`
    pub fn features(&self, pixels: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self
            .pool
            .forward(self.relu.forward(self.conv1.forward(Self::scale(pixels)))); // [b, 16, 14, 14]
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x))); // [b, 32, 7, 7]
        let x = x.flatten(1, 3);
        self.relu.forward(self.hidden.forward(x))
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - `pixels`: `[batch, 1, 28, 28]`, values in 0..=255
    /// - output: `[batch, classes]`
    pub fn forward(&self, pixels: Tensor<B, 4>) -> Tensor<B, 2> {
        self.output.forward(self.features(pixels))
    }

    /// Class probabilities (softmax of the logits).
    pub fn probabilities(&self, pixels: Tensor<B, 4>) -> Tensor<B, 2> {
        softmax(self.forward(pixels), 1)
    }

    /// The weights as bytes (half precision), the format of the embedded files.
    pub fn to_bytes(&self) -> Vec<u8> {
        BinBytesRecorder::<HalfPrecisionSettings>::default()
            .record(self.clone().into_record(), ())
            .expect("a record always serialises")
    }

    /// Reads weights written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8], device: &B::Device) -> crate::Result<Self> {
        let record = BinBytesRecorder::<HalfPrecisionSettings>::default()
            .load(bytes.to_vec(), device)
            .map_err(|e| Error::Invalid(format!("classifier weights do not load: {e}")))?;
        Ok(ClassifierConfig::new().init(device).load_record(record))
    }
}

/// Labelled 28x28 gray images as 0..=255 values.
#[derive(Debug, Clone)]
pub struct LabelledPixels {
    /// `[n, 1, 28, 28]` pixel values.
    pub pixels: Vec<f32>,
    /// One class per image.
    pub labels: Vec<usize>,
}

impl LabelledPixels {
    /// The images at `index`, in that order.
    pub fn select(&self, index: &[usize]) -> Self {
        let mut pixels = Vec::with_capacity(index.len() * 784);
        for &i in index {
            pixels.extend_from_slice(&self.pixels[i * 784..(i + 1) * 784]);
        }
        Self {
            pixels,
            labels: index.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// These images followed by `other`'s.
    pub fn concat(mut self, other: &Self) -> Self {
        self.pixels.extend_from_slice(&other.pixels);
        self.labels.extend_from_slice(&other.labels);
        self
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn batch<B: Backend>(
        &self,
        index: &[usize],
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
        let mut pixels = Vec::with_capacity(index.len() * 784);
        for &i in index {
            pixels.extend_from_slice(&self.pixels[i * 784..(i + 1) * 784]);
        }
        let labels: Vec<i64> = index.iter().map(|&i| self.labels[i] as i64).collect();
        (
            Tensor::from_data(TensorData::new(pixels, [index.len(), 1, 28, 28]), device),
            Tensor::from_data(TensorData::new(labels, [index.len()]), device),
        )
    }
}

/// Settings of [`train_classifier`].
#[derive(Config, Debug)]
pub struct ClassifierTraining {
    /// Passes over the training images.
    #[config(default = 5)]
    pub epochs: usize,
    /// Batch size.
    #[config(default = 128)]
    pub batch_size: usize,
    /// Adam learning rate (decayed linearly to a tenth over training).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Seed of the initialisation and the batch order.
    #[config(default = 0)]
    pub seed: u64,
    /// Optimizer steps to train for, whatever the size of the set (the learning rate decays
    /// over them); `None`: `epochs` passes. A fixed budget makes classifiers trained on sets of
    /// different sizes comparable (the recipe of [`cas`](super::cas)).
    #[config(default = "None")]
    pub steps: Option<usize>,
}

/// Trains a classifier with Adam and cross-entropy; `progress` is called after every pass over
/// the data with (pass, mean training loss).
///
/// # Panics
/// If `train` is empty.
pub fn train_classifier<B: AutodiffBackend>(
    train: &LabelledPixels,
    settings: &ClassifierTraining,
    device: &B::Device,
    mut progress: impl FnMut(usize, f64),
) -> Classifier<B> {
    assert!(!train.is_empty(), "train_classifier needs training images");
    B::seed(device, settings.seed);
    let mut model = ClassifierConfig::new().init::<B>(device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let per_epoch = train.len().div_ceil(settings.batch_size);
    let steps = settings.steps.unwrap_or(settings.epochs * per_epoch);
    let mut step = 0;
    let mut epoch = 0;
    while step < steps {
        order.shuffle(&mut rng);
        let (mut total, mut batches) = (0.0, 0);
        for index in order.chunks(settings.batch_size).take(steps - step) {
            let (x, y) = train.batch::<B>(index, device);
            let loss = loss_fn.forward(model.forward(x), y);
            total += loss.clone().into_scalar().elem::<f64>();
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = settings.learning_rate * (1.0 - 0.9 * step as f64 / steps as f64);
            model = optim.step(lr, model, grads);
            step += 1;
        }
        epoch += 1;
        progress(epoch, total / batches as f64);
    }
    model
}

/// Fraction of `data` the classifier labels correctly.
pub fn accuracy<B: Backend>(
    model: &Classifier<B>,
    data: &LabelledPixels,
    device: &B::Device,
) -> f64 {
    let predicted = predict(model, data, device);
    let correct = predicted
        .iter()
        .zip(&data.labels)
        .filter(|(p, l)| p == l)
        .count();
    correct as f64 / data.len().max(1) as f64
}

/// The class the classifier gives each image of `data`.
pub fn predict<B: Backend>(
    model: &Classifier<B>,
    data: &LabelledPixels,
    device: &B::Device,
) -> Vec<usize> {
    let index: Vec<usize> = (0..data.len()).collect();
    let mut predicted = Vec::with_capacity(data.len());
    for chunk in index.chunks(500) {
        let (x, _) = data.batch::<B>(chunk, device);
        let classes = model.forward(x).argmax(1).reshape([chunk.len()]);
        predicted.extend(classes.into_data().iter::<i64>().map(|c| c as usize));
    }
    predicted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestBackend;

    #[test]
    fn output_shapes_match_config() {
        let device = Default::default();
        let model = ClassifierConfig::new().init::<TestBackend>(&device);
        let x = Tensor::<TestBackend, 4>::zeros([3, 1, 28, 28], &device);
        assert_eq!(model.features(x.clone()).dims(), [3, CLASSIFIER_FEATURES]);
        assert_eq!(model.forward(x).dims(), [3, 10]);
    }

    #[test]
    fn weights_survive_a_byte_round_trip() {
        let device = Default::default();
        let model = ClassifierConfig::new().init::<TestBackend>(&device);
        let x = Tensor::<TestBackend, 4>::ones([1, 1, 28, 28], &device).mul_scalar(100.0);
        let before = model
            .forward(x.clone())
            .into_data()
            .to_vec::<f64>()
            .unwrap();
        let back = Classifier::<TestBackend>::from_bytes(&model.to_bytes(), &device).unwrap();
        let after = back.forward(x).into_data().to_vec::<f64>().unwrap();
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-2, "{a} vs {b} (half precision)");
        }
    }
}
