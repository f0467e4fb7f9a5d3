//! Helpers shared by the integration tests.

use std::path::PathBuf;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor};

/// A fresh, empty scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("burn-gan-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shared data folder (`../shared/data` beside the repository).
pub fn shared_data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: the tests read ../shared/data beside the repository",
        p.display()
    );
    p
}

struct Flatten(Vec<Vec<f32>>);

impl<B: Backend> ModuleVisitor<B> for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0
            .push(param.val().into_data().convert::<f32>().to_vec().unwrap());
    }
}

/// The values of every float parameter of `module`, in visiting order.
pub fn params<B: Backend, M: Module<B>>(module: &M) -> Vec<Vec<f32>> {
    let mut f = Flatten(Vec::new());
    module.visit(&mut f);
    f.0
}

/// The rows of a run's `metrics.jsonl`.
pub fn metrics(run: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every test of this binary holds this lock: the backend's seeded RNG (`Backend::seed`) is one
/// per process, so a test that checks exact reproducibility (resume, lazy phases) fails when
/// another test draws random tensors in the middle of its run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
