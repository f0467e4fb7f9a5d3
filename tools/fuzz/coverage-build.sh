#!/usr/bin/env bash
# Builds burn-gan-fuzz with SanitizerCoverage's inline 8-bit counters in the crates that read user
# files (burn-gan's readers and the decoders under them) and in the fuzz crate itself, where the
# readers' generic code is instantiated, on stable Rust: the fuzzer then keeps inputs that reach
# new code (src/coverage.rs). The binary lands in
#   target/coverage/x86_64-unknown-linux-gnu/release/burn-gan-fuzz
# Naming --target keeps the flags off build scripts and proc macros; a separate target folder keeps
# the ordinary build untouched. Cold, it compiles the workspace's dependencies again (about 10
# minutes on two cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="$(rustc -vV | sed -n 's/^host: //p')"
export BURN_GAN_COVERAGE_CRATES="${BURN_GAN_COVERAGE_CRATES:-burn_gan burn_gan_zoo burn_gan_fuzz image png zune_jpeg zune_core jpeg_decoder flate2 miniz_oxide fdeflate serde_json rmp_serde rmp safetensors burn_core}"
export RUSTC_WRAPPER="$PWD/tools/fuzz/coverage-rustc.sh"
cargo build --release -p burn-gan-fuzz --bin burn-gan-fuzz --target "$target" --target-dir target/coverage "$@"
echo "built target/coverage/$target/release/burn-gan-fuzz"
