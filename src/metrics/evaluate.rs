//! Whole evaluations: feature extraction in batches, a content-addressed cache of reference
//! features, and the report that `burn-gan eval` prints.
//!
//! Images enter as 0..=255 values (`[n, c, h, w]`, already quantised to uint8 levels, as the
//! FID protocol requires); the feature network is Inception-v3 (any size, 1 or 3 channels, resized
//! to 299x299) or a domain classifier (1x28x28 only).
use std::path::{Path, PathBuf};

use burn::tensor::{backend::Backend, Tensor, TensorData};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    classifier::{Classifier, DomainClassifier, CLASSIFIER_FEATURES},
    frechet_distance,
    inception::INCEPTION_FEATURES,
    inception_score, kernel_distance, parzen_evaluate, precision_recall, GaussianStats,
    InceptionV3, KidOptions, MeanStd,
};
use crate::{train::checkpoint::write_atomically, Error, Result};

/// A set of images as 0..=255 values.
#[derive(Debug, Clone)]
pub struct PixelSet {
    /// `[n, c, h, w]` values in 0..=255.
    pub pixels: Vec<f32>,
    /// `[c, h, w]` of one image.
    pub shape: [usize; 3],
    /// Where the images came from, for reports and errors.
    pub source: String,
}

impl PixelSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / self.shape.iter().product::<usize>().max(1)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    /// Quantises `[-1, 1]` values (the generators' and loaders' range) to uint8 levels,
    /// round((x + 1) · 127.5) clamped to 0..=255, as stylegan2-ada's `x * 127.5 + 128` cast does.
    pub fn from_unit_range(values: &[f32], shape: [usize; 3], source: impl Into<String>) -> Self {
        let pixels = values
            .iter()
            .map(|v| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0))
            .collect();
        Self {
            pixels,
            shape,
            source: source.into(),
        }
    }

    /// The first `n` images (all if fewer).
    pub fn truncate(mut self, n: usize) -> Self {
        let len = n.min(self.len()) * self.shape.iter().product::<usize>();
        self.pixels.truncate(len);
        self
    }

    /// SHA-256 of shape and pixels, the key of the feature cache.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for d in self.shape {
            h.update((d as u64).to_le_bytes());
        }
        h.update(self.pixels.iter().map(|&v| v as u8).collect::<Vec<_>>());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The network that turns images into features.
#[derive(Debug, Clone)]
pub enum FeatureNet<B: Backend> {
    /// The FID Inception-v3 (pool_3, 2048-d).
    Inception(InceptionV3<B>),
    /// A domain classifier (128-d penultimate layer, and class probabilities).
    Classifier(DomainClassifier, Classifier<B>),
}

impl<B: Backend> FeatureNet<B> {
    /// The network called `name` on the command line: `inception` (weights read from
    /// `inception_weights`), `fashion` or `mnist`; `flag` names the option in the error message.
    pub fn by_name(
        name: &str,
        inception_weights: &Path,
        device: &B::Device,
        flag: &str,
    ) -> Result<Self> {
        match name {
            "inception" => Ok(Self::Inception(InceptionV3::load(
                inception_weights,
                device,
            )?)),
            name => match DomainClassifier::from_name(name) {
                Some(which) => Ok(Self::Classifier(which, which.load(device))),
                None => Err(Error::Invalid(format!(
                    "{flag} `{name}`: unknown feature network; choose inception, fashion or mnist"
                ))),
            },
        }
    }

    /// Report name of the extractor.
    pub fn name(&self) -> String {
        match self {
            Self::Inception(_) => "inception-v3 (TF-FID 2015-12-05 weights, pool_3, 2048-d)".into(),
            Self::Classifier(which, _) => {
                format!("{}-lenet (burn-gan domain classifier, 128-d)", which.name())
            }
        }
    }

    /// Short name used in cache keys.
    fn key(&self) -> String {
        match self {
            Self::Inception(_) => "inception".into(),
            Self::Classifier(which, _) => format!("{}-lenet", which.name()),
        }
    }

    /// How the images are brought to the network's input.
    pub fn preprocessing(&self, shape: [usize; 3]) -> String {
        match self {
            Self::Inception(_) => format!(
                "uint8 levels, {}, TF1 bilinear resize {}x{} -> 299x299, (x - 128) / 128",
                if shape[0] == 1 {
                    "gray repeated to RGB"
                } else {
                    "RGB"
                },
                shape[1],
                shape[2]
            ),
            Self::Classifier(..) => {
                "uint8 levels, 28x28 gray (the centre of larger, padded images), x / 127.5 - 1 (no resize)".into()
            }
        }
    }

    /// Feature width.
    pub fn dim(&self) -> usize {
        match self {
            Self::Inception(_) => INCEPTION_FEATURES,
            Self::Classifier(..) => CLASSIFIER_FEATURES,
        }
    }

    /// Checks that a set's images suit the network.
    pub fn check(&self, set: &PixelSet) -> Result<()> {
        let [c, h, w] = set.shape;
        match self {
            Self::Inception(_) if c != 1 && c != 3 => Err(Error::Invalid(format!(
                "{}: Inception features need 1 or 3 channels, the images have {c}",
                set.source
            ))),
            Self::Classifier(which, _) if c != 1 || h != w || h < 28 || (h - 28) % 2 != 0 => {
                Err(Error::Invalid(format!(
                    "{}: the {} classifier takes 1x28x28 images (or 28x28 padded evenly, such as 32x32, whose centre it reads), these are {c}x{h}x{w}; use --features inception",
                    set.source,
                    which.name()
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Features (and, for classifiers, class probabilities) of a set.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// `[n, dim]` features.
    pub features: Vec<f32>,
    /// Feature width.
    pub dim: usize,
    /// `[n, classes]` probabilities when the network has a classifier head.
    pub probabilities: Option<Vec<f32>>,
}

impl Extracted {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let probs = self.probabilities.as_deref().unwrap_or(&[]);
        for v in [
            self.dim as u64,
            self.features.len() as u64,
            probs.len() as u64,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in self.features.iter().chain(probs) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let word = |k: usize| -> Option<u64> {
            Some(u64::from_le_bytes(
                bytes.get(8 * k..8 * k + 8)?.try_into().ok()?,
            ))
        };
        let (dim, nf, np) = (word(0)? as usize, word(1)? as usize, word(2)? as usize);
        if bytes.len() != 24 + 4 * (nf + np) {
            return None;
        }
        let floats: Vec<f32> = bytes[24..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Some(Self {
            features: floats[..nf].to_vec(),
            dim,
            probabilities: (np > 0).then(|| floats[nf..].to_vec()),
        })
    }
}

/// Runs the network over a set in batches; `progress(done, total)` after each batch.
pub fn extract<B: Backend>(
    net: &FeatureNet<B>,
    set: &PixelSet,
    batch: usize,
    device: &B::Device,
    mut progress: impl FnMut(usize, usize),
) -> Result<Extracted> {
    net.check(set)?;
    let per_image: usize = set.shape.iter().product();
    let n = set.len();
    let (mut features, mut probabilities) = (Vec::with_capacity(n * net.dim()), Vec::new());
    for start in (0..n).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(n);
        let [c, h, w] = set.shape;
        let x = Tensor::<B, 4>::from_data(
            TensorData::new(
                set.pixels[start * per_image..end * per_image].to_vec(),
                [end - start, c, h, w],
            ),
            device,
        );
        match net {
            FeatureNet::Inception(inception) => {
                features.extend(inception.features(x).into_data().to_vec::<f32>().unwrap())
            }
            FeatureNet::Classifier(_, classifier) => {
                // Images padded to a larger side (`--image-size 32`): the centre 28x28.
                let o = (h - 28) / 2;
                let x = x.slice([0..end - start, 0..1, o..o + 28, o..o + 28]);
                let f = classifier.features(x.clone());
                probabilities.extend(
                    classifier
                        .probabilities(x)
                        .into_data()
                        .to_vec::<f32>()
                        .unwrap(),
                );
                features.extend(f.into_data().to_vec::<f32>().unwrap());
            }
        }
        progress(end, n);
    }
    Ok(Extracted {
        features,
        dim: net.dim(),
        probabilities: (!probabilities.is_empty()).then_some(probabilities),
    })
}

/// Feature extraction through a content-addressed cache folder: a set seen before (same
/// pixels, same network) is read back instead of recomputed. Returns whether it was a hit.
pub fn extract_cached<B: Backend>(
    net: &FeatureNet<B>,
    set: &PixelSet,
    cache: Option<&Path>,
    batch: usize,
    device: &B::Device,
    progress: impl FnMut(usize, usize),
) -> Result<(Extracted, bool)> {
    let file = cache.map(|dir| dir.join(format!("{}-{}.features", net.key(), set.content_hash())));
    if let Some(file) = &file {
        if let Some(hit) = std::fs::read(file)
            .ok()
            .and_then(|b| Extracted::from_bytes(&b))
        {
            return Ok((hit, true));
        }
    }
    let extracted = extract(net, set, batch, device, progress)?;
    if let Some(file) = &file {
        write_atomically(file, &extracted.to_bytes()).map_err(|e| Error::io(file, e))?;
    }
    Ok((extracted, false))
}

/// The default cache folder: `$XDG_CACHE_HOME/burn-gan/features` (`~/.cache` without it).
pub fn default_cache_dir() -> PathBuf {
    super::cache_home().join("features")
}

/// Which metrics to compute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricSet {
    /// Fréchet distance of the features.
    pub fid: bool,
    /// Kernel distance of the features.
    pub kid: bool,
    /// Inception Score (needs a classifier head).
    pub is: bool,
    /// Precision and recall.
    pub pr: bool,
    /// Parzen-window log-likelihood (on pixels).
    pub parzen: bool,
}

impl MetricSet {
    /// Parses a comma-separated list such as `fid,kid,pr`.
    pub fn parse(list: &str) -> Result<Self> {
        let mut set = Self::default();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "fid" => set.fid = true,
                "kid" => set.kid = true,
                "is" => set.is = true,
                "pr" => set.pr = true,
                "parzen" => set.parzen = true,
                other => {
                    return Err(Error::Invalid(format!(
                        "--metrics: unknown metric `{other}`; choose from fid, kid, is, pr, parzen"
                    )))
                }
            }
        }
        if set == Self::default() {
            return Err(Error::Invalid(
                "--metrics: no metric named; choose from fid, kid, is, pr, parzen".into(),
            ));
        }
        Ok(set)
    }

    /// Whether any metric needs features.
    pub fn needs_features(&self) -> bool {
        self.fid || self.kid || self.is || self.pr
    }
}

/// A Parzen result in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ParzenSummary {
    /// Mean test log-likelihood (nats).
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Chosen window width.
    pub sigma: f64,
    /// Validation images that chose σ.
    pub validation: usize,
    /// Test images the mean is over.
    pub test: usize,
}

/// What `burn-gan eval` reports; serialises to the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Feature extractor.
    pub features: String,
    /// Preprocessing, resize included.
    pub preprocessing: String,
    /// Where the real images came from.
    pub real: String,
    /// Where the generated images came from.
    pub fake: String,
    /// Real images used.
    pub n_real: usize,
    /// Generated images used.
    pub n_fake: usize,
    /// Fréchet distance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fid: Option<f64>,
    /// Kernel distance (mean and std over subsets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<MeanStd>,
    /// Inception Score (mean and std over 10 splits) of the generated set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is: Option<MeanStd>,
    /// Precision (k = 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Recall (k = 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
    /// Parzen-window log-likelihood of the real (test) images under the generated ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parzen: Option<ParzenSummary>,
    /// Whether the real set's features came from the cache.
    pub cache_hit: bool,
}

/// Computes the feature metrics of `metrics` from extracted features.
pub fn feature_metrics(
    report: &mut EvalReport,
    metrics: MetricSet,
    real: &Extracted,
    fake: &Extracted,
) -> Result<()> {
    let dim = real.dim;
    if metrics.fid {
        let (a, b) = (
            GaussianStats::from_features(&real.features, dim)?,
            GaussianStats::from_features(&fake.features, dim)?,
        );
        report.fid = Some(frechet_distance(&a, &b)?.value);
    }
    if metrics.kid {
        report.kid = Some(kernel_distance(
            &real.features,
            &fake.features,
            dim,
            KidOptions::default(),
        )?);
    }
    if metrics.is {
        let probs = fake.probabilities.as_ref().ok_or_else(|| {
            Error::Invalid(
                "--metrics is: the Inception Score needs class probabilities; the FID Inception file has no 1008-way output layer, use --features fashion or mnist".into(),
            )
        })?;
        report.is = Some(inception_score(
            probs,
            probs.len() / report.n_fake.max(1),
            10,
        )?);
    }
    if metrics.pr {
        let pr = precision_recall(&real.features, &fake.features, dim, 3)?;
        report.precision = Some(pr.precision);
        report.recall = Some(pr.recall);
    }
    Ok(())
}

/// Goodfellow et al.'s Parzen protocol on pixels scaled to [0, 1]: σ chosen on `validation`,
/// the log-likelihood of `test` under the window of `samples`.
pub fn parzen_on_pixels(
    samples: &PixelSet,
    validation: &PixelSet,
    test: &PixelSet,
) -> Result<ParzenSummary> {
    for set in [validation, test] {
        if set.shape != samples.shape {
            return Err(Error::Invalid(format!(
                "{}: images of shape {:?} cannot be compared with generated ones of shape {:?}",
                set.source, set.shape, samples.shape
            )));
        }
    }
    let unit = |s: &PixelSet| -> Vec<f32> { s.pixels.iter().map(|v| v / 255.0).collect() };
    let dim = samples.shape.iter().product();
    let r = parzen_evaluate(
        &unit(samples),
        &unit(validation),
        &unit(test),
        dim,
        &super::goodfellow_sigmas(),
    )?;
    Ok(ParzenSummary {
        mean: r.mean,
        std_error: r.std_error,
        sigma: r.sigma,
        validation: validation.len(),
        test: test.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_lists_parse_and_reject_unknown_names() {
        let m = MetricSet::parse("fid, kid,pr").unwrap();
        assert!(m.fid && m.kid && m.pr && !m.is && !m.parzen);
        assert!(MetricSet::parse("fid,bogus")
            .unwrap_err()
            .to_string()
            .contains("`bogus`"));
        assert!(MetricSet::parse("").is_err());
    }

    #[test]
    fn extracted_features_survive_the_cache_format() {
        let e = Extracted {
            features: vec![1.0, 2.0, 3.0, 4.0],
            dim: 2,
            probabilities: Some(vec![0.5, 0.5, 0.1, 0.9]),
        };
        let back = Extracted::from_bytes(&e.to_bytes()).unwrap();
        assert_eq!(back.features, e.features);
        assert_eq!(back.probabilities, e.probabilities);
        assert!(Extracted::from_bytes(&e.to_bytes()[..30]).is_none());
    }

    #[test]
    fn quantisation_maps_the_unit_range_to_byte_levels() {
        let s = PixelSet::from_unit_range(&[-1.0, 0.0, 1.0, 2.0, -0.999], [1, 1, 5], "t");
        assert_eq!(s.pixels, vec![0.0, 128.0, 255.0, 255.0, 0.0]);
    }
}
