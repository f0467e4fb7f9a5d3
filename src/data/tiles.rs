//! Crops of larger images: the photographs of a folder cut into non-overlapping square tiles, so
//! that restoration is trained and measured at the images' own resolution rather than on resized
//! copies.
//!
//! `--data tiles:DIR` is the training split: tiles of the model's image size (`--image-size`,
//! [`DEFAULT_SIDE`] when the model has none) from everywhere but the held-out region of each
//! photograph. `--data tiles:DIR:test` is the held-out split: the first [`HELD_OUT_PER_IMAGE`]
//! tiles of [`HELD_OUT_SIDE`] pixels of each photograph in raster order. Training tiles never
//! overlap a held-out tile, so no held-out pixel is ever trained on.

use std::path::{Path, PathBuf};

use super::image_folder::{composite, decode, list, WHITE};
use super::{normalize_u8, SampleKind, Samples};
use crate::{Error, Result};

/// The side of a held-out tile.
pub const HELD_OUT_SIDE: usize = 128;
/// Held-out tiles per photograph, at most.
pub const HELD_OUT_PER_IMAGE: usize = 4;
/// The side of a training tile when neither `--image-size` nor the model names one.
pub const DEFAULT_SIDE: usize = 32;

/// Which tiles of a folder of photographs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileSplit {
    /// Everything outside the held-out tiles, cut at the requested side.
    Train,
    /// The held-out tiles.
    Test,
}

/// `tiles:DIR`, `tiles:DIR:train` or `tiles:DIR:test`; `None` when `spec` is not a tiles spec.
pub fn parse(spec: &str) -> Option<(PathBuf, TileSplit)> {
    let rest = spec.strip_prefix("tiles:")?;
    Some(match rest.rsplit_once(':') {
        Some((dir, "test")) => (PathBuf::from(dir), TileSplit::Test),
        Some((dir, "train")) => (PathBuf::from(dir), TileSplit::Train),
        _ => (PathBuf::from(rest), TileSplit::Train),
    })
}

// ANCHOR: split
/// The tiles of `split` of the photographs in `dir`, read as `channels` (1: gray, 3: RGB;
/// transparent pixels on white); `side` is the training tiles' (held-out tiles are always
/// [`HELD_OUT_SIDE`]). Labels are the index of the photograph a tile came from.
pub fn load(dir: &Path, split: TileSplit, side: usize, channels: usize) -> Result<Samples> {
    match split {
        TileSplit::Test => photo_tiles(dir, HELD_OUT_SIDE, channels, HELD_OUT_PER_IMAGE),
        TileSplit::Train => {
            if side == 0 {
                return Err(Error::Invalid(
                    "tiles of side 0: give a positive side".into(),
                ));
            }
            let mut samples = cut(dir, side, channels, |w, h| {
                let held = held_out_origins(w, h);
                grid(w, h, side, usize::MAX)
                    .into_iter()
                    .filter(|&(x, y)| {
                        held.iter().all(|&(hx, hy)| {
                            x + side <= hx
                                || hx + HELD_OUT_SIDE <= x
                                || y + side <= hy
                                || hy + HELD_OUT_SIDE <= y
                        })
                    })
                    .collect()
            })?;
            samples.source = format!(
                "{} ({side}x{side} training tiles, outside the held-out {HELD_OUT_SIDE}x{HELD_OUT_SIDE} ones)",
                dir.display()
            );
            Ok(samples)
        }
    }
}
// ANCHOR_END: split

/// The images of `dir` (PNG, JPEG; sub-folders too, see [`list`]) cut into `size x size` tiles in
/// raster order, at most `per_image` from each, each image read as `channels` (1: gray, 3: RGB;
/// transparent pixels on white). Tiles never overlap. Labels are the index of the image a tile
/// came from.
pub fn photo_tiles(dir: &Path, size: usize, channels: usize, per_image: usize) -> Result<Samples> {
    cut(dir, size, channels, |w, h| grid(w, h, size, per_image))
}

/// The top-left corners of the held-out tiles of a `w x h` photograph.
fn held_out_origins(w: usize, h: usize) -> Vec<(usize, usize)> {
    grid(w, h, HELD_OUT_SIDE, HELD_OUT_PER_IMAGE)
}

/// The top-left corners of the first `at_most` tiles of a grid of `size` over `w x h`, in raster
/// order.
fn grid(w: usize, h: usize, size: usize, at_most: usize) -> Vec<(usize, usize)> {
    (0..h / size)
        .flat_map(|ty| (0..w / size).map(move |tx| (tx * size, ty * size)))
        .take(at_most)
        .collect()
}

/// Every image of `dir` cut at the corners `origins(width, height)` gives it.
fn cut(
    dir: &Path,
    size: usize,
    channels: usize,
    origins: impl Fn(usize, usize) -> Vec<(usize, usize)>,
) -> Result<Samples> {
    if channels != 1 && channels != 3 {
        return Err(Error::Invalid(format!(
            "photo tiles are read with 1 or 3 channels, not {channels}"
        )));
    }
    let (files, _) = list(dir)?;
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    for (index, (path, _)) in files.iter().enumerate() {
        let img = composite(decode(path)?, WHITE);
        let (w, h) = (img.width() as usize, img.height() as usize);
        let planes: Vec<Vec<u8>> = if channels == 1 {
            vec![img.to_luma8().into_raw()]
        } else {
            let rgb = img.to_rgb8().into_raw();
            (0..3)
                .map(|c| rgb.iter().skip(c).step_by(3).copied().collect())
                .collect()
        };
        for (x0, y0) in origins(w, h) {
            for plane in &planes {
                for y in y0..y0 + size {
                    let row = &plane[y * w + x0..y * w + x0 + size];
                    values.extend(row.iter().map(|&v| normalize_u8(v)));
                }
            }
            labels.push(index);
        }
    }
    if labels.is_empty() {
        return Err(Error::format(
            dir,
            format!("no image here is at least {size}x{size}; use smaller tiles"),
        ));
    }
    Ok(Samples {
        values,
        shape: [channels, size, size],
        labels: Some(labels),
        num_classes: Some(files.len()),
        kind: SampleKind::Image,
        source: format!("{} ({size}x{size} tiles)", dir.display()),
        paired: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_the_folder_and_the_split() {
        assert_eq!(parse("photos"), None);
        assert_eq!(
            parse("tiles:a/photos"),
            Some((PathBuf::from("a/photos"), TileSplit::Train))
        );
        assert_eq!(
            parse("tiles:a/photos:test"),
            Some((PathBuf::from("a/photos"), TileSplit::Test))
        );
        assert_eq!(
            parse("tiles:photos:train"),
            Some((PathBuf::from("photos"), TileSplit::Train))
        );
    }

    #[test]
    fn training_tiles_never_overlap_the_held_out_ones() {
        // 451x300 (chelsea): held out are (0,0), (128,0), (256,0) and (0,128).
        let held = held_out_origins(451, 300);
        assert_eq!(held, vec![(0, 0), (128, 0), (256, 0), (0, 128)]);
        let dir = std::env::temp_dir().join(format!("burn-gan-tiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Each pixel's value encodes whether it lies in a held-out tile.
        let img = image::GrayImage::from_fn(451, 300, |x, y| {
            let inside = held.iter().any(|&(hx, hy)| {
                (hx..hx + HELD_OUT_SIDE).contains(&(x as usize))
                    && (hy..hy + HELD_OUT_SIDE).contains(&(y as usize))
            });
            image::Luma([if inside { 255 } else { 0 }])
        });
        img.save(dir.join("a.png")).unwrap();
        let train = load(&dir, TileSplit::Train, 32, 1).unwrap();
        let test = load(&dir, TileSplit::Test, 32, 1).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(test.shape, [1, 128, 128]);
        assert_eq!(test.len(), 4);
        assert!(test.values.iter().all(|&v| v == 1.0));
        assert_eq!(train.shape, [1, 32, 32]);
        // 14x9 tiles of 32 in all, minus those inside the held-out ones: rows 0-3 lose 12
        // columns (x < 384), rows 4-7 lose 4 (x < 128).
        assert_eq!(train.len(), 14 * 9 - 4 * 12 - 4 * 4);
        assert!(train.values.iter().all(|&v| v == -1.0));
    }
}
