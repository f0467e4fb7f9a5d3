#!/usr/bin/env bash
# RUSTC_WRAPPER of coverage-build.sh: adds SanitizerCoverage's inline counters to the crates named
# in BURN_GAN_COVERAGE_CRATES and compiles every other crate unchanged.
rustc="$1"; shift
name=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--crate-name" ]; then name="$a"; fi
  prev="$a"
done
for c in $BURN_GAN_COVERAGE_CRATES; do
  if [ "$name" = "$c" ]; then
    exec "$rustc" "$@" -C passes=sancov-module \
      -C llvm-args=-sanitizer-coverage-level=3 \
      -C llvm-args=-sanitizer-coverage-inline-8bit-counters
  fi
done
exec "$rustc" "$@"
