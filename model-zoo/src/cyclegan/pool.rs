//! The image pool of Shrivastava et al. (2017) as CycleGAN uses it: a discriminator sees fakes
//! drawn half from a history of earlier generators' images, so it does not forget them.
//!
//! The reference's rule, image by image: while the pool is not full, an image goes in and is
//! returned; after that, with probability ½ a random stored image is returned and the new one
//! takes its place, else the new image is returned. The pool is a [`RunningState`] of the model,
//! so it is saved with the weights and a resumed run continues with the same history.
//!
//! With `--devices N`, each share's discriminator phase would update the pool on its own thread
//! and burn's `RunningState` would average them, so `train` refuses CycleGAN with pools on
//! several devices.
//!
//! The number of images held is mirrored on the host, so a query reads nothing back from the
//! device (the tensor is read once, after the pool is loaded from a checkpoint).

use burn::module::{Module, RunningState};
use burn::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Which images a pool query returns and what the pool holds after it, as indices into the
/// concatenation `[pool; new images]` (`0..size` the stored images, `size..` the new ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolPlan {
    /// The image returned for each new image.
    pub returned: Vec<usize>,
    /// The image each slot holds after the query.
    pub slots: Vec<usize>,
    /// How many slots hold an image after the query.
    pub filled: usize,
}

// ANCHOR: plan
/// The reference's rule for `n` new images and a pool of `size` slots, `filled` of them used.
pub fn pool_plan(size: usize, filled: usize, n: usize, seed: u64) -> PoolPlan {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut slots: Vec<usize> = (0..size).collect();
    let mut filled = filled.min(size);
    let mut returned = Vec::with_capacity(n);
    for i in 0..n {
        let new = size + i;
        if filled < size {
            slots[filled] = new;
            filled += 1;
            returned.push(new);
        } else if size > 0 && rng.random::<f64>() > 0.5 {
            let slot = rng.random_range(0..size);
            returned.push(slots[slot]);
            slots[slot] = new;
        } else {
            returned.push(new);
        }
    }
    PoolPlan {
        returned,
        slots,
        filled,
    }
}
// ANCHOR_END: plan

/// A pool of generated images: `size` slots of one image shape.
#[derive(Module, Debug)]
pub struct ImagePool<B: Backend> {
    /// The stored images, `[size, c, h, w]` (zeros in unused slots).
    images: RunningState<Tensor<B, 4>>,
    /// `[1]`: how many slots are used.
    filled: RunningState<Tensor<B, 1>>,
    #[module(skip)]
    size: usize,
    /// `filled` on the host, once known (`None` after building or loading: read the tensor).
    #[module(skip)]
    known: std::sync::Arc<std::sync::Mutex<Option<usize>>>,
}

impl<B: Backend> ImagePool<B> {
    /// An empty pool of `size` images of `shape` `[c, h, w]`.
    pub fn new(size: usize, [c, h, w]: [usize; 3], device: &B::Device) -> Self {
        Self {
            images: RunningState::new(Tensor::zeros([size.max(1), c, h, w], device)),
            filled: RunningState::new(Tensor::zeros([1], device)),
            size,
            known: Default::default(),
        }
    }

    /// How many images the pool holds.
    pub fn len(&self) -> usize {
        let mut known = self
            .known
            .lock()
            .expect("the pool's count is never poisoned");
        *known.get_or_insert_with(|| {
            let filled: f32 = self.filled.value_sync().into_scalar().elem();
            filled as usize
        })
    }

    /// Whether the pool holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The images the pool holds, `[len, c, h, w]`.
    pub fn images(&self) -> Tensor<B, 4> {
        let n = self.len();
        self.images.value_sync().slice([0..n])
    }

    /// The images a discriminator sees in place of `fakes` (detached), updating the pool; the
    /// choices are drawn from `seed`.
    ///
    /// # Shapes
    /// - `fakes`: `[n, c, h, w]`
    /// - output: `[n, c, h, w]`
    pub fn query(&self, fakes: Tensor<B, 4>, seed: u64) -> Tensor<B, 4> {
        if self.size == 0 {
            return fakes;
        }
        let n = fakes.dims()[0];
        let plan = pool_plan(self.size, self.len(), n, seed);
        let device = fakes.device();
        let all = Tensor::cat(vec![self.images.value_sync(), fakes.detach()], 0);
        let index = |i: &[usize]| {
            let i: Vec<i64> = i.iter().map(|&i| i as i64).collect();
            let len = i.len();
            Tensor::<B, 1, Int>::from_data(TensorData::new(i, [len]), &device)
        };
        let returned = all.clone().select(0, index(&plan.returned));
        self.images.update(all.select(0, index(&plan.slots)));
        self.filled.update(Tensor::from_data(
            TensorData::new(vec![plan.filled as f32], [1]),
            &device,
        ));
        *self
            .known
            .lock()
            .expect("the pool's count is never poisoned") = Some(plan.filled);
        returned
    }
}
