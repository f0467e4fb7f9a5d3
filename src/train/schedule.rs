//! The learning-rate multiplier of a run, stepped by the learner once per phase.
//!
//! Each network's optimizer has its own base rate (see [`super::optim`]); this schedule scales
//! both. Linear decay to zero over the run (as in many GAN recipes, e.g. CycleGAN's second half
//! and the toy-distribution experiments of the improved-training papers) lets the generator
//! settle on sharp modes at the end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use burn::lr_scheduler::LrScheduler;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

/// How the learning rates change over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrDecay {
    /// Constant rates.
    #[default]
    Constant,
    /// Linear decay from the base rates to zero at the last step.
    Linear,
}

impl std::str::FromStr for LrDecay {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "constant" => Ok(Self::Constant),
            "linear" => Ok(Self::Linear),
            other => Err(format!(
                "unknown learning-rate decay `{other}`; use constant or linear"
            )),
        }
    }
}

/// The learner's scheduler: a multiplier of the networks' learning rates. Its record is the
/// number of phases done, so a resumed run continues the schedule.
///
/// The decay is multiplied by the model's scale for the coming phase
/// ([`Adversarial::learning_rate_scale`](super::Adversarial::learning_rate_scale)), which the
/// training loop sets through [`LrSchedule::scale`] before it steps the schedule: a function of
/// the step like the decay, so nothing more needs saving.
#[derive(Clone, Debug)]
pub struct LrSchedule {
    decay: LrDecay,
    total: usize,
    done: usize,
    scale: LrScale,
}

/// The model's learning-rate multiplier for the next phase, shared by the training loop (which
/// sets it) and the learner's [`LrSchedule`] (which applies it).
#[derive(Clone, Debug)]
pub struct LrScale(Arc<AtomicU64>);

impl LrScale {
    /// Sets the multiplier of the next phase.
    pub fn set(&self, scale: f64) {
        self.0.store(scale.to_bits(), Ordering::SeqCst);
    }

    /// The multiplier of the next phase.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::SeqCst))
    }
}

impl Default for LrScale {
    fn default() -> Self {
        Self(Arc::new(AtomicU64::new(1f64.to_bits())))
    }
}

impl LrSchedule {
    /// A schedule over `total` phases.
    pub fn new(decay: LrDecay, total: usize) -> Self {
        Self {
            decay,
            total: total.max(1),
            done: 0,
            scale: LrScale::default(),
        }
    }

    /// The handle that sets the model's multiplier of the next phase.
    pub fn scale(&self) -> LrScale {
        self.scale.clone()
    }
}

impl LrScheduler for LrSchedule {
    type Record<B: Backend> = usize;

    fn step(&mut self) -> f64 {
        let t = self.done as f64 / self.total as f64;
        self.done += 1;
        let decay = match self.decay {
            LrDecay::Constant => 1.0,
            LrDecay::Linear => (1.0 - t).max(0.0),
        };
        decay * self.scale.get()
    }

    fn to_record<B: Backend>(&self) -> usize {
        self.done
    }

    fn load_record<B: Backend>(self, done: usize) -> Self {
        Self { done, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_decay_reaches_zero_at_the_end_and_resumes() {
        let mut s = LrSchedule::new(LrDecay::Linear, 4);
        let lrs: Vec<f64> = (0..4).map(|_| s.step()).collect();
        assert_eq!(lrs, vec![1.0, 0.75, 0.5, 0.25]);
        let resumed = LrSchedule::new(LrDecay::Linear, 4).load_record::<crate::TestBackend>(2);
        assert_eq!(resumed.clone().step(), 0.5);
        assert_eq!(LrSchedule::new(LrDecay::Constant, 4).step(), 1.0);
    }

    #[test]
    fn the_models_scale_multiplies_the_decay() {
        let mut s = LrSchedule::new(LrDecay::Linear, 4);
        let scale = s.scale();
        scale.set(0.5);
        assert_eq!(s.step(), 0.5);
        scale.set(2.0);
        assert_eq!(s.step(), 1.5);
    }
}
