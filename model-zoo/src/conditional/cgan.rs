//! CGAN's discriminator input and Miyato and Koyama's projection term.
//!
//! Mirza and Osindero 2014, "Conditional Generative Adversarial Nets", arXiv:1411.1784: the
//! label conditions both networks; in the discriminator it is passed through a layer, reshaped
//! into feature maps and concatenated with the first layer's maps (the class-conditional DCGAN
//! recipe of the lecture notes). Miyato and Koyama 2018, "cGANs with Projection Discriminator",
//! arXiv:1802.05637: the inner product of a learned class embedding with the discriminator's
//! features, added to the real/fake logit.

use burn::module::Param;
use burn::prelude::*;

/// The label's feature maps joined to the first layer's maps: `maps` is the learned table
/// `[classes, label_maps * s * s]` (a linear layer on the one-hot label), `s` the side of the
/// first layer's maps.
///
/// # Shapes
/// - `x`: `[n, c, s, s]`
/// - `labels`: `[n]`
/// - output: `[n, c + label_maps, s, s]`
// ANCHOR: label_maps
pub(super) fn join_label_maps<B: Backend>(
    x: Tensor<B, 4>,
    maps: &Param<Tensor<B, 2>>,
    labels: Tensor<B, 1, Int>,
    s: usize,
) -> Tensor<B, 4> {
    let n = x.dims()[0];
    let maps = maps.val().select(0, labels); // [n, k * s * s]
    let k = maps.dims()[1] / (s * s);
    Tensor::cat(vec![x, maps.reshape([n, k, s, s])], 1)
}
// ANCHOR_END: label_maps

/// The projection term of each sample's logit: `embedding` is `[classes, features]`.
///
/// # Shapes
/// - `labels`: `[n]`
/// - `features`: `[n, features]`
/// - output: `[n, 1]`
// ANCHOR: projection
pub(super) fn projection<B: Backend>(
    embedding: &Param<Tensor<B, 2>>,
    labels: Tensor<B, 1, Int>,
    features: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let e = embedding.val().select(0, labels); // [n, features]
    (e * features).sum_dim(1)
}
// ANCHOR_END: projection
