//! `burn-gan cas` and `burn-gan augment` on a tiny conditional run: the reports they write, and
//! one clear error line for each input they cannot use.

mod common;
use common::{error_line, ok, scratch};

use std::path::Path;

fn write_idx(path: &Path, dims: &[u32], data: &[u8]) {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// `n` 28x28 images of `classes` classes (each class a different brightness pattern), with
/// labels, in MNIST's file names inside `dir`.
fn labelled_set(dir: &Path, n: usize, classes: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let labels: Vec<u8> = (0..n).map(|i| (i % classes) as u8).collect();
    let data: Vec<u8> = (0..n * 784)
        .map(|i| {
            let (img, px) = (i / 784, i % 784);
            let class = img % classes;
            (((px * (class + 3) + img * 7) % 256) as u8).wrapping_mul(1 + class as u8)
        })
        .collect();
    write_idx(
        &dir.join("train-images-idx3-ubyte"),
        &[n as u32, 28, 28],
        &data,
    );
    write_idx(&dir.join("train-labels-idx1-ubyte"), &[n as u32], &labels);
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn cas_and_augment_write_their_reports_and_refuse_bad_input() {
    let dir = scratch("reports");
    let data = dir.join("data");
    labelled_set(&data, 64, 4);
    let run = dir.join("cgan");
    ok(&[
        "train",
        "cgan",
        "--data",
        p(&data),
        "--steps",
        "2",
        "--batch",
        "8",
        "--out",
        p(&run),
    ]);

    // CAS: two classifiers, the report on stdout and in cas.json.
    let out = ok(&[
        "cas",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--per-class",
        "8",
        "--steps",
        "20",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["generated"], 32);
    assert_eq!(report["real"], 32);
    assert_eq!(report["test"], 64);
    assert_eq!(report["steps"], 20);
    for key in ["cas", "reference"] {
        let acc = report[key]["overall"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{report}");
        assert_eq!(report[key]["per_class"].as_array().unwrap().len(), 4);
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("cas.json")).unwrap()).unwrap();
    assert_eq!(saved, report);

    // Augmentation: one line per subset and seed in augment.jsonl, the table in augment.md.
    let out = ok(&[
        "augment",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--subsets",
        "2/class,50%",
        "--seeds",
        "2",
        "--ratio",
        "2",
        "--steps",
        "10",
    ]);
    assert!(
        out.contains("| real subset | real images | seeds | real only | + cgan | gain |"),
        "{out}"
    );
    assert!(out.contains("| 2/class | 8 | 2 | "), "{out}");
    assert!(out.contains("| 50% | 32 | 2 | "), "{out}");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(run.join("augment.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // per subset and seed: the real subset alone, then with the run's images
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[2]["subset"], "2/class");
    assert_eq!(rows[2]["seed"], 1);
    assert_eq!(rows[2]["generator"], serde_json::Value::Null);
    assert_eq!(rows[3]["generator"], "cgan");
    assert_eq!(
        (rows[3]["real"].as_u64(), rows[3]["generated"].as_u64()),
        (Some(8), Some(16))
    );
    assert_eq!(
        (rows[7]["real"].as_u64(), rows[7]["generated"].as_u64()),
        (Some(32), Some(64))
    );
    assert!(std::fs::read_to_string(run.join("augment.md"))
        .unwrap()
        .contains("| real subset |"));

    // An unconditional run has no classes to ask for.
    let dcgan = dir.join("dcgan");
    ok(&[
        "train",
        "dcgan28",
        "--data",
        p(&data),
        "--steps",
        "1",
        "--batch",
        "8",
        "--out",
        p(&dcgan),
    ]);
    let err = error_line(&["cas", "--run", p(&dcgan), "--test", p(&data)]);
    assert!(
        err.contains("unconditional") && err.contains("cgan"),
        "{err}"
    );

    // Test labels the generator has no class for (the run has 4 classes).
    let wide = dir.join("wide");
    labelled_set(&wide, 40, 8);
    let err = error_line(&[
        "cas",
        "--run",
        p(&run),
        "--test",
        p(&wide),
        "--per-class",
        "4",
    ]);
    assert!(
        err.contains("label 4") && err.contains("4 classes"),
        "{err}"
    );

    // A test set without labels.
    let unlabelled = dir.join("unlabelled-images-idx3-ubyte");
    std::fs::copy(data.join("train-images-idx3-ubyte"), &unlabelled).unwrap();
    let err = error_line(&["cas", "--run", p(&run), "--test", p(&unlabelled)]);
    assert!(err.contains("no labels"), "{err}");

    // More than the data holds.
    let err = error_line(&[
        "augment",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--subsets",
        "100/class",
    ]);
    assert!(err.contains("class 0 has 16 images, 100 asked"), "{err}");
    let err = error_line(&[
        "cas",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--per-class",
        "100",
    ]);
    assert!(
        err.contains("--per-class 100") && err.contains("16"),
        "{err}"
    );

    // Values that cannot work.
    let err = error_line(&[
        "augment",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--subsets",
        "0%",
    ]);
    assert!(err.contains("subset `0%`"), "{err}");
    let err = error_line(&[
        "augment",
        "--run",
        p(&run),
        "--test",
        p(&data),
        "--ratio",
        "0",
    ]);
    assert!(err.contains("--ratio 0"), "{err}");
    // A run trained on an IDX file: no test split to default to.
    let err = error_line(&["cas", "--run", p(&run)]);
    assert!(err.contains("--test"), "{err}");
}
