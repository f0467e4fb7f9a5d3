//! Parzen-window log-likelihood, with the protocol of Goodfellow et al. 2014, "Generative
//! Adversarial Nets" (arXiv:1406.2661), Table 1.
//!
//! Fit an isotropic Gaussian kernel density to generated samples (10,000 in the paper), choose its
//! width σ from `logspace(−1, 0, 10)` by the mean log-likelihood of a validation set, and report
//! the mean log-likelihood of the test set with its standard error (std / √n):
//!
//! ```text
//! log p(x) = log mean_i exp(−||x − s_i||² / 2σ²) − d · log(σ √(2π))
//! ```
//!
//! The paper's code (`parzen_ll.py` in goodfeli/adversarial) works on pixels scaled to [0, 1].
//! The estimate is known to be poor in high dimension (Theis et al. 2016); it is offered for
//! comparison with the literature that reports it.
use super::frechet::{squared_norms, to_matrix};
use crate::{Error, Result};

/// The σ grid of the paper: 10 values evenly spaced in log from 0.1 to 1.
pub fn goodfellow_sigmas() -> Vec<f64> {
    (0..10).map(|i| 10f64.powf(-1.0 + i as f64 / 9.0)).collect()
}

/// The outcome of [`parzen_evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParzenReport {
    /// The chosen kernel width.
    pub sigma: f64,
    /// Mean test log-likelihood (nats).
    pub mean: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Mean validation log-likelihood of every σ tried, in order.
    pub validation: Vec<(f64, f64)>,
}

/// Log-likelihood of every row of `points` under the Parzen window of `samples` with width `sigma`.
pub fn parzen_log_likelihoods(
    samples: &[f32],
    points: &[f32],
    dim: usize,
    sigma: f64,
) -> Result<Vec<f64>> {
    Ok(parzen_log_likelihoods_for(samples, points, dim, &[sigma])?.remove(0))
}

/// [`parzen_log_likelihoods`] for several widths at once (the distances are computed once).
pub fn parzen_log_likelihoods_for(
    samples: &[f32],
    points: &[f32],
    dim: usize,
    sigmas: &[f64],
) -> Result<Vec<Vec<f64>>> {
    let (s, x) = (to_matrix(samples, dim)?, to_matrix(points, dim)?);
    if s.nrows() == 0 {
        return Err(Error::Invalid(
            "a Parzen window needs at least one sample".into(),
        ));
    }
    let (ns, nx) = (squared_norms(&s), squared_norms(&x));
    let mut out = vec![Vec::with_capacity(x.nrows()); sigmas.len()];
    let mut distances = vec![0.0f64; s.nrows()];
    for start in (0..x.nrows()).step_by(256) {
        let end = (start + 256).min(x.nrows());
        let dot = x.subrows(start, end - start) * s.transpose();
        for i in 0..end - start {
            for (j, d) in distances.iter_mut().enumerate() {
                *d = (nx[start + i] + ns[j] - 2.0 * dot[(i, j)]).max(0.0);
            }
            let nearest = distances.iter().cloned().fold(f64::INFINITY, f64::min);
            for (k, &sigma) in sigmas.iter().enumerate() {
                let scale = 1.0 / (2.0 * sigma * sigma);
                // log mean exp(−d/2σ²), shifted by the largest exponent (the nearest sample)
                let sum: f64 = distances
                    .iter()
                    .map(|d| (-(d - nearest) * scale).exp())
                    .sum();
                let log_norm = (s.nrows() as f64).ln()
                    + dim as f64 * (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln();
                out[k].push(-nearest * scale + sum.ln() - log_norm);
            }
        }
    }
    Ok(out)
}

/// Goodfellow et al.'s protocol: σ chosen on `validation` among `sigmas`, then the test mean
/// log-likelihood and its standard error.
// ANCHOR: parzen
pub fn parzen_evaluate(
    samples: &[f32],
    validation: &[f32],
    test: &[f32],
    dim: usize,
    sigmas: &[f64],
) -> Result<ParzenReport> {
    if sigmas.is_empty() {
        return Err(Error::Invalid(
            "no Parzen window widths to choose from".into(),
        ));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let per_sigma = parzen_log_likelihoods_for(samples, validation, dim, sigmas)?;
    let table: Vec<(f64, f64)> = sigmas
        .iter()
        .zip(&per_sigma)
        .map(|(s, ll)| (*s, mean(ll)))
        .collect();
    let &(sigma, _) = table.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let ll = parzen_log_likelihoods(samples, test, dim, sigma)?;
    if ll.is_empty() {
        return Err(Error::Invalid("the Parzen test set is empty".into()));
    }
    let m = mean(&ll);
    let var = ll.iter().map(|v| (v - m).powi(2)).sum::<f64>() / ll.len() as f64;
    Ok(ParzenReport {
        sigma,
        mean: m,
        std_error: var.sqrt() / (ll.len() as f64).sqrt(),
        validation: table,
    })
}
// ANCHOR_END: parzen

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, Normal};

    #[test]
    fn the_grid_is_the_papers_logspace() {
        let s = goodfellow_sigmas();
        assert_eq!(s.len(), 10);
        assert!((s[0] - 0.1).abs() < 1e-12 && (s[9] - 1.0).abs() < 1e-12);
        assert!((s[1] - 0.1291549665).abs() < 1e-9);
    }

    #[test]
    fn a_known_gaussian_matches_its_analytic_log_likelihood() {
        // Samples from N(0, τ²I); the Parzen estimate with small σ approaches the density of
        // N(0, (τ² + σ²)I), whose expected log-likelihood on N(0, τ²I) points is analytic:
        // −d/2 · (log 2π(τ² + σ²) + τ² / (τ² + σ²)).
        let (dim, tau) = (2usize, 1.0f64);
        let mut rng = StdRng::seed_from_u64(5);
        let normal = Normal::new(0.0f32, tau as f32).unwrap();
        let samples: Vec<f32> = (0..20_000 * dim).map(|_| normal.sample(&mut rng)).collect();
        let test: Vec<f32> = (0..2_000 * dim).map(|_| normal.sample(&mut rng)).collect();
        let sigma = 0.2;
        let ll = parzen_log_likelihoods(&samples, &test, dim, sigma).unwrap();
        let mean = ll.iter().sum::<f64>() / ll.len() as f64;
        let v = tau * tau + sigma * sigma;
        let analytic =
            -(dim as f64) / 2.0 * ((2.0 * std::f64::consts::PI * v).ln() + tau * tau / v);
        assert!((mean - analytic).abs() < 0.05, "{mean} vs {analytic}");
    }

    #[test]
    fn single_sample_window_is_a_gaussian_density() {
        let ll = parzen_log_likelihoods(&[0.0, 0.0], &[1.0, 0.0], 2, 0.5).unwrap();
        let expected = -1.0 / (2.0 * 0.25) - 2.0 * (0.5 * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((ll[0] - expected).abs() < 1e-12);
    }

    #[test]
    fn sigma_is_chosen_on_the_validation_set() {
        let mut rng = StdRng::seed_from_u64(6);
        let normal = Normal::new(0.0f32, 0.3).unwrap();
        let draw = |n: usize, rng: &mut StdRng| -> Vec<f32> {
            (0..n).map(|_| normal.sample(rng)).collect()
        };
        let (s, v, t) = (
            draw(3000, &mut rng),
            draw(500, &mut rng),
            draw(500, &mut rng),
        );
        let r = parzen_evaluate(&s, &v, &t, 1, &goodfellow_sigmas()).unwrap();
        let best = r
            .validation
            .iter()
            .map(|x| x.1)
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            r.validation.iter().find(|x| x.1 == best).unwrap().0,
            r.sigma
        );
        assert!(r.sigma < 0.3, "{r:?}");
        assert!(r.std_error > 0.0 && r.std_error < 0.1, "{r:?}");
    }
}
