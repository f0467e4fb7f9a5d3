//! What a training phase reports: its losses and statistics, read lazily by the dashboard and
//! once per phase by the loop.

use burn::tensor::{backend::Backend, Tensor};
use burn::train::ItemLazy;
use serde::Serialize;

use super::step::Phase;

/// What a phase reports. Tensors are detached scalars (`[1]`), read lazily by the dashboard.
#[derive(Clone, Debug)]
pub struct GanOutput<B: Backend> {
    /// The phase that produced this output (`None` for a validation pass).
    pub phase: Option<Phase>,
    /// The discriminator's loss.
    pub loss_d: Option<Tensor<B, 1>>,
    /// The generator's loss.
    pub loss_g: Option<Tensor<B, 1>>,
    /// Mean `D(x)` on real samples, as a probability.
    pub d_real: Option<Tensor<B, 1>>,
    /// Mean `D(G(z))` on generated samples, as a probability.
    pub d_fake: Option<Tensor<B, 1>>,
    /// Further named scalars a model family reports (penalties, auxiliary losses).
    pub extra: Vec<(&'static str, Tensor<B, 1>)>,
    /// The number of samples in the batch.
    pub batch_size: usize,
    /// The (detached) generated batch of a discriminator phase, for regularisers the training
    /// step adds (the gradient penalty's interpolates). Not reported.
    pub fake: Option<Tensor<B, 4>>,
    /// The real batch a discriminator phase scored, when it is not the batch's `real` (a
    /// progressively grown model's reals at the active resolution): what the gradient penalty
    /// interpolates with. Not reported.
    pub real: Option<Tensor<B, 4>>,
}

impl<B: Backend> GanOutput<B> {
    /// An output with no statistics yet.
    pub fn new(phase: Option<Phase>, batch_size: usize) -> Self {
        Self {
            phase,
            loss_d: None,
            loss_g: None,
            d_real: None,
            d_fake: None,
            extra: Vec::new(),
            batch_size,
            fake: None,
            real: None,
        }
    }

    /// This output's statistics, with those it lacks taken from `other` (validation merges the
    /// outputs of a step's phases this way).
    pub fn merge(self, other: GanOutput<B>) -> Self {
        let mut extra = self.extra;
        for (name, value) in other.extra {
            if !extra.iter().any(|(n, _)| *n == name) {
                extra.push((name, value));
            }
        }
        Self {
            phase: self.phase.or(other.phase),
            loss_d: self.loss_d.or(other.loss_d),
            loss_g: self.loss_g.or(other.loss_g),
            d_real: self.d_real.or(other.d_real),
            d_fake: self.d_fake.or(other.d_fake),
            extra,
            batch_size: self.batch_size,
            fake: self.fake.or(other.fake),
            real: self.real.or(other.real),
        }
    }

    /// The names of the statistics this output carries, in [`GanStats::values`] order.
    pub fn names(&self) -> Vec<&'static str> {
        self.named().into_iter().map(|(n, _)| n).collect()
    }

    fn named(&self) -> Vec<(&'static str, &Tensor<B, 1>)> {
        let fixed = [
            ("loss_d", &self.loss_d),
            ("loss_g", &self.loss_g),
            ("d_real", &self.d_real),
            ("d_fake", &self.d_fake),
        ];
        let mut out: Vec<_> = fixed
            .into_iter()
            .filter_map(|(n, t)| t.as_ref().map(|t| (n, t)))
            .collect();
        out.extend(self.extra.iter().map(|(n, t)| (*n, t)));
        out
    }

    /// Every statistic in one `[k]` tensor, in [`GanOutput::names`] order (`None` without any):
    /// what a single read brings back.
    pub fn scalars(&self) -> Option<Tensor<B, 1>> {
        let all: Vec<Tensor<B, 1>> = self.named().into_iter().map(|(_, t)| t.clone()).collect();
        (!all.is_empty()).then(|| Tensor::cat(all, 0))
    }

    /// The statistics from values read back in [`GanOutput::names`] order.
    pub fn stats_from(&self, values: &[f64]) -> GanStats {
        let mut stats = GanStats {
            phase: self.phase,
            batch_size: self.batch_size,
            ..GanStats::default()
        };
        for (name, &v) in self.names().into_iter().zip(values) {
            match name {
                "loss_d" => stats.loss_d = Some(v),
                "loss_g" => stats.loss_g = Some(v),
                "d_real" => stats.d_real = Some(v),
                "d_fake" => stats.d_fake = Some(v),
                _ => stats.extra.push((name, v)),
            }
        }
        stats
    }

    /// Reads the scalars: one device synchronisation for all of them.
    pub fn stats(&self) -> GanStats {
        let values = self.scalars().map(read).unwrap_or_default();
        self.stats_from(&values)
    }
}

/// The values of a `[k]` tensor (one device synchronisation).
pub(crate) fn read<B: Backend>(t: Tensor<B, 1>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// Outputs of phases not read back yet: the training loop reads them all at once (one device
/// synchronisation) when it logs, checkpoints or stops, instead of once per phase.
pub(crate) struct Unread<B: Backend> {
    rows: Vec<(usize, GanOutput<B>)>,
}

impl<B: Backend> Default for Unread<B> {
    fn default() -> Self {
        Self { rows: Vec::new() }
    }
}

impl<B: Backend> Unread<B> {
    /// Keeps `output` of generator step `step` (its statistics only).
    pub fn push(&mut self, step: usize, output: &GanOutput<B>) {
        let kept = GanOutput {
            fake: None,
            real: None,
            ..output.clone()
        };
        self.rows.push((step, kept));
    }

    /// Reads every kept output, oldest first, with the step it belongs to.
    pub fn read(&mut self) -> Vec<(usize, GanStats)> {
        let rows = std::mem::take(&mut self.rows);
        let tensors: Vec<Tensor<B, 1>> = rows.iter().filter_map(|(_, o)| o.scalars()).collect();
        let values = if tensors.is_empty() {
            Vec::new()
        } else {
            read(Tensor::cat(tensors, 0))
        };
        let mut at = 0;
        rows.into_iter()
            .map(|(step, o)| {
                let k = o.names().len();
                let stats = o.stats_from(&values[at..at + k]);
                at += k;
                (step, stats)
            })
            .collect()
    }
}

/// The scalars of a [`GanOutput`], read back from the device.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GanStats {
    /// The phase (`None` for validation).
    pub phase: Option<Phase>,
    /// The discriminator's loss.
    pub loss_d: Option<f64>,
    /// The generator's loss.
    pub loss_g: Option<f64>,
    /// Mean `D(x)`.
    pub d_real: Option<f64>,
    /// Mean `D(G(z))`.
    pub d_fake: Option<f64>,
    /// Further named scalars.
    pub extra: Vec<(&'static str, f64)>,
    /// The batch size.
    pub batch_size: usize,
}

impl GanStats {
    /// All named values, the fixed ones first.
    pub fn values(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        for (name, v) in [
            ("loss_d", self.loss_d),
            ("loss_g", self.loss_g),
            ("d_real", self.d_real),
            ("d_fake", self.d_fake),
        ] {
            if let Some(v) = v {
                out.push((name, v));
            }
        }
        out.extend(self.extra.iter().copied());
        out
    }

    /// The first value that is NaN or infinite, if any.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        self.values().into_iter().find(|(_, v)| !v.is_finite())
    }
}

impl<B: Backend> ItemLazy for GanOutput<B> {
    type ItemSync = GanStats;

    fn sync(self) -> GanStats {
        self.stats()
    }
}
