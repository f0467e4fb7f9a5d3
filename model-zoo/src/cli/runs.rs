//! `burn-gan runs [DIR]`: the run folders under a folder, one line each: model, data, the step
//! reached out of the run's steps, whether a `train` holds it now, the last logged losses and
//! the last FID.

use std::path::{Path, PathBuf};

use burn_gan::train::latest_checkpoint;
use clap::Args;

use super::{invalid, read_run_config, CliResult};

#[derive(Args)]
pub(crate) struct RunsArgs {
    /// Folder holding run folders (or one run folder).
    #[arg(default_value = "runs")]
    dir: PathBuf,
    /// Print one JSON object per run instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `runs` reports about one run folder.
#[derive(Debug, serde::Serialize)]
struct RunSummary {
    run: String,
    model: String,
    data: String,
    /// The last step in metrics.jsonl.
    step: Option<u64>,
    steps: usize,
    /// The newest checkpoint's number: the generator step it was taken after (in run folders
    /// written before checkpoints were named by step, its interval's number).
    checkpoint: Option<usize>,
    /// "training" (a `train` holds the folder), "done", or "stopped".
    status: &'static str,
    loss_d: Option<f64>,
    loss_g: Option<f64>,
    fid: Option<f64>,
    /// The step of `fid`.
    fid_step: Option<u64>,
}

/// Whether a running `train` holds `run`'s lock now.
fn held(run: &Path) -> bool {
    let Ok(file) = std::fs::File::open(run.join(".lock")) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

fn summary(run: &Path) -> CliResult<RunSummary> {
    let rc = read_run_config(run)?;
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let last = |key: &str| {
        rows.iter()
            .rev()
            .find_map(|r| Some((r[key].as_f64()?, r["step"].as_u64())))
    };
    let step = rows.iter().filter_map(|r| r["step"].as_u64()).max();
    let fid = last("fid");
    let status = match (held(run), step) {
        (true, _) => "training",
        (false, Some(s)) if s as usize >= rc.training.steps => "done",
        _ => "stopped",
    };
    Ok(RunSummary {
        run: run.display().to_string(),
        model: rc.model_name,
        data: rc.data,
        step,
        steps: rc.training.steps,
        checkpoint: latest_checkpoint(run),
        status,
        loss_d: last("loss_d").map(|v| v.0),
        loss_g: last("loss_g").map(|v| v.0),
        fid: fid.map(|v| v.0),
        fid_step: fid.and_then(|v| v.1),
    })
}

pub(crate) fn runs(args: RunsArgs) -> CliResult<()> {
    let dir = &args.dir;
    if !dir.is_dir() {
        return Err(invalid(format!(
            "{}: no such folder; `burn-gan train` writes its runs under runs/ (or pass the folder holding them)",
            dir.display()
        )));
    }
    let mut folders: Vec<PathBuf> = match dir.join("config.json").is_file() {
        true => vec![dir.clone()],
        false => std::fs::read_dir(dir)
            .map_err(|e| invalid(format!("{}: {e}", dir.display())))?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.join("config.json").is_file())
            .collect(),
    };
    folders.sort();
    let mut summaries = Vec::new();
    for run in &folders {
        match summary(run) {
            Ok(s) => summaries.push(s),
            Err(e) => eprintln!("warning: skipping {}: {e}", run.display()),
        }
    }
    if args.json {
        for s in &summaries {
            println!(
                "{}",
                serde_json::to_string(s).expect("a summary serialises")
            );
        }
        return Ok(());
    }
    if summaries.is_empty() {
        println!(
            "no runs in {} (a run folder holds config.json)",
            dir.display()
        );
        return Ok(());
    }
    let opt = |v: Option<f64>, digits: usize| match v {
        Some(v) => format!("{v:.digits$}"),
        None => "-".into(),
    };
    let mut table = vec![[
        "run", "model", "data", "step", "status", "loss_d", "loss_g", "fid",
    ]
    .map(String::from)];
    for s in &summaries {
        let name = Path::new(&s.run)
            .file_name()
            .map_or(s.run.clone(), |n| n.to_string_lossy().into_owned());
        table.push([
            name,
            s.model.clone(),
            s.data.clone(),
            format!(
                "{}/{}",
                s.step.map_or("-".into(), |v| v.to_string()),
                s.steps
            ),
            s.status.into(),
            opt(s.loss_d, 4),
            opt(s.loss_g, 4),
            match (s.fid, s.fid_step) {
                (Some(f), Some(at)) => format!("{f:.2} @{at}"),
                (f, _) => opt(f, 2),
            },
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    Ok(())
}
