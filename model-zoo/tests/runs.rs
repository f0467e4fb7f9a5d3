//! `burn-gan runs`: one line per run folder with its model, progress, last losses and FID.

use std::path::PathBuf;
use std::process::{Command, Output};

fn burn_gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burn-gan"))
        .args(args)
        .output()
        .expect("the burn-gan binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = burn_gan(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn runs_lists_each_run_with_its_progress_losses_and_fid() {
    let dir: PathBuf = std::env::temp_dir().join(format!("burn-gan-runs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("not-a-run")).unwrap();
    let d = dir.to_str().unwrap();
    ok(&[
        "train",
        "gan",
        "--steps",
        "4",
        "--log-every",
        "2",
        "--out",
        &format!("{d}/a"),
    ]);
    let mnist = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/mnist");
    ok(&[
        "train",
        "dcgan28",
        "--data",
        mnist,
        "--steps",
        "2",
        "--batch",
        "8",
        "--eval-every",
        "2",
        "--eval-features",
        "mnist",
        "--eval-samples",
        "20",
        "--out",
        &format!("{d}/b"),
    ]);
    let table = ok(&["runs", d]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two runs:\n{table}");
    assert!(
        lines[0].starts_with("run") && lines[0].contains("fid"),
        "{table}"
    );
    assert!(lines[1].starts_with("a ") && lines[1].contains("gan") && lines[1].contains("4/4"));
    assert!(lines[1].contains("done"), "{table}");
    assert!(lines[2].starts_with("b ") && lines[2].contains("dcgan28") && lines[2].contains("@2"));

    let json = ok(&["runs", d, "--json"]);
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    let metrics = std::fs::read_to_string(dir.join("a/metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(rows[0]["step"], 4);
    // The newest checkpoint, named by the step it was taken after.
    assert_eq!(rows[0]["checkpoint"], 4);
    assert_eq!(rows[0]["loss_d"], last["loss_d"]);
    assert_eq!(rows[0]["status"], "done");
    assert!(rows[1]["fid"].as_f64().unwrap().is_finite());
    assert_eq!(rows[1]["fid_step"], 2);

    // One run folder by itself, and a folder that does not exist.
    let one = ok(&["runs", &format!("{d}/a")]);
    assert_eq!(one.lines().count(), 2, "{one}");
    let out = burn_gan(&["runs", &format!("{d}/nope")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: ") && err.contains("nope") && err.lines().count() == 1);
}
