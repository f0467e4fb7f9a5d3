//! ACGAN's class terms.
//!
//! Odena, Olah and Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs",
//! arXiv:1610.09585. The discriminator sees only the image and predicts both real/fake and the
//! class; it minimises the adversarial loss plus the class cross-entropy, the generator its
//! adversarial loss plus the class cross-entropy of its samples. Deliberately different: the
//! discriminator's class loss is on real images only unless `fake_class_loss` is set (see
//! [`super::ConditionalConfig::fake_class_loss`]).

use burn::prelude::*;
use burn_gan::loss::{classification, cross_entropy};
use burn_gan::train::GanOutput;

use super::Conditional;

impl<B: Backend> Conditional<B> {
    /// The discriminator's class term: the cross-entropy of the real images' class logits (and,
    /// with `fake_class_loss`, of the generated images'), weighted.
    // ANCHOR: acgan_d
    pub(super) fn acgan_discriminator_loss(
        &self,
        real_classes: Tensor<B, 2>,
        fake_classes: Tensor<B, 2>,
        labels: Tensor<B, 1, Int>,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        out.extra.push((
            "class_acc_real",
            classification::accuracy(real_classes.clone(), labels.clone()),
        ));
        let mut class_loss = cross_entropy(real_classes, labels.clone());
        if self.settings.fake_class_loss {
            class_loss = class_loss + cross_entropy(fake_classes, labels);
        }
        out.extra
            .push(("class_loss_d", class_loss.clone().detach()));
        class_loss.mul_scalar(self.settings.class_loss_weight)
    }
    // ANCHOR_END: acgan_d

    /// The generator's class term: the cross-entropy of its samples' class logits, weighted.
    pub(super) fn acgan_generator_loss(
        &self,
        classes: Tensor<B, 2>,
        labels: Tensor<B, 1, Int>,
        out: &mut GanOutput<B>,
    ) -> Tensor<B, 1> {
        out.extra.push((
            "class_acc_fake",
            classification::accuracy(classes.clone(), labels.clone()),
        ));
        let class_loss = cross_entropy(classes, labels);
        out.extra
            .push(("class_loss_g", class_loss.clone().detach()));
        class_loss.mul_scalar(self.settings.class_loss_weight)
    }
}
