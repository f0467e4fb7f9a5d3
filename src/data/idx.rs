//! Reader for IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.), plain or gzip.
//!
//! An IDX file starts with a 4-byte magic number: two zero bytes, a type code (0x08 = unsigned
//! byte, the only type these datasets use) and the number of dimensions; then one big-endian
//! `u32` per dimension, then the data. Images files have 3 dimensions (`[n, h, w]`, magic
//! 0x00000803) and labels files 1 (`[n]`, magic 0x00000801).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{normalize_u8, SampleKind, Samples};
use crate::{Error, Result};

/// A decoded IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes, gunzipping it when it starts with the gzip magic.
pub fn read(path: &Path) -> Result<IdxArray> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| {
                Error::format(
                    path,
                    format!("corrupt or truncated gzip data ({e}); download the file again"),
                )
            })?;
        out
    } else {
        raw
    };
    parse(&bytes).map_err(|message| Error::format(path, message))
}

/// Parses the bytes of an (uncompressed) IDX file.
pub fn parse(bytes: &[u8]) -> std::result::Result<IdxArray, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "not an IDX file: {} bytes, shorter than the 4-byte header",
            bytes.len()
        ));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 || bytes[3] == 0 {
        return Err(format!(
            "wrong magic number 0x{magic:08x}; an IDX file of unsigned bytes starts with 0x00000801 (labels) or 0x00000803 (images)"
        ));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(format!(
            "truncated header: {ndims} dimensions need {header} bytes"
        ));
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    // Checked: four dimensions of up to 2^32-1 overflow 64 bits, and a product that wraps
    // around could match the length of a short file.
    let Some(expected) = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) else {
        return Err(format!(
            "dimensions {dims:?} describe more bytes than any file holds; the header is corrupt"
        ));
    };
    let got = bytes.len() - header;
    if got != expected {
        return Err(format!(
            "dimensions {dims:?} need {expected} data bytes but the file holds {got}; the file is truncated or not IDX"
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Finds the images file of a folder holding MNIST-format files: the training split when there
/// is one (`train-images-idx3-ubyte[.gz]`), else a lone `*images-idx3-ubyte[.gz]`.
pub fn find_images_in(dir: &Path) -> Option<PathBuf> {
    for name in ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"] {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("images-idx3-ubyte"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// The labels file that goes with an images file: `images` becomes `labels` and `idx3` becomes
/// `idx1` in the file name (`train-images-idx3-ubyte.gz` -> `train-labels-idx1-ubyte.gz`).
pub fn labels_path_for(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    if !name.contains("images") {
        return None;
    }
    let labels = name.replace("images", "labels").replace("idx3", "idx1");
    Some(images.with_file_name(labels))
}

/// Loads an IDX images file as [`Samples`] in `[-1, 1]`, with the labels beside it when they
/// exist.
pub fn load_images_with_labels(path: &Path) -> Result<Samples> {
    match load_images_with_optional_labels(path)? {
        (_, Some(e)) => Err(e),
        (samples, None) => Ok(samples),
    }
}

/// [`load_images_with_labels`] for a model that does not need labels: a labels file beside the
/// images that cannot be read (or does not match them) leaves the samples without labels, and
/// its error is returned beside them for the caller to report or raise.
pub fn load_images_with_optional_labels(path: &Path) -> Result<(Samples, Option<Error>)> {
    let images = read(path)?;
    if images.dims.len() != 3 {
        return Err(Error::format(
            path,
            format!(
                "expected an images file with 3 dimensions [n, h, w], found {:?}; pass the images file, not the labels",
                images.dims
            ),
        ));
    }
    let (n, h, w) = (images.dims[0], images.dims[1], images.dims[2]);
    if n == 0 {
        return Err(Error::format(path, "the file holds no images"));
    }
    if h == 0 || w == 0 {
        return Err(Error::format(
            path,
            format!("the images are {h}x{w} pixels; the header is corrupt"),
        ));
    }
    let read_labels = |lp: &Path| -> Result<Vec<usize>> {
        let labels = read(lp)?;
        if labels.dims != [n] {
            return Err(Error::format(
                lp,
                format!(
                    "expected {n} labels to match {}, found dimensions {:?}",
                    path.display(),
                    labels.dims
                ),
            ));
        }
        Ok(labels.data.iter().map(|&l| l as usize).collect())
    };
    let (labels, labels_error) = match labels_path_for(path).filter(|p| p.is_file()) {
        Some(lp) => match read_labels(&lp) {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let num_classes = labels
        .as_ref()
        .map(|l| l.iter().copied().max().unwrap_or(0) + 1);
    let samples = Samples {
        values: images.data.iter().map(|&v| normalize_u8(v)).collect(),
        shape: [1, h, w],
        labels,
        num_classes,
        kind: SampleKind::Image,
        source: path.display().to_string(),
        paired: None,
    };
    Ok((samples, labels_error))
}

/// Encodes an array as IDX bytes (uncompressed); used by tests and by tools that write data.
pub fn encode(array: &IdxArray) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, array.dims.len() as u8];
    for &d in &array.dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&array.data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize) -> IdxArray {
        IdxArray {
            dims: vec![n, 2, 3],
            data: (0..n * 6).map(|i| (i * 40 % 256) as u8).collect(),
        }
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let a = images(4);
        assert_eq!(parse(&encode(&a)).unwrap(), a);
    }

    #[test]
    fn wrong_magic_is_named() {
        let mut bytes = encode(&images(1));
        bytes[2] = 0x0D;
        let err = parse(&bytes).unwrap_err();
        assert!(err.contains("wrong magic number 0x00000d03"), "{err}");
    }

    #[test]
    fn truncated_data_is_detected() {
        let bytes = encode(&images(3));
        let err = parse(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(
            err.contains("need 18 data bytes but the file holds 17"),
            "{err}"
        );
    }

    #[test]
    fn dimensions_whose_product_overflows_are_refused() {
        // 2^22 * 2^21 * 2^21 = 2^64, which wraps to 0: the length of an empty data section.
        let mut bytes = vec![0, 0, 8, 3];
        for d in [1u32 << 22, 1 << 21, 1 << 21] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        let err = parse(&bytes).unwrap_err();
        assert!(err.contains("more bytes than any file holds"), "{err}");
    }

    #[test]
    fn labels_file_name_follows_the_mnist_convention() {
        let p = labels_path_for(Path::new("/d/train-images-idx3-ubyte.gz")).unwrap();
        assert_eq!(p, Path::new("/d/train-labels-idx1-ubyte.gz"));
    }
}
