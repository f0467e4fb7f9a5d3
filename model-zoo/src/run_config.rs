//! A run's `config.json`: what `burn-gan train` writes into the run folder and what `--resume`,
//! `--config`, `sample`, `interpolate` and `eval --run` read back. It lives in the library (not
//! in the program) so that the fuzz harness (`tools/fuzz`) runs the same reader the program does.

use std::path::Path;

use burn_gan::data::SampleKind;
use burn_gan::train::TrainingConfig;
use burn_gan::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::registry::ModelSpec;

/// What `config.json` holds: enough to rebuild the model and the data of a run.
#[derive(Clone, Serialize, Deserialize)]
pub struct RunConfig {
    /// The name given to `train`.
    pub model_name: String,
    /// The model's family and configuration.
    pub model: ModelSpec,
    /// The training settings.
    pub training: TrainingConfig,
    /// The data as given to `--data`.
    pub data: String,
    /// `--data-b`, the second domain of a two-domain model (cyclegan), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_b: Option<String>,
    /// `--image-size`, when given.
    pub image_size: Option<u32>,
    /// `--channels`, when given.
    pub channels: Option<usize>,
    /// `--background` of image-folder data with transparency (absent: white).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// The shape of one sample, `[c, h, w]`.
    pub data_shape: [usize; 3],
    /// Points or images.
    pub data_kind: SampleKind,
    /// The backend the run was trained on.
    pub backend: String,
    /// Held-out labelled images a classifier model (sgan) is tested on after training.
    #[serde(default)]
    pub test_data: Option<String>,
    /// Where the phases compute: devices and micro-batches (`--devices`, `--accumulate`).
    #[serde(default)]
    pub parallel: Parallelism,
}

/// How a run splits each phase's batch (see `burn_gan::train::parallel`): over `devices`
/// devices of the backend, each computing its share in `accumulate` micro-batches. The global
/// batch stays `training.batch_size`, so both may change when a run resumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parallelism {
    /// Devices (`--devices`).
    pub devices: usize,
    /// Micro-batches per device and phase (`--accumulate`).
    pub accumulate: usize,
}

impl Default for Parallelism {
    fn default() -> Self {
        Self {
            devices: 1,
            accumulate: 1,
        }
    }
}

/// Reads the configuration of the run folder `run` (its `config.json`), or the configuration
/// file `run` itself (for `train --config`); any defect is an error naming the file.
pub fn read_run_config(run: &Path) -> Result<RunConfig> {
    let path = match run.is_file() || run.extension().is_some_and(|e| e == "json") {
        true => run.to_path_buf(),
        false => run.join("config.json"),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::format(&path, format!("cannot read the run configuration ({e}); is {} a run folder written by `burn-gan train`?", run.display()))
    })?;
    let bad = |e: serde_json::Error| {
        Error::format(&path, format!("not a burn-gan run configuration ({e})"))
    };
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
    // Indexing a JSON value that is not an object by key panics.
    if !value.is_object() {
        return Err(Error::format(
            &path,
            "not a burn-gan run configuration (the file holds a JSON value that is not an object)",
        ));
    }
    crate::registry::fill_model_defaults(&mut value["model"]);
    let rc: RunConfig = serde_json::from_value(value).map_err(bad)?;
    rc.model.check().map_err(|e| Error::format(&path, e))?;
    Ok(rc)
}
