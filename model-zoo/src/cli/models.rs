//! `burn-gan models [NAME]`: the presets, or one preset's full default configuration as a run's
//! `config.json` records it (the model, the training defaults, the data), which is the file
//! `train --config` reads. A preset builds its configuration from data (the network is sized to
//! the images, a conditional model to the classes), so the defaults are printed for the data the
//! preset trains on by default, without loading it, or for `--data`.

use burn_gan::data::{SampleKind, Samples, Toy};
use burn_gan::Error;
use burn_gan_zoo::registry::{find_preset, presets, Preset};
use clap::Args;

use super::{invalid, load_data, CliResult, RunConfig};

#[derive(Args)]
pub(crate) struct ModelsArgs {
    /// A model: print its full default configuration (model and training, as config.json records them), which `train --config FILE` reads.
    name: Option<String>,
    /// The data to print the defaults for, as `train --data` takes it (default: the data the model trains on by default, named in the output).
    #[arg(long, requires = "name")]
    data: Option<String>,
    /// As `train --image-size`, with --data.
    #[arg(long, requires = "data")]
    image_size: Option<u32>,
    /// As `train --channels`, with --data.
    #[arg(long, requires = "data")]
    channels: Option<usize>,
    /// Print JSON only: the configuration, ready for `train --config` (or, without NAME, one object per model).
    #[arg(long)]
    json: bool,
}

/// Data a preset's defaults can be printed for without loading it: the `train --data` and
/// `--image-size` that give it, and samples of its shape and classes.
struct Assumed {
    data: &'static str,
    image_size: Option<u32>,
    samples: Samples,
}

/// The `data` of a configuration printed for an image size no built-in set has.
const IMAGE_FOLDER: &str = "path/to/images";

/// `n` blank images of `shape`, labelled with `classes` classes when given: what a preset's
/// builder reads (shape, kind, classes) of a dataset not loaded.
fn blank_images(source: &str, shape: [usize; 3], classes: Option<usize>) -> Samples {
    let n = 20;
    Samples {
        values: vec![0.0; n * shape.iter().product::<usize>()],
        shape,
        labels: classes.map(|k| (0..n).map(|i| i % k).collect()),
        num_classes: classes,
        kind: SampleKind::Image,
        source: source.into(),
        paired: None,
    }
}

/// The data the defaults are printed for, in order of preference: `train`'s default data
/// (ring8), the named set the README trains on (fashion-mnist: 28x28 gray, 10 classes), the
/// same padded to 32x32 (progressive growing needs 4 * 2^k), and the built-in RGB set (shapes).
fn candidates() -> Vec<Assumed> {
    let fashion = |side: usize| blank_images("fashion-mnist", [1, side, side], Some(10));
    vec![
        Assumed {
            data: "ring8",
            image_size: None,
            samples: Toy::Ring8.samples(64, 0),
        },
        Assumed {
            data: "fashion-mnist",
            image_size: None,
            samples: fashion(28),
        },
        Assumed {
            data: "fashion-mnist",
            image_size: Some(32),
            samples: fashion(32),
        },
        Assumed {
            data: "shapes",
            image_size: None,
            samples: burn_gan::data::shapes::samples(20, 0),
        },
    ]
}

/// What the samples are, for the line that names the data the defaults assume.
fn describe(samples: &Samples) -> String {
    let [c, h, w] = samples.shape;
    let mut what = match (samples.kind, c) {
        (SampleKind::Points, _) => "2-D points".to_string(),
        (SampleKind::Image, 1) => format!("{h}x{w} gray images"),
        (SampleKind::Image, 3) => format!("{h}x{w} RGB images"),
        (SampleKind::Image, _) => format!("{c}x{h}x{w} images"),
    };
    // Toy points carry the index of their mode as a label; only image classes matter here.
    if let (SampleKind::Image, Some(_), Some(k)) =
        (samples.kind, &samples.labels, samples.num_classes)
    {
        what.push_str(&format!(", {k} classes"));
    }
    what
}

/// `burn-gan models`: every preset, or the full default configuration of one.
pub(crate) fn models(args: ModelsArgs) -> CliResult<()> {
    let Some(name) = args.name.as_deref() else {
        for (family, p) in presets() {
            match args.json {
                true => println!(
                    "{}",
                    serde_json::json!({"name": p.name, "family": family, "description": p.description})
                ),
                false => println!("{:<16} {}", p.name, p.description),
            }
        }
        return Ok(());
    };
    let preset = find_preset(name).map_err(invalid)?;
    let builds = |a: &Assumed| (preset.build)(&a.samples).is_ok();
    let candidates = candidates();
    // The defaults depend on the data when the preset builds for more than one kind of it.
    let depends = candidates.iter().filter(|a| builds(a)).count() > 1;
    let (data, image_size, samples) = match &args.data {
        Some(spec) => {
            let samples = load_data(spec, args.image_size, args.channels, None, name)?;
            (spec.clone(), args.image_size, samples)
        }
        None => match candidates.into_iter().find(builds) {
            Some(a) => (a.data.to_string(), a.image_size, a.samples),
            // A preset for one image size no built-in set has (dcgan64): an image folder.
            None => {
                let (c, side) = preset.image.unwrap_or((3, 64));
                let samples = blank_images(IMAGE_FOLDER, [c, side, side], None);
                (IMAGE_FOLDER.to_string(), None, samples)
            }
        },
    };
    let model = (preset.build)(&samples).map_err(invalid)?;
    let training = model
        .default_training(samples.kind)
        .map_err(Error::Invalid)?;
    let family = model.family().to_string();
    let config = RunConfig {
        model_name: name.to_string(),
        model,
        training,
        data: data.clone(),
        data_b: None,
        image_size,
        channels: args.channels,
        background: None,
        data_shape: samples.shape,
        data_kind: samples.kind,
        backend: burn_gan_backends::NAME.into(),
        test_data: None,
        parallel: Default::default(),
    };
    let json = serde_json::to_string_pretty(&config).expect("a run configuration serialises");
    if args.json {
        println!("{json}");
        return Ok(());
    }
    print_header(preset, &family, &data, image_size, &samples, depends);
    println!("{json}");
    Ok(())
}

/// The lines before the configuration: the model, the data its defaults assume and how to
/// change it, and how to train from the configuration.
fn print_header(
    preset: &Preset,
    family: &str,
    data: &str,
    image_size: Option<u32>,
    samples: &Samples,
    depends: bool,
) {
    let name = preset.name;
    println!("{name} (family {family}): {}", preset.description);
    let size = image_size
        .map(|s| format!(" --image-size {s}"))
        .unwrap_or_default();
    let mut line = format!("defaults for --data {data}{size} ({})", describe(samples));
    if data == IMAGE_FOLDER {
        line.push_str(
            "; no built-in set has this shape: set `data` to your image folder, or give --data to train",
        );
    }
    match depends {
        true => line.push_str(&format!(
            "; they depend on the data (its kind, image size and classes): `burn-gan models {name} --data SPEC` prints them for other data"
        )),
        false => line.push_str("; the model is built for this shape only"),
    }
    println!("{line}");
    println!(
        "to train from a file: burn-gan models {name} --json > {name}.json, edit it, then burn-gan train --config {name}.json (flags and --set override it)"
    );
    println!();
}
