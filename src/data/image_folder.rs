//! A folder of PNG/JPEG images, optionally one sub-folder per class (torchvision's
//! `ImageFolder` layout). Images with an alpha channel are composited onto a background colour
//! (white by default), then converted to gray or RGB, resized so the shorter side fits and
//! centre-cropped to the requested size, and normalised to `[-1, 1]`.

use std::path::{Path, PathBuf};

use image::{imageops::FilterType, DynamicImage};

use super::{normalize_u8, SampleKind, Samples};
use crate::{Error, Result};

/// How to read an image folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageFolderOptions {
    /// `(width, height)` to resize and centre-crop to; `None` requires all images to share a size.
    pub size: Option<(u32, u32)>,
    /// 1 (gray) or 3 (RGB).
    pub channels: usize,
    /// The colour transparent pixels are composited onto (an image with an alpha channel, such
    /// as an emoji, becomes `alpha * colour + (1 - alpha) * background`); white by default.
    pub background: [u8; 3],
}

impl Default for ImageFolderOptions {
    fn default() -> Self {
        Self {
            size: None,
            channels: 3,
            background: WHITE,
        }
    }
}

/// The default background of images with an alpha channel.
pub const WHITE: [u8; 3] = [255, 255, 255];

/// A background colour as written on the command line: `white`, `black`, `gray`, or a hex
/// colour `RRGGBB` (with or without `#`).
pub fn parse_background(s: &str) -> std::result::Result<[u8; 3], String> {
    match s {
        "white" => return Ok(WHITE),
        "black" => return Ok([0, 0, 0]),
        "gray" | "grey" => return Ok([128, 128, 128]),
        _ => {}
    }
    let hex = s.strip_prefix('#').unwrap_or(s);
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    match (hex.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => Ok([r, g, b]),
        _ => Err(format!(
            "background `{s}`: use white, black, gray or a hex colour such as ff8800"
        )),
    }
}

/// `img` with its alpha channel composited onto `background` (unchanged without alpha), so that
/// the colours hidden under transparent pixels never become data.
pub fn composite(img: DynamicImage, background: [u8; 3]) -> DynamicImage {
    if !img.color().has_alpha() {
        return img;
    }
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = image::RgbImage::new(w, h);
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = px.0[3] as u32;
        for c in 0..3 {
            let v = px.0[c] as u32 * a + background[c] as u32 * (255 - a);
            out.0[c] = ((v + 127) / 255) as u8;
        }
    }
    DynamicImage::ImageRgb8(rgb)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// Lists the images of `dir` with their class: images directly in `dir` are unlabelled; images
/// in sub-folders take the sub-folder's index (sorted by name) as their label.
pub fn list(dir: &Path) -> Result<(Vec<(PathBuf, Option<usize>)>, Vec<String>)> {
    let mut files = Vec::new();
    let mut classes = Vec::new();
    for entry in sorted_entries(dir)? {
        if entry.is_dir() {
            let images: Vec<PathBuf> = sorted_entries(&entry)?
                .into_iter()
                .filter(|p| p.is_file() && is_image(p))
                .collect();
            if !images.is_empty() {
                let class = classes.len();
                classes.push(entry.file_name().unwrap().to_string_lossy().into_owned());
                files.extend(images.into_iter().map(|p| (p, Some(class))));
            }
        } else if is_image(&entry) {
            files.push((entry, None));
        }
    }
    Ok((files, classes))
}

fn to_values(img: &DynamicImage, channels: usize, out: &mut Vec<f32>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if channels == 1 {
        out.extend(img.to_luma8().into_raw().into_iter().map(normalize_u8));
    } else {
        let rgb = img.to_rgb8().into_raw();
        // HWC -> CHW
        for c in 0..3 {
            out.extend((0..w * h).map(|i| normalize_u8(rgb[i * 3 + c])));
        }
    }
}

/// The most memory one decoded image may take. A few bytes of header can claim an image of
/// gigabytes; the decoder refuses it before allocating its pixels.
pub const MAX_DECODED_BYTES: u64 = 128 << 20;

/// Decodes the image file `path` (any format the `image` crate reads), refusing one that would
/// take more than [`MAX_DECODED_BYTES`]; errors name the file.
pub fn decode(path: &Path) -> Result<DynamicImage> {
    let cannot =
        |e: &dyn std::fmt::Display| Error::format(path, format!("cannot decode the image ({e})"));
    let mut reader = image::ImageReader::open(path).map_err(|e| cannot(&e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            let size = image::image_dimensions(path)
                .map(|(w, h)| format!("{w}x{h}"))
                .unwrap_or_else(|_| "too large".into());
            Error::format(
                path,
                format!(
                    "the image is {size}, more than the {} MiB burn-gan decodes at once; downscale it",
                    MAX_DECODED_BYTES >> 20
                ),
            )
        }
        e => cannot(&e),
    })
}

/// `img` resized so that it covers `w`x`h` and centre-cropped to it.
fn fill(img: DynamicImage, w: u32, h: u32) -> DynamicImage {
    let (iw, ih) = (img.width() as u64, img.height() as u64);
    let (tw, th) = (w as u64, h as u64);
    // `resize_to_fill` first resizes the whole image; for an extreme aspect ratio (1x65000 to
    // 64x64) that intermediate image is gigabytes. Then crop to the target's aspect first.
    let scale = f64::max(tw as f64 / iw as f64, th as f64 / ih as f64);
    let intermediate = (iw as f64 * scale).ceil() * (ih as f64 * scale).ceil();
    if intermediate <= 4.0 * (iw * ih).max(tw * th) as f64 {
        return img.resize_to_fill(w, h, FilterType::Triangle);
    }
    let (cw, ch) = match iw * th > ih * tw {
        true => ((ih * tw / th).max(1), ih),
        false => (iw, (iw * th / tw).max(1)),
    };
    img.crop_imm(
        ((iw - cw) / 2) as u32,
        ((ih - ch) / 2) as u32,
        cw as u32,
        ch as u32,
    )
    .resize_exact(w, h, FilterType::Triangle)
}

/// Loads every image of `dir` (see [`list`]).
pub fn load(dir: &Path, options: &ImageFolderOptions) -> Result<Samples> {
    assert!(
        options.channels == 1 || options.channels == 3,
        "An image folder is read with 1 or 3 channels, got {}.",
        options.channels
    );
    let (files, classes) = list(dir)?;
    if files.is_empty() {
        return Err(Error::format(
            dir,
            "no PNG or JPEG images in this folder or its sub-folders; point --data at a folder of images",
        ));
    }
    let labelled = files.iter().all(|(_, c)| c.is_some());
    let mut values = Vec::new();
    let mut shape = None;
    let mut first: Option<(PathBuf, (u32, u32))> = None;
    for (path, _) in &files {
        let img = decode(path)?;
        // Composited before resizing: the filter must not blend the hidden colours in.
        let img = composite(img, options.background);
        let img = match options.size {
            Some((w, h)) => fill(img, w, h),
            None => {
                let dims = (img.width(), img.height());
                // At its own size an image becomes `channels` f32 values per pixel: a header that
                // passed the decoder's limit (1 byte per gray pixel) must not make 4 or 12 times
                // as much training data.
                let bytes = dims.0 as u64 * dims.1 as u64 * options.channels as u64 * 4;
                if bytes > MAX_DECODED_BYTES {
                    return Err(Error::format(
                        path,
                        format!(
                            "the image is {}x{}: at its own size that is {} MiB of training data, more than the {} MiB burn-gan reads per image; pass --image-size to resize it",
                            dims.0,
                            dims.1,
                            bytes >> 20,
                            MAX_DECODED_BYTES >> 20
                        ),
                    ));
                }
                match &first {
                    None => first = Some((path.clone(), dims)),
                    Some((p0, d0)) if *d0 != dims => {
                        return Err(Error::format(
                            path,
                            format!(
                                "image is {}x{} but {} is {}x{}; pass --image-size to resize all images to one size",
                                dims.0,
                                dims.1,
                                p0.display(),
                                d0.0,
                                d0.1
                            ),
                        ))
                    }
                    Some(_) => {}
                }
                img
            }
        };
        shape = Some([
            options.channels,
            img.height() as usize,
            img.width() as usize,
        ]);
        to_values(&img, options.channels, &mut values);
    }
    Ok(Samples {
        values,
        shape: shape.expect("at least one image"),
        labels: labelled.then(|| files.iter().map(|(_, c)| c.unwrap()).collect()),
        num_classes: labelled.then_some(classes.len()),
        kind: SampleKind::Image,
        source: dir.display().to_string(),
        paired: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("burn-gan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_png(path: &Path, w: u32, h: u32, value: u8) {
        image::GrayImage::from_pixel(w, h, image::Luma([value]))
            .save(path)
            .unwrap();
    }

    #[test]
    fn class_sub_folders_become_labels() {
        let dir = scratch("classes");
        for (class, v) in [("cats", 0u8), ("dogs", 255u8)] {
            std::fs::create_dir_all(dir.join(class)).unwrap();
            write_png(&dir.join(class).join("a.png"), 4, 4, v);
        }
        let s = load(
            &dir,
            &ImageFolderOptions {
                size: None,
                channels: 1,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((s.len(), s.shape), (2, [1, 4, 4]));
        assert_eq!(s.labels, Some(vec![0, 1]));
        assert_eq!((s.sample(0)[0], s.sample(1)[0]), (-1.0, 1.0));
    }

    #[test]
    fn resize_and_crop_give_the_requested_size_in_rgb() {
        let dir = scratch("resize");
        write_png(&dir.join("wide.png"), 12, 6, 128);
        let s = load(
            &dir,
            &ImageFolderOptions {
                size: Some((4, 4)),
                channels: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((s.shape, s.labels), ([3, 4, 4], None));
    }

    #[test]
    fn an_extreme_aspect_ratio_is_cropped_before_it_is_resized() {
        // Resized whole to cover 64x64, this 1x60000 column would be 64x3840000 pixels.
        let dir = scratch("column");
        write_png(&dir.join("column.png"), 1, 60_000, 200);
        let s = load(
            &dir,
            &ImageFolderOptions {
                size: Some((64, 64)),
                channels: 1,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.shape, [1, 64, 64]);
        let v = ((s.values[0] + 1.0) * 127.5).round();
        assert!(
            s.values.iter().all(|&x| x == s.values[0]) && v == 200.0,
            "{v}"
        );
    }

    #[test]
    fn mixed_sizes_without_a_size_name_both_files() {
        let dir = scratch("mixed");
        write_png(&dir.join("a.png"), 4, 4, 0);
        write_png(&dir.join("b.png"), 5, 4, 0);
        let err = load(&dir, &ImageFolderOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("b.png") && err.contains("a.png") && err.contains("--image-size"),
            "{err}"
        );
    }

    #[test]
    fn empty_folder_is_an_error() {
        let dir = scratch("empty");
        let err = load(&dir, &ImageFolderOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no PNG or JPEG images"), "{err}");
    }

    #[test]
    fn transparent_pixels_take_the_background_colour_not_their_hidden_one() {
        let dir = scratch("alpha");
        // Left half: opaque red. Right half: fully transparent green (the hidden colour). Middle
        // column: half-transparent blue.
        let img = image::RgbaImage::from_fn(4, 2, |x, _| match x {
            0 => image::Rgba([255, 0, 0, 255]),
            1 => image::Rgba([0, 0, 255, 128]),
            _ => image::Rgba([0, 255, 0, 0]),
        });
        img.save(dir.join("e.png")).unwrap();
        let read = |background| {
            let options = ImageFolderOptions {
                background,
                ..Default::default()
            };
            let s = load(&dir, &options).unwrap();
            let px = |c: usize, x: usize| ((s.values[c * 8 + x] + 1.0) * 127.5).round() as u8;
            [0, 1, 2, 3].map(|x| [px(0, x), px(1, x), px(2, x)])
        };
        let white = read(WHITE);
        assert_eq!(white[0], [255, 0, 0]);
        assert_eq!(white[1], [127, 127, 255]); // 128/255 blue over white
        assert_eq!(white[2], [255, 255, 255]);
        let black = read([0, 0, 0]);
        assert_eq!(black[1], [0, 0, 128]);
        assert_eq!(black[3], [0, 0, 0]);
        assert_eq!(parse_background("#ff8800"), Ok([255, 136, 0]));
        assert_eq!(parse_background("gray"), Ok([128, 128, 128]));
        assert!(parse_background("orange")
            .unwrap_err()
            .contains("hex colour"));
    }
}
