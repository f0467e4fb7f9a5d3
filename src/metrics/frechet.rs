//! Gaussian statistics of feature sets and the Fréchet distance between them (FID).
//!
//! Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
//! Equilibrium" (arXiv:1706.08500): fit a Gaussian to each set of features and report
//!
//! ```text
//! d² = ||μ1 − μ2||² + Tr(Σ1) + Tr(Σ2) − 2 Tr sqrt(Σ1 Σ2)
//! ```
//!
//! Statistics are accumulated in float64 with the unbiased (n − 1) covariance, as in the
//! reference implementations. Where they (pytorch-fid, torch-fidelity) call `scipy.linalg.sqrtm`
//! on the non-symmetric product Σ1 Σ2, we use Tr sqrt(Σ1 Σ2) = Tr sqrt(A Σ2 A) = ||A B||_* with
//! A = sqrt(Σ1), B = sqrt(Σ2): two symmetric eigendecompositions and the singular values of A B,
//! which stay accurate when the covariances are singular (fewer samples than feature dimensions).
//! If that fails (a decomposition does not converge, or values are not finite), ε·I (ε = 1e-6)
//! is added to both covariances and the computation repeated, the fallback of the reference
//! code; the result says when it was used.
use faer::{Mat, Side};

use crate::{Error, Result};

/// The fallback offset added to both covariances when the plain computation fails.
pub const FID_EPS: f64 = 1e-6;

/// Mean and covariance of a set of feature vectors, in float64.
#[derive(Debug, Clone)]
pub struct GaussianStats {
    /// Number of feature vectors the statistics were computed from.
    pub count: usize,
    /// Mean, `[dim]`.
    pub mean: Vec<f64>,
    /// Unbiased covariance, `[dim, dim]`.
    pub cov: Mat<f64>,
}

impl GaussianStats {
    /// Statistics of `count` feature vectors of length `dim` stored row after row in `features`.
    ///
    /// Fails with a clear message when fewer than two vectors are given.
    pub fn from_features(features: &[f32], dim: usize) -> Result<Self> {
        let x = to_matrix(features, dim)?;
        let count = x.nrows();
        if count < 2 {
            return Err(Error::Invalid(format!(
                "a covariance needs at least 2 feature vectors, got {count}"
            )));
        }
        let mean: Vec<f64> = (0..dim)
            .map(|j| (0..count).map(|i| x[(i, j)]).sum::<f64>() / count as f64)
            .collect();
        let centred = Mat::from_fn(count, dim, |i, j| x[(i, j)] - mean[j]);
        let mut cov = centred.transpose() * &centred;
        let scale = 1.0 / (count as f64 - 1.0);
        for j in 0..dim {
            for i in 0..dim {
                cov[(i, j)] *= scale;
            }
        }
        Ok(Self { count, mean, cov })
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Serialises to little-endian bytes (count, dim, mean, covariance) for the feature cache.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dim = self.dim();
        let mut out = Vec::with_capacity(16 + 8 * (dim + dim * dim));
        out.extend_from_slice(&(self.count as u64).to_le_bytes());
        out.extend_from_slice(&(dim as u64).to_le_bytes());
        for v in &self.mean {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for i in 0..dim {
            for j in 0..dim {
                out.extend_from_slice(&self.cov[(i, j)].to_le_bytes());
            }
        }
        out
    }

    /// Inverse of [`to_bytes`](Self::to_bytes); `None` if the bytes are not a valid record.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let word = |k: usize| -> Option<[u8; 8]> { bytes.get(8 * k..8 * k + 8)?.try_into().ok() };
        let count = u64::from_le_bytes(word(0)?) as usize;
        let dim = u64::from_le_bytes(word(1)?) as usize;
        if bytes.len() != 16 + 8 * (dim + dim * dim) {
            return None;
        }
        let value = |k: usize| f64::from_le_bytes(word(2 + k).unwrap());
        let mean = (0..dim).map(value).collect();
        let cov = Mat::from_fn(dim, dim, |i, j| value(dim + i * dim + j));
        Some(Self { count, mean, cov })
    }
}

/// The parts of a Fréchet distance, for reports and debugging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrechetDistance {
    /// The distance d² itself (what papers call FID).
    pub value: f64,
    /// ||μ1 − μ2||².
    pub mean_term: f64,
    /// Tr(Σ1) + Tr(Σ2) − 2 Tr sqrt(Σ1 Σ2).
    pub cov_term: f64,
    /// Whether the ε·I fallback was needed.
    pub eps_used: bool,
}

/// Fréchet distance between two Gaussians.
pub fn frechet_distance(a: &GaussianStats, b: &GaussianStats) -> Result<FrechetDistance> {
    if a.dim() != b.dim() {
        return Err(Error::Invalid(format!(
            "feature dimensions differ: {} and {}",
            a.dim(),
            b.dim()
        )));
    }
    let mean_term: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    let trace = |m: &Mat<f64>| (0..m.nrows()).map(|i| m[(i, i)]).sum::<f64>();
    let (tr_a, tr_b) = (trace(&a.cov), trace(&b.cov));
    let (mut tr_sqrt, mut eps_used) = (trace_sqrt_product(&a.cov, &b.cov, 0.0), false);
    if tr_sqrt.is_none() {
        tr_sqrt = trace_sqrt_product(&a.cov, &b.cov, FID_EPS);
        eps_used = true;
    }
    let tr_sqrt = tr_sqrt.ok_or_else(|| {
        Error::Invalid("the covariances are not finite (features contain NaN or infinity)".into())
    })?;
    let cov_term = tr_a + tr_b - 2.0 * tr_sqrt;
    Ok(FrechetDistance {
        value: mean_term + cov_term,
        mean_term,
        cov_term,
        eps_used,
    })
}

/// Tr sqrt(Σ1 Σ2) for symmetric positive semi-definite Σ1, Σ2 (each plus εI).
///
/// With A = sqrt(Σ1) and B = sqrt(Σ2) from symmetric eigendecompositions, the eigenvalues of
/// Σ1 Σ2 are those of A Σ2 A = (AB)(AB)ᵀ, so Tr sqrt(Σ1 Σ2) = Tr sqrt(A Σ2 A) is the sum of the
/// singular values of AB (its nuclear norm). Summing singular values rather than square roots of
/// the eigenvalues of A Σ2 A keeps rounding noise linear: an eigenvalue that should be zero but
/// comes out as 1e-14 adds 1e-7 through a square root, and with singular covariances (fewer
/// samples than dimensions) there are dozens of them.
///
/// Returns `None` when a decomposition fails or the result is not finite.
// ANCHOR: trace_sqrt
pub fn trace_sqrt_product(s1: &Mat<f64>, s2: &Mat<f64>, eps: f64) -> Option<f64> {
    let n = s1.nrows();
    let offset =
        |m: &Mat<f64>| Mat::from_fn(n, n, |i, j| m[(i, j)] + if i == j { eps } else { 0.0 });
    let (a, b) = (sqrt_psd(&offset(s1))?, sqrt_psd(&offset(s2))?);
    let singular_values = (&a * &b).singular_values().ok()?;
    let tr: f64 = singular_values.iter().sum();
    tr.is_finite().then_some(tr)
}
// ANCHOR_END: trace_sqrt

/// The symmetric square root of a symmetric positive semi-definite matrix (eigenvalues within
/// rounding of zero, negative ones included, count as zero).
pub fn sqrt_psd(m: &Mat<f64>) -> Option<Mat<f64>> {
    let n = m.nrows();
    let evd = m.self_adjoint_eigen(Side::Lower).ok()?;
    let (u, s) = (evd.U(), evd.S());
    let largest = (0..n).fold(0.0f64, |m, k| m.max(s[k].abs()));
    let tolerance = rank_tolerance(n, largest);
    let roots: Vec<f64> = (0..n)
        .map(|k| if s[k] > tolerance { s[k].sqrt() } else { 0.0 })
        .collect();
    if roots.iter().any(|r| !r.is_finite()) {
        return None;
    }
    let scaled = Mat::from_fn(n, n, |i, k| u[(i, k)] * roots[k]);
    Some(&scaled * u.transpose())
}

/// Eigenvalues of a covariance at or below this are rounding noise of zero (numpy's
/// `matrix_rank` rule, n · ε · λ_max): their square roots, ~1e-8 each, would otherwise add up to
/// a visible bias when the covariance is singular, as it is with fewer samples than dimensions.
fn rank_tolerance(n: usize, largest: f64) -> f64 {
    n as f64 * f64::EPSILON * largest
}

/// Squared Euclidean norm of every row.
pub(crate) fn squared_norms(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)].powi(2)).sum())
        .collect()
}

/// Rows of `features` (row-major, `dim` wide) as a float64 matrix.
pub(crate) fn to_matrix(features: &[f32], dim: usize) -> Result<Mat<f64>> {
    if dim == 0 || features.len() % dim != 0 {
        return Err(Error::Invalid(format!(
            "{} feature values do not split into rows of {dim}",
            features.len()
        )));
    }
    let rows = features.len() / dim;
    Ok(Mat::from_fn(rows, dim, |i, j| features[i * dim + j] as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn random_features(rows: usize, dim: usize, seed: u64, shift: f32) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..rows * dim)
            .map(|k| rng.random::<f32>() * (1.0 + (k % dim) as f32 * 0.1) + shift)
            .collect()
    }

    #[test]
    fn distance_of_a_set_to_itself_is_zero() {
        let f = random_features(300, 40, 1, 0.0);
        let s = GaussianStats::from_features(&f, 40).unwrap();
        let d = frechet_distance(&s, &s).unwrap();
        assert!(d.value.abs() < 1e-6, "{d:?}");
    }

    #[test]
    fn distance_of_a_singular_set_to_itself_is_zero() {
        // fewer samples than dimensions: the covariance has rank 19 of 64
        let f = random_features(20, 64, 2, 0.0);
        let s = GaussianStats::from_features(&f, 64).unwrap();
        let d = frechet_distance(&s, &s).unwrap();
        assert!(d.value.abs() < 1e-6, "{d:?}");
    }

    #[test]
    fn shifted_mean_adds_its_squared_norm() {
        let a = random_features(200, 10, 3, 0.0);
        let b: Vec<f32> = a.iter().map(|v| v + 0.5).collect();
        let (sa, sb) = (
            GaussianStats::from_features(&a, 10).unwrap(),
            GaussianStats::from_features(&b, 10).unwrap(),
        );
        let d = frechet_distance(&sa, &sb).unwrap();
        assert!((d.value - 10.0 * 0.25).abs() < 1e-4, "{d:?}");
    }

    #[test]
    fn univariate_gaussians_match_the_closed_form() {
        // d² = (m1 − m2)² + (s1 − s2)² in one dimension
        let a = [1.0f32, 3.0]; // mean 2, var 2
        let b = [0.0f32, 4.0, 8.0]; // mean 4, var 16
        let d = frechet_distance(
            &GaussianStats::from_features(&a, 1).unwrap(),
            &GaussianStats::from_features(&b, 1).unwrap(),
        )
        .unwrap();
        let expected = 4.0 + (2f64.sqrt() - 4.0).powi(2);
        assert!(
            (d.value - expected).abs() < 1e-12,
            "{} vs {expected}",
            d.value
        );
    }

    #[test]
    fn stats_survive_a_byte_round_trip() {
        let s = GaussianStats::from_features(&random_features(30, 5, 4, 0.0), 5).unwrap();
        let back = GaussianStats::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(back.mean, s.mean);
        assert_eq!(back.count, 30);
        assert_eq!(back.cov, s.cov);
        assert!(GaussianStats::from_bytes(&s.to_bytes()[..40]).is_none());
    }

    #[test]
    fn one_feature_vector_is_an_error() {
        let e = GaussianStats::from_features(&[1.0, 2.0], 2).unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
    }
}
