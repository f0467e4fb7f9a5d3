//! Helpers the program's test binaries share: a scratch folder, running `burn-gan`, and reading
//! its one error line. Each binary uses some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh, empty scratch folder, unique to this test binary, `name` and process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "burn-gan-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `burn-gan` binary with `args`.
pub fn burn_gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burn-gan"))
        .args(args)
        .output()
        .expect("the burn-gan binary runs")
}

/// The standard output of `args`, which must succeed.
pub fn ok(args: &[&str]) -> String {
    let out = burn_gan(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Runs `args`, expects failure, and returns the single `error: ` line it printed (no panic).
pub fn error_line(args: &[&str]) -> String {
    let out = burn_gan(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "{args:?} succeeded; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?} should print one line:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    lines[0].to_string()
}

/// An uncompressed IDX file of `n` gray `side x side` images (smooth gradients with a square).
pub fn write_gray_idx(path: &std::path::Path, n: usize, side: usize) {
    let mut bytes = vec![0, 0, 8, 3];
    for d in [n, side, side] {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    for i in 0..n {
        for y in 0..side {
            for x in 0..side {
                let square = (x / 7 + y / 7 + i) % 2 == 0;
                bytes.push(((x * 5 + y * 3 + i * 11) % 128 + if square { 100 } else { 0 }) as u8);
            }
        }
    }
    std::fs::write(path, bytes).unwrap();
}
