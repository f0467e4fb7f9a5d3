//! Gradient penalties: WGAN-GP (Gulrajani et al. 2017) and R1 (Mescheder et al. 2018).
//!
//! Both penalise the norm of the critic's gradient with respect to its *input*, and training
//! minimises them with respect to the critic's *parameters*: a gradient of a gradient. burn 0.21
//! computes it with a nested autodiff backend. The training backend `B` is itself an autodiff
//! backend; the critic is lifted onto `Autodiff<B>` ([`AutodiffModule::from_inner`]), whose
//! parameters wrap `B`'s tracked parameter tensors. A backward pass of the outer backend gives
//! `∇ₓ D(x)` as a tensor of `B` that is still tracked with respect to the parameters, so the
//! penalty built from it backpropagates (on `B`) into the critic's weights. The tests
//! `gradient_penalty_*` check these parameter gradients against central finite differences.
//!
//! The outer backward pass would also compute the (unused) gradients of the lifted parameters;
//! they are untracked on the outer backend first, which leaves the inner tracking intact.

use burn::backend::Autodiff;
use burn::module::{AutodiffModule, ModuleMapper, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

/// The per-sample norm `||∇ₓ D(x)||₂` over all of `C x H x W` (not per channel), still tracked
/// with respect to the critic's parameters.
///
/// `critic` is the critic on the training backend `B`; `Lifted` is the same module type on
/// `Autodiff<B>`, and `forward` runs it (e.g. `|d, x| d.forward(x)`). The critic must not use
/// batch statistics (batch norm): a penalty on the gradient of one sample's score needs a score
/// that depends on that sample alone. Every operation of its forward pass must be
/// differentiable twice: in burn 0.21 convolutions, transposed convolutions, element-wise
/// operations, reductions and matrix products are; the fused `Linear::forward`, pooling and
/// interpolation are not (use [`crate::nn::linear`] for linear layers).
///
/// # Shapes
/// - `x`: `[n, c, h, w]` (its own gradient is not needed: pass detached points)
/// - output: `[n]`
pub fn input_gradient_norms<B, Lifted>(
    critic: &Lifted::InnerModule,
    x: Tensor<B, 4>,
    forward: impl Fn(&Lifted, Tensor<Autodiff<B>, 4>) -> Tensor<Autodiff<B>, 2>,
) -> Tensor<B, 1>
where
    B: AutodiffBackend,
    Lifted: AutodiffModule<Autodiff<B>>,
{
    // ANCHOR: nested
    let [n, c, h, w] = x.dims();
    crate::nn::materialize(critic);
    let lifted = untrack(Lifted::from_inner(critic.clone()));
    let x = Tensor::<Autodiff<B>, 4>::from_inner(x.detach()).require_grad();
    let scores = forward(&lifted, x.clone());
    let grads = scores.sum().backward();
    let g = x
        .grad(&grads)
        .expect("the critic's output depends on its input");
    // sqrt(s + eps): the norm's derivative stays finite where the gradient vanishes.
    g.reshape([n, c * h * w])
        .square()
        .sum_dim(1)
        .add_scalar(1e-12)
        .sqrt()
        .reshape([n])
    // ANCHOR_END: nested
}

/// The WGAN-GP penalty `lambda * mean((||∇ D(x̂)||₂ - 1)²)` on random interpolates
/// `x̂ = e * real + (1 - e) * fake`, `e ~ U(0, 1)` per sample (Gulrajani et al. 2017,
/// algorithm 1). `e` is given (`[n]`) so that runs are reproducible on any backend.
///
/// Returns the penalty and the mean gradient norm (detached), which training logs.
pub fn gradient_penalty<B, Lifted>(
    critic: &Lifted::InnerModule,
    real: Tensor<B, 4>,
    fake: Tensor<B, 4>,
    e: Tensor<B, 1>,
    lambda: f64,
    forward: impl Fn(&Lifted, Tensor<Autodiff<B>, 4>) -> Tensor<Autodiff<B>, 2>,
) -> (Tensor<B, 1>, Tensor<B, 1>)
where
    B: AutodiffBackend,
    Lifted: AutodiffModule<Autodiff<B>>,
{
    let x_hat = interpolates(real, fake, e);
    let norms = input_gradient_norms::<B, Lifted>(critic, x_hat, forward);
    let mean_norm = norms.clone().detach().mean();
    (gradient_penalty_from_norms(norms, lambda), mean_norm)
}

/// The random interpolates `e * real + (1 - e) * fake` of WGAN-GP (detached), `e`: `[n]`.
pub fn interpolates<B: Backend>(
    real: Tensor<B, 4>,
    fake: Tensor<B, 4>,
    e: Tensor<B, 1>,
) -> Tensor<B, 4> {
    let n = real.dims()[0];
    let e = e.reshape([n, 1, 1, 1]);
    real.detach() * e.clone() + fake.detach() * (e.neg() + 1.0)
}

/// `lambda * mean((norms - 1)²)`.
pub fn gradient_penalty_from_norms<B: Backend>(norms: Tensor<B, 1>, lambda: f64) -> Tensor<B, 1> {
    (norms - 1.0).square().mean() * lambda
}

/// `gamma / 2 * mean(norms²)`.
pub fn r1_from_norms<B: Backend>(norms: Tensor<B, 1>, gamma: f64) -> Tensor<B, 1> {
    norms.square().mean() * (gamma / 2.0)
}

/// The R1 penalty `gamma / 2 * mean(||∇ D(x)||₂²)` on real samples (Mescheder et al. 2018).
pub fn r1_penalty<B, Lifted>(
    critic: &Lifted::InnerModule,
    real: Tensor<B, 4>,
    gamma: f64,
    forward: impl Fn(&Lifted, Tensor<Autodiff<B>, 4>) -> Tensor<Autodiff<B>, 2>,
) -> Tensor<B, 1>
where
    B: AutodiffBackend,
    Lifted: AutodiffModule<Autodiff<B>>,
{
    r1_from_norms(
        input_gradient_norms::<B, Lifted>(critic, real, forward),
        gamma,
    )
}

/// The module with its parameters untracked on the outer backend (their inner tensors keep
/// their tracking).
fn untrack<B: AutodiffBackend, M: AutodiffModule<B>>(module: M) -> M {
    struct Untrack;
    impl<B: AutodiffBackend> ModuleMapper<B> for Untrack {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, mapper) = param.consume();
            Param::from_mapped_value(id, tensor.set_require_grad(false), mapper)
        }
    }
    module.map(&mut Untrack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::leaky_relu;
    use burn::module::{Module, ModuleVisitor, ParamId};
    use burn::nn::conv::{Conv2d, Conv2dConfig};
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::{Distribution, TensorData};

    type Inner = crate::TestBackend; // NdArray<f64>
    type B = Autodiff<Inner>;

    /// A small convolutional critic: conv(2 -> 3, k3, s2, p1) -> leaky ReLU -> linear.
    #[derive(Module, Debug)]
    struct Critic<B: Backend> {
        conv: Conv2d<B>,
        head: Linear<B>,
    }

    impl<B: Backend> Critic<B> {
        fn new(device: &B::Device) -> Self {
            Self {
                conv: Conv2dConfig::new([2, 3], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
                head: LinearConfig::new(3 * 3 * 3, 1).init(device),
            }
        }

        fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
            let y = leaky_relu(self.conv.forward(x), 0.2);
            crate::nn::linear(&self.head, y.flatten(1, 3))
        }
    }

    /// Every float parameter, flattened, in visiting order.
    fn flat<B: Backend, M: Module<B>>(m: &M) -> Vec<(ParamId, Vec<f64>)> {
        struct V(Vec<(ParamId, Vec<f64>)>);
        impl<B: Backend> ModuleVisitor<B> for V {
            fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
                self.0
                    .push((p.id, p.val().into_data().to_vec::<f64>().unwrap()));
            }
        }
        let mut v = V(Vec::new());
        m.visit(&mut v);
        v.0
    }

    /// The critic with parameter `index` (in `flat` order, flattened) moved by `delta`.
    fn nudge(critic: &Critic<B>, index: usize, delta: f64) -> Critic<B> {
        struct N(usize, f64);
        impl ModuleMapper<B> for N {
            fn map_float<const D: usize>(&mut self, p: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
                let (id, t, mapper) = p.consume();
                let len = t.shape().num_elements();
                let t = if self.0 < len && self.0 != usize::MAX {
                    let shape = t.shape();
                    let mut v = t.into_data().to_vec::<f64>().unwrap();
                    v[self.0] += self.1;
                    self.0 = usize::MAX;
                    Tensor::from_data(TensorData::new(v, shape), &Default::default()).require_grad()
                } else {
                    if self.0 != usize::MAX {
                        self.0 -= len;
                    }
                    t
                };
                Param::from_mapped_value(id, t, mapper)
            }
        }
        critic.clone().map(&mut N(index, delta))
    }

    fn penalty(
        critic: &Critic<B>,
        real: &Tensor<B, 4>,
        fake: &Tensor<B, 4>,
        e: &Tensor<B, 1>,
    ) -> Tensor<B, 1> {
        gradient_penalty::<B, Critic<Autodiff<B>>>(
            critic,
            real.clone(),
            fake.clone(),
            e.clone(),
            10.0,
            |d, x| d.forward(x),
        )
        .0
    }

    #[test]
    fn gradient_penalty_parameter_gradients_match_finite_differences() {
        let device = Default::default();
        Inner::seed(&device, 3);
        let critic = Critic::<B>::new(&device);
        let real = Tensor::<B, 4>::random([4, 2, 5, 5], Distribution::Normal(0.0, 1.0), &device);
        let fake = Tensor::<B, 4>::random([4, 2, 5, 5], Distribution::Normal(0.5, 1.0), &device);
        let e = Tensor::<B, 1>::random([4], Distribution::Uniform(0.0, 1.0), &device);

        let p = penalty(&critic, &real, &fake, &e);
        let value = p.clone().into_scalar();
        assert!(value > 0.0 && value.is_finite(), "{value}");
        let grads = p.backward();
        // Analytic parameter gradients, flattened in the same order as `flat`.
        let mut analytic = Vec::new();
        for (id, values) in flat(&critic) {
            struct G<'a>(
                &'a <B as AutodiffBackend>::Gradients,
                ParamId,
                Option<Vec<f64>>,
            );
            impl ModuleVisitor<B> for G<'_> {
                fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
                    if p.id == self.1 {
                        self.2 = p
                            .val()
                            .grad(self.0)
                            .map(|g| g.into_data().to_vec().unwrap());
                    }
                }
            }
            let mut g = G(&grads, id, None);
            critic.visit(&mut g);
            // A parameter the input gradient does not depend on (the head's bias; the conv bias,
            // which only moves the piecewise-constant slopes of leaky ReLU) has no gradient:
            // zero, which the finite differences below confirm.
            let g = g.2.unwrap_or_else(|| vec![0.0; values.len()]);
            assert_eq!(g.len(), values.len());
            analytic.extend(g);
        }
        let conv = critic
            .conv
            .weight
            .val()
            .grad(&grads)
            .expect("the penalty reaches the conv");
        let head = critic
            .head
            .weight
            .val()
            .grad(&grads)
            .expect("the penalty reaches the head");
        assert!(
            conv.abs().max().into_scalar() > 1e-3,
            "the conv weight gradient is zero"
        );
        assert!(
            head.abs().max().into_scalar() > 1e-3,
            "the head weight gradient is zero"
        );
        // Central differences on a spread of parameters (weights of both layers and biases).
        let h = 1e-6;
        let total = analytic.len();
        let mut worst: f64 = 0.0;
        for index in (0..total).step_by(7).chain([total - 1]) {
            let plus = penalty(&nudge(&critic, index, h), &real, &fake, &e).into_scalar();
            let minus = penalty(&nudge(&critic, index, -h), &real, &fake, &e).into_scalar();
            let numeric = (plus - minus) / (2.0 * h);
            let err = (numeric - analytic[index]).abs() / (1.0 + numeric.abs());
            worst = worst.max(err);
            assert!(
                err < 1e-6,
                "parameter {index}: analytic {} vs finite difference {numeric}",
                analytic[index]
            );
        }
        eprintln!("gradient penalty: worst relative error {worst:.2e} over {total} parameters sampled every 7");
    }

    /// The norm is taken per sample over all of C x H x W: for a linear critic `D(x) = <w, x>`
    /// the input gradient of every sample is `w`, whose norm is `||w||` (not a per-channel norm).
    #[test]
    fn gradient_penalty_norm_is_per_sample_over_all_input_dimensions() {
        #[derive(Module, Debug)]
        struct LinearCritic<B: Backend> {
            head: Linear<B>,
        }
        let device = Default::default();
        let critic = LinearCritic::<B> {
            head: LinearConfig::new(2 * 3 * 3, 1).init(&device),
        };
        let w = critic
            .head
            .weight
            .val()
            .into_data()
            .to_vec::<f64>()
            .unwrap();
        let want = w.iter().map(|v| v * v).sum::<f64>().sqrt();
        let x = Tensor::<B, 4>::random([5, 2, 3, 3], Distribution::Default, &device);
        let norms = input_gradient_norms::<B, LinearCritic<Autodiff<B>>>(&critic, x, |d, x| {
            crate::nn::linear(&d.head, x.flatten(1, 3))
        });
        for got in norms.into_data().to_vec::<f64>().unwrap() {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    /// R1 is `gamma / 2 * ||w||^2` for the linear critic, and its gradient reaches `w`.
    #[test]
    fn gradient_penalty_r1_of_a_linear_critic() {
        let device = Default::default();
        let critic = Critic::<B>::new(&device);
        let x = Tensor::<B, 4>::random([3, 2, 5, 5], Distribution::Default, &device);
        let r1 = r1_penalty::<B, Critic<Autodiff<B>>>(&critic, x, 10.0, |d, x| d.forward(x));
        let grads = r1.clone().backward();
        assert!(r1.into_scalar() > 0.0);
        let g = critic
            .head
            .weight
            .val()
            .grad(&grads)
            .expect("R1 reaches the weights");
        assert!(g.abs().sum().into_scalar() > 0.0);
    }
}
