//! `burn-gan sample --outdir DIR`: many samples as separate files for external tools
//! (clean-fid and torch-fidelity read a folder of PNGs; the `.npz` layout is the one of OpenAI's
//! guided-diffusion evaluation suite, `arr_0` uint8 `[N, H, W, C]` and `arr_1` int64 labels).
//!
//! Samples are generated in chunks of 500 with the noise of `eval --fake RUN` (chunk `k` seeded
//! with `seed + 500 k`), so exporting and evaluating a run see the same images.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn_gan::train::{normal_noise, truncated_normal_noise};
use burn_gan::Error;
use burn_gan_backends::Backend;
use clap::ValueEnum;

use super::sample::Generate;
use super::{cycled_labels, invalid, CliResult};

/// Samples generated per forward pass (and the noise seed stride, shared with `eval`).
pub(crate) const CHUNK: usize = 500;

/// File format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One PNG per sample, `seed<S>-<index>.png`.
    Png,
    /// One `samples-seed<S>.npz`: `arr_0` uint8 [N, H, W, C], `arr_1` int64 labels (conditional models).
    Npz,
}

/// What to generate: `n` samples with noise `seed`, optionally truncated, of one class or of
/// every class in turn.
pub(crate) struct Draw {
    pub n: usize,
    pub seed: u64,
    pub truncation: Option<f32>,
    pub class: Option<usize>,
}

impl Draw {
    /// Calls `sink(start, values, labels)` for each chunk of samples in order; `values` are in
    /// `[-1, 1]`, `labels` the classes of a conditional model.
    pub(crate) fn run(
        &self,
        model: &dyn Generate,
        sink: &mut dyn FnMut(usize, Vec<f32>, Option<Vec<usize>>) -> CliResult<()>,
    ) -> CliResult<()> {
        let device = burn_gan_backends::device();
        for start in (0..self.n).step_by(CHUNK) {
            let count = CHUNK.min(self.n - start);
            let seed = self.seed.wrapping_add(start as u64);
            let z = match self.truncation {
                Some(t) => {
                    truncated_normal_noise::<Backend>(count, model.latent(), seed, t, &device)
                }
                None => normal_noise::<Backend>(count, model.latent(), seed, &device),
            };
            let labels = match self.class {
                Some(k) => Some(vec![k; count]),
                None => cycled_labels(model.class_count(), start, count),
            };
            let values = model.gen(z, labels.as_deref());
            sink(start, values, labels)?;
        }
        Ok(())
    }
}

/// Pixel `v` in `[-1, 1]` as a byte, rounded as every writer and `eval` round.
fn byte(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// `[c, h, w]` planes in `[-1, 1]` to interleaved `[h, w, c]` bytes.
fn interleaved(img: &[f32], [c, h, w]: [usize; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(img.len());
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                out.push(byte(img[ch * h * w + y * w + x]));
            }
        }
    }
    out
}

/// The files an export of `draw` in `format` writes into `dir`.
pub(crate) fn export_path(dir: &Path, format: ExportFormat, seed: u64, index: usize) -> PathBuf {
    match format {
        ExportFormat::Png => dir.join(format!("seed{seed}-{index:06}.png")),
        ExportFormat::Npz => dir.join(format!("samples-seed{seed}.npz")),
    }
}

/// Writes the samples of `draw` into `dir`; refuses before writing anything when files of the
/// same seed are already there. Returns the number of files written.
pub(crate) fn export(
    model: &dyn Generate,
    shape: [usize; 3],
    draw: &Draw,
    dir: &Path,
    format: ExportFormat,
) -> CliResult<usize> {
    let [c, h, w] = shape;
    if c != 1 && c != 3 {
        return Err(invalid(format!(
            "--outdir: the model generates {c}-channel images; PNG and npz export take 1 or 3"
        )));
    }
    let clash = match format {
        ExportFormat::Png => [0, draw.n - 1]
            .into_iter()
            .map(|i| export_path(dir, format, draw.seed, i))
            .find(|p| p.exists()),
        ExportFormat::Npz => Some(export_path(dir, format, draw.seed, 0)).filter(|p| p.exists()),
    };
    if let Some(p) = clash {
        return Err(invalid(format!(
            "{}: already exists; export into an empty --outdir or use another --seed",
            p.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| invalid(format!("{}: {e}", dir.display())))?;
    let per = c * h * w;
    match format {
        ExportFormat::Png => {
            let color = match c {
                1 => image::ExtendedColorType::L8,
                _ => image::ExtendedColorType::Rgb8,
            };
            draw.run(model, &mut |start, values, _| {
                for (i, img) in values.chunks(per).enumerate() {
                    let path = export_path(dir, format, draw.seed, start + i);
                    image::save_buffer(&path, &interleaved(img, shape), w as u32, h as u32, color)
                        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
                }
                Ok(())
            })?;
            Ok(draw.n)
        }
        ExportFormat::Npz => {
            let path = export_path(dir, format, draw.seed, 0);
            let mut tmp = path.clone().into_os_string();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            let written = write_npz(model, shape, draw, &tmp)
                .and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| e.to_string()));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(invalid(format!("{}: {e}", path.display())));
            }
            Ok(1)
        }
    }
}

/// The header of a version 1.0 `.npy` array: magic, header length, and the header dictionary
/// padded with spaces to a multiple of 64 bytes (NumPy's format description, `numpy.lib.format`).
/// Written here rather than by a crate: the header is one formatted line, and the npz crates pull
/// in a second zip implementation or an ndarray version of their own.
pub(crate) fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((dict.len() as u16).to_le_bytes());
    out.extend(dict.as_bytes());
    out
}

/// Streams the samples into a zip of `arr_0.npy` (and `arr_1.npy` for labels), as
/// `numpy.savez` writes (entries stored, not compressed).
fn write_npz(
    model: &dyn Generate,
    [c, h, w]: [usize; 3],
    draw: &Draw,
    path: &Path,
) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(draw.n * c * h * w > u32::MAX as usize / 2);
    zip.start_file("arr_0.npy", options)
        .map_err(|e| e.to_string())?;
    zip.write_all(&npy_header("|u1", &[draw.n, h, w, c]))
        .map_err(|e| e.to_string())?;
    let mut all_labels = Vec::new();
    let per = c * h * w;
    let written = draw.run(model, &mut |_, values, labels| {
        for img in values.chunks(per) {
            zip.write_all(&interleaved(img, [c, h, w]))
                .map_err(|e| invalid(e.to_string()))?;
        }
        all_labels.extend(labels.unwrap_or_default());
        Ok(())
    });
    written.map_err(|e: Error| e.to_string())?;
    if !all_labels.is_empty() {
        zip.start_file("arr_1.npy", options)
            .map_err(|e| e.to_string())?;
        zip.write_all(&npy_header("<i8", &[all_labels.len()]))
            .map_err(|e| e.to_string())?;
        let bytes: Vec<u8> = all_labels
            .iter()
            .flat_map(|&l| (l as i64).to_le_bytes())
            .collect();
        zip.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    let file = zip.finish().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_headers_are_aligned_and_readable() {
        let h = npy_header("|u1", &[3, 28, 28, 1]);
        assert_eq!(h.len() % 64, 0);
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert!(text.contains("'shape': (3, 28, 28, 1)"), "{text}");
        assert!(text.ends_with('\n'));
        let one = npy_header("<i8", &[7]);
        assert!(std::str::from_utf8(&one[10..])
            .unwrap()
            .contains("'shape': (7,)"));
    }

    #[test]
    fn planes_become_interleaved_bytes() {
        // 2x1 RGB: red then blue.
        let img = [1.0, -1.0, -1.0, -1.0, -1.0, 1.0];
        assert_eq!(interleaved(&img, [3, 1, 2]), vec![255, 0, 0, 0, 0, 255]);
        assert_eq!(byte(0.0), 128);
    }
}
