//! `burn-gan-fuzz`: fuzzes the readers of user files for a long budget.
//!
//! ```sh
//! cargo run --release -p burn-gan-fuzz -- --reader idx --inputs 100000 --seed 1
//! cargo run --release -p burn-gan-fuzz -- --reader all --inputs 2000 --seed 1 --save
//! cargo run --release -p burn-gan-fuzz -- --reader image --seed 1 --only 4711   # one input again
//! bash tools/fuzz/coverage-build.sh && target/coverage/x86_64-unknown-linux-gnu/release/burn-gan-fuzz --reader idx --inputs 100000
//! ```
//!
//! The last line is the coverage-guided build ([`burn_gan_fuzz::coverage`]).

use std::process::ExitCode;

use burn_gan_fuzz::readers::{corpus_root, reader, READERS};
use burn_gan_fuzz::{corpus_files, coverage, fuzz, input, judge, Guidance};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "burn-gan-fuzz",
    about = "Mutation fuzzing of burn-gan's readers of user files"
)]
struct Args {
    /// idx, image, config, checkpoint, inception, metrics, or all.
    #[arg(long, default_value = "all")]
    reader: String,
    /// Inputs per reader.
    #[arg(long, default_value_t = 10_000)]
    inputs: u64,
    /// The run's seed: input i of seed s is the same on every machine.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The index of the first input (to continue a run, or split it between processes).
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Run input `only` alone and print what happened.
    #[arg(long)]
    only: Option<u64>,
    /// Keep every finding's input in tests/fuzz-corpus/<reader>/regressions/.
    #[arg(long)]
    save: bool,
    /// Mutate only the committed seeds, even in a coverage build (which then still counts the
    /// code reached): the blind baseline of a coverage-guided run. Input i of a guided run
    /// depends on the inputs before it, so `--only` replays blind inputs.
    #[arg(long)]
    blind: bool,
    /// Write the synthetic seeds into tests/fuzz-corpus/ and stop.
    #[arg(long)]
    write_seeds: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.write_seeds {
        burn_gan_fuzz::seeds::write_synthetic(&corpus_root()).expect("the corpus is writable");
        println!(
            "wrote the synthetic seeds under {}",
            corpus_root().display()
        );
        return ExitCode::SUCCESS;
    }
    let readers: Vec<_> = match args.reader.as_str() {
        "all" => READERS.iter().collect(),
        name => match reader(name) {
            Some(r) => vec![r],
            None => {
                eprintln!("error: --reader {name}: no such reader; use idx, image, config, checkpoint, inception, metrics or all");
                return ExitCode::FAILURE;
            }
        },
    };
    if let Some(i) = args.only {
        for r in readers {
            let (seed_file, variant, bytes) = input(r, &corpus_files(r, "seeds"), args.seed, i);
            let outcome = judge(r, &seed_file, variant, bytes.clone(), &i.to_string());
            println!(
                "{} input {i} (from {seed_file}, variant {variant}, {} bytes): {outcome:?}",
                r.name,
                bytes.len()
            );
        }
        return ExitCode::SUCCESS;
    }
    let guidance = match (coverage::instrumented(), args.blind) {
        (true, false) => Guidance::Coverage,
        _ => Guidance::Blind,
    };
    let mut found = false;
    for r in readers {
        let inputs = args.from..args.from + args.inputs;
        let report = fuzz(r, args.seed, inputs, guidance, |p| {
            if p.inputs % 10_000 == 0 {
                eprintln!(
                    "{}: {} inputs, {:.1} s, {} findings, {} of {} counters reached",
                    r.name,
                    p.inputs,
                    p.elapsed.as_secs_f64(),
                    p.cases.len(),
                    p.covered,
                    p.counters
                );
            }
        });
        println!(
            "{}: {} inputs in {:.1} s ({} accepted, {} refused with an error); findings: {}",
            r.name,
            report.inputs,
            report.elapsed.as_secs_f64(),
            report.accepted,
            report.rejected,
            report.distinct.values().sum::<u64>()
        );
        if report.counters > 0 {
            println!(
                "  {guidance:?}: {} of {} counters reached; {} inputs kept for new coverage",
                report.covered, report.counters, report.kept
            );
        }
        for (signature, n) in &report.distinct {
            println!("  {n} inputs: {signature}");
        }
        for case in &report.cases {
            let file = case.file_name(args.seed);
            println!("  {file}: {}", case.finding);
            if args.save {
                let dir = corpus_root().join(r.name).join("regressions");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(&file), &case.bytes).unwrap();
            }
        }
        found |= !report.cases.is_empty();
    }
    match found {
        true => ExitCode::FAILURE,
        false => ExitCode::SUCCESS,
    }
}
