//! How well a CycleGAN translates, measured on held-out images of both domains (Zhu et al.
//! score their translations with a segmentation network and a perceptual study; at our scale a
//! domain classifier plays the judge):
//!
//! - the fraction of translations the domain classifier assigns to the target domain's class,
//!   next to the same fraction for the untranslated inputs (the floor) and for held-out real
//!   images of the target domain (the ceiling);
//! - the domain FID of the translations against the held-out target images;
//! - the cycle reconstruction error of `F(G(x))` against `x`: mean absolute error and PSNR on
//!   the `[0, 1]` scale.

use burn::prelude::*;
use burn_gan::data::Samples;
use burn_gan::metrics::{
    evaluate::{extract, FeatureNet, PixelSet},
    frechet_distance,
    image_quality::{psnr, ImageRef},
    GaussianStats,
};
use burn_gan::Result;
use serde::Serialize;

/// One direction's scores (A to B with `G`, or B to A with `F`).
#[derive(Clone, Debug, Serialize)]
pub struct DirectionScores {
    /// The source domain's images, as the data names them.
    pub from: String,
    /// The target domain's images.
    pub to: String,
    /// Images translated.
    pub n: usize,
    /// Fraction of translations the classifier assigns to the target class (when the target
    /// domain is a class the classifier knows).
    pub translated_as_target: Option<f64>,
    /// Fraction of the untranslated inputs it assigns to the target class.
    pub inputs_as_target: Option<f64>,
    /// Fraction of held-out real target images it assigns to the target class.
    pub reals_as_target: Option<f64>,
    /// Domain FID of the translations against the held-out real target images.
    pub fid: f64,
    /// Domain FID of the untranslated inputs against them (how far apart the domains are).
    pub inputs_fid: f64,
    /// Mean absolute error of the cycle `F(G(x))` against `x`, on the `[0, 1]` scale.
    pub cycle_l1: f64,
    /// PSNR of the cycle against `x`, in dB (the mean over images).
    pub cycle_psnr: f64,
}

/// `f` applied to every sample of `set` in batches of 64, as a set of the same shape.
pub fn map_images<B: Backend>(
    set: &Samples,
    device: &B::Device,
    f: impl Fn(Tensor<B, 4>) -> Tensor<B, 4>,
) -> Samples {
    let [c, h, w] = set.shape;
    let per = set.sample_len();
    let mut values = Vec::with_capacity(set.values.len());
    for start in (0..set.len()).step_by(64) {
        let n = 64.min(set.len() - start);
        let x = Tensor::<B, 4>::from_data(
            TensorData::new(
                set.values[start * per..(start + n) * per].to_vec(),
                [n, c, h, w],
            ),
            device,
        );
        let y = f(x).clamp(-1.0, 1.0);
        values.extend(
            y.into_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .expect("f32 images"),
        );
    }
    Samples {
        values,
        paired: None,
        ..set.clone()
    }
}

fn pixels(set: &Samples) -> PixelSet {
    PixelSet::from_unit_range(&set.values, set.shape, set.source.clone())
}

// ANCHOR: score
/// Scores one direction: `translated` (the inputs mapped to the target domain) and `cycled`
/// (mapped back) against `inputs` and held-out `targets` of class `target_class`, judged by
/// `classifier` (a domain classifier of [`FeatureNet`]; without `target_class`, only FID and the
/// cycle are scored).
pub fn score_direction<B: Backend>(
    classifier: &FeatureNet<B>,
    inputs: &Samples,
    translated: &Samples,
    cycled: &Samples,
    targets: &Samples,
    target_class: Option<usize>,
    device: &B::Device,
) -> Result<DirectionScores> {
    let judge = |set: &Samples| -> Result<(Option<f64>, GaussianStats)> {
        let e = extract(classifier, &pixels(set), 256, device, |_, _| {})?;
        let probs = e
            .probabilities
            .as_ref()
            .expect("a domain classifier has class probabilities");
        let classes = probs.len() / set.len();
        let hits = probs
            .chunks(classes)
            .filter(|p| {
                let best = (0..classes)
                    .max_by(|&i, &j| p[i].total_cmp(&p[j]))
                    .unwrap_or(0);
                Some(best) == target_class
            })
            .count();
        let stats = GaussianStats::from_features(&e.features, e.dim)?;
        let rate = target_class.map(|_| hits as f64 / set.len() as f64);
        Ok((rate, stats))
    };
    let (translated_as_target, fake) = judge(translated)?;
    let (inputs_as_target, input) = judge(inputs)?;
    let (reals_as_target, real) = judge(targets)?;
    let [c, h, w] = inputs.shape;
    let unit = |v: &[f32]| -> Vec<f64> { v.iter().map(|&x| (x as f64 + 1.0) * 0.5).collect() };
    fn image(values: &[f64], [c, h, w]: [usize; 3]) -> ImageRef<'_> {
        ImageRef {
            values,
            channels: c,
            height: h,
            width: w,
        }
    }
    let (mut l1, mut db) = (0.0, 0.0);
    for i in 0..inputs.len() {
        let (x, y) = (unit(inputs.sample(i)), unit(cycled.sample(i)));
        l1 += x.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / x.len() as f64;
        db += psnr(image(&x, [c, h, w]), image(&y, [c, h, w]), 1.0)?.min(100.0);
    }
    let n = inputs.len();
    Ok(DirectionScores {
        from: inputs.source.clone(),
        to: targets.source.clone(),
        n,
        translated_as_target,
        inputs_as_target,
        reals_as_target,
        fid: frechet_distance(&real, &fake)?.value,
        inputs_fid: frechet_distance(&real, &input)?.value,
        cycle_l1: l1 / n as f64,
        cycle_psnr: db / n as f64,
    })
}
// ANCHOR_END: score
