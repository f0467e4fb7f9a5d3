//! The dashboard's GAN metrics and a plain-text renderer.
//!
//! burn-train dispatches a step's output to its metrics by input type, so each statistic
//! (`loss_d`, `loss_g`, `D(x)`, `D(G(z))`) is its own metric type, [`StatMetric<S>`], over a
//! marker `S`. A phase that does not produce a statistic (the generator phase has no `D(x)`)
//! reports it with weight 0, which keeps the epoch means exact.

use std::io::IsTerminal;
use std::marker::PhantomData;
use std::sync::Arc;

use burn::train::metric::{
    state::{FormatOptions, NumericMetricState},
    Adaptor, Metric, MetricAttributes, MetricDefinition, MetricMetadata, MetricName, Numeric,
    NumericAttributes, NumericEntry, SerializedEntry,
};

use burn::train::renderer::{
    EvaluationName, EvaluationProgress, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining, ProgressType, TrainingProgress,
};

use super::step::GanStats;

/// A statistic of [`GanStats`] shown as a metric.
pub trait Stat: Send + Sync + Clone + Default + 'static {
    /// The metric's name.
    const NAME: &'static str;
    /// Whether a larger value is better (only for display).
    const HIGHER_IS_BETTER: bool;
    /// Reads the statistic, if the phase produced it.
    fn read(stats: &GanStats) -> Option<f64>;
}

macro_rules! stat {
    ($ty:ident, $name:literal, $field:ident, $higher:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $ty;
        impl Stat for $ty {
            const NAME: &'static str = $name;
            const HIGHER_IS_BETTER: bool = $higher;
            fn read(stats: &GanStats) -> Option<f64> {
                stats.$field
            }
        }
    };
}

stat!(LossD, "Loss D", loss_d, false, "The discriminator's loss.");
stat!(LossG, "Loss G", loss_g, false, "The generator's loss.");
stat!(
    DReal,
    "D(x)",
    d_real,
    true,
    "Mean discriminator probability on real samples."
);
stat!(
    DFake,
    "D(G(z))",
    d_fake,
    true,
    "Mean discriminator probability on generated samples."
);

/// The input of a [`StatMetric`].
pub struct StatInput<S> {
    value: Option<f64>,
    batch_size: usize,
    _stat: PhantomData<S>,
}

impl<S: Stat> Adaptor<StatInput<S>> for GanStats {
    fn adapt(&self) -> StatInput<S> {
        StatInput {
            value: S::read(self),
            batch_size: self.batch_size,
            _stat: PhantomData,
        }
    }
}

/// A numeric dashboard metric for the statistic `S`.
#[derive(Clone)]
pub struct StatMetric<S> {
    state: NumericMetricState,
    last: f64,
    name: MetricName,
    _stat: PhantomData<S>,
}

impl<S: Stat> Default for StatMetric<S> {
    fn default() -> Self {
        Self {
            state: NumericMetricState::new(),
            last: 0.0,
            name: Arc::new(S::NAME.to_string()),
            _stat: PhantomData,
        }
    }
}

impl<S: Stat> Metric for StatMetric<S> {
    type Input = StatInput<S>;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: None,
            higher_is_better: S::HIGHER_IS_BETTER,
        }
        .into()
    }

    fn update(&mut self, input: &StatInput<S>, _metadata: &MetricMetadata) -> SerializedEntry {
        let format = FormatOptions::new(self.name.clone()).precision(4);
        match input.value {
            Some(v) => {
                self.last = v;
                self.state.update(v, input.batch_size, format)
            }
            None => self.state.update(self.last, 0, format),
        }
    }

    fn clear(&mut self) {
        self.state.reset();
    }
}

impl<S: Stat> Numeric for StatMetric<S> {
    fn value(&self) -> NumericEntry {
        self.state.current_value()
    }

    fn running_value(&self) -> NumericEntry {
        self.state.running_value()
    }
}

/// The renderer used when standard output is not a terminal: it draws nothing. burn-train's own
/// prints a bare progress line per item; the run's plain lines (step, speed, time left and the
/// values of each `metrics.jsonl` row) come from [`RunFiles`](super::RunFiles) instead, so they
/// show the same interval means the file holds.
#[derive(Debug, Default)]
pub struct PlainRenderer;

impl PlainRenderer {
    /// Whether burn-train's terminal dashboard can be used (standard output is a terminal).
    pub fn terminal_available() -> bool {
        std::io::stdout().is_terminal()
    }
}

impl MetricsRendererTraining for PlainRenderer {
    fn update_train(&mut self, _state: MetricState) {}

    fn update_valid(&mut self, _state: MetricState) {}

    fn render_train(&mut self, _item: TrainingProgress, _indicators: Vec<ProgressType>) {}

    fn render_valid(&mut self, _item: TrainingProgress, _indicators: Vec<ProgressType>) {}
}

impl MetricsRendererEvaluation for PlainRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}

    fn render_test(&mut self, _item: EvaluationProgress, _indicators: Vec<ProgressType>) {}
}

impl MetricsRenderer for PlainRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, _definition: MetricDefinition) {}
}

/// burn-train's metric logger for a GAN run: it keeps nothing. A run's statistics are in
/// `metrics.jsonl` (written by the run's hooks, which report a failed write as an error line);
/// burn-train's own file logger would also write `train/` and `valid/` folders per epoch, and
/// panics in its writer thread when the disk is full.
#[derive(Debug, Default)]
pub struct NoMetricFiles;

impl burn::train::logger::MetricLogger for NoMetricFiles {
    fn log(
        &mut self,
        _update: burn::train::metric::store::MetricsUpdate,
        _epoch: usize,
        _split: &burn::train::metric::store::Split,
    ) {
    }

    fn read_numeric(
        &mut self,
        _name: &str,
        _epoch: usize,
        _split: &burn::train::metric::store::Split,
    ) -> Result<Vec<NumericEntry>, String> {
        Ok(Vec::new())
    }

    fn log_metric_definition(&mut self, _definition: MetricDefinition) {}

    fn log_epoch_summary(&mut self, _summary: burn::train::metric::store::EpochSummary) {}
}
