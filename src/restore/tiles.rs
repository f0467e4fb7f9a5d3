//! Crops of larger images: the photographs of a folder cut into non-overlapping square tiles, so
//! that restoration is measured at the images' own resolution rather than on resized copies.

use std::path::Path;

use crate::data::image_folder::{composite, decode, list, WHITE};
use crate::data::{normalize_u8, SampleKind, Samples};
use crate::{Error, Result};

/// The images of `dir` (PNG, JPEG; sub-folders too, see [`list`]) cut into `size x size` tiles in
/// raster order, at most `per_image` from each, each image read as `channels` (1: gray, 3: RGB;
/// transparent pixels on white). Tiles never overlap, so held-out tiles share no pixel with
/// training ones. Labels are the index of the image a tile came from.
pub fn photo_tiles(dir: &Path, size: usize, channels: usize, per_image: usize) -> Result<Samples> {
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
        let mut taken = 0;
        'tiles: for ty in 0..h / size {
            for tx in 0..w / size {
                if taken == per_image {
                    break 'tiles;
                }
                for plane in &planes {
                    for y in ty * size..(ty + 1) * size {
                        let row = &plane[y * w + tx * size..y * w + (tx + 1) * size];
                        values.extend(row.iter().map(|&v| normalize_u8(v)));
                    }
                }
                labels.push(index);
                taken += 1;
            }
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
