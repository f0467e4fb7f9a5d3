//! The readers under test, each as the program calls it, with what it tells the mutator about
//! its format.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use burn::backend::Autodiff;
use burn_gan::data::idx::{self, IdxArray};
use burn_gan::data::image_folder::{self, ImageFolderOptions};
use burn_gan_backends::Backend;
use burn_gan_zoo::gan::GanFamily;
use burn_gan_zoo::run_config::read_run_config;

use crate::harness::{Input, ReadFn};
use crate::mutate::Format;

/// A reader of user files and how to fuzz it.
pub struct Reader {
    /// Its name on the command line and its folder under `tests/fuzz-corpus/`.
    pub name: &'static str,
    /// What it reads, for reports.
    pub what: &'static str,
    /// Reads one input.
    pub read: ReadFn,
    /// What the mutator knows of the format.
    pub format: Format,
    /// How long one input may take before it counts as a hang.
    pub deadline: Duration,
}

/// Every reader, in the order of the book's table.
pub const READERS: [Reader; 6] = [
    Reader {
        name: "idx",
        what: "IDX images and labels, plain and gzip (data::idx)",
        read: read_idx,
        format: Format {
            boundaries: idx_boundaries,
            dictionary: &[&[0, 0, 8, 3], &[0, 0, 8, 1], &[0x1f, 0x8b, 8, 0]],
            fixup: None,
        },
        deadline: Duration::from_secs(5),
    },
    Reader {
        name: "image",
        what: "image folders: PNG and JPEG through the image crate (data::image_folder)",
        read: read_image,
        format: Format {
            boundaries: image_boundaries,
            dictionary: &[b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS", &[0xff, 0xd8], &[0xff, 0xc0], &[0xff, 0xda], &[0xff, 0xd9], &[0xff, 0xc4], &[0xff, 0xdb]],
            fixup: Some(png_crcs),
        },
        deadline: Duration::from_secs(10),
    },
    Reader {
        name: "config",
        what: "a run's config.json (burn_gan_zoo::run_config::read_run_config, then the checks train runs)",
        read: read_config,
        format: JSON,
        deadline: Duration::from_secs(5),
    },
    Reader {
        name: "checkpoint",
        what: "checkpoint sets model/optim/scheduler-N.mpk (train::resumable_checkpoint, train::load_weights)",
        read: read_checkpoint,
        format: Format {
            boundaries: mpk_boundaries,
            dictionary: &[&[0xc0], &[0xc6, 0xff, 0xff, 0xff, 0xff], &[0xdd, 0x7f, 0xff, 0xff, 0xff], &[0xdf, 0, 1, 0, 0], b"\xa5shape", b"\xa5bytes", b"\xa5dtype", b"\xa3F64", b"\xa3F16"],
            fixup: None,
        },
        deadline: Duration::from_secs(20),
    },
    Reader {
        name: "inception",
        what: "the Inception weights file, safetensors (metrics::inception::InceptionV3::load)",
        read: read_inception,
        format: Format {
            boundaries: safetensors_boundaries,
            dictionary: &[b"\"F16\"", b"\"I64\"", b"\"shape\":[4294967295]", b"[0,18446744073709551615]", b"\"data_offsets\"", b"{}", b"\"__metadata__\""],
            fixup: None,
        },
        deadline: Duration::from_secs(10),
    },
    Reader {
        name: "metrics",
        what: "metrics.jsonl as `burn-gan plot` reads and draws it (train::metric_points, metric_names, viz::stacked_plots)",
        read: read_metrics,
        format: JSON,
        deadline: Duration::from_secs(10),
    },
];

const JSON: Format = Format {
    boundaries: json_boundaries,
    dictionary: &[
        b"1e999",
        b"-1e999",
        b"-1",
        b"0",
        b"18446744073709551616",
        b"4294967296",
        b"null",
        b"true",
        b"\"\"",
        b"\"\\u0000\"",
        b"\"\\ud800\"",
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b":",
        b"\n",
        b"NaN",
        b"\"gan\"",
        b"\"dcgan\"",
        b"\"progan\"",
        b"[[[[[[[[[[[[[[[[",
        b"\xff\xfe",
    ],
    fixup: None,
};

/// The reader named `name`.
pub fn reader(name: &str) -> Option<&'static Reader> {
    READERS.iter().find(|r| r.name == name)
}

/// The committed corpus: `tests/fuzz-corpus/` of the workspace.
pub fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-corpus")
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("the scratch folder is writable");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn read_idx(input: &Input) -> Result<(), String> {
    // The in-memory parser on the bytes as they are, then the file readers.
    let _ = idx::parse(input.bytes);
    let gz = input.name.ends_with(".gz");
    // Plain seeds are also written gzipped (variant 1) and gzipped with a flipped bit (2), so
    // that lying headers reach the parser through the gzip path as well.
    let (bytes, suffix) = match (gz, input.variant % 3) {
        (true, _) | (false, 0) => (input.bytes.to_vec(), if gz { ".gz" } else { "" }),
        (false, 1) => (gzip(input.bytes), ".gz"),
        (false, _) => {
            let mut z = gzip(input.bytes);
            let i = (input.variant as usize / 3) % z.len();
            z[i] ^= 1 << (input.variant % 8);
            (z, ".gz")
        }
    };
    let images = input
        .scratch
        .join(format!("train-images-idx3-ubyte{suffix}"));
    let labels = input
        .scratch
        .join(format!("train-labels-idx1-ubyte{suffix}"));
    let (mutated, companion) = match input.name.contains("labels") {
        true => (&labels, &images),
        false => (&images, &labels),
    };
    write(mutated, &bytes);
    // Every seed holds 4 items; the other file of the pair is a valid one of 4.
    let valid = match input.name.contains("labels") {
        true => idx::encode(&IdxArray {
            dims: vec![4, 3, 2],
            data: (0..24).collect(),
        }),
        false => idx::encode(&IdxArray {
            dims: vec![4],
            data: vec![0, 1, 2, 1],
        }),
    };
    if input.variant % 5 != 0 {
        write(
            companion,
            &if suffix.is_empty() {
                valid
            } else {
                gzip(&valid)
            },
        );
    }
    let samples = idx::load_images_with_labels(&images).map_err(err)?;
    // What an accepted file must give: some images, all of the size the header says.
    let [_, h, w] = samples.shape;
    assert!(
        !samples.values.is_empty() && samples.values.len() % (h * w) == 0,
        "an accepted IDX file gave {} values for images of {h}x{w}",
        samples.values.len()
    );
    Ok(())
}

fn valid_png() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| {
        let mut out = std::io::Cursor::new(Vec::new());
        image::GrayImage::from_fn(6, 4, |x, y| image::Luma([(x * 40 + y) as u8]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    })
}

fn read_image(input: &Input) -> Result<(), String> {
    let v = input.variant;
    // One class folder holding the mutated image and, unless the variant says otherwise, a valid
    // one after it (so the size check between images runs too).
    let class = input.scratch.join("class");
    std::fs::create_dir_all(&class).unwrap();
    write(&class.join(input.name), input.bytes);
    if v % 3 != 0 {
        write(&class.join("zz-valid.png"), valid_png());
    }
    let sizes = [
        None,
        Some((1, 1)),
        Some((7, 3)),
        Some((32, 32)),
        Some((64, 64)),
    ];
    let options = ImageFolderOptions {
        size: sizes[(v / 3 % 5) as usize],
        channels: [1, 3][(v / 15 % 2) as usize],
        background: [[255, 255, 255], [0, 0, 0], [200, 10, 90]][(v / 30 % 3) as usize],
    };
    image_folder::list(input.scratch).map_err(err)?;
    let samples = image_folder::load(input.scratch, &options).map_err(err)?;
    let [c, h, w] = samples.shape;
    assert!(
        samples.values.len() % (c * h * w) == 0 && !samples.values.is_empty(),
        "an accepted image folder gave {} values for images of {c}x{h}x{w}",
        samples.values.len()
    );
    Ok(())
}

fn read_config(input: &Input) -> Result<(), String> {
    write(&input.scratch.join("config.json"), input.bytes);
    // A run folder (`--resume`, `sample --run`) or the file itself (`train --config`).
    let rc = match input.variant % 2 {
        0 => read_run_config(input.scratch),
        _ => read_run_config(&input.scratch.join("config.json")),
    }
    .map_err(err)?;
    // What `train` checks next: judged for panics only (their messages are the CLI's to place).
    let _ = rc.training.validate();
    let _ = rc.model.validate(&rc.training);
    let _ = rc.model.default_training(rc.data_kind);
    Ok(())
}

fn read_checkpoint(input: &Input) -> Result<(), String> {
    type B = Backend;
    let corpus = corpus_root().join("checkpoint");
    let rc = read_run_config(&corpus.join("config.json")).expect("the checkpoint corpus's config");
    let config = rc
        .model
        .config::<GanFamily>()
        .expect("the checkpoint corpus is of a gan");
    let dir = burn_gan::train::checkpoint::checkpoint_dir(input.scratch);
    std::fs::create_dir_all(&dir).unwrap();
    for part in ["model", "optim", "scheduler"] {
        let name = format!("{part}-2.mpk");
        let bytes = match input.name == name {
            true => input.bytes.to_vec(),
            false => std::fs::read(corpus.join("seeds").join(&name)).unwrap(),
        };
        write(&dir.join(name), &bytes);
    }
    let device = burn_gan_backends::device();
    // `sample`, `interpolate` and `eval --run` load the weights; `train --resume` checks the set.
    burn_gan::train::load_weights::<B, _>(config.init::<B>(&device), input.scratch, 2, &device)
        .map_err(err)?;
    let model = config.init::<Autodiff<B>>(&device);
    burn_gan::train::resumable_checkpoint::<Autodiff<B>, _>(
        &model,
        &rc.training,
        input.scratch,
        &device,
    )
    .map(drop)
    .map_err(err)
}

fn read_inception(input: &Input) -> Result<(), String> {
    let path = input.scratch.join("inception.safetensors");
    write(&path, input.bytes);
    let device = burn_gan_backends::device();
    burn_gan::metrics::inception::InceptionV3::<Backend>::load(&path, &device)
        .map(drop)
        .map_err(err)
}

fn read_metrics(input: &Input) -> Result<(), String> {
    // As `burn-gan plot` does (model-zoo/src/cli/mod.rs): read, pick the metrics, draw.
    let path = input.scratch.join("metrics.jsonl");
    write(&path, input.bytes);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let names = burn_gan::train::metric_names(&text);
    let picked = match input.variant % 3 {
        0 => vec!["loss_d".to_string(), "loss_g".to_string()],
        1 => names.into_iter().take(3).collect(),
        _ => vec!["fid".to_string()],
    };
    let panels: Vec<burn_gan::viz::Panel> = picked
        .iter()
        .map(|name| burn_gan::viz::training_panel(&[name.as_str()], &[("run", &text)]))
        .filter(|p| !p.series.is_empty())
        .collect();
    if panels.is_empty() {
        return Err(format!("{}: no metric to plot", path.display()));
    }
    burn_gan::viz::stacked_plots(&panels, "step", &input.scratch.join("plot.png")).map_err(err)
}

fn idx_boundaries(b: &[u8]) -> Vec<usize> {
    let ndims = b.get(3).copied().unwrap_or(0).min(8) as usize;
    let mut out: Vec<usize> = (0..=4 + 4 * ndims).step_by(4).collect();
    out.extend([1, 2, 3, 4 + 4 * ndims + 1, b.len().saturating_sub(1)]);
    if b.starts_with(&[0x1f, 0x8b]) {
        out.extend([
            3,
            4,
            8,
            9,
            10,
            b.len().saturating_sub(8),
            b.len().saturating_sub(4),
        ]);
    }
    out
}

fn image_boundaries(b: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    if b.starts_with(b"\x89PNG") {
        // Chunks: length, type, data, CRC; IHDR's width 16, height 20, depth 24, colour 25.
        out.extend([8, 16, 20, 24, 25, 26, 27, 28]);
        let mut at = 8;
        while at + 8 <= b.len() {
            let len = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
            out.extend([at, at + 4, at + 8, at + 8 + len]);
            at = at.saturating_add(12).saturating_add(len);
        }
    } else {
        // JPEG: every marker, its segment length, and a start-of-frame's height and width.
        for i in 0..b.len().saturating_sub(1) {
            if b[i] == 0xff && b[i + 1] != 0 && b[i + 1] != 0xff {
                out.extend([i, i + 2]);
                if matches!(b[i + 1], 0xc0..=0xc2) {
                    out.extend([i + 5, i + 7, i + 9]);
                }
            }
        }
    }
    out
}

/// Recomputes the CRC of every whole chunk of a PNG (anything else is left alone).
fn png_crcs(b: &mut Vec<u8>) {
    if !b.starts_with(b"\x89PNG") {
        return;
    }
    let mut at = 8;
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let Some(end) = (at + 8).checked_add(len).filter(|&e| e + 4 <= b.len()) else {
            return;
        };
        let mut crc = flate2::Crc::new();
        crc.update(&b[at + 4..end]);
        b[end..end + 4].copy_from_slice(&crc.sum().to_be_bytes());
        at = end + 4;
    }
}

fn json_boundaries(b: &[u8]) -> Vec<usize> {
    let mut out = vec![0, b.len()];
    let mut prev = 0u8;
    for (i, &c) in b.iter().enumerate() {
        let digit = c.is_ascii_digit() || c == b'-';
        if matches!(c, b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"' | b'\n')
            || (digit && !prev.is_ascii_digit() && prev != b'.')
        {
            out.push(i);
        }
        prev = c;
    }
    out
}

fn mpk_boundaries(b: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    for (i, &c) in b.iter().enumerate() {
        // Maps, arrays, strings and binaries: where MessagePack keeps its lengths.
        if matches!(c, 0x80..=0x9f | 0xa0..=0xbf | 0xc4..=0xc6 | 0xd9..=0xdf) {
            out.extend([i, i + 1]);
        }
    }
    out
}

fn safetensors_boundaries(b: &[u8]) -> Vec<usize> {
    let mut out = vec![0, 4, 8];
    if b.len() >= 8 {
        let n = u64::from_le_bytes(b[..8].try_into().unwrap()).min(b.len() as u64) as usize;
        out.push(8 + n);
        out.extend(
            json_boundaries(&b[8.min(b.len())..(8 + n).min(b.len())])
                .iter()
                .map(|i| i + 8),
        );
    }
    out
}
