//! The dashboard's GAN metrics and a plain-text renderer.
//!
//! burn-train dispatches a step's output to its metrics by input type, so each statistic
//! (`loss_d`, `loss_g`, `D(x)`, `D(G(z))`) is its own metric type, [`StatMetric<S>`], over a
//! marker `S`. A phase that does not produce a statistic (the generator phase has no `D(x)`)
//! reports it with weight 0, which keeps the epoch means exact.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::marker::PhantomData;
use std::sync::Arc;

use burn::train::metric::{
    state::{FormatOptions, NumericMetricState},
    Adaptor, Metric, MetricAttributes, MetricDefinition, MetricId, MetricMetadata, MetricName,
    Numeric, NumericAttributes, NumericEntry, SerializedEntry,
};
use std::io::Write as _;

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

/// Prints one line of metric values every `every` generator steps; the renderer used when
/// standard output is not a terminal (burn-train's own prints a bare progress line per item).
pub struct PlainRenderer {
    every: usize,
    names: HashMap<MetricId, String>,
    values: Vec<(String, f64)>,
    last_printed: usize,
}

impl PlainRenderer {
    /// A renderer printing every `every` steps.
    pub fn new(every: usize) -> Self {
        Self {
            every: every.max(1),
            names: HashMap::new(),
            values: Vec::new(),
            last_printed: 0,
        }
    }

    /// Whether burn-train's terminal dashboard can be used (standard output is a terminal).
    pub fn terminal_available() -> bool {
        std::io::stdout().is_terminal()
    }

    fn store(&mut self, state: MetricState) {
        if let MetricState::Numeric(entry, value) = state {
            let name = self
                .names
                .get(&entry.metric_id)
                .cloned()
                .unwrap_or_else(|| "?".into());
            // A statistic the phase did not produce arrives with weight 0: keep the last value,
            // and show nothing until there is one.
            let empty = matches!(value, NumericEntry::Aggregated { count: 0, .. });
            match self.values.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) if !empty => slot.1 = value.current(),
                Some(_) => {}
                None if !empty => self.values.push((name, value.current())),
                None => {}
            }
        }
    }
}

impl MetricsRendererTraining for PlainRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.store(state);
    }

    fn update_valid(&mut self, _state: MetricState) {}

    fn render_train(&mut self, item: TrainingProgress, _indicators: Vec<ProgressType>) {
        let step = item.iteration.unwrap_or(0);
        if self.last_printed == 0 && step > self.every {
            // A resumed run: start counting from its first step.
            self.last_printed = step - step % self.every;
        }
        if step >= self.last_printed + self.every {
            self.last_printed = step - step % self.every;
            let values: Vec<String> = self
                .values
                .iter()
                .map(|(n, v)| format!("{n} {v:.4}"))
                .collect();
            // A closed stdout (`burn-gan train ... | head -1`) must not stop training.
            let _ = writeln!(
                std::io::stdout(),
                "step {step} (checkpoint interval {}/{}): {}",
                item.global_progress.items_processed,
                item.global_progress.items_total,
                values.join(", ")
            );
        }
    }

    fn render_valid(&mut self, _item: TrainingProgress, _indicators: Vec<ProgressType>) {}
}

impl MetricsRendererEvaluation for PlainRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}

    fn render_test(&mut self, _item: EvaluationProgress, _indicators: Vec<ProgressType>) {}
}

impl MetricsRenderer for PlainRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names.insert(definition.metric_id, definition.name);
    }
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
