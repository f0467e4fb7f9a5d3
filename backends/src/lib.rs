//! The burn backend of burn-gan's programs, tests and benchmarks, chosen by cargo feature.
//!
//! | feature | backend | needs |
//! | --- | --- | --- |
//! | `flex` (default) | `burn::backend::Flex<f32>`, burn's newer pure-Rust CPU backend (GEMM-based convolutions), patched for speed (vendor/burn-flex/PATCHES.md) | nothing |
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
    pub type Backend = burn::backend::Flex<f32>;
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
