//! Inception Score: Salimans et al. 2016, "Improved Techniques for Training GANs"
//! (arXiv:1606.03498).
//!
//! IS = exp(E_x KL(p(y|x) || p(y))), computed on 10 splits of the samples; the report is the
//! mean and standard deviation over splits, as in the paper's code.
use super::MeanStd;
use crate::{Error, Result};

/// Inception score of class probabilities (rows of `classes`, each summing to one) over `splits`.
pub fn inception_score(probs: &[f32], classes: usize, splits: usize) -> Result<MeanStd> {
    if classes == 0 || probs.len() % classes != 0 {
        return Err(Error::Invalid(format!(
            "{} probabilities do not split into rows of {classes}",
            probs.len()
        )));
    }
    let n = probs.len() / classes;
    if splits == 0 || n < splits {
        return Err(Error::Invalid(format!(
            "the Inception score needs at least {splits} samples (one per split), got {n}"
        )));
    }
    let scores: Vec<f64> = (0..splits)
        .map(|s| {
            let (start, end) = (s * n / splits, (s + 1) * n / splits);
            let rows = &probs[start * classes..end * classes];
            let count = (end - start) as f64;
            let mut marginal = vec![0.0f64; classes];
            for row in rows.chunks(classes) {
                for (m, p) in marginal.iter_mut().zip(row) {
                    *m += *p as f64 / count;
                }
            }
            let kl: f64 = rows
                .chunks(classes)
                .map(|row| {
                    row.iter()
                        .zip(&marginal)
                        .filter(|(p, _)| **p > 0.0)
                        .map(|(p, m)| *p as f64 * ((*p as f64).ln() - m.ln()))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / count;
            kl.exp()
        })
        .collect();
    Ok(MeanStd::of(&scores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confident_and_balanced_predictions_score_the_class_count() {
        let classes = 4;
        let probs: Vec<f32> = (0..40)
            .flat_map(|i| (0..classes).map(move |c| if c == i % classes { 1.0 } else { 0.0 }))
            .collect();
        let is = inception_score(&probs, classes, 10).unwrap();
        assert!((is.mean - 4.0).abs() < 1e-9 && is.std < 1e-9, "{is:?}");
    }

    #[test]
    fn uniform_predictions_score_one() {
        let probs = vec![0.25f32; 4 * 20];
        let is = inception_score(&probs, 4, 10).unwrap();
        assert!((is.mean - 1.0).abs() < 1e-6, "{is:?}");
    }

    #[test]
    fn fewer_samples_than_splits_is_an_error() {
        assert!(inception_score(&[1.0, 0.0], 2, 10)
            .unwrap_err()
            .to_string()
            .contains("at least 10"));
    }
}
