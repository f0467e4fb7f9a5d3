//! Full-reference image quality: PSNR and SSIM (Wang et al. 2004, "Image Quality Assessment:
//! From Error Visibility to Structural Similarity").
//!
//! SSIM follows scikit-image's `structural_similarity(..., gaussian_weights=True, sigma=1.5,
//! use_sample_covariance=False)`, the setting that reproduces the paper: an 11x11 Gaussian
//! window (σ = 1.5, truncated at 3.5σ), K1 = 0.01, K2 = 0.03, local statistics filtered with
//! reflected borders, the map averaged after cropping 5 pixels from each border, and the mean over
//! channels for colour images.
use crate::{Error, Result};

/// An image as planar channels: `values[c * h * w + y * w + x]`.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a> {
    /// Pixel values.
    pub values: &'a [f64],
    /// Channels.
    pub channels: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
}

fn check(a: &ImageRef, b: &ImageRef) -> Result<()> {
    if (a.channels, a.height, a.width) != (b.channels, b.height, b.width) {
        return Err(Error::Invalid(format!(
            "images differ in size: {}x{}x{} and {}x{}x{}",
            a.channels, a.height, a.width, b.channels, b.height, b.width
        )));
    }
    let n = a.channels * a.height * a.width;
    if a.values.len() != n || b.values.len() != n {
        return Err(Error::Invalid(format!(
            "image buffers hold {} and {} values, expected {n}",
            a.values.len(),
            b.values.len()
        )));
    }
    Ok(())
}

/// Peak signal-to-noise ratio in dB, 10 log10(range² / MSE); infinite for identical images.
pub fn psnr(a: ImageRef, b: ImageRef, data_range: f64) -> Result<f64> {
    check(&a, &b)?;
    let mse = a
        .values
        .iter()
        .zip(b.values)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        / a.values.len() as f64;
    Ok(10.0 * (data_range * data_range / mse).log10())
}

/// The normalised 1-D Gaussian of scipy's `gaussian_filter` (radius round(3.5σ)).
fn gaussian_kernel(sigma: f64) -> Vec<f64> {
    let radius = (3.5 * sigma + 0.5) as i64;
    let w: Vec<f64> = (-radius..=radius)
        .map(|x| (-(x * x) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|v| v / sum).collect()
}

/// scipy.ndimage's 'reflect' border: (d c b a | a b c d | d c b a).
fn reflect(i: i64, n: i64) -> usize {
    let period = 2 * n;
    let mut i = i.rem_euclid(period);
    if i >= n {
        i = period - 1 - i;
    }
    i as usize
}

/// Separable Gaussian filter of one plane.
fn filter(plane: &[f64], h: usize, w: usize, k: &[f64]) -> Vec<f64> {
    let r = (k.len() / 2) as i64;
    let mut rows = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            rows[y * w + x] = k
                .iter()
                .enumerate()
                .map(|(t, kv)| kv * plane[y * w + reflect(x as i64 + t as i64 - r, w as i64)])
                .sum();
        }
    }
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = k
                .iter()
                .enumerate()
                .map(|(t, kv)| kv * rows[reflect(y as i64 + t as i64 - r, h as i64) * w + x])
                .sum();
        }
    }
    out
}

/// Mean structural similarity (1 for identical images).
pub fn ssim(a: ImageRef, b: ImageRef, data_range: f64) -> Result<f64> {
    check(&a, &b)?;
    let (h, w) = (a.height, a.width);
    let k = gaussian_kernel(1.5);
    let pad = k.len() / 2;
    if h <= 2 * pad || w <= 2 * pad {
        return Err(Error::Invalid(format!(
            "SSIM needs images larger than {0}x{0}, got {h}x{w}",
            2 * pad + 1
        )));
    }
    let (c1, c2) = ((0.01 * data_range).powi(2), (0.03 * data_range).powi(2));
    let mut total = 0.0;
    for c in 0..a.channels {
        let x = &a.values[c * h * w..(c + 1) * h * w];
        let y = &b.values[c * h * w..(c + 1) * h * w];
        let product =
            |p: &[f64], q: &[f64]| -> Vec<f64> { p.iter().zip(q).map(|(u, v)| u * v).collect() };
        let (ux, uy) = (filter(x, h, w, &k), filter(y, h, w, &k));
        let (uxx, uyy, uxy) = (
            filter(&product(x, x), h, w, &k),
            filter(&product(y, y), h, w, &k),
            filter(&product(x, y), h, w, &k),
        );
        let mut sum = 0.0;
        for row in pad..h - pad {
            for col in pad..w - pad {
                let i = row * w + col;
                let (vx, vy, vxy) = (
                    uxx[i] - ux[i] * ux[i],
                    uyy[i] - uy[i] * uy[i],
                    uxy[i] - ux[i] * uy[i],
                );
                sum += ((2.0 * ux[i] * uy[i] + c1) * (2.0 * vxy + c2))
                    / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
            }
        }
        total += sum / ((h - 2 * pad) * (w - 2 * pad)) as f64;
    }
    Ok(total / a.channels as f64)
}

/// Sharpness: the variance of the image's Laplacian (Pech-Pacheco et al. 2000, "Diatom
/// autofocusing in brightfield microscopy"), the 4-neighbour kernel `[0 1 0; 1 -4 1; 0 1 0]`
/// over the interior pixels of each channel, averaged over channels. A blurred image has a
/// smaller value than its sharp original, so the ratio of a reconstruction's to its input's
/// measures lost detail (Larsen et al. 2016's claim about VAE reconstructions). Written here:
/// a 3x3 stencil does not justify an image-processing dependency.
///
/// `values` is one image, `[c, h, w]` row-major, in any fixed range (the variance scales with
/// the square of the range).
pub fn laplacian_variance(values: &[f32], shape: [usize; 3]) -> f64 {
    let [c, h, w] = shape;
    assert_eq!(values.len(), c * h * w, "one image of the given shape");
    if h < 3 || w < 3 {
        return 0.0;
    }
    let mut total = 0.0;
    for plane in values.chunks(h * w) {
        let at = |y: usize, x: usize| plane[y * w + x] as f64;
        let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let l = at(y - 1, x) + at(y + 1, x) + at(y, x - 1) + at(y, x + 1) - 4.0 * at(y, x);
                sum += l;
                sum_sq += l * l;
                n += 1.0;
            }
        }
        let mean = sum / n;
        total += sum_sq / n - mean * mean;
    }
    total / c as f64
}

// ANCHOR: gradient_energy
/// Gradient energy: the mean over channels and pixels of `(x[y, x+1] - x[y, x])² + (x[y+1, x] -
/// x[y, x])²` (forward differences inside the image). A restoration's energy over its ground
/// truth's measures sharpness: below 1 the output is smoother (the averaging the lecture blames
/// on PSNR-optimal methods), above 1 it has more edges or noise than the truth.
///
/// `values` is one image, `[c, h, w]` row-major.
pub fn gradient_energy(values: &[f32], shape: [usize; 3]) -> f64 {
    let [c, h, w] = shape;
    assert_eq!(values.len(), c * h * w, "one image of the given shape");
    let mut total = 0.0;
    for plane in values.chunks(h * w) {
        for y in 0..h {
            for x in 0..w {
                let v = plane[y * w + x] as f64;
                if x + 1 < w {
                    total += (plane[y * w + x + 1] as f64 - v).powi(2);
                }
                if y + 1 < h {
                    total += (plane[(y + 1) * w + x] as f64 - v).powi(2);
                }
            }
        }
    }
    total / (c * h * w) as f64
}
// ANCHOR_END: gradient_energy

#[cfg(test)]
mod tests {
    use super::*;

    fn image(values: &[f64], channels: usize, height: usize, width: usize) -> ImageRef<'_> {
        ImageRef {
            values,
            channels,
            height,
            width,
        }
    }

    #[test]
    fn identical_images_have_ssim_one_and_infinite_psnr() {
        let v: Vec<f64> = (0..3 * 20 * 20).map(|i| (i % 17) as f64 / 17.0).collect();
        assert!(
            (ssim(image(&v, 3, 20, 20), image(&v, 3, 20, 20), 1.0).unwrap() - 1.0).abs() < 1e-12
        );
        assert!(psnr(image(&v, 3, 20, 20), image(&v, 3, 20, 20), 1.0)
            .unwrap()
            .is_infinite());
    }

    #[test]
    fn psnr_of_a_constant_offset() {
        let a = vec![0.5; 100];
        let b = vec![0.6; 100];
        let p = psnr(image(&a, 1, 10, 10), image(&b, 1, 10, 10), 1.0).unwrap();
        assert!((p - 20.0).abs() < 1e-9, "{p}");
    }

    #[test]
    fn the_window_is_scipys_eleven_taps() {
        let k = gaussian_kernel(1.5);
        assert_eq!(k.len(), 11);
        assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(reflect(-1, 5), 0);
        assert_eq!(reflect(-2, 5), 1);
        assert_eq!(reflect(5, 5), 4);
        assert_eq!(reflect(6, 5), 3);
    }

    #[test]
    fn mismatched_sizes_are_an_error() {
        let a = vec![0.0; 100];
        let e = ssim(image(&a, 1, 10, 10), image(&a, 1, 5, 20), 1.0).unwrap_err();
        assert!(e.to_string().contains("differ in size"), "{e}");
    }

    #[test]
    fn laplacian_variance_drops_when_an_image_is_blurred() {
        // A checkerboard: every interior Laplacian is +-4 (range 1), so the variance is 16.
        let (h, w) = (8, 8);
        let board: Vec<f32> = (0..h * w).map(|i| ((i / w + i % w) % 2) as f32).collect();
        let sharp = super::laplacian_variance(&board, [1, h, w]);
        assert!((sharp - 16.0).abs() < 1e-9, "{sharp}");
        // A 3x3 box blur of it is nearly flat.
        let mut blurred = board.clone();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let mut s = 0.0;
                for dy in 0..3 {
                    for dx in 0..3 {
                        s += board[(y + dy - 1) * w + x + dx - 1];
                    }
                }
                blurred[y * w + x] = s / 9.0;
            }
        }
        assert!(super::laplacian_variance(&blurred, [1, h, w]) < sharp / 4.0);
        assert_eq!(super::laplacian_variance(&vec![0.5; 64], [1, 8, 8]), 0.0);
    }

    #[test]
    fn gradient_energy_counts_every_step_and_drops_with_blur() {
        // A vertical edge of height 1 in a 4x4 image: 4 unit steps over 16 pixels.
        let edge: Vec<f32> = (0..16).map(|i| if i % 4 < 2 { 0.0 } else { 1.0 }).collect();
        assert!((gradient_energy(&edge, [1, 4, 4]) - 0.25).abs() < 1e-12);
        let soft: Vec<f32> = (0..16).map(|i| [0.0, 0.33, 0.67, 1.0][i % 4]).collect();
        assert!(gradient_energy(&soft, [1, 4, 4]) < 0.25);
        assert_eq!(gradient_energy(&[0.5; 12], [3, 2, 2]), 0.0);
    }
}
