//! Image restoration data and baselines: the foundation of image-to-image GANs.
//!
//! A restoration task corrupts a clean image in a known way and asks for the clean image back
//! (the restoration GAN of a Stanford EE367 report, winter 2017, which the lecture's "Application
//! use-case" section follows: super-resolution, denoising, deblurring, inpainting). This module makes the
//! pairs and runs the classical answers the GAN is compared with:
//!
//! - [`Task`] and [`DegradationConfig`]: which corruption, with what parameters.
//! - [`paired`]: a [`Samples`] of clean targets whose `paired` field holds the corrupted inputs,
//!   deterministic from a seed and the image's index. [`held_out`] keeps a test range apart.
//! - [`degrade`]: the corruptions themselves (Pillow's bicubic, box down-sampling, Gaussian and
//!   salt-and-pepper noise, Gaussian blur, box masks).
//! - [`baselines`](mod@baselines): the [`Restorer`] interface and the classical restorers
//!   (nearest and bicubic up-sampling, median filter, non-local means, Wiener deconvolution,
//!   diffusion fill), and [`evaluate`], which scores any restorer on held-out pairs.
//!
//! Pixel code here works on plain `[c, h, w]` arrays ([`Image`]) on the `[0, 1]` scale, the scale
//! of the degradation parameters and of PSNR with MAX = 1; [`Samples`] keep the crate's `[-1, 1]`.
//!
//! Super-resolution inputs are the low-resolution images themselves (`h / 2` or `h / 4` a side),
//! not their up-sampled versions: a model up-samples inside (a residual generator that wants a
//! full-size input starts with a fixed bicubic or nearest layer), and the baselines are exactly
//! those up-samplers. Inpainting inputs carry the mask as one more channel, `[c + 1, h, w]`: the
//! image with its holes mid-gray, then the mask, 1 where a pixel is known and -1 (0 on the `[0, 1]`
//! scale) in a hole.

pub mod baselines;
pub mod degrade;
mod nl_means;
mod wiener;

use std::ops::Range;

use burn::config::Config;
use rand::{rngs::StdRng, SeedableRng};

use crate::data::{SampleKind, Samples};
use crate::train::loader::mix_seed;
// Not `crate::Result` by name: the `Config` derive's code means the standard `Result`.
use crate::Error;

pub use crate::data::tiles::photo_tiles;
pub use baselines::{baselines, evaluate, restore_all, score, Restorer, Scores};
pub use nl_means::nl_means;
pub use wiener::wiener;

/// One image as planar channels on the `[0, 1]` scale: `values[ch * h * w + y * w + x]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// Pixel values.
    pub values: Vec<f32>,
    /// `[c, h, w]`.
    pub shape: [usize; 3],
}

impl Image {
    /// An image of `shape`; panics when the values do not fill it.
    pub fn new(values: Vec<f32>, shape: [usize; 3]) -> Self {
        assert_eq!(
            values.len(),
            shape.iter().product::<usize>(),
            "an image of shape {shape:?} needs as many values"
        );
        Self { values, shape }
    }

    /// One sample of a [`Samples`] (`[-1, 1]`) on the `[0, 1]` scale.
    pub fn from_sample(values: &[f32], shape: [usize; 3]) -> Self {
        Self::new(values.iter().map(|v| (v + 1.0) * 0.5).collect(), shape)
    }

    /// The values on the `[-1, 1]` scale of [`Samples`].
    pub fn to_sample(&self) -> Vec<f32> {
        self.values.iter().map(|v| v * 2.0 - 1.0).collect()
    }

    /// The first `n` channels (the image part of an inpainting input).
    pub fn channels(&self, n: usize) -> Image {
        let [_, h, w] = self.shape;
        Image::new(self.values[..n * h * w].to_vec(), [n, h, w])
    }

    /// Every value clamped to `[0, 1]`, as writing the image to a file would.
    pub fn clamped(mut self) -> Image {
        self.values.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
        self
    }
}

// ANCHOR: task
/// A restoration task: how the input of a pair is made from its clean target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Super-resolution x2: the input is the target down-sampled 2 times a side.
    Sr2,
    /// Super-resolution x4.
    Sr4,
    /// Denoising: Gaussian noise (and salt-and-pepper, when configured) added.
    Denoise,
    /// Deblurring: a Gaussian blur plus a little Gaussian noise.
    Deblur,
    /// Inpainting: random boxes removed; the mask travels with the input.
    Inpaint,
}
// ANCHOR_END: task

impl Task {
    /// Every task, in the order of reports.
    pub const ALL: [Task; 5] = [
        Task::Sr2,
        Task::Sr4,
        Task::Denoise,
        Task::Deblur,
        Task::Inpaint,
    ];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Task::Sr2 => "sr2",
            Task::Sr4 => "sr4",
            Task::Denoise => "denoise",
            Task::Deblur => "deblur",
            Task::Inpaint => "inpaint",
        }
    }

    /// The task called `name`; an unknown name is an error listing the valid ones.
    pub fn from_name(name: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|t| t.name()).collect();
                Error::Invalid(format!(
                    "unknown restoration task `{name}`; use one of {}",
                    names.join(", ")
                ))
            })
    }

    /// The down-sampling factor of a super-resolution task (1 for the others).
    pub fn factor(self) -> usize {
        match self {
            Task::Sr2 => 2,
            Task::Sr4 => 4,
            _ => 1,
        }
    }

    /// The shape of the input made from a target of shape `[c, h, w]`.
    pub fn input_shape(self, [c, h, w]: [usize; 3]) -> [usize; 3] {
        match self {
            Task::Inpaint => [c + 1, h, w],
            t => [c, h / t.factor(), w / t.factor()],
        }
    }
}

impl std::str::FromStr for Task {
    type Err = Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        Self::from_name(s)
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The down-sampling filter of super-resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Downsample {
    /// The mean of each `factor x factor` block.
    Box,
    /// Pillow's antialiased bicubic (see [`degrade`]), the usual definition in SR benchmarks.
    Bicubic,
}

// ANCHOR: config
/// The parameters of every degradation, on the `[0, 1]` pixel scale.
///
/// The lecture gives no numbers; the defaults are common choices: σ = 0.1 (25.5 of 255) is the
/// middle of the usual denoising range (15, 25, 50 of 255), and a Gaussian blur of σ = 1.5 with
/// noise of 0.01 is a mild out-of-focus blur.
#[derive(Config, Debug, PartialEq)]
pub struct DegradationConfig {
    /// The down-sampling filter of sr2 and sr4.
    #[config(default = "Downsample::Bicubic")]
    pub downsample: Downsample,
    /// Standard deviation of the Gaussian noise of denoise.
    #[config(default = 0.1)]
    pub noise_sigma: f64,
    /// Fraction of values set to 0 or 1 (salt and pepper) by denoise, after the Gaussian noise.
    #[config(default = 0.0)]
    pub salt_pepper: f64,
    /// Standard deviation, in pixels, of the Gaussian blur of deblur.
    #[config(default = 1.5)]
    pub blur_sigma: f64,
    /// Side of the blur kernel (odd).
    #[config(default = 9)]
    pub blur_size: usize,
    /// Standard deviation of the Gaussian noise added after the blur.
    #[config(default = 0.01)]
    pub blur_noise: f64,
    /// Number of boxes cut out by inpaint.
    #[config(default = 1)]
    pub mask_boxes: usize,
    /// Smallest side of a box, as a fraction of the image's side.
    #[config(default = 0.25)]
    pub mask_min: f64,
    /// Largest side of a box, as a fraction of the image's side.
    #[config(default = 0.5)]
    pub mask_max: f64,
}
// ANCHOR_END: config

impl DegradationConfig {
    /// Checks the parameters for `task` on targets of shape `[c, h, w]`: one line saying what is
    /// wrong.
    pub fn check(&self, task: Task, [_, h, w]: [usize; 3]) -> crate::Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        let sigma = |name: &str, v: f64| {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!(
                    "{name} {v}: a standard deviation must be finite and at least 0"
                ));
            }
            Ok(())
        };
        match task {
            Task::Sr2 | Task::Sr4 => {
                let f = task.factor();
                if h % f != 0 || w % f != 0 || h < 4 * f || w < 4 * f {
                    return bad(format!(
                        "{task}: images of {h}x{w} are too small or not a multiple of {f}; it needs sides of at least {} that are multiples of {f}",
                        4 * f
                    ));
                }
            }
            Task::Denoise => {
                sigma("noise_sigma", self.noise_sigma)?;
                if !(0.0..=1.0).contains(&self.salt_pepper) {
                    return bad(format!(
                        "salt_pepper {}: a fraction of pixels must be between 0 and 1",
                        self.salt_pepper
                    ));
                }
            }
            Task::Deblur => {
                if !(self.blur_sigma.is_finite() && self.blur_sigma > 0.0) {
                    return bad(format!(
                        "blur_sigma {}: a blur needs a positive standard deviation",
                        self.blur_sigma
                    ));
                }
                if self.blur_size % 2 == 0 || self.blur_size > h.min(w) {
                    return bad(format!(
                        "blur_size {}: the kernel side must be odd and at most the image's ({})",
                        self.blur_size,
                        h.min(w)
                    ));
                }
                sigma("blur_noise", self.blur_noise)?;
            }
            Task::Inpaint => {
                if !(0.0 < self.mask_min && self.mask_min <= self.mask_max && self.mask_max <= 1.0)
                {
                    return bad(format!(
                        "mask_min {} and mask_max {}: box sides are fractions with 0 < mask_min <= mask_max <= 1",
                        self.mask_min, self.mask_max
                    ));
                }
            }
        }
        Ok(())
    }

    /// The blur of deblur as a `blur_size x blur_size` kernel (what a Wiener filter is told).
    pub fn blur_kernel(&self) -> Vec<f64> {
        degrade::gaussian_psf(self.blur_sigma, self.blur_size)
    }
}

// ANCHOR: corrupt
/// The input of `task` made from the clean image `clean` (`[0, 1]` scale), drawing from `rng`.
/// Call [`DegradationConfig::check`] first.
pub fn corrupt(clean: &Image, task: Task, config: &DegradationConfig, rng: &mut StdRng) -> Image {
    let [_, h, w] = clean.shape;
    match task {
        Task::Sr2 | Task::Sr4 => {
            let f = task.factor();
            match config.downsample {
                Downsample::Box => degrade::downsample_box(clean, f),
                Downsample::Bicubic => degrade::resize_bicubic(clean, h / f, w / f),
            }
        }
        Task::Denoise => {
            let mut noisy = clean.clone();
            degrade::add_gaussian_noise(&mut noisy, config.noise_sigma, rng);
            degrade::salt_and_pepper(&mut noisy, config.salt_pepper, rng);
            noisy
        }
        Task::Deblur => {
            let mut blurred = degrade::convolve(clean, &config.blur_kernel(), config.blur_size);
            degrade::add_gaussian_noise(&mut blurred, config.blur_noise, rng);
            blurred
        }
        Task::Inpaint => {
            let (boxes, min, max) = (config.mask_boxes, config.mask_min, config.mask_max);
            let mask = degrade::box_mask(h, w, boxes, min, max, rng);
            degrade::apply_mask(clean, &mask)
        }
    }
}
// ANCHOR_END: corrupt

/// The stream tag of restoration corruptions in [`mix_seed`] ("restore" in ASCII).
const STREAM: u64 = 0x0072_6573_746f_7265;

/// Pairs for `task`: the images of `clean` as targets (unchanged), with the corrupted input of
/// each in `paired` (`[-1, 1]` like the targets; see the module documentation for the shapes).
/// Sample `i` is corrupted with a generator seeded from `(seed, i)` alone, so the same seed gives
/// the same pairs, and a sample's corruption does not depend on the others.
pub fn paired(
    clean: &Samples,
    task: Task,
    config: &DegradationConfig,
    seed: u64,
) -> crate::Result<Samples> {
    if clean.kind != SampleKind::Image {
        return Err(Error::Invalid(format!(
            "{}: restoration pairs are made from images, and these are 2-D points",
            clean.source
        )));
    }
    config.check(task, clean.shape)?;
    let shape = task.input_shape(clean.shape);
    let mut values = Vec::with_capacity(clean.len() * shape.iter().product::<usize>());
    for i in 0..clean.len() {
        let mut rng = StdRng::seed_from_u64(mix_seed(seed, STREAM, i as u64));
        let image = Image::from_sample(clean.sample(i), clean.shape);
        values.extend(corrupt(&image, task, config, &mut rng).to_sample());
    }
    let input = Samples {
        values,
        shape,
        labels: clean.labels.clone(),
        num_classes: clean.num_classes,
        kind: SampleKind::Image,
        source: format!("{} ({task}, seed {seed})", clean.source),
        paired: None,
    };
    Ok(Samples {
        paired: Some(Box::new(input)),
        ..clean.clone()
    })
}

/// Pairs for translating edge maps into images (pix2pix's edges-to-image task): the images of
/// `clean` as targets, each with its edge map ([`degrade::edge_map`] at `threshold`) as the
/// one-channel input. Deterministic: edges involve no randomness.
pub fn edge_pairs(clean: &Samples, threshold: f32) -> crate::Result<Samples> {
    if clean.kind != SampleKind::Image {
        return Err(Error::Invalid(format!(
            "{}: edge maps are made from images, and these are 2-D points",
            clean.source
        )));
    }
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::Invalid(format!(
            "edge threshold {threshold}: use a fraction of the largest gradient between 0 and 1 (e.g. 0.25)"
        )));
    }
    let [_, h, w] = clean.shape;
    let mut values = Vec::with_capacity(clean.len() * h * w);
    for i in 0..clean.len() {
        let image = Image::from_sample(clean.sample(i), clean.shape);
        values.extend(degrade::edge_map(&image, threshold).to_sample());
    }
    let input = Samples {
        values,
        shape: [1, h, w],
        labels: clean.labels.clone(),
        num_classes: clean.num_classes,
        kind: SampleKind::Image,
        source: format!("{} (edges)", clean.source),
        paired: None,
    };
    Ok(Samples {
        paired: Some(Box::new(input)),
        ..clean.clone()
    })
}

/// Splits `samples` into (training, test): the samples with indices in `test` are held out, the
/// others train, so no sample is in both. Paired inputs and labels follow their samples.
pub fn held_out(samples: &Samples, test: Range<usize>) -> crate::Result<(Samples, Samples)> {
    let n = samples.len();
    if test.is_empty() || test.end > n {
        return Err(Error::Invalid(format!(
            "{}: the held-out range {}..{} must be non-empty and within the {n} samples",
            samples.source, test.start, test.end
        )));
    }
    let pick = |indices: &mut dyn Iterator<Item = usize>, s: &Samples, what: &str| -> Samples {
        let indices: Vec<usize> = indices.collect();
        let values = indices
            .iter()
            .flat_map(|&i| s.sample(i).iter().copied())
            .collect();
        Samples {
            values,
            labels: s
                .labels
                .as_ref()
                .map(|l| indices.iter().map(|&i| l[i]).collect()),
            source: format!("{} ({what} {}..{})", s.source, test.start, test.end),
            paired: None,
            ..s.clone()
        }
    };
    let split = |s: &Samples| {
        let mut outside = (0..test.start).chain(test.end..n);
        (
            pick(&mut outside, s, "without"),
            pick(&mut test.clone(), s, "only"),
        )
    };
    let (mut train, mut held) = split(samples);
    if let Some(p) = &samples.paired {
        let (pt, ph) = split(p);
        (train.paired, held.paired) = (Some(Box::new(pt)), Some(Box::new(ph)));
    }
    Ok((train, held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_round_trip_and_an_unknown_one_lists_them() {
        for t in Task::ALL {
            assert_eq!(Task::from_name(t.name()).unwrap(), t);
        }
        let err = "sr3".parse::<Task>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown restoration task `sr3`; use one of sr2, sr4, denoise, deblur, inpaint"
        );
    }

    #[test]
    fn input_shapes_follow_the_task() {
        assert_eq!(Task::Sr4.input_shape([3, 32, 32]), [3, 8, 8]);
        assert_eq!(Task::Inpaint.input_shape([1, 28, 28]), [2, 28, 28]);
        assert_eq!(Task::Deblur.input_shape([1, 28, 28]), [1, 28, 28]);
    }

    #[test]
    fn the_config_round_trips_through_json() {
        let config = DegradationConfig::new().with_noise_sigma(0.2);
        let back: DegradationConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.downsample, Downsample::Bicubic);
    }
}
