//! `burn-gan train restore` and `burn-gan restore`: short restoration runs on a tiny synthetic
//! IDX set (super-resolution x2 and inpainting), the trained networks applied to PNGs of another
//! size, and one clear error line per bad input.

mod common;
use common::{error_line, ok, scratch, write_gray_idx as write_idx};

use std::path::Path;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn train(task: &str, data: &Path, out: &Path) {
    train_model("restore", task, path(data), out);
}

/// A 2-step run of a small `model` (8 features, 2 blocks) on `data`; what it printed.
fn train_model(model: &str, task: &str, data: &str, out: &Path) -> String {
    ok(&[
        "train",
        model,
        "--task",
        task,
        "--data",
        data,
        "--steps",
        "2",
        "--batch",
        "4",
        "--set",
        "features=8",
        "--set",
        "blocks=2",
        "--seed",
        "3",
        "--out",
        path(out),
    ])
}

fn gray_png(path: &Path, w: u32, h: u32) {
    image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 9 + y * 5) % 256) as u8]))
        .save(path)
        .unwrap();
}

#[test]
fn sr2_and_inpaint_train_and_restore_images_of_another_size() {
    let dir = scratch("tasks");
    let data = dir.join("train-images-idx3-ubyte");
    write_idx(&data, 16, 28);

    // Super-resolution x2: the task and its degradation are recorded in config.json.
    let sr2 = dir.join("sr2");
    train("sr2", &data, &sr2);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sr2.join("config.json")).unwrap()).unwrap();
    let model = &config["model"];
    assert_eq!(model["family"], "restore", "{config}");
    assert_eq!(model["config"]["task"], "sr2", "{config}");
    assert_eq!(model["config"]["degradation"]["downsample"], "bicubic");
    assert_eq!(model["config"]["adversarial_weight"], 0.1);

    // A folder of two PNGs of another size: each restored at twice its sides.
    let inputs = dir.join("small");
    std::fs::create_dir_all(&inputs).unwrap();
    gray_png(&inputs.join("a.png"), 16, 12);
    gray_png(&inputs.join("b.png"), 14, 14);
    let restored = dir.join("restored");
    ok(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&inputs),
        "--out",
        path(&restored),
    ]);
    assert_eq!(
        image::image_dimensions(restored.join("a.png")).unwrap(),
        (32, 24)
    );
    assert_eq!(
        image::image_dimensions(restored.join("b.png")).unwrap(),
        (28, 28)
    );
    // One file to one file, with the task named.
    let one = dir.join("one.png");
    ok(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&inputs.join("a.png")),
        "--out",
        path(&one),
        "--task",
        "sr2",
    ]);
    assert_eq!(image::image_dimensions(&one).unwrap(), (32, 24));

    // Tiles with margins give the pixels of the whole image (up to rounding).
    let big = dir.join("big.png");
    gray_png(&big, 40, 36);
    let (whole, tiled) = (dir.join("whole.png"), dir.join("tiled.png"));
    ok(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&big),
        "--out",
        path(&whole),
    ]);
    ok(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&big),
        "--out",
        path(&tiled),
        "--tile",
        "12",
    ]);
    let (a, b) = (
        image::open(&whole).unwrap().to_luma8(),
        image::open(&tiled).unwrap().to_luma8(),
    );
    assert_eq!(a.dimensions(), (80, 72));
    let worst = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| p.0[0].abs_diff(q.0[0]))
        .max();
    assert!(
        worst <= Some(1),
        "tiles differ from the whole image by {worst:?}"
    );
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&big),
        "--out",
        path(&tiled),
        "--tile",
        "3",
    ]);
    assert!(err.contains("--tile 3"), "{err}");

    // Inpainting: the holes are transparent pixels; the output keeps the size.
    let inpaint = dir.join("inpaint");
    train("inpaint", &data, &inpaint);
    let holed = dir.join("holed.png");
    image::GrayAlphaImage::from_fn(30, 26, |x, y| {
        let hole = (10..20).contains(&x) && (8..16).contains(&y);
        image::LumaA([((x * 7) % 256) as u8, if hole { 0 } else { 255 }])
    })
    .save(&holed)
    .unwrap();
    let filled = dir.join("filled.png");
    ok(&[
        "restore",
        "--run",
        path(&inpaint),
        "--input",
        path(&holed),
        "--out",
        path(&filled),
    ]);
    assert_eq!(image::image_dimensions(&filled).unwrap(), (30, 26));

    // Bad inputs: one line each.
    let tiny = dir.join("tiny.png");
    gray_png(&tiny, 4, 6);
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&tiny),
        "--out",
        path(&dir.join("t.png")),
    ]);
    assert!(
        err.contains("tiny.png") && err.contains("too small"),
        "{err}"
    );
    let rgb = dir.join("rgb.png");
    image::RgbImage::from_pixel(20, 20, image::Rgb([10, 200, 30]))
        .save(&rgb)
        .unwrap();
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&rgb),
        "--out",
        path(&dir.join("r.png")),
    ]);
    assert!(
        err.contains("rgb.png") && err.contains("RGB image"),
        "{err}"
    );
    let err = error_line(&[
        "restore",
        "--run",
        path(&inpaint),
        "--input",
        path(&inputs.join("a.png")),
        "--out",
        path(&dir.join("i.png")),
    ]);
    assert!(err.contains("a.png") && err.contains("alpha"), "{err}");
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&tiny),
        "--out",
        path(&dir.join("t.png")),
        "--task",
        "denoise",
    ]);
    assert!(err.contains("trained for sr2"), "{err}");
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&tiny),
        "--out",
        path(&dir.join("t.png")),
        "--task",
        "sr3",
    ]);
    assert!(err.contains("sr2, sr4, denoise, deblur, inpaint"), "{err}");
    // A folder with one bad image names it and writes nothing.
    let mixed = dir.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    gray_png(&mixed.join("good.png"), 16, 16);
    std::fs::write(mixed.join("broken.png"), b"not a png").unwrap();
    let nothing = dir.join("nothing");
    let err = error_line(&[
        "restore",
        "--run",
        path(&sr2),
        "--input",
        path(&mixed),
        "--out",
        path(&nothing),
    ]);
    assert!(err.contains("broken.png"), "{err}");
    assert!(!nothing.exists());
    // Sampling from noise is refused: a restoration run restores inputs.
    let err = error_line(&[
        "sample",
        "--run",
        path(&sr2),
        "--out",
        path(&dir.join("s.png")),
    ]);
    assert!(err.contains("burn-gan restore"), "{err}");
    // A run that is not a restoration run.
    let toy = dir.join("toy");
    ok(&[
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "1",
        "--batch",
        "16",
        "--out",
        path(&toy),
    ]);
    let err = error_line(&[
        "restore",
        "--run",
        path(&toy),
        "--input",
        path(&inputs),
        "--out",
        path(&nothing),
    ]);
    assert!(err.contains("not a restoration model"), "{err}");
}

#[test]
fn train_refuses_an_unknown_task_and_images_too_small_for_it() {
    let dir = scratch("bad");
    let data = dir.join("train-images-idx3-ubyte");
    write_idx(&data, 4, 12);
    let out = dir.join("run");
    let err = error_line(&[
        "train",
        "restore",
        "--task",
        "sr3",
        "--data",
        path(&data),
        "--steps",
        "1",
        "--out",
        path(&out),
    ]);
    assert!(err.contains("sr2, sr4, denoise, deblur, inpaint"), "{err}");
    let err = error_line(&[
        "train",
        "restore",
        "--task",
        "sr4",
        "--data",
        path(&data),
        "--steps",
        "1",
        "--out",
        path(&out),
    ]);
    assert!(err.contains("sr4") && err.contains("too small"), "{err}");
    // A model without the setting refuses --task.
    let err = error_line(&[
        "train",
        "gan",
        "--task",
        "sr2",
        "--steps",
        "1",
        "--out",
        path(&out),
    ]);
    assert!(err.contains("--task"), "{err}");
    assert!(!out.join("config.json").exists());
}

#[test]
fn bench_measures_the_restoration_gan() {
    let out = ok(&[
        "bench",
        "--models",
        "restore-sr2,pix2pix28,cyclegan28,srgan28",
        "--json",
        "--seconds",
        "0",
        "--batch",
        "2",
        "--sample-batch",
        "2",
        "--warmup",
        "0",
        "--min-iters",
        "1",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for name in ["restore-sr2", "pix2pix28", "cyclegan28", "srgan28"] {
        let row = &report[name];
        assert_eq!(row["image"], serde_json::json!([1, 28, 28]), "{report}");
        assert!(
            row["train_images_per_s"].as_f64().unwrap() > 0.0,
            "{report}"
        );
    }
}

/// `burn-gan score`: a restoration run and pix2pix on held-out images, with the baselines and a
/// strip; one error line for training images, a model that generates from noise, and baselines
/// asked of pix2pix.
#[test]
fn score_measures_image_to_image_runs_on_held_out_images() {
    let dir = scratch("score");
    let data = dir.join("train-images-idx3-ubyte");
    write_idx(&data, 24, 28);
    let held_out = dir.join("t10k-images-idx3-ubyte");
    write_idx(&held_out, 6, 28);
    let sr = dir.join("sr2");
    train("sr2", &data, &sr);
    let strip = dir.join("strip.png");
    let out = ok(&[
        "score",
        "--run",
        path(&sr),
        "--data",
        path(&held_out),
        "--baselines",
        "--features",
        "fashion",
        "--strip",
        path(&strip),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = report["rows"].as_array().unwrap();
    // With a domain classifier, every row (model and baselines) has a domain FID.
    assert!(
        rows.iter()
            .all(|r| r["fid"].as_f64().is_some_and(f64::is_finite)),
        "{report}"
    );
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods[0], "restore", "{report}");
    assert!(methods.iter().any(|m| m.contains("bicubic")), "{methods:?}");
    for r in rows {
        assert_eq!(r["images"], 6, "{r}");
        assert!(
            r["psnr"].as_f64().unwrap().is_finite() && r["ssim"].as_f64().unwrap() <= 1.0,
            "{r}"
        );
    }
    // Three rows (inputs, outputs, targets) of six 28x28 images with 2-pixel gaps.
    let png = image::open(&strip).unwrap();
    assert_eq!((png.width(), png.height()), (6 * 30 + 2, 3 * 30 + 2));

    let p2p = dir.join("pix2pix");
    ok(&[
        "train",
        "pix2pix",
        "--data",
        path(&data),
        "--steps",
        "2",
        "--batch",
        "4",
        "--set",
        "features=8",
        "--out",
        path(&p2p),
    ]);
    let table = ok(&["score", "--run", path(&p2p), "--data", path(&held_out)]);
    assert!(table.contains("| pix2pix |"), "{table}");
    let err = error_line(&[
        "score",
        "--run",
        path(&p2p),
        "--data",
        path(&held_out),
        "--baselines",
    ]);
    assert!(
        err.contains("--baselines") && err.contains("not a restoration model"),
        "{err}"
    );
    let err = error_line(&["score", "--run", path(&p2p), "--data", path(&data)]);
    assert!(err.contains("trained on these images"), "{err}");
    let err = error_line(&[
        "score",
        "--run",
        path(&p2p),
        "--data",
        path(&held_out),
        "--features",
        "inception",
    ]);
    assert!(err.contains("--features inception"), "{err}");
    // Without a classifier for the data (its name says neither fashion nor mnist): no FID.
    assert!(!table.contains("FID"), "{table}");

    let gan = dir.join("gan");
    ok(&[
        "train",
        "gan",
        "--data",
        path(&data),
        "--steps",
        "1",
        "--batch",
        "4",
        "--out",
        path(&gan),
    ]);
    let err = error_line(&["score", "--run", path(&gan), "--data", path(&held_out)]);
    assert!(err.contains("generates from noise"), "{err}");
}

/// `burn-gan train srgan`: pre-training then adversarial steps on x4 pairs, scored with the
/// baselines of its task; a task srgan does not do is refused in one line.
#[test]
fn srgan_trains_past_its_pretraining_and_is_scored_with_the_baselines() {
    let dir = scratch("srgan");
    let data = dir.join("train-images-idx3-ubyte");
    write_idx(&data, 24, 28);
    let held_out = dir.join("t10k-images-idx3-ubyte");
    write_idx(&held_out, 5, 28);
    let run = dir.join("run");
    ok(&[
        "train",
        "srgan",
        "--data",
        path(&data),
        "--steps",
        "3",
        "--batch",
        "4",
        "--set",
        "features=4",
        "--set",
        "blocks=1",
        "--set",
        "pretrain_steps=1",
        "--log-every",
        "1",
        "--out",
        path(&run),
    ]);
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let lines: Vec<&str> = metrics.lines().collect();
    assert_eq!(lines.len(), 3, "{metrics}");
    // Step 1 pre-trains on the MSE alone; steps 2 and 3 add the discriminator and content loss.
    assert!(
        !lines[0].contains("loss_d") && lines[2].contains("loss_d"),
        "{metrics}"
    );
    assert!(lines[2].contains("\"content\""), "{metrics}");
    let out = ok(&[
        "score",
        "--run",
        path(&run),
        "--data",
        path(&held_out),
        "--baselines",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let methods: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods[0], "srgan", "{report}");
    assert!(methods.contains(&"bicubic"), "{methods:?}");
    // `restore` up-samples the user's images x4, in tiles that give the pixels of the whole.
    let png = dir.join("small.png");
    gray_png(&png, 40, 28);
    let (whole, tiled) = (dir.join("whole.png"), dir.join("tiled.png"));
    for (out, tile) in [(&whole, "256"), (&tiled, "8")] {
        ok(&[
            "restore",
            "--run",
            path(&run),
            "--input",
            path(&png),
            "--out",
            path(out),
            "--tile",
            tile,
        ]);
    }
    let (a, b) = (
        image::open(&whole).unwrap().to_luma8(),
        image::open(&tiled).unwrap().to_luma8(),
    );
    assert_eq!(a.dimensions(), (160, 112));
    let worst = a
        .pixels()
        .zip(b.pixels())
        .map(|(x, y)| x.0[0].abs_diff(y.0[0]))
        .max()
        .unwrap();
    assert!(worst <= 1, "tiles differ from the whole by {worst} levels");
    // `sample` points an image-to-image run to the verb that uses it.
    let err = error_line(&[
        "sample",
        "--run",
        path(&run),
        "--out",
        path(&dir.join("s.png")),
    ]);
    assert!(err.contains("burn-gan restore --run"), "{err}");
    let err = error_line(&[
        "train",
        "srgan",
        "--data",
        path(&data),
        "--task",
        "denoise",
        "--out",
        path(&dir.join("bad")),
    ]);
    assert!(err.contains("sr2 or sr4"), "{err}");
}

/// `--data tiles:DIR`: a restoration network trained on 32x32 tiles of photographs (everywhere
/// but their held-out tiles) and scored on the held-out 128x128 tiles (`tiles:DIR:test`, the
/// default), as it is fully convolutional; a missing folder is one error line.
#[test]
fn restoration_trains_on_photo_tiles_and_is_scored_on_the_held_out_ones() {
    let dir = scratch("tiles");
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    image::RgbImage::from_fn(300, 200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    })
    .save(photos.join("a.png"))
    .unwrap();
    gray_png(&photos.join("b.png"), 160, 140);
    let run = dir.join("run");
    let tiles = format!("tiles:{}", path(&photos));
    let out = train_model("restore-l1", "sr2", &tiles, &run);
    // a.png: 9x6 tiles of 32 less the 8x4 under its two held-out tiles; b.png: 5x4 less 4x4.
    assert!(out.contains("26 samples of [3, 32, 32]"), "{out}");
    // Without --data, a run trained on tiles:DIR is scored on tiles:DIR:test.
    let report = ok(&["score", "--run", path(&run), "--baselines", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["data"],
        format!("tiles:{}:test", path(&photos)),
        "{report}"
    );
    for row in report["rows"].as_array().unwrap() {
        assert_eq!(row["images"], 3, "{report}");
        assert!(row["psnr"].as_f64().unwrap().is_finite(), "{report}");
    }
    let missing = dir.join("no-such-folder");
    let err = error_line(&[
        "train",
        "restore",
        "--data",
        &format!("tiles:{}", path(&missing)),
    ]);
    assert!(
        err.contains("no-such-folder") && err.contains("not a folder"),
        "{err}"
    );
}
