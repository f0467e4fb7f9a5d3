//! The `burn-gan` program: a short real run end to end, and one clear error line per bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("burn-gan-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn burn_gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burn-gan"))
        .args(args)
        .output()
        .expect("the burn-gan binary runs")
}

/// Runs `args`, expects failure, and returns the single error line.
fn error_line(args: &[&str]) -> String {
    let out = burn_gan(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "{args:?} succeeded; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?} should print one line, printed:\n{stderr}"
    );
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    lines[0].to_string()
}

fn write_idx(path: &Path, dims: &[u32], data: &[u8], gzip: bool) {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    if gzip {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&bytes).unwrap();
        bytes = enc.finish().unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn train_sample_and_interpolate_a_short_image_run() {
    let dir = scratch("run");
    let images = dir.join("train-images-idx3-ubyte.gz");
    let data: Vec<u8> = (0..64 * 28 * 28).map(|i| ((i * 7) % 256) as u8).collect();
    write_idx(&images, &[64, 28, 28], &data, true);
    write_idx(
        &dir.join("train-labels-idx1-ubyte.gz"),
        &[64],
        &[3; 64],
        true,
    );
    let run = dir.join("run");
    let out = burn_gan(&[
        "train",
        "dcgan28",
        "--data",
        path(&dir),
        "--steps",
        "3",
        "--batch",
        "16",
        "--eval-every",
        "3",
        "--eval-features",
        "mnist",
        "--eval-samples",
        "20",
        "--out",
        path(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "config.json",
        "metrics.jsonl",
        "losses.png",
        "samples.png",
        "checkpoint/model-3.mpk",
        "eval.png",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let eval = rows
        .iter()
        .find(|r| r.get("fid").is_some())
        .expect("an evaluation row");
    assert_eq!(eval["step"].as_u64(), Some(3));
    assert_eq!(eval["eval_samples"].as_u64(), Some(20));
    assert!(
        eval["fid"].as_f64().unwrap().is_finite() && eval["kid"].as_f64().unwrap().is_finite(),
        "{eval}"
    );
    let grid = dir.join("grid.png");
    let out = burn_gan(&[
        "sample",
        "--run",
        path(&run),
        "--n",
        "9",
        "--out",
        path(&grid),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&grid).unwrap();
    assert_eq!((img.width(), img.height()), (3 * 30 + 2, 3 * 30 + 2));
    let out = burn_gan(&[
        "interpolate",
        "--run",
        path(&run),
        "--pairs",
        "2",
        "--steps",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // eval draws its generated set from the run's latest checkpoint
    let r = eval_json(&[
        "eval",
        "--real",
        path(&images),
        "--fake",
        path(&run),
        "--features",
        "mnist",
        "--metrics",
        "fid,is,pr,parzen",
        "--n",
        "40",
        "--no-cache",
        "--json",
    ]);
    // Parzen without --validation: the first 20 real images choose sigma, the other 20 are the test set
    assert_eq!(
        (r["n_real"].as_u64(), r["n_fake"].as_u64()),
        (Some(40), Some(40)),
        "{r}"
    );
    assert_eq!(
        (
            r["parzen"]["validation"].as_u64(),
            r["parzen"]["test"].as_u64()
        ),
        (Some(20), Some(20)),
        "{r}"
    );
    assert!(r["parzen"]["mean"].as_f64().unwrap().is_finite(), "{r}");
    assert!(
        r["fake"].as_str().unwrap().contains("latest checkpoint"),
        "{r}"
    );
    assert!(
        r["fid"].as_f64().unwrap().is_finite() && r["is"]["mean"].as_f64().unwrap() >= 1.0,
        "{r}"
    );
    let strip = image::open(run.join("interp-slerp.png")).unwrap();
    assert_eq!((strip.width(), strip.height()), (5 * 30 + 2, 2 * 30 + 2));

    // Training again into the same folder without --resume would mix two runs.
    let err = error_line(&[
        "train",
        "dcgan28",
        "--data",
        path(&dir),
        "--steps",
        "3",
        "--out",
        path(&run),
    ]);
    assert!(
        err.contains("already holds a run") && err.contains("--resume"),
        "{err}"
    );
    // Resuming a finished run redoes what follows its last checkpoint (a kill may have cut it
    // off) and leaves metrics.jsonl as it was; a larger --steps trains further.
    let metrics = std::fs::read(run.join("metrics.jsonl")).unwrap();
    std::fs::remove_file(run.join("samples.png")).unwrap();
    let out = burn_gan(&["train", "--resume", "--out", path(&run)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("already reached step 3"),
        "{stderr}"
    );
    assert!(run.join("samples.png").is_file());
    assert_eq!(std::fs::read(run.join("metrics.jsonl")).unwrap(), metrics);
    let out = burn_gan(&["train", "--resume", "--out", path(&run), "--steps", "6"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Checkpoints are named by the generator step they were taken after.
    assert!(run.join("checkpoint/model-6.mpk").is_file());

    // A checkpoint of another model in the run folder.
    let toy = dir.join("toy");
    let out = burn_gan(&[
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "2",
        "--batch",
        "16",
        "--out",
        path(&toy),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `sample` names it and takes the newest checkpoint that loads; with none, one error line.
    std::fs::copy(
        toy.join("checkpoint/model-2.mpk"),
        run.join("checkpoint/model-6.mpk"),
    )
    .unwrap();
    let out = burn_gan(&["sample", "--run", path(&run), "--out", path(&grid)]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("warning:")
            && stderr.contains("model-6.mpk")
            && stderr.contains("another model"),
        "{stderr}"
    );
    std::fs::copy(
        toy.join("checkpoint/model-2.mpk"),
        run.join("checkpoint/model-3.mpk"),
    )
    .unwrap();
    let err = error_line(&["sample", "--run", path(&run), "--out", path(&grid)]);
    assert!(
        err.contains("model-6.mpk") && err.contains("another model"),
        "{err}"
    );
}

/// A run folder written before networks were named (`config.json` with `optimizer_g` and
/// `optimizer_d`) still samples and resumes; the configuration it is read into names both
/// networks' optimizers, with the legacy values.
#[test]
fn a_run_folder_with_the_legacy_optimizer_fields_still_samples_and_resumes() {
    let dir = scratch("legacy");
    let run = dir.join("run");
    let out = burn_gan(&[
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "2",
        "--batch",
        "16",
        "--lr-d",
        "0.003",
        "--out",
        path(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = run.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let training = config["training"].as_object_mut().unwrap();
    let optimizers = training.remove("optimizers").expect("named optimizers");
    assert_eq!(optimizers["discriminator"]["lr"], 0.003);
    training.insert("optimizer_g".into(), optimizers["generator"].clone());
    training.insert("optimizer_d".into(), optimizers["discriminator"].clone());
    std::fs::write(&file, serde_json::to_string_pretty(&config).unwrap()).unwrap();

    let grid = dir.join("grid.png");
    let out = burn_gan(&["sample", "--run", path(&run), "--out", path(&grid)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(grid.is_file());
    let out = burn_gan(&["train", "--resume", "--out", path(&run), "--steps", "4"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        config["training"]["optimizers"]["discriminator"]["lr"],
        0.003
    );
    assert!(config["training"].get("optimizer_d").is_none());
}

/// Run folders written by the program before the training contract named its networks
/// (tests/fixtures/pre-contract, made by the `burn-gan` of commit 59d6c35 with its make.sh): the
/// model structs of every family (gan, dcgan, the conditional models, sgan) still load and sample; resuming one stops with one line naming
/// its optimizer checkpoint, whose older layout holds no network ids.
#[test]
fn run_folders_from_before_the_contract_still_sample() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pre-contract");
    let dir = scratch("pre-contract");
    for (name, class) in [
        ("gan-ring8", None),
        ("dcgan28", None),
        ("cgan", Some("3")),
        ("sgan", None),
    ] {
        let run = dir.join(name);
        std::fs::create_dir_all(run.join("checkpoint")).unwrap();
        for entry in std::fs::read_dir(fixtures.join(name).join("checkpoint")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), run.join("checkpoint").join(entry.file_name())).unwrap();
        }
        // The image fixtures keep no optimizer state (see make.sh): sampling reads only the
        // weights, but a checkpoint counts as complete with its three files.
        let optim = run.join("checkpoint/optim-1.mpk");
        if !optim.is_file() {
            std::fs::write(optim, b"").unwrap();
        }
        std::fs::copy(
            fixtures.join(name).join("config.json"),
            run.join("config.json"),
        )
        .unwrap();
        let out_file = dir.join(format!("{name}.png"));
        let mut args = vec![
            "sample",
            "--run",
            path(&run),
            "--n",
            "8",
            "--out",
            path(&out_file),
        ];
        if let Some(c) = class {
            args.extend(["--class", c]);
        }
        let out = burn_gan(&args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out_file.is_file(), "{name}: no samples written");
    }
    let err = error_line(&[
        "train",
        "--resume",
        "--out",
        path(&dir.join("gan-ring8")),
        "--steps",
        "4",
    ]);
    assert!(
        err.contains("optim-1.mpk") && err.contains("network id"),
        "{err}"
    );
}

#[test]
fn bad_data_files_get_one_clear_error_line() {
    let dir = scratch("bad-data");
    let missing = dir.join("nothing-here.idx");
    let err = error_line(&[
        "train",
        "dcgan28",
        "--data",
        path(&missing),
        "--out",
        path(&dir.join("r0")),
    ]);
    assert!(err.contains("nothing-here.idx"), "{err}");

    let corrupt = dir.join("corrupt-images-idx3-ubyte");
    std::fs::write(&corrupt, b"\x00\x00\x08\x03\x00\x00\x00\x05garbage").unwrap();
    let err = error_line(&[
        "train",
        "dcgan28",
        "--data",
        path(&corrupt),
        "--out",
        path(&dir.join("r1")),
    ]);
    assert!(
        err.contains("corrupt-images-idx3-ubyte") && err.contains("truncated"),
        "{err}"
    );

    let magic = dir.join("magic-images-idx3-ubyte");
    std::fs::write(
        &magic,
        b"\x00\x00\x09\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    let err = error_line(&[
        "train",
        "dcgan28",
        "--data",
        path(&magic),
        "--out",
        path(&dir.join("r2")),
    ]);
    assert!(err.contains("wrong magic number 0x00000903"), "{err}");

    let gz = dir.join("cut-images-idx3-ubyte.gz");
    write_idx(&gz, &[4, 28, 28], &[1; 4 * 28 * 28], true);
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let err = error_line(&[
        "train",
        "dcgan28",
        "--data",
        path(&gz),
        "--out",
        path(&dir.join("r3")),
    ]);
    assert!(
        err.contains("cut-images-idx3-ubyte.gz") && err.contains("gzip"),
        "{err}"
    );

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        path(&empty),
        "--out",
        path(&dir.join("r4")),
    ]);
    assert!(err.contains("no PNG or JPEG images"), "{err}");

    let mixed = dir.join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    image::GrayImage::new(8, 8)
        .save(mixed.join("a.png"))
        .unwrap();
    image::GrayImage::new(9, 8)
        .save(mixed.join("b.png"))
        .unwrap();
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        path(&mixed),
        "--out",
        path(&dir.join("r5")),
    ]);
    assert!(
        err.contains("b.png") && err.contains("--image-size"),
        "{err}"
    );
}

/// A labels file beside the images that cannot be read: a model that trains without labels
/// warns and trains; a class-conditional model is refused with the labels file's error.
#[test]
fn a_corrupt_labels_file_stops_only_the_models_that_need_labels() {
    let dir = scratch("corrupt-labels");
    let images = dir.join("train-images-idx3-ubyte.gz");
    let pixels: Vec<u8> = (0..16 * 28 * 28).map(|i| (i % 251) as u8).collect();
    write_idx(&images, &[16, 28, 28], &pixels, true);
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), b"not a gzip file").unwrap();

    let out = burn_gan(&[
        "train",
        "gan",
        "--data",
        path(&images),
        "--steps",
        "1",
        "--batch",
        "8",
        "--out",
        path(&dir.join("gan")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("train-labels-idx1-ubyte.gz")
            && stderr.contains("`gan` trains without labels"),
        "{stderr}"
    );

    let err = error_line(&[
        "train",
        "cgan",
        "--data",
        path(&images),
        "--steps",
        "1",
        "--batch",
        "8",
        "--out",
        path(&dir.join("cgan")),
    ]);
    assert!(err.contains("train-labels-idx1-ubyte.gz"), "{err}");
    assert!(!err.contains("has no labels"), "{err}");
}

#[test]
fn bad_names_and_values_get_one_clear_error_line() {
    let dir = scratch("bad-args");
    let err = error_line(&["train", "stylegan9", "--out", path(&dir.join("r0"))]);
    assert!(
        err.contains("unknown model `stylegan9`") && err.contains("dcgan28"),
        "{err}"
    );
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        "ring8",
        "--out",
        path(&dir.join("r1")),
    ]);
    assert!(err.contains("needs image data"), "{err}");
    let err = error_line(&["train", "--lr-g=-1", "--out", path(&dir.join("r2"))]);
    assert!(err.contains("--lr-g") && err.contains("positive"), "{err}");
    let err = error_line(&[
        "train",
        "--optimizer-d",
        "adagrad",
        "--out",
        path(&dir.join("r3")),
    ]);
    assert!(err.contains("unknown optimizer `adagrad`"), "{err}");
    let err = error_line(&["train", "--batch", "0", "--out", path(&dir.join("r4"))]);
    assert!(err.contains("--batch must be at least 1"), "{err}");
    let err = error_line(&["sample", "--run", path(&dir.join("no-run"))]);
    assert!(err.contains("config.json"), "{err}");
    // clap rejects a value of the wrong type with its own one-line message and exit code 2.
    let out = burn_gan(&["train", "--steps", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'many' for '--steps"));
}

fn shared(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "{} is missing: the tests read ../shared/data",
        p.display()
    );
    p.to_str().unwrap().to_string()
}

fn eval_json(args: &[&str]) -> serde_json::Value {
    let out = burn_gan(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn eval_of_a_set_against_itself_with_the_domain_classifier() {
    let real = format!(
        "{}@0..600",
        shared("fashion-mnist/t10k-images-idx3-ubyte.gz")
    );
    let r = eval_json(&[
        "eval",
        "--real",
        &real,
        "--fake",
        &real,
        "--features",
        "fashion",
        "--metrics",
        "fid,is,pr",
        "--no-cache",
        "--json",
    ]);
    assert!(r["fid"].as_f64().unwrap().abs() < 1e-6, "{r}");
    assert_eq!(r["precision"].as_f64(), Some(1.0));
    assert_eq!(r["recall"].as_f64(), Some(1.0));
    // real Fashion-MNIST is confidently and evenly classified: IS near the 10 classes
    assert!(r["is"]["mean"].as_f64().unwrap() > 6.0, "{r}");
    assert_eq!(r["n_real"].as_u64(), Some(600));
    assert!(
        r["features"].as_str().unwrap().contains("fashion-lenet"),
        "{r}"
    );
    assert!(
        r["preprocessing"].as_str().unwrap().contains("no resize"),
        "{r}"
    );
    // Padded to 32x32 (as progan's runs are), the classifier reads the centre 28x28: FID 0
    // against themselves, not an error.
    let padded = eval_json(&[
        "eval",
        "--real",
        &real,
        "--fake",
        &real,
        "--image-size",
        "32",
        "--features",
        "fashion",
        "--metrics",
        "fid",
        "--no-cache",
        "--json",
    ]);
    assert!(padded["fid"].as_f64().unwrap().abs() < 1e-6, "{padded}");

    // another split of the same data is close; MNIST digits are far
    let other = format!(
        "{}@0..600",
        shared("fashion-mnist/train-images-idx3-ubyte.gz")
    );
    let digits = format!("{}@0..600", shared("mnist/images-idx3-ubyte.gz"));
    let near = eval_json(&[
        "eval",
        "--real",
        &real,
        "--fake",
        &other,
        "--features",
        "fashion",
        "--metrics",
        "fid,kid",
        "--no-cache",
        "--json",
    ]);
    let far = eval_json(&[
        "eval",
        "--real",
        &real,
        "--fake",
        &digits,
        "--features",
        "fashion",
        "--metrics",
        "fid,kid",
        "--no-cache",
        "--json",
    ]);
    let (fid_near, fid_far) = (near["fid"].as_f64().unwrap(), far["fid"].as_f64().unwrap());
    assert!(
        fid_far > 10.0 * fid_near,
        "same-domain FID {fid_near}, cross-domain {fid_far}"
    );
    let (kid_near, kid_far) = (
        near["kid"]["mean"].as_f64().unwrap(),
        far["kid"]["mean"].as_f64().unwrap(),
    );
    assert!(
        kid_far > 10.0 * kid_near.abs(),
        "same-domain KID {kid_near}, cross-domain {kid_far}"
    );
}

#[test]
fn inception_eval_reports_its_protocol_and_caches_the_real_features() {
    let dir = scratch("eval-cache");
    let cache = dir.join("cache");
    let real = format!(
        "{}@0..12",
        shared("fashion-mnist/train-images-idx3-ubyte.gz")
    );
    let fake = format!(
        "{}@0..12",
        shared("fashion-mnist/t10k-images-idx3-ubyte.gz")
    );
    let args = [
        "eval",
        "--real",
        &real,
        "--fake",
        &fake,
        "--metrics",
        "fid,kid",
        "--cache",
        path(&cache),
        "--json",
    ];
    let first = eval_json(&args);
    assert_eq!(first["cache_hit"].as_bool(), Some(false));
    assert!(
        first["preprocessing"]
            .as_str()
            .unwrap()
            .contains("TF1 bilinear resize 28x28 -> 299x299"),
        "{first}"
    );
    assert!(
        first["features"].as_str().unwrap().contains("inception"),
        "{first}"
    );
    let fid = first["fid"].as_f64().unwrap();
    assert!(fid.is_finite() && fid > 0.0, "{first}");
    let second = eval_json(&args);
    assert_eq!(second["cache_hit"].as_bool(), Some(true));
    assert!((second["fid"].as_f64().unwrap() - fid).abs() < 1e-9 * fid);
}

#[test]
fn bad_eval_inputs_get_one_clear_error_line() {
    let dir = scratch("eval-bad");
    let fashion = format!(
        "{}@0..50",
        shared("fashion-mnist/t10k-images-idx3-ubyte.gz")
    );
    // generated images of another size
    let rgb = dir.join("rgb");
    std::fs::create_dir_all(&rgb).unwrap();
    for i in 0..3 {
        image::RgbImage::from_pixel(32, 32, image::Rgb([i * 50, 10, 10]))
            .save(rgb.join(format!("{i}.png")))
            .unwrap();
    }
    let e = error_line(&[
        "eval",
        "--real",
        &fashion,
        "--fake",
        path(&rgb),
        "--features",
        "fashion",
        "--metrics",
        "fid",
        "--no-cache",
    ]);
    assert!(
        e.contains("1x28x28") || e.contains("compare sets of one size"),
        "{e}"
    );
    let e = error_line(&[
        "eval",
        "--real",
        &fashion,
        "--fake",
        path(&rgb),
        "--channels",
        "1",
        "--metrics",
        "fid",
        "--no-cache",
        "--inception-weights",
        "/nonexistent/w.safetensors",
    ]);
    assert!(
        e.contains("/nonexistent/w.safetensors") && e.contains("tools/inception_weights.py"),
        "{e}"
    );
    let e = error_line(&[
        "eval",
        "--real",
        &fashion,
        "--fake",
        path(&rgb),
        "--channels",
        "1",
        "--metrics",
        "fid",
        "--no-cache",
    ]);
    assert!(
        e.contains("compare sets of one size") && e.contains("[1, 32, 32]"),
        "{e}"
    );
    // same size, other channel count: gray Fashion-MNIST against RGB 28x28 images
    let rgb28 = dir.join("rgb28");
    std::fs::create_dir_all(&rgb28).unwrap();
    for i in 0..3 {
        image::RgbImage::from_pixel(28, 28, image::Rgb([10, i * 50, 10]))
            .save(rgb28.join(format!("{i}.png")))
            .unwrap();
    }
    let e = error_line(&[
        "eval",
        "--real",
        &fashion,
        "--fake",
        path(&rgb28),
        "--metrics",
        "fid",
        "--no-cache",
    ]);
    assert!(
        e.contains("[1, 28, 28]") && e.contains("[3, 28, 28]"),
        "{e}"
    );
    // an empty folder
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = error_line(&[
        "eval",
        "--real",
        &fashion,
        "--fake",
        path(&empty),
        "--features",
        "fashion",
    ]);
    assert!(e.contains("empty") && e.contains("no PNG or JPEG"), "{e}");
    // too few samples, unknown names, IS without class probabilities, a range past the end
    let past_end = format!(
        "{}@20000..",
        shared("fashion-mnist/t10k-images-idx3-ubyte.gz")
    );
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--fake",
                &fashion,
                "--features",
                "fashion",
                "--metrics",
                "fid",
                "--n",
                "1",
            ],
            "too few",
        ),
        (&["--fake", &fashion, "--metrics", "fid,fancy"], "`fancy`"),
        (&["--fake", &fashion, "--features", "resnet"], "`resnet`"),
        (
            &[
                "--fake",
                &fashion,
                "--features",
                "inception",
                "--metrics",
                "is",
                "--n",
                "4",
            ],
            "1008-way",
        ),
        (&["--fake", &past_end], "starts past"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["eval", "--real", &fashion, "--no-cache"];
        args.extend_from_slice(extra);
        let e = error_line(&args);
        assert!(e.contains(needle), "{args:?}: {e}");
    }
}

/// `burn-gan bench --json` prints one object with the backend and, per model, the rates the
/// PyTorch comparison reads; bad values get one error line. Rates are checked for sanity only:
/// speed is never asserted in a test.
#[test]
fn bench_prints_one_json_object_and_rejects_bad_values() {
    let out = burn_gan(&[
        "bench",
        "--models",
        "dcgan28",
        "--batch",
        "2",
        "--sample-batch",
        "3",
        "--warmup",
        "0",
        "--min-iters",
        "2",
        "--seconds",
        "0",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        v["backend"].is_string() && v["threads"].as_u64().unwrap() >= 1,
        "{v}"
    );
    let m = &v["dcgan28"];
    assert_eq!(m["image"], serde_json::json!([1, 28, 28]));
    assert_eq!(m["train"]["iters"], 2);
    assert_eq!(m["sample_batch"], 3);
    for key in ["train_images_per_s", "sample_images_per_s"] {
        let rate = m[key].as_f64().unwrap();
        assert!(rate > 0.0 && rate.is_finite(), "{key} = {rate}");
    }
    let err = error_line(&["bench", "--models", "dcgan28,stylegan9"]);
    assert!(
        err.contains("`stylegan9`") && err.contains("dcgan64"),
        "{err}"
    );
    let err = error_line(&["bench", "--batch", "0"]);
    assert!(err.contains("--batch"), "{err}");
    let err = error_line(&["bench", "--threads", "0"]);
    assert!(err.contains("--threads"), "{err}");
}

/// `train wgan-gp` runs its critic steps with the penalty and logs the Wasserstein estimate, the
/// penalty and the gradient norm; incompatible objective flags get one error line each.
#[test]
fn wgan_gp_trains_and_logs_its_penalty_and_bad_objectives_are_refused() {
    let dir = scratch("wgan-gp");
    let data: Vec<u8> = (0..32 * 28 * 28).map(|i| ((i * 13) % 256) as u8).collect();
    write_idx(
        &dir.join("train-images-idx3-ubyte.gz"),
        &[32, 28, 28],
        &data,
        true,
    );
    let run = dir.join("run");
    let out = burn_gan(&[
        "train",
        "wgan-gp",
        "--data",
        path(&dir),
        "--steps",
        "2",
        "--batch",
        "8",
        "--log-every",
        "1",
        "--out",
        path(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["config"]["loss"], "wasserstein");
    assert_eq!(config["model"]["config"]["critic_norm"], "layer");
    assert_eq!(config["training"]["d_steps"], 5);
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for key in ["loss_d", "loss_g", "w_distance", "penalty", "grad_norm"] {
        let v = last[key].as_f64().unwrap_or(f64::NAN);
        assert!(v.is_finite(), "{key} = {v} in {last}");
    }
    assert!(last["penalty"].as_f64().unwrap() >= 0.0);

    // `plot` draws the logged critic estimate and penalty, one panel each; an unknown metric
    // gets one error line naming the ones the run has.
    let png = dir.join("critic.png");
    let out = burn_gan(&[
        "plot",
        "--run",
        path(&run),
        "--metrics",
        "w_distance,penalty",
        "--out",
        path(&png),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (900, 600));
    let err = error_line(&["plot", "--run", path(&run), "--metrics", "fid"]);
    assert!(err.contains("fid") && err.contains("w_distance"), "{err}");

    // Incompatible objectives: (model, flags, words the error line must contain).
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "wgan-gp",
            &["--critic-norm", "batch"],
            &["wgan-gp", "batch norm"],
        ),
        ("wgan", &["--gradient-penalty", "10"], &["batch norm"]),
        ("wgan", &["--spectral-norm", "on"], &["spectral"]),
        ("gan", &["--r1", "1"], &["DCGAN family"]),
        ("gan", &["--weight-clip", "0.01"], &["wasserstein"]),
        ("dcgan", &["--loss", "l1"], &["--loss", "wasserstein"]),
        (
            "dcgan",
            &["--orthogonal-init", "maybe"],
            &["--orthogonal-init"],
        ),
    ];
    for (k, (model, flags, needles)) in cases.iter().enumerate() {
        let out = dir.join(format!("bad-{k}"));
        let mut args = vec!["train", model, "--data", path(&dir), "--out", path(&out)];
        args.extend_from_slice(flags);
        let err = error_line(&args);
        for needle in *needles {
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}

/// `train cgan` and `train acgan --class-bn on --ema 0.99` on labelled images: the class losses
/// are logged, `sample --class K` writes a grid; conditional models without labels, `--class`
/// out of range or on an unconditional run, and conditional-only flags elsewhere get one error
/// line each.
/// `plot` overlays runs with a legend naming each, as PNG or SVG by `--out`, prints the path it
/// wrote, sets its text in a real font, and refuses a file that is not a metrics log.
#[test]
fn plot_overlays_runs_in_png_or_svg_and_refuses_a_bad_metrics_log() {
    let dir = scratch("plot");
    let log = |name: &str, lines: &dyn Fn(usize) -> String| {
        let run = dir.join(name);
        std::fs::create_dir_all(&run).unwrap();
        let text: String = (1..=30).map(|i| lines(i * 50) + "\n").collect();
        std::fs::write(run.join("metrics.jsonl"), text).unwrap();
        run
    };
    let gan = log("gan-a", &|s| {
        let t = s as f64 / 1500.0;
        format!(
            "{{\"step\":{s},\"loss_d\":{},\"loss_g\":{},\"d_real\":{},\"d_fake\":{}}}",
            1.4 - 0.2 * t,
            0.7 + 0.3 * t,
            0.5 + 0.1 * t,
            0.5 - 0.1 * t
        )
    });
    let wgan = log("wgan-b", &|s| {
        format!("{{\"step\":{s},\"loss_d\":-0.5,\"loss_g\":0.3,\"w_distance\":0.4}}")
    });

    // Two runs overlaid, as SVG: the legend names both, the text stays text.
    let svg = dir.join("compare.svg");
    let out = burn_gan(&[
        "plot",
        "--run",
        path(&gan),
        "--run",
        path(&wgan),
        "--out",
        path(&svg),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(path(&svg)));
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "<svg",
        "Losses",
        "Discriminator outputs",
        "gan-a – loss_d",
        "wgan-b – loss_d",
        "gan-a – d_real: D(x)",
    ] {
        assert!(text.contains(needle), "no {needle:?} in {}", svg.display());
    }

    // One run, the default PNG in its folder: two panels, titles drawn in dark pixels.
    let out = burn_gan(&["plot", "--run", path(&gan)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = gan.join("plot.png");
    assert!(String::from_utf8_lossy(&out.stdout).contains(path(&png)));
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (900, 600));
    for top in [0, 300] {
        let dark = (0..900)
            .flat_map(|x| (top..top + 34).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 128))
            .count();
        assert!(dark > 60, "{dark} dark pixels where the title at {top} is");
    }

    // A metrics log that is not one, and an output format that is not a plot's.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("metrics.jsonl"),
        "loss_d 1.5\n{\"loss\": [1, 2]}\n",
    )
    .unwrap();
    let err = error_line(&["plot", "--run", path(&bad)]);
    assert!(
        err.contains("metrics.jsonl") && err.contains("not a metrics log"),
        "{err}"
    );
    let gif = dir.join("plot.gif");
    let err = error_line(&["plot", "--run", path(&gan), "--out", path(&gif)]);
    assert!(err.contains(".gif") && err.contains(".svg"), "{err}");
    let err = error_line(&["plot", "--run", path(&gan), "--metrics", "fid+loss_d"]);
    assert!(err.contains("fid") && err.contains("d_fake"), "{err}");
}

#[test]
fn conditional_models_train_sample_a_class_and_refuse_bad_input() {
    let dir = scratch("conditional");
    let labelled = dir.join("labelled");
    std::fs::create_dir_all(&labelled).unwrap();
    let data: Vec<u8> = (0..32 * 28 * 28).map(|i| ((i * 11) % 256) as u8).collect();
    write_idx(
        &labelled.join("train-images-idx3-ubyte.gz"),
        &[32, 28, 28],
        &data,
        true,
    );
    let labels: Vec<u8> = (0..32).map(|i| (i % 4) as u8).collect();
    write_idx(
        &labelled.join("train-labels-idx1-ubyte.gz"),
        &[32],
        &labels,
        true,
    );
    let unlabelled = dir.join("unlabelled-images-idx3-ubyte.gz");
    write_idx(&unlabelled, &[32, 28, 28], &data, true);

    for (model, flags) in [
        ("cgan", &[][..]),
        ("acgan", &["--class-bn", "on", "--ema", "0.99"][..]),
    ] {
        let run = dir.join(model);
        let mut args = vec![
            "train",
            model,
            "--data",
            path(&labelled),
            "--steps",
            "2",
            "--batch",
            "8",
            "--log-every",
            "1",
            "--out",
            path(&run),
        ];
        args.extend_from_slice(flags);
        let out = burn_gan(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(config["model"]["family"], "conditional");
        assert_eq!(config["model"]["config"]["classes"], 4);
        let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
        let last: serde_json::Value =
            serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
        if model == "acgan" {
            assert_eq!(config["model"]["config"]["class_batch_norm"], true);
            assert_eq!(config["model"]["config"]["ema"], 0.99);
            for key in ["class_loss_d", "class_loss_g", "class_acc_real"] {
                let v = last[key].as_f64().unwrap_or(f64::NAN);
                assert!(v.is_finite(), "{key} = {v} in {last}");
            }
        }
        let grid = dir.join(format!("{model}-class-2.png"));
        let out = burn_gan(&[
            "sample",
            "--run",
            path(&run),
            "--class",
            "2",
            "--n",
            "4",
            "--out",
            path(&grid),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(grid.is_file());
    }

    // `--raw-generator` samples the trained generator instead of its average (same noise, other
    // images); a run without an average says so.
    let sample_png = |run: &str, raw: bool| -> Vec<u8> {
        let png = dir.join(format!("{run}-raw-{raw}.png"));
        let run = dir.join(run);
        let mut args = vec!["sample", "--run", path(&run), "--n", "4"];
        args.extend(["--out", path(&png)]);
        if raw {
            args.push("--raw-generator");
        }
        let out = burn_gan(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(&png).unwrap()
    };
    assert_ne!(sample_png("acgan", false), sample_png("acgan", true));
    let err = error_line(&[
        "sample",
        "--run",
        path(&dir.join("cgan")),
        "--raw-generator",
        "--out",
        path(&dir.join("z.png")),
    ]);
    assert!(
        err.contains("--raw-generator") && err.contains("--ema"),
        "{err}"
    );
    let err = error_line(&[
        "sample",
        "--run",
        path(&dir.join("cgan")),
        "--class",
        "4",
        "--out",
        path(&dir.join("x.png")),
    ]);
    assert!(err.contains("--class 4") && err.contains("0 to 3"), "{err}");
    let err = error_line(&[
        "train",
        "cgan",
        "--data",
        path(&unlabelled),
        "--out",
        path(&dir.join("u")),
    ]);
    assert!(
        err.contains("needs labelled data") && err.contains("unlabelled-images"),
        "{err}"
    );
    let dc = dir.join("dcgan");
    let out = burn_gan(&[
        "train",
        "dcgan28",
        "--data",
        path(&labelled),
        "--steps",
        "1",
        "--batch",
        "8",
        "--out",
        path(&dc),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = error_line(&[
        "sample",
        "--run",
        path(&dc),
        "--class",
        "1",
        "--out",
        path(&dir.join("y.png")),
    ]);
    assert!(err.contains("unconditional"), "{err}");
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("dcgan", &["--class-bn", "on"], &["conditional models"]),
        (
            "cgan",
            &["--gradient-penalty", "10"],
            &["not available", "cgan"],
        ),
        ("acgan", &["--ema", "1.5"], &["--ema 1.5"]),
        ("acgan", &["--projection", "on"], &["--projection", "cgan"]),
        (
            "dcgan",
            &["--projection", "on"],
            &["--projection", "conditional"],
        ),
        ("gan", &["--ema", "0.999"], &["--ema"]),
    ];
    for (k, (model, flags, needles)) in cases.iter().enumerate() {
        let out = dir.join(format!("bad-{k}"));
        let mut args = vec![
            "train",
            model,
            "--data",
            path(&labelled),
            "--out",
            path(&out),
        ];
        args.extend_from_slice(flags);
        let err = error_line(&args);
        for needle in *needles {
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}

/// `train infogan` needs no labels; `interpolate --code` draws latent traversals of the
/// continuous and the categorical codes; bad codes get one error line.
#[test]
fn infogan_trains_without_labels_and_draws_latent_traversals() {
    let dir = scratch("infogan");
    let data: Vec<u8> = (0..32 * 28 * 28).map(|i| ((i * 5) % 256) as u8).collect();
    let images = dir.join("unlabelled-images-idx3-ubyte.gz");
    write_idx(&images, &[32, 28, 28], &data, true);
    let run = dir.join("run");
    let out = burn_gan(&[
        "train",
        "infogan",
        "--data",
        path(&images),
        "--steps",
        "2",
        "--batch",
        "8",
        "--log-every",
        "1",
        "--out",
        path(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for key in ["info_loss", "info_cat_acc", "info_cont_nll"] {
        assert!(
            last[key].as_f64().unwrap_or(f64::NAN).is_finite(),
            "{key} in {last}"
        );
    }
    for (code, file) in [("0", "traversal-code-0.png"), ("cat", "traversal-cat.png")] {
        let out = burn_gan(&[
            "interpolate",
            "--run",
            path(&run),
            "--code",
            code,
            "--pairs",
            "3",
            "--steps",
            "5",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(run.join(file).is_file(), "{file} missing");
    }
    let err = error_line(&["interpolate", "--run", path(&run), "--code", "2"]);
    assert!(
        err.contains("--code 2") && err.contains("2 continuous codes"),
        "{err}"
    );
    let err = error_line(&["interpolate", "--run", path(&run), "--code", "x"]);
    assert!(err.contains("--code x"), "{err}");
}

/// `train sgan --labelled N --test-data FILE` trains on labelled, unlabelled and generated images
/// and reports its accuracy on the held-out images; a labelled count larger than the dataset,
/// unlabelled data and `--labelled` on another model get one error line each.
#[test]
fn sgan_trains_semi_supervised_and_reports_test_accuracy() {
    let dir = scratch("sgan");
    let data: Vec<u8> = (0..40 * 28 * 28).map(|i| ((i * 3) % 256) as u8).collect();
    let labels: Vec<u8> = (0..40).map(|i| (i % 4) as u8).collect();
    let train = dir.join("train");
    std::fs::create_dir_all(&train).unwrap();
    write_idx(
        &train.join("train-images-idx3-ubyte.gz"),
        &[40, 28, 28],
        &data,
        true,
    );
    write_idx(
        &train.join("train-labels-idx1-ubyte.gz"),
        &[40],
        &labels,
        true,
    );
    let test = dir.join("test");
    std::fs::create_dir_all(&test).unwrap();
    write_idx(
        &test.join("t10k-images-idx3-ubyte.gz"),
        &[40, 28, 28],
        &data,
        true,
    );
    write_idx(
        &test.join("t10k-labels-idx1-ubyte.gz"),
        &[40],
        &labels,
        true,
    );
    let test_images = test.join("t10k-images-idx3-ubyte.gz");
    for (model, networks) in [
        ("sgan", "dcgan"),
        ("sgan-fm", "dcgan"),
        ("sgan-supervised", "dcgan"),
        ("sgan-fm", "mlp"),
    ] {
        let run = dir.join(format!("{model}-{networks}"));
        let out = burn_gan(&[
            "train",
            model,
            "--networks",
            networks,
            "--data",
            path(&train),
            "--labelled",
            "8",
            "--steps",
            "2",
            "--batch",
            "8",
            "--log-every",
            "1",
            "--test-data",
            path(&test_images),
            "--out",
            path(&run),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("test accuracy"), "{stdout}");
        let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
        let last: serde_json::Value =
            serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
        let acc = last["test_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{last}");
        assert_eq!(last["test_images"], 40);
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(config["training"]["labelled"], 8);
        assert_eq!(config["model"]["config"]["networks"], networks);
    }
    let err = error_line(&[
        "train",
        "sgan",
        "--data",
        path(&train),
        "--labelled",
        "41",
        "--batch",
        "8",
        "--out",
        path(&dir.join("big")),
    ]);
    assert!(
        err.contains("--labelled 41") && err.contains("holds 40"),
        "{err}"
    );
    let unlabelled = dir.join("unlabelled-images-idx3-ubyte.gz");
    write_idx(&unlabelled, &[40, 28, 28], &data, true);
    let err = error_line(&[
        "train",
        "sgan",
        "--data",
        path(&unlabelled),
        "--out",
        path(&dir.join("u")),
    ]);
    assert!(err.contains("needs labelled data"), "{err}");
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        path(&train),
        "--labelled",
        "8",
        "--out",
        path(&dir.join("d")),
    ]);
    assert!(err.contains("--labelled applies"), "{err}");
    let err = error_line(&[
        "train",
        "dcgan",
        "--data",
        path(&train),
        "--networks",
        "mlp",
        "--out",
        path(&dir.join("n")),
    ]);
    assert!(err.contains("--networks applies"), "{err}");
    let err = error_line(&[
        "train",
        "sgan",
        "--data",
        path(&train),
        "--networks",
        "resnet",
        "--out",
        path(&dir.join("r")),
    ]);
    assert!(
        err.contains("--networks") && err.contains("use dcgan or mlp"),
        "{err}"
    );
}

/// A run driven by settings: `--set` reaches any field of the model's and the training's
/// configuration, `--config` starts a new run from another run's `config.json`, `--resume`
/// refuses changed settings, and a setting a model lacks gets one line naming who has it.
#[test]
fn set_and_config_drive_a_run_and_resume_refuses_changed_settings() {
    let dir = scratch("settings");
    let config = |run: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap()
    };
    let first = dir.join("first");
    let out = burn_gan(&[
        "train",
        "gan",
        "--steps",
        "4",
        "--log-every",
        "2",
        "--set",
        "training.batch_size=32",
        "--set",
        "spectral_norm=on",
        "--set",
        "training.optimizers.generator.lr=0.002",
        "--real-target",
        "0.9",
        "--out",
        path(&first),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = config(&first);
    assert_eq!(c["training"]["batch_size"], 32);
    assert_eq!(c["training"]["optimizers"]["generator"]["lr"], 0.002);
    assert_eq!(c["model"]["config"]["spectral_norm"], true);
    // The file lists the configuration's fields in its order and an f32 as written.
    let text = std::fs::read_to_string(first.join("config.json")).unwrap();
    assert!(text.contains("\"real_target\": 0.9,"), "{text}");
    assert!(text.find("latent_dim") < text.find("d_hidden"), "{text}");

    // A new run from the first one's file: its settings, with the flags given on top.
    let second = dir.join("second");
    let file = first.join("config.json");
    let out = burn_gan(&[
        "train",
        "--config",
        path(&file),
        "--steps",
        "6",
        "--seed",
        "3",
        "--out",
        path(&second),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = config(&second);
    assert_eq!(d["model"], c["model"]);
    assert_eq!(d["training"]["batch_size"], 32);
    assert_eq!(
        (
            d["training"]["steps"].clone(),
            d["training"]["seed"].clone()
        ),
        (6.into(), 3.into())
    );
    assert!(second.join("checkpoint").is_dir());

    let cases: &[(&[&str], &[&str])] = &[
        (
            &["train", "--resume", "--batch", "3"],
            &["--batch", "--resume", "--config"],
        ),
        (
            &["train", "gan", "--set", "foo=1"],
            &["`foo`", "spectral_norm", "training."],
        ),
        (
            &["train", "gan", "--set", "training.batch_size=many"],
            &["training.batch_size"],
        ),
        (&["train", "gan", "--set", "loss"], &["KEY=VALUE"]),
        (
            &["train", "gan", "--set", "loss=l1"],
            &["`loss`", "wasserstein"],
        ),
        (
            &["train", "gan", "--r1", "1"],
            &["--r1 applies to", "DCGAN family", "not available for `gan`"],
        ),
        (&["train", "dcgan", "--config"], &["holds a `gan` model"]),
        (
            &["train", "gan", "--set", "real_target=2"],
            &["real_target 2", "(0, 1]"],
        ),
        (
            &["train", "gan", "--set", "data_shape=[1,28,28]"],
            &["built for samples of shape [1, 28, 28]", "ring8"],
        ),
        (&["train", "--config"], &["nothing.json"]),
    ];
    for (k, (args, needles)) in cases.iter().enumerate() {
        let mut args = args.to_vec();
        let missing = dir.join("nothing.json");
        if args.last() == Some(&"--config") {
            args.push(if args.len() == 3 {
                path(&file)
            } else {
                path(&missing)
            });
        }
        let out_dir = dir.join(format!("bad-{k}"));
        args.extend([
            "--out",
            if k == 0 {
                path(&second)
            } else {
                path(&out_dir)
            },
        ]);
        let err = error_line(&args);
        for needle in *needles {
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }

    // A bad value inside a file is blamed on the file, not on the flag of the same name.
    let mut broken = c.clone();
    broken["training"]["batch_size"] = 0.into();
    let bad = dir.join("bad-config.json");
    std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
    let err = error_line(&[
        "train",
        "--config",
        path(&bad),
        "--out",
        path(&dir.join("b")),
    ]);
    assert!(
        err.contains("bad-config.json") && err.contains("correct the file"),
        "{err}"
    );
    std::fs::write(
        second.join("config.json"),
        serde_json::to_string(&broken).unwrap(),
    )
    .unwrap();
    let err = error_line(&["train", "--resume", "--out", path(&second), "--steps", "9"]);
    assert!(
        err.contains("config.json") && err.contains("batch"),
        "{err}"
    );
}

/// Checkpoints more often than log lines work; a run folder is held by one `train` at a time,
/// and a killed holder leaves no stale lock; a closed stdout does not stop training.
#[test]
fn a_run_folder_is_held_by_one_train_and_a_closed_stdout_does_not_stop_it() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = scratch("hold");
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_burn-gan"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the burn-gan binary runs")
    };
    let first_line = |child: &mut std::process::Child| {
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        (line, out)
    };

    // A checkpoint every 10 steps, a log line every 20.
    let frequent = dir.join("frequent");
    let out = burn_gan(&[
        "train",
        "gan",
        "--steps",
        "30",
        "--checkpoint-every",
        "10",
        "--log-every",
        "20",
        "--out",
        path(&frequent),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(frequent.join("checkpoint/model-30.mpk").is_file());
    // Each plain progress line counts generator steps and shows the values of the
    // metrics.jsonl row of its step (the interval means, not the last batch's).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let progress: Vec<&str> = stdout.lines().filter(|l| l.starts_with("step ")).collect();
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(frequent.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(progress.len(), rows.len(), "{stdout}");
    for (line, row) in progress.iter().zip(&rows) {
        let step = row["step"].as_u64().unwrap();
        assert!(line.starts_with(&format!("step {step}/30 (")), "{line}");
        assert!(
            line.contains("steps/s") && line.contains(" left |"),
            "{line}"
        );
        for key in ["loss_d", "loss_g", "d_real", "d_fake"] {
            let v = row[key].as_f64().unwrap();
            assert!(
                line.contains(&format!("{key} {v:.4}")),
                "{key} {v} in {line}"
            );
        }
    }

    // While one `train` runs in a folder, a second is refused; once the first is killed, the
    // folder is free again.
    let held = dir.join("held");
    let mut first = spawn(&[
        "train",
        "gan",
        "--steps",
        "1000000",
        "--checkpoint-every",
        "1000000",
        "--out",
        path(&held),
    ]);
    let (line, _out) = first_line(&mut first);
    assert!(line.starts_with("training gan"), "{line}");
    let err = error_line(&["train", "gan", "--steps", "2", "--out", path(&held)]);
    assert!(err.contains("in use by another"), "{err}");
    first.kill().unwrap();
    first.wait().unwrap();
    let out = burn_gan(&["train", "gan", "--steps", "2", "--out", path(&held)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `train ... | head -1`: the reader goes away after one line; training goes on to the end.
    let piped = dir.join("piped");
    let mut child = spawn(&[
        "train",
        "gan",
        "--steps",
        "60",
        "--log-every",
        "1",
        "--out",
        path(&piped),
    ]);
    let (line, out) = first_line(&mut child);
    assert!(line.starts_with("training gan"), "{line}");
    drop(out);
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    let metrics = std::fs::read_to_string(piped.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 60);

    // Checkpoints without their config.json: no loop between "pass --resume" and "is this a
    // run folder?".
    std::fs::remove_file(piped.join("config.json")).unwrap();
    let err = error_line(&["train", "gan", "--out", path(&piped)]);
    assert!(
        err.contains("no config.json") && !err.contains("pass --resume"),
        "{err}"
    );

    let file = dir.join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let err = error_line(&["train", "gan", "--out", path(&file)]);
    assert!(err.contains("a file, not a run folder"), "{err}");
}

/// Ctrl-C (SIGINT) during training: training stops after the step under way with a checkpoint
/// there, exits 130 with one line naming the step and the command that continues the run, and
/// the resumed run ends exactly as an uninterrupted one (same samples, same last log line).
#[cfg(unix)]
#[test]
fn ctrl_c_checkpoints_where_it_stops_and_the_run_resumes_exactly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = scratch("sigint");
    let run = dir.join("run");
    let flags = [
        "--checkpoint-every",
        "20",
        "--log-every",
        "10",
        "--lr-decay",
        "constant",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_burn-gan"))
        .args(["train", "gan", "--steps", "1000000", "--out", path(&run)])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // Step 50 is logged after the checkpoints of steps 20 and 40.
    while !line.starts_with("step 50/") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "training ended early"
        );
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr).to_string();
    assert_eq!(done.status.code(), Some(130), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("Ctrl-C: stopping after this step"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("stopped by Ctrl-C at step")
            && lines[1].contains("keeps a checkpoint of that step")
            && lines[1].contains("--resume"),
        "{stderr}"
    );
    let step: usize = lines[1]
        .split("at step ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step in {stderr}"));
    assert!(step >= 50, "{stderr}");
    // Resume to a few intervals past the stop, and train the same run in one go.
    let end = (step / 10 + 4) * 10;
    let end_arg = end.to_string();
    let out = burn_gan(&[
        "train",
        "--resume",
        "--out",
        path(&run),
        "--steps",
        &end_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = dir.join("whole");
    let mut args = vec!["train", "gan", "--steps", &end_arg, "--out", path(&whole)];
    args.extend_from_slice(&flags);
    let out = burn_gan(&args);
    assert!(out.status.success());
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert!(
        read(&run.join("scatter.png")) == read(&whole.join("scatter.png")),
        "the resumed run's samples differ from the uninterrupted run's"
    );
    let last = |p: &Path| {
        let text = String::from_utf8(read(&p.join("metrics.jsonl"))).unwrap();
        text.lines().last().unwrap().to_string()
    };
    assert_eq!(last(&run), last(&whole));
}

/// A corrupt newest checkpoint does not block `--resume`: the run continues from the newest set
/// that verifies, with one line naming the file skipped; with none intact, one error line.
#[test]
fn resume_skips_a_corrupt_newest_checkpoint_and_says_so() {
    let dir = scratch("corrupt");
    let run = dir.join("run");
    let train = |steps: &str| {
        burn_gan(&[
            "train",
            "gan",
            "--steps",
            steps,
            "--checkpoint-every",
            "10",
            "--log-every",
            "5",
            "--out",
            path(&run),
        ])
    };
    let out = train("30");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ckpt = |part: &str, n: usize| run.join(format!("checkpoint/{part}-{n}.mpk"));
    std::fs::write(ckpt("optim", 30), b"not an optimizer record").unwrap();
    let bytes = std::fs::read(ckpt("model", 20)).unwrap();
    let out = burn_gan(&["train", "--resume", "--out", path(&run), "--steps", "40"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("optim-30.mpk") && warnings[0].contains("step 20"),
        "{stderr}"
    );
    // Trained on from step 20: the log has steps 5..40 once each.
    let steps: Vec<u64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, (1..=8).map(|i| i * 5).collect::<Vec<_>>());

    // `sample` takes the newest checkpoint whose weights load, too.
    std::fs::write(ckpt("model", 40), &bytes[..bytes.len() / 2]).unwrap();
    let png = dir.join("s.png");
    let out = burn_gan(&[
        "sample",
        "--run",
        path(&run),
        "--n",
        "4",
        "--out",
        path(&png),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("model-40.mpk"),
        "{stderr}"
    );
    assert!(png.is_file());

    // Every set broken: one line naming the newest file.
    for n in [20, 30, 40] {
        let file = ckpt("model", n);
        if file.is_file() {
            std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
    let err = error_line(&["train", "--resume", "--out", path(&run), "--steps", "50"]);
    assert!(
        err.contains("model-40.mpk") && err.contains("corrupt"),
        "{err}"
    );
}

/// The README's first command, twice: without --out, the second run gets a folder of its own.
#[test]
fn runs_without_out_get_numbered_folders() {
    let dir = scratch("numbered");
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_burn-gan"))
            .args(["train", "gan", "--steps", "2", "--batch", "16"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for run in ["runs/gan-ring8", "runs/gan-ring8-2"] {
        assert!(dir.join(run).join("config.json").is_file(), "{run}");
    }
}

/// `vaegan` and `vae` train with their three and two networks, `reconstruct` draws inputs and
/// reconstructions and measures them, `attribute` adds a class vector, `eval --reconstruct`
/// scores reconstructions; a model without an encoder, an unlabelled set for `attribute` and bad
/// settings get one error line each.
#[test]
fn vaegan_and_vae_train_reconstruct_and_refuse_bad_input() {
    let dir = scratch("vaegan");
    let data: Vec<u8> = (0..32 * 28 * 28).map(|i| ((i * 7) % 256) as u8).collect();
    let labels: Vec<u8> = (0..32).map(|i| (i % 4) as u8).collect();
    let images = dir.join("toy-images-idx3-ubyte.gz");
    write_idx(&images, &[32, 28, 28], &data, true);
    write_idx(&dir.join("toy-labels-idx1-ubyte.gz"), &[32], &labels, true);
    let unlabelled = dir.join("plain-images-idx3-ubyte.gz");
    write_idx(&unlabelled, &[32, 28, 28], &data, true);
    let train = |model: &str, extra: &[&str]| {
        let run = dir.join(model);
        let mut args = vec![
            "train",
            model,
            "--data",
            path(&images),
            "--steps",
            "2",
            "--batch",
            "8",
            "--log-every",
            "1",
            "--out",
            path(&run),
        ];
        args.extend_from_slice(extra);
        let out = burn_gan(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
        let last: serde_json::Value =
            serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
        (run.to_str().unwrap().to_string(), last)
    };
    let (vaegan, last) = train("vaegan", &["--set", "feature_layer=1"]);
    for key in [
        "loss_d", "loss_g", "loss_e", "kl", "llike", "mse", "d_recon",
    ] {
        assert!(
            last[key].as_f64().unwrap_or(f64::NAN).is_finite(),
            "{key} in {last}"
        );
    }
    let config = std::fs::read_to_string(Path::new(&vaegan).join("config.json")).unwrap();
    assert!(
        config.contains("\"encoder\"") && config.contains("\"feature_layer\": 1"),
        "{config}"
    );
    let (vae, last) = train("vae", &[]);
    assert!(last.get("loss_d").is_none(), "{last}");
    assert!(last["loss_e"].as_f64().unwrap().is_finite(), "{last}");

    for run in [&vaegan, &vae] {
        let picture = dir.join("recon.png");
        let out = burn_gan(&[
            "reconstruct",
            "--run",
            run,
            "--n",
            "6",
            "--columns",
            "3",
            "--json",
            "--out",
            path(&picture),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["images"], 6);
        for key in [
            "mse",
            "sharpness_inputs",
            "sharpness_reconstructions",
            "sharpness_samples",
        ] {
            assert!(
                report[key]
                    .as_f64()
                    .is_some_and(|v| v.is_finite() && v >= 0.0),
                "{report}"
            );
        }
        // Two rows of 3 inputs, each followed by a row of reconstructions: 4 rows of 28 pixels.
        let img = image::open(&picture).unwrap();
        // (28 pixels and a 2-pixel border per image.)
        assert_eq!(
            ((img.width() - 2) / 30, (img.height() - 2) / 30),
            (3, 4),
            "{}x{}",
            img.width(),
            img.height()
        );
    }
    let out = burn_gan(&[
        "attribute",
        "--run",
        &vaegan,
        "--from",
        "1",
        "--to",
        "2",
        "--n",
        "3",
        "--steps",
        "4",
        "--out",
        path(&dir.join("attr.png")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("attr.png").is_file());
    let fid = eval_json(&[
        "eval",
        "--real",
        path(&images),
        "--fake",
        &vae,
        "--reconstruct",
        "--features",
        "fashion",
        "--metrics",
        "fid",
        "--json",
    ]);
    assert!(fid["fid"].as_f64().is_some_and(f64::is_finite), "{fid}");
    assert!(
        fid["fake"]
            .as_str()
            .unwrap()
            .starts_with("reconstructions of"),
        "{fid}"
    );

    // A model without an encoder.
    let dcgan = dir.join("dcgan");
    let out = burn_gan(&[
        "train",
        "dcgan28",
        "--data",
        path(&images),
        "--steps",
        "1",
        "--batch",
        "8",
        "--out",
        path(&dcgan),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = error_line(&["reconstruct", "--run", path(&dcgan)]);
    assert!(
        err.contains("has no encoder") && err.contains("vaegan"),
        "{err}"
    );
    let err = error_line(&[
        "eval",
        "--real",
        path(&images),
        "--fake",
        path(&dcgan),
        "--reconstruct",
        "--features",
        "fashion",
    ]);
    assert!(err.contains("has no encoder"), "{err}");
    let err = error_line(&[
        "attribute",
        "--run",
        &vaegan,
        "--data",
        path(&unlabelled),
        "--from",
        "0",
        "--to",
        "1",
    ]);
    assert!(err.contains("need labels"), "{err}");
    let err = error_line(&["attribute", "--run", &vaegan, "--from", "0", "--to", "7"]);
    assert!(
        err.contains("--to 7") && err.contains("classes 0 to 3"),
        "{err}"
    );
    for (setting, words) in [
        ("gamma=-1", "gamma -1"),
        ("feature_layer=5", "use 1 to 2"),
        ("adversarial=false", "reconstruction=pixels"),
    ] {
        let err = error_line(&[
            "train",
            "vaegan",
            "--data",
            path(&images),
            "--steps",
            "1",
            "--set",
            setting,
            "--out",
            path(&dir.join("bad")),
        ]);
        assert!(err.contains(words), "{setting}: {err}");
    }
    let err = error_line(&["train", "vaegan", "--data", "ring8", "--steps", "1"]);
    assert!(err.contains("needs image data"), "{err}");
}

/// Image folders with transparency are composited onto `--background` (white by default), which
/// the run remembers; a bad colour gets one error line.
#[test]
fn transparent_images_train_on_the_chosen_background() {
    let dir = scratch("alpha");
    let data = dir.join("emoji");
    std::fs::create_dir_all(&data).unwrap();
    for i in 0..8u8 {
        // A half-transparent disc of one colour on a transparent square whose hidden colour is green.
        let img = image::RgbaImage::from_fn(32, 32, |x, y| {
            let d = (x as i32 - 16).pow(2) + (y as i32 - 16).pow(2);
            match d < 100 {
                true => image::Rgba([200, 10 * i, 30, 255]),
                false => image::Rgba([0, 255, 0, 0]),
            }
        });
        img.save(data.join(format!("{i}.png"))).unwrap();
    }
    let run = dir.join("run");
    let out = burn_gan(&[
        "train",
        "dcgan32",
        "--data",
        path(&data),
        "--steps",
        "1",
        "--batch",
        "4",
        "--background",
        "black",
        "--out",
        path(&run),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    assert!(config.contains("\"background\": \"black\""), "{config}");
    let err = error_line(&[
        "train",
        "--resume",
        "--out",
        path(&run),
        "--steps",
        "2",
        "--background",
        "white",
    ]);
    assert!(err.contains("--background"), "{err}");
    let err = error_line(&[
        "train",
        "dcgan32",
        "--data",
        path(&data),
        "--steps",
        "1",
        "--background",
        "orange",
    ]);
    assert!(
        err.contains("--background `orange`") && err.contains("hex colour"),
        "{err}"
    );
}

/// `eval` has the `--image-size` its error for a folder of mixed sizes advises.
#[test]
fn eval_resizes_a_folder_of_mixed_sizes_with_image_size() {
    let dir = scratch("eval-sizes");
    let folder = dir.join("mixed");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..6u32 {
        let side = 28 + 4 * (i % 2);
        image::GrayImage::from_fn(side, side, |x, y| {
            image::Luma([((x * 9 + y * 5 + i * 40) % 256) as u8])
        })
        .save(folder.join(format!("{i}.png")))
        .unwrap();
    }
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "eval",
            "--real",
            path(&folder),
            "--fake",
            path(&folder),
            "--features",
            "fashion",
            "--metrics",
            "fid",
            "--no-cache",
            "--json",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let bad = args(&[]);
    let err = error_line(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("pass --image-size"), "{err}");
    let good = args(&["--image-size", "28"]);
    let report = eval_json(&good.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(report["n_real"], 6);
    assert!(
        report["fid"].as_f64().is_some_and(|f| f.abs() < 1e-3),
        "{report}"
    );
}

/// `progan` grows on the built-in `shapes` set, logs its stage, and refuses an image size it
/// cannot grow to, a fade-in longer than the run, a batch that is not its schedule's and a
/// resolution's batch larger than the loader's.
#[test]
fn progan_trains_on_shapes_and_refuses_bad_schedules() {
    let dir = scratch("progan");
    let run = dir.join("run");
    let tiny = [
        "--set",
        "channels_base=16",
        "--set",
        "max_channels=8",
        "--set",
        "latent_dim=8",
        "--set",
        "fade_images=8",
        "--set",
        "stable_images=4",
        "--set",
        "batch_size=4",
        "--batch",
        "4",
    ];
    let mut args = vec![
        "train",
        "progan",
        "--data",
        "shapes",
        "--steps",
        "4",
        "--log-every",
        "1",
        "--sample-every",
        "1",
        "--out",
        path(&run),
    ];
    args.extend_from_slice(&tiny);
    let out = burn_gan(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("shapes:") && stdout.contains("modes"),
        "{stdout}"
    );
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let levels: Vec<f64> = metrics
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["level"].as_f64())
        .collect();
    // 4 images per step: step 0 at 4x4, steps 1-2 fading in 8x8, step 3 at 8x8.
    assert_eq!(levels, [0.0, 1.0, 1.0, 1.0], "{metrics}");
    // The grids show the stage the model has reached: 8x8 after steps 1 to 3, and 16x16 (its
    // fade-in starting) after step 4; 64 images, 8 to a row with 2-pixel gaps (not the data's
    // 32x32 layout).
    for (step, side) in [(1, 8), (3, 8), (4, 16)] {
        let grid = image::open(run.join(format!("samples/step-{step:06}.png"))).unwrap();
        assert_eq!(grid.width(), 8 * (side + 2) + 2, "step {step}");
    }
    let out = burn_gan(&[
        "sample",
        "--run",
        path(&run),
        "--n",
        "4",
        "--out",
        path(&dir.join("s.png")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // A checkpoint from before the last stage samples at its own resolution, and says so.
    assert!(stderr.contains("16x16 stage"), "{stderr}");
    let grid = image::open(dir.join("s.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (38, 38));

    let images = dir.join("digits-images-idx3-ubyte.gz");
    write_idx(&images, &[8, 28, 28], &[0u8; 8 * 28 * 28], true);
    let err = error_line(&["train", "progan", "--data", path(&images), "--steps", "1"]);
    assert!(
        err.contains("image_size 28") && err.contains("4 times a power of two"),
        "{err}"
    );
    let err = error_line(&[
        "train",
        "progan",
        "--data",
        "shapes",
        "--steps",
        "10",
        "--set",
        "fade_images=100000",
        "--out",
        path(&dir.join("long")),
    ]);
    assert!(
        err.contains("fade_images 100000 is longer than the run"),
        "{err}"
    );
    let err = error_line(&[
        "train",
        "progan",
        "--data",
        "shapes",
        "--steps",
        "10",
        "--batch",
        "16",
        "--out",
        path(&dir.join("batch")),
    ]);
    assert!(err.contains("--batch 16 --set batch_size=16"), "{err}");
    let err = error_line(&[
        "train",
        "progan",
        "--data",
        "shapes",
        "--set",
        "batch_sizes=[64,128]",
        "--out",
        path(&dir.join("sizes")),
    ]);
    assert!(
        err.contains("batch_sizes entry 128") && err.contains("batch_size (64)"),
        "{err}"
    );
}
