//! InfoGAN on the conditional networks: codes instead of labels, and the information loss.
//!
//! Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information Maximizing
//! Generative Adversarial Nets", arXiv:1606.03657. No labels: the generator gets a categorical
//! code `c ~ Cat(K)` (in place of the class) and continuous codes `c' ~ U(-1, 1)` (the last
//! entries of its `z`), and a head `Q` sharing the discriminator's body predicts them from the
//! generated image.

use burn::prelude::*;
use burn_gan::loss::{classification, cross_entropy};
use burn_gan::train::{GanBatch, GanOutput};
use rand::{rngs::StdRng, Rng, SeedableRng};

use super::{Conditional, ConditionalConfig, Conditioning};

impl ConditionalConfig {
    /// InfoGAN's MNIST setting (Chen et al. 2016, appendix C.1): 62 noise variables, one
    /// 10-way categorical code and 2 continuous codes.
    pub fn infogan(channels: usize, size: usize) -> Self {
        Self::new(Conditioning::Infogan, 10, channels, size)
            .with_latent_dim(62)
            .with_continuous_codes(2)
    }
}

impl<B: Backend> Conditional<B> {
    /// InfoGAN's codes of a phase, drawn from the phase seed (on the CPU, so that runs are
    /// reproducible on every backend): the categorical codes, and `z` with the continuous ones
    /// written into its last entries.
    pub(super) fn infogan_codes(&self, batch: &GanBatch<B>) -> (Tensor<B, 1, Int>, Tensor<B, 2>) {
        let s = self.settings;
        let [n, dim] = batch.z.dims();
        let device = batch.z.device();
        let mut rng = StdRng::seed_from_u64(batch.seed ^ 0x696e_666f_6761_6e00);
        let cat: Vec<i64> = (0..n)
            .map(|_| rng.random_range(0..s.classes) as i64)
            .collect();
        let k = s.continuous_codes;
        let cont: Vec<f32> = (0..n * k).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let mut z = batch.z.clone();
        if k > 0 {
            z = z.slice_assign(
                [0..n, dim - k..dim],
                Tensor::from_data(TensorData::new(cont, [n, k]), &device),
            );
        }
        (Tensor::from_data(TensorData::new(cat, [n]), &device), z)
    }

    /// InfoGAN's information loss on generated samples: the categorical code's cross-entropy
    /// plus the continuous codes' unit-Gaussian negative log-likelihood (without its constant).
    // ANCHOR: information_loss
    pub(super) fn information_loss(
        &self,
        classes: Tensor<B, 2>,
        continuous: Option<Tensor<B, 2>>,
        codes: &Tensor<B, 1, Int>,
        z: &Tensor<B, 2>,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        let s = self.settings;
        out.extra.push((
            "info_cat_acc",
            classification::accuracy(classes.clone(), codes.clone()),
        ));
        let mut loss = cross_entropy(classes, codes.clone()).mul_scalar(s.class_loss_weight);
        if let Some(predicted) = continuous {
            let [n, dim] = z.dims();
            let k = s.continuous_codes;
            let target = z.clone().slice([0..n, dim - k..dim]);
            let nll = (predicted - target)
                .square()
                .sum_dim(1)
                .mean()
                .mul_scalar(0.5);
            out.extra.push(("info_cont_nll", nll.clone().detach()));
            loss = loss + nll.mul_scalar(s.continuous_loss_weight);
        }
        out.extra.push(("info_loss", loss.clone().detach()));
        loss
    }
    // ANCHOR_END: information_loss
}
