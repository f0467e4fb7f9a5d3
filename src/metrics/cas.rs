//! Do generated images help a classifier? The Classification Accuracy Score and the
//! augmentation of small labelled sets with generated images.
//!
//! Ravuri and Vinyals 2019, "Classification Accuracy Score for Conditional Generative Models":
//! train a classifier only on images a class-conditional generator made for each class, and
//! test it on real held-out images. A generator that misses modes, or draws one class like
//! another, scores low even when its samples look sharp; FID and IS do not see a missing class.
//! The reference is the same classifier trained on the same number of real images.
//!
//! The lecture notes on conditional GANs (Kim, "How to Evaluate") ask the practical question
//! next to it: retrain the classifier on a small real subset (1%, 10%, a few images per class)
//! with and without generated images mixed in, and see whether held-out accuracy improves.
//!
//! Both train burn-gan's domain classifier ([`ClassifierConfig`](super::classifier::ClassifierConfig),
//! 28x28 gray, at most 10 classes) from scratch with one fixed recipe, [`recipe`]: the same
//! number of optimizer steps whatever the size of the set, so that differences come from the
//! images and not from how long each classifier trained.
use burn::tensor::backend::AutodiffBackend;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use serde::{Deserialize, Serialize};

use super::classifier::{predict, train_classifier, ClassifierTraining, LabelledPixels};
use crate::{Error, Result};

// ANCHOR: recipe
/// The fixed classifier recipe of CAS and the augmentation experiment: Adam at 1e-3 decayed
/// linearly to 1e-4, batch 128, 1,000 steps (2.1 passes over 60,000 images, 1,000 over 100), no
/// augmentation, pixels scaled to [-1, 1]; `seed` sets the initialisation and the batch order.
pub fn recipe(seed: u64) -> ClassifierTraining {
    ClassifierTraining::new()
        .with_batch_size(128)
        .with_learning_rate(1e-3)
        .with_steps(Some(1000))
        .with_seed(seed)
}
// ANCHOR_END: recipe

/// How many real images a subset takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SubsetSize {
    /// This fraction of each class's images (stratified: the classes keep their proportions);
    /// `1.0` is the whole set.
    Fraction(f64),
    /// Exactly this many images of every class.
    PerClass(usize),
}

impl SubsetSize {
    /// Parses `10%`, `0.1`, `100%` or `10/class`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Invalid(format!(
                "subset `{text}`: use a percentage (10%), a fraction (0.1) or a count per class (10/class)"
            ))
        };
        let text = text.trim();
        if let Some(n) = text.strip_suffix("/class") {
            let n: usize = n.trim().parse().map_err(|_| bad())?;
            return match n {
                0 => Err(bad()),
                n => Ok(Self::PerClass(n)),
            };
        }
        let fraction = match text.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => text.parse::<f64>().map_err(|_| bad())?,
        };
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(bad());
        }
        Ok(Self::Fraction(fraction))
    }

    /// `10%` or `10/class`.
    pub fn label(&self) -> String {
        match self {
            Self::Fraction(f) => format!("{}%", (f * 1e4).round() / 1e2),
            Self::PerClass(n) => format!("{n}/class"),
        }
    }
}

/// The indices of each class's images, for labels in `0..classes`.
fn by_class(labels: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut groups = vec![Vec::new(); classes];
    for (i, &label) in labels.iter().enumerate() {
        if let Some(group) = groups.get_mut(label) {
            group.push(i);
        }
    }
    groups
}

// ANCHOR: subset
/// A class-balanced subset of the images labelled `labels`, deterministic from `seed`: a
/// fraction takes `round(fraction * n_k)` (at least one) of the `n_k` images of each class,
/// `PerClass(n)` takes `n` of each. Each class's images are drawn without replacement from a
/// shuffle seeded by `seed` and the class; the result is sorted.
///
/// Fails with one line when a class has fewer images than asked (or none).
pub fn balanced_subset(
    labels: &[usize],
    classes: usize,
    size: SubsetSize,
    seed: u64,
) -> Result<Vec<usize>> {
    let mut picked = Vec::new();
    for (class, mut members) in by_class(labels, classes).into_iter().enumerate() {
        let want = match size {
            SubsetSize::Fraction(f) => ((f * members.len() as f64).round() as usize).max(1),
            SubsetSize::PerClass(n) => n.max(1),
        };
        if members.len() < want {
            return Err(Error::Invalid(format!(
                "subset {}: class {class} has {} images, {want} asked; use a smaller subset",
                size.label(),
                members.len()
            )));
        }
        let mut rng =
            StdRng::seed_from_u64(seed ^ (class as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        members.shuffle(&mut rng);
        picked.extend_from_slice(&members[..want]);
    }
    picked.sort_unstable();
    Ok(picked)
}
// ANCHOR_END: subset

/// Images of each class, as many as `counts[k]` of class `k`, drawn from `pool` with `seed`.
fn draw_counts(pool: &LabelledPixels, counts: &[usize], seed: u64) -> Result<LabelledPixels> {
    let mut picked = Vec::new();
    for (class, mut members) in by_class(&pool.labels, counts.len()).into_iter().enumerate() {
        let want = counts[class];
        if members.len() < want {
            return Err(Error::Invalid(format!(
                "{want} generated images of class {class} needed, {} generated; generate more",
                members.len()
            )));
        }
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1 + class as u64));
        members.shuffle(&mut rng);
        picked.extend_from_slice(&members[..want]);
    }
    Ok(pool.select(&picked))
}

/// Images per class of `labels` in `0..classes`.
pub fn class_counts(labels: &[usize], classes: usize) -> Vec<usize> {
    by_class(labels, classes).iter().map(Vec::len).collect()
}

/// Held-out accuracy of a classifier, overall and per class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Fraction of the test images labelled correctly.
    pub overall: f64,
    /// Accuracy on the test images of each class (`NaN` for a class without test images).
    pub per_class: Vec<f64>,
}

/// Trains a classifier on `train` with `settings` and measures it on `test`.
pub fn fit_and_test<B: AutodiffBackend>(
    train: &LabelledPixels,
    test: &LabelledPixels,
    classes: usize,
    settings: &ClassifierTraining,
    device: &B::Device,
) -> Accuracy {
    let model = train_classifier::<B>(train, settings, device, |_, _| {});
    let model = burn::module::AutodiffModule::valid(&model);
    let predicted = predict(&model, test, device);
    let (mut right, mut seen) = (vec![0usize; classes], vec![0usize; classes]);
    for (&p, &label) in predicted.iter().zip(&test.labels) {
        seen[label] += 1;
        right[label] += usize::from(p == label);
    }
    Accuracy {
        overall: right.iter().sum::<usize>() as f64 / test.len().max(1) as f64,
        per_class: right
            .iter()
            .zip(&seen)
            .map(|(&r, &s)| r as f64 / s as f64)
            .collect(),
    }
}

/// Checks that `set` fits the domain classifier: labels below `classes`, at most 10 classes.
pub fn check_labelled(set: &LabelledPixels, classes: usize, what: &str) -> Result<()> {
    if classes == 0 || classes > 10 {
        return Err(Error::Invalid(format!(
            "{what}: {classes} classes; the domain classifier has at most 10"
        )));
    }
    if set.is_empty() {
        return Err(Error::Invalid(format!("{what}: no images")));
    }
    if let Some(&bad) = set.labels.iter().find(|&&l| l >= classes) {
        return Err(Error::Invalid(format!(
            "{what}: label {bad}, but the generator has {classes} classes (0-{}); the data and the model do not match",
            classes - 1
        )));
    }
    Ok(())
}

/// The Classification Accuracy Score of a generated set next to its real reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasReport {
    /// Generated training images (per class: `generated / classes`).
    pub generated: usize,
    /// Real training images of the reference, as many per class as generated.
    pub real: usize,
    /// Held-out real test images.
    pub test: usize,
    /// Optimizer steps of each classifier.
    pub steps: usize,
    /// Seed of the classifiers and of the real subset.
    pub seed: u64,
    /// The classifier trained on generated images only (the CAS).
    pub cas: Accuracy,
    /// The same classifier trained on real images.
    pub reference: Accuracy,
}

// ANCHOR: cas
/// CAS: a classifier trained with `settings` (the program uses [`recipe`]) on `generated`
/// only, tested on `test`, next to the same classifier trained on real images, as many of each
/// class as `generated` has, drawn from `real` with the settings' seed.
pub fn classification_accuracy_score<B: AutodiffBackend>(
    generated: &LabelledPixels,
    real: &LabelledPixels,
    test: &LabelledPixels,
    classes: usize,
    settings: &ClassifierTraining,
    device: &B::Device,
) -> Result<CasReport> {
    let seed = settings.seed;
    check_labelled(generated, classes, "the generated images")?;
    check_labelled(real, classes, "the real training images")?;
    check_labelled(test, classes, "the test images")?;
    let counts = class_counts(&generated.labels, classes);
    let reference_set = draw_counts(real, &counts, seed).map_err(|_| {
        Error::Invalid(format!(
            "the real training images have {:?} images per class, fewer than the {:?} generated; generate fewer per class",
            class_counts(&real.labels, classes),
            counts
        ))
    })?;
    Ok(CasReport {
        generated: generated.len(),
        real: reference_set.len(),
        test: test.len(),
        steps: settings.steps.unwrap_or(0),
        seed,
        cas: fit_and_test::<B>(generated, test, classes, settings, device),
        reference: fit_and_test::<B>(&reference_set, test, classes, settings, device),
    })
}
// ANCHOR_END: cas

/// One classifier of the augmentation experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentRow {
    /// The real subset (`10%`, `10/class`).
    pub subset: String,
    /// Seed of the subset, of the generated images drawn and of the classifier.
    pub seed: u64,
    /// Real training images.
    pub real: usize,
    /// The generator whose images were mixed in; `None`: the real subset alone.
    pub generator: Option<String>,
    /// Generated images mixed in.
    pub generated: usize,
    /// Held-out accuracy.
    pub accuracy: f64,
}

/// Settings of [`augmentation`].
#[derive(Debug, Clone)]
pub struct AugmentOptions {
    /// The real subsets.
    pub subsets: Vec<SubsetSize>,
    /// Generated images mixed in per real image (per class).
    pub ratio: f64,
    /// Seeds: the classifiers of each subset are trained once per seed.
    pub seeds: Vec<u64>,
    /// The classifier settings (the program uses [`recipe`]); each trains with its row's seed.
    pub classifier: ClassifierTraining,
}

impl AugmentOptions {
    /// Generated images of each class the experiment needs from a set with `counts` real
    /// images per class.
    pub fn generated_per_class(&self, counts: &[usize]) -> usize {
        self.subsets
            .iter()
            .flat_map(|s| counts.iter().map(move |&n| subset_count(*s, n)))
            .map(|n| mixed_count(n, self.ratio))
            .max()
            .unwrap_or(0)
    }
}

fn subset_count(size: SubsetSize, n: usize) -> usize {
    match size {
        SubsetSize::Fraction(f) => ((f * n as f64).round() as usize).max(1),
        SubsetSize::PerClass(k) => k,
    }
}

fn mixed_count(real: usize, ratio: f64) -> usize {
    (real as f64 * ratio).round() as usize
}

// ANCHOR: augment
/// The augmentation experiment: for each subset of `real` and each seed, a classifier trained
/// on the real subset alone, and for each `(name, images)` of `generators` one trained on the
/// subset with `ratio` generated images per real image of each class (drawn from `images` with
/// the same seed); all tested on `test`. The real-only classifier is shared by the generators.
/// `progress` gets each row as it is measured.
pub fn augmentation<B: AutodiffBackend>(
    real: &LabelledPixels,
    generators: &[(String, LabelledPixels)],
    test: &LabelledPixels,
    classes: usize,
    options: &AugmentOptions,
    device: &B::Device,
    mut progress: impl FnMut(&AugmentRow),
) -> Result<Vec<AugmentRow>> {
    check_labelled(real, classes, "the real training images")?;
    check_labelled(test, classes, "the test images")?;
    for (name, images) in generators {
        check_labelled(images, classes, &format!("the images of {name}"))?;
    }
    if !(options.ratio > 0.0) {
        return Err(Error::Invalid(format!(
            "ratio {}: mix in a positive number of generated images per real image",
            options.ratio
        )));
    }
    // Every subset is checked before hours of training start.
    for &size in &options.subsets {
        balanced_subset(&real.labels, classes, size, 0)?;
    }
    let mut rows = Vec::new();
    for &size in &options.subsets {
        for &seed in &options.seeds {
            let subset = real.select(&balanced_subset(&real.labels, classes, size, seed)?);
            let settings = options.classifier.clone().with_seed(seed);
            let mut push = |generator: Option<&str>, generated: usize, accuracy: f64| {
                let row = AugmentRow {
                    subset: size.label(),
                    seed,
                    real: subset.len(),
                    generator: generator.map(str::to_string),
                    generated,
                    accuracy,
                };
                progress(&row);
                rows.push(row);
            };
            let alone = fit_and_test::<B>(&subset, test, classes, &settings, device).overall;
            push(None, 0, alone);
            let counts: Vec<usize> = class_counts(&subset.labels, classes)
                .into_iter()
                .map(|n| mixed_count(n, options.ratio))
                .collect();
            for (name, images) in generators {
                let extra = draw_counts(images, &counts, seed)?;
                let mixed = subset.clone().concat(&extra);
                let accuracy = fit_and_test::<B>(&mixed, test, classes, &settings, device).overall;
                push(Some(name), extra.len(), accuracy);
            }
        }
    }
    Ok(rows)
}
// ANCHOR_END: augment

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = match values.len() {
        0 | 1 => 0.0,
        _ => values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0),
    };
    (mean, var.sqrt())
}

/// The experiment as a markdown table: one line per subset; the accuracy of the real subset
/// alone and, for each generator, with its images and the gain over the real subset alone,
/// mean ± standard deviation over the seeds (the gain is paired: same subset, same seed).
pub fn augment_table(rows: &[AugmentRow]) -> String {
    let mut subsets: Vec<&str> = Vec::new();
    let mut generators: Vec<&str> = Vec::new();
    for row in rows {
        if !subsets.contains(&row.subset.as_str()) {
            subsets.push(&row.subset);
        }
        if let Some(g) = row.generator.as_deref() {
            if !generators.contains(&g) {
                generators.push(g);
            }
        }
    }
    let mut out = String::from("| real subset | real images | seeds | real only |");
    let mut rule = String::from("|---|---:|---:|---:|");
    for g in &generators {
        out.push_str(&format!(" + {g} | gain |"));
        rule.push_str("---:|---:|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    // One seed has no spread to show.
    let seeds = rows
        .iter()
        .map(|r| r.seed)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let spread = |s: f64| match seeds {
        1 => String::new(),
        _ => format!(" ± {s:.4}"),
    };
    let cell = |(m, s): (f64, f64)| format!("{m:.4}{}", spread(s));
    for subset in subsets {
        let alone: Vec<&AugmentRow> = rows
            .iter()
            .filter(|r| r.subset == subset && r.generator.is_none())
            .collect();
        let Some(first) = alone.first() else { continue };
        let base: Vec<f64> = alone.iter().map(|r| r.accuracy).collect();
        out.push_str(&format!(
            "| {subset} | {} | {} | {} |",
            first.real,
            alone.len(),
            cell(mean_std(&base))
        ));
        for g in &generators {
            let (mut mixed, mut gain) = (Vec::new(), Vec::new());
            for r in rows
                .iter()
                .filter(|r| r.subset == subset && r.generator.as_deref() == Some(g))
            {
                mixed.push(r.accuracy);
                if let Some(b) = alone.iter().find(|b| b.seed == r.seed) {
                    gain.push(r.accuracy - b.accuracy);
                }
            }
            let (gm, gs) = mean_std(&gain);
            out.push_str(&format!(
                " {} | {gm:+.4}{} |",
                cell(mean_std(&mixed)),
                spread(gs)
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<usize> {
        // 3 classes of 10, 20 and 30 images, interleaved
        (0..60).map(|i| [0, 1, 1, 2, 2, 2][i % 6]).collect()
    }

    #[test]
    fn subsets_are_class_balanced_and_deterministic() {
        let labels = labels();
        let per = balanced_subset(&labels, 3, SubsetSize::PerClass(4), 7).unwrap();
        assert_eq!(
            class_counts(&per.iter().map(|&i| labels[i]).collect::<Vec<_>>(), 3),
            [4, 4, 4]
        );
        assert_eq!(
            per,
            balanced_subset(&labels, 3, SubsetSize::PerClass(4), 7).unwrap()
        );
        assert_ne!(
            per,
            balanced_subset(&labels, 3, SubsetSize::PerClass(4), 8).unwrap()
        );
        let tenth = balanced_subset(&labels, 3, SubsetSize::Fraction(0.1), 1).unwrap();
        let counts = class_counts(&tenth.iter().map(|&i| labels[i]).collect::<Vec<_>>(), 3);
        assert_eq!(counts, [1, 2, 3], "stratified: each class keeps its share");
        let all = balanced_subset(&labels, 3, SubsetSize::Fraction(1.0), 1).unwrap();
        assert_eq!(all, (0..60).collect::<Vec<_>>());
        let mut dedup = per.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), per.len(), "drawn without replacement");
    }

    #[test]
    fn a_subset_larger_than_a_class_is_refused() {
        let err = balanced_subset(&labels(), 3, SubsetSize::PerClass(11), 0).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("class 0 has 10 images, 11 asked"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn subset_sizes_parse() {
        assert_eq!(SubsetSize::parse("10%").unwrap(), SubsetSize::Fraction(0.1));
        assert_eq!(
            SubsetSize::parse("0.01").unwrap(),
            SubsetSize::Fraction(0.01)
        );
        assert_eq!(
            SubsetSize::parse("10/class").unwrap(),
            SubsetSize::PerClass(10)
        );
        assert_eq!(SubsetSize::parse("100%").unwrap().label(), "100%");
        assert_eq!(SubsetSize::parse("1%").unwrap().label(), "1%");
        for bad in ["0%", "150%", "x", "0/class", "-1"] {
            assert!(SubsetSize::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_table_averages_over_seeds() {
        let row = |seed, generator: Option<&str>, accuracy| AugmentRow {
            subset: "1%".into(),
            seed,
            real: 600,
            generator: generator.map(str::to_string),
            generated: 600,
            accuracy,
        };
        let table = augment_table(&[
            row(0, None, 0.80),
            row(0, Some("cgan"), 0.86),
            row(1, None, 0.90),
            row(1, Some("cgan"), 0.88),
        ]);
        assert!(
            table.starts_with("| real subset | real images | seeds | real only | + cgan | gain |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| 1% | 600 | 2 | 0.8500 ± 0.0707 | 0.8700 ± 0.0141 | +0.0200 ± 0.0566 |"
            ),
            "{table}"
        );
        let one = augment_table(&[row(0, None, 0.80), row(0, Some("cgan"), 0.86)]);
        assert!(
            one.contains("| 1% | 600 | 1 | 0.8000 | 0.8600 | +0.0600 |"),
            "{one}"
        );
    }
}
