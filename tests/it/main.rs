//! Integration tests of burn-gan, one module per capability, built as one test binary (each
//! binary links the whole training stack, so one binary saves minutes of compilation).

mod cas;
mod common;
mod contract;
mod dcgan_fashion;
mod divergence;
mod inception;
mod metrics;
mod parallel;
mod restoration;
mod resume;
mod ring8;
