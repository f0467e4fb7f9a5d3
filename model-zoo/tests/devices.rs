//! `burn-gan train --devices N --accumulate K`: every phase's batch split over devices (on the
//! CPU backends, replicas on the one CPU) and micro-batches, recorded in config.json, changeable
//! on resume, and one error line for each value that cannot work.

mod common;
use common::{error_line, ok, scratch, write_gray_idx as write_idx};

use std::path::Path;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every number of every line of a run's metrics.jsonl, in order.
fn numbers(run: &Path) -> Vec<f64> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let mut row: Vec<(String, f64)> = v
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect();
            row.sort_by(|a, b| a.0.cmp(&b.0));
            row.into_iter().map(|(_, v)| v)
        })
        .collect()
}

fn config(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap()
}

/// The restoration GAN has no batch statistics: its generator and PatchGAN on two devices log
/// the losses of one device, to float rounding, and image pairs are split with their targets.
#[test]
fn restore_on_two_devices_logs_the_losses_of_one() {
    let dir = scratch("restore");
    let data = dir.join("train-images-idx3-ubyte");
    write_idx(&data, 24, 28);
    let run = |devices: &str| {
        let out = dir.join(format!("run-{devices}"));
        let printed = ok(&[
            "train",
            "restore",
            "--task",
            "sr2",
            "--data",
            path(&data),
            "--steps",
            "3",
            "--batch",
            "4",
            "--log-every",
            "1",
            "--set",
            "features=8",
            "--set",
            "blocks=2",
            "--seed",
            "3",
            "--devices",
            devices,
            "--out",
            path(&out),
        ]);
        (numbers(&out), printed)
    };
    let (one, _) = run("1");
    let (two, printed) = run("2");
    assert!(
        printed.contains("split over 2 devices x 1 micro-batch"),
        "{printed}"
    );
    assert_eq!(one.len(), two.len());
    for (a, b) in one.iter().zip(&two) {
        assert!((a - b).abs() < 1e-4 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// A conditional model with batch norm: two devices equal two micro-batches bit for bit (each
/// share normalised by its own statistics); config.json records the split, and a resumed run
/// may change it.
#[test]
fn cgan_on_two_devices_equals_two_micro_batches_and_resumes_on_one() {
    let dir = scratch("cgan");
    let fashion = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/fashion-mnist");
    let data = format!("{}@0..256", fashion.display());
    let train = |name: &str, split: &[&str], steps: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "train",
            "cgan",
            "--data",
            &data,
            "--steps",
            steps,
            "--batch",
            "16",
            "--log-every",
            "1",
            "--checkpoint-every",
            "2",
            "--sample-every",
            "4",
            "--seed",
            "2",
            "--out",
            path(&out),
        ];
        args.extend_from_slice(split);
        ok(&args);
        out
    };
    let devices = train("devices", &["--devices", "2"], "4");
    let micro = train("micro", &["--accumulate", "2"], "4");
    assert_eq!(numbers(&devices), numbers(&micro));
    assert_eq!(config(&devices)["parallel"]["devices"], 2);
    assert_eq!(config(&micro)["parallel"]["accumulate"], 2);

    // Two steps on two devices, then two more on one device in two micro-batches: the same
    // shares, so the same run.
    let resumed = train("resumed", &["--devices", "2"], "2");
    ok(&[
        "train",
        "--resume",
        "--out",
        path(&resumed),
        "--steps",
        "4",
        "--devices",
        "1",
        "--accumulate",
        "2",
    ]);
    assert_eq!(numbers(&resumed), numbers(&devices));
    assert_eq!(config(&resumed)["parallel"]["devices"], 1);
}

#[test]
fn devices_and_micro_batches_that_cannot_work_get_one_line() {
    let dir = scratch("bad");
    let out = dir.join("run");
    let base = [
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "2",
        "--out",
        path(&out),
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        error_line(&args)
    };
    let e = with(&["--devices", "0"]);
    assert!(e.contains("--devices must be at least 1"), "{e}");
    let e = with(&["--accumulate", "0"]);
    assert!(e.contains("--accumulate must be at least 1"), "{e}");
    let e = with(&["--batch", "3", "--devices", "2", "--accumulate", "2"]);
    assert!(
        e.contains(
            "--batch 3 cannot be split over 2 devices x 2 micro-batches; use a batch of at least 4"
        ),
        "{e}"
    );
}
