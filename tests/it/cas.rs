//! The Classification Accuracy Score and the augmentation experiment on Fashion-MNIST, with
//! "generators" whose answers are known: real training images of the asked class (CAS close to
//! the real reference), and one fixed image per class (far below it).
use burn_gan::data::idx::load_images_with_labels;
use burn_gan::metrics::cas::{
    augmentation, balanced_subset, classification_accuracy_score, fit_and_test, recipe,
    AugmentOptions, SubsetSize,
};
use burn_gan::metrics::classifier::LabelledPixels;
use burn_gan::metrics::evaluate::PixelSet;
use burn_gan_backends::{device, AutodiffBackend};

fn fashion(file: &str) -> LabelledPixels {
    let samples = load_images_with_labels(&crate::common::shared_data(file)).unwrap();
    LabelledPixels {
        pixels: PixelSet::from_unit_range(&samples.values, samples.shape, file).pixels,
        labels: samples.labels.unwrap(),
    }
}

fn sets() -> (LabelledPixels, LabelledPixels) {
    let train = fashion("fashion-mnist/train-images-idx3-ubyte.gz");
    let test = fashion("fashion-mnist/t10k-images-idx3-ubyte.gz");
    let index: Vec<usize> = (0..2000).collect();
    (train, test.select(&index))
}

/// The recipe with 300 of its 1,000 steps: the orderings below hold at this budget too.
fn short(seed: u64) -> burn_gan::metrics::classifier::ClassifierTraining {
    recipe(seed).with_steps(Some(300))
}

#[test]
fn cas_of_real_images_is_the_real_reference_and_of_one_image_per_class_far_below() {
    let _serial = crate::common::serial();
    let (train, test) = sets();
    // A "generator" that answers each class with real training images of it (another draw than
    // the reference's).
    let answers = balanced_subset(&train.labels, 10, SubsetSize::PerClass(500), 99).unwrap();
    let real_answers = train.select(&answers);
    let report = classification_accuracy_score::<AutodiffBackend>(
        &real_answers,
        &train,
        &test,
        10,
        &short(0),
        &device(),
    )
    .unwrap();
    eprintln!(
        "real answers: CAS {:.4}, reference {:.4}",
        report.cas.overall, report.reference.overall
    );
    assert_eq!(
        (report.generated, report.real, report.test),
        (5000, 5000, 2000)
    );
    assert!(report.reference.overall > 0.75, "{report:?}");
    assert!(
        (report.cas.overall - report.reference.overall).abs() < 0.03,
        "{report:?}"
    );
    assert_eq!(report.cas.per_class.len(), 10);

    // A collapsed generator: the same image (the first of its class) for every sample of a
    // class. Measured: 0.457 at 300 steps, where the real reference has 0.837.
    let first: Vec<usize> = (0..10)
        .map(|k| train.labels.iter().position(|&l| l == k).unwrap())
        .collect();
    let repeated: Vec<usize> = first
        .iter()
        .flat_map(|&i| std::iter::repeat_n(i, 500))
        .collect();
    let collapsed =
        fit_and_test::<AutodiffBackend>(&train.select(&repeated), &test, 10, &short(0), &device());
    eprintln!("one image per class: CAS {:.4}", collapsed.overall);
    assert!(
        collapsed.overall < report.reference.overall - 0.25,
        "{collapsed:?}"
    );

    // One image for every class: nothing to learn, chance.
    let same = LabelledPixels {
        labels: (0..5000).map(|i| i / 500).collect(),
        ..train.select(&vec![first[0]; 5000])
    };
    let chance = fit_and_test::<AutodiffBackend>(&same, &test, 10, &short(0), &device());
    eprintln!("one image for all classes: CAS {:.4}", chance.overall);
    assert!(chance.overall < 0.15, "{chance:?}");
}

#[test]
fn augmentation_with_real_images_helps_a_small_subset() {
    let _serial = crate::common::serial();
    let (train, test) = sets();
    // "Generated" images that are real ones: mixing them into 10 images per class must help.
    let pool = balanced_subset(&train.labels, 10, SubsetSize::PerClass(200), 5).unwrap();
    let generators = vec![("real".to_string(), train.select(&pool))];
    let options = AugmentOptions {
        subsets: vec![SubsetSize::PerClass(10)],
        ratio: 20.0,
        seeds: vec![0],
        classifier: short(0),
    };
    let rows = augmentation::<AutodiffBackend>(
        &train,
        &generators,
        &test,
        10,
        &options,
        &device(),
        |_| {},
    )
    .unwrap();
    eprintln!("{rows:?}");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].real,
            rows[0].generated,
            rows[0].generator.as_deref()
        ),
        (100, 0, None)
    );
    assert_eq!(
        (
            rows[1].real,
            rows[1].generated,
            rows[1].generator.as_deref()
        ),
        (100, 2000, Some("real"))
    );
    assert!(rows[1].accuracy > rows[0].accuracy + 0.05, "{rows:?}");
    // A subset larger than a class is refused before any training.
    let options = AugmentOptions {
        subsets: vec![SubsetSize::PerClass(7000)],
        ..options
    };
    let err = augmentation::<AutodiffBackend>(
        &train,
        &generators,
        &test,
        10,
        &options,
        &device(),
        |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("class 0 has 6000 images, 7000 asked"),
        "{err}"
    );
}
