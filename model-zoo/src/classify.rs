//! `burn-gan cas` and `burn-gan augment`: do a class-conditional run's images help a classifier?
use std::path::{Path, PathBuf};

use burn_gan::data::SampleKind;
use burn_gan::metrics::cas::{
    augment_table, augmentation, balanced_subset, class_counts, classification_accuracy_score,
    recipe, AugmentOptions, AugmentRow, CasReport, SubsetSize,
};
use burn_gan::metrics::classifier::LabelledPixels;
use burn_gan::metrics::evaluate::PixelSet;
use burn_gan::train::write_atomically;
use burn_gan::Error;
use burn_gan_backends::AutodiffBackend;
use clap::Args;

use crate::cli::{invalid, read_run_config, with_trained, CliResult, Draw, RunConfig};
use crate::evaluate::labelled;

/// The data flags `cas` and `augment` share.
#[derive(Args)]
pub struct LabelledData {
    /// Real labelled training images: a named set (mnist, fashion-mnist) or an IDX images file with its labels beside it (default: the run's own --data).
    #[arg(long)]
    data: Option<String>,
    /// Real labelled held-out images the classifiers are tested on (default: NAME:test when the run trained on a named set).
    #[arg(long)]
    test: Option<String>,
    /// Seed of the generated noise (the classifiers' seeds are their own flags).
    #[arg(long, default_value_t = 0)]
    noise_seed: u64,
    /// Generate with the trained generator itself, not the moving average of its weights (runs trained with --ema).
    #[arg(long)]
    raw_generator: bool,
    /// Optimizer steps of each classifier (the recipe's 1,000; tables are comparable at one budget only).
    #[arg(long, default_value_t = 1000)]
    steps: usize,
}

#[derive(Args)]
pub struct CasArgs {
    /// A class-conditional run folder (cgan, acgan): its latest checkpoint generates the labelled images.
    #[arg(long)]
    run: PathBuf,
    #[command(flatten)]
    data: LabelledData,
    /// Generated training images per class (the reference takes as many real ones).
    #[arg(long, default_value_t = 5000)]
    per_class: usize,
    /// Seed of the classifiers and of the real reference subset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct AugmentArgs {
    /// A class-conditional run folder (cgan, acgan); repeat it to compare runs on the same real subsets (the tables go into the first).
    #[arg(long, required = true)]
    run: Vec<PathBuf>,
    #[command(flatten)]
    data: LabelledData,
    /// Real subsets, comma-separated: percentages of each class (1%, 10%, 100%) or counts per class (10/class).
    #[arg(long, default_value = "10/class,1%,10%,100%")]
    subsets: String,
    /// Generated images mixed in per real image of each class.
    #[arg(long, default_value_t = 1.0)]
    ratio: f64,
    /// Seeds per subset (0, 1, ...): each trains one classifier on the real subset alone and one per run with its images.
    #[arg(long, default_value_t = 3)]
    seeds: u64,
}

/// The real training and test sets (checked against the first run), and the class count once a
/// generator is loaded.
struct Setup {
    run: PathBuf,
    model: String,
    classes: usize,
    real: LabelledPixels,
    test: LabelledPixels,
}

fn setup(run_dir: &Path, args: &LabelledData) -> CliResult<Setup> {
    if args.steps == 0 {
        return Err(invalid(
            "--steps 0: train each classifier for at least one step",
        ));
    }
    let rc = read_run_config(run_dir)?;
    let run = run_dir.display();
    check_shape(run_dir, &rc)?;
    let data = args.data.clone().unwrap_or_else(|| rc.data.clone());
    if rc.data.ends_with(":test") && args.test.is_none() {
        return Err(invalid(format!(
            "{run} trained on the test split {}: give other held-out labelled images with --test",
            rc.data
        )));
    }
    let test = match &args.test {
        Some(test) => test.clone(),
        None => default_test(&rc).ok_or_else(|| {
            invalid(format!(
                "{run} trained on {}, which has no named test split: give the held-out labelled images with --test",
                rc.data
            ))
        })?,
    };
    Ok(Setup {
        run: run_dir.to_path_buf(),
        model: rc.model_name.clone(),
        classes: 0,
        real: labelled(&data)?,
        test: labelled(&test)?,
    })
}

/// `NAME:test` for a run trained on the named set `NAME` (with or without a range).
pub(crate) fn default_test(rc: &RunConfig) -> Option<String> {
    let data = rc.data.split('@').next()?;
    if let Some((dir, burn_gan::data::tiles::TileSplit::Train)) = burn_gan::data::tiles::parse(data)
    {
        return Some(format!("tiles:{}:test", dir.display()));
    }
    let name = data.split(':').next()?;
    burn_gan::data::named::find(name).map(|_| format!("{name}:test"))
}

/// `per_class` images of every class from the generator of `run`, with their labels, and the
/// generator's class count; refuses an unconditional run and data with labels it lacks before
/// generating anything, and with `reference`, more images per class than the real data has of
/// each (CAS's reference trains on as many real images as generated).
fn generate(
    run: &Path,
    args: &LabelledData,
    per_class: usize,
    setup: &Setup,
    reference: bool,
) -> CliResult<(LabelledPixels, usize)> {
    with_trained(run, args.raw_generator, &mut |model, rc| {
        let classes = model.class_count();
        if classes == 0 {
            return Err(invalid(format!(
                "{}: {} is unconditional, so it cannot be asked for a class; CAS needs a class-conditional run (cgan, acgan)",
                run.display(),
                rc.model_name
            )));
        }
        if !model.labelled_classes() {
            return Err(invalid(format!(
                "{}: {} learns its categories without labels (InfoGAN), so its category k is not the data's class k; CAS needs a run trained on labels (cgan, acgan)",
                run.display(),
                rc.model_name
            )));
        }
        check_shape(run, rc)?;
        check_classes(setup, run, classes)?;
        let counts = class_counts(&setup.real.labels, classes);
        if let Some(missing) = counts.iter().position(|&c| c == 0) {
            return Err(invalid(format!(
                "--data has no images of class {missing}, one of the {classes} classes {} generates; give data with every class",
                run.display()
            )));
        }
        let fewest = counts.iter().copied().min().unwrap_or(0);
        if reference && per_class > fewest {
            return Err(invalid(format!(
                "--per-class {per_class}: the real training images have only {fewest} of their smallest class, and the reference trains on as many real images as generated; use --per-class {fewest} or less"
            )));
        }
        eprintln!(
            "generating {per_class} images per class from {} ({})",
            run.display(),
            rc.model_name
        );
        let n = per_class * classes;
        let draw = Draw {
            n,
            seed: args.noise_seed,
            truncation: None,
            class: None,
        };
        let mut values = Vec::with_capacity(n * 784);
        let mut labels = Vec::with_capacity(n);
        draw.run(model, &mut |_, v, l| {
            values.extend(v);
            labels.extend(l.expect("a conditional model draws labelled samples"));
            Ok(())
        })?;
        let pixels = PixelSet::from_unit_range(&values, [1, 28, 28], "").pixels;
        Ok((LabelledPixels { pixels, labels }, classes))
    })
}

/// The domain classifier takes 1x28x28 images: a run that generates others cannot be scored.
fn check_shape(run: &Path, rc: &RunConfig) -> CliResult<()> {
    if rc.data_kind != SampleKind::Image || rc.data_shape != [1, 28, 28] {
        return Err(invalid(format!(
            "{}: the run generates {:?} samples; the domain classifier takes 1x28x28 images (MNIST-like data)",
            run.display(),
            rc.data_shape
        )));
    }
    Ok(())
}

fn check_classes(setup: &Setup, run: &Path, classes: usize) -> CliResult<()> {
    for (set, name) in [(&setup.real, "--data"), (&setup.test, "--test")] {
        if let Some(&bad) = set.labels.iter().find(|&&l| l >= classes) {
            return Err(invalid(format!(
                "{name} has label {bad}, but {} generates {classes} classes (0-{}); give data with the run's classes",
                run.display(),
                classes - 1
            )));
        }
    }
    Ok(())
}

pub fn cas(args: CasArgs) -> CliResult<()> {
    if args.per_class == 0 {
        return Err(invalid(
            "--per-class 0: generate at least one image per class",
        ));
    }
    let mut setup = setup(&args.run, &args.data)?;
    let started = std::time::Instant::now();
    let (generated, classes) = generate(&args.run, &args.data, args.per_class, &setup, true)?;
    setup.classes = classes;
    eprintln!(
        "training two classifiers ({} steps each): on the generated images, and on real ones",
        args.data.steps
    );
    let device = burn_gan_backends::device();
    let report = classification_accuracy_score::<AutodiffBackend>(
        &generated,
        &setup.real,
        &setup.test,
        classes,
        &recipe(args.seed).with_steps(Some(args.data.steps)),
        &device,
    )?;
    let path = setup.run.join("cas.json");
    let json = serde_json::to_string_pretty(&report).expect("a report serialises");
    write_atomically(&path, json.as_bytes()).map_err(|e| Error::io(&path, e))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serialises")
        );
    } else {
        print_cas(&report, &setup);
        println!(
            "wrote {} ({:.0} s)",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn print_cas(r: &CasReport, setup: &Setup) {
    println!(
        "run            {} ({}, {} classes)",
        setup.run.display(),
        setup.model,
        setup.classes
    );
    println!(
        "classifier     LeNet, {} Adam steps, batch 128, seed {}",
        r.steps, r.seed
    );
    println!("test           {} real held-out images", r.test);
    println!(
        "CAS            {:.4} (trained on {} generated images)",
        r.cas.overall, r.generated
    );
    println!(
        "real reference {:.4} (trained on {} real images)",
        r.reference.overall, r.real
    );
    println!("per class      class   CAS     real");
    for (k, (c, real)) in r
        .cas
        .per_class
        .iter()
        .zip(&r.reference.per_class)
        .enumerate()
    {
        println!("               {k:>5}   {c:.3}   {real:.3}");
    }
}

pub fn augment(args: AugmentArgs) -> CliResult<()> {
    let subsets = args
        .subsets
        .split(',')
        .map(SubsetSize::parse)
        .collect::<burn_gan::Result<Vec<_>>>()?;
    if args.seeds == 0 {
        return Err(invalid("--seeds 0: use at least one seed"));
    }
    if !(args.ratio > 0.0) || !args.ratio.is_finite() {
        return Err(invalid(format!(
            "--ratio {}: mix in a positive number of generated images per real image, e.g. 1",
            args.ratio
        )));
    }
    let options = AugmentOptions {
        subsets,
        ratio: args.ratio,
        seeds: (0..args.seeds).collect(),
        classifier: recipe(0).with_steps(Some(args.data.steps)),
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = options.subsets.iter().find(|s| !seen.insert(s.label())) {
        return Err(invalid(format!(
            "--subsets names {} twice; give each subset once",
            twice.label()
        )));
    }
    let mut setup = setup(&args.run[0], &args.data)?;
    // Every subset must fit the real data before anything is generated.
    let data_classes = setup.real.labels.iter().max().map_or(0, |&l| l + 1);
    for &size in &options.subsets {
        balanced_subset(&setup.real.labels, data_classes, size, 0)
            .map_err(|e| invalid(format!("--subsets: {e}")))?;
    }
    let counts = class_counts(&setup.real.labels, data_classes);
    let per_class = options.generated_per_class(&counts).max(1);
    let started = std::time::Instant::now();
    let mut generators = Vec::new();
    for run in &args.run {
        let (images, classes) = generate(run, &args.data, per_class, &setup, false)?;
        if setup.classes != 0 && classes != setup.classes {
            return Err(invalid(format!(
                "{} generates {classes} classes, {} {}; compare runs of one dataset",
                run.display(),
                args.run[0].display(),
                setup.classes
            )));
        }
        setup.classes = classes;
        generators.push((run_name(run), images));
    }
    let device = burn_gan_backends::device();
    let total = options.subsets.len() * options.seeds.len() * (1 + generators.len());
    let mut done = 0;
    let rows = augmentation::<AutodiffBackend>(
        &setup.real,
        &generators,
        &setup.test,
        setup.classes,
        &options,
        &device,
        |row| {
            done += 1;
            eprintln!(
                "[{done}/{total}] {} seed {}: {} {:.4} ({:.0} s)",
                row.subset,
                row.seed,
                match &row.generator {
                    Some(g) => format!("with {} images of {g}", row.generated),
                    None => "real only".into(),
                },
                row.accuracy,
                started.elapsed().as_secs_f64()
            );
        },
    )?;
    write_tables(&setup, &rows, args.ratio)
}

/// A run's name in tables: its folder's name.
fn run_name(run: &Path) -> String {
    run.file_name()
        .map_or_else(|| run.display().to_string(), |n| n.to_string_lossy().into())
}

fn write_tables(setup: &Setup, rows: &[AugmentRow], ratio: f64) -> CliResult<()> {
    let jsonl: String = rows
        .iter()
        .map(|r| serde_json::to_string(r).expect("a row serialises") + "\n")
        .collect();
    let markdown = format!(
        "Held-out accuracy of the domain classifier trained on a real subset alone and with {ratio} generated image(s) per real image of each class from each run, tested on {} real images; mean ± standard deviation over seeds.\n\n{}",
        setup.test.len(),
        augment_table(rows)
    );
    for (name, text) in [("augment.jsonl", jsonl), ("augment.md", markdown.clone())] {
        let path = setup.run.join(name);
        write_atomically(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))?;
    }
    println!("{markdown}");
    println!(
        "wrote {} and augment.md",
        setup.run.join("augment.jsonl").display()
    );
    Ok(())
}
