//! The training contract is open: small families defined here, not in the zoo, train through
//! the same `fit`, strategy and optimizer as the zoo's models.
//!
//! - a three-network model whose third network's gradients reach only its own optimizer;
//! - a phase that runs every N steps on fresh data, and a run that resumes exactly across it;
//! - a paired-input model (pix2pix-style: an input point and its target) that learns a mapping;
//! - a two-domain, four-network model (CycleGAN-style) that learns to map one point cloud onto
//!   another.

use std::sync::Arc;

use burn::module::{list_param_ids, Module, ParamId};
use burn::nn::{Linear, LinearConfig};
use burn::optim::Optimizer;
use burn::prelude::*;
use burn::tensor::activation::leaky_relu;
use burn::tensor::backend::Backend as _;
use burn::tensor::Distribution;
use burn_gan::data::{SampleKind, Samples, Toy};
use burn_gan::loss::{GeneratorLoss, LossFamily};
use burn_gan::train::{
    fit, fit_two_domains, gan_optimizers, step_batches, train_step, Adversarial, Condition,
    GanBatch, GanOptimizer, GanOutput, NetworkId, OptimizerConfig, Phase, Schedule, StepInfo,
    TrainingConfig,
};
use burn_gan::Error;
use burn_gan_backends::{AutodiffBackend, Backend};

type AB = AutodiffBackend;

/// `[n, 2, 1, 1]` points as `[n, 2]`.
fn flat<B: burn::tensor::backend::Backend>(x: Tensor<B, 4>) -> Tensor<B, 2> {
    let n = x.dims()[0];
    x.reshape([n, 2])
}

/// `[n, 2]` points as `[n, 2, 1, 1]`.
fn points<B: burn::tensor::backend::Backend>(x: Tensor<B, 2>) -> Tensor<B, 4> {
    let n = x.dims()[0];
    x.reshape([n, 2, 1, 1])
}

/// A small critic on 2-D points (or pairs of them): `in -> 16 -> 1`.
#[derive(Module, Debug)]
struct Critic<B: burn::tensor::backend::Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: burn::tensor::backend::Backend> Critic<B> {
    fn new(inputs: usize, device: &B::Device) -> Self {
        Self {
            hidden: LinearConfig::new(inputs, 16).init(device),
            out: LinearConfig::new(16, 1).init(device),
        }
    }

    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.out.forward(leaky_relu(self.hidden.forward(x), 0.2))
    }
}

fn values<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

fn config(steps: usize) -> TrainingConfig {
    TrainingConfig {
        steps,
        batch_size: 64,
        checkpoint_every: steps,
        log_every: 1,
        sample_every: steps,
        grid_size: 16,
        ..TrainingConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// A three-network model: generator, discriminator and an encoder trained to invert the
// generator (reconstruction of real points through G(E(x))).

#[derive(Module, Debug)]
struct ThreeNets<B: burn::tensor::backend::Backend> {
    g: Linear<B>,
    d: Critic<B>,
    e: Linear<B>,
    /// A parameter no network claims (for the error test).
    stray: Option<Linear<B>>,
}

impl<B: burn::tensor::backend::Backend> ThreeNets<B> {
    fn new(stray: bool, device: &B::Device) -> Self {
        Self {
            g: LinearConfig::new(2, 2).init(device),
            d: Critic::new(2, device),
            e: LinearConfig::new(2, 2).init(device),
            stray: stray.then(|| LinearConfig::new(2, 2).init(device)),
        }
    }
}

const ENCODE: Phase = Phase::new("encoder", NetworkId::ENCODER);

impl<B: burn::tensor::backend::Backend> Adversarial<B> for ThreeNets<B> {
    fn networks(&self) -> Vec<NetworkId> {
        vec![
            NetworkId::GENERATOR,
            NetworkId::DISCRIMINATOR,
            NetworkId::ENCODER,
        ]
    }

    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        match network {
            NetworkId::GENERATOR => list_param_ids(&self.g),
            NetworkId::DISCRIMINATOR => list_param_ids(&self.d),
            NetworkId::ENCODER => list_param_ids(&self.e),
            _ => Vec::new(),
        }
    }

    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        let mut phases = Phase::alternating(step.d_steps);
        phases.push(ENCODE);
        phases
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        let real = flat(batch.real.clone());
        let loss = LossFamily::Standard;
        match batch.phase.network {
            NetworkId::DISCRIMINATOR => {
                let fake = self.g.forward(batch.z.clone()).detach();
                let l = loss.discriminator(self.d.forward(real), self.d.forward(fake), 1.0);
                out.loss_d = Some(l.clone().detach());
                (l, out)
            }
            NetworkId::GENERATOR => {
                let fake = self.g.forward(batch.z.clone());
                let l = loss.generator(self.d.forward(fake), GeneratorLoss::NonSaturating);
                out.loss_g = Some(l.clone().detach());
                (l, out)
            }
            _ => {
                let rebuilt = self.g.forward(self.e.forward(real.clone()));
                let l = (rebuilt - real).powf_scalar(2.0).mean();
                out.extra.push(("loss_e", l.clone().detach()));
                (l, out)
            }
        }
    }

    fn latent_dim(&self) -> usize {
        2
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        points(self.g.forward(condition.z))
    }
}

burn_gan::impl_train_steps!(ThreeNets);

fn three_optimizers(lr_e: f64) -> std::collections::BTreeMap<String, OptimizerConfig> {
    let mut o = gan_optimizers(OptimizerConfig::adam(1e-3), OptimizerConfig::adam(1e-3));
    o.insert("encoder".into(), OptimizerConfig::adam(lr_e));
    o
}

#[test]
fn a_third_networks_gradients_reach_only_its_own_optimizer() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AB::seed(&device, 1);
    let model = ThreeNets::<AB>::new(false, &device);
    let mut optim =
        GanOptimizer::<ThreeNets<AB>, AB>::new(&model.networks(), &three_optimizers(1e-2)).unwrap();
    let batch = GanBatch {
        phase: ENCODE,
        step: StepInfo::default(),
        real: Tensor::random([32, 2, 1, 1], Distribution::Normal(0.0, 1.0), &device),
        labels: None,
        input: None,
        second: None,
        z: Tensor::random([32, 2], Distribution::Normal(0.0, 1.0), &device),
        seed: 0,
    };
    let out = train_step(&model, batch);
    assert!(out.item.stats().extra[0].1 > 0.0);
    let grads = out.grads;
    type IB = <AB as burn::tensor::backend::AutodiffBackend>::InnerBackend;
    // The phase keeps its own network's gradients only.
    assert!(grads.get::<IB, 2>(model.e.weight.id).is_some());
    assert!(grads.get::<IB, 2>(model.g.weight.id).is_none());
    assert!(grads.get::<IB, 2>(model.d.hidden.weight.id).is_none());
    // And the optimizer steps the encoder alone.
    let before = (
        values(model.g.weight.val()),
        values(model.d.out.weight.val()),
        values(model.e.weight.val()),
    );
    let model = optim.step(1.0, model, grads);
    assert_eq!(values(model.g.weight.val()), before.0);
    assert_eq!(values(model.d.out.weight.val()), before.1);
    assert_ne!(values(model.e.weight.val()), before.2);
    // The checkpointed state is stored by network id.
    let record = optim.to_record();
    let ids: Vec<&str> = record.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["generator", "discriminator", "encoder"]);
}

#[test]
fn three_networks_train_through_fit_and_misconfigurations_are_refused() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AB::seed(&device, 2);
    let data = Arc::new(Toy::Ring8.samples(512, 0));
    let run = crate::common::scratch("contract-three");
    let mut c = config(30);
    c.optimizers = three_optimizers(2e-2);
    let model = ThreeNets::<AB>::new(false, &device);
    let start = values(model.e.weight.val());
    let trained = fit(model, data.clone(), &c, &run, None, &device).unwrap();
    assert_ne!(values(trained.e.weight.val()), start);
    let log = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let losses = burn_gan::train::metric_points(&log, "loss_e");
    assert_eq!(losses.len(), 30);
    assert!(
        losses[29].1 < losses[0].1,
        "the encoder learns to invert the generator: {losses:?}"
    );
    // The encoder's state is in the checkpoint: the run resumes.
    c.steps = 40;
    c.checkpoint_every = 30;
    fit(
        ThreeNets::<AB>::new(false, &device),
        data.clone(),
        &c,
        &run,
        Some(30),
        &device,
    )
    .unwrap();

    // No optimizer for the third network: refused before training, naming it.
    let mut missing = config(2);
    missing.optimizers.remove("encoder");
    let err = fit(
        ThreeNets::<AB>::new(false, &device),
        data.clone(),
        &missing,
        &crate::common::scratch("contract-missing"),
        None,
        &device,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert!(err.to_string().contains("`encoder`"), "{err}");
    // A trainable parameter no network owns is an error, never another network's.
    let mut three = config(2);
    three.optimizers = three_optimizers(1e-3);
    let err = fit(
        ThreeNets::<AB>::new(true, &device),
        data,
        &three,
        &crate::common::scratch("contract-stray"),
        None,
        &device,
    )
    .unwrap_err();
    assert!(err.to_string().contains("belongs to none"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A GAN with a lazy regulariser: a phase every 3 steps on fresh data, whose weight fades in
// with the step (as a progressive schedule would).

#[derive(Module, Debug)]
struct Lazy<B: burn::tensor::backend::Backend> {
    g: Linear<B>,
    d: Critic<B>,
}

const REGULARISE: Phase = Phase::new("regularise", NetworkId::DISCRIMINATOR)
    .fresh()
    .every(3);

impl<B: burn::tensor::backend::Backend> Adversarial<B> for Lazy<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        burn_gan::train::network_params_of(&self.g, &self.d, network)
    }

    fn phases(&self, step: &StepInfo) -> Vec<Phase> {
        let mut phases = Phase::alternating(step.d_steps);
        phases.push(REGULARISE);
        phases
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        let real = flat(batch.real.clone());
        let loss = LossFamily::Standard;
        if batch.phase == REGULARISE {
            // The weight fades in over the run: a function of the step the batch carries.
            let alpha = batch.step.progress();
            let l = self
                .d
                .forward(real)
                .powf_scalar(2.0)
                .mean()
                .mul_scalar(alpha);
            let device = l.device();
            out.extra
                .push(("alpha", Tensor::from_floats([alpha as f32], &device)));
            out.extra.push(("reg", l.clone().detach()));
            return (l, out);
        }
        if batch.phase.network == NetworkId::DISCRIMINATOR {
            let fake = self.g.forward(batch.z.clone()).detach();
            let l = loss.discriminator(self.d.forward(real), self.d.forward(fake), 1.0);
            out.loss_d = Some(l.clone().detach());
            (l, out)
        } else {
            let fake = self.g.forward(batch.z.clone());
            let l = loss.generator(self.d.forward(fake), GeneratorLoss::NonSaturating);
            out.loss_g = Some(l.clone().detach());
            (l, out)
        }
    }

    fn latent_dim(&self) -> usize {
        2
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        points(self.g.forward(condition.z))
    }
}

burn_gan::impl_train_steps!(Lazy);

fn lazy(device: &burn::tensor::Device<AB>) -> Lazy<AB> {
    AB::seed(device, 5);
    Lazy {
        g: LinearConfig::new(2, 2).init(device),
        d: Critic::new(2, device),
    }
}

#[test]
fn a_phase_every_n_steps_runs_on_its_steps_and_resumes_exactly() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    // The table: the lazy phase joins steps 0, 3, 6, ... and draws its own fresh batch.
    let model = lazy(&device);
    let schedule = Schedule {
        steps: 12,
        d_steps: 1,
        checkpoint_every: 4,
        log_every: 1,
        sample_every: 12,
        eval_every: 0,
        seed: 1,
    };
    let mut fresh = 0;
    for step in 0..7 {
        let mut last = None;
        let batch = || {
            fresh += 1;
            GanBatch::<AB> {
                phase: Phase::DISCRIMINATOR,
                step: StepInfo::default(),
                real: Tensor::zeros([4, 2, 1, 1], &device),
                labels: None,
                input: None,
                second: None,
                z: Tensor::zeros([4, 2], &device),
                seed: 0,
            }
        };
        let batches = step_batches(&model, &schedule, step, &mut last, batch, || unreachable!());
        let names: Vec<_> = batches.iter().map(|b| b.phase.name).collect();
        if step % 3 == 0 {
            assert_eq!(names, ["discriminator", "generator", "regularise"]);
        } else {
            assert_eq!(names, ["discriminator", "generator"]);
        }
        assert!(batches
            .iter()
            .all(|b| b.step.step == step && b.step.steps == 12));
    }
    assert_eq!(fresh, 7 + 3);
    assert_eq!(
        burn_gan::train::fresh_batches_before(&model, &schedule, 7),
        10
    );

    // Uninterrupted: 12 steps, checkpoints every 4. Killed after the checkpoint of step 8 (where
    // the cursor is mid-way between lazy phases): the run folder as it was then (that checkpoint and
    // the metrics logged so far, plus lines of the interrupted interval), then resumed to 12.
    let data = Arc::new(Toy::Ring8.samples(512, 0));
    let mut c = config(12);
    c.checkpoint_every = 4;
    let whole = crate::common::scratch("contract-lazy-whole");
    let a = fit(lazy(&device), data.clone(), &c, &whole, None, &device).unwrap();
    let parts = crate::common::scratch("contract-lazy-parts");
    std::fs::create_dir_all(parts.join("checkpoint")).unwrap();
    for part in ["model", "optim", "scheduler"] {
        let name = format!("checkpoint/{part}-8.mpk");
        std::fs::copy(whole.join(&name), parts.join(&name)).unwrap();
    }
    std::fs::copy(whole.join("metrics.jsonl"), parts.join("metrics.jsonl")).unwrap();
    let b = fit(lazy(&device), data, &c, &parts, Some(8), &device).unwrap();
    assert_eq!(values(a.d.out.weight.val()), values(b.d.out.weight.val()));
    assert_eq!(values(a.g.weight.val()), values(b.g.weight.val()));
    let log_a = std::fs::read_to_string(whole.join("metrics.jsonl")).unwrap();
    let log_b = std::fs::read_to_string(parts.join("metrics.jsonl")).unwrap();
    assert_eq!(log_a, log_b);
    // The lazy phase logged at steps 1, 4, 7, 10 (the lines after steps 0, 3, 6, 9), with the
    // fade-in weight of its step.
    let alpha = burn_gan::train::metric_points(&log_a, "alpha");
    let want: Vec<(f64, f64)> = [0usize, 3, 6, 9]
        .iter()
        .map(|&s| ((s + 1) as f64, s as f64 / 12.0))
        .collect();
    assert_eq!(alpha.len(), 4, "{alpha:?}");
    for ((s, a), (ws, wa)) in alpha.iter().zip(&want) {
        assert_eq!(s, ws);
        assert!((a - wa).abs() < 1e-6, "{alpha:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// A paired-input model (pix2pix on points): the generator maps an input point to its target,
// the discriminator judges (input, output) pairs; loss L1 + adversarial.

#[derive(Module, Debug)]
struct Paired<B: burn::tensor::backend::Backend> {
    g: Linear<B>,
    d: Critic<B>,
}

impl<B: burn::tensor::backend::Backend> Adversarial<B> for Paired<B> {
    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        burn_gan::train::network_params_of(&self.g, &self.d, network)
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        let input = flat(batch.input.clone().expect("paired data"));
        let target = flat(batch.real.clone());
        let judge = |y: Tensor<B, 2>| self.d.forward(Tensor::cat(vec![input.clone(), y], 1));
        let loss = LossFamily::Standard;
        if batch.phase.network == NetworkId::DISCRIMINATOR {
            let fake = self.g.forward(input.clone()).detach();
            let l = loss.discriminator(judge(target), judge(fake), 1.0);
            out.loss_d = Some(l.clone().detach());
            (l, out)
        } else {
            let fake = self.g.forward(input.clone());
            let l1 = (fake.clone() - target).abs().mean();
            let adversarial = loss.generator(judge(fake), GeneratorLoss::NonSaturating);
            out.extra.push(("l1", l1.clone().detach()));
            let l = l1.mul_scalar(0.9) + adversarial.mul_scalar(0.1);
            out.loss_g = Some(l.clone().detach());
            (l, out)
        }
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn takes_input(&self) -> bool {
        true
    }

    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        let input = condition.input.expect("an input point per sample");
        points(self.g.forward(flat(input)))
    }
}

burn_gan::impl_train_steps!(Paired);

/// `(x, y) -> (-y + 1, x - 0.5)`: a rotation by 90 degrees and a shift.
fn target_of(p: [f32; 2]) -> [f32; 2] {
    [-p[1] + 1.0, p[0] - 0.5]
}

fn paired_points(n: usize, seed: u64) -> Samples {
    let inputs = Toy::Ring8.samples(n, seed);
    let mut targets = inputs.clone();
    for (t, x) in targets.values.chunks_mut(2).zip(inputs.values.chunks(2)) {
        t.copy_from_slice(&target_of([x[0], x[1]]));
    }
    targets.source = "ring8 targets".into();
    targets.paired = Some(Box::new(inputs));
    targets
}

#[test]
fn a_paired_input_model_learns_its_mapping() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AB::seed(&device, 7);
    let model = Paired::<AB> {
        g: LinearConfig::new(2, 2).init(&device),
        d: Critic::new(4, &device),
    };
    let mut c = config(300);
    c.optimizers = gan_optimizers(OptimizerConfig::adam(2e-2), OptimizerConfig::adam(2e-3));
    let run = crate::common::scratch("contract-paired");
    let trained = fit(
        model,
        Arc::new(paired_points(1024, 0)),
        &c,
        &run,
        None,
        &device,
    )
    .unwrap();
    // Held-out inputs (another seed): the mean distance to their targets.
    let test = paired_points(256, 9);
    let inputs = test.paired.as_ref().unwrap();
    let x = Tensor::<Backend, 4>::from_data(
        TensorData::new(inputs.values.clone(), [256, 2, 1, 1]),
        &device,
    );
    let got = values(trained.sample(Condition {
        z: Tensor::zeros([256, 0], &device),
        labels: None,
        input: Some(x),
    }));
    let error: f32 = got
        .chunks(2)
        .zip(test.values.chunks(2))
        .map(|(g, t)| ((g[0] - t[0]).powi(2) + (g[1] - t[1]).powi(2)).sqrt())
        .sum::<f32>()
        / 256.0;
    // The ring has radius 2: an untrained map is off by about 2-3.
    assert!(error < 0.15, "mean distance to the targets: {error}");
    // The run folder's scatter was drawn from the paired inputs.
    assert!(run.join("samples").join("step-000300.png").is_file());
    // Unpaired data is refused with one line.
    let err = fit(
        Paired::<AB> {
            g: LinearConfig::new(2, 2).init(&device),
            d: Critic::new(4, &device),
        },
        Arc::new(Toy::Ring8.samples(256, 0)),
        &config(2),
        &crate::common::scratch("contract-unpaired"),
        None,
        &device,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no paired inputs"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A two-domain, four-network model (CycleGAN on point clouds): g_ab, g_ba, d_a, d_b; each
// generator phase adds both cycle-consistency terms.

const G_AB: NetworkId = NetworkId::new("g_ab");
const G_BA: NetworkId = NetworkId::new("g_ba");
const D_A: NetworkId = NetworkId::new("d_a");
const D_B: NetworkId = NetworkId::new("d_b");

#[derive(Module, Debug)]
struct Cycle<B: burn::tensor::backend::Backend> {
    g_ab: Linear<B>,
    g_ba: Linear<B>,
    d_a: Critic<B>,
    d_b: Critic<B>,
}

impl<B: burn::tensor::backend::Backend> Adversarial<B> for Cycle<B> {
    fn networks(&self) -> Vec<NetworkId> {
        vec![G_AB, G_BA, D_A, D_B]
    }

    fn network_params(&self, network: NetworkId) -> Vec<ParamId> {
        match network {
            G_AB => list_param_ids(&self.g_ab),
            G_BA => list_param_ids(&self.g_ba),
            D_A => list_param_ids(&self.d_a),
            D_B => list_param_ids(&self.d_b),
            _ => Vec::new(),
        }
    }

    fn phases(&self, _step: &StepInfo) -> Vec<Phase> {
        vec![
            Phase::new("d_a", D_A).fresh(),
            Phase::new("d_b", D_B),
            Phase::new("g_ab", G_AB),
            Phase::new("g_ba", G_BA),
        ]
    }

    fn phase_loss(&self, batch: &GanBatch<B>) -> (Tensor<B, 1>, GanOutput<B>) {
        let n = batch.real.dims()[0];
        let mut out = GanOutput::new(Some(batch.phase), n);
        let a = flat(batch.real.clone());
        let b = flat(batch.second.clone().expect("a second domain").images);
        let loss = LossFamily::Standard;
        let l = match batch.phase.network {
            D_A => {
                let fake = self.g_ba.forward(b).detach();
                loss.discriminator(self.d_a.forward(a), self.d_a.forward(fake), 1.0)
            }
            D_B => {
                let fake = self.g_ab.forward(a).detach();
                loss.discriminator(self.d_b.forward(b), self.d_b.forward(fake), 1.0)
            }
            network => {
                let (fake_b, fake_a) = (self.g_ab.forward(a.clone()), self.g_ba.forward(b.clone()));
                let cycle = (self.g_ba.forward(fake_b.clone()) - a).abs().mean()
                    + (self.g_ab.forward(fake_a.clone()) - b).abs().mean();
                out.extra.push(("cycle", cycle.clone().detach()));
                let adversarial = if network == G_AB {
                    loss.generator(self.d_b.forward(fake_b), GeneratorLoss::NonSaturating)
                } else {
                    loss.generator(self.d_a.forward(fake_a), GeneratorLoss::NonSaturating)
                };
                adversarial + cycle.mul_scalar(5.0)
            }
        };
        out.extra.push((batch.phase.name, l.clone().detach()));
        (l, out)
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn takes_input(&self) -> bool {
        true
    }

    /// Maps domain A to domain B.
    fn sample(&self, condition: Condition<B>) -> Tensor<B, 4> {
        let input = condition.input.expect("a domain-A point per sample");
        points(self.g_ab.forward(flat(input)))
    }
}

burn_gan::impl_train_steps!(Cycle);

/// `n` points of a Gaussian blob around `center` (standard deviation 0.3).
fn blob(n: usize, center: [f32; 2], seed: u64) -> Samples {
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution as _, Normal};
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0f32, 0.3).unwrap();
    let values = (0..n)
        .flat_map(|_| [center[0], center[1]])
        .map(|c| c + normal.sample(&mut rng))
        .collect();
    Samples {
        values,
        shape: [2, 1, 1],
        labels: None,
        num_classes: None,
        kind: SampleKind::Points,
        source: format!("blob at {center:?}"),
        paired: None,
    }
}

fn mean_point(values: &[f32]) -> [f32; 2] {
    let n = (values.len() / 2) as f32;
    let (x, y) = values
        .chunks(2)
        .fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
    [x / n, y / n]
}

#[test]
fn a_two_domain_four_network_model_maps_one_cloud_onto_the_other() {
    let _serial = crate::common::serial();
    let device = burn_gan_backends::device();
    AB::seed(&device, 11);
    let model = Cycle::<AB> {
        g_ab: LinearConfig::new(2, 2).init(&device),
        g_ba: LinearConfig::new(2, 2).init(&device),
        d_a: Critic::new(2, &device),
        d_b: Critic::new(2, &device),
    };
    let (center_a, center_b) = ([-2.0, 0.0], [2.0, 1.0]);
    let mut c = config(400);
    c.lr_decay = burn_gan::train::LrDecay::Linear;
    c.optimizers = [G_AB, G_BA, D_A, D_B]
        .into_iter()
        .map(|id| (id.name().to_string(), OptimizerConfig::adam(1e-2)))
        .collect();
    let run = crate::common::scratch("contract-cycle");
    let trained = fit_two_domains(
        model,
        Arc::new(blob(1024, center_a, 0)),
        Some(Arc::new(blob(1024, center_b, 1))),
        &c,
        &run,
        None,
        &device,
    )
    .unwrap();
    let held_out = blob(512, center_a, 2);
    let x = Tensor::<Backend, 4>::from_data(
        TensorData::new(held_out.values.clone(), [512, 2, 1, 1]),
        &device,
    );
    let mapped = values(trained.sample(Condition {
        z: Tensor::zeros([512, 0], &device),
        labels: None,
        input: Some(x.clone()),
    }));
    let m = mean_point(&mapped);
    let off = ((m[0] - center_b[0]).powi(2) + (m[1] - center_b[1]).powi(2)).sqrt();
    // Untrained, A's centre maps about 2-4 away from B's; trained with seeds 1-10 (the global
    // seed is shared with the tests running beside this one) it landed 0.06-0.43 away.
    assert!(off < 0.6, "g_ab(A) is centred at {m:?}, B at {center_b:?}");
    let back = values(trained.g_ba.forward(trained.g_ab.forward(flat(x))));
    let cycle = back
        .iter()
        .zip(&held_out.values)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / back.len() as f32;
    assert!(cycle < 0.3, "cycle error {cycle}");
    let log = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    for name in ["d_a", "d_b", "g_ab", "g_ba", "cycle"] {
        assert_eq!(
            burn_gan::train::metric_points(&log, name).len(),
            400,
            "{name}"
        );
    }
}
