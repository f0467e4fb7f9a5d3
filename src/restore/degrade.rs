//! The degradations that turn a clean image into the input of a restoration task, and the
//! resampling and filtering they are made of.
//!
//! Every function takes and returns an [`Image`] on the `[0, 1]` scale. Random ones draw from the
//! generator they are given, so a caller that seeds it per image gets the same corruption of an
//! image whatever else it processes.
//!
//! Bicubic resampling is Pillow's (`Image.resize(..., Image.BICUBIC)` on a float image): the Keys
//! kernel with a = -0.5, stretched by the scale factor when shrinking (antialiasing), and at the
//! borders the taps that fall outside the image dropped and the rest renormalised. MATLAB's
//! `imresize`, the other definition super-resolution papers cite, has the same kernel and
//! stretching and mirrors the image at the borders instead, so the two differ only in the outer
//! two or so pixels (times the factor).

use rand::{Rng, RngCore};
use rand_distr::{Distribution, Normal};

use super::Image;

/// Keys' cubic convolution kernel with a = -0.5 (Pillow's and MATLAB's bicubic).
fn cubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Per output index, the first input index and the weights of the taps (Pillow's
/// `precompute_coeffs`).
fn bicubic_taps(input: usize, output: usize) -> Vec<(usize, Vec<f64>)> {
    let scale = input as f64 / output as f64;
    let filter_scale = scale.max(1.0);
    let support = 2.0 * filter_scale;
    (0..output)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            // C's (int) cast truncates toward zero; a negative start is clamped to 0 either way.
            let start = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).min(input as i64) as usize;
            let mut w: Vec<f64> = (start..end)
                .map(|i| cubic((i as f64 - center + 0.5) / filter_scale))
                .collect();
            let sum: f64 = w.iter().sum();
            if sum != 0.0 {
                w.iter_mut().for_each(|v| *v /= sum);
            }
            (start, w)
        })
        .collect()
}

/// `image` resized to `height x width` with Pillow's antialiased bicubic filter (see the module
/// documentation): horizontally first, then vertically, as Pillow does.
pub fn resize_bicubic(image: &Image, height: usize, width: usize) -> Image {
    let [c, h, w] = image.shape;
    let (tx, ty) = (bicubic_taps(w, width), bicubic_taps(h, height));
    let mut rows = vec![0.0f32; c * h * width];
    for (plane, out) in image.values.chunks(h * w).zip(rows.chunks_mut(h * width)) {
        for y in 0..h {
            for (x, (start, weights)) in tx.iter().enumerate() {
                let line = &plane[y * w + start..];
                out[y * width + x] = weights
                    .iter()
                    .zip(line)
                    .map(|(k, &v)| k * v as f64)
                    .sum::<f64>() as f32;
            }
        }
    }
    let mut values = vec![0.0f32; c * height * width];
    for (plane, out) in rows
        .chunks(h * width)
        .zip(values.chunks_mut(height * width))
    {
        for (y, (start, weights)) in ty.iter().enumerate() {
            for x in 0..width {
                out[y * width + x] = weights
                    .iter()
                    .enumerate()
                    .map(|(t, k)| k * plane[(start + t) * width + x] as f64)
                    .sum::<f64>() as f32;
            }
        }
    }
    Image::new(values, [c, height, width])
}

/// The mean of each `factor x factor` block (`skimage.transform.downscale_local_mean` on sides
/// that are multiples of the factor).
pub fn downsample_box(image: &Image, factor: usize) -> Image {
    let [c, h, w] = image.shape;
    let (oh, ow) = (h / factor, w / factor);
    let mut values = Vec::with_capacity(c * oh * ow);
    for plane in image.values.chunks(h * w) {
        for y in 0..oh {
            for x in 0..ow {
                let mut sum = 0.0f64;
                for dy in 0..factor {
                    let row = &plane[(y * factor + dy) * w + x * factor..];
                    sum += row[..factor].iter().map(|&v| v as f64).sum::<f64>();
                }
                values.push((sum / (factor * factor) as f64) as f32);
            }
        }
    }
    Image::new(values, [c, oh, ow])
}

/// Each pixel repeated `factor x factor` times (nearest-neighbour up-sampling).
pub fn upsample_nearest(image: &Image, factor: usize) -> Image {
    let [c, h, w] = image.shape;
    let (oh, ow) = (h * factor, w * factor);
    let mut values = Vec::with_capacity(c * oh * ow);
    for plane in image.values.chunks(h * w) {
        for y in 0..oh {
            values.extend((0..ow).map(|x| plane[(y / factor) * w + x / factor]));
        }
    }
    Image::new(values, [c, oh, ow])
}

/// scipy.ndimage's `reflect` border (d c b a | a b c d | d c b a).
pub(crate) fn reflect(i: i64, n: usize) -> usize {
    let n = n as i64;
    let i = i.rem_euclid(2 * n);
    (if i >= n { 2 * n - 1 - i } else { i }) as usize
}

/// The normalised `size x size` Gaussian point-spread function, `[size, size]` row-major.
pub fn gaussian_psf(sigma: f64, size: usize) -> Vec<f64> {
    let r = (size / 2) as f64;
    let g: Vec<f64> = (0..size)
        .map(|i| (-(i as f64 - r).powi(2) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = g.iter().sum();
    g.iter()
        .flat_map(|a| g.iter().map(move |b| a * b / (sum * sum)))
        .collect()
}

/// `image` convolved with a `k x k` kernel (odd `k`, centred), every channel alike, with
/// reflected borders (`scipy.ndimage.convolve(mode="reflect")`).
pub fn convolve(image: &Image, kernel: &[f64], k: usize) -> Image {
    let [c, h, w] = image.shape;
    let r = (k / 2) as i64;
    let mut values = vec![0.0f32; image.values.len()];
    for (plane, out) in image.values.chunks(h * w).zip(values.chunks_mut(h * w)) {
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let mut sum = 0.0f64;
                for (ky, row) in kernel.chunks(k).enumerate() {
                    // A convolution flips the kernel; a symmetric PSF does not notice.
                    let sy = reflect(y + r - ky as i64, h);
                    for (kx, kv) in row.iter().enumerate() {
                        let sx = reflect(x + r - kx as i64, w);
                        sum += kv * plane[sy * w + sx] as f64;
                    }
                }
                out[(y * w as i64 + x) as usize] = sum as f32;
            }
        }
    }
    Image::new(values, [c, h, w])
}

/// Adds white Gaussian noise of standard deviation `sigma` to every value, unclipped (the
/// additive model `y = x + n` that NL-means and the Wiener filter assume).
pub fn add_gaussian_noise(image: &mut Image, sigma: f64, rng: &mut impl RngCore) {
    if sigma == 0.0 {
        return;
    }
    let normal = Normal::new(0.0, sigma).expect("a finite, non-negative sigma");
    for v in &mut image.values {
        *v += normal.sample(rng) as f32;
    }
}

/// Replaces a `fraction` of the values by 0 or 1 (half each), every value drawn on its own, as
/// `skimage.util.random_noise(mode="s&p")` does.
pub fn salt_and_pepper(image: &mut Image, fraction: f64, rng: &mut impl RngCore) {
    if fraction == 0.0 {
        return;
    }
    for v in &mut image.values {
        if rng.random::<f64>() < fraction {
            *v = if rng.random::<bool>() { 1.0 } else { 0.0 };
        }
    }
}

/// A mask of `boxes` random rectangles, `[1, h, w]` with 1 where the pixel is known and 0 in the
/// holes. Each box's sides are drawn uniformly between `min` and `max` times the image's, and its
/// position uniformly where it fits; boxes may overlap.
pub fn box_mask(
    h: usize,
    w: usize,
    boxes: usize,
    min: f64,
    max: f64,
    rng: &mut impl RngCore,
) -> Image {
    let mut mask = vec![1.0f32; h * w];
    for _ in 0..boxes {
        let side = |n: usize, rng: &mut dyn RngCore| {
            let f = min + (max - min) * rng.random::<f64>();
            ((f * n as f64).round() as usize).clamp(1, n)
        };
        let (bh, bw) = (side(h, rng), side(w, rng));
        let (top, left) = (rng.random_range(0..=h - bh), rng.random_range(0..=w - bw));
        for y in top..top + bh {
            mask[y * w + left..y * w + left + bw].fill(0.0);
        }
    }
    Image::new(mask, [1, h, w])
}

/// The inpainting input: `image` with its holes set to mid-gray (0.5) and the mask appended as
/// one more channel, `[c + 1, h, w]`.
pub fn apply_mask(image: &Image, mask: &Image) -> Image {
    let [c, h, w] = image.shape;
    let mut values = Vec::with_capacity((c + 1) * h * w);
    for plane in image.values.chunks(h * w) {
        values.extend(
            plane
                .iter()
                .zip(&mask.values)
                .map(|(&v, &m)| if m > 0.5 { v } else { 0.5 }),
        );
    }
    values.extend_from_slice(&mask.values);
    Image::new(values, [c + 1, h, w])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn ramp(c: usize, h: usize, w: usize) -> Image {
        let values = (0..c * h * w)
            .map(|i| ((i % w) as f32 + 2.0 * ((i / w) % h) as f32) / (w + 2 * h) as f32)
            .collect();
        Image::new(values, [c, h, w])
    }

    #[test]
    fn bicubic_taps_sum_to_one_and_widen_when_shrinking() {
        for (start, w) in bicubic_taps(28, 7) {
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(w.len() <= 17 && start < 28);
        }
        // Up-sampling uses the plain 4-tap kernel in the interior.
        assert_eq!(bicubic_taps(7, 28)[12].1.len(), 4);
    }

    #[test]
    fn resampling_keeps_a_constant_image() {
        let flat = Image::new(vec![0.25; 2 * 12 * 16], [2, 12, 16]);
        for out in [resize_bicubic(&flat, 3, 4), resize_bicubic(&flat, 24, 32)] {
            assert!(out.values.iter().all(|v| (v - 0.25).abs() < 1e-6));
        }
        assert_eq!(downsample_box(&flat, 4).shape, [2, 3, 4]);
        assert_eq!(upsample_nearest(&flat, 2).shape, [2, 24, 32]);
    }

    #[test]
    fn box_down_sampling_averages_blocks_and_nearest_repeats_them() {
        let img = ramp(1, 4, 4);
        let small = downsample_box(&img, 2);
        let expect = (img.values[0] + img.values[1] + img.values[4] + img.values[5]) / 4.0;
        assert!((small.values[0] - expect).abs() < 1e-7);
        let big = upsample_nearest(&small, 2);
        assert_eq!(big.values[0], big.values[5]);
        assert_eq!(big.values[2], small.values[1]);
    }

    #[test]
    fn the_psf_is_normalised_and_blurring_keeps_the_mean_of_a_constant() {
        let psf = gaussian_psf(1.5, 9);
        assert!((psf.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let blurred = convolve(&Image::new(vec![0.7; 100], [1, 10, 10]), &psf, 9);
        assert!(blurred.values.iter().all(|v| (v - 0.7).abs() < 1e-6));
        assert_eq!(reflect(-1, 5), 0);
        assert_eq!(reflect(6, 5), 3);
    }

    #[test]
    fn masks_have_holes_and_the_input_carries_them() {
        let mut rng = StdRng::seed_from_u64(3);
        let mask = box_mask(20, 20, 2, 0.2, 0.4, &mut rng);
        let holes = mask.values.iter().filter(|&&m| m == 0.0).count();
        assert!((16..=2 * 64).contains(&holes), "{holes}");
        let input = apply_mask(&ramp(3, 20, 20), &mask);
        assert_eq!(input.shape, [4, 20, 20]);
        let hole = mask.values.iter().position(|&m| m == 0.0).unwrap();
        assert_eq!(input.values[400 + hole], 0.5);
        assert_eq!(&input.values[1200..], &mask.values[..]);
    }
}

// ANCHOR: edge_map
/// The edge map of `image`, the input of pix2pix's edges-to-image task: one channel, black (0)
/// edges on white (1), as in the edges2shoes data Isola et al. used. An edge is a pixel whose
/// Sobel gradient magnitude on the luminance (the channels' mean, the border replicated) is at
/// least `threshold` times the image's largest; a flat image has none.
///
/// Written here rather than taken from `imageproc`: a 3x3 stencil and a threshold, where that
/// crate would add its own dependencies (nalgebra among them) to every build.
pub fn edge_map(image: &Image, threshold: f32) -> Image {
    let [c, h, w] = image.shape;
    let luminance: Vec<f32> = (0..h * w)
        .map(|i| (0..c).map(|ch| image.values[ch * h * w + i]).sum::<f32>() / c as f32)
        .collect();
    let at = |y: isize, x: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        let x = x.clamp(0, w as isize - 1) as usize;
        luminance[y * w + x]
    };
    let magnitude: Vec<f32> = (0..h * w)
        .map(|i| {
            let (y, x) = ((i / w) as isize, (i % w) as isize);
            let gx = at(y - 1, x + 1) + 2.0 * at(y, x + 1) + at(y + 1, x + 1)
                - at(y - 1, x - 1)
                - 2.0 * at(y, x - 1)
                - at(y + 1, x - 1);
            let gy = at(y + 1, x - 1) + 2.0 * at(y + 1, x) + at(y + 1, x + 1)
                - at(y - 1, x - 1)
                - 2.0 * at(y - 1, x)
                - at(y - 1, x + 1);
            (gx * gx + gy * gy).sqrt()
        })
        .collect();
    let max = magnitude.iter().copied().fold(0.0f32, f32::max);
    let values = magnitude
        .iter()
        .map(|&m| {
            if max > 0.0 && m >= threshold * max {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    Image::new(values, [1, h, w])
}
// ANCHOR_END: edge_map
