//! `burn-gan restore`: a trained restoration or super-resolution network (restore, restore-l1,
//! srgan, srresnet) applied to the user's own images, of any size. The generator is fully convolutional and keeps the input's size (times the
//! super-resolution factor), so no padding is needed; large images go through in overlapping
//! tiles whose margins cover the receptive field, which gives the same pixels with less memory.
//!
//! Inpainting inputs mark their holes with transparency: pixels whose alpha is below one half
//! are unknown. Every input is read and checked before any is restored, so a folder with one bad
//! image writes nothing.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use burn_gan::data::image_folder::{composite, decode, WHITE};
use burn_gan::restore::{degrade, Image, Task};
use burn_gan::Error;
use burn_gan_backends::Backend;
use burn_gan_zoo::restore::RestoreFamily;
use burn_gan_zoo::srgan::SrganFamily;
use clap::Args;

use super::sample::Generate;
use super::{invalid, read_run_config, with_trained, CliResult, RunConfig};

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// Run folder of a restoration model (`burn-gan train restore --task TASK`, restore-l1, srgan, srresnet).
    #[arg(long)]
    run: PathBuf,
    /// An image (PNG, JPEG, ...) or a folder of them; inpainting marks holes as transparent pixels.
    #[arg(long)]
    input: PathBuf,
    /// Output: a PNG for one image, or a folder that receives NAME.png per input image.
    #[arg(long)]
    out: PathBuf,
    /// Restore in tiles of at most this many input pixels a side (with overlapping margins, so the result is the same as in one piece; smaller tiles take less memory).
    #[arg(long, default_value_t = 256)]
    tile: usize,
    /// The task expected of the run (sr2, sr4, denoise, deblur, inpaint); refused when the run was trained for another.
    #[arg(long)]
    task: Option<String>,
}

/// The image files of a folder (by extension, sorted), or the one file given.
fn inputs(path: &Path) -> CliResult<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(invalid(format!(
            "--input {}: no such file or folder",
            path.display()
        )));
    }
    let image = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .is_some_and(|e| {
                ["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"].contains(&e.as_str())
            })
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && image(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid(format!(
            "--input {}: the folder holds no image files (PNG, JPEG, ...)",
            path.display()
        )));
    }
    Ok(files)
}

// ANCHOR: read_input
/// The network input made from the image file `path` (`[-1, 1]`, `[c', h, w]`), or one line
/// saying why this image cannot be restored by `config`'s network.
fn read_input(path: &Path, config: &Network) -> CliResult<Image> {
    let img = decode(path)?;
    let color = img.color();
    let channels = if color.has_color() { 3 } else { 1 };
    let (w, h) = (img.width() as usize, img.height() as usize);
    let kind = |c: usize| if c == 1 { "gray" } else { "RGB" };
    if channels != config.channels {
        return Err(Error::format(
            path,
            format!(
                "a {} image, but the run restores {} images ({} channel{}); convert it first",
                kind(channels),
                kind(config.channels),
                config.channels,
                if config.channels == 1 { "" } else { "s" }
            ),
        ));
    }
    if config.task == Task::Inpaint && !color.has_alpha() {
        return Err(Error::format(
            path,
            format!(
                "{channels} channel{} without transparency; inpainting needs an alpha channel that marks the holes (transparent pixels are restored)",
                if channels == 1 { "" } else { "s" }
            ),
        ));
    }
    let min = config.min_input_side();
    if w.min(h) < min {
        return Err(Error::format(
            path,
            format!(
                "{w}x{h} is too small for the {} network: its receptive field needs sides of at least {min} pixels",
                config.task
            ),
        ));
    }
    let planes = |img: &image::DynamicImage| -> Vec<f32> {
        let raw = match channels {
            1 => img.to_luma8().into_raw(),
            _ => img.to_rgb8().into_raw(),
        };
        (0..channels)
            .flat_map(|c| {
                raw.iter()
                    .skip(c)
                    .step_by(channels)
                    .map(|&v| v as f32 / 255.0)
            })
            .collect()
    };
    let image = match config.task {
        Task::Inpaint => {
            let alpha = img.to_rgba8().into_raw();
            let mask: Vec<f32> = alpha
                .iter()
                .skip(3)
                .step_by(4)
                .map(|&a| if a >= 128 { 1.0 } else { 0.0 })
                .collect();
            let clean = Image::new(planes(&img), [channels, h, w]);
            degrade::apply_mask(&clean, &Image::new(mask, [1, h, w]))
        }
        _ => Image::new(planes(&composite(img, WHITE)), [channels, h, w]),
    };
    Ok(image)
}
// ANCHOR_END: read_input

/// Writes `values` (`[-1, 1]`, `[c, h, w]`, c = 1 or 3) as a PNG without borders.
fn write_png(values: &[f32], [c, h, w]: [usize; 3], path: &Path) -> CliResult<()> {
    let px = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
    let plane = h * w;
    let result = match c {
        1 => {
            image::GrayImage::from_raw(w as u32, h as u32, values.iter().map(|&v| px(v)).collect())
                .expect("a full image")
                .save(path)
        }
        _ => {
            let rgb = (0..plane)
                .flat_map(|i| (0..3).map(move |ch| px(values[ch * plane + i])))
                .collect();
            image::RgbImage::from_raw(w as u32, h as u32, rgb)
                .expect("a full image")
                .save(path)
        }
    };
    result.map_err(|e| Error::format(path, format!("cannot write the image ({e})")))
}

/// What `restore` needs to know of a restoration or super-resolution network.
struct Network {
    task: Task,
    channels: usize,
    /// The receptive field in output pixels.
    field: usize,
    /// The smallest input side it restores.
    min_side: usize,
}

impl Network {
    fn receptive_field(&self) -> usize {
        self.field
    }

    fn min_input_side(&self) -> usize {
        self.min_side
    }

    /// The network of a restoration or SRGAN run.
    fn of(rc: &RunConfig) -> Option<Self> {
        if let Some(c) = rc.model.config::<RestoreFamily>() {
            return Some(Self {
                task: c.task,
                channels: c.channels,
                field: c.receptive_field(),
                min_side: c.min_input_side(),
            });
        }
        let c = rc.model.config::<SrganFamily>()?;
        Some(Self {
            task: c.task,
            channels: c.channels,
            field: c.receptive_field(),
            // Trained on inputs as small as 4 pixels a side (padded convolutions throughout).
            min_side: 4,
        })
    }
}

pub(crate) fn restore(args: RestoreArgs) -> CliResult<()> {
    let rc = read_run_config(&args.run)?;
    let config = Network::of(&rc).ok_or_else(|| {
        invalid(format!(
            "{} holds a `{}` run, which is not a restoration model; restore needs a run of `burn-gan train restore --task TASK` (or restore-l1, srgan, srresnet)",
            args.run.display(),
            rc.model_name
        ))
    })?;
    if let Some(t) = &args.task {
        let task = Task::from_name(t).map_err(|e| invalid(format!("--task: {}", message(e))))?;
        if task != config.task {
            return Err(invalid(format!(
                "--task {task}: {} was trained for {}, a task the model was not trained for is not restored; train a {task} run",
                args.run.display(),
                config.task
            )));
        }
    }
    let files = inputs(&args.input)?;
    // Every input is checked before anything is written.
    let images = files
        .iter()
        .map(|f| read_input(f, &config))
        .collect::<CliResult<Vec<_>>>()?;
    let folder = args.input.is_dir() || args.out.is_dir();
    let outputs: Vec<PathBuf> = match folder {
        true => files
            .iter()
            .map(|f| {
                let stem = f.file_stem().unwrap_or_default().to_string_lossy();
                args.out.join(format!("{stem}.png"))
            })
            .collect(),
        false => vec![args.out.clone()],
    };
    if folder {
        if args.out.is_file() {
            return Err(invalid(format!(
                "--out {}: a file, but --input is a folder; give a folder for the restored images",
                args.out.display()
            )));
        }
        std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    }
    if args.tile < config.min_input_side() {
        return Err(invalid(format!(
            "--tile {}: tiles need sides of at least {} input pixels (the {} network's receptive field)",
            args.tile,
            config.min_input_side(),
            config.task
        )));
    }
    with_trained(&args.run, false, &mut |model, _| {
        for ((image, out), file) in images.iter().zip(&outputs).zip(&files) {
            let [_, h, w] = image.shape;
            let (values, [oc, oh, ow]) = restore_tiled(model, image, &config, args.tile);
            write_png(&values, [oc, oh, ow], out)?;
            println!(
                "{} ({w}x{h}) -> {} ({ow}x{oh})",
                file.display(),
                out.display()
            );
        }
        Ok(())
    })
}

// ANCHOR: tiles
/// `image` (`[c', h, w]`, `[-1, 1]`) restored in tiles of at most `tile x tile` input pixels,
/// each read with a margin wider than the generator's receptive field (and the bicubic
/// up-sampling's 2 taps), so that every kept output pixel is the one the whole image would give.
/// Returns the values and `[c, h * factor, w * factor]`.
fn restore_tiled(
    model: &dyn Generate,
    image: &Image,
    config: &Network,
    tile: usize,
) -> (Vec<f32>, [usize; 3]) {
    let [ci, h, w] = image.shape;
    let (f, c) = (config.task.factor(), config.channels);
    let margin = (config.receptive_field() / 2).div_ceil(f) + 2;
    let device = burn_gan_backends::device();
    let values = image.to_sample();
    let mut out = vec![0.0f32; c * h * f * w * f];
    let (oh, ow) = (h * f, w * f);
    for y0 in (0..h).step_by(tile) {
        for x0 in (0..w).step_by(tile) {
            let (y1, x1) = ((y0 + tile).min(h), (x0 + tile).min(w));
            let (ry0, rx0) = (y0.saturating_sub(margin), x0.saturating_sub(margin));
            let (ry1, rx1) = ((y1 + margin).min(h), (x1 + margin).min(w));
            let (th, tw) = (ry1 - ry0, rx1 - rx0);
            let mut crop = Vec::with_capacity(ci * th * tw);
            for ch in 0..ci {
                for y in ry0..ry1 {
                    let row = ch * h * w + y * w;
                    crop.extend_from_slice(&values[row + rx0..row + rx1]);
                }
            }
            let x =
                Tensor::<Backend, 4>::from_data(TensorData::new(crop, [1, ci, th, tw]), &device);
            let (restored, _) = model
                .translate(x)
                .expect("a restoration model takes an input image");
            let (rh, rw) = (th * f, tw * f);
            for ch in 0..c {
                for y in y0 * f..y1 * f {
                    let src = ch * rh * rw + (y - ry0 * f) * rw;
                    let dst = ch * oh * ow + y * ow;
                    out[dst + x0 * f..dst + x1 * f]
                        .copy_from_slice(&restored[src + (x0 - rx0) * f..src + (x1 - rx0) * f]);
                }
            }
        }
    }
    (out, [c, oh, ow])
}
// ANCHOR_END: tiles

fn message(e: Error) -> String {
    match e {
        Error::Invalid(m) => m,
        e => e.to_string(),
    }
}
