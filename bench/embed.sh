#!/usr/bin/env bash
# Does an application that depends on burn-gan get the patched flex backend (burn-gan-flex) and
# its speed? Builds the small application in bench/embed-app outside the workspace, as a copy in
# target/embed-app that depends on burn-gan-backends and burn-gan-zoo by path as any other
# application would (no [patch]), and runs it alternately with `burn-gan bench`: both train dcgan28
# (batch 64) with the same library function (burn_gan_zoo::bench::bench_model) on 2 threads, then
# sample from it, and print generated images per second.
#
#   bash bench/embed.sh            # 3 rounds of 4 s per measurement
#   ROUNDS=5 SECONDS_EACH=10 THREADS=2 bash bench/embed.sh
#
# The workspace's Cargo.lock is copied into the application, so it resolves the same versions and
# builds offline. It builds into the workspace's target folder only to reuse the compiled crates;
# it resolves and compiles its dependencies as its own workspace. A benchmark: not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${ROUNDS:-3}
seconds=${SECONDS_EACH:-4}
threads=${THREADS:-2}
app=target/embed-app

rm -rf "$app"
mkdir -p "$app"
cp -r bench/embed-app/Cargo.toml bench/embed-app/src "$app/"
cp Cargo.lock "$app/Cargo.lock"

export CARGO_TARGET_DIR="$root/target"
cargo build --release --offline -p burn-gan-zoo --bin burn-gan
(cd "$app" && cargo build --release --offline)
# burn-gan-flex should be there, under burn-gan-backends; the stock burn-flex only under
# burn-train, which converts classification outputs to it for its metrics.
echo "the application's flex crates:"
for c in burn-gan-flex burn-flex; do
  (cd "$app" && cargo tree --offline -e normal -i "$c" --depth 1 2>&1 || true) | sed 's/^/  /'
done

export RAYON_NUM_THREADS=$threads
field() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('%.1f' % (d['dcgan28'] if 'dcgan28' in d else d)['$1'])"; }
echo "dcgan28 training, batch 64, $threads threads, $seconds s per measurement, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-6s %22s %22s %20s %20s\n' round "embed-app train img/s" "burn-gan train img/s" "embed sample img/s" "bench sample img/s"
for i in $(seq 1 "$rounds"); do
  embed=$("$CARGO_TARGET_DIR/release/embed-app" "$seconds")
  bench=$("$CARGO_TARGET_DIR/release/burn-gan" bench --models dcgan28 --seconds "$seconds" --threads "$threads" --json)
  printf '%-6s %22s %22s %20s %20s\n' "$i" \
    "$(field train_images_per_s <<<"$embed")" "$(field train_images_per_s <<<"$bench")" \
    "$(field sample_images_per_s <<<"$embed")" "$(field sample_images_per_s <<<"$bench")"
done
