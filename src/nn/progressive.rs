//! The layers of progressive growing (Karras et al. 2018, "Progressive Growing of GANs for
//! Improved Quality, Stability, and Variation", ICLR, section 4):
//!
//! - **equalised learning rate** ([`EqualizedConv2d`], [`EqualizedLinear`]): weights are stored
//!   as draws from `N(0, 1)` and scaled at run time by He's constant `gain / sqrt(fan_in)`, so
//!   every weight sees the same effective learning rate under Adam's scale-invariant updates;
//! - **pixel-wise feature normalisation** ([`pixel_norm`]) in the generator, each pixel's
//!   feature vector divided by its root mean square;
//! - **minibatch standard deviation** ([`minibatch_stddev`]) in the discriminator: the standard
//!   deviation of every feature over the batch, averaged, appended as one more feature map;
//! - nearest-neighbour **upsampling** and 2x2 average **downsampling** ([`upsample2x`],
//!   [`downsample2x`]) between resolutions.
//!
//! Every operation here is written with reshapes, broadcasts and reductions, so it is
//! differentiable twice (burn 0.21's pooling and interpolation are not): WGAN-GP's gradient
//! penalty backpropagates through the whole critic.

use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Distribution, Tensor};

/// A convolution with an equalised learning rate: `conv(x, w * gain / sqrt(in * k * k)) + b`,
/// `w ~ N(0, 1)`, `b = 0`, stride 1 and "same" padding (`k` odd).
#[derive(Module, Debug)]
pub struct EqualizedConv2d<B: Backend> {
    /// `[out, in, k, k]`, drawn from `N(0, 1)`.
    pub weight: Param<Tensor<B, 4>>,
    /// `[out]`.
    pub bias: Param<Tensor<B, 1>>,
    /// He's constant times the gain.
    #[module(skip)]
    scale: f32,
}

impl<B: Backend> EqualizedConv2d<B> {
    /// A `k x k` convolution from `input` to `output` channels with gain `gain` (`sqrt(2)`
    /// before a leaky ReLU, 1 for an output layer).
    pub fn new(input: usize, output: usize, k: usize, gain: f64, device: &B::Device) -> Self {
        assert!(
            k % 2 == 1,
            "an equalised convolution keeps the size: odd kernels only, got {k}"
        );
        Self {
            weight: Param::from_tensor(Tensor::random(
                [output, input, k, k],
                Distribution::Normal(0.0, 1.0),
                device,
            )),
            bias: Param::from_tensor(Tensor::zeros([output], device)),
            scale: (gain / ((input * k * k) as f64).sqrt()) as f32,
        }
    }

    /// # Shapes
    /// - `x`: `[n, in, h, w]`
    /// - output: `[n, out, h, w]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let k = self.weight.dims()[2];
        let p = k / 2;
        conv2d(
            x,
            self.weight.val().mul_scalar(self.scale),
            Some(self.bias.val()),
            ConvOptions::new([1, 1], [p, p], [1, 1], 1),
        )
    }
}

/// A linear layer with an equalised learning rate: `x (w * gain / sqrt(in)) + b`, `w ~ N(0, 1)`.
#[derive(Module, Debug)]
pub struct EqualizedLinear<B: Backend> {
    /// `[in, out]`, drawn from `N(0, 1)`.
    pub weight: Param<Tensor<B, 2>>,
    /// `[out]`.
    pub bias: Param<Tensor<B, 1>>,
    #[module(skip)]
    scale: f32,
}

impl<B: Backend> EqualizedLinear<B> {
    /// A layer from `input` to `output` features with gain `gain`.
    pub fn new(input: usize, output: usize, gain: f64, device: &B::Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::random(
                [input, output],
                Distribution::Normal(0.0, 1.0),
                device,
            )),
            bias: Param::from_tensor(Tensor::zeros([output], device)),
            scale: (gain / (input as f64).sqrt()) as f32,
        }
    }

    /// # Shapes
    /// - `x`: `[n, in]`
    /// - output: `[n, out]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        x.matmul(self.weight.val().mul_scalar(self.scale)) + self.bias.val().unsqueeze_dim(0)
    }
}

/// Pixel-wise feature normalisation: each pixel's feature vector divided by its root mean square,
/// `x / sqrt(mean_c(x²) + 1e-8)`.
///
/// # Shapes
/// - `x`, output: `[n, c, h, w]`
pub fn pixel_norm<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let rms = x.clone().square().mean_dim(1).add_scalar(1e-8).sqrt();
    x / rms
}

/// [`pixel_norm`] of vectors (the generator's input code): `z / sqrt(mean(z²) + 1e-8)`.
///
/// # Shapes
/// - `z`, output: `[n, d]`
pub fn pixel_norm_2d<B: Backend>(z: Tensor<B, 2>) -> Tensor<B, 2> {
    let rms = z.clone().square().mean_dim(1).add_scalar(1e-8).sqrt();
    z / rms
}

/// Minibatch standard deviation: the standard deviation of every feature at every position over
/// the batch, averaged into one number, appended as a constant feature map.
///
/// # Shapes
/// - `x`: `[n, c, h, w]`
/// - output: `[n, c + 1, h, w]`
pub fn minibatch_stddev<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, _, h, w] = x.dims();
    let centred = x.clone() - x.clone().mean_dim(0);
    let std = centred.square().mean_dim(0).add_scalar(1e-8).sqrt(); // [1, c, h, w]
    let mean = std.mean().reshape([1, 1, 1, 1]);
    Tensor::cat(vec![x, mean.expand([n, 1, h, w])], 1)
}

/// Nearest-neighbour upsampling by 2.
///
/// # Shapes
/// - `x`: `[n, c, h, w]`
/// - output: `[n, c, 2h, 2w]`
pub fn upsample2x<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n * c, h, 1, w, 1])
        .expand([n * c, h, 2, w, 2])
        .reshape([n, c, 2 * h, 2 * w])
}

/// 2x2 average downsampling.
///
/// # Shapes
/// - `x`: `[n, c, h, w]` (`h`, `w` even)
/// - output: `[n, c, h/2, w/2]`
pub fn downsample2x<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    assert!(
        h % 2 == 0 && w % 2 == 0,
        "2x2 downsampling needs even sides, got {h}x{w}"
    );
    x.reshape([n * c, h / 2, 2, w / 2, 2])
        .mean_dim(4)
        .mean_dim(2)
        .reshape([n, c, h / 2, w / 2])
}

/// `x` averaged down to `side x side` by repeated 2x2 downsampling.
///
/// # Shapes
/// - `x`: `[n, c, s, s]`, `s = side * 2^k`
/// - output: `[n, c, side, side]`
pub fn downsample_to<B: Backend>(x: Tensor<B, 4>, side: usize) -> Tensor<B, 4> {
    let mut x = x;
    while x.dims()[2] > side {
        x = downsample2x(x);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::tensor::TensorData;

    type TB = crate::TestBackend;

    #[test]
    fn equalized_layers_store_unit_weights_and_scale_them_at_run_time() {
        let device = Default::default();
        let conv = EqualizedConv2d::<TB>::new(8, 16, 3, 2f64.sqrt(), &device);
        let w = conv.weight.val();
        let std = w.clone().var(0).mean().sqrt().into_scalar();
        assert!(
            (std - 1.0).abs() < 0.15,
            "stored weights have unit variance, got {std}"
        );
        assert!((conv.scale - (2.0f32 / 72.0).sqrt()).abs() < 1e-7);
        let x = Tensor::<TB, 4>::random([2, 8, 5, 5], Distribution::Normal(0.0, 1.0), &device);
        let y = conv.forward(x.clone());
        assert_eq!(y.dims(), [2, 16, 5, 5]);
        // The same as a plain convolution with the scaled weights.
        let plain = conv2d(
            x,
            w.mul_scalar(conv.scale),
            None,
            ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
        );
        y.into_data()
            .assert_approx_eq::<f32>(&plain.into_data(), Default::default());
        let linear = EqualizedLinear::<TB>::new(10, 4, 1.0, &device);
        let out = linear.forward(Tensor::ones([3, 10], &device));
        let want = linear
            .weight
            .val()
            .sum_dim(0)
            .mul_scalar(1.0 / 10f32.sqrt());
        out.slice([0..1])
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), Default::default());
    }

    #[test]
    fn pixel_norm_gives_unit_rms_features_and_stddev_adds_a_map() {
        let device = Default::default();
        let x = Tensor::<TB, 4>::random([3, 6, 4, 4], Distribution::Normal(0.0, 5.0), &device);
        let rms = pixel_norm(x.clone()).square().mean_dim(1).sqrt();
        let ones = Tensor::<TB, 4>::ones([3, 1, 4, 4], &device);
        rms.into_data()
            .assert_approx_eq::<f32>(&ones.into_data(), Default::default());
        let z = pixel_norm_2d(Tensor::<TB, 2>::from_data([[3.0, 4.0]], &device));
        let r = (12.5f32).sqrt();
        z.into_data()
            .assert_approx_eq::<f32>(&TensorData::from([[3.0 / r, 4.0 / r]]), Default::default());
        // Two samples differing by 2 everywhere: the standard deviation is 1 at every position.
        let a = Tensor::<TB, 4>::zeros([1, 2, 3, 3], &device);
        let s = minibatch_stddev(Tensor::cat(vec![a.clone(), a.add_scalar(2.0)], 0));
        assert_eq!(s.dims(), [2, 3, 3, 3]);
        let extra = s.slice([0..2, 2..3]);
        let want = Tensor::<TB, 4>::ones([2, 1, 3, 3], &device);
        extra
            .into_data()
            .assert_approx_eq::<f32>(&want.into_data(), Default::default());
    }

    #[test]
    fn resampling_is_nearest_up_and_box_down() {
        let device = Default::default();
        let x = Tensor::<TB, 4>::from_data([[[[1.0, 2.0], [3.0, 4.0]]]], &device);
        let up = upsample2x(x.clone());
        up.clone().into_data().assert_eq(
            &TensorData::from([[[
                [1.0f32, 1.0, 2.0, 2.0],
                [1.0, 1.0, 2.0, 2.0],
                [3.0, 3.0, 4.0, 4.0],
                [3.0, 3.0, 4.0, 4.0],
            ]]]),
            false,
        );
        // Down after up is the identity; down averages 2x2 blocks.
        downsample2x(up)
            .into_data()
            .assert_eq(&x.clone().into_data(), false);
        let down = downsample_to(x, 1);
        down.into_data()
            .assert_eq(&TensorData::from([[[[2.5f32]]]]), false);
    }

    /// WGAN-GP differentiates the critic's input gradient again: every operation of a progressive
    /// critic must support it. The gradient of `||∇ₓ f(x)||²` with respect to a weight matches a
    /// central finite difference (in f64), for several random weights and inputs.
    #[test]
    fn a_critic_of_these_layers_is_differentiable_twice() {
        type AB = Autodiff<TB>;
        let device = Default::default();
        for seed in 0..20u64 {
            TB::seed(&device, seed);
            let conv = EqualizedConv2d::<TB>::new(2, 3, 3, 2f64.sqrt(), &device);
            let scale = conv.scale as f64;
            let weight: Vec<f64> = conv
                .weight
                .val()
                .into_data()
                .convert::<f64>()
                .to_vec()
                .unwrap();
            let x = Tensor::<TB, 4>::random([2, 2, 4, 4], Distribution::Normal(0.0, 1.0), &device);
            // f(x) = sum(minibatch_stddev(downsample(pixel_norm(conv(upsample(x))))) ^ 2)
            let penalty = |w: &[f64]| -> (f64, Vec<f64>) {
                let w =
                    Tensor::<AB, 4>::from_data(TensorData::new(w.to_vec(), [3, 2, 3, 3]), &device)
                        .require_grad();
                let wl = Tensor::<Autodiff<AB>, 4>::from_inner(w.clone());
                let xi = Tensor::<Autodiff<AB>, 4>::from_inner(Tensor::from_inner(x.clone()))
                    .require_grad();
                let h = conv2d(
                    upsample2x(xi.clone()),
                    wl.mul_scalar(scale),
                    None,
                    ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
                );
                let f = minibatch_stddev(downsample2x(pixel_norm(h))).square().sum();
                let g = xi.grad(&f.backward()).unwrap();
                let p = g.square().sum();
                let value = p
                    .clone()
                    .into_data()
                    .convert::<f64>()
                    .to_vec::<f64>()
                    .unwrap()[0];
                let grad = p.backward();
                let dw = w.grad(&grad).expect("the penalty depends on the weights");
                (value, dw.into_data().convert::<f64>().to_vec().unwrap())
            };
            let (_, grad) = penalty(&weight);
            for i in [0, 7, 20, 41, 53] {
                let eps = 1e-5;
                let mut plus = weight.clone();
                plus[i] += eps;
                let mut minus = weight.clone();
                minus[i] -= eps;
                let numeric = (penalty(&plus).0 - penalty(&minus).0) / (2.0 * eps);
                assert!(
                    (numeric - grad[i]).abs() <= 1e-4 * numeric.abs().max(1.0),
                    "seed {seed}, weight {i}: analytic {} vs finite difference {numeric}",
                    grad[i]
                );
            }
        }
    }
}
