//! Built-in 2-D mixtures of Gaussians, the standard mode-collapse benchmarks.
//!
//! `ring8`: 8 Gaussians evenly spaced on a circle of radius 2, standard deviation 0.02 (the
//! setting of Metz et al. 2017, "Unrolled GANs", arXiv:1611.02163). `grid25`: a 5x5 grid of
//! Gaussians at {-4, -2, 0, 2, 4}^2, standard deviation 0.05 (as in VEEGAN, arXiv:1705.07761,
//! and PacGAN, arXiv:1712.04086). Mode coverage follows those papers: a sample belongs to the
//! nearest mode when it lies within three standard deviations of it.

use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::{SampleKind, Samples};

/// How many points a toy dataset holds when loaded as training data.
pub const DEFAULT_LEN: usize = 20_000;

/// A built-in 2-D distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toy {
    /// 8 Gaussians on a ring of radius 2, std 0.02.
    Ring8,
    /// 25 Gaussians on a 5x5 grid with spacing 2, std 0.05.
    Grid25,
}

/// How well a set of points covers a toy distribution's modes.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Samples per mode (within three standard deviations of it).
    pub per_mode: Vec<usize>,
    /// Modes holding at least the `min_per_mode` points given to [`Toy::coverage`].
    pub modes_covered: usize,
    /// The fraction of samples within three standard deviations of some mode.
    pub high_quality: f64,
}

impl Toy {
    /// Names accepted by [`Toy::from_name`].
    pub const NAMES: [&'static str; 2] = ["ring8", "grid25"];

    /// Parses `ring8` or `grid25`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ring8" => Some(Self::Ring8),
            "grid25" => Some(Self::Grid25),
            _ => None,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ring8 => "ring8",
            Self::Grid25 => "grid25",
        }
    }

    /// The centres of the mixture components.
    pub fn modes(self) -> Vec<[f32; 2]> {
        match self {
            Self::Ring8 => (0..8)
                .map(|i| {
                    let a = i as f32 * std::f32::consts::TAU / 8.0;
                    [2.0 * a.cos(), 2.0 * a.sin()]
                })
                .collect(),
            Self::Grid25 => (0..25)
                .map(|i| [(i / 5) as f32 * 2.0 - 4.0, (i % 5) as f32 * 2.0 - 4.0])
                .collect(),
        }
    }

    /// The standard deviation of every component.
    pub fn std(self) -> f32 {
        match self {
            Self::Ring8 => 0.02,
            Self::Grid25 => 0.05,
        }
    }

    /// Draws `n` points (component chosen uniformly), labelled by component, from `seed`.
    pub fn samples(self, n: usize, seed: u64) -> Samples {
        let modes = self.modes();
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);
        let noise = Normal::new(0.0f32, self.std()).expect("a positive standard deviation");
        let mut values = Vec::with_capacity(2 * n);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let m = i % modes.len();
            values.push(modes[m][0] + noise.sample(&mut rng));
            values.push(modes[m][1] + noise.sample(&mut rng));
            labels.push(m);
        }
        Samples {
            values,
            shape: [2, 1, 1],
            labels: Some(labels),
            num_classes: Some(modes.len()),
            kind: SampleKind::Points,
            source: self.name().to_string(),
            paired: None,
        }
    }

    /// Assigns each point to the nearest mode if it lies within three standard deviations, and
    /// counts a mode as covered when it holds at least `min_per_mode` points.
    pub fn coverage(self, points: &[[f32; 2]], min_per_mode: usize) -> Coverage {
        let modes = self.modes();
        let radius = 3.0 * self.std();
        let mut per_mode = vec![0usize; modes.len()];
        let mut good = 0usize;
        for p in points {
            let (best, dist) = modes
                .iter()
                .enumerate()
                .map(|(i, m)| (i, ((p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2)).sqrt()))
                .fold((0, f32::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            if dist <= radius {
                per_mode[best] += 1;
                good += 1;
            }
        }
        Coverage {
            modes_covered: per_mode
                .iter()
                .filter(|&&c| c >= min_per_mode.max(1))
                .count(),
            high_quality: good as f64 / points.len().max(1) as f64,
            per_mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(s: &Samples) -> Vec<[f32; 2]> {
        s.values.chunks(2).map(|c| [c[0], c[1]]).collect()
    }

    #[test]
    fn true_samples_cover_every_mode() {
        for toy in [Toy::Ring8, Toy::Grid25] {
            let s = toy.samples(5_000, 1);
            let c = toy.coverage(&points(&s), 10);
            assert_eq!(c.modes_covered, toy.modes().len());
            // Within 3 sigma of a 2-D Gaussian: 1 - exp(-4.5) = 98.9%.
            assert!(c.high_quality > 0.98, "{}: {}", toy.name(), c.high_quality);
        }
    }

    #[test]
    fn collapsed_samples_cover_one_mode() {
        let c = Toy::Ring8.coverage(&vec![[2.0, 0.0]; 100], 1);
        assert_eq!(c.modes_covered, 1);
        let far = Toy::Ring8.coverage(&vec![[0.0, 0.0]; 100], 1);
        assert_eq!((far.modes_covered, far.high_quality), (0, 0.0));
    }

    #[test]
    fn sampling_is_deterministic_in_the_seed() {
        assert_eq!(
            Toy::Grid25.samples(10, 3).values,
            Toy::Grid25.samples(10, 3).values
        );
        assert_ne!(
            Toy::Grid25.samples(10, 3).values,
            Toy::Grid25.samples(10, 4).values
        );
    }
}
