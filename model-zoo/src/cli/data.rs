//! `burn-gan data get NAME` and `burn-gan data list`: the named datasets, where they are, and
//! their download.

use std::path::{Path, PathBuf};

use burn_gan::data::named::{self, NamedSet};
use burn_gan_zoo::download::{Downloader, FileToGet, Outcome};
use clap::{Args, Subcommand};

use super::{invalid, CliResult};

#[derive(Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download a named dataset's four IDX files, checked against their SHA-256.
    Get(GetArgs),
    /// List the named datasets, where each is looked for and whether it is there.
    List,
}

#[derive(Args)]
struct GetArgs {
    /// The dataset: fashion-mnist, mnist or kmnist.
    name: String,
    /// Folder to put the files in (default: the cache folder `--data NAME` reads,
    /// $BURN_GAN_DATA/NAME or ~/.cache/burn-gan/datasets/NAME).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn data(args: DataArgs) -> CliResult<()> {
    match args.command {
        DataCommand::Get(args) => get(args),
        DataCommand::List => {
            list();
            Ok(())
        }
    }
}

fn known(name: &str) -> CliResult<&'static NamedSet> {
    named::find(name).ok_or_else(|| {
        invalid(format!(
            "unknown dataset `{name}`; the named datasets are {} (`burn-gan data list`)",
            named::names().join(", ")
        ))
    })
}

fn get(args: GetArgs) -> CliResult<()> {
    let set = known(&args.name)?;
    let dir = args.dir.clone().unwrap_or_else(|| set.cache_dir());
    let base = set.download_base();
    let total: u64 = set.files.iter().map(|f| f.bytes).sum();
    println!(
        "{}: {:.1} MB from {base} into {}",
        set.name,
        total as f64 / 1e6,
        dir.display()
    );
    let downloader = Downloader::new(true);
    for f in &set.files {
        let file = FileToGet {
            url: format!("{base}{}", f.name),
            name: f.name.to_string(),
            sha256: f.sha256.to_string(),
        };
        let outcome = downloader.get(&file, &dir).map_err(|e| {
            // A folder this run created and left empty would only look like a download.
            let _ = std::fs::remove_dir(&dir);
            invalid(format!("{e}; {}", by_hand(set, &base, &dir)))
        })?;
        match outcome {
            Outcome::AlreadyThere => println!("  {} already there, SHA-256 checked", f.name),
            Outcome::Downloaded {
                bytes,
                resumed_from: 0,
            } => println!("  {} {:.1} MB, SHA-256 checked", f.name, bytes as f64 / 1e6),
            Outcome::Downloaded {
                bytes,
                resumed_from,
            } => println!(
                "  {} {:.1} MB (resumed at {:.1} MB), SHA-256 checked",
                f.name,
                bytes as f64 / 1e6,
                resumed_from as f64 / 1e6
            ),
        }
    }
    let usage = if args.dir.is_none() || same_dir(&dir, &set.cache_dir()) {
        set.name.to_string()
    } else {
        dir.display().to_string()
    };
    println!("ready: --data {usage} (the training split), {usage}:test for the held-out one");
    Ok(())
}

/// Where to put the files by hand, for the end of an error line.
fn by_hand(set: &NamedSet, base: &str, dir: &Path) -> String {
    let files: Vec<&str> = set.files.iter().map(|f| f.name).collect();
    format!(
        "run the command again to resume, or download {} from {base} into {} by hand",
        files.join(", "),
        dir.display()
    )
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn list() {
    println!("{:<14} {:<10} where", "name", "files");
    for set in &named::NAMED_SETS {
        let dirs = set.locations();
        let counts: Vec<usize> = dirs.iter().map(|d| set.files_in(d)).collect();
        // The first folder with all four files, else the one with the most, else the cache.
        let best = counts
            .iter()
            .position(|&c| c == set.files.len())
            .or_else(|| {
                (0..dirs.len())
                    .filter(|&i| counts[i] > 0)
                    .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
            })
            .unwrap_or(0);
        let n = counts[best];
        let mut place = dirs[best].display().to_string();
        if let Some((_, package)) = set.system_dirs.get(best.wrapping_sub(1)) {
            place.push_str(&format!(" (Debian package {package})"));
        }
        let state = if n == set.files.len() {
            "ready".to_string()
        } else {
            format!("{n} of {}", set.files.len())
        };
        let hint = if n == set.files.len() {
            String::new()
        } else {
            format!("; get it: burn-gan data get {}", set.name)
        };
        println!("{:<14} {:<10} {place}{hint}", set.name, state);
        println!("{:<14} {:<10} {}, {}", "", "", set.title, set.licence);
    }
}
