//! The burn backend of burn-gan's programs, tests and benchmarks, chosen by cargo feature.
//!
//! | feature | backend | needs |
//! | --- | --- | --- |
//! | `flex` (default) | `burn_gan_flex::Flex<f32>`: burn-flex 0.21.0, burn's newer pure-Rust CPU backend (GEMM-based convolutions), with burn-gan's speed patches (crate `burn-gan-flex`, vendor/burn-flex/PATCHES.md) | nothing |
//! | `ndarray` | `burn::backend::NdArray<f32>`, pure Rust on the CPU | nothing |
//! | `ndarray-openblas` | `ndarray` with the system OpenBLAS for matrix products | `libopenblas-dev` at build time |
//! | `wgpu` | `burn::backend::Wgpu<f32>`, Vulkan/Metal/DX12 through wgpu | a GPU driver, or Mesa's software Vulkan (`mesa-vulkan-drivers`) |
//! | `cuda` | `burn::backend::Cuda<f32>`, NVIDIA GPUs through CubeCL | the NVIDIA driver at run time (`libcuda`); builds without it |
//!
//! When several features are on (the default `flex` stays on unless `--no-default-features` is
//! given), the most specific one wins: `cuda`, then `wgpu`, then `flex`, then `ndarray`; so
//! `ndarray` needs `--no-default-features --features ndarray`. `flex` is the default because it
//! was the fastest correct CPU backend in `burn-gan bench` (dcgan28 training about 50 times
//! faster than `ndarray`, whose transposed convolution is a scalar loop; the book's Performance
//! chapter has the table). Library code never uses this crate: it is generic over
//! `B: Backend`.
#![warn(missing_docs)]

#[cfg(not(any(
    feature = "ndarray",
    feature = "flex",
    feature = "wgpu",
    feature = "cuda"
)))]
compile_error!("burn-gan-backends needs one backend feature: ndarray, flex, wgpu or cuda");

// ANCHOR: select
#[cfg(feature = "cuda")]
mod selected {
    pub type Backend = burn::backend::Cuda<f32>;
    pub const NAME: &str = "cuda";
}

#[cfg(all(feature = "wgpu", not(feature = "cuda")))]
mod selected {
    pub type Backend = burn::backend::Wgpu<f32>;
    pub const NAME: &str = "wgpu";
}

#[cfg(all(feature = "flex", not(any(feature = "cuda", feature = "wgpu"))))]
mod selected {
    pub type Backend = burn_gan_flex::Flex<f32>;
    pub const NAME: &str = "flex";
}

#[cfg(all(
    feature = "ndarray",
    not(any(feature = "cuda", feature = "wgpu", feature = "flex"))
))]
mod selected {
    pub type Backend = burn::backend::NdArray<f32>;
    pub const NAME: &str = "ndarray";
}
// ANCHOR_END: select

/// The selected backend (inference, no autodiff).
pub type Backend = selected::Backend;

/// The selected backend with automatic differentiation, for training.
pub type AutodiffBackend = burn::backend::Autodiff<Backend>;

/// The name of the selected backend, as printed by `burn-gan info`.
pub const NAME: &str = selected::NAME;

/// The backend features compiled into this build.
pub fn compiled_features() -> Vec<&'static str> {
    let mut f = Vec::new();
    if cfg!(feature = "ndarray") {
        f.push("ndarray");
    }
    if cfg!(feature = "flex") {
        f.push("flex");
    }
    if cfg!(feature = "wgpu") {
        f.push("wgpu");
    }
    if cfg!(feature = "cuda") {
        f.push("cuda");
    }
    f
}

/// The default device of the selected backend (the first GPU for `cuda` and `wgpu`).
pub fn device() -> burn::tensor::Device<Backend> {
    Default::default()
}

// ANCHOR: devices
/// The first `n` devices of the selected backend, for data-parallel training (`--devices N`).
///
/// GPU backends (`cuda`, `wgpu`) name their first `n` GPUs of the default device's kind, and
/// refuse more than they see. The CPU backends (`flex`, `ndarray`) have one device: `n` copies
/// of it run `n` replicas on the same cores (the arithmetic of `n` devices, for checking a
/// multi-device setup on a laptop; no faster than one).
pub fn devices(n: usize) -> Result<Vec<burn::tensor::Device<Backend>>, String> {
    use burn::tensor::backend::{Backend as _, Device as _, DeviceId};
    if n == 0 {
        return Err("--devices must be at least 1".into());
    }
    let first = device();
    if matches!(NAME, "flex" | "ndarray") {
        return Ok(vec![first; n]);
    }
    let id = first.to_id();
    let seen = Backend::device_count(id.type_id);
    if n > seen {
        return Err(format!(
            "--devices {n}: the {NAME} backend sees {seen} device{}; use --devices {seen} or fewer",
            if seen == 1 { "" } else { "s" }
        ));
    }
    Ok((0..n)
        .map(|i| {
            burn::tensor::Device::<Backend>::from_id(DeviceId::new(
                id.type_id,
                id.index_id + i as u16,
            ))
        })
        .collect())
}
// ANCHOR_END: devices

/// Stack size of the compute threads: the main thread's usual 8 MiB, since [`on_compute_thread`]
/// moves whole commands onto them.
const COMPUTE_STACK: usize = 8 << 20;

// ANCHOR: on_compute_thread
/// Runs `f` on one of the threads the CPU backends compute on (rayon's global pool, sized by
/// `RAYON_NUM_THREADS` or the core count) and returns its result.
///
/// A CPU backend splits every large operation over the pool. Called from a thread outside the
/// pool, each operation hands its work to the pool and sleeps until the pool is done: one wake-up
/// and one hand-over for each of the hundreds of operations of a training step, while the calling
/// thread's own core stays idle. Called from a pool thread, the operation runs part of the work
/// in place and the other threads steal the rest. For `dcgan28` on 2 cores with `flex` this made a
/// training step about 10% faster (the book's Performance chapter).
///
/// With a one-thread pool `f` runs where it is called: a pool thread blocked on another thread
/// (a checkpoint writer that itself waits on the pool) would then have no thread left to serve it.
/// GPU backends do not use the pool; for them this only changes the thread `f` runs on.
pub fn on_compute_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // Fails harmlessly when the pool already exists (then its threads keep their stacks).
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(COMPUTE_STACK)
        .build_global();
    if rayon::current_num_threads() < 2 {
        return f();
    }
    rayon::scope(|_| f())
}
// ANCHOR_END: on_compute_thread

#[cfg(test)]
mod tests {
    use super::on_compute_thread;

    #[test]
    fn commands_run_on_a_pool_thread_when_the_pool_has_two() {
        let (value, index) = on_compute_thread(|| (6 * 7, rayon::current_thread_index()));
        assert_eq!(value, 42);
        if rayon::current_num_threads() >= 2 {
            assert!(index.is_some(), "expected to run on a pool thread");
        } else {
            assert_eq!(index, None, "a one-thread pool runs the command in place");
        }
        // Nested calls run where they are.
        assert_eq!(on_compute_thread(|| on_compute_thread(|| 1) + 1), 2);
    }

    #[test]
    fn a_command_waiting_on_another_thread_that_uses_the_pool_finishes() {
        use rayon::prelude::*;
        // burn-train's checkpoint writers: the command blocks on a thread that itself needs the
        // pool's threads.
        let sum = on_compute_thread(|| {
            std::thread::spawn(|| (0..100_000u64).into_par_iter().sum::<u64>())
                .join()
                .expect("the helper thread finishes")
        });
        assert_eq!(sum, 100_000 * 99_999 / 2);
    }
}
