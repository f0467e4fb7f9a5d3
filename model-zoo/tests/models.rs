//! `burn-gan models`: the list of presets, and `models NAME`, a preset's full default
//! configuration in the schema of a run's `config.json`, which `train --config` trains from.

mod common;
use common::{error_line, ok, scratch};

use serde_json::Value;

/// The configuration `models NAME --json ...` prints.
fn config(args: &[&str]) -> Value {
    let mut all = vec!["models"];
    all.extend_from_slice(args);
    all.push("--json");
    let text = ok(&all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{all:?}: {e}\n{text}"))
}

/// `models NAME` prints the model's configuration and its training defaults for the data the
/// model trains on by default, says which data that is and how to print them for other data;
/// `--json` prints the configuration alone.
#[test]
fn models_name_prints_the_default_configuration_for_its_data() {
    let gan = config(&["gan"]);
    assert_eq!(gan["model_name"], "gan");
    assert_eq!(gan["model"]["family"], "gan");
    assert_eq!(gan["data"], "ring8");
    // The toy preset's networks and training defaults (registry.rs's test has the same numbers).
    assert!(gan["model"]["config"]["latent_dim"].is_u64(), "{gan}");
    assert_eq!(gan["training"]["steps"], 3000);
    assert_eq!(gan["training"]["batch_size"], 256);
    assert!(
        gan["training"]["optimizers"]["generator"]["lr"].is_f64(),
        "{gan}"
    );
    assert!(gan["training"]["optimizers"]["discriminator"].is_object());

    // The human form: the model, the data the defaults assume, how to change it; then the same
    // configuration.
    let text = ok(&["models", "gan"]);
    let (head, json) = text
        .split_once("\n\n")
        .expect("a header, a blank line, the JSON");
    assert!(head.starts_with("gan (family gan): original GAN"), "{head}");
    assert!(
        head.contains("defaults for --data ring8 (2-D points)"),
        "{head}"
    );
    assert!(head.contains("burn-gan models gan --data SPEC"), "{head}");
    assert!(head.contains("train --config gan.json"), "{head}");
    assert_eq!(serde_json::from_str::<Value>(json).unwrap(), gan);

    // Conditional models are sized to the classes of their default data, fashion-mnist.
    let cgan = config(&["cgan"]);
    assert_eq!(cgan["data"], "fashion-mnist");
    assert_eq!(cgan["model"]["family"], "conditional");
    let c = &cgan["model"]["config"];
    assert_eq!(
        (
            c["classes"].clone(),
            c["channels"].clone(),
            c["image_size"].clone()
        ),
        (10.into(), 1.into(), 28.into())
    );
    // Progressive growing needs a side of 4 * 2^k: fashion-mnist padded to 32.
    let progan = ok(&["models", "progan"]);
    assert!(
        progan.contains("--data fashion-mnist --image-size 32 (32x32 gray images"),
        "{progan}"
    );
    assert_eq!(config(&["progan"])["image_size"], 32);
    // A preset for one shape says so; dcgan64's shape has no built-in set.
    let fixed = ok(&["models", "dcgan64"]);
    assert!(
        fixed.contains("path/to/images (64x64 RGB images)") && fixed.contains("this shape only"),
        "{fixed}"
    );
    // --data: the defaults for other data.
    let shapes = config(&["dcgan", "--data", "shapes"]);
    assert_eq!(shapes["data"], "shapes");
    assert_eq!(shapes["data_shape"], serde_json::json!([3, 32, 32]));
    assert_eq!(shapes["model"]["config"]["image_size"], 32);
    assert_eq!(shapes["model"]["config"]["channels"], 3);

    // Without a name, every model, one line each (or one JSON object each).
    let list = ok(&["models"]);
    assert!(
        list.lines().count() >= 19 && list.lines().any(|l| l.starts_with("cgan ")),
        "{list}"
    );
    for line in ok(&["models", "--json"]).lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        assert!(
            row["name"].is_string() && row["family"].is_string(),
            "{row}"
        );
    }

    let err = error_line(&["models", "stylegan9"]);
    assert!(
        err.contains("unknown model `stylegan9`") && err.contains("dcgan64"),
        "{err}"
    );
    let err = error_line(&["models", "dcgan", "--data", "ring8"]);
    assert!(err.contains("needs image data"), "{err}");
}

/// What `models NAME --json` prints, saved and edited, trains with `train --config`: the run's
/// `config.json` holds the printed configuration with the edits and the flags given.
#[test]
fn a_printed_configuration_trains_with_train_config() {
    let dir = scratch("round-trip");
    for (name, flags, edit) in [
        (
            "gan",
            &["--steps", "3"][..],
            ("spectral_norm", Value::Bool(true)),
        ),
        (
            "dcgan32",
            &["--steps", "2", "--batch", "8"][..],
            ("latent_dim", 32.into()),
        ),
    ] {
        let mut printed = config(&[name]);
        printed["model"]["config"][edit.0] = edit.1.clone();
        printed["training"]["seed"] = 5.into();
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(&printed).unwrap()).unwrap();
        let run = dir.join(name);
        let mut args = vec!["train", "--config", file.to_str().unwrap()];
        args.extend_from_slice(flags);
        args.extend(["--out", run.to_str().unwrap()]);
        ok(&args);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap())
                .unwrap();
        for key in [
            "model_name",
            "model",
            "data",
            "data_shape",
            "data_kind",
            "image_size",
        ] {
            assert_eq!(written[key], printed[key], "{name}: {key}");
        }
        assert_eq!(written["model"]["config"][edit.0], edit.1, "{name}");
        // The training settings are the printed ones but for the flags (and the checkpoint
        // interval, which a run shorter than it shortens to its length).
        let (mut a, mut b) = (written["training"].clone(), printed["training"].clone());
        assert_eq!(a["seed"], 5);
        for key in ["steps", "batch_size", "checkpoint_every"] {
            a.as_object_mut().unwrap().remove(key);
            b.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(a, b, "{name}");
        assert!(run.join("checkpoint").is_dir());
    }
}
