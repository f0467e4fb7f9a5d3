//! # burn-gan-fuzz
//!
//! Mutation fuzzing of every reader of user files, on stable Rust: IDX files, image folders,
//! a run's `config.json`, checkpoint sets, the Inception weights file and `metrics.jsonl`.
//!
//! cargo-fuzz needs a nightly toolchain (`-Z sanitizer`) and cargo-afl an instrumenting build of
//! its own; the project builds on stable only, so this crate brings its own deterministic
//! mutator ([`mutate`]) over a committed seed corpus (`tests/fuzz-corpus/<reader>/seeds/`) and
//! a harness ([`harness`]) that catches panics, hangs and oversized allocations. The mutations
//! know where each format keeps its sizes. Built with SanitizerCoverage's inline counters
//! (`tools/fuzz/coverage-build.sh`, stable flags), it is coverage-guided as well ([`coverage`]):
//! an input that reaches new code joins the corpus that later inputs are mutated from.
//!
//! Every input that a reader mishandled is kept in `tests/fuzz-corpus/<reader>/regressions/`,
//! named `s<seed>-i<index>-v<variant>--<seed file>`, and replayed by the test suite.
#![warn(missing_docs)]

pub mod coverage;
pub mod harness;
pub mod mutate;
pub mod readers;
pub mod seeds;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coverage::CoverageMap;
use harness::{run_one, Finding, Outcome};
use mutate::Mutator;
use readers::{corpus_root, Reader};

/// Files of one folder of the corpus, sorted by name: `(name, bytes)`.
pub fn corpus_files(reader: &Reader, folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_root().join(reader.name).join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// One input the harness holds against a reader.
#[derive(Clone, Debug)]
pub struct Case {
    /// The input's index in its run.
    pub index: u64,
    /// The corpus file it was made from.
    pub seed_file: String,
    /// The reader's choice of options.
    pub variant: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What went wrong.
    pub finding: Finding,
}

impl Case {
    /// The file name it is kept under in `regressions/`.
    pub fn file_name(&self, seed: u64) -> String {
        format!(
            "s{seed}-i{}-v{}--{}",
            self.index, self.variant, self.seed_file
        )
    }
}

/// What a run of one reader found.
#[derive(Debug, Default)]
pub struct Report {
    /// Inputs run.
    pub inputs: u64,
    /// Inputs the reader accepted.
    pub accepted: u64,
    /// Inputs the reader refused with an error.
    pub rejected: u64,
    /// Inputs with a finding, up to three per distinct finding.
    pub cases: Vec<Case>,
    /// How many inputs had each distinct finding.
    pub distinct: BTreeMap<String, u64>,
    /// Wall time.
    pub elapsed: Duration,
    /// Counters of the instrumented code reached (0 in an uninstrumented build).
    pub covered: usize,
    /// Counters in the instrumented code.
    pub counters: usize,
    /// Inputs kept for reaching new code (coverage-guided runs).
    pub kept: u64,
}

/// What makes two findings the same bug: the panic's place, or the kind of finding.
fn signature(f: &Finding) -> String {
    match f {
        Finding::Panic(m) => match m.rfind(" at ") {
            Some(i) => format!("panic{}", &m[i..]),
            None => format!("panic: {m}"),
        },
        Finding::Unnamed(m) => format!("unnamed: {}", m.chars().take(60).collect::<String>()),
        Finding::Hang(_) => "hang".into(),
        Finding::Allocation(_) => "allocation over the limit".into(),
        Finding::Peak(_) => "live memory over the limit".into(),
        Finding::EmptyError => "empty error message".into(),
    }
}

/// Where inputs are written: memory (`/dev/shm`) where there is one, every input being a few
/// files created and removed.
fn scratch_root() -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let base = match shm.is_dir() {
        true => shm.to_path_buf(),
        false => std::env::temp_dir(),
    };
    base.join(format!("burn-gan-fuzz-{}", std::process::id()))
}

/// Input `index` of a run with `seed`: `(seed file, variant, bytes)`.
pub fn input(
    reader: &Reader,
    seeds: &[(String, Vec<u8>)],
    seed: u64,
    index: u64,
) -> (String, u64, Vec<u8>) {
    corpus_input(reader, seeds, seeds.len(), seed, index)
}

/// Input `index` of a run whose corpus is the committed seeds (`corpus[..seeds]`) and the inputs
/// a coverage-guided run kept for new coverage (`corpus[seeds..]`): a mutation of a seed or, as
/// often, of a kept input. Most kept inputs are refused ones, so drawing from the whole corpus
/// alike would starve the seeds that reach deep code. With nothing kept (every blind run) it
/// draws exactly as [`input`].
fn corpus_input(
    reader: &Reader,
    corpus: &[(String, Vec<u8>)],
    seeds: usize,
    seed: u64,
    index: u64,
) -> (String, u64, Vec<u8>) {
    let mut m = Mutator::for_input(seed, index);
    let kept = corpus.len() - seeds;
    let a = match kept > 0 && m.below(2) == 1 {
        true => seeds + m.below(kept),
        false => m.below(seeds),
    };
    let b = m.below(corpus.len());
    let bytes = m.mutate(&corpus[a].1, &corpus[b].1, &reader.format);
    let variant = m.below(1 << 30) as u64;
    (corpus[a].0.clone(), variant, bytes)
}

/// Runs one input through `reader` under the harness, in a scratch folder named by `slot`
/// (distinct for inputs that may run at the same time).
pub fn judge(reader: &Reader, name: &str, variant: u64, bytes: Vec<u8>, slot: &str) -> Outcome {
    let scratch = scratch_root().join(reader.name).join(slot);
    run_one(
        reader.read,
        Arc::new(bytes),
        Arc::from(name),
        variant,
        scratch,
        reader.deadline,
        true,
    )
}

/// How a run picks what to mutate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guidance {
    /// Every input mutates committed seeds: input *i* depends on *(seed, i)* alone.
    Blind,
    /// Inputs that reach new code join the corpus, and later inputs mutate them too (needs the
    /// instrumented build; input *i* then depends on the inputs before it as well).
    Coverage,
}

/// Fuzzes `reader` with the inputs `indices` of the run with `seed`; `progress` is called
/// every 1,000 inputs with the report so far. In an instrumented build the report counts the
/// code reached, blind or guided.
pub fn fuzz(
    reader: &Reader,
    seed: u64,
    indices: std::ops::Range<u64>,
    guidance: Guidance,
    mut progress: impl FnMut(&Report),
) -> Report {
    let mut corpus = corpus_files(reader, "seeds");
    assert!(
        !corpus.is_empty(),
        "no seeds in {}",
        corpus_root().join(reader.name).join("seeds").display()
    );
    let mut map = CoverageMap::new();
    let start = Instant::now();
    let mut report = Report {
        counters: coverage::counters(),
        ..Report::default()
    };
    let seeds = corpus.len();
    for index in indices {
        // A blind run keeps nothing, so it draws from the seeds alone.
        let (seed_file, variant, bytes) = corpus_input(reader, &corpus, seeds, seed, index);
        CoverageMap::reset();
        let outcome = judge(
            reader,
            &seed_file,
            variant,
            bytes.clone(),
            &index.to_string(),
        );
        if map.merge() > 0 && guidance == Guidance::Coverage {
            // Kept under its root seed's name: readers choose the format by the name.
            corpus.push((seed_file.clone(), bytes.clone()));
            report.kept += 1;
        }
        report.inputs += 1;
        match outcome {
            Outcome::Accepted => report.accepted += 1,
            Outcome::Rejected(_) => report.rejected += 1,
            Outcome::Found(finding) => {
                let count = report.distinct.entry(signature(&finding)).or_default();
                *count += 1;
                if *count <= 3 {
                    report.cases.push(Case {
                        index,
                        seed_file,
                        variant,
                        bytes,
                        finding,
                    });
                }
            }
        }
        if report.inputs % 1000 == 0 {
            report.elapsed = start.elapsed();
            report.covered = map.covered();
            progress(&report);
        }
    }
    report.elapsed = start.elapsed();
    report.covered = map.covered();
    // Only this reader's folder: the tests fuzz several readers at once in one process.
    let _ = std::fs::remove_dir_all(scratch_root().join(reader.name));
    report
}

/// Replays the committed regression inputs of `reader`: `(file name, outcome)` of each.
pub fn replay_regressions(reader: &Reader) -> Vec<(String, Outcome)> {
    corpus_files(reader, "regressions")
        .into_iter()
        .enumerate()
        .map(|(i, (file, bytes))| {
            let (head, seed_file) = file.split_once("--").unwrap_or(("", &file));
            let variant = head
                .split('-')
                .find_map(|p| p.strip_prefix('v')?.parse().ok())
                .unwrap_or(0);
            let outcome = judge(
                reader,
                seed_file,
                variant,
                bytes,
                &format!("regression-{i}"),
            );
            (file, outcome)
        })
        .collect()
}
