//! Tests of SRGAN.
