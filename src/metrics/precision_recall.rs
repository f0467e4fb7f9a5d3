//! Improved precision and recall: Kynkäänniemi et al. 2019, "Improved Precision and Recall
//! Metric for Assessing Generative Models" (arXiv:1904.06991).
//!
//! Each set's manifold is the union of balls around its points, of radius the distance to the
//! k-th nearest neighbour in the same set (k = 3). Precision is the fraction of generated points
//! inside the real manifold, recall the fraction of real points inside the generated one.
use faer::Mat;

use super::frechet::{squared_norms, to_matrix};
use crate::{Error, Result};

/// Precision and recall of a generated set against a real one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRecall {
    /// Fraction of generated samples within the real manifold.
    pub precision: f64,
    /// Fraction of real samples within the generated manifold.
    pub recall: f64,
}

/// Rows processed at once, bounding the distance block at `BLOCK × n` values.
const BLOCK: usize = 1024;

/// Precision and recall with the k-nearest-neighbour manifold estimate.
pub fn precision_recall(
    real: &[f32],
    fake: &[f32],
    dim: usize,
    k: usize,
) -> Result<PrecisionRecall> {
    let (x, y) = (to_matrix(real, dim)?, to_matrix(fake, dim)?);
    if x.nrows() <= k || y.nrows() <= k {
        return Err(Error::Invalid(format!(
            "precision/recall with k = {k} needs more than {k} samples in each set, got {} and {}",
            x.nrows(),
            y.nrows()
        )));
    }
    let (rx, ry) = (knn_radii(&x, k), knn_radii(&y, k));
    Ok(PrecisionRecall {
        precision: coverage(&y, &x, &rx),
        recall: coverage(&x, &y, &ry),
    })
}

/// Squared distances between rows `start..end` of `a` and all rows of `b`: `[end − start, n_b]`.
fn distances(
    a: &Mat<f64>,
    na: &[f64],
    b: &Mat<f64>,
    nb: &[f64],
    start: usize,
    end: usize,
) -> Mat<f64> {
    let block = a.subrows(start, end - start);
    let dot = block * b.transpose();
    Mat::from_fn(end - start, b.nrows(), |i, j| {
        (na[start + i] + nb[j] - 2.0 * dot[(i, j)]).max(0.0)
    })
}

/// Squared distance from each row to its k-th nearest other row.
fn knn_radii(m: &Mat<f64>, k: usize) -> Vec<f64> {
    let norms = squared_norms(m);
    let mut radii = Vec::with_capacity(m.nrows());
    for start in (0..m.nrows()).step_by(BLOCK) {
        let end = (start + BLOCK).min(m.nrows());
        let d = distances(m, &norms, m, &norms, start, end);
        for i in 0..end - start {
            let mut row: Vec<f64> = (0..m.nrows())
                .filter(|&j| j != start + i)
                .map(|j| d[(i, j)])
                .collect();
            let (_, kth, _) = row.select_nth_unstable_by(k - 1, |a, b| a.total_cmp(b));
            radii.push(*kth);
        }
    }
    radii
}

/// Fraction of `queries` rows within some ball (centre a row of `centres`, squared radius).
fn coverage(queries: &Mat<f64>, centres: &Mat<f64>, radii: &[f64]) -> f64 {
    let (nq, nc) = (squared_norms(queries), squared_norms(centres));
    let mut inside = 0usize;
    for start in (0..queries.nrows()).step_by(BLOCK) {
        let end = (start + BLOCK).min(queries.nrows());
        let d = distances(queries, &nq, centres, &nc, start, end);
        inside += (0..end - start)
            .filter(|&i| (0..centres.nrows()).any(|j| d[(i, j)] <= radii[j]))
            .count();
    }
    inside as f64 / queries.nrows() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, offset: f32) -> Vec<f32> {
        (0..n)
            .flat_map(|i| [(i % 10) as f32 + offset, (i / 10) as f32])
            .collect()
    }

    #[test]
    fn identical_sets_have_precision_and_recall_one() {
        let a = grid(100, 0.0);
        let pr = precision_recall(&a, &a, 2, 3).unwrap();
        assert_eq!(
            pr,
            PrecisionRecall {
                precision: 1.0,
                recall: 1.0
            }
        );
    }

    #[test]
    fn a_collapsed_generator_has_precision_but_little_recall() {
        let real = grid(100, 0.0);
        let collapsed: Vec<f32> = (0..100)
            .flat_map(|i| [0.01 * (i % 5) as f32, 0.0])
            .collect();
        let pr = precision_recall(&real, &collapsed, 2, 3).unwrap();
        assert_eq!(pr.precision, 1.0);
        assert!(pr.recall < 0.1, "{pr:?}");
    }

    #[test]
    fn a_distant_set_has_zero_precision() {
        let pr = precision_recall(&grid(50, 0.0), &grid(50, 100.0), 2, 3).unwrap();
        assert_eq!(pr.precision, 0.0);
        assert_eq!(pr.recall, 0.0);
    }
}
