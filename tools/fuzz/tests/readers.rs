//! The bounded fuzz run of the test suite: a fixed set of inputs per reader (seed 1, the same on
//! every machine) and every kept regression input. A reader passes when no input makes it panic,
//! hang, allocate more than 256 MiB at once, or return an error that does not name its file.
//! Long runs: `cargo run --release -p burn-gan-fuzz -- --reader all --inputs 100000`.

use burn_gan_fuzz::harness::Outcome;
use burn_gan_fuzz::readers::{reader, READERS};
use burn_gan_fuzz::{fuzz, replay_regressions, Guidance};

fn bounded(name: &str, inputs: u64) {
    let r = reader(name).unwrap();
    let report = fuzz(r, 1, 0..inputs, Guidance::Blind, |_| {});
    let cases: Vec<String> = report
        .cases
        .iter()
        .map(|c| format!("{}: {}", c.file_name(1), c.finding))
        .collect();
    assert!(
        cases.is_empty(),
        "{name}: {} findings in {inputs} inputs (rerun one with `cargo run --release -p burn-gan-fuzz -- --reader {name} --seed 1 --only <i>`):\n{}",
        cases.len(),
        cases.join("\n")
    );
    // The mutations reach past the first check: some inputs are refused, some still read.
    assert!(report.rejected > 0, "{name}: no input was refused");
}

#[test]
fn idx_reader_survives_mutated_files() {
    bounded("idx", 4000);
}

#[test]
fn image_folder_reader_survives_mutated_images() {
    bounded("image", 2000);
}

#[test]
fn config_reader_survives_mutated_config_json() {
    bounded("config", 3000);
}

#[test]
fn checkpoint_reader_survives_mutated_checkpoints() {
    bounded("checkpoint", 3000);
}

#[test]
fn inception_weights_reader_survives_mutated_files() {
    bounded("inception", 3000);
}

#[test]
fn metrics_reader_survives_mutated_metrics_jsonl() {
    bounded("metrics", 1000);
}

#[test]
fn every_kept_finding_is_now_refused_or_read() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for r in &READERS {
        for (file, outcome) in replay_regressions(r) {
            replayed += 1;
            if let Outcome::Found(f) = outcome {
                failures.push(format!("{}/regressions/{file}: {f}", r.name));
            }
        }
    }
    assert!(
        replayed > 0,
        "no regression inputs found under tests/fuzz-corpus"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
