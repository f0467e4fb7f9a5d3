//! The classical restorers a restoration GAN is compared with, behind the [`Restorer`] interface
//! that a trained model implements too, and [`evaluate`], which scores any of them.
//!
//! The lecture's baselines: naive scaling and bicubic interpolation for super-resolution, the
//! median filter and non-local means for denoising, the Wiener filter for deblurring; and for
//! inpainting a diffusion fill. The median filter is written here rather than taken from
//! `imageproc`, whose `median_filter` works on 8-bit images only (a noisy input is not 8-bit);
//! it uses scipy's `nearest` border (the edge pixel repeated), as `skimage.filters.median` does.

use super::degrade::{resize_bicubic, upsample_nearest};
use super::{nl_means, wiener, DegradationConfig, Image, Task};
use crate::data::Samples;
use crate::metrics::image_quality::{gradient_energy, psnr, ssim, ImageRef};
use crate::{Error, Result};

// ANCHOR: restorer
/// Something that restores corrupted images: a classical baseline or a trained model.
pub trait Restorer {
    /// The name in reports.
    fn name(&self) -> String;

    /// The clean image estimated from `input`, exactly as [`super::paired`] makes it (on the
    /// `[0, 1]` scale): the low-resolution image for super-resolution, the image and its mask
    /// channel for inpainting. The output has the target's shape, values in `[0, 1]`.
    fn restore(&self, input: &Image) -> Result<Image>;
}
// ANCHOR_END: restorer

/// The corrupted input itself (the image part of an inpainting input, holes mid-gray): the
/// score a restorer has to beat.
pub struct Identity {
    /// The channels of the target.
    pub channels: usize,
}

impl Restorer for Identity {
    fn name(&self) -> String {
        "input".into()
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        Ok(input.channels(self.channels).clamped())
    }
}

/// Up-sampling by repeating pixels (the lecture's "naive scaling").
pub struct Nearest {
    /// The factor.
    pub factor: usize,
}

impl Restorer for Nearest {
    fn name(&self) -> String {
        "nearest".into()
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        Ok(upsample_nearest(input, self.factor).clamped())
    }
}

/// Bicubic up-sampling (Pillow's kernel, see [`super::degrade`]).
pub struct Bicubic {
    /// The factor.
    pub factor: usize,
}

impl Restorer for Bicubic {
    fn name(&self) -> String {
        "bicubic".into()
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        let [_, h, w] = input.shape;
        Ok(resize_bicubic(input, h * self.factor, w * self.factor).clamped())
    }
}

/// The median of each pixel's `size x size` neighbourhood, every channel on its own.
pub struct Median {
    /// The window's side (odd).
    pub size: usize,
}

/// The `size x size` median filter of every channel, with scipy's `nearest` border.
pub fn median_filter(image: &Image, size: usize) -> Image {
    let [_, h, w] = image.shape;
    let r = (size / 2) as i64;
    let mut window = Vec::with_capacity(size * size);
    let mut values = Vec::with_capacity(image.values.len());
    for plane in image.values.chunks(h * w) {
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                window.clear();
                for dy in -r..=r {
                    let sy = (y + dy).clamp(0, h as i64 - 1) as usize;
                    for dx in -r..=r {
                        let sx = (x + dx).clamp(0, w as i64 - 1) as usize;
                        window.push(plane[sy * w + sx]);
                    }
                }
                let mid = window.len() / 2;
                let (_, m, _) = window.select_nth_unstable_by(mid, f32::total_cmp);
                values.push(*m);
            }
        }
    }
    Image::new(values, image.shape)
}

impl Restorer for Median {
    fn name(&self) -> String {
        format!("median {0}x{0}", self.size)
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        Ok(median_filter(input, self.size).clamped())
    }
}

/// Non-local means (see [`nl_means()`]).
pub struct NlMeans {
    /// Patch side.
    pub patch_size: usize,
    /// Search window radius.
    pub patch_distance: usize,
    /// Filtering parameter.
    pub h: f64,
    /// The noise's standard deviation, subtracted from patch distances (0: none).
    pub sigma: f64,
}

impl NlMeans {
    /// scikit-image's defaults (7x7 patches, a ±11 window) and its advice for Gaussian noise of
    /// standard deviation `sigma` known: `h = 0.8 sigma` (0.1 without noise to speak of).
    pub fn for_noise(sigma: f64) -> Self {
        Self {
            patch_size: 7,
            patch_distance: 11,
            h: if sigma > 0.0 { 0.8 * sigma } else { 0.1 },
            sigma,
        }
    }
}

impl Restorer for NlMeans {
    fn name(&self) -> String {
        "non-local means".into()
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        Ok(nl_means(
            input,
            self.patch_size,
            self.patch_distance,
            self.h,
            self.sigma,
        )
        .clamped())
    }
}

/// Wiener deconvolution with the known blur (see [`wiener()`]).
pub struct Wiener {
    /// The PSF, `size x size` row-major.
    pub psf: Vec<f64>,
    /// Its side.
    pub size: usize,
    /// The regularisation weight.
    pub balance: f64,
}

impl Restorer for Wiener {
    fn name(&self) -> String {
        format!("wiener (balance {})", self.balance)
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        Ok(wiener(input, &self.psf, self.size, self.balance)?.clamped())
    }
}

/// Inpainting by diffusion: the holes start at the mean of the known pixels and are relaxed to
/// the average of their four neighbours (Gauss–Seidel on the Laplace equation, the known pixels
/// fixed, neighbours outside the image left out) until no value moves by more than `tolerance`.
pub struct DiffusionFill {
    /// The largest change of an iteration at which it stops.
    pub tolerance: f32,
    /// The most iterations.
    pub max_iterations: usize,
}

impl Default for DiffusionFill {
    fn default() -> Self {
        Self {
            tolerance: 1e-5,
            max_iterations: 5000,
        }
    }
}

impl Restorer for DiffusionFill {
    fn name(&self) -> String {
        "diffusion fill".into()
    }

    fn restore(&self, input: &Image) -> Result<Image> {
        let [c1, h, w] = input.shape;
        let c = c1.checked_sub(1).filter(|&c| c > 0).ok_or_else(|| {
            Error::Invalid("an inpainting input needs image channels and a mask channel".into())
        })?;
        let mask = &input.values[c * h * w..];
        let holes: Vec<usize> = (0..h * w).filter(|&i| mask[i] < 0.5).collect();
        let mut out = input.channels(c);
        for plane in out.values.chunks_mut(h * w) {
            let known: Vec<f32> = (0..h * w)
                .filter(|&i| mask[i] >= 0.5)
                .map(|i| plane[i])
                .collect();
            let mean = known.iter().sum::<f32>() / known.len().max(1) as f32;
            holes.iter().for_each(|&i| plane[i] = mean);
            for _ in 0..self.max_iterations {
                let mut moved = 0.0f32;
                for &i in &holes {
                    let (y, x) = (i / w, i % w);
                    let (mut sum, mut n) = (0.0, 0.0);
                    for (ok, j) in [
                        (y > 0, i.wrapping_sub(w)),
                        (y + 1 < h, i + w),
                        (x > 0, i.wrapping_sub(1)),
                        (x + 1 < w, i + 1),
                    ] {
                        if ok {
                            sum += plane[j];
                            n += 1.0;
                        }
                    }
                    let v = sum / n;
                    moved = moved.max((v - plane[i]).abs());
                    plane[i] = v;
                }
                if moved <= self.tolerance {
                    break;
                }
            }
        }
        Ok(out.clamped())
    }
}

/// The baselines of `task` for targets with `channels` channels, degraded as `config` says
/// (the noise level and the blur are known to them, as they are in the lecture's comparison).
pub fn baselines(
    task: Task,
    config: &DegradationConfig,
    channels: usize,
) -> Vec<Box<dyn Restorer>> {
    let factor = task.factor();
    match task {
        Task::Sr2 | Task::Sr4 => vec![Box::new(Nearest { factor }), Box::new(Bicubic { factor })],
        Task::Denoise => vec![
            Box::new(Identity { channels }),
            Box::new(Median { size: 3 }),
            Box::new(NlMeans::for_noise(config.noise_sigma)),
        ],
        Task::Deblur => vec![
            Box::new(Identity { channels }),
            Box::new(Wiener {
                psf: config.blur_kernel(),
                size: config.blur_size,
                balance: WIENER_BALANCE,
            }),
        ],
        Task::Inpaint => vec![
            Box::new(Identity { channels }),
            Box::new(DiffusionFill::default()),
        ],
    }
}

/// The Wiener filter's balance in [`baselines`]: the best of 0.001, 0.003, 0.01, 0.03, 0.1 by
/// PSNR on 200 Fashion-MNIST training images at the default blur (σ 1.5, noise 0.01).
pub const WIENER_BALANCE: f64 = 0.003;

/// The mean scores of a restorer over a set of pairs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Mean PSNR in dB (MAX = 1 on the `[0, 1]` scale).
    pub psnr: f64,
    /// Mean SSIM (Gaussian window, σ = 1.5; see [`ssim`]).
    pub ssim: f64,
    /// Sharpness: the gradient energy of the outputs over that of the targets, summed over the
    /// set (see [`gradient_energy`]); below 1 is blurrier than the truth, above 1 noisier.
    pub sharpness: f64,
    /// The number of pairs.
    pub images: usize,
}

/// Restores every input of `pairs` (targets, with inputs in `paired`) and scores the outputs
/// against the targets.
pub fn evaluate(restorer: &dyn Restorer, pairs: &Samples) -> Result<Scores> {
    score(&restore_all(restorer, pairs)?, pairs)
}

/// Every input of `pairs` restored, on the `[0, 1]` scale, in order.
pub fn restore_all(restorer: &dyn Restorer, pairs: &Samples) -> Result<Vec<Image>> {
    let inputs = pairs
        .paired
        .as_deref()
        .ok_or_else(|| Error::Invalid(format!("{}: no paired inputs to restore", pairs.source)))?;
    (0..pairs.len())
        .map(|i| {
            let out = restorer.restore(&Image::from_sample(inputs.sample(i), inputs.shape))?;
            if out.shape != pairs.shape {
                return Err(Error::Invalid(format!(
                    "{} returned a {:?} image for a {:?} target",
                    restorer.name(),
                    out.shape,
                    pairs.shape
                )));
            }
            Ok(out)
        })
        .collect()
}

// ANCHOR: score
/// The scores of `outputs` (`[0, 1]` scale, one per target of `pairs`, in order) against the
/// targets: what [`evaluate`] reports for a restorer, and `burn-gan score` for a trained model.
pub fn score(outputs: &[Image], pairs: &Samples) -> Result<Scores> {
    let [c, h, w] = pairs.shape;
    if outputs.len() != pairs.len() || pairs.is_empty() {
        return Err(Error::Invalid(format!(
            "{} outputs for {} targets: score needs one output per target",
            outputs.len(),
            pairs.len()
        )));
    }
    let (mut p, mut s, mut energy, mut energy_true) = (0.0, 0.0, 0.0, 0.0);
    for (i, out) in outputs.iter().enumerate() {
        let target = Image::from_sample(pairs.sample(i), pairs.shape);
        let (a, b): (Vec<f64>, Vec<f64>) = target
            .values
            .iter()
            .zip(&out.values)
            .map(|(&x, &y)| (x as f64, y as f64))
            .unzip();
        let image = |values| ImageRef {
            values,
            channels: c,
            height: h,
            width: w,
        };
        p += psnr(image(&a), image(&b), 1.0)?;
        s += ssim(image(&a), image(&b), 1.0)?;
        energy += gradient_energy(&out.values, out.shape);
        energy_true += gradient_energy(&target.values, target.shape);
    }
    let n = pairs.len() as f64;
    Ok(Scores {
        psnr: p / n,
        ssim: s / n,
        sharpness: energy / energy_true,
        images: pairs.len(),
    })
}
// ANCHOR_END: score

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_removes_an_impulse_and_keeps_edges() {
        let mut values = vec![0.2f32; 36];
        values[14] = 1.0;
        let out = median_filter(&Image::new(values, [1, 6, 6]), 3);
        assert!(out.values.iter().all(|&v| v == 0.2));
        let step: Vec<f32> = (0..36).map(|i| if i % 6 < 3 { 0.0 } else { 1.0 }).collect();
        let step = Image::new(step, [1, 6, 6]);
        assert_eq!(median_filter(&step, 3), step);
    }

    #[test]
    fn diffusion_fill_restores_a_linear_ramp() {
        // A ramp in x is harmonic and satisfies the reflecting top and bottom borders.
        let (h, w) = (12, 16);
        let ramp: Vec<f32> = (0..h * w).map(|i| (i % w) as f32 / w as f32).collect();
        let mut mask = vec![1.0f32; h * w];
        for y in 3..9 {
            mask[y * w + 5..y * w + 11].fill(0.0);
        }
        let mut input: Vec<f32> = ramp
            .iter()
            .zip(&mask)
            .map(|(&v, &m)| if m > 0.5 { v } else { 0.5 })
            .collect();
        input.extend(&mask);
        let out = DiffusionFill::default()
            .restore(&Image::new(input, [2, h, w]))
            .unwrap();
        for (a, b) in out.values.iter().zip(&ramp) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn every_task_has_baselines_that_return_the_target_shape() {
        let config = DegradationConfig::new();
        for task in Task::ALL {
            let input = Image::new(
                vec![0.5; task.input_shape([3, 16, 16]).iter().product()],
                task.input_shape([3, 16, 16]),
            );
            for b in baselines(task, &config, 3) {
                assert_eq!(
                    b.restore(&input).unwrap().shape,
                    [3, 16, 16],
                    "{task} {}",
                    b.name()
                );
            }
        }
    }
}
