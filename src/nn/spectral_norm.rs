//! Spectral normalisation (Miyato et al. 2018): a layer's weight divided by an estimate of its
//! largest singular value, so that the layer is (about) 1-Lipschitz.
//!
//! The estimate comes from power iteration on the weight viewed as a matrix `W` of shape
//! `[out, in * k * k]`, with a persistent left vector `u` (and right vector `v`) stored in the
//! module's record: every forward pass on an autodiff backend (training) runs one iteration,
//! `v = normalise(Wᵀ u)`, `u = normalise(W v)`, and stores them; `sigma = uᵀ W v` with `u` and `v`
//! held constant, so gradients flow through `W` in `W / sigma` as in the paper's algorithm 1.
//! Without autodiff (evaluation, sampling) the stored vectors are used and not updated.

use burn::module::{Module, Param, RunningState};
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::Distribution;

/// The power-iteration state of one weight matrix `[rows, cols]`.
#[derive(Module, Debug)]
pub struct PowerIteration<B: Backend> {
    /// Left singular vector estimate, `[rows]`.
    pub u: RunningState<Tensor<B, 1>>,
    /// Right singular vector estimate, `[cols]`.
    pub v: RunningState<Tensor<B, 1>>,
}

fn normalise<B: Backend>(x: Tensor<B, 1>) -> Tensor<B, 1> {
    let norm = x.clone().square().sum().sqrt().add_scalar(1e-12);
    x / norm
}

impl<B: Backend> PowerIteration<B> {
    /// Random unit vectors for a `[rows, cols]` matrix.
    pub fn new(rows: usize, cols: usize, device: &B::Device) -> Self {
        let r = |n| normalise(Tensor::random([n], Distribution::Normal(0.0, 1.0), device));
        Self {
            u: RunningState::new(r(rows)),
            v: RunningState::new(r(cols)),
        }
    }

    /// `sigma = uᵀ W v` (tracked through `w`), after one power iteration when `update`.
    pub fn sigma(&self, w: Tensor<B, 2>, update: bool) -> Tensor<B, 1> {
        let device = w.device();
        let (mut u, mut v) = (
            self.u.value_sync().to_device(&device),
            self.v.value_sync().to_device(&device),
        );
        if update {
            let wd = w.clone().detach();
            v = normalise(
                wd.clone()
                    .transpose()
                    .matmul(u.unsqueeze_dim::<2>(1))
                    .squeeze_dim::<1>(1),
            );
            u = normalise(
                wd.matmul(v.clone().unsqueeze_dim::<2>(1))
                    .squeeze_dim::<1>(1),
            );
            self.u.update(u.clone().detach());
            self.v.update(v.clone().detach());
        }
        let wv = w
            .matmul(v.detach().unsqueeze_dim::<2>(1))
            .squeeze_dim::<1>(1);
        (u.detach() * wv).sum()
    }
}

/// A convolution with a spectrally normalised kernel.
#[derive(Module, Debug)]
pub struct SnConv2d<B: Backend> {
    /// The wrapped convolution (its stored weight is the unnormalised one).
    pub conv: Conv2d<B>,
    /// Power-iteration state of the kernel viewed as `[out, in * kh * kw]`.
    pub power: PowerIteration<B>,
}

impl<B: Backend> SnConv2d<B> {
    /// Wraps `conv`.
    pub fn new(conv: Conv2d<B>) -> Self {
        let [o, i, kh, kw] = conv.weight.dims();
        let device = conv.weight.device();
        Self {
            power: PowerIteration::new(o, i * kh * kw, &device),
            conv,
        }
    }

    /// The kernel divided by its spectral-norm estimate.
    pub fn normalised_weight(&self, update: bool) -> Tensor<B, 4> {
        sn_conv_weight(&self.conv, &self.power, update)
    }

    /// # Shapes
    /// - `x`: `[n, in, h, w]`
    /// - output: as `Conv2d::forward`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        sn_conv2d(&self.conv, &self.power, x)
    }
}

/// `conv` applied with its kernel spectrally normalised by `power` (one power iteration when on
/// an autodiff backend). For layers that keep their power-iteration state elsewhere.
pub fn sn_conv2d<B: Backend>(
    conv: &Conv2d<B>,
    power: &PowerIteration<B>,
    x: Tensor<B, 4>,
) -> Tensor<B, 4> {
    let update = B::ad_enabled(&x.device());
    let mut normalised = conv.clone();
    normalised.weight = Param::initialized(conv.weight.id, sn_conv_weight(conv, power, update));
    normalised.forward(x)
}

/// `conv`'s kernel divided by its spectral-norm estimate (one power iteration when `update`).
fn sn_conv_weight<B: Backend>(
    conv: &Conv2d<B>,
    power: &PowerIteration<B>,
    update: bool,
) -> Tensor<B, 4> {
    let w = conv.weight.val();
    let [o, i, kh, kw] = w.dims();
    let sigma = power.sigma(w.clone().reshape([o, i * kh * kw]), update);
    w / sigma.reshape([1, 1, 1, 1])
}

/// `linear` applied with its weight spectrally normalised by `power` (twice differentiable).
pub fn sn_linear<B: Backend>(
    linear: &Linear<B>,
    power: &PowerIteration<B>,
    x: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let update = B::ad_enabled(&x.device());
    let w = linear.weight.val(); // [in, out]
    let sigma = power.sigma(w.clone().transpose(), update);
    let mut normalised = linear.clone();
    normalised.weight = Param::initialized(linear.weight.id, w / sigma.reshape([1, 1]));
    super::linear(&normalised, x)
}

/// A linear layer with a spectrally normalised weight.
#[derive(Module, Debug)]
pub struct SnLinear<B: Backend> {
    /// The wrapped layer (its stored weight `[in, out]` is the unnormalised one).
    pub linear: Linear<B>,
    /// Power-iteration state of the weight viewed as `[out, in]`.
    pub power: PowerIteration<B>,
}

impl<B: Backend> SnLinear<B> {
    /// Wraps `linear`.
    pub fn new(linear: Linear<B>) -> Self {
        let [i, o] = linear.weight.dims();
        let device = linear.weight.device();
        Self {
            power: PowerIteration::new(o, i, &device),
            linear,
        }
    }

    /// # Shapes
    /// - `x`: `[n, in]`
    /// - output: `[n, out]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        sn_linear(&self.linear, &self.power, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::module::AutodiffModule;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::LinearConfig;

    type TB = crate::TestBackend;
    type AB = Autodiff<TB>;

    /// The largest singular value by a dense SVD (faer).
    fn top_singular_value(values: &[f64], rows: usize, cols: usize) -> f64 {
        let m = faer::Mat::from_fn(rows, cols, |r, c| values[r * cols + c]);
        let s = m.singular_values().expect("svd converges");
        s.into_iter().fold(0.0, f64::max)
    }

    #[test]
    fn spectral_norm_estimate_converges_to_the_svd_and_persists() {
        let device = Default::default();
        let conv = Conv2dConfig::new([3, 5], [3, 3]).init::<AB>(&device);
        let sn = SnConv2d::new(conv);
        let w = sn.conv.weight.val().into_data().to_vec::<f64>().unwrap();
        let want = top_singular_value(&w, 5, 27);
        let x = Tensor::<AB, 4>::random([2, 3, 6, 6], Distribution::Default, &device);
        // Training forwards: one power iteration each.
        let mut sigma = 0.0;
        for _ in 0..60 {
            let _ = sn.forward(x.clone());
            let wm = sn.conv.weight.val().reshape([5, 27]);
            sigma = sn.power.sigma(wm, false).into_scalar();
        }
        assert!(
            (sigma - want).abs() / want < 1e-6,
            "power iteration {sigma} vs SVD {want}"
        );
        // The normalised kernel has spectral norm 1.
        let wn = sn
            .normalised_weight(false)
            .into_data()
            .to_vec::<f64>()
            .unwrap();
        let top = top_singular_value(&wn, 5, 27);
        assert!((top - 1.0).abs() < 1e-6, "{top}");
        // Evaluation does not iterate; a record round trip keeps u and v.
        let u = sn.power.u.value().into_data();
        let valid = sn.valid();
        let _ = valid.forward(Tensor::random([1, 3, 6, 6], Distribution::Default, &device));
        valid.power.u.value().into_data().assert_eq(&u, true);
        let reloaded = SnConv2d::new(Conv2dConfig::new([3, 5], [3, 3]).init::<TB>(&device))
            .load_record(valid.clone().into_record());
        reloaded.power.u.value().into_data().assert_eq(&u, true);
    }

    #[test]
    fn spectral_norm_linear_matches_the_svd_and_passes_gradients() {
        let device = Default::default();
        let sn = SnLinear::new(LinearConfig::new(7, 4).init::<AB>(&device));
        let x = Tensor::<AB, 2>::random([3, 7], Distribution::Default, &device);
        for _ in 0..60 {
            let _ = sn.forward(x.clone());
        }
        // The weight is stored [in, out]; its singular values are those of the transpose.
        let w = sn.linear.weight.val().into_data().to_vec::<f64>().unwrap();
        let want = top_singular_value(&w, 7, 4);
        let got = sn
            .power
            .sigma(sn.linear.weight.val().transpose(), false)
            .into_scalar();
        assert!((got - want).abs() / want < 1e-6, "{got} vs {want}");
        let grads = sn.forward(x).sum().backward();
        let g = sn
            .linear
            .weight
            .val()
            .grad(&grads)
            .expect("gradient through W / sigma");
        assert!(g.abs().max().into_scalar() > 0.0);
    }
}
