//! Datasets: IDX (MNIST-format) files, image folders, built-in 2-D toy distributions and the
//! built-in procedural RGB set `shapes`.
//!
//! Every source becomes a [`Samples`]: a dense `[n, c, h, w]` array of `f32` held in memory,
//! with optional class labels. Images are normalised to `[-1, 1]` (the range of a `tanh`
//! generator); toy points keep their coordinates and have shape `[2, 1, 1]`.
//!
//! [`DataSpec::parse`] turns what a user types after `--data` into a source, and
//! [`DataSpec::load`] reads it. Named sets (`mnist`, `fashion-mnist`, `kmnist`) are found in a
//! cache folder that `burn-gan data get` fills ([`named`]).

pub mod idx;
pub mod image_folder;
pub mod named;
pub mod shapes;
pub mod tiles;
pub mod toy;

use std::path::{Path, PathBuf};

use crate::{Error, Result};
pub use image_folder::{parse_background, ImageFolderOptions};
pub use toy::Toy;

/// What kind of values a [`Samples`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SampleKind {
    /// Images in `[-1, 1]`, `[c, h, w]`.
    Image,
    /// 2-D points, stored as `[2, 1, 1]`.
    Points,
}

/// An in-memory dataset of equally shaped samples, with optional labels.
#[derive(Clone, Debug)]
pub struct Samples {
    /// Values, `[n, c, h, w]` in row-major order.
    pub values: Vec<f32>,
    /// The shape of one sample, `[c, h, w]`.
    pub shape: [usize; 3],
    /// One class index per sample, when the source has labels.
    pub labels: Option<Vec<usize>>,
    /// The number of classes, when the source has labels.
    pub num_classes: Option<usize>,
    /// Images or points.
    pub kind: SampleKind,
    /// Where the samples came from, for logs and reports.
    pub source: String,
    /// The paired input of each sample (as many, same order; their own shape): the degraded or
    /// source images of an image-to-image task whose targets are these samples.
    pub paired: Option<Box<Samples>>,
}

impl Samples {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.values.len() / self.sample_len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of values in one sample (`c * h * w`).
    pub fn sample_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The values of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        let n = self.sample_len();
        &self.values[i * n..(i + 1) * n]
    }

    /// The first `n` samples (all of them when there are fewer).
    pub fn take(&self, n: usize) -> Samples {
        let n = n.min(self.len());
        Samples {
            values: self.values[..n * self.sample_len()].to_vec(),
            labels: self.labels.as_ref().map(|l| l[..n].to_vec()),
            source: format!("{} (first {n})", self.source),
            paired: self.paired.as_ref().map(|p| Box::new(p.take(n))),
            ..self.clone()
        }
    }
}

/// A data source as named on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSpec {
    /// A built-in 2-D distribution.
    Toy(Toy),
    /// The built-in procedural RGB set (see [`shapes`]).
    Shapes,
    /// An IDX images file; labels are read from the file beside it when present.
    Idx(PathBuf),
    /// A folder of images, optionally in one sub-folder per class.
    ImageFolder(PathBuf),
    /// Square tiles cut from the photographs of a folder (`tiles:DIR`, `tiles:DIR:test`; see
    /// [`tiles`]).
    Tiles(PathBuf, tiles::TileSplit),
}

impl DataSpec {
    /// Interprets `--data`: a toy set name (`ring8`, `grid25`), a named set (`fashion-mnist`,
    /// `mnist:test`; see [`named`]), tiles of photographs (`tiles:DIR`, `tiles:DIR:test`; see
    /// [`tiles`]), an IDX images file, a folder holding MNIST-format files (the training split is
    /// used), or an image folder. Names come before paths: a folder called
    /// `mnist` is `./mnist`.
    pub fn parse(spec: &str) -> Result<Self> {
        if let Some(toy) = Toy::from_name(spec) {
            return Ok(Self::Toy(toy));
        }
        if spec == "shapes" {
            return Ok(Self::Shapes);
        }
        if let Some((dir, split)) = tiles::parse(spec) {
            if !dir.is_dir() {
                return Err(Error::Invalid(format!(
                    "--data {spec}: `{}` is not a folder; tiles are cut from a folder of photographs (tiles:DIR, tiles:DIR:test)",
                    dir.display()
                )));
            }
            return Ok(Self::Tiles(dir, split));
        }
        if let Some(named) = named::parse(spec) {
            let (set, split) = named?;
            return set.resolve(split).map(Self::Idx).map_err(|e| {
                if Path::new(spec).exists() {
                    Error::Invalid(format!("{e}; for the folder `{spec}` here, write ./{spec}"))
                } else {
                    e
                }
            });
        }
        let path = Path::new(spec);
        if path.is_file() {
            return Ok(Self::Idx(path.to_path_buf()));
        }
        if path.is_dir() {
            return Ok(match idx::find_images_in(path) {
                Some(file) => Self::Idx(file),
                None => Self::ImageFolder(path.to_path_buf()),
            });
        }
        Err(Error::Invalid(format!(
            "--data `{spec}`: no such file or folder, and not a built-in set; use {}, shapes, {}, tiles:DIR or a path to an IDX file or image folder",
            Toy::NAMES.join(", "),
            named::names().join(", ")
        )))
    }

    /// Reads the source into memory.
    pub fn load(&self, images: &ImageFolderOptions) -> Result<Samples> {
        match self.load_with_optional_labels(images)? {
            (_, Some(e)) => Err(e),
            (samples, None) => Ok(samples),
        }
    }

    /// [`DataSpec::load`] for a model that may not need labels: an IDX labels file that cannot be
    /// read leaves the samples without labels, its error returned beside them.
    pub fn load_with_optional_labels(
        &self,
        images: &ImageFolderOptions,
    ) -> Result<(Samples, Option<Error>)> {
        match self {
            Self::Toy(toy) => Ok((toy.samples(toy::DEFAULT_LEN, 0), None)),
            Self::Shapes => Ok((shapes::samples(shapes::DEFAULT_LEN, 0), None)),
            Self::Idx(path) => {
                let (samples, labels_error) = idx::load_images_with_optional_labels(path)?;
                let samples = match images.size {
                    Some((w, h)) if [h as usize, w as usize] != samples.shape[1..] => {
                        pad(samples, h as usize, w as usize)?
                    }
                    _ => samples,
                };
                Ok((samples, labels_error))
            }
            Self::ImageFolder(path) => Ok((image_folder::load(path, images)?, None)),
            Self::Tiles(dir, split) => {
                let side = images
                    .size
                    .map_or(tiles::DEFAULT_SIDE, |(w, h)| w.max(h) as usize);
                Ok((tiles::load(dir, *split, side, images.channels)?, None))
            }
        }
    }

    /// A short name for reports and `config.json`.
    pub fn describe(&self) -> String {
        match self {
            Self::Toy(toy) => toy.name().to_string(),
            Self::Shapes => "shapes".into(),
            Self::Idx(path) | Self::ImageFolder(path) => path.display().to_string(),
            Self::Tiles(dir, tiles::TileSplit::Train) => format!("tiles:{}", dir.display()),
            Self::Tiles(dir, tiles::TileSplit::Test) => format!("tiles:{}:test", dir.display()),
        }
    }
}

/// IDX images padded with the background value (-1: black) to `h x w`, centred (LeNet-5's
/// 32x32 MNIST; progressive growing needs a side of 4 times a power of two). IDX images are
/// never resized: a smaller target is an error.
fn pad(samples: Samples, h: usize, w: usize) -> Result<Samples> {
    let [c, sh, sw] = samples.shape;
    if h < sh || w < sw {
        return Err(Error::Invalid(format!(
            "--image-size {w}: {} holds {sw}x{sh} images, and IDX images are padded to a larger size, never shrunk; use at least {}",
            samples.source,
            sw.max(sh)
        )));
    }
    let (top, left) = ((h - sh) / 2, (w - sw) / 2);
    let mut values = vec![-1.0f32; samples.len() * c * h * w];
    for (i, image) in samples.values.chunks_exact(c * sh * sw).enumerate() {
        for ch in 0..c {
            for y in 0..sh {
                let from = ch * sh * sw + y * sw;
                let to = i * c * h * w + ch * h * w + (top + y) * w + left;
                values[to..to + sw].copy_from_slice(&image[from..from + sw]);
            }
        }
    }
    Ok(Samples {
        values,
        shape: [c, h, w],
        source: format!("{} (padded to {w}x{h})", samples.source),
        ..samples
    })
}

/// Splits an optional `@start..end` suffix off a data path (`train-images-idx3-ubyte.gz@0..50000`
/// selects the first 50,000 samples). Returns the path part and the range.
pub fn split_range(spec: &str) -> Result<(&str, Option<std::ops::Range<usize>>)> {
    let Some((path, range)) = spec.rsplit_once('@') else {
        return Ok((spec, None));
    };
    let bad = || {
        Error::Invalid(format!("`{spec}`: the part after @ must be a range start..end of sample indices, e.g. @0..50000"))
    };
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    let start = if a.is_empty() {
        0
    } else {
        a.parse().map_err(|_| bad())?
    };
    let end = if b.is_empty() {
        usize::MAX
    } else {
        b.parse().map_err(|_| bad())?
    };
    if start >= end {
        return Err(bad());
    }
    Ok((path, Some(start..end)))
}

impl Samples {
    /// The samples with indices in `range` (its end capped at the length).
    pub fn select(mut self, range: std::ops::Range<usize>) -> Result<Self> {
        let n = self.len();
        if range.start >= n {
            return Err(Error::Invalid(format!(
                "{}: range {}..{} starts past the {n} samples there are",
                self.source,
                range.start,
                if range.end == usize::MAX {
                    String::new()
                } else {
                    range.end.to_string()
                }
            )));
        }
        let end = range.end.min(n);
        let per = self.sample_len();
        self.values = self.values[range.start * per..end * per].to_vec();
        if let Some(labels) = &mut self.labels {
            *labels = labels[range.start..end].to_vec();
        }
        self.source = format!("{}[{}..{end}]", self.source, range.start);
        Ok(self)
    }
}

/// Maps a byte image to `[-1, 1]`: `v / 127.5 - 1`.
pub fn normalize_u8(v: u8) -> f32 {
    v as f32 / 127.5 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toy_names_parse() {
        assert_eq!(DataSpec::parse("ring8").unwrap(), DataSpec::Toy(Toy::Ring8));
        assert_eq!(
            DataSpec::parse("grid25").unwrap(),
            DataSpec::Toy(Toy::Grid25)
        );
        assert_eq!(DataSpec::parse("shapes").unwrap(), DataSpec::Shapes);
    }

    #[test]
    fn idx_images_are_padded_to_a_larger_size_and_never_shrunk() {
        let dir = std::env::temp_dir().join(format!("burn-gan-pad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t-images-idx3-ubyte");
        let array = idx::IdxArray {
            dims: vec![2, 2, 2],
            data: vec![255, 255, 255, 255, 0, 0, 0, 255],
        };
        std::fs::write(&file, idx::encode(&array)).unwrap();
        let spec = DataSpec::Idx(file.clone());
        let options = |s| ImageFolderOptions {
            size: Some((s, s)),
            ..Default::default()
        };
        let s = spec.load(&options(4)).unwrap();
        assert_eq!(s.shape, [1, 4, 4]);
        let first: Vec<f32> = s.sample(0).to_vec();
        #[rustfmt::skip]
        assert_eq!(first, [
            -1.0, -1.0, -1.0, -1.0,
            -1.0, 1.0, 1.0, -1.0,
            -1.0, 1.0, 1.0, -1.0,
            -1.0, -1.0, -1.0, -1.0,
        ]);
        assert_eq!(s.sample(1)[10], 1.0);
        assert_eq!(spec.load(&options(2)).unwrap().shape, [1, 2, 2]);
        let err = spec.load(&options(1)).unwrap_err().to_string();
        assert!(err.contains("never shrunk"), "{err}");
    }

    #[test]
    fn missing_path_names_the_value() {
        let err = DataSpec::parse("/no/such/data").unwrap_err().to_string();
        assert!(
            err.contains("/no/such/data") && err.contains("ring8"),
            "{err}"
        );
    }

    #[test]
    fn normalisation_spans_minus_one_to_one() {
        assert_eq!(normalize_u8(0), -1.0);
        assert_eq!(normalize_u8(255), 1.0);
    }
}
