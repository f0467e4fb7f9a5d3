//! Batch normalisation (Ioffe and Szegedy 2015) laid out for fast CPU backends.
//!
//! Same mathematics, parameters, running statistics and record as `burn::nn::BatchNorm` 0.21
//! (biased batch variance, running averages with `momentum`, batch statistics under autodiff and
//! running statistics without), so a checkpoint written with one loads into the other. What
//! differs is the order of the tensor operations. burn's version swaps the batch and channel
//! axes to reduce (a full copy of the activations, twice) and applies four per-channel
//! operations by broadcasting a `[1, C, 1, 1]` tensor over `[N, C, H, W]`, which CPU backends walk
//! element by element (burn-flex 0.21: a scalar strided iterator, a third of a DCGAN training step
//! in our profile, see the book's Performance chapter). Here the activations are viewed as rows
//! `[N * C, H * W]` (no copy): reductions run along contiguous rows, and per-channel values are
//! first repeated to one value per row (`N * C` numbers), which backends apply with their
//! row-broadcast fast path. The per-channel scale and shift are folded (`a = gamma / std`,
//! `b = beta - mean * a`), so normalising costs one multiply-add pass instead of four passes.

use burn::module::{Module, Param, RunningState};
use burn::nn::Initializer;
use burn::prelude::*;

/// Configuration of a [`BatchNorm`] layer.
#[derive(Config, Debug)]
pub struct BatchNormConfig {
    /// The number of channels (dimension 1 of the input).
    pub num_features: usize,
    /// Added to the variance before the square root.
    #[config(default = 1e-5)]
    pub epsilon: f64,
    /// Weight of the newest batch in the running averages.
    #[config(default = 0.1)]
    pub momentum: f64,
}

/// Batch normalisation over dimension 1 of a `[N, C, ...]` tensor.
#[derive(Module, Debug)]
pub struct BatchNorm<B: Backend> {
    /// Per-channel gain.
    pub gamma: Param<Tensor<B, 1>>,
    /// Per-channel bias.
    pub beta: Param<Tensor<B, 1>>,
    /// Running mean, used without autodiff.
    pub running_mean: RunningState<Tensor<B, 1>>,
    /// Running (biased) variance, used without autodiff.
    pub running_var: RunningState<Tensor<B, 1>>,
    /// Weight of the newest batch in the running averages.
    pub momentum: f64,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl BatchNormConfig {
    /// A layer with gain 1, bias 0, running mean 0 and running variance 1.
    pub fn init<B: Backend>(&self, device: &B::Device) -> BatchNorm<B> {
        BatchNorm {
            gamma: Initializer::Ones.init([self.num_features], device),
            beta: Initializer::Zeros.init([self.num_features], device),
            running_mean: RunningState::new(Tensor::zeros([self.num_features], device)),
            running_var: RunningState::new(Tensor::ones([self.num_features], device)),
            momentum: self.momentum,
            epsilon: self.epsilon,
        }
    }
}

impl<B: Backend> BatchNorm<B> {
    /// Normalises with the batch's statistics (and updates the running ones) on an autodiff
    /// backend, with the running statistics otherwise, as burn's layer does.
    ///
    /// # Shapes
    /// - `input`: `[N, C, ...]`
    /// - output: the same
    pub fn forward<const D: usize>(&self, input: Tensor<B, D>) -> Tensor<B, D> {
        assert!(
            D >= 2,
            "BatchNorm needs a tensor of rank >= 2 shaped [batch, channels, ...], got rank {D}"
        );
        let dims = input.dims();
        let (n, c) = (dims[0], dims[1]);
        assert_eq!(
            c,
            self.gamma.dims()[0],
            "BatchNorm over {} channels got an input with {c} channels",
            self.gamma.dims()[0]
        );
        let view = View {
            n,
            c,
            r: dims[2..].iter().product(),
        };
        let x = input.reshape(view.shape());
        let y = if B::ad_enabled(&x.device()) {
            self.forward_train(x, view)
        } else {
            let device = x.device();
            let std = self
                .running_var
                .value()
                .to_device(&device)
                .add_scalar(self.epsilon)
                .sqrt();
            let a = self.gamma.val() / std;
            let b = self.beta.val() - self.running_mean.value().to_device(&device) * a.clone();
            x * view.per_channel(a) + view.per_channel(b)
        };
        y.reshape(dims)
    }

    // ANCHOR: train
    fn forward_train(&self, x: Tensor<B, 2>, view: View) -> Tensor<B, 2> {
        let mean = view.channel_mean(x.clone());
        let centered = x - view.per_channel(mean.clone());
        let var = view.channel_mean(centered.clone().square());

        let device = centered.device();
        let update = |state: &RunningState<Tensor<B, 1>>, batch: Tensor<B, 1>| {
            let old = state.value_sync().to_device(&device);
            state.update(
                (old.mul_scalar(1.0 - self.momentum) + batch.detach().mul_scalar(self.momentum))
                    .detach(),
            );
        };
        update(&self.running_mean, mean);
        update(&self.running_var, var.clone());

        let a = self.gamma.val() / var.add_scalar(self.epsilon).sqrt();
        centered * view.per_channel(a) + view.per_channel(self.beta.val())
    }
    // ANCHOR_END: train
}

/// How the `[N, C, ...]` activations are viewed: `[N, C]` when there is one value per channel
/// and sample, else rows `[N * C, R]` with `R` the product of the remaining dimensions.
#[derive(Clone, Copy)]
struct View {
    n: usize,
    c: usize,
    r: usize,
}

impl View {
    fn shape(self) -> [usize; 2] {
        if self.r == 1 {
            [self.n, self.c]
        } else {
            [self.n * self.c, self.r]
        }
    }

    // ANCHOR: per_channel
    /// A `[C]` vector shaped to broadcast against the view: a shared row `[1, C]`, or one value
    /// per row `[N * C, 1]`.
    fn per_channel<B: Backend>(self, v: Tensor<B, 1>) -> Tensor<B, 2> {
        if self.r == 1 {
            v.reshape([1, self.c])
        } else {
            per_row(v, self.n)
        }
    }
    // ANCHOR_END: per_channel

    /// The mean of each channel over the batch and the remaining dimensions.
    fn channel_mean<B: Backend>(self, t: Tensor<B, 2>) -> Tensor<B, 1> {
        let count = (self.n * self.r) as f64;
        let sums = if self.r == 1 {
            t
        } else {
            t.sum_dim(1).reshape([self.n, self.c])
        };
        sums.sum_dim(0).reshape([self.c]) / count
    }
}

/// A per-channel `[C]` vector repeated once per sample as one value per row of an
/// `[N * C, R]` view, `[N * C, 1]`: the shape CPU backends broadcast along rows fastest.
pub(crate) fn per_row<B: Backend>(v: Tensor<B, 1>, n: usize) -> Tensor<B, 2> {
    let c = v.dims()[0];
    v.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Autodiff;
    use burn::module::AutodiffModule;
    use burn::tensor::{Distribution, Tolerance};

    type TB = crate::TestBackend;
    type AB = Autodiff<TB>;

    fn pair(c: usize) -> (BatchNorm<AB>, burn::nn::BatchNorm<AB>) {
        let device = Default::default();
        let ours = BatchNormConfig::new(c).init::<AB>(&device);
        let theirs = burn::nn::BatchNormConfig::new(c).init::<AB>(&device);
        // Same non-trivial gain and bias in both.
        let gamma = Tensor::<AB, 1>::random([c], Distribution::Uniform(0.5, 1.5), &device);
        let beta = Tensor::<AB, 1>::random([c], Distribution::Normal(0.0, 1.0), &device);
        let ours = BatchNorm {
            gamma: Param::from_tensor(gamma.clone()),
            beta: Param::from_tensor(beta.clone()),
            ..ours
        };
        let theirs = burn::nn::BatchNorm {
            gamma: Param::from_tensor(gamma),
            beta: Param::from_tensor(beta),
            ..theirs
        };
        (ours, theirs)
    }

    fn check<const D: usize>(shape: [usize; D]) {
        let device = Default::default();
        let (ours, theirs) = pair(shape[1]);
        let tol = Tolerance::<f64>::absolute(1e-10);
        // On this f64 backend burn's own BatchNorm and ours both differ from the exact
        // gradients by up to ~2e-8 (some step of burn-autodiff 0.21 rounds through f32).
        let grad_tol = Tolerance::<f64>::absolute(1e-7);
        for step in 0..3 {
            let x0 =
                Tensor::<TB, D>::random(shape, Distribution::Normal(step as f64, 2.0), &device);
            let x = Tensor::<AB, D>::from_inner(x0.clone()).require_grad();
            let x2 = Tensor::<AB, D>::from_inner(x0).require_grad();
            let weights = Tensor::<AB, D>::random(shape, Distribution::Default, &device);
            let weights_inner = weights.clone().inner();
            let y1 = ours.forward(x.clone());
            let y2 = theirs.forward(x2.clone());
            y1.to_data().assert_approx_eq::<f64>(&y2.to_data(), tol);
            // Gradients with respect to the input, the gain and the bias, against the analytic
            // ones (per channel, with xhat the normalised input and m the count:
            // dx = gamma / std / m * (m * g - sum g - xhat * sum(g * xhat))).
            let g1 = (y1 * weights.clone()).sum().backward();
            let (dx, dgamma, dbeta) = analytic(&x.clone().inner(), &weights_inner, &ours);
            let g2 = (y2 * weights).sum().backward();
            for (x, grads) in [(&x, &g1), (&x2, &g2)] {
                let dx_got = x.grad(grads).unwrap().to_data();
                dx_got.assert_approx_eq::<f64>(&dx, grad_tol);
            }
            ours.gamma
                .grad(&g1)
                .unwrap()
                .to_data()
                .assert_approx_eq::<f64>(&dgamma, grad_tol);
            ours.beta
                .grad(&g1)
                .unwrap()
                .to_data()
                .assert_approx_eq::<f64>(&dbeta, grad_tol);
            theirs
                .gamma
                .grad(&g2)
                .unwrap()
                .to_data()
                .assert_approx_eq::<f64>(&dgamma, grad_tol);
        }
        // Running statistics after three batches, and evaluation with them.
        ours.running_mean
            .value()
            .to_data()
            .assert_approx_eq::<f64>(&theirs.running_mean.value().to_data(), tol);
        ours.running_var
            .value()
            .to_data()
            .assert_approx_eq::<f64>(&theirs.running_var.value().to_data(), tol);
        let x = Tensor::<TB, D>::random(shape, Distribution::Normal(0.5, 3.0), &device);
        let y1 = ours.valid().forward(x.clone());
        let y2 = theirs.valid().forward(x);
        y1.to_data().assert_approx_eq::<f64>(&y2.to_data(), tol);
    }

    /// The exact gradients of `sum(bn(x) * w)` for input, gain and bias, in f64.
    fn analytic<const D: usize>(
        x: &Tensor<TB, D>,
        w: &Tensor<TB, D>,
        bn: &BatchNorm<AB>,
    ) -> (TensorData, TensorData, TensorData) {
        let dims = x.dims();
        let (n, c) = (dims[0], dims[1]);
        let r: usize = dims[2..].iter().product();
        let xs = x.to_data().to_vec::<f64>().unwrap();
        let ws = w.to_data().to_vec::<f64>().unwrap();
        let gamma = bn.gamma.val().inner().to_data().to_vec::<f64>().unwrap();
        let m = (n * r) as f64;
        let idx = |i: usize, ch: usize, k: usize| (i * c + ch) * r + k;
        let (mut dx, mut dg, mut db) = (vec![0.0; xs.len()], vec![0.0; c], vec![0.0; c]);
        for ch in 0..c {
            let all = || (0..n).flat_map(move |i| (0..r).map(move |k| idx(i, ch, k)));
            let mean = all().map(|j| xs[j]).sum::<f64>() / m;
            let var = all().map(|j| (xs[j] - mean).powi(2)).sum::<f64>() / m;
            let std = (var + 1e-5).sqrt();
            let xhat = |j: usize| (xs[j] - mean) / std;
            let sum_g = all().map(|j| ws[j]).sum::<f64>();
            let sum_gx = all().map(|j| ws[j] * xhat(j)).sum::<f64>();
            for j in all() {
                dx[j] = gamma[ch] / std / m * (m * ws[j] - sum_g - xhat(j) * sum_gx);
            }
            dg[ch] = sum_gx;
            db[ch] = sum_g;
        }
        (
            TensorData::new(dx, dims),
            TensorData::new(dg, [c]),
            TensorData::new(db, [c]),
        )
    }

    #[test]
    fn matches_burns_batch_norm_on_images() {
        check([4, 3, 5, 6]);
    }

    #[test]
    fn matches_burns_batch_norm_on_vectors() {
        check([6, 7]);
    }

    #[test]
    fn loads_a_record_of_burns_batch_norm() {
        use burn::record::{BinBytesRecorder, DoublePrecisionSettings, Recorder};
        let device = Default::default();
        let (_, theirs) = pair(5);
        let x = Tensor::<AB, 4>::random([3, 5, 2, 2], Distribution::Default, &device);
        let _ = theirs.forward(x); // moves the running statistics away from 0 and 1
        let recorder = BinBytesRecorder::<DoublePrecisionSettings>::default();
        let bytes = recorder.record(theirs.valid().into_record(), ()).unwrap();
        let ours = BatchNormConfig::new(5)
            .init::<TB>(&device)
            .load_record(recorder.load(bytes, &device).unwrap());
        let theirs = theirs.valid();
        let x = Tensor::<TB, 4>::random([2, 5, 3, 3], Distribution::Default, &device);
        ours.forward(x.clone())
            .to_data()
            .assert_approx_eq::<f64>(&theirs.forward(x).to_data(), Tolerance::absolute(1e-12));
    }
}
