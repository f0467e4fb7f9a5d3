//! `burn-gan train cyclegan` and `burn-gan score` of a CycleGAN run: unpaired translation
//! between two tiny synthetic IDX sets, exact resume, and one clear error line per bad input.

mod common;
use common::{error_line, ok, scratch, write_gray_idx as write_idx};

use std::path::Path;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `burn-gan train cyclegan` on two unpaired sets (`--data`, `--data-b`): a run stopped and
/// resumed ends as the uninterrupted one (the image pools are in the checkpoint), `score` judges
/// both directions and draws the six-row strip, and bad input gets one line each.
#[test]
fn cyclegan_trains_on_two_sets_resumes_exactly_and_is_scored() {
    let dir = scratch("cyclegan");
    let (a, b) = (
        dir.join("a-images-idx3-ubyte"),
        dir.join("b-images-idx3-ubyte"),
    );
    write_idx(&a, 12, 28);
    write_idx(&b, 9, 28);
    let (held_a, held_b) = (
        dir.join("ha-images-idx3-ubyte"),
        dir.join("hb-images-idx3-ubyte"),
    );
    write_idx(&held_a, 5, 28);
    write_idx(&held_b, 4, 28);
    let train = |out: &Path, steps: &str, resume: bool| {
        let mut args = vec!["train"];
        if resume {
            args.extend(["--resume", "--out", path(out), "--steps", steps]);
        } else {
            args.extend([
                "cyclegan",
                "--data",
                path(&a),
                "--data-b",
                path(&b),
                "--steps",
                steps,
                "--batch",
                "4",
                "--set",
                "features=4",
                "--set",
                "blocks=1",
                "--set",
                "pool_size=6",
                "--checkpoint-every",
                "2",
                "--log-every",
                "1",
                "--seed",
                "5",
                "--out",
                path(out),
            ]);
        }
        ok(&args)
    };
    let (whole, parts) = (dir.join("whole"), dir.join("parts"));
    train(&whole, "4", false);
    train(&parts, "2", false);
    train(&parts, "4", true);
    let read = |p: &Path| std::fs::read(p).unwrap();
    let last = |p: &Path| {
        let text = String::from_utf8(read(&p.join("metrics.jsonl"))).unwrap();
        text.lines().last().unwrap().to_string()
    };
    assert_eq!(last(&parts), last(&whole));
    assert!(last(&whole).contains("\"cycle\""), "{}", last(&whole));
    assert!(read(&parts.join("samples.png")) == read(&whole.join("samples.png")));
    let config = String::from_utf8(read(&whole.join("config.json"))).unwrap();
    assert!(config.contains("\"data_b\""), "{config}");

    let strip = dir.join("strip.png");
    let out = ok(&[
        "score",
        "--run",
        path(&whole),
        "--data",
        path(&held_a),
        "--data-b",
        path(&held_b),
        "--features",
        "fashion",
        "--strip",
        path(&strip),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    assert_eq!(
        (rows[0]["n"].as_u64(), rows[1]["n"].as_u64()),
        (Some(5), Some(4))
    );
    for r in rows {
        // Unlabelled sets: no class to be judged as, but FID and the cycle.
        assert!(r["translated_as_target"].is_null(), "{r}");
        assert!(r["fid"].as_f64().unwrap().is_finite(), "{r}");
        let l1 = r["cycle_l1"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&l1), "{r}");
    }
    // Six rows (A, G(A), F(G(A)), B, F(B), G(F(B))) of four 28x28 images.
    let png = image::open(&strip).unwrap();
    assert_eq!((png.width(), png.height()), (4 * 30 + 2, 6 * 30 + 2));

    // Bad input: the second domain's held-out images missing, a set without labels and no
    // --data-b, a second domain for a one-domain model, and domains of different sizes.
    let err = error_line(&["score", "--run", path(&whole), "--data", path(&held_a)]);
    assert!(
        err.contains("--data-b") && err.contains("two sets"),
        "{err}"
    );
    let err = error_line(&[
        "sample",
        "--run",
        path(&whole),
        "--out",
        path(&dir.join("s.png")),
    ]);
    assert!(
        err.contains("translates") && err.contains("burn-gan score --run"),
        "{err}"
    );
    let err = error_line(&[
        "score",
        "--run",
        path(&whole),
        "--data",
        path(&held_a),
        "--data-b",
        path(&held_b),
        "--baselines",
    ]);
    assert!(err.contains("--baselines"), "{err}");
    // The image pools live on one device; the run's own evaluation would compare with domain A.
    for (flag, value, want) in [
        ("--devices", "2", "pool_size=0"),
        ("--eval-every", "1", "burn-gan score"),
    ] {
        let out = dir.join(format!("bad{flag}"));
        let err = error_line(&[
            "train",
            "cyclegan",
            "--data",
            path(&a),
            "--data-b",
            path(&b),
            flag,
            value,
            "--out",
            path(&out),
        ]);
        assert!(err.contains(flag) && err.contains(want), "{err}");
        assert!(!out.join("config.json").exists());
    }
    let err = error_line(&[
        "train",
        "cyclegan",
        "--data",
        path(&a),
        "--out",
        path(&dir.join("x")),
    ]);
    assert!(
        err.contains("no labels") && err.contains("--data-b"),
        "{err}"
    );
    assert!(!dir.join("x").join("config.json").exists());
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        path(&a),
        "--data-b",
        path(&b),
        "--out",
        path(&dir.join("y")),
    ]);
    assert!(
        err.contains("--data-b") && err.contains("cyclegan"),
        "{err}"
    );
    let small = dir.join("small-images-idx3-ubyte");
    write_idx(&small, 4, 16);
    let err = error_line(&[
        "train",
        "cyclegan",
        "--data",
        path(&a),
        "--data-b",
        path(&small),
        "--out",
        path(&dir.join("z")),
    ]);
    assert!(
        err.contains("--data-b") && err.contains("[1, 16, 16]"),
        "{err}"
    );
}
